//! The consensus core, sans-IO: pure functions from headers, blocks and times to decisions.
//! No tokio, no database, no clock: callers pass in what the rules need. The node's services,
//! the lab's Nakamoto model and the tests all drive these same functions.

pub mod asert;

pub use asert::{calculate_asert, next_bits, AsertParams};
