//! EIP-2930 access lists: `[[address, [storage_key, …]], …]`.

use alloy_primitives::{Address, B256};
use alloy_rlp::{RlpDecodable, RlpEncodable};
use serde::{Deserialize, Serialize};

/// One entry of an EIP-2930 access list: an address and the storage keys of it to pre-warm.
///
/// RLP: `[address (20 bytes), [key (32 bytes), …]]`. JSON: `{"address", "storageKeys"}` as in
/// the Ethereum JSON-RPC.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, Hash, RlpEncodable, RlpDecodable, Serialize, Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct AccessListItem {
    /// The account to pre-warm.
    pub address: Address,
    /// Storage keys of `address` to pre-warm.
    pub storage_keys: Vec<B256>,
}

/// Number of addresses and storage keys in an access list, for intrinsic gas (EIP-2930).
pub fn access_list_counts(list: &[AccessListItem]) -> (u64, u64) {
    let keys = list.iter().map(|item| item.storage_keys.len() as u64).sum();
    (list.len() as u64, keys)
}
