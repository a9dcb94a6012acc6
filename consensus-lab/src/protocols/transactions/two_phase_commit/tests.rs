//! Scripted tests of two-phase commit: the normal case, the faults it survives, its blocking
//! when the coordinator crashes after the votes, and the broken variant the checker must catch.

use super::*;
use crate::check::{find, PropertyKind, Verdict};
use crate::protocols::test_support::SEEDS;
use crate::sim::{parse_partitions, FaultPlan, LatencyModel, SimConfig, Simulation};
use crate::sweep::sweep;

fn all_yes(n: usize) -> Workload<Request> {
    let mut requests = vec![(0, COORDINATOR, Request::Begin)];
    requests.extend((1..n).map(|p| (0, p, Request::Ready(Vote::Yes))));
    Workload::scripted(requests)
}

/// Constant 1 ms latency and a 5 s budget: 2PC's blocking runs end by the budget.
fn one_ms_network(n: usize, seed: u64) -> SimConfig {
    let mut config = SimConfig::new(n, seed);
    config.network.latency = LatencyModel::Constant(1_000);
    config.time_limit = 5_000_000;
    config
}

fn decisions(sim: &Simulation<TwoPhaseCommit>, n: usize) -> Vec<Option<Outcome>> {
    (0..n).map(|i| sim.node(i).and_then(TwoPhaseCommit::decided)).collect()
}

#[test]
fn all_yes_votes_commit_everywhere_in_two_round_trips() {
    let mut sim = Simulation::new(one_ms_network(4, 1), |_, _| TwoPhaseCommit::new(Flaw::None))
        .with_workload(all_yes(4));
    sim.run();
    assert_eq!(decisions(&sim, 4), vec![Some(Outcome::Commit); 4]);
    // VOTE-REQ (1 ms) → VOTE (2 ms): coordinator decides; COMMIT arrives at 3 ms.
    let history = sim.history();
    let times: Vec<_> = history.outputs().filter(|o| matches!(o.2, Output::Decided(_))).collect();
    assert!(times.iter().all(|(t, _, _)| *t <= 3_000), "{times:?}");
    assert!(sim.is_quiescent(), "decided processes stop their timers");
}

#[test]
fn a_single_no_vote_aborts_everywhere_and_the_no_voter_aborts_at_once() {
    let mut requests = vec![(0, COORDINATOR, Request::Begin), (0, 1, Request::Ready(Vote::Yes))];
    requests.extend([(0, 2, Request::Ready(Vote::No)), (0, 3, Request::Ready(Vote::Yes))]);
    let mut sim = Simulation::new(one_ms_network(4, 2), |_, _| TwoPhaseCommit::new(Flaw::None))
        .with_workload(Workload::scripted(requests));
    sim.run();
    assert_eq!(decisions(&sim, 4), vec![Some(Outcome::Abort); 4]);
    let history = sim.history();
    let first = history.outputs().find(|o| matches!(o.2, Output::Decided(_))).unwrap();
    assert_eq!((first.0, first.1), (1_000, 2), "the No voter decides on its own, at 1 ms");
}

#[test]
fn loss_duplication_and_reordering_delay_but_do_not_break_2pc() {
    for seed in 0..30 {
        let mut config = RunConfig::new(4, seed);
        config.network.loss = 0.2;
        config.network.duplication = 0.2;
        config.network.reorder = 0.3;
        let report = TWO_PHASE_COMMIT.run(&config);
        assert!(report.verdicts.iter().all(Verdict::holds), "seed {seed}: {:?}", report.verdicts);
        assert_eq!(report.decisions, 4, "seed {seed}");
    }
}

#[test]
fn a_crashed_participant_makes_the_coordinator_abort_at_its_vote_deadline() {
    let plan = FaultPlan { crashes: vec![(0, 3)], ..FaultPlan::default() };
    let mut sim = Simulation::new(one_ms_network(4, 3), |_, _| TwoPhaseCommit::new(Flaw::None))
        .with_workload(all_yes(4))
        .with_faults(plan);
    sim.run();
    assert_eq!(decisions(&sim, 4)[..3], [Some(Outcome::Abort); 3]);
    let history = sim.history();
    let coordinator = history.outputs().find(|o| o.1 == COORDINATOR).unwrap();
    assert!(coordinator.0 >= VOTE_DEADLINE, "aborted at the deadline, not before");
}

/// The coordinator crashes at 1.5 ms: the participants voted Yes at 1 ms and their votes arrive
/// at 2 ms, to nobody. They are uncertain and stay so: 2PC blocks (BHG §7.3).
#[test]
fn a_coordinator_crash_after_the_votes_blocks_the_yes_voters_without_breaking_safety() {
    let plan = FaultPlan { crashes: vec![(1_500, COORDINATOR)], ..FaultPlan::default() };
    let mut sim = Simulation::new(one_ms_network(4, 4), |_, _| TwoPhaseCommit::new(Flaw::None))
        .with_workload(all_yes(4))
        .with_faults(plan);
    sim.run();
    for p in 1..4 {
        assert!(sim.node(p).unwrap().is_uncertain(), "participant {p} must stay uncertain");
    }
    let history = sim.history();
    let verdicts = commit::check(&CommitHistory {
        participants: (1..4).collect(),
        votes: history
            .outputs()
            .filter_map(|(_, p, o)| match o {
                Output::Voted(v) => Some((p, *v)),
                Output::Decided(_) => None,
            })
            .collect(),
        decisions: Vec::new(),
        correct: history.never_crashed.iter().copied().collect(),
        failure_free: false,
    });
    let termination = find(&verdicts, "termination");
    assert_eq!(termination.kind, PropertyKind::Liveness);
    assert!(termination.violation.as_ref().unwrap().contains("uncertain"), "{termination:?}");
    assert!(verdicts.iter().filter(|v| v.kind == PropertyKind::Safety).all(Verdict::holds));
}

#[test]
fn a_coordinator_that_recovers_without_a_decision_record_unblocks_everyone_with_abort() {
    let plan = FaultPlan {
        crashes: vec![(1_500, COORDINATOR)],
        recoveries: vec![(100_000, COORDINATOR)],
        ..FaultPlan::default()
    };
    let mut sim = Simulation::new(one_ms_network(4, 5), |_, _| TwoPhaseCommit::new(Flaw::None))
        .with_workload(all_yes(4))
        .with_faults(plan);
    sim.run();
    assert_eq!(decisions(&sim, 4), vec![Some(Outcome::Abort); 4]);
}

/// The coordinator decides Commit at 2 ms, but a one-way partition eats its COMMIT messages;
/// it crashes at 10 ms and recovers at 50 ms: its logged decision is re-sent and wins.
#[test]
fn a_coordinator_that_recovers_after_logging_commit_re_sends_commit() {
    let plan = FaultPlan {
        crashes: vec![(10_000, COORDINATOR)],
        recoveries: vec![(50_000, COORDINATOR)],
        partitions: parse_partitions("0>1,2,3@2-40", 4).unwrap(),
        ..FaultPlan::default()
    };
    let mut sim = Simulation::new(one_ms_network(4, 6), |_, _| TwoPhaseCommit::new(Flaw::None))
        .with_workload(all_yes(4))
        .with_faults(plan);
    sim.run();
    assert_eq!(decisions(&sim, 4), vec![Some(Outcome::Commit); 4]);
    let history = sim.history();
    let last = history.outputs().map(|o| o.0).max().unwrap();
    assert!(last > 50_000, "participants learned Commit only after the recovery, at {last}");
}

#[test]
fn a_partition_that_heals_only_delays_the_decision() {
    let mut config = RunConfig::new(4, 7);
    config.faults.partitions = parse_partitions("0|1,2,3@0-100", 4).unwrap();
    let report = TWO_PHASE_COMMIT.run(&config);
    assert!(report.verdicts.iter().all(Verdict::holds), "{:?}", report.verdicts);
    assert_eq!(report.decisions, 4);
}

fn tpc_fault_model(n: usize) -> RunConfig {
    let mut c = RunConfig::new(n, 0);
    c.faults.crash = 1;
    c.faults.recover_after = Some(100_000);
    c.network.loss = 0.1;
    c.network.duplication = 0.1;
    c.network.reorder = 0.2;
    c.faults.partitions = parse_partitions("0|1,2@0-200", n).unwrap();
    c
}

/// `SEEDS` seeds (1,000 in release) of correct 2PC with a crash that recovers, loss,
/// duplication, reordering and a partition that heals: safe and, since crashed processes come
/// back, terminating.
#[test]
fn two_phase_commit_is_safe_and_terminates_on_every_seed_when_crashed_processes_recover() {
    let summary = sweep(&TWO_PHASE_COMMIT, &tpc_fault_model(4), 0..SEEDS, || {});
    assert!(summary.violations.is_empty(), "{summary:?}");
    assert_eq!(summary.liveness_failures, 0, "{summary:?}");
}

/// Crash-stop instead: still safe on every seed, but the seeds where the coordinator dies
/// between the votes and its decision block (termination fails, nothing else).
#[test]
fn with_crash_stop_two_phase_commit_stays_safe_but_blocks_on_some_seeds() {
    let mut base = tpc_fault_model(4);
    base.faults.recover_after = None;
    let summary = sweep(&TWO_PHASE_COMMIT, &base, 0..SEEDS, || {});
    assert!(summary.violations.is_empty(), "{summary:?}");
    assert!(summary.liveness_failures > 0, "some seed crashes the coordinator mid-protocol");
    assert_eq!(summary.liveness_by_property.keys().collect::<Vec<_>>(), ["termination"]);
    let seed = summary.first_liveness_failure_seed.unwrap();
    let replay = TWO_PHASE_COMMIT.run(&RunConfig { seed, ..base.clone() });
    let termination = find(&replay.verdicts, "termination");
    assert!(termination.violation.as_ref().unwrap().contains("uncertain"), "{termination:?}");
}

#[test]
fn the_sweep_catches_a_commit_on_a_missing_vote_and_names_a_seed_that_replays() {
    let mut base = RunConfig::new(4, 0);
    base.faults.crash = 1;
    let summary = sweep(&BROKEN_TWO_PHASE_COMMIT_MISSING_VOTE, &base, 0..SEEDS, || {});
    assert!(summary.violations.contains_key("validity"), "{summary:?}");
    let seed = summary.first_failing_seed.expect("violation found");
    let replay = BROKEN_TWO_PHASE_COMMIT_MISSING_VOTE.run(&RunConfig { seed, ..base.clone() });
    assert!(!find(&replay.verdicts, "validity").holds(), "seed {seed} replays");
    // The correct coordinator aborts in exactly the same run.
    let correct = TWO_PHASE_COMMIT.run(&RunConfig { seed, ..base });
    assert_eq!(correct.safety_violations().count(), 0);
}
