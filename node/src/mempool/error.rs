//! Why the mempool refused a transaction, in geth's words (`core/txpool/errors.go`,
//! `core/error.go`) so that ethers.js, web3.py and cast recognise them.

use alloy_primitives::{B256, U256};
use quarry_primitives::TxError;

/// A refusal. `Display` starts with geth's message; the values follow.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// The same transaction (by hash) is already in the pool.
    #[error("already known")]
    AlreadyKnown(B256),
    /// The transaction's nonce is below the sender's account nonce.
    #[error("nonce too low: next nonce {state}, tx nonce {tx}")]
    NonceTooLow {
        /// Nonce of the sender's account at the tip.
        state: u64,
        /// Nonce of the transaction.
        tx: u64,
    },
    /// The sender cannot pay `gas_limit × max_fee + value`.
    #[error("insufficient funds for gas * price + value: balance {balance}, tx cost {cost}")]
    InsufficientFunds {
        /// The sender's balance in wei.
        balance: U256,
        /// `gas_limit × max_fee_per_gas + value` in wei.
        cost: U256,
    },
    /// A transaction with the same sender and nonce is present and the new one does not pay
    /// at least 10% more in both fee cap and tip.
    #[error(
        "replacement transaction underpriced: need fee cap ≥ {min_fee_cap} and tip ≥ {min_tip}"
    )]
    ReplacementUnderpriced {
        /// Smallest acceptable fee cap in wei.
        min_fee_cap: U256,
        /// Smallest acceptable tip in wei.
        min_tip: U256,
    },
    /// The tip is below the pool's minimum, or the pool is full of better-paying transactions.
    #[error("transaction underpriced: tip {tip}, minimum {min}")]
    Underpriced {
        /// The transaction's `max_priority_fee_per_gas` in wei.
        tip: U256,
        /// What it would need to pay.
        min: U256,
    },
    /// The gas limit is above the block gas limit: it could never be mined.
    #[error("exceeds block gas limit: tx gas {gas}, block gas limit {block_gas_limit}")]
    ExceedsBlockGasLimit {
        /// The transaction's gas limit.
        gas: u64,
        /// The block gas limit.
        block_gas_limit: u64,
    },
    /// The sender already has as many transactions as the per-sender limit allows.
    #[error("account limit exceeded: sender has {count} transactions, limit {limit}")]
    SenderLimit {
        /// Transactions the sender already has in the pool.
        count: usize,
        /// The per-sender limit.
        limit: usize,
    },
    /// The transaction breaks a stateless rule (chain id, intrinsic gas, fee overflow, …) or
    /// its signature recovers no sender.
    #[error("{}", stateless_message(.0))]
    Invalid(TxError),
}

/// geth's wording for the stateless refusals, followed by Quarry's detail.
fn stateless_message(err: &TxError) -> String {
    let geth = match err {
        TxError::ChainIdMismatch { .. } => "invalid chain id",
        TxError::IntrinsicGasTooLow { .. } => "intrinsic gas too low",
        TxError::TipAboveFeeCap { .. } => "max priority fee per gas higher than max fee per gas",
        TxError::InitcodeTooLarge { .. } => "max initcode size exceeded",
        TxError::Signature(_) => "invalid sender",
        TxError::UnprotectedNotAllowed => {
            "only replay-protected (EIP-155) transactions allowed over RPC"
        }
        TxError::NonceOverflow(_) => "nonce has max value",
        TxError::GasFeeOverflow { .. } => "fee cap very high",
        _ => "invalid transaction",
    };
    format!("{geth}: {err}")
}

impl From<TxError> for PoolError {
    fn from(err: TxError) -> Self {
        PoolError::Invalid(err)
    }
}
