//! Scripted tests of the regular registers (Alg. 4.1 over P, Alg. 4.2): normal case, crashes
//! they survive, the majority bound (n = 2f+1: live with f crashes, stalled but safe with
//! f + 1), and sweeps under their fault models.

use super::*;
use crate::check::find;
use crate::protocols::test_support::{assert_clean_sweep, one_ms_network as constant_latency};
use crate::sim::{parse_partitions, FaultPlan, Simulation};

/// `(time, node, return)` of every operation that returned.
fn returns<P: Protocol<Output = RegReturn>>(sim: &Simulation<P>) -> Vec<(Time, NodeId, RegReturn)> {
    sim.history().outputs().map(|(t, node, r)| (t, node, *r)).collect()
}

fn rowa() -> ExcludeOnTimeout<PerfectLinks<Rowa>> {
    ExcludeOnTimeout::new(PerfectLinks::new(Rowa::default()), PERFECT_DELTA)
}

#[test]
fn rowa_reads_locally_the_value_the_writer_wrote_to_everyone() {
    let mut sim =
        Simulation::new(constant_latency(3, 1), |_, _| rowa()).with_workload(Workload::scripted([
            (0, 1, RegRequest::Read),
            (1_000, 0, RegRequest::Write(7)),
            (10_000, 2, RegRequest::Read),
        ]));
    sim.run();
    let got = returns(&sim);
    assert_eq!(got[0], (0, 1, RegReturn::Read(None)), "a read is local and immediate");
    // WRITE reaches the others at 2 ms, their ACKs come back at 3 ms.
    assert!(got.contains(&(3_000, 0, RegReturn::Written)), "{got:?}");
    assert!(got.contains(&(10_000, 2, RegReturn::Read(Some(7)))), "{got:?}");
}

#[test]
fn rowa_writer_waits_for_p_to_detect_a_crashed_replica_then_returns() {
    let plan = FaultPlan { crashes: vec![(0, 2)], ..FaultPlan::default() };
    let mut sim = Simulation::new(constant_latency(3, 2), |_, _| rowa())
        .with_workload(Workload::scripted([(1_000, 0, RegRequest::Write(7))]))
        .with_faults(plan);
    sim.run();
    let got = returns(&sim);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].2, RegReturn::Written);
    assert!(got[0].0 >= PERFECT_DELTA, "returned only once P detected 2: {got:?}");
}

#[test]
fn majority_voting_reads_the_last_write_from_a_majority() {
    let mut sim =
        Simulation::new(
            constant_latency(5, 3),
            |_, _| PerfectLinks::new(MajorityVoting::default()),
        )
        .with_workload(Workload::scripted([
            (0, 0, RegRequest::Write(1)),
            (10_000, 0, RegRequest::Write(2)),
            (20_000, 3, RegRequest::Read),
        ]))
        .with_faults(FaultPlan { crashes: vec![(0, 1), (0, 2)], ..FaultPlan::default() });
    sim.run();
    assert_eq!(
        returns(&sim),
        vec![
            (2_000, 0, RegReturn::Written),
            (12_000, 0, RegReturn::Written),
            (22_000, 3, RegReturn::Read(Some(2)))
        ]
    );
}

fn majority_bound(crash: usize, seed: u64) -> RunConfig {
    let mut c = RunConfig::new(3, seed);
    c.faults.crash = crash;
    c.faults.crash_window = 1; // at t = 0
    c.time_limit = 5_000_000;
    c
}

#[test]
fn majority_voting_with_n_3_stays_live_with_1_crash_and_stalls_safely_with_2() {
    for seed in 0..20 {
        let live = MAJORITY_VOTING_REGISTER.run(&majority_bound(1, seed));
        assert!(live.verdicts.iter().all(Verdict::holds), "seed {seed}: {:?}", live.verdicts);
        assert!(live.decisions > 0);
        let stalled = MAJORITY_VOTING_REGISTER.run(&majority_bound(2, seed));
        assert_eq!(stalled.decisions, 0, "seed {seed}: {:?}", stalled.outcomes);
        assert!(!find(&stalled.verdicts, "termination").holds(), "seed {seed}");
        assert!(find(&stalled.verdicts, "regularity").holds(), "seed {seed}");
    }
}

#[test]
fn rowa_is_regular_and_live_on_every_seed_with_all_but_one_process_crashing() {
    let mut base = RunConfig::new(3, 0);
    base.faults.crash = 2;
    base.faults.crash_window = 100_000;
    base.network.duplication = 0.2;
    base.time_limit = 5_000_000;
    assert_clean_sweep(&READ_ONE_WRITE_ALL, &base);
}

#[test]
fn majority_voting_is_regular_and_live_on_every_seed_under_its_fault_model() {
    let mut base = RunConfig::new(5, 0);
    base.faults.crash = 2;
    base.network.loss = 0.2;
    base.network.duplication = 0.1;
    base.network.reorder = 0.2;
    base.faults.partitions = parse_partitions("0|1,2,3,4@0-200", 5).unwrap();
    assert_clean_sweep(&MAJORITY_VOTING_REGISTER, &base);
}
