//! The messages of Multi-Paxos (van Renesse & Altinbuken 2015 §3 names: P1a/P1b/P2a/P2b,
//! Preempted, Decision) plus forwarding and catch-up, and their wire sizes.

use super::{Ballot, PValue};
use crate::protocol::WireSize;
use crate::protocols::consensus::smr_kv::{Entry, Proposal, Slot};

/// Multi-Paxos messages (van Renesse & Altinbuken §3 names).
#[derive(Debug, Clone, PartialEq)]
pub enum Msg<C> {
    /// Phase 1a, for every slot from `first` on.
    P1a {
        /// The scout's ballot.
        ballot: Ballot,
        /// The leader's first undecided slot.
        first: Slot,
    },
    /// Phase 1b: the promise, with the acceptor's pvalues `(slot, ballot, entry)` from `first`.
    P1b {
        /// The promised ballot.
        ballot: Ballot,
        /// Accepted pvalues.
        accepted: Vec<PValue<C>>,
    },
    /// Phase 2a: accept `entry` in `slot`.
    P2a {
        /// The commander's ballot.
        ballot: Ballot,
        /// The slot.
        slot: Slot,
        /// The proposed entry.
        entry: Entry<C>,
    },
    /// Phase 2b: accepted; `slot_out` piggybacks how far the acceptor's replica has applied.
    P2b {
        /// The accepted ballot.
        ballot: Ballot,
        /// The slot.
        slot: Slot,
        /// The sender's replica's next slot to apply.
        slot_out: Slot,
    },
    /// The acceptor has promised a higher ballot.
    Preempted {
        /// The ballot that was refused.
        ballot: Ballot,
        /// The acceptor's promise.
        promised: Ballot,
    },
    /// `slot` is decided.
    Decision {
        /// The slot.
        slot: Slot,
        /// The chosen entry.
        entry: Entry<C>,
    },
    /// A replica hands a client command to the leader it trusts.
    Forward(Proposal<C>),
    /// From the leader to a replica that is behind: everything below `commit` is decided.
    Heartbeat {
        /// The leader's ballot.
        ballot: Ballot,
        /// The leader's first undecided slot.
        commit: Slot,
    },
    /// "I have applied every slot below `slot_out`; send me what follows."
    CatchUp {
        /// The asker's next slot to apply.
        slot_out: Slot,
    },
    /// Decided entries from `first` on, in order (answer to [`Msg::CatchUp`]).
    Decisions {
        /// Slot of the first entry.
        first: Slot,
        /// The entries.
        entries: Vec<Entry<C>>,
    },
}

impl<C: WireSize> WireSize for Msg<C> {
    fn size_bytes(&self) -> usize {
        1 + match self {
            Msg::P1a { .. } | Msg::Heartbeat { .. } => 24,
            Msg::P1b { accepted, .. } => {
                16 + accepted.iter().map(|(_, _, e)| 24 + e.size_bytes()).sum::<usize>()
            }
            Msg::P2a { entry, .. } | Msg::Decision { entry, .. } => 24 + entry.size_bytes(),
            Msg::P2b { .. } => 32,
            Msg::Preempted { .. } => 32,
            Msg::Forward(p) => 8 + p.cmd.size_bytes(),
            Msg::CatchUp { .. } => 8,
            Msg::Decisions { entries, .. } => {
                8 + entries.iter().map(Entry::size_bytes).sum::<usize>()
            }
        }
    }
}
