//! # quarry-oracle
//!
//! The oracle owns bringing outside data on chain: reporters that observe sources and submit signed
//! observations, and the aggregator contracts that take the median of 2f+1 reports so that f lying
//! reporters cannot move the answer outside the honest range.
//!
//! Status: not built yet (issue "Oracle network"); it exports nothing.
