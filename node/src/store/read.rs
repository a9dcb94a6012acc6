//! Reads, from the latest state (the engine) or from a RocksDB snapshot (a published view: every
//! read of one view sees the store as it was when the view was made, whatever the engine
//! commits meanwhile).

use std::sync::Arc;

use alloy_primitives::{Address, Bytes, B256, U256};
use quarry_primitives::codec;
use quarry_primitives::{Header, SignedTransaction};
use rocksdb::{Direction, IteratorMode, ReadOptions, DB};

use super::records::*;
use super::StoreError;
use crate::state::{NodeSource, TrieError};

self_cell::self_cell!(
    /// A RocksDB snapshot together with the database it belongs to, so a view can own it.
    struct SnapshotCell {
        owner: Arc<DB>,
        #[covariant]
        dependent: DbSnapshot,
    }
);

type DbSnapshot<'a> = rocksdb::Snapshot<'a>;

/// A consistent, immutable picture of the store, cheap to clone and to share between threads.
#[derive(Clone)]
pub struct StoreSnapshot {
    cell: Arc<SnapshotCell>,
}

impl std::fmt::Debug for StoreSnapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreSnapshot")
    }
}

impl StoreSnapshot {
    pub(crate) fn new(db: Arc<DB>) -> Self {
        StoreSnapshot { cell: Arc::new(SnapshotCell::new(db, |db| db.snapshot())) }
    }

    /// Reads through this snapshot.
    pub fn reader(&self) -> Reader<'_> {
        Reader { db: self.cell.borrow_owner(), snapshot: Some(self.cell.borrow_dependent()) }
    }
}

/// One key-value pair of a scan, or the read error that ended it.
pub(crate) type ScanItem = Result<(Box<[u8]>, Box<[u8]>), StoreError>;

/// Where reads go: the latest committed state, or a snapshot of it.
#[derive(Clone, Copy)]
pub struct Reader<'a> {
    pub(crate) db: &'a DB,
    pub(crate) snapshot: Option<&'a rocksdb::Snapshot<'a>>,
}

impl<'a> Reader<'a> {
    fn options(&self) -> ReadOptions {
        let mut options = ReadOptions::default();
        if let Some(snapshot) = self.snapshot {
            options.set_snapshot(snapshot);
        }
        options
    }

    fn cf(&self, name: &'static str) -> &'a rocksdb::ColumnFamily {
        self.db.cf_handle(name).expect("every column family is created at open")
    }

    pub(crate) fn get(
        &self,
        family: &'static str,
        key: &[u8],
    ) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.db.get_cf_opt(self.cf(family), key, &self.options())?)
    }

    /// Key-value pairs of `family` from `from` on, while keys start with `prefix`.
    pub(crate) fn scan(
        &self,
        family: &'static str,
        from: &[u8],
        prefix: &[u8],
    ) -> impl Iterator<Item = ScanItem> + 'a {
        let prefix = prefix.to_vec();
        self.db
            .iterator_cf_opt(
                self.cf(family),
                self.options(),
                IteratorMode::From(from, Direction::Forward),
            )
            .map(|item| item.map_err(StoreError::from))
            .take_while(move |item| item.as_ref().map_or(true, |(key, _)| key.starts_with(&prefix)))
    }

    fn hash_record(&self, family: &'static str, key: &[u8]) -> Result<Option<B256>, StoreError> {
        self.get(family, key)?.map(|bytes| decode_hash(family, key, &bytes)).transpose()
    }

    /// The hash of the genesis block this store was initialised with.
    ///
    /// # Errors
    /// A read error or a corrupt record.
    pub fn genesis_hash(&self) -> Result<Option<B256>, StoreError> {
        self.hash_record(META, GENESIS_KEY)
    }

    /// The canonical tip's hash.
    ///
    /// # Errors
    /// A read error or a corrupt record.
    pub fn tip(&self) -> Result<Option<B256>, StoreError> {
        self.hash_record(META, TIP_KEY)
    }

    /// The layout version of the store ([`SCHEMA_VERSION`]); `None` before version 2.
    ///
    /// # Errors
    /// A read error or a corrupt record.
    pub fn schema(&self) -> Result<Option<u64>, StoreError> {
        self.get(META, SCHEMA_KEY)?.map(|b| decode_u64(META, SCHEMA_KEY, &b)).transpose()
    }

    /// The oldest block whose state can be read (`0`: every block; see `--history`).
    ///
    /// # Errors
    /// A read error or a corrupt record.
    pub fn oldest_state(&self) -> Result<u64, StoreError> {
        Ok(self
            .get(META, OLDEST_STATE_KEY)?
            .map(|b| decode_u64(META, OLDEST_STATE_KEY, &b))
            .transpose()?
            .unwrap_or(0))
    }

    /// The hash of canonical block `number`.
    ///
    /// # Errors
    /// A read error or a corrupt record.
    pub fn canonical_hash(&self, number: u64) -> Result<Option<B256>, StoreError> {
        self.hash_record(CANONICAL, &number.to_be_bytes())
    }

    /// A stored header (any branch) and its chain's cumulative work.
    ///
    /// # Errors
    /// A read error or a corrupt record.
    pub fn header(&self, hash: &B256) -> Result<Option<(Header, U256)>, StoreError> {
        self.get(HEADERS, hash.as_slice())?
            .map(|bytes| decode_header(hash.as_slice(), &bytes))
            .transpose()
    }

    /// Every stored header (any branch) with its chain work, lowest number first (to rebuild
    /// the block tree at start).
    ///
    /// # Errors
    /// A read error or a corrupt record.
    pub fn all_headers(&self) -> Result<Vec<(B256, Header, U256)>, StoreError> {
        let mut out = self
            .scan(HEADERS, &[], &[])
            .map(|item| {
                let (key, value) = item?;
                let (header, work) = decode_header(&key, &value)?;
                Ok((B256::from_slice(&key), header, work))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        out.sort_by_key(|(_, header, _)| header.number);
        Ok(out)
    }

    /// The hashes of every stored block (any branch) at heights `from..=to`, lowest first.
    ///
    /// # Errors
    /// A read error or a corrupt key.
    pub fn block_hashes_between(&self, from: u64, to: u64) -> Result<Vec<(u64, B256)>, StoreError> {
        let mut out = Vec::new();
        for item in self.scan(BLOCK_NUMBERS, &from.to_be_bytes(), &[]) {
            let (key, _) = item?;
            if key.len() != 40 {
                return Err(corrupt(BLOCK_NUMBERS, &key, "key is not number ‖ hash"));
            }
            let number = u64::from_be_bytes(key[..8].try_into().expect("8 bytes"));
            if number > to {
                break;
            }
            out.push((number, B256::from_slice(&key[8..])));
        }
        Ok(out)
    }

    /// A stored block body (any branch).
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

    /// The receipts of block `hash`, if the node executed it (also after a reorg removed it).
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

    /// Code by its keccak256 (code is never deleted).
    ///
    /// # Errors
    /// A read error.
    pub fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, StoreError> {
        Ok(self.get(CODE, code_hash.as_slice())?.map(Bytes::from))
    }

    /// The account at the tip of this reader.
    ///
    /// # Errors
    /// A read error or a corrupt record.
    pub fn account(&self, address: &Address) -> Result<Option<StoredAccount>, StoreError> {
        self.get(ACCOUNTS, address.as_slice())?
            .map(|bytes| decode_account(address.as_slice(), &bytes))
            .transpose()
    }

    /// A storage slot at the tip of this reader (zero when unset).
    ///
    /// # Errors
    /// A read error or a corrupt record.
    pub fn storage(&self, address: &Address, slot: &B256) -> Result<U256, StoreError> {
        let key = storage_key(address, slot);
        match self.get(STORAGE, &key)? {
            None => Ok(U256::ZERO),
            Some(bytes) => decode_word(STORAGE, &key, &bytes),
        }
    }

    /// Every non-zero slot of `address` at the tip of this reader, in slot order.
    ///
    /// # Errors
    /// A read error or a corrupt record.
    pub fn storage_of(&self, address: &Address) -> Result<Vec<(B256, U256)>, StoreError> {
        self.scan(STORAGE, address.as_slice(), address.as_slice())
            .map(|item| {
                let (key, value) = item?;
                if key.len() != 52 {
                    return Err(corrupt(STORAGE, &key, "wrong key size"));
                }
                Ok((B256::from_slice(&key[20..]), decode_word(STORAGE, &key, &value)?))
            })
            .collect()
    }

    /// Every account at the tip of this reader, in address order.
    ///
    /// # Errors
    /// A read error or a corrupt record.
    pub fn accounts(&self) -> Result<Vec<(Address, StoredAccount)>, StoreError> {
        self.scan(ACCOUNTS, &[], &[])
            .map(|item| {
                let (key, value) = item?;
                if key.len() != 20 {
                    return Err(corrupt(ACCOUNTS, &key, "key is not an address"));
                }
                Ok((Address::from_slice(&key), decode_account(&key, &value)?))
            })
            .collect()
    }

    /// The change set of canonical block `number` (absent for genesis and pruned blocks).
    ///
    /// # Errors
    /// A read error or a corrupt record.
    pub fn changeset(&self, number: u64) -> Result<Option<ChangeSet>, StoreError> {
        let key = number.to_be_bytes();
        self.get(CHANGESETS, &key)?
            .map(|bytes| codec::decode(&bytes).map_err(|e| corrupt(CHANGESETS, &key, e)))
            .transpose()
    }

    /// The account as it was after canonical block `number`: the value recorded by the first
    /// later block that changed it, else the current one. The caller checks that `number` is
    /// within the kept history (`oldest_state`).
    ///
    /// # Errors
    /// A read error or a corrupt record.
    pub fn account_at(
        &self,
        address: &Address,
        number: u64,
    ) -> Result<Option<StoredAccount>, StoreError> {
        let from = account_history_key(address, number.saturating_add(1));
        match self.scan(ACCOUNT_HISTORY, &from, address.as_slice()).next() {
            Some(item) => {
                let (key, value) = item?;
                if value.is_empty() {
                    Ok(None)
                } else {
                    decode_account(&key, &value).map(Some)
                }
            }
            None => self.account(address),
        }
    }

    /// The slot as it was after canonical block `number` (see [`Reader::account_at`]).
    ///
    /// # Errors
    /// A read error or a corrupt record.
    pub fn storage_at(
        &self,
        address: &Address,
        slot: &B256,
        number: u64,
    ) -> Result<U256, StoreError> {
        let from = storage_history_key(address, slot, number.saturating_add(1));
        match self.scan(STORAGE_HISTORY, &from, &storage_key(address, slot)).next() {
            Some(item) => {
                let (key, value) = item?;
                decode_word(STORAGE_HISTORY, &key, &value)
            }
            None => self.storage(address, slot),
        }
    }

    /// The canonical transaction `sender` sent with `nonce`.
    ///
    /// # Errors
    /// A read error or a corrupt record.
    pub fn tx_by_sender_nonce(
        &self,
        sender: &Address,
        nonce: u64,
    ) -> Result<Option<B256>, StoreError> {
        let key = sender_nonce_key(sender, nonce);
        self.get(SENDER_NONCES, &key)?.map(|b| decode_hash(SENDER_NONCES, &key, &b)).transpose()
    }

    /// The canonical transaction that created contract `address` at the top level, and its
    /// sender.
    ///
    /// # Errors
    /// A read error or a corrupt record.
    pub fn contract_creator(
        &self,
        address: &Address,
    ) -> Result<Option<(B256, Address)>, StoreError> {
        match self.get(CONTRACT_CREATORS, address.as_slice())? {
            None => Ok(None),
            Some(b) if b.len() == 52 => {
                Ok(Some((B256::from_slice(&b[..32]), Address::from_slice(&b[32..]))))
            }
            Some(b) => {
                Err(corrupt(CONTRACT_CREATORS, address.as_slice(), format!("{} bytes", b.len())))
            }
        }
    }

    /// Canonical transactions `address` sent, received or created (top level), as (block
    /// number, index) pairs in chain order, from block `from` on (inclusive), at most `limit`;
    /// with `backwards`, from block `from` down.
    ///
    /// # Errors
    /// A read error or a corrupt key.
    pub fn address_txs(
        &self,
        address: &Address,
        from: u64,
        backwards: bool,
        limit: usize,
    ) -> Result<Vec<(u64, u32)>, StoreError> {
        let decode = |key: &[u8]| -> Result<(u64, u32), StoreError> {
            if key.len() != 32 {
                return Err(corrupt(ADDRESS_TXS, key, "key is not address ‖ number ‖ index"));
            }
            Ok((
                u64::from_be_bytes(key[20..28].try_into().expect("8 bytes")),
                u32::from_be_bytes(key[28..].try_into().expect("4 bytes")),
            ))
        };
        let mut out = Vec::new();
        if backwards {
            let upper = address_tx_key(address, from, u32::MAX);
            let mode = IteratorMode::From(&upper, Direction::Reverse);
            for item in self.db.iterator_cf_opt(self.cf(ADDRESS_TXS), self.options(), mode) {
                let (key, _) = item?;
                if !key.starts_with(address.as_slice()) || out.len() >= limit {
                    break;
                }
                out.push(decode(&key)?);
            }
        } else {
            let lower = address_tx_key(address, from, 0);
            for item in self.scan(ADDRESS_TXS, &lower, address.as_slice()) {
                let (key, _) = item?;
                if out.len() >= limit {
                    break;
                }
                out.push(decode(&key)?);
            }
        }
        Ok(out)
    }

    /// A trie node by its hash.
    ///
    /// # Errors
    /// A read error.
    pub fn trie_node(&self, hash: &B256) -> Result<Option<Vec<u8>>, StoreError> {
        self.get(TRIE_NODES, hash.as_slice())
    }
}

impl NodeSource for Reader<'_> {
    fn node(&self, hash: &B256) -> Result<Option<Vec<u8>>, TrieError> {
        self.trie_node(hash).map_err(|e| TrieError::Read { hash: *hash, reason: e.to_string() })
    }
}
