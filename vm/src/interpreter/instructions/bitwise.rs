//! Comparison and bitwise logic: 0x10–0x1d (Yellow Paper appendix H.2; EIP-145 shifts).

use std::cmp::Ordering;

use alloy_primitives::U256;

use crate::interpreter::{Host, Interpreter};

/// `true` if the word is negative as a two's-complement signed integer.
pub fn i256_is_negative(x: U256) -> bool {
    x.bit(255)
}

/// Absolute value of a two's-complement word (−2²⁵⁵ maps to 2²⁵⁵).
pub fn i256_abs(x: U256) -> U256 {
    if i256_is_negative(x) {
        x.wrapping_neg()
    } else {
        x
    }
}

/// Signed comparison of two's-complement words.
pub fn i256_cmp(a: U256, b: U256) -> Ordering {
    match (i256_is_negative(a), i256_is_negative(b)) {
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        _ => a.cmp(&b),
    }
}

/// 1 or 0 as a word (built from limbs: ruint's generic `From` is not always inlined).
#[inline(always)]
fn flag(b: bool) -> U256 {
    U256::from_limbs([b as u64, 0, 0, 0])
}

/// LT: `a < b` unsigned.
pub fn lt<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop_top!(i, a; b);
    *b = flag(a < *b);
}

/// GT: `a > b` unsigned.
pub fn gt<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop_top!(i, a; b);
    *b = flag(a > *b);
}

/// SLT: `a < b` signed.
pub fn slt<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop_top!(i, a; b);
    *b = flag(i256_cmp(a, *b) == Ordering::Less);
}

/// SGT: `a > b` signed.
pub fn sgt<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop_top!(i, a; b);
    *b = flag(i256_cmp(a, *b) == Ordering::Greater);
}

/// EQ: `a == b`.
pub fn eq<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop_top!(i, a; b);
    *b = flag(a == *b);
}

/// ISZERO: `a == 0`.
pub fn iszero<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop_top!(i, ; a);
    *a = flag(a.is_zero());
}

/// AND: bitwise and.
pub fn and<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop_top!(i, a; b);
    *b &= a;
}

/// OR: bitwise or.
pub fn or<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop_top!(i, a; b);
    *b |= a;
}

/// XOR: bitwise exclusive or.
pub fn xor<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop_top!(i, a; b);
    *b ^= a;
}

/// NOT: bitwise complement.
pub fn not<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop_top!(i, ; a);
    *a = !*a;
}

/// BYTE: the `n`-th byte of `x`, counting from the most significant; zero for `n ≥ 32`.
pub fn byte<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop_top!(i, n; x);
    *x = if n < U256::from(32) { U256::from(x.byte(31 - n.to::<usize>())) } else { U256::ZERO };
}

/// SHL (EIP-145): `x << shift`, zero for shifts ≥ 256.
pub fn shl<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop_top!(i, shift; x);
    *x = if shift < U256::from(256) { *x << shift.to::<usize>() } else { U256::ZERO };
}

/// SHR (EIP-145): logical `x >> shift`, zero for shifts ≥ 256.
pub fn shr<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop_top!(i, shift; x);
    *x = if shift < U256::from(256) { *x >> shift.to::<usize>() } else { U256::ZERO };
}

/// SAR (EIP-145): arithmetic `x >> shift`, filling with the sign bit.
pub fn sar<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop_top!(i, shift; x);
    let negative = i256_is_negative(*x);
    *x = if shift < U256::from(256) {
        x.arithmetic_shr(shift.to::<usize>())
    } else if negative {
        U256::MAX
    } else {
        U256::ZERO
    };
}
