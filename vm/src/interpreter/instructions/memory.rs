//! Memory instructions: MLOAD, MSTORE, MSTORE8, MSIZE, MCOPY (Yellow Paper appendix H.2;
//! EIP-5656).

use alloy_primitives::U256;

use crate::gas;
use crate::interpreter::{Host, Interpreter};

/// MLOAD: the word at memory `offset`.
pub fn mload<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop_top!(i, ; top);
    let offset = memory_at!(i, *top, 32);
    *top = U256::from_be_bytes(i.memory.word(offset));
}

/// MSTORE: writes a word at memory `offset`.
pub fn mstore<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop!(i, offset, value);
    let offset = memory_at!(i, offset, 32);
    i.memory.set(offset, &value.to_be_bytes::<32>());
}

/// MSTORE8: writes the low byte of a word at memory `offset`.
pub fn mstore8<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop!(i, offset, value);
    let offset = memory_at!(i, offset, 1);
    i.memory.set(offset, &[value.byte(0)]);
}

/// MSIZE: memory size in bytes (a multiple of 32).
pub fn msize<H: Host>(i: &mut Interpreter, _: &mut H) {
    push!(i, U256::from(i.memory.len()));
}

/// MCOPY (EIP-5656): copies `len` bytes from `src` to `dst`; 3 gas per word plus expansion
/// over both ranges.
pub fn mcopy<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop!(i, dst, src, len);
    let Some((_, n)) = super::to_range(U256::ZERO, len) else {
        i.halt(crate::result::HaltReason::OutOfGas);
        return;
    };
    gas!(i, gas::copy_cost(n));
    if n == 0 {
        return;
    }
    let (src, _) = memory_range!(i, src, len);
    let (dst, _) = memory_range!(i, dst, len);
    i.memory.copy_within(dst, src, n);
}
