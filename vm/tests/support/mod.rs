//! Shared helpers for the integration tests: a tiny in-memory [`Database`] and hex decoding.

#![allow(dead_code)]

use std::collections::HashMap;
use std::convert::Infallible;

use alloy_primitives::{Address, Bytes, B256, U256};
use quarry_vm::{AccountInfo, Database};

/// Decodes hex (no `0x`), panicking on malformed test input.
pub fn hex(s: &str) -> Vec<u8> {
    alloy_primitives::hex::decode(s).expect("valid hex in test")
}

/// An in-memory state.
#[derive(Default)]
pub struct MemDb {
    pub accounts: HashMap<Address, AccountInfo>,
    pub code: HashMap<B256, Bytes>,
    pub storage: HashMap<(Address, U256), U256>,
}

impl MemDb {
    /// Adds an account with `balance` and `code`.
    pub fn with_account(mut self, address: Address, balance: U256, code: &[u8]) -> Self {
        let code_hash = AccountInfo::code_hash_of(code);
        self.code.insert(code_hash, Bytes::copy_from_slice(code));
        let nonce = if code.is_empty() { 0 } else { 1 };
        self.accounts.insert(address, AccountInfo { balance, nonce, code_hash });
        self
    }

    /// Sets a storage slot.
    pub fn with_slot(mut self, address: Address, slot: u64, value: u64) -> Self {
        self.storage.insert((address, U256::from(slot)), U256::from(value));
        self
    }
}

impl Database for MemDb {
    type Error = Infallible;

    fn account(&mut self, address: Address) -> Result<Option<AccountInfo>, Infallible> {
        Ok(self.accounts.get(&address).cloned())
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytes, Infallible> {
        Ok(self.code.get(&code_hash).cloned().unwrap_or_default())
    }

    fn storage(&mut self, address: Address, slot: U256) -> Result<U256, Infallible> {
        Ok(self.storage.get(&(address, slot)).copied().unwrap_or_default())
    }

    fn block_hash(&mut self, _: u64) -> Result<B256, Infallible> {
        Ok(B256::ZERO)
    }

    fn has_storage(&mut self, address: Address) -> Result<bool, Infallible> {
        Ok(self.storage.iter().any(|((a, _), v)| *a == address && !v.is_zero()))
    }
}
