//! Tests of the shared-memory model: the memory's operations, each algorithm running alone,
//! the sweeps under the seeded scheduler (1,000 seeds in release, 50 in debug), the broken
//! twins caught with seeds that replay, and the exhaustive consensus-number search.

use super::cas::CasConsensus;
use super::experiments::*;
use super::lock::LockConsensus;
use super::lockless::{Flaw, Lockless};
use super::search::{self, Finding};
use super::*;
use crate::check::find;
use crate::harness::{Outcome, RunConfig};
use crate::protocols::test_support::{assert_clean_sweep, SEEDS};
use crate::sim::trace_hash;
use crate::sweep::sweep;

/// Process `me` of `n` running alone from the initial memory: its decision and step count.
fn solo<A: Algorithm>(alg: &A, n: usize, me: ProcessId) -> (u64, usize) {
    let mut memory = Memory::new(alg.registers(n));
    let mut p = alg.process(me, n, 7);
    let mut steps = 0;
    while step(&mut p, &mut memory).is_some() {
        steps += 1;
    }
    (decision(&p).expect("a solo process decides"), steps)
}

fn config(n: usize, crash: usize) -> RunConfig {
    let mut config = RunConfig::new(n, 0);
    config.faults.crash = crash;
    config
}

#[test]
fn cas_returns_the_old_content_and_swaps_only_on_a_match() {
    let mut m = Memory::new(1);
    let swap = |expected, new| Op::Cas { reg: 0, expected, new };
    assert_eq!(m.apply(swap(Word::BOTTOM, Word::plain(5))), Word::BOTTOM);
    assert_eq!(m.apply(swap(Word::BOTTOM, Word::plain(6))), Word::plain(5));
    assert_eq!(m.apply(Op::Read(0)), Word::plain(5), "a failed CAS leaves the register alone");
    assert_eq!(m.apply(Op::Write(0, Word { seq: 3, val: 1 })), Word::BOTTOM);
    assert_eq!(m.0[0].to_string(), "(#3, 1)");
}

#[test]
fn a_process_running_alone_decides_its_own_proposal_in_a_known_number_of_steps() {
    for n in [1, 2, 5] {
        // CAS: one step. Bakery: doorway n + 3, wait 2(n − 1), critical section 2, exit 1.
        // Lock-less: announce 1, collect n, accept 1, confirm n.
        assert_eq!(solo(&CasConsensus, n, 0), (7, 1));
        assert_eq!(solo(&LockConsensus, n, n - 1), (7, 3 * n + 4));
        assert_eq!(solo(&Lockless(Flaw::None), n, n - 1), (7, 2 * n + 2));
    }
}

#[test]
fn cas_consensus_is_safe_and_wait_free_on_every_seed_with_up_to_n_minus_1_crashes() {
    for (n, crash) in [(2, 1), (5, 4), (5, 0)] {
        assert_clean_sweep(&SHM_CAS, &config(n, crash));
    }
}

#[test]
fn lockless_consensus_is_safe_and_decides_on_every_seed_with_crashes() {
    for (n, crash) in [(2, 1), (3, 0), (3, 2), (5, 2), (5, 4)] {
        assert_clean_sweep(&SHM_LOCKLESS, &config(n, crash));
    }
}

#[test]
fn lock_consensus_is_safe_and_live_on_every_seed_without_crashes() {
    for n in [2, 3, 5] {
        assert_clean_sweep(&SHM_LOCK, &config(n, 0));
    }
}

/// Runs `SEEDS` seeds (1,000 in release, 50 in debug) with one crash: never unsafe, often
/// blocked, and the first blocked seed replays with the crashed ticket holder named.
#[test]
fn a_crashed_lock_holder_blocks_the_others_and_the_blocked_seed_replays() {
    let base = config(3, 1);
    let summary = sweep(&SHM_LOCK, &base, 0..SEEDS, || {});
    assert!(summary.violations.is_empty(), "{summary:?}");
    assert!(summary.liveness_failures > SEEDS / 4, "{summary:?}");
    let seed = summary.first_liveness_failure_seed.expect("a blocked run");
    let replay = SHM_LOCK.run(&RunConfig { seed, ..base });
    assert!(!find(&replay.verdicts, "termination").holds());
    let crashed_holding_a_ticket = replay
        .outcomes
        .iter()
        .any(|o| matches!(o, Outcome::Output { event, .. } if event.contains("holds a ticket")));
    assert!(crashed_holding_a_ticket, "{:?}", replay.outcomes);
}

/// Runs `SEEDS` seeds of each broken twin and expects an agreement violation whose seed
/// replays; the correct algorithm stays safe on the same seed.
#[test]
fn each_missing_rule_of_the_lockless_derivation_is_caught_with_a_seed_that_replays() {
    for twin in
        [&SHM_LOCKLESS_NO_R1, &SHM_LOCKLESS_NO_C1, &SHM_LOCKLESS_NO_C2, &SHM_LOCKLESS_SHARED_SEQ]
    {
        let base = config(3, 0);
        let summary = sweep(twin, &base, 0..SEEDS, || {});
        let seed =
            summary.first_failing_seed.unwrap_or_else(|| panic!("{}: {summary:?}", twin.name));
        assert!(summary.violations.contains_key("agreement"), "{summary:?}");
        let replay = twin.run(&RunConfig { seed, ..base.clone() });
        assert!(!find(&replay.verdicts, "agreement").holds(), "{}", twin.name);
        let correct = SHM_LOCKLESS.run(&RunConfig { seed, ..base });
        assert!(correct.safety_violations().next().is_none());
    }
}

#[test]
fn the_same_seed_replays_the_same_schedule_step_for_step() {
    let run = |seed| {
        let c = RunConfig { trace: true, seed, ..config(4, 2) };
        trace_hash(&SHM_LOCKLESS.run(&c).trace)
    };
    assert_eq!(run(11), run(11));
    assert_ne!(run(11), run(12));
}

#[test]
fn register_only_candidates_fail_two_process_consensus_each_in_its_own_way() {
    let [read_write, announce, bakery] = &search::register_candidates()[..] else {
        panic!("three candidates")
    };
    for e in [read_write, announce, bakery] {
        assert_eq!(
            e.initial_valence,
            [1, 2].into(),
            "{}: the initial state is bivalent",
            e.algorithm
        );
        assert!(!e.truncated);
    }
    let Some(Finding::Unsafe { property: "agreement", schedule }) = &read_write.finding else {
        panic!("{read_write:?}")
    };
    assert_eq!(schedule.len(), 4, "read, read, write, write: {schedule:?}");
    assert!(matches!(announce.finding, Some(Finding::Unsafe { property: "agreement", .. })));
    let Some(Finding::NotWaitFree { cycle, .. }) = &bakery.finding else { panic!("{bakery:?}") };
    let spinner = &cycle[0][..2];
    assert!(cycle.iter().all(|s| s.starts_with(spinner)), "one process spins alone: {cycle:?}");
}

#[test]
fn cas_solves_consensus_in_every_schedule_and_input_for_every_n_tried() {
    let largest = if cfg!(debug_assertions) { 4 } else { 6 };
    for n in 1..=largest {
        let summary = search::cas_every_input(n);
        assert_eq!(summary.input_vectors, 1 << n);
        assert_eq!(summary.failures, 0, "{summary:?}");
        let e = search::explore(&CasConsensus, &vec![1; n]);
        assert_eq!(e.longest_schedule, n, "one step per process");
    }
}

#[test]
fn the_exhaustive_search_also_finds_the_lockless_twins_without_c2_and_with_shared_numbers() {
    for flaw in [Flaw::NoConfirm, Flaw::SharedSequenceNumbers, Flaw::NoAdopt] {
        let e = search::explore(&Lockless(flaw), &[1, 2]);
        assert!(
            matches!(e.finding, Some(Finding::Unsafe { property: "agreement", .. })),
            "{flaw:?}: {e:?}"
        );
    }
}

#[test]
fn the_consensus_number_experiment_refutes_registers_and_confirms_cas() {
    let report = SHM_CONSENSUS_NUMBER.run(&RunConfig::new(4, 1));
    assert!(report.verdicts.iter().all(|v| v.holds()), "{:?}", report.verdicts);
    let summary = |test: &dyn Fn(&str) -> bool| {
        report.outcomes.iter().any(|o| matches!(o, Outcome::Summary(line) if test(line)))
    };
    assert!(summary(&|l| l.contains("(bivalent)")));
    assert!(summary(&|l| l.contains("NOT WAIT-FREE")));
    assert!(summary(&|l| l.starts_with("CAS, n = 4: 16 input vectors")));
}

#[test]
fn every_shared_memory_experiment_is_in_the_registry() {
    for name in [
        "shm-cas",
        "shm-consensus-number",
        "shm-lock",
        "shm-lockless",
        "shm-lockless-broken-no-r1",
        "shm-lockless-broken-no-c1",
        "shm-lockless-broken-no-c2",
        "shm-lockless-broken-shared-seq",
    ] {
        assert!(crate::registry::lookup(name).is_some(), "{name}");
    }
}

#[test]
fn the_flp_adversary_keeps_the_lockless_algorithm_bivalent_and_is_stuck_at_once_on_cas() {
    let schedule =
        search::bivalent_schedule(&Lockless(Flaw::None), &[1, 2], 300).expect("bivalent");
    assert_eq!(schedule.len(), 300);
    for p in ["p0", "p1"] {
        let own = schedule.iter().filter(|s| s.starts_with(p)).count();
        assert!(own > 100, "{p} keeps taking steps ({own} of 300) without deciding");
    }
    let stuck = search::bivalent_schedule(&CasConsensus, &[1, 2], 300).expect_err("univalent");
    assert!(stuck.is_empty(), "{stuck:?}");
}
