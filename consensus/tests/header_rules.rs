//! Every header rule has a header that breaks exactly that rule, and the typed error it gets.

use alloy_primitives::{Address, B256, U256};
use quarry_consensus::{
    check_pow, next_base_fee, validate_header, AsertParams, ChainRules, HeaderError,
};
use quarry_primitives::pow::target_from_bits;
use quarry_primitives::Header;

/// Regtest-easy target: about half of all hashes meet it, so mining in a test is instant.
const EASY_BITS: u32 = 0x207fffff;
const GENESIS_TIME: u64 = 1_700_000_000;
const BLOCK_TIME: u64 = 2;

fn rules() -> ChainRules {
    ChainRules {
        chain_id: 1337,
        asert: AsertParams::from_bits(EASY_BITS, EASY_BITS, BLOCK_TIME, 120).unwrap(),
        genesis_timestamp: GENESIS_TIME,
        block_subsidy: alloy_primitives::U256::ZERO,
        allow_unprotected_txs: false,
    }
}

fn genesis() -> Header {
    Header {
        number: 0,
        gas_limit: 30_000_000,
        timestamp: GENESIS_TIME,
        base_fee_per_gas: 1_000_000_000,
        bits: EASY_BITS,
        ..Default::default()
    }
}

/// Searches nonces until the header meets its target (or, with `want_valid = false`, until it
/// does not).
fn seal(mut header: Header, want_valid: bool) -> Header {
    let target = target_from_bits(header.bits).unwrap();
    for nonce in 0.. {
        header.nonce = nonce;
        let meets = U256::from_be_bytes(header.hash().0) <= target;
        if meets == want_valid {
            return header;
        }
    }
    unreachable!()
}

/// A valid child of `parent`, on schedule, with `edit` applied before sealing.
fn child(parent: &Header, edit: impl FnOnce(&mut Header)) -> Header {
    let mut header = Header {
        parent_hash: parent.hash(),
        beneficiary: Address::repeat_byte(0xbe),
        number: parent.number + 1,
        gas_limit: parent.gas_limit,
        gas_used: 0,
        timestamp: parent.timestamp + BLOCK_TIME,
        base_fee_per_gas: next_base_fee(parent),
        bits: rules().next_bits(parent),
        ..Default::default()
    };
    edit(&mut header);
    seal(header, true)
}

fn check(header: &Header, parent: &Header) -> Result<(), HeaderError> {
    validate_header(&rules(), header, parent, &[parent.timestamp], header.timestamp)
}

#[test]
fn an_on_schedule_child_is_valid() {
    let g = genesis();
    let a = child(&g, |_| {});
    assert_eq!(check(&a, &g), Ok(()));
    let b = child(&a, |_| {});
    assert_eq!(check(&b, &a), Ok(()));
}

#[test]
fn a_wrong_parent_hash_is_refused() {
    let g = genesis();
    let a = child(&g, |h| h.parent_hash = B256::repeat_byte(1));
    assert_eq!(
        check(&a, &g),
        Err(HeaderError::ParentHashMismatch { expected: g.hash(), got: B256::repeat_byte(1) })
    );
}

#[test]
fn a_skipped_number_is_refused() {
    let g = genesis();
    let a = child(&g, |h| h.number = 2);
    assert_eq!(check(&a, &g), Err(HeaderError::NumberMismatch { parent: 0, got: 2 }));
}

#[test]
fn bits_other_than_asert_are_refused() {
    let g = genesis();
    let a = child(&g, |h| h.bits = 0x207ffffe);
    assert_eq!(check(&a, &g), Err(HeaderError::WrongBits { expected: EASY_BITS, got: 0x207ffffe }));
}

#[test]
fn a_hash_above_the_target_is_refused() {
    let g = genesis();
    let valid = child(&g, |_| {});
    let invalid = seal(valid.clone(), false);
    let target = target_from_bits(EASY_BITS).unwrap();
    assert_eq!(
        check(&invalid, &g),
        Err(HeaderError::InsufficientWork { pow_hash: invalid.hash(), target })
    );
    assert!(check_pow(&valid).is_ok());
}

#[test]
fn unusable_bits_are_refused_as_such() {
    let header = Header { bits: 0x04923456, ..genesis() };
    assert!(matches!(check_pow(&header), Err(HeaderError::InvalidBits(_))));
}

#[test]
fn a_timestamp_not_after_the_median_time_past_is_refused() {
    let g = genesis();
    let a = child(&g, |h| h.timestamp = g.timestamp);
    let recent = [g.timestamp];
    assert_eq!(
        validate_header(&rules(), &a, &g, &recent, a.timestamp),
        Err(HeaderError::TimestampTooOld { timestamp: g.timestamp, median: g.timestamp })
    );
}

#[test]
fn a_timestamp_more_than_15_seconds_ahead_is_refused() {
    let g = genesis();
    let a = child(&g, |_| {});
    let now = a.timestamp - 16;
    assert_eq!(
        validate_header(&rules(), &a, &g, &[g.timestamp], now),
        Err(HeaderError::TimestampInFuture { timestamp: a.timestamp, now })
    );
    assert_eq!(validate_header(&rules(), &a, &g, &[g.timestamp], a.timestamp - 15), Ok(()));
}

#[test]
fn the_gas_limit_may_move_by_less_than_1_1024th() {
    let g = genesis();
    let step = g.gas_limit / 1024;
    let ok = child(&g, |h| h.gas_limit = g.gas_limit + step - 1);
    assert_eq!(check(&ok, &g), Ok(()));
    let too_far = child(&g, |h| h.gas_limit = g.gas_limit + step);
    assert_eq!(
        check(&too_far, &g),
        Err(HeaderError::GasLimitOutOfBounds { parent: g.gas_limit, got: g.gas_limit + step })
    );
}

#[test]
fn gas_used_above_the_limit_is_refused() {
    let g = genesis();
    let a = child(&g, |h| h.gas_used = h.gas_limit + 1);
    assert_eq!(
        check(&a, &g),
        Err(HeaderError::GasUsedAboveLimit { used: g.gas_limit + 1, limit: g.gas_limit })
    );
}

#[test]
fn a_base_fee_off_the_eip1559_rule_is_refused() {
    let g = genesis();
    let a = child(&g, |h| h.base_fee_per_gas += 1);
    let expected = next_base_fee(&g);
    assert_eq!(check(&a, &g), Err(HeaderError::WrongBaseFee { expected, got: expected + 1 }));
}

#[test]
fn extra_data_over_32_bytes_is_refused() {
    let g = genesis();
    let a = child(&g, |h| h.extra_data = vec![0; 33].into());
    assert_eq!(check(&a, &g), Err(HeaderError::ExtraDataTooLong { len: 33 }));
}

#[test]
fn the_base_fee_follows_eip1559_toward_half_the_gas_limit() {
    let g = genesis();
    // Empty parent: down 1/8.
    assert_eq!(next_base_fee(&g), 875_000_000);
    // Parent exactly at target: unchanged.
    let at_target = Header { gas_used: g.gas_limit / 2, ..g.clone() };
    assert_eq!(next_base_fee(&at_target), 1_000_000_000);
    // Full parent: up 1/8.
    let full = Header { gas_used: g.gas_limit, ..g.clone() };
    assert_eq!(next_base_fee(&full), 1_125_000_000);
    // Slightly over target with a tiny base fee: up by at least 1 wei.
    let tiny = Header { base_fee_per_gas: 7, gas_used: g.gas_limit / 2 + 1, ..g };
    assert_eq!(next_base_fee(&tiny), 8);
}
