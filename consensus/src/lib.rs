//! # quarry-consensus
//!
//! Quarry's consensus rules, sans-IO: pure functions and data structures from headers, blocks
//! and times to decisions. No database, no network, no clock, no EVM: callers pass in what the
//! rules need. The node's engine, the lab's Nakamoto model and the tests drive these same
//! functions.
//!
//! - [`spec`]: the chain spec's consensus parameters ([`ChainRules`]).
//! - [`header`]: header validation, each rule a small named check ([`validate_header`]).
//! - [`asert`]: the aserti3-2d difficulty adjustment.
//! - [`fork_choice`]: most cumulative work, first seen on ties.
//! - [`body`]: body rules that need no state (size, transactions root, stateless
//!   transaction checks and sender recovery).
//! - [`tree`]: the block tree that answers which blocks to disconnect and connect.
//!
//! What this crate must never do: execute transactions (that needs state: the node's
//! `execution` module), read a clock or touch a disk.

pub mod asert;
pub mod body;
pub mod fork_choice;
pub mod header;
pub mod spec;
pub mod tree;

pub use asert::{calculate_asert, next_bits, AsertParams};
pub use body::{BodyError, MAX_BLOCK_SIZE};
pub use fork_choice::{chain_work, fork_choice};
pub use header::{
    check_pow, header_work, median_time_past, next_base_fee, validate_header, HeaderError,
    MAX_FUTURE_DRIFT, MEDIAN_TIME_SPAN,
};
pub use spec::ChainRules;
pub use tree::{BlockTree, Inserted, OrphanPool, TipChange, TreeEntry, TreeError};
