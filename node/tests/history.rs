//! State at any block, over JSON-RPC: for every block N of a 300-block chain with a
//! reorganisation in it, `eth_getBalance`, `eth_getTransactionCount`, `eth_getCode`,
//! `eth_getStorageAt` and `eth_call` at N answer what they answered when N was the tip; a node
//! keeping 64 blocks of history answers older blocks with an error naming the oldest kept.

mod common;
mod support;

use std::collections::BTreeMap;

use alloy_primitives::{Address, Bytes, TxKind, B256, U256};
use common::RpcNode;
use quarry_node::engine::{HistoryMode, Imported};
use quarry_primitives::transaction::{Transaction, TxEip1559};
use quarry_primitives::{Block, SignedTransaction};
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use support::*;

/// Runtime: `slot0()` (empty calldata) returns storage slot 0; any other call stores its first
/// calldata word in slot 0.
const RUNTIME: &str = "36600f5760005460005260206000f35b60003560005500";

/// Init code returning [`RUNTIME`]: `CODECOPY(0, 11, 23)`, `RETURN(0, 23)`, then the runtime.
fn init_code() -> Bytes {
    let mut code = hex::decode("601780600b6000396000f3").unwrap();
    code.extend(hex::decode(RUNTIME).unwrap());
    Bytes::from(code)
}

fn tx(
    from: usize,
    nonce: u64,
    to: TxKind,
    value: U256,
    input: Bytes,
    gas: u64,
) -> SignedTransaction {
    let tx = Transaction::Eip1559(TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        max_priority_fee_per_gas: U256::from(2_000_000_000u64),
        max_fee_per_gas: U256::from(100_000_000_000u64),
        gas_limit: gas,
        to,
        value,
        input,
        access_list: Vec::new(),
    });
    SignedTransaction::sign(tx, &key(from))
}

/// Everything the test compares at block tag `at`: per watched account, balance, nonce, code
/// and slot 0; per contract, what `slot0()` returns.
fn record(node: &RpcNode, at: &Value, accounts: &[Address], contracts: &[Address]) -> Vec<Value> {
    let mut out = Vec::new();
    for a in accounts {
        out.push(node.call("eth_getBalance", json!([a, at])));
        out.push(node.call("eth_getTransactionCount", json!([a, at])));
        out.push(node.call("eth_getCode", json!([a, at])));
        out.push(node.call("eth_getStorageAt", json!([a, "0x0", at])));
    }
    for c in contracts {
        out.push(node.call("eth_call", json!([{"to": c, "data": "0x"}, at])));
    }
    out
}

/// Random activity: transfers among four funded accounts and fresh ones, contract deploys,
/// and calls writing random slot values, laid out by a seeded generator.
struct Activity {
    rng: rand_chacha::ChaCha8Rng,
    nonces: [u64; 4],
    contracts: Vec<Address>,
}

impl Activity {
    fn new(seed: u64) -> Self {
        Activity {
            rng: rand_chacha::ChaCha8Rng::seed_from_u64(seed),
            nonces: [0; 4],
            contracts: vec![],
        }
    }

    fn txs(&mut self) -> Vec<SignedTransaction> {
        let mut txs = Vec::new();
        for _ in 0..self.rng.random_range(0..4) {
            let from = self.rng.random_range(0..4usize);
            let nonce = self.nonces[from];
            let roll = self.rng.random_range(0..10);
            let t = if roll < 5 {
                let to = Address::with_last_byte(self.rng.random_range(1..6u8));
                let value = U256::from(self.rng.random_range(1..1_000_000u64));
                tx(from, nonce, TxKind::Call(to), value, Bytes::new(), 21_000)
            } else if roll < 6 || self.contracts.is_empty() {
                let deployer = quarry_primitives::dev::DEV_ACCOUNTS[from].address;
                self.contracts.push(deployer.create(nonce));
                tx(from, nonce, TxKind::Create, U256::ZERO, init_code(), 200_000)
            } else {
                let c = self.contracts[self.rng.random_range(0..self.contracts.len())];
                let word = B256::from(U256::from(self.rng.random_range(0..4u64)));
                tx(from, nonce, TxKind::Call(c), U256::ZERO, Bytes::from(word.to_vec()), 100_000)
            };
            self.nonces[from] += 1;
            txs.push(t);
        }
        txs
    }
}

fn watched(activity: &Activity) -> Vec<Address> {
    let mut accounts: Vec<Address> =
        quarry_primitives::dev::DEV_ACCOUNTS[..4].iter().map(|a| a.address).collect();
    accounts.extend((1..6u8).map(Address::with_last_byte));
    accounts.push(Address::repeat_byte(0xee));
    accounts.extend(&activity.contracts);
    accounts
}

#[test]
fn reads_at_every_block_of_a_chain_with_a_reorg_equal_the_reads_when_it_was_the_tip() {
    let mut b = ChainBuilder::new();
    let mut activity = Activity::new(7);
    // The losing branch: blocks 1..=200, every one the tip of node A when imported.
    let mut parent = b.genesis_hash();
    let mut main = Vec::new();
    for _ in 0..200 {
        let block = b.block_with(&parent, activity.txs(), Address::repeat_byte(0xee));
        parent = block.header.hash();
        main.push(block);
    }
    // The winning branch forks after block 190 with 12 blocks of other activity (its own
    // nonces: the fork point's), then the chain goes on to 300 on top of it.
    let fork = main[189].header.hash();
    let mut fork_activity = Activity::new(8);
    fork_activity.nonces = nonces_at(&b, &fork);
    fork_activity.contracts = activity.contracts.clone();
    fork_activity.contracts.retain(|c| b.state(&fork).accounts.contains_key(c));
    let mut parent = fork;
    let mut winning = Vec::new();
    for _ in 0..110 {
        let block = b.block_with(&parent, fork_activity.txs(), Address::repeat_byte(0xee));
        parent = block.header.hash();
        winning.push(block);
    }
    let canonical: Vec<&Block> = main[..190].iter().chain(&winning).collect();
    assert_eq!(canonical.len(), 300);
    let accounts = watched(&fork_activity);
    let mut all_accounts = accounts.clone();
    all_accounts.extend(activity.contracts.iter().filter(|c| !accounts.contains(c)));
    let contracts = fork_activity.contracts.clone();

    // Node B sees only the final chain: record the truth at every tip.
    let reference = RpcNode::start(&b.genesis, HistoryMode::Archive);
    let mut truth = BTreeMap::new();
    for block in &canonical {
        assert!(matches!(reference.import(block), Imported::NewTip { .. }));
        let n = block.header.number;
        truth.insert(
            n,
            record(&reference, &json!("latest"), &all_accounts, &existing(&contracts, &b, block)),
        );
    }

    // Node A: the losing branch first (recording what it answered as tip), then the winning
    // branch, which overtakes it after block 201 and reorganises 10 blocks away.
    let node = RpcNode::start(&b.genesis, HistoryMode::Archive);
    let mut answered_as_tip = BTreeMap::new();
    for block in &main {
        node.import(block);
        let n = block.header.number;
        if n <= 190 {
            answered_as_tip.insert(
                n,
                record(&node, &json!("latest"), &all_accounts, &existing(&contracts, &b, block)),
            );
        }
    }
    let mut reorganised = false;
    for block in &winning {
        if let Imported::NewTip { disconnected, .. } = node.import(block) {
            reorganised |= !disconnected.is_empty();
        }
    }
    assert!(reorganised, "the winning branch reorganised node A");
    assert_eq!(node.call("eth_blockNumber", json!([])), json!("0x12c"));

    for block in &canonical {
        let n = block.header.number;
        let tag = json!(format!("{n:#x}"));
        let contracts_then = existing(&contracts, &b, block);
        let by_number = record(&node, &tag, &all_accounts, &contracts_then);
        assert_eq!(by_number, truth[&n], "reads at block {n} by number");
        if let Some(then) = answered_as_tip.get(&n) {
            assert_eq!(&by_number, then, "block {n} now and when it was node A's tip");
        }
        // EIP-1898: the same block named by hash.
        let by_hash = json!({"blockHash": block.header.hash()});
        assert_eq!(
            record(&node, &by_hash, &all_accounts, &contracts_then),
            truth[&n],
            "block {n} by hash"
        );
    }
    // A block of the losing branch is no longer canonical: its state is refused by hash.
    let stale = json!({"blockHash": main[195].header.hash()});
    let error = node.try_call("eth_getBalance", json!([all_accounts[0], stale])).unwrap_err();
    assert!(error["message"].as_str().unwrap().contains("not on the canonical chain"), "{error}");
}

/// The contracts deployed by the time of `block`.
fn existing(contracts: &[Address], b: &ChainBuilder, block: &Block) -> Vec<Address> {
    let state = b.state(&block.header.hash());
    contracts.iter().copied().filter(|c| state.accounts.contains_key(c)).collect()
}

fn nonces_at(b: &ChainBuilder, hash: &B256) -> [u64; 4] {
    let state = b.state(hash);
    std::array::from_fn(|i| {
        state
            .accounts
            .get(&quarry_primitives::dev::DEV_ACCOUNTS[i].address)
            .map_or(0, |a| a.info.nonce)
    })
}

#[test]
fn a_node_keeping_64_blocks_refuses_older_state_with_the_oldest_block_it_keeps() {
    let mut b = ChainBuilder::new();
    let mut activity = Activity::new(9);
    let node = RpcNode::start(&b.genesis, HistoryMode::Recent(64));
    let mut parent = b.genesis_hash();
    for _ in 0..300 {
        let block = b.block_with(&parent, activity.txs(), Address::repeat_byte(0xee));
        parent = block.header.hash();
        node.import(&block);
    }
    let who = quarry_primitives::dev::DEV_ACCOUNTS[0].address;
    // tip − 64 is kept, tip − 100 is not.
    node.call("eth_getBalance", json!([who, format!("{:#x}", 300 - 64)]));
    let error =
        node.try_call("eth_getBalance", json!([who, format!("{:#x}", 300 - 100)])).unwrap_err();
    assert_eq!(error["code"], -32000, "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("state of block 200 is not available")
            && message.contains("from block 236"),
        "{message}"
    );
    let error = node.try_call("eth_call", json!([{"to": who}, "earliest"])).unwrap_err();
    assert!(error["message"].as_str().unwrap().contains("from block 236"), "{error}");
    // Blocks themselves stay: only their state is gone.
    assert_eq!(node.call("eth_getBlockByNumber", json!(["0x1", false]))["number"], "0x1");
}
