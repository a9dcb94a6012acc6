//! The only door to state: [`Database`].
//!
//! The VM never touches storage directly. The node implements [`Database`] over RocksDB, the
//! state-test runner over an in-memory map. Reads may fail (a disk error); the error type is the
//! implementation's own and travels out of [`crate::transact`] unchanged.

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};

/// keccak256 of the empty byte string: the code hash of every account without code
/// (Yellow Paper §4.1, `codeHash` of a non-contract account).
pub const KECCAK_EMPTY: B256 =
    alloy_primitives::b256!("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");

/// What the state holds for one account besides its storage (Yellow Paper §4.1).
///
/// `balance` is in wei; `nonce` counts transactions sent (EOA) or contracts created (contract);
/// `code_hash` is keccak256 of the code, [`KECCAK_EMPTY`] when there is none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountInfo {
    /// Balance in wei.
    pub balance: U256,
    /// Account nonce (EIP-2681 caps it at 2^64 − 1).
    pub nonce: u64,
    /// keccak256 of the account's code; [`KECCAK_EMPTY`] for no code.
    pub code_hash: B256,
}

impl Default for AccountInfo {
    fn default() -> Self {
        Self { balance: U256::ZERO, nonce: 0, code_hash: KECCAK_EMPTY }
    }
}

impl AccountInfo {
    /// An account with this balance and nonce and no code.
    pub fn with_balance(balance: U256, nonce: u64) -> Self {
        Self { balance, nonce, code_hash: KECCAK_EMPTY }
    }

    /// The code hash for `code` (keccak256, or [`KECCAK_EMPTY`] when empty).
    pub fn code_hash_of(code: &[u8]) -> B256 {
        if code.is_empty() {
            KECCAK_EMPTY
        } else {
            keccak256(code)
        }
    }

    /// EIP-161 "empty": zero nonce, zero balance and no code.
    pub fn is_empty(&self) -> bool {
        self.nonce == 0 && self.balance.is_zero() && self.code_hash == KECCAK_EMPTY
    }
}

/// Read access to world state, as the VM needs it.
///
/// Each method reads the state as of the start of the transaction being executed; the VM keeps
/// its own journal of changes on top. Implementations may cache.
pub trait Database {
    /// The implementation's read error (a disk error, a missing trie node, …).
    type Error: std::error::Error + Send + Sync + 'static;

    /// The account at `address`, or `None` if it does not exist.
    fn account(&mut self, address: Address) -> Result<Option<AccountInfo>, Self::Error>;

    /// The code whose keccak256 is `code_hash`; empty for [`KECCAK_EMPTY`].
    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytes, Self::Error>;

    /// The value of storage slot `slot` of `address`; zero when unset.
    fn storage(&mut self, address: Address, slot: U256) -> Result<U256, Self::Error>;

    /// The hash of block `number` (BLOCKHASH, Yellow Paper §9.4.1); callers only ask for the
    /// 256 most recent ancestors. Zero when unknown.
    fn block_hash(&mut self, number: u64) -> Result<B256, Self::Error>;

    /// `true` if `address` has at least one non-zero storage slot. CREATE and CREATE2 treat
    /// such a target as a collision (EIP-7610). The default answers `false`, which is right for
    /// every state reachable by normal execution; implementations that can hold such state
    /// (state tests, imported genesis) should override it.
    fn has_storage(&mut self, address: Address) -> Result<bool, Self::Error> {
        let _ = address;
        Ok(false)
    }
}
