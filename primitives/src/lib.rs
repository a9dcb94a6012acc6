//! # quarry-primitives
//!
//! The vocabulary every Quarry crate speaks. Under construction.
pub use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
