//! ethereum/tests KeyStoreTests: every v3 keystore there decrypts, under its password, to its
//! stated private key (PBKDF2 and scrypt, an iv of all 0xff bytes, MyCrypto's file with an
//! `address`), and a wrong password is refused.

use std::path::PathBuf;

use alloy_primitives::B256;
use quarry_wallet::keystore::{Keystore, KeystoreError};

/// `../shared/<rel>` from the repository root (or `$QUARRY_SHARED/<rel>`), or `None` with a
/// message when absent; under CI absence fails.
fn shared(rel: &str) -> Option<PathBuf> {
    let root = std::env::var_os("QUARRY_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    let path = root.join(rel);
    if path.exists() {
        return Some(path);
    }
    assert!(std::env::var_os("CI").is_none(), "fixture {} is missing under CI", path.display());
    eprintln!(
        "SKIPPED: fixture {} is absent (expected at ../shared from the repo root)",
        path.display()
    );
    None
}

#[test]
fn keystore_tests_decrypt_to_the_expected_keys() {
    let Some(path) = shared("ethtests/KeyStoreTests/basic_tests.json") else { return };
    let text = std::fs::read_to_string(&path).unwrap();
    let cases: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text).unwrap();
    assert!(cases.len() >= 5, "expected the five basic cases, found {}", cases.len());
    for (name, case) in &cases {
        let keystore = Keystore::parse(&case["json"].to_string())
            .unwrap_or_else(|e| panic!("{name}: does not parse: {e}"));
        let password = case["password"].as_str().unwrap();
        let expected: B256 = case["priv"].as_str().unwrap().parse().unwrap();
        let key = keystore
            .decrypt(password.as_bytes())
            .unwrap_or_else(|e| panic!("{name}: does not decrypt: {e}"));
        assert_eq!(key.to_bytes(), expected, "{name}");
        assert!(
            matches!(keystore.decrypt(b"not the password"), Err(KeystoreError::WrongPassword)),
            "{name}: a wrong password must be refused"
        );
        eprintln!("{name}: ok ({})", key.address());
    }
}
