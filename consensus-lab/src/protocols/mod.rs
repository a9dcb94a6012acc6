//! The protocols, one folder per family (broadcast, consensus, byzantine, registers,
//! replication, timing, transactions, links, nakamoto) and in it one module or folder per
//! protocol. Each protocol module holds the [`crate::protocol::Protocol`] impl, its scripted
//! tests, and its [`crate::harness::ProtocolEntry`] statics, which
//! [`crate::registry::PROTOCOLS`] lists. Keep each list sorted by name to keep merges trivial.

pub mod broadcast;
pub mod byzantine;
pub mod consensus;
pub mod links;
pub mod nakamoto;
pub mod registers;
pub mod replication;
#[cfg(test)]
pub mod test_support;
pub mod timing;
pub mod transactions;
