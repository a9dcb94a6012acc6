//! Instruction implementations, one short function per opcode, grouped by family. Each takes
//! the frame and the host; those that read or move the program counter (PUSH, JUMP, JUMPI, PC
//! and the block entries) also take the one just past their opcode and return the one to
//! continue at ([`super::table::Instruction`]). Static gas was already charged and the stack's
//! depth checked by the run loop ([`super::table`]), dynamic gas is charged here.

#[macro_use]
mod macros {
    /// Pops items into the named bindings (top first). The run loop already checked that the
    /// stack holds them ([`super::table::STACK_IO`]).
    macro_rules! pop {
        ($i:expr, $($x:ident),+) => {
            // SAFETY: the run loop checked the opcode's inputs against the stack (STACK_IO).
            let [$($x),+] = unsafe { $i.stack.popn() };
        };
    }

    /// Pops items into the named bindings and binds `$top` to the new top, which the
    /// instruction overwrites with its result (stack checked by the run loop).
    macro_rules! pop_top {
        ($i:expr, $($x:ident),* ; $top:ident) => {
            // SAFETY: the run loop checked the opcode's inputs against the stack (STACK_IO).
            let ([$($x),*], $top) = unsafe { $i.stack.popn_top() };
        };
    }

    /// Pushes a word (room checked by the run loop).
    macro_rules! push {
        ($i:expr, $v:expr) => {
            let value = $v;
            // SAFETY: the run loop checked the opcode's outputs against the limit (STACK_IO).
            unsafe { $i.stack.push_unchecked(value) };
        };
    }

    /// Charges gas or halts with out of gas.
    macro_rules! gas {
        ($i:expr, $cost:expr) => {
            if !$i.gas.charge($cost) {
                $i.halt($crate::result::HaltReason::OutOfGas);
                return;
            }
        };
    }

    /// Unwraps a host answer, or stops the frame as fatal (the database failed).
    macro_rules! host {
        ($i:expr, $e:expr) => {
            match $e {
                Some(v) => v,
                None => {
                    $i.result = $crate::interpreter::InstructionResult::Fatal;
                    return;
                }
            }
        };
    }

    /// Converts `(offset, len)` words into a memory range and expands memory to cover it,
    /// charging gas; halts with out of gas when the range cannot be paid for.
    macro_rules! memory_range {
        ($i:expr, $offset:expr, $len:expr) => {
            match $crate::interpreter::instructions::to_range($offset, $len) {
                Some((offset, len)) => {
                    if !$i.memory.expand(&mut $i.gas, offset, len) {
                        $i.halt($crate::result::HaltReason::OutOfGas);
                        return;
                    }
                    (offset, len)
                }
                None => {
                    $i.halt($crate::result::HaltReason::OutOfGas);
                    return;
                }
            }
        };
    }

    /// Converts an offset word into a memory offset and expands memory to cover `$len` bytes
    /// there (a non-zero constant: MLOAD, MSTORE, MSTORE8), charging gas; halts with out of
    /// gas when the range cannot be paid for.
    macro_rules! memory_at {
        ($i:expr, $offset:expr, $len:expr) => {
            match $crate::interpreter::instructions::to_offset($offset) {
                Some(offset) if $i.memory.expand(&mut $i.gas, offset, $len) => offset,
                _ => {
                    $i.halt($crate::result::HaltReason::OutOfGas);
                    return;
                }
            }
        };
    }

    /// Halts with a write-protection error inside a static context (EIP-214).
    macro_rules! require_non_static {
        ($i:expr) => {
            if $i.is_static {
                $i.halt($crate::result::HaltReason::StateChangeDuringStaticCall);
                return;
            }
        };
    }
}

pub mod arithmetic;
pub mod bitwise;
pub mod control;
pub mod environment;
pub mod logs;
pub mod memory;
pub mod storage;
pub mod system;

use alloy_primitives::{Address, U256};

/// Largest offset or length accepted for memory: anything beyond costs more gas than exists.
const MAX_MEMORY_ARG: u64 = u32::MAX as u64;

/// `(offset, len)` as native sizes; a zero length maps to `(0, 0)` whatever the offset.
/// `None` when either is too large to ever be paid for.
#[inline]
pub fn to_range(offset: U256, len: U256) -> Option<(usize, usize)> {
    if len.is_zero() {
        return Some((0, 0));
    }
    let len = u64::try_from(len).ok().filter(|&l| l <= MAX_MEMORY_ARG)?;
    let offset = u64::try_from(offset).ok().filter(|&o| o <= MAX_MEMORY_ARG)?;
    Some((offset as usize, len as usize))
}

/// A memory offset word as a native size; `None` when it is too large to ever be paid for.
#[inline(always)]
pub fn to_offset(offset: U256) -> Option<usize> {
    match offset.as_limbs() {
        [low, 0, 0, 0] if *low <= MAX_MEMORY_ARG => Some(*low as usize),
        _ => None,
    }
}

/// A word as a source offset for copies: saturates, since reading past the end yields zeros.
#[inline]
pub fn saturating_usize(value: U256) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

/// The low 20 bytes of a word as an address.
#[inline]
pub fn to_address(word: U256) -> Address {
    Address::from_word(word.to_be_bytes::<32>().into())
}
