//! Byzantine reliable broadcast properties (CGR 2011 §3.11, Module 3.12 "Byzantine Reliable
//! Broadcast"; Bracha 1987), one broadcast instance per sender, judged over the correct
//! processes only (a Byzantine process may "deliver" anything):
//!
//! - **Validity**: if a correct process p broadcasts m, every correct process eventually
//!   delivers m from p. (liveness)
//! - **No duplication**: every correct process delivers at most one message per sender. (safety)
//! - **Integrity**: if a correct process delivers m with correct sender p, p broadcast m. (safety)
//! - **Consistency**: if correct processes deliver m and m' from the same sender, m = m'. (safety)
//! - **Totality**: if some correct process delivers a message from p, every correct process
//!   eventually delivers a message from p. (liveness)

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

use super::Verdict;
use crate::protocol::NodeId;

/// What the checker needs from a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ByzantineBroadcastHistory<M> {
    /// `(sender, m)`: ⟨Broadcast | m⟩ at correct senders.
    pub broadcasts: Vec<(NodeId, M)>,
    /// `(process, sender, m)`: ⟨Deliver | sender, m⟩ at correct processes, in run order.
    pub deliveries: Vec<(NodeId, NodeId, M)>,
    /// The correct processes.
    pub correct: BTreeSet<NodeId>,
}

/// Check the five properties; one verdict each, in the order of the module doc.
pub fn check<M: Ord + Clone + Debug>(h: &ByzantineBroadcastHistory<M>) -> Vec<Verdict> {
    let mut got: BTreeMap<(NodeId, NodeId), &M> = BTreeMap::new();
    let (mut duplication, mut integrity, mut consistency) = (None, None, None);
    let mut first: BTreeMap<NodeId, (NodeId, &M)> = BTreeMap::new();
    for (p, s, m) in h.deliveries.iter().filter(|(p, ..)| h.correct.contains(p)) {
        if got.insert((*p, *s), m).is_some() {
            duplication.get_or_insert_with(|| format!("process {p} delivered twice from {s}"));
        }
        if h.correct.contains(s) && !h.broadcasts.contains(&(*s, m.clone())) {
            integrity.get_or_insert_with(|| {
                format!("process {p} delivered {m:?} from correct {s}, which never broadcast it")
            });
        }
        match first.get(s) {
            Some((q, m0)) if *m0 != m => {
                consistency.get_or_insert_with(|| {
                    format!("from sender {s}: process {q} delivered {m0:?}, process {p} delivered {m:?}")
                });
            }
            Some(_) => {}
            None => {
                first.insert(*s, (*p, m));
            }
        }
    }
    let missing = |s: NodeId| h.correct.iter().find(|p| !got.contains_key(&(**p, s))).copied();
    let validity = h.broadcasts.iter().filter(|(s, _)| h.correct.contains(s)).find_map(|(s, m)| {
        h.correct
            .iter()
            .find(|p| got.get(&(**p, *s)) != Some(&m))
            .map(|p| format!("correct process {p} never delivered {m:?} from correct {s}"))
    });
    let totality = first.iter().find_map(|(s, (p, _))| {
        missing(*s)
            .map(|q| format!("process {p} delivered from {s} but correct process {q} never did"))
    });
    vec![
        Verdict::liveness("validity", validity),
        Verdict::safety("no duplication", duplication),
        Verdict::safety("integrity", integrity),
        Verdict::safety("consistency", consistency),
        Verdict::liveness("totality", totality),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::find;

    fn history(deliveries: Vec<(NodeId, NodeId, u64)>) -> ByzantineBroadcastHistory<u64> {
        ByzantineBroadcastHistory {
            broadcasts: vec![(0, 10), (1, 11)],
            deliveries,
            correct: [0, 1, 2].into(),
        }
    }

    #[test]
    fn every_correct_process_delivering_each_broadcast_once_passes() {
        let mut d = Vec::new();
        for p in 0..3 {
            d.extend([(p, 0, 10), (p, 1, 11)]);
        }
        assert!(check(&history(d)).iter().all(Verdict::holds));
    }

    #[test]
    fn two_correct_processes_delivering_different_messages_from_one_byzantine_sender_is_inconsistent(
    ) {
        let mut d = vec![(0, 3, 7), (1, 3, 8)];
        for p in 0..3 {
            d.extend([(p, 0, 10), (p, 1, 11)]);
        }
        let verdicts = check(&history(d));
        assert!(!find(&verdicts, "consistency").holds());
        assert!(!find(&verdicts, "totality").holds(), "process 2 delivered nothing from 3");
        assert!(find(&verdicts, "integrity").holds(), "3 is Byzantine: no integrity claim");
    }

    #[test]
    fn delivering_what_a_correct_sender_never_sent_breaks_integrity_and_twice_duplication() {
        let verdicts = check(&history(vec![(2, 0, 99), (2, 0, 10)]));
        assert!(!find(&verdicts, "integrity").holds());
        assert!(!find(&verdicts, "no duplication").holds());
        assert!(!find(&verdicts, "validity").holds());
    }
}
