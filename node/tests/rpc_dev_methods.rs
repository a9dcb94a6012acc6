//! The JSON-RPC methods dev tools lean on beyond reads and raw transactions, against a real
//! `quarry-node run --dev` process: polled filters (`eth_newFilter`, `eth_newBlockFilter`,
//! `eth_newPendingTransactionFilter`, `eth_getFilterChanges`, `eth_getFilterLogs`,
//! `eth_uninstallFilter`), the unlocked dev accounts (`eth_sendTransaction`,
//! `eth_signTransaction`, `eth_sign`, `personal_sign`, `eth_signTypedData_v4`), `eth_getBlockReceipts`, transactions by block and
//! index, uncles, `eth_createAccessList` and the `txpool_` namespace.

mod common;

use std::time::{Duration, Instant};

use alloy_primitives::{keccak256, Address, Bytes, TxKind, B256, U256};
use common::{qty, DevNode};
use quarry_primitives::crypto::{recover_address, SecretKey};
use quarry_primitives::dev::DEV_ACCOUNTS;
use quarry_primitives::transaction::TxEip1559;
use quarry_primitives::{SignedTransaction, Transaction};
use serde_json::{json, Value};

fn code(response: &Value) -> i64 {
    response["error"]["code"].as_i64().unwrap_or_else(|| panic!("not an error: {response}"))
}

/// Initcode that deploys `runtime` (CODECOPY the bytes after its 12-byte prefix and RETURN).
fn initcode(runtime: &[u8]) -> String {
    let n = runtime.len() as u8;
    let mut init = vec![0x60, n, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, n, 0x60, 0x00, 0xf3];
    init.extend_from_slice(runtime);
    format!("0x{}", hex::encode(init))
}

/// Runtime code that emits LOG1 with topic 0xaa and no data on every call.
const LOGGER: [u8; 8] = [0x60, 0xaa, 0x60, 0x00, 0x60, 0x00, 0xa1, 0x00];

/// Deploys `runtime` with `eth_sendTransaction` from dev account 0; the contract's address.
fn deploy(node: &DevNode, runtime: &[u8]) -> String {
    let from = DEV_ACCOUNTS[0].address.to_string();
    let hash = node.call("eth_sendTransaction", json!([{"from": from, "data": initcode(runtime)}]));
    let receipt = node.wait_receipt(hash.as_str().unwrap());
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    receipt["contractAddress"].as_str().unwrap().to_string()
}

/// Polls filter `id` until it reports something (the filter hears of a block a moment after
/// the block's receipts are readable); everything it reported.
fn changes_until_some(node: &DevNode, id: &Value) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let changes = node.call("eth_getFilterChanges", json!([id]));
        let changes = changes.as_array().unwrap().clone();
        if !changes.is_empty() {
            return changes;
        }
        assert!(Instant::now() < deadline, "filter {id} never reported a change");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn block_and_pending_transaction_filters_report_what_happened_since_the_last_poll() {
    let node = DevNode::start();
    let tip_before = qty(&node.call("eth_blockNumber", json!([]))) as u64;
    let blocks = node.call("eth_newBlockFilter", json!([]));
    let hashes = node.call("eth_newPendingTransactionFilter", json!([]));
    let full = node.call("eth_newPendingTransactionFilter", json!([true]));
    assert_ne!(blocks, hashes);

    let from = DEV_ACCOUNTS[1].address.to_string();
    let to = Address::repeat_byte(0x42).to_string();
    let sent = node.call("eth_sendTransaction", json!([{"from": from, "to": to, "value": "0x1"}]));
    let receipt = node.wait_receipt(sent.as_str().unwrap());

    assert_eq!(changes_until_some(&node, &hashes), vec![sent.clone()]);
    let full_changes = changes_until_some(&node, &full);
    assert_eq!(full_changes.len(), 1);
    assert_eq!(full_changes[0]["hash"], sent);
    assert_eq!(full_changes[0]["from"].as_str().unwrap().to_lowercase(), from.to_lowercase());
    assert_eq!(node.call("eth_getFilterChanges", json!([hashes])), json!([]), "a poll clears");

    // The block filter reports consecutive canonical blocks, the transaction's among them.
    let mut seen = changes_until_some(&node, &blocks);
    let receipt_block = qty(&receipt["blockNumber"]) as u64;
    let deadline = Instant::now() + Duration::from_secs(60);
    while !seen.contains(&receipt["blockHash"]) {
        assert!(Instant::now() < deadline, "the block filter never reported {receipt}");
        std::thread::sleep(Duration::from_millis(200));
        seen.extend(node.call("eth_getFilterChanges", json!([blocks])).as_array().unwrap().clone());
    }
    let first = node.call("eth_getBlockByHash", json!([seen[0], false]));
    let first = qty(&first["number"]) as u64;
    assert!(first <= receipt_block);
    // Nothing that was already on the chain when the filter was installed.
    assert!(first > tip_before, "block {first} was the tip before the filter existed");
    for (i, hash) in seen.iter().enumerate() {
        let block =
            node.call("eth_getBlockByNumber", json!([format!("{:#x}", first + i as u64), false]));
        assert_eq!(&block["hash"], hash, "block filter entry {i}");
    }

    assert_eq!(node.call("eth_uninstallFilter", json!([blocks])), true);
    assert_eq!(node.call("eth_uninstallFilter", json!([blocks])), false);
    let gone = node.request("eth_getFilterChanges", json!([blocks]));
    assert_eq!(code(&gone), -32000);
    assert_eq!(gone["error"]["message"], "filter not found");
    assert_eq!(code(&node.request("eth_getFilterChanges", json!([12]))), -32602);
    assert_eq!(code(&node.request("eth_getFilterChanges", json!([]))), -32602);
}

#[test]
fn log_filters_report_new_matching_logs_and_their_criteria_run_as_get_logs() {
    let node = DevNode::start();
    let contract = deploy(&node, &LOGGER);
    let topic = format!("0x{:064x}", 0xaa);
    let criteria = json!({"fromBlock": "0x0", "address": contract, "topics": [topic]});
    let matching = node.call("eth_newFilter", json!([criteria]));
    let elsewhere = node.call("eth_newFilter", json!([{"address": Address::repeat_byte(0xde)}]));

    let from = DEV_ACCOUNTS[1].address.to_string();
    let sent = node.call("eth_sendTransaction", json!([{"from": from, "to": contract}]));
    let receipt = node.wait_receipt(sent.as_str().unwrap());
    assert_eq!(receipt["logs"].as_array().unwrap().len(), 1);

    let logs = changes_until_some(&node, &matching);
    let expected = node.call("eth_getLogs", json!([criteria]));
    assert_eq!(json!(logs), expected);
    assert_eq!(logs[0]["transactionHash"], sent);
    assert_eq!(logs[0]["removed"], false);
    assert_eq!(node.call("eth_getFilterLogs", json!([matching])), expected);
    assert_eq!(node.call("eth_getFilterChanges", json!([elsewhere])), json!([]));
    // A block or pending filter has no criteria to run.
    let blocks = node.call("eth_newBlockFilter", json!([]));
    assert_eq!(code(&node.request("eth_getFilterLogs", json!([blocks]))), -32000);
    // A filter watches new blocks: one block by hash is eth_getLogs's job.
    let by_hash = node.request("eth_newFilter", json!([{"blockHash": receipt["blockHash"]}]));
    assert_eq!(code(&by_hash), -32602, "{by_hash}");
    assert_eq!(code(&node.request("eth_newFilter", json!([{"topics": [1]}]))), -32602);
}

#[test]
fn unlocked_dev_accounts_sign_messages_typed_data_and_transactions() {
    let node = DevNode::start();
    let dev0 = DEV_ACCOUNTS[0].address;
    // eth_sign and personal_sign: EIP-191 over the message bytes; both orders of arguments.
    let signature = node.call("eth_sign", json!([dev0.to_string(), "0x68656c6c6f"]));
    let personal = node.call("personal_sign", json!(["0x68656c6c6f", dev0.to_string()]));
    assert_eq!(signature, personal);
    let bytes: Bytes = signature.as_str().unwrap().parse().unwrap();
    assert_eq!(bytes.len(), 65);
    let hash = keccak256(b"\x19Ethereum Signed Message:\n5hello");
    let (r, s) = (U256::from_be_slice(&bytes[..32]), U256::from_be_slice(&bytes[32..64]));
    assert!(bytes[64] == 27 || bytes[64] == 28);
    assert_eq!(recover_address(&hash, r, s, bytes[64] == 28), Some(dev0));

    // EIP-712's example message, signed by dev account 0: recovers to it from the EIP's hash.
    let mail = json!({
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"}
            ],
            "Person": [{"name": "name", "type": "string"}, {"name": "wallet", "type": "address"}],
            "Mail": [
                {"name": "from", "type": "Person"}, {"name": "to", "type": "Person"},
                {"name": "contents", "type": "string"}
            ]
        },
        "primaryType": "Mail",
        "domain": {"name": "Ether Mail", "version": "1", "chainId": 1,
                   "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"},
        "message": {
            "from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
            "to": {"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
            "contents": "Hello, Bob!"
        }
    });
    let eip712_hash: B256 =
        "0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2".parse().unwrap();
    for typed in [mail.clone(), json!(mail.to_string())] {
        let signed = node.call("eth_signTypedData_v4", json!([dev0.to_string(), typed]));
        let bytes: Bytes = signed.as_str().unwrap().parse().unwrap();
        let (r, s) = (U256::from_be_slice(&bytes[..32]), U256::from_be_slice(&bytes[32..64]));
        assert_eq!(recover_address(&eip712_hash, r, s, bytes[64] == 28), Some(dev0));
    }
    let broken = node.request("eth_signTypedData_v4", json!([dev0.to_string(), {"types": 1}]));
    assert_eq!(code(&broken), -32602, "{broken}");

    // Keys the node does not hold: geth's words.
    let stranger = Address::repeat_byte(0x77).to_string();
    for (method, params) in [
        ("eth_sign", json!([stranger, "0x00"])),
        ("eth_sendTransaction", json!([{"from": stranger, "to": stranger}])),
        ("eth_signTransaction", json!([{"from": stranger, "to": stranger}])),
        ("eth_signTypedData_v4", json!([stranger, mail])),
    ] {
        let refused = node.request(method, params);
        assert_eq!(refused["error"]["message"], "unknown account", "{method}: {refused}");
    }
    assert_eq!(code(&node.request("eth_sendTransaction", json!([{"to": stranger}]))), -32602);

    // eth_sendTransaction fills nonce, gas and fees; a legacy gasPrice makes a legacy one.
    let to = Address::repeat_byte(0x43).to_string();
    let first = node.call("eth_sendTransaction", json!([{"from": dev0, "to": to, "value": "0x5"}]));
    let legacy = node.call(
        "eth_sendTransaction",
        json!([{"from": dev0, "to": to, "value": "0x6", "gasPrice": "0x77359400"}]),
    );
    let first_tx = node.call("eth_getTransactionByHash", json!([first]));
    let legacy_tx = node.call("eth_getTransactionByHash", json!([legacy]));
    assert_eq!(first_tx["type"], "0x2");
    assert_eq!(legacy_tx["type"], "0x0");
    assert_eq!(qty(&legacy_tx["nonce"]), qty(&first_tx["nonce"]) + 1);
    assert_eq!(first_tx["gas"], "0x5208");
    assert_eq!(node.wait_receipt(first.as_str().unwrap())["status"], "0x1");
    assert_eq!(node.wait_receipt(legacy.as_str().unwrap())["status"], "0x1");
    assert_eq!(qty(&node.call("eth_getBalance", json!([to]))), 11);

    // eth_signTransaction fills in the same way and only signs: the raw transaction decodes to
    // dev account 0's next nonce, and sending it is what lands.
    let raw = node.call("eth_signTransaction", json!([{"from": dev0, "to": to, "value": "0x7"}]));
    let bytes: Bytes = raw.as_str().unwrap().parse().unwrap();
    let signed = SignedTransaction::decode(&bytes).expect("a signed transaction");
    assert_eq!(signed.recover_sender().expect("a valid signature"), dev0);
    assert_eq!(u128::from(signed.transaction().nonce()), qty(&legacy_tx["nonce"]) + 1);
    assert_eq!(qty(&node.call("eth_getBalance", json!([to]))), 11, "signing sends nothing");
    let hash = node.call("eth_sendRawTransaction", json!([raw]));
    assert_eq!(hash.as_str().unwrap(), signed.hash().to_string());
    assert_eq!(node.wait_receipt(hash.as_str().unwrap())["status"], "0x1");
    assert_eq!(qty(&node.call("eth_getBalance", json!([to]))), 18);
}

#[test]
fn block_receipts_transactions_by_index_uncles_access_lists_and_the_pool() {
    let node = DevNode::start();
    // A queued transaction: dev account 2 skips nonces 0..5.
    let tx = Transaction::Eip1559(TxEip1559 {
        chain_id: 1337,
        nonce: 5,
        max_priority_fee_per_gas: U256::from(1_000_000_000u64),
        max_fee_per_gas: U256::from(100_000_000_000u64),
        gas_limit: 21_000,
        to: TxKind::Call(Address::repeat_byte(0x42)),
        value: U256::from(1),
        input: Bytes::new(),
        access_list: Vec::new(),
    });
    let key = SecretKey::from_bytes(&DEV_ACCOUNTS[2].secret).unwrap();
    let raw = format!("0x{}", hex::encode(SignedTransaction::sign(tx, &key).encoded()));
    let queued = node.call("eth_sendRawTransaction", json!([raw]));
    let dev2 = DEV_ACCOUNTS[2].address.to_string();
    let status = node.call("txpool_status", json!([]));
    assert_eq!(status["queued"], "0x1", "{status}");
    let content = node.call("txpool_content", json!([]));
    assert_eq!(content["queued"][&dev2]["5"]["hash"], queued, "{content}");
    assert_eq!(node.call("txpool_contentFrom", json!([dev2]))["queued"]["5"]["hash"], queued);
    let inspect = node.call("txpool_inspect", json!([]));
    assert_eq!(
        inspect["queued"][&dev2]["5"],
        format!("{}: 1 wei + 21000 gas × 100000000000 wei", Address::repeat_byte(0x42)),
        "{inspect}"
    );

    // Two transfers; their block's receipts, and each transaction by block and index.
    let from = DEV_ACCOUNTS[1].address.to_string();
    let sent: Vec<Value> = (0..2)
        .map(|_| node.call("eth_sendTransaction", json!([{"from": from, "to": dev2}])))
        .collect();
    for hash in &sent {
        let receipt = node.wait_receipt(hash.as_str().unwrap());
        let all = node.call("eth_getBlockReceipts", json!([receipt["blockNumber"]]));
        let index = qty(&receipt["transactionIndex"]) as usize;
        assert_eq!(all[index], receipt);
        assert_eq!(
            node.call("eth_getBlockReceipts", json!([{"blockHash": receipt["blockHash"]}])),
            all
        );
        let by_hash = node.call("eth_getTransactionByHash", json!([hash]));
        let by_number = node.call(
            "eth_getTransactionByBlockNumberAndIndex",
            json!([receipt["blockNumber"], receipt["transactionIndex"]]),
        );
        let by_block_hash = node.call(
            "eth_getTransactionByBlockHashAndIndex",
            json!([receipt["blockHash"], receipt["transactionIndex"]]),
        );
        assert_eq!(by_number, by_hash);
        assert_eq!(by_block_hash, by_hash);
        let past_end =
            json!([receipt["blockNumber"], format!("{:#x}", all.as_array().unwrap().len())]);
        assert!(node.call("eth_getTransactionByBlockNumberAndIndex", past_end).is_null());
        assert!(node
            .call("eth_getUncleByBlockNumberAndIndex", json!([receipt["blockNumber"], "0x0"]))
            .is_null());
        assert!(node
            .call("eth_getUncleByBlockHashAndIndex", json!([receipt["blockHash"], "0x0"]))
            .is_null());
    }
    assert!(node.call("eth_getBlockReceipts", json!(["0xffffff"])).is_null());
    assert_eq!(
        code(&node.request("eth_getTransactionByBlockNumberAndIndex", json!(["latest"]))),
        -32602
    );

    // eth_createAccessList: a contract that reads its slot 7 and the balance of 0x4242…42.
    let mut runtime = vec![0x60, 0x07, 0x54, 0x50, 0x73];
    runtime.extend_from_slice(Address::repeat_byte(0x42).as_slice());
    runtime.extend_from_slice(&[0x31, 0x50, 0x00]);
    let contract = deploy(&node, &runtime);
    let call = json!({"from": from, "to": contract});
    let created = node.call("eth_createAccessList", json!([call, "latest"]));
    let mut list = created["accessList"].as_array().unwrap().clone();
    list.sort_by_key(|entry| entry["address"].as_str().unwrap().to_lowercase());
    let slot7 = format!("0x{:064x}", 7);
    let mut expected = vec![
        json!({"address": contract, "storageKeys": [slot7]}),
        json!({"address": Address::repeat_byte(0x42).to_string(), "storageKeys": []}),
    ];
    expected.sort_by_key(|entry| entry["address"].as_str().unwrap().to_lowercase());
    let lower = |v: Vec<Value>| -> Value {
        json!(v
            .into_iter()
            .map(|mut e| {
                e["address"] = json!(e["address"].as_str().unwrap().to_lowercase());
                e
            })
            .collect::<Vec<_>>())
    };
    assert_eq!(lower(list), lower(expected), "{created}");
    assert!(created.get("error").is_none(), "{created}");
    // With the list, the call costs what the list says: the estimate with it matches gasUsed.
    let with_list = json!({"from": from, "to": contract, "accessList": created["accessList"]});
    let estimate = node.call("eth_estimateGas", json!([with_list]));
    assert!(qty(&created["gasUsed"]) <= qty(&estimate), "{created} vs {estimate}");
}

#[test]
fn calls_take_state_overrides_and_senders_with_code() {
    let node = DevNode::start();
    let contract = deploy(&node, &LOGGER);
    // A contract as the sender (geth's SkipFromEOACheck): simulated, not refused.
    let to = Address::repeat_byte(0x42).to_string();
    assert_eq!(node.call("eth_call", json!([{"from": contract, "to": to}, "latest"])), "0x");

    // Code and storage that exist only for the call: return slot 0 (SLOAD 0, MSTORE, RETURN).
    let reader = Address::repeat_byte(0x99).to_string();
    let runtime = "0x60005460005260206000f3";
    let overrides = json!({reader.clone(): {"code": runtime, "state": {"0x0": "0x2a"}}});
    let returned = node.call("eth_call", json!([{"to": reader}, "latest", overrides]));
    assert_eq!(returned, format!("0x{:064x}", 42));
    // stateDiff keeps the other slots; without overrides the account has no code.
    let diff = json!({reader.clone(): {"code": runtime, "stateDiff": {"0x1": "0x5"}}});
    assert_eq!(
        node.call("eth_call", json!([{"to": reader}, "latest", diff])),
        format!("0x{:064x}", 0)
    );
    assert_eq!(node.call("eth_call", json!([{"to": reader}, "latest"])), "0x");
    // A balance the sender does not have, for a call that sends value at a price.
    let poor = Address::repeat_byte(0x55).to_string();
    let call =
        json!({"from": poor, "to": to, "value": "0xde0b6b3a7640000", "gasPrice": "0x3b9aca00"});
    let refused = node.request("eth_call", json!([call, "latest"]));
    assert_eq!(code(&refused), -32000, "{refused}");
    let rich = json!({poor.clone(): {"balance": "0x56bc75e2d63100000"}});
    assert_eq!(node.call("eth_call", json!([call, "latest", rich])), "0x");
    assert_eq!(node.call("eth_estimateGas", json!([call, "latest", rich])), "0x5208");
    // Nothing stored changed.
    assert_eq!(node.call("eth_getBalance", json!([poor])), "0x0");
    assert_eq!(node.call("eth_getCode", json!([reader])), "0x");
    // Malformed overrides are -32602 naming the account.
    let both = json!({reader.clone(): {"state": {}, "stateDiff": {}}});
    let bad = node.request("eth_call", json!([{"to": reader}, "latest", both]));
    assert_eq!(code(&bad), -32602, "{bad}");
    assert!(bad["error"]["message"].as_str().unwrap().contains("both 'state' and 'stateDiff'"));
}

#[test]
fn the_dev_chain_predeploys_the_create2_deployer_that_salted_deploys_use() {
    let node = DevNode::start();
    let deployer: Address = "0x4e59b44847b379578588920cA78FbF26c0B4956C".parse().unwrap();
    // The same code anvil predeploys at the same address.
    assert_eq!(
        node.call("eth_getCode", json!([deployer.to_string(), "latest"])),
        "0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe03601600081602082378035828234f58015156039578182fd5b8082525050506014600cf3"
    );
    // Salt ‖ initcode: the proxy CREATE2s LOGGER's deployment at the EIP-1014 address.
    let salt = B256::repeat_byte(0x11);
    let init: Bytes = initcode(&LOGGER).parse().unwrap();
    let expected = deployer.create2_from_code(salt, &init);
    let data = format!("0x{}{}", hex::encode(salt), hex::encode(&init));
    let returned = node.call("eth_call", json!([{"to": deployer.to_string(), "data": data}]));
    assert_eq!(returned, format!("0x{}", hex::encode(expected)));
    let from = DEV_ACCOUNTS[3].address.to_string();
    let sent = node.call(
        "eth_sendTransaction",
        json!([{"from": from, "to": deployer.to_string(), "data": data}]),
    );
    assert_eq!(node.wait_receipt(sent.as_str().unwrap())["status"], "0x1");
    assert_eq!(
        node.call("eth_getCode", json!([expected.to_string(), "latest"])),
        format!("0x{}", hex::encode(LOGGER))
    );
}
