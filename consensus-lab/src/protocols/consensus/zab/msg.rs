//! The messages of Zab (Junqueira, Reed & Serafini, DSN 2011, §IV names), plus phase 0's
//! ELECT, the NACK that sends a stale prospective leader back to phase 0, and forwarding.

use crate::protocol::WireSize;
use crate::protocols::consensus::smr_kv::{Proposal, Zxid};

/// A history h_f: transactions `(zxid, ⟨origin, command⟩)` in zxid order.
pub type History<C> = Vec<(Zxid, Proposal<C>)>;

/// Zab messages.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg<C> {
    /// Phase 0: "I am a prospective leader; send me your CEPOCH".
    Elect,
    /// Phase 1: the follower's last promised epoch f.p.
    CEpoch {
        /// f.p
        accepted_epoch: u64,
    },
    /// Phase 1: the prospective leader's new epoch e'.
    NewEpoch {
        /// e'
        epoch: u64,
    },
    /// Phase 1: the follower promised e'; here are f.a and h_f.
    AckE {
        /// e' being acknowledged.
        epoch: u64,
        /// f.a
        current_epoch: u64,
        /// h_f
        history: History<C>,
    },
    /// Phase 2: the initial history I_e' of epoch e'.
    NewLeader {
        /// e'
        epoch: u64,
        /// I_e' (or, for a late follower, the leader's whole current history).
        history: History<C>,
    },
    /// Phase 2: the follower adopted the NEWLEADER history, which ends at `last`.
    AckLd {
        /// e'
        epoch: u64,
        /// Last zxid of the adopted history.
        last: Zxid,
    },
    /// Phase 3: transaction `txn` with id `zxid`.
    Propose {
        /// e'
        epoch: u64,
        /// (e', counter)
        zxid: Zxid,
        /// The transaction.
        txn: Proposal<C>,
    },
    /// Phase 3: cumulative acknowledgement: h_f ends at `last`, delivered up to `delivered`.
    Ack {
        /// The follower's f.a.
        epoch: u64,
        /// Last zxid in h_f.
        last: Zxid,
        /// Last zxid delivered.
        delivered: Zxid,
    },
    /// Deliver every transaction up to `zxid` (cumulative). A `probe` (a resend on the
    /// leader's tick) asks for an [`Msg::Ack`] so the leader learns the follower caught up.
    Commit {
        /// e'
        epoch: u64,
        /// Commit point.
        zxid: Zxid,
        /// Answer with an ACK.
        probe: bool,
    },
    /// The follower has promised a later epoch (f.p); the sender goes back to phase 0.
    Nack {
        /// f.p
        accepted_epoch: u64,
    },
    /// A client command handed to the leader.
    Forward(Proposal<C>),
}

fn history_size<C: WireSize>(h: &History<C>) -> usize {
    8 + h.iter().map(|(_, p)| 24 + p.cmd.size_bytes()).sum::<usize>()
}

impl<C: WireSize> WireSize for Msg<C> {
    fn size_bytes(&self) -> usize {
        1 + match self {
            Msg::Elect => 0,
            Msg::CEpoch { .. } | Msg::NewEpoch { .. } | Msg::Nack { .. } => 8,
            Msg::AckLd { .. } => 24,
            Msg::AckE { history, .. } => 16 + history_size(history),
            Msg::NewLeader { history, .. } => 8 + history_size(history),
            Msg::Propose { txn, .. } => 24 + 8 + txn.cmd.size_bytes(),
            Msg::Ack { .. } => 40,
            Msg::Commit { .. } => 25,
            Msg::Forward(p) => 8 + p.cmd.size_bytes(),
        }
    }
}
