//! Intrinsic gas: what a transaction costs before its first instruction runs (Yellow Paper
//! §6.2 eq. 60, with the Cancun-era amendments).

use super::access_list::{access_list_counts, AccessListItem};

/// Base cost of every transaction (Yellow Paper `G_transaction`).
pub const TX_BASE_GAS: u64 = 21_000;
/// Extra base cost of a contract-creation transaction (`G_txcreate`, EIP-2).
pub const TX_CREATE_GAS: u64 = 32_000;
/// Cost per zero byte of calldata (`G_txdatazero`).
pub const TX_DATA_ZERO_GAS: u64 = 4;
/// Cost per non-zero byte of calldata (`G_txdatanonzero`, EIP-2028).
pub const TX_DATA_NON_ZERO_GAS: u64 = 16;
/// Cost per access-list address (EIP-2930 `ACCESS_LIST_ADDRESS_COST`).
pub const ACCESS_LIST_ADDRESS_GAS: u64 = 2_400;
/// Cost per access-list storage key (EIP-2930 `ACCESS_LIST_STORAGE_KEY_COST`).
pub const ACCESS_LIST_STORAGE_KEY_GAS: u64 = 1_900;
/// Cost per 32-byte word of initcode in a creation transaction (EIP-3860 `INITCODE_WORD_COST`).
pub const INITCODE_WORD_GAS: u64 = 2;
/// Largest initcode a creation may carry (EIP-3860 `MAX_INITCODE_SIZE` = 2 × EIP-170's 24 576).
pub const MAX_INITCODE_SIZE: usize = 49_152;

/// Intrinsic gas of a transaction with calldata (or initcode) `input` under Shanghai/Cancun
/// rules: 21 000, + 32 000 for a creation, + 4 per zero byte and 16 per non-zero byte
/// (EIP-2028), + 2 400 per access-list address and 1 900 per storage key (EIP-2930),
/// + 2 per 32-byte initcode word for a creation (EIP-3860). Saturates instead of overflowing.
pub fn intrinsic_gas(input: &[u8], is_create: bool, access_list: &[AccessListItem]) -> u64 {
    let zeros = input.iter().filter(|&&b| b == 0).count() as u64;
    let non_zeros = input.len() as u64 - zeros;
    let (addresses, keys) = access_list_counts(access_list);
    let mut gas = TX_BASE_GAS
        .saturating_add(zeros.saturating_mul(TX_DATA_ZERO_GAS))
        .saturating_add(non_zeros.saturating_mul(TX_DATA_NON_ZERO_GAS))
        .saturating_add(addresses.saturating_mul(ACCESS_LIST_ADDRESS_GAS))
        .saturating_add(keys.saturating_mul(ACCESS_LIST_STORAGE_KEY_GAS));
    if is_create {
        let words = (input.len() as u64).div_ceil(32);
        gas = gas
            .saturating_add(TX_CREATE_GAS)
            .saturating_add(words.saturating_mul(INITCODE_WORD_GAS));
    }
    gas
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{Address, B256};

    #[test]
    fn a_plain_transfer_costs_21000() {
        assert_eq!(intrinsic_gas(&[], false, &[]), 21_000);
    }

    #[test]
    fn calldata_costs_4_per_zero_and_16_per_non_zero_byte() {
        assert_eq!(intrinsic_gas(&[0, 0, 1], false, &[]), 21_000 + 4 + 4 + 16);
    }

    #[test]
    fn creation_adds_32000_and_2_per_initcode_word() {
        // 33 bytes of 0x01 = two words.
        assert_eq!(intrinsic_gas(&[1; 33], true, &[]), 21_000 + 32_000 + 33 * 16 + 2 * 2);
    }

    #[test]
    fn access_lists_cost_2400_per_address_and_1900_per_key() {
        let list = vec![
            AccessListItem { address: Address::ZERO, storage_keys: vec![B256::ZERO; 2] },
            AccessListItem { address: Address::repeat_byte(1), storage_keys: vec![] },
        ];
        assert_eq!(intrinsic_gas(&[], false, &list), 21_000 + 2 * 2_400 + 2 * 1_900);
    }
}
