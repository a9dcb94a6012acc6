//! # quarry-wallet
//!
//! The wallet owns what a person holds: Web3 Secret Storage v3 keystores, transaction signing,
//! ABI encoding and a JSON-RPC client. It never depends on the node: it talks to it over JSON-RPC
//! like any other client, and the oracle daemon reuses its signing code.
//!
//! Status: not built yet (issue "JSON-RPC and the wallet CLI"); it exports nothing.
