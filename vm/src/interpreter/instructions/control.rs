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

#[inline]
fn jump_to(i: &mut Interpreter, dest: U256) {
    match dest.as_limbs() {
        [d, 0, 0, 0] if i.code.is_jumpdest(*d as usize) => i.pc = *d as usize,
        _ => i.halt(HaltReason::InvalidJump),
    }
}

/// JUMP: continues at a JUMPDEST.
pub fn jump<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop!(i, dest);
    jump_to(i, dest);
}

/// JUMPI: continues at a JUMPDEST if the condition is non-zero.
pub fn jumpi<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop!(i, dest, cond);
    if !cond.is_zero() {
        jump_to(i, dest);
    }
}

/// JUMPI in the untraced run loop: then enters the basic block it fell into, if it did not
/// jump ([`Interpreter::enter_block_at_pc`]).
pub fn jumpi_then_enter_block<H: Host>(i: &mut Interpreter, h: &mut H) {
    jumpi(i, h);
    i.enter_block_at_pc();
}

/// JUMPDEST: marks a jump destination; does nothing.
pub fn jumpdest<H: Host>(_: &mut Interpreter, _: &mut H) {}

/// JUMPDEST in the untraced run loop: enters the basic block it starts
/// ([`Interpreter::enter_block_at`]).
pub fn jumpdest_enter_block<H: Host>(i: &mut Interpreter, _: &mut H) {
    i.enter_block_at(i.pc - 1);
}

/// PC: the address of this instruction.
pub fn pc<H: Host>(i: &mut Interpreter, _: &mut H) {
    push!(i, U256::from(i.pc - 1));
}

/// GAS: gas left after this instruction.
pub fn gas<H: Host>(i: &mut Interpreter, _: &mut H) {
    push!(i, U256::from(i.gas.remaining));
}

/// GAS in the untraced run loop: then enters the next basic block
/// ([`Interpreter::enter_block_at_pc`]).
pub fn gas_then_enter_block<H: Host>(i: &mut Interpreter, h: &mut H) {
    gas(i, h);
    i.enter_block_at_pc();
}

/// POP: drops the top item.
pub fn pop<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop!(i, _x);
}

/// PUSH0 (EIP-3855): pushes zero.
pub fn push0<H: Host>(i: &mut Interpreter, _: &mut H) {
    push!(i, U256::ZERO);
}

/// PUSH1–PUSH32: pushes the next `N` code bytes as a big-endian word (zeros past the end).
pub fn push<const N: usize, H: Host>(i: &mut Interpreter, _: &mut H) {
    let start = i.pc;
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
    i.pc += N;
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
