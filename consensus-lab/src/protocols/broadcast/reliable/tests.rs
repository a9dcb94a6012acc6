//! Scripted tests of the reliable broadcasts (Alg. 3.3, 3.5, 3.12, 3.15): normal case, the
//! faults each survives, the majority bound of URB, sweeps under their fault models, and the
//! two broken variants.

use super::*;
use crate::check::{find, Verdict};
use crate::protocols::broadcast::ordered::{
    CausalFlaw, FifoBroadcast, FifoFlaw, WaitingCausalBroadcast, BROKEN_CAUSAL_NO_WAIT,
    BROKEN_FIFO_NO_BUFFER, CAUSAL, FIFO,
};
use crate::protocols::test_support::{
    assert_clean_sweep, assert_sweep_catches, one_ms_network as constant_latency, SEEDS,
};
use crate::sim::{parse_partitions, FaultPlan, SimConfig, Simulation};
use crate::sweep::sweep;

/// `(time, node, sender, payload)` of every delivery.
fn deliveries<P: Protocol<Output = Deliver>>(
    sim: &Simulation<P>,
) -> Vec<(u64, NodeId, NodeId, u64)> {
    sim.history().outputs().map(|(t, node, d)| (t, node, d.sender, d.payload)).collect()
}

#[test]
fn eager_rb_delivers_each_broadcast_once_everywhere() {
    let mut sim = Simulation::new(SimConfig::new(4, 1), |_, _| {
        PerfectLinks::new(EagerReliableBroadcast::default())
    })
    .with_workload(Workload::scripted([(0, 1, 10), (3_000, 3, 11)]));
    sim.run();
    let mut got: Vec<_> = deliveries(&sim).into_iter().map(|d| (d.1, d.2, d.3)).collect();
    got.sort_unstable();
    let want: Vec<_> = (0..4).flat_map(|p| [(p, 1, 10), (p, 3, 11)]).collect();
    assert_eq!(got, want);
}

#[test]
fn eager_rb_relays_so_a_sender_that_crashes_after_reaching_one_process_reaches_all() {
    // 0's copies to 2 are cut; 0 crashes at 5 ms; only 1's relay can reach 2.
    let plan = FaultPlan {
        crashes: vec![(5_000, 0)],
        partitions: parse_partitions("0>2@0", 3).unwrap(),
        ..FaultPlan::default()
    };
    let mut sim = Simulation::new(constant_latency(3, 2), |_, _| {
        PerfectLinks::new(EagerReliableBroadcast::default())
    })
    .with_workload(Workload::scripted([(0, 0, 7)]))
    .with_faults(plan);
    sim.run();
    let mut at: Vec<_> = deliveries(&sim).into_iter().map(|d| d.1).collect();
    at.sort_unstable();
    assert_eq!(at, vec![0, 1, 2]);
}

#[test]
fn urb_does_not_deliver_until_a_majority_has_the_message() {
    let plan = FaultPlan {
        partitions: parse_partitions("0|1,2@0-100", 3).unwrap(),
        ..FaultPlan::default()
    };
    let mut sim = Simulation::new(constant_latency(3, 3), |_, _| {
        PerfectLinks::new(MajorityAckUrb::new(UrbFlaw::None))
    })
    .with_workload(Workload::scripted([(1_000, 0, 5)]))
    .with_faults(plan);
    sim.run();
    let got = deliveries(&sim);
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(got.iter().all(|d| d.0 > 100_000), "nobody delivers while 0 is cut off: {got:?}");
}

#[test]
fn urb_with_a_majority_crashed_stalls_but_delivers_nothing_unsafe() {
    for seed in 0..10 {
        let mut config = RunConfig::new(3, seed);
        config.faults.crash = 2;
        config.faults.crash_window = 1;
        config.time_limit = 2_000_000;
        let report = MAJORITY_ACK_URB.run(&config);
        assert_eq!(report.decisions, 0, "seed {seed}: {:?}", report.outcomes);
        assert!(!find(&report.verdicts, "validity").holds() || report.outcomes.is_empty());
        assert_eq!(report.safety_violations().count(), 0);
    }
}

/// 0 broadcasts 5 at 1 ms, is cut off from 1 and 2 until 100 ms and crashes at 5 ms; returns
/// every delivery.
fn cut_off_sender_crashes<P>(make: impl Fn() -> P + 'static) -> Vec<(u64, NodeId, NodeId, u64)>
where
    P: Protocol<Request = u64, Output = Deliver> + 'static,
{
    let plan = FaultPlan {
        crashes: vec![(5_000, 0)],
        partitions: parse_partitions("0|1,2@0-100", 3).unwrap(),
        ..FaultPlan::default()
    };
    let mut sim = Simulation::new(constant_latency(3, 4), move |_, _| PerfectLinks::new(make()))
        .with_workload(Workload::scripted([(1_000, 0, 5)]))
        .with_faults(plan);
    sim.run();
    deliveries(&sim)
}

#[test]
fn early_delivering_urb_breaks_uniform_agreement_when_the_deliverer_is_cut_off_and_crashes() {
    let got = cut_off_sender_crashes(|| MajorityAckUrb::new(UrbFlaw::EarlyDeliver));
    assert_eq!(got, vec![(1_000, 0, 0, 5)], "0 delivered, nobody else");
    assert_eq!(cut_off_sender_crashes(|| MajorityAckUrb::new(UrbFlaw::None)), vec![]);
}

/// Process 0 broadcasts 0..6, 0.5 ms apart, over links that reorder half the copies and lose
/// a fifth; returns each process's delivery order.
fn six_reordered_broadcasts(flaw: FifoFlaw) -> Vec<Vec<u64>> {
    let mut config = SimConfig::new(3, 5);
    config.network.reorder = 0.5;
    config.network.loss = 0.2;
    let sends = (0..6).map(|i| (i * 500, 0, i));
    let mut sim = Simulation::new(config, move |_, _| PerfectLinks::new(FifoBroadcast::new(flaw)))
        .with_workload(Workload::scripted(sends));
    sim.run();
    (0..3)
        .map(|p| deliveries(&sim).into_iter().filter(|d| d.1 == p).map(|d| d.3).collect())
        .collect()
}

#[test]
fn fifo_delivers_each_senders_messages_in_order_despite_reordering() {
    for (p, order) in six_reordered_broadcasts(FifoFlaw::None).iter().enumerate() {
        assert_eq!(order, &[0, 1, 2, 3, 4, 5], "process {p}");
    }
}

#[test]
fn fifo_without_a_pending_buffer_delivers_reordered_messages_out_of_order() {
    let orders = six_reordered_broadcasts(FifoFlaw::NoBuffer);
    assert!(orders.iter().any(|o| !o.is_sorted()), "{orders:?}");
}

/// 0 broadcasts a question at 1 ms; 1 delivers it and answers at 10 ms; every copy of the
/// question to 2 (0's and 1's relay) is cut until 5 ms and retransmitted only at 20 ms, so 2
/// rb-delivers the answer first.
fn question_and_answer(flaw: CausalFlaw) -> Vec<u64> {
    let plan =
        FaultPlan { partitions: parse_partitions("0,1>2@0-5", 3).unwrap(), ..FaultPlan::default() };
    let mut sim = Simulation::new(constant_latency(3, 6), move |_, _| {
        PerfectLinks::new(WaitingCausalBroadcast::new(flaw))
    })
    .with_workload(Workload::scripted([(1_000, 0, 1), (10_000, 1, 2)]))
    .with_faults(plan);
    sim.run();
    deliveries(&sim).into_iter().filter(|d| d.1 == 2).map(|d| d.3).collect()
}

#[test]
fn causal_broadcast_holds_back_an_answer_until_its_question_is_delivered() {
    assert_eq!(question_and_answer(CausalFlaw::None), vec![1, 2]);
    assert_eq!(question_and_answer(CausalFlaw::NoWait), vec![2, 1]);
}

fn fault_model(n: usize, crash: usize) -> RunConfig {
    let mut c = RunConfig::new(n, 0);
    c.faults.crash = crash;
    c.network.loss = 0.2;
    c.network.duplication = 0.1;
    c.network.reorder = 0.2;
    c.faults.partitions = parse_partitions("0|1,2,3,4@0-200", n).unwrap();
    c
}

#[test]
fn every_broadcast_holds_its_properties_on_every_seed_under_its_fault_model() {
    assert_clean_sweep(&EAGER_RB, &fault_model(5, 4));
    assert_clean_sweep(&FIFO, &fault_model(5, 4));
    assert_clean_sweep(&CAUSAL, &fault_model(5, 4));
    assert_clean_sweep(&MAJORITY_ACK_URB, &fault_model(5, 2));
}

#[test]
fn the_sweep_catches_early_delivery_in_urb_with_a_seed_that_replays() {
    let mut base = RunConfig::new(3, 0);
    base.faults.crash = 1;
    base.network.loss = 0.5;
    let summary = sweep(&BROKEN_URB_EARLY_DELIVER, &base, 0..SEEDS, || {});
    let seed = summary.first_liveness_failure_seed.expect("violation found");
    assert!(summary.liveness_by_property.contains_key("uniform agreement"), "{summary:?}");
    let replay = BROKEN_URB_EARLY_DELIVER.run(&RunConfig { seed, ..base.clone() });
    assert!(!find(&replay.verdicts, "uniform agreement").holds(), "seed {seed} replays");
    let correct = MAJORITY_ACK_URB.run(&RunConfig { seed, ..base });
    assert!(correct.verdicts.iter().all(Verdict::holds), "{:?}", correct.verdicts);
}

#[test]
fn eager_rb_delivers_at_a_cut_off_sender_that_crashes_so_uniform_agreement_fails() {
    let got = cut_off_sender_crashes(EagerReliableBroadcast::default);
    assert_eq!(got, vec![(1_000, 0, 0, 5)], "0 delivered, nobody else");
}

#[test]
fn the_sweep_catches_eager_rb_used_as_uniform_broadcast_with_a_seed_that_replays() {
    let mut base = RunConfig::new(3, 0);
    base.faults.crash = 1;
    base.network.loss = 0.5;
    let seed = assert_sweep_catches(&BROKEN_URB_EAGER, &base, "uniform agreement");
    let replay = BROKEN_URB_EAGER.run(&RunConfig { seed, ..base.clone() });
    assert!(find(&replay.verdicts, "agreement").holds(), "rb's own properties hold");
    let correct = MAJORITY_ACK_URB.run(&RunConfig { seed, ..base });
    assert!(correct.verdicts.iter().all(Verdict::holds), "{:?}", correct.verdicts);
}

#[test]
fn the_sweep_catches_fifo_broadcast_without_buffering_with_a_seed_that_replays() {
    let base = fault_model(5, 0);
    let seed = assert_sweep_catches(&BROKEN_FIFO_NO_BUFFER, &base, "fifo delivery");
    assert!(FIFO.run(&RunConfig { seed, ..base }).verdicts.iter().all(Verdict::holds));
}

#[test]
fn the_sweep_catches_causal_broadcast_that_ignores_dependencies_with_a_seed_that_replays() {
    let mut base = RunConfig::new(3, 0);
    base.network.loss = 0.2;
    base.network.reorder = 0.3;
    let summary = sweep(&BROKEN_CAUSAL_NO_WAIT, &base, 0..SEEDS, || {});
    let seed = summary.first_failing_seed.expect("violation found");
    assert!(summary.violations.contains_key("causal delivery"), "{summary:?}");
    let replay = BROKEN_CAUSAL_NO_WAIT.run(&RunConfig { seed, ..base });
    assert!(!find(&replay.verdicts, "causal delivery").holds(), "seed {seed} replays");
}
