//! Scripted tests of the atomic registers (Alg. 4.5, Alg. 4.10 / ABD): normal case, the
//! write-back that makes reads atomic, quorum intersection, sweeps under their fault model,
//! and the two broken variants.

use super::*;
use crate::check::{find, Verdict};
use crate::harness::RunConfig;
use crate::protocol::Time;
use crate::protocols::test_support::{assert_clean_sweep, SEEDS};
use crate::sim::{parse_partitions, FaultPlan, LatencyModel, SimConfig, Simulation, Workload};
use crate::sweep::sweep;

fn run_scripted(
    n: usize,
    writer: Writer,
    flaw: ImposeFlaw,
    partitions: &str,
    ops: Vec<(Time, NodeId, RegRequest)>,
) -> Vec<(Time, NodeId, RegReturn)> {
    let mut config = SimConfig::new(n, 1);
    config.network.latency = LatencyModel::Constant(1_000);
    config.time_limit = 2_000_000;
    let plan =
        FaultPlan { partitions: parse_partitions(partitions, n).unwrap(), ..FaultPlan::default() };
    let mut sim =
        Simulation::new(config, move |_, _| PerfectLinks::new(ReadImpose::new(writer, flaw)))
            .with_workload(Workload::scripted(ops))
            .with_faults(plan);
    sim.run();
    sim.history().outputs().map(|(t, node, r)| (t, node, *r)).collect()
}

/// The writer's WRITE is cut from 1 until 5 ms and from 2 until 30 ms (retransmitted at
/// 21 ms); reader 1 asks at 6 ms and hears the new value from 0 first; reader 2 asks at
/// 11 ms and cannot hear from 0.
fn reads_during_a_slow_write(flaw: ImposeFlaw) -> Vec<RegReturn> {
    let got = run_scripted(
        3,
        Writer::Single,
        flaw,
        "0>1@0-5;0>2@0-30",
        vec![
            (1_000, 0, RegRequest::Write(7)),
            (6_000, 1, RegRequest::Read),
            (11_000, 2, RegRequest::Read),
        ],
    );
    got.into_iter().filter(|r| r.1 != 0).map(|r| r.2).collect()
}

#[test]
fn a_reader_that_writes_back_makes_a_later_reader_see_the_new_value_too() {
    assert_eq!(
        reads_during_a_slow_write(ImposeFlaw::None),
        vec![RegReturn::Read(Some(7)), RegReturn::Read(Some(7))]
    );
}

#[test]
fn a_reader_that_skips_the_write_back_lets_a_later_reader_see_the_old_value() {
    assert_eq!(
        reads_during_a_slow_write(ImposeFlaw::NoWriteBack),
        vec![RegReturn::Read(Some(7)), RegReturn::Read(None)],
        "new then old: a new/old inversion"
    );
}

#[test]
fn abd_writers_consult_a_majority_so_later_writes_win_and_reads_agree() {
    let got = run_scripted(
        3,
        Writer::Multi,
        ImposeFlaw::None,
        "none",
        vec![
            (0, 0, RegRequest::Write(1)),
            (0, 2, RegRequest::Write(2)),
            (20_000, 1, RegRequest::Write(3)),
            (40_000, 0, RegRequest::Read),
            (40_000, 2, RegRequest::Read),
        ],
    );
    let reads: Vec<_> =
        got.iter().filter(|r| matches!(r.2, RegReturn::Read(_))).map(|r| r.2).collect();
    assert_eq!(reads, vec![RegReturn::Read(Some(3)); 2], "{got:?}");
    assert_eq!(got.iter().filter(|r| r.2 == RegReturn::Written).count(), 3);
}

#[test]
fn abd_quorums_of_n_over_2_let_a_read_miss_a_completed_write_but_majorities_cannot() {
    let ops = vec![(1_000, 0, RegRequest::Write(5)), (10_000, 2, RegRequest::Read)];
    let broken =
        run_scripted(4, Writer::Multi, ImposeFlaw::HalfQuorum, "0,1|2,3@0-100", ops.clone());
    assert_eq!(
        broken.iter().map(|r| r.2).collect::<Vec<_>>(),
        vec![RegReturn::Written, RegReturn::Read(None)]
    );
    assert!(broken[0].0 < 10_000, "the write returned before the read started");
    let correct = run_scripted(4, Writer::Multi, ImposeFlaw::None, "0,1|2,3@0-100", ops);
    assert!(correct.iter().all(|r| r.0 > 100_000), "nothing completes until the partition heals");
    assert_eq!(correct.iter().find(|r| r.1 == 2).map(|r| r.2), Some(RegReturn::Read(Some(5))));
}

fn fault_model(n: usize) -> RunConfig {
    let mut c = RunConfig::new(n, 0);
    c.faults.crash = (n - 1) / 2;
    c.network.loss = 0.2;
    c.network.duplication = 0.1;
    c.network.reorder = 0.2;
    c.faults.partitions = parse_partitions("0|1,2,3,4@0-200", n).unwrap();
    c
}

#[test]
fn read_impose_and_abd_are_atomic_and_live_on_every_seed_under_their_fault_model() {
    assert_clean_sweep(&READ_IMPOSE_WRITE_MAJORITY, &fault_model(5));
    assert_clean_sweep(&ABD, &fault_model(5));
}

fn assert_sweep_catches(broken: &ProtocolEntry, base: &RunConfig, property: &str) {
    let summary = sweep(broken, base, 0..SEEDS, || {});
    let seed = summary.first_failing_seed.expect("violation found");
    assert!(summary.violations.contains_key(property), "{summary:?}");
    let replay = broken.run(&RunConfig { seed, ..base.clone() });
    assert!(!find(&replay.verdicts, property).holds(), "seed {seed} replays");
}

#[test]
fn the_sweep_catches_readers_that_skip_the_write_back_with_a_seed_that_replays() {
    let mut base = RunConfig::new(3, 0);
    base.network.loss = 0.3;
    base.network.reorder = 0.3;
    assert_sweep_catches(&BROKEN_READ_IMPOSE_NO_WRITE_BACK, &base, "atomicity");
    let correct = READ_IMPOSE_WRITE_MAJORITY.run(&base);
    assert!(correct.verdicts.iter().all(Verdict::holds));
}

#[test]
fn the_sweep_catches_abd_with_quorums_of_n_over_2_with_a_seed_that_replays() {
    let mut base = RunConfig::new(4, 0);
    base.network.loss = 0.3;
    assert_sweep_catches(&BROKEN_ABD_HALF_QUORUM, &base, "atomicity");
}
