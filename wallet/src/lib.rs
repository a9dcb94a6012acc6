//! # quarry-wallet
//!
//! The wallet owns what a person holds: Web3 Secret Storage v3 keystores ([`keystore`],
//! [`keydir`]), the development mnemonic's keys ([`dev`]), transaction building and signing
//! ([`tx`], signing itself is `quarry_primitives`), ABI encoding from signature strings and
//! artifacts ([`abi`]), ether units ([`units`]) and a JSON-RPC client ([`rpc`]).
//!
//! It never depends on the node: it talks to any Ethereum JSON-RPC endpoint like any other
//! client. The oracle daemon reuses [`tx::Sender`], [`rpc::RpcClient`] and [`keystore`].

pub mod abi;
pub mod dev;
pub mod keydir;
pub mod keystore;
pub mod rpc;
pub mod tx;
pub mod units;
