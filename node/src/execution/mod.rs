//! Block execution: what needs state. Transactions run through `quarry-vm` in order, the
//! subsidy is paid, and the header's commitments (gas used, receipts root, logs bloom, state
//! root) are checked against what execution produced. The stateless rules (headers, bodies,
//! fork choice) are `quarry-consensus`'s.

pub mod block;
pub mod genesis;
