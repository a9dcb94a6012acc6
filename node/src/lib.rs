//! # quarry-node
//!
//! The node owns consensus (header and block validation, ASERT difficulty, most-work fork choice),
//! the chain and its RocksDB store, the mempool, the SHA-256 miner, the libp2p network and the
//! Ethereum JSON-RPC server. The consensus core stays sans-IO: pure functions that the lab and the
//! tests can drive without a network or a disk.
//!
//! The consensus rules themselves (headers, ASERT, proof of work, fork choice, the block tree)
//! are the `quarry-consensus` crate's; this crate executes blocks ([`execution`]) and owns
//! everything with I/O.

pub mod dev;
pub mod engine;
pub mod execution;
pub mod explorer;
pub mod generate;
pub mod mempool;
pub mod miner;
pub mod p2p;
pub mod rpc;
pub mod service;
pub mod state;
pub mod store;
