//! Broadcast properties (CGR chapter 3; a message is identified by `(sender, m)`):
//!
//! - **Validity** (Module 3.1, best-effort): if a correct process broadcasts m, every correct
//!   process eventually delivers m. (liveness)
//! - **No duplication**: no message is delivered more than once by a process. (safety)
//! - **No creation**: if a process delivers m with sender s, then m was previously broadcast by
//!   s. (safety)
//! - **Agreement** (Module 3.2): if a message is delivered by some correct process, it is
//!   eventually delivered by every correct process. (liveness)
//! - **Uniform agreement** (Module 3.3): if a message is delivered by some process, correct or
//!   not, it is eventually delivered by every correct process. (liveness)
//! - **FIFO delivery** (Module 3.8): if some process broadcasts m1 before m2, no correct
//!   process delivers m2 unless it has already delivered m1. (safety)
//! - **Causal delivery** (Module 3.9): for any m1 that potentially caused m2 (m1 → m2), no
//!   process delivers m2 unless it has already delivered m1. (safety)
//! - **Total order** (Module 6.1): if correct processes p and q both deliver m1 and m2, and p
//!   delivers m1 before m2, then q delivers m1 before m2. (safety)

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

use super::Verdict;
use crate::protocol::NodeId;

/// One broadcast-layer event, in the order the run produced them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BroadcastEvent<M> {
    /// ⟨Broadcast | m⟩ at `node`.
    Broadcast {
        /// The broadcaster.
        node: NodeId,
        /// The message.
        msg: M,
    },
    /// ⟨Deliver | sender, m⟩ at `node`.
    Deliver {
        /// The delivering process.
        node: NodeId,
        /// The claimed original sender.
        sender: NodeId,
        /// The message.
        msg: M,
    },
}

/// What a broadcast checker needs from a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BroadcastHistory<M> {
    /// Events in run order.
    pub events: Vec<BroadcastEvent<M>>,
    /// The correct processes.
    pub correct: BTreeSet<NodeId>,
}

type Id<M> = (NodeId, M);

/// Check all eight properties; one verdict each, in the order of the module doc.
pub fn check<M: Ord + Clone + Debug>(h: &BroadcastHistory<M>) -> Vec<Verdict> {
    let mut broadcast: BTreeSet<Id<M>> = BTreeSet::new();
    let mut by_sender: BTreeMap<NodeId, Vec<M>> = BTreeMap::new();
    let mut delivered: BTreeMap<NodeId, Vec<Id<M>>> = BTreeMap::new();
    let mut past: BTreeMap<NodeId, BTreeSet<Id<M>>> = BTreeMap::new();
    let mut cause: BTreeMap<Id<M>, BTreeSet<Id<M>>> = BTreeMap::new();
    let (mut duplication, mut creation, mut fifo, mut causal) = (None, None, None, None);

    for event in &h.events {
        match event {
            BroadcastEvent::Broadcast { node, msg } => {
                let id = (*node, msg.clone());
                let before = past.entry(*node).or_default();
                cause.insert(id.clone(), before.clone());
                before.insert(id.clone());
                broadcast.insert(id);
                by_sender.entry(*node).or_default().push(msg.clone());
            }
            BroadcastEvent::Deliver { node, sender, msg } => {
                let id = (*sender, msg.clone());
                let seen = delivered.entry(*node).or_default();
                if seen.contains(&id) {
                    duplication
                        .get_or_insert_with(|| format!("process {node} delivered {id:?} twice"));
                }
                if !broadcast.contains(&id) {
                    creation.get_or_insert_with(|| {
                        format!("process {node} delivered {id:?}, which {sender} never broadcast")
                    });
                }
                if h.correct.contains(node) {
                    let earlier =
                        by_sender.get(sender).into_iter().flatten().take_while(|m| *m != msg);
                    if let Some(m1) =
                        earlier.into_iter().find(|m1| !seen.contains(&(*sender, (*m1).clone())))
                    {
                        fifo.get_or_insert_with(|| {
                            format!("process {node} delivered {id:?} before {:?}", (*sender, m1))
                        });
                    }
                }
                let causes = cause.get(&id).cloned().unwrap_or_default();
                if let Some(m1) = causes.iter().find(|c| !seen.contains(c)) {
                    causal.get_or_insert_with(|| {
                        format!("process {node} delivered {id:?} before its cause {m1:?}")
                    });
                }
                seen.push(id.clone());
                let mine = past.entry(*node).or_default();
                mine.extend(causes);
                mine.insert(id);
            }
        }
    }

    let delivers = |p: &NodeId, id: &Id<M>| delivered.get(p).is_some_and(|d| d.contains(id));
    let missing = |id: &Id<M>| h.correct.iter().find(|q| !delivers(q, id)).copied();
    let validity = broadcast
        .iter()
        .filter(|(s, _)| h.correct.contains(s))
        .find_map(|id| missing(id).map(|q| format!("correct process {q} never delivered {id:?}")));
    let agreement = |uniform: bool| {
        delivered
            .iter()
            .filter(|(p, _)| uniform || h.correct.contains(p))
            .flat_map(|(p, ids)| ids.iter().map(move |id| (p, id)))
            .find_map(|(p, id)| {
                missing(id).map(|q| {
                    format!("process {p} delivered {id:?} but correct process {q} never did")
                })
            })
    };

    vec![
        Verdict::liveness("validity", validity),
        Verdict::safety("no duplication", duplication),
        Verdict::safety("no creation", creation),
        Verdict::liveness("agreement", agreement(false)),
        Verdict::liveness("uniform agreement", agreement(true)),
        Verdict::safety("fifo delivery", fifo),
        Verdict::safety("causal delivery", causal),
        Verdict::safety("total order", total_order(&delivered, &h.correct)),
    ]
}

/// First pair of correct processes that deliver two common messages in opposite orders.
fn total_order<M: Ord + Debug>(
    delivered: &BTreeMap<NodeId, Vec<Id<M>>>,
    correct: &BTreeSet<NodeId>,
) -> Option<String> {
    let positions: BTreeMap<NodeId, BTreeMap<&Id<M>, usize>> = delivered
        .iter()
        .filter(|(p, _)| correct.contains(p))
        .map(|(p, ids)| (*p, ids.iter().enumerate().map(|(i, id)| (id, i)).collect()))
        .collect();
    for (p, p_ids) in delivered.iter().filter(|(p, _)| correct.contains(p)) {
        for (q, q_pos) in positions.iter().filter(|(q, _)| *q > p) {
            let common: Vec<(&Id<M>, usize)> =
                p_ids.iter().filter_map(|id| q_pos.get(id).map(|&i| (id, i))).collect();
            if let Some(w) = common.windows(2).find(|w| w[0].1 > w[1].1) {
                return Some(format!(
                    "process {p} delivered {:?} before {:?}, process {q} the other way round",
                    w[0].0, w[1].0
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
    use BroadcastEvent::{Broadcast as B, Deliver as D};

    fn history(
        events: Vec<BroadcastEvent<&'static str>>,
        correct: &[NodeId],
    ) -> BroadcastHistory<&'static str> {
        BroadcastHistory { events, correct: correct.iter().copied().collect() }
    }

    fn holds(h: &BroadcastHistory<&'static str>, property: &str) -> bool {
        find(&check(h), property).holds()
    }

    #[test]
    fn every_process_delivering_in_the_same_causal_order_passes_every_property() {
        let h = history(
            vec![
                B { node: 0, msg: "a" },
                D { node: 0, sender: 0, msg: "a" },
                D { node: 1, sender: 0, msg: "a" },
                B { node: 1, msg: "b" },
                D { node: 1, sender: 1, msg: "b" },
                D { node: 0, sender: 1, msg: "b" },
            ],
            &[0, 1],
        );
        assert!(check(&h).iter().all(Verdict::holds), "{:?}", check(&h));
    }

    #[test]
    fn a_duplicate_or_invented_delivery_is_rejected() {
        let dup = history(
            vec![
                B { node: 0, msg: "a" },
                D { node: 1, sender: 0, msg: "a" },
                D { node: 1, sender: 0, msg: "a" },
            ],
            &[1],
        );
        assert!(!holds(&dup, "no duplication"));
        let invented = history(vec![D { node: 1, sender: 0, msg: "z" }], &[0, 1]);
        assert!(!holds(&invented, "no creation"));
    }

    #[test]
    fn a_correct_process_missing_a_message_fails_validity_and_agreement() {
        let h = history(vec![B { node: 0, msg: "a" }, D { node: 0, sender: 0, msg: "a" }], &[0, 1]);
        assert!(!holds(&h, "validity"));
        assert!(!holds(&h, "agreement"));
    }

    #[test]
    fn a_message_delivered_only_by_a_crashed_process_fails_only_uniform_agreement() {
        let h = history(vec![B { node: 0, msg: "a" }, D { node: 0, sender: 0, msg: "a" }], &[1]);
        assert!(holds(&h, "agreement"));
        assert!(!holds(&h, "uniform agreement"));
    }

    #[test]
    fn delivering_a_senders_second_message_first_violates_fifo() {
        let h = history(
            vec![
                B { node: 0, msg: "a" },
                B { node: 0, msg: "b" },
                D { node: 1, sender: 0, msg: "b" },
                D { node: 1, sender: 0, msg: "a" },
            ],
            &[0, 1],
        );
        assert!(!holds(&h, "fifo delivery"));
        assert!(!holds(&h, "causal delivery"));
    }

    #[test]
    fn delivering_a_reply_before_the_message_it_answers_violates_causal_but_not_fifo() {
        let h = history(
            vec![
                B { node: 0, msg: "question" },
                D { node: 1, sender: 0, msg: "question" },
                B { node: 1, msg: "answer" },
                D { node: 2, sender: 1, msg: "answer" },
                D { node: 2, sender: 0, msg: "question" },
            ],
            &[0, 1, 2],
        );
        assert!(holds(&h, "fifo delivery"));
        assert!(!holds(&h, "causal delivery"));
    }

    #[test]
    fn two_processes_delivering_in_opposite_orders_violate_total_order() {
        let h = history(
            vec![
                B { node: 0, msg: "a" },
                B { node: 1, msg: "b" },
                D { node: 0, sender: 0, msg: "a" },
                D { node: 0, sender: 1, msg: "b" },
                D { node: 1, sender: 1, msg: "b" },
                D { node: 1, sender: 0, msg: "a" },
            ],
            &[0, 1],
        );
        assert!(!holds(&h, "total order"));
        assert!(holds(&h, "causal delivery"));
    }
}
