//! Scripted tests of EPaxos: the one-round-trip fast path, the slow path on conflicts,
//! execution order through dependency cycles, recovery of a crashed leader's instances, the
//! faults it must survive, and the broken fast path the checker must catch.

use super::*;
use crate::check::find;
use crate::harness::RunConfig;
use crate::protocols::test_support::{all_hold, one_ms_network, SEEDS};
use crate::sim::{parse_partitions, FaultPlan, Simulation, Workload};
use crate::sweep::sweep;

fn put(id: u64, key: u64) -> Command {
    Command::Put { id, key, value: 1_000 + id }
}

#[test]
fn quorum_sizes_follow_the_paper() {
    assert_eq!((EPaxos::f(3), EPaxos::fast_quorum(3)), (1, 2));
    assert_eq!((EPaxos::f(5), EPaxos::fast_quorum(5)), (2, 3));
    assert_eq!((EPaxos::f(7), EPaxos::fast_quorum(7)), (3, 5));
}

#[test]
fn a_command_without_conflicts_commits_in_one_round_trip_on_the_fast_path() {
    let mut sim = Simulation::new(one_ms_network(5, 1), |_, _| EPaxos::new(Flaw::None))
        .with_workload(Workload::scripted([(0, 2, put(1, 7))]));
    sim.run();
    // PreAccept (1 ms) → PreAcceptOK (2 ms): the leader commits and executes at 2 ms.
    let history = sim.history();
    let leader = history.outputs().find(|o| o.1 == 2).unwrap();
    assert_eq!(leader.0, 2_000);
    assert_eq!(history.outputs().count(), 5, "every replica executes it");
    assert!((0..5).all(|r| sim.node(r).unwrap().value(7) == Some(1_001)));
}

#[test]
fn of_two_concurrent_conflicting_commands_the_second_seen_takes_the_slow_path_after_the_first() {
    // Replicas 0 and 4 propose on key 7 at the same time. Replicas 1–3 see 0's PreAccept first
    // (it was sent first), so 0.0 gets unchanged replies and commits on the fast path; 4.0's
    // replies all add 0.0 to its deps, so 4.0 goes through Paxos-Accept and is ordered after.
    let mut sim = Simulation::new(one_ms_network(5, 2), |_, _| EPaxos::new(Flaw::None))
        .with_workload(Workload::scripted([(0, 0, put(1, 7)), (0, 4, put(2, 7))]));
    sim.run();
    let replica = sim.node(0).unwrap();
    assert_eq!(replica.committed_attrs((0, 0)).unwrap().deps, BTreeSet::new());
    assert_eq!(replica.committed_attrs((4, 0)).unwrap().deps, BTreeSet::from([(0, 0)]));
    assert!((0..5).all(|r| sim.node(r).unwrap().value(7) == Some(1_002)), "put 2 wins everywhere");
    let history = sim.history();
    let at = |id: u64, r: NodeId| {
        history.outputs().find(|o| o.1 == r && o.2.cmd.id() == Some(id)).map(|o| o.0).unwrap()
    };
    assert_eq!(at(1, 0), 2_000, "fast path: one round trip");
    assert!(at(2, 4) >= 4_000, "slow path: two round trips, executed at {}", at(2, 4));
}

#[test]
fn a_dependency_cycle_is_executed_in_seq_order_everywhere() {
    let mut sim =
        Simulation::new(one_ms_network(3, 3), |_, _| EPaxos::new(Flaw::None)).with_workload(
            Workload::scripted([(0, 0, put(1, 5)), (0, 1, put(2, 5)), (0, 2, put(3, 5))]),
        );
    sim.run();
    let history = sim.history();
    let order = |r: NodeId| -> Vec<Option<u64>> {
        history.outputs().filter(|o| o.1 == r).map(|o| o.2.cmd.id()).collect()
    };
    assert_eq!(order(0).len(), 3);
    assert_eq!(order(0), order(1));
    assert_eq!(order(0), order(2));
}

#[test]
fn a_leader_that_crashes_mid_phase_1_has_its_instance_recovered_by_the_others() {
    // Replica 0 crashes at 1.5 ms: its PreAccept reached everyone at 1 ms, but no reply got
    // back. Replica 1's later command on the same key depends on 0.0, so the others must
    // recover 0.0 (commit it or a no-op) before they can execute it.
    let plan = FaultPlan { crashes: vec![(1_500, 0)], ..FaultPlan::default() };
    let mut sim = Simulation::new(one_ms_network(5, 4), |_, _| EPaxos::new(Flaw::None))
        .with_workload(Workload::scripted([(0, 0, put(1, 9)), (5_000, 1, put(2, 9))]))
        .with_faults(plan);
    sim.run();
    for r in 1..5 {
        assert_eq!(sim.node(r).unwrap().status((0, 0)), Some(Status::Committed), "replica {r}");
        assert_eq!(sim.node(r).unwrap().value(9), Some(1_002), "replica {r}");
    }
}

#[test]
fn loss_duplication_and_reordering_delay_but_do_not_break_epaxos() {
    for seed in 0..20 {
        let mut config = RunConfig::new(5, seed);
        config.network.loss = 0.2;
        config.network.duplication = 0.2;
        config.network.reorder = 0.3;
        let report = EPAXOS.run(&config);
        assert!(all_hold(&report), "seed {seed}: {:?}", report.verdicts);
        assert_eq!(report.decisions, COMMANDS as u64, "seed {seed}");
    }
}

#[test]
fn a_minority_crashed_mid_run_leaves_the_rest_executing_in_a_consistent_order() {
    for seed in 0..20 {
        let mut config = RunConfig::new(5, seed);
        config.faults.crash = 2;
        let report = EPAXOS.run(&config);
        assert!(all_hold(&report), "seed {seed}: {:?}", report.verdicts);
    }
}

#[test]
fn a_partition_that_heals_lets_the_cut_off_replica_catch_up() {
    let mut config = RunConfig::new(5, 5);
    config.faults.partitions = parse_partitions("0,1|2,3,4@0-200", 5).unwrap();
    let report = EPAXOS.run(&config);
    assert!(all_hold(&report), "{:?}", report.verdicts);
}

fn epaxos_fault_model(n: usize) -> RunConfig {
    let mut c = RunConfig::new(n, 0);
    c.faults.crash = (n - 1) / 2;
    c.network.loss = 0.1;
    c.network.duplication = 0.1;
    c.network.reorder = 0.2;
    c.faults.partitions = parse_partitions("0|1,2,3,4@0-200", n).unwrap();
    c
}

/// `SEEDS` seeds (1,000 in release) under the whole fault model.
#[test]
fn epaxos_executes_interfering_commands_in_one_order_on_every_seed() {
    let summary = sweep(&EPAXOS, &epaxos_fault_model(5), 0..SEEDS, || {});
    assert!(summary.violations.is_empty(), "{summary:?}");
    assert_eq!(summary.liveness_failures, 0, "{summary:?}");
}

#[test]
fn the_sweep_catches_a_fast_path_that_ignores_deps_and_names_a_seed_that_replays() {
    let base = RunConfig::new(5, 0);
    let summary = sweep(&BROKEN_EPAXOS_IGNORE_DEPS, &base, 0..SEEDS, || {});
    assert!(summary.violations.contains_key("conflict order"), "{summary:?}");
    let seed = summary.first_failing_seed.expect("violation found");
    let replay = BROKEN_EPAXOS_IGNORE_DEPS.run(&RunConfig { seed, ..base.clone() });
    assert!(!find(&replay.verdicts, "conflict order").holds(), "seed {seed} replays");
    assert!(all_hold(&EPAXOS.run(&RunConfig { seed, ..base })));
}
