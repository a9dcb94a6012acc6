//! Merkle-Patricia trie roots (Yellow Paper Appendix D) over `alloy-trie`'s `HashBuilder`:
//! the state root, account storage roots, and the ordered roots of transactions and receipts.
//!
//! Only roots are computed, never stored nodes: callers hand over the full key/value set.
//! Every Ethereum trie has prefix-free keys (32-byte hashes, or `RLP(index)`), which is what
//! `HashBuilder` supports; [`trie_root`] rejects key sets where one key is a prefix of another.

use std::collections::BTreeMap;

use alloy_primitives::{keccak256, Address, B256, U256};
use alloy_rlp::Encodable;
use alloy_trie::{HashBuilder, Nibbles};

use crate::database::AccountInfo;

/// Root of the empty trie: keccak256 of RLP(""), `0x56e8…b421` (Yellow Paper Appendix D).
pub const EMPTY_ROOT_HASH: B256 = alloy_trie::EMPTY_ROOT_HASH;

/// Why a root could not be computed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TrieError {
    /// One key is a proper prefix of another; such tries need values in branch nodes, which no
    /// Ethereum trie uses and `HashBuilder` does not build.
    #[error("key 0x{shorter} is a prefix of key 0x{longer}")]
    KeyIsPrefix {
        /// The shorter key, hex.
        shorter: String,
        /// The longer key, hex.
        longer: String,
    },
}

/// Root of the trie holding `entries` (raw key → raw value). Empty values mean "absent" (a
/// trie never stores an empty value); when a key repeats, the last value wins.
///
/// # Errors
/// [`TrieError::KeyIsPrefix`] when a key is a proper prefix of another.
pub fn trie_root<K, V>(entries: impl IntoIterator<Item = (K, V)>) -> Result<B256, TrieError>
where
    K: AsRef<[u8]>,
    V: AsRef<[u8]>,
{
    let mut map = BTreeMap::new();
    for (key, value) in entries {
        map.insert(key.as_ref().to_vec(), value.as_ref().to_vec());
    }
    map.retain(|_, v| !v.is_empty());

    let mut builder = HashBuilder::default();
    let mut previous: Option<&Vec<u8>> = None;
    for (key, value) in &map {
        // In sorted order a key that is a prefix of another comes right before a key it prefixes.
        if let Some(prev) = previous.filter(|p| key.starts_with(p)) {
            return Err(TrieError::KeyIsPrefix {
                shorter: alloy_primitives::hex::encode(prev),
                longer: alloy_primitives::hex::encode(key),
            });
        }
        builder.add_leaf(Nibbles::unpack(key), value);
        previous = Some(key);
    }
    Ok(builder.root())
}

/// Root of the "secure" trie holding `entries`: each key is replaced by keccak256(key) first
/// (Yellow Paper Appendix D, used for state and storage). Empty values mean "absent".
pub fn secure_trie_root<K, V>(entries: impl IntoIterator<Item = (K, V)>) -> B256
where
    K: AsRef<[u8]>,
    V: AsRef<[u8]>,
{
    let hashed = entries.into_iter().map(|(k, v)| (keccak256(k.as_ref()), v));
    // 32-byte keys are never proper prefixes of one another.
    trie_root(hashed).unwrap_or(EMPTY_ROOT_HASH)
}

/// Storage root of one account (Yellow Paper §4.1, `storageRoot`): the secure trie of
/// keccak256(slot as 32 bytes) → RLP(value), zero values omitted.
pub fn storage_root<'a>(slots: impl IntoIterator<Item = (&'a U256, &'a U256)>) -> B256 {
    secure_trie_root(
        slots
            .into_iter()
            .filter(|(_, value)| !value.is_zero())
            .map(|(slot, value)| (slot.to_be_bytes::<32>(), alloy_rlp::encode(value))),
    )
}

/// The RLP shape of an account in the state trie: `[nonce, balance, storageRoot, codeHash]`.
#[derive(alloy_rlp::RlpEncodable)]
struct TrieAccount {
    nonce: u64,
    balance: U256,
    storage_root: B256,
    code_hash: B256,
}

/// An account as the state trie stores it: `rlp([nonce, balance, storageRoot, codeHash])`
/// (Yellow Paper §4.1, eq. 8).
pub fn account_rlp(info: &AccountInfo, storage_root: B256) -> Vec<u8> {
    alloy_rlp::encode(TrieAccount {
        nonce: info.nonce,
        balance: info.balance,
        storage_root,
        code_hash: info.code_hash,
    })
}

/// State root (Yellow Paper §4.1, `stateRoot`): the secure trie of keccak256(address) →
/// RLP([nonce, balance, storage_root, code_hash]) over `accounts`, each given with its storage
/// root (see [`storage_root`]).
pub fn state_root<'a>(
    accounts: impl IntoIterator<Item = (Address, &'a AccountInfo, B256)>,
) -> B256 {
    secure_trie_root(
        accounts
            .into_iter()
            .map(|(address, info, storage_root)| (address, account_rlp(info, storage_root))),
    )
}

/// Root of the trie of `items` keyed by RLP(index) (Yellow Paper §4.3, `transactionsRoot` and
/// `receiptsRoot`); each value is the item's own encoding (for typed transactions and receipts,
/// pass something whose `Encodable` writes the EIP-2718 bytes).
pub fn ordered_trie_root<T: Encodable>(items: &[T]) -> B256 {
    alloy_trie::root::ordered_trie_root(items)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::Bytes;

    #[test]
    fn empty_tries_have_the_empty_root() {
        assert_eq!(trie_root(Vec::<(Vec<u8>, Vec<u8>)>::new()), Ok(EMPTY_ROOT_HASH));
        assert_eq!(storage_root([]), EMPTY_ROOT_HASH);
        assert_eq!(state_root([]), EMPTY_ROOT_HASH);
        assert_eq!(ordered_trie_root::<Bytes>(&[]), EMPTY_ROOT_HASH);
    }

    #[test]
    fn zero_storage_values_do_not_change_the_root() {
        let (one, zero) = (U256::from(1), U256::ZERO);
        assert_eq!(storage_root([(&one, &one), (&zero, &zero)]), storage_root([(&one, &one)]));
        assert_eq!(storage_root([(&one, &zero)]), EMPTY_ROOT_HASH);
    }

    #[test]
    fn prefix_keys_are_rejected_not_miscomputed() {
        let err = trie_root([(b"do".to_vec(), b"verb".to_vec()), (b"dog".to_vec(), b"x".to_vec())]);
        assert!(matches!(err, Err(TrieError::KeyIsPrefix { .. })));
    }

    #[test]
    fn ordered_root_equals_the_trie_keyed_by_rlp_index() {
        // 130 items cross the 0x7f/0x80 boundary where RLP(index) changes length.
        let items: Vec<Bytes> =
            (0..130u32).map(|i| Bytes::from(i.to_be_bytes().repeat(9))).collect();
        let by_hand = trie_root(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| (alloy_rlp::encode(i), alloy_rlp::encode(item))),
        );
        assert_eq!(Ok(ordered_trie_root(&items)), by_hand);
    }
}
