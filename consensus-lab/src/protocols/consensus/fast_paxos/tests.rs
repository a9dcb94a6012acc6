//! Scripted tests of Fast Paxos: the two-delay fast path, collision recovery through a classic
//! round, the O4 value-selection rule, the faults it must survive, and the broken fast quorum.

use super::*;
use crate::check::find;
use crate::protocols::test_support::{all_hold, one_ms_network, SEEDS};
use crate::sim::{parse_partitions, FaultPlan, SimConfig, Simulation};
use crate::sweep::sweep;

#[test]
fn quorum_sizes_follow_the_paper_and_intersect_as_required() {
    for n in 3..=12 {
        let (c, f) = (classic_quorum(n), fast_quorum(n));
        assert!(2 * c > n, "two classic quorums meet (n = {n})");
        assert!(c + 2 * f > 2 * n, "a classic quorum meets any two fast quorums (n = {n})");
    }
    assert_eq!((classic_quorum(5), fast_quorum(5)), (3, 4));
    // The broken variant's fast quorum fails the second condition.
    assert!(classic_quorum(5) + 2 * classic_quorum(5) <= 2 * 5);
}

#[test]
fn a_lone_proposer_is_chosen_in_two_message_delays_on_the_fast_path() {
    let mut sim = Simulation::new(one_ms_network(5, 1), |_, _| FastPaxos::new(Flaw::None))
        .with_workload(Workload::scripted([(0, 2, 7)]));
    sim.run();
    let outputs: Vec<_> = sim.history().outputs().map(|(t, node, d)| (t, node, *d)).collect();
    // propose → 2b: two one-way delays of 1 ms (Paxos needs four).
    assert_eq!(outputs.len(), 5);
    assert!(outputs.iter().all(|&(t, _, d)| d == Decide(7) && t <= 2_000), "{outputs:?}");
    assert!(sim.is_quiescent(), "decided processes stop their timers");
}

#[test]
fn five_concurrent_proposals_collide_and_a_classic_round_recovers_quickly() {
    // Every acceptor votes its own proposal first (self-delivery is immediate): five different
    // values in round 1, so every learner detects the collision once it has all five 2b's.
    let mut sim = Simulation::new(one_ms_network(5, 2), |_, _| FastPaxos::new(Flaw::None))
        .with_workload(Workload::scripted((0..5).map(|i| (0, i, 100 + i as Value))));
    sim.run();
    let decided: Vec<_> = (0..5).map(|i| sim.node(i).unwrap().decided()).collect();
    assert!(decided.iter().all(|d| d.is_some() && *d == decided[0]), "{decided:?}");
    let history = sim.history();
    let times: Vec<Time> = history.outputs().map(|o| o.0).collect();
    assert!(times.iter().all(|&t| t > 2_000), "nothing is chosen in the fast round");
    assert!(times.iter().all(|&t| t < BASE_TIMEOUT), "collision detection beats the timeout");
}

fn quorum_of(votes: &[(Round, Option<Value>)]) -> BTreeMap<NodeId, (Round, Option<Value>)> {
    votes.iter().copied().enumerate().collect()
}

#[test]
fn the_o4_rule_keeps_a_value_that_may_have_been_chosen_in_the_fast_round() {
    let mut p = FastPaxos::new(Flaw::None);
    p.proposal = Some(1);
    let fast = |v| (FAST_ROUND, Some(v));
    // n = 5, q_f = 4: 7 may have been chosen (two voters in Q + the two outside Q); 8 may not.
    assert_eq!(p.pick_value(5, &quorum_of(&[fast(7), fast(7), fast(8)])), Some(7));
    // No value can have been chosen: any value of V is allowed (we take the largest).
    assert_eq!(p.pick_value(5, &quorum_of(&[fast(7), fast(8), fast(9)])), Some(9));
    // A classic round's single value wins over older fast votes.
    let q = quorum_of(&[fast(7), fast(7), ((2, 3), Some(9))]);
    assert_eq!(p.pick_value(5, &q), Some(9));
    // Nobody voted: the coordinator's own proposal.
    assert_eq!(p.pick_value(5, &quorum_of(&[(NO_ROUND, None); 3])), Some(1));
    // With a majority as fast quorum, O4 holds for 8 as well, and the tie-break drops 7.
    let broken = FastPaxos { proposal: Some(1), ..FastPaxos::new(Flaw::ClassicFastQuorum) };
    assert_eq!(broken.pick_value(5, &quorum_of(&[fast(7), fast(7), fast(8)])), Some(8));
}

#[test]
fn two_crashed_acceptors_rule_out_the_fast_path_but_a_classic_round_decides() {
    let plan = FaultPlan { crashes: vec![(0, 0), (0, 4)], ..FaultPlan::default() };
    let mut sim = Simulation::new(SimConfig::new(5, 3), |_, _| FastPaxos::new(Flaw::None))
        .with_workload(Workload::scripted([(10, 2, 42)]))
        .with_faults(plan);
    sim.run();
    let decided: Vec<_> = (1..4).map(|i| sim.node(i).unwrap().decided()).collect();
    assert_eq!(decided, vec![Some(42); 3]);
    let first = sim.history().outputs().map(|o| o.0).min().unwrap();
    assert!(first >= BASE_TIMEOUT, "three fast votes are not enough: decided at {first}");
}

#[test]
fn a_majority_crashed_stalls_fast_paxos_but_keeps_it_safe() {
    for seed in 0..10 {
        let mut config = RunConfig::new(5, seed);
        config.faults.crash = 3;
        config.faults.crash_window = 1;
        config.time_limit = 5_000_000;
        let report = FAST_PAXOS.run(&config);
        assert_eq!(report.decisions, 0, "seed {seed}");
        assert!(!find(&report.verdicts, "termination").holds());
        assert_eq!(report.safety_violations().count(), 0);
    }
}

#[test]
fn loss_duplication_and_reordering_delay_but_do_not_break_fast_paxos() {
    for seed in 0..20 {
        let mut config = RunConfig::new(5, seed);
        config.network.loss = 0.2;
        config.network.duplication = 0.2;
        config.network.reorder = 0.3;
        let report = FAST_PAXOS.run(&config);
        assert!(all_hold(&report), "seed {seed}: {:?}", report.verdicts);
    }
}

#[test]
fn a_partition_that_heals_lets_the_minority_side_learn_the_decision() {
    let mut config = RunConfig::new(5, 4);
    config.faults.partitions = parse_partitions("0,1|2,3,4@0-300", 5).unwrap();
    let report = FAST_PAXOS.run(&config);
    assert!(all_hold(&report), "{:?}", report.verdicts);
    assert_eq!(report.decisions, 5);
}

#[test]
fn crashed_acceptors_that_recover_keep_their_votes_and_everyone_decides() {
    for seed in 0..20 {
        let mut config = RunConfig::new(5, seed);
        config.faults.crash = 2;
        config.faults.crash_window = 20_000;
        config.faults.recover_after = Some(30_000);
        let report = FAST_PAXOS.run(&config);
        assert!(all_hold(&report), "seed {seed}: {:?}", report.verdicts);
        assert_eq!(report.decisions, 5, "seed {seed}");
    }
}

fn fast_paxos_fault_model(n: usize, recover: bool) -> RunConfig {
    let mut c = RunConfig::new(n, 0);
    c.faults.crash = (n - 1) / 2;
    c.faults.recover_after = recover.then_some(100_000);
    c.network.loss = 0.1;
    c.network.duplication = 0.1;
    c.network.reorder = 0.2;
    c.faults.partitions = parse_partitions("0|1,2,3,4@0-200", n).unwrap();
    c
}

/// `SEEDS` seeds (1,000 in release) under the whole fault model, crash-recovery and crash-stop.
#[test]
fn fast_paxos_is_safe_and_live_on_every_seed_under_its_fault_model() {
    for recover in [true, false] {
        let base = fast_paxos_fault_model(5, recover);
        let summary = sweep(&FAST_PAXOS, &base, 0..SEEDS, || {});
        assert!(summary.violations.is_empty(), "recover {recover}: {summary:?}");
        assert_eq!(summary.liveness_failures, 0, "recover {recover}: {summary:?}");
    }
}

#[test]
fn the_sweep_catches_a_majority_fast_quorum_and_names_a_seed_that_replays() {
    let mut base = RunConfig::new(5, 0);
    base.network.loss = 0.3;
    let summary = sweep(&BROKEN_FAST_PAXOS_SMALL_FAST_QUORUM, &base, 0..SEEDS, || {});
    assert!(summary.violations.contains_key("uniform agreement"), "{summary:?}");
    let seed = summary.first_failing_seed.expect("violation found");
    let replay = BROKEN_FAST_PAXOS_SMALL_FAST_QUORUM.run(&RunConfig { seed, ..base.clone() });
    assert!(!find(&replay.verdicts, "uniform agreement").holds(), "seed {seed} replays");
    let correct = FAST_PAXOS.run(&RunConfig { seed, ..base });
    assert!(all_hold(&correct), "correct Fast Paxos is safe on seed {seed}");
}
