//! # quarry-lab
//!
//! The consensus laboratory: a deterministic discrete-event simulator, the classical crash- and
//! Byzantine-fault protocols written as sans-IO state machines, property checkers that can fail,
//! and a comparison harness that runs every protocol on the same workloads and faults.
