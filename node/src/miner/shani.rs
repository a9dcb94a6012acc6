//! SHA-NI kernel: the x86 SHA extensions (`sha256rnds2`, `sha256msg1`, `sha256msg2`), two
//! nonces in flight so one stream's round latency hides behind the other's.
//!
//! The first compression starts from the template's state after eight rounds (the seal-hash
//! rounds; SHA-NI works in pairs, so rounds 8..63 remain), the second from `IV`.
//! Register layout as in Intel's SHA extensions white paper (Gulley et al., 2013): the state
//! travels as `ABEF` and `CDGH`, a message group as four words with W[4g] in dword 0.

use std::arch::x86_64::*;

use super::sha256::{PowTemplate, IV, K};

/// One round group of four: `msg` holds W[4g..4g+4] + K[4g..4g+4].
macro_rules! rounds4 {
    ($abef:ident, $cdgh:ident, $msg:expr) => {{
        let msg = $msg;
        $cdgh = _mm_sha256rnds2_epu32($cdgh, $abef, msg);
        $abef = _mm_sha256rnds2_epu32($abef, $cdgh, _mm_shuffle_epi32::<0x0E>(msg));
    }};
}

/// W[4g..4g+4] from the previous four groups (FIPS 180-4 §6.2.2 step 1, four at a time).
#[inline(always)]
unsafe fn schedule(w4: __m128i, w3: __m128i, w2: __m128i, w1: __m128i) -> __m128i {
    // w4 = W_{g−4}, w3 = W_{g−3}, w2 = W_{g−2}, w1 = W_{g−1}.
    let t = _mm_add_epi32(_mm_sha256msg1_epu32(w4, w3), _mm_alignr_epi8::<4>(w1, w2));
    _mm_sha256msg2_epu32(t, w1)
}

/// Packs a state `[a..h]` into (ABEF, CDGH).
#[inline(always)]
unsafe fn pack(s: &[u32; 8]) -> (__m128i, __m128i) {
    let abef = _mm_set_epi32(s[0] as i32, s[1] as i32, s[4] as i32, s[5] as i32);
    let cdgh = _mm_set_epi32(s[2] as i32, s[3] as i32, s[6] as i32, s[7] as i32);
    (abef, cdgh)
}

/// Unpacks (ABEF, CDGH) into the digest groups `[a, b, c, d]` and `[e, f, g, h]` (word i of
/// the group in dword i), the message layout of the next block.
#[inline(always)]
unsafe fn unpack(abef: __m128i, cdgh: __m128i) -> (__m128i, __m128i) {
    // In dword order 0..3, `abef` is F, E, B, A and `cdgh` is H, G, D, C; reversing gives
    // A, B, E, F and C, D, G, H, whose low and high halves interleave into the groups.
    let abef_rev = _mm_shuffle_epi32::<0x1B>(abef);
    let cdgh_rev = _mm_shuffle_epi32::<0x1B>(cdgh);
    (_mm_unpacklo_epi64(abef_rev, cdgh_rev), _mm_unpackhi_epi64(abef_rev, cdgh_rev))
}

#[inline(always)]
unsafe fn k(group: usize) -> __m128i {
    _mm_loadu_si128(K.as_ptr().add(4 * group) as *const __m128i)
}

/// Hashes nonces `lo` and `lo + 1` of `tpl` and returns a two-bit candidate mask (bit i: the
/// top hash word of nonce `lo + i` is at most the target's top word).
///
/// # Safety
/// The CPU must support SHA, SSE4.1 and SSSE3.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
pub unsafe fn search_shani(tpl: &PowTemplate, lo: u32) -> u32 {
    let w = &tpl.w_first;
    let m0 = _mm_set_epi32(w[3] as i32, w[2] as i32, w[1] as i32, w[0] as i32);
    let m1 = _mm_set_epi32(w[7] as i32, w[6] as i32, w[5] as i32, w[4] as i32);
    let m3 = _mm_set_epi32(w[15] as i32, w[14] as i32, w[13] as i32, w[12] as i32);
    let m2a = _mm_set_epi32(w[11] as i32, w[10] as i32, lo as i32, w[8] as i32);
    let m2b = _mm_set_epi32(w[11] as i32, w[10] as i32, lo.wrapping_add(1) as i32, w[8] as i32);

    // Rounds 0..7 read only the seal hash: run them once for both streams.
    let (iv_abef, iv_cdgh) = pack(&IV);
    let (mut abef, mut cdgh) = (iv_abef, iv_cdgh);
    rounds4!(abef, cdgh, _mm_add_epi32(m0, k(0)));
    rounds4!(abef, cdgh, _mm_add_epi32(m1, k(1)));
    let (mut a_abef, mut a_cdgh, mut b_abef, mut b_cdgh) = (abef, cdgh, abef, cdgh);

    // Groups 2..15 for both streams.
    let (mut a4, mut a3, mut a2, mut a1) = (m0, m1, m2a, m3);
    let (mut b4, mut b3, mut b2, mut b1) = (m0, m1, m2b, m3);
    rounds4!(a_abef, a_cdgh, _mm_add_epi32(m2a, k(2)));
    rounds4!(b_abef, b_cdgh, _mm_add_epi32(m2b, k(2)));
    rounds4!(a_abef, a_cdgh, _mm_add_epi32(m3, k(3)));
    rounds4!(b_abef, b_cdgh, _mm_add_epi32(m3, k(3)));
    for g in 4..16 {
        let wa = schedule(a4, a3, a2, a1);
        let wb = schedule(b4, b3, b2, b1);
        rounds4!(a_abef, a_cdgh, _mm_add_epi32(wa, k(g)));
        rounds4!(b_abef, b_cdgh, _mm_add_epi32(wb, k(g)));
        (a4, a3, a2, a1) = (a3, a2, a1, wa);
        (b4, b3, b2, b1) = (b3, b2, b1, wb);
    }
    let a_abef = _mm_add_epi32(a_abef, iv_abef);
    let a_cdgh = _mm_add_epi32(a_cdgh, iv_cdgh);
    let b_abef = _mm_add_epi32(b_abef, iv_abef);
    let b_cdgh = _mm_add_epi32(b_cdgh, iv_cdgh);

    // Second compression over each inner digest.
    let (a0, a1m) = unpack(a_abef, a_cdgh);
    let (b0, b1m) = unpack(b_abef, b_cdgh);
    let pad = _mm_set_epi32(0, 0, 0, 0x8000_0000u32 as i32);
    let len = _mm_set_epi32(256, 0, 0, 0);
    let (mut a_abef, mut a_cdgh, mut b_abef, mut b_cdgh) = (iv_abef, iv_cdgh, iv_abef, iv_cdgh);
    rounds4!(a_abef, a_cdgh, _mm_add_epi32(a0, k(0)));
    rounds4!(b_abef, b_cdgh, _mm_add_epi32(b0, k(0)));
    rounds4!(a_abef, a_cdgh, _mm_add_epi32(a1m, k(1)));
    rounds4!(b_abef, b_cdgh, _mm_add_epi32(b1m, k(1)));
    let pad_k = _mm_add_epi32(pad, k(2));
    let len_k = _mm_add_epi32(len, k(3));
    rounds4!(a_abef, a_cdgh, pad_k);
    rounds4!(b_abef, b_cdgh, pad_k);
    rounds4!(a_abef, a_cdgh, len_k);
    rounds4!(b_abef, b_cdgh, len_k);
    let (mut a4, mut a3, mut a2, mut a1) = (a0, a1m, pad, len);
    let (mut b4, mut b3, mut b2, mut b1) = (b0, b1m, pad, len);
    for g in 4..16 {
        let wa = schedule(a4, a3, a2, a1);
        let wb = schedule(b4, b3, b2, b1);
        rounds4!(a_abef, a_cdgh, _mm_add_epi32(wa, k(g)));
        rounds4!(b_abef, b_cdgh, _mm_add_epi32(wb, k(g)));
        (a4, a3, a2, a1) = (a3, a2, a1, wa);
        (b4, b3, b2, b1) = (b3, b2, b1, wb);
    }
    // H0 = IV0 + A; A is dword 3 of ABEF.
    let top_a = IV[0].wrapping_add(_mm_extract_epi32::<3>(a_abef) as u32);
    let top_b = IV[0].wrapping_add(_mm_extract_epi32::<3>(b_abef) as u32);
    u32::from(top_a <= tpl.target[0]) | (u32::from(top_b <= tpl.target[0]) << 1)
}
