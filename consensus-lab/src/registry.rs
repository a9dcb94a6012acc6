//! The registry: every protocol the CLI knows, one [`ProtocolEntry`] each. `list`, `run`,
//! `sweep` and `compare` all read [`PROTOCOLS`]; `compare` takes the entries that carry a
//! [`crate::harness::Comparison`].
//!
//! Top layer of the crate: it uses the protocols, nothing uses it but the CLI and `compare`.
//! To add a protocol, see `docs/lab.md`, "Add a protocol in 4 steps": its entry is **one line**
//! here. Keep the list sorted by module path (so grouped by family) to keep merges trivial.

use crate::harness::ProtocolEntry;
use crate::{protocols, shm};

/// Every protocol `quarry-lab list` shows, in that order.
pub static PROTOCOLS: &[&ProtocolEntry] = &[
    &protocols::broadcast::beb::BEST_EFFORT_BROADCAST,
    &protocols::broadcast::bracha::BRACHA,
    &protocols::broadcast::bracha::BROKEN_BRACHA_SMALL_QUORUM,
    &protocols::broadcast::causal_past::CAUSAL_PAST,
    &protocols::broadcast::causal_past::BROKEN_CAUSAL_PAST_OWN_ONLY,
    &protocols::broadcast::ordered::CAUSAL,
    &protocols::broadcast::ordered::BROKEN_CAUSAL_NO_WAIT,
    &protocols::broadcast::ordered::FIFO,
    &protocols::broadcast::ordered::BROKEN_FIFO_NO_BUFFER,
    &protocols::broadcast::reliable::EAGER_RB,
    &protocols::broadcast::reliable::MAJORITY_ACK_URB,
    &protocols::broadcast::reliable::BROKEN_URB_EARLY_DELIVER,
    &protocols::broadcast::reliable::BROKEN_URB_EAGER,
    &protocols::byzantine::byzantine_generals::ORAL_MESSAGES,
    &protocols::byzantine::byzantine_generals::SIGNED_MESSAGES,
    &protocols::byzantine::hotstuff::HOTSTUFF,
    &protocols::byzantine::hotstuff::BROKEN_HOTSTUFF_SMALL_QUORUM,
    &protocols::byzantine::pbft::experiment::PBFT,
    &protocols::byzantine::pbft::experiment::BROKEN_PBFT_SMALL_QUORUM,
    &protocols::consensus::epaxos::EPAXOS,
    &protocols::consensus::epaxos::BROKEN_EPAXOS_IGNORE_DEPS,
    &protocols::consensus::fast_paxos::FAST_PAXOS,
    &protocols::consensus::fast_paxos::BROKEN_FAST_PAXOS_SMALL_FAST_QUORUM,
    &protocols::consensus::multipaxos::MULTIPAXOS_TOB,
    &protocols::consensus::multipaxos::BROKEN_MULTIPAXOS_NO_PHASE1,
    &protocols::consensus::multipaxos::BROKEN_MULTIPAXOS_QUORUM,
    &protocols::consensus::multipaxos::MULTIPAXOS_KV,
    &protocols::consensus::paxos::SINGLE_DECREE_PAXOS,
    &protocols::consensus::paxos::BROKEN_PAXOS_MINORITY_QUORUM,
    &protocols::consensus::paxos::BROKEN_PAXOS_FORGETFUL_ACCEPTOR,
    &protocols::consensus::reductions::TOB_CONSENSUS,
    &protocols::consensus::reductions::BROKEN_TOB_ARRIVAL_ORDER,
    &protocols::consensus::reductions::CONSENSUS_TOB,
    &protocols::consensus::reductions::BROKEN_CONSENSUS_TOB_OVER_RB,
    &protocols::consensus::vertical_paxos::VERTICAL_PAXOS,
    &protocols::consensus::vertical_paxos::BROKEN_VERTICAL_PAXOS_SKIP_OLD_CONFIG,
    &protocols::consensus::zab::ZAB_TOB,
    &protocols::consensus::zab::BROKEN_ZAB_NO_SYNC,
    &protocols::consensus::zab::ZAB_KV,
    &protocols::links::PERFECT_LINKS,
    &protocols::links::LOGGED_PERFECT_LINKS,
    &protocols::links::BROKEN_LINKS_NO_DEDUP,
    &protocols::nakamoto::NAKAMOTO,
    &protocols::nakamoto::NAKAMOTO_MAJORITY_ATTACK,
    &protocols::nakamoto::NAKAMOTO_SELFISH,
    &protocols::registers::atomic::ABD,
    &protocols::registers::atomic::BROKEN_ABD_HALF_QUORUM,
    &protocols::registers::atomic::READ_IMPOSE_WRITE_MAJORITY,
    &protocols::registers::atomic::BROKEN_READ_IMPOSE_NO_WRITE_BACK,
    &protocols::registers::byzantine::BYZANTINE_QUORUM_REGISTER,
    &protocols::registers::byzantine::BROKEN_BYZANTINE_REGISTER_SMALL_QUORUM,
    &protocols::registers::double_write::DOUBLE_WRITE_REGISTER,
    &protocols::registers::double_write::BROKEN_DOUBLE_WRITE_N_MINUS_F,
    &protocols::registers::layers::ATOMIC_FROM_REGULAR,
    &protocols::registers::layers::BROKEN_ATOMIC_FROM_REGULAR_NO_MAX,
    &protocols::registers::layers::ONE_TO_MANY_FROM_ONE_TO_ONE,
    &protocols::registers::layers::BROKEN_ONE_TO_MANY_NO_WRITE_BACK,
    &protocols::registers::layers::MANY_TO_MANY_FROM_ONE_TO_MANY,
    &protocols::registers::layers::BROKEN_MANY_TO_MANY_LOCAL_TIMESTAMP,
    &protocols::registers::masking::MASKING_QUORUM_REGISTER,
    &protocols::registers::masking::BROKEN_MASKING_N_MINUS_F,
    &protocols::registers::regular::MAJORITY_VOTING_REGISTER,
    &protocols::registers::regular::READ_ONE_WRITE_ALL,
    &protocols::replication::dynamo::DYNAMO,
    &protocols::replication::dynamo::BROKEN_DYNAMO_SMALL_QUORUMS,
    &protocols::timing::fd::EVENTUALLY_PERFECT_FD,
    &protocols::timing::fd::BROKEN_EVENTUALLY_PERFECT_FIXED_TIMEOUT,
    &protocols::timing::fd::PERFECT_FD,
    &protocols::timing::fd::BROKEN_FD_SHORT_TIMEOUT,
    &protocols::timing::fd::LEADER_ELECTION,
    &protocols::timing::fd::BROKEN_LEADER_SHORT_TIMEOUT,
    &protocols::timing::fd::EVENTUAL_LEADER,
    &protocols::timing::lamport_clock::LAMPORT_CLOCK,
    &protocols::timing::lamport_clock::BROKEN_LAMPORT_CLOCK_NO_MAX,
    &protocols::timing::partial_synchrony::PAXOS_GST,
    &protocols::timing::partial_synchrony::PBFT_GST,
    &protocols::timing::partial_synchrony::HOTSTUFF_GST,
    &protocols::timing::partial_synchrony::PERFECT_FD_GST,
    &protocols::transactions::calvin::CALVIN,
    &protocols::transactions::calvin::BROKEN_CALVIN_ARRIVAL_ORDER,
    &protocols::transactions::calvin::BROKEN_CALVIN_FCFS_LOCKS,
    &protocols::transactions::commit_presumed::BASIC_LOGGED,
    &protocols::transactions::commit_presumed::PRESUMED_ABORT,
    &protocols::transactions::commit_presumed::PRESUMED_COMMIT,
    &protocols::transactions::commit_presumed::BROKEN_PC_NO_COLLECTING,
    &protocols::transactions::commit_presumed::COOPERATIVE,
    &protocols::transactions::snapshot_isolation::SNAPSHOT_ISOLATION,
    &protocols::transactions::snapshot_isolation::BROKEN_SI_NO_FIRST_COMMITTER_WINS,
    &protocols::transactions::snapshot_isolation::SERIALIZABLE_SNAPSHOT,
    &protocols::transactions::two_phase_commit::TWO_PHASE_COMMIT,
    &protocols::transactions::two_phase_commit::BROKEN_TWO_PHASE_COMMIT_MISSING_VOTE,
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
