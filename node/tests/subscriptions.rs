//! `eth_subscribe("logs")` over WebSocket across a reorganisation: a log from a block that a
//! heavier branch disconnects arrives a second time with `removed: true` (geth's pub/sub
//! semantics), carried by the event itself, so the store need not keep anything for it.

mod common;
mod support;

use std::time::Duration;

use alloy_primitives::{Address, Bytes, TxKind, U256};
use common::RpcNode;
use jsonrpsee::core::client::{Subscription, SubscriptionClientT};
use jsonrpsee::rpc_params;
use jsonrpsee::ws_client::WsClientBuilder;
use quarry_node::engine::{HistoryMode, Imported};
use quarry_primitives::transaction::{Transaction, TxEip1559};
use quarry_primitives::SignedTransaction;
use serde_json::{json, Value};
use support::*;

/// Init code that emits one empty LOG0 from the new contract and deploys nothing:
/// `LOG0(0, 0)`, `STOP`.
const LOGGING_INIT_CODE: [u8; 6] = [0x60, 0x00, 0x60, 0x00, 0xa0, 0x00];

fn deploy_logging(from: usize, nonce: u64) -> SignedTransaction {
    let tx = Transaction::Eip1559(TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        max_priority_fee_per_gas: U256::from(2_000_000_000u64),
        max_fee_per_gas: U256::from(100_000_000_000u64),
        gas_limit: 100_000,
        to: TxKind::Create,
        value: U256::ZERO,
        input: Bytes::from_static(&LOGGING_INIT_CODE),
        access_list: Vec::new(),
    });
    SignedTransaction::sign(tx, &key(from))
}

/// The next notification of `logs`, within 30 s.
async fn next_log(logs: &mut Subscription<Value>) -> Value {
    tokio::time::timeout(Duration::from_secs(30), logs.next())
        .await
        .expect("a notification within 30 s")
        .expect("the subscription is open")
        .expect("a log object")
}

#[test]
fn a_reorganisation_resends_the_logs_of_disconnected_blocks_as_removed() {
    let mut b = ChainBuilder::new();
    let node = RpcNode::start(&b.genesis, HistoryMode::Archive);
    let genesis = b.genesis_hash();
    let tx = deploy_logging(0, 0);
    let a1 = b.block_with(&genesis, vec![tx.clone()], Address::repeat_byte(0xa));
    let branch = b.branch(&genesis, 2, 0xb);
    let url = format!("ws://{}", node.addr);
    let (added, removed) = node.runtime.block_on(async {
        let client = WsClientBuilder::default().build(&url).await.expect("connect over WebSocket");
        let mut logs: Subscription<Value> = client
            .subscribe("eth_subscribe", rpc_params!["logs", json!({})], "eth_unsubscribe")
            .await
            .expect("subscribe to logs");
        assert!(matches!(node.import(&a1), Imported::NewTip { .. }));
        let added = next_log(&mut logs).await;
        for block in &branch {
            node.import(block);
        }
        let removed = next_log(&mut logs).await;
        (added, removed)
    });
    assert_eq!(added["removed"], false, "{added}");
    assert_eq!(added["transactionHash"], json!(tx.hash()));
    assert_eq!(added["blockHash"], json!(a1.header.hash()));
    assert_eq!(removed["removed"], true, "{removed}");
    for field in ["transactionHash", "blockHash", "blockNumber", "logIndex", "address", "data"] {
        assert_eq!(removed[field], added[field], "{field} of the removed log");
    }
    // The reorganisation put the transaction back in the pool and made branch b canonical.
    let tip = node.call("eth_getBlockByNumber", json!(["latest", false]));
    assert_eq!(tip["hash"], json!(branch[1].header.hash()));
    assert_eq!(node.call("eth_getTransactionReceipt", json!([tx.hash()])), Value::Null);
    assert_eq!(node.call("eth_getTransactionByHash", json!([tx.hash()]))["blockHash"], Value::Null);
}
