//! Properties of generic (commutative) state-machine replication, where replicas may execute
//! *non-interfering* commands in different orders (Lamport, "Generalized Consensus and Paxos",
//! MSR-TR-2005-33; Moraru, Andersen, Kaminsky, SOSP 2013, §4.2 "Consistency"):
//!
//! - **No creation**: a replica executes only commands some client submitted. (safety)
//! - **No duplication**: a replica executes each command at most once. (safety)
//! - **Conflict order**: if two interfering commands γ and δ are both executed by replicas p and
//!   q, then p executes γ before δ iff q does — crashed replicas included (EPaxos "Execution
//!   consistency"). (safety)
//! - **Execution**: every command submitted to a correct replica is eventually executed by
//!   every correct replica. (liveness)

use std::collections::{BTreeMap, BTreeSet};

use super::Verdict;
use crate::protocol::NodeId;

/// What the checker needs from a run. Commands are identified by `u64` ids; `key(c)` groups
/// them: two commands interfere iff they have the same key.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionHistory {
    /// `(replica, command id, key)`: every submitted command, at the replica it was sent to.
    pub submitted: Vec<(NodeId, u64, u64)>,
    /// `(replica, command id, key)`: executions in the order each replica performed them.
    pub executed: Vec<(NodeId, u64, u64)>,
    /// Correct replicas.
    pub correct: BTreeSet<NodeId>,
}

/// Check the four properties; one verdict each, in the order of the module doc.
pub fn check(h: &ExecutionHistory) -> Vec<Verdict> {
    let submitted: BTreeMap<u64, u64> = h.submitted.iter().map(|&(_, c, k)| (c, k)).collect();
    let creation = h
        .executed
        .iter()
        .find(|(_, c, _)| !submitted.contains_key(c))
        .map(|(p, c, _)| format!("replica {p} executed command {c}, which nobody submitted"));
    // position of each command in each replica's per-key execution sequence
    let mut order: BTreeMap<(NodeId, u64), BTreeMap<u64, usize>> = BTreeMap::new();
    let mut duplication = None;
    for &(p, c, k) in &h.executed {
        let seq = order.entry((p, k)).or_default();
        let next = seq.len();
        if seq.insert(c, next).is_some() && duplication.is_none() {
            duplication = Some(format!("replica {p} executed command {c} twice"));
        }
    }
    let conflict = conflict_order_violation(&order);
    let executed_by: BTreeSet<(NodeId, u64)> = h.executed.iter().map(|&(p, c, _)| (p, c)).collect();
    let execution = h
        .submitted
        .iter()
        .filter(|(origin, _, _)| h.correct.contains(origin))
        .flat_map(|&(_, c, _)| h.correct.iter().map(move |&p| (p, c)))
        .find(|pc| !executed_by.contains(pc))
        .map(|(p, c)| format!("correct replica {p} never executed command {c}"));
    vec![
        Verdict::safety("no creation", creation),
        Verdict::safety("no duplication", duplication),
        Verdict::safety("conflict order", conflict),
        Verdict::liveness("execution", execution),
    ]
}

/// The first pair of interfering commands that two replicas executed in opposite orders.
fn conflict_order_violation(
    order: &BTreeMap<(NodeId, u64), BTreeMap<u64, usize>>,
) -> Option<String> {
    for ((p, key), at_p) in order {
        for ((q, _), at_q) in order.range((p + 1, *key)..).filter(|((_, k), _)| k == key) {
            // common commands, sorted by p's order; q's positions must then increase
            let mut common: Vec<(usize, usize, u64)> =
                at_p.iter().filter_map(|(c, &i)| at_q.get(c).map(|&j| (i, j, *c))).collect();
            common.sort_unstable();
            if let Some(w) = common.windows(2).find(|w| w[0].1 > w[1].1) {
                return Some(format!(
                    "replica {p} executed command {} before {} (key {key}) but replica {q} did the opposite",
                    w[0].2, w[1].2
                ));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::find;

    fn history(executed: &[(NodeId, u64, u64)]) -> ExecutionHistory {
        ExecutionHistory {
            submitted: vec![(0, 1, 10), (1, 2, 10), (2, 3, 20)],
            executed: executed.to_vec(),
            correct: [0, 1].into(),
        }
    }

    #[test]
    fn same_order_for_interfering_commands_and_any_order_for_others_passes() {
        let h = history(&[(0, 1, 10), (0, 3, 20), (0, 2, 10), (1, 3, 20), (1, 1, 10), (1, 2, 10)]);
        let verdicts = check(&h);
        assert!(verdicts.iter().all(Verdict::holds), "{verdicts:?}");
    }

    #[test]
    fn opposite_orders_of_two_commands_on_one_key_break_conflict_order() {
        let h = history(&[(0, 1, 10), (0, 2, 10), (1, 2, 10), (1, 1, 10), (0, 3, 20), (1, 3, 20)]);
        let verdicts = check(&h);
        let v = find(&verdicts, "conflict order").violation.clone().unwrap();
        assert!(v.contains("command 1 before 2"), "{v}");
    }

    #[test]
    fn a_crashed_replica_executing_in_another_order_is_still_a_violation() {
        let h = history(&[(0, 1, 10), (0, 2, 10), (2, 2, 10), (2, 1, 10)]);
        assert!(!find(&check(&h), "conflict order").holds());
    }

    #[test]
    fn repeats_unknown_commands_and_missing_executions_are_each_reported() {
        let h = history(&[(0, 1, 10), (0, 1, 10), (1, 9, 10)]);
        let verdicts = check(&h);
        assert!(!find(&verdicts, "no duplication").holds());
        assert!(!find(&verdicts, "no creation").holds());
        assert!(!find(&verdicts, "execution").holds());
    }
}
