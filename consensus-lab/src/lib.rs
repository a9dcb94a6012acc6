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
//! - [`protocols`]: the protocols and their registry; [`experiment`]: what a registry entry is.
//! - [`byzantine`]: the adversary's strategies for corrupted processes; [`signature`]: the
//!   idealised unforgeable signatures the Byzantine protocols use.
//! - [`shm`]: the shared-memory model (read/write/CAS registers, seeded scheduler) and its
//!   consensus algorithms, with consensus numbers by exhaustive search.
//! - [`compare`]: every applicable protocol on one scenario → `report.md` and SVG plots.
//!
//! The lab never does real I/O in a run: no sockets, no wall clock, no threads inside a
//! simulation. Only [`sweep`] (rayon, one run per task) and [`bench`] (wall-clock timing) look
//! outside, and neither changes what a run computes.

#![warn(missing_docs)]

pub mod bench;
pub mod byzantine;
pub mod check;
pub mod compare;
pub mod experiment;
pub mod protocol;
pub mod protocols;
pub mod shm;
pub mod signature;
pub mod sim;
pub mod sweep;
