//! # quarry-vm
//!
//! The EVM interpreter (Cancun rules) and the state-transition function `transact`. It owns
//! execution only: no I/O, no block rewards, no persistence. State comes in through
//! [`Database`] and changes go out as data for the caller to commit.
//!
//! Map: [`transact`] validates and settles a transaction; [`frame`] runs the stack of
//! call/create frames; [`interpreter`] runs one frame's bytecode through a 256-entry dispatch
//! table; [`journal`] records state changes so failed frames can be undone; [`gas`] holds the
//! cost schedule; [`run`] runs bare bytecode for `quarry-evm run`.

pub mod context;
pub mod database;
pub mod env;
pub mod fixtures;
pub mod frame;
pub mod gas;
pub mod interpreter;
pub mod journal;
pub mod precompiles;
pub mod result;
pub mod run;
pub mod statetest;
pub mod transact;
pub mod trie;
pub mod txtest;

pub use context::CodeCache;
pub use database::{AccountInfo, Database, KECCAK_EMPTY};
pub use env::{AccessListItem, BlockEnv, TxEnv};
pub use interpreter::{FrameEnter, FrameKind, Step, Tracer};
pub use result::{
    AccountChange, ExecutionOutcome, HaltReason, InvalidTransaction, Log, StateChanges, Status,
    TransactError,
};
pub use run::{run_code, JsonTracer, RunOutcome};
pub use transact::{transact, transact_with, transact_with_tracer};
