//! The protocols, one module per protocol family. Each module holds the
//! [`crate::protocol::Protocol`] impl, its scripted tests, and its
//! [`crate::harness::ProtocolEntry`] statics, which [`crate::registry::PROTOCOLS`] lists.
//! Keep the list below sorted by name to keep merges trivial.

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
pub mod reductions;
pub mod register;
pub mod register_atomic;
pub mod register_byzantine;
pub mod register_double_write;
pub mod register_layers;
pub mod register_masking;
pub mod smr_kv;
pub mod snapshot_isolation;
#[cfg(test)]
pub mod test_support;
pub mod two_phase_commit;
pub mod vertical_paxos;
pub mod zab;
