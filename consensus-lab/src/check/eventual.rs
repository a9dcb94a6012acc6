//! Properties of a leaderless, eventually consistent key-value store (DeCandia et al., "Dynamo:
//! Amazon's Highly Available Key-value Store", SOSP 2007; Vogels, "Eventually Consistent", CACM
//! 52(1), 2009):
//!
//! - **Regularity** per key (safety): what strict quorums (r + w > n) with timestamps that follow
//!   real time guarantee — a read never returns a value that a write completed before the read
//!   began had overwritten (multi-writer regularity, [`super::register::check_regular`], run once
//!   per key). A *stale read* (r + w ≤ n) violates it.
//! - **Termination** (liveness): every operation invoked at a correct coordinator returns.
//! - **Convergence** (liveness; Vogels' eventual consistency): once updates stop, every correct
//!   replica holds the same value for every key — judged on the replicas' stores at the end of
//!   the run.
//!
//! Linearizability is *not* among them: a read concurrent with a write may see it while a later
//! read (from a quorum the write has not reached) does not.

use std::collections::{BTreeMap, BTreeSet};

use super::register::{check_regular, RegisterOperation};
use super::Verdict;
use crate::protocol::NodeId;

/// A key of the store.
pub type Key = u64;

/// What a key-value checker needs from a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvHistory {
    /// Every get and put, with its key; a put's value is unique in the run.
    pub ops: Vec<(Key, RegisterOperation)>,
    /// The final store (key → value) of every correct replica.
    pub stores: BTreeMap<NodeId, BTreeMap<Key, i64>>,
    /// The correct processes.
    pub correct: BTreeSet<NodeId>,
}

/// Check regularity (per key), termination and convergence; one verdict each.
pub fn check(h: &KvHistory) -> Vec<Verdict> {
    let keys: BTreeSet<Key> = h.ops.iter().map(|(k, _)| *k).collect();
    let regularity = keys.iter().find_map(|key| {
        let ops: Vec<RegisterOperation> =
            h.ops.iter().filter(|(k, _)| k == key).map(|(_, op)| *op).collect();
        check_regular(&ops).violation.map(|v| format!("key {key}: {v}"))
    });
    let termination =
        h.ops.iter().find(|(_, op)| op.ret.is_none() && h.correct.contains(&op.process));
    let termination = termination.map(|(key, op)| {
        format!("{:?} on key {key} at correct process {} never returned", op.kind, op.process)
    });
    vec![
        Verdict::safety("regularity", regularity),
        Verdict::liveness("termination", termination),
        Verdict::liveness("convergence", convergence(&h.stores)),
    ]
}

/// The first key on which two replicas' final stores differ.
fn convergence(stores: &BTreeMap<NodeId, BTreeMap<Key, i64>>) -> Option<String> {
    let mut replicas = stores.iter();
    let (first, reference) = replicas.next()?;
    replicas.find_map(|(p, store)| {
        let keys: BTreeSet<&Key> = reference.keys().chain(store.keys()).collect();
        keys.into_iter().find(|k| reference.get(k) != store.get(k)).map(|k| {
            format!(
                "key {k}: replica {first} holds {:?}, replica {p} holds {:?}",
                reference.get(k),
                store.get(k)
            )
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::find;
    use crate::check::register::Access;

    fn op(process: NodeId, kind: Access, invoke: u64, ret: Option<u64>) -> RegisterOperation {
        RegisterOperation { process, kind, invoke, ret }
    }

    fn history(ops: Vec<(Key, RegisterOperation)>, stores: &[&[(Key, i64)]]) -> KvHistory {
        KvHistory {
            ops,
            stores: stores
                .iter()
                .enumerate()
                .map(|(p, s)| (p, s.iter().copied().collect()))
                .collect(),
            correct: (0..stores.len()).collect(),
        }
    }

    #[test]
    fn a_read_after_a_completed_write_that_returns_it_passes_everything() {
        let h = history(
            vec![
                (7, op(0, Access::Write(1), 0, Some(10))),
                (7, op(1, Access::Read(Some(1)), 20, Some(30))),
            ],
            &[&[(7, 1)], &[(7, 1)]],
        );
        assert!(check(&h).iter().all(Verdict::holds), "{:?}", check(&h));
    }

    #[test]
    fn a_read_of_an_overwritten_value_is_a_stale_read_but_only_on_its_own_key() {
        let ops = vec![
            (7, op(0, Access::Write(1), 0, Some(10))),
            (7, op(0, Access::Write(2), 20, Some(30))),
            (8, op(1, Access::Write(3), 0, Some(50))),
            (7, op(1, Access::Read(Some(1)), 40, Some(50))),
            (8, op(1, Access::Read(None), 40, Some(45))),
        ];
        let h = history(ops.clone(), &[&[(7, 2), (8, 3)]]);
        let witness = find(&check(&h), "regularity").violation.clone().expect("stale");
        assert!(witness.starts_with("key 7:"), "{witness}");
        let fine: Vec<_> = ops.into_iter().filter(|(k, _)| *k == 8).collect();
        assert!(
            find(&check(&history(fine, &[&[(8, 3)]])), "regularity").holds(),
            "⊥ is concurrent"
        );
    }

    #[test]
    fn replicas_that_end_with_different_values_have_not_converged() {
        let h = history(vec![], &[&[(7, 1)], &[(7, 2)]]);
        assert!(!find(&check(&h), "convergence").holds());
        let missing = history(vec![], &[&[(7, 1)], &[]]);
        assert!(!find(&check(&missing), "convergence").holds());
    }

    #[test]
    fn an_operation_that_never_returns_at_a_correct_process_fails_termination() {
        let h = history(vec![(7, op(0, Access::Write(1), 0, None))], &[&[]]);
        assert!(!find(&check(&h), "termination").holds());
    }
}
