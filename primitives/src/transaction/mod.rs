//! Signed Ethereum transactions: legacy (unprotected and EIP-155), EIP-2930 (type 1) and
//! EIP-1559 (type 2), in the exact bytes Ethereum puts on the wire.

mod access_list;
mod intrinsic;

pub use access_list::{access_list_counts, AccessListItem};
pub use intrinsic::*;
