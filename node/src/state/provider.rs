//! State at a block, as the VM and the mempool read it: the flat state of the reader's tip, or
//! an earlier canonical block's state through the store's history (reth's
//! `StateProviderFactory::history_by_block_number` / `latest`).

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_trie::EMPTY_ROOT_HASH;
use quarry_vm::{AccountInfo, Database};

use crate::mempool::AccountState;
use crate::state::StateTries;
use crate::store::{Reader, StoreError};

/// The block whose post-state a [`StateAt`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateBlock {
    /// Its number.
    pub number: u64,
    /// Its hash.
    pub hash: B256,
    /// Its header's state root.
    pub state_root: B256,
}

/// The state after canonical block [`StateBlock`], read through `reader`. When the block is
/// the reader's tip, reads go to the flat state (one point read each); for an earlier block
/// each read is one seek in the history index. Implements [`Database`] (for the VM) and
/// [`AccountState`] (for the mempool).
#[derive(Clone, Copy)]
pub struct StateAt<'a> {
    reader: Reader<'a>,
    block: StateBlock,
    latest: bool,
}

impl<'a> StateAt<'a> {
    /// The state after `block`; `latest` says whether `block` is the tip `reader` sees (the
    /// caller resolved the block and checked it is within the kept history).
    pub fn new(reader: Reader<'a>, block: StateBlock, latest: bool) -> Self {
        StateAt { reader, block, latest }
    }

    /// The block whose state this is.
    pub fn block(&self) -> StateBlock {
        self.block
    }

    /// The reader underneath.
    pub fn reader(&self) -> Reader<'a> {
        self.reader
    }

    /// The account, if it exists.
    ///
    /// # Errors
    /// A read error or a corrupt record.
    pub fn account_info(&self, address: &Address) -> Result<Option<AccountInfo>, StoreError> {
        let account = if self.latest {
            self.reader.account(address)?
        } else {
            self.reader.account_at(address, self.block.number)?
        };
        Ok(account.map(AccountInfo::from))
    }

    /// A storage slot (zero when unset).
    ///
    /// # Errors
    /// A read error or a corrupt record.
    pub fn slot(&self, address: &Address, slot: &B256) -> Result<U256, StoreError> {
        if self.latest {
            self.reader.storage(address, slot)
        } else {
            self.reader.storage_at(address, slot, self.block.number)
        }
    }

    /// The account's storage root, from the block's state trie.
    ///
    /// # Errors
    /// A trie node cannot be read.
    pub fn storage_root(&self, address: &Address) -> Result<B256, StoreError> {
        StateTries::at_root(self.block.state_root).storage_root(address, &self.reader).map_err(
            |e| StoreError::Corrupt {
                family: "trie_nodes",
                key: self.block.state_root.to_string(),
                reason: e.to_string(),
            },
        )
    }
}

impl Database for StateAt<'_> {
    type Error = StoreError;

    fn account(&mut self, address: Address) -> Result<Option<AccountInfo>, StoreError> {
        self.account_info(&address)
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytes, StoreError> {
        if code_hash == quarry_vm::KECCAK_EMPTY {
            return Ok(Bytes::new());
        }
        self.reader
            .code(&code_hash)?
            .ok_or_else(|| StoreError::Missing { family: "code", key: code_hash.to_string() })
    }

    fn storage(&mut self, address: Address, slot: U256) -> Result<U256, StoreError> {
        self.slot(&address, &B256::from(slot))
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, StoreError> {
        // BLOCKHASH only reaches below the executing block, all canonical ancestors.
        Ok(self.reader.canonical_hash(number)?.unwrap_or_default())
    }

    fn has_storage(&mut self, address: Address) -> Result<bool, StoreError> {
        if self.latest {
            return Ok(!self.reader.storage_of(&address)?.is_empty());
        }
        Ok(self.storage_root(&address)? != EMPTY_ROOT_HASH)
    }
}

impl AccountState for StateAt<'_> {
    fn nonce(&self, address: Address) -> u64 {
        self.account_info(&address).ok().flatten().map_or(0, |a| a.nonce)
    }

    fn balance(&self, address: Address) -> U256 {
        self.account_info(&address).ok().flatten().map_or(U256::ZERO, |a| a.balance)
    }
}
