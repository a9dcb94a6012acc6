//! # quarry-tests
//!
//! End-to-end tests of the system as users meet it: real `quarry-node` processes on loopback
//! ports, driven by `quarry-wallet` and by unmodified ethers.js / web3.py, under real faults.
//!
//! Status: the end-to-end suites arrive with the node; the crate exists so the workspace has its
//! final shape.
