//! 0x09 BLAKE2F: the BLAKE2b compression function `F` (EIP-152), written from RFC 7693 §3.2
//! because no maintained crate exposes `F` with a caller-chosen round count.

use alloy_primitives::Bytes;

use super::{charge, PrecompileError, PrecompileOutput, PrecompileResult};

/// EIP-152 input length: rounds (4) ‖ h (64) ‖ m (128) ‖ t (16) ‖ f (1).
const INPUT_LEN: usize = 213;

/// BLAKE2b initialisation vector (RFC 7693 §2.6, the SHA-512 IV).
const IV: [u64; 8] = [
    0x6a09e667f3bcc908,
    0xbb67ae8584caa73b,
    0x3c6ef372fe94f82b,
    0xa54ff53a5f1d36f1,
    0x510e527fade682d1,
    0x9b05688c2b3e6c1f,
    0x1f83d9abfb41bd6b,
    0x5be0cd19137e2179,
];

/// Message word schedule (RFC 7693 §2.7); round `i` uses `SIGMA[i mod 10]`.
const SIGMA: [[usize; 16]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
    [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
    [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
    [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
    [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
    [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
    [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
    [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
    [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];

/// BLAKE2F: `rounds` gas. Input exactly 213 bytes: `rounds` (u32 big-endian), `h` (8 × u64
/// little-endian), `m` (16 × u64 LE), `t` (2 × u64 LE), `f` (0 or 1); output the new `h` as 64
/// bytes LE. Another length or another `f` is an error.
pub(super) fn blake2f(input: &[u8], gas_limit: u64) -> PrecompileResult {
    if input.len() != INPUT_LEN {
        return Err(PrecompileError::InvalidInput(format!(
            "blake2f input must be 213 bytes, got {}",
            input.len()
        )));
    }
    let rounds = u32::from_be_bytes([input[0], input[1], input[2], input[3]]);
    let gas_used = charge(u64::from(rounds), gas_limit)?;
    let last = match input[212] {
        0 => false,
        1 => true,
        f => return Err(PrecompileError::InvalidInput(format!("blake2f final flag {f}"))),
    };
    let word = |i: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&input[i..i + 8]);
        u64::from_le_bytes(b)
    };
    let mut h: [u64; 8] = std::array::from_fn(|i| word(4 + 8 * i));
    let m: [u64; 16] = std::array::from_fn(|i| word(68 + 8 * i));
    let t = [word(196), word(204)];
    compress(rounds, &mut h, &m, t, last);

    let mut out = Vec::with_capacity(64);
    for w in h {
        out.extend_from_slice(&w.to_le_bytes());
    }
    Ok(PrecompileOutput { gas_used, output: Bytes::from(out) })
}

/// The compression function `F(h, m, t, f)` with `rounds` rounds (RFC 7693 §3.2).
fn compress(rounds: u32, h: &mut [u64; 8], m: &[u64; 16], t: [u64; 2], last: bool) {
    let mut v = [0u64; 16];
    v[..8].copy_from_slice(h);
    v[8..].copy_from_slice(&IV);
    v[12] ^= t[0];
    v[13] ^= t[1];
    if last {
        v[14] = !v[14];
    }
    for i in 0..rounds as usize {
        let s = &SIGMA[i % 10];
        mix(&mut v, 0, 4, 8, 12, m[s[0]], m[s[1]]);
        mix(&mut v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
        mix(&mut v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
        mix(&mut v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
        mix(&mut v, 0, 5, 10, 15, m[s[8]], m[s[9]]);
        mix(&mut v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
        mix(&mut v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
        mix(&mut v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
    }
    for i in 0..8 {
        h[i] ^= v[i] ^ v[i + 8];
    }
}

/// The mixing function `G` (RFC 7693 §3.1) with rotations 32, 24, 16, 63.
fn mix(v: &mut [u64; 16], a: usize, b: usize, c: usize, d: usize, x: u64, y: u64) {
    v[a] = v[a].wrapping_add(v[b]).wrapping_add(x);
    v[d] = (v[d] ^ v[a]).rotate_right(32);
    v[c] = v[c].wrapping_add(v[d]);
    v[b] = (v[b] ^ v[c]).rotate_right(24);
    v[a] = v[a].wrapping_add(v[b]).wrapping_add(y);
    v[d] = (v[d] ^ v[a]).rotate_right(16);
    v[c] = v[c].wrapping_add(v[d]);
    v[b] = (v[b] ^ v[c]).rotate_right(63);
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::hex;

    /// EIP-152 test vectors 4, 5 and 8: `h` is the BLAKE2b-512 parameter block XOR IV, `m` is
    /// "abc", `t` = 3; `rounds` and `f` vary.
    fn vector(rounds: u32, f: u8) -> Vec<u8> {
        let mut input = rounds.to_be_bytes().to_vec();
        input.extend_from_slice(&hex!(
            "48c9bdf267e6096a3ba7ca8485ae67bb2bf894fe72f36e3cf1361d5f3af54fa5"
            "d182e6ad7f520e511f6c3e2b8c68059b6bbd41fbabd9831f79217e1319cde05b"
        ));
        let mut m = [0u8; 128];
        m[..3].copy_from_slice(b"abc");
        input.extend_from_slice(&m);
        let mut t = [0u8; 16];
        t[0] = 3;
        input.extend_from_slice(&t);
        input.push(f);
        input
    }

    #[test]
    fn eip152_vector_4_is_blake2b_of_abc() {
        let out = blake2f(&vector(12, 1), 12).unwrap();
        assert_eq!(out.gas_used, 12);
        assert_eq!(
            out.output.as_ref(),
            hex!(
                "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
                "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"
            )
        );
    }

    #[test]
    fn eip152_vector_5_non_final_block() {
        let out = blake2f(&vector(12, 0), 12).unwrap();
        assert_eq!(
            out.output.as_ref(),
            hex!(
                "75ab69d3190a562c51aef8d88f1c2775876944407270c42c9844252c26d28752"
                "98743e7f6d5ea2f2d3e8d226039cd31b4e426ac4f2d3d666a610c2116fde4735"
            )
        );
    }

    #[test]
    fn eip152_vector_8_zero_rounds_costs_nothing() {
        let out = blake2f(&vector(0, 1), 0).unwrap();
        assert_eq!(out.gas_used, 0);
        assert_eq!(
            out.output.as_ref(),
            hex!(
                "08c9bcf367e6096a3ba7ca8485ae67bb2bf894fe72f36e3cf1361d5f3af54fa5"
                "d282e6ad7f520e511f6c3e2b8c68059b9442be0454267ce079217e1319cde05b"
            )
        );
    }

    #[test]
    fn eip152_vectors_0_to_2_wrong_length_or_flag_are_errors() {
        assert!(blake2f(&[], 100).is_err());
        assert!(blake2f(&vector(12, 1)[..212], 100).is_err());
        assert!(blake2f(&[vector(12, 1), vec![0]].concat(), 100).is_err());
        assert!(blake2f(&vector(12, 2), 100).is_err());
    }

    #[test]
    fn too_little_gas_for_the_rounds_is_out_of_gas() {
        assert_eq!(
            blake2f(&vector(12, 1), 11),
            Err(PrecompileError::OutOfGas { needed: 12, limit: 11 })
        );
    }
}
