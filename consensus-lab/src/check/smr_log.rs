//! State-machine-replication log properties, over the sequence of log entries each replica
//! applies (Schneider, "Implementing Fault-Tolerant Services Using the State Machine Approach",
//! ACM Computing Surveys 22(4), 1990, §3: *Agreement* and *Order*; van Renesse & Altinbuken,
//! "Paxos Made Moderately Complex", ACM Computing Surveys 47(3), 2015, §2, invariant R1:
//! "there are no two different commands decided for the same slot"):
//!
//! - **Log agreement**: no two replicas, crashed ones included, apply different entries in the
//!   same slot. (safety, uniform)
//! - **Log order**: within one incarnation a replica applies slots 0, 1, 2, … without gaps or
//!   repeats (after a crash-recovery it replays from slot 0). (safety)
//! - **Log validity**: every command in a log was submitted by a client. (safety)
//! - **Log completeness**: every command submitted at a correct replica is eventually applied
//!   by every correct replica. (liveness)
//! - **Log convergence**: every slot applied by some replica is eventually applied by every
//!   correct replica. (liveness)

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

use super::Verdict;
use crate::protocol::NodeId;

/// A slot (log position), 0-based.
pub type LogSlot = u64;

/// One replica-side event, in run order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogEvent<C> {
    /// `node` applied `entry` at `slot` (`None` = a no-op filling a gap).
    Append {
        /// The replica.
        node: NodeId,
        /// The slot.
        slot: LogSlot,
        /// The command, or `None` for a no-op.
        entry: Option<C>,
    },
    /// `node` recovered from a crash: its next append starts a new incarnation at slot 0.
    Restart {
        /// The replica.
        node: NodeId,
    },
}

/// What the SMR log checker needs from a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogHistory<C> {
    /// Appends and restarts, in run order.
    pub events: Vec<LogEvent<C>>,
    /// `(node, command)`: commands submitted by clients at a live replica.
    pub submitted: Vec<(NodeId, C)>,
    /// The correct replicas (never crashed, or up at the end in crash-recovery).
    pub correct: BTreeSet<NodeId>,
}

/// Check the five properties; one verdict each, in the order of the module doc.
pub fn check<C: Ord + Clone + Debug>(h: &LogHistory<C>) -> Vec<Verdict> {
    let mut by_slot: BTreeMap<LogSlot, (NodeId, &Option<C>)> = BTreeMap::new();
    let mut next: BTreeMap<NodeId, LogSlot> = BTreeMap::new();
    let mut applied: BTreeMap<NodeId, BTreeSet<&C>> = BTreeMap::new();
    let mut length: BTreeMap<NodeId, LogSlot> = BTreeMap::new();
    let submitted: BTreeSet<&C> = h.submitted.iter().map(|(_, c)| c).collect();
    let (mut agreement, mut order, mut validity) = (None, None, None);
    for event in &h.events {
        let (node, slot, entry) = match event {
            LogEvent::Restart { node } => {
                next.insert(*node, 0);
                continue;
            }
            LogEvent::Append { node, slot, entry } => (*node, *slot, entry),
        };
        let expected = next.entry(node).or_insert(0);
        if slot != *expected && order.is_none() {
            order = Some(format!("replica {node} applied slot {slot} when slot {expected} was next"));
        }
        *expected = slot + 1;
        let len = length.entry(node).or_insert(0);
        *len = (*len).max(slot + 1);
        match by_slot.get(&slot) {
            Some((first, seen)) if *seen != entry && agreement.is_none() => {
                agreement = Some(format!(
                    "slot {slot}: replica {first} applied {seen:?} but replica {node} applied {entry:?}"
                ));
            }
            Some(_) => {}
            None => {
                by_slot.insert(slot, (node, entry));
            }
        }
        if let Some(cmd) = entry {
            if !submitted.contains(cmd) && validity.is_none() {
                validity = Some(format!("replica {node} applied {cmd:?} in slot {slot}, never submitted"));
            }
            applied.entry(node).or_default().insert(cmd);
        }
    }
    let completeness = h
        .submitted
        .iter()
        .filter(|(origin, _)| h.correct.contains(origin))
        .find_map(|(origin, cmd)| {
            h.correct.iter().find(|p| !applied.get(p).is_some_and(|s| s.contains(cmd))).map(|p| {
                format!("{cmd:?} submitted at correct replica {origin} never applied by replica {p}")
            })
        });
    let longest = by_slot.keys().next_back().map_or(0, |s| s + 1);
    let convergence = h.correct.iter().find_map(|p| {
        let have = length.get(p).copied().unwrap_or(0);
        (have < longest)
            .then(|| format!("correct replica {p} applied {have} slots, another replica {longest}"))
    });
    vec![
        Verdict::safety("log agreement", agreement),
        Verdict::safety("log order", order),
        Verdict::safety("log validity", validity),
        Verdict::liveness("log completeness", completeness),
        Verdict::liveness("log convergence", convergence),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::find;

    fn append(node: NodeId, slot: LogSlot, entry: Option<u32>) -> LogEvent<u32> {
        LogEvent::Append { node, slot, entry }
    }

    fn history(events: Vec<LogEvent<u32>>) -> LogHistory<u32> {
        LogHistory { events, submitted: vec![(0, 10), (1, 11)], correct: [0, 1].into() }
    }

    #[test]
    fn two_replicas_with_the_same_log_pass_every_property() {
        let h = history(vec![
            append(0, 0, Some(10)),
            append(1, 0, Some(10)),
            append(0, 1, None),
            append(1, 1, None),
            append(1, 2, Some(11)),
            append(0, 2, Some(11)),
        ]);
        let verdicts = check(&h);
        assert!(verdicts.iter().all(Verdict::holds), "{verdicts:?}");
    }

    #[test]
    fn different_commands_in_one_slot_break_log_agreement() {
        let h = history(vec![append(0, 0, Some(10)), append(1, 0, Some(11))]);
        let verdicts = check(&h);
        assert!(find(&verdicts, "log agreement").violation.as_ref().unwrap().contains("slot 0"));
    }

    #[test]
    fn a_gap_breaks_log_order_but_a_replay_after_restart_does_not() {
        let h = history(vec![append(0, 0, Some(10)), append(0, 2, Some(11))]);
        assert!(!find(&check(&h), "log order").holds());
        let h = history(vec![
            append(0, 0, Some(10)),
            append(1, 0, Some(10)),
            LogEvent::Restart { node: 0 },
            append(0, 0, Some(10)),
        ]);
        assert!(find(&check(&h), "log order").holds());
    }

    #[test]
    fn an_unsubmitted_command_breaks_log_validity() {
        let h = history(vec![append(0, 0, Some(99))]);
        assert!(!find(&check(&h), "log validity").holds());
    }

    #[test]
    fn a_correct_replica_missing_a_command_fails_completeness_and_convergence() {
        let h = history(vec![append(0, 0, Some(10)), append(0, 1, Some(11)), append(1, 0, Some(10))]);
        let verdicts = check(&h);
        assert!(!find(&verdicts, "log completeness").holds());
        assert!(!find(&verdicts, "log convergence").holds());
        assert!(find(&verdicts, "log agreement").holds());
    }
}
