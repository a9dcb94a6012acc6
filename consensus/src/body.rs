//! Body rules that need no state: the size limit, the transactions root, and each
//! transaction's stateless validity (chain id, signature, intrinsic gas) with its sender.
//! Execution — nonces, balances, gas used, the receipts and state roots — is the node's
//! business (`quarry_node::execution`): those rules need the state.

use alloy_primitives::{Address, B256};
use quarry_primitives::{Header, Receipt, SignedTransaction, TxError};

use crate::spec::ChainRules;

/// Largest encoded block accepted from anyone, in bytes. Gas bounds a block's size long before
/// this (calldata costs at least 4 gas per byte); the limit stops oversized messages cheaply.
pub const MAX_BLOCK_SIZE: usize = 8 * 1024 * 1024;

/// Why a block body was refused before execution.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// The encoded block is larger than [`MAX_BLOCK_SIZE`].
    #[error("block is {size} bytes, more than the {MAX_BLOCK_SIZE}-byte limit")]
    TooLarge {
        /// Its encoded size.
        size: usize,
    },
    /// `transactions_root` does not commit to the body.
    #[error("transactions root {got} differs from the body's {computed}")]
    TransactionsRoot {
        /// Root of the body's transactions.
        computed: B256,
        /// The header's field.
        got: B256,
    },
    /// A transaction breaks a stateless rule (chain id, signature, intrinsic gas, …).
    #[error("transaction {index} ({hash}): {error}")]
    Transaction {
        /// Position in the block.
        index: usize,
        /// Its hash.
        hash: B256,
        /// The rule it breaks.
        error: Box<TxError>,
    },
}

impl BodyError {
    /// `true` when the body does not belong to its header (the transactions root or the size):
    /// the message is bad, not the block. A block's hash commits to its header only, so such
    /// a body must not mark the header's hash invalid, or a peer could poison a real block.
    pub fn is_body_mismatch(&self) -> bool {
        matches!(self, BodyError::TransactionsRoot { .. } | BodyError::TooLarge { .. })
    }
}

/// Root of the transactions trie: key `rlp(index)`, value the EIP-2718 encoding (Yellow
/// Paper §4.3, `transactionsRoot`).
pub fn transactions_root(transactions: &[SignedTransaction]) -> B256 {
    alloy_trie::root::ordered_trie_root_with_encoder(transactions, |tx, buf| {
        buf.extend_from_slice(&tx.encoded())
    })
}

/// Root of the receipts trie: key `rlp(index)`, value the EIP-2718 encoding (Yellow Paper
/// §4.3, `receiptsRoot`).
pub fn receipts_root(receipts: &[Receipt]) -> B256 {
    alloy_trie::root::ordered_trie_root_with_encoder(receipts, |receipt, buf| {
        buf.extend_from_slice(&receipt.encoded())
    })
}

/// Checks that `header.transactions_root` commits to `transactions`.
///
/// # Errors
/// [`BodyError::TransactionsRoot`].
pub fn check_transactions_root(
    header: &Header,
    transactions: &[SignedTransaction],
) -> Result<(), BodyError> {
    let computed = transactions_root(transactions);
    if computed != header.transactions_root {
        return Err(BodyError::TransactionsRoot { computed, got: header.transactions_root });
    }
    Ok(())
}

/// Checks transaction `index` of a block against the stateless rules (`rules.chain_id`,
/// EIP-155 replay protection unless the spec allows unprotected ones, signature, intrinsic
/// gas) and recovers its sender (secp256k1 `ecrecover`, EIP-2 low-s). This is the expensive
/// part of a body check; callers run it for many transactions in parallel.
///
/// # Errors
/// [`BodyError::Transaction`] naming the index, the hash and the rule.
pub fn check_transaction(
    rules: &ChainRules,
    index: usize,
    tx: &SignedTransaction,
) -> Result<Address, BodyError> {
    tx.validate_stateless(rules.chain_id, rules.allow_unprotected_txs)
        .and_then(|()| tx.recover_sender())
        .map_err(|error| BodyError::Transaction { index, hash: tx.hash(), error: Box::new(error) })
}
