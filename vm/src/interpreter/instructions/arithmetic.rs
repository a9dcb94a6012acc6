//! Arithmetic: 0x01–0x0b (Yellow Paper appendix H.2, "Stop and Arithmetic Operations").

use alloy_primitives::U256;

use crate::gas;
use crate::interpreter::{Host, Interpreter};

use super::bitwise::{i256_abs, i256_is_negative};

/// ADD: `a + b mod 2²⁵⁶`.
pub fn add<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop_top!(i, a; b);
    *b = a.wrapping_add(*b);
}

/// MUL: `a · b mod 2²⁵⁶`.
pub fn mul<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop_top!(i, a; b);
    *b = a.wrapping_mul(*b);
}

/// SUB: `a − b mod 2²⁵⁶`.
pub fn sub<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop_top!(i, a; b);
    *b = a.wrapping_sub(*b);
}

/// DIV: `a / b`, zero when `b` is zero.
pub fn div<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop_top!(i, a; b);
    *b = a.checked_div(*b).unwrap_or_default();
}

/// SDIV: signed division rounding toward zero; zero when `b` is zero; −2²⁵⁵ / −1 = −2²⁵⁵.
pub fn sdiv<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop_top!(i, a; b);
    *b = signed_div(a, *b);
}

/// MOD: `a mod b`, zero when `b` is zero.
pub fn rem<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop_top!(i, a; b);
    *b = a.checked_rem(*b).unwrap_or_default();
}

/// SMOD: signed remainder taking the sign of `a`; zero when `b` is zero.
pub fn smod<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop_top!(i, a; b);
    *b = signed_rem(a, *b);
}

/// ADDMOD: `(a + b) mod n` without intermediate overflow; zero when `n` is zero.
pub fn addmod<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop_top!(i, a, b; n);
    *n = a.add_mod(b, *n);
}

/// MULMOD: `(a · b) mod n` without intermediate overflow; zero when `n` is zero.
pub fn mulmod<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop_top!(i, a, b; n);
    *n = a.mul_mod(b, *n);
}

/// EXP: `a ^ e mod 2²⁵⁶`; 50 gas per byte of `e` (EIP-160).
pub fn exp<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop_top!(i, a; e);
    gas!(i, gas::exp_cost(*e));
    *e = a.wrapping_pow(*e);
}

/// SIGNEXTEND: extends the sign of the `(b+1)`-th lowest byte of `x`.
pub fn signextend<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop_top!(i, b; x);
    if b < U256::from(31) {
        let bit = b.to::<usize>() * 8 + 7;
        let mask = (U256::from(1) << bit) - U256::from(1);
        *x = if x.bit(bit) { *x | !mask } else { *x & mask };
    }
}

/// Two's-complement signed division (Yellow Paper SDIV).
pub fn signed_div(a: U256, b: U256) -> U256 {
    if b.is_zero() {
        return U256::ZERO;
    }
    let q = i256_abs(a) / i256_abs(b);
    if i256_is_negative(a) != i256_is_negative(b) {
        q.wrapping_neg()
    } else {
        q
    }
}

/// Two's-complement signed remainder (Yellow Paper SMOD).
pub fn signed_rem(a: U256, b: U256) -> U256 {
    if b.is_zero() {
        return U256::ZERO;
    }
    let r = i256_abs(a) % i256_abs(b);
    if i256_is_negative(a) {
        r.wrapping_neg()
    } else {
        r
    }
}
