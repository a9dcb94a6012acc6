//! The chain spec as consensus sees it: the parameters every header and block is judged by,
//! read from a geth-style `genesis.json` (`config.chainId`, `config.quarry.*`).

use alloy_primitives::U256;
use quarry_primitives::genesis::Genesis;
use quarry_primitives::pow::BitsError;
use quarry_primitives::Header;

use crate::asert::{next_bits, AsertParams};

/// The consensus parameters a header is judged by, derived from the chain spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainRules {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// Difficulty schedule.
    pub asert: AsertParams,
    /// Timestamp of the genesis block, ASERT's anchor, seconds since the Unix epoch.
    pub genesis_timestamp: u64,
    /// New coins paid to each block's beneficiary, in wei (`config.quarry.blockSubsidy`).
    pub block_subsidy: U256,
    /// Whether pre-EIP-155 legacy transactions are valid (`config.quarry.allowUnprotectedTxs`).
    pub allow_unprotected_txs: bool,
}

impl ChainRules {
    /// The rules of the chain described by `genesis`.
    ///
    /// # Errors
    /// A `bits` value in the spec that encodes no usable target.
    pub fn from_genesis(genesis: &Genesis) -> Result<Self, BitsError> {
        let pow = &genesis.config.quarry;
        Ok(ChainRules {
            chain_id: genesis.config.chain_id,
            asert: AsertParams::from_bits(
                pow.initial_bits,
                pow.pow_limit_bits(),
                pow.target_block_time,
                pow.asert_half_life,
            )?,
            genesis_timestamp: genesis.timestamp,
            block_subsidy: pow.block_subsidy,
            allow_unprotected_txs: pow.allow_unprotected_txs,
        })
    }

    /// The `bits` the child of `parent` must carry (ASERT, anchored at genesis).
    pub fn next_bits(&self, parent: &Header) -> u32 {
        next_bits(&self.asert, self.genesis_timestamp, parent.number, parent.timestamp)
    }
}
