//! # quarry-oracle
//!
//! Quarry's oracle brings facts from outside the chain (prices, weather, scores) on chain so
//! that a minority of faulty or malicious reporters cannot corrupt the answer. Two patterns,
//! after Chainlink (Ellis, Juels and Nazarov 2017; Breidenbach et al., "Chainlink 2.0", 2021):
//!
//! - **Data feeds (push)**: n reporters each observe their [`source`]s and submit
//!   `(roundId, answer)` to a `QuarryAggregator` contract, which closes a round at 2f + 1
//!   distinct reports with their median (n ≥ 3f + 1) and serves Chainlink's
//!   `AggregatorV3Interface`. [`feed`] decides when a reporter reports.
//! - **Request–response (pull)**: a consumer asks the `QuarryOracle` contract, which emits
//!   `OracleRequest`; [`requests`] watches those logs, fetches and fulfils once.
//!
//! The crate owns the reporter daemon, its [`config`], its persisted [`state`] and the
//! contracts' bindings and artifacts ([`contracts`]). It never depends on the node: it talks to
//! any Ethereum JSON-RPC endpoint through `quarry-wallet`'s client and signer.

pub mod config;
pub mod contracts;
pub mod decimal;
pub mod feed;
pub mod requests;
pub mod source;
pub mod state;
