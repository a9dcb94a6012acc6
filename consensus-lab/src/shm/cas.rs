//! Consensus from one compare-and-swap register: Herlihy, "Wait-free synchronization", ACM
//! TOPLAS 13(1) 1991, §3.5 (Theorem 7: compare&swap has consensus number ∞), the same shape
//! as Herlihy & Shavit, *The Art of Multiprocessor Programming* 2008, §5.8.
//!
//! ```text
//! propose(v):
//!     old ← CAS(D, ⊥, v)          one step, whatever the others do
//!     if old = ⊥ then decide v else decide old
//! ```
//!
//! The first CAS to land wins and every later one reads the winner: agreement and validity in
//! every schedule, one step per process (wait-free for any n, any number of crashes).

use super::{Algorithm, Op, Pending, Process, ProcessId, Reg, Word};

/// The CAS consensus algorithm; register 0 is the decision register `D`.
#[derive(Debug, Clone, Copy, Default)]
pub struct CasConsensus;

/// One process: before its CAS it holds its input, after it the decision.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CasProcess {
    input: u64,
    decided: Option<u64>,
}

impl Process for CasProcess {
    fn pending(&self) -> Pending {
        match self.decided {
            Some(v) => Pending::Decided(v),
            None => Pending::Op(Op::Cas {
                reg: 0,
                expected: Word::BOTTOM,
                new: Word::plain(self.input),
            }),
        }
    }

    fn on_response(&mut self, old: Word) {
        self.decided = Some(if old.is_bottom() { self.input } else { old.val });
    }
}

impl Algorithm for CasConsensus {
    type Process = CasProcess;
    fn name(&self) -> &'static str {
        "CAS"
    }
    fn registers(&self, _n: usize) -> usize {
        1
    }
    fn register_name(&self, _reg: Reg, _n: usize) -> String {
        "D".into()
    }
    fn process(&self, _me: ProcessId, _n: usize, input: u64) -> CasProcess {
        CasProcess { input, decided: None }
    }
}
