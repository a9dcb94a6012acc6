//! `quarry-node run --dev` and `quarry-wallet`, nothing else: import a dev key, send ether,
//! deploy the example ERC-20, transfer tokens, read balances, and see a failing transaction's
//! revert reason.

mod harness;

use harness::{repo, DevNode, Wallet};

#[test]
fn the_wallet_alone_runs_the_whole_flow_against_a_dev_node() {
    let node = DevNode::start();
    let wallet = Wallet::new(&node.url);
    let token_artifact = repo().join("examples/contracts/out/QuarryToken.json");
    let token_artifact = token_artifact.to_str().expect("utf-8 path");
    let dev0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

    // Import dev account 1 into the keystore; it signs from there on.
    let imported = wallet.ok(&["import", "--dev-account", "1", "--light-kdf"]);
    let dev1 = imported["address"].as_str().unwrap().to_string();
    assert_eq!(dev1, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");

    // Send value to a fresh key.
    let fresh = wallet.ok(&["new", "--light-kdf"])["address"].as_str().unwrap().to_string();
    assert_eq!(wallet.ok(&["balance", &fresh])["wei"], "0");
    let sent = wallet.ok(&["send", "--to", &fresh, "--value", "1.5ether", "--from", &dev1]);
    assert_eq!(sent["receipt"]["status"], 1);
    assert_eq!(sent["receipt"]["gasUsed"], 21000);
    assert_eq!(wallet.ok(&["balance", &fresh])["wei"], "1500000000000000000");
    assert_eq!(wallet.ok(&["nonce", &dev1])["nonce"], 1);

    // Deploy the ERC-20 from the imported key; its whole supply goes to dev1.
    let deployed =
        wallet.ok(&["deploy", token_artifact, "Quarry Token", "QRY", "1000ether", "--from", &dev1]);
    assert_eq!(deployed["receipt"]["status"], 1);
    let token = deployed["contractAddress"].as_str().unwrap().to_string();
    assert_eq!(wallet.ok(&["call", &token, "symbol()(string)"])["values"][0], "QRY");
    assert_eq!(
        wallet.ok(&["call", &token, "balanceOf(address)(uint256)", &dev1])["values"][0],
        "1000000000000000000000"
    );

    // Transfer tokens, read both balances.
    let transfer = wallet.ok(&[
        "send",
        &token,
        "transfer(address,uint256)",
        &fresh,
        "10ether",
        "--from",
        &dev1,
    ]);
    assert_eq!(transfer["receipt"]["status"], 1);
    assert_eq!(transfer["receipt"]["logs"].as_array().unwrap().len(), 1, "one Transfer event");
    let held = wallet.ok(&["call", &token, "balanceOf(address)(uint256)", &fresh]);
    assert_eq!(held["values"][0], "10000000000000000000");
    let left = wallet.ok(&["call", &token, "balanceOf(address)(uint256)", &dev1]);
    assert_eq!(left["values"][0], "990000000000000000000");

    // The fresh key tries to move more tokens than it holds: the node's estimate reverts and
    // the wallet exits 3 with the decoded reason (OpenZeppelin's ERC20InsufficientBalance).
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
    assert_eq!(error["rpcCode"], 3, "{error}");
    assert!(
        error["revertReason"].as_str().unwrap().starts_with("custom error 0xe450d38c"),
        "{error}"
    );
    assert!(error["revertData"].as_str().unwrap().starts_with("0xe450d38c"), "{error}");

    // A reverting transaction that is mined anyway (explicit gas skips the estimate): status 0.
    let (code, mined) = wallet.run(&[
        "send",
        &token,
        "transfer(address,uint256)",
        dev0,
        "11ether",
        "--from",
        &fresh,
        "--gas-limit",
        "100000",
    ]);
    assert_eq!(code, 3, "{mined}");
}
