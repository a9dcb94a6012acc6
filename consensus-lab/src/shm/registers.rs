//! Multi-valued registers built from binary (Boolean) ones, in the shared-memory model: the
//! register constructions of L. Lamport, "On interprocess communication, Part II: algorithms",
//! Distributed Computing 1(2), 1986 (safe and regular registers; a multi-valued register from
//! Boolean ones), as M. Herlihy and N. Shavit present them in "The Art of Multiprocessor
//! Programming" (2008), §4.2.
//!
//! The base registers are **regular Boolean single-writer multi-reader registers** (Lamport
//! 1986 Part II §2; Herlihy & Shavit §4.1.1): a write is not one atomic step but two, *begin*
//! and *end*; a read that falls between them returns the old bit or the new one, as the
//! adversary chooses (a read of a bit being rewritten with its own value returns that value —
//! the difference between regular and safe Boolean registers). A run has one writer (process
//! 0) and `n − 1` readers; the writer writes each value of 1..[`VALUES`] once, in an order the
//! seed draws (distinct values, as the register checker wants; 0 is the initial value ⊥), and
//! each reader reads [`READS`] times. The seeded scheduler interleaves their base steps.
//!
//! Two constructions of an M-valued register (M = [`VALUES`]) from Boolean ones:
//!
//! - [`Encoding::Unary`] — Herlihy & Shavit Fig. 4.7, the regular M-valued MRSW register: M
//!   bits, value x is "bit x is the lowest set bit". `write(x)`: set bit x, then clear bits
//!   x − 1 down to 0. `read()`: scan bits 0, 1, … and return the index of the first set one.
//!   Regular (Herlihy & Shavit Lemma 4.2.3–4.2.4): a read returns the last completed write's
//!   value or one written concurrently.
//! - [`Encoding::Binary`] — the naive log₂ M-bit binary encoding: `write(x)` writes bit i := the
//!   i-th bit of x for i = 0, 1, …; `read()` reads the bits in the same order. A read not
//!   overlapping a write sees every bit stable, so it is a **safe** register (Lamport 1986
//!   Part II §3: a multi-valued safe register from safe bits); but a read overlapping the write
//!   of 2 (010) over 1 (001) can see 000 = ⊥ or 011 = 3, values that are neither the old nor
//!   the new one: **not regular**. The `shm-register-binary-broken-regularity` entry runs it
//!   against the regularity checker, which catches it with a seed that replays, while the
//!   safety checker passes.
//!
//! High-level operations are checked with [`crate::check::register`]: an operation is invoked
//! at its first base step and returns at its last; times are step numbers.

use rand::seq::SliceRandom;
use rand::Rng;

use crate::check::register::{check_regular, Access, RegisterOperation};
use crate::check::register_safe::check_safe;
use crate::harness::{Outcome, ProtocolEntry, RunConfig, RunReport};
use crate::sim::{Metrics, Streams, TraceLine};

/// M: the register holds 0..M, 0 being the initial value ⊥; the writer writes 1..M.
pub const VALUES: u64 = 8;
/// Reads per reader per run.
pub const READS: usize = 8;

/// A regular Boolean MRSW register: its bit, and the bit a write in progress is putting in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RegularBit {
    /// The value before the write in progress (or the only value).
    pub value: bool,
    /// The new value of a write that has begun and not ended.
    pub writing: Option<bool>,
}

impl RegularBit {
    /// A read; `coin` is the adversary's choice between old and new while a write is in
    /// progress (only asked when they differ).
    pub fn read(&self, coin: impl FnOnce() -> bool) -> bool {
        match self.writing {
            Some(new) if new != self.value && coin() => new,
            _ => self.value,
        }
    }
}

/// How an M-valued register is laid out over Boolean ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// One bit per value, the lowest set bit is the value (Herlihy & Shavit Fig. 4.7).
    Unary,
    /// ⌈log₂ M⌉ bits, the value in binary (naive; safe, not regular).
    Binary,
}

impl Encoding {
    /// Number of Boolean registers for values 0..`m`.
    pub fn bits(self, m: u64) -> usize {
        match self {
            Encoding::Unary => m as usize,
            Encoding::Binary => (64 - (m - 1).leading_zeros()).max(1) as usize,
        }
    }

    /// The bits at the start, holding 0 (⊥).
    pub fn initial(self, m: u64) -> Vec<RegularBit> {
        let mut bits = vec![RegularBit::default(); self.bits(m)];
        if self == Encoding::Unary {
            bits[0].value = true;
        }
        bits
    }

    /// The Boolean writes of `write(x)`, in order: `(bit, value)`.
    pub fn write_plan(self, x: u64, m: u64) -> Vec<(usize, bool)> {
        match self {
            Encoding::Unary => std::iter::once((x as usize, true))
                .chain((0..x as usize).rev().map(|i| (i, false)))
                .collect(),
            Encoding::Binary => (0..self.bits(m)).map(|i| (i, x >> i & 1 == 1)).collect(),
        }
    }

    /// The reader's next step after reading `seen` (bit values, in read order): `Err(bit)` to
    /// read that bit next, `Ok(x)` to return x. A unary read that finds no bit set (impossible
    /// over regular bits) returns M, a value never written, for the checker to flag.
    pub fn read_step(self, seen: &[bool], m: u64) -> Result<u64, usize> {
        match self {
            Encoding::Unary => match seen.last().copied() {
                Some(true) => Ok(seen.len() as u64 - 1),
                _ if seen.len() == m as usize => Ok(m),
                _ => Err(seen.len()),
            },
            Encoding::Binary if seen.len() == self.bits(m) => {
                Ok(seen.iter().enumerate().map(|(i, &b)| u64::from(b) << i).sum())
            }
            Encoding::Binary => Err(seen.len()),
        }
    }
}

/// One process's progress: its remaining operations and where it is in the current one.
#[derive(Debug, Clone)]
struct Client {
    /// Operations still to run (front first): `Some(x)` write x, `None` read.
    ops: std::collections::VecDeque<Option<u64>>,
    /// Base steps of the running operation so far (0: not started).
    steps: usize,
    /// Bits a running read has read.
    seen: Vec<bool>,
    /// Step at which the running operation was invoked.
    invoked: u64,
}

/// What a run produced: the high-level history (times are step numbers) and the base steps.
#[derive(Debug, Clone)]
pub struct RegisterRun {
    /// Every operation, all returned (the constructions are wait-free and nobody crashes).
    pub ops: Vec<RegisterOperation>,
    /// Base steps taken.
    pub steps: u64,
    /// One line per base step and per returned operation, if `trace`.
    pub trace: Vec<TraceLine>,
}

/// Run `encoding` with `n` processes (writer 0, readers 1..n) under the schedule `seed` draws:
/// the writer's order of values from the workload stream; from the adversary stream a
/// stickiness in {0, ½, 0.9} (the chance the last process steps again), each step's process
/// among those with work left, and the old-or-new coin of every read that overlaps a write of
/// a different bit.
pub fn run(encoding: Encoding, n: usize, seed: u64, trace: bool) -> RegisterRun {
    let m = VALUES;
    let streams = Streams::new(seed);
    let (mut workload, mut adversary) = (streams.workload, streams.adversary);
    let mut values: Vec<u64> = (1..m).collect();
    values.shuffle(&mut workload);
    let mut clients: Vec<Client> = (0..n.max(2))
        .map(|p| Client {
            ops: if p == 0 {
                values.iter().map(|&v| Some(v)).collect()
            } else {
                std::iter::repeat_n(None, READS).collect()
            },
            steps: 0,
            seen: Vec::new(),
            invoked: 0,
        })
        .collect();
    let stickiness = [0.0, 0.5, 0.9][adversary.random_range(0..3)];
    let mut bits = encoding.initial(m);
    let mut out = RegisterRun { ops: Vec::new(), steps: 0, trace: Vec::new() };
    let mut last: Option<usize> = None;
    loop {
        let live: Vec<usize> = (0..clients.len()).filter(|&p| !clients[p].ops.is_empty()).collect();
        if live.is_empty() {
            break;
        }
        let p = match last {
            Some(q) if live.contains(&q) && adversary.random_bool(stickiness) => q,
            _ => live[adversary.random_range(0..live.len())],
        };
        last = Some(p);
        out.steps += 1;
        let now = out.steps;
        let c = &mut clients[p];
        if c.steps == 0 {
            c.invoked = now;
        }
        c.steps += 1;
        let (detail, done) = match c.ops[0] {
            Some(x) => {
                // Base write k of the plan: step 2k begins it, step 2k + 1 ends it.
                let plan = encoding.write_plan(x, m);
                let (bit, b) = plan[(c.steps - 1) / 2];
                let detail = if c.steps % 2 == 1 {
                    bits[bit].writing = Some(b);
                    format!("p{p} write({x}): begin b[{bit}] := {}", u8::from(b))
                } else {
                    bits[bit] = RegularBit { value: b, writing: None };
                    format!("p{p} write({x}): end b[{bit}] := {}", u8::from(b))
                };
                (detail, (c.steps == 2 * plan.len()).then_some(Access::Write(x as i64)))
            }
            None => {
                let bit = encoding.read_step(&c.seen, m).expect_err("a read in progress reads");
                let b = bits[bit].read(|| adversary.random_bool(0.5));
                c.seen.push(b);
                let detail = format!("p{p} read b[{bit}] → {}", u8::from(b));
                let ret = encoding.read_step(&c.seen, m).ok();
                (detail, ret.map(|x| Access::Read((x != 0).then_some(x as i64))))
            }
        };
        if trace {
            out.trace.push(TraceLine {
                time: now,
                kind: "step",
                node: Some(p),
                from: None,
                detail,
            });
        }
        if let Some(kind) = done {
            out.ops.push(RegisterOperation { process: p, kind, invoke: c.invoked, ret: Some(now) });
            if trace {
                let detail = format!("p{p} {kind:?} over steps {}..={now}", c.invoked);
                out.trace.push(TraceLine {
                    time: now,
                    kind: "output",
                    node: Some(p),
                    from: None,
                    detail,
                });
            }
            c.ops.pop_front();
            c.steps = 0;
            c.seen.clear();
        }
    }
    out
}

/// Report time per step, µs: one step reads as one millisecond (as the other `shm-` entries).
const STEP_US: u64 = 1_000;

/// Run `encoding` under `config` (`config.n` processes, at least 2; `seed`, `trace`) and check
/// regularity ([`check_regular`]) and safety ([`check_safe`]) of the M-valued register.
pub fn run_entry(encoding: Encoding, config: &RunConfig) -> RunReport {
    let run = run(encoding, config.n, config.seed, config.trace);
    let outcomes = run
        .ops
        .iter()
        .map(|op| {
            let (invoked, returned) = (op.invoke, op.ret.unwrap_or(0));
            let event = format!("{:?} over steps {invoked}..={returned}", op.kind);
            Outcome::output(returned * STEP_US, op.process, event)
        })
        .collect();
    let pairs: Vec<_> =
        run.ops.iter().map(|op| (op.invoke * STEP_US, op.ret.unwrap_or(0) * STEP_US)).collect();
    let metrics = Metrics { events: run.steps, ..Metrics::default() };
    let verdicts = vec![check_regular(&run.ops), check_safe(&run.ops)];
    RunReport::from_pairs(
        config.seed,
        outcomes,
        &pairs,
        metrics,
        run.steps * STEP_US,
        verdicts,
        run.trace,
    )
}

const FAULTS: &str = "wait-free, no crashes; one writer (p0), n - 1 readers; base registers are \
                      regular Boolean MRSW (a read overlapping a write returns the old or the new \
                      bit, adversary's choice); any schedule the seed draws";

/// `shm-register-unary`: regular M-valued from regular Boolean, unary encoding.
pub static SHM_REGISTER_UNARY: ProtocolEntry = ProtocolEntry {
    name: "shm-register-unary",
    description: "shared memory: regular 8-valued MRSW register from 8 regular Boolean ones, \
                  unary encoding (write x: set bit x, clear x-1..0; read: lowest set bit)",
    source: "Herlihy & Shavit, The Art of Multiprocessor Programming §4.2, Fig. 4.7; Lamport, \
             Distrib. Comput. 1(2) 1986",
    fault_model: FAULTS,
    default_n: 3,
    byzantine: false,
    run: |config| run_entry(Encoding::Unary, config),
    comparison: None,
};

/// `shm-register-binary-broken-regularity`: the naive binary encoding, safe but not regular.
pub static BROKEN_SHM_REGISTER_BINARY: ProtocolEntry = ProtocolEntry {
    name: "shm-register-binary-broken-regularity",
    description: "NOT REGULAR on purpose: 8-valued register as 3 regular Boolean ones in binary; \
                  safe, but a read overlapping a write returns a value never written (regularity \
                  fails, safety holds)",
    source: "Lamport, Distrib. Comput. 1(2) 1986, Part II §3 (safe registers)",
    fault_model: FAULTS,
    default_n: 3,
    byzantine: false,
    run: |config| run_entry(Encoding::Binary, config),
    comparison: None,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::find;
    use crate::protocols::test_support::{assert_clean_sweep, assert_sweep_catches, SEEDS};
    use crate::sweep::sweep;

    #[test]
    fn a_regular_bit_read_during_a_write_returns_the_old_or_the_new_bit() {
        let bit = RegularBit { value: false, writing: Some(true) };
        assert!(bit.read(|| true));
        assert!(!bit.read(|| false));
        let same = RegularBit { value: true, writing: Some(true) };
        assert!(same.read(|| panic!("no choice when the write does not change the bit")));
    }

    #[test]
    fn the_encodings_lay_out_and_read_values_as_herlihy_and_shavit_describe() {
        assert_eq!((Encoding::Unary.bits(8), Encoding::Binary.bits(8)), (8, 3));
        assert_eq!(Encoding::Unary.write_plan(2, 8), vec![(2, true), (1, false), (0, false)]);
        assert_eq!(Encoding::Binary.write_plan(6, 8), vec![(0, false), (1, true), (2, true)]);
        assert_eq!(Encoding::Unary.read_step(&[false, false, true], 8), Ok(2));
        assert_eq!(Encoding::Unary.read_step(&[false], 8), Err(1));
        assert_eq!(Encoding::Binary.read_step(&[true, true, false], 8), Ok(3));
        assert_eq!(Encoding::Binary.read_step(&[true], 8), Err(1));
    }

    #[test]
    fn a_run_completes_every_operation() {
        let run = run(Encoding::Unary, 3, 7, true);
        assert_eq!(run.ops.len(), (VALUES - 1) as usize + 2 * READS);
        assert!(run.ops.iter().all(|op| op.ret.is_some()));
        assert!(run.trace.len() as u64 > run.steps);
    }

    /// Runs `SEEDS` seeds (1,000 in release) for n = 2, 3 and 5: every read regular.
    #[test]
    fn the_unary_construction_is_regular_in_every_swept_schedule() {
        for n in [2, 3, 5] {
            assert_clean_sweep(&SHM_REGISTER_UNARY, &RunConfig::new(n, 0));
        }
    }

    /// The binary encoding: a read overlapping a write sees a mix of old and new bits, a value
    /// never written (or not yet): regularity fails with a seed that replays; no read that
    /// overlaps no write goes wrong, so safety holds in every run.
    #[test]
    fn the_binary_construction_is_safe_but_not_regular_with_a_seed_that_replays() {
        let config = RunConfig::new(3, 0);
        let seed = assert_sweep_catches(&BROKEN_SHM_REGISTER_BINARY, &config, "regularity");
        eprintln!("shm-register-binary-broken-regularity n = 3: first failing seed {seed}");
        let replay = BROKEN_SHM_REGISTER_BINARY.run(&RunConfig { seed, ..config.clone() });
        assert!(find(&replay.verdicts, "safety").holds());
        let summary = sweep(&BROKEN_SHM_REGISTER_BINARY, &config, 0..SEEDS, || {});
        assert!(!summary.violations.contains_key("safety"), "{summary:?}");
    }
}
