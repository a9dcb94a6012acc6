//! The masking-quorum register: byzhighval, safe and live with f Byzantine servers of n = 4f + 1
//! under every strategy, and the bound n > 4f shown at n = 4f both ways (blocked with the
//! algorithm's quorums, unsafe with live ones).

use super::*;
use crate::adversary::Strategy;
use crate::check::find;
use crate::protocols::registers::byzantine::OPERATIONS;
use crate::protocols::test_support::{all_hold, assert_sweep_catches, byzantine_config, SEEDS};
use crate::sim::LatencyModel;
use crate::sweep::sweep;

#[test]
fn byzhighval_believes_only_pairs_with_more_than_f_vouchers() {
    let replies = [Some((2, 20)), Some((2, 20)), Some((9, 99)), Some((1, 10)), Some((1, 10))];
    assert_eq!(byzhighval(&replies, 1), Some(20), "(9, 99) has one voucher");
    assert_eq!(byzhighval(&replies, 2), None, "nothing has three");
    assert_eq!(byzhighval(&[None, None, Some((1, 10))], 1), None);
}

#[test]
fn quorums_of_the_algorithm_exceed_n_minus_f_exactly_when_n_is_at_most_4f() {
    for f in 1..5 {
        let at_bound = 4 * f;
        assert!(Quorums::Masking.size(at_bound, f) > Quorums::NMinusF.size(at_bound, f));
        assert!(Quorums::Masking.size(at_bound + 1, f) <= Quorums::NMinusF.size(at_bound + 1, f));
    }
}

#[test]
fn without_faults_every_operation_returns_and_reads_return_the_last_write() {
    let report = MASKING_QUORUM_REGISTER.run(&RunConfig::new(5, 3));
    assert!(all_hold(&report), "{:?}", report.verdicts);
    assert_eq!(report.decisions, OPERATIONS as u64);
}

fn slow_tail(n: usize, f: usize, strategy: Strategy) -> RunConfig {
    let mut config = byzantine_config(n, f, strategy);
    config.network.latency = LatencyModel::Exponential { min: 1_000, mean: 10_000 };
    config
}

/// Runs `SEEDS` seeds (1,000 in release) for n = 5, f = 1 and n = 9, f = 2 under each
/// strategy: every read safe, every operation returns.
#[test]
fn the_register_is_safe_and_live_with_f_byzantine_servers_of_4f_plus_1_under_every_strategy() {
    for (n, f) in [(5, 1), (9, 2)] {
        for strategy in Strategy::ALL {
            let summary =
                sweep(&MASKING_QUORUM_REGISTER, &slow_tail(n, f, strategy), 0..SEEDS, || {});
            assert!(summary.violations.is_empty(), "n = {n}, {strategy:?}: {summary:?}");
            assert_eq!(summary.liveness_failures, 0, "n = {n}, {strategy:?}: {summary:?}");
        }
    }
}

/// n = 4f with quorums of n − f: a read meets the last write's quorum in 2f servers and the
/// Byzantine ones, with a correct server the write has not reached, vouch for ⊥.
#[test]
fn at_n_4f_live_quorums_return_a_stale_value_with_a_seed_that_replays() {
    let config = slow_tail(4, 1, Strategy::Equivocate);
    let seed = assert_sweep_catches(&BROKEN_MASKING_N_MINUS_F, &config, "safety");
    eprintln!(
        "register-byzantine-masking-broken-n-minus-f n = 4, f = 1: first failing seed {seed}"
    );
    let at_4f_plus_1 =
        sweep(&BROKEN_MASKING_N_MINUS_F, &slow_tail(5, 1, Strategy::Equivocate), 0..SEEDS, || {});
    assert!(
        at_4f_plus_1.violations.is_empty(),
        "n − f quorums are safe at n = 4f + 1: {at_4f_plus_1:?}"
    );
}

/// n = 4f with the algorithm's quorums (> 3f, i.e. all 4 servers): one silent server blocks.
#[test]
fn at_n_4f_the_algorithms_quorums_are_blocked_by_one_silent_server() {
    let config = slow_tail(4, 1, Strategy::Silence);
    let report = MASKING_QUORUM_REGISTER.run(&config);
    assert!(!find(&report.verdicts, "termination").holds());
    assert!(find(&report.verdicts, "safety").holds());
}
