//! Consensus under a lock: the first process into the critical section writes its proposal to
//! the decision register, every later one reads it. The lock is Lamport's bakery, "A new
//! solution of Dijkstra's concurrent programming problem", CACM 17(8) 1974 (the algorithm of
//! its p. 454), so the whole protocol uses read/write registers only.
//!
//! ```text
//! propose(v), process i:
//!     choosing[i] ← 1                                      doorway
//!     number[i] ← 1 + max(number[0..n])
//!     choosing[i] ← 0
//!     for j ≠ i: wait until choosing[j] = 0                 wait
//!                wait until number[j] = 0 or (number[j], j) > (number[i], i)
//!     d ← D; if d = ⊥ then D ← v; d ← v                   critical section
//!     number[i] ← 0                                        exit
//!     decide d
//! ```
//!
//! Safe under any schedule (mutual exclusion, bakery Assertion 1 of the paper). Not
//! wait-free and not even live under one crash: a process that crashes in its doorway or
//! holding a ticket leaves `choosing[i] = 1` or `number[i] ≠ 0` for ever, and everyone behind
//! it waits for ever. That is why a lock cannot give wait-free consensus (Herlihy 1991 §1:
//! "wait-free … must complete in a finite number of steps, regardless of the … halting
//! failures of other processes"). `quarry-lab run shm-lock --crash 1` shows it.

use super::{Algorithm, Op, Pending, Process, ProcessId, Reg, Word};

/// The bakery-lock consensus. Registers: `choosing[0..n]`, `number[0..n]`, then `D`.
#[derive(Debug, Clone, Copy, Default)]
pub struct LockConsensus;

/// Where a process is in the bakery protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Doorway: about to write `choosing[i] ← 1`.
    EnterDoorway,
    /// Doorway: reading `number[j]`, the largest ticket so far in `max`.
    ReadTickets {
        /// Next process whose ticket to read.
        j: usize,
        /// Largest ticket read so far.
        max: u64,
    },
    /// Doorway: about to write `number[i] ← ticket`.
    TakeTicket(u64),
    /// Doorway: about to write `choosing[i] ← 0`.
    LeaveDoorway,
    /// Waiting for `choosing[j] = 0`.
    WaitChoosing(usize),
    /// Waiting for `number[j] = 0` or `(number[j], j) > (number[i], i)`.
    WaitTicket(usize),
    /// Critical section: about to read `D`.
    ReadDecision,
    /// Critical section: `D` was ⊥, about to write the proposal.
    WriteDecision,
    /// Exit: about to write `number[i] ← 0`, then decide the value.
    Unlock(u64),
    /// Decided.
    Done(u64),
}

/// One process of the bakery-lock consensus.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LockProcess {
    me: ProcessId,
    n: usize,
    input: u64,
    ticket: u64,
    /// Where the process is.
    pub phase: Phase,
}

impl LockProcess {
    /// `true` while the process holds a ticket or is choosing one: a crash here blocks others.
    pub fn blocks_others(&self) -> bool {
        !matches!(self.phase, Phase::EnterDoorway | Phase::Done(_))
    }

    fn choosing(&self, j: usize) -> Reg {
        j
    }

    fn number(&self, j: usize) -> Reg {
        self.n + j
    }

    fn decision_register(&self) -> Reg {
        2 * self.n
    }

    /// The first process ≥ `j` other than this one, or the critical section if none is left.
    fn wait_from(&self, j: usize) -> Phase {
        let j = if j == self.me { j + 1 } else { j };
        if j >= self.n {
            Phase::ReadDecision
        } else {
            Phase::WaitChoosing(j)
        }
    }
}

impl Process for LockProcess {
    fn pending(&self) -> Pending {
        let i = self.me;
        Pending::Op(match self.phase {
            Phase::EnterDoorway => Op::Write(self.choosing(i), Word::plain(1)),
            Phase::ReadTickets { j, .. } => Op::Read(self.number(j)),
            Phase::TakeTicket(t) => Op::Write(self.number(i), Word::plain(t)),
            Phase::LeaveDoorway => Op::Write(self.choosing(i), Word::BOTTOM),
            Phase::WaitChoosing(j) => Op::Read(self.choosing(j)),
            Phase::WaitTicket(j) => Op::Read(self.number(j)),
            Phase::ReadDecision => Op::Read(self.decision_register()),
            Phase::WriteDecision => Op::Write(self.decision_register(), Word::plain(self.input)),
            Phase::Unlock(_) => Op::Write(self.number(i), Word::BOTTOM),
            Phase::Done(v) => return Pending::Decided(v),
        })
    }

    fn on_response(&mut self, r: Word) {
        self.phase = match self.phase {
            Phase::EnterDoorway => Phase::ReadTickets { j: 0, max: 0 },
            Phase::ReadTickets { j, max } if j + 1 < self.n => {
                Phase::ReadTickets { j: j + 1, max: max.max(r.val) }
            }
            Phase::ReadTickets { max, .. } => {
                self.ticket = max.max(r.val) + 1;
                Phase::TakeTicket(self.ticket)
            }
            Phase::TakeTicket(_) => Phase::LeaveDoorway,
            Phase::LeaveDoorway => self.wait_from(0),
            Phase::WaitChoosing(j) if r.val == 0 => Phase::WaitTicket(j),
            Phase::WaitTicket(j) if r.val == 0 || (r.val, j) > (self.ticket, self.me) => {
                self.wait_from(j + 1)
            }
            waiting @ (Phase::WaitChoosing(_) | Phase::WaitTicket(_)) => waiting,
            Phase::ReadDecision if r.is_bottom() => Phase::WriteDecision,
            Phase::ReadDecision => Phase::Unlock(r.val),
            Phase::WriteDecision => Phase::Unlock(self.input),
            Phase::Unlock(v) => Phase::Done(v),
            Phase::Done(v) => Phase::Done(v),
        };
    }
}

impl Algorithm for LockConsensus {
    type Process = LockProcess;
    fn name(&self) -> &'static str {
        "bakery lock"
    }
    fn registers(&self, n: usize) -> usize {
        2 * n + 1
    }
    fn register_name(&self, reg: Reg, n: usize) -> String {
        match reg {
            r if r < n => format!("choosing[{r}]"),
            r if r < 2 * n => format!("number[{}]", r - n),
            _ => "D".into(),
        }
    }
    fn process(&self, me: ProcessId, n: usize, input: u64) -> LockProcess {
        LockProcess { me, n, input, ticket: 0, phase: Phase::EnterDoorway }
    }
}
