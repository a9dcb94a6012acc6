//! Shared-memory consensus: processes that read, write and compare-and-swap shared registers,
//! crash-stop, and an adversarial scheduler driven by a seed.
//!
//! This is the lab's second model of computation, beside the message-passing simulator of
//! [`crate::sim`]. A run is a sequence of atomic **steps**: the scheduler picks a live, undecided
//! process; that process's pending operation ([`Op`]) is applied to the shared [`Memory`] and the
//! response handed back; the process then names its next operation or its decision. Registers
//! are atomic (every operation takes effect at its step), as in Herlihy 1991 §2 and Attiya &
//! Welch 2004 §4.1. A crashed process simply takes no more steps (crash-stop); nobody can tell
//! it from a slow one, which is the whole difficulty (Loui & Abu-Amara 1987; FLP 1985 in its
//! shared-memory form).
//!
//! - [`scheduler`]: the seeded scheduler and crash plan, one run → a consensus history;
//! - [`lock`]: consensus under Lamport's bakery lock (registers only; blocks on a crashed
//!   lock holder);
//! - [`cas`]: consensus with one compare-and-swap register (wait-free for every n);
//! - [`lockless`]: the lock-less derivation with sequence numbers and its rules R1, C1, C2,
//!   each missing rule a broken variant;
//! - [`search`]: exhaustive search over every schedule for small n (consensus numbers:
//!   registers 1, CAS ∞; Herlihy 1991 §3);
//! - [`registers`]: multi-valued registers from regular Boolean ones (unary: regular; binary:
//!   only safe), checked against the register checkers;
//! - [`experiments`]: the registry entries (`shm-…`) that `quarry-lab run` and `sweep` know.
//!
//! Time in a shared-memory run is counted in steps: a report's "time" of 37 is the 37th step.

pub mod cas;
pub mod experiments;
pub mod lock;
pub mod lockless;
pub mod registers;
pub mod scheduler;
pub mod search;

use std::fmt::{self, Debug};
use std::hash::Hash;

/// A process's index, 0..n.
pub type ProcessId = usize;

/// A register's index in [`Memory`]; each algorithm lays out its own registers.
pub type Reg = usize;

/// A register's content: a sequence number and a value. Value 0 is ⊥ (nothing written), so
/// proposals are ≥ 1. Plain registers leave `seq` at 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Word {
    /// Sequence number (ballot) of the write; 0 for plain registers.
    pub seq: u64,
    /// The value; 0 is ⊥.
    pub val: u64,
}

impl Word {
    /// ⊥: the initial content of every register.
    pub const BOTTOM: Word = Word { seq: 0, val: 0 };

    /// A plain value, sequence number 0.
    pub fn plain(val: u64) -> Word {
        Word { seq: 0, val }
    }

    /// `true` for ⊥.
    pub fn is_bottom(self) -> bool {
        self == Word::BOTTOM
    }
}

impl fmt::Display for Word {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.seq, self.val) {
            (0, 0) => write!(f, "⊥"),
            (0, v) => write!(f, "{v}"),
            (s, 0) => write!(f, "(#{s}, ⊥)"),
            (s, v) => write!(f, "(#{s}, {v})"),
        }
    }
}

/// One atomic shared-memory operation (Herlihy 1991 §2: read/write registers, §3.5
/// compare&swap).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// Return the register's content.
    Read(Reg),
    /// Replace the content; returns ⊥.
    Write(Reg, Word),
    /// If the content equals `expected`, replace it by `new`; returns the *old* content either
    /// way (so the caller learns whether it won).
    Cas {
        /// The register.
        reg: Reg,
        /// Content that makes the swap happen.
        expected: Word,
        /// Content written if it does.
        new: Word,
    },
}

impl Op {
    /// `true` for operations a read/write register supports (everything but CAS).
    pub fn is_read_write(self) -> bool {
        !matches!(self, Op::Cas { .. })
    }
}

/// What a process does next: an operation, or it has decided (and takes no more steps).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pending {
    /// The next operation.
    Op(Op),
    /// ⟨Decide | v⟩; the process is done.
    Decided(u64),
}

/// One process of a shared-memory algorithm as a sans-IO state machine: it names its next
/// operation, the scheduler applies it and feeds back the response. Values are `Clone + Eq +
/// Hash` so that [`search`] can memoise whole configurations.
pub trait Process: Clone + Eq + Hash + Debug {
    /// The next operation, or the decision.
    fn pending(&self) -> Pending;
    /// The response of the operation [`Process::pending`] named (⊥ for a write).
    fn on_response(&mut self, response: Word);
}

/// A shared-memory consensus algorithm: its register layout and its processes.
pub trait Algorithm: Sync {
    /// The process state machine.
    type Process: Process;
    /// Short name for reports, e.g. `bakery lock`.
    fn name(&self) -> &'static str;
    /// Number of registers for `n` processes.
    fn registers(&self, n: usize) -> usize;
    /// How a register is called in schedules, e.g. `A[1]`.
    fn register_name(&self, reg: Reg, n: usize) -> String;
    /// Process `me` of `n` proposing `input` (≥ 1).
    fn process(&self, me: ProcessId, n: usize, input: u64) -> Self::Process;
}

/// The shared registers, all ⊥ at the start.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Memory(pub Vec<Word>);

impl Memory {
    /// `count` registers holding ⊥.
    pub fn new(count: usize) -> Self {
        Memory(vec![Word::BOTTOM; count])
    }

    /// Apply `op` atomically and return its response.
    ///
    /// # Panics
    /// If `op` names a register beyond the layout: a bug in the algorithm.
    pub fn apply(&mut self, op: Op) -> Word {
        match op {
            Op::Read(r) => self.0[r],
            Op::Write(r, w) => {
                self.0[r] = w;
                Word::BOTTOM
            }
            Op::Cas { reg, expected, new } => {
                let old = self.0[reg];
                if old == expected {
                    self.0[reg] = new;
                }
                old
            }
        }
    }
}

/// One step as a schedule line: `p0 write A[0] := (#1, 10)`, `p1 read P[0] → #2`,
/// `p0 cas D: ⊥ → 10 (got ⊥)`.
pub fn describe_step<A: Algorithm>(
    alg: &A,
    n: usize,
    p: ProcessId,
    op: Op,
    response: Word,
) -> String {
    let name = |r| alg.register_name(r, n);
    match op {
        Op::Read(r) => format!("p{p} read {} → {response}", name(r)),
        Op::Write(r, w) => format!("p{p} write {} := {w}", name(r)),
        Op::Cas { reg, expected, new } => {
            format!("p{p} cas {}: {expected} → {new} (found {response})", name(reg))
        }
    }
}

/// Run `p`'s pending operation on `memory`: returns the operation and its response, or `None`
/// if `p` has decided.
pub fn step<P: Process>(p: &mut P, memory: &mut Memory) -> Option<(Op, Word)> {
    match p.pending() {
        Pending::Decided(_) => None,
        Pending::Op(op) => {
            let response = memory.apply(op);
            p.on_response(response);
            Some((op, response))
        }
    }
}

/// The decision of `p`, if it has decided.
pub fn decision<P: Process>(p: &P) -> Option<u64> {
    match p.pending() {
        Pending::Decided(v) => Some(v),
        Pending::Op(_) => None,
    }
}

#[cfg(test)]
mod tests;
