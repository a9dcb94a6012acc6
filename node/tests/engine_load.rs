//! The engine under read load: a fresh node syncs a generated 2,000-block chain twice, once
//! idle and once while two RPC clients hammer it with `eth_estimateGas` and `eth_getLogs` over
//! every block it has. RPC runs against published views on the blocking pool, never under a
//! lock the import takes, so the import finishes and no peer is penalised either way. The two
//! sync times are printed for the record (speed is a benchmark's business, not a test's).

mod common;

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{init, qty, NetNode};
use quarry_primitives::dev::DEV_ACCOUNTS;
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_quarry-node");

fn wait_until(what: &str, timeout: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out after {timeout:?} waiting until {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts a fresh node on `datadir` syncing from `source`, optionally hammered by RPC clients,
/// and returns (seconds to reach the source's tip, RPC calls answered).
fn sync_once(source: &NetNode, datadir: &std::path::Path, hammer: bool) -> (f64, u64) {
    init(&source.datadir.join("genesis.json"), datadir);
    let (_, tip, root) = source.tip();
    let started = Instant::now();
    let node = Arc::new(NetNode::start(datadir, &["--bootnode".into(), source.p2p.clone()]));
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicU64::new(0));
    let clients: Vec<_> = (0..if hammer { 2 } else { 0 })
        .map(|i| {
            let (node, stop, answered) = (node.clone(), stop.clone(), answered.clone());
            std::thread::spawn(move || {
                let from = DEV_ACCOUNTS[1].address;
                let to = DEV_ACCOUNTS[2].address;
                while !stop.load(Ordering::Relaxed) {
                    let result = if i == 0 {
                        node.try_call(
                            "eth_estimateGas",
                            json!([{"from": from, "to": to, "value": "0x1"}, "latest"]),
                        )
                    } else {
                        node.try_call(
                            "eth_getLogs",
                            json!([{"fromBlock": "0x0", "toBlock": "latest", "address": to}]),
                        )
                    };
                    match result {
                        Ok(_) => answered.fetch_add(1, Ordering::Relaxed),
                        Err(e) => panic!("RPC failed under load: {e}"),
                    };
                }
            })
        })
        .collect();
    wait_until("the fresh node reaches the source's tip", Duration::from_secs(1800), || {
        node.tip().1 == tip
    });
    let seconds = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().expect("an RPC client panicked");
    }
    assert_eq!(node.tip().2, root, "same state root as the source");
    assert!(node.banned_peers().is_empty(), "the syncing node banned nobody");
    assert!(source.banned_peers().is_empty(), "the source banned nobody");
    (seconds, answered.load(Ordering::Relaxed))
}

#[test]
fn rpc_load_during_sync_neither_stops_import_nor_penalises_a_peer() {
    let dir = tempfile::tempdir().unwrap();
    let source_dir = dir.path().join("source");
    let status = Command::new(BIN)
        .args(["generate", "--blocks", "2000", "--txs-per-block", "20", "--datadir"])
        .arg(&source_dir)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "generate");
    let source = NetNode::start(&source_dir, &[]);
    assert_eq!(qty(&source.call("eth_blockNumber", json!([]))), 2000);

    let (idle, _) = sync_once(&source, &dir.path().join("idle"), false);
    let (loaded, answered) = sync_once(&source, &dir.path().join("loaded"), true);
    assert!(answered > 0, "the RPC clients got answers during the sync");
    eprintln!(
        "engine_load: 2,000 blocks synced in {idle:.1} s idle and {loaded:.1} s under RPC load \
         ({answered} eth_estimateGas / eth_getLogs answers; loaded/idle = {:.2})",
        loaded / idle
    );
}
