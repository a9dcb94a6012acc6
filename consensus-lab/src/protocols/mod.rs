//! The protocols, one module per protocol (`src/protocols/<name>.rs`), and the registry the CLI
//! runs them from.
//!
//! To add a protocol: write the module (the [`crate::protocol::Protocol`] impl, its scripted
//! tests, and an [`Experiment`] unit struct), declare it below, and add **one line** to
//! [`REGISTRY`]. Keep the lists sorted by name to keep merges trivial.

use crate::experiment::Experiment;

pub mod beb;
pub mod bracha;
pub mod broadcast;
pub mod broadcast_causal_past;
pub mod broadcast_ordered;
pub mod byzantine_generals;
pub mod commit_presumed;
pub mod dynamo;
pub mod epaxos;
pub mod fast_paxos;
pub mod fd;
pub mod hotstuff;
pub mod lamport_clock;
pub mod links;
pub mod merkle;
pub mod multipaxos;
pub mod nakamoto;
pub mod partial_synchrony;
pub mod paxos;
pub mod pbft;
pub mod pbft_experiment;
pub mod pbft_msg;
pub mod register;
pub mod register_atomic;
pub mod register_byzantine;
pub mod smr_kv;
pub mod snapshot_isolation;
#[cfg(test)]
pub mod test_support;
pub mod two_phase_commit;
pub mod vertical_paxos;
pub mod zab;

/// Every experiment `quarry-lab list` shows, one line each.
pub static REGISTRY: &[&dyn Experiment] = &[
    &beb::BestEffortBroadcast,
    &bracha::BrachaExperiment,
    &bracha::BrokenBrachaSmallQuorum,
    &broadcast::EagerRbExperiment,
    &broadcast::MajorityAckUrbExperiment,
    &broadcast::BrokenUrbEarlyDeliver,
    &broadcast::BrokenUrbEager,
    &broadcast_causal_past::CausalPastExperiment,
    &broadcast_causal_past::BrokenCausalPastOwnOnly,
    &broadcast_ordered::CausalExperiment,
    &broadcast_ordered::BrokenCausalNoWait,
    &broadcast_ordered::FifoExperiment,
    &broadcast_ordered::BrokenFifoNoBuffer,
    &byzantine_generals::OralMessages,
    &byzantine_generals::SignedMessages,
    &dynamo::DynamoExperiment,
    &dynamo::BrokenDynamoSmallQuorums,
    &epaxos::EPaxosExperiment,
    &epaxos::BrokenEPaxosIgnoreDeps,
    &fast_paxos::FastPaxosExperiment,
    &fast_paxos::BrokenFastPaxosSmallFastQuorum,
    &fd::EventuallyPerfectFd,
    &fd::BrokenEventuallyPerfectFixedTimeout,
    &fd::PerfectFd,
    &fd::BrokenFdShortTimeout,
    &fd::LeaderElection,
    &fd::BrokenLeaderShortTimeout,
    &fd::EventualLeader,
    &hotstuff::HotStuffExperiment,
    &hotstuff::BrokenHotStuffSmallQuorum,
    &lamport_clock::LamportClockExperiment,
    &lamport_clock::BrokenLamportClockNoMax,
    &links::PerfectLinksExperiment,
    &links::LoggedPerfectLinksExperiment,
    &links::BrokenLinksNoDedup,
    &multipaxos::MultiPaxosTob,
    &multipaxos::BrokenMultiPaxosNoPhase1,
    &multipaxos::BrokenMultiPaxosQuorum,
    &multipaxos::MultiPaxosKv,
    &nakamoto::NakamotoExperiment,
    &nakamoto::NakamotoMajorityAttack,
    &nakamoto::NakamotoSelfish,
    &partial_synchrony::PAXOS_GST,
    &partial_synchrony::PBFT_GST,
    &partial_synchrony::HOTSTUFF_GST,
    &partial_synchrony::PERFECT_FD_GST,
    &paxos::SingleDecreePaxos,
    &paxos::BrokenPaxosMinorityQuorum,
    &paxos::BrokenPaxosForgetfulAcceptor,
    &pbft_experiment::PbftExperiment,
    &pbft_experiment::BrokenPbftSmallQuorum,
    &register::MajorityVotingRegister,
    &register::ReadOneWriteAll,
    &register_atomic::Abd,
    &register_atomic::BrokenAbdHalfQuorum,
    &register_atomic::ReadImposeWriteMajority,
    &register_atomic::BrokenReadImposeNoWriteBack,
    &register_byzantine::ByzantineQuorumRegister,
    &register_byzantine::BrokenByzantineRegisterSmallQuorum,
    &crate::shm::experiments::SHM_CAS,
    &crate::shm::experiments::SHM_CONSENSUS_NUMBER,
    &crate::shm::experiments::SHM_LOCK,
    &crate::shm::experiments::SHM_LOCKLESS,
    &crate::shm::experiments::SHM_LOCKLESS_NO_R1,
    &crate::shm::experiments::SHM_LOCKLESS_NO_C1,
    &crate::shm::experiments::SHM_LOCKLESS_NO_C2,
    &crate::shm::experiments::SHM_LOCKLESS_SHARED_SEQ,
    &snapshot_isolation::SnapshotIsolation,
    &snapshot_isolation::BrokenSiNoFirstCommitterWins,
    &snapshot_isolation::SerializableSnapshot,
    &two_phase_commit::TwoPhaseCommitExperiment,
    &two_phase_commit::BrokenTwoPhaseCommitMissingVote,
    &commit_presumed::BASIC_LOGGED,
    &commit_presumed::PRESUMED_ABORT,
    &commit_presumed::PRESUMED_COMMIT,
    &commit_presumed::BROKEN_PC_NO_COLLECTING,
    &commit_presumed::COOPERATIVE,
    &vertical_paxos::VerticalPaxosExperiment,
    &vertical_paxos::BrokenVerticalPaxosSkipOldConfig,
    &zab::ZabTob,
    &zab::BrokenZabNoSync,
    &zab::ZabKv,
];

/// The experiment called `name`, if registered.
pub fn lookup(name: &str) -> Option<&'static dyn Experiment> {
    REGISTRY.iter().copied().find(|e| e.name() == name)
}
