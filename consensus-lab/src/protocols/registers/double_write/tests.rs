//! The double-write register: the read rule, regular and live with f Byzantine servers of
//! n = 3f + 1 under every strategy, and the bound n > 3f shown at n = 3f both ways (blocked
//! with the algorithm's quorums, a stale read with live ones).

use super::*;
use crate::adversary::Strategy;
use crate::check::find;
use crate::protocols::registers::byzantine::OPERATIONS;
use crate::protocols::test_support::{
    all_hold, assert_clean_sweep, assert_sweep_catches,
    assert_tolerates_f_byzantine_under_every_strategy, byzantine_config, SEEDS,
};
use crate::sim::LatencyModel;
use crate::sweep::sweep;

fn state(pre: Pair, written: Pair) -> State {
    State { pre, written }
}

#[test]
fn the_read_rule_needs_more_than_f_vouchers_and_a_quorum_not_above() {
    let (a, b) = ((1, Some(10)), (2, Some(20)));
    // n = 4, f = 1, quorum 3: two servers wrote 2, one is still pre-writing 2, one lies high.
    let lie = state((9, Some(99)), (8, Some(99)));
    let list = [state(b, b), state(b, b), state(b, a), lie];
    assert_eq!(select(&list, 1, 3), Some(Some(20)), "(9, 99) has one voucher");
    // Only one server has 2 (pre-written): not authentic; 1 is, but the server that wrote 2
    // is above it, so Q = the other three.
    let list = [state(a, a), state(a, a), state(b, a), state(b, b)];
    assert_eq!(select(&list, 1, 3), Some(Some(20)), "2 has two vouchers");
    let list = [state(a, a), state(a, a), state(b, b)];
    assert_eq!(select(&list, 1, 3), None, "2 has one voucher, 1 is below the writer of 2");
    assert_eq!(select(&[State::INITIAL; 3], 1, 3), Some(None));
    assert!(!state((3, Some(1)), (1, Some(1))).consistent());
}

#[test]
fn quorums_of_the_algorithm_exceed_n_minus_f_exactly_when_n_is_at_most_3f() {
    for f in 1..5 {
        let at_bound = 3 * f;
        assert!(Quorums::Byzantine.size(at_bound, f) > Quorums::NMinusF.size(at_bound, f));
        let above = at_bound + 1;
        assert_eq!(Quorums::Byzantine.size(above, f), Quorums::NMinusF.size(above, f));
    }
}

#[test]
fn without_faults_every_operation_returns_and_reads_are_regular() {
    for n in [4, 7] {
        let report = DOUBLE_WRITE_REGISTER.run(&RunConfig::new(n, 3));
        assert!(all_hold(&report), "n = {n}: {:?}", report.verdicts);
        assert_eq!(report.decisions, OPERATIONS as u64);
    }
}

/// Log-normal latencies, median e^8.5 µs ≈ 4.9 ms, σ = 1.5 (`--latency lognormal:8.5,1.5`): a
/// heavy tail, so that a server often gets a write long after the quorum acknowledged it.
fn heavy_tail(n: usize, f: usize, strategy: Strategy) -> RunConfig {
    let mut config = byzantine_config(n, f, strategy);
    config.network.latency = LatencyModel::LogNormal { mu: 8.5, sigma: 1.5 };
    config
}

/// Runs `SEEDS` seeds (1,000 in release) for n = 4 and n = 7 with f Byzantine servers under
/// each strategy, and for n = 4 with a heavy tail: every read regular, every operation returns.
#[test]
fn the_register_is_regular_and_live_with_f_byzantine_servers_of_3f_plus_1_under_every_strategy() {
    assert_tolerates_f_byzantine_under_every_strategy(&DOUBLE_WRITE_REGISTER);
    for strategy in Strategy::ALL {
        assert_clean_sweep(&DOUBLE_WRITE_REGISTER, &heavy_tail(4, 1, strategy));
    }
}

/// n = 3f with quorums of n − f = 2f: a read's quorum meets the last write's in f servers, the
/// Byzantine one claims ⊥ with a correct server the write has not reached, and the read
/// returns ⊥ after the write returned.
#[test]
fn at_n_3f_live_quorums_return_a_stale_value_with_a_seed_that_replays() {
    let config = heavy_tail(3, 1, Strategy::Equivocate);
    let seed = assert_sweep_catches(&BROKEN_DOUBLE_WRITE_N_MINUS_F, &config, "regularity");
    eprintln!(
        "register-byzantine-double-write-broken-n-minus-f n = 3, f = 1: first failing seed {seed}"
    );
    let at_3f_plus_1 = sweep(
        &BROKEN_DOUBLE_WRITE_N_MINUS_F,
        &heavy_tail(4, 1, Strategy::Equivocate),
        0..SEEDS,
        || {},
    );
    assert!(at_3f_plus_1.violations.is_empty(), "n − f quorums are the algorithm's at n = 3f + 1");
}

/// n = 3f with the algorithm's quorums (> 2f, i.e. all 3 servers): one silent server blocks.
#[test]
fn at_n_3f_the_algorithms_quorums_are_blocked_by_one_silent_server() {
    let report = DOUBLE_WRITE_REGISTER.run(&heavy_tail(3, 1, Strategy::Silence));
    assert!(!find(&report.verdicts, "termination").holds());
    assert!(find(&report.verdicts, "regularity").holds());
}
