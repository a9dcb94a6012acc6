//! x86-64 instances of [`Lanes`]: AVX2 (8 lanes of `__m256i`) and AVX-512 (16 lanes of
//! `__m512i`, with `vprold` rotates and `vpternlogd` for the three-input functions).
//!
//! The entry points are `#[target_feature]` functions; callers check the CPU first
//! ([`super::Kernel::available`]).

use std::arch::x86_64::*;

use super::lanes::{search, Lanes, Pair};
use super::sha256::PowTemplate;

#[derive(Clone, Copy)]
#[repr(transparent)]
struct Avx2(__m256i);

impl Lanes for Avx2 {
    const N: usize = 8;
    #[inline(always)]
    fn splat(x: u32) -> Self {
        unsafe { Avx2(_mm256_set1_epi32(x as i32)) }
    }
    #[inline(always)]
    fn counting_from(start: u32) -> Self {
        unsafe {
            Avx2(_mm256_add_epi32(
                _mm256_set1_epi32(start as i32),
                _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
            ))
        }
    }
    #[inline(always)]
    fn add(self, other: Self) -> Self {
        unsafe { Avx2(_mm256_add_epi32(self.0, other.0)) }
    }
    #[inline(always)]
    fn xor3(a: Self, b: Self, c: Self) -> Self {
        unsafe { Avx2(_mm256_xor_si256(_mm256_xor_si256(a.0, b.0), c.0)) }
    }
    #[inline(always)]
    fn rotr<const R: u32>(self) -> Self {
        // Shift counts in a register; with R constant LLVM emits immediate shifts.
        unsafe {
            let right = _mm256_srl_epi32(self.0, _mm_cvtsi32_si128(R as i32));
            let left = _mm256_sll_epi32(self.0, _mm_cvtsi32_si128((32 - R) as i32));
            Avx2(_mm256_or_si256(right, left))
        }
    }
    #[inline(always)]
    fn shr<const R: u32>(self) -> Self {
        unsafe { Avx2(_mm256_srl_epi32(self.0, _mm_cvtsi32_si128(R as i32))) }
    }
    #[inline(always)]
    fn ch(e: Self, f: Self, g: Self) -> Self {
        // g ^ (e & (f ^ g))
        unsafe { Avx2(_mm256_xor_si256(g.0, _mm256_and_si256(e.0, _mm256_xor_si256(f.0, g.0)))) }
    }
    #[inline(always)]
    fn maj(a: Self, b: Self, c: Self) -> Self {
        // (a & b) | (c & (a | b))
        unsafe {
            Avx2(_mm256_or_si256(
                _mm256_and_si256(a.0, b.0),
                _mm256_and_si256(c.0, _mm256_or_si256(a.0, b.0)),
            ))
        }
    }
    #[inline(always)]
    fn le_mask(self, bound: u32) -> u32 {
        // x ≤ bound ⇔ max(x, bound) == bound (unsigned).
        unsafe {
            let b = _mm256_set1_epi32(bound as i32);
            let eq = _mm256_cmpeq_epi32(_mm256_max_epu32(self.0, b), b);
            _mm256_movemask_ps(_mm256_castsi256_ps(eq)) as u32
        }
    }
}

#[derive(Clone, Copy)]
#[repr(transparent)]
struct Avx512(__m512i);

impl Lanes for Avx512 {
    const N: usize = 16;
    #[inline(always)]
    fn splat(x: u32) -> Self {
        unsafe { Avx512(_mm512_set1_epi32(x as i32)) }
    }
    #[inline(always)]
    fn counting_from(start: u32) -> Self {
        unsafe {
            Avx512(_mm512_add_epi32(
                _mm512_set1_epi32(start as i32),
                _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
            ))
        }
    }
    #[inline(always)]
    fn add(self, other: Self) -> Self {
        unsafe { Avx512(_mm512_add_epi32(self.0, other.0)) }
    }
    #[inline(always)]
    fn xor3(a: Self, b: Self, c: Self) -> Self {
        unsafe { Avx512(_mm512_ternarylogic_epi32::<0x96>(a.0, b.0, c.0)) }
    }
    #[inline(always)]
    fn rotr<const R: u32>(self) -> Self {
        // A variable rotate by a constant splat: LLVM emits `vprold` with an immediate.
        unsafe { Avx512(_mm512_rorv_epi32(self.0, _mm512_set1_epi32(R as i32))) }
    }
    #[inline(always)]
    fn shr<const R: u32>(self) -> Self {
        unsafe { Avx512(_mm512_srl_epi32(self.0, _mm_cvtsi32_si128(R as i32))) }
    }
    #[inline(always)]
    fn ch(e: Self, f: Self, g: Self) -> Self {
        // Truth table of (e ∧ f) ∨ (¬e ∧ g) over (e, f, g) = 0xCA.
        unsafe { Avx512(_mm512_ternarylogic_epi32::<0xCA>(e.0, f.0, g.0)) }
    }
    #[inline(always)]
    fn maj(a: Self, b: Self, c: Self) -> Self {
        // Majority of three = 0xE8.
        unsafe { Avx512(_mm512_ternarylogic_epi32::<0xE8>(a.0, b.0, c.0)) }
    }
    #[inline(always)]
    fn le_mask(self, bound: u32) -> u32 {
        unsafe { u32::from(_mm512_cmple_epu32_mask(self.0, _mm512_set1_epi32(bound as i32))) }
    }
}

/// AVX2 search of 8 nonces from `lo_start`; returns the candidate mask.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub unsafe fn search_avx2(tpl: &PowTemplate, lo_start: u32) -> u32 {
    search::<Avx2>(tpl, lo_start)
}

/// AVX-512 search of 16 nonces from `lo_start`; returns the candidate mask.
///
/// # Safety
/// The CPU must support AVX-512F.
#[target_feature(enable = "avx512f")]
pub unsafe fn search_avx512(tpl: &PowTemplate, lo_start: u32) -> u32 {
    search::<Avx512>(tpl, lo_start)
}

/// AVX-512 search of 32 nonces from `lo_start` as two interleaved vectors; returns the
/// candidate mask.
///
/// # Safety
/// The CPU must support AVX-512F.
#[target_feature(enable = "avx512f")]
pub unsafe fn search_avx512x2(tpl: &PowTemplate, lo_start: u32) -> u32 {
    search::<Pair<Avx512>>(tpl, lo_start)
}

/// AVX2 search of 16 nonces from `lo_start` as two interleaved vectors.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub unsafe fn search_avx2x2(tpl: &PowTemplate, lo_start: u32) -> u32 {
    search::<Pair<Avx2>>(tpl, lo_start)
}
