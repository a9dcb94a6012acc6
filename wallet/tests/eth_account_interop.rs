//! Keystores move between Quarry and Python's eth-account (the library web3.py uses): a file
//! Quarry writes decrypts in eth-account to the same key, and a file eth-account writes
//! decrypts in Quarry. Runs where `python3 -c "import eth_account"` works; otherwise it says
//! "skipped" and passes, unless `QUARRY_REQUIRE_ETH_ACCOUNT` is set (CI sets it after
//! `pip install eth-account`), in which case absence fails.

use std::process::Command;

use alloy_primitives::B256;
use quarry_primitives::crypto::SecretKey;
use quarry_wallet::keystore::{KdfChoice, Keystore, ScryptParams};

const PASSWORD: &str = "correct horse battery staple ✓";

fn eth_account_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import eth_account"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        assert!(
            std::env::var_os("QUARRY_REQUIRE_ETH_ACCOUNT").is_none(),
            "QUARRY_REQUIRE_ETH_ACCOUNT is set but python3 cannot import eth_account"
        );
        eprintln!("skipped: eth-account not installed (pip install eth-account)");
    }
    ok
}

/// Runs a Python snippet with `args` in `sys.argv[1:]`; returns its stdout, trimmed.
fn python(script: &str, args: &[&str]) -> String {
    let output = Command::new("python3").arg("-c").arg(script).args(args).output().unwrap();
    assert!(output.status.success(), "python failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

const DECRYPT: &str = "
import json, sys
from eth_account import Account
print(Account.decrypt(json.load(open(sys.argv[1])), sys.argv[2]).hex())
";

const ENCRYPT: &str = "
import json, sys
from eth_account import Account
kdf = sys.argv[3]
iterations = int(sys.argv[4]) if len(sys.argv) > 4 else None
print(json.dumps(Account.encrypt(sys.argv[1], sys.argv[2], kdf=kdf, iterations=iterations)))
";

fn strip_0x(text: &str) -> &str {
    text.strip_prefix("0x").unwrap_or(text)
}

#[test]
fn a_keystore_written_by_quarry_decrypts_in_eth_account() {
    if !eth_account_available() {
        return;
    }
    let key = SecretKey::from_bytes(&B256::repeat_byte(0x5a)).unwrap();
    for kdf in [KdfChoice::Scrypt(ScryptParams::LIGHT), KdfChoice::Pbkdf2 { c: 10_000 }] {
        let store = Keystore::encrypt(&key, PASSWORD.as_bytes(), kdf).unwrap();
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), store.to_json().to_string()).unwrap();
        let decrypted = python(DECRYPT, &[file.path().to_str().unwrap(), PASSWORD]);
        assert_eq!(strip_0x(&decrypted), hex::encode(key.to_bytes()), "{kdf:?}");
    }
}

#[test]
fn a_keystore_written_by_eth_account_decrypts_in_quarry() {
    if !eth_account_available() {
        return;
    }
    let key = SecretKey::from_bytes(&B256::repeat_byte(0x6b)).unwrap();
    let key_hex = format!("0x{}", hex::encode(key.to_bytes()));
    // eth-account's default scrypt (n = 2^18, r = 1, p = 8) and its PBKDF2.
    for args in [vec!["scrypt"], vec!["pbkdf2", "10000"]] {
        let mut argv = vec![key_hex.as_str(), PASSWORD];
        argv.extend(args.iter().copied());
        let json = python(ENCRYPT, &argv);
        let store = Keystore::parse(&json).unwrap_or_else(|e| panic!("{args:?}: {e}\n{json}"));
        let opened = store.decrypt(PASSWORD.as_bytes()).unwrap();
        assert_eq!(opened.to_bytes(), key.to_bytes(), "{args:?}");
        assert_eq!(store.address, Some(key.address()), "{args:?}");
    }
}
