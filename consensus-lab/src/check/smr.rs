//! State-machine replication log properties (Schneider 1990, "Implementing fault-tolerant
//! services using the state machine approach", §3: every replica applies the same commands in
//! the same order; CGR §6.1 total-order broadcast as the log).
//!
//! - **Log agreement**: no two processes commit different commands in the same slot. (safety)
//! - **Log order**: a process commits slot k only after it committed every slot below k, and
//!   never commits one slot with two different commands. A recovered replica may re-commit
//!   its log from the start. (safety)
//! - **Log completeness**: every slot committed by some process is eventually committed by every
//!   correct process. (liveness)

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

use super::Verdict;
use crate::protocol::{NodeId, Time};

/// One commit: `(time µs, process, slot, command)`.
pub type Commit<C> = (Time, NodeId, u64, C);

/// What the SMR checker needs from a run.
#[derive(Debug, Clone, PartialEq)]
pub struct SmrHistory<C> {
    /// Commits in run order.
    pub commits: Vec<Commit<C>>,
    /// The correct processes.
    pub correct: BTreeSet<NodeId>,
}

/// Check the three properties; one verdict each, in the order of the module doc.
pub fn check<C: Eq + Debug>(h: &SmrHistory<C>) -> Vec<Verdict> {
    let mut chosen: BTreeMap<u64, (NodeId, &C)> = BTreeMap::new();
    let mut logs: BTreeMap<NodeId, BTreeMap<u64, &C>> = BTreeMap::new();
    let (mut agreement, mut order) = (None, None);
    for (_, node, slot, cmd) in &h.commits {
        match chosen.get(slot) {
            Some((other, c)) if *c != cmd => {
                agreement.get_or_insert_with(|| {
                    format!("slot {slot}: process {other} committed {c:?}, process {node} committed {cmd:?}")
                });
            }
            Some(_) => {}
            None => {
                chosen.insert(*slot, (*node, cmd));
            }
        }
        let log = logs.entry(*node).or_default();
        match log.get(slot) {
            Some(c) if *c != cmd => {
                order.get_or_insert_with(|| {
                    format!("process {node} committed slot {slot} twice: {c:?}, {cmd:?}")
                });
            }
            Some(_) => {}
            None if *slot > 0 && !log.contains_key(&(slot - 1)) => {
                order.get_or_insert_with(|| {
                    format!("process {node} committed slot {slot} before slot {}", slot - 1)
                });
            }
            None => {
                log.insert(*slot, cmd);
            }
        }
    }
    let completeness = chosen.keys().find_map(|slot| {
        h.correct
            .iter()
            .find(|p| !logs.get(p).is_some_and(|l| l.contains_key(slot)))
            .map(|p| format!("correct process {p} never committed slot {slot}"))
    });
    vec![
        Verdict::safety("log agreement", agreement),
        Verdict::safety("log order", order),
        Verdict::liveness("log completeness", completeness),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::find;

    fn history(commits: Vec<(NodeId, u64, &'static str)>) -> SmrHistory<&'static str> {
        SmrHistory {
            commits: commits.into_iter().map(|(p, s, c)| (0, p, s, c)).collect(),
            correct: [0, 1].into(),
        }
    }

    #[test]
    fn identical_logs_committed_in_order_pass() {
        let h = history(vec![(0, 0, "x"), (1, 0, "x"), (0, 1, "y"), (1, 1, "y")]);
        assert!(check(&h).iter().all(Verdict::holds));
    }

    #[test]
    fn different_commands_in_one_slot_violate_log_agreement() {
        let h = history(vec![(0, 0, "x"), (1, 0, "y")]);
        assert!(!find(&check(&h), "log agreement").holds());
    }

    #[test]
    fn a_gap_in_a_replicas_log_violates_log_order() {
        let h = history(vec![(0, 0, "x"), (0, 2, "z"), (1, 0, "x")]);
        assert!(!find(&check(&h), "log order").holds());
    }

    #[test]
    fn a_correct_replica_missing_a_slot_fails_log_completeness() {
        let h = history(vec![(0, 0, "x"), (0, 1, "y"), (1, 0, "x")]);
        let verdicts = check(&h);
        assert!(find(&verdicts, "log agreement").holds());
        assert!(!find(&verdicts, "log completeness").holds());
    }
}
