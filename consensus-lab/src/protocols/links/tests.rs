//! Scripted tests of the perfect-links layer: normal case, fair-loss faults, partitions,
//! crash-recovery, the sweep under its fault model, and the broken no-dedup variant.

use super::*;
use crate::check::{find, Verdict};
use crate::protocols::test_support::SEEDS;
use crate::sim::{parse_partitions, FaultPlan, SimConfig, Simulation};
use crate::sweep::sweep;

fn deliveries(sim: &Simulation<PerfectLinks<LinkUser>>) -> Vec<(NodeId, NodeId, u64)> {
    let mut got: Vec<_> =
        sim.history().outputs().map(|(_, at, d)| (at, d.from, d.payload.0)).collect();
    got.sort_unstable();
    got
}

#[test]
fn without_faults_each_message_is_delivered_once_and_the_layer_falls_quiet() {
    let mut sim = Simulation::new(SimConfig::new(3, 1), |_, _| PerfectLinks::new(LinkUser))
        .with_workload(Workload::scripted([(0, 0, (1, Payload(5))), (10, 2, (0, Payload(6)))]));
    sim.run();
    assert_eq!(deliveries(&sim), vec![(0, 2, 6), (1, 0, 5)]);
    assert!(sim.is_quiescent(), "acknowledged messages are not retransmitted");
}

#[test]
fn under_heavy_loss_and_duplication_every_message_still_arrives_exactly_once() {
    let mut config = SimConfig::new(2, 7);
    config.network.loss = 0.6;
    config.network.duplication = 0.5;
    let sends = (0..10).map(|i| (i * 1_000, 0, (1, Payload(i))));
    let mut sim = Simulation::new(config, |_, _| PerfectLinks::new(LinkUser))
        .with_workload(Workload::scripted(sends));
    sim.run();
    assert!(sim.metrics().messages_dropped > 5, "the network did lose copies");
    assert_eq!(deliveries(&sim), (0..10).map(|i| (1, 0, i)).collect::<Vec<_>>());
}

#[test]
fn a_message_sent_into_a_partition_is_delivered_after_it_heals() {
    let mut config = SimConfig::new(2, 3);
    config.network.latency = crate::sim::LatencyModel::Constant(1_000);
    let plan =
        FaultPlan { partitions: parse_partitions("0|1@0-500", 2).unwrap(), ..FaultPlan::default() };
    let mut sim = Simulation::new(config, |_, _| PerfectLinks::new(LinkUser))
        .with_workload(Workload::scripted([(1_000, 0, (1, Payload(9)))]))
        .with_faults(plan);
    sim.run();
    let got: Vec<_> = sim.history().outputs().map(|(t, at, d)| (t, at, d.payload)).collect();
    assert_eq!(got.len(), 1);
    assert!(got[0].0 > 500_000, "delivered only after the heal at 500 ms: {got:?}");
}

#[test]
fn a_recovered_sender_uses_a_new_incarnation_so_its_new_messages_are_not_taken_for_duplicates() {
    let plan = FaultPlan {
        crashes: vec![(50_000, 0)],
        recoveries: vec![(60_000, 0)],
        ..FaultPlan::default()
    };
    let mut sim = Simulation::new(SimConfig::new(2, 4), |_, _| PerfectLinks::new(LinkUser))
        .with_workload(Workload::scripted([(0, 0, (1, Payload(1))), (70_000, 0, (1, Payload(2)))]))
        .with_faults(plan);
    sim.run();
    assert_eq!(deliveries(&sim), vec![(1, 0, 1), (1, 0, 2)]);
}

#[test]
fn a_crashed_recipient_keeps_being_retransmitted_to_but_with_backoff() {
    let mut config = RunConfig::new(2, 5);
    config.time_limit = 10_000_000;
    let plan_crash_1 = FaultPlan { crashes: vec![(0, 1)], ..FaultPlan::default() };
    let mut sim = Simulation::new(config.sim_config(), |_, _| PerfectLinks::new(LinkUser))
        .with_workload(Workload::scripted([(10, 0, (1, Payload(1)))]))
        .with_faults(plan_crash_1);
    sim.run();
    // 10 s at a period doubling from 20 ms up to 1.28 s: about 14 retransmissions, not 500.
    let sent = sim.metrics().messages_sent;
    assert!((5..30).contains(&sent), "{sent} copies sent");
}

#[test]
fn the_link_experiment_holds_on_every_seed_under_its_fault_model() {
    let mut base = RunConfig::new(4, 0);
    base.faults.crash = 2;
    base.network.loss = 0.3;
    base.network.duplication = 0.2;
    base.network.reorder = 0.2;
    base.faults.partitions = parse_partitions("0|1,2,3@0-200", 4).unwrap();
    let summary = sweep(&PERFECT_LINKS, &base, 0..SEEDS, || {});
    assert_eq!(summary.runs, SEEDS);
    assert!(summary.violations.is_empty(), "{summary:?}");
    assert_eq!(summary.liveness_failures, 0, "{summary:?}");
}

#[test]
fn the_sweep_catches_links_without_duplicate_elimination_with_a_seed_that_replays() {
    let mut base = RunConfig::new(3, 0);
    base.network.loss = 0.2;
    let summary = sweep(&BROKEN_LINKS_NO_DEDUP, &base, 0..SEEDS, || {});
    let seed = summary.first_failing_seed.expect("a duplicate delivery is found");
    assert!(summary.violations.contains_key("no duplication"), "{summary:?}");
    let replay = BROKEN_LINKS_NO_DEDUP.run(&RunConfig { seed, ..base.clone() });
    assert!(!find(&replay.verdicts, "no duplication").holds(), "seed {seed} replays");
    let correct = PERFECT_LINKS.run(&RunConfig { seed, ..base });
    assert!(correct.verdicts.iter().all(Verdict::holds), "{:?}", correct.verdicts);
}

/// 0 sends to 1 at 0 ms; 1's acknowledgements are cut until 200 ms, so 0 keeps retransmitting;
/// 1 crashes at 30 ms and recovers at 50 ms.
fn deliveries_at_a_recovering_receiver(logged: bool) -> Vec<(NodeId, NodeId, u64)> {
    let plan = FaultPlan {
        crashes: vec![(30_000, 1)],
        recoveries: vec![(50_000, 1)],
        partitions: parse_partitions("1>0@0-200", 2).unwrap(),
        ..FaultPlan::default()
    };
    let mut sim = Simulation::new(SimConfig::new(2, 8), move |_, _| {
        if logged {
            PerfectLinks::logged(LinkUser)
        } else {
            PerfectLinks::new(LinkUser)
        }
    })
    .with_workload(Workload::scripted([(0, 0, (1, Payload(3)))]))
    .with_faults(plan);
    sim.run();
    deliveries(&sim)
}

#[test]
fn logged_links_do_not_deliver_again_after_a_recovery_but_unlogged_ones_do() {
    assert_eq!(deliveries_at_a_recovering_receiver(true), vec![(1, 0, 3)]);
    assert_eq!(deliveries_at_a_recovering_receiver(false), vec![(1, 0, 3), (1, 0, 3)]);
}

#[test]
fn logged_links_hold_on_every_seed_under_crash_recovery() {
    let mut base = RunConfig::new(4, 0);
    base.faults.crash = 2;
    base.faults.recover_after = Some(30_000);
    base.network.loss = 0.3;
    base.network.duplication = 0.2;
    base.network.reorder = 0.2;
    let summary = sweep(&LOGGED_PERFECT_LINKS, &base, 0..SEEDS, || {});
    assert!(summary.violations.is_empty(), "{summary:?}");
    assert_eq!(summary.liveness_failures, 0, "{summary:?}");
}
