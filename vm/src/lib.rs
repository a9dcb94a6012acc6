//! # quarry-vm
//!
//! The EVM interpreter (Cancun rules) and the state-transition function `transact`. It owns
//! execution only: no I/O, no block rewards, no persistence. State comes in through
//! [`Database`] and changes go out as data for the caller to commit.

pub mod database;
pub mod fixtures;
pub mod precompiles;
pub mod txtest;

pub use database::{AccountInfo, Database, KECCAK_EMPTY};
