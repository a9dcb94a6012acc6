//! Failure-detector and leader-election properties (Cachin–Guerraoui–Rodrigues 2011, §2.6).
//! "Eventually" is judged on the state at the end of the run (the last indication of each kind).
//!
//! - Perfect failure detector P (Module 2.6): **strong completeness** — eventually every process
//!   that crashes is permanently detected by every correct process (liveness); **strong
//!   accuracy** — if a process p is detected by any process, then p has crashed (safety).
//! - Eventually perfect ◇P (Module 2.8): **strong completeness** — eventually every crashed
//!   process is permanently suspected by every correct process (liveness); **eventual strong
//!   accuracy** — eventually no correct process is suspected by any correct process (liveness).
//! - Leader election (Module 2.7): **eventual detection** — either there is no correct
//!   process, or some correct process is eventually elected leader (liveness; checked as
//!   "every correct process's last leader is correct"); **accuracy** — if a process is leader,
//!   all previously elected leaders have crashed (safety). A process elected when it has
//!   already crashed leads nothing, so only the election of a live process is checked (with
//!   P, a process may still elect a crashed higher-ranked process it has not detected yet).
//! - Eventual leader detector Ω (Module 2.9): **eventual accuracy** — eventually every correct
//!   process trusts some correct process (liveness); **eventual agreement** — eventually no two
//!   correct processes trust different correct processes (liveness).
//!
//! (Compiled as `crate::protocols::timing::fd::check` until `check/mod.rs` declares it.)

use std::collections::{BTreeMap, BTreeSet};

use crate::check::Verdict;
use crate::protocol::{NodeId, Time};

/// An indication of a failure detector or leader module, as recorded in a run's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Indication {
    /// ⟨P, Crash | p⟩.
    Crash(NodeId),
    /// ⟨◇P, Suspect | p⟩.
    Suspect(NodeId),
    /// ⟨◇P, Restore | p⟩.
    Restore(NodeId),
    /// ⟨le, Leader | p⟩.
    Leader(NodeId),
    /// ⟨Ω, Trust | p⟩.
    Trust(NodeId),
}

/// What the detector checkers need from a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectorHistory {
    /// Number of processes.
    pub n: usize,
    /// First crash time (µs) of every process that crashed.
    pub crashes: BTreeMap<NodeId, Time>,
    /// `(time µs, process, indication)` in run order.
    pub outputs: Vec<(Time, NodeId, Indication)>,
    /// The correct processes.
    pub correct: BTreeSet<NodeId>,
}

impl DetectorHistory {
    /// The processes `q` detects or suspects at the end: Crash/Suspect add, Restore removes.
    fn suspected_at_end(&self, q: NodeId) -> BTreeSet<NodeId> {
        let mut set = BTreeSet::new();
        for &(_, _, ind) in self.outputs.iter().filter(|o| o.1 == q) {
            match ind {
                Indication::Crash(p) | Indication::Suspect(p) => {
                    set.insert(p);
                }
                Indication::Restore(p) => {
                    set.remove(&p);
                }
                _ => {}
            }
        }
        set
    }

    /// The last Leader/Trust indication of `q`.
    fn last_leader(&self, q: NodeId) -> Option<NodeId> {
        self.outputs.iter().rev().filter(|o| o.1 == q).find_map(|o| match o.2 {
            Indication::Leader(l) | Indication::Trust(l) => Some(l),
            _ => None,
        })
    }

    /// First correct process that does not end up suspecting some crashed process.
    fn completeness(&self) -> Option<String> {
        let crashed = self.crashes.keys().filter(|p| !self.correct.contains(p));
        crashed.flat_map(|c| self.correct.iter().map(move |q| (*c, *q))).find_map(|(c, q)| {
            (!self.suspected_at_end(q).contains(&c)).then(|| {
                format!("correct process {q} does not detect crashed process {c} at the end")
            })
        })
    }

    /// First correct process that ends up suspecting a correct process.
    fn eventual_accuracy(&self) -> Option<String> {
        self.correct.iter().find_map(|q| {
            self.suspected_at_end(*q).into_iter().find(|p| self.correct.contains(p)).map(|p| {
                format!("correct process {q} still suspects correct process {p} at the end")
            })
        })
    }

    /// First correct process whose last leader is missing or not correct.
    fn leader_correct(&self, what: &str) -> Option<String> {
        if self.correct.is_empty() {
            return None;
        }
        self.correct.iter().find_map(|q| match self.last_leader(*q) {
            Some(l) if self.correct.contains(&l) => None,
            Some(l) => Some(format!("correct process {q} ends up {what} crashed process {l}")),
            None => Some(format!("correct process {q} never {what} anyone")),
        })
    }
}

/// Strong completeness and strong accuracy of P.
pub fn check_perfect(h: &DetectorHistory) -> Vec<Verdict> {
    let accuracy = h.outputs.iter().find_map(|&(t, q, ind)| match ind {
        Indication::Crash(p) if h.crashes.get(&p).is_none_or(|&c| c > t) => {
            Some(format!("process {q} detected process {p} at {t} µs, but {p} had not crashed"))
        }
        _ => None,
    });
    vec![
        Verdict::liveness("strong completeness", h.completeness()),
        Verdict::safety("strong accuracy", accuracy),
    ]
}

/// Strong completeness and eventual strong accuracy of ◇P.
pub fn check_eventually_perfect(h: &DetectorHistory) -> Vec<Verdict> {
    vec![
        Verdict::liveness("strong completeness", h.completeness()),
        Verdict::liveness("eventual strong accuracy", h.eventual_accuracy()),
    ]
}

/// Eventual detection and accuracy of leader election.
pub fn check_leader_election(h: &DetectorHistory) -> Vec<Verdict> {
    let mut elected: Vec<NodeId> = Vec::new();
    let mut accuracy = None;
    for &(t, q, ind) in &h.outputs {
        let Indication::Leader(l) = ind else { continue };
        let leader_alive = h.crashes.get(&l).is_none_or(|&c| c > t);
        let alive =
            elected.iter().find(|&&old| old != l && h.crashes.get(&old).is_none_or(|&c| c > t));
        if let Some(old) = alive.filter(|_| leader_alive) {
            accuracy.get_or_insert_with(|| {
                format!("process {q} elected {l} at {t} µs while earlier leader {old} was alive")
            });
        }
        if !elected.contains(&l) {
            elected.push(l);
        }
    }
    vec![
        Verdict::liveness("eventual detection", h.leader_correct("electing")),
        Verdict::safety("accuracy", accuracy),
    ]
}

/// Eventual accuracy and eventual agreement of Ω.
pub fn check_eventual_leader(h: &DetectorHistory) -> Vec<Verdict> {
    let trusted: BTreeSet<Option<NodeId>> = h.correct.iter().map(|q| h.last_leader(*q)).collect();
    let agreement = (trusted.len() > 1)
        .then(|| format!("correct processes end up trusting different processes: {trusted:?}"));
    vec![
        Verdict::liveness("eventual accuracy", h.leader_correct("trusting")),
        Verdict::liveness("eventual agreement", agreement),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::find;
    use Indication::*;

    fn history(
        crashes: &[(NodeId, Time)],
        outputs: Vec<(Time, NodeId, Indication)>,
    ) -> DetectorHistory {
        let crashes: BTreeMap<_, _> = crashes.iter().copied().collect();
        let correct = (0..3).filter(|p| !crashes.contains_key(p)).collect();
        DetectorHistory { n: 3, crashes, outputs, correct }
    }

    #[test]
    fn detecting_a_crash_after_it_happened_at_every_correct_process_satisfies_p() {
        let h = history(&[(2, 10)], vec![(50, 0, Crash(2)), (60, 1, Crash(2))]);
        assert!(check_perfect(&h).iter().all(Verdict::holds));
    }

    #[test]
    fn detecting_a_process_before_it_crashed_violates_strong_accuracy() {
        let h = history(&[(2, 100)], vec![(50, 0, Crash(2)), (160, 1, Crash(2))]);
        let v = check_perfect(&h);
        assert!(find(&v, "strong accuracy")
            .violation
            .as_ref()
            .unwrap()
            .contains("had not crashed"));
        let h = history(&[], vec![(50, 0, Crash(1))]);
        assert!(!find(&check_perfect(&h), "strong accuracy").holds());
    }

    #[test]
    fn a_correct_process_that_never_detects_a_crash_violates_strong_completeness() {
        let h = history(&[(2, 10)], vec![(50, 0, Crash(2))]);
        assert!(!find(&check_perfect(&h), "strong completeness").holds());
    }

    #[test]
    fn a_restored_false_suspicion_is_fine_for_diamond_p_but_a_lasting_one_is_not() {
        let h = history(
            &[(2, 10)],
            vec![(5, 0, Suspect(1)), (8, 0, Restore(1)), (50, 0, Suspect(2)), (50, 1, Suspect(2))],
        );
        assert!(check_eventually_perfect(&h).iter().all(Verdict::holds));
        let h =
            history(&[(2, 10)], vec![(5, 0, Suspect(1)), (50, 0, Suspect(2)), (50, 1, Suspect(2))]);
        assert!(!find(&check_eventually_perfect(&h), "eventual strong accuracy").holds());
        let h = history(
            &[(2, 10)],
            vec![(50, 0, Suspect(2)), (50, 1, Suspect(2)), (90, 1, Restore(2))],
        );
        assert!(!find(&check_eventually_perfect(&h), "strong completeness").holds());
    }

    #[test]
    fn electing_a_new_leader_while_the_old_one_lives_violates_accuracy() {
        let ok =
            history(&[(0, 10)], vec![(0, 1, Leader(0)), (50, 1, Leader(1)), (55, 2, Leader(1))]);
        assert!(check_leader_election(&ok).iter().all(Verdict::holds));
        let bad =
            history(&[(0, 100)], vec![(0, 1, Leader(0)), (50, 1, Leader(1)), (155, 2, Leader(1))]);
        assert!(!find(&check_leader_election(&bad), "accuracy").holds());
        let stuck =
            history(&[(0, 10)], vec![(0, 1, Leader(0)), (0, 2, Leader(0)), (50, 1, Leader(1))]);
        assert!(!find(&check_leader_election(&stuck), "eventual detection").holds());
    }

    #[test]
    fn omega_may_change_its_mind_but_must_end_on_one_correct_leader() {
        let ok = history(
            &[(0, 10)],
            vec![
                (0, 1, Trust(0)),
                (0, 2, Trust(0)),
                (40, 1, Trust(1)),
                (50, 2, Trust(2)),
                (90, 2, Trust(1)),
            ],
        );
        assert!(check_eventual_leader(&ok).iter().all(Verdict::holds));
        let split = history(&[], vec![(0, 0, Trust(0)), (0, 1, Trust(1)), (0, 2, Trust(0))]);
        assert!(!find(&check_eventual_leader(&split), "eventual agreement").holds());
        let dead = history(&[(0, 10)], vec![(0, 1, Trust(0)), (0, 2, Trust(0))]);
        assert!(!find(&check_eventual_leader(&dead), "eventual accuracy").holds());
    }
}
