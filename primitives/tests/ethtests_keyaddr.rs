//! `BasicTests/keyaddrtest.json`: each key is keccak256 of its seed (a "brain wallet") and gives
//! the listed address.
//!
//! The file's `sig_of_emptystring` signatures recover to none of the listed addresses under any
//! usual reading of the signed message (keccak256(""), sha256(""), zero, the EIP-191 prefix);
//! other clients (Nethermind's `KeyAddressTests`) ignore them for that reason. This test checks
//! instead that Quarry's own signature of keccak256("") recovers to the listed address.

mod common;

use alloy_primitives::{hex, keccak256, Address, B256};
use quarry_primitives::crypto::{recover_signer, SecretKey};

#[test]
fn every_key_is_its_seeds_hash_and_gives_its_address() {
    let Some(path) = common::shared("ethtests/BasicTests/keyaddrtest.json") else { return };
    let cases = common::read_json(&path);
    let cases = cases.as_array().expect("array");
    assert!(!cases.is_empty());
    for case in cases {
        let seed = case["seed"].as_str().unwrap();
        let key = B256::from_slice(&hex::decode(case["key"].as_str().unwrap()).unwrap());
        assert_eq!(key, keccak256(seed.as_bytes()), "{seed}: key is keccak256(seed)");
        let addr: Address = case["addr"].as_str().unwrap().parse().unwrap();
        let key = SecretKey::from_bytes(&key).unwrap();
        assert_eq!(key.address(), addr, "{seed}: address");

        let hash = keccak256([]);
        assert_eq!(recover_signer(&hash, &key.sign_prehash(&hash)), Ok(addr), "{seed}: recovery");
    }
}
