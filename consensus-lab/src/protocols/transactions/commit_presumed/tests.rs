use rand::Rng;

use super::*;
use crate::check::find;
use crate::protocols::test_support::{all_hold, assert_clean_sweep, assert_sweep_catches, SEEDS};
use crate::sim::{LatencyModel, Streams};
use crate::sweep::sweep;

/// n = 4 (three participants), every message 1 ms, the first seed whose decision is `want`.
fn failure_free(presumption: Presumption, want: Outcome, no_votes: usize) -> (RunReport, Costs) {
    for seed in 0..200 {
        let mut config = RunConfig::new(4, seed);
        config.network.latency = LatencyModel::Constant(1_000);
        let (report, costs) = run_logged(presumption, false, Flaw::None, &config);
        let want_text = format!("{want:?}");
        let decided = report.outcomes.iter().any(|o| o.decision() == Some(want_text.as_str()));
        if decided && no_votes_in(seed) == no_votes {
            return (report, costs);
        }
    }
    panic!("no seed in 0..200 decides {want:?} with {no_votes} No votes");
}

fn no_votes_in(seed: u64) -> usize {
    let mut rng = Streams::new(seed).workload;
    (1..4)
        .filter(|_| {
            let no = rng.random_bool(NO_VOTE_PROBABILITY);
            rng.random_range(0..1_000u64);
            no
        })
        .count()
}

fn costs(cw: u64, cf: u64, pw: u64, pf: u64, messages: u64) -> Costs {
    Costs {
        coordinator_writes: cw,
        coordinator_forced: cf,
        participant_writes: pw,
        participant_forced: pf,
        messages,
    }
}

#[test]
fn commit_costs_match_the_r_star_comparison_for_three_participants() {
    // TODS 1986 §3: PA commits like basic 2PC; PC adds a forced collecting record and saves
    // the participants' forced commit writes and their ACKs.
    let basic = failure_free(Presumption::Nothing, Outcome::Commit, 0);
    assert!(all_hold(&basic.0), "{:?}", basic.0.verdicts);
    assert_eq!(basic.1, costs(2, 1, 6, 6, 12));
    assert_eq!(failure_free(Presumption::Abort, Outcome::Commit, 0).1, costs(2, 1, 6, 6, 12));
    assert_eq!(failure_free(Presumption::Commit, Outcome::Commit, 0).1, costs(2, 2, 6, 3, 9));
}

#[test]
fn abort_costs_favour_presumed_abort_for_one_no_vote() {
    // One No voter, two Yes voters: PA writes nothing at the coordinator, forces only the
    // prepared records and sends no ACKs.
    let basic = failure_free(Presumption::Nothing, Outcome::Abort, 1).1;
    let pa = failure_free(Presumption::Abort, Outcome::Abort, 1).1;
    let pc = failure_free(Presumption::Commit, Outcome::Abort, 1).1;
    assert_eq!(
        (basic, pa, pc),
        (costs(2, 1, 5, 5, 10), costs(0, 0, 5, 2, 8), costs(3, 2, 5, 5, 10))
    );
}

fn crash_recovery(crash_window: Time) -> RunConfig {
    let mut config = RunConfig::new(4, 0);
    config.faults.crash = 1;
    config.faults.crash_window = crash_window;
    config.faults.recover_after = Some(20_000);
    config
}

#[test]
fn every_variant_is_safe_and_terminates_under_crash_recovery_and_loss() {
    for experiment in [&BASIC_LOGGED, &PRESUMED_ABORT, &PRESUMED_COMMIT, &COOPERATIVE] {
        assert_clean_sweep(experiment, &RunConfig::new(4, 0));
        assert_clean_sweep(experiment, &crash_recovery(15_000));
        let mut lossy = crash_recovery(50_000);
        lossy.network.loss = 0.1;
        lossy.network.duplication = 0.1;
        assert_clean_sweep(experiment, &lossy);
    }
}

#[test]
fn presumed_commit_without_the_collecting_record_commits_what_it_aborts() {
    let seed = assert_sweep_catches(&BROKEN_PC_NO_COLLECTING, &crash_recovery(15_000), "agreement");
    let replay = BROKEN_PC_NO_COLLECTING.run(&RunConfig { seed, ..crash_recovery(15_000) });
    assert!(!find(&replay.verdicts, "agreement").holds());
}

#[test]
fn cooperative_termination_unblocks_some_but_not_all_runs_when_the_coordinator_stops() {
    let mut config = RunConfig::new(4, 0);
    config.faults.crash = 1;
    config.faults.crash_window = 15_000;
    let plain = sweep(&BASIC_LOGGED, &config, 0..SEEDS, || {});
    let coop = sweep(&COOPERATIVE, &config, 0..SEEDS, || {});
    assert!(plain.violations.is_empty() && coop.violations.is_empty(), "{plain:?} {coop:?}");
    let blocked = |s: &crate::sweep::SweepSummary| {
        s.liveness_by_property.get("termination").copied().unwrap_or(0)
    };
    assert!(blocked(&coop) < blocked(&plain), "{coop:?} vs {plain:?}");
    // All participants uncertain (everyone voted Yes, nobody heard the outcome): still blocked.
    assert!(blocked(&coop) > 0, "{coop:?}");
}
