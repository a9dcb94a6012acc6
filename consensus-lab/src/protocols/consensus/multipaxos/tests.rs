//! Scripted tests of Multi-Paxos and the KV store on it: steady state, leader failover, the
//! faults of its model, the n = 2f+1 bound, and the two broken variants the sweep must catch.

use super::*;
use crate::check::find;
use crate::harness::RunConfig;
use crate::protocols::consensus::smr_kv::{
    KvCommand, KvOp, KvStore, SmrOutput, TobLog, TobPayload,
};
use crate::protocols::test_support::{all_hold, SEEDS};
use crate::sim::{parse_partitions, FaultPlan, LatencyModel, SimConfig, Simulation, Workload};
use crate::sweep::sweep;

fn kv(id: u64, op: KvOp) -> KvCommand {
    KvCommand { id, op }
}

fn responses(sim: &Simulation<MultiPaxos<KvStore>>) -> Vec<(u64, NodeId, u64)> {
    sim.history()
        .outputs()
        .filter_map(|(t, node, o)| match o {
            SmrOutput::Response { cmd, .. } => Some((t, node, cmd.id)),
            SmrOutput::Decided { .. } => None,
        })
        .collect()
}

/// The full fault model: f crashes (crash-recovery), loss, duplication, reordering, and a
/// partition isolating one process for the first 200 ms.
fn fault_model(n: usize, recover: bool) -> RunConfig {
    let mut c = RunConfig::new(n, 0);
    c.faults.crash = (n - 1) / 2;
    c.faults.recover_after = recover.then_some(100_000);
    c.network.loss = 0.1;
    c.network.duplication = 0.1;
    c.network.reorder = 0.2;
    c.faults.partitions = parse_partitions("0|1,2,3,4@0-200", n).unwrap();
    c
}

#[test]
fn every_replica_applies_the_same_kv_log_and_every_client_gets_its_answer() {
    let ops = [
        (1_000, 1, kv(0, KvOp::Put(7, 1))),
        (30_000, 2, kv(1, KvOp::Get(7))),
        (60_000, 0, kv(2, KvOp::Cas(7, 1, 5))),
        (90_000, 1, kv(3, KvOp::Get(7))),
    ];
    let mut sim =
        Simulation::new(SimConfig::new(3, 1), |_, _| MultiPaxos::<KvStore>::new(Flaw::None))
            .with_workload(Workload::scripted(ops));
    sim.run();
    let answers: Vec<_> = sim
        .history()
        .outputs()
        .filter_map(|(_, _, o)| match o {
            SmrOutput::Response { cmd, result } => Some((cmd.id, *result)),
            SmrOutput::Decided { .. } => None,
        })
        .collect();
    use crate::check::linearizability::RegisterOutput as Out;
    assert_eq!(
        answers,
        vec![
            (0, Out::Written),
            (1, Out::Read(Some(1))),
            (2, Out::Cas(true)),
            (3, Out::Read(Some(5)))
        ]
    );
    let states: Vec<_> = (0..3).map(|i| sim.node(i).unwrap().state().clone()).collect();
    assert!(states.iter().all(|s| *s == states[0]), "{states:?}");
    assert!((0..3).all(|i| sim.node(i).unwrap().applied() == 4));
    assert!(sim.is_quiescent(), "an idle cluster sends nothing");
}

#[test]
fn a_stable_leader_runs_phase_1_once_and_then_one_round_trip_per_slot() {
    let mut config = SimConfig::new(3, 2);
    config.network.latency = LatencyModel::Constant(1_000);
    let ops = (0..5).map(|i| (i * 20_000, 0, kv(i, KvOp::Put(1, i as i64))));
    let mut sim = Simulation::new(config, |_, _| MultiPaxos::<KvStore>::new(Flaw::None))
        .with_workload(Workload::scripted(ops));
    sim.run();
    let answered = responses(&sim);
    assert_eq!(answered.len(), 5);
    // First command: P1a → P1b, then P2a → P2b: two round trips of 2 ms.
    assert_eq!(answered[0].0, 4_000);
    // Every later command at the leader: P2a → P2b, one round trip.
    for (i, (t, node, _)) in answered.iter().enumerate().skip(1) {
        assert_eq!((*t, *node), (i as u64 * 20_000 + 2_000, 0));
    }
    assert_eq!(sim.node(0).unwrap().active_ballot(), Some((1, 0)));
    // Per command: 3 P2a + 3 P2b (self included) + 2 Decision; plus 3 P1a + 3 P1b once, and
    // at the end one Heartbeat/CatchUp pair per follower to confirm it applied the last slot.
    assert_eq!(sim.metrics().messages_sent, 5 * 8 + 6 + 2 * 2);
}

#[test]
fn when_the_leader_crashes_another_process_takes_over_with_a_higher_ballot() {
    let ops = (0..12).map(|i| (i * 10_000, 1 + (i as usize % 4), kv(i, KvOp::Put(0, i as i64))));
    let plan = FaultPlan { crashes: vec![(35_000, 0)], ..FaultPlan::default() };
    let mut sim =
        Simulation::new(SimConfig::new(5, 3), |_, _| MultiPaxos::<KvStore>::new(Flaw::None))
            .with_workload(Workload::scripted(ops))
            .with_faults(plan);
    sim.run();
    assert_eq!(responses(&sim).len(), 12, "every command is answered despite the failover");
    let leaders: Vec<_> = (1..5).filter_map(|i| sim.node(i).unwrap().active_ballot()).collect();
    assert_eq!(leaders.len(), 1, "exactly one new leader: {leaders:?}");
    assert!(leaders[0] > (1, 0) && leaders[0].1 != 0);
    assert!((1..5).all(|i| sim.node(i).unwrap().applied() >= 12));
}

#[test]
fn with_n_2f_plus_1_multipaxos_is_live_with_f_crashes_and_stalls_safely_with_f_plus_1() {
    for (n, f) in [(3, 1), (5, 2)] {
        for seed in 0..10 {
            let mut config = RunConfig::new(n, seed);
            config.faults.crash_window = 1; // crash at t = 0
            config.time_limit = 5_000_000;
            config.faults.crash = f;
            let live = MULTIPAXOS_KV.run(&config);
            assert!(all_hold(&live), "n={n} f={f} seed {seed}: {:?}", live.verdicts);
            assert!(live.decisions > 0);
            config.faults.crash = f + 1;
            let stalled = MULTIPAXOS_KV.run(&config);
            assert_eq!(stalled.decisions, 0, "n={n}, {} crashed, seed {seed}", f + 1);
            assert!(!find(&stalled.verdicts, "command completeness").holds());
            assert_eq!(stalled.safety_violations().count(), 0, "{:?}", stalled.verdicts);
        }
    }
}

#[test]
fn f_plus_1_crashes_in_mid_run_stop_progress_but_never_split_the_log() {
    for seed in 0..10 {
        let mut config = RunConfig::new(5, seed);
        config.faults.crash = 3;
        config.faults.crash_window = 60_000;
        config.time_limit = 5_000_000;
        let report = MULTIPAXOS_KV.run(&config);
        assert_eq!(report.safety_violations().count(), 0, "seed {seed}: {:?}", report.verdicts);
    }
}

#[test]
fn loss_duplication_and_reordering_delay_but_do_not_break_total_order() {
    for seed in 0..20 {
        let mut config = RunConfig::new(5, seed);
        config.network.loss = 0.2;
        config.network.duplication = 0.2;
        config.network.reorder = 0.3;
        let report = MULTIPAXOS_TOB.run(&config);
        assert!(all_hold(&report), "seed {seed}: {:?}", report.verdicts);
        assert_eq!(report.decisions, 40, "seed {seed}");
    }
}

#[test]
fn a_partition_that_heals_lets_the_minority_catch_up_and_its_clients_be_served() {
    for seed in 0..10 {
        let mut config = RunConfig::new(5, seed);
        config.faults.partitions = parse_partitions("0,1|2,3,4@0-300", 5).unwrap();
        let report = MULTIPAXOS_KV.run(&config);
        assert!(all_hold(&report), "seed {seed}: {:?}", report.verdicts);
        assert_eq!(report.decisions, 40, "seed {seed}");
    }
}

#[test]
fn replicas_that_crash_and_recover_replay_the_log_and_answer_their_clients() {
    for seed in 0..20 {
        let mut config = RunConfig::new(5, seed);
        config.faults.crash = 2;
        config.faults.crash_window = 40_000;
        config.faults.recover_after = Some(50_000);
        let report = MULTIPAXOS_KV.run(&config);
        assert!(all_hold(&report), "seed {seed}: {:?}", report.verdicts);
    }
}

#[test]
fn total_order_broadcast_payloads_are_delivered_once_each_in_one_order() {
    let ops = (0..6).map(|i| (i * 2_000, i as usize % 3, TobPayload(i)));
    let mut sim =
        Simulation::new(SimConfig::new(3, 9), |_, _| MultiPaxos::<TobLog>::new(Flaw::None))
            .with_workload(Workload::scripted(ops));
    sim.run();
    let mut logs = vec![Vec::new(); 3];
    for (_, node, o) in sim.history().outputs() {
        if let SmrOutput::Decided {
            entry: crate::protocols::consensus::smr_kv::Entry::Cmd(p),
            ..
        } = o
        {
            logs[node].push(p.cmd);
        }
    }
    let mut sorted = logs[0].clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..6).map(TobPayload).collect::<Vec<_>>());
    assert!(logs.iter().all(|l| *l == logs[0]), "{logs:?}");
}

/// `SEEDS` seeds (1,000 in release, 50 in debug) of the KV store under the whole fault model,
/// crash-stop and crash-recovery: every checker, linearizability included, passes.
#[test]
fn multipaxos_kv_is_safe_live_and_linearizable_on_every_seed_under_its_fault_model() {
    for recover in [false, true] {
        let summary = sweep(&MULTIPAXOS_KV, &fault_model(5, recover), 0..SEEDS, || {});
        assert_eq!(summary.runs, SEEDS);
        assert!(summary.violations.is_empty(), "{summary:?}");
        assert_eq!(summary.liveness_failures, 0, "{summary:?}");
    }
}

/// `SEEDS` seeds of total-order broadcast under the whole fault model (crash-recovery).
#[test]
fn multipaxos_tob_is_safe_and_live_on_every_seed_under_its_fault_model() {
    let summary = sweep(&MULTIPAXOS_TOB, &fault_model(5, true), 0..SEEDS, || {});
    assert!(summary.violations.is_empty(), "{summary:?}");
    assert_eq!(summary.liveness_failures, 0, "{summary:?}");
}

#[test]
fn the_sweep_catches_a_leader_that_skips_phase_1_with_a_seed_that_replays() {
    let mut base = fault_model(5, false);
    base.faults.crash = 0;
    let summary = sweep(&BROKEN_MULTIPAXOS_NO_PHASE1, &base, 0..SEEDS, || {});
    let seed = summary.first_failing_seed.expect("violation found");
    assert!(summary.violations.contains_key("log agreement"), "{summary:?}");
    let replay = BROKEN_MULTIPAXOS_NO_PHASE1.run(&RunConfig { seed, ..base });
    assert!(replay.safety_violations().count() > 0, "seed {seed} replays");
}

#[test]
fn the_sweep_catches_quorums_of_n_over_2_with_a_seed_that_replays() {
    let mut base = RunConfig::new(4, 0);
    base.network.loss = 0.3;
    let summary = sweep(&BROKEN_MULTIPAXOS_QUORUM, &base, 0..SEEDS, || {});
    let seed = summary.first_failing_seed.expect("violation found");
    let replay = BROKEN_MULTIPAXOS_QUORUM.run(&RunConfig { seed, ..base.clone() });
    assert!(replay.safety_violations().count() > 0, "seed {seed} replays");
    // Correct Multi-Paxos on the same seed and faults keeps every property.
    assert!(all_hold(&MULTIPAXOS_KV.run(&RunConfig { seed, ..base })));
}
