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
//! - [`adversary`]: the Byzantine adversary's plans and strategies for corrupted processes
//!   (uses only [`sim`]); [`signature`]: the idealised unforgeable signatures the Byzantine
//!   protocols use.
//! - [`harness`]: run configuration, simulation with or without an adversary, run reports
//!   (uses [`sim`] and [`adversary`], never the protocols).
//! - [`protocols`]: the protocols, one module per family, each with its entries;
//!   [`registry`]: the one list of entries that `list`, `run`, `sweep` and `compare` read.
//! - [`shm`]: the shared-memory model (read/write/CAS registers, seeded scheduler) and its
//!   consensus algorithms, with consensus numbers by exhaustive search.
//! - [`compare`]: every applicable protocol on one scenario → `report.md` and SVG plots.
//!
//! The lab never does real I/O in a run: no sockets, no wall clock, no threads inside a
//! simulation. Only [`sweep`] (rayon, one run per task) and [`bench`] (wall-clock timing) look
//! outside, and neither changes what a run computes.

#![warn(missing_docs)]

pub mod adversary;
pub mod bench;
pub mod check;
pub mod compare;
pub mod harness;
pub mod protocol;
pub mod protocols;
pub mod registry;
pub mod shm;
pub mod signature;
pub mod sim;
pub mod sweep;
