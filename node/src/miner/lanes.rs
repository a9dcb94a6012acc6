//! The nonce-search kernel, written once over [`Lanes`]: N independent 32-bit lanes, one nonce
//! per lane. `u32` is the portable one-lane instance; `x86` provides AVX2 (8 lanes) and
//! AVX-512 (16 lanes). Everything here is `#[inline(always)]` so that, inlined into a
//! `#[target_feature]` function, the intrinsics compile to straight vector code.

use seq_macro::seq;

use super::sha256::{PowTemplate, FIRST_VARIABLE, IV, K};

/// N lanes of 32-bit words with the operations SHA-256 needs.
pub trait Lanes: Copy {
    /// Number of lanes.
    const N: usize;
    /// Every lane `x`.
    fn splat(x: u32) -> Self;
    /// Lane i = `start + i` (the low nonce words of one batch).
    fn counting_from(start: u32) -> Self;
    /// Lane-wise wrapping addition.
    fn add(self, other: Self) -> Self;
    /// Lane-wise xor of three values.
    fn xor3(a: Self, b: Self, c: Self) -> Self;
    /// Lane-wise rotate right by `R` bits.
    fn rotr<const R: u32>(self) -> Self;
    /// Lane-wise logical shift right by `R` bits.
    fn shr<const R: u32>(self) -> Self;
    /// SHA-256 `Ch(e, f, g) = (e ∧ f) ⊕ (¬e ∧ g)`.
    fn ch(e: Self, f: Self, g: Self) -> Self;
    /// SHA-256 `Maj(a, b, c) = (a ∧ b) ⊕ (a ∧ c) ⊕ (b ∧ c)`.
    fn maj(a: Self, b: Self, c: Self) -> Self;
    /// Bit i set when lane i ≤ `bound` (unsigned).
    fn le_mask(self, bound: u32) -> u32;
}

impl Lanes for u32 {
    const N: usize = 1;
    #[inline(always)]
    fn splat(x: u32) -> Self {
        x
    }
    #[inline(always)]
    fn counting_from(start: u32) -> Self {
        start
    }
    #[inline(always)]
    fn add(self, other: Self) -> Self {
        self.wrapping_add(other)
    }
    #[inline(always)]
    fn xor3(a: Self, b: Self, c: Self) -> Self {
        a ^ b ^ c
    }
    #[inline(always)]
    fn rotr<const R: u32>(self) -> Self {
        self.rotate_right(R)
    }
    #[inline(always)]
    fn shr<const R: u32>(self) -> Self {
        self >> R
    }
    #[inline(always)]
    fn ch(e: Self, f: Self, g: Self) -> Self {
        g ^ (e & (f ^ g))
    }
    #[inline(always)]
    fn maj(a: Self, b: Self, c: Self) -> Self {
        (a & b) | (c & (a | b))
    }
    #[inline(always)]
    fn le_mask(self, bound: u32) -> u32 {
        u32::from(self <= bound)
    }
}

#[inline(always)]
fn small_sigma0<L: Lanes>(x: L) -> L {
    L::xor3(x.rotr::<7>(), x.rotr::<18>(), x.shr::<3>())
}

#[inline(always)]
fn small_sigma1<L: Lanes>(x: L) -> L {
    L::xor3(x.rotr::<17>(), x.rotr::<19>(), x.shr::<10>())
}

/// One round: `s` is (a, b, c, d, e, f, g, h); `kw` = K_t + W_t.
#[inline(always)]
fn round<L: Lanes>(s: &mut [L; 8], kw: L) {
    let [a, b, c, d, e, f, g, h] = *s;
    let big_sigma1 = L::xor3(e.rotr::<6>(), e.rotr::<11>(), e.rotr::<25>());
    let t1 = h.add(big_sigma1).add(L::ch(e, f, g)).add(kw);
    let big_sigma0 = L::xor3(a.rotr::<2>(), a.rotr::<13>(), a.rotr::<22>());
    let t2 = big_sigma0.add(L::maj(a, b, c));
    *s = [t1.add(t2), a, b, c, d.add(t1), e, f, g];
}

/// Second block's fixed words W8..W15: padding after a 32-byte message, bit length 256.
const SECOND_TAIL: [u32; 8] = [0x8000_0000, 0, 0, 0, 0, 0, 0, 256];

/// Hashes N nonces `(tpl.nonce_hi << 32) | (lo_start + i)` and returns a mask of the lanes
/// whose top hash word is at most the target's top word: candidates to confirm with
/// [`PowTemplate::check`]. Lanes past the end of the nonce space wrap; callers bound batches.
#[inline(always)]
// `seq!` pastes literal indices, so `t - 16` may read `16 - 16`, `t >= 8` `8 >= 8`, …
#[allow(clippy::eq_op, clippy::identity_op, clippy::erasing_op)]
pub fn search<L: Lanes>(tpl: &PowTemplate, lo_start: u32) -> u32 {
    // Every loop below is unrolled with a literal index (`seq!`), so the tests on
    // FIRST_VARIABLE and the constant second-block words fold away at compile time.
    // First compression, from the state after round 8; only W9 and what follows it vary.
    let mut w = [L::splat(0); 64];
    w[9] = L::counting_from(lo_start);
    seq!(t in 16..64 {
        if FIRST_VARIABLE[t] {
            let mut acc = L::splat(tpl.w_const[t]);
            if FIRST_VARIABLE[t - 2] {
                acc = acc.add(small_sigma1(w[t - 2]));
            }
            if FIRST_VARIABLE[t - 7] {
                acc = acc.add(w[t - 7]);
            }
            if FIRST_VARIABLE[t - 15] {
                acc = acc.add(small_sigma0(w[t - 15]));
            }
            if FIRST_VARIABLE[t - 16] {
                acc = acc.add(w[t - 16]);
            }
            w[t] = acc;
        }
    });
    let mut s = tpl.state9.map(L::splat);
    seq!(t in 9..64 {
        let kw = if FIRST_VARIABLE[t] {
            L::splat(K[t]).add(w[t])
        } else {
            L::splat(K[t].wrapping_add(tpl.w_const[t]))
        };
        round(&mut s, kw);
    });
    // Second compression over the inner digest.
    let mut w2 = [L::splat(0); 64];
    seq!(i in 0..8 {
        w2[i] = L::splat(IV[i]).add(s[i]);
    });
    seq!(i in 8..16 {
        w2[i] = L::splat(SECOND_TAIL[i - 8]);
    });
    seq!(t in 16..64 {
        w2[t] = small_sigma1(w2[t - 2])
            .add(w2[t - 7])
            .add(small_sigma0(w2[t - 15]))
            .add(w2[t - 16]);
    });
    let mut s = IV.map(L::splat);
    seq!(t in 0..8 {
        round(&mut s, L::splat(K[t]).add(w2[t]));
    });
    seq!(t in 8..16 {
        round(&mut s, L::splat(K[t].wrapping_add(SECOND_TAIL[t - 8])));
    });
    seq!(t in 16..64 {
        round(&mut s, L::splat(K[t]).add(w2[t]));
    });
    L::splat(IV[0]).add(s[0]).le_mask(tpl.target[0])
}

/// Two independent sets of lanes advanced together: the same instruction stream on twice the
/// nonces, so one set's dependency chain (a round's `a` and `e`) hides the other's latency.
#[derive(Clone, Copy)]
pub struct Pair<L>(L, L);

impl<L: Lanes> Lanes for Pair<L> {
    const N: usize = 2 * L::N;
    #[inline(always)]
    fn splat(x: u32) -> Self {
        Pair(L::splat(x), L::splat(x))
    }
    #[inline(always)]
    fn counting_from(start: u32) -> Self {
        Pair(L::counting_from(start), L::counting_from(start.wrapping_add(L::N as u32)))
    }
    #[inline(always)]
    fn add(self, other: Self) -> Self {
        Pair(self.0.add(other.0), self.1.add(other.1))
    }
    #[inline(always)]
    fn xor3(a: Self, b: Self, c: Self) -> Self {
        Pair(L::xor3(a.0, b.0, c.0), L::xor3(a.1, b.1, c.1))
    }
    #[inline(always)]
    fn rotr<const R: u32>(self) -> Self {
        Pair(self.0.rotr::<R>(), self.1.rotr::<R>())
    }
    #[inline(always)]
    fn shr<const R: u32>(self) -> Self {
        Pair(self.0.shr::<R>(), self.1.shr::<R>())
    }
    #[inline(always)]
    fn ch(e: Self, f: Self, g: Self) -> Self {
        Pair(L::ch(e.0, f.0, g.0), L::ch(e.1, f.1, g.1))
    }
    #[inline(always)]
    fn maj(a: Self, b: Self, c: Self) -> Self {
        Pair(L::maj(a.0, b.0, c.0), L::maj(a.1, b.1, c.1))
    }
    #[inline(always)]
    fn le_mask(self, bound: u32) -> u32 {
        self.0.le_mask(bound) | (self.1.le_mask(bound) << L::N)
    }
}
