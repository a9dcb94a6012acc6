//! 0x01 ECRECOVER, 0x02 SHA2-256, 0x03 RIPEMD-160, 0x04 IDENTITY (Yellow Paper Appendix E).

use alloy_primitives::{Bytes, B256, U256};
use quarry_primitives::crypto::recover_address;
use ripemd::Digest as _;

use super::{charge, linear_cost, padded_array, PrecompileOutput, PrecompileResult};

/// ECRECOVER: 3000 gas. Input `hash ‖ v ‖ r ‖ s` (4 × 32 bytes, zero-padded); output the
/// signer's address left-padded to 32 bytes, or empty when `v ∉ {27, 28}` or nothing recovers
/// (bad input is not an error).
pub(super) fn ecrecover(input: &[u8], gas_limit: u64) -> PrecompileResult {
    let gas_used = charge(3000, gas_limit)?;
    let data: [u8; 128] = padded_array(input, 0);
    let hash = B256::from_slice(&data[..32]);
    let v = U256::from_be_slice(&data[32..64]);
    let r = U256::from_be_slice(&data[64..96]);
    let s = U256::from_be_slice(&data[96..128]);
    let output = if v == U256::from(27) || v == U256::from(28) {
        recover_address(&hash, r, s, v == U256::from(28))
            .map(|a| Bytes::copy_from_slice(a.into_word().as_slice()))
            .unwrap_or_default()
    } else {
        Bytes::new()
    };
    Ok(PrecompileOutput { gas_used, output })
}

/// SHA2-256: `60 + 12 × words` gas; output the 32-byte digest.
pub(super) fn sha256(input: &[u8], gas_limit: u64) -> PrecompileResult {
    let gas_used = charge(linear_cost(input.len(), 60, 12), gas_limit)?;
    let digest = <sha2::Sha256 as sha2::Digest>::digest(input);
    Ok(PrecompileOutput { gas_used, output: Bytes::copy_from_slice(&digest) })
}

/// RIPEMD-160: `600 + 120 × words` gas; output the 20-byte digest left-padded to 32 bytes.
pub(super) fn ripemd160(input: &[u8], gas_limit: u64) -> PrecompileResult {
    let gas_used = charge(linear_cost(input.len(), 600, 120), gas_limit)?;
    let digest = ripemd::Ripemd160::digest(input);
    let mut out = [0u8; 32];
    out[12..].copy_from_slice(&digest);
    Ok(PrecompileOutput { gas_used, output: Bytes::copy_from_slice(&out) })
}

/// IDENTITY: `15 + 3 × words` gas; output the input.
pub(super) fn identity(input: &[u8], gas_limit: u64) -> PrecompileResult {
    let gas_used = charge(linear_cost(input.len(), 15, 3), gas_limit)?;
    Ok(PrecompileOutput { gas_used, output: Bytes::copy_from_slice(input) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::precompiles::PrecompileError;
    use alloy_primitives::hex;

    #[test]
    fn ecrecover_recovers_the_signer_of_a_known_signature() {
        // From the go-ethereum precompile tests (`ValidKey`).
        let input = hex!(
            "18c547e4f7b0f325ad1e56f57e26c745b09a3e503d86e00e5255ff7f715d3d1c"
            "000000000000000000000000000000000000000000000000000000000000001c"
            "73b1693892219d736caba55bdb67216e485557ea6b6af75f37096c9aa6a5a75f"
            "eeb940b1d03b21e36b0e47e79769f095fe2ab855bd91e3a38756b7d75a9c4549"
        );
        let out = ecrecover(&input, 3000).unwrap();
        assert_eq!(out.gas_used, 3000);
        assert_eq!(
            out.output.as_ref(),
            hex!("000000000000000000000000a94f5374fce5edbc8e2a8697c15331677e6ebf0b")
        );
    }

    #[test]
    fn ecrecover_with_bad_v_returns_empty_output_not_an_error() {
        let mut input = [0u8; 128];
        input[63] = 29;
        input[95] = 1;
        input[127] = 1;
        assert_eq!(ecrecover(&input, 5000).unwrap().output.len(), 0);
        assert_eq!(ecrecover(&[], 3000).unwrap().output.len(), 0);
    }

    #[test]
    fn ecrecover_below_3000_gas_is_out_of_gas() {
        assert_eq!(
            ecrecover(&[], 2999),
            Err(PrecompileError::OutOfGas { needed: 3000, limit: 2999 })
        );
    }

    #[test]
    fn sha256_of_empty_input_costs_60_and_matches_the_known_digest() {
        let out = sha256(&[], 100).unwrap();
        assert_eq!(out.gas_used, 60);
        assert_eq!(
            out.output.as_ref(),
            hex!("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        );
        assert_eq!(sha256(&[0; 33], 1000).unwrap().gas_used, 84);
    }

    #[test]
    fn ripemd160_is_left_padded_and_charged_per_word() {
        let out = ripemd160(b"abc", 1000).unwrap();
        assert_eq!(out.gas_used, 720);
        assert_eq!(
            out.output.as_ref(),
            hex!("0000000000000000000000008eb208f7e05d987a9b044a8e98c6b087f15a0bfc")
        );
    }

    #[test]
    fn identity_echoes_its_input() {
        let out = identity(&[1, 2, 3], 18).unwrap();
        assert_eq!((out.gas_used, out.output.as_ref()), (18, &[1u8, 2, 3][..]));
        assert!(identity(&[1, 2, 3], 17).is_err());
    }
}
