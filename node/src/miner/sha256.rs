//! SHA-256 (FIPS 180-4) specialised for Quarry's proof of work.
//!
//! The PoW input is one 64-byte block: `seal_hash (8 words) ‖ nonce_hi ‖ nonce_lo ‖ padding`,
//! with the padding constant (`0x80000000`, zeros, bit length 320). So per template, the
//! first eight rounds (they read only the seal hash) and the nonce-independent parts of the
//! message schedule are computed once ([`PowTemplate`]); per nonce only the rest runs. The
//! second SHA-256 hashes a 32-byte digest whose padding is constant too. Kernels that search
//! many nonces at once are written once over [`Lanes`] (one `u32`, eight AVX2 words or sixteen
//! AVX-512 words) and checked against the scalar reference [`pow_hash_words`].

use alloy_primitives::{B256, U256};

/// SHA-256 round constants `K` (FIPS 180-4 §4.2.2).
pub const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// SHA-256 initial hash value `H(0)` (FIPS 180-4 §5.3.3).
pub const IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// Padding word after a 40-byte message (`0x80` then zeros) and its bit length.
const FIRST_PAD: u32 = 0x8000_0000;
const FIRST_LEN_BITS: u32 = 40 * 8;
/// Bit length of the 32-byte inner digest, the second hash's message.
const SECOND_LEN_BITS: u32 = 32 * 8;

fn small_sigma0(x: u32) -> u32 {
    x.rotate_right(7) ^ x.rotate_right(18) ^ (x >> 3)
}

fn small_sigma1(x: u32) -> u32 {
    x.rotate_right(17) ^ x.rotate_right(19) ^ (x >> 10)
}

/// The SHA-256 compression function on one block of sixteen big-endian words (FIPS 180-4
/// §6.2.2), scalar. The reference the fast kernels are tested against.
pub fn compress(state: &mut [u32; 8], block: &[u32; 16]) {
    let mut w = [0u32; 64];
    w[..16].copy_from_slice(block);
    for t in 16..64 {
        w[t] = small_sigma1(w[t - 2])
            .wrapping_add(w[t - 7])
            .wrapping_add(small_sigma0(w[t - 15]))
            .wrapping_add(w[t - 16]);
    }
    let mut s = *state;
    for t in 0..64 {
        round_scalar(&mut s, K[t].wrapping_add(w[t]));
    }
    for (h, v) in state.iter_mut().zip(s) {
        *h = h.wrapping_add(v);
    }
}

fn round_scalar(s: &mut [u32; 8], k_plus_w: u32) {
    let [a, b, c, d, e, f, g, h] = *s;
    let big_sigma1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
    let ch = (e & f) ^ (!e & g);
    let t1 = h.wrapping_add(big_sigma1).wrapping_add(ch).wrapping_add(k_plus_w);
    let big_sigma0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
    let maj = (a & b) ^ (a & c) ^ (b & c);
    *s = [t1.wrapping_add(big_sigma0).wrapping_add(maj), a, b, c, d.wrapping_add(t1), e, f, g];
}

/// The seal hash as eight big-endian words.
pub fn seal_words(seal_hash: &B256) -> [u32; 8] {
    std::array::from_fn(|i| u32::from_be_bytes(seal_hash[4 * i..4 * i + 4].try_into().unwrap()))
}

/// `pow_hash` as eight big-endian words, by the plain two-compression route (the reference):
/// SHA-256(SHA-256(seal_hash ‖ nonce_be64)).
pub fn pow_hash_words(seal: &[u32; 8], nonce: u64) -> [u32; 8] {
    let mut block = [0u32; 16];
    block[..8].copy_from_slice(seal);
    block[8] = (nonce >> 32) as u32;
    block[9] = nonce as u32;
    block[10] = FIRST_PAD;
    block[15] = FIRST_LEN_BITS;
    let mut inner = IV;
    compress(&mut inner, &block);
    let mut block = [0u32; 16];
    block[..8].copy_from_slice(&inner);
    block[8] = FIRST_PAD;
    block[15] = SECOND_LEN_BITS;
    let mut outer = IV;
    compress(&mut outer, &block);
    outer
}

/// `true` when the hash words, read as a big-endian 256-bit integer, are at most `target`.
pub fn words_meet_target(words: &[u32; 8], target: &[u32; 8]) -> bool {
    for (h, t) in words.iter().zip(target) {
        if h != t {
            return h < t;
        }
    }
    true
}

/// A 256-bit target as eight big-endian words.
pub fn target_words(target: U256) -> [u32; 8] {
    let bytes = target.to_be_bytes::<32>();
    std::array::from_fn(|i| u32::from_be_bytes(bytes[4 * i..4 * i + 4].try_into().unwrap()))
}

/// Which words of the first block's message schedule depend on the low nonce word W9:
/// W9 itself and every W_t (t ≥ 16) with a variable input, except W17, W19 and W21.
pub const FIRST_VARIABLE: [bool; 64] = {
    let mut v = [false; 64];
    v[9] = true;
    let mut t = 16;
    while t < 64 {
        v[t] = v[t - 2] || v[t - 7] || v[t - 15] || v[t - 16];
        t += 1;
    }
    v
};

/// Everything about one template and one high nonce word that does not depend on the low
/// nonce word: the state after the first nine rounds and the schedule's constant parts.
#[derive(Clone, Debug)]
pub struct PowTemplate {
    /// The seal hash words (W0..W7 of the first block).
    pub seal: [u32; 8],
    /// High 32 bits of the nonce (W8), fixed for this template.
    pub nonce_hi: u32,
    /// The state after rounds 0..=8 of the first compression.
    pub state9: [u32; 8],
    /// The first block's words W0..W15 with W9 (the low nonce word) left zero.
    pub w_first: [u32; 16],
    /// For t in 16..64: the sum of the schedule terms of W_t that do not depend on W9
    /// (see [`FIRST_VARIABLE`]); W_t itself when it is fully constant.
    pub w_const: [u32; 64],
    /// The target as big-endian words; `target[0]` is the early-out word.
    pub target: [u32; 8],
}

impl PowTemplate {
    /// Precomputes a template for `seal_hash`, nonces `(nonce_hi << 32) | lo`, and `target`.
    pub fn new(seal_hash: &B256, nonce_hi: u32, target: U256) -> Self {
        let seal = seal_words(seal_hash);
        let mut w_first = [0u32; 16];
        w_first[..8].copy_from_slice(&seal);
        w_first[8] = nonce_hi;
        w_first[10] = FIRST_PAD;
        w_first[15] = FIRST_LEN_BITS;
        let mut state9 = IV;
        for t in 0..9 {
            round_scalar(&mut state9, K[t].wrapping_add(w_first[t]));
        }
        let mut w_const = [0u32; 64];
        w_const[..16].copy_from_slice(&w_first);
        for t in 16..64 {
            let mut sum = 0u32;
            if !FIRST_VARIABLE[t - 2] {
                sum = sum.wrapping_add(small_sigma1(w_const[t - 2]));
            }
            if !FIRST_VARIABLE[t - 7] {
                sum = sum.wrapping_add(w_const[t - 7]);
            }
            if !FIRST_VARIABLE[t - 15] {
                sum = sum.wrapping_add(small_sigma0(w_const[t - 15]));
            }
            if !FIRST_VARIABLE[t - 16] {
                sum = sum.wrapping_add(w_const[t - 16]);
            }
            w_const[t] = sum;
        }
        PowTemplate { seal, nonce_hi, state9, w_first, w_const, target: target_words(target) }
    }

    /// Full check of one nonce with the scalar reference.
    pub fn check(&self, nonce_lo: u32) -> bool {
        let nonce = (u64::from(self.nonce_hi) << 32) | u64::from(nonce_lo);
        words_meet_target(&pow_hash_words(&self.seal, nonce), &self.target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_compression_matches_sha2_on_the_pow_input() {
        let seal = B256::repeat_byte(0x5a);
        for nonce in [0u64, 1, 0xdead_beef_0000_0001, u64::MAX] {
            let words = pow_hash_words(&seal_words(&seal), nonce);
            let expected = quarry_primitives::header::pow_hash(&seal, nonce);
            let mut bytes = [0u8; 32];
            for (i, w) in words.iter().enumerate() {
                bytes[4 * i..4 * i + 4].copy_from_slice(&w.to_be_bytes());
            }
            assert_eq!(B256::from(bytes), expected, "nonce {nonce:#x}");
        }
    }

    #[test]
    fn only_w17_w19_and_w21_of_the_schedule_escape_the_nonce() {
        let constant: Vec<usize> = (16..64).filter(|&t| !FIRST_VARIABLE[t]).collect();
        assert_eq!(constant, vec![17, 19, 21]);
    }

    #[test]
    fn targets_compare_as_big_endian_integers() {
        let t = target_words(U256::from(0x1_0000_0000u64));
        assert!(words_meet_target(&target_words(U256::from(0xffff_ffffu64)), &t));
        assert!(words_meet_target(&t, &t));
        assert!(!words_meet_target(&target_words(U256::from(0x1_0000_0001u64)), &t));
    }
}
