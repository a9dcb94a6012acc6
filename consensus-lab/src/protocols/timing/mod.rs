//! Time and timing assumptions: failure detectors and leader election (CGR §2.6), Lamport clocks
//! (Lamport 1978) and partial synchrony with a global stabilisation time (Dwork, Lynch & Stockmeyer
//! 1988).

pub mod fd;
pub mod lamport_clock;
pub mod partial_synchrony;
