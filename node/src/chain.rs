//! The chain: a tree of every known block with its cumulative work, the canonical branch kept
//! in the [`Store`], most-work fork choice (first seen wins ties), reorganisations through undo
//! records, and a bounded buffer for blocks whose parent is not known yet.
//!
//! Every block, mined here or received, enters through [`Chain::import`]: header rules
//! ([`validate_header`]), body rules ([`validate_body`]), then, when its branch becomes the
//! most-work one, execution and the header's commitments ([`execute_block`],
//! [`check_outcome`]). A block that fails is marked invalid with its descendants and the chain
//! stays on (or returns to) the best valid branch.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::path::Path;

use alloy_primitives::{Address, Bytes, B256, U256};
use quarry_primitives::genesis::Genesis;
use quarry_primitives::{Block, Header};
use quarry_vm::result::StateChanges;
use quarry_vm::{AccountInfo, Database};

use crate::consensus::block::{
    check_outcome, execute_block, validate_body, BlockError, MAX_BLOCK_SIZE,
};
use crate::consensus::genesis::genesis_block;
use crate::consensus::header::{validate_header, ChainRules, HeaderError, MEDIAN_TIME_SPAN};
use crate::consensus::{chain_work, header_work};
use crate::mempool::AccountState;
use crate::state::StateTries;
use crate::store::{BlockReceipts, Store, StoreError, Undo};

/// Most blocks held while waiting for their parent.
pub const MAX_ORPHANS: usize = 256;

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
    /// The store failed; the block was not judged.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The datadir holds another chain than the genesis given.
    #[error("datadir holds chain with genesis {stored}, not {expected} from the genesis file")]
    GenesisMismatch {
        /// The store's genesis hash.
        stored: B256,
        /// The genesis file's hash.
        expected: B256,
    },
    /// The state rebuilt from the store does not match the tip header: the store is corrupt.
    #[error("state root {computed} rebuilt from the store differs from tip {tip}'s {expected}")]
    StateMismatch {
        /// Tip hash.
        tip: B256,
        /// The tip header's state root.
        expected: B256,
        /// The root of the stored state.
        computed: B256,
    },
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

/// What importing a block did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Imported {
    /// Already known.
    Duplicate,
    /// Its parent is unknown; it waits in the orphan buffer.
    Orphan,
    /// Stored on a branch with less work than the canonical one.
    SideChain,
    /// The canonical chain changed: blocks disconnected (tip first) and connected (oldest
    /// first). Without a reorg `disconnected` is empty.
    NewTip {
        /// Blocks removed from the canonical chain, newest first.
        disconnected: Vec<Block>,
        /// Blocks added, oldest first.
        connected: Vec<Block>,
    },
}

#[derive(Clone, Debug)]
struct Entry {
    header: Header,
    work: U256,
    seq: u64,
}

/// The canonical tip as callers see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tip {
    /// Its hash.
    pub hash: B256,
    /// Its header.
    pub header: Header,
    /// Cumulative work of the chain ending in it.
    pub work: U256,
}

/// The chain. See the module docs.
#[derive(Debug)]
pub struct Chain {
    rules: ChainRules,
    store: Store,
    tries: StateTries,
    tree: HashMap<B256, Entry>,
    children: HashMap<B256, Vec<B256>>,
    /// Blocks with bodies, not invalid: (work, −arrival, hash); the last is the best.
    candidates: BTreeSet<(U256, std::cmp::Reverse<u64>, B256)>,
    invalid: HashMap<B256, String>,
    orphans: VecDeque<Block>,
    tip: B256,
    next_seq: u64,
    genesis_hash: B256,
}

impl Chain {
    /// Opens the chain in `datadir`, initialising it from `genesis` when empty. On an existing
    /// store: checks it belongs to `genesis`, reloads the block tree, rebuilds the state tries
    /// and checks their root against the tip header (which proves the store consistent after
    /// any crash).
    ///
    /// # Errors
    /// [`ChainError::GenesisMismatch`], [`ChainError::StateMismatch`], store errors.
    pub fn open(datadir: &Path, genesis: &Genesis) -> Result<Chain, ChainError> {
        let rules = ChainRules::from_genesis(genesis).map_err(|e| ChainError::Header {
            hash: B256::ZERO,
            error: HeaderError::InvalidBits(e),
        })?;
        let store = Store::open(datadir)?;
        let (genesis_header, genesis_changes) = genesis_block(genesis);
        let genesis_hash = genesis_header.hash();
        match store.genesis_hash()? {
            None => {
                let work = header_work(&genesis_header).unwrap_or_default();
                store.init_genesis(&genesis_header, work, &genesis_changes)?;
            }
            Some(stored) if stored != genesis_hash => {
                return Err(ChainError::GenesisMismatch { stored, expected: genesis_hash })
            }
            Some(_) => {}
        }
        let mut chain = Chain {
            rules,
            store,
            tries: StateTries::new(),
            tree: HashMap::new(),
            children: HashMap::new(),
            candidates: BTreeSet::new(),
            invalid: HashMap::new(),
            orphans: VecDeque::new(),
            tip: genesis_hash,
            next_seq: 0,
            genesis_hash,
        };
        chain.load()?;
        Ok(chain)
    }

    fn load(&mut self) -> Result<(), ChainError> {
        let mut headers = self.store.all_headers()?;
        // Parents before children, so arrival order follows height.
        headers.sort_by_key(|(h, _)| h.number);
        for (header, work) in headers {
            self.insert_entry(header, work);
        }
        self.tip = self.store.tip()?.unwrap_or(self.genesis_hash);
        let (tries, computed) = tries_from_store(&self.store)?;
        self.tries = tries;
        let tip = self.tip_header();
        if computed != tip.state_root {
            return Err(ChainError::StateMismatch {
                tip: self.tip,
                expected: tip.state_root,
                computed,
            });
        }
        // A crash between storing a better branch and connecting it leaves work to finish.
        self.update_tip()?;
        Ok(())
    }

    fn insert_entry(&mut self, header: Header, work: U256) {
        let hash = header.hash();
        let seq = self.next_seq;
        self.next_seq += 1;
        self.children.entry(header.parent_hash).or_default().push(hash);
        self.candidates.insert((work, std::cmp::Reverse(seq), hash));
        self.tree.insert(hash, Entry { header, work, seq });
    }

    /// The rules in force.
    pub fn rules(&self) -> &ChainRules {
        &self.rules
    }

    /// The store (read access for RPC and sync).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The genesis block's hash.
    pub fn genesis_hash(&self) -> B256 {
        self.genesis_hash
    }

    /// The canonical tip.
    pub fn tip(&self) -> Tip {
        let entry = &self.tree[&self.tip];
        Tip { hash: self.tip, header: entry.header.clone(), work: entry.work }
    }

    fn tip_header(&self) -> &Header {
        &self.tree[&self.tip].header
    }

    /// A known header (any branch) and its chain work.
    pub fn header(&self, hash: &B256) -> Option<(&Header, U256)> {
        self.tree.get(hash).map(|e| (&e.header, e.work))
    }

    /// The canonical block at `number`.
    ///
    /// # Errors
    /// Store errors.
    pub fn canonical_hash(&self, number: u64) -> Result<Option<B256>, ChainError> {
        Ok(self.store.canonical_hash(number)?)
    }

    /// A full block from the store.
    ///
    /// # Errors
    /// Store errors.
    pub fn block(&self, hash: &B256) -> Result<Option<Block>, ChainError> {
        let Some(entry) = self.tree.get(hash) else { return Ok(None) };
        Ok(self
            .store
            .body(hash)?
            .map(|transactions| Block { header: entry.header.clone(), transactions }))
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
    fn recent_timestamps(&self, mut hash: B256) -> Vec<u64> {
        let mut out = Vec::with_capacity(MEDIAN_TIME_SPAN);
        while out.len() < MEDIAN_TIME_SPAN {
            let Some(entry) = self.tree.get(&hash) else { break };
            out.push(entry.header.timestamp);
            if entry.header.number == 0 {
                break;
            }
            hash = entry.header.parent_hash;
        }
        out.reverse();
        out
    }

    /// The median of the last 11 timestamps ending at the tip: a new block's timestamp must
    /// exceed it.
    pub fn median_time_past(&self) -> u64 {
        crate::consensus::median_time_past(&self.recent_timestamps(self.tip))
    }

    /// Validates and stores `block`, and moves the canonical chain to the most-work valid
    /// branch. `now` is the local clock, seconds since the Unix epoch.
    ///
    /// # Errors
    /// [`ChainError::Header`] / [`ChainError::Block`] for a block breaking a rule (it and its
    /// descendants are remembered as invalid), [`ChainError::KnownInvalid`], store errors.
    pub fn import(&mut self, block: Block, now: u64) -> Result<Imported, ChainError> {
        let hash = block.header.hash();
        if self.tree.contains_key(&hash) {
            return Ok(Imported::Duplicate);
        }
        if self.invalid.contains_key(&hash) || self.invalid.contains_key(&block.header.parent_hash)
        {
            self.invalid.insert(hash, "descends from an invalid block".into());
            return Err(ChainError::KnownInvalid { hash });
        }
        let size = alloy_rlp::Encodable::length(&block);
        if size > MAX_BLOCK_SIZE {
            return Err(self.reject(hash, BlockError::TooLarge { size }));
        }
        let Some(parent) = self.tree.get(&block.header.parent_hash) else {
            if !self.orphans.iter().any(|b| b.header.hash() == hash) {
                if self.orphans.len() == MAX_ORPHANS {
                    self.orphans.pop_front();
                }
                self.orphans.push_back(block);
            }
            return Ok(Imported::Orphan);
        };
        let recent = self.recent_timestamps(block.header.parent_hash);
        if let Err(error) =
            validate_header(&self.rules, &block.header, &parent.header, &recent, now)
        {
            if !matches!(error, HeaderError::TimestampInFuture { .. }) {
                self.invalid.insert(hash, error.to_string());
            }
            return Err(ChainError::Header { hash, error });
        }
        if let Err(error) = validate_body(&self.rules, &block.header, &block.transactions) {
            return Err(self.reject(hash, error));
        }
        let work = chain_work(parent.work, header_work(&block.header).unwrap_or_default());
        self.store.put_block(&block.header, work, &block.transactions)?;
        self.insert_entry(block.header.clone(), work);
        let mut result = self.update_tip();
        // Children that were waiting for this block.
        let waiting: Vec<Block> = {
            let (ready, rest): (Vec<Block>, Vec<Block>) =
                self.orphans.drain(..).partition(|b| b.header.parent_hash == hash);
            self.orphans = rest.into();
            ready
        };
        for orphan in waiting {
            if let Ok(Imported::NewTip { disconnected, connected }) = self.import(orphan, now) {
                result = Ok(merge_new_tip(result?, disconnected, connected));
            }
        }
        result
    }

    fn reject(&mut self, hash: B256, error: BlockError) -> ChainError {
        // The hash commits to the header only: a body that does not match the header's
        // transactions root (or is oversized) is a bad message, not a bad block, and must not
        // poison the real block with the same header.
        let body_mismatch =
            matches!(error, BlockError::TransactionsRoot { .. } | BlockError::TooLarge { .. });
        if error.is_consensus_failure() && !body_mismatch {
            self.invalid.insert(hash, error.to_string());
        }
        ChainError::Block { hash, error }
    }

    /// Marks `hash` and every descendant invalid and drops them from the candidates.
    fn mark_invalid(&mut self, hash: B256, reason: String) {
        let mut stack = vec![(hash, reason)];
        while let Some((hash, reason)) = stack.pop() {
            if let Some(entry) = self.tree.get(&hash) {
                self.candidates.remove(&(entry.work, std::cmp::Reverse(entry.seq), hash));
            }
            for child in self.children.get(&hash).into_iter().flatten() {
                stack.push((*child, format!("descends from invalid block {hash}")));
            }
            self.invalid.insert(hash, reason);
        }
    }

    /// Moves the canonical chain to the best candidate until it is there, marking blocks that
    /// fail execution invalid on the way.
    fn update_tip(&mut self) -> Result<Imported, ChainError> {
        let mut disconnected = Vec::new();
        let mut connected: Vec<Block> = Vec::new();
        let mut first_error = None;
        while let Some(&(_, _, best)) = self.candidates.last() {
            if best == self.tip || self.tree[&best].work <= self.tree[&self.tip].work {
                break;
            }
            // Path from the fork point to `best`.
            let mut path = Vec::new();
            let mut cursor = best;
            while !self.is_canonical(&cursor)? {
                path.push(cursor);
                cursor = self.tree[&cursor].header.parent_hash;
            }
            let fork = cursor;
            while self.tip != fork {
                let block = self.disconnect_tip()?;
                if let Some(pos) =
                    connected.iter().position(|b| b.header.hash() == block.header.hash())
                {
                    connected.truncate(pos);
                } else {
                    disconnected.push(block);
                }
            }
            for hash in path.into_iter().rev() {
                match self.connect(hash) {
                    Ok(block) => connected.push(block),
                    Err(ChainError::Block { hash, error }) if error.is_consensus_failure() => {
                        self.mark_invalid(hash, error.to_string());
                        first_error.get_or_insert(ChainError::Block { hash, error });
                        break;
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        if connected.is_empty() && disconnected.is_empty() {
            return match first_error {
                Some(error) => Err(error),
                None => Ok(Imported::SideChain),
            };
        }
        Ok(Imported::NewTip { disconnected, connected })
    }

    fn is_canonical(&self, hash: &B256) -> Result<bool, ChainError> {
        let number = self.tree[hash].header.number;
        Ok(self.store.canonical_hash(number)? == Some(*hash))
    }

    /// Executes block `hash` (a child of the tip) and makes it the tip.
    fn connect(&mut self, hash: B256) -> Result<Block, ChainError> {
        let entry = self.tree[&hash].clone();
        let transactions = self
            .store
            .body(&hash)?
            .ok_or_else(|| StoreError::Missing { family: "bodies", key: hash.to_string() })?;
        let block_err = |error| ChainError::Block { hash, error };
        let senders =
            validate_body(&self.rules, &entry.header, &transactions).map_err(block_err)?;
        let outcome = {
            let mut db = StoreDb { store: &self.store };
            execute_block(&mut db, &self.rules, &entry.header, &transactions, &senders)
                .map_err(block_err)?
        };
        let pre = self.store.pre_state(&outcome.changes)?;
        let root = self.apply_to_tries(&outcome.changes);
        if let Err(error) = check_outcome(&entry.header, &outcome, root) {
            self.restore_tries(&pre)?;
            return Err(block_err(error));
        }
        let receipts = BlockReceipts {
            receipts: outcome.receipts,
            senders: outcome.senders,
            contract_addresses: outcome.contract_addresses,
        };
        if let Err(e) = self.store.connect(
            &entry.header,
            entry.work,
            &transactions,
            &outcome.changes,
            &pre,
            &receipts,
        ) {
            self.restore_tries(&pre)?;
            return Err(e.into());
        }
        self.tip = hash;
        Ok(Block { header: entry.header, transactions })
    }

    /// Disconnects the tip, restoring the state from its undo record.
    fn disconnect_tip(&mut self) -> Result<Block, ChainError> {
        let hash = self.tip;
        let header = self.tree[&hash].header.clone();
        let transactions = self
            .store
            .body(&hash)?
            .ok_or_else(|| StoreError::Missing { family: "bodies", key: hash.to_string() })?;
        let undo = self.store.disconnect(&header, &transactions)?;
        self.restore_tries(&undo)?;
        self.tip = header.parent_hash;
        Ok(Block { header, transactions })
    }

    /// Applies `changes` to the tries and returns the new state root.
    fn apply_to_tries(&mut self, changes: &StateChanges) -> B256 {
        for (address, change) in &changes.accounts {
            if change.storage_cleared || change.info.is_none() {
                self.tries.clear_storage(*address);
            }
            if change.info.is_some() {
                for (slot, value) in &change.storage {
                    self.tries.set_slot(*address, *slot, *value);
                }
            }
            self.tries.set_account(*address, change.info.clone());
        }
        self.tries.root(changes.accounts.keys().copied())
    }

    /// Puts the tries back to the values recorded in `undo`.
    fn restore_tries(&mut self, undo: &Undo) -> Result<(), ChainError> {
        for (address, before) in &undo.accounts {
            let info = before
                .as_ref()
                .map(|bytes| crate::store::decode_account(address.as_slice(), bytes))
                .transpose()?;
            if info.is_none() {
                self.tries.clear_storage(*address);
            }
            self.tries.set_account(*address, info);
        }
        for (address, slot, before) in &undo.storage {
            self.tries.set_slot(
                *address,
                U256::from_be_bytes(slot.0),
                U256::from_be_bytes(before.0),
            );
        }
        self.tries.root(undo.accounts.iter().map(|(a, _)| *a));
        Ok(())
    }

    /// The state root after applying `changes` to the tip's state, leaving the tries as they
    /// were (for block templates).
    ///
    /// # Errors
    /// Store errors.
    pub fn state_root_after(&mut self, changes: &StateChanges) -> Result<B256, ChainError> {
        let pre = self.store.pre_state(changes)?;
        let root = self.apply_to_tries(changes);
        self.restore_tries(&pre)?;
        Ok(root)
    }

    /// A [`Database`] over the tip state (for RPC calls and templates).
    pub fn state(&self) -> StoreDb<'_> {
        StoreDb { store: &self.store }
    }

    /// The state root recomputed from every stored account and slot (ignoring the cached
    /// tries): what `quarry-node check` compares against the tip header.
    ///
    /// # Errors
    /// Store errors.
    pub fn recompute_state_root(&self) -> Result<B256, ChainError> {
        Ok(tries_from_store(&self.store)?.1)
    }
}

/// State tries built from every stored account and slot, and their root.
fn tries_from_store(store: &Store) -> Result<(StateTries, B256), ChainError> {
    let mut tries = StateTries::new();
    let accounts = store.accounts()?;
    for (address, info) in &accounts {
        for (slot, value) in store.storage_of(address)? {
            tries.set_slot(*address, U256::from_be_bytes(slot.0), value);
        }
        tries.set_account(*address, Some(info.clone()));
    }
    let root = tries.root(accounts.iter().map(|(a, _)| *a));
    Ok((tries, root))
}

fn merge_new_tip(earlier: Imported, disconnected: Vec<Block>, connected: Vec<Block>) -> Imported {
    match earlier {
        Imported::NewTip { disconnected: mut d, connected: mut c } => {
            d.extend(disconnected);
            c.extend(connected);
            Imported::NewTip { disconnected: d, connected: c }
        }
        _ => Imported::NewTip { disconnected, connected },
    }
}

/// The canonical tip's state as a [`Database`]; block hashes come from the canonical index.
pub struct StoreDb<'a> {
    store: &'a Store,
}

impl Database for StoreDb<'_> {
    type Error = StoreError;

    fn account(&mut self, address: Address) -> Result<Option<AccountInfo>, StoreError> {
        self.store.account(&address)
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytes, StoreError> {
        if code_hash == quarry_vm::KECCAK_EMPTY {
            return Ok(Bytes::new());
        }
        self.store
            .code(&code_hash)?
            .ok_or_else(|| StoreError::Missing { family: "code", key: code_hash.to_string() })
    }

    fn storage(&mut self, address: Address, slot: U256) -> Result<U256, StoreError> {
        self.store.storage(&address, &B256::from(slot))
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, StoreError> {
        Ok(self.store.canonical_hash(number)?.unwrap_or_default())
    }

    fn has_storage(&mut self, address: Address) -> Result<bool, StoreError> {
        Ok(!self.store.storage_of(&address)?.is_empty())
    }
}

impl AccountState for StoreDb<'_> {
    fn nonce(&self, address: Address) -> u64 {
        self.store.account(&address).ok().flatten().map_or(0, |a| a.nonce)
    }

    fn balance(&self, address: Address) -> U256 {
        self.store.account(&address).ok().flatten().map_or(U256::ZERO, |a| a.balance)
    }
}
