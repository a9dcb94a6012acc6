//! The chain spec: a geth-style `genesis.json` plus Quarry's proof-of-work parameters.
//!
//! ```json
//! {
//!   "config": {
//!     "chainId": 1337,
//!     "quarry": { "initialBits": "0x207fffff", "targetBlockTime": 2,
//!                 "asertHalfLife": 120, "blockSubsidy": "2000000000000000000" }
//!   },
//!   "gasLimit": "0x1c9c380", "baseFeePerGas": "0x3b9aca00",
//!   "timestamp": "0x0", "extraData": "0x",
//!   "alloc": { "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266":
//!                { "balance": "0x21e19e0c9bab2400000", "nonce": "0x0", "code": "0x", "storage": {} } }
//! }
//! ```
//!
//! Numbers are accepted as JSON numbers, `0x` hex strings or decimal strings, as geth accepts
//! them. Unknown keys (geth's fork blocks, `difficulty`, `mixHash`, …) are ignored.

use std::collections::BTreeMap;

use alloy_primitives::{Address, Bytes, B256, U256};
use serde::{Deserialize, Deserializer, Serialize};

use crate::pow::{target_from_bits, BitsError};

/// Why a genesis file was refused.
#[derive(Debug, thiserror::Error)]
pub enum GenesisError {
    /// The JSON is malformed or a field has the wrong type or range (serde's message names
    /// the field and position).
    #[error("invalid genesis JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// `config.quarry.initialBits` does not encode a usable target.
    #[error("invalid config.quarry.initialBits: {0}")]
    InitialBits(#[from] BitsError),
    /// The genesis target is easier than the chain's pow limit.
    #[error("config.quarry.initialBits {initial_bits:#010x} is above powLimitBits {pow_limit_bits:#010x}")]
    InitialAboveLimit {
        /// `initialBits`.
        initial_bits: u32,
        /// `powLimitBits`.
        pow_limit_bits: u32,
    },
    /// A PoW timing parameter is zero.
    #[error("config.quarry.{0} must be greater than zero")]
    ZeroParameter(&'static str),
    /// `extraData` is longer than a header allows.
    #[error("extraData is {0} bytes; at most {max} allowed", max = crate::header::MAX_EXTRA_DATA_SIZE)]
    ExtraDataTooLong(usize),
}

/// Quarry's proof-of-work parameters (`config.quarry`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PowParams {
    /// Compact target of the genesis block and ASERT's anchor target.
    #[serde(deserialize_with = "de_u32")]
    pub initial_bits: u32,
    /// Ideal seconds between blocks (ASERT's `T`).
    #[serde(deserialize_with = "de_u64")]
    pub target_block_time: u64,
    /// Seconds of schedule deviation that double or halve the target (ASERT's `τ`).
    #[serde(deserialize_with = "de_u64")]
    pub asert_half_life: u64,
    /// New coins paid to each block's beneficiary, in wei.
    #[serde(deserialize_with = "de_u256")]
    pub block_subsidy: U256,
    /// Easiest target the chain allows, compact (ASERT clamps to it); defaults to
    /// `initial_bits`, so difficulty never falls below the genesis difficulty.
    #[serde(default, deserialize_with = "de_opt_u32", skip_serializing_if = "Option::is_none")]
    pub pow_limit_bits: Option<u32>,
    /// Whether pre-EIP-155 (unprotected) legacy transactions are valid on this chain.
    #[serde(default)]
    pub allow_unprotected_txs: bool,
}

impl PowParams {
    /// The pow limit in compact form: `pow_limit_bits`, or `initial_bits` when absent.
    pub fn pow_limit_bits(&self) -> u32 {
        self.pow_limit_bits.unwrap_or(self.initial_bits)
    }
}

/// `config` of a genesis file: the chain id and Quarry's parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainConfig {
    /// EIP-155 chain id.
    #[serde(deserialize_with = "de_u64")]
    pub chain_id: u64,
    /// Proof-of-work parameters.
    pub quarry: PowParams,
}

/// One pre-funded account of `alloc`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisAccount {
    /// Balance in wei.
    #[serde(deserialize_with = "de_u256")]
    pub balance: U256,
    /// Nonce (default 0).
    #[serde(default, deserialize_with = "de_u64")]
    pub nonce: u64,
    /// Contract code (default none).
    #[serde(default)]
    pub code: Bytes,
    /// Storage slots (default none).
    #[serde(default)]
    pub storage: BTreeMap<B256, B256>,
}

/// A parsed genesis file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Genesis {
    /// Chain id and PoW parameters.
    pub config: ChainConfig,
    /// Gas limit of the genesis block (and the starting point for later ones).
    #[serde(deserialize_with = "de_u64")]
    pub gas_limit: u64,
    /// EIP-1559 base fee of the genesis block, in wei (default 1 gwei, as geth's).
    #[serde(default = "default_base_fee", deserialize_with = "de_u64")]
    pub base_fee_per_gas: u64,
    /// Genesis timestamp, seconds since the Unix epoch (default 0).
    #[serde(default, deserialize_with = "de_u64")]
    pub timestamp: u64,
    /// Genesis extra data (default empty).
    #[serde(default)]
    pub extra_data: Bytes,
    /// Beneficiary of the genesis block (default zero).
    #[serde(default)]
    pub coinbase: Address,
    /// Pre-funded accounts.
    #[serde(default)]
    pub alloc: BTreeMap<Address, GenesisAccount>,
}

fn default_base_fee() -> u64 {
    1_000_000_000
}

impl Genesis {
    /// Parses and checks a genesis JSON document.
    ///
    /// # Errors
    /// [`GenesisError`] naming the bad field.
    pub fn from_json(json: &str) -> Result<Self, GenesisError> {
        let genesis: Genesis = serde_json::from_str(json)?;
        genesis.validate()?;
        Ok(genesis)
    }

    /// Checks the values serde cannot: a usable initial target, non-zero timing parameters,
    /// extra data within the header limit.
    ///
    /// # Errors
    /// [`GenesisError`] naming the bad field.
    pub fn validate(&self) -> Result<(), GenesisError> {
        let pow = &self.config.quarry;
        let initial = target_from_bits(pow.initial_bits)?;
        let limit = target_from_bits(pow.pow_limit_bits())?;
        if initial > limit {
            return Err(GenesisError::InitialAboveLimit {
                initial_bits: pow.initial_bits,
                pow_limit_bits: pow.pow_limit_bits(),
            });
        }
        if pow.target_block_time == 0 {
            return Err(GenesisError::ZeroParameter("targetBlockTime"));
        }
        if pow.asert_half_life == 0 {
            return Err(GenesisError::ZeroParameter("asertHalfLife"));
        }
        if self.extra_data.len() > crate::header::MAX_EXTRA_DATA_SIZE {
            return Err(GenesisError::ExtraDataTooLong(self.extra_data.len()));
        }
        Ok(())
    }
}

/// A JSON number, a `0x` hex string or a decimal string.
#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrString {
    Number(u64),
    String(String),
}

fn parse_u256<E: serde::de::Error>(value: NumberOrString) -> Result<U256, E> {
    match value {
        NumberOrString::Number(n) => Ok(U256::from(n)),
        NumberOrString::String(s) => {
            let parsed = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                Some(hex) if !hex.is_empty() => U256::from_str_radix(hex, 16),
                Some(_) => Ok(U256::ZERO),
                None => U256::from_str_radix(&s, 10),
            };
            parsed.map_err(|e| E::custom(format!("invalid number {s:?}: {e}")))
        }
    }
}

fn de_u256<'de, D: Deserializer<'de>>(d: D) -> Result<U256, D::Error> {
    parse_u256(NumberOrString::deserialize(d)?)
}

fn de_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let value = de_u256(d)?;
    value
        .try_into()
        .map_err(|_| serde::de::Error::custom(format!("{value} does not fit in 64 bits")))
}

fn de_opt_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    de_u32(d).map(Some)
}

fn de_u32<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let value = de_u256(d)?;
    value
        .try_into()
        .map_err(|_| serde::de::Error::custom(format!("{value} does not fit in 32 bits")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEV: &str = r#"{
        "config": { "chainId": 1337, "homesteadBlock": 0,
          "quarry": { "initialBits": "0x207fffff", "targetBlockTime": 2,
                      "asertHalfLife": "120", "blockSubsidy": "2000000000000000000" } },
        "difficulty": "0x1", "gasLimit": "0x1c9c380", "timestamp": 0, "extraData": "0x7175",
        "alloc": {
          "f39fd6e51aad88f6f4ce6ab8827279cfffb92266": { "balance": "0x21e19e0c9bab2400000" },
          "0x5FbDB2315678afecb367f032d93F642f64180aa3": {
            "balance": "0", "nonce": "0x01", "code": "0x6000",
            "storage": { "0x0000000000000000000000000000000000000000000000000000000000000001":
                         "0x0000000000000000000000000000000000000000000000000000000000000002" } } }
    }"#;

    #[test]
    fn a_geth_style_genesis_with_quarry_parameters_parses() {
        let g = Genesis::from_json(DEV).unwrap();
        assert_eq!(g.config.chain_id, 1337);
        assert_eq!(g.config.quarry.initial_bits, 0x207fffff);
        assert_eq!(g.config.quarry.asert_half_life, 120);
        assert_eq!(g.config.quarry.block_subsidy, U256::from(2_000_000_000_000_000_000u64));
        assert_eq!(g.gas_limit, 30_000_000);
        assert_eq!(g.base_fee_per_gas, 1_000_000_000);
        assert_eq!(g.extra_data.as_ref(), b"qu");
        assert_eq!(g.alloc.len(), 2);
        let contract =
            &g.alloc[&"0x5FbDB2315678afecb367f032d93F642f64180aa3".parse::<Address>().unwrap()];
        assert_eq!(contract.nonce, 1);
        assert_eq!(contract.code.as_ref(), &[0x60, 0x00]);
        assert_eq!(contract.storage.len(), 1);
    }

    #[test]
    fn bad_values_are_refused_with_the_field_named() {
        let zero_bits = DEV.replace("0x207fffff", "0x00000000");
        assert!(matches!(Genesis::from_json(&zero_bits), Err(GenesisError::InitialBits(_))));
        let above = DEV.replace(
            "\"targetBlockTime\"",
            "\"powLimitBits\": \"0x1f00ffff\", \"targetBlockTime\"",
        );
        let err = Genesis::from_json(&above).unwrap_err();
        assert!(matches!(err, GenesisError::InitialAboveLimit { .. }), "{err}");
        let zero_time = DEV.replace("\"targetBlockTime\": 2", "\"targetBlockTime\": 0");
        let err = Genesis::from_json(&zero_time).unwrap_err();
        assert!(err.to_string().contains("targetBlockTime"), "{err}");
        let huge = DEV.replace("\"0x1c9c380\"", "\"0x10000000000000000\"");
        let err = Genesis::from_json(&huge).unwrap_err();
        assert!(err.to_string().contains("64 bits"), "{err}");
    }
}
