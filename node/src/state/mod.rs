//! World-state commitments: the account trie and one storage trie per account (Yellow Paper
//! §4.1), stored node by node under their hashes (see [`trie`]) and updated with exactly the
//! accounts and slots a block touched.
//!
//! The flat state (account records, slots, code) and its history live in the store; the tries
//! only commit to it. [`StateTries`] is the trie at one state root: opening it reads nothing,
//! applying a block's changes loads the paths it touches and returns the nodes to store, and
//! cloning it is cheap, so the engine, block templates and RPC readers each hold their own.

pub mod provider;
pub mod trie;

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_rlp::Decodable;
use alloy_trie::EMPTY_ROOT_HASH;
use quarry_vm::result::StateChanges;
use quarry_vm::AccountInfo;

pub use provider::{StateAt, StateBlock};
pub use quarry_vm::trie::account_rlp;
pub use trie::{prove, NoNodes, NodeSource, Trie, TrieError};

/// A storage value as its trie stores it: `rlp(value)` with leading zeros stripped.
pub fn slot_rlp(value: U256) -> Vec<u8> {
    alloy_rlp::encode(value)
}

/// The trie key of an account: keccak256 of its address (the "secure trie").
pub fn account_key(address: &Address) -> B256 {
    keccak256(address)
}

/// The trie key of a storage slot: keccak256 of the slot as a 32-byte big-endian word.
pub fn slot_key(slot: &U256) -> B256 {
    keccak256(slot.to_be_bytes::<32>())
}

/// An account leaf of the state trie: RLP([nonce, balance, storage_root, code_hash]) (Yellow
/// Paper §4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, alloy_rlp::RlpDecodable)]
pub struct TrieAccount {
    /// Nonce.
    pub nonce: u64,
    /// Balance in wei.
    pub balance: U256,
    /// Root of the account's storage trie.
    pub storage_root: B256,
    /// keccak256 of the account's code.
    pub code_hash: B256,
}

/// What applying changes to the tries produced: the new state root and the trie nodes to
/// store (every node new under that root, storage tries included).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrieUpdate {
    /// The state root after the changes.
    pub root: B256,
    /// `(keccak256(rlp(node)), rlp(node))` for each new node.
    pub nodes: Vec<(B256, Bytes)>,
}

/// The account trie at one state root, with the storage tries reached through its leaves.
#[derive(Clone, Debug)]
pub struct StateTries {
    accounts: Trie,
    root: B256,
}

impl StateTries {
    /// The state whose root is `root`; nodes load from a [`NodeSource`] when needed.
    pub fn at_root(root: B256) -> Self {
        StateTries { accounts: Trie::at_root(root), root }
    }

    /// The state root.
    pub fn root(&self) -> B256 {
        self.root
    }

    /// The account leaf of `address` (`None`: no such account).
    ///
    /// # Errors
    /// A trie node cannot be loaded or the leaf does not decode.
    pub fn account(
        &self,
        address: &Address,
        source: &impl NodeSource,
    ) -> Result<Option<TrieAccount>, TrieError> {
        let Some(leaf) = self.accounts.get(&account_key(address), source)? else {
            return Ok(None);
        };
        TrieAccount::decode(&mut &leaf[..]).map(Some).map_err(|e| TrieError::Corrupt {
            hash: self.root,
            reason: format!("account leaf of {address}: {e}"),
        })
    }

    /// The storage root of `address` ([`EMPTY_ROOT_HASH`] without storage or account).
    ///
    /// # Errors
    /// As [`StateTries::account`].
    pub fn storage_root(
        &self,
        address: &Address,
        source: &impl NodeSource,
    ) -> Result<B256, TrieError> {
        Ok(self.account(address, source)?.map_or(EMPTY_ROOT_HASH, |a| a.storage_root))
    }

    /// Applies a block's `changes` (each changed account's final info, its written slots,
    /// storage cleared by SELFDESTRUCT or re-creation; `info: None` deletes the account) and
    /// returns the new root with the nodes to store. On error the tries are unchanged.
    ///
    /// # Errors
    /// A trie node cannot be loaded from `source`.
    pub fn apply(
        &mut self,
        changes: &StateChanges,
        source: &impl NodeSource,
    ) -> Result<TrieUpdate, TrieError> {
        let mut accounts = self.accounts.clone();
        let mut nodes = Vec::new();
        for (address, change) in &changes.accounts {
            let key = account_key(address);
            let Some(info) = &change.info else {
                accounts.remove(&key, source)?;
                continue;
            };
            let storage_root = if change.storage_cleared {
                EMPTY_ROOT_HASH
            } else {
                self.storage_root(address, source)?
            };
            let storage_root = if change.storage.is_empty() {
                storage_root
            } else {
                let mut storage = Trie::at_root(storage_root);
                for (slot, value) in &change.storage {
                    if value.is_zero() {
                        storage.remove(&slot_key(slot), source)?;
                    } else {
                        storage.insert(&slot_key(slot), slot_rlp(*value), source)?;
                    }
                }
                let (root, new) = storage.commit();
                nodes.extend(new);
                root
            };
            accounts.insert(&key, account_rlp(info, storage_root), source)?;
        }
        let (root, new) = accounts.commit();
        nodes.extend(new);
        self.accounts = accounts;
        self.root = root;
        Ok(TrieUpdate { root, nodes })
    }
}

/// The state root of a whole state given in full (accounts with their non-zero slots), built
/// in memory without a node store: what `quarry-node check` compares with the tip header.
pub fn state_root_of<'a>(
    accounts: impl IntoIterator<Item = (Address, &'a AccountInfo, Vec<(U256, U256)>)>,
) -> B256 {
    let mut trie = Trie::new();
    for (address, info, slots) in accounts {
        let mut storage = Trie::new();
        for (slot, value) in slots.into_iter().filter(|(_, v)| !v.is_zero()) {
            storage.insert(&slot_key(&slot), slot_rlp(value), &NoNodes).expect("in memory");
        }
        let leaf = account_rlp(info, storage.root());
        trie.insert(&account_key(&address), leaf, &NoNodes).expect("in memory");
    }
    trie.root()
}

#[cfg(test)]
mod tests {
    use super::*;
    use quarry_vm::result::AccountChange;
    use std::cell::RefCell;
    use std::collections::{BTreeMap, HashMap};

    #[derive(Default)]
    struct MapSource(RefCell<HashMap<B256, Vec<u8>>>);

    impl NodeSource for MapSource {
        fn node(&self, hash: &B256) -> Result<Option<Vec<u8>>, TrieError> {
            Ok(self.0.borrow().get(hash).cloned())
        }
    }

    /// Blocks of random account and slot changes applied incrementally (each time from the
    /// stored nodes only) give the VM's full-rehash root.
    #[test]
    fn incremental_roots_equal_the_vm_full_rehash() {
        let source = MapSource::default();
        let mut tries = StateTries::at_root(EMPTY_ROOT_HASH);
        let mut accounts: BTreeMap<Address, (AccountInfo, BTreeMap<U256, U256>)> = BTreeMap::new();
        for step in 0u64..40 {
            let address = Address::with_last_byte((step % 9) as u8);
            let info = AccountInfo::with_balance(U256::from(step * 1000 + 1), step);
            let entry = accounts.entry(address).or_insert((info.clone(), BTreeMap::new()));
            entry.0 = info.clone();
            let slot = U256::from(step % 5);
            let value = U256::from(step % 3);
            if value.is_zero() {
                entry.1.remove(&slot);
            } else {
                entry.1.insert(slot, value);
            }
            let mut change = AccountChange {
                info: Some(info),
                storage: BTreeMap::from([(slot, value)]),
                ..AccountChange::default()
            };
            if step % 11 == 10 {
                accounts.remove(&address);
                change = AccountChange::default();
            }
            let mut changes = StateChanges::default();
            changes.accounts.insert(address, change);
            // Reopen from the root alone: every read goes through the stored nodes.
            tries = StateTries::at_root(tries.root());
            let update = tries.apply(&changes, &source).unwrap();
            source.0.borrow_mut().extend(update.nodes.iter().map(|(h, n)| (*h, n.to_vec())));
            let expected = quarry_vm::trie::state_root(
                accounts.iter().map(|(a, (i, s))| (*a, i, quarry_vm::trie::storage_root(s.iter()))),
            );
            assert_eq!(update.root, expected, "after step {step}");
            assert_eq!(
                state_root_of(
                    accounts
                        .iter()
                        .map(|(a, (i, s))| { (*a, i, s.iter().map(|(k, v)| (*k, *v)).collect()) })
                ),
                expected
            );
        }
    }
}
