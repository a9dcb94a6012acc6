//! Quarry's block header and its proof-of-work hashes.
//!
//! The header carries Ethereum's roots (transactions, receipts, state) and EIP-1559 fields so
//! proofs and tools line up with Ethereum, and Bitcoin's proof of work: a compact target `bits`
//! and a 64-bit `nonce`. See ARCHITECTURE.md "Consensus rules":
//!
//! - `seal_hash = SHA-256(rlp(header without nonce))`
//! - `pow_hash = SHA-256(SHA-256(seal_hash ‖ nonce as 8 big-endian bytes))`
//! - the block hash is `pow_hash`; the block is valid when `pow_hash ≤ target(bits)`.

use alloy_primitives::{Address, Bloom, Bytes, B256};
use alloy_rlp::{Decodable, Encodable, RlpDecodable, RlpEncodable};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::pow::{target_from_bits, BitsError};

/// Largest `extra_data` a header may carry, in bytes (as Ethereum's `MaximumExtraDataSize`).
pub const MAX_EXTRA_DATA_SIZE: usize = 32;

/// A block header. RLP: the fields below, in order, as one list.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, Hash, RlpEncodable, RlpDecodable, Serialize, Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct Header {
    /// `pow_hash` of the parent block; zero for genesis.
    pub parent_hash: B256,
    /// Receives the block subsidy and priority fees (Ethereum's `coinbase`/`miner`).
    pub beneficiary: Address,
    /// Root of the secure Merkle-Patricia trie of accounts after this block.
    pub state_root: B256,
    /// Root of the ordered trie of this block's transactions (key = RLP(index)).
    pub transactions_root: B256,
    /// Root of the ordered trie of this block's receipts.
    pub receipts_root: B256,
    /// Union of the logs blooms of every receipt (Yellow Paper §4.3.1, 2048 bits).
    pub logs_bloom: Bloom,
    /// Height: genesis is 0.
    pub number: u64,
    /// Most gas the block's transactions may use together.
    pub gas_limit: u64,
    /// Gas the block's transactions used.
    pub gas_used: u64,
    /// Seconds since the Unix epoch.
    pub timestamp: u64,
    /// Free bytes chosen by the miner, at most [`MAX_EXTRA_DATA_SIZE`].
    pub extra_data: Bytes,
    /// EIP-1559 base fee per gas, in wei; burned.
    pub base_fee_per_gas: u64,
    /// Target in Bitcoin's compact encoding (see [`crate::pow`]).
    pub bits: u32,
    /// The proof-of-work nonce.
    pub nonce: u64,
}

/// The header without its nonce: what the miner commits to before searching.
#[derive(RlpEncodable)]
struct SealFields<'a> {
    parent_hash: &'a B256,
    beneficiary: &'a Address,
    state_root: &'a B256,
    transactions_root: &'a B256,
    receipts_root: &'a B256,
    logs_bloom: &'a Bloom,
    number: u64,
    gas_limit: u64,
    gas_used: u64,
    timestamp: u64,
    extra_data: &'a Bytes,
    base_fee_per_gas: u64,
    bits: u32,
}

impl Header {
    /// SHA-256 of the RLP list of every field except `nonce`. Fixed for a block template; the
    /// miner varies only the nonce.
    pub fn seal_hash(&self) -> B256 {
        let fields = SealFields {
            parent_hash: &self.parent_hash,
            beneficiary: &self.beneficiary,
            state_root: &self.state_root,
            transactions_root: &self.transactions_root,
            receipts_root: &self.receipts_root,
            logs_bloom: &self.logs_bloom,
            number: self.number,
            gas_limit: self.gas_limit,
            gas_used: self.gas_used,
            timestamp: self.timestamp,
            extra_data: &self.extra_data,
            base_fee_per_gas: self.base_fee_per_gas,
            bits: self.bits,
        };
        let mut out = Vec::with_capacity(fields.length());
        fields.encode(&mut out);
        B256::from_slice(&Sha256::digest(&out))
    }

    /// The proof-of-work hash, which is also the block hash: see [`pow_hash`].
    pub fn hash(&self) -> B256 {
        pow_hash(&self.seal_hash(), self.nonce)
    }

    /// The target this header's `bits` encode.
    ///
    /// # Errors
    /// A `bits` value that is negative, overflows or is zero.
    pub fn target(&self) -> Result<alloy_primitives::U256, BitsError> {
        target_from_bits(self.bits)
    }

    /// The canonical RLP encoding.
    pub fn encoded(&self) -> Vec<u8> {
        alloy_rlp::encode(self)
    }

    /// Decodes canonical RLP, refusing trailing bytes.
    ///
    /// # Errors
    /// Any RLP error (non-canonical integers, wrong field count, short input, trailing bytes).
    pub fn decode_exact(bytes: &[u8]) -> Result<Self, alloy_rlp::Error> {
        let mut buf = bytes;
        let header = Self::decode(&mut buf)?;
        if !buf.is_empty() {
            return Err(alloy_rlp::Error::Custom("trailing bytes after header"));
        }
        Ok(header)
    }
}

/// `SHA-256(SHA-256(seal_hash ‖ nonce_be64))`: 40 bytes in, so the inner hash is a single
/// 64-byte SHA-256 block (Bitcoin's double SHA-256, over Quarry's seal).
pub fn pow_hash(seal_hash: &B256, nonce: u64) -> B256 {
    let mut input = [0u8; 40];
    input[..32].copy_from_slice(seal_hash.as_slice());
    input[32..].copy_from_slice(&nonce.to_be_bytes());
    let inner = Sha256::digest(input);
    B256::from_slice(&Sha256::digest(inner))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pow_hash_is_double_sha256_of_seal_hash_and_big_endian_nonce() {
        let seal = B256::repeat_byte(0xab);
        let mut input = seal.to_vec();
        input.extend_from_slice(&0x0102030405060708u64.to_be_bytes());
        let expected = Sha256::digest(Sha256::digest(&input));
        assert_eq!(pow_hash(&seal, 0x0102030405060708).as_slice(), &expected[..]);
    }

    #[test]
    fn the_seal_hash_ignores_the_nonce_but_the_block_hash_does_not() {
        let a = Header { number: 7, bits: 0x207fffff, nonce: 1, ..Default::default() };
        let b = Header { nonce: 2, ..a.clone() };
        assert_eq!(a.seal_hash(), b.seal_hash());
        assert_ne!(a.hash(), b.hash());
        let c = Header { timestamp: 1, ..a.clone() };
        assert_ne!(a.seal_hash(), c.seal_hash());
    }

    #[test]
    fn headers_refuse_trailing_bytes() {
        let mut bytes = Header::default().encoded();
        assert_eq!(Header::decode_exact(&bytes).unwrap(), Header::default());
        bytes.push(0);
        assert!(Header::decode_exact(&bytes).is_err());
    }
}
