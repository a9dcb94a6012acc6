//! Consensus numbers by exhaustive search: every schedule of a small system, every crash
//! pattern, every binary input vector.
//!
//! Herlihy, "Wait-free synchronization", ACM TOPLAS 13(1) 1991, §3 ("Consensus numbers"):
//! an object's consensus number is the largest n for which it solves wait-free n-process
//! consensus. Read/write registers have consensus number 1 (§3.2, Theorem 2, the
//! shared-memory form of Fischer, Lynch & Paterson, JACM 32(2) 1985, proved for registers by
//! Loui & Abu-Amara, Adv. Comput. Res. 4, 1987, Theorem 3.5); compare&swap has consensus
//! number ∞ (§3.5, Theorem 7).
//!
//! A configuration is every process's state plus the memory. From each, every undecided
//! process may take the next step; a crash is a process that never steps again, so every
//! finite schedule of every crash pattern is a path of this graph. The search walks it depth
//! first, memoising configurations, and reports the first of:
//! - **unsafe**: a configuration in which two processes decided differently (agreement) or one
//!   decided a value nobody proposed (validity): the schedule that reaches it;
//! - **not wait-free**: a cycle, i.e. a schedule that can repeat for ever while an undecided
//!   process keeps taking steps (the others crashed, or just slow): prefix and cycle.
//!
//! If neither exists the graph is finite and acyclic: every process decides within a bounded
//! number of its own steps in every schedule, and agreement and validity hold on all of them.
//!
//! Register-only candidates can only fail one way or the other — the theorem; the search shows
//! *how*, with the **valence** (the set of values still decidable, FLP's bivalence) of each
//! configuration along the schedule.

use std::collections::{BTreeSet, HashMap};

use super::lock::LockConsensus;
use super::{decision, describe_step, step, Algorithm, Memory, Op, Pending, Process};
use super::{ProcessId, Reg, Word};

/// Configurations the search may visit before it gives up (reported as truncated).
pub const MAX_CONFIGURATIONS: usize = 2_000_000;

/// Configurations the valence computation may memoise; beyond it (only in unbounded graphs such
/// as the lock-less algorithm's) a valence is a lower bound: the values found so far.
pub const VALENCE_BUDGET: usize = 200_000;

/// Longest schedule the search follows before it gives up (reported as truncated); it bounds
/// the recursion for algorithms whose sequence numbers grow without limit.
pub const MAX_DEPTH: usize = 300;

/// A configuration: every process's state and the shared memory.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Configuration<P> {
    /// Process states, by id.
    pub processes: Vec<P>,
    /// The registers.
    pub memory: Memory,
}

/// What the search found wrong with a candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// A schedule that violates `property` (`agreement` or `validity`); each line is a step
    /// followed by the valence of the configuration it reaches.
    Unsafe {
        /// `agreement` or `validity`.
        property: &'static str,
        /// The schedule, one step a line.
        schedule: Vec<String>,
    },
    /// A schedule after which `cycle` can repeat for ever with no new decision.
    NotWaitFree {
        /// Steps from the initial configuration to the cycle.
        prefix: Vec<String>,
        /// The steps that repeat.
        cycle: Vec<String>,
    },
}

/// The result of searching one algorithm with one input vector.
#[derive(Debug, Clone)]
pub struct Exploration {
    /// [`Algorithm::name`].
    pub algorithm: &'static str,
    /// The inputs, by process.
    pub inputs: Vec<u64>,
    /// Distinct configurations visited.
    pub configurations: usize,
    /// Values some schedule decides from the initial configuration (≥ 2: bivalent).
    pub initial_valence: BTreeSet<u64>,
    /// Longest schedule in steps (meaningful when there is no finding).
    pub longest_schedule: usize,
    /// Whether [`MAX_CONFIGURATIONS`] cut the search short.
    pub truncated: bool,
    /// The first violation found, if any.
    pub finding: Option<Finding>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Colour {
    OnPath(usize),
    Done,
}

struct Search<'a, A: Algorithm> {
    alg: &'a A,
    n: usize,
    inputs: &'a [u64],
    colour: HashMap<Configuration<A::Process>, Colour>,
    path: Vec<(ProcessId, String)>,
    unsafe_ids: Vec<ProcessId>,
    finding: Option<Finding>,
    truncated: bool,
}

impl<A: Algorithm> Search<'_, A> {
    fn successors(
        &self,
        c: &Configuration<A::Process>,
    ) -> Vec<(ProcessId, String, Configuration<A::Process>)> {
        (0..self.n)
            .filter_map(|p| {
                let mut next = c.clone();
                let (op, response) = step(&mut next.processes[p], &mut next.memory)?;
                Some((p, describe_step(self.alg, self.n, p, op, response), next))
            })
            .collect()
    }

    fn violation(&self, c: &Configuration<A::Process>) -> Option<&'static str> {
        let decided: BTreeSet<u64> = c.processes.iter().filter_map(decision).collect();
        if decided.iter().any(|v| !self.inputs.contains(v)) {
            Some("validity")
        } else if decided.len() > 1 {
            Some("agreement")
        } else {
            None
        }
    }

    fn dfs(&mut self, c: Configuration<A::Process>) {
        if let Some(property) = self.violation(&c) {
            let schedule = self.path.iter().map(|(_, s)| s.clone()).collect();
            self.unsafe_ids = self.path.iter().map(|(p, _)| *p).collect();
            self.finding = Some(Finding::Unsafe { property, schedule });
            return;
        }
        if self.colour.len() >= MAX_CONFIGURATIONS || self.path.len() >= MAX_DEPTH {
            // Past the depth bound only this branch is dropped; past the size bound, all.
            self.truncated = true;
            return;
        }
        self.colour.insert(c.clone(), Colour::OnPath(self.path.len()));
        for (p, line, next) in self.successors(&c) {
            match self.colour.get(&next) {
                Some(Colour::Done) => continue,
                Some(Colour::OnPath(at)) => {
                    let at = *at;
                    let mut lines = self.path.iter().map(|(_, s)| s.clone());
                    let prefix = lines.by_ref().take(at).collect();
                    let mut cycle: Vec<String> = lines.collect();
                    cycle.push(line);
                    self.finding = Some(Finding::NotWaitFree { prefix, cycle });
                }
                None => {
                    self.path.push((p, line));
                    self.dfs(next);
                    self.path.pop();
                }
            }
            if self.finding.is_some() || self.colour.len() >= MAX_CONFIGURATIONS {
                return;
            }
        }
        self.colour.insert(c, Colour::Done);
    }
}

/// Values decidable from `c` and the longest schedule from it, over the acyclic part of the
/// graph within [`MAX_DEPTH`] steps of the start (a configuration met again on the current
/// path, or deeper than that, contributes nothing).
fn valence<A: Algorithm>(
    search: &Search<'_, A>,
    c: &Configuration<A::Process>,
    depth: usize,
    memo: &mut HashMap<Configuration<A::Process>, (BTreeSet<u64>, usize)>,
) -> (BTreeSet<u64>, usize) {
    if let Some(known) = memo.get(c) {
        return known.clone();
    }
    if depth >= MAX_DEPTH || memo.len() >= VALENCE_BUDGET {
        return (c.processes.iter().filter_map(decision).collect(), 0);
    }
    memo.insert(c.clone(), (BTreeSet::new(), 0));
    let mut values: BTreeSet<u64> = c.processes.iter().filter_map(decision).collect();
    let mut longest = 0;
    if search.violation(c).is_none() {
        for (_, _, next) in search.successors(c) {
            let (v, l) = valence(search, &next, depth + 1, memo);
            values.extend(v);
            longest = longest.max(l + 1);
        }
    }
    memo.insert(c.clone(), (values.clone(), longest));
    (values, longest)
}

/// Search every schedule of `alg` with process i proposing `inputs[i]`.
pub fn explore<A: Algorithm>(alg: &A, inputs: &[u64]) -> Exploration {
    let n = inputs.len();
    let initial = Configuration {
        processes: inputs.iter().enumerate().map(|(i, &v)| alg.process(i, n, v)).collect(),
        memory: Memory::new(alg.registers(n)),
    };
    let mut search = Search {
        alg,
        n,
        inputs,
        colour: HashMap::new(),
        path: Vec::new(),
        unsafe_ids: Vec::new(),
        finding: None,
        truncated: false,
    };
    search.dfs(initial.clone());
    let mut memo = HashMap::new();
    let (initial_valence, longest_schedule) = if search.truncated {
        (BTreeSet::new(), 0)
    } else {
        valence(&search, &initial, 0, &mut memo)
    };
    // Annotate an unsafe schedule with the valence after each step.
    let mut finding = search.finding.take();
    if let Some(Finding::Unsafe { schedule, .. }) = &mut finding {
        let mut c = initial;
        for (depth, (line, &p)) in schedule.iter_mut().zip(&search.unsafe_ids).enumerate() {
            step(&mut c.processes[p], &mut c.memory);
            let (v, _) = valence(&search, &c, depth + 1, &mut memo);
            let decided: Vec<String> = c
                .processes
                .iter()
                .enumerate()
                .filter_map(|(i, q)| decision(q).map(|v| format!("p{i} decided {v}")))
                .collect();
            *line = format!("{line:<40} valence {v:?}  {}", decided.join(", "));
        }
    }
    Exploration {
        algorithm: alg.name(),
        inputs: inputs.to_vec(),
        configurations: search.colour.len(),
        initial_valence,
        longest_schedule,
        truncated: search.truncated,
        finding,
    }
}

/// Every binary input vector of length `n` (values 1 and 2, since 0 is ⊥).
pub fn binary_inputs(n: usize) -> Vec<Vec<u64>> {
    (0..1u32 << n).map(|bits| (0..n).map(|i| 1 + u64::from((bits >> i) & 1)).collect()).collect()
}

/// A register-only candidate for 2-process wait-free consensus that the search refutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Candidate {
    /// `d ← D; if d = ⊥ then D ← v; decide v else decide d` — the check and the write are two
    /// steps, and another process fits between them.
    ReadThenWrite,
    /// `R[i] ← v; o ← R[1−i]; decide v if o = ⊥ else min(v, o)` — the first to finish cannot
    /// know whether the other will still come.
    AnnounceThenRead,
}

/// The candidates' process: a program counter over at most two steps.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CandidateProcess {
    kind: Candidate,
    me: ProcessId,
    input: u64,
    pc: u8,
    decided: Option<u64>,
}

impl Process for CandidateProcess {
    fn pending(&self) -> Pending {
        if let Some(v) = self.decided {
            return Pending::Decided(v);
        }
        Pending::Op(match (self.kind, self.pc) {
            (Candidate::ReadThenWrite, 0) => Op::Read(0),
            (Candidate::ReadThenWrite, _) => Op::Write(0, Word::plain(self.input)),
            (Candidate::AnnounceThenRead, 0) => Op::Write(self.me, Word::plain(self.input)),
            (Candidate::AnnounceThenRead, _) => Op::Read(1 - self.me),
        })
    }

    fn on_response(&mut self, r: Word) {
        self.pc += 1;
        self.decided = match (self.kind, self.pc) {
            (Candidate::ReadThenWrite, 1) if r.is_bottom() => None,
            (Candidate::ReadThenWrite, 1) => Some(r.val),
            (Candidate::ReadThenWrite, _) => Some(self.input),
            (Candidate::AnnounceThenRead, 1) => None,
            (Candidate::AnnounceThenRead, _) if r.is_bottom() => Some(self.input),
            (Candidate::AnnounceThenRead, _) => Some(self.input.min(r.val)),
        };
    }
}

impl Algorithm for Candidate {
    type Process = CandidateProcess;
    fn name(&self) -> &'static str {
        match self {
            Candidate::ReadThenWrite => "read D, then write D",
            Candidate::AnnounceThenRead => "announce R[i], then read R[1-i]",
        }
    }
    fn registers(&self, _n: usize) -> usize {
        2
    }
    fn register_name(&self, reg: Reg, _n: usize) -> String {
        match self {
            Candidate::ReadThenWrite => "D".into(),
            Candidate::AnnounceThenRead => format!("R[{reg}]"),
        }
    }
    fn process(&self, me: ProcessId, _n: usize, input: u64) -> CandidateProcess {
        CandidateProcess { kind: *self, me, input, pc: 0, decided: None }
    }
}

/// The register-only candidates at n = 2 with inputs (1, 2): the two naive ones (unsafe) and
/// the bakery-lock consensus of [`super::lock`] (safe, not wait-free).
pub fn register_candidates() -> Vec<Exploration> {
    let inputs = [1, 2];
    vec![
        explore(&Candidate::ReadThenWrite, &inputs),
        explore(&Candidate::AnnounceThenRead, &inputs),
        explore(&LockConsensus, &inputs),
    ]
}

/// Report lines for the FLP adversary against the lock-less algorithm (n = 2, inputs (1, 2),
/// `steps` steps) and against CAS.
pub fn describe_bivalent_schedules(steps: usize) -> Vec<String> {
    let lockless = super::lockless::Lockless::default();
    let mut lines = Vec::new();
    match bivalent_schedule(&lockless, &[1, 2], steps) {
        Ok(schedule) => {
            lines.push(format!(
                "{} (n = 2, inputs [1, 2]): the FLP adversary keeps every configuration \
                 bivalent for {steps} steps, nobody decides; the first 16:",
                lockless.name()
            ));
            lines.extend(schedule.iter().take(16).map(|s| format!("    {s}")));
        }
        Err(schedule) => lines.push(format!(
            "{}: the FLP adversary got stuck after {} steps",
            lockless.name(),
            schedule.len()
        )),
    }
    if let Err(schedule) = bivalent_schedule(&super::cas::CasConsensus, &[1, 2], steps) {
        lines.push(format!(
            "CAS (n = 2, inputs [1, 2]): the FLP adversary is stuck after {} steps: every first \
             step (a CAS) makes the outcome univalent",
            schedule.len()
        ));
    }
    lines
}

/// Report lines for one exploration, as `quarry-lab run shm-consensus-number` prints them.
pub fn describe(e: &Exploration) -> Vec<String> {
    let mut lines = vec![format!(
        "{} (n = {}, inputs {:?}): {} configurations, initial valence {:?}{}",
        e.algorithm,
        e.inputs.len(),
        e.inputs,
        e.configurations,
        e.initial_valence,
        if e.initial_valence.len() > 1 { " (bivalent)" } else { "" }
    )];
    match &e.finding {
        None if e.truncated => lines.push("  search truncated: no verdict".into()),
        None => lines.push(format!(
            "  every schedule: agreement and validity hold, no cycle (wait-free), \
             longest schedule {} steps",
            e.longest_schedule
        )),
        Some(Finding::Unsafe { property, schedule }) => {
            lines.push(format!("  {property} VIOLATED by this schedule:"));
            lines
                .extend(schedule.iter().enumerate().map(|(i, s)| format!("    {:>2}. {s}", i + 1)));
        }
        Some(Finding::NotWaitFree { prefix, cycle }) => {
            lines.push("  NOT WAIT-FREE: after this schedule".into());
            lines.extend(prefix.iter().enumerate().map(|(i, s)| format!("    {:>2}. {s}", i + 1)));
            lines.push("  these steps repeat for ever, nobody else stepping (crashed):".into());
            lines.extend(cycle.iter().map(|s| format!("        {s}")));
        }
    }
    lines
}

/// Summary of a CAS search over every binary input vector for each n in `ns`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CasSummary {
    /// The n searched.
    pub n: usize,
    /// Input vectors searched (2^n).
    pub input_vectors: usize,
    /// Configurations over all input vectors.
    pub configurations: usize,
    /// Input vectors with a finding or a truncated search (0 expected).
    pub failures: usize,
}

/// Exhaustive search of [`super::cas::CasConsensus`] for process count `n`, every binary input
/// vector.
pub fn cas_every_input(n: usize) -> CasSummary {
    let runs: Vec<Exploration> =
        binary_inputs(n).iter().map(|inputs| explore(&super::cas::CasConsensus, inputs)).collect();
    CasSummary {
        n,
        input_vectors: runs.len(),
        configurations: runs.iter().map(|e| e.configurations).sum(),
        failures: runs.iter().filter(|e| e.finding.is_some() || e.truncated).count(),
    }
}

/// Steps a solo run may take in [`bivalent_schedule`] before it counts as deciding nothing.
const SOLO_LIMIT: usize = 1_000;

/// The values the undecided processes of `c` would decide, each running alone from `c` (a
/// process that decides nothing within [`SOLO_LIMIT`] steps adds nothing), plus those already
/// decided. Two values: `c` is bivalent, witnessed by two real schedules.
pub fn solo_valence<P: Process>(c: &Configuration<P>) -> BTreeSet<u64> {
    let mut values: BTreeSet<u64> = c.processes.iter().filter_map(decision).collect();
    for p in 0..c.processes.len() {
        let mut alone = c.clone();
        for _ in 0..SOLO_LIMIT {
            if step(&mut alone.processes[p], &mut alone.memory).is_none() {
                break;
            }
        }
        values.extend(decision(&alone.processes[p]));
    }
    values
}

/// The FLP adversary (Fischer, Lynch & Paterson 1985, Lemma 3; Loui & Abu-Amara 1987 for
/// registers) against `alg`: from the initial configuration with `inputs`, take at each step
/// the first process (after the last one to step, round robin) whose step leads to a
/// configuration that is still bivalent by [`solo_valence`], for `steps` steps. Returns the
/// schedule, one line a step, or `None` with the schedule so far if no step keeps the
/// configuration bivalent (as with CAS, whose first step decides the outcome).
///
/// For an obstruction-free register algorithm the adversary never gets stuck: at a critical
/// configuration the two pending register operations would have to tell a solo run apart,
/// which reads and writes cannot (Herlihy 1991 §3.2, proof of Theorem 2). So the schedule grows
/// for ever, every process keeps taking steps, and nobody decides: not wait-free.
pub fn bivalent_schedule<A: Algorithm>(
    alg: &A,
    inputs: &[u64],
    steps: usize,
) -> Result<Vec<String>, Vec<String>> {
    let n = inputs.len();
    let mut c = Configuration {
        processes: inputs.iter().enumerate().map(|(i, &v)| alg.process(i, n, v)).collect(),
        memory: Memory::new(alg.registers(n)),
    };
    let mut schedule = Vec::new();
    let mut last = n - 1;
    while schedule.len() < steps {
        let next = (1..=n).map(|k| (last + k) % n).find_map(|p| {
            let mut after = c.clone();
            let (op, response) = step(&mut after.processes[p], &mut after.memory)?;
            (solo_valence(&after).len() > 1).then_some((p, op, response, after))
        });
        let Some((p, op, response, after)) = next else { return Err(schedule) };
        schedule.push(describe_step(alg, n, p, op, response));
        (c, last) = (after, p);
    }
    Ok(schedule)
}
