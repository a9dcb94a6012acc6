//! 0x05 MODEXP: `base^exp mod modulus` on big-endian integers of any length (EIP-198), priced
//! by EIP-2565.

use alloy_primitives::{Bytes, U256};

use super::{charge, padded, PrecompileOutput, PrecompileResult};

/// EIP-2565 minimum price.
const MIN_GAS: u64 = 200;

/// MODEXP. Input `base_len ‖ exp_len ‖ mod_len` (3 × 32-byte big-endian) then `base ‖ exp ‖
/// mod`, all zero-padded on the right; output `base^exp mod modulus` left-padded to `mod_len`
/// bytes (empty when `mod_len = 0`; zero when the modulus is zero).
///
/// Gas (EIP-2565): `max(200, ⌈max(base_len, mod_len) / 8⌉² × max(1, iterations) / 3)` where
/// `iterations` is the bit length of the exponent's first 32 bytes minus one, plus
/// `8 × (exp_len − 32)` when the exponent is longer than 32 bytes.
pub(super) fn modexp(input: &[u8], gas_limit: u64) -> PrecompileResult {
    let base_len = U256::from_be_slice(&padded(input, 0, 32));
    let exp_len = U256::from_be_slice(&padded(input, 32, 32));
    let mod_len = U256::from_be_slice(&padded(input, 64, 32));

    let max_len = base_len.max(mod_len);
    if max_len.is_zero() {
        // Multiplication complexity is zero: the minimum price, an empty result.
        let gas_used = charge(MIN_GAS, gas_limit)?;
        return Ok(PrecompileOutput { gas_used, output: Bytes::new() });
    }
    // Lengths this large cost far more than any gas limit: 2^32 bytes is 2^58 gas already.
    let limit = U256::from(u32::MAX);
    if max_len > limit {
        return Err(super::PrecompileError::OutOfGas { needed: u64::MAX, limit: gas_limit });
    }
    let (base_len, mod_len) = (base_len.to::<usize>(), mod_len.to::<usize>());

    let exp_start = 96usize.saturating_add(base_len);
    let exp_head_len = if exp_len > U256::from(32) { 32 } else { exp_len.to::<usize>() };
    let exp_head = U256::from_be_slice(&padded(input, exp_start, exp_head_len));
    let cost = gas_cost(max_len.to::<u64>(), exp_len, exp_head);
    let gas_used = charge(cost, gas_limit)?;

    if mod_len == 0 {
        return Ok(PrecompileOutput { gas_used, output: Bytes::new() });
    }
    // Gas paid bounds exp_len here: it is below 2^32 bytes whenever the call is affordable.
    let exp_len = exp_len.to::<usize>();
    let base = padded(input, 96, base_len);
    let exp = padded(input, exp_start, exp_len);
    let modulus = padded(input, exp_start.saturating_add(exp_len), mod_len);
    let result = aurora_engine_modexp::modexp(&base, &exp, &modulus);

    let mut out = vec![0u8; mod_len];
    let digits = if result.len() > mod_len { &result[result.len() - mod_len..] } else { &result };
    out[mod_len - digits.len()..].copy_from_slice(digits);
    Ok(PrecompileOutput { gas_used, output: out.into() })
}

/// EIP-2565 price for the given maximum length, exponent length and exponent head (its first
/// 32 bytes as an integer); saturates at `u64::MAX`.
fn gas_cost(max_len: u64, exp_len: U256, exp_head: U256) -> u64 {
    let words = U256::from(max_len.div_ceil(8));
    let complexity = words * words;
    let head_bits = exp_head.bit_len() as u64;
    let head_iterations = U256::from(head_bits.saturating_sub(1));
    let iterations = if exp_len <= U256::from(32) {
        head_iterations
    } else {
        (exp_len - U256::from(32)).saturating_mul(U256::from(8)).saturating_add(head_iterations)
    };
    let iterations = iterations.max(U256::from(1));
    let cost = complexity.saturating_mul(iterations) / U256::from(3);
    cost.saturating_to::<u64>().max(MIN_GAS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::precompiles::PrecompileError;
    use alloy_primitives::hex;

    #[test]
    fn fermat_little_theorem_example_from_eip198_returns_one() {
        // EIP-198 "Example 1": 3^(p-1) mod p with p = 2^256 - 2^32 - 977.
        let input = hex!(
            "0000000000000000000000000000000000000000000000000000000000000001"
            "0000000000000000000000000000000000000000000000000000000000000020"
            "0000000000000000000000000000000000000000000000000000000000000020"
            "03"
            "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2e"
            "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f"
        );
        let out = modexp(&input, 100_000).unwrap();
        let mut one = [0u8; 32];
        one[31] = 1;
        assert_eq!(out.output.as_ref(), one);
        // EIP-2565: words = 4, complexity 16, iterations 255 → 16 × 255 / 3 = 1360.
        assert_eq!(out.gas_used, 1360);
    }

    #[test]
    fn zero_modulus_from_eip198_returns_zero() {
        // EIP-198 "Example 2": modulus 0, the exponent p − 1 given in full.
        let input = hex!(
            "0000000000000000000000000000000000000000000000000000000000000000"
            "0000000000000000000000000000000000000000000000000000000000000020"
            "0000000000000000000000000000000000000000000000000000000000000020"
            "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2e"
        );
        let out = modexp(&input, 100_000).unwrap();
        assert_eq!(out.output.as_ref(), [0u8; 32]);
    }

    #[test]
    fn empty_lengths_cost_the_minimum_and_return_nothing() {
        let out = modexp(&[], 200).unwrap();
        assert_eq!((out.gas_used, out.output.len()), (200, 0));
        assert!(modexp(&[], 199).is_err());
    }

    #[test]
    fn huge_lengths_are_out_of_gas_not_a_panic() {
        let mut input = [0xffu8; 96];
        input[32..64].fill(0);
        assert!(matches!(modexp(&input, 30_000_000), Err(PrecompileError::OutOfGas { .. })));
    }

    #[test]
    fn huge_exponent_length_with_empty_base_and_modulus_costs_the_minimum() {
        let mut input = [0u8; 96];
        input[32..64].fill(0xff);
        assert_eq!(modexp(&input, 200).unwrap().gas_used, 200);
    }
}
