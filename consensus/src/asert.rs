//! ASERT difficulty adjustment: the aserti3-2d integer algorithm (Bitcoin Cash, "ASERT
//! Difficulty Adjustment Algorithm (aserti3-2d)", 2020-11-15 upgrade specification, by
//! Mark Lundeberg and Jonathan Toomim; reference code in Bitcoin ABC / BCHN `pow.cpp`).
//!
//! The ideal target for the next block is
//!
//! ```text
//! target = anchor_target × 2^((time_diff − T × (height_diff + 1)) / τ)
//! ```
//!
//! where `time_diff` is the parent's timestamp minus the anchor's *parent's* timestamp,
//! `height_diff` the parent's height minus the anchor's height, `T` the ideal block interval and
//! `τ` the half-life: a chain `τ` seconds behind schedule gets twice the target (half the
//! difficulty). The exponent is fixed-point with 16 fractional bits and `2^frac` is a cubic
//! approximation, so every node computes the same bits with integers only.
//!
//! Quarry anchors at genesis and treats the genesis block as if its parent were `T` seconds
//! older, so the block at height `h` is on schedule when its parent's timestamp is
//! `genesis_timestamp + T × (h − 1)`.

use alloy_primitives::{U256, U512};
use quarry_primitives::pow::{bits_from_target, target_from_bits, BitsError};

/// Parameters of one ASERT schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AsertParams {
    /// The anchor block's target (Quarry: the genesis target).
    pub anchor_target: U256,
    /// Largest target the chain allows (easiest difficulty); results are clamped to it.
    pub pow_limit: U256,
    /// Ideal seconds between blocks, `T` (> 0).
    pub target_block_time: u64,
    /// Half-life `τ` in seconds (> 0).
    pub half_life: u64,
}

impl AsertParams {
    /// Parameters from compact values, as a chain spec gives them.
    ///
    /// # Errors
    /// A `bits` value that does not encode a usable target.
    pub fn from_bits(
        anchor_bits: u32,
        pow_limit_bits: u32,
        target_block_time: u64,
        half_life: u64,
    ) -> Result<Self, BitsError> {
        Ok(AsertParams {
            anchor_target: target_from_bits(anchor_bits)?,
            pow_limit: target_from_bits(pow_limit_bits)?,
            target_block_time,
            half_life,
        })
    }
}

/// The aserti3-2d next target, exactly as the specification's reference
/// `CalculateASERT(refTarget, nPowTargetSpacing, nTimeDiff, nHeightDiff, powLimit, nHalfLife)`.
///
/// `time_diff` = parent timestamp − anchor's parent timestamp (seconds, may be negative);
/// `height_diff` = parent height − anchor height (≥ 0). Intermediate products are 512-bit, so
/// unlike the reference the pow limit need not leave 32 spare bits; where the reference would
/// overflow it clamps to the pow limit, and so does this. The result is in `1..=pow_limit`.
pub fn calculate_asert(params: &AsertParams, time_diff: i64, height_diff: u64) -> U256 {
    let spacing = i128::from(params.target_block_time);
    let behind = i128::from(time_diff) - spacing * (i128::from(height_diff) + 1);
    // C++ `/` truncates toward zero, as Rust's does on i128.
    let exponent = behind * 65_536 / i128::from(params.half_life.max(1));
    // Floor division by 2^16 (arithmetic shift) and the low 16 bits.
    let shifts = exponent >> 16;
    let frac = (exponent & 0xffff) as u128;
    // 2^x ≈ 1 + 0.695502049·x + 0.2262698·x² + 0.0782318·x³ for 0 ≤ x < 1, scaled by 2^16.
    let factor = 65_536
        + ((195_766_423_245_049 * frac
            + 971_821_376 * frac * frac
            + 5_127 * frac * frac * frac
            + (1 << 47))
            >> 48);
    let mut next = U512::from(params.anchor_target) * U512::from(factor);
    let shifts = shifts - 16;
    if shifts <= 0 {
        let right = usize::try_from(-shifts).unwrap_or(usize::MAX);
        next = if right >= 512 { U512::ZERO } else { next >> right };
    } else {
        // Any left shift past 256 bits of room is certainly beyond the pow limit.
        let left = usize::try_from(shifts).unwrap_or(usize::MAX);
        next = if left >= 256 { U512::MAX } else { next << left };
    }
    let pow_limit = U512::from(params.pow_limit);
    if next.is_zero() {
        U256::from(1)
    } else if next > pow_limit {
        params.pow_limit
    } else {
        U256::from_limbs_slice(&next.as_limbs()[..4])
    }
}

/// The compact `bits` a block at height `parent_height + 1` must carry, anchored at genesis
/// (height 0, timestamp `genesis_timestamp`).
pub fn next_bits(
    params: &AsertParams,
    genesis_timestamp: u64,
    parent_height: u64,
    parent_timestamp: u64,
) -> u32 {
    // The genesis block's virtual parent is one ideal interval before it.
    let anchor_parent_time = i128::from(genesis_timestamp) - i128::from(params.target_block_time);
    let time_diff = i128::from(parent_timestamp) - anchor_parent_time;
    let time_diff = time_diff.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
    bits_from_target(calculate_asert(params, time_diff, parent_height))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bitcoin's proof-of-work limit, the pow limit of the specification's test vectors.
    fn bitcoin_pow_limit() -> U256 {
        U256::MAX >> 32
    }

    /// One row of a reference vector: parent `height` and `time`, expected next `bits`.
    type Row = (u64, i64, u32);

    /// Checks rows of one of the specification's test-vector runs (`runNN` files of the
    /// aserti3-2d test vectors: T = 600 s, τ = 172 800 s, pow limit = Bitcoin's).
    fn check_run(
        name: &str,
        anchor_height: u64,
        anchor_parent_time: i64,
        anchor_bits: u32,
        rows: &[Row],
    ) {
        let params = AsertParams {
            anchor_target: target_from_bits(anchor_bits).unwrap(),
            pow_limit: bitcoin_pow_limit(),
            target_block_time: 600,
            half_life: 2 * 24 * 3600,
        };
        for &(height, time, bits) in rows {
            let target =
                calculate_asert(&params, time - anchor_parent_time, height - anchor_height);
            assert_eq!(
                bits_from_target(target),
                bits,
                "{name}: parent height {height}, time {time}: expected {bits:#010x}"
            );
        }
    }

    #[test]
    fn run01_steady_600s_blocks_at_the_pow_limit_keep_the_target() {
        check_run("run01", 1, 0, 0x1d00ffff, &[(2, 1200, 0x1d00ffff), (11, 6600, 0x1d00ffff)]);
    }

    #[test]
    fn run03_steady_blocks_at_the_minimum_target_keep_it() {
        check_run("run03", 1, 0, 0x01010000, &[(2, 1200, 0x01010000), (11, 6600, 0x01010000)]);
    }

    #[test]
    fn run05_height_jumps_without_time_halve_the_target_each_half_life() {
        check_run(
            "run05",
            1,
            0,
            0x1d00ffff,
            &[
                (2, 0, 0x1d00fec5),
                (290, 0, 0x1c7f62c0),
                (578, 0, 0x1c3fb160),
                (2306, 0, 0x1c00fec5),
                (60194, 0, 0x027f6200),
                (62498, 0, 0x017f0000),
                (64226, 0, 0x01010000),
                // The target cannot fall below 1.
                (64514, 0, 0x01010000),
            ],
        );
    }

    #[test]
    fn run07_random_solve_times_with_rising_hashrate_match_the_reference() {
        check_run(
            "run07",
            1,
            0,
            0x1802aee8,
            &[
                (2, 1200, 0x1802aee8),
                (3, 1310, 0x1802ad91),
                (4, 1327, 0x1802abf8),
                (9, 7099, 0x1802b39c),
                (10, 7099, 0x1802b1f2),
                (160, 22709, 0x1801ffea),
                (459, 29064, 0x1800ffb4),
                (601, 30769, 0x1800b6f5),
            ],
        );
    }

    #[test]
    fn run09_heights_across_the_signed_32_bit_limit_match_the_reference() {
        check_run(
            "run09",
            2_147_483_642,
            1_234_567_290,
            0x1802aee8,
            &[
                (2_147_483_643, 1_234_568_190, 0x1802ae16),
                (2_147_483_647, 1_234_569_390, 0x1802aacd),
                (2_147_483_648, 1_234_569_690, 0x1802a9fa),
                (2_147_483_652, 1_234_570_890, 0x1802a6b7),
            ],
        );
    }

    #[test]
    fn slow_blocks_raise_the_target_but_never_past_the_pow_limit() {
        let params = AsertParams {
            anchor_target: target_from_bits(0x1d00ffff).unwrap(),
            pow_limit: bitcoin_pow_limit(),
            target_block_time: 600,
            half_life: 172_800,
        };
        // One half-life behind schedule from a target well below the limit doubles it.
        let low = AsertParams { anchor_target: params.anchor_target >> 8, ..params };
        let doubled = calculate_asert(&low, 600 + 172_800, 0);
        assert_eq!(doubled, low.anchor_target << 1);
        // Far behind: clamped to the limit, even past any shift width.
        assert_eq!(calculate_asert(&params, i64::MAX / 2, 0), params.pow_limit);
        // Far ahead: clamped to 1.
        assert_eq!(calculate_asert(&params, i64::MIN / 2, 0), U256::from(1));
    }

    #[test]
    fn a_genesis_anchored_chain_on_schedule_keeps_the_genesis_bits() {
        let params = AsertParams::from_bits(0x1f00ffff, 0x207fffff, 2, 120).unwrap();
        // Parent at height h on schedule: genesis_time + 2h.
        for h in [0u64, 1, 10, 1000] {
            assert_eq!(next_bits(&params, 1_000, h, 1_000 + 2 * h), 0x1f00ffff, "height {h}");
        }
        // A chain one half-life late doubles the target (bits mantissa doubles).
        assert_eq!(next_bits(&params, 1_000, 10, 1_000 + 20 + 120), 0x1f01fffe);
    }
}
