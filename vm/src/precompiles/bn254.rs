//! 0x06 ECADD, 0x07 ECMUL (EIP-196) and 0x08 ECPAIRING (EIP-197) on alt_bn128, priced by
//! EIP-1108. Curve arithmetic from `substrate-bn`.

use alloy_primitives::Bytes;
use substrate_bn::{pairing_batch, AffineG1, AffineG2, Fq, Fq2, Fr, Group, Gt, G1, G2};

use super::{charge, padded_array, PrecompileError, PrecompileOutput, PrecompileResult};

/// EIP-1108 ECADD price.
const ADD_GAS: u64 = 150;
/// EIP-1108 ECMUL price.
const MUL_GAS: u64 = 6_000;
/// EIP-1108 ECPAIRING base price.
const PAIRING_BASE_GAS: u64 = 45_000;
/// EIP-1108 ECPAIRING price per (G1, G2) pair.
const PAIRING_PER_PAIR_GAS: u64 = 34_000;
/// Bytes of one pairing input pair: a G1 point (64) and a G2 point (128).
const PAIR_LEN: usize = 192;

/// ECADD: 150 gas. Input two G1 points `x1 ‖ y1 ‖ x2 ‖ y2` (zero-padded to 128 bytes); output
/// their sum as 64 bytes. A coordinate ≥ p or a point off the curve is an error.
pub(super) fn add(input: &[u8], gas_limit: u64) -> PrecompileResult {
    let gas_used = charge(ADD_GAS, gas_limit)?;
    let data: [u8; 128] = padded_array(input, 0);
    let p = read_g1(&data[..64])?;
    let q = read_g1(&data[64..])?;
    Ok(PrecompileOutput { gas_used, output: encode_g1(p + q) })
}

/// ECMUL: 6000 gas. Input a G1 point and a 32-byte scalar (zero-padded to 96 bytes); output the
/// product as 64 bytes.
pub(super) fn mul(input: &[u8], gas_limit: u64) -> PrecompileResult {
    let gas_used = charge(MUL_GAS, gas_limit)?;
    let data: [u8; 96] = padded_array(input, 0);
    let p = read_g1(&data[..64])?;
    let scalar = Fr::from_slice(&data[64..])
        .map_err(|e| PrecompileError::InvalidInput(format!("bn254 scalar: {e:?}")))?;
    Ok(PrecompileOutput { gas_used, output: encode_g1(p * scalar) })
}

/// ECPAIRING: `45000 + 34000 × k` gas for `k` pairs of (G1, G2) points, 192 bytes each; output
/// 32 bytes holding 1 if the product of pairings is one, else 0. An input length that is not a
/// multiple of 192, or a G2 point outside the order-r subgroup, is an error.
pub(super) fn pairing(input: &[u8], gas_limit: u64) -> PrecompileResult {
    let pairs = (input.len() / PAIR_LEN) as u64;
    let cost = PAIRING_PER_PAIR_GAS.saturating_mul(pairs).saturating_add(PAIRING_BASE_GAS);
    let gas_used = charge(cost, gas_limit)?;
    if input.len() % PAIR_LEN != 0 {
        return Err(PrecompileError::InvalidInput(format!(
            "bn254 pairing input of {} bytes is not a multiple of 192",
            input.len()
        )));
    }
    let mut points = Vec::with_capacity(input.len() / PAIR_LEN);
    for chunk in input.chunks_exact(PAIR_LEN) {
        let g1 = read_g1(&chunk[..64])?;
        let g2 = read_g2(&chunk[64..])?;
        if !g1.is_zero() && !g2.is_zero() {
            points.push((g1, g2));
        }
    }
    let success = points.is_empty() || pairing_batch(&points) == Gt::one();
    let mut out = [0u8; 32];
    out[31] = success as u8;
    Ok(PrecompileOutput { gas_used, output: Bytes::copy_from_slice(&out) })
}

/// One base-field element from 32 big-endian bytes; ≥ p is an error.
fn read_fq(bytes: &[u8]) -> Result<Fq, PrecompileError> {
    Fq::from_slice(bytes)
        .map_err(|e| PrecompileError::InvalidInput(format!("bn254 field element: {e:?}")))
}

/// A G1 point from `x ‖ y` (64 bytes); `(0, 0)` is the point at infinity.
fn read_g1(bytes: &[u8]) -> Result<G1, PrecompileError> {
    let x = read_fq(&bytes[..32])?;
    let y = read_fq(&bytes[32..64])?;
    if x.is_zero() && y.is_zero() {
        return Ok(G1::zero());
    }
    AffineG1::new(x, y)
        .map(Into::into)
        .map_err(|e| PrecompileError::InvalidInput(format!("bn254 G1 point: {e:?}")))
}

/// A G2 point from `x_imag ‖ x_real ‖ y_imag ‖ y_real` (128 bytes, EIP-197 encoding of
/// `a·i + b` as `a ‖ b`); all zero is the point at infinity. Points outside the subgroup are
/// rejected.
fn read_g2(bytes: &[u8]) -> Result<G2, PrecompileError> {
    let x = Fq2::new(read_fq(&bytes[32..64])?, read_fq(&bytes[..32])?);
    let y = Fq2::new(read_fq(&bytes[96..128])?, read_fq(&bytes[64..96])?);
    if x.is_zero() && y.is_zero() {
        return Ok(G2::zero());
    }
    AffineG2::new(x, y)
        .map(Into::into)
        .map_err(|e| PrecompileError::InvalidInput(format!("bn254 G2 point: {e:?}")))
}

/// A G1 point as `x ‖ y` (64 bytes), `(0, 0)` for infinity.
fn encode_g1(point: G1) -> Bytes {
    let mut out = vec![0u8; 64];
    if let Some(affine) = AffineG1::from_jacobian(point) {
        // Both writes target 32-byte slices, which `to_big_endian` always accepts.
        let _ = affine.x().to_big_endian(&mut out[..32]);
        let _ = affine.y().to_big_endian(&mut out[32..]);
    }
    out.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::hex;

    /// The G1 generator (1, 2).
    const G1_GEN: [u8; 64] = hex!(
        "0000000000000000000000000000000000000000000000000000000000000001"
        "0000000000000000000000000000000000000000000000000000000000000002"
    );

    #[test]
    fn adding_generator_to_itself_gives_the_known_double() {
        let mut input = G1_GEN.to_vec();
        input.extend_from_slice(&G1_GEN);
        let out = add(&input, 150).unwrap();
        assert_eq!(out.gas_used, 150);
        assert_eq!(
            out.output.as_ref(),
            hex!(
                "030644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd3"
                "15ed738c0e0a7c92e7845f96b2ae9c0a68a6a449e3538fc7ff3ebf7a5a18a2c4"
            )
        );
    }

    #[test]
    fn multiplying_generator_by_two_equals_doubling() {
        let mut input = G1_GEN.to_vec();
        input.extend_from_slice(&[0u8; 31]);
        input.push(2);
        let doubled = add(&[G1_GEN, G1_GEN].concat(), 150).unwrap().output;
        let out = mul(&input, 6000).unwrap();
        assert_eq!((out.gas_used, out.output), (6000, doubled));
    }

    #[test]
    fn empty_add_input_is_infinity_plus_infinity() {
        assert_eq!(add(&[], 150).unwrap().output.as_ref(), [0u8; 64]);
    }

    #[test]
    fn point_off_the_curve_is_rejected() {
        let mut input = [0u8; 128];
        input[31] = 1;
        input[63] = 3;
        assert!(matches!(add(&input, 150), Err(PrecompileError::InvalidInput(_))));
        assert!(matches!(mul(&input[..96], 6000), Err(PrecompileError::InvalidInput(_))));
    }

    #[test]
    fn pairing_example_from_eip197_tests_returns_one() {
        // e(P1, Q1) · e(P2, Q2) = 1 — the two-pair check used by geth's `jeff1` vector.
        let input = hex!(
            "1c76476f4def4bb94541d57ebba1193381ffa7aa76ada664dd31c16024c43f59"
            "3034dd2920f673e204fee2811c678745fc819b55d3e9d294e45c9b03a76aef41"
            "209dd15ebff5d46c4bd888e51a93cf99a7329636c63514396b4a452003a35bf7"
            "04bf11ca01483bfa8b34b43561848d28905960114c8ac04049af4b6315a41678"
            "2bb8324af6cfc93537a2ad1a445cfd0ca2a71acd7ac41fadbf933c2a51be344d"
            "120a2a4cf30c1bf9845f20c6fe39e07ea2cce61f0c9bb048165fe5e4de877550"
            "111e129f1cf1097710d41c4ac70fcdfa5ba2023c6ff1cbeac322de49d1b6df7c"
            "2032c61a830e3c17286de9462bf242fca2883585b93870a73853face6a6bf411"
            "198e9393920d483a7260bfb731fb5d25f1aa493335a9e71297e485b7aef312c2"
            "1800deef121f1e76426a00665e5c4479674322d4f75edadd46debd5cd992f6ed"
            "090689d0585ff075ec9e99ad690c3395bc4b313370b38ef355acdadcd122975b"
            "12c85ea5db8c6deb4aab71808dcb408fe3d1e7690c43d37b4ce6cc0166fa7daa"
        );
        let out = pairing(&input, 113_000).unwrap();
        assert_eq!(out.gas_used, 45_000 + 2 * 34_000);
        assert_eq!(out.output[31], 1);
    }

    /// The G2 generator of EIP-197, encoded `x_imag ‖ x_real ‖ y_imag ‖ y_real`.
    const G2_GEN: [u8; 128] = hex!(
        "198e9393920d483a7260bfb731fb5d25f1aa493335a9e71297e485b7aef312c2"
        "1800deef121f1e76426a00665e5c4479674322d4f75edadd46debd5cd992f6ed"
        "090689d0585ff075ec9e99ad690c3395bc4b313370b38ef355acdadcd122975b"
        "12c85ea5db8c6deb4aab71808dcb408fe3d1e7690c43d37b4ce6cc0166fa7daa"
    );

    #[test]
    fn pairing_of_a_point_and_its_negation_cancels() {
        // e(G1, G2) · e(−G1, G2) = 1, and e(G1, G2) alone is not 1 (bilinearity, EIP-197).
        let neg_g1 = hex!(
            "0000000000000000000000000000000000000000000000000000000000000001"
            "30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd45"
        );
        let input = [&G1_GEN[..], &G2_GEN, &neg_g1, &G2_GEN].concat();
        assert_eq!(pairing(&input, 113_000).unwrap().output[31], 1);
        let single = [&G1_GEN[..], &G2_GEN].concat();
        assert_eq!(pairing(&single, 79_000).unwrap().output[31], 0);
    }

    #[test]
    fn empty_pairing_input_is_true_and_costs_the_base() {
        let out = pairing(&[], 45_000).unwrap();
        assert_eq!((out.gas_used, out.output[31]), (45_000, 1));
    }

    #[test]
    fn pairing_input_not_a_multiple_of_192_is_rejected() {
        assert!(matches!(pairing(&[0u8; 100], 100_000), Err(PrecompileError::InvalidInput(_))));
    }
}
