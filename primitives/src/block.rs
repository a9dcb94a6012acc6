//! A block: a header and its transactions. RLP: `[header, [tx, …]]` (Quarry has no ommers).

use alloy_rlp::{Decodable, RlpDecodable, RlpEncodable};

use crate::header::Header;
use crate::transaction::SignedTransaction;

/// A block as miners seal it and peers send it.
#[derive(Clone, Debug, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct Block {
    /// The sealed header.
    pub header: Header,
    /// Transactions in execution order (typed ones wrapped as RLP strings, EIP-2718).
    pub transactions: Vec<SignedTransaction>,
}

impl Block {
    /// The canonical RLP encoding.
    pub fn encoded(&self) -> Vec<u8> {
        alloy_rlp::encode(self)
    }

    /// Decodes canonical RLP, refusing trailing bytes.
    ///
    /// # Errors
    /// Any RLP error, including a malformed transaction.
    pub fn decode_exact(bytes: &[u8]) -> Result<Self, alloy_rlp::Error> {
        let mut buf = bytes;
        let block = Self::decode(&mut buf)?;
        if !buf.is_empty() {
            return Err(alloy_rlp::Error::Custom("trailing bytes after block"));
        }
        Ok(block)
    }
}
