//! The node's RocksDB store.
//!
//! Column families and their records (big-endian integers, fixed-width keys):
//!
//! | family     | key                          | value                                          |
//! |------------|------------------------------|------------------------------------------------|
//! | `headers`  | block hash (32)              | chain work (32) ‖ header RLP                   |
//! | `bodies`   | block hash (32)              | RLP list of the transactions (EIP-2718 inside) |
//! | `receipts` | block hash (32)              | [`BlockReceipts`] (codec)                      |
//! | `tx_index` | tx hash (32)                 | block hash (32) ‖ index (u32)                  |
//! | `accounts` | address (20)                 | nonce (u64) ‖ balance (32) ‖ code hash (32)    |
//! | `storage`  | address (20) ‖ slot (32)     | value (32), non-zero only                      |
//! | `code`     | code hash (32)               | code                                           |
//! | `undo`     | block hash (32)              | [`Undo`] (codec): pre-block values it changed  |
//! | `meta`     | `tip`, `genesis`, `n`‖number | tip hash, genesis hash, canonical hash         |
//!
//! Accounts, storage, receipts, the tx index and the canonical index describe the canonical
//! chain only. Connecting a block ([`Store::connect`]) and disconnecting one
//! ([`Store::disconnect`]) each write ONE `WriteBatch`, synced to disk, that moves every one of
//! them and the tip pointer together: after a `kill -9` the store is at the old tip or the new
//! one, never between.

use std::fs::File;
use std::path::{Path, PathBuf};

use alloy_primitives::{Address, Bytes, B256, U256};
use quarry_primitives::codec::{self, CodecError, Record};
use quarry_primitives::{Header, Receipt, SignedTransaction};
use quarry_vm::result::StateChanges;
use quarry_vm::AccountInfo;
use rocksdb::{
    ColumnFamilyDescriptor, Direction, IteratorMode, Options, WriteBatch, WriteOptions, DB,
};
use serde::{Deserialize, Serialize};

const HEADERS: &str = "headers";
const BODIES: &str = "bodies";
const RECEIPTS: &str = "receipts";
const TX_INDEX: &str = "tx_index";
const ACCOUNTS: &str = "accounts";
const STORAGE: &str = "storage";
const CODE: &str = "code";
const UNDO: &str = "undo";
const META: &str = "meta";
const FAMILIES: [&str; 9] =
    [HEADERS, BODIES, RECEIPTS, TX_INDEX, ACCOUNTS, STORAGE, CODE, UNDO, META];

const TIP_KEY: &[u8] = b"tip";
const GENESIS_KEY: &[u8] = b"genesis";

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
    /// Encoding a record failed.
    #[error("encoding a record: {0}")]
    Codec(#[from] CodecError),
}

fn corrupt(family: &'static str, key: &[u8], reason: impl ToString) -> StoreError {
    StoreError::Corrupt {
        family,
        key: alloy_primitives::hex::encode(key),
        reason: reason.to_string(),
    }
}

/// Receipts of one block and what RPC needs besides them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockReceipts {
    /// One per transaction.
    pub receipts: Vec<Receipt>,
    /// Each transaction's recovered sender.
    pub senders: Vec<Address>,
    /// The contract each transaction created, if any.
    pub contract_addresses: Vec<Option<Address>>,
}

impl Record for BlockReceipts {
    // A block has at most 30M / 21000 ≈ 1430 transactions; logs are bounded by gas too.
    const MAX_SIZE: u64 = 64 * 1024 * 1024;
}

/// What a connected block overwrote, so that disconnecting it restores the previous state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Undo {
    /// Account address → its record before the block (`None`: it did not exist).
    pub accounts: Vec<(Address, Option<Vec<u8>>)>,
    /// (address, slot) → value before the block (zero: unset).
    pub storage: Vec<(Address, B256, B256)>,
}

impl Record for Undo {
    const MAX_SIZE: u64 = 256 * 1024 * 1024;
}

/// Encodes an account record: nonce ‖ balance ‖ code hash (72 bytes).
pub fn encode_account(info: &AccountInfo) -> Vec<u8> {
    let mut out = Vec::with_capacity(72);
    out.extend_from_slice(&info.nonce.to_be_bytes());
    out.extend_from_slice(&info.balance.to_be_bytes::<32>());
    out.extend_from_slice(info.code_hash.as_slice());
    out
}

/// Decodes an account record written by [`encode_account`] (`key` names it in errors).
///
/// # Errors
/// [`StoreError::Corrupt`] unless `bytes` is 72 bytes long.
pub fn decode_account(key: &[u8], bytes: &[u8]) -> Result<AccountInfo, StoreError> {
    if bytes.len() != 72 {
        return Err(corrupt(ACCOUNTS, key, format!("{} bytes, expected 72", bytes.len())));
    }
    Ok(AccountInfo {
        nonce: u64::from_be_bytes(bytes[..8].try_into().expect("8 bytes")),
        balance: U256::from_be_slice(&bytes[8..40]),
        code_hash: B256::from_slice(&bytes[40..72]),
    })
}

fn storage_key(address: Address, slot: &B256) -> [u8; 52] {
    let mut key = [0u8; 52];
    key[..20].copy_from_slice(address.as_slice());
    key[20..].copy_from_slice(slot.as_slice());
    key
}

fn canonical_key(number: u64) -> [u8; 9] {
    let mut key = [b'n'; 9];
    key[1..].copy_from_slice(&number.to_be_bytes());
    key
}

/// The RocksDB store. See the module docs for its layout.
pub struct Store {
    db: DB,
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
    /// [`StoreError::Locked`] if another process holds the datadir, [`StoreError::Io`] or
    /// [`StoreError::Rocks`] if it cannot be opened.
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
        let families =
            FAMILIES.iter().map(|name| ColumnFamilyDescriptor::new(*name, Options::default()));
        let path = datadir.join("chaindata");
        let db = DB::open_cf_descriptors(&options, &path, families)?;
        Ok(Store { db, _lock: lock, path })
    }

    /// Where the RocksDB files are.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn cf(&self, name: &'static str) -> &rocksdb::ColumnFamily {
        self.db.cf_handle(name).expect("every column family is created at open")
    }

    fn get(&self, family: &'static str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.db.get_cf(self.cf(family), key)?)
    }

    fn sync_write(&self, batch: WriteBatch) -> Result<(), StoreError> {
        let mut options = WriteOptions::default();
        options.set_sync(true);
        Ok(self.db.write_opt(batch, &options)?)
    }

    /// The hash of the genesis block this store was initialised with.
    ///
    /// # Errors
    /// A read error or a corrupt record.
    pub fn genesis_hash(&self) -> Result<Option<B256>, StoreError> {
        self.hash_record(GENESIS_KEY)
    }

    /// The canonical tip's hash.
    ///
    /// # Errors
    /// A read error or a corrupt record.
    pub fn tip(&self) -> Result<Option<B256>, StoreError> {
        self.hash_record(TIP_KEY)
    }

    /// The hash of canonical block `number`.
    ///
    /// # Errors
    /// A read error or a corrupt record.
    pub fn canonical_hash(&self, number: u64) -> Result<Option<B256>, StoreError> {
        self.hash_record(&canonical_key(number))
    }

    fn hash_record(&self, key: &[u8]) -> Result<Option<B256>, StoreError> {
        match self.get(META, key)? {
            None => Ok(None),
            Some(bytes) if bytes.len() == 32 => Ok(Some(B256::from_slice(&bytes))),
            Some(bytes) => Err(corrupt(META, key, format!("{} bytes, expected 32", bytes.len()))),
        }
    }

    /// A stored header and its chain's cumulative work.
    ///
    /// # Errors
    /// A read error or a corrupt record.
    pub fn header(&self, hash: &B256) -> Result<Option<(Header, U256)>, StoreError> {
        self.get(HEADERS, hash.as_slice())?
            .map(|bytes| decode_header(hash.as_slice(), &bytes))
            .transpose()
    }

    /// Every stored header with its chain work, in no particular order (to rebuild the block
    /// tree at start).
    ///
    /// # Errors
    /// A read error or a corrupt record.
    pub fn all_headers(&self) -> Result<Vec<(Header, U256)>, StoreError> {
        self.db
            .iterator_cf(self.cf(HEADERS), IteratorMode::Start)
            .map(|item| {
                let (key, value) = item?;
                decode_header(&key, &value)
            })
            .collect()
    }

    /// A stored block body.
    ///
    /// # Errors
    /// A read error or a corrupt record.
    pub fn body(&self, hash: &B256) -> Result<Option<Vec<SignedTransaction>>, StoreError> {
        let Some(bytes) = self.get(BODIES, hash.as_slice())? else {
            return Ok(None);
        };
        let mut buf = &bytes[..];
        let txs = alloy_rlp::Header::decode_bytes(&mut buf, true)
            .map_err(|e| corrupt(BODIES, hash.as_slice(), e))
            .and_then(|mut payload| {
                let mut txs = Vec::new();
                while !payload.is_empty() {
                    txs.push(
                        SignedTransaction::decode_in_list(&mut payload)
                            .map_err(|e| corrupt(BODIES, hash.as_slice(), e))?,
                    );
                }
                Ok(txs)
            })?;
        Ok(Some(txs))
    }

    /// The receipts of canonical block `hash`.
    ///
    /// # Errors
    /// A read error or a corrupt record.
    pub fn receipts(&self, hash: &B256) -> Result<Option<BlockReceipts>, StoreError> {
        self.get(RECEIPTS, hash.as_slice())?
            .map(|bytes| codec::decode(&bytes).map_err(|e| corrupt(RECEIPTS, hash.as_slice(), e)))
            .transpose()
    }

    /// Where a canonical transaction is: its block hash and index.
    ///
    /// # Errors
    /// A read error or a corrupt record.
    pub fn tx_location(&self, tx_hash: &B256) -> Result<Option<(B256, u32)>, StoreError> {
        match self.get(TX_INDEX, tx_hash.as_slice())? {
            None => Ok(None),
            Some(bytes) if bytes.len() == 36 => Ok(Some((
                B256::from_slice(&bytes[..32]),
                u32::from_be_bytes(bytes[32..].try_into().expect("4 bytes")),
            ))),
            Some(bytes) => {
                Err(corrupt(TX_INDEX, tx_hash.as_slice(), format!("{} bytes", bytes.len())))
            }
        }
    }

    /// The account at the canonical tip.
    ///
    /// # Errors
    /// A read error or a corrupt record.
    pub fn account(&self, address: &Address) -> Result<Option<AccountInfo>, StoreError> {
        self.get(ACCOUNTS, address.as_slice())?
            .map(|bytes| decode_account(address.as_slice(), &bytes))
            .transpose()
    }

    /// A storage slot at the canonical tip (zero when unset).
    ///
    /// # Errors
    /// A read error or a corrupt record.
    pub fn storage(&self, address: &Address, slot: &B256) -> Result<U256, StoreError> {
        let key = storage_key(*address, slot);
        match self.get(STORAGE, &key)? {
            None => Ok(U256::ZERO),
            Some(bytes) if bytes.len() == 32 => Ok(U256::from_be_slice(&bytes)),
            Some(bytes) => Err(corrupt(STORAGE, &key, format!("{} bytes", bytes.len()))),
        }
    }

    /// Code by its keccak256.
    ///
    /// # Errors
    /// A read error.
    pub fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, StoreError> {
        Ok(self.get(CODE, code_hash.as_slice())?.map(Bytes::from))
    }

    /// Every account at the canonical tip, in address order.
    ///
    /// # Errors
    /// A read error or a corrupt record.
    pub fn accounts(&self) -> Result<Vec<(Address, AccountInfo)>, StoreError> {
        self.db
            .iterator_cf(self.cf(ACCOUNTS), IteratorMode::Start)
            .map(|item| {
                let (key, value) = item?;
                if key.len() != 20 {
                    return Err(corrupt(ACCOUNTS, &key, "key is not an address"));
                }
                Ok((Address::from_slice(&key), decode_account(&key, &value)?))
            })
            .collect()
    }

    /// Every non-zero slot of `address` at the canonical tip, in slot order.
    ///
    /// # Errors
    /// A read error or a corrupt record.
    pub fn storage_of(&self, address: &Address) -> Result<Vec<(B256, U256)>, StoreError> {
        let mode = IteratorMode::From(address.as_slice(), Direction::Forward);
        let mut out = Vec::new();
        for item in self.db.iterator_cf(self.cf(STORAGE), mode) {
            let (key, value) = item?;
            if !key.starts_with(address.as_slice()) {
                break;
            }
            if key.len() != 52 || value.len() != 32 {
                return Err(corrupt(STORAGE, &key, "wrong key or value size"));
            }
            out.push((B256::from_slice(&key[20..]), U256::from_be_slice(&value)));
        }
        Ok(out)
    }

    /// The undo record of canonical block `hash`.
    ///
    /// # Errors
    /// A read error or a corrupt record.
    pub fn undo(&self, hash: &B256) -> Result<Option<Undo>, StoreError> {
        self.get(UNDO, hash.as_slice())?
            .map(|bytes| codec::decode(&bytes).map_err(|e| corrupt(UNDO, hash.as_slice(), e)))
            .transpose()
    }

    /// Stores a block that is not (yet) canonical: header with its chain work, and body.
    ///
    /// # Errors
    /// A write error.
    pub fn put_block(
        &self,
        header: &Header,
        work: U256,
        body: &[SignedTransaction],
    ) -> Result<(), StoreError> {
        let mut batch = WriteBatch::default();
        self.put_block_into(&mut batch, header, work, body);
        self.sync_write(batch)
    }

    fn put_block_into(
        &self,
        batch: &mut WriteBatch,
        header: &Header,
        work: U256,
        body: &[SignedTransaction],
    ) {
        let hash = header.hash();
        let mut value = work.to_be_bytes::<32>().to_vec();
        value.extend_from_slice(&header.encoded());
        batch.put_cf(self.cf(HEADERS), hash, value);
        let mut encoded = Vec::new();
        alloy_rlp::encode_list::<_, SignedTransaction>(body, &mut encoded);
        batch.put_cf(self.cf(BODIES), hash, encoded);
    }

    /// Initialises an empty store with the genesis block and its state, in one batch.
    ///
    /// # Errors
    /// A write error.
    pub fn init_genesis(
        &self,
        header: &Header,
        work: U256,
        changes: &StateChanges,
    ) -> Result<(), StoreError> {
        let hash = header.hash();
        let mut batch = WriteBatch::default();
        self.put_block_into(&mut batch, header, work, &[]);
        self.apply_changes(&mut batch, changes, &self.pre_state(changes)?);
        batch.put_cf(self.cf(RECEIPTS), hash, codec::encode(&BlockReceipts::default())?);
        batch.put_cf(self.cf(META), canonical_key(0), hash);
        batch.put_cf(self.cf(META), GENESIS_KEY, hash);
        batch.put_cf(self.cf(META), TIP_KEY, hash);
        self.sync_write(batch)
    }

    /// The canonical values of everything `changes` would overwrite, as an undo record: each
    /// changed account's record, every slot of accounts it clears or deletes, and every slot it
    /// writes (zero when unset).
    ///
    /// # Errors
    /// A read error or a corrupt record.
    pub fn pre_state(&self, changes: &StateChanges) -> Result<Undo, StoreError> {
        let mut undo = Undo::default();
        for (address, change) in &changes.accounts {
            undo.accounts.push((*address, self.get(ACCOUNTS, address.as_slice())?));
            if change.storage_cleared || change.info.is_none() {
                for (slot, value) in self.storage_of(address)? {
                    undo.storage.push((*address, slot, B256::from(value)));
                }
            }
            for slot in change.storage.keys() {
                let slot = B256::from(*slot);
                undo.storage.push((*address, slot, B256::from(self.storage(address, &slot)?)));
            }
        }
        Ok(undo)
    }

    /// Records in `batch` the state `changes`; `undo` is [`Store::pre_state`] of them.
    fn apply_changes(&self, batch: &mut WriteBatch, changes: &StateChanges, undo: &Undo) {
        // Cleared or deleted accounts lose every slot they had (the undo record lists them);
        // slots the change writes afterwards are put back below, later in the same batch.
        for (address, slot, _) in &undo.storage {
            let change = &changes.accounts[address];
            if change.storage_cleared || change.info.is_none() {
                batch.delete_cf(self.cf(STORAGE), storage_key(*address, slot));
            }
        }
        for (address, change) in &changes.accounts {
            match &change.info {
                Some(info) => batch.put_cf(self.cf(ACCOUNTS), address, encode_account(info)),
                None => batch.delete_cf(self.cf(ACCOUNTS), address),
            }
            if let (Some(code), Some(info)) = (&change.code, &change.info) {
                batch.put_cf(self.cf(CODE), info.code_hash, code);
            }
            if change.info.is_none() {
                continue;
            }
            for (slot, value) in &change.storage {
                let key = storage_key(*address, &B256::from(*slot));
                if value.is_zero() {
                    batch.delete_cf(self.cf(STORAGE), key);
                } else {
                    batch.put_cf(self.cf(STORAGE), key, value.to_be_bytes::<32>());
                }
            }
        }
    }

    /// Makes `header` (whose parent is the current tip) the canonical tip: its header and
    /// body, receipts, tx index, state changes, undo record, canonical index entry and the tip
    /// pointer, in ONE synced `WriteBatch`. `undo` must be [`Store::pre_state`] of `changes`,
    /// read at the current tip (the caller needs it anyway to roll its tries back).
    ///
    /// # Errors
    /// An encoding or write error; nothing is written then.
    pub fn connect(
        &self,
        header: &Header,
        work: U256,
        body: &[SignedTransaction],
        changes: &StateChanges,
        undo: &Undo,
        receipts: &BlockReceipts,
    ) -> Result<(), StoreError> {
        let hash = header.hash();
        let mut batch = WriteBatch::default();
        self.put_block_into(&mut batch, header, work, body);
        self.apply_changes(&mut batch, changes, undo);
        batch.put_cf(self.cf(UNDO), hash, codec::encode(undo)?);
        batch.put_cf(self.cf(RECEIPTS), hash, codec::encode(receipts)?);
        for (index, tx) in body.iter().enumerate() {
            let mut location = hash.to_vec();
            location.extend_from_slice(&(index as u32).to_be_bytes());
            batch.put_cf(self.cf(TX_INDEX), tx.hash(), location);
        }
        batch.put_cf(self.cf(META), canonical_key(header.number), hash);
        batch.put_cf(self.cf(META), TIP_KEY, hash);
        self.sync_write(batch)
    }

    /// Disconnects the canonical tip `header` (body `body`): restores the state from its undo
    /// record, drops its receipts, tx index entries and canonical index entry, and points the
    /// tip at its parent, in ONE synced `WriteBatch`. The header and body stay stored. Returns
    /// the undo record applied.
    ///
    /// # Errors
    /// [`StoreError::Missing`] without an undo record; read or write errors.
    pub fn disconnect(
        &self,
        header: &Header,
        body: &[SignedTransaction],
    ) -> Result<Undo, StoreError> {
        let hash = header.hash();
        let undo = self
            .undo(&hash)?
            .ok_or_else(|| StoreError::Missing { family: UNDO, key: hash.to_string() })?;
        let mut batch = WriteBatch::default();
        for (address, before) in &undo.accounts {
            match before {
                Some(bytes) => batch.put_cf(self.cf(ACCOUNTS), address, bytes),
                None => batch.delete_cf(self.cf(ACCOUNTS), address),
            }
        }
        // Every slot the block wrote or cleared is recorded with its pre-block value (zero
        // for slots it created).
        for (address, slot, before) in &undo.storage {
            let key = storage_key(*address, slot);
            if before.is_zero() {
                batch.delete_cf(self.cf(STORAGE), key);
            } else {
                batch.put_cf(self.cf(STORAGE), key, before);
            }
        }
        batch.delete_cf(self.cf(UNDO), hash);
        batch.delete_cf(self.cf(RECEIPTS), hash);
        for tx in body {
            batch.delete_cf(self.cf(TX_INDEX), tx.hash());
        }
        batch.delete_cf(self.cf(META), canonical_key(header.number));
        batch.put_cf(self.cf(META), TIP_KEY, header.parent_hash);
        self.sync_write(batch)?;
        Ok(undo)
    }
}

fn decode_header(key: &[u8], bytes: &[u8]) -> Result<(Header, U256), StoreError> {
    if bytes.len() < 32 {
        return Err(corrupt(HEADERS, key, "shorter than its work prefix"));
    }
    let work = U256::from_be_slice(&bytes[..32]);
    let header = Header::decode_exact(&bytes[32..]).map_err(|e| corrupt(HEADERS, key, e))?;
    Ok((header, work))
}
