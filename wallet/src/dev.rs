//! The development mnemonic's accounts: the ten keys anvil, hardhat and Quarry's dev chain fund.
//!
//! Keys come from the BIP-39 mnemonic [`DEV_MNEMONIC`] (empty passphrase) along the BIP-44
//! Ethereum path `m/44'/60'/0'/0/i` (BIP-32 derivation, SLIP-44 coin type 60). Anyone can derive
//! them: they are for local chains only.

use alloy_primitives::B256;
use coins_bip39::{English, Mnemonic};
use quarry_primitives::crypto::SecretKey;

/// The well-known development mnemonic (hardhat's and anvil's default).
pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";

/// Number of dev accounts a dev chain funds (indices `0..DEV_ACCOUNT_COUNT`).
pub const DEV_ACCOUNT_COUNT: u32 = 10;

/// Why a mnemonic key could not be derived.
#[derive(Debug, thiserror::Error)]
pub enum MnemonicError {
    /// The phrase is not a valid English BIP-39 mnemonic (word list or checksum).
    #[error("invalid BIP-39 mnemonic: {0}")]
    Phrase(String),
    /// Derivation along the path failed.
    #[error("BIP-32 derivation of {path} failed: {reason}")]
    Derivation {
        /// The path tried.
        path: String,
        /// The library's reason.
        reason: String,
    },
}

/// The BIP-44 Ethereum path of account `index`: `m/44'/60'/0'/0/{index}`.
pub fn derivation_path(index: u32) -> String {
    format!("m/44'/60'/0'/0/{index}")
}

/// The secret key at `m/44'/60'/0'/0/{index}` of an English BIP-39 `phrase` with an empty
/// passphrase.
///
/// # Errors
/// [`MnemonicError`] for a bad phrase or a failed derivation.
pub fn mnemonic_key(phrase: &str, index: u32) -> Result<SecretKey, MnemonicError> {
    let mnemonic = Mnemonic::<English>::new_from_phrase(phrase)
        .map_err(|e| MnemonicError::Phrase(e.to_string()))?;
    let path = derivation_path(index);
    let xpriv = mnemonic
        .derive_key(path.as_str(), None)
        .map_err(|e| MnemonicError::Derivation { path: path.clone(), reason: e.to_string() })?;
    let signing_key: &k256::ecdsa::SigningKey = xpriv.as_ref();
    SecretKey::from_bytes(&B256::from_slice(&signing_key.to_bytes()))
        .map_err(|e| MnemonicError::Derivation { path, reason: e.to_string() })
}

/// Dev account `index` of [`DEV_MNEMONIC`] (any `u32`; dev chains fund `0..10`).
pub fn dev_key(index: u32) -> SecretKey {
    mnemonic_key(DEV_MNEMONIC, index).expect("the dev mnemonic is a valid BIP-39 phrase")
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, b256};

    #[test]
    fn dev_mnemonic_gives_the_accounts_anvil_and_hardhat_print() {
        assert_eq!(dev_key(0).address(), address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266"));
        assert_eq!(
            dev_key(0).to_bytes(),
            b256!("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
        );
        assert_eq!(dev_key(1).address(), address!("70997970C51812dc3A010C7d01b50e0d17dc79C8"));
        assert_eq!(dev_key(9).address(), address!("a0Ee7A142d267C1f36714E4a8F75612F20a79720"));
    }

    #[test]
    fn a_phrase_with_a_bad_checksum_is_refused() {
        let err = mnemonic_key("test test test test test test test test test test test test", 0)
            .unwrap_err();
        assert!(matches!(err, MnemonicError::Phrase(_)), "{err}");
    }
}
