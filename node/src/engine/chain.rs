//! The chain the engine owns: the block tree, the store, the tip's state tries, the blocks
//! found invalid and the orphans. Every block enters through [`Chain::import`], a pipeline of
//! small named steps in the shape of grin's `chain/src/pipe.rs`:
//!
//! 1. `check_known` — already held, or a known-invalid block or child of one;
//! 2. `check_parent` — unknown parent: wait in the orphan pool;
//! 3. `validate_header` — the header rules against the parent (quarry-consensus);
//! 4. `add_to_tree` — cumulative work, fork choice;
//! 5. a block extending the tip with the most work is executed and committed in one batch
//!    (`connect`); any other block is stored as a side block, and when its branch becomes the
//!    best the chain reorganises (`update_tip`: `disconnect` to the fork, `connect` forward);
//! 6. orphans waiting for the block follow it in.
//!
//! A block that fails execution or the header's commitments is marked invalid with its
//! descendants, and the chain stays on (or returns to) the best valid branch.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use alloy_primitives::B256;
use alloy_trie::EMPTY_ROOT_HASH;
use quarry_consensus::body::check_transactions_root;
use quarry_consensus::{
    header_work, median_time_past, validate_header, BlockTree, BodyError, ChainRules, HeaderError,
    Inserted, OrphanPool, TreeError, MEDIAN_TIME_SPAN,
};
use quarry_primitives::genesis::Genesis;
use quarry_primitives::{Block, Header};

use super::pipeline::{ExecutedBlock, RecoveredBlock, SealedBlock};
use crate::execution::block::{check_outcome, execute_block, BlockError, BlockOutcome};
use crate::execution::genesis::genesis_block;
use crate::state::{NoNodes, StateAt, StateBlock, StateTries, TrieError};
use crate::store::{BlockCommit, BlockReceipts, Store, StoreError};

/// Most blocks held while waiting for their parent.
pub const MAX_ORPHANS: usize = 256;

/// How much state history the node keeps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HistoryMode {
    /// The state of every block (an archive node; the default).
    #[default]
    Archive,
    /// The change sets of the last N blocks: the state of blocks tip − N … tip is readable,
    /// and the chain can reorganise at most N blocks deep (`--history N`; geth keeps 128).
    Recent(u64),
}

/// Why the chain refused a block or failed.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The header breaks a rule.
    #[error("invalid header of block {hash}: {error}")]
    Header {
        /// The block's hash.
        hash: B256,
        /// The rule.
        error: HeaderError,
    },
    /// The body or its execution breaks a rule.
    #[error("invalid block {hash}: {error}")]
    Block {
        /// The block's hash.
        hash: B256,
        /// The rule.
        error: BlockError,
    },
    /// The block, or an ancestor, was already found invalid.
    #[error("block {hash} is known to be invalid")]
    KnownInvalid {
        /// The block's hash.
        hash: B256,
    },
    /// A reorganisation would have to undo blocks whose change sets were pruned.
    #[error(
        "cannot reorganise {depth} blocks deep: the node keeps the state history of the last \
         {limit} blocks only (--history)"
    )]
    ReorgBeyondHistory {
        /// Blocks the reorganisation would disconnect.
        depth: u64,
        /// The history kept.
        limit: u64,
    },
    /// The store failed; the block was not judged.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A state trie node could not be read; the block was not judged.
    #[error("state trie: {0}")]
    Trie(#[from] TrieError),
    /// The datadir holds another chain than the genesis given.
    #[error("datadir holds chain with genesis {stored}, not {expected} from the genesis file")]
    GenesisMismatch {
        /// The store's genesis hash.
        stored: B256,
        /// The genesis file's hash.
        expected: B256,
    },
    /// The stored state does not match the tip header: the store is corrupt.
    #[error("state root {computed} of the store differs from tip {tip}'s {expected}")]
    StateMismatch {
        /// Tip hash.
        tip: B256,
        /// The tip header's state root.
        expected: B256,
        /// The root found.
        computed: B256,
    },
    /// The chain spec is unusable.
    #[error("chain spec: {0}")]
    Spec(String),
}

impl ChainError {
    /// `true` when the block itself is at fault (so whoever sent it may be penalised).
    pub fn is_invalid_block(&self) -> bool {
        match self {
            ChainError::Header { error, .. } => {
                !matches!(error, HeaderError::TimestampInFuture { .. })
            }
            ChainError::Block { error, .. } => error.is_consensus_failure(),
            ChainError::KnownInvalid { .. } => true,
            _ => false,
        }
    }
}

/// A block that joined or left the canonical chain, with what readers need of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommittedBlock {
    /// Its hash.
    pub hash: B256,
    /// The block.
    pub block: Block,
    /// Its transactions' hashes.
    pub tx_hashes: Vec<B256>,
    /// Its receipts, senders and created contracts.
    pub receipts: BlockReceipts,
}

/// What importing a block did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Imported {
    /// Already known.
    Duplicate,
    /// Its parent is unknown; it waits in the orphan pool.
    Orphan,
    /// Stored on a branch with less work than the canonical one.
    SideChain,
    /// The canonical chain changed: blocks disconnected (old tip first) and connected (oldest
    /// first). Without a reorganisation `disconnected` is empty.
    NewTip {
        /// Blocks removed from the canonical chain, newest first.
        disconnected: Vec<Arc<CommittedBlock>>,
        /// Blocks added, oldest first.
        connected: Vec<Arc<CommittedBlock>>,
    },
}

impl Imported {
    fn merge(self, later: Imported) -> Imported {
        match (self, later) {
            (
                Imported::NewTip { disconnected: mut d, connected: mut c },
                Imported::NewTip { disconnected, connected },
            ) => {
                for block in disconnected {
                    match c.iter().position(|b| b.hash == block.hash) {
                        Some(pos) => drop(c.remove(pos)),
                        None => d.push(block),
                    }
                }
                c.extend(connected);
                Imported::NewTip { disconnected: d, connected: c }
            }
            (earlier @ Imported::NewTip { .. }, _) => earlier,
            (_, later) => later,
        }
    }
}

/// The canonical tip as callers see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tip {
    /// Its hash.
    pub hash: B256,
    /// Its header.
    pub header: Header,
    /// Cumulative work of the chain ending in it.
    pub work: alloy_primitives::U256,
}

/// A block as handed to the engine: recovered, or refused by the stateless body rules.
#[derive(Debug)]
pub enum Prepared {
    /// Passed the stateless rules.
    Recovered(RecoveredBlock),
    /// Failed them (the engine remembers it as invalid unless the body merely does not match
    /// its header).
    Rejected {
        /// The block.
        block: SealedBlock,
        /// The rule.
        error: BodyError,
    },
}

impl Prepared {
    /// Runs the stateless stage on `sealed`.
    pub fn recover(rules: &ChainRules, sealed: SealedBlock) -> Prepared {
        match RecoveredBlock::recover(rules, sealed) {
            Ok(block) => Prepared::Recovered(block),
            Err(rejected) => {
                let (block, error) = *rejected;
                Prepared::Rejected { block, error }
            }
        }
    }
}

/// The chain. See the module docs.
#[derive(Debug)]
pub struct Chain {
    rules: ChainRules,
    store: Store,
    tree: BlockTree<B256, Header>,
    tries: StateTries,
    invalid: HashMap<B256, String>,
    orphans: OrphanPool<B256, Arc<RecoveredBlock>>,
    genesis_hash: B256,
    history: HistoryMode,
}

impl Chain {
    /// Opens the chain in `datadir`, initialising it from `genesis` when empty. On an existing
    /// store: checks it belongs to `genesis`, reloads the block tree from the stored headers,
    /// opens the tip's state trie at its root (reading nothing else: nodes load as blocks
    /// touch them) and finishes any reorganisation a crash interrupted.
    ///
    /// # Errors
    /// [`ChainError::GenesisMismatch`], [`ChainError::StateMismatch`] (the tip's state root
    /// is not in the store), store errors.
    pub fn open(
        datadir: &Path,
        genesis: &Genesis,
        history: HistoryMode,
    ) -> Result<Chain, ChainError> {
        let rules =
            ChainRules::from_genesis(genesis).map_err(|e| ChainError::Spec(e.to_string()))?;
        let store = Store::open(datadir)?;
        let (genesis_header, genesis_changes) = genesis_block(genesis);
        let genesis_hash = genesis_header.hash();
        let genesis_work = header_work(&genesis_header).unwrap_or_default();
        match store.latest().genesis_hash()? {
            None => {
                let update =
                    StateTries::at_root(EMPTY_ROOT_HASH).apply(&genesis_changes, &NoNodes)?;
                if update.root != genesis_header.state_root {
                    return Err(ChainError::StateMismatch {
                        tip: genesis_hash,
                        expected: genesis_header.state_root,
                        computed: update.root,
                    });
                }
                store.init_genesis(
                    &genesis_header,
                    genesis_work,
                    &genesis_changes,
                    &update.nodes,
                )?;
            }
            Some(stored) if stored != genesis_hash => {
                return Err(ChainError::GenesisMismatch { stored, expected: genesis_hash })
            }
            Some(_) => {}
        }
        let mut tree = BlockTree::new(genesis_hash, genesis_work, genesis_header.clone());
        for (hash, header, _) in store.latest().all_headers()? {
            if hash == genesis_hash {
                continue;
            }
            let work = header_work(&header).unwrap_or_default();
            let parent = header.parent_hash;
            match tree.insert(hash, parent, work, header) {
                Ok(_) => {}
                // A header whose parent is missing cannot be reached; skip it.
                Err(TreeError::UnknownParent { .. }) => {}
                Err(e) => return Err(ChainError::Spec(format!("rebuilding the block tree: {e}"))),
            }
        }
        let tip = store.latest().tip()?.unwrap_or(genesis_hash);
        if !tree.contains(&tip) {
            return Err(StoreError::Missing { family: "headers", key: tip.to_string() }.into());
        }
        let plan = tree.plan(tip);
        tree.apply(&plan);
        let state_root = tree.tip_entry().meta.state_root;
        if state_root != EMPTY_ROOT_HASH && store.latest().trie_node(&state_root)?.is_none() {
            return Err(ChainError::StateMismatch {
                tip,
                expected: state_root,
                computed: EMPTY_ROOT_HASH,
            });
        }
        let mut chain = Chain {
            rules,
            store,
            tree,
            tries: StateTries::at_root(state_root),
            invalid: HashMap::new(),
            orphans: OrphanPool::new(MAX_ORPHANS),
            genesis_hash,
            history,
        };
        // A crash between storing a better branch and connecting it leaves work to finish.
        chain.update_tip()?;
        Ok(chain)
    }

    /// The rules in force.
    pub fn rules(&self) -> &ChainRules {
        &self.rules
    }

    /// The store (the engine's own reads and snapshots for views).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The block tree.
    pub fn tree(&self) -> &BlockTree<B256, Header> {
        &self.tree
    }

    /// The genesis block's hash.
    pub fn genesis_hash(&self) -> B256 {
        self.genesis_hash
    }

    /// The history kept.
    pub fn history(&self) -> HistoryMode {
        self.history
    }

    /// The tip's state tries.
    pub fn tries(&self) -> &StateTries {
        &self.tries
    }

    /// The canonical tip.
    pub fn tip(&self) -> Tip {
        let entry = self.tree.tip_entry();
        Tip { hash: self.tree.tip(), header: entry.meta.clone(), work: entry.chain_work }
    }

    /// Number of blocks waiting for their parent.
    pub fn orphan_count(&self) -> usize {
        self.orphans.len()
    }

    /// The reason `hash` was found invalid, if it was.
    pub fn invalid_reason(&self, hash: &B256) -> Option<&str> {
        self.invalid.get(hash).map(String::as_str)
    }

    /// Timestamps of `hash` and up to ten ancestors, oldest first.
    pub fn recent_timestamps(&self, hash: B256) -> Vec<u64> {
        let mut out: Vec<u64> = self
            .tree
            .ancestors(hash)
            .take(MEDIAN_TIME_SPAN)
            .map(|(_, e)| e.meta.timestamp)
            .collect();
        out.reverse();
        out
    }

    /// The median of the last 11 timestamps ending at the tip: a new block's timestamp must
    /// exceed it.
    pub fn median_time_past(&self) -> u64 {
        median_time_past(&self.recent_timestamps(self.tree.tip()))
    }

    /// Imports a block that went through the stateless stage, and moves the canonical chain to
    /// the most-work valid branch. `now` is the local clock, seconds since the Unix epoch.
    ///
    /// # Errors
    /// [`ChainError::Header`] / [`ChainError::Block`] for a block breaking a rule (it and its
    /// descendants are remembered as invalid), [`ChainError::KnownInvalid`], store errors.
    pub fn import(&mut self, block: Prepared, now: u64) -> Result<Imported, ChainError> {
        match block {
            Prepared::Recovered(block) => self.import_recovered(Arc::new(block), None, now),
            Prepared::Rejected { block, error } => {
                let hash = block.hash();
                if self.tree.contains(&hash) {
                    return Ok(Imported::Duplicate);
                }
                Err(self.reject(hash, BlockError::Body(error)))
            }
        }
    }

    /// Seals `block`, runs the stateless stage on it and imports it: [`Chain::import`] for a
    /// caller holding the chain itself (tests, tools).
    ///
    /// # Errors
    /// As [`Chain::import`].
    pub fn import_block(&mut self, block: Block, now: u64) -> Result<Imported, ChainError> {
        let prepared = Prepared::recover(&self.rules, SealedBlock::seal(block));
        self.import(prepared, now)
    }

    /// Imports a block this node mined: executed already by the template builder, so only its
    /// header rules and commitments (transactions, receipts and state roots, gas used, bloom)
    /// are checked before it is committed. If the tip moved meanwhile it is imported like any
    /// other block.
    ///
    /// # Errors
    /// As [`Chain::import`].
    pub fn import_executed(
        &mut self,
        block: ExecutedBlock,
        now: u64,
    ) -> Result<Imported, ChainError> {
        let hash = block.block.hash();
        if let Err(error) =
            check_transactions_root(block.block.header(), block.block.sealed().transactions())
        {
            return Err(self.reject(hash, BlockError::Body(error)));
        }
        self.import_recovered(block.block, Some(block.outcome), now)
    }

    fn import_recovered(
        &mut self,
        block: Arc<RecoveredBlock>,
        executed: Option<Arc<BlockOutcome>>,
        now: u64,
    ) -> Result<Imported, ChainError> {
        let hash = block.hash();
        let parent_hash = block.header().parent_hash;
        // check_known
        if self.tree.contains(&hash) || self.orphans.contains(&hash) {
            return Ok(Imported::Duplicate);
        }
        if self.invalid.contains_key(&hash) || self.invalid.contains_key(&parent_hash) {
            self.invalid.entry(hash).or_insert_with(|| "descends from an invalid block".into());
            return Err(ChainError::KnownInvalid { hash });
        }
        // check_parent
        let Some(parent) = self.tree.get(&parent_hash) else {
            self.orphans.insert(hash, parent_hash, block);
            return Ok(Imported::Orphan);
        };
        // validate_header
        let recent = self.recent_timestamps(parent_hash);
        if let Err(error) = validate_header(&self.rules, block.header(), &parent.meta, &recent, now)
        {
            if !matches!(error, HeaderError::TimestampInFuture { .. }) {
                self.invalid.insert(hash, error.to_string());
            }
            return Err(ChainError::Header { hash, error });
        }
        // add_to_tree
        let work = header_work(block.header()).unwrap_or_default();
        let inserted = match self.tree.insert(hash, parent_hash, work, block.header().clone()) {
            Ok(inserted) => inserted,
            Err(TreeError::InvalidParent { .. }) => {
                self.invalid.insert(hash, "descends from an invalid block".into());
                return Err(ChainError::KnownInvalid { hash });
            }
            Err(e) => return Err(ChainError::Spec(e.to_string())),
        };
        let extends_tip = parent_hash == self.tree.tip();
        let mut result = match inserted {
            Inserted::Duplicate => return Ok(Imported::Duplicate),
            Inserted::Added { best: true } if extends_tip => {
                match self.connect(block.clone(), executed, true) {
                    Ok(committed) => Ok(Imported::NewTip {
                        disconnected: Vec::new(),
                        connected: vec![committed],
                    }),
                    Err(ChainError::Block { hash, error }) if error.is_consensus_failure() => {
                        self.tree.mark_invalid(hash);
                        Err(self.reject(hash, error))
                    }
                    Err(e) => Err(e),
                }
            }
            Inserted::Added { best } => {
                let entry = self.tree.get(&hash).expect("just inserted");
                let chain_work = entry.chain_work;
                self.store.put_block(
                    block.header(),
                    hash,
                    chain_work,
                    block.sealed().transactions(),
                )?;
                if best {
                    self.update_tip()
                } else {
                    Ok(Imported::SideChain)
                }
            }
        };
        // Children that were waiting for this block.
        for (_, child) in self.orphans.take_children(&hash) {
            if let Ok(imported @ Imported::NewTip { .. }) = self.import_recovered(child, None, now)
            {
                result = Ok(match result {
                    Ok(earlier) => earlier.merge(imported),
                    Err(_) => imported,
                });
            }
        }
        result
    }

    /// Remembers `hash` as invalid unless the body merely does not belong to the header (a
    /// bad message, not a bad block: the hash commits to the header only, and must not be
    /// poisoned for the real block) or the failure was local (a read error).
    fn reject(&mut self, hash: B256, error: BlockError) -> ChainError {
        if error.is_consensus_failure() && !error.is_body_mismatch() {
            self.invalid.insert(hash, error.to_string());
        }
        ChainError::Block { hash, error }
    }

    /// Moves the canonical chain to the best candidate until it is there, marking blocks that
    /// fail execution invalid on the way.
    fn update_tip(&mut self) -> Result<Imported, ChainError> {
        let mut result = Imported::SideChain;
        let mut first_error = None;
        while let Some(plan) = self.tree.next_reorg() {
            if let HistoryMode::Recent(limit) = self.history {
                let depth = plan.disconnect.len() as u64;
                if depth > limit {
                    return Err(ChainError::ReorgBeyondHistory { depth, limit });
                }
            }
            let mut step = Imported::NewTip { disconnected: Vec::new(), connected: Vec::new() };
            for _ in &plan.disconnect {
                let block = self.disconnect_tip()?;
                if let Imported::NewTip { disconnected, .. } = &mut step {
                    disconnected.push(block);
                }
            }
            for hash in plan.connect {
                let block = match self.load_recovered(hash)? {
                    Ok(block) => block,
                    Err(error) => {
                        self.tree.mark_invalid(hash);
                        first_error.get_or_insert(self.reject(hash, BlockError::Body(error)));
                        break;
                    }
                };
                match self.connect(block, None, false) {
                    Ok(committed) => {
                        if let Imported::NewTip { connected, .. } = &mut step {
                            connected.push(committed);
                        }
                    }
                    Err(ChainError::Block { hash, error }) if error.is_consensus_failure() => {
                        self.tree.mark_invalid(hash);
                        first_error.get_or_insert(self.reject(hash, error));
                        break;
                    }
                    Err(e) => return Err(e),
                }
            }
            result = result.merge(step);
        }
        match (result, first_error) {
            (Imported::NewTip { disconnected, connected }, _)
                if !disconnected.is_empty() || !connected.is_empty() =>
            {
                Ok(Imported::NewTip { disconnected, connected })
            }
            (_, Some(error)) => Err(error),
            _ => Ok(Imported::SideChain),
        }
    }

    /// A stored side block, run through the stateless stage again (its senders were not kept).
    fn load_recovered(
        &self,
        hash: B256,
    ) -> Result<Result<Arc<RecoveredBlock>, BodyError>, ChainError> {
        let header = self.tree.get(&hash).expect("planned blocks are in the tree").meta.clone();
        let transactions = self
            .store
            .latest()
            .body(&hash)?
            .ok_or_else(|| StoreError::Missing { family: "bodies", key: hash.to_string() })?;
        let sealed = SealedBlock::seal(Block { header, transactions });
        Ok(RecoveredBlock::recover(&self.rules, sealed).map(Arc::new).map_err(|e| e.1))
    }

    /// The state after the tip, for executing its child.
    fn tip_state(&self) -> StateAt<'_> {
        let entry = self.tree.tip_entry();
        StateAt::new(
            self.store.latest(),
            StateBlock {
                number: entry.height,
                hash: self.tree.tip(),
                state_root: entry.meta.state_root,
            },
            true,
        )
    }

    /// Executes `block` (a child of the tip) unless `executed` already holds its outcome,
    /// checks the header's commitments and makes it the tip in one batch (with its header and
    /// body when `store_block`).
    fn connect(
        &mut self,
        block: Arc<RecoveredBlock>,
        executed: Option<Arc<BlockOutcome>>,
        store_block: bool,
    ) -> Result<Arc<CommittedBlock>, ChainError> {
        let hash = block.hash();
        let header = block.header();
        let block_err = |error| ChainError::Block { hash, error };
        let outcome = match executed {
            Some(outcome) => outcome,
            None => {
                let mut state = self.tip_state();
                let transactions = block.sealed().transactions();
                Arc::new(
                    execute_block(&mut state, &self.rules, header, transactions, block.senders())
                        .map_err(block_err)?,
                )
            }
        };
        let mut tries = self.tries.clone();
        let update = tries.apply(&outcome.changes, &self.store.latest())?;
        check_outcome(header, &outcome, update.root).map_err(block_err)?;
        let changeset = self.store.changeset_for(hash, &outcome.changes)?;
        let receipts = BlockReceipts {
            receipts: outcome.receipts.clone(),
            senders: block.senders().to_vec(),
            contract_addresses: outcome.contract_addresses.clone(),
        };
        let prune_through = match self.history {
            HistoryMode::Recent(limit) => header.number.checked_sub(limit),
            HistoryMode::Archive => None,
        };
        let work = self.tree.get(&hash).expect("connected blocks are in the tree").chain_work;
        self.store.commit(&BlockCommit {
            header,
            hash,
            work,
            body: block.sealed().transactions(),
            tx_hashes: block.tx_hashes(),
            store_block,
            receipts: &receipts,
            changes: &outcome.changes,
            changeset: &changeset,
            trie_nodes: &update.nodes,
            prune_through,
        })?;
        self.tree.connect(hash).map_err(|e| ChainError::Spec(e.to_string()))?;
        self.tries = tries;
        Ok(Arc::new(CommittedBlock {
            hash,
            block: block.sealed().block().clone(),
            tx_hashes: block.tx_hashes().to_vec(),
            receipts,
        }))
    }

    /// Disconnects the tip, restoring the state from its change set.
    fn disconnect_tip(&mut self) -> Result<Arc<CommittedBlock>, ChainError> {
        let hash = self.tree.tip();
        let header = self.tree.tip_entry().meta.clone();
        let latest = self.store.latest();
        let transactions = latest
            .body(&hash)?
            .ok_or_else(|| StoreError::Missing { family: "bodies", key: hash.to_string() })?;
        let receipts = latest.receipts(&hash)?.unwrap_or_default();
        let tx_hashes: Vec<B256> = transactions.iter().map(|tx| tx.hash()).collect();
        self.store.disconnect(&header, hash, &transactions, &receipts)?;
        self.tree.disconnect().map_err(|e| ChainError::Spec(e.to_string()))?;
        self.tries = StateTries::at_root(self.tree.tip_entry().meta.state_root);
        Ok(Arc::new(CommittedBlock {
            hash,
            block: Block { header, transactions },
            tx_hashes,
            receipts,
        }))
    }

    /// The state root recomputed from every stored account and slot (ignoring the trie
    /// nodes): what `quarry-node check` compares against the tip header.
    ///
    /// # Errors
    /// Store errors.
    pub fn recompute_state_root(&self) -> Result<B256, ChainError> {
        let latest = self.store.latest();
        let accounts = latest.accounts()?;
        let mut full = Vec::with_capacity(accounts.len());
        for (address, account) in accounts {
            let slots: Vec<(alloy_primitives::U256, alloy_primitives::U256)> = latest
                .storage_of(&address)?
                .into_iter()
                .map(|(slot, value)| (alloy_primitives::U256::from_be_bytes(slot.0), value))
                .collect();
            full.push((address, quarry_vm::AccountInfo::from(account), slots));
        }
        Ok(crate::state::state_root_of(full.iter().map(|(a, i, s)| (*a, i, s.clone()))))
    }
}
