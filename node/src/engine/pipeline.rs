//! The stages a block passes through on its way into the chain, each a type (reth's
//! `SealedBlock` → `RecoveredBlock` → `ExecutedBlock`), so that no work is done twice:
//!
//! 1. [`SealedBlock`]: the block with its hash computed once.
//! 2. [`RecoveredBlock`]: the stateless body rules passed (size, transactions root, each
//!    transaction's chain id, signature and intrinsic gas) and every sender recovered — in
//!    parallel over the machine's cores, before any lock, by whoever hands the block in.
//! 3. [`ExecutedBlock`]: executed on its parent's state — by the engine, or by the miner that
//!    built it — with its receipts and state changes; the engine then checks the header's
//!    commitments and writes it in one batch.

use std::sync::Arc;

use alloy_primitives::{Address, B256};
use quarry_consensus::body::{check_transaction, check_transactions_root};
use quarry_consensus::{BodyError, ChainRules, MAX_BLOCK_SIZE};
use quarry_primitives::{Block, Header, SignedTransaction};
use rayon::prelude::*;

use crate::execution::block::BlockOutcome;

/// A block with its hash (the proof-of-work hash of its header) computed once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedBlock {
    block: Block,
    hash: B256,
}

impl SealedBlock {
    /// Seals `block`: hashes its header.
    pub fn seal(block: Block) -> Self {
        let hash = block.header.hash();
        SealedBlock { block, hash }
    }

    /// The block hash.
    pub fn hash(&self) -> B256 {
        self.hash
    }

    /// The header.
    pub fn header(&self) -> &Header {
        &self.block.header
    }

    /// The transactions.
    pub fn transactions(&self) -> &[SignedTransaction] {
        &self.block.transactions
    }

    /// The block.
    pub fn block(&self) -> &Block {
        &self.block
    }

    /// Gives back the block.
    pub fn into_block(self) -> Block {
        self.block
    }
}

/// A sealed block whose body passed every stateless rule, with each transaction's sender and
/// hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecoveredBlock {
    sealed: SealedBlock,
    senders: Vec<Address>,
    tx_hashes: Vec<B256>,
}

impl RecoveredBlock {
    /// Checks `sealed`'s body against the stateless rules and recovers its senders, spreading
    /// the signature recoveries over rayon's pool (every core).
    ///
    /// # Errors
    /// The sealed block back with the first [`BodyError`]: [`BodyError::TooLarge`],
    /// [`BodyError::TransactionsRoot`] or [`BodyError::Transaction`].
    pub fn recover(
        rules: &ChainRules,
        sealed: SealedBlock,
    ) -> Result<Self, Box<(SealedBlock, BodyError)>> {
        let size = alloy_rlp::Encodable::length(sealed.block());
        if size > MAX_BLOCK_SIZE {
            return Err(Box::new((sealed, BodyError::TooLarge { size })));
        }
        if let Err(error) = check_transactions_root(sealed.header(), sealed.transactions()) {
            return Err(Box::new((sealed, error)));
        }
        let checked: Result<Vec<(Address, B256)>, BodyError> = sealed
            .transactions()
            .par_iter()
            .enumerate()
            .map(|(index, tx)| Ok((check_transaction(rules, index, tx)?, tx.hash())))
            .collect();
        match checked {
            Ok(pairs) => {
                let (senders, tx_hashes) = pairs.into_iter().unzip();
                Ok(RecoveredBlock { sealed, senders, tx_hashes })
            }
            Err(error) => Err(Box::new((sealed, error))),
        }
    }

    /// A block whose senders and hashes are already known (the miner built it from pool
    /// transactions, whose senders the pool recovered). The caller guarantees they match.
    pub fn from_parts(sealed: SealedBlock, senders: Vec<Address>, tx_hashes: Vec<B256>) -> Self {
        debug_assert_eq!(senders.len(), sealed.transactions().len());
        RecoveredBlock { sealed, senders, tx_hashes }
    }

    /// The sealed block.
    pub fn sealed(&self) -> &SealedBlock {
        &self.sealed
    }

    /// The block hash.
    pub fn hash(&self) -> B256 {
        self.sealed.hash
    }

    /// The header.
    pub fn header(&self) -> &Header {
        self.sealed.header()
    }

    /// Each transaction's sender.
    pub fn senders(&self) -> &[Address] {
        &self.senders
    }

    /// Each transaction's hash.
    pub fn tx_hashes(&self) -> &[B256] {
        &self.tx_hashes
    }
}

/// A block executed on its parent's state: its receipts and state changes, ready to be
/// checked against the header and committed.
#[derive(Clone, Debug)]
pub struct ExecutedBlock {
    /// The block.
    pub block: Arc<RecoveredBlock>,
    /// What executing it produced.
    pub outcome: Arc<BlockOutcome>,
}
