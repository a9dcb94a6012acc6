//! Tracing and Otterscan methods against a real `quarry-node run --dev`: `debug_traceTransaction`
//! with the struct logger, `callTracer` and `prestateTracer` (plain and `diffMode`),
//! `debug_traceCall`, `debug_traceBlockByNumber/ByHash`, and the `ots_` namespace.

mod common;

use alloy_primitives::{Address, Bytes, TxKind, U256};
use common::{qty, DevNode};
use quarry_primitives::crypto::SecretKey;
use quarry_primitives::dev::DEV_ACCOUNTS;
use quarry_primitives::transaction::TxEip1559;
use quarry_primitives::{SignedTransaction, Transaction};
use serde_json::{json, Value};

/// Initcode that deploys `runtime`.
fn initcode(runtime: &[u8]) -> String {
    let n = runtime.len() as u8;
    let mut init = vec![0x60, n, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, n, 0x60, 0x00, 0xf3];
    init.extend_from_slice(runtime);
    format!("0x{}", hex::encode(init))
}

fn deploy(node: &DevNode, runtime: &[u8]) -> (String, Value) {
    let from = DEV_ACCOUNTS[0].address.to_string();
    let hash = node.call("eth_sendTransaction", json!([{"from": from, "data": initcode(runtime)}]));
    let receipt = node.wait_receipt(hash.as_str().unwrap());
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    (receipt["contractAddress"].as_str().unwrap().to_string(), hash)
}

/// A transaction with a fixed gas limit (so a reverting call is sent, not refused at estimation).
fn raw(from: usize, nonce: u64, to: &str, value: u64) -> String {
    let tx = Transaction::Eip1559(TxEip1559 {
        chain_id: 1337,
        nonce,
        max_priority_fee_per_gas: U256::from(1_000_000_000u64),
        max_fee_per_gas: U256::from(100_000_000_000u64),
        gas_limit: 200_000,
        to: TxKind::Call(to.parse().unwrap()),
        value: U256::from(value),
        input: Bytes::new(),
        access_list: Vec::new(),
    });
    let key = SecretKey::from_bytes(&DEV_ACCOUNTS[from].secret).unwrap();
    format!("0x{}", hex::encode(SignedTransaction::sign(tx, &key).encoded()))
}

fn lower(v: &Value) -> String {
    v.as_str().unwrap_or_else(|| panic!("{v} is not a string")).to_lowercase()
}

#[test]
fn traces_and_otterscan_methods_describe_a_nested_call() {
    let node = DevNode::start();
    // B: LOG1(topic 0xaa). A: SSTORE(1, 5); SLOAD(1); CALL(gas, B, 1 wei); STOP.
    let (b, _) = deploy(&node, &[0x60, 0xaa, 0x60, 0x00, 0x60, 0x00, 0xa1, 0x00]);
    let mut runtime = vec![0x60, 0x05, 0x60, 0x01, 0x55, 0x60, 0x01, 0x54, 0x50];
    runtime.extend_from_slice(&[0x60, 0x00, 0x60, 0x00, 0x60, 0x00, 0x60, 0x00, 0x60, 0x01, 0x73]);
    runtime.extend_from_slice(b.parse::<Address>().unwrap().as_slice());
    runtime.extend_from_slice(&[0x5a, 0xf1, 0x50, 0x00]);
    let (a, deploy_hash) = deploy(&node, &runtime);
    // C reverts with 32 bytes of data: MSTORE(0, 0xaa); REVERT(0, 32).
    let (revert, _) = deploy(&node, &[0x60, 0xaa, 0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xfd]);

    let dev1 = DEV_ACCOUNTS[1].address.to_string().to_lowercase();
    let hash = node.call("eth_sendRawTransaction", json!([raw(1, 0, &a, 1)]));
    let receipt = node.wait_receipt(hash.as_str().unwrap());
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    let failed = node.call("eth_sendRawTransaction", json!([raw(1, 1, &revert, 0)]));
    let failed_receipt = node.wait_receipt(failed.as_str().unwrap());
    assert_eq!(failed_receipt["status"], "0x0");

    // The struct logger: every step, storage at SSTORE and SLOAD, both depths.
    let trace = node.call("debug_traceTransaction", json!([hash]));
    assert_eq!(trace["failed"], false);
    assert_eq!(trace["gas"].as_u64().unwrap() as u128, qty(&receipt["gasUsed"]));
    let logs = trace["structLogs"].as_array().unwrap();
    let ops: Vec<&str> = logs.iter().map(|l| l["op"].as_str().unwrap()).collect();
    assert_eq!(&ops[..5], ["PUSH1", "PUSH1", "SSTORE", "PUSH1", "SLOAD"], "{ops:?}");
    assert!(ops.contains(&"CALL") && ops.contains(&"LOG1"), "{ops:?}");
    let slot1 = format!("{:064x}", 1);
    let five = format!("{:064x}", 5);
    assert_eq!(logs[2]["storage"][&slot1], five.as_str(), "{}", logs[2]);
    assert_eq!(logs[4]["storage"][&slot1], five.as_str(), "{}", logs[4]);
    assert_eq!(logs[2]["stack"], json!(["0x5", "0x1"]));
    assert!(logs.iter().any(|l| l["depth"] == 2), "the call to B runs at depth 2");
    assert_eq!(logs[0]["pc"], 0);
    let no_stack = node.call("debug_traceTransaction", json!([hash, {"disableStack": true}]));
    assert!(no_stack["structLogs"][0].get("stack").is_none());

    // callTracer: A's frame with B's inside.
    let calls = node.call("debug_traceTransaction", json!([hash, {"tracer": "callTracer"}]));
    assert_eq!(calls["type"], "CALL");
    assert_eq!(lower(&calls["from"]), dev1);
    assert_eq!(lower(&calls["to"]), a.to_lowercase());
    assert_eq!(calls["value"], "0x1");
    assert_eq!(calls["gas"], "0x30d40");
    assert_eq!(calls["gasUsed"], receipt["gasUsed"]);
    let inner = &calls["calls"][0];
    assert_eq!(inner["type"], "CALL");
    assert_eq!(lower(&inner["from"]), a.to_lowercase());
    assert_eq!(lower(&inner["to"]), b.to_lowercase());
    assert_eq!(inner["value"], "0x1");
    assert!(qty(&inner["gasUsed"]) >= 375 + 375, "{inner}");
    let top_only = node.call(
        "debug_traceTransaction",
        json!([hash, {"tracer": "callTracer", "tracerConfig": {"onlyTopCall": true}}]),
    );
    assert!(top_only.get("calls").is_none(), "{top_only}");
    let reverted = node.call("debug_traceTransaction", json!([failed, {"tracer": "callTracer"}]));
    assert_eq!(reverted["error"], "execution reverted");
    assert_eq!(reverted["output"], format!("0x{:064x}", 0xaa));

    // prestateTracer: the touched accounts before; diffMode: what changed.
    let pre = node.call("debug_traceTransaction", json!([hash, {"tracer": "prestateTracer"}]));
    let key = |addr: &str| {
        pre.as_object().unwrap().keys().find(|k| k.to_lowercase() == addr.to_lowercase()).cloned()
    };
    let a_key = key(&a).unwrap_or_else(|| panic!("A in {pre}"));
    assert!(key(&b).is_some() && key(&dev1).is_some(), "{pre}");
    assert_eq!(pre[&a_key]["storage"][format!("0x{slot1}")], format!("0x{:064x}", 0));
    assert_eq!(pre[&a_key]["balance"], "0x0");
    let diff = node.call(
        "debug_traceTransaction",
        json!([hash, {"tracer": "prestateTracer", "tracerConfig": {"diffMode": true}}]),
    );
    assert_eq!(diff["post"][&a_key]["storage"][format!("0x{slot1}")], format!("0x{five}"));
    assert!(diff["pre"][&a_key].is_object(), "{diff}");

    // debug_traceCall runs the same call as eth_call would, at a block tag.
    let call = json!({"from": dev1, "to": a, "value": "0x1"});
    let traced_call =
        node.call("debug_traceCall", json!([call, "latest", {"tracer": "callTracer"}]));
    assert_eq!(traced_call["calls"][0]["type"], "CALL");
    // Traces of a whole block: one per transaction, with its hash.
    let block = node.call(
        "debug_traceBlockByNumber",
        json!([receipt["blockNumber"], {"tracer": "callTracer"}]),
    );
    let entry = block.as_array().unwrap().iter().find(|t| t["txHash"] == hash).expect("the tx");
    assert_eq!(entry["result"], calls);
    let by_hash = node
        .call("debug_traceBlockByHash", json!([receipt["blockHash"], {"tracer": "callTracer"}]));
    assert_eq!(by_hash, block);
    let unknown = node.request("debug_traceTransaction", json!([hash, {"tracer": "noSuchTracer"}]));
    assert_eq!(unknown["error"]["code"], -32000, "{unknown}");

    // Otterscan.
    assert_eq!(node.call("ots_getApiLevel", json!([])), 8);
    assert_eq!(node.call("ots_hasCode", json!([a, "latest"])), true);
    assert_eq!(node.call("ots_hasCode", json!([dev1, "latest"])), false);
    let creator = node.call("ots_getContractCreator", json!([a]));
    assert_eq!(creator["hash"], deploy_hash);
    assert_eq!(lower(&creator["creator"]), DEV_ACCOUNTS[0].address.to_string().to_lowercase());
    assert!(node.call("ots_getContractCreator", json!([dev1])).is_null());
    assert_eq!(node.call("ots_getTransactionBySenderAndNonce", json!([dev1, 0])), hash);
    assert_eq!(node.call("ots_getTransactionBySenderAndNonce", json!([dev1, 1])), failed);
    assert!(node.call("ots_getTransactionBySenderAndNonce", json!([dev1, 9])).is_null());
    assert_eq!(node.call("ots_getTransactionError", json!([failed])), format!("0x{:064x}", 0xaa));
    assert_eq!(node.call("ots_getTransactionError", json!([hash])), "0x");
    let operations = node.call("ots_getInternalOperations", json!([hash]));
    assert_eq!(operations.as_array().unwrap().len(), 1, "{operations}");
    assert_eq!(operations[0]["type"], 0);
    assert_eq!(lower(&operations[0]["to"]), b.to_lowercase());
    let flat = node.call("ots_traceTransaction", json!([hash]));
    assert_eq!(flat[0]["depth"], 0);
    assert_eq!(flat[1]["depth"], 1);
    assert_eq!(lower(&flat[1]["to"]), b.to_lowercase());

    let number = qty(&receipt["blockNumber"]) as u64;
    let details = node.call("ots_getBlockDetails", json!([number]));
    assert_eq!(details["block"]["hash"], receipt["blockHash"]);
    assert!(details["block"]["transactionCount"].as_u64().unwrap() >= 1);
    assert!(details["block"].get("transactions").is_none());
    assert_eq!(details["issuance"]["blockReward"], "0x1bc16d674ec80000", "2 ether");
    assert!(qty(&details["totalFees"]) > 0);
    assert_eq!(node.call("ots_getBlockDetailsByHash", json!([receipt["blockHash"]])), details);
    let page = node.call("ots_getBlockTransactions", json!([number, 0, 25]));
    let txs = page["fullblock"]["transactions"].as_array().unwrap();
    assert!(txs.iter().any(|t| t["hash"] == hash), "{page}");
    assert!(page["receipts"][0]["logs"].is_null());

    // A's history, newest first: the call, then its deployment.
    let before = node.call("ots_searchTransactionsBefore", json!([a, 0, 10]));
    let hashes: Vec<&Value> =
        before["txs"].as_array().unwrap().iter().map(|t| &t["hash"]).collect();
    assert_eq!(hashes, [&hash, &deploy_hash], "{before}");
    assert_eq!(before["firstPage"], true);
    assert_eq!(before["lastPage"], true);
    assert!(before["receipts"][0]["timestamp"].is_string());
    let after = node.call("ots_searchTransactionsAfter", json!([a, 0, 1]));
    let first: Vec<&Value> = after["txs"].as_array().unwrap().iter().map(|t| &t["hash"]).collect();
    assert_eq!(first, [&deploy_hash], "{after}");
    assert_eq!(after["lastPage"], true);
    assert_eq!(after["firstPage"], false);
    assert_eq!(
        node.request("ots_searchTransactionsBefore", json!([a, 0, 0]))["error"]["code"],
        -32602
    );
}
