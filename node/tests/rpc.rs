//! The JSON-RPC server end to end: a real `quarry-node run --dev` process on a free port, spoken
//! to over HTTP/1.1. Read methods, a signed transfer through `eth_sendRawTransaction` to its
//! receipt, calls and estimates with revert data, logs, and malformed input of every kind,
//! after which the node must still serve.

mod common;

use alloy_primitives::{Address, Bytes, TxKind, U256};
use common::{qty, DevNode};
use quarry_primitives::crypto::SecretKey;
use quarry_primitives::dev::DEV_ACCOUNTS;
use quarry_primitives::transaction::TxEip1559;
use quarry_primitives::{SignedTransaction, Transaction};
use serde_json::{json, Value};

const GWEI: u128 = 1_000_000_000;

fn code(response: &Value) -> i64 {
    response["error"]["code"].as_i64().unwrap_or_else(|| panic!("not an error: {response}"))
}

fn signed_transfer(
    from: usize,
    nonce: u64,
    to: Address,
    value: u128,
    input: Bytes,
    kind: Option<TxKind>,
) -> String {
    let tx = Transaction::Eip1559(TxEip1559 {
        chain_id: 1337,
        nonce,
        max_priority_fee_per_gas: U256::from(GWEI),
        max_fee_per_gas: U256::from(100 * GWEI),
        gas_limit: 1_000_000,
        to: kind.unwrap_or(TxKind::Call(to)),
        value: U256::from(value),
        input,
        access_list: Vec::new(),
    });
    let key = SecretKey::from_bytes(&DEV_ACCOUNTS[from].secret).expect("a dev key");
    let signed = SignedTransaction::sign(tx, &key);
    format!("0x{}", hex::encode(signed.encoded()))
}

#[test]
fn read_methods_transfers_receipts_calls_and_logs() {
    let node = DevNode::start();
    assert_eq!(node.call("eth_chainId", json!([])), "0x539");
    assert_eq!(node.call("net_version", json!(null)), "1337");
    assert!(node
        .call("web3_clientVersion", json!([]))
        .as_str()
        .unwrap()
        .starts_with("quarry-node/"));
    // --dev unlocks the ten dev accounts, as anvil does.
    let accounts: Vec<String> =
        DEV_ACCOUNTS.iter().map(|a| a.address.to_string().to_lowercase()).collect();
    assert_eq!(node.call("eth_accounts", json!([])), json!(accounts));
    assert_eq!(node.call("eth_syncing", json!([])), false);
    assert_eq!(node.call("eth_mining", json!([])), true);

    // Checksummed and lower-case addresses, tags, omitted block ids.
    let dev1 = DEV_ACCOUNTS[1].address;
    let ten_thousand_ether = 10_000u128 * 10u128.pow(18);
    let checksummed = dev1.to_string();
    let lower = checksummed.to_lowercase();
    assert_eq!(
        qty(&node.call("eth_getBalance", json!([checksummed, "latest"]))),
        ten_thousand_ether
    );
    assert_eq!(qty(&node.call("eth_getBalance", json!([lower]))), ten_thousand_ether);
    assert_eq!(qty(&node.call("eth_getTransactionCount", json!([lower, "pending"]))), 0);

    // Blocks by tag, number and hash, with and without full transactions.
    let genesis = node.call("eth_getBlockByNumber", json!(["earliest", false]));
    assert_eq!(genesis["number"], "0x0");
    assert_eq!(
        genesis["sha3Uncles"],
        "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347"
    );
    assert_eq!(genesis["nonce"].as_str().unwrap().len(), 18, "8-byte nonce");
    assert_eq!(genesis["difficulty"], genesis["totalDifficulty"], "genesis work is the chain work");
    let by_hash = node.call("eth_getBlockByHash", json!([genesis["hash"], true]));
    assert_eq!(by_hash, genesis);
    assert!(node.call("eth_getBlockByNumber", json!(["0xffffff", false])).is_null());

    // A transfer from dev account 1 to a fresh address.
    let fresh = Address::repeat_byte(0x42);
    let raw = signed_transfer(1, 0, fresh, 12345, Bytes::new(), None);
    let hash = node.call("eth_sendRawTransaction", json!([raw]));
    let hash = hash.as_str().unwrap().to_string();
    let pending = node.call("eth_getTransactionByHash", json!([hash]));
    assert_eq!(pending["from"].as_str().unwrap().to_lowercase(), lower);
    assert_eq!(qty(&node.call("eth_getTransactionCount", json!([lower, "pending"]))), 1);
    // The same bytes again: geth's words.
    let again = node.request("eth_sendRawTransaction", json!([raw]));
    assert_eq!(code(&again), -32000);
    assert_eq!(again["error"]["message"], "already known");

    let receipt = node.wait_receipt(&hash);
    assert_eq!(receipt["status"], "0x1");
    assert_eq!(receipt["gasUsed"], "0x5208");
    assert_eq!(receipt["transactionHash"], hash.as_str());
    assert_eq!(qty(&node.call("eth_getBalance", json!([fresh.to_string()]))), 12345);
    let mined = node.call("eth_getTransactionByHash", json!([hash]));
    assert_eq!(mined["blockHash"], receipt["blockHash"]);
    let block = node.call("eth_getBlockByHash", json!([receipt["blockHash"], true]));
    assert_eq!(block["transactions"][0]["hash"], hash.as_str());
    assert!(qty(&block["totalDifficulty"]) > qty(&block["difficulty"]));

    // A replay is refused with the nonce error ethers.js maps to NONCE_EXPIRED.
    let replay = node.request("eth_sendRawTransaction", json!([raw]));
    assert!(replay["error"]["message"].as_str().unwrap().starts_with("nonce too low"), "{replay}");

    // Deploy a contract whose runtime code emits LOG1(topic 0xaa) on any call with value 0 and
    // reverts with Error("no") when called with value:
    //   CALLVALUE PUSH1 0x0d JUMPI PUSH1 0xaa PUSH1 0 PUSH1 0 LOG1 STOP ... JUMPDEST <revert>
    let revert_data = "08c379a0\
        0000000000000000000000000000000000000000000000000000000000000020\
        0000000000000000000000000000000000000000000000000000000000000002\
        6e6f000000000000000000000000000000000000000000000000000000000000";
    let revert_bytes = hex::decode(revert_data).unwrap();
    let mut runtime =
        vec![0x34, 0x60, 0x0c, 0x57, 0x60, 0xaa, 0x60, 0x00, 0x60, 0x00, 0xa1, 0x00, 0x5b];
    // Store the revert data in memory 32 bytes at a time, then REVERT(0, len).
    for (i, chunk) in revert_bytes.chunks(32).enumerate() {
        let mut word = [0u8; 32];
        word[..chunk.len()].copy_from_slice(chunk);
        runtime.push(0x7f);
        runtime.extend_from_slice(&word);
        runtime.extend_from_slice(&[0x60, (i * 32) as u8, 0x52]);
    }
    runtime.extend_from_slice(&[0x60, revert_bytes.len() as u8, 0x60, 0x00, 0xfd]);
    // Initcode: CODECOPY the runtime that follows the 12-byte prefix and RETURN it.
    let mut init = vec![
        0x60,
        runtime.len() as u8,
        0x60,
        0x0c,
        0x60,
        0x00,
        0x39,
        0x60,
        runtime.len() as u8,
        0x60,
        0x00,
        0xf3,
    ];
    init.extend_from_slice(&runtime);
    let deploy = signed_transfer(2, 0, Address::ZERO, 0, Bytes::from(init), Some(TxKind::Create));
    let deploy_hash = node.call("eth_sendRawTransaction", json!([deploy]));
    let deployed = node.wait_receipt(deploy_hash.as_str().unwrap());
    assert_eq!(deployed["status"], "0x1");
    let contract = deployed["contractAddress"].as_str().unwrap().to_string();
    assert_eq!(
        node.call("eth_getCode", json!([contract, "latest"])),
        format!("0x{}", hex::encode(&runtime))
    );

    // eth_call: success, then a revert with its data and reason (input or data both accepted).
    assert_eq!(node.call("eth_call", json!([{"to": contract, "input": "0x"}, "latest"])), "0x");
    let reverted = node.request(
        "eth_call",
        json!([{"to": contract, "data": "0x", "value": "0x1", "from": lower}]),
    );
    assert_eq!(code(&reverted), 3);
    assert_eq!(reverted["error"]["message"], "execution reverted: no");
    assert_eq!(reverted["error"]["data"], format!("0x{revert_data}"));
    let estimate =
        node.request("eth_estimateGas", json!([{"to": contract, "value": "0x1", "from": lower}]));
    assert_eq!(code(&estimate), 3);
    let gas = qty(&node.call("eth_estimateGas", json!([{"to": contract, "from": lower}])));
    assert!((21_000 + 375 + 375..30_000).contains(&gas), "LOG1 call estimated at {gas}");
    assert_eq!(
        qty(&node.call(
            "eth_estimateGas",
            json!([{"to": fresh.to_string(), "value": "0x1", "from": lower}])
        )),
        21_000
    );

    // A logging transaction and eth_getLogs by address and topic.
    let call = signed_transfer(3, 0, contract.parse().unwrap(), 0, Bytes::new(), None);
    let call_hash = node.call("eth_sendRawTransaction", json!([call]));
    let call_receipt = node.wait_receipt(call_hash.as_str().unwrap());
    assert_eq!(call_receipt["logs"].as_array().unwrap().len(), 1);
    let topic = format!("0x{:064x}", 0xaa);
    let logs = node.call("eth_getLogs", json!([{"fromBlock": "earliest", "toBlock": "latest", "address": contract, "topics": [topic]}]));
    assert_eq!(logs.as_array().unwrap().len(), 1, "{logs}");
    assert_eq!(logs[0]["transactionHash"], call_hash);
    let other_topic = format!("0x{:064x}", 0xbb);
    let none = node.call("eth_getLogs", json!([{"fromBlock": "0x0", "topics": [[other_topic]]}]));
    assert_eq!(none, json!([]));
    let by_hash = node.call("eth_getLogs", json!([{"blockHash": call_receipt["blockHash"]}]));
    assert_eq!(by_hash.as_array().unwrap().len(), 1);

    // Fees.
    let history = node.call("eth_feeHistory", json!(["0x4", "latest", [50]]));
    assert_eq!(
        history["baseFeePerGas"].as_array().unwrap().len(),
        history["gasUsedRatio"].as_array().unwrap().len() + 1
    );
    assert!(qty(&node.call("eth_maxPriorityFeePerGas", json!([]))) >= 1);
    assert!(
        qty(&node.call("eth_gasPrice", json!([])))
            > qty(&node.call("eth_maxPriorityFeePerGas", json!([])))
    );
    assert_eq!(node.call("quarry_peers", json!([])), json!([]));
    assert!(qty(&node.call("quarry_chainWork", json!([]))["chainWork"]) > 0);
}

#[test]
fn malformed_input_gets_json_rpc_errors_and_the_node_keeps_serving() {
    let node = DevNode::start_with(&["--rpc-max-logs-range", "1000"]);
    // Not JSON: parse error, id null.
    let (_, parse) = node.post(b"{\"jsonrpc\": \"2.0\", \"method\": ");
    assert_eq!(code(&parse), -32700, "{parse}");
    let (_, binary) = node.post(&[0xff, 0xfe, 0x00, 0x01]);
    assert_eq!(code(&binary), -32700, "{binary}");
    // Not a request object.
    let (_, not_request) = node.post(b"42");
    assert!(not_request["error"].is_object(), "{not_request}");
    // Unknown method: geth's code and words, which ethers v6 recognises.
    let unknown = node.request("eth_mine", json!([]));
    assert_eq!(code(&unknown), -32601);
    assert_eq!(unknown["error"]["message"], "the method eth_mine does not exist/is not available");
    assert_eq!(code(&node.request("", json!([]))), -32601);
    // Wrong types and shapes.
    assert_eq!(code(&node.request("eth_getBalance", json!([123, "latest"]))), -32602);
    assert_eq!(code(&node.request("eth_getBalance", json!(["0x1234", "latest"]))), -32602);
    assert_eq!(code(&node.request("eth_getBalance", json!({"address": "0x00"}))), -32602);
    assert_eq!(code(&node.request("eth_getBalance", json!([]))), -32602);
    assert_eq!(code(&node.request("eth_getBlockByNumber", json!(["0xzz", false]))), -32602);
    assert_eq!(code(&node.request("eth_getBlockByNumber", json!(["newest", false]))), -32602);
    assert_eq!(
        code(
            &node.request("eth_getBlockByNumber", json!([format!("0x{}", "f".repeat(80)), false]))
        ),
        -32602
    );
    assert_eq!(code(&node.request("eth_getBlockByNumber", json!(["latest", "yes"]))), -32602);
    assert_eq!(code(&node.request("eth_sendRawTransaction", json!(["0xdeadbeef"]))), -32602);
    assert_eq!(code(&node.request("eth_sendRawTransaction", json!(["not hex"]))), -32602);
    assert_eq!(code(&node.request("eth_call", json!(["0x"]))), -32602);
    assert_eq!(code(&node.request("eth_call", json!([{"to": "0x12"}]))), -32602);
    assert_eq!(code(&node.request("eth_feeHistory", json!(["0x2", "latest", [90, 10]]))), -32602);
    assert_eq!(code(&node.request("eth_getLogs", json!([{"topics": [1, 2]}]))), -32602);
    assert_eq!(
        code(&node.request("eth_getLogs", json!([{"fromBlock": "0x0", "toBlock": "0x989680"}]))),
        -32005
    );
    // Subscriptions need a WebSocket; over HTTP they are an error, not a hang.
    assert!(node.request("eth_subscribe", json!(["newHeads"]))["error"].is_object());
    // State at genesis is the genesis allocation; a block past the tip is refused, not
    // answered with the tip's state.
    let dev1 = DEV_ACCOUNTS[1].address.to_string();
    let genesis = node.call("eth_getBalance", json!([dev1, "0x0"]));
    assert_eq!(qty(&genesis), 10_000u128 * 10u128.pow(18));
    let future = node.request("eth_getBalance", json!([dev1, "0x989680"]));
    assert_eq!(code(&future), -32000, "{future}");
    assert!(future["error"]["message"].as_str().unwrap().contains("header not found"), "{future}");

    // A batch mixing good, bad and unknown requests gets one answer each, in order.
    let batch = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"},
        {"jsonrpc": "2.0", "id": 2, "method": "eth_getBalance", "params": [false]},
        {"jsonrpc": "2.0", "id": 3, "method": "nope"},
        {"jsonrpc": "2.0", "id": 4, "method": "eth_blockNumber", "params": null},
    ]);
    let (_, answers) = node.post(batch.to_string().as_bytes());
    let answers = answers.as_array().unwrap_or_else(|| panic!("batch answer: {answers}"));
    assert_eq!(answers.len(), 4);
    let by_id = |id: i64| answers.iter().find(|a| a["id"] == id).unwrap();
    assert_eq!(by_id(1)["result"], "0x539");
    assert_eq!(code(by_id(2)), -32602);
    assert_eq!(code(by_id(3)), -32601);
    assert_eq!(by_id(3)["error"]["message"], "the method nope does not exist/is not available");
    assert!(by_id(4)["result"].is_string());
    // An empty batch and a huge batch (over the 1,000-request limit) are refused whole.
    let (_, empty) = node.post(b"[]");
    assert!(empty["error"].is_object(), "{empty}");
    let huge: Vec<Value> =
        (0..5_000).map(|i| json!({"jsonrpc": "2.0", "id": i, "method": "eth_chainId"})).collect();
    let (_, huge) = node.post(json!(huge).to_string().as_bytes());
    assert!(huge["error"].is_object(), "a 5,000-request batch is refused: {huge}");
    // A body above the size limit.
    let big = vec![b' '; 11 * 1024 * 1024];
    let (status, _) = node.post(&big);
    assert_eq!(status, 413, "an 11 MiB body is refused");

    // Still serving, and still mining.
    let before = qty(&node.call("eth_blockNumber", json!([])));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while qty(&node.call("eth_blockNumber", json!([]))) <= before {
        assert!(std::time::Instant::now() < deadline, "no block mined after the malformed input");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}
