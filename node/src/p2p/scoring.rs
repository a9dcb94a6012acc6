//! Peer scoring and bans (sans-IO). Every peer starts at 0; each misbehaviour costs points;
//! at [`BAN_THRESHOLD`] or below the peer is disconnected and banned for the configured time.
//! Honest mistakes cost nothing: duplicates, blocks with unknown parents, transactions that
//! are stale against our state (the peer may simply be on another tip).
//!
//! The costs follow Bitcoin Core's misbehaviour scores (`net_processing.cpp`: an invalid block
//! or header is an immediate ban, 100 points) and Ethereum clients' treatment of undecodable
//! messages (a protocol breach: disconnect).

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// A peer is banned once its score is at or below this.
pub const BAN_THRESHOLD: i32 = -100;

/// What a peer did wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Misbehaviour {
    /// Sent a block that breaks a consensus rule (PoW, header, body or execution).
    InvalidBlock,
    /// Sent headers that break a rule or do not link up.
    InvalidHeaders,
    /// Sent a transaction that can never be valid (bad signature, wrong chain id, …).
    InvalidTransaction,
    /// Sent bytes that do not decode as the message they claim to be.
    Undecodable,
    /// Sent a message above the protocol's size limit.
    Oversized,
    /// Did not answer a request in time.
    Unanswered,
    /// Answered with data it was not asked for (bodies that do not match the headers).
    WrongResponse,
    /// Is on another chain (a different genesis): useless to us, and it would be redialled.
    WrongChain,
}

impl Misbehaviour {
    /// Points this costs.
    pub fn cost(self) -> i32 {
        match self {
            Misbehaviour::InvalidBlock | Misbehaviour::InvalidHeaders => 100,
            Misbehaviour::WrongChain => 100,
            Misbehaviour::Undecodable | Misbehaviour::Oversized => 50,
            Misbehaviour::WrongResponse => 50,
            Misbehaviour::Unanswered => 25,
            Misbehaviour::InvalidTransaction => 20,
        }
    }
}

/// Scores and bans of peers identified by `P` (a libp2p `PeerId` in the node).
#[derive(Debug)]
pub struct PeerScores<P> {
    scores: HashMap<P, i32>,
    banned: HashMap<P, Instant>,
    ban_duration: Duration,
}

impl<P: Copy + Eq + Hash> PeerScores<P> {
    /// Bans last `ban_duration`.
    pub fn new(ban_duration: Duration) -> Self {
        PeerScores { scores: HashMap::new(), banned: HashMap::new(), ban_duration }
    }

    /// Charges `peer` for `what` at time `now`. Returns `true` if this bans it (it must then be
    /// disconnected and refused until the ban expires).
    pub fn penalise(&mut self, peer: P, what: Misbehaviour, now: Instant) -> bool {
        let score = self.scores.entry(peer).or_insert(0);
        *score = score.saturating_sub(what.cost());
        if *score <= BAN_THRESHOLD && !self.banned.contains_key(&peer) {
            self.banned.insert(peer, now + self.ban_duration);
            return true;
        }
        false
    }

    /// The peer's score (0 if never charged).
    pub fn score(&self, peer: &P) -> i32 {
        self.scores.get(peer).copied().unwrap_or(0)
    }

    /// When the peer's ban ends, if it is banned.
    pub fn banned_until(&self, peer: &P) -> Option<Instant> {
        self.banned.get(peer).copied()
    }

    /// Every banned peer with the end of its ban.
    pub fn bans(&self) -> impl Iterator<Item = (&P, &Instant)> {
        self.banned.iter()
    }

    /// Lifts the bans that ended by `now` and resets those peers' scores; returns them.
    pub fn expire(&mut self, now: Instant) -> Vec<P> {
        let ended: Vec<P> =
            self.banned.iter().filter(|(_, until)| **until <= now).map(|(p, _)| *p).collect();
        for peer in &ended {
            self.banned.remove(peer);
            self.scores.remove(peer);
        }
        ended
    }

    /// Lifts a ban now (operator's decision) and forgets the score.
    pub fn pardon(&mut self, peer: &P) {
        self.banned.remove(peer);
        self.scores.remove(peer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_block_bans_at_once() {
        let mut s = PeerScores::new(Duration::from_secs(60));
        let now = Instant::now();
        assert!(s.penalise(1u32, Misbehaviour::InvalidBlock, now));
        assert!(s.banned_until(&1).is_some());
        // Further misbehaviour of a banned peer does not ban it twice.
        assert!(!s.penalise(1, Misbehaviour::Undecodable, now));
    }

    #[test]
    fn small_faults_add_up_and_bans_expire() {
        let mut s = PeerScores::new(Duration::from_secs(60));
        let now = Instant::now();
        for _ in 0..3 {
            assert!(!s.penalise(2u32, Misbehaviour::Unanswered, now));
        }
        assert_eq!(s.score(&2), -75);
        assert!(s.penalise(2, Misbehaviour::Unanswered, now));
        assert!(s.expire(now + Duration::from_secs(59)).is_empty());
        assert_eq!(s.expire(now + Duration::from_secs(60)), vec![2]);
        assert_eq!(s.score(&2), 0);
        assert!(s.banned_until(&2).is_none());
    }

    #[test]
    fn five_bad_transactions_ban() {
        let mut s = PeerScores::new(Duration::from_secs(1));
        let now = Instant::now();
        let banned: Vec<bool> =
            (0..5).map(|_| s.penalise(3u8, Misbehaviour::InvalidTransaction, now)).collect();
        assert_eq!(banned, vec![false, false, false, false, true]);
    }
}
