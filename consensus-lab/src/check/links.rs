//! Perfect point-to-point link properties (Cachin–Guerraoui–Rodrigues 2011, Module 2.3; a
//! message is identified by its sender and its payload, which the workloads keep unique):
//!
//! - **Reliable delivery**: if a correct process p sends m to a correct process q, then q
//!   eventually delivers m (liveness). For crash-recovery (Module 2.5, logged perfect links)
//!   the sender must never have crashed and the recipient must be up at the end.
//! - **No duplication**: no message is delivered by a process more than once. (safety)
//! - **No creation**: if some process q delivers m with sender p, then m was previously sent to
//!   q by p. (safety)
//!
//! (Compiled as `crate::protocols::links::check` until `check/mod.rs` declares it.)

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

use crate::check::Verdict;
use crate::protocol::NodeId;

/// One link-layer event, in run order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkEvent<M> {
    /// ⟨pl, Send | to, msg⟩ at `from`.
    Send {
        /// The sender.
        from: NodeId,
        /// The recipient.
        to: NodeId,
        /// The message.
        msg: M,
    },
    /// ⟨pl, Deliver | from, msg⟩ at `at`.
    Deliver {
        /// The delivering process.
        at: NodeId,
        /// The claimed sender.
        from: NodeId,
        /// The message.
        msg: M,
    },
}

/// What the link checker needs from a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkHistory<M> {
    /// Events in run order.
    pub events: Vec<LinkEvent<M>>,
    /// The correct processes (up at the end, in crash-recovery).
    pub correct: BTreeSet<NodeId>,
    /// The processes that never crashed (equal to `correct` in crash-stop).
    pub never_crashed: BTreeSet<NodeId>,
}

/// Check the three properties; one verdict each, in the order of the module doc.
pub fn check<M: Ord + Clone + Debug>(h: &LinkHistory<M>) -> Vec<Verdict> {
    // (from, to, msg) → sent?; (at, from, msg) → number of deliveries.
    let mut sent: BTreeSet<(NodeId, NodeId, M)> = BTreeSet::new();
    let mut delivered: BTreeMap<(NodeId, NodeId, M), u32> = BTreeMap::new();
    let (mut duplication, mut creation) = (None, None);
    for event in &h.events {
        match event {
            LinkEvent::Send { from, to, msg } => {
                sent.insert((*from, *to, msg.clone()));
            }
            LinkEvent::Deliver { at, from, msg } => {
                if !sent.contains(&(*from, *at, msg.clone())) {
                    creation.get_or_insert_with(|| {
                        format!("process {at} delivered {msg:?} from {from}, which never sent it")
                    });
                }
                let count = delivered.entry((*at, *from, msg.clone())).or_default();
                *count += 1;
                if *count == 2 {
                    duplication.get_or_insert_with(|| {
                        format!("process {at} delivered {msg:?} from {from} twice")
                    });
                }
            }
        }
    }
    let reliable = sent
        .iter()
        .filter(|(from, to, _)| h.never_crashed.contains(from) && h.correct.contains(to))
        .find(|(from, to, msg)| !delivered.contains_key(&(*to, *from, msg.clone())))
        .map(|(from, to, msg)| {
            format!("correct process {to} never delivered {msg:?} sent by correct process {from}")
        });
    vec![
        Verdict::liveness("reliable delivery", reliable),
        Verdict::safety("no duplication", duplication),
        Verdict::safety("no creation", creation),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::find;
    use LinkEvent::{Deliver as D, Send as S};

    fn history(events: Vec<LinkEvent<u32>>, correct: &[NodeId]) -> LinkHistory<u32> {
        let correct: BTreeSet<NodeId> = correct.iter().copied().collect();
        LinkHistory { events, never_crashed: correct.clone(), correct }
    }

    #[test]
    fn one_send_delivered_once_passes_every_property() {
        let h = history(vec![S { from: 0, to: 1, msg: 7 }, D { at: 1, from: 0, msg: 7 }], &[0, 1]);
        assert!(check(&h).iter().all(Verdict::holds), "{:?}", check(&h));
    }

    #[test]
    fn a_second_delivery_of_the_same_message_fails_no_duplication() {
        let h = history(
            vec![
                S { from: 0, to: 1, msg: 7 },
                D { at: 1, from: 0, msg: 7 },
                D { at: 1, from: 0, msg: 7 },
            ],
            &[0, 1],
        );
        assert!(!find(&check(&h), "no duplication").holds());
        assert!(find(&check(&h), "no creation").holds());
    }

    #[test]
    fn delivering_from_the_wrong_sender_or_to_the_wrong_process_fails_no_creation() {
        let wrong_sender =
            history(vec![S { from: 0, to: 1, msg: 7 }, D { at: 1, from: 2, msg: 7 }], &[0, 1, 2]);
        assert!(!find(&check(&wrong_sender), "no creation").holds());
        let wrong_recipient =
            history(vec![S { from: 0, to: 1, msg: 7 }, D { at: 2, from: 0, msg: 7 }], &[0, 1, 2]);
        assert!(!find(&check(&wrong_recipient), "no creation").holds());
    }

    #[test]
    fn a_message_between_correct_processes_that_never_arrives_fails_reliable_delivery() {
        let h = history(vec![S { from: 0, to: 1, msg: 7 }], &[0, 1]);
        assert!(!find(&check(&h), "reliable delivery").holds());
        // If the recipient crashed, nothing is owed.
        let h = history(vec![S { from: 0, to: 1, msg: 7 }], &[0]);
        assert!(find(&check(&h), "reliable delivery").holds());
    }
}
