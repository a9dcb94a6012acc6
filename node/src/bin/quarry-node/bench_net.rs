//! `quarry-node bench sync` and `bench propagation`: network benchmarks run in one process,
//! each node a full [`Node`] with its own RocksDB datadir and its own libp2p stack, talking
//! over loopback TCP exactly as separate processes would.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use alloy_primitives::{Bytes, B256};
use indicatif::{ProgressBar, ProgressStyle};
use libp2p::Multiaddr;
use quarry_node::dev::dev_genesis;
use quarry_node::generate::{generate_chain, generated_genesis, Recipients};
use quarry_node::miner::Kernel;
use quarry_node::p2p::{load_or_create_key, P2p, P2pConfig};
use quarry_node::service::{unix_now, ChainEvent, Node, NodeConfig};
use quarry_primitives::dev::DEV_ACCOUNTS;
use quarry_primitives::genesis::Genesis;
use serde::Serialize;

fn node_config(datadir: &Path, genesis: &Genesis, mining_threads: usize) -> NodeConfig {
    NodeConfig {
        datadir: datadir.to_path_buf(),
        genesis: genesis.clone(),
        etherbase: DEV_ACCOUNTS[0].address,
        mining_threads,
        kernel: Kernel::best(),
        extra_data: Bytes::from_static(b"quarry bench"),
        history: quarry_node::engine::HistoryMode::Archive,
    }
}

async fn start_p2p(node: &Node, datadir: &Path, bootnodes: Vec<Multiaddr>) -> Result<P2p, String> {
    let config = P2pConfig {
        listen: vec!["/ip4/127.0.0.1/tcp/0".parse().expect("valid")],
        bootnodes,
        mdns: false,
        ..P2pConfig::default()
    };
    let key = load_or_create_key(datadir).map_err(|e| e.to_string())?;
    P2p::start(node.clone(), config, key).await.map_err(|e| e.to_string())
}

fn listen_addr(p2p: &P2p) -> Multiaddr {
    p2p.info().listen[0].parse().expect("a multiaddr we printed")
}

/// The sync benchmark's result.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncReport {
    blocks: u64,
    transactions: u64,
    bytes: u64,
    generate_seconds: f64,
    sync_seconds: f64,
    blocks_per_second: f64,
    megabytes_per_second: f64,
}

/// Generates `blocks` blocks of `txs_per_block` transfers on node A, then times a fresh node
/// B with A as its only bootnode from start until it has A's tip.
pub fn bench_sync(blocks: u64, txs_per_block: usize) -> Result<SyncReport, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let a_dir = dir.path().join("a");
    let b_dir = dir.path().join("b");
    let genesis = generated_genesis(blocks);
    let bar = ProgressBar::new(blocks);
    bar.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len} blocks ({per_sec})")
            .expect("static template")
            .progress_chars("=> "),
    );
    bar.set_message("generate");
    let generated = generate_chain(
        &a_dir,
        genesis.clone(),
        blocks,
        txs_per_block,
        Recipients::DevAccounts,
        |_| bar.inc(1),
    )
    .map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let a = Node::start(node_config(&a_dir, &genesis, 0)).map_err(|e| e.to_string())?;
    let b = Node::start(node_config(&b_dir, &genesis, 0)).map_err(|e| e.to_string())?;
    let target = a.tip().hash;
    bar.reset();
    bar.set_message("sync");
    let seconds = runtime.block_on(async {
        let pa = start_p2p(&a, &a_dir, vec![]).await?;
        let started = Instant::now();
        let _pb = start_p2p(&b, &b_dir, vec![listen_addr(&pa)]).await?;
        let mut last_progress = (0, Instant::now());
        loop {
            let tip = b.tip();
            bar.set_position(tip.header.number);
            if tip.hash == target {
                return Ok::<f64, String>(started.elapsed().as_secs_f64());
            }
            if tip.header.number != last_progress.0 {
                last_progress = (tip.header.number, Instant::now());
            } else if last_progress.1.elapsed() > Duration::from_secs(120) {
                return Err(format!("sync stalled at block {} for 120 s", tip.header.number));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })?;
    bar.finish_and_clear();
    Ok(SyncReport {
        blocks: generated.blocks,
        transactions: generated.transactions,
        bytes: generated.bytes,
        generate_seconds: generated.seconds,
        sync_seconds: seconds,
        blocks_per_second: generated.blocks as f64 / seconds,
        megabytes_per_second: generated.bytes as f64 / 1e6 / seconds,
    })
}

/// The propagation benchmark's result: delays from the miner committing a block to each other
/// node committing it, in milliseconds.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PropagationReport {
    nodes: usize,
    blocks: usize,
    samples: usize,
    median_ms: f64,
    p90_ms: f64,
    max_ms: f64,
}

/// Starts `nodes` nodes (each with every earlier one as a bootnode), node 0 mining on one
/// thread, and measures for `blocks` mined blocks how long each other node takes to commit
/// them after node 0 did.
pub fn bench_propagation(nodes: usize, blocks: usize) -> Result<PropagationReport, String> {
    if nodes < 2 {
        return Err("--nodes must be at least 2".into());
    }
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let genesis = dev_genesis(unix_now());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let mut members: Vec<(Node, P2p)> = Vec::new();
        let mut addrs = Vec::new();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(usize, B256, Instant)>();
        for i in 0..nodes {
            let datadir = dir.path().join(format!("node-{i}"));
            let node =
                Node::start(node_config(&datadir, &genesis, 0)).map_err(|e| e.to_string())?;
            let mut events = node.subscribe();
            let tx = tx.clone();
            tokio::spawn(async move {
                while let Ok(event) = events.recv().await {
                    if let ChainEvent::NewTip { connected, .. } = event {
                        let now = Instant::now();
                        for block in connected.iter() {
                            let _ = tx.send((i, block.hash, now));
                        }
                    }
                }
            });
            let p2p = start_p2p(&node, &datadir, addrs.clone()).await?;
            addrs.push(listen_addr(&p2p));
            members.push((node, p2p));
        }
        // Wait until everyone is connected before mining.
        let deadline = Instant::now() + Duration::from_secs(30);
        while members.iter().any(|(_, p)| p.peer_count() < 1) {
            if Instant::now() > deadline {
                return Err("nodes did not connect within 30 s".to_string());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        members[0].0.set_mining(Some(1)).map_err(|e| e.to_string())?;
        let bar = ProgressBar::new(blocks as u64);
        let mut arrivals: HashMap<B256, HashMap<usize, Instant>> = HashMap::new();
        let mut complete = 0;
        let mut delays = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(60 + 20 * blocks as u64);
        while complete < blocks {
            let timeout = deadline.saturating_duration_since(Instant::now());
            let Ok(Some((i, hash, at))) = tokio::time::timeout(timeout, rx.recv()).await else {
                return Err(format!(
                    "only {complete} of {blocks} blocks reached every node in time"
                ));
            };
            let seen = arrivals.entry(hash).or_default();
            seen.entry(i).or_insert(at);
            if seen.len() == nodes {
                if let Some(mined) = seen.get(&0) {
                    delays.extend(
                        seen.iter()
                            .filter(|(n, _)| **n != 0)
                            .map(|(_, t)| t.saturating_duration_since(*mined).as_secs_f64() * 1e3),
                    );
                    complete += 1;
                    bar.inc(1);
                }
            }
        }
        bar.finish_and_clear();
        members[0].0.set_mining(None).map_err(|e| e.to_string())?;
        delays.sort_by(f64::total_cmp);
        let pick = |q: f64| delays[((delays.len() - 1) as f64 * q).round() as usize];
        Ok(PropagationReport {
            nodes,
            blocks,
            samples: delays.len(),
            median_ms: pick(0.5),
            p90_ms: pick(0.9),
            max_ms: pick(1.0),
        })
    })
}
