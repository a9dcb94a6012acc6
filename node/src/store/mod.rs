//! The node's RocksDB store.
//!
//! Column families and their records (big-endian integers, fixed-width keys):
//!
//! | family            | key                              | value                                  |
//! |-------------------|----------------------------------|----------------------------------------|
//! | `headers`         | block hash (32)                  | chain work (32) ‖ header RLP           |
//! | `bodies`          | block hash (32)                  | RLP list of the transactions           |
//! | `block_numbers`   | number (8) ‖ block hash (32)     | empty: every stored block, any branch  |
//! | `receipts`        | block hash (32)                  | [`BlockReceipts`] (codec)              |
//! | `tx_index`        | tx hash (32)                     | block hash (32) ‖ index (u32)          |
//! | `canonical`       | number (8)                       | block hash                             |
//! | `accounts`        | address (20)                     | nonce (8) ‖ balance (32) ‖ code hash   |
//! | `storage`         | address (20) ‖ slot (32)         | value (32), non-zero only              |
//! | `code`            | code hash (32)                   | code                                   |
//! | `changesets`      | number (8)                       | [`ChangeSet`] (codec)                  |
//! | `account_history` | address (20) ‖ number (8)        | the account before that block (or ∅)   |
//! | `storage_history` | address ‖ slot ‖ number (60)     | the slot before that block (32)        |
//! | `trie_nodes`      | keccak256(node) (32)             | node RLP                               |
//! | `sender_nonces`   | sender (20) ‖ nonce (8)          | tx hash                                |
//! | `contract_creators` | contract address (20)          | creating tx hash (32) ‖ creator (20)   |
//! | `address_txs`     | address ‖ number (8) ‖ index (4) | empty: the address sent, received or created in that tx |
//! | `meta`            | `tip`, `genesis`, `schema`, `oldest_state` | hashes and numbers           |
//!
//! `accounts`, `storage`, `tx_index`, `canonical` and the three address indexes (what
//! Otterscan's `ots_` methods search) describe the canonical chain. The state of
//! any earlier canonical block is the tip's with the later blocks' change sets undone: a read
//! of an account at block N finds the first `account_history` entry above N (one seek), else
//! the current record — the layout of Erigon's and reth's history tables. Headers, bodies and
//! receipts of every block ever stored stay (side branches, disconnected blocks); trie nodes
//! are stored by hash and never overwritten, so the tries of past roots stay whole.
//!
//! Writes: a block that becomes the tip is written by [`Store::commit`] in ONE synced
//! `WriteBatch` (header, body, receipts, indexes, flat state changes, change set, history
//! entries, trie nodes, the tip pointer and any history pruned); [`Store::disconnect`] is one
//! batch too. After a `kill -9` the store is at the old tip or the new one, never between.

mod read;
pub mod records;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use alloy_primitives::{Bytes, B256, U256};
use quarry_primitives::codec::{self, CodecError};
use quarry_primitives::{Header, SignedTransaction};
use quarry_vm::result::StateChanges;
use rocksdb::{
    BlockBasedOptions, Cache, ColumnFamilyDescriptor, Options, WriteBatch, WriteOptions, DB,
};

pub use read::{Reader, StoreSnapshot};
use records::*;
pub use records::{
    decode_account, encode_account, BlockReceipts, ChangeSet, StoredAccount, SCHEMA_VERSION,
};

/// RocksDB's block cache, shared by every column family, in bytes.
const BLOCK_CACHE_BYTES: usize = 256 * 1024 * 1024;

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process holds the datadir's lock file.
    #[error("datadir {0} is in use by another quarry-node (lock file {0}/LOCK held)")]
    Locked(PathBuf),
    /// Creating or locking the datadir failed.
    #[error("cannot use datadir {path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// RocksDB reported an error.
    #[error("rocksdb: {0}")]
    Rocks(#[from] rocksdb::Error),
    /// A stored record does not decode: the database is corrupt or from another version.
    #[error("corrupt {family} record for key {key}: {reason}")]
    Corrupt {
        /// Column family.
        family: &'static str,
        /// The key, hex.
        key: String,
        /// What was wrong.
        reason: String,
    },
    /// A record that must exist is missing.
    #[error("missing {family} record for {key}")]
    Missing {
        /// Column family.
        family: &'static str,
        /// The key, hex.
        key: String,
    },
    /// The datadir was written by another version of Quarry.
    #[error(
        "datadir {path} has store layout {found:?}, this quarry-node reads layout {expected}; \
         remove the datadir (or use another) and let the node sync again"
    )]
    Schema {
        /// The datadir.
        path: PathBuf,
        /// The layout found (`None`: the first layout, which had no version record).
        found: Option<u64>,
        /// [`SCHEMA_VERSION`].
        expected: u64,
    },
    /// Encoding a record failed.
    #[error("encoding a record: {0}")]
    Codec(#[from] CodecError),
}

/// Everything [`Store::commit`] writes for one block becoming the tip.
#[derive(Debug)]
pub struct BlockCommit<'a> {
    /// The block's header.
    pub header: &'a Header,
    /// Its hash.
    pub hash: B256,
    /// Its chain work.
    pub work: U256,
    /// Its transactions.
    pub body: &'a [SignedTransaction],
    /// Their hashes, in order.
    pub tx_hashes: &'a [B256],
    /// `true` when the header and body are not stored yet (a block extending the tip; a
    /// side-branch block connected by a reorg was stored when it arrived).
    pub store_block: bool,
    /// Receipts, senders and created contracts.
    pub receipts: &'a BlockReceipts,
    /// The block's state changes.
    pub changes: &'a StateChanges,
    /// The values they overwrite ([`Store::changeset_for`], read at the current tip).
    pub changeset: &'a ChangeSet,
    /// New trie nodes under the block's state root.
    pub trie_nodes: &'a [(B256, Bytes)],
    /// Drop the state history of blocks up to and including this number (`--history`).
    pub prune_through: Option<u64>,
}

/// The RocksDB store. See the module docs for its layout. The engine thread owns it and is its
/// only writer; readers take a [`StoreSnapshot`].
pub struct Store {
    db: Arc<DB>,
    _lock: File,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (creating if needed) the store in `datadir/chaindata`, holding `datadir/LOCK`
    /// exclusively for as long as the store lives.
    ///
    /// # Errors
    /// [`StoreError::Locked`] if another process holds the datadir, [`StoreError::Schema`] for
    /// a datadir of another layout, [`StoreError::Io`] or [`StoreError::Rocks`] if it cannot be
    /// opened.
    pub fn open(datadir: &Path) -> Result<Store, StoreError> {
        let io = |source| StoreError::Io { path: datadir.to_path_buf(), source };
        std::fs::create_dir_all(datadir).map_err(io)?;
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(datadir.join("LOCK"))
            .map_err(io)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StoreError::Locked(datadir.to_path_buf()))
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        let mut options = Options::default();
        options.create_if_missing(true);
        options.create_missing_column_families(true);
        let cache = Cache::new_lru_cache(BLOCK_CACHE_BYTES);
        let families = FAMILIES.iter().map(|name| {
            let mut table = BlockBasedOptions::default();
            table.set_block_cache(&cache);
            table.set_bloom_filter(10.0, false);
            let mut cf = Options::default();
            cf.set_block_based_table_factory(&table);
            ColumnFamilyDescriptor::new(*name, cf)
        });
        let path = datadir.join("chaindata");
        let db = DB::open_cf_descriptors(&options, &path, families)?;
        let store = Store { db: Arc::new(db), _lock: lock, path };
        let latest = store.latest();
        if latest.genesis_hash()?.is_some() {
            let found = latest.schema()?;
            if found != Some(SCHEMA_VERSION) {
                return Err(StoreError::Schema {
                    path: datadir.to_path_buf(),
                    found,
                    expected: SCHEMA_VERSION,
                });
            }
        }
        Ok(store)
    }

    /// Where the RocksDB files are.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads of the latest committed state (the engine's own reads).
    pub fn latest(&self) -> Reader<'_> {
        Reader { db: &self.db, snapshot: None }
    }

    /// A consistent snapshot of the store as it is now, for readers on other threads.
    pub fn snapshot(&self) -> StoreSnapshot {
        StoreSnapshot::new(self.db.clone())
    }

    fn cf(&self, name: &'static str) -> &rocksdb::ColumnFamily {
        self.db.cf_handle(name).expect("every column family is created at open")
    }

    fn sync_write(&self, batch: WriteBatch) -> Result<(), StoreError> {
        let mut options = WriteOptions::default();
        options.set_sync(true);
        Ok(self.db.write_opt(batch, &options)?)
    }

    /// Stores a block that is not (yet) canonical: header with its chain work, and body.
    ///
    /// # Errors
    /// A write error.
    pub fn put_block(
        &self,
        header: &Header,
        hash: B256,
        work: U256,
        body: &[SignedTransaction],
    ) -> Result<(), StoreError> {
        let mut batch = WriteBatch::default();
        self.put_block_into(&mut batch, header, hash, work, body);
        self.sync_write(batch)
    }

    fn put_block_into(
        &self,
        batch: &mut WriteBatch,
        header: &Header,
        hash: B256,
        work: U256,
        body: &[SignedTransaction],
    ) {
        batch.put_cf(self.cf(HEADERS), hash, encode_header(header, work));
        let mut encoded = Vec::new();
        alloy_rlp::encode_list::<_, SignedTransaction>(body, &mut encoded);
        batch.put_cf(self.cf(BODIES), hash, encoded);
        batch.put_cf(self.cf(BLOCK_NUMBERS), block_number_key(header.number, &hash), []);
    }

    /// Initialises an empty store with the genesis block, its state and the trie nodes of its
    /// state root, in one batch.
    ///
    /// # Errors
    /// A write error.
    pub fn init_genesis(
        &self,
        header: &Header,
        work: U256,
        changes: &StateChanges,
        trie_nodes: &[(B256, Bytes)],
    ) -> Result<(), StoreError> {
        let hash = header.hash();
        let mut batch = WriteBatch::default();
        self.put_block_into(&mut batch, header, hash, work, &[]);
        self.apply_changes(&mut batch, changes, &self.changeset_for(hash, changes)?);
        for (node_hash, node) in trie_nodes {
            batch.put_cf(self.cf(TRIE_NODES), node_hash, node);
        }
        batch.put_cf(self.cf(RECEIPTS), hash, codec::encode(&BlockReceipts::default())?);
        batch.put_cf(self.cf(CANONICAL), 0u64.to_be_bytes(), hash);
        batch.put_cf(self.cf(META), GENESIS_KEY, hash);
        batch.put_cf(self.cf(META), TIP_KEY, hash);
        batch.put_cf(self.cf(META), SCHEMA_KEY, SCHEMA_VERSION.to_be_bytes());
        self.sync_write(batch)
    }

    /// The canonical values of everything `changes` would overwrite, read at the current tip,
    /// as the change set of block `block_hash`: each changed account's record, every slot of
    /// accounts it clears or deletes, and every slot it writes (zero when unset).
    ///
    /// # Errors
    /// A read error or a corrupt record.
    pub fn changeset_for(
        &self,
        block_hash: B256,
        changes: &StateChanges,
    ) -> Result<ChangeSet, StoreError> {
        let latest = self.latest();
        let mut set = ChangeSet { block_hash, ..ChangeSet::default() };
        for (address, change) in &changes.accounts {
            set.accounts.push((*address, latest.account(address)?));
            let mut cleared = Vec::new();
            if change.storage_cleared || change.info.is_none() {
                cleared = latest.storage_of(address)?;
                set.storage.extend(cleared.iter().map(|(slot, value)| (*address, *slot, *value)));
            }
            for slot in change.storage.keys() {
                let slot = B256::from(*slot);
                if cleared.iter().all(|(s, _)| *s != slot) {
                    set.storage.push((*address, slot, latest.storage(address, &slot)?));
                }
            }
        }
        Ok(set)
    }

    /// Records in `batch` the state `changes`; `set` is [`Store::changeset_for`] of them.
    fn apply_changes(&self, batch: &mut WriteBatch, changes: &StateChanges, set: &ChangeSet) {
        // Cleared or deleted accounts lose every slot they had (the change set lists them);
        // slots the change writes afterwards are put back below, later in the same batch.
        for (address, slot, _) in &set.storage {
            let change = &changes.accounts[address];
            if change.storage_cleared || change.info.is_none() {
                batch.delete_cf(self.cf(STORAGE), storage_key(address, slot));
            }
        }
        for (address, change) in &changes.accounts {
            match &change.info {
                Some(info) => batch.put_cf(
                    self.cf(ACCOUNTS),
                    address,
                    encode_account(&StoredAccount::from(info)),
                ),
                None => batch.delete_cf(self.cf(ACCOUNTS), address),
            }
            if let (Some(code), Some(info)) = (&change.code, &change.info) {
                batch.put_cf(self.cf(CODE), info.code_hash, code);
            }
            if change.info.is_none() {
                continue;
            }
            for (slot, value) in &change.storage {
                let key = storage_key(address, &B256::from(*slot));
                if value.is_zero() {
                    batch.delete_cf(self.cf(STORAGE), key);
                } else {
                    batch.put_cf(self.cf(STORAGE), key, value.to_be_bytes::<32>());
                }
            }
        }
    }

    /// Writes the history entries of `set` (block `number`) into `batch`.
    fn put_history(&self, batch: &mut WriteBatch, set: &ChangeSet, number: u64) {
        for (address, before) in &set.accounts {
            let value = before.as_ref().map(encode_account);
            batch.put_cf(
                self.cf(ACCOUNT_HISTORY),
                account_history_key(address, number),
                value.as_ref().map_or(&[][..], |v| &v[..]),
            );
        }
        for (address, slot, before) in &set.storage {
            batch.put_cf(
                self.cf(STORAGE_HISTORY),
                storage_history_key(address, slot, number),
                before.to_be_bytes::<32>(),
            );
        }
    }

    /// Deletes the history entries of `set` (block `number`) and the change set itself.
    fn delete_history(&self, batch: &mut WriteBatch, set: &ChangeSet, number: u64) {
        for (address, _) in &set.accounts {
            batch.delete_cf(self.cf(ACCOUNT_HISTORY), account_history_key(address, number));
        }
        for (address, slot, _) in &set.storage {
            batch.delete_cf(self.cf(STORAGE_HISTORY), storage_history_key(address, slot, number));
        }
        batch.delete_cf(self.cf(CHANGESETS), number.to_be_bytes());
    }

    /// Makes `commit.header` (whose parent is the current tip) the canonical tip: everything
    /// listed in [`BlockCommit`], in ONE synced `WriteBatch`.
    ///
    /// # Errors
    /// An encoding, read or write error; nothing is written then.
    pub fn commit(&self, commit: &BlockCommit<'_>) -> Result<(), StoreError> {
        let BlockCommit { header, hash, .. } = *commit;
        let number = header.number;
        let mut batch = WriteBatch::default();
        if commit.store_block {
            self.put_block_into(&mut batch, header, hash, commit.work, commit.body);
        }
        self.apply_changes(&mut batch, commit.changes, commit.changeset);
        batch.put_cf(self.cf(CHANGESETS), number.to_be_bytes(), codec::encode(commit.changeset)?);
        self.put_history(&mut batch, commit.changeset, number);
        for (node_hash, node) in commit.trie_nodes {
            batch.put_cf(self.cf(TRIE_NODES), node_hash, node);
        }
        batch.put_cf(self.cf(RECEIPTS), hash, codec::encode(commit.receipts)?);
        for (index, tx_hash) in commit.tx_hashes.iter().enumerate() {
            let mut location = hash.to_vec();
            location.extend_from_slice(&(index as u32).to_be_bytes());
            batch.put_cf(self.cf(TX_INDEX), tx_hash, location);
        }
        self.address_indexes(&mut batch, header, commit.body, commit.receipts, true);
        batch.put_cf(self.cf(CANONICAL), number.to_be_bytes(), hash);
        batch.put_cf(self.cf(META), TIP_KEY, hash);
        if let Some(through) = commit.prune_through {
            self.prune_into(&mut batch, through)?;
        }
        self.sync_write(batch)
    }

    /// Adds to `batch` (`put`) or removes from it the address index entries of a canonical
    /// block: each transaction under its sender and nonce, each top-level contract creation
    /// under the new contract, and each transaction under its sender, recipient and created
    /// contract.
    fn address_indexes(
        &self,
        batch: &mut WriteBatch,
        header: &Header,
        body: &[SignedTransaction],
        receipts: &BlockReceipts,
        put: bool,
    ) {
        for (index, tx) in body.iter().enumerate() {
            let Some(&sender) = receipts.senders.get(index) else { continue };
            let created = receipts.contract_addresses.get(index).copied().flatten();
            let tx_hash = tx.hash();
            let mut keys: Vec<(&'static str, Vec<u8>, Vec<u8>)> = vec![(
                SENDER_NONCES,
                sender_nonce_key(&sender, tx.nonce()).to_vec(),
                tx_hash.to_vec(),
            )];
            let index = index as u32;
            keys.push((
                ADDRESS_TXS,
                address_tx_key(&sender, header.number, index).to_vec(),
                vec![],
            ));
            if let alloy_primitives::TxKind::Call(to) = tx.transaction().to() {
                if to != sender {
                    keys.push((
                        ADDRESS_TXS,
                        address_tx_key(&to, header.number, index).to_vec(),
                        vec![],
                    ));
                }
            }
            if let Some(contract) = created {
                let mut value = tx_hash.to_vec();
                value.extend_from_slice(sender.as_slice());
                keys.push((CONTRACT_CREATORS, contract.to_vec(), value));
                keys.push((
                    ADDRESS_TXS,
                    address_tx_key(&contract, header.number, index).to_vec(),
                    vec![],
                ));
            }
            for (family, key, value) in keys {
                if put {
                    batch.put_cf(self.cf(family), key, value);
                } else {
                    batch.delete_cf(self.cf(family), key);
                }
            }
        }
    }

    /// Adds to `batch` the deletion of the change sets (and their history entries) of blocks
    /// up to and including `through`; the state of block `through` stays readable (it needs
    /// only the later change sets), so `oldest_state` becomes `through`.
    fn prune_into(&self, batch: &mut WriteBatch, through: u64) -> Result<(), StoreError> {
        let latest = self.latest();
        let oldest = latest.oldest_state()?;
        if through <= oldest {
            return Ok(());
        }
        for number in (oldest + 1)..=through {
            if let Some(set) = latest.changeset(number)? {
                self.delete_history(batch, &set, number);
            }
        }
        batch.put_cf(self.cf(META), OLDEST_STATE_KEY, through.to_be_bytes());
        Ok(())
    }

    /// Disconnects the canonical tip `header` (hash `hash`, transactions `body`, receipts
    /// `receipts`): restores the state from its change set, drops its history entries, tx and
    /// address index entries and canonical index entry, and points the tip at its parent, in ONE synced `WriteBatch`.
    /// Its header, body and receipts stay stored. Returns the change set undone.
    ///
    /// # Errors
    /// [`StoreError::Missing`] without a change set (history pruned below the block); read or
    /// write errors.
    pub fn disconnect(
        &self,
        header: &Header,
        hash: B256,
        body: &[SignedTransaction],
        receipts: &BlockReceipts,
    ) -> Result<ChangeSet, StoreError> {
        let number = header.number;
        let set =
            self.latest().changeset(number)?.filter(|set| set.block_hash == hash).ok_or_else(
                || StoreError::Missing { family: CHANGESETS, key: number.to_string() },
            )?;
        let mut batch = WriteBatch::default();
        for (address, before) in &set.accounts {
            match before {
                Some(account) => batch.put_cf(self.cf(ACCOUNTS), address, encode_account(account)),
                None => batch.delete_cf(self.cf(ACCOUNTS), address),
            }
        }
        // Every slot the block wrote or cleared is recorded with its pre-block value (zero
        // for slots it created).
        for (address, slot, before) in &set.storage {
            let key = storage_key(address, slot);
            if before.is_zero() {
                batch.delete_cf(self.cf(STORAGE), key);
            } else {
                batch.put_cf(self.cf(STORAGE), key, before.to_be_bytes::<32>());
            }
        }
        self.delete_history(&mut batch, &set, number);
        for tx in body {
            batch.delete_cf(self.cf(TX_INDEX), tx.hash());
        }
        self.address_indexes(&mut batch, header, body, receipts, false);
        batch.delete_cf(self.cf(CANONICAL), number.to_be_bytes());
        batch.put_cf(self.cf(META), TIP_KEY, header.parent_hash);
        self.sync_write(batch)?;
        Ok(set)
    }
}
