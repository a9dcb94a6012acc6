//! Scripted tests of Basic HotStuff: the normal case and its linear message count, the
//! 1,000-seed sweeps under every strategy with f Byzantine replicas, and the two ways past the
//! bound the sweep must catch.

use super::*;
use crate::adversary::Strategy;
use crate::check::find;
use crate::harness::RunConfig;
use crate::protocols::test_support::{
    all_hold, assert_tolerates_f_byzantine_under_every_strategy, byzantine_config, SEEDS,
};
use crate::sim::LatencyModel;
use crate::sweep::sweep;

/// Per view: n NEW-VIEWs (the leader's to itself included), n−1 PREPAREs, 3n votes (the
/// leader's own included), 3(n−1) PRE-COMMIT/COMMIT/DECIDEs: 8n − 4, linear in n. One view per
/// command, plus the NEW-VIEWs of the view after the last.
#[test]
fn messages_per_decision_are_linear_in_n_for_4_7_and_10_replicas() {
    let mut per_decision = Vec::new();
    for n in [4u64, 7, 10] {
        let mut config = RunConfig::new(n as usize, 1);
        config.network.latency = LatencyModel::Constant(1_000);
        let report = HOTSTUFF.run(&config);
        assert!(all_hold(&report), "n = {n}: {:?}", report.verdicts);
        assert_eq!(report.decisions, COMMANDS);
        assert_eq!(report.metrics.messages_sent, COMMANDS * (8 * n - 4) + n, "n = {n}");
        per_decision.push(report.messages_per_decision());
    }
    // Linear: n = 4 → 10 multiplies the count by about 76/28 ≈ 2.7, not (10/4)² = 6.25.
    let growth = per_decision[2] / per_decision[0];
    assert!((2.5..3.0).contains(&growth), "{per_decision:?}");
}

#[test]
fn four_replicas_with_the_default_network_commit_every_command_in_one_order() {
    for seed in 0..20 {
        let report = HOTSTUFF.run(&RunConfig::new(4, seed));
        assert!(all_hold(&report), "seed {seed}: {:?}", report.verdicts);
    }
}

/// Runs `SEEDS` seeds (1,000 in release) for n = 4 and n = 7 with f Byzantine replicas under
/// each strategy: never a fork, and every command committed everywhere.
#[test]
fn hotstuff_is_safe_and_live_with_f_byzantine_replicas_under_every_strategy() {
    assert_tolerates_f_byzantine_under_every_strategy(&HOTSTUFF);
}

/// Runs `SEEDS` seeds with f+1 equivocating replicas, and with f and QCs one vote short.
#[test]
fn f_plus_one_byzantine_or_qcs_one_short_fork_the_log_with_a_seed_that_replays() {
    for (experiment, n, k) in
        [(&HOTSTUFF, 4, 2), (&HOTSTUFF, 7, 3), (&BROKEN_HOTSTUFF_SMALL_QUORUM, 4, 1)]
    {
        let config = byzantine_config(n, k, Strategy::Equivocate);
        let summary = sweep(experiment, &config, 0..SEEDS, || {});
        let seed = summary.first_failing_seed.expect("the sweep finds a fork");
        eprintln!("{} n = {n} with {k} Byzantine: first failing seed {seed}", experiment.name);
        let replay = experiment.run(&RunConfig { seed, ..config });
        assert!(!find(&replay.verdicts, "log agreement").holds(), "seed {seed} replays");
    }
}
