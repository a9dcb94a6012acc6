//! Safe-register property (CGR 2011 §4.1, Lamport 1986 "On interprocess communication" part
//! II, §3 "safe register"): a read that is **not concurrent** with any write returns the value
//! of the last write that completed before it started, or ⊥ if none did. A read concurrent with
//! a write may return anything. Written for one writer (the writes are totally ordered by time);
//! written values are assumed distinct.

use super::register::{Access, RegisterOperation};
use super::Verdict;

/// Check safety of a single-writer register history; the witness names the read, what it
/// returned and what it should have returned.
pub fn check_safe(ops: &[RegisterOperation]) -> Verdict {
    let writes: Vec<&RegisterOperation> =
        ops.iter().filter(|op| matches!(op.kind, Access::Write(_))).collect();
    let violation = ops.iter().find_map(|read| {
        let (Access::Read(value), Some(read_ret)) = (read.kind, read.ret) else { return None };
        // A write that never returned overlaps every read after its invocation; one that
        // returned at the very instant the read started is not known to precede it.
        let concurrent = writes.iter().any(|w| w.invoke < read_ret && w.ret.is_none_or(|r| r >= read.invoke));
        if concurrent {
            return None;
        }
        let last = writes
            .iter()
            .filter(|w| w.ret.is_some_and(|r| r < read.invoke))
            .max_by_key(|w| w.ret)
            .map(|w| match w.kind {
                Access::Write(v) => v,
                Access::Read(_) => unreachable!("filtered to writes"),
            });
        (value != last).then(|| {
            format!(
                "process {} read {value:?} during [{}, {read_ret}] µs with no write concurrent; the last write was {last:?}",
                read.process, read.invoke
            )
        })
    });
    Verdict::safety("safety", violation)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{NodeId, Time};

    fn op(process: NodeId, kind: Access, invoke: Time, ret: Option<Time>) -> RegisterOperation {
        RegisterOperation { process, kind, invoke, ret }
    }

    #[test]
    fn a_read_between_writes_must_return_the_last_one_but_a_concurrent_read_may_return_anything() {
        let h = [
            op(0, Access::Write(1), 0, Some(10)),
            op(1, Access::Read(Some(1)), 20, Some(30)),
            op(0, Access::Write(2), 40, Some(60)),
            op(1, Access::Read(Some(99)), 45, Some(50)),
            op(2, Access::Read(Some(2)), 70, Some(80)),
        ];
        assert!(check_safe(&h).holds());
        let stale = [h[0], h[2], op(1, Access::Read(Some(1)), 70, Some(80))];
        let verdict = check_safe(&stale);
        assert!(verdict.violation.unwrap().contains("the last write was Some(2)"));
    }

    #[test]
    fn bottom_is_safe_only_before_the_first_completed_write() {
        let before = [op(1, Access::Read(None), 0, Some(5)), op(0, Access::Write(1), 10, Some(20))];
        assert!(check_safe(&before).holds());
        let after = [op(0, Access::Write(1), 0, Some(10)), op(1, Access::Read(None), 20, Some(30))];
        assert!(!check_safe(&after).holds());
        let pending =
            [op(0, Access::Write(1), 0, None), op(1, Access::Read(Some(7)), 20, Some(30))];
        assert!(check_safe(&pending).holds(), "a write that never returned is concurrent");
        let tie =
            [op(0, Access::Write(1), 0, Some(10)), op(1, Access::Read(Some(7)), 10, Some(30))];
        assert!(check_safe(&tie).holds(), "a write returning as the read starts is concurrent");
    }
}
