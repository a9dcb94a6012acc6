//! # quarry-node
//!
//! The node owns consensus (header and block validation, ASERT difficulty, most-work fork choice),
//! the chain and its RocksDB store, the mempool, the SHA-256 miner, the libp2p network and the
//! Ethereum JSON-RPC server. The consensus core stays sans-IO: pure functions that the lab and the
//! tests can drive without a network or a disk.
//!
//! Status: the consensus core is being built (ASERT difficulty so far); chain, store, mempool,
//! miner, p2p and RPC come with the node issues.

pub mod consensus;
pub mod mempool;
pub mod miner;
