//! The genesis block of a chain spec: number 0, no parent, no transactions, the `alloc`
//! accounts as its state, `bits` = `config.quarry.initialBits`. Its proof of work is not
//! checked (nothing precedes it); every node derives the same hash from the same file.

use alloy_primitives::{Bloom, B256, U256};
use alloy_trie::EMPTY_ROOT_HASH;
use quarry_primitives::genesis::Genesis;
use quarry_primitives::Header;
use quarry_vm::result::{AccountChange, StateChanges};
use quarry_vm::AccountInfo;

/// The genesis header and the state changes that create its `alloc` accounts.
pub fn genesis_block(genesis: &Genesis) -> (Header, StateChanges) {
    let mut changes = StateChanges::default();
    for (address, account) in &genesis.alloc {
        let info = AccountInfo {
            balance: account.balance,
            nonce: account.nonce,
            code_hash: AccountInfo::code_hash_of(&account.code),
        };
        let storage = account
            .storage
            .iter()
            .map(|(slot, value)| (U256::from_be_bytes(slot.0), U256::from_be_bytes(value.0)))
            .filter(|(_, value)| !value.is_zero())
            .collect();
        let code = (!account.code.is_empty()).then(|| account.code.clone());
        changes.accounts.insert(
            *address,
            AccountChange { info: Some(info), code, storage, storage_cleared: false },
        );
    }
    let state_root =
        quarry_vm::trie::state_root(changes.accounts.iter().map(|(address, change)| {
            let info = change.info.as_ref().expect("alloc accounts exist");
            (*address, info, quarry_vm::trie::storage_root(change.storage.iter()))
        }));
    let header = Header {
        parent_hash: B256::ZERO,
        beneficiary: genesis.coinbase,
        state_root,
        transactions_root: EMPTY_ROOT_HASH,
        receipts_root: EMPTY_ROOT_HASH,
        logs_bloom: Bloom::ZERO,
        number: 0,
        gas_limit: genesis.gas_limit,
        gas_used: 0,
        timestamp: genesis.timestamp,
        extra_data: genesis.extra_data.clone(),
        base_fee_per_gas: genesis.base_fee_per_gas,
        bits: genesis.config.quarry.initial_bits,
        nonce: 0,
    };
    (header, changes)
}
