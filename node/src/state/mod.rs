//! World state commitments: the account trie and one storage trie per account (Yellow Paper
//! §4.1), kept in memory and updated with exactly the accounts and slots a block touched.
//!
//! The flat state (account records, slots, code) lives in the store; [`StateTries`] only
//! mirrors it to compute roots. It is built once when the node opens (which also checks the
//! store: the rebuilt root must equal the tip header's `state_root`) and then updated per
//! connected or disconnected block.

pub mod trie;

use std::collections::HashMap;

use alloy_primitives::{keccak256, Address, B256, U256};
use alloy_trie::EMPTY_ROOT_HASH;
use quarry_vm::AccountInfo;

pub use trie::Trie;

pub use quarry_vm::trie::account_rlp;

/// A storage value as its trie stores it: `rlp(value)` with leading zeros stripped.
pub fn slot_rlp(value: U256) -> Vec<u8> {
    alloy_rlp::encode(value)
}

/// The account trie and every account's storage trie.
#[derive(Clone, Debug, Default)]
pub struct StateTries {
    accounts: Trie,
    infos: HashMap<Address, AccountInfo>,
    storage: HashMap<Address, Trie>,
}

impl StateTries {
    /// Empty state (root [`EMPTY_ROOT_HASH`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `address`'s balance, nonce and code hash (`None` deletes the account together with
    /// its storage trie). The account leaf is rewritten by [`StateTries::root`].
    pub fn set_account(&mut self, address: Address, info: Option<AccountInfo>) {
        match info {
            Some(info) => {
                self.infos.insert(address, info);
            }
            None => {
                self.infos.remove(&address);
                self.storage.remove(&address);
                self.accounts.remove(&keccak256(address));
            }
        }
    }

    /// Sets one storage slot of `address` (zero deletes it).
    pub fn set_slot(&mut self, address: Address, slot: U256, value: U256) {
        let key = keccak256(slot.to_be_bytes::<32>());
        let trie = self.storage.entry(address).or_default();
        if value.is_zero() {
            trie.remove(&key);
        } else {
            trie.insert(&key, slot_rlp(value));
        }
    }

    /// Drops every slot of `address` (its account record stays).
    pub fn clear_storage(&mut self, address: Address) {
        self.storage.remove(&address);
    }

    /// Rewrites the leaves of `touched` accounts (their storage roots may have changed) and
    /// returns the state root. Accounts not in `touched` keep their cached nodes.
    pub fn root(&mut self, touched: impl IntoIterator<Item = Address>) -> B256 {
        for address in touched {
            let key = keccak256(address);
            match self.infos.get(&address) {
                Some(info) => {
                    let storage_root =
                        self.storage.get_mut(&address).map_or(EMPTY_ROOT_HASH, Trie::root);
                    self.accounts.insert(&key, account_rlp(info, storage_root));
                }
                None => {
                    self.accounts.remove(&key);
                }
            }
        }
        self.accounts.root()
    }

    /// The storage root of `address` ([`EMPTY_ROOT_HASH`] without storage).
    pub fn storage_root(&mut self, address: Address) -> B256 {
        self.storage.get_mut(&address).map_or(EMPTY_ROOT_HASH, Trie::root)
    }

    /// Number of accounts held.
    pub fn account_count(&self) -> usize {
        self.infos.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn incremental_roots_equal_the_vm_full_rehash() {
        let mut tries = StateTries::new();
        let mut accounts: BTreeMap<Address, (AccountInfo, BTreeMap<U256, U256>)> = BTreeMap::new();
        for step in 0u64..40 {
            let address = Address::with_last_byte((step % 9) as u8);
            let info = AccountInfo::with_balance(U256::from(step * 1000 + 1), step);
            let entry = accounts.entry(address).or_insert((info.clone(), BTreeMap::new()));
            entry.0 = info.clone();
            tries.set_account(address, Some(info));
            let slot = U256::from(step % 5);
            let value = U256::from(step % 3);
            if value.is_zero() {
                entry.1.remove(&slot);
            } else {
                entry.1.insert(slot, value);
            }
            tries.set_slot(address, slot, value);
            if step % 11 == 10 {
                accounts.remove(&address);
                tries.set_account(address, None);
            }
            let root = tries.root([address]);
            let expected = quarry_vm::trie::state_root(
                accounts.iter().map(|(a, (i, s))| (*a, i, quarry_vm::trie::storage_root(s.iter()))),
            );
            assert_eq!(root, expected, "after step {step}");
        }
    }
}
