//! The store's records: column family names, key layouts and value encodings.
//!
//! Integers are big-endian so that RocksDB's byte order is numeric order; keys are fixed width.
//! Ethereum objects keep their canonical RLP; Quarry's own records use the one binary codec
//! (`quarry_primitives::codec`), always decoded with a size limit.

use alloy_primitives::{Address, B256, U256};
use quarry_primitives::codec::Record;
use quarry_primitives::{Header, Receipt};
use quarry_vm::AccountInfo;
use serde::{Deserialize, Serialize};

use super::StoreError;

pub(crate) const HEADERS: &str = "headers";
pub(crate) const BODIES: &str = "bodies";
pub(crate) const BLOCK_NUMBERS: &str = "block_numbers";
pub(crate) const RECEIPTS: &str = "receipts";
pub(crate) const TX_INDEX: &str = "tx_index";
pub(crate) const CANONICAL: &str = "canonical";
pub(crate) const ACCOUNTS: &str = "accounts";
pub(crate) const STORAGE: &str = "storage";
pub(crate) const CODE: &str = "code";
pub(crate) const CHANGESETS: &str = "changesets";
pub(crate) const ACCOUNT_HISTORY: &str = "account_history";
pub(crate) const STORAGE_HISTORY: &str = "storage_history";
pub(crate) const TRIE_NODES: &str = "trie_nodes";
pub(crate) const SENDER_NONCES: &str = "sender_nonces";
pub(crate) const CONTRACT_CREATORS: &str = "contract_creators";
pub(crate) const ADDRESS_TXS: &str = "address_txs";
pub(crate) const META: &str = "meta";

/// Every column family, in the order they are opened.
pub(crate) const FAMILIES: [&str; 17] = [
    HEADERS,
    BODIES,
    BLOCK_NUMBERS,
    RECEIPTS,
    TX_INDEX,
    CANONICAL,
    ACCOUNTS,
    STORAGE,
    CODE,
    CHANGESETS,
    ACCOUNT_HISTORY,
    STORAGE_HISTORY,
    TRIE_NODES,
    SENDER_NONCES,
    CONTRACT_CREATORS,
    ADDRESS_TXS,
    META,
];

pub(crate) const TIP_KEY: &[u8] = b"tip";
pub(crate) const GENESIS_KEY: &[u8] = b"genesis";
pub(crate) const SCHEMA_KEY: &[u8] = b"schema";
pub(crate) const OLDEST_STATE_KEY: &[u8] = b"oldest_state";

/// The layout version this code writes and reads. Version 1 (before the engine) kept only
/// the tip's state and hash-keyed undo records; its datadirs are refused with a clear error.
pub const SCHEMA_VERSION: u64 = 2;

pub(crate) fn corrupt(family: &'static str, key: &[u8], reason: impl ToString) -> StoreError {
    StoreError::Corrupt {
        family,
        key: alloy_primitives::hex::encode(key),
        reason: reason.to_string(),
    }
}

/// Receipts of one block and what RPC needs besides them. Stored for every block the node
/// executed, canonical or not, so readers (a logs subscription after a reorg) still find the
/// receipts of a disconnected block.
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

/// An account as the store keeps it (the trie leaf without the storage root).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAccount {
    /// Nonce.
    pub nonce: u64,
    /// Balance in wei.
    pub balance: U256,
    /// keccak256 of the code.
    pub code_hash: B256,
}

impl From<&AccountInfo> for StoredAccount {
    fn from(info: &AccountInfo) -> Self {
        StoredAccount { nonce: info.nonce, balance: info.balance, code_hash: info.code_hash }
    }
}

impl From<StoredAccount> for AccountInfo {
    fn from(a: StoredAccount) -> Self {
        AccountInfo { nonce: a.nonce, balance: a.balance, code_hash: a.code_hash }
    }
}

/// What one canonical block changed, as the values from before it (keyed by block number):
/// disconnecting the block restores them, and a read of the state at an earlier block finds
/// them through the history indexes. Erigon's and reth's `AccountChangeSets` /
/// `StorageChangeSets` are the model.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeSet {
    /// The block these are the changes of (a change set belongs to one branch).
    pub block_hash: B256,
    /// Each changed account and its record before the block (`None`: it did not exist).
    pub accounts: Vec<(Address, Option<StoredAccount>)>,
    /// Each slot the block wrote or cleared, with its value before the block (zero: unset).
    pub storage: Vec<(Address, B256, U256)>,
}

impl Record for ChangeSet {
    const MAX_SIZE: u64 = 256 * 1024 * 1024;
}

/// Encodes an account record: nonce ‖ balance ‖ code hash (72 bytes).
pub fn encode_account(account: &StoredAccount) -> [u8; 72] {
    let mut out = [0u8; 72];
    out[..8].copy_from_slice(&account.nonce.to_be_bytes());
    out[8..40].copy_from_slice(&account.balance.to_be_bytes::<32>());
    out[40..].copy_from_slice(account.code_hash.as_slice());
    out
}

/// Decodes an account record written by [`encode_account`] (`key` names it in errors).
///
/// # Errors
/// [`StoreError::Corrupt`] unless `bytes` is 72 bytes long.
pub fn decode_account(key: &[u8], bytes: &[u8]) -> Result<StoredAccount, StoreError> {
    if bytes.len() != 72 {
        return Err(corrupt(ACCOUNTS, key, format!("{} bytes, expected 72", bytes.len())));
    }
    Ok(StoredAccount {
        nonce: u64::from_be_bytes(bytes[..8].try_into().expect("8 bytes")),
        balance: U256::from_be_slice(&bytes[8..40]),
        code_hash: B256::from_slice(&bytes[40..72]),
    })
}

pub(crate) fn storage_key(address: &Address, slot: &B256) -> [u8; 52] {
    let mut key = [0u8; 52];
    key[..20].copy_from_slice(address.as_slice());
    key[20..].copy_from_slice(slot.as_slice());
    key
}

/// `address ‖ number`: the account history entry of the block `number` that changed it.
pub(crate) fn account_history_key(address: &Address, number: u64) -> [u8; 28] {
    let mut key = [0u8; 28];
    key[..20].copy_from_slice(address.as_slice());
    key[20..].copy_from_slice(&number.to_be_bytes());
    key
}

/// `address ‖ slot ‖ number`: the storage history entry of the block `number` that wrote it.
pub(crate) fn storage_history_key(address: &Address, slot: &B256, number: u64) -> [u8; 60] {
    let mut key = [0u8; 60];
    key[..52].copy_from_slice(&storage_key(address, slot));
    key[52..].copy_from_slice(&number.to_be_bytes());
    key
}

/// `sender ‖ nonce`: the canonical transaction a sender sent with a nonce.
pub(crate) fn sender_nonce_key(sender: &Address, nonce: u64) -> [u8; 28] {
    account_history_key(sender, nonce)
}

/// `address ‖ number ‖ index`: a canonical transaction the address sent, received or created.
pub(crate) fn address_tx_key(address: &Address, number: u64, index: u32) -> [u8; 32] {
    let mut key = [0u8; 32];
    key[..28].copy_from_slice(&account_history_key(address, number));
    key[28..].copy_from_slice(&index.to_be_bytes());
    key
}

/// `number ‖ hash`: one stored block (any branch) in the height index.
pub(crate) fn block_number_key(number: u64, hash: &B256) -> [u8; 40] {
    let mut key = [0u8; 40];
    key[..8].copy_from_slice(&number.to_be_bytes());
    key[8..].copy_from_slice(hash.as_slice());
    key
}

pub(crate) fn encode_header(header: &Header, work: U256) -> Vec<u8> {
    let mut value = work.to_be_bytes::<32>().to_vec();
    value.extend_from_slice(&header.encoded());
    value
}

pub(crate) fn decode_header(key: &[u8], bytes: &[u8]) -> Result<(Header, U256), StoreError> {
    if bytes.len() < 32 {
        return Err(corrupt(HEADERS, key, "shorter than its work prefix"));
    }
    let work = U256::from_be_slice(&bytes[..32]);
    let header = Header::decode_exact(&bytes[32..]).map_err(|e| corrupt(HEADERS, key, e))?;
    Ok((header, work))
}

pub(crate) fn decode_hash(
    family: &'static str,
    key: &[u8],
    bytes: &[u8],
) -> Result<B256, StoreError> {
    if bytes.len() != 32 {
        return Err(corrupt(family, key, format!("{} bytes, expected 32", bytes.len())));
    }
    Ok(B256::from_slice(bytes))
}

pub(crate) fn decode_u64(
    family: &'static str,
    key: &[u8],
    bytes: &[u8],
) -> Result<u64, StoreError> {
    let bytes: [u8; 8] =
        bytes.try_into().map_err(|_| corrupt(family, key, format!("{} bytes", bytes.len())))?;
    Ok(u64::from_be_bytes(bytes))
}

pub(crate) fn decode_word(
    family: &'static str,
    key: &[u8],
    bytes: &[u8],
) -> Result<U256, StoreError> {
    if bytes.len() != 32 {
        return Err(corrupt(family, key, format!("{} bytes, expected 32", bytes.len())));
    }
    Ok(U256::from_be_slice(bytes))
}
