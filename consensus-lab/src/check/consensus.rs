//! Consensus properties (CGR §5.1, Module 5.1 "Consensus" and 5.2 "Uniform Consensus"):
//!
//! - **Termination**: every correct process eventually decides some value. (liveness)
//! - **Validity**: if a process decides v, then v was proposed by some process. (safety)
//! - **Integrity**: no process decides twice. A process that crashed and recovered may repeat
//!   its decision, but never decide a *different* value. (safety)
//! - **Agreement**: no two correct processes decide differently. (safety)
//! - **Uniform agreement**: no two processes decide differently, crashed ones included. (safety)

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

use super::Verdict;
use crate::protocol::{NodeId, Time};

/// What a consensus checker needs from a run.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsensusHistory<V> {
    /// `(process, value)`: ⟨Propose | v⟩ events.
    pub proposals: Vec<(NodeId, V)>,
    /// `(time µs, process, value)`: ⟨Decide | v⟩ events in order.
    pub decisions: Vec<(Time, NodeId, V)>,
    /// The correct processes (never crashed, or up at the end in crash-recovery).
    pub correct: BTreeSet<NodeId>,
}

/// Check all five properties; one verdict each, in the order of the module doc.
pub fn check<V: Eq + Debug>(h: &ConsensusHistory<V>) -> Vec<Verdict> {
    let mut first: BTreeMap<NodeId, &V> = BTreeMap::new();
    let mut integrity = None;
    for (_, node, v) in &h.decisions {
        match first.get(node) {
            Some(prev) if *prev != v && integrity.is_none() => {
                integrity = Some(format!("process {node} decided {prev:?} and then {v:?}"));
            }
            Some(_) => {}
            None => {
                first.insert(*node, v);
            }
        }
    }
    let termination = h
        .correct
        .iter()
        .find(|p| !first.contains_key(p))
        .map(|p| format!("correct process {p} never decided"));
    let validity = h
        .decisions
        .iter()
        .find(|(_, _, v)| !h.proposals.iter().any(|(_, p)| p == v))
        .map(|(_, node, v)| format!("process {node} decided {v:?}, which nobody proposed"));
    let disagreement = |only_correct: bool| {
        let deciders: Vec<_> =
            first.iter().filter(|(p, _)| !only_correct || h.correct.contains(p)).collect();
        deciders.windows(2).find(|w| w[0].1 != w[1].1).map(|w| {
            format!(
                "process {} decided {:?} but process {} decided {:?}",
                w[0].0, w[0].1, w[1].0, w[1].1
            )
        })
    };
    vec![
        Verdict::liveness("termination", termination),
        Verdict::safety("validity", validity),
        Verdict::safety("integrity", integrity),
        Verdict::safety("agreement", disagreement(true)),
        Verdict::safety("uniform agreement", disagreement(false)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::find;

    fn history(decisions: Vec<(NodeId, u32)>, correct: &[NodeId]) -> ConsensusHistory<u32> {
        ConsensusHistory {
            proposals: vec![(0, 10), (1, 11), (2, 12)],
            decisions: decisions.into_iter().map(|(p, v)| (0, p, v)).collect(),
            correct: correct.iter().copied().collect(),
        }
    }

    #[test]
    fn all_processes_deciding_one_proposed_value_passes_every_property() {
        let verdicts = check(&history(vec![(0, 11), (1, 11), (2, 11)], &[0, 1, 2]));
        assert!(verdicts.iter().all(Verdict::holds), "{verdicts:?}");
    }

    #[test]
    fn a_correct_process_that_never_decides_fails_termination_only() {
        let verdicts = check(&history(vec![(0, 11), (1, 11)], &[0, 1, 2]));
        assert!(!find(&verdicts, "termination").holds());
        assert!(find(&verdicts, "agreement").holds());
    }

    #[test]
    fn deciding_an_unproposed_value_fails_validity() {
        let verdicts = check(&history(vec![(0, 99), (1, 99), (2, 99)], &[0, 1, 2]));
        assert!(find(&verdicts, "validity").violation.as_ref().unwrap().contains("99"));
    }

    #[test]
    fn deciding_twice_differently_fails_integrity_but_repeating_is_allowed() {
        let verdicts = check(&history(vec![(0, 10), (0, 10), (1, 10), (2, 10)], &[0, 1, 2]));
        assert!(find(&verdicts, "integrity").holds());
        let verdicts = check(&history(vec![(0, 10), (0, 11), (1, 10), (2, 10)], &[0, 1, 2]));
        assert!(!find(&verdicts, "integrity").holds());
    }

    #[test]
    fn a_crashed_process_deciding_differently_breaks_only_uniform_agreement() {
        let verdicts = check(&history(vec![(0, 10), (1, 11), (2, 11)], &[1, 2]));
        assert!(find(&verdicts, "agreement").holds());
        assert!(!find(&verdicts, "uniform agreement").holds());
        let verdicts = check(&history(vec![(0, 10), (1, 11), (2, 11)], &[0, 1, 2]));
        assert!(!find(&verdicts, "agreement").holds());
    }
}
