//! Atomic commitment properties: Bernstein, Hadzilacos, Goodman, *Concurrency Control and
//! Recovery in Database Systems*, Addison-Wesley 1987, §7.2 ("AC1"–"AC5"):
//!
//! - **Agreement** (AC1): all processes that reach a decision reach the same one — crashed
//!   processes included. (safety)
//! - **Integrity** (AC2): a process cannot reverse its decision after it has reached one. (safety)
//! - **Validity** (AC3): the Commit decision can only be reached if all participants voted Yes.
//!   (safety)
//! - **Non-triviality** (AC4): if there are no failures and all participants voted Yes, the
//!   decision is Commit. Only judged when the caller says the run was failure-free. (liveness:
//!   it is a promise about what *is* decided, so a run that decides nothing fails it too)
//! - **Termination** (AC5, the weak form BHG give for blocking protocols: "if all failures are
//!   repaired and no new failures occur for sufficiently long, all processes eventually reach a
//!   decision"): every correct process decides within the run. (liveness)
//!
//! 2PC satisfies AC1–AC4 always and AC5 only when failed processes come back: a coordinator that
//! crashes for good after collecting Yes votes leaves the Yes voters *uncertain* forever
//! (BHG §7.3 "blocking"), which this checker reports as a termination failure, not a safety one.

use std::collections::{BTreeMap, BTreeSet};

use super::Verdict;
use crate::protocol::{NodeId, Time};

/// The two outcomes of a transaction.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Outcome {
    /// Make the transaction's effects durable everywhere.
    Commit,
    /// Undo the transaction everywhere.
    Abort,
}

/// A participant's vote (BHG §7.3: "Yes" means "I can commit and will until told otherwise").
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Vote {
    /// Prepared: the participant can commit.
    Yes,
    /// The participant cannot commit (and aborts unilaterally).
    No,
}

/// What the atomic-commitment checker needs from a run.
#[derive(Debug, Clone, PartialEq)]
pub struct CommitHistory {
    /// The participants that must vote (the coordinator is not one unless listed).
    pub participants: BTreeSet<NodeId>,
    /// `(participant, vote)` for every vote a participant cast (sent or not).
    pub votes: Vec<(NodeId, Vote)>,
    /// `(time µs, process, outcome)`: every decision, in order.
    pub decisions: Vec<(Time, NodeId, Outcome)>,
    /// The processes that must decide for termination (correct processes).
    pub correct: BTreeSet<NodeId>,
    /// `true` if the run had no crash, loss or partition: only then is non-triviality judged.
    pub failure_free: bool,
}

/// Check AC1–AC5; one verdict each, in the order of the module doc.
pub fn check(h: &CommitHistory) -> Vec<Verdict> {
    let mut first: BTreeMap<NodeId, Outcome> = BTreeMap::new();
    let mut integrity = None;
    for &(_, node, outcome) in &h.decisions {
        match first.get(&node) {
            Some(&prev) if prev != outcome && integrity.is_none() => {
                integrity = Some(format!("process {node} decided {prev:?} and then {outcome:?}"));
            }
            Some(_) => {}
            None => {
                first.insert(node, outcome);
            }
        }
    }
    let agreement = first
        .iter()
        .find(|(_, o)| **o == Outcome::Commit)
        .zip(first.iter().find(|(_, o)| **o == Outcome::Abort))
        .map(|((c, _), (a, _))| {
            format!("process {c} decided Commit but process {a} decided Abort")
        });
    let yes: BTreeSet<NodeId> =
        h.votes.iter().filter(|(_, v)| *v == Vote::Yes).map(|(p, _)| *p).collect();
    let no: Option<NodeId> = h.votes.iter().find(|(_, v)| *v == Vote::No).map(|(p, _)| *p);
    let committer = first.iter().find(|(_, o)| **o == Outcome::Commit).map(|(p, _)| *p);
    let validity = committer.and_then(|c| {
        if let Some(p) = no {
            Some(format!("process {c} decided Commit although participant {p} voted No"))
        } else {
            h.participants.iter().find(|p| !yes.contains(p)).map(|p| {
                format!("process {c} decided Commit although participant {p} never voted Yes")
            })
        }
    });
    let all_yes = no.is_none() && h.participants.iter().all(|p| yes.contains(p));
    let non_triviality = (h.failure_free && all_yes)
        .then(|| first.iter().find(|(_, o)| **o != Outcome::Commit))
        .flatten()
        .map(|(p, o)| {
            format!("failure-free run, every participant voted Yes, but {p} decided {o:?}")
        });
    let mut undecided: Vec<&NodeId> = h.correct.iter().filter(|p| !first.contains_key(p)).collect();
    undecided.sort_by_key(|p| !yes.contains(p)); // name an uncertain (Yes-voting) one first
    let termination = undecided.first().map(|p| {
        let uncertain = if yes.contains(p) { " (voted Yes: uncertain, blocked)" } else { "" };
        format!("correct process {p} never decided{uncertain}")
    });
    vec![
        Verdict::safety("agreement", agreement),
        Verdict::safety("integrity", integrity),
        Verdict::safety("validity", validity),
        Verdict::liveness("non-triviality", non_triviality),
        Verdict::liveness("termination", termination),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::find;

    fn history(votes: &[(NodeId, Vote)], decisions: &[(NodeId, Outcome)]) -> CommitHistory {
        CommitHistory {
            participants: [1, 2].into(),
            votes: votes.to_vec(),
            decisions: decisions.iter().map(|&(p, o)| (0, p, o)).collect(),
            correct: [0, 1, 2].into(),
            failure_free: true,
        }
    }

    #[test]
    fn everyone_committing_after_two_yes_votes_passes_every_property() {
        let h = history(
            &[(1, Vote::Yes), (2, Vote::Yes)],
            &[(0, Outcome::Commit), (1, Outcome::Commit), (2, Outcome::Commit)],
        );
        let verdicts = check(&h);
        assert!(verdicts.iter().all(Verdict::holds), "{verdicts:?}");
    }

    #[test]
    fn committing_after_a_no_vote_breaks_validity_and_a_split_breaks_agreement() {
        let h = history(
            &[(1, Vote::Yes), (2, Vote::No)],
            &[(0, Outcome::Commit), (1, Outcome::Commit), (2, Outcome::Abort)],
        );
        let verdicts = check(&h);
        assert!(find(&verdicts, "validity").violation.as_ref().unwrap().contains("voted No"));
        assert!(!find(&verdicts, "agreement").holds());
    }

    #[test]
    fn committing_without_a_vote_from_every_participant_breaks_validity() {
        let h = history(&[(1, Vote::Yes)], &[(0, Outcome::Commit), (1, Outcome::Commit)]);
        let verdicts = check(&h);
        assert!(find(&verdicts, "validity").violation.as_ref().unwrap().contains("never voted"));
    }

    #[test]
    fn a_yes_voter_left_undecided_is_a_termination_failure_not_a_safety_one() {
        let h = history(&[(1, Vote::Yes), (2, Vote::Yes)], &[]);
        let verdicts = check(&h);
        let termination = find(&verdicts, "termination");
        assert!(termination.violation.as_ref().unwrap().contains("uncertain"));
        assert!(verdicts
            .iter()
            .filter(|v| !v.holds())
            .all(|v| v.kind != super::super::PropertyKind::Safety));
    }

    #[test]
    fn aborting_a_failure_free_all_yes_transaction_breaks_non_triviality() {
        let mut h = history(
            &[(1, Vote::Yes), (2, Vote::Yes)],
            &[(0, Outcome::Abort), (1, Outcome::Abort), (2, Outcome::Abort)],
        );
        assert!(!find(&check(&h), "non-triviality").holds());
        h.failure_free = false;
        assert!(find(&check(&h), "non-triviality").holds(), "only judged without failures");
    }

    #[test]
    fn reversing_a_decision_breaks_integrity() {
        let h = history(
            &[(1, Vote::Yes), (2, Vote::Yes)],
            &[(1, Outcome::Commit), (1, Outcome::Abort)],
        );
        assert!(!find(&check(&h), "integrity").holds());
    }
}
