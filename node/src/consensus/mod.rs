//! The consensus core, sans-IO: pure functions from headers, blocks and times to decisions.
//! No tokio, no database, no clock: callers pass in what the rules need. The node's services,
//! the lab's Nakamoto model and the tests all drive these same functions.

pub mod asert;
pub mod block;
pub mod fork_choice;
pub mod genesis;
pub mod header;

pub use asert::{calculate_asert, next_bits, AsertParams};
pub use fork_choice::{chain_work, fork_choice};
pub use header::{
    check_pow, header_work, median_time_past, next_base_fee, validate_header, ChainRules,
    HeaderError,
};
