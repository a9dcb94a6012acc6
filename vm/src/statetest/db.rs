//! [`MemDb`]: world state in memory, the state-test runner's (and the tests') [`Database`].

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};

use crate::database::{AccountInfo, Database, KECCAK_EMPTY};
use crate::result::StateChanges;
use crate::trie;

/// One account held by [`MemDb`]: its info and its non-zero storage slots.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemAccount {
    /// Balance, nonce and code hash.
    pub info: AccountInfo,
    /// Storage slot → value; zero values are never stored.
    pub storage: BTreeMap<U256, U256>,
}

/// World state in memory: accounts by address and code by hash. Reads never fail.
///
/// `block_hash(n)` follows the state-test convention shared by geth's and revm's runners:
/// keccak256 of the decimal string of `n`.
#[derive(Clone, Debug, Default)]
pub struct MemDb {
    /// Existing accounts.
    pub accounts: BTreeMap<Address, MemAccount>,
    /// Code by keccak256 hash (the empty code is implied for [`KECCAK_EMPTY`]).
    pub codes: HashMap<B256, Bytes>,
}

impl MemDb {
    /// An empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates or replaces the account at `address` with `balance`, `nonce`, `code` and
    /// `storage` (zero values dropped).
    pub fn insert_account(
        &mut self,
        address: Address,
        balance: U256,
        nonce: u64,
        code: Bytes,
        storage: impl IntoIterator<Item = (U256, U256)>,
    ) {
        let code_hash = AccountInfo::code_hash_of(&code);
        if code_hash != KECCAK_EMPTY {
            self.codes.insert(code_hash, code);
        }
        let storage = storage.into_iter().filter(|(_, v)| !v.is_zero()).collect();
        let info = AccountInfo { balance, nonce, code_hash };
        self.accounts.insert(address, MemAccount { info, storage });
    }

    /// Applies a transaction's [`StateChanges`]: deleted accounts go, `storage_cleared` drops
    /// every slot first, zero values delete slots, new code is stored by hash.
    pub fn commit(&mut self, changes: &StateChanges) {
        for (address, change) in &changes.accounts {
            let Some(info) = &change.info else {
                self.accounts.remove(address);
                continue;
            };
            let account = self.accounts.entry(*address).or_default();
            if change.storage_cleared {
                account.storage.clear();
            }
            for (slot, value) in &change.storage {
                if value.is_zero() {
                    account.storage.remove(slot);
                } else {
                    account.storage.insert(*slot, *value);
                }
            }
            account.info = info.clone();
            if let Some(code) = &change.code {
                if info.code_hash != KECCAK_EMPTY {
                    self.codes.insert(info.code_hash, code.clone());
                }
            }
        }
    }

    /// The state root of everything held (Yellow Paper §4.1), see [`trie::state_root`].
    pub fn state_root(&self) -> B256 {
        trie::state_root(self.accounts.iter().map(|(address, account)| {
            (*address, &account.info, trie::storage_root(&account.storage))
        }))
    }
}

impl Database for MemDb {
    type Error = Infallible;

    fn account(&mut self, address: Address) -> Result<Option<AccountInfo>, Infallible> {
        Ok(self.accounts.get(&address).map(|a| a.info.clone()))
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytes, Infallible> {
        Ok(self.codes.get(&code_hash).cloned().unwrap_or_default())
    }

    fn storage(&mut self, address: Address, slot: U256) -> Result<U256, Infallible> {
        Ok(self
            .accounts
            .get(&address)
            .and_then(|a| a.storage.get(&slot).copied())
            .unwrap_or_default())
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, Infallible> {
        Ok(keccak256(number.to_string().as_bytes()))
    }

    /// State tests do hold accounts with storage but no code and nonce 0 (EIP-7610 fixtures).
    fn has_storage(&mut self, address: Address) -> Result<bool, Infallible> {
        Ok(self
            .accounts
            .get(&address)
            .is_some_and(|account| account.storage.values().any(|value| !value.is_zero())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::AccountChange;

    #[test]
    fn commit_applies_storage_code_and_deletions() {
        let (a, b) = (Address::with_last_byte(1), Address::with_last_byte(2));
        let mut db = MemDb::new();
        db.insert_account(a, U256::from(5), 0, Bytes::new(), [(U256::from(1), U256::from(7))]);
        db.insert_account(b, U256::from(1), 0, Bytes::new(), []);
        let code = Bytes::from_static(&[0x60, 0x00]);
        let mut changes = StateChanges::default();
        let info = AccountInfo { balance: U256::from(4), nonce: 1, code_hash: keccak256(&code) };
        let mut storage = BTreeMap::new();
        storage.insert(U256::from(1), U256::ZERO);
        storage.insert(U256::from(2), U256::from(9));
        changes.accounts.insert(
            a,
            AccountChange {
                info: Some(info),
                code: Some(code.clone()),
                storage,
                storage_cleared: false,
            },
        );
        changes.accounts.insert(b, AccountChange::default());
        db.commit(&changes);

        assert!(!db.accounts.contains_key(&b));
        let acc = &db.accounts[&a];
        assert_eq!(acc.storage.iter().collect::<Vec<_>>(), vec![(&U256::from(2), &U256::from(9))]);
        assert_eq!(db.code_by_hash(keccak256(&code)).unwrap(), code);
        assert_eq!(db.storage(a, U256::from(1)).unwrap(), U256::ZERO);
    }
}
