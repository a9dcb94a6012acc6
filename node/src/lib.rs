//! # quarry-node
//!
//! The node owns consensus (header and block validation, ASERT difficulty, most-work fork choice),
//! the chain and its RocksDB store, the mempool, the SHA-256 miner, the libp2p network and the
//! Ethereum JSON-RPC server. The consensus core stays sans-IO: pure functions that the lab and the
//! tests can drive without a network or a disk.
//!
//! Status: not built yet (issues "node core", "JSON-RPC and wallet", "peer-to-peer"). The crate
//! exists so the workspace has its final shape; it exports nothing.
