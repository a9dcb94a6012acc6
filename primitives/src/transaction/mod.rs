//! Signed Ethereum transactions: legacy (unprotected and EIP-155), EIP-2930 (type 1) and
//! EIP-1559 (type 2), in the exact bytes Ethereum puts on the wire (EIP-2718 envelopes).
//!
//! Decoding is strict: canonical RLP only (no leading zeros, no overlong lengths), no trailing
//! bytes, integers within their field's width (`nonce` and `gasLimit` 64 bits, amounts 256
//! bits). Type 3 (EIP-4844 blob) and unknown types are refused. Every error names the field.

mod access_list;
mod error;
mod intrinsic;
mod signed;
mod types;

pub use access_list::{access_list_counts, AccessListItem};
pub use alloy_primitives::TxKind;
pub use error::TxError;
pub use intrinsic::*;
pub use signed::SignedTransaction;
pub use types::{Transaction, TxEip1559, TxEip2930, TxLegacy, TxType};
