//! Scripted tests of P, ◇P, leader election and Ω: normal case, the crashes and timing faults
//! each survives, sweeps under their fault models, and the too-short-timeout variants.

use super::*;
use crate::check::{find, Verdict};
use crate::protocols::test_support::{assert_clean_sweep, assert_sweep_catches, SEEDS};
use crate::sim::{parse_partitions, FaultPlan, SimConfig, Simulation};
use crate::sweep::sweep;

fn config(n: usize, seed: u64) -> RunConfig {
    let mut c = RunConfig::new(n, seed);
    c.time_limit = 5_000_000;
    c
}

fn sim_config(n: usize, seed: u64) -> SimConfig {
    config(n, seed).sim_config()
}

fn indications<P: Protocol<Output = Indication>>(
    sim: &Simulation<P>,
) -> Vec<(Time, NodeId, Indication)> {
    sim.history().outputs().map(|(t, node, ind)| (t, node, *ind)).collect()
}

#[test]
fn without_crashes_the_perfect_detector_detects_nobody() {
    let mut sim = Simulation::new(sim_config(4, 1), |_, _| {
        ExcludeOnTimeout::new(DetectorUser, PERFECT_DELTA)
    });
    sim.run();
    assert!(indications(&sim).is_empty(), "{:?}", indications(&sim));
    assert!(sim.metrics().messages_sent > 1000, "heartbeats kept flowing for 5 s");
}

#[test]
fn a_crash_is_detected_by_every_correct_process_within_two_timeouts() {
    let plan = FaultPlan { crashes: vec![(100_000, 2)], ..FaultPlan::default() };
    let mut sim = Simulation::new(sim_config(4, 2), |_, _| {
        ExcludeOnTimeout::new(DetectorUser, PERFECT_DELTA)
    })
    .with_faults(plan);
    sim.run();
    let got = indications(&sim);
    let mut detectors: Vec<_> = got.iter().map(|o| o.1).collect();
    detectors.sort_unstable();
    assert_eq!(detectors, vec![0, 1, 3], "{got:?}");
    assert!(got.iter().all(|&(t, _, ind)| ind == Indication::Crash(2)
        && (100_000..=100_000 + 2 * PERFECT_DELTA).contains(&t)));
}

#[test]
fn a_timeout_shorter_than_a_round_trip_makes_p_detect_live_processes() {
    let mut config = config(3, 3);
    config.network.latency = crate::sim::LatencyModel::Constant(5_000);
    let report = BROKEN_FD_SHORT_TIMEOUT.run(&config);
    assert!(!find(&report.verdicts, "strong accuracy").holds());
    assert!(PERFECT_FD.run(&config).verdicts.iter().all(Verdict::holds));
}

#[test]
fn the_leader_is_process_0_until_it_crashes_then_process_1_everywhere() {
    let plan = FaultPlan { crashes: vec![(200_000, 0)], ..FaultPlan::default() };
    let mut sim = Simulation::new(sim_config(3, 4), |_, _| {
        ExcludeOnTimeout::new(Monarchical::new(false), PERFECT_DELTA)
    })
    .with_faults(plan);
    sim.run();
    let got = indications(&sim);
    let initial: Vec<_> = got.iter().filter(|o| o.0 == 0).map(|o| o.2).collect();
    assert_eq!(initial, vec![Indication::Leader(0); 3]);
    let mut later: Vec<_> = got.iter().filter(|o| o.0 > 0).map(|o| (o.1, o.2)).collect();
    later.sort_unstable();
    assert_eq!(later, vec![(1, Indication::Leader(1)), (2, Indication::Leader(1))]);
    assert!(got.iter().all(|o| o.0 == 0 || o.0 > 200_000));
    assert_eq!(sim.node(1).unwrap().upper().leader(), Some(1));
}

#[test]
fn diamond_p_suspects_across_a_partition_restores_after_the_heal_and_lengthens_its_timeout() {
    let plan = FaultPlan {
        partitions: parse_partitions("0|1,2@100-400", 3).unwrap(),
        ..FaultPlan::default()
    };
    let mut sim = Simulation::new(sim_config(3, 5), |_, _| {
        IncreasingTimeout::new(DetectorUser, EVENTUAL_DELTA)
    })
    .with_faults(plan);
    sim.run();
    let got = indications(&sim);
    assert!(got.iter().any(|o| o.1 == 1 && o.2 == Indication::Suspect(0) && o.0 > 100_000));
    assert!(got.iter().any(|o| o.1 == 1 && o.2 == Indication::Restore(0) && o.0 > 400_000));
    let h = DetectorHistory {
        n: 3,
        crashes: Default::default(),
        outputs: got,
        correct: (0..3).collect(),
    };
    assert!(check::check_eventually_perfect(&h).iter().all(Verdict::holds));
    let node = sim.node(0).unwrap();
    assert!(node.delay() > EVENTUAL_DELTA, "a false suspicion lengthened the timeout");
}

#[test]
fn omega_moves_away_from_a_partitioned_leader_and_back_once_it_is_reachable() {
    let plan = FaultPlan {
        partitions: parse_partitions("0|1,2,3@100-400", 4).unwrap(),
        ..FaultPlan::default()
    };
    let mut sim = Simulation::new(sim_config(4, 6), |_, _| {
        IncreasingTimeout::new(Monarchical::new(true), EVENTUAL_DELTA)
    })
    .with_faults(plan);
    sim.run();
    let trust_of_3: Vec<_> =
        indications(&sim).into_iter().filter(|o| o.1 == 3).map(|o| o.2).collect();
    assert_eq!(trust_of_3.first(), Some(&Indication::Trust(0)));
    assert!(trust_of_3.contains(&Indication::Trust(1)), "{trust_of_3:?}");
    assert_eq!(trust_of_3.last(), Some(&Indication::Trust(0)));
}

fn synchronous(n: usize) -> RunConfig {
    let mut c = config(n, 0);
    c.faults.crash = n - 1;
    c.faults.crash_window = 1_000_000;
    c.network.duplication = 0.2;
    c
}

/// An asynchronous period (a partition until 600 ms), then synchrony with round trips up to
/// 20 ms, which ◇P, starting from a 10 ms timeout, has to learn.
fn eventually_synchronous(n: usize) -> RunConfig {
    let mut c = config(n, 0);
    c.faults.crash = n - 2;
    c.faults.crash_window = 1_000_000;
    c.network.duplication = 0.2;
    c.faults.partitions = parse_partitions("0,1|2,3,4@100-600", n).unwrap();
    c
}

#[test]
fn p_and_leader_election_hold_on_every_seed_with_all_but_one_process_crashing() {
    assert_clean_sweep(&PERFECT_FD, &synchronous(5));
    assert_clean_sweep(&LEADER_ELECTION, &synchronous(5));
}

#[test]
fn diamond_p_and_omega_hold_on_every_seed_after_partitions_heal() {
    assert_clean_sweep(&EVENTUALLY_PERFECT_FD, &eventually_synchronous(5));
    assert_clean_sweep(&EVENTUAL_LEADER, &eventually_synchronous(5));
}

#[test]
fn the_sweep_catches_a_too_short_timeout_in_p_and_in_leader_election_with_replaying_seeds() {
    let base = synchronous(5);
    for (broken, property) in
        [(&BROKEN_FD_SHORT_TIMEOUT, "strong accuracy"), (&BROKEN_LEADER_SHORT_TIMEOUT, "accuracy")]
    {
        let summary = sweep(broken, &base, 0..SEEDS, || {});
        let seed = summary.first_failing_seed.expect("violation found");
        assert!(summary.violations.contains_key(property), "{summary:?}");
        let replay = broken.run(&RunConfig { seed, ..base.clone() });
        assert!(!find(&replay.verdicts, property).holds(), "seed {seed} replays");
    }
}

#[test]
fn diamond_p_with_a_fixed_timeout_keeps_suspecting_correct_processes_whose_replies_are_slow() {
    // Round trips of 2-20 ms against a timeout fixed at 10 ms, no crashes at all.
    let mut sim = Simulation::new(sim_config(3, 7), |_, _| {
        IncreasingTimeout::with_fixed_timeout(DetectorUser, EVENTUAL_DELTA)
    });
    sim.run();
    let got = indications(&sim);
    let late = got.iter().filter(|o| o.0 > 4_000_000 && matches!(o.2, Indication::Suspect(_)));
    assert!(late.count() > 10, "still suspecting in the run's last second");
    assert_eq!(sim.node(0).unwrap().delay(), EVENTUAL_DELTA, "the timeout never grew");
    let mut increasing = Simulation::new(sim_config(3, 7), |_, _| {
        IncreasingTimeout::new(DetectorUser, EVENTUAL_DELTA)
    });
    increasing.run();
    assert!(indications(&increasing).iter().all(|o| o.0 < 1_000_000), "Alg. 2.7 learns");
}

#[test]
fn the_sweep_catches_diamond_p_with_a_fixed_timeout_with_a_seed_that_replays() {
    let base = eventually_synchronous(5);
    let broken = &BROKEN_EVENTUALLY_PERFECT_FIXED_TIMEOUT;
    let seed = assert_sweep_catches(broken, &base, "eventual strong accuracy");
    assert!(EVENTUALLY_PERFECT_FD
        .run(&RunConfig { seed, ..base })
        .verdicts
        .iter()
        .all(Verdict::holds));
}
