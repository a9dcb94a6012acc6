//! What the engine publishes after each commit: an immutable view of the chain (the tip, a
//! RocksDB snapshot, the tip's state tries), read by RPC, p2p, subscriptions and the block
//! template builder without taking any lock the engine holds.

use alloy_primitives::B256;
use quarry_consensus::{median_time_past, ChainRules};
use quarry_primitives::{Block, Header};

use super::chain::Tip;
use crate::state::{StateAt, StateBlock, StateTries};
use crate::store::{BlockReceipts, Reader, StoreError, StoreSnapshot};

/// Why the state of a block cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// No canonical block has this number.
    #[error("block {0} not found")]
    UnknownNumber(u64),
    /// No stored block has this hash.
    #[error("block {0} not found")]
    UnknownHash(B256),
    /// The block is not on the canonical chain; only canonical states are kept.
    #[error("block {0} is not on the canonical chain; its state is not kept")]
    NotCanonical(B256),
    /// The block is older than the state history the node keeps (`--history`).
    #[error(
        "state of block {requested} is not available: this node keeps state from block \
         {oldest} on (--history); use an archive node for older blocks"
    )]
    HistoryPruned {
        /// The block asked for.
        requested: u64,
        /// The oldest block whose state is kept.
        oldest: u64,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An immutable view of the chain as it was after one commit. Cheap to clone behind an `Arc`;
/// every read of one view sees the same chain, whatever the engine does meanwhile.
#[derive(Clone, Debug)]
pub struct ChainView {
    tip: Tip,
    snapshot: StoreSnapshot,
    tries: StateTries,
    rules: ChainRules,
    genesis_hash: B256,
    oldest_state: u64,
    recent_timestamps: Vec<u64>,
    orphans: usize,
}

impl ChainView {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        tip: Tip,
        snapshot: StoreSnapshot,
        tries: StateTries,
        rules: ChainRules,
        genesis_hash: B256,
        oldest_state: u64,
        recent_timestamps: Vec<u64>,
        orphans: usize,
    ) -> Self {
        ChainView {
            tip,
            snapshot,
            tries,
            rules,
            genesis_hash,
            oldest_state,
            recent_timestamps,
            orphans,
        }
    }

    /// The canonical tip.
    pub fn tip(&self) -> &Tip {
        &self.tip
    }

    /// The rules in force.
    pub fn rules(&self) -> &ChainRules {
        &self.rules
    }

    /// The genesis block's hash.
    pub fn genesis_hash(&self) -> B256 {
        self.genesis_hash
    }

    /// The tip's state tries (clone to compute roots of changed states, e.g. a template's).
    pub fn tries(&self) -> &StateTries {
        &self.tries
    }

    /// Blocks waiting for their parent when the view was made.
    pub fn orphan_count(&self) -> usize {
        self.orphans
    }

    /// The oldest block whose state can be read.
    pub fn oldest_state(&self) -> u64 {
        self.oldest_state
    }

    /// Reads through the view's snapshot.
    pub fn reader(&self) -> Reader<'_> {
        self.snapshot.reader()
    }

    /// The median of the timestamps of the tip and its ten ancestors: the next block's
    /// timestamp must exceed it (BIP-113).
    pub fn median_time_past(&self) -> u64 {
        median_time_past(&self.recent_timestamps)
    }

    /// The canonical block at `number`.
    ///
    /// # Errors
    /// Store errors.
    pub fn canonical_hash(&self, number: u64) -> Result<Option<B256>, StoreError> {
        if number > self.tip.header.number {
            return Ok(None);
        }
        self.reader().canonical_hash(number)
    }

    /// `true` if `hash` is on the canonical chain.
    ///
    /// # Errors
    /// Store errors.
    pub fn is_canonical(&self, hash: &B256, number: u64) -> Result<bool, StoreError> {
        Ok(self.canonical_hash(number)? == Some(*hash))
    }

    /// A stored header (any branch) and its chain work.
    ///
    /// # Errors
    /// Store errors.
    pub fn header(
        &self,
        hash: &B256,
    ) -> Result<Option<(Header, alloy_primitives::U256)>, StoreError> {
        self.reader().header(hash)
    }

    /// The canonical header at `number`.
    ///
    /// # Errors
    /// Store errors.
    pub fn header_by_number(&self, number: u64) -> Result<Option<Header>, StoreError> {
        let Some(hash) = self.canonical_hash(number)? else { return Ok(None) };
        Ok(self.header(&hash)?.map(|(h, _)| h))
    }

    /// A full stored block (any branch).
    ///
    /// # Errors
    /// Store errors.
    pub fn block(&self, hash: &B256) -> Result<Option<Block>, StoreError> {
        let reader = self.reader();
        let Some((header, _)) = reader.header(hash)? else { return Ok(None) };
        Ok(reader.body(hash)?.map(|transactions| Block { header, transactions }))
    }

    /// The receipts of block `hash` (canonical or not, if the node executed it).
    ///
    /// # Errors
    /// Store errors.
    pub fn receipts(&self, hash: &B256) -> Result<Option<BlockReceipts>, StoreError> {
        self.reader().receipts(hash)
    }

    /// Where a canonical transaction is: its block hash and index.
    ///
    /// # Errors
    /// Store errors.
    pub fn tx_location(&self, tx_hash: &B256) -> Result<Option<(B256, u32)>, StoreError> {
        self.reader().tx_location(tx_hash)
    }

    /// The state after the tip.
    pub fn state(&self) -> StateAt<'_> {
        StateAt::new(
            self.reader(),
            StateBlock {
                number: self.tip.header.number,
                hash: self.tip.hash,
                state_root: self.tip.header.state_root,
            },
            true,
        )
    }

    /// The state after canonical block `number`.
    ///
    /// # Errors
    /// [`StateError::UnknownNumber`] beyond the tip, [`StateError::HistoryPruned`] before the
    /// kept history, store errors.
    pub fn state_at_number(&self, number: u64) -> Result<StateAt<'_>, StateError> {
        if number == self.tip.header.number {
            return Ok(self.state());
        }
        if number < self.oldest_state {
            return Err(StateError::HistoryPruned { requested: number, oldest: self.oldest_state });
        }
        let hash = self.canonical_hash(number)?.ok_or(StateError::UnknownNumber(number))?;
        let (header, _) = self
            .header(&hash)?
            .ok_or(StoreError::Missing { family: "headers", key: hash.to_string() })?;
        Ok(StateAt::new(
            self.reader(),
            StateBlock { number, hash, state_root: header.state_root },
            false,
        ))
    }

    /// The state after the block `hash`, which must be canonical.
    ///
    /// # Errors
    /// [`StateError::UnknownHash`], [`StateError::NotCanonical`], as
    /// [`ChainView::state_at_number`].
    pub fn state_at_hash(&self, hash: &B256) -> Result<StateAt<'_>, StateError> {
        let (header, _) = self.header(hash)?.ok_or(StateError::UnknownHash(*hash))?;
        if !self.is_canonical(hash, header.number)? {
            return Err(StateError::NotCanonical(*hash));
        }
        self.state_at_number(header.number)
    }
}
