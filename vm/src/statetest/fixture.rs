//! The GeneralStateTests JSON shape, read as strings and converted to typed values on demand,
//! so that one malformed number (the > 2^256 value of `stTransactionTest/ValueOverflowParis`)
//! fails only the entries that use it.

use std::collections::BTreeMap;

use alloy_primitives::{hex, Address, Bytes, B256, U256};
use serde::Deserialize;

/// A malformed fixture value: which field, and the text that did not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("bad {field}: {value:?} ({why})")]
pub struct FixtureError {
    /// The JSON field.
    pub field: &'static str,
    /// The text found.
    pub value: String,
    /// What was wrong with it.
    pub why: &'static str,
}

impl FixtureError {
    fn new(field: &'static str, value: &str, why: &'static str) -> Self {
        Self { field, value: value.to_owned(), why }
    }
}

/// A `0x`-hex number, leading zeros allowed; `0x:bigint 0x…` (the fillers' big-integer marker)
/// is read the same way. Above 2^256 − 1 is an error.
pub fn parse_u256(field: &'static str, text: &str) -> Result<U256, FixtureError> {
    let t = text.trim().strip_prefix("0x:bigint ").unwrap_or(text.trim());
    let digits = t.strip_prefix("0x").ok_or_else(|| FixtureError::new(field, text, "no 0x"))?;
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return Ok(U256::ZERO);
    }
    if digits.len() > 64 {
        return Err(FixtureError::new(field, text, "exceeds 2^256 - 1"));
    }
    U256::from_str_radix(digits, 16).map_err(|_| FixtureError::new(field, text, "not hex"))
}

/// A `0x`-hex number that must fit 64 bits (nonces, gas, block number, timestamp).
pub fn parse_u64(field: &'static str, text: &str) -> Result<u64, FixtureError> {
    let value = parse_u256(field, text)?;
    u64::try_from(value).map_err(|_| FixtureError::new(field, text, "exceeds 2^64 - 1"))
}

/// `0x`-hex bytes (`0x` alone is empty).
pub fn parse_bytes(field: &'static str, text: &str) -> Result<Bytes, FixtureError> {
    hex::decode(text.trim()).map(Bytes::from).map_err(|_| FixtureError::new(field, text, "not hex"))
}

/// A 32-byte hash given as a `0x`-hex number (left-padded when shorter, as fillers write it).
pub fn parse_b256(field: &'static str, text: &str) -> Result<B256, FixtureError> {
    parse_u256(field, text).map(B256::from)
}

/// A 20-byte address.
pub fn parse_address(field: &'static str, text: &str) -> Result<Address, FixtureError> {
    text.trim().parse().map_err(|_| FixtureError::new(field, text, "not an address"))
}

/// One state test: `env`, `pre`, `transaction`, `post` (other keys such as `_info` ignored).
#[derive(Clone, Debug, Deserialize)]
pub struct StateTest {
    /// The block environment.
    pub env: Env,
    /// Accounts before the transaction, by address.
    pub pre: BTreeMap<String, PreAccount>,
    /// The transaction template; `post` entries pick from its arrays.
    pub transaction: Transaction,
    /// Expected results per fork name (`Cancun`, …).
    pub post: BTreeMap<String, Vec<PostEntry>>,
}

/// The `env` object (fields as in the fixtures, all hex strings).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Env {
    /// `currentCoinbase`: the block beneficiary.
    pub current_coinbase: String,
    /// `currentGasLimit`: the block gas limit.
    pub current_gas_limit: String,
    /// `currentNumber`: the block number.
    pub current_number: String,
    /// `currentTimestamp`: seconds since the epoch.
    pub current_timestamp: String,
    /// `currentBaseFee`: EIP-1559 base fee in wei (absent before London).
    pub current_base_fee: Option<String>,
    /// PREVRANDAO (EIP-4399); absent in pre-Merge fixtures, where `currentDifficulty` stands in.
    pub current_random: Option<String>,
    /// `currentDifficulty`: pre-Merge difficulty, PREVRANDAO's stand-in.
    pub current_difficulty: Option<String>,
    /// `currentExcessBlobGas`: EIP-4844 excess blob gas.
    pub current_excess_blob_gas: Option<String>,
}

/// One account of `pre`.
#[derive(Clone, Debug, Deserialize)]
pub struct PreAccount {
    /// Balance in wei.
    pub balance: String,
    /// Nonce (of the account, or carried by the transaction).
    pub nonce: String,
    /// Code as `0x`-hex (`0x` for none).
    pub code: String,
    /// Storage slot → value, both hex numbers.
    pub storage: BTreeMap<String, String>,
}

/// One entry of an access list in the fixtures.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessListEntry {
    /// The account to warm.
    pub address: String,
    /// Its storage keys to warm.
    pub storage_keys: Vec<String>,
}

/// The `transaction` template: `data`, `gasLimit`, `value` (and `accessLists`) are arrays that
/// `post[..].indexes` select from.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    /// Call data (or initcode) choices.
    pub data: Vec<String>,
    /// Gas limit choices.
    pub gas_limit: Vec<String>,
    /// Value choices in wei (one may exceed 2^256 on purpose).
    pub value: Vec<String>,
    /// Nonce (of the account, or carried by the transaction).
    pub nonce: String,
    /// Empty for a contract creation.
    pub to: String,
    /// The sender's secp256k1 secret key.
    pub secret_key: String,
    /// Gas price in wei (types 0 and 1).
    pub gas_price: Option<String>,
    /// EIP-1559 `maxFeePerGas` in wei (type 2).
    pub max_fee_per_gas: Option<String>,
    /// EIP-1559 `maxPriorityFeePerGas` in wei (type 2).
    pub max_priority_fee_per_gas: Option<String>,
    /// One access list per `data` index (an entry may be `null`); present for types 1 and 2.
    pub access_lists: Option<Vec<Option<Vec<AccessListEntry>>>>,
    /// Present only for blob (type 3) transactions, which Quarry refuses.
    pub blob_versioned_hashes: Option<Vec<String>>,
}

/// One expected result.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostEntry {
    /// State root after the transaction.
    pub hash: String,
    /// keccak256(RLP(logs)).
    pub logs: String,
    /// Which `data`, `gasLimit`, `value` the transaction uses.
    pub indexes: Indexes,
    /// Set when the transaction must be rejected (`TransactionException.…`).
    pub expect_exception: Option<String>,
}

/// Indexes into the transaction template's arrays.
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct Indexes {
    /// Index into `data` (and `accessLists`).
    pub data: usize,
    /// Index into `gasLimit`.
    pub gas: usize,
    /// Index into `value`.
    pub value: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_numbers_accept_leading_zeros_and_reject_overflow() {
        assert_eq!(parse_u256("v", "0x00").unwrap(), U256::ZERO);
        assert_eq!(parse_u256("v", "0x0001").unwrap(), U256::from(1));
        assert_eq!(parse_u256("v", &format!("0x{}", "f".repeat(64))).unwrap(), U256::MAX);
        let overflow =
            "0x:bigint 0x10000000000000000000000000000000000000000000000000000000000000001";
        assert!(parse_u256("value", overflow).is_err());
        assert!(parse_u64("gas", "0x010000000000000000").is_err());
        assert!(parse_u256("v", "12").is_err());
    }

    #[test]
    fn short_hashes_are_left_padded() {
        assert_eq!(parse_b256("random", "0x020000").unwrap(), B256::from(U256::from(0x20000)));
    }
}
