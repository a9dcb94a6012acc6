//! The p2p layer as operators meet it: real `quarry-node` processes on loopback, driven over
//! JSON-RPC. Every wait is on a condition with a deadline; nothing sleeps and hopes.
//!
//! - `testnet_converges_and_spreads_transactions`: `quarry-node testnet --nodes 4 --miners 2`
//!   agrees on one tip, and a transaction sent to a non-mining node is mined and seen by all.
//! - `late_joiner_syncs_2500_blocks_and_survives_kill_during_sync`: a fresh node with one
//!   bootnode syncs a generated 2,000-block chain to the same tip and state root; a second one
//!   is SIGKILLed mid-sync and finishes after a restart.
//! - `partition_heals_to_the_most_work_branch`: two groups mine apart (peers blocked through
//!   `quarry_blockPeer`); after healing every node follows the branch with more work, a
//!   transaction mined only on the losing branch is mined again, and of a double spend only the
//!   winning branch's survives.
//!
//! These tests run one at a time (they start up to four mining processes each).

mod common;

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use alloy_primitives::{Address, Bytes, TxKind, U256};
use common::{init, qty, try_call, write_dev_genesis, NetNode};
use quarry_primitives::crypto::SecretKey;
use quarry_primitives::dev::DEV_ACCOUNTS;
use quarry_primitives::transaction::TxEip1559;
use quarry_primitives::{SignedTransaction, Transaction};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_quarry-node");
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner())
}

/// Polls `condition` every 100 ms until it holds; fails naming `what` after `timeout`.
fn wait_until(what: &str, timeout: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out after {timeout:?} waiting until {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn transfer(from: usize, nonce: u64, to: Address, value: u64) -> (String, String) {
    let tx = Transaction::Eip1559(TxEip1559 {
        chain_id: 1337,
        nonce,
        max_priority_fee_per_gas: U256::from(2_000_000_000u64),
        max_fee_per_gas: U256::from(200_000_000_000u64),
        gas_limit: 21_000,
        to: TxKind::Call(to),
        value: U256::from(value),
        input: Bytes::new(),
        access_list: Vec::new(),
    });
    let key = SecretKey::from_bytes(&DEV_ACCOUNTS[from].secret).unwrap();
    let signed = SignedTransaction::sign(tx, &key);
    (format!("0x{}", hex::encode(signed.encoded())), signed.hash().to_string())
}

/// A base port with `n` free consecutive ports above it.
fn free_ports(n: u16) -> u16 {
    let seed = std::process::id() as u16;
    for attempt in 0..200u16 {
        let base = 20_000 + (seed.wrapping_mul(7).wrapping_add(attempt * 97)) % 40_000;
        let ok = (0..n).all(|i| TcpListener::bind((Ipv4Addr::LOCALHOST, base + i)).is_ok());
        if ok {
            return base;
        }
    }
    panic!("no {n} free consecutive ports");
}

#[test]
fn testnet_converges_and_spreads_transactions() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let rpc_base = free_ports(4);
    let p2p_base = free_ports(4).max(rpc_base + 4);
    let mut testnet = Command::new(BIN)
        .args(["testnet", "--nodes", "4", "--miners", "2", "--dir"])
        .arg(dir.path())
        .args(["--rpc-port-base", &rpc_base.to_string()])
        .args(["--p2p-port-base", &p2p_base.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the testnet");
    let mut lines = BufReader::new(testnet.stdout.take().unwrap()).lines();
    let mut table = String::new();
    loop {
        let line = lines.next().expect("testnet printed its table").unwrap();
        if line == "testnet ready" {
            break;
        }
        table.push_str(&line);
        table.push('\n');
    }
    std::thread::spawn(move || for _ in lines {});
    for i in 0..4u16 {
        assert!(table.contains(&format!("http://127.0.0.1:{}", rpc_base + i)), "{table}");
        assert!(table.contains(&format!("/ip4/127.0.0.1/tcp/{}/p2p/", p2p_base + i)), "{table}");
    }
    assert!(table.contains(&DEV_ACCOUNTS[0].address.to_string()), "dev accounts listed: {table}");
    let nodes: Vec<SocketAddr> =
        (0..4).map(|i| SocketAddr::from((Ipv4Addr::LOCALHOST, rpc_base + i))).collect();
    let call = |i: usize, method: &str, params: Value| {
        try_call(nodes[i], method, params.clone())
            .unwrap_or_else(|e| panic!("node {i} {method}: {e}"))
    };
    let height = |i: usize| qty(&call(i, "eth_blockNumber", json!([]))) as u64;

    wait_until("every node is past block 3", Duration::from_secs(300), || {
        (0..4).all(|i| height(i) >= 3)
    });
    assert!((0..4).all(|i| qty(&call(i, "net_peerCount", json!([]))) >= 1));

    // A transaction sent to node 3, which does not mine, is gossiped, mined and seen by all.
    let (raw, hash) = transfer(3, 0, Address::repeat_byte(0x33), 777);
    call(3, "eth_sendRawTransaction", json!([raw]));
    wait_until("every node has the receipt in the same block", Duration::from_secs(300), || {
        let receipts: Vec<Value> =
            (0..4).map(|i| call(i, "eth_getTransactionReceipt", json!([hash]))).collect();
        receipts.iter().all(|r| !r.is_null() && r["blockHash"] == receipts[0]["blockHash"])
    });

    // Stop both miners: the four nodes settle on one tip.
    for i in 0..2 {
        call(i, "quarry_setMining", json!([false]));
    }
    wait_until("all four nodes have the same tip", Duration::from_secs(120), || {
        let tips: Vec<Value> = (0..4)
            .map(|i| call(i, "eth_getBlockByNumber", json!(["latest", false]))["hash"].clone())
            .collect();
        tips.iter().all(|t| *t == tips[0])
    });

    // Ctrl-C stops the testnet and every node in it.
    unsafe { libc::kill(testnet.id() as i32, libc::SIGINT) };
    let status = testnet.wait().unwrap();
    assert!(status.success(), "testnet exit: {status}");
    wait_until("every node's RPC port is closed", Duration::from_secs(30), || {
        nodes.iter().all(|a| std::net::TcpStream::connect(a).is_err())
    });
}

#[test]
fn late_joiner_syncs_2500_blocks_and_survives_kill_during_sync() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source");
    let status = Command::new(BIN)
        .args(["generate", "--blocks", "2500", "--txs-per-block", "2", "--datadir"])
        .arg(&source)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "generate");
    let a = NetNode::start(&source, &[]);
    let (number, tip, root) = a.tip();
    assert_eq!(number, 2500);

    // A fresh node with only a bootnode.
    let fresh = dir.path().join("fresh");
    init(&source.join("genesis.json"), &fresh);
    let b = NetNode::start(&fresh, &["--bootnode".into(), a.p2p.clone()]);
    wait_until("the late joiner reaches the source's tip", Duration::from_secs(900), || {
        b.tip().1 == tip
    });
    assert_eq!(b.tip(), (number, tip.clone(), root.clone()), "same tip and state root");

    // Another one, killed with SIGKILL while it syncs, restarted on the same datadir.
    let crashed = dir.path().join("crashed");
    init(&source.join("genesis.json"), &crashed);
    let mut c = NetNode::start(&crashed, &["--bootnode".into(), a.p2p.clone()]);
    wait_until("the victim is mid-sync", Duration::from_secs(600), || c.tip().0 >= 100);
    let at_kill = c.tip().0;
    c.kill9();
    assert!(at_kill < 2500, "the kill landed after sync finished (at {at_kill})");
    c.spawn();
    assert!(c.tip().0 >= at_kill.saturating_sub(1), "committed blocks survive the kill");
    wait_until("the restarted node finishes syncing", Duration::from_secs(900), || {
        c.tip().1 == tip
    });
    assert_eq!(c.tip(), (number, tip, root));
}

#[test]
fn partition_heals_to_the_most_work_branch() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let genesis = write_dev_genesis(dir.path());
    let datadir = |i: usize| {
        let d = dir.path().join(format!("node-{i}"));
        init(&genesis, &d);
        d
    };
    let mine = |i: usize| -> Vec<String> {
        vec!["--mine".into(), "--etherbase".into(), DEV_ACCOUNTS[i].address.to_string()]
    };
    // Group X = {0, 1}, group Y = {2, 3}; 0 and 2 mine.
    let n0 = NetNode::start(&datadir(0), &mine(0));
    let boot = |p: &NetNode| vec!["--bootnode".to_string(), p.p2p.clone()];
    let n1 = NetNode::start(&datadir(1), &boot(&n0));
    let n2 = NetNode::start(&datadir(2), &[boot(&n0), mine(2)].concat());
    let n3 = NetNode::start(&datadir(3), &[boot(&n0), boot(&n2)].concat());
    let all = [&n0, &n1, &n2, &n3];
    let x = [&n0, &n1];
    let y = [&n2, &n3];
    wait_until("every node is past block 2 and has peers", Duration::from_secs(300), || {
        all.iter().all(|n| n.tip().0 >= 2 && !n.peers().is_empty())
    });

    // Partition: each side blocks the other.
    for a in x {
        for b in y {
            a.call("quarry_blockPeer", json!([b.peer_id]));
            b.call("quarry_blockPeer", json!([a.peer_id]));
        }
    }
    wait_until("the groups are apart", Duration::from_secs(30), || {
        x.iter().all(|n| n.peers().iter().all(|p| *p == n0.peer_id || *p == n1.peer_id))
            && y.iter().all(|n| n.peers().iter().all(|p| *p == n2.peer_id || *p == n3.peer_id))
    });

    // A double spend of dev account 5's nonce 0, one spend per side, and a transaction that
    // only side Y sees.
    let (spend_x, spend_x_hash) = transfer(5, 0, Address::repeat_byte(0xaa), 1);
    let (spend_y, spend_y_hash) = transfer(5, 0, Address::repeat_byte(0xbb), 2);
    let (only_y, only_y_hash) = transfer(6, 0, Address::repeat_byte(0xcc), 3);
    n1.call("eth_sendRawTransaction", json!([spend_x]));
    n3.call("eth_sendRawTransaction", json!([spend_y]));
    n3.call("eth_sendRawTransaction", json!([only_y]));
    wait_until("each side mined its transactions", Duration::from_secs(300), || {
        !n0.receipt(&spend_x_hash).is_null()
            && !n2.receipt(&spend_y_hash).is_null()
            && !n2.receipt(&only_y_hash).is_null()
    });

    // Y stops; X mines on until it has clearly more work.
    n2.call("quarry_setMining", json!([false]));
    let y_work = n2.work();
    let y_height = n2.tip().0;
    wait_until("side X has more work than side Y", Duration::from_secs(300), || {
        n0.work() > y_work && n0.tip().0 >= y_height + 2
    });
    n0.call("quarry_setMining", json!([false]));
    wait_until("side X agrees on its tip", Duration::from_secs(60), || n1.tip().1 == n0.tip().1);
    let (_, winner, _) = n0.tip();

    // Heal.
    for a in x {
        for b in y {
            a.call("quarry_unblockPeer", json!([b.peer_id]));
            b.call("quarry_unblockPeer", json!([a.peer_id]));
        }
    }
    for b in y {
        for a in x {
            b.call("quarry_addPeer", json!([a.p2p]));
        }
    }
    wait_until("every node follows the most-work branch", Duration::from_secs(300), || {
        all.iter().all(|n| n.tip().1 == winner)
    });

    // Of the double spend only X's survives, everywhere.
    for n in all {
        assert!(!n.receipt(&spend_x_hash).is_null(), "X's spend is mined everywhere");
        assert!(n.receipt(&spend_y_hash).is_null(), "Y's spend is gone everywhere");
        let nonce = n.call("eth_getTransactionCount", json!([DEV_ACCOUNTS[5].address, "latest"]));
        assert_eq!(qty(&nonce), 1);
    }
    // Y's other transaction is back in Y's mempools and is mined again when Y mines.
    for n in y {
        let tx = n.call("eth_getTransactionByHash", json!([only_y_hash]));
        assert!(!tx.is_null() && tx["blockHash"].is_null(), "pending again on {}: {tx}", n.peer_id);
    }
    n2.call("quarry_setMining", json!([true]));
    wait_until(
        "the reinjected transaction is mined and seen by all",
        Duration::from_secs(300),
        || all.iter().all(|n| !n.receipt(&only_y_hash).is_null()),
    );
}
