//! Register properties over a history of reads and writes (CGR chapter 4).
//!
//! - **Regularity** (Module 4.1, generalised to many writers as in Shao, Pierce & Welch 2003):
//!   a read returns the initial value ⊥ only if no write completed before it started, and
//!   otherwise the value of some write w that started before the read returned and that was
//!   not overwritten, i.e. no other write both started after w returned and returned before
//!   the read started. For one writer this is exactly CGR's "last value written, or a value
//!   written concurrently".
//! - **Atomicity** (Modules 4.2, 4.3): the history is linearizable as a read/write register
//!   (Herlihy & Wing 1990), checked with [`super::linearizability`]. Atomicity = regularity
//!   plus no new/old inversion between reads.
//!
//! Written values are assumed distinct (the lab's workloads write unique values).

use super::linearizability::{self, Linearizability, Operation, RegisterInput, RegisterModel};
use super::linearizability::{RegisterOp, RegisterOutput};
use super::Verdict;
use crate::protocol::{NodeId, Time};

/// A register value; `None` is the initial value ⊥.
pub type Value = i64;

/// A read or a write with its invocation and return times (µs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegisterOperation {
    /// The process that invoked it.
    pub process: NodeId,
    /// What it did and, for a read, what it returned.
    pub kind: Access,
    /// ⟨Read⟩ / ⟨Write | v⟩ time.
    pub invoke: Time,
    /// ⟨ReadReturn | v⟩ / ⟨WriteReturn⟩ time; `None` if it never returned.
    pub ret: Option<Time>,
}

/// The two register operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Write this value.
    Write(Value),
    /// A read that returned this value (`None` = ⊥).
    Read(Option<Value>),
}

/// Check regularity; the witness names the read and the value it should not have returned.
pub fn check_regular(ops: &[RegisterOperation]) -> Verdict {
    let writes: Vec<(&RegisterOperation, Value)> = ops
        .iter()
        .filter_map(|op| match op.kind {
            Access::Write(v) => Some((op, v)),
            Access::Read(_) => None,
        })
        .collect();
    let precedes = |a: &RegisterOperation, b_invoke: Time| a.ret.is_some_and(|r| r < b_invoke);
    let violation = ops.iter().find_map(|read| {
        let (Access::Read(value), Some(read_ret)) = (read.kind, read.ret) else { return None };
        let ok = match value {
            None => !writes.iter().any(|(w, _)| precedes(w, read.invoke)),
            Some(x) => writes.iter().any(|(w, v)| {
                *v == x
                    && w.invoke < read_ret
                    && !writes.iter().any(|(w2, _)| {
                        w.ret.is_some_and(|r| r < w2.invoke) && precedes(w2, read.invoke)
                    })
            }),
        };
        (!ok).then(|| {
            format!(
                "process {} read {value:?} during [{}, {read_ret}] µs, which is neither the last value written nor a concurrent one",
                read.process, read.invoke
            )
        })
    });
    Verdict::safety("regularity", violation)
}

/// Check atomicity (linearizability) with at most `budget` search steps; an exhausted budget
/// is reported as a violation whose text says "unknown", never as a pass.
pub fn check_atomic(ops: &[RegisterOperation], budget: u64) -> Verdict {
    let history: Vec<_> = ops
        .iter()
        .filter(|op| op.ret.is_some() || matches!(op.kind, Access::Write(_)))
        .map(|op| {
            let (input, output) = match op.kind {
                Access::Write(v) => (RegisterOp::Write(v), RegisterOutput::Written),
                Access::Read(v) => (RegisterOp::Read, RegisterOutput::Read(v)),
            };
            let output = if op.ret.is_none() { RegisterOutput::Unknown } else { output };
            Operation {
                client: op.process as u64,
                input: RegisterInput { key: 0, op: input },
                output,
                call: op.invoke,
                ret: op.ret,
            }
        })
        .collect();
    let violation = match linearizability::check(&RegisterModel, &history, budget) {
        Linearizability::Linearizable => None,
        Linearizability::NotLinearizable { .. } => {
            Some("no linearization of the reads and writes exists".to_owned())
        }
        Linearizability::Unknown => {
            Some(format!("unknown: search budget of {budget} steps exhausted"))
        }
    };
    Verdict::safety("atomicity", violation)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(process: NodeId, kind: Access, invoke: Time, ret: Time) -> RegisterOperation {
        RegisterOperation { process, kind, invoke, ret: Some(ret) }
    }

    #[test]
    fn reads_of_the_last_or_a_concurrent_write_are_regular_and_atomic() {
        let h = [
            op(0, Access::Read(None), 0, 5),
            op(0, Access::Write(1), 10, 20),
            op(1, Access::Read(Some(1)), 25, 30),
            op(0, Access::Write(2), 40, 60),
            op(1, Access::Read(Some(1)), 45, 50),
            op(2, Access::Read(Some(2)), 55, 70),
        ];
        assert!(check_regular(&h).holds());
        assert!(check_atomic(&h, 100_000).holds());
    }

    #[test]
    fn a_read_of_an_overwritten_value_is_not_regular() {
        let h = [
            op(0, Access::Write(1), 0, 10),
            op(0, Access::Write(2), 20, 30),
            op(1, Access::Read(Some(1)), 40, 50),
        ];
        let verdict = check_regular(&h);
        assert!(verdict.violation.as_ref().unwrap().contains("process 1 read Some(1)"));
        assert!(!check_atomic(&h, 100_000).holds());
    }

    #[test]
    fn reading_bottom_after_a_completed_write_is_not_regular() {
        let h = [op(0, Access::Write(1), 0, 10), op(1, Access::Read(None), 20, 30)];
        assert!(!check_regular(&h).holds());
    }

    #[test]
    fn a_new_old_inversion_is_regular_but_not_atomic() {
        let h = [
            op(0, Access::Write(1), 0, 10),
            op(0, Access::Write(2), 20, 100),
            op(1, Access::Read(Some(2)), 30, 40),
            op(2, Access::Read(Some(1)), 50, 60),
        ];
        assert!(check_regular(&h).holds());
        assert!(!check_atomic(&h, 100_000).holds());
    }

    #[test]
    fn two_writers_racing_are_judged_on_real_time_order() {
        // (N,N): writes by 0 and 1 overlap, so a later read may return either.
        let h = [
            op(0, Access::Write(1), 0, 30),
            op(1, Access::Write(2), 10, 20),
            op(2, Access::Read(Some(1)), 40, 50),
            op(3, Access::Read(Some(1)), 60, 70),
        ];
        assert!(check_regular(&h).holds());
        assert!(check_atomic(&h, 100_000).holds());
        let bad = [
            h[0],
            h[1],
            op(2, Access::Read(Some(1)), 40, 50),
            op(3, Access::Read(Some(2)), 60, 70),
        ];
        assert!(check_regular(&bad).holds(), "each read alone is regular");
        assert!(!check_atomic(&bad, 100_000).holds(), "but 1 then 2 needs write 2 after write 1");
    }
}
