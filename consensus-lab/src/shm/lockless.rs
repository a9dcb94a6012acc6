//! The lock-less derivation: consensus from read/write registers with sequence numbers, the
//! bakery lock of [`super::lock`] replaced by optimistic attempts that check, instead of
//! exclude, each other.
//!
//! **Sources and an honest caveat.** The issue asks for the rules R1, C1, C2 of the course's
//! distributed-systems notes; those notes' texts are not in this repository, so the rules
//! below are this module's reconstruction. The algorithm they give is Disk Paxos with one
//! disk whose blocks never fail (Gafni & Lamport, "Disk Paxos", Distrib. Comput. 16(1) 2003,
//! §2–§3), which is single-decree Paxos (Lamport, "Paxos Made Simple" 2001, §2.2) with each
//! acceptor's state in a single-writer register; the same shape as the round-based register
//! of Boichat, Dutta, Frølund & Guerraoui, "Deconstructing Paxos", SIGACT News 34(1) 2003,
//! §4. Registers: `P[i]` (the highest sequence number process i announced) and `A[i]` (the
//! sequence number and value process i last accepted), both written only by i.
//!
//! **The derivation.** The lock-based protocol is "lock; d ← D; if d = ⊥ then D ← v; unlock".
//! Drop the lock and let every attempt carry a sequence number `b` instead, unique per process
//! (`b = k·n + i + 1`, the k-th attempt of process i) and larger than any seen before. Three
//! rules then stand in for mutual exclusion:
//!
//! - **R1 (read rule, adopt):** after announcing, read every `A[j]` and propose the value of
//!   the entry with the highest sequence number; only if all are ⊥ propose your own.
//!   Without it a late attempt overwrites a value someone already decided.
//! - **C1 (check rule 1, announce before reading):** write `P[i] ← b` *before* reading the
//!   `A[j]`. Then for any decider d with a smaller number, either d's confirmation read of
//!   `P[i]` sees `b` (and d retries) or that read came before the announcement, hence d's
//!   `A[d]` was written before i reads it, and R1 adopts it.
//! - **C2 (check rule 2, confirm after accepting):** after `A[i] ← (b, v)`, read every `P[j]`
//!   and decide `v` only if nobody announced a number above `b`; otherwise start a new
//!   attempt above the largest number seen. This is the lock's "nobody else was inside",
//!   checked after the fact.
//!
//! ```text
//! propose(x), process i:                  b ← i + 1
//! loop:
//!     P[i] ← b                                             C1: announce first
//!     (s, v) ← highest-numbered of A[0..n]; if ⊥ then v ← x R1: adopt
//!     A[i] ← (b, v)
//!     m ← max(P[0..n])                                    C2: confirm
//!     if m ≤ b then decide v
//!     b ← the next k·n + i + 1 above m
//! ```
//!
//! Safe in every schedule; obstruction-free (a process running alone decides within one
//! attempt, 2n + 2 steps; Herlihy, Luchangco & Moir, ICDCS 2003, §2), not wait-free: two
//! processes can abort each other's attempts for ever, as the registers' consensus number 1
//! says they must (Loui & Abu-Amara 1987, Theorem 3.5; Herlihy 1991 §3.2 Theorem 2).
//!
//! Each missing rule is a [`Flaw`], registered as a broken twin the sweeps catch; a fourth
//! twin shares sequence numbers between processes (attempt numbers without the process id).

use super::{Algorithm, Op, Pending, Process, ProcessId, Reg, Word};

/// Which rule a variant leaves out (`None`: the correct algorithm).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Flaw {
    /// All rules kept.
    #[default]
    None,
    /// Without R1: always propose one's own input, never adopt.
    NoAdopt,
    /// Without C1: read the `A[j]` first, announce `P[i] ← b` after.
    ReadBeforeAnnounce,
    /// Without C2: decide right after `A[i] ← (b, v)`, no confirmation read.
    NoConfirm,
    /// Sequence numbers `k + 1` without the process id, so two processes can share one.
    SharedSequenceNumbers,
}

/// The lock-less algorithm, possibly with a rule left out. Registers `P[0..n]` then `A[0..n]`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Lockless(pub Flaw);

/// Where a process is in its current attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// About to write `P[i] ← b`.
    Announce,
    /// Reading `A[j]`; `best` is the highest-numbered entry so far.
    Collect {
        /// Next register to read.
        j: usize,
        /// Highest-numbered accepted entry read so far.
        best: Word,
    },
    /// About to write `A[i] ← (b, v)`.
    Accept(u64),
    /// Reading `P[j]`; `max` is the largest number seen so far; `v` the value accepted.
    Confirm {
        /// Next register to read.
        j: usize,
        /// Largest announced number so far.
        max: u64,
        /// The value this attempt accepted.
        v: u64,
    },
    /// Only without C1: about to write `P[i] ← b` after collecting, then accept the value.
    AnnounceLate(u64),
    /// Decided.
    Done(u64),
}

/// One process of the lock-less algorithm.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LocklessProcess {
    me: ProcessId,
    n: usize,
    input: u64,
    flaw: Flaw,
    /// The current attempt's sequence number.
    pub seq: u64,
    /// Where the process is.
    pub phase: Phase,
}

impl LocklessProcess {
    fn first_phase(&self) -> Phase {
        match self.flaw {
            Flaw::ReadBeforeAnnounce => Phase::Collect { j: 0, best: Word::BOTTOM },
            _ => Phase::Announce,
        }
    }

    /// The smallest sequence number of this process above `seen`.
    fn next_seq(&self, seen: u64) -> u64 {
        match self.flaw {
            Flaw::SharedSequenceNumbers => seen + 1,
            _ => (seen / self.n as u64 + 1) * self.n as u64 + self.me as u64 + 1,
        }
    }

    /// The phase after reading every `A[j]`, `best` the highest-numbered entry (R1).
    fn after_collect(&self, best: Word) -> Phase {
        let v = if best.is_bottom() || self.flaw == Flaw::NoAdopt { self.input } else { best.val };
        match self.flaw {
            Flaw::ReadBeforeAnnounce => Phase::AnnounceLate(v),
            _ => Phase::Accept(v),
        }
    }
}

impl Process for LocklessProcess {
    fn pending(&self) -> Pending {
        let (n, i) = (self.n, self.me);
        Pending::Op(match self.phase {
            Phase::Announce | Phase::AnnounceLate(_) => {
                Op::Write(i, Word { seq: self.seq, val: 0 })
            }
            Phase::Collect { j, .. } => Op::Read(n + j),
            Phase::Accept(v) => Op::Write(n + i, Word { seq: self.seq, val: v }),
            Phase::Confirm { j, .. } => Op::Read(j),
            Phase::Done(v) => return Pending::Decided(v),
        })
    }

    fn on_response(&mut self, r: Word) {
        let n = self.n;
        self.phase = match self.phase {
            Phase::AnnounceLate(v) => Phase::Accept(v),
            Phase::Announce => Phase::Collect { j: 0, best: Word::BOTTOM },
            Phase::Collect { j, best } => {
                let best = if r.seq > best.seq { r } else { best };
                if j + 1 < n {
                    Phase::Collect { j: j + 1, best }
                } else {
                    self.after_collect(best)
                }
            }
            Phase::Accept(v) if self.flaw == Flaw::NoConfirm => Phase::Done(v),
            Phase::Accept(v) => Phase::Confirm { j: 0, max: 0, v },
            Phase::Confirm { j, max, v } => {
                let max = max.max(r.seq);
                if j + 1 < n {
                    Phase::Confirm { j: j + 1, max, v }
                } else if max <= self.seq {
                    Phase::Done(v)
                } else {
                    self.seq = self.next_seq(max);
                    self.first_phase()
                }
            }
            Phase::Done(v) => Phase::Done(v),
        };
    }
}

impl Algorithm for Lockless {
    type Process = LocklessProcess;
    fn name(&self) -> &'static str {
        match self.0 {
            Flaw::None => "lock-less (R1, C1, C2)",
            Flaw::NoAdopt => "lock-less without R1",
            Flaw::ReadBeforeAnnounce => "lock-less without C1",
            Flaw::NoConfirm => "lock-less without C2",
            Flaw::SharedSequenceNumbers => "lock-less with shared sequence numbers",
        }
    }
    fn registers(&self, n: usize) -> usize {
        2 * n
    }
    fn register_name(&self, reg: Reg, n: usize) -> String {
        if reg < n {
            format!("P[{reg}]")
        } else {
            format!("A[{}]", reg - n)
        }
    }
    fn process(&self, me: ProcessId, n: usize, input: u64) -> LocklessProcess {
        let seq = if self.0 == Flaw::SharedSequenceNumbers { 1 } else { me as u64 + 1 };
        let mut p = LocklessProcess { me, n, input, flaw: self.0, seq, phase: Phase::Announce };
        p.phase = p.first_phase();
        p
    }
}
