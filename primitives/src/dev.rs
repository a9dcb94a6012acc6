//! The development accounts: the first ten keys of the BIP-39 mnemonic
//! `test test test test test test test test test test test junk` on the path
//! `m/44'/60'/0'/0/i` (BIP-44, coin type 60). Hardhat, anvil and ganache fund the same accounts, so
//! tutorials and scripts written for them work against a Quarry dev chain unchanged.
//!
//! These keys are public knowledge: never hold real value with them. The wallet derives them
//! from the mnemonic and its tests check that derivation against this table.

use alloy_primitives::{address, b256, Address, B256};

/// The dev mnemonic (BIP-39, 12 words).
pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";

/// One development account: its address and its secp256k1 private key (32 bytes, big-endian).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DevAccount {
    /// The account's address (keccak256 of the public key, last 20 bytes).
    pub address: Address,
    /// The private key.
    pub secret: B256,
}

/// The ten dev accounts, index `i` being `m/44'/60'/0'/0/i`.
pub const DEV_ACCOUNTS: [DevAccount; 10] = [
    DevAccount {
        address: address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
        secret: b256!("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"),
    },
    DevAccount {
        address: address!("70997970C51812dc3A010C7d01b50e0d17dc79C8"),
        secret: b256!("59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"),
    },
    DevAccount {
        address: address!("3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"),
        secret: b256!("5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"),
    },
    DevAccount {
        address: address!("90F79bf6EB2c4f870365E785982E1f101E93b906"),
        secret: b256!("7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6"),
    },
    DevAccount {
        address: address!("15d34AAf54267DB7D7c367839AAf71A00a2C6A65"),
        secret: b256!("47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a"),
    },
    DevAccount {
        address: address!("9965507D1a55bcC2695C58ba16FB37d819B0A4dc"),
        secret: b256!("8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba"),
    },
    DevAccount {
        address: address!("976EA74026E726554dB657fA54763abd0C3a0aa9"),
        secret: b256!("92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e"),
    },
    DevAccount {
        address: address!("14dC79964da2C08b23698B3D3cc7Ca32193d9955"),
        secret: b256!("4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356"),
    },
    DevAccount {
        address: address!("23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f"),
        secret: b256!("dbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97"),
    },
    DevAccount {
        address: address!("a0Ee7A142d267C1f36714E4a8F75612F20a79720"),
        secret: b256!("2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6"),
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::SecretKey;

    #[test]
    fn every_dev_key_belongs_to_its_address() {
        for (i, account) in DEV_ACCOUNTS.iter().enumerate() {
            let key = SecretKey::from_bytes(&account.secret).expect("valid key");
            assert_eq!(key.address(), account.address, "dev account {i}");
        }
    }
}
