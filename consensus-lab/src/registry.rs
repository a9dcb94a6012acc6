//! The registry: every protocol the CLI knows, one [`ProtocolEntry`] each. `list`, `run`,
//! `sweep` and `compare` all read [`PROTOCOLS`]; `compare` takes the entries that carry a
//! [`crate::harness::Comparison`].
//!
//! Top layer of the crate: it uses the protocols, nothing uses it but the CLI and `compare`.
//! To add a protocol, see `docs/lab.md`, "Add a protocol in 4 steps": its entry is **one line**
//! here. Keep the list sorted by module to keep merges trivial.

use crate::harness::ProtocolEntry;
use crate::{protocols, shm};

/// Every protocol `quarry-lab list` shows, in that order.
pub static PROTOCOLS: &[&ProtocolEntry] = &[
    &protocols::beb::BEST_EFFORT_BROADCAST,
    &protocols::bracha::BRACHA,
    &protocols::bracha::BROKEN_BRACHA_SMALL_QUORUM,
    &protocols::broadcast::EAGER_RB,
    &protocols::broadcast::MAJORITY_ACK_URB,
    &protocols::broadcast::BROKEN_URB_EARLY_DELIVER,
    &protocols::broadcast::BROKEN_URB_EAGER,
    &protocols::broadcast_causal_past::CAUSAL_PAST,
    &protocols::broadcast_causal_past::BROKEN_CAUSAL_PAST_OWN_ONLY,
    &protocols::broadcast_ordered::CAUSAL,
    &protocols::broadcast_ordered::BROKEN_CAUSAL_NO_WAIT,
    &protocols::broadcast_ordered::FIFO,
    &protocols::broadcast_ordered::BROKEN_FIFO_NO_BUFFER,
    &protocols::byzantine_generals::ORAL_MESSAGES,
    &protocols::byzantine_generals::SIGNED_MESSAGES,
    &protocols::commit_presumed::BASIC_LOGGED,
    &protocols::commit_presumed::PRESUMED_ABORT,
    &protocols::commit_presumed::PRESUMED_COMMIT,
    &protocols::commit_presumed::BROKEN_PC_NO_COLLECTING,
    &protocols::commit_presumed::COOPERATIVE,
    &protocols::dynamo::DYNAMO,
    &protocols::dynamo::BROKEN_DYNAMO_SMALL_QUORUMS,
    &protocols::epaxos::EPAXOS,
    &protocols::epaxos::BROKEN_EPAXOS_IGNORE_DEPS,
    &protocols::fast_paxos::FAST_PAXOS,
    &protocols::fast_paxos::BROKEN_FAST_PAXOS_SMALL_FAST_QUORUM,
    &protocols::fd::EVENTUALLY_PERFECT_FD,
    &protocols::fd::BROKEN_EVENTUALLY_PERFECT_FIXED_TIMEOUT,
    &protocols::fd::PERFECT_FD,
    &protocols::fd::BROKEN_FD_SHORT_TIMEOUT,
    &protocols::fd::LEADER_ELECTION,
    &protocols::fd::BROKEN_LEADER_SHORT_TIMEOUT,
    &protocols::fd::EVENTUAL_LEADER,
    &protocols::hotstuff::HOTSTUFF,
    &protocols::hotstuff::BROKEN_HOTSTUFF_SMALL_QUORUM,
    &protocols::lamport_clock::LAMPORT_CLOCK,
    &protocols::lamport_clock::BROKEN_LAMPORT_CLOCK_NO_MAX,
    &protocols::links::PERFECT_LINKS,
    &protocols::links::LOGGED_PERFECT_LINKS,
    &protocols::links::BROKEN_LINKS_NO_DEDUP,
    &protocols::multipaxos::MULTIPAXOS_TOB,
    &protocols::multipaxos::BROKEN_MULTIPAXOS_NO_PHASE1,
    &protocols::multipaxos::BROKEN_MULTIPAXOS_QUORUM,
    &protocols::multipaxos::MULTIPAXOS_KV,
    &protocols::nakamoto::NAKAMOTO,
    &protocols::nakamoto::NAKAMOTO_MAJORITY_ATTACK,
    &protocols::nakamoto::NAKAMOTO_SELFISH,
    &protocols::partial_synchrony::PAXOS_GST,
    &protocols::partial_synchrony::PBFT_GST,
    &protocols::partial_synchrony::HOTSTUFF_GST,
    &protocols::partial_synchrony::PERFECT_FD_GST,
    &protocols::paxos::SINGLE_DECREE_PAXOS,
    &protocols::paxos::BROKEN_PAXOS_MINORITY_QUORUM,
    &protocols::paxos::BROKEN_PAXOS_FORGETFUL_ACCEPTOR,
    &protocols::pbft::experiment::PBFT,
    &protocols::pbft::experiment::BROKEN_PBFT_SMALL_QUORUM,
    &protocols::reductions::TOB_CONSENSUS,
    &protocols::reductions::BROKEN_TOB_ARRIVAL_ORDER,
    &protocols::reductions::CONSENSUS_TOB,
    &protocols::reductions::BROKEN_CONSENSUS_TOB_OVER_RB,
    &protocols::register::MAJORITY_VOTING_REGISTER,
    &protocols::register::READ_ONE_WRITE_ALL,
    &protocols::register_atomic::ABD,
    &protocols::register_atomic::BROKEN_ABD_HALF_QUORUM,
    &protocols::register_atomic::READ_IMPOSE_WRITE_MAJORITY,
    &protocols::register_atomic::BROKEN_READ_IMPOSE_NO_WRITE_BACK,
    &protocols::register_byzantine::BYZANTINE_QUORUM_REGISTER,
    &protocols::register_byzantine::BROKEN_BYZANTINE_REGISTER_SMALL_QUORUM,
    &protocols::register_double_write::DOUBLE_WRITE_REGISTER,
    &protocols::register_double_write::BROKEN_DOUBLE_WRITE_N_MINUS_F,
    &protocols::register_layers::ATOMIC_FROM_REGULAR,
    &protocols::register_layers::BROKEN_ATOMIC_FROM_REGULAR_NO_MAX,
    &protocols::register_layers::ONE_TO_MANY_FROM_ONE_TO_ONE,
    &protocols::register_layers::BROKEN_ONE_TO_MANY_NO_WRITE_BACK,
    &protocols::register_layers::MANY_TO_MANY_FROM_ONE_TO_MANY,
    &protocols::register_layers::BROKEN_MANY_TO_MANY_LOCAL_TIMESTAMP,
    &protocols::register_masking::MASKING_QUORUM_REGISTER,
    &protocols::register_masking::BROKEN_MASKING_N_MINUS_F,
    &protocols::snapshot_isolation::SNAPSHOT_ISOLATION,
    &protocols::snapshot_isolation::BROKEN_SI_NO_FIRST_COMMITTER_WINS,
    &protocols::snapshot_isolation::SERIALIZABLE_SNAPSHOT,
    &shm::experiments::SHM_CAS,
    &shm::experiments::SHM_CONSENSUS_NUMBER,
    &shm::experiments::SHM_LOCK,
    &shm::experiments::SHM_LOCKLESS,
    &shm::experiments::SHM_LOCKLESS_NO_R1,
    &shm::experiments::SHM_LOCKLESS_NO_C1,
    &shm::experiments::SHM_LOCKLESS_NO_C2,
    &shm::experiments::SHM_LOCKLESS_SHARED_SEQ,
    &shm::registers::SHM_REGISTER_UNARY,
    &shm::registers::BROKEN_SHM_REGISTER_BINARY,
    &protocols::two_phase_commit::TWO_PHASE_COMMIT,
    &protocols::two_phase_commit::BROKEN_TWO_PHASE_COMMIT_MISSING_VOTE,
    &protocols::vertical_paxos::VERTICAL_PAXOS,
    &protocols::vertical_paxos::BROKEN_VERTICAL_PAXOS_SKIP_OLD_CONFIG,
    &protocols::zab::ZAB_TOB,
    &protocols::zab::BROKEN_ZAB_NO_SYNC,
    &protocols::zab::ZAB_KV,
];

/// The protocol called `name`, if registered.
pub fn lookup(name: &str) -> Option<&'static ProtocolEntry> {
    PROTOCOLS.iter().copied().find(|e| e.name == name)
}

/// The compared protocols (entries with a comparison), in the report's row order.
pub fn compared() -> Vec<&'static ProtocolEntry> {
    let mut entries: Vec<&'static ProtocolEntry> =
        PROTOCOLS.iter().copied().filter(|e| e.comparison.is_some()).collect();
    entries.sort_by_key(|e| e.comparison.map(|c| c.row));
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_protocol_name_is_registered_once() {
        let mut names: Vec<&str> = PROTOCOLS.iter().map(|e| e.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(names.len(), before, "a name is registered twice");
        assert!(lookup("paxos").is_some() && lookup("no-such-protocol").is_none());
    }
}
