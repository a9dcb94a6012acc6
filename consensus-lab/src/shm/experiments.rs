//! The shared-memory experiments of the registry: `quarry-lab run shm-cas --n 5 --crash 4`,
//! `quarry-lab sweep shm-lockless-broken-no-c2 --seeds 1000`, `quarry-lab run
//! shm-consensus-number`.
//!
//! A run draws its schedule and crashes from the seed ([`super::scheduler`]) and checks the
//! consensus properties of CGR 2011 §5.1 ([`crate::check::consensus`]): termination (every
//! process that did not crash decides within [`super::scheduler::step_budget`] steps),
//! validity, integrity, agreement, uniform agreement. Of the fault options only `--n`,
//! `--crash` and `--trace` apply. The report's clock counts one step as one millisecond, so
//! "latency 64.0 ms" reads "decided at the 64th step of the run".

use super::cas::CasConsensus;
use super::lock::LockConsensus;
use super::lockless::{Flaw, Lockless};
use super::scheduler::{self, ShmRun};
use super::search::{self, Finding};
use crate::check::consensus::{self, ConsensusHistory};
use crate::check::Verdict;
use crate::harness::{Outcome, ProtocolEntry, RunConfig, RunReport};
use crate::sim::Metrics;

/// Which algorithm a shared-memory entry runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// [`super::lock`].
    Lock,
    /// [`super::cas`].
    Cas,
    /// [`super::lockless`], with the rule it leaves out.
    Lockless(Flaw),
    /// The exhaustive search of [`super::search`].
    ConsensusNumber,
}

/// Steps of the FLP adversary's schedule against the lock-less algorithm.
const BIVALENT_STEPS: usize = 200;

/// Report time per step, µs: one step reads as one millisecond.
const STEP_US: u64 = 1_000;

const LOCKLESS_FAULTS: &str = "crash-stop of any number (--crash up to n); safe in every \
    schedule; decides once a process runs alone (obstruction-free), not wait-free";

/// Consensus under Lamport's bakery lock.
pub static SHM_LOCK: ProtocolEntry = ProtocolEntry {
    name: "shm-lock",
    description: "shared memory: consensus under a bakery lock, registers only",
    source: "Lamport, CACM 1974",
    fault_model:
        "crash-stop: none tolerated: a process crashed in its doorway or holding a ticket \
        blocks everyone behind it (--crash 1 shows it); any schedule is safe",
    default_n: 3,
    byzantine: false,
    run: |config| run(config, Which::Lock),
    comparison: None,
};

/// Consensus with one CAS register.
pub static SHM_CAS: ProtocolEntry = ProtocolEntry {
    name: "shm-cas",
    description: "shared memory: consensus with one compare-and-swap",
    source: "Herlihy, TOPLAS 1991, §3.5",
    fault_model: "crash-stop of any number (--crash up to n); any schedule (wait-free, 1 step)",
    default_n: 5,
    byzantine: false,
    run: |config| run(config, Which::Cas),
    comparison: None,
};

/// The lock-less derivation with rules R1, C1, C2.
pub static SHM_LOCKLESS: ProtocolEntry = ProtocolEntry {
    name: "shm-lockless",
    description: "shared memory: lock-less consensus with sequence numbers, rules R1, C1, C2",
    source: "Disk Paxos with one disk, Gafni & Lamport 2003, §2",
    fault_model: LOCKLESS_FAULTS,
    default_n: 3,
    byzantine: false,
    run: |config| run(config, Which::Lockless(Flaw::None)),
    comparison: None,
};

/// Without R1 (adopt the highest-numbered accepted value).
pub static SHM_LOCKLESS_NO_R1: ProtocolEntry = ProtocolEntry {
    name: "shm-lockless-broken-no-r1",
    description:
        "BROKEN on purpose: lock-less consensus without R1 (never adopts an accepted value)",
    source: "",
    fault_model: LOCKLESS_FAULTS,
    default_n: 3,
    byzantine: false,
    run: |config| run(config, Which::Lockless(Flaw::NoAdopt)),
    comparison: None,
};

/// Without C1 (announce before reading).
pub static SHM_LOCKLESS_NO_C1: ProtocolEntry = ProtocolEntry {
    name: "shm-lockless-broken-no-c1",
    description: "BROKEN on purpose: lock-less consensus without C1 (reads A before announcing P)",
    source: "",
    fault_model: LOCKLESS_FAULTS,
    default_n: 3,
    byzantine: false,
    run: |config| run(config, Which::Lockless(Flaw::ReadBeforeAnnounce)),
    comparison: None,
};

/// Without C2 (confirm after accepting).
pub static SHM_LOCKLESS_NO_C2: ProtocolEntry = ProtocolEntry {
    name: "shm-lockless-broken-no-c2",
    description: "BROKEN on purpose: lock-less consensus without C2 (decides without confirming)",
    source: "",
    fault_model: LOCKLESS_FAULTS,
    default_n: 3,
    byzantine: false,
    run: |config| run(config, Which::Lockless(Flaw::NoConfirm)),
    comparison: None,
};

/// With sequence numbers shared between processes.
pub static SHM_LOCKLESS_SHARED_SEQ: ProtocolEntry = ProtocolEntry {
    name: "shm-lockless-broken-shared-seq",
    description:
        "BROKEN on purpose: lock-less consensus whose sequence numbers omit the process id",
    source: "",
    fault_model: LOCKLESS_FAULTS,
    default_n: 3,
    byzantine: false,
    run: |config| run(config, Which::Lockless(Flaw::SharedSequenceNumbers)),
    comparison: None,
};

/// Consensus numbers by exhaustive search.
pub static SHM_CONSENSUS_NUMBER: ProtocolEntry = ProtocolEntry {
    name: "shm-consensus-number",
    description: "shared memory: consensus numbers by exhaustive search, registers 1, CAS ∞",
    source: "Herlihy, TOPLAS 1991, §3; Loui & Abu-Amara 1987",
    fault_model:
        "every schedule and crash pattern: registers at n = 2, CAS at n = 1..=--n (at most 8), \
        every binary input (the seed is not used)",
    default_n: 4,
    byzantine: false,
    run: |config| run(config, Which::ConsensusNumber),
    comparison: None,
};

/// One run of the algorithm `which` under `config`.
fn run(config: &RunConfig, which: Which) -> RunReport {
    match which {
        Which::Lock => report(config, scheduler::run(&LockConsensus, config), |p| {
            if p.blocks_others() {
                " — it holds a ticket or is choosing one: everyone behind it waits for ever"
            } else {
                ""
            }
        }),
        Which::Cas => report(config, scheduler::run(&CasConsensus, config), |_| ""),
        Which::Lockless(flaw) => report(config, scheduler::run(&Lockless(flaw), config), |_| ""),
        Which::ConsensusNumber => consensus_number(config),
    }
}

/// The consensus report of a scheduled run; `note` adds a remark to a crashed process's line.
fn report<P: std::fmt::Debug>(
    config: &RunConfig,
    run: ShmRun<P>,
    note: impl Fn(&P) -> &'static str,
) -> RunReport {
    let history = ConsensusHistory {
        proposals: run.proposals.clone(),
        decisions: run.decisions.clone(),
        correct: run.correct(),
    };
    let mut outcomes: Vec<Outcome> = run
        .proposals
        .iter()
        .map(|(p, v)| Outcome::output(0, *p, format!("proposes {v}")))
        .collect();
    outcomes.extend(run.crashed.iter().map(|&(p, t)| {
        let state = &run.processes[p];
        Outcome::output(
            t * STEP_US,
            p,
            format!("crashed at step {t} in state {state:?}{}", note(state)),
        )
    }));
    outcomes.extend(run.decisions.iter().map(|(t, p, v)| Outcome::decided(t * STEP_US, *p, v)));
    let budget = scheduler::step_budget(config.n);
    if run.steps >= budget {
        outcomes.push(Outcome::Missing(format!(
            "step budget of {budget} exhausted: the others are still waiting"
        )));
    }
    let pairs: Vec<_> = run.decisions.iter().map(|(t, _, _)| (0, t * STEP_US)).collect();
    let metrics = Metrics { events: run.steps, ..Metrics::default() };
    let verdicts = consensus::check(&history);
    let end = run.steps * STEP_US;
    RunReport::from_pairs(config.seed, outcomes, &pairs, metrics, end, verdicts, run.trace)
}

/// Registers at n = 2 (every candidate refuted), the FLP adversary against the lock-less
/// algorithm, and CAS at n = 1..=min(config.n, 8) (every schedule safe and wait-free).
fn consensus_number(config: &RunConfig) -> RunReport {
    let registers = search::register_candidates();
    let mut outcomes: Vec<Outcome> =
        registers.iter().flat_map(search::describe).map(Outcome::Summary).collect();
    let flp = search::describe_bivalent_schedules(BIVALENT_STEPS);
    let flp_stuck = flp.iter().any(|l| l.contains("got stuck"));
    outcomes.extend(flp.into_iter().map(Outcome::Summary));
    let passed: Vec<&str> =
        registers.iter().filter(|e| e.finding.is_none()).map(|e| e.algorithm).collect();
    let mut configurations = registers.iter().map(|e| e.configurations as u64).sum();
    let mut cas_failures = Vec::new();
    for n in 1..=config.n.min(8) {
        let cas = search::cas_every_input(n);
        outcomes.push(Outcome::Summary(format!(
            "CAS, n = {n}: {} input vectors, {} configurations, {} with a violation or a cycle",
            cas.input_vectors, cas.configurations, cas.failures
        )));
        configurations += cas.configurations as u64;
        if cas.failures > 0 {
            cas_failures.push(n);
        }
    }
    let unsafe_count =
        registers.iter().filter(|e| matches!(e.finding, Some(Finding::Unsafe { .. }))).count();
    outcomes.push(Outcome::Summary(format!(
        "registers: {unsafe_count} candidates unsafe, {} safe but not wait-free",
        registers.len() - unsafe_count - passed.len()
    )));
    let verdicts = vec![
        Verdict::safety(
            "register candidates refuted",
            (!passed.is_empty()).then(|| format!("no violation found for {passed:?}")),
        ),
        Verdict::safety(
            "lock-less kept bivalent",
            flp_stuck.then(|| "the FLP adversary got stuck on the lock-less algorithm".into()),
        ),
        Verdict::safety(
            "CAS wait-free consensus",
            (!cas_failures.is_empty()).then(|| format!("CAS failed at n = {cas_failures:?}")),
        ),
    ];
    let metrics = Metrics { events: configurations, ..Metrics::default() };
    RunReport::from_pairs(config.seed, outcomes, &[], metrics, 0, verdicts, Vec::new())
}
