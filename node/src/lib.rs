//! # quarry-node
//!
//! The node owns consensus (header and block validation, ASERT difficulty, most-work fork choice),
//! the chain and its RocksDB store, the mempool, the SHA-256 miner, the libp2p network and the
//! Ethereum JSON-RPC server. The consensus core stays sans-IO: pure functions that the lab and the
//! tests can drive without a network or a disk.
//!
//! Without the default `node` feature the crate is only the sans-IO part: [`consensus`],
//! [`mempool`], [`miner`] kernels and [`state`] tries (what the lab links).

#[cfg(feature = "node")]
pub mod chain;
pub mod consensus;
pub mod dev;
#[cfg(feature = "node")]
pub mod generate;
pub mod mempool;
pub mod miner;
#[cfg(feature = "node")]
pub mod p2p;
#[cfg(feature = "node")]
pub mod rpc;
#[cfg(feature = "node")]
pub mod service;
pub mod state;
#[cfg(feature = "node")]
pub mod store;
