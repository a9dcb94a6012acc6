//! Scripted tests of PBFT: the normal case and its quadratic message count, a silent primary
//! replaced by a view change, the 1,000-seed sweeps under every adversary strategy with f
//! Byzantine replicas, and the two ways past the bound the sweep must catch (f+1 Byzantine
//! replicas; quorums one smaller).

use super::*;
use crate::adversary::{AdversaryPlan, Strategy, StrategyAdversary};
use crate::check::find;
use crate::harness::RunConfig;
use crate::protocols::byzantine::pbft::experiment::{BROKEN_PBFT_SMALL_QUORUM, PBFT, REQUESTS};
use crate::protocols::test_support::{
    all_hold, assert_tolerates_f_byzantine_under_every_strategy, byzantine_config, one_ms_network,
    SEEDS,
};
use crate::sim::{LatencyModel, Simulation, Workload};
use crate::sweep::sweep;

fn constant_latency(n: usize, seed: u64) -> RunConfig {
    let mut config = RunConfig::new(n, seed);
    config.network.latency = LatencyModel::Constant(1_000);
    config
}

#[test]
fn four_replicas_without_faults_execute_every_request_in_the_same_order() {
    let report = PBFT.run(&RunConfig::new(4, 1));
    assert!(all_hold(&report), "{:?}", report.verdicts);
    assert_eq!(report.decisions, REQUESTS as u64);
}

/// Normal case per request (§4.2): 1 request, n−1 pre-prepares, (n−1)² prepares (backups to
/// the others), n(n−1) commits, n replies; plus a checkpoint round n(n−1) every K requests.
#[test]
fn messages_per_request_are_quadratic_in_n_for_4_7_and_10_replicas() {
    let mut per_decision = Vec::new();
    for n in [4usize, 7, 10] {
        let report = PBFT.run(&constant_latency(n, 3));
        assert!(all_hold(&report), "n = {n}: {:?}", report.verdicts);
        let r = REQUESTS;
        let checkpoints = r / CHECKPOINT_INTERVAL as usize;
        let expected =
            r * (1 + (n - 1) + (n - 1) * (n - 1) + n * (n - 1) + n) + checkpoints * n * (n - 1);
        assert_eq!(report.metrics.messages_sent, expected as u64, "n = {n}");
        per_decision.push(report.messages_per_decision());
    }
    // Quadratic: going from n = 4 to n = 10 multiplies the count by about (10/4)² = 6.25.
    let growth = per_decision[2] / per_decision[0];
    assert!((5.0..7.0).contains(&growth), "{per_decision:?}");
}

#[test]
fn a_silent_primary_is_replaced_by_a_view_change_and_every_request_completes() {
    let n = 4;
    let plan = AdversaryPlan { corrupted: [0].into(), side_b: [1].into() };
    let adversary = StrategyAdversary::new(Strategy::Silence, &plan, n);
    let mut sim =
        Simulation::new(one_ms_network(n + 1, 1), move |me, _| Pbft::new(me, n, Flaw::None))
            .with_workload(Workload::scripted((0..3).map(|i| (i * 1_000, n, i + 1))))
            .with_adversary([0], Box::new(adversary));
    sim.run();
    let completed = sim
        .history()
        .outputs()
        .filter(|(_, node, o)| *node == n && matches!(o, PbftOutput::Complete { .. }))
        .count();
    assert_eq!(completed, 3);
    for replica in 1..n {
        let node = sim.node(replica).unwrap();
        assert!(node.view().unwrap() >= 1, "replica {replica} left view 0");
        assert_eq!(node.executed().unwrap().iter().flatten().count(), 3);
    }
}

/// Runs `SEEDS` seeds (1,000 in release) for n = 4 and n = 7 with f = (n−1)/3 Byzantine
/// replicas under each strategy: no safety violation, and every request completes.
#[test]
fn pbft_is_safe_and_live_with_f_byzantine_replicas_under_every_strategy() {
    assert_tolerates_f_byzantine_under_every_strategy(&PBFT);
}

/// Runs `SEEDS` seeds with f+1 equivocating replicas out of n = 4 and n = 7: the correct
/// replicas' logs split and the sweep names a seed that replays the violation.
#[test]
fn f_plus_one_equivocating_replicas_split_the_log_and_the_sweep_names_the_seed() {
    for n in [4, 7] {
        let base = byzantine_config(n, (n - 1) / 3 + 1, Strategy::Equivocate);
        let summary = sweep(&PBFT, &base, 0..SEEDS, || {});
        let seed = summary.first_failing_seed.expect("f+1 Byzantine replicas break PBFT");
        eprintln!("pbft n = {n} with f+1 Byzantine: first failing seed {seed}");
        let replay = PBFT.run(&RunConfig { seed, ..base });
        assert!(replay.safety_violations().count() > 0, "seed {seed} replays");
    }
}

/// Runs `SEEDS` seeds of the quorum-one-smaller variant with f equivocating replicas.
#[test]
fn quorums_one_smaller_let_f_equivocating_replicas_split_the_log() {
    let base = byzantine_config(4, 1, Strategy::Equivocate);
    let summary = sweep(&BROKEN_PBFT_SMALL_QUORUM, &base, 0..SEEDS, || {});
    let seed = summary.first_failing_seed.expect("2f quorums are caught");
    eprintln!("pbft-broken-quorum: first failing seed {seed}");
    assert!(summary.violations.contains_key("log agreement"), "{summary:?}");
    let replay = BROKEN_PBFT_SMALL_QUORUM.run(&RunConfig { seed, ..base });
    assert!(!find(&replay.verdicts, "log agreement").holds(), "seed {seed} replays");
}
