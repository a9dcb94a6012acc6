//! Precompiled contracts 0x01–0x0a under Cancun rules (Yellow Paper Appendix E, EIPs 152, 196,
//! 197, 198, 1108, 2565).
//!
//! Each precompile is a pure function of its input and gas limit. The cryptography comes from
//! well-kept crates (`k256` through `quarry_primitives::crypto`, `sha2`, `ripemd`,
//! `aurora-engine-modexp`, `substrate-bn`); only the BLAKE2 `F` function is written here, because
//! no maintained crate exposes it and RFC 7693 §3.2 is its specification. 0x0a (KZG point
//! evaluation, EIP-4844) answers [`PrecompileError::Unsupported`].

mod blake2f;
mod bn254;
mod hashes;
mod modexp;

use alloy_primitives::{Address, Bytes};

/// What a successful precompile call returns: the gas it used and its output bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrecompileOutput {
    /// Gas consumed, ≤ the gas limit passed in.
    pub gas_used: u64,
    /// Returned bytes.
    pub output: Bytes,
}

/// Why a precompile call failed. A failed call consumes all the gas it was given.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PrecompileError {
    /// The call's gas limit is below the precompile's cost.
    #[error("out of gas: need {needed}, have {limit}")]
    OutOfGas {
        /// Gas the call would cost.
        needed: u64,
        /// Gas the caller provided.
        limit: u64,
    },
    /// The input is malformed for this precompile (names what was wrong).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The precompile exists but Quarry does not implement it (0x0a, KZG point evaluation).
    #[error("unsupported precompile {0}")]
    Unsupported(Address),
}

/// Result of one precompile: its output or why it failed.
pub type PrecompileResult = Result<PrecompileOutput, PrecompileError>;

/// `true` if `address` is a Cancun precompile (0x01..=0x0a).
pub fn is_precompile(address: Address) -> bool {
    let b = address.as_slice();
    b[..19].iter().all(|&x| x == 0) && (1..=0x0a).contains(&b[19])
}

/// Runs the precompile at `address` on `input` with `gas_limit`; `None` if `address` is not a
/// precompile.
///
/// # Errors
/// Inside the `Some`: [`PrecompileError::OutOfGas`] when `gas_limit` is below the cost,
/// [`PrecompileError::InvalidInput`] for malformed input (bn254 points off the curve, a blake2f
/// input that is not 213 bytes, …), [`PrecompileError::Unsupported`] for 0x0a.
pub fn run(
    address: Address,
    input: &[u8],
    gas_limit: u64,
) -> Option<Result<PrecompileOutput, PrecompileError>> {
    if !is_precompile(address) {
        return None;
    }
    Some(match address.as_slice()[19] {
        0x01 => hashes::ecrecover(input, gas_limit),
        0x02 => hashes::sha256(input, gas_limit),
        0x03 => hashes::ripemd160(input, gas_limit),
        0x04 => hashes::identity(input, gas_limit),
        0x05 => modexp::modexp(input, gas_limit),
        0x06 => bn254::add(input, gas_limit),
        0x07 => bn254::mul(input, gas_limit),
        0x08 => bn254::pairing(input, gas_limit),
        0x09 => blake2f::blake2f(input, gas_limit),
        _ => Err(PrecompileError::Unsupported(address)),
    })
}

/// Checks `cost` against `limit`.
fn charge(cost: u64, limit: u64) -> Result<u64, PrecompileError> {
    if cost > limit {
        Err(PrecompileError::OutOfGas { needed: cost, limit })
    } else {
        Ok(cost)
    }
}

/// `base + per_word × ⌈len / 32⌉`, saturating: the linear cost of the hash precompiles
/// (Yellow Paper Appendix E).
fn linear_cost(len: usize, base: u64, per_word: u64) -> u64 {
    (len as u64).div_ceil(32).saturating_mul(per_word).saturating_add(base)
}

/// `input[offset..offset + len]`, right-padded with zeros where `input` is shorter (how every
/// precompile reads past the end of its call data).
fn padded(input: &[u8], offset: usize, len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    if offset < input.len() {
        let end = input.len().min(offset.saturating_add(len));
        out[..end - offset].copy_from_slice(&input[offset..end]);
    }
    out
}

/// A fixed-size [`padded`] read.
fn padded_array<const N: usize>(input: &[u8], offset: usize) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&padded(input, offset, N));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;

    #[test]
    fn addresses_one_to_ten_are_precompiles_and_others_are_not() {
        for i in 1..=10u8 {
            assert!(is_precompile(Address::with_last_byte(i)));
        }
        assert!(!is_precompile(Address::ZERO));
        assert!(!is_precompile(Address::with_last_byte(11)));
        assert!(!is_precompile(address!("0100000000000000000000000000000000000001")));
        assert!(run(Address::with_last_byte(11), &[], 100).is_none());
    }

    #[test]
    fn kzg_point_evaluation_is_unsupported() {
        let a = Address::with_last_byte(0x0a);
        assert_eq!(run(a, &[], 1_000_000), Some(Err(PrecompileError::Unsupported(a))));
    }

    #[test]
    fn padded_reads_zero_past_the_end() {
        assert_eq!(padded(&[1, 2, 3], 1, 4), vec![2, 3, 0, 0]);
        assert_eq!(padded(&[1, 2, 3], 5, 2), vec![0, 0]);
        assert_eq!(padded(&[1, 2, 3], usize::MAX, 2), vec![0, 0]);
    }
}
