//! # quarry-lab
//!
//! The consensus laboratory: a deterministic discrete-event simulator, the classical crash- and
//! Byzantine-fault protocols written as sans-IO state machines, property checkers that can fail,
//! and a comparison harness that runs every protocol on the same workloads and faults.
//!
//! - [`protocol`]: the sans-IO interface every protocol implements (start here).
//! - [`sim`]: the simulator: event queue, network and fault models, history and trace.
//! - [`check`]: checkers over recorded histories (consensus, broadcast, registers, SMR,
//!   linearizability).
//! - [`protocols`]: the protocols, and [`experiment`]: the registry the CLI runs them through.
//!
//! The lab never does real I/O in its library code: no sockets, no wall clock, no threads
//! (sweeps parallelise *runs*, each run is single-threaded and deterministic).

pub mod bench;
pub mod check;
pub mod experiment;
pub mod protocol;
pub mod protocols;
pub mod sim;
pub mod sweep;
