//! Block templates: the block a miner works on, built off the engine from a published
//! [`ChainView`] and a copy of the mempool, executed once here. When a nonce is found the
//! executed block goes to the engine as it is ([`Template::seal`]), which re-checks only its
//! header rules and roots instead of executing it again.

use std::sync::Arc;

use alloy_primitives::{Address, Bytes, B256, U256};
use quarry_consensus::body::{receipts_root, transactions_root};
use quarry_consensus::next_base_fee;
use quarry_primitives::{Block, Header, SignedTransaction};
use tracing::debug;

use crate::engine::{ChainView, ExecutedBlock, RecoveredBlock, SealedBlock};
use crate::execution::block::{BlockError, BlockExecutor, BlockOutcome};
use crate::mempool::Mempool;
use crate::state::TrieError;

/// Why a template could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// Execution failed for a reason other than a transaction not fitting (a read error).
    #[error("executing the template: {0}")]
    Block(#[from] BlockError),
    /// A state trie node could not be read.
    #[error("computing the template's state root: {0}")]
    Trie(#[from] TrieError),
}

/// An executed block on top of a view's tip, waiting for its nonce.
#[derive(Clone, Debug)]
pub struct Template {
    /// The header to seal (nonce 0).
    pub header: Header,
    /// The transactions, in block order.
    pub transactions: Vec<SignedTransaction>,
    /// Their senders.
    pub senders: Vec<Address>,
    /// Their hashes.
    pub tx_hashes: Vec<B256>,
    /// What executing them produced.
    pub outcome: Arc<BlockOutcome>,
}

impl Template {
    /// The block with `header` (this template's header with a nonce that meets the target),
    /// as an executed block for the engine.
    pub fn seal(&self, header: Header) -> ExecutedBlock {
        let block = Block { header, transactions: self.transactions.clone() };
        ExecutedBlock {
            block: Arc::new(RecoveredBlock::from_parts(
                SealedBlock::seal(block),
                self.senders.clone(),
                self.tx_hashes.clone(),
            )),
            outcome: self.outcome.clone(),
        }
    }
}

/// Builds a block on top of `view`'s tip: the best pending transactions of `pool` by effective
/// tip (nonce order per sender) up to the gas limit, those that fail skipped with their
/// sender's later ones; subsidy and tips to `beneficiary`; the base fee burned. The timestamp
/// is `max(now, median time past + 1)` (seconds since the Unix epoch).
///
/// # Errors
/// [`TemplateError`].
pub fn build_template(
    view: &ChainView,
    pool: &Mempool,
    beneficiary: Address,
    extra_data: Bytes,
    now: u64,
) -> Result<Template, TemplateError> {
    let parent = view.tip();
    let rules = *view.rules();
    let mut header = Header {
        parent_hash: parent.hash,
        beneficiary,
        number: parent.header.number + 1,
        gas_limit: parent.header.gas_limit,
        timestamp: now.max(view.median_time_past() + 1),
        extra_data,
        base_fee_per_gas: next_base_fee(&parent.header),
        bits: rules.next_bits(&parent.header),
        ..Header::default()
    };
    let mut executor = BlockExecutor::new(&rules, &header);
    let mut transactions = Vec::new();
    let mut senders = Vec::new();
    let mut tx_hashes = Vec::new();
    let mut db = view.state();
    let state = view.state();
    let mut best = pool.best(&state, U256::from(header.base_fee_per_gas));
    while let Some(candidate) = best.next() {
        if candidate.tx.transaction().gas_limit() > executor.gas_left() {
            best.skip_sender();
            continue;
        }
        match executor.apply(&mut db, &candidate.tx, candidate.sender) {
            Ok(()) => {
                transactions.push(candidate.tx.clone());
                senders.push(candidate.sender);
                tx_hashes.push(candidate.tx.hash());
            }
            Err(error @ BlockError::Database(_)) => return Err(error.into()),
            Err(error) => {
                debug!(hash = %candidate.tx.hash(), %error, "left out of the template");
                best.skip_sender();
            }
        }
    }
    let outcome = executor.finish(&mut db, &rules)?;
    let mut tries = view.tries().clone();
    header.state_root = tries.apply(&outcome.changes, &view.reader())?.root;
    header.transactions_root = transactions_root(&transactions);
    header.receipts_root = receipts_root(&outcome.receipts);
    header.logs_bloom = outcome.logs_bloom;
    header.gas_used = outcome.gas_used;
    Ok(Template { header, transactions, senders, tx_hashes, outcome: Arc::new(outcome) })
}
