//! # quarry-vm
//!
//! The EVM interpreter and the state-transition function. Under construction.
