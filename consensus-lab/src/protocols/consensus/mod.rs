//! Crash-fault consensus and state-machine replication: single-decree, Fast, Multi-, Vertical and
//! Egalitarian Paxos, Zab, the shared replicated key-value store they drive, and the reductions
//! between consensus and total-order broadcast (CGR ch. 5-6).

pub mod epaxos;
pub mod fast_paxos;
pub mod multipaxos;
pub mod paxos;
pub mod reductions;
pub mod smr_kv;
pub mod vertical_paxos;
pub mod zab;
