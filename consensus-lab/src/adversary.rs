//! The Byzantine adversary: which processes it corrupts and what their messages become.
//!
//! A corrupted process runs the honest code, but every message it sends to another process goes
//! through the simulator's [`Adversary`] seam, where a [`Strategy`] decides per recipient what
//! actually leaves: nothing (silence), a conflicting version (equivocation), the same message much
//! later (selective delay), an extra message with signatures it cannot make (forgery), or an old
//! message again (replay). The adversary may do anything a coalition of corrupted processes can:
//! its members agree on one story per recipient (they *collude*), and it re-signs rewritten
//! statements with the corrupted processes' own keys. It cannot change the true sender of a
//! delivery (authenticated channels) nor produce a valid signature of a correct process
//! (unforgeable signatures, [`crate::signature`]). It does not control the network's scheduling
//! beyond delaying its own messages.
//!
//! Equivocation uses two *sides*: every run splits the correct processes into a non-empty side A
//! and side B (drawn from the seed's adversary stream); corrupted processes sit on side A, see
//! the truth, and tell side B the [`Byzantine::equivocate`] version of each message. Messages
//! between colluders (a corrupted process's notes to itself included) are never silenced or
//! delayed, and under equivocation carry both versions, so a corrupted leader can gather votes
//! for both stories. This is the
//! split-brain attack of Castro & Liskov OSDI'99 §4.2 ("a faulty primary … sends different
//! pre-prepares to different backups") and of Bracha 1987's two-faced sender.

use std::collections::BTreeSet;
use std::fmt::Debug;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::protocol::{NodeId, Time};
use crate::signature::SigningKey;
use crate::sim::{Adversary, Streams};

/// What the corrupted processes do with their outgoing messages (`--strategy NAME`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub enum Strategy {
    /// `silence`: send nothing at all (a crash the others cannot detect).
    Silence,
    /// `equivocate`: side B gets a conflicting, validly re-signed version of each message.
    #[default]
    Equivocate,
    /// `delay`: messages to side B are held back 20–200 ms (selective delay).
    Delay,
    /// `forge`: each message is followed by a version with signatures the sender cannot make
    /// (votes or certificates in the name of correct processes): receivers must reject it.
    Forge,
    /// `replay`: besides each message, resend an older one of the same process, up to 50 ms late.
    Replay,
    /// `random`: every message picks one of the five strategies above at random.
    Random,
}

impl Strategy {
    /// Every strategy, in the order `list` prints them.
    pub const ALL: [Strategy; 6] = [
        Strategy::Silence,
        Strategy::Equivocate,
        Strategy::Delay,
        Strategy::Forge,
        Strategy::Replay,
        Strategy::Random,
    ];

    /// The CLI name.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Silence => "silence",
            Strategy::Equivocate => "equivocate",
            Strategy::Delay => "delay",
            Strategy::Forge => "forge",
            Strategy::Replay => "replay",
            Strategy::Random => "random",
        }
    }

    /// One line on what it does, for `list`.
    pub fn description(self) -> &'static str {
        match self {
            Strategy::Silence => "corrupted processes send nothing",
            Strategy::Equivocate => {
                "per-recipient lies: side B gets a conflicting, validly signed version"
            }
            Strategy::Delay => "messages to side B are held back 20-200 ms",
            Strategy::Forge => {
                "adds messages carrying signatures of correct processes it cannot make"
            }
            Strategy::Replay => "resends its own older messages, up to 50 ms late",
            Strategy::Random => "each message picks one of the strategies above",
        }
    }

    /// Parse a CLI name.
    ///
    /// # Errors
    /// [`UnknownStrategy`] naming the bad value and the known ones.
    pub fn parse(name: &str) -> Result<Self, UnknownStrategy> {
        Strategy::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .ok_or_else(|| UnknownStrategy(name.to_owned()))
    }
}

/// `--strategy` named no known strategy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown strategy {0:?}; known: silence, equivocate, delay, forge, replay, random")]
pub struct UnknownStrategy(pub String);

/// The adversary of a run as given on the command line (`--byzantine K --strategy NAME`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AdversaryConfig {
    /// How many of the `n` processes are Byzantine (chosen by the seed's adversary stream);
    /// only protocols whose `ProtocolEntry::byzantine` is `true` accept more than 0.
    pub byzantine: usize,
    /// What the Byzantine processes do with their messages.
    pub strategy: Strategy,
}

impl AdversaryConfig {
    /// The corrupted processes and the sides of a run of `n` processes with `seed` (empty when
    /// `byzantine` is 0); see [`AdversaryPlan::draw`].
    pub fn plan(&self, seed: u64, n: usize) -> AdversaryPlan {
        if self.byzantine == 0 {
            return AdversaryPlan::default();
        }
        AdversaryPlan::draw(seed, n, self.byzantine)
    }
}

/// Which processes are corrupted in a run, and how the correct ones are split into sides.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AdversaryPlan {
    /// The corrupted (Byzantine) processes.
    pub corrupted: BTreeSet<NodeId>,
    /// Correct processes on side B (they get the equivocating version); the rest are side A.
    pub side_b: BTreeSet<NodeId>,
}

impl AdversaryPlan {
    /// Corrupt `k` distinct processes of `0..n`, uniformly, and split the others into two
    /// non-empty sides (when there are at least two), all from the seed's adversary stream.
    pub fn draw(seed: u64, n: usize, k: usize) -> Self {
        let mut rng = Streams::new(seed).adversary;
        let mut nodes: Vec<NodeId> = (0..n).collect();
        for i in 0..k.min(n) {
            let j = rng.random_range(i..n);
            nodes.swap(i, j);
        }
        let corrupted: BTreeSet<NodeId> = nodes[..k.min(n)].iter().copied().collect();
        let honest: Vec<NodeId> = (0..n).filter(|p| !corrupted.contains(p)).collect();
        let mut side_b: BTreeSet<NodeId> =
            honest.iter().copied().filter(|_| rng.random_bool(0.5)).collect();
        if honest.len() >= 2 {
            if side_b.is_empty() {
                side_b.insert(honest[rng.random_range(0..honest.len())]);
            } else if side_b.len() == honest.len() {
                side_b.remove(&honest[rng.random_range(0..honest.len())]);
            }
        }
        AdversaryPlan { corrupted, side_b }
    }
}

/// What a protocol's message type must offer the adversary: its lies.
pub trait Byzantine: Clone + Debug + Sized {
    /// The conflicting version of this message that a corrupted sender tells side B, re-signed
    /// with the sender's own `key` wherever the message carries the sender's signature (e.g.
    /// a pre-prepare or a vote for a different value, an echo of another payload). Return a
    /// clone when the message has nothing to lie about.
    fn equivocate(&self, key: &SigningKey) -> Self;

    /// A message that claims what `from` (corrupted) cannot prove: a vote, certificate or
    /// relayed statement carrying signatures that do not verify, e.g. in the name of correct
    /// processes of `0..n`. `None` when the message type has nothing signed to forge.
    fn forge(&self, from: NodeId, n: usize) -> Option<Self>;
}

/// The adversary that plays one [`Strategy`] for every corrupted process of an
/// [`AdversaryPlan`].
#[derive(Debug, Clone)]
pub struct StrategyAdversary<M> {
    strategy: Strategy,
    corrupted: BTreeSet<NodeId>,
    side_b: BTreeSet<NodeId>,
    n: usize,
    sent: Vec<(NodeId, M)>,
}

/// How many past messages per run the replay strategy remembers.
const REPLAY_MEMORY: usize = 256;

impl<M> StrategyAdversary<M> {
    /// Play `strategy` against the sides of `plan` among `n` processes.
    pub fn new(strategy: Strategy, plan: &AdversaryPlan, n: usize) -> Self {
        StrategyAdversary {
            strategy,
            corrupted: plan.corrupted.clone(),
            side_b: plan.side_b.clone(),
            n,
            sent: Vec::new(),
        }
    }
}

impl<M: Byzantine> Adversary<M> for StrategyAdversary<M> {
    fn intercept(
        &mut self,
        from: NodeId,
        to: NodeId,
        msg: M,
        _now: Time,
        rng: &mut ChaCha8Rng,
    ) -> Vec<(Time, M)> {
        let strategy = match self.strategy {
            Strategy::Random => Strategy::ALL[rng.random_range(0..5)],
            s => s,
        };
        if self.corrupted.contains(&to) {
            // Colluders (the sender itself included) are never lied to: they hear both stories.
            return match strategy {
                Strategy::Equivocate => {
                    let twin = msg.equivocate(&SigningKey::of(from));
                    vec![(0, msg), (0, twin)]
                }
                _ => vec![(0, msg)],
            };
        }
        let side_b = self.side_b.contains(&to);
        match strategy {
            Strategy::Silence => vec![],
            Strategy::Equivocate if side_b => vec![(0, msg.equivocate(&SigningKey::of(from)))],
            Strategy::Delay if side_b => vec![(rng.random_range(20_000..=200_000), msg)],
            Strategy::Equivocate | Strategy::Delay => vec![(0, msg)],
            Strategy::Forge => {
                let forged = msg.forge(from, self.n);
                std::iter::once((0, msg)).chain(forged.map(|f| (0, f))).collect()
            }
            Strategy::Replay | Strategy::Random => {
                let mut out = vec![(0, msg.clone())];
                let mine: Vec<&M> =
                    self.sent.iter().filter(|(s, _)| *s == from).map(|(_, m)| m).collect();
                if !mine.is_empty() && rng.random_bool(0.5) {
                    let old = mine[rng.random_range(0..mine.len())].clone();
                    out.push((rng.random_range(0..=50_000), old));
                }
                if self.sent.len() == REPLAY_MEMORY {
                    self.sent.remove(0);
                }
                self.sent.push((from, msg));
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    struct Vote(u64, bool);
    impl Byzantine for Vote {
        fn equivocate(&self, _: &SigningKey) -> Self {
            Vote(self.0 + 1000, self.1)
        }
        fn forge(&self, _: NodeId, _: usize) -> Option<Self> {
            Some(Vote(self.0, false))
        }
    }

    #[test]
    fn plans_corrupt_k_processes_and_split_the_rest_into_two_nonempty_sides() {
        for seed in 0..200 {
            let plan = AdversaryPlan::draw(seed, 7, 2);
            assert_eq!(plan.corrupted.len(), 2);
            assert!(plan.side_b.is_disjoint(&plan.corrupted));
            assert!(!plan.side_b.is_empty() && plan.side_b.len() < 5, "seed {seed}: {plan:?}");
            assert_eq!(plan, AdversaryPlan::draw(seed, 7, 2), "a plan replays from its seed");
        }
    }

    #[test]
    fn each_strategy_does_what_its_name_says_to_side_b_and_side_a() {
        let plan = AdversaryPlan { corrupted: [0].into(), side_b: [2].into() };
        let mut rng = Streams::new(1).adversary;
        let mut run = |s: Strategy, to: NodeId| {
            StrategyAdversary::new(s, &plan, 3).intercept(0, to, Vote(1, true), 0, &mut rng)
        };
        assert!(run(Strategy::Silence, 1).is_empty());
        assert_eq!(run(Strategy::Equivocate, 2), vec![(0, Vote(1001, true))]);
        assert_eq!(run(Strategy::Equivocate, 1), vec![(0, Vote(1, true))]);
        // Colluders (here the sender itself) hear both stories and are never silenced.
        assert_eq!(run(Strategy::Equivocate, 0), vec![(0, Vote(1, true)), (0, Vote(1001, true))]);
        assert_eq!(run(Strategy::Silence, 0), vec![(0, Vote(1, true))]);
        let delayed = run(Strategy::Delay, 2);
        assert!((20_000..=200_000).contains(&delayed[0].0) && delayed[0].1 == Vote(1, true));
        assert_eq!(run(Strategy::Delay, 1), vec![(0, Vote(1, true))]);
        assert_eq!(run(Strategy::Forge, 1), vec![(0, Vote(1, true)), (0, Vote(1, false))]);
    }

    #[test]
    fn replay_resends_older_messages_of_the_same_sender() {
        let plan = AdversaryPlan { corrupted: [0].into(), side_b: [2].into() };
        let mut adversary = StrategyAdversary::new(Strategy::Replay, &plan, 3);
        let mut rng = Streams::new(2).adversary;
        let mut extra = Vec::new();
        for i in 0..20 {
            let out = adversary.intercept(0, 1, Vote(i, true), 0, &mut rng);
            assert_eq!(out[0], (0, Vote(i, true)));
            extra.extend(out[1..].iter().map(|(_, m)| m.0));
        }
        assert!(!extra.is_empty() && extra.iter().all(|&v| v < 19), "{extra:?}");
    }

    #[test]
    fn strategy_names_round_trip_and_unknown_names_are_rejected() {
        for s in Strategy::ALL {
            assert_eq!(Strategy::parse(s.name()), Ok(s));
        }
        assert_eq!(Strategy::parse("lie"), Err(UnknownStrategy("lie".into())));
    }
}
