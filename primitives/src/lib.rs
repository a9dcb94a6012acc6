//! # quarry-primitives
//!
//! The vocabulary every Quarry crate speaks: Ethereum's value types (from `alloy-primitives`)
//! and canonical RLP (from `alloy-rlp`), signed transactions, Quarry's proof-of-work header and
//! block, receipts and logs, the genesis/chain spec, and the one `codec` for Quarry's own binary
//! records. It owns encodings and pure rules about them; it never does I/O beyond parsing bytes
//! handed to it, and never holds consensus state.

pub mod block;
pub mod codec;
pub mod crypto;
pub mod dev;
pub mod genesis;
pub mod header;
pub mod pow;
pub mod receipt;
pub mod transaction;

pub use alloy_primitives::{keccak256, Address, Bloom, Bytes, B256, U256};
pub use alloy_rlp as rlp;
pub use block::Block;
pub use header::Header;
pub use receipt::{Log, Receipt};
pub use transaction::{SignedTransaction, Transaction, TxError, TxType};
