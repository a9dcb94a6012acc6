//! Header validation: each rule a small named check, each rejection a typed error naming the
//! rule and the values (the shape of grin's `chain/src/pipe.rs`).

use alloy_primitives::{B256, U256};
use quarry_primitives::header::MAX_EXTRA_DATA_SIZE;
use quarry_primitives::pow::{meets_target, target_from_bits, work_from_target, BitsError};
use quarry_primitives::Header;

use crate::spec::ChainRules;

/// How far a header's timestamp may run ahead of the validating node's clock, in seconds.
pub const MAX_FUTURE_DRIFT: u64 = 15;
/// Number of ancestors whose median timestamp a new header must exceed (Bitcoin's
/// median-time-past, BIP-113 window).
pub const MEDIAN_TIME_SPAN: usize = 11;
/// The gas limit may move by less than `parent / GAS_LIMIT_BOUND_DIVISOR` per block
/// (Yellow Paper §4.3.4, eq. 47–49).
pub const GAS_LIMIT_BOUND_DIVISOR: u64 = 1024;
/// Smallest gas limit a block may have (Yellow Paper §4.3.4).
pub const MIN_GAS_LIMIT: u64 = 5_000;
/// EIP-1559 `ELASTICITY_MULTIPLIER`: the gas target is half the gas limit.
pub const ELASTICITY_MULTIPLIER: u64 = 2;
/// EIP-1559 `BASE_FEE_MAX_CHANGE_DENOMINATOR`: the base fee moves at most 1/8 per block.
pub const BASE_FEE_MAX_CHANGE_DENOMINATOR: u64 = 8;

/// Why a header was refused. Each variant names its rule and the values involved.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// `parent_hash` is not the hash of the header it was validated against.
    #[error("parent hash {got} is not the parent's hash {expected}")]
    ParentHashMismatch {
        /// The parent's `pow_hash`.
        expected: B256,
        /// The header's `parent_hash`.
        got: B256,
    },
    /// `number` is not the parent's plus one.
    #[error("block number {got} does not follow parent number {parent}")]
    NumberMismatch {
        /// The parent's number.
        parent: u64,
        /// The header's number.
        got: u64,
    },
    /// `bits` differs from what ASERT requires after the parent.
    #[error("bits {got:#010x} differ from the ASERT target {expected:#010x}")]
    WrongBits {
        /// What ASERT gives.
        expected: u32,
        /// What the header carries.
        got: u32,
    },
    /// `bits` encode no usable target.
    #[error("invalid bits: {0}")]
    InvalidBits(#[from] BitsError),
    /// `pow_hash` is above the target: not enough work.
    #[error("proof of work {pow_hash} is above the target {target:#066x}")]
    InsufficientWork {
        /// The header's `pow_hash`.
        pow_hash: B256,
        /// Its target.
        target: U256,
    },
    /// The timestamp is not after the median of the last 11 blocks.
    #[error("timestamp {timestamp} is not after the median time past {median}")]
    TimestampTooOld {
        /// The header's timestamp.
        timestamp: u64,
        /// Median timestamp of the last (up to) 11 ancestors.
        median: u64,
    },
    /// The timestamp is more than 15 s ahead of the node's clock.
    #[error("timestamp {timestamp} is more than {MAX_FUTURE_DRIFT} s after now ({now})")]
    TimestampInFuture {
        /// The header's timestamp.
        timestamp: u64,
        /// The validating node's clock.
        now: u64,
    },
    /// The gas limit moved by the parent's limit / 1024 or more, or fell below 5000.
    #[error("gas limit {got} out of bounds after parent gas limit {parent}")]
    GasLimitOutOfBounds {
        /// The parent's gas limit.
        parent: u64,
        /// The header's gas limit.
        got: u64,
    },
    /// `gas_used > gas_limit`.
    #[error("gas used {used} exceeds gas limit {limit}")]
    GasUsedAboveLimit {
        /// The header's gas used.
        used: u64,
        /// The header's gas limit.
        limit: u64,
    },
    /// The base fee differs from the EIP-1559 rule applied to the parent.
    #[error("base fee {got} differs from EIP-1559's {expected}")]
    WrongBaseFee {
        /// What EIP-1559 gives.
        expected: u64,
        /// What the header carries.
        got: u64,
    },
    /// Extra data longer than 32 bytes.
    #[error("extra data is {len} bytes, at most {MAX_EXTRA_DATA_SIZE} allowed")]
    ExtraDataTooLong {
        /// Its length.
        len: usize,
    },
}

/// Median of the timestamps of the last (up to) [`MEDIAN_TIME_SPAN`] blocks, newest last.
/// `0` for an empty slice.
pub fn median_time_past(recent_timestamps: &[u64]) -> u64 {
    let start = recent_timestamps.len().saturating_sub(MEDIAN_TIME_SPAN);
    let mut window = recent_timestamps[start..].to_vec();
    window.sort_unstable();
    window.get(window.len() / 2).copied().unwrap_or(0)
}

/// The base fee of the child of `parent` (EIP-1559 §"Specification").
pub fn next_base_fee(parent: &Header) -> u64 {
    let target = u128::from(parent.gas_limit / ELASTICITY_MULTIPLIER);
    let used = u128::from(parent.gas_used);
    let base = u128::from(parent.base_fee_per_gas);
    let denominator = u128::from(BASE_FEE_MAX_CHANGE_DENOMINATOR);
    let next = if target == 0 || used == target {
        base
    } else if used > target {
        base + (base * (used - target) / target / denominator).max(1)
    } else {
        base - base * (target - used) / target / denominator
    };
    u64::try_from(next).unwrap_or(u64::MAX)
}

/// Work this header proves: `2^256 / (target + 1)`.
///
/// # Errors
/// Unusable `bits`.
pub fn header_work(header: &Header) -> Result<U256, BitsError> {
    Ok(work_from_target(target_from_bits(header.bits)?))
}

/// Checks `header` against its parent: link, number, ASERT bits, proof of work, timestamp
/// (after the median of the last 11 ancestors, at most 15 s after `now`), gas limit bounds,
/// gas used, EIP-1559 base fee, extra data size. `recent_timestamps` are the timestamps of the
/// parent and its ancestors, newest last (at least the parent's); `now` is seconds since the
/// Unix epoch.
///
/// # Errors
/// The first rule broken, as a [`HeaderError`].
pub fn validate_header(
    rules: &ChainRules,
    header: &Header,
    parent: &Header,
    recent_timestamps: &[u64],
    now: u64,
) -> Result<(), HeaderError> {
    check_link(header, parent)?;
    check_extra_data(header)?;
    check_bits(rules, header, parent)?;
    check_pow(header)?;
    check_timestamp(header, recent_timestamps, now)?;
    check_gas(header, parent)?;
    check_base_fee(header, parent)
}

fn check_link(header: &Header, parent: &Header) -> Result<(), HeaderError> {
    let expected = parent.hash();
    if header.parent_hash != expected {
        return Err(HeaderError::ParentHashMismatch { expected, got: header.parent_hash });
    }
    if header.number != parent.number.wrapping_add(1) || parent.number == u64::MAX {
        return Err(HeaderError::NumberMismatch { parent: parent.number, got: header.number });
    }
    Ok(())
}

fn check_extra_data(header: &Header) -> Result<(), HeaderError> {
    let len = header.extra_data.len();
    if len > MAX_EXTRA_DATA_SIZE {
        return Err(HeaderError::ExtraDataTooLong { len });
    }
    Ok(())
}

fn check_bits(rules: &ChainRules, header: &Header, parent: &Header) -> Result<(), HeaderError> {
    let expected = rules.next_bits(parent);
    if header.bits != expected {
        return Err(HeaderError::WrongBits { expected, got: header.bits });
    }
    Ok(())
}

/// The header's `pow_hash` is at most its target. Cheap enough to run before anything that
/// touches a body, so a peer cannot make us fetch bodies for headers without work.
///
/// # Errors
/// [`HeaderError::InvalidBits`] or [`HeaderError::InsufficientWork`].
pub fn check_pow(header: &Header) -> Result<(), HeaderError> {
    let target = target_from_bits(header.bits)?;
    let pow_hash = header.hash();
    if !meets_target(&pow_hash, target) {
        return Err(HeaderError::InsufficientWork { pow_hash, target });
    }
    Ok(())
}

fn check_timestamp(header: &Header, recent: &[u64], now: u64) -> Result<(), HeaderError> {
    let median = median_time_past(recent);
    if header.timestamp <= median {
        return Err(HeaderError::TimestampTooOld { timestamp: header.timestamp, median });
    }
    if header.timestamp > now.saturating_add(MAX_FUTURE_DRIFT) {
        return Err(HeaderError::TimestampInFuture { timestamp: header.timestamp, now });
    }
    Ok(())
}

fn check_gas(header: &Header, parent: &Header) -> Result<(), HeaderError> {
    // geth's `VerifyGaslimit`: |limit − parent| < parent / 1024, and limit ≥ 5000.
    let bound = parent.gas_limit / GAS_LIMIT_BOUND_DIVISOR;
    if header.gas_limit.abs_diff(parent.gas_limit) >= bound || header.gas_limit < MIN_GAS_LIMIT {
        return Err(HeaderError::GasLimitOutOfBounds {
            parent: parent.gas_limit,
            got: header.gas_limit,
        });
    }
    if header.gas_used > header.gas_limit {
        return Err(HeaderError::GasUsedAboveLimit {
            used: header.gas_used,
            limit: header.gas_limit,
        });
    }
    Ok(())
}

fn check_base_fee(header: &Header, parent: &Header) -> Result<(), HeaderError> {
    let expected = next_base_fee(parent);
    if header.base_fee_per_gas != expected {
        return Err(HeaderError::WrongBaseFee { expected, got: header.base_fee_per_gas });
    }
    Ok(())
}
