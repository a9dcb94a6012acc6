//! Proof-of-work arithmetic: compact `bits` ⇄ 256-bit target, block work, and the target check.
//!
//! The compact encoding is Bitcoin's `nBits` (Bitcoin Core `arith_uint256::SetCompact` /
//! `GetCompact`): one exponent byte `e` and a 23-bit mantissa `m` with a sign bit (0x00800000);
//! the target is `m × 256^(e−3)`. A target is smaller for harder work.

use alloy_primitives::{B256, U256};

/// The sign bit of a compact target.
const SIGN_BIT: u32 = 0x0080_0000;
/// The 23-bit mantissa mask of a compact target.
const MANTISSA_MASK: u32 = 0x007f_ffff;

/// Why a compact `bits` value does not name a usable target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BitsError {
    /// The sign bit is set with a non-zero mantissa: a negative target.
    #[error("compact bits {0:#010x} encode a negative target")]
    Negative(u32),
    /// The target does not fit in 256 bits.
    #[error("compact bits {0:#010x} overflow 256 bits")]
    Overflow(u32),
    /// The target is zero: no hash can meet it.
    #[error("compact bits {0:#010x} encode a zero target")]
    Zero(u32),
}

/// Decodes compact `bits` into a 256-bit target, as Bitcoin's `SetCompact` followed by the
/// consensus checks of `CheckProofOfWork` (not negative, no overflow, not zero).
///
/// # Errors
/// [`BitsError::Negative`], [`BitsError::Overflow`] or [`BitsError::Zero`].
pub fn target_from_bits(bits: u32) -> Result<U256, BitsError> {
    let size = bits >> 24;
    let mut word = bits & MANTISSA_MASK;
    if word != 0 && bits & SIGN_BIT != 0 {
        return Err(BitsError::Negative(bits));
    }
    if word != 0 && (size > 34 || (word > 0xff && size > 33) || (word > 0xffff && size > 32)) {
        return Err(BitsError::Overflow(bits));
    }
    let target = if size <= 3 {
        word >>= 8 * (3 - size);
        U256::from(word)
    } else {
        U256::from(word) << (8 * (size - 3) as usize)
    };
    if target.is_zero() {
        return Err(BitsError::Zero(bits));
    }
    Ok(target)
}

/// Encodes a target as compact `bits` (Bitcoin's `GetCompact`), rounding the target down to
/// the 23-bit mantissa's precision. Zero encodes as `0`.
pub fn bits_from_target(target: U256) -> u32 {
    let mut size = target.bit_len().div_ceil(8) as u32;
    let mut compact: u32 = if size <= 3 {
        (target.as_limbs()[0] << (8 * (3 - size))) as u32
    } else {
        (target >> (8 * (size - 3) as usize)).as_limbs()[0] as u32
    };
    // The mantissa is signed: if its top bit is set, shift one byte into the exponent.
    if compact & SIGN_BIT != 0 {
        compact >>= 8;
        size += 1;
    }
    compact | (size << 24)
}

/// Expected number of hashes to find a block at `target`: `2^256 / (target + 1)`, computed as
/// Bitcoin's `GetBlockProof` does, `(~target / (target + 1)) + 1`, so it fits in 256 bits.
/// Fork choice sums this over a chain ("chain work").
pub fn work_from_target(target: U256) -> U256 {
    if target == U256::MAX {
        return U256::from(1);
    }
    (!target / (target + U256::from(1))) + U256::from(1)
}

/// `true` when `pow_hash`, read as a big-endian 256-bit integer, is at most `target`.
pub fn meets_target(pow_hash: &B256, target: U256) -> bool {
    U256::from_be_bytes(pow_hash.0) <= target
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::uint;

    #[test]
    fn bitcoin_genesis_bits_give_the_documented_target() {
        // Bitcoin's genesis difficulty 1: 0x00000000FFFF0000…0000.
        let target = target_from_bits(0x1d00ffff).unwrap();
        assert_eq!(
            target,
            uint!(0x00000000FFFF0000000000000000000000000000000000000000000000000000_U256)
        );
        assert_eq!(bits_from_target(target), 0x1d00ffff);
    }

    #[test]
    fn block_32255_bits_give_the_documented_target() {
        // The Bitcoin wiki's "Difficulty" example: 0x1b0404cb → 0x0404cb × 2^(8×(0x1b−3)).
        let target = target_from_bits(0x1b0404cb).unwrap();
        assert_eq!(
            target,
            uint!(0x00000000000404CB000000000000000000000000000000000000000000000000_U256)
        );
        assert_eq!(bits_from_target(target), 0x1b0404cb);
    }

    #[test]
    fn bitcoin_core_compact_edge_cases_decode_as_core_does() {
        // From Bitcoin Core's arith_uint256_tests.cpp (bignum_SetCompact).
        assert_eq!(target_from_bits(0x00123456), Err(BitsError::Zero(0x00123456)));
        assert_eq!(target_from_bits(0x01003456), Err(BitsError::Zero(0x01003456)));
        assert_eq!(target_from_bits(0x02000056), Err(BitsError::Zero(0x02000056)));
        assert_eq!(target_from_bits(0x01123456), Ok(U256::from(0x12)));
        assert_eq!(target_from_bits(0x02123456), Ok(U256::from(0x1234)));
        assert_eq!(target_from_bits(0x03123456), Ok(U256::from(0x123456)));
        assert_eq!(target_from_bits(0x04123456), Ok(U256::from(0x12345600)));
        assert_eq!(target_from_bits(0x05009234), Ok(U256::from(0x92340000u64)));
        assert_eq!(target_from_bits(0x01fedcba), Err(BitsError::Negative(0x01fedcba)));
        assert_eq!(target_from_bits(0x04923456), Err(BitsError::Negative(0x04923456)));
        assert_eq!(target_from_bits(0xff123456), Err(BitsError::Overflow(0xff123456)));
        // A set sign bit with a zero mantissa is zero, not negative.
        assert_eq!(target_from_bits(0x04800000), Err(BitsError::Zero(0x04800000)));
        assert_eq!(bits_from_target(U256::from(0x80)), 0x02008000);
        assert_eq!(bits_from_target(U256::from(0x12345600u64)), 0x04123456);
        assert_eq!(bits_from_target(U256::ZERO), 0);
    }

    #[test]
    fn the_largest_target_and_its_neighbours_round_trip() {
        let max = target_from_bits(0x2100ffff).unwrap();
        assert_eq!(bits_from_target(max), 0x2100ffff);
        assert_eq!(target_from_bits(0x2101ffff), Err(BitsError::Overflow(0x2101ffff)));
        assert_eq!(target_from_bits(0x22000001), Ok(U256::from(1) << 248));
        assert_eq!(target_from_bits(0x23000001), Err(BitsError::Overflow(0x23000001)));
    }

    #[test]
    fn work_is_two_to_the_256_over_target_plus_one() {
        assert_eq!(work_from_target(U256::MAX), U256::from(1));
        // target = 2^255 − 1 ⇒ work = 2^256 / 2^255 = 2.
        assert_eq!(work_from_target((U256::from(1) << 255) - U256::from(1)), U256::from(2));
        let difficulty_one = target_from_bits(0x1d00ffff).unwrap();
        assert_eq!(work_from_target(difficulty_one), U256::from(0x0000000100010001u64));
    }

    #[test]
    fn a_hash_meets_a_target_it_equals_but_not_one_below() {
        let hash = B256::from(U256::from(1000));
        assert!(meets_target(&hash, U256::from(1000)));
        assert!(!meets_target(&hash, U256::from(999)));
    }
}
