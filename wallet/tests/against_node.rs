//! The wallet binary against a live Ethereum JSON-RPC node whose dev accounts (the "test … junk"
//! mnemonic) are funded: `quarry-node run --dev`, anvil or `npx hardhat node`. Set
//! `QUARRY_TEST_RPC_URL` (e.g. `http://127.0.0.1:8545`) to run it; without it the test says
//! "skipped" and passes. It sends ether (EIP-1559 and legacy), deploys the example token,
//! reads and transfers it, and checks JSON output, receipts and exit codes (3 for a revert,
//! 4 for an unknown transaction).

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

struct Wallet {
    url: String,
    keystore: tempfile::TempDir,
}

impl Wallet {
    /// Runs `quarry-wallet --json ARGS…`; returns the exit code and the parsed stdout.
    fn run(&self, args: &[&str]) -> (i32, Value) {
        let output = Command::new(env!("CARGO_BIN_EXE_quarry-wallet"))
            .arg("--json")
            .args(["--rpc-url", &self.url])
            .arg("--keystore")
            .arg(self.keystore.path())
            .args(args)
            .env("QUARRY_PASSWORD", "test")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
            panic!(
                "{args:?}: stdout is not one JSON object ({e}): {stdout}\nstderr: {}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
        (output.status.code().unwrap_or(-1), value)
    }

    fn ok(&self, args: &[&str]) -> Value {
        let (code, value) = self.run(args);
        assert_eq!(code, 0, "{args:?} → {value}");
        value
    }
}

fn artifact(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/contracts/out");
    path.join(format!("{name}.json")).to_string_lossy().into_owned()
}

#[test]
fn wallet_sends_deploys_calls_and_reports_against_a_live_node() {
    let Ok(url) = std::env::var("QUARRY_TEST_RPC_URL") else {
        eprintln!("skipped: set QUARRY_TEST_RPC_URL to a dev node (quarry-node run --dev, anvil)");
        return;
    };
    let wallet = Wallet { url, keystore: tempfile::tempdir().unwrap() };
    let dev0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

    // A fresh recipient from a new keystore key: its balance starts at zero.
    let created = wallet.ok(&["new", "--light-kdf"]);
    let fresh = created["address"].as_str().unwrap().to_string();
    assert_eq!(wallet.ok(&["balance", &fresh])["wei"], "0");

    let sent = wallet.ok(&["send", "--to", &fresh, "--value", "1.5ether", "--dev-account", "0"]);
    assert_eq!(sent["type"], 2);
    assert_eq!(sent["receipt"]["status"], 1);
    assert_eq!(sent["receipt"]["gasUsed"], 21000);
    let legacy =
        wallet.ok(&["send", "--to", &fresh, "--value", "1gwei", "--legacy", "--dev-account", "0"]);
    assert_eq!(legacy["type"], 0);
    let balance = wallet.ok(&["balance", &fresh]);
    assert_eq!(balance["wei"], "1500000001000000000");
    assert_eq!(balance["ether"], "1.500000001000000000");

    // The fresh key (from the keystore, password from the env) pays back.
    let back = wallet.ok(&["send", "--to", dev0, "--value", "0.5ether", "--from", &fresh]);
    assert_eq!(back["from"].as_str().unwrap(), fresh);
    assert_eq!(wallet.ok(&["nonce", &fresh])["nonce"], 1);

    // Deploy, read, transfer, and revert.
    let deployed = wallet.ok(&[
        "deploy",
        &artifact("QuarryToken"),
        "Quarry Token",
        "QRY",
        "1000ether",
        "--dev-account",
        "0",
    ]);
    let token = deployed["contractAddress"].as_str().unwrap().to_string();
    assert_eq!(deployed["receipt"]["contractAddress"].as_str().unwrap(), token);
    assert_eq!(wallet.ok(&["call", &token, "symbol()(string)"])["values"][0], "QRY");
    let transfer = wallet.ok(&[
        "send",
        &token,
        "transfer(address,uint256)",
        &fresh,
        "10ether",
        "--dev-account",
        "0",
    ]);
    assert_eq!(transfer["receipt"]["logs"].as_array().unwrap().len(), 1, "one Transfer event");
    let held = wallet.ok(&["call", &token, "balanceOf(address)(uint256)", &fresh]);
    assert_eq!(held["values"][0], "10000000000000000000");
    let (code, error) = wallet.run(&[
        "send",
        &token,
        "transfer(address,uint256)",
        dev0,
        "11ether",
        "--from",
        &fresh,
    ]);
    assert_eq!(code, 3, "a revert exits 3: {error}");
    assert!(error["revertReason"].as_str().unwrap().starts_with("custom error 0xe450d38c"));

    // Receipts.
    let hash = transfer["hash"].as_str().unwrap();
    assert_eq!(wallet.ok(&["receipt", hash])["status"], 1);
    assert_eq!(wallet.ok(&["wait", hash])["transactionHash"], hash);
    let unknown = format!("0x{}", "11".repeat(32));
    assert_eq!(wallet.run(&["receipt", &unknown]).0, 4);
}
