//! Control flow and stack manipulation: STOP, JUMP/JUMPI/JUMPDEST, PC, GAS, PUSH0–PUSH32,
//! DUP1–DUP16, SWAP1–SWAP16, POP, RETURN, REVERT, INVALID (Yellow Paper appendix H.2; EIP-140,
//! EIP-3855).

use alloy_primitives::U256;

use crate::interpreter::{Host, InstructionResult, Interpreter};
use crate::result::HaltReason;

/// STOP: ends the frame successfully with no output.
pub fn stop<H: Host>(i: &mut Interpreter, _: &mut H) {
    i.result = InstructionResult::Stop;
}

/// An undefined opcode or INVALID (0xfe): exceptional halt.
pub fn invalid<H: Host>(i: &mut Interpreter, _: &mut H) {
    i.halt(HaltReason::InvalidOpcode);
}

/// Where a jump to `dest` continues: `dest` if it is a JUMPDEST, otherwise halts with an
/// invalid jump (and the returned `pc` is never run).
#[inline]
fn jump_to(i: &mut Interpreter, dest: U256, pc: usize) -> usize {
    match dest.as_limbs() {
        [d, 0, 0, 0] if i.code.is_jumpdest(*d as usize) => *d as usize,
        _ => {
            i.halt(HaltReason::InvalidJump);
            pc
        }
    }
}

/// JUMP: continues at a JUMPDEST.
pub fn jump<H: Host>(i: &mut Interpreter, _: &mut H, pc: usize) -> usize {
    pop!(i, dest);
    jump_to(i, dest, pc)
}

/// JUMPI: continues at a JUMPDEST if the condition is non-zero, at the next byte otherwise.
pub fn jumpi<H: Host>(i: &mut Interpreter, _: &mut H, pc: usize) -> usize {
    pop!(i, dest, cond);
    if cond.is_zero() {
        pc
    } else {
        jump_to(i, dest, pc)
    }
}

/// JUMPI in the untraced run loop: then enters the basic block it fell into, if it did not
/// jump ([`Interpreter::fall_into_block`]).
pub fn jumpi_then_enter_block<H: Host>(i: &mut Interpreter, h: &mut H, pc: usize) -> usize {
    let next = jumpi(i, h, pc);
    i.fall_into_block(next);
    next
}

/// JUMPDEST: marks a jump destination; does nothing.
pub fn jumpdest<H: Host>(_: &mut Interpreter, _: &mut H) {}

/// JUMPDEST in the untraced run loop: enters the basic block it starts
/// ([`Interpreter::enter_block_at`]).
pub fn jumpdest_enter_block<H: Host>(i: &mut Interpreter, _: &mut H, pc: usize) -> usize {
    i.enter_block_at(pc - 1);
    pc
}

/// PC: the address of this instruction.
pub fn pc<H: Host>(i: &mut Interpreter, _: &mut H, pc: usize) -> usize {
    push!(i, U256::from(pc - 1));
    pc
}

/// GAS: gas left after this instruction.
pub fn gas<H: Host>(i: &mut Interpreter, _: &mut H) {
    push!(i, U256::from(i.gas.remaining));
}

/// GAS in the untraced run loop: then enters the next basic block
/// ([`Interpreter::fall_into_block`]).
pub fn gas_then_enter_block<H: Host>(i: &mut Interpreter, h: &mut H, pc: usize) -> usize {
    gas(i, h);
    i.fall_into_block(pc);
    pc
}

/// POP: drops the top item.
pub fn pop<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop!(i, _x);
}

/// PUSH0 (EIP-3855): pushes zero.
pub fn push0<H: Host>(i: &mut Interpreter, _: &mut H) {
    push!(i, U256::ZERO);
}

/// PUSH1–PUSH32: pushes the next `N` code bytes as a big-endian word (zeros past the end) and
/// continues after them.
pub fn push<const N: usize, H: Host>(i: &mut Interpreter, _: &mut H, pc: usize) -> usize {
    let start = pc;
    // SAFETY: a PUSH runs from inside the code (the padding is all STOP), so its data ends at
    // most 32 bytes past the code, inside the 33 bytes of padding.
    let data = unsafe { i.code.padded().get_unchecked(start..start + N) };
    let value = if N <= 8 {
        // PUSH1..PUSH8, the common ones: one limb.
        let mut low = [0u8; 8];
        low[8 - N.min(8)..].copy_from_slice(&data[..N.min(8)]);
        U256::from_limbs([u64::from_be_bytes(low), 0, 0, 0])
    } else {
        let mut word = [0u8; 32];
        word[32 - N..].copy_from_slice(data);
        U256::from_be_bytes(word)
    };
    push!(i, value);
    pc + N
}

/// DUP1–DUP16: duplicates the `N`-th item.
pub fn dup<const N: usize, H: Host>(i: &mut Interpreter, _: &mut H) {
    // SAFETY: the run loop checked N items and room for one more (STACK_IO).
    unsafe { i.stack.dup(N) };
}

/// SWAP1–SWAP16: swaps the top with the `(N+1)`-th item.
pub fn swap<const N: usize, H: Host>(i: &mut Interpreter, _: &mut H) {
    // SAFETY: the run loop checked N + 1 items (STACK_IO).
    unsafe { i.stack.swap(N) };
}

fn finish(i: &mut Interpreter, result: InstructionResult) {
    pop!(i, offset, len);
    let (offset, len) = memory_range!(i, offset, len);
    i.output = i.memory.slice(offset, len).to_vec().into();
    i.result = result;
}

/// RETURN: ends the frame successfully with memory `[offset, offset+len)` as output.
pub fn ret<H: Host>(i: &mut Interpreter, _: &mut H) {
    finish(i, InstructionResult::Return);
}

/// REVERT (EIP-140): ends the frame, undoing its state changes, returning unused gas and
/// memory `[offset, offset+len)` as revert data.
pub fn revert<H: Host>(i: &mut Interpreter, _: &mut H) {
    finish(i, InstructionResult::Revert);
}
