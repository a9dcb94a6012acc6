//! [`Host`]: what instructions may ask of the world outside their frame.
//!
//! Every method that reads state returns `None` when the database failed; the instruction then
//! stops the frame with a fatal result and the error travels out of [`crate::transact`].

use alloy_primitives::{Address, Bytes, B256, U256};

use crate::env::{BlockEnv, TxEnv};
use crate::journal::SStoreResult;
use crate::result::Log;

/// What SELFDESTRUCT did, enough to price it (EIP-150, EIP-2929, EIP-6780).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SelfDestructResult {
    /// The destroyed account had a non-zero balance.
    pub had_value: bool,
    /// The beneficiary was dead (EIP-161) before receiving it.
    pub target_dead: bool,
    /// The beneficiary was cold (EIP-2929).
    pub target_cold: bool,
}

/// The state and environment seen by instructions. `cold` flags follow EIP-2929: the access
/// warms the account or slot and reports whether it was cold before.
pub trait Host {
    /// The block being executed.
    fn block(&self) -> &BlockEnv;
    /// The transaction being executed (ORIGIN is its caller).
    fn tx(&self) -> &TxEnv;
    /// GASPRICE: the effective gas price (EIP-1559).
    fn effective_gas_price(&self) -> U256;
    /// Balance of `address` and whether it was cold.
    fn balance(&mut self, address: Address) -> Option<(U256, bool)>;
    /// Code of `address` and whether it was cold.
    fn code(&mut self, address: Address) -> Option<(Bytes, bool)>;
    /// EXTCODEHASH (EIP-1052): code hash, zero for a dead account, and whether it was cold.
    fn code_hash(&mut self, address: Address) -> Option<(B256, bool)>;
    /// BLOCKHASH: hash of block `number`, zero outside the last 256 blocks.
    fn block_hash(&mut self, number: U256) -> Option<B256>;
    /// SLOAD of `slot` in `address`: value and whether it was cold.
    fn sload(&mut self, address: Address, slot: U256) -> Option<(U256, bool)>;
    /// SSTORE of `value` to `slot` in `address`.
    fn sstore(&mut self, address: Address, slot: U256, value: U256) -> Option<SStoreResult>;
    /// TLOAD (EIP-1153).
    fn tload(&mut self, address: Address, slot: U256) -> U256;
    /// TSTORE (EIP-1153).
    fn tstore(&mut self, address: Address, slot: U256, value: U256);
    /// Emits a log.
    fn log(&mut self, log: Log);
    /// SELFDESTRUCT of `address` in favour of `target` (EIP-6780 semantics).
    fn selfdestruct(&mut self, address: Address, target: Address) -> Option<SelfDestructResult>;
    /// Warms `address` for a CALL-family instruction: returns `(was_cold, is_dead)`.
    fn access_account(&mut self, address: Address) -> Option<(bool, bool)>;
}
