//! `quarry-node bench import`: signed transfers per second through the whole import pipeline
//! (seal, stateless checks and sender recovery on every core, execution, trie roots, one
//! synced batch per block), beside the secp256k1 `ecrecover` rate of the same machine measured
//! in the same run, which bounds it.

use std::path::Path;
use std::sync::mpsc;
use std::time::Instant;

use alloy_primitives::Bytes;
use indicatif::{ProgressBar, ProgressStyle};
use quarry_node::engine::{Chain, HistoryMode, Imported};
use quarry_node::generate::{generate_chain, generated_genesis, Recipients};
use quarry_node::miner::Kernel;
use quarry_node::service::{Node, NodeConfig};
use quarry_primitives::dev::DEV_ACCOUNTS;
use quarry_primitives::Block;
use rayon::prelude::*;
use serde::Serialize;

/// The import benchmark's result.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    blocks: u64,
    transfers: u64,
    /// Cores rayon (sender recovery) spreads over.
    cores: usize,
    import_seconds: f64,
    /// Blocks per second through the pipeline.
    blocks_per_second: f64,
    /// Transfers per second through the pipeline.
    transfers_per_second: f64,
    /// k256 sender recoveries per second on every core, same transactions, same run.
    ecrecovers_per_second: f64,
    /// `transfers_per_second / ecrecovers_per_second`.
    ratio_to_ecrecover: f64,
}

fn bar(len: u64, message: &'static str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len} blocks ({per_sec})")
            .expect("static template")
            .progress_chars("=> "),
    );
    bar.set_message(message);
    bar
}

/// Reads every canonical block of the chain in `datadir`, genesis excluded, oldest first.
fn read_blocks(
    datadir: &Path,
    genesis: &quarry_primitives::genesis::Genesis,
) -> Result<Vec<Block>, String> {
    let chain = Chain::open(datadir, genesis, HistoryMode::Archive).map_err(|e| e.to_string())?;
    let reader = chain.store().latest();
    let tip = chain.tip().header.number;
    (1..=tip)
        .map(|number| {
            let hash = reader
                .canonical_hash(number)
                .map_err(|e| e.to_string())?
                .ok_or(format!("block {number} missing"))?;
            let (header, _) =
                reader.header(&hash).map_err(|e| e.to_string())?.ok_or("header missing")?;
            let transactions =
                reader.body(&hash).map_err(|e| e.to_string())?.ok_or("body missing")?;
            Ok(Block { header, transactions })
        })
        .collect()
}

/// Generates `blocks` blocks of `txs_per_block` transfers, then imports them into a fresh node
/// as fast as the pipeline takes them (the next block's senders are recovered while the
/// engine executes the previous one), and measures `ecrecover` on the same transactions.
pub fn bench_import(blocks: u64, txs_per_block: usize) -> Result<ImportReport, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let source = dir.path().join("source");
    let target = dir.path().join("target");
    let genesis = generated_genesis(blocks);
    let progress = bar(blocks, "generate");
    generate_chain(
        &source,
        genesis.clone(),
        blocks,
        txs_per_block,
        Recipients::DevAccounts,
        |_| progress.inc(1),
    )
    .map_err(|e| e.to_string())?;
    progress.finish_and_clear();
    let chain = read_blocks(&source, &genesis)?;
    let transfers: u64 = chain.iter().map(|b| b.transactions.len() as u64).sum();

    let node = Node::start(NodeConfig {
        datadir: target,
        genesis,
        etherbase: DEV_ACCOUNTS[0].address,
        mining_threads: 0,
        kernel: Kernel::Portable,
        extra_data: Bytes::new(),
        history: HistoryMode::Archive,
    })
    .map_err(|e| e.to_string())?;
    let progress = bar(blocks, "import");
    let (done, results) = mpsc::channel();
    let started = Instant::now();
    for block in chain.iter().cloned() {
        let done = done.clone();
        node.import_block_then(block, Box::new(move |result| drop(done.send(result))));
    }
    drop(done);
    for result in results {
        match result {
            Ok(Imported::NewTip { .. }) => progress.inc(1),
            Ok(other) => return Err(format!("a generated block was not connected: {other:?}")),
            Err(e) => return Err(format!("import failed: {e}")),
        }
    }
    let import_seconds = started.elapsed().as_secs_f64();
    progress.finish_and_clear();
    let expected = chain.last().map(|b| b.header.hash());
    if Some(node.tip().hash) != expected {
        return Err("the imported chain does not end at the generated tip".into());
    }
    drop(node);

    // ecrecover on every core over the same transactions, best of three passes.
    let txs: Vec<_> = chain.iter().flat_map(|b| b.transactions.iter()).collect();
    let mut ecrecover_seconds = f64::MAX;
    for _ in 0..3 {
        let started = Instant::now();
        let recovered = txs.par_iter().filter(|tx| tx.recover_sender().is_ok()).count();
        ecrecover_seconds = ecrecover_seconds.min(started.elapsed().as_secs_f64());
        if recovered != txs.len() {
            return Err("a generated transaction does not recover".into());
        }
    }
    let transfers_per_second = transfers as f64 / import_seconds;
    let ecrecovers_per_second = txs.len() as f64 / ecrecover_seconds;
    Ok(ImportReport {
        blocks,
        transfers,
        cores: rayon::current_num_threads(),
        import_seconds,
        blocks_per_second: blocks as f64 / import_seconds,
        transfers_per_second,
        ecrecovers_per_second,
        ratio_to_ecrecover: transfers_per_second / ecrecovers_per_second,
    })
}
