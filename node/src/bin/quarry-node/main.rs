//! `quarry-node`: the Quarry node binary: `run` a node (`--dev` for a one-command local dev
//! chain), `init` a datadir from a genesis file, `check` a datadir's integrity, and `bench mine`
//! to measure the miner.

mod bench_import;
mod bench_net;
mod testnet;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use alloy_primitives::{Address, Bytes};
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use libp2p::{Multiaddr, PeerId};
use quarry_node::dev::{dev_genesis_for_hash_rate, measured_hash_rate};
use quarry_node::engine::{Chain, HistoryMode};
use quarry_node::explorer::{self, ExplorerNode};
use quarry_node::generate::Recipients;
use quarry_node::miner::bench::bench_mine;
use quarry_node::miner::Kernel;
use quarry_node::p2p::{self, P2p, P2pConfig};
use quarry_node::rpc::{self, RpcConfig};
use quarry_node::service::{genesis_path, unix_now, Node, NodeConfig};
use quarry_primitives::dev::DEV_ACCOUNTS;
use quarry_primitives::genesis::Genesis;

#[derive(Parser)]
#[command(name = "quarry-node", version, about = "Quarry proof-of-work node")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs a node: opens (or, with --dev, creates) the chain in the datadir, mines if asked,
    /// and runs until Ctrl-C.
    Run(RunArgs),
    /// Starts a local testnet: N node processes on loopback with one shared dev genesis,
    /// connected to each other, the first M mining; prints every node's RPC URL and P2P
    /// address and the funded dev accounts; runs until Ctrl-C, then stops every node.
    Testnet(testnet::TestnetArgs),
    /// Builds a dev chain of N blocks in a new datadir in seconds (genesis dated in the past,
    /// easiest target, blocks on the target schedule), for sync tests and benchmarks.
    Generate {
        /// Directory to create the chain in (must not hold one).
        #[arg(long)]
        datadir: PathBuf,
        /// Blocks to build.
        #[arg(long, default_value_t = 2000)]
        blocks: u64,
        /// Transfers from the dev accounts in each block.
        #[arg(long, default_value_t = 0)]
        txs_per_block: usize,
        /// Send every transfer to a new address (the state grows by one account per transfer)
        /// instead of to another dev account.
        #[arg(long)]
        fresh_recipients: bool,
    },
    /// Creates a datadir for the chain described by a genesis file.
    Init {
        /// A geth-style genesis.json with Quarry's `config.quarry` section.
        #[arg(long)]
        genesis: PathBuf,
        /// Directory to create the chain in.
        #[arg(long)]
        datadir: PathBuf,
    },
    /// Opens a datadir, recomputes the tip's state root from every stored account and slot,
    /// and compares it with the tip header's (exit 1 on mismatch).
    Check {
        /// The node's datadir.
        #[arg(long)]
        datadir: PathBuf,
        /// A file of block hashes (one per line) that must all be on the canonical chain.
        #[arg(long)]
        require_file: Option<PathBuf>,
    },
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        what: Bench,
    },
}

#[derive(Subcommand)]
enum Bench {
    /// Hash rate of the SHA-256d nonce search, per kernel and thread count.
    Mine {
        /// Threads to mine on.
        #[arg(long, default_value_t = 1)]
        threads: usize,
        /// Seconds to measure each kernel.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        /// Kernel to measure; default: every kernel this CPU supports.
        #[arg(long, value_enum)]
        kernel: Option<KernelArg>,
        /// Print one JSON object per kernel instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Sync speed: a fresh node catching up a generated chain from one peer over loopback
    /// (blocks/s and MB/s of block data).
    Sync {
        /// Length of the chain to catch up.
        #[arg(long, default_value_t = 2000)]
        blocks: u64,
        /// Transfers in each block.
        #[arg(long, default_value_t = 100)]
        txs_per_block: usize,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Import speed: signed transfers per second through the whole import pipeline (stateless
    /// checks and sender recovery on every core, execution, roots, one synced batch per
    /// block) for a generated chain, beside the ecrecover rate of the same cores.
    Import {
        /// Blocks to import.
        #[arg(long, default_value_t = 500)]
        blocks: u64,
        /// Transfers in each block.
        #[arg(long, default_value_t = 100)]
        txs_per_block: usize,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Block propagation: delay from the miner committing a block to each other node of a
    /// small network committing it.
    Propagation {
        /// Nodes in the network (node 0 mines).
        #[arg(long, default_value_t = 4)]
        nodes: usize,
        /// Blocks to measure.
        #[arg(long, default_value_t = 30)]
        blocks: usize,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args)]
struct RunArgs {
    /// Development chain: chain id 1337, the dev mnemonic's accounts funded, short blocks,
    /// mining on. Creates the datadir's genesis on first start.
    #[arg(long)]
    dev: bool,
    /// Where the chain lives (default: the user's data directory, `quarry/` or `quarry/dev/`).
    #[arg(long)]
    datadir: Option<PathBuf>,
    /// Mine blocks (implied by --dev).
    #[arg(long)]
    mine: bool,
    /// Mining threads.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Address receiving the subsidy and fees of mined blocks (default with --dev: the first
    /// dev account).
    #[arg(long)]
    etherbase: Option<Address>,
    /// Miner kernel (default: the fastest this CPU supports).
    #[arg(long, value_enum)]
    kernel: Option<KernelArg>,
    /// Address the JSON-RPC server (HTTP and WebSocket) listens on. A non-loopback address
    /// exposes the node's RPC to the network and logs a warning.
    #[arg(long, default_value = "127.0.0.1")]
    rpc_addr: std::net::IpAddr,
    /// JSON-RPC port (0: any free port, printed in the log).
    #[arg(long, default_value_t = quarry_node::rpc::DEFAULT_PORT)]
    rpc_port: u16,
    /// Origins browsers may call the RPC from, comma-separated; `*` allows any.
    #[arg(long, value_delimiter = ',')]
    rpc_cors: Vec<String>,
    /// Blocks behind the tip that the `safe` and `finalized` block tags name.
    #[arg(long, default_value_t = 6)]
    rpc_confirmations: u64,
    /// Most blocks one `eth_getLogs` or `eth_getFilterLogs` may scan; 0: no limit (geth's
    /// `--rpc.rangelimit`, default 0).
    #[arg(long, default_value_t = 0, value_name = "BLOCKS")]
    rpc_max_logs_range: u64,
    /// Sign with the ten dev accounts' keys over JSON-RPC (`eth_accounts`, `eth_sendTransaction`,
    /// `eth_sign`, `personal_sign`, `eth_signTypedData_v4`), as anvil does. Implied by --dev;
    /// their keys are public, so only for chains where their ether is worthless.
    #[arg(long)]
    unlock: bool,
    /// Do not start the JSON-RPC server.
    #[arg(long)]
    no_rpc: bool,
    /// Serve the block explorer (a web page reading this node's JSON-RPC) on loopback; on by
    /// default with --dev.
    #[arg(long, conflicts_with = "no_explorer")]
    explorer: bool,
    /// Do not serve the block explorer (with --dev).
    #[arg(long)]
    no_explorer: bool,
    /// Explorer port on 127.0.0.1 (0: any free port). Without this flag, a taken default port
    /// falls back to any free one; the URL is printed at start.
    #[arg(long, value_name = "PORT")]
    explorer_port: Option<u16>,
    /// P2P listen address (repeatable; default `/ip4/0.0.0.0/tcp/30303`; port 0: any free
    /// port, printed as `p2p listening on ADDR/p2p/PEER_ID`).
    #[arg(long, value_name = "MULTIADDR")]
    listen: Vec<Multiaddr>,
    /// Peer to connect to at start and to redial while disconnected, such as
    /// `/ip4/10.0.0.2/tcp/30303/p2p/12D3Koo…` (repeatable).
    #[arg(long, value_name = "MULTIADDR")]
    bootnode: Vec<Multiaddr>,
    /// Do not discover peers on the local network with mDNS.
    #[arg(long)]
    no_mdns: bool,
    /// Run without p2p. (`--dev` without `--listen` or `--bootnode` also runs without it: a
    /// dev chain's genesis is unique to its datadir, so no one else could join.)
    #[arg(long)]
    no_p2p: bool,
    /// Most peer connections.
    #[arg(long, default_value_t = 50)]
    max_peers: u32,
    /// Accept only these peers (repeatable; default: anyone).
    #[arg(long, value_name = "PEER_ID")]
    allow_peer: Vec<PeerId>,
    /// Refuse these peers (repeatable).
    #[arg(long, value_name = "PEER_ID")]
    deny_peer: Vec<PeerId>,
    /// Seconds a misbehaving peer stays banned.
    #[arg(long, default_value_t = 600)]
    ban_seconds: u64,
    /// Seconds a peer has to answer a sync request before it counts against it.
    #[arg(long, default_value_t = 20, value_name = "SECONDS")]
    request_timeout: u64,
    /// Keep the state of the last N blocks only (default: every block, an archive node).
    /// Reads of older blocks answer an error naming the oldest block kept, and the chain
    /// cannot reorganise deeper than N blocks. geth keeps 128.
    #[arg(long, value_name = "BLOCKS", value_parser = clap::value_parser!(u64).range(1..))]
    history: Option<u64>,
}

#[derive(Clone, Copy, ValueEnum)]
enum KernelArg {
    Portable,
    ShaNi,
    Avx2,
    Avx2x2,
    Avx512,
    Avx512x2,
}

impl From<KernelArg> for Kernel {
    fn from(k: KernelArg) -> Kernel {
        match k {
            KernelArg::Portable => Kernel::Portable,
            KernelArg::ShaNi => Kernel::ShaNi,
            KernelArg::Avx2 => Kernel::Avx2,
            KernelArg::Avx2x2 => Kernel::Avx2x2,
            KernelArg::Avx512 => Kernel::Avx512,
            KernelArg::Avx512x2 => Kernel::Avx512x2,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run(args),
        Command::Testnet(args) => testnet::testnet(args),
        Command::Generate { datadir, blocks, txs_per_block, fresh_recipients } => {
            let recipients =
                if fresh_recipients { Recipients::Fresh } else { Recipients::DevAccounts };
            generate(&datadir, blocks, txs_per_block, recipients)
        }
        Command::Init { genesis, datadir } => init(&genesis, &datadir),
        Command::Check { datadir, require_file } => check(&datadir, require_file.as_deref()),
        Command::Bench { what: Bench::Mine { threads, seconds, kernel, json } } => {
            bench(threads, seconds, kernel.map(Kernel::from), json)
        }
        Command::Bench { what: Bench::Sync { blocks, txs_per_block, json } } => {
            report(bench_net::bench_sync(blocks, txs_per_block), json)
        }
        Command::Bench { what: Bench::Import { blocks, txs_per_block, json } } => {
            report(bench_import::bench_import(blocks, txs_per_block), json)
        }
        Command::Bench { what: Bench::Propagation { nodes, blocks, json } } => {
            report(bench_net::bench_propagation(nodes, blocks), json)
        }
    }
}

fn bench(threads: usize, seconds: u64, kernel: Option<Kernel>, json: bool) -> ExitCode {
    let kernels: Vec<Kernel> = match kernel {
        Some(k) if !k.available() => {
            eprintln!("quarry-node: kernel {} is not supported by this CPU", k.name());
            return ExitCode::from(2);
        }
        Some(k) => vec![k],
        None => Kernel::ALL.into_iter().filter(|k| k.available()).collect(),
    };
    if !json {
        println!(
            "{:<10} {:>7} {:>14} {:>16}",
            "kernel", "threads", "MH/s total", "MH/s per thread"
        );
    }
    for kernel in kernels {
        let bar = ProgressBar::new(seconds * 10);
        bar.set_style(
            ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len}")
                .expect("static template")
                .progress_chars("=> "),
        );
        bar.set_message(kernel.name());
        let report = bench_mine(kernel, threads, Duration::from_secs(seconds), |_| bar.inc(1));
        bar.finish_and_clear();
        if json {
            println!("{}", serde_json::to_string(&report).expect("serialisable"));
        } else {
            println!(
                "{:<10} {:>7} {:>14.2} {:>16.2}",
                report.kernel,
                report.threads,
                report.hashes_per_second / 1e6,
                report.hashes_per_second_per_thread / 1e6
            );
        }
    }
    ExitCode::SUCCESS
}

fn report<T: serde::Serialize>(result: Result<T, String>, json: bool) -> ExitCode {
    match result {
        Ok(report) if json => {
            println!("{}", serde_json::to_string(&report).expect("serialisable"));
            ExitCode::SUCCESS
        }
        Ok(report) => {
            println!("{}", serde_json::to_string_pretty(&report).expect("serialisable"));
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::stdout().is_terminal())
        .init();
}

fn default_datadir(dev: bool) -> PathBuf {
    let base = dirs::data_dir().unwrap_or_else(std::env::temp_dir).join("quarry");
    if dev {
        base.join("dev")
    } else {
        base
    }
}

fn read_genesis(path: &Path) -> Result<Genesis, String> {
    let json = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Genesis::from_json(&json).map_err(|e| format!("{}: {e}", path.display()))
}

fn write_genesis(datadir: &Path, genesis: &Genesis) -> Result<(), String> {
    std::fs::create_dir_all(datadir)
        .map_err(|e| format!("cannot create {}: {e}", datadir.display()))?;
    let json = serde_json::to_string_pretty(genesis).expect("a genesis serialises");
    let path = genesis_path(datadir);
    std::fs::write(&path, json).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("quarry-node: {message}");
    ExitCode::FAILURE
}

fn generate(datadir: &Path, blocks: u64, txs_per_block: usize, recipients: Recipients) -> ExitCode {
    if genesis_path(datadir).exists() {
        return fail(format!("{} already holds a chain", datadir.display()));
    }
    let genesis = quarry_node::generate::generated_genesis(blocks);
    if let Err(e) = write_genesis(datadir, &genesis) {
        return fail(e);
    }
    let bar = ProgressBar::new(blocks);
    bar.set_style(
        ProgressStyle::with_template("generating [{bar:30}] {pos}/{len} blocks ({per_sec})")
            .expect("static template")
            .progress_chars("=> "),
    );
    let result = quarry_node::generate::generate_chain(
        datadir,
        genesis,
        blocks,
        txs_per_block,
        recipients,
        |_| bar.inc(1),
    );
    bar.finish_and_clear();
    match result {
        Ok(report) => {
            println!("{}", serde_json::to_string(&report).expect("serialisable"));
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

fn init(genesis_file: &Path, datadir: &Path) -> ExitCode {
    let genesis = match read_genesis(genesis_file) {
        Ok(g) => g,
        Err(e) => return fail(e),
    };
    if genesis_path(datadir).exists() {
        return fail(format!("{} already holds a chain", datadir.display()));
    }
    // Keep the operator's file as written (formatting, unknown geth keys).
    let copied = std::fs::create_dir_all(datadir)
        .and_then(|()| std::fs::copy(genesis_file, genesis_path(datadir)));
    if let Err(e) = copied {
        return fail(format!("cannot copy the genesis into {}: {e}", datadir.display()));
    }
    match Chain::open(datadir, &genesis, HistoryMode::Archive) {
        Ok(chain) => {
            println!("initialised {} with genesis {}", datadir.display(), chain.genesis_hash());
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

fn check(datadir: &Path, require_file: Option<&Path>) -> ExitCode {
    let genesis = match read_genesis(&genesis_path(datadir)) {
        Ok(g) => g,
        Err(e) => return fail(e),
    };
    // Opening checks the tip's state root is in the store; the root is then recomputed from
    // every stored account and slot.
    let chain = match Chain::open(datadir, &genesis, HistoryMode::Archive) {
        Ok(chain) => chain,
        Err(e) => return fail(e),
    };
    let tip = chain.tip();
    let computed = match chain.recompute_state_root() {
        Ok(root) => root,
        Err(e) => return fail(e),
    };
    let mut missing = Vec::new();
    if let Some(path) = require_file {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => return fail(format!("cannot read {}: {e}", path.display())),
        };
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let hash: alloy_primitives::B256 = match line.parse() {
                Ok(h) => h,
                Err(e) => {
                    return fail(format!("{}: {line:?} is not a block hash: {e}", path.display()))
                }
            };
            let canonical = chain
                .tree()
                .get(&hash)
                .map(|e| e.height)
                .and_then(|n| chain.tree().canonical_at(n));
            if canonical != Some(hash) {
                missing.push(hash);
            }
        }
    }
    for hash in &missing {
        eprintln!("quarry-node: required block {hash} is not on the canonical chain");
    }
    let ok = computed == tip.header.state_root && missing.is_empty();
    println!(
        "{{\"number\":{},\"hash\":\"{}\",\"stateRoot\":\"{}\",\"computedStateRoot\":\"{}\",\"ok\":{}}}",
        tip.header.number, tip.hash, tip.header.state_root, computed, ok
    );
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Binds the explorer's port if the explorer is on (`--explorer`, or `--dev` without
/// `--no-explorer`). A default port already in use falls back to any free port (a second dev
/// node must still start); a port given with `--explorer-port` must be free.
fn bind_explorer(args: &RunArgs) -> Result<Option<explorer::BoundExplorer>, String> {
    if args.no_explorer || !(args.explorer || args.dev) {
        return Ok(None);
    }
    let bound = match args.explorer_port {
        Some(port) => explorer::bind(port),
        None => explorer::bind(explorer::DEFAULT_PORT).or_else(|_| explorer::bind(0)),
    };
    bound.map(Some).map_err(|e| e.to_string())
}

fn run(args: RunArgs) -> ExitCode {
    init_logging();
    let datadir = args.datadir.clone().unwrap_or_else(|| default_datadir(args.dev));
    let path = genesis_path(&datadir);
    let genesis = if path.exists() {
        match read_genesis(&path) {
            Ok(g) => g,
            Err(e) => return fail(e),
        }
    } else if args.dev {
        let kernel = args.kernel.map_or_else(Kernel::best, Kernel::from);
        let rate = measured_hash_rate(kernel, args.threads);
        println!(
            "dev chain: initial difficulty for {:.1} MH/s measured here (2 s blocks)",
            rate / 1e6
        );
        let genesis = dev_genesis_for_hash_rate(unix_now(), rate);
        if let Err(e) = write_genesis(&datadir, &genesis) {
            return fail(e);
        }
        genesis
    } else {
        return fail(format!(
            "{} has no chain: run `quarry-node init --genesis FILE --datadir {}` or use --dev",
            datadir.display(),
            datadir.display()
        ));
    };
    let mine = args.mine || args.dev;
    let etherbase =
        args.etherbase.unwrap_or(if args.dev { DEV_ACCOUNTS[0].address } else { Address::ZERO });
    let config = NodeConfig {
        datadir: datadir.clone(),
        genesis,
        etherbase,
        mining_threads: if mine { args.threads.max(1) } else { 0 },
        kernel: args.kernel.map_or_else(Kernel::best, Kernel::from),
        extra_data: Bytes::from_static(b"quarry"),
        history: match args.history {
            Some(blocks) => HistoryMode::Recent(blocks),
            None => HistoryMode::Archive,
        },
    };
    if args.dev {
        println!(
            "dev chain in {} (chain id {})",
            datadir.display(),
            config.genesis.config.chain_id
        );
        println!("funded dev accounts (mnemonic \"{}\"):", quarry_primitives::dev::DEV_MNEMONIC);
        for (i, account) in DEV_ACCOUNTS.iter().enumerate() {
            println!("  ({i}) {} key {}", account.address, account.secret);
        }
    }
    let node = match Node::start(config) {
        Ok(node) => node,
        Err(e) => return fail(e),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(format!("cannot start the async runtime: {e}")),
    };
    let explorer = match bind_explorer(&args) {
        Ok(explorer) => explorer,
        Err(e) => return fail(e),
    };
    let mut cors = args.rpc_cors.clone();
    if let Some(explorer) = &explorer {
        cors.extend(explorer.origins());
    }
    let rpc_config = RpcConfig {
        addr: SocketAddr::new(args.rpc_addr, args.rpc_port),
        cors,
        confirmations: args.rpc_confirmations,
        max_log_range: args.rpc_max_logs_range,
        unlock_dev_accounts: args.dev || args.unlock,
        ..RpcConfig::default()
    };
    // A --dev chain's genesis is unique to its datadir: without an explicit address there is
    // no one to talk to.
    let dev_alone = args.dev && args.listen.is_empty() && args.bootnode.is_empty();
    let p2p_on = !(args.no_p2p || dev_alone);
    let p2p_config = P2pConfig {
        listen: if args.listen.is_empty() {
            P2pConfig::default().listen
        } else {
            args.listen.clone()
        },
        bootnodes: args.bootnode.clone(),
        mdns: !args.no_mdns,
        max_peers: args.max_peers,
        allow: args.allow_peer.clone(),
        deny: args.deny_peer.clone(),
        ban_duration: Duration::from_secs(args.ban_seconds),
        request_timeout: Duration::from_secs(args.request_timeout.max(1)),
    };
    let served = runtime.block_on(async {
        let network = if p2p_on {
            let key = p2p::load_or_create_key(&datadir).map_err(|e| e.to_string())?;
            let network =
                P2p::start(node.clone(), p2p_config, key).await.map_err(|e| e.to_string())?;
            // Machine-readable lines for scripts and tests that ask for port 0.
            for addr in network.info().listen {
                println!("p2p listening on {addr}");
            }
            Some(network)
        } else {
            tracing::info!("p2p off (--dev without --listen or --bootnode, or --no-p2p)");
            None
        };
        let server = if args.no_rpc {
            None
        } else {
            match rpc::start(node.clone(), network, rpc_config).await {
                Ok(server) => {
                    // Machine-readable line for scripts and tests that ask for port 0.
                    println!("rpc listening on http://{}", server.local_addr());
                    Some(server)
                }
                Err(e) => return Err(e.to_string()),
            }
        };
        // The explorer reads this node's RPC, so it runs only beside it.
        let _explorer = match (explorer, &server) {
            (Some(explorer), Some(server)) => {
                let url = explorer.url();
                let miner = mine.then_some(etherbase);
                let node = ExplorerNode::new("this node", server.local_addr(), miner);
                let serving = explorer.serve(vec![node]).map_err(|e| e.to_string())?;
                println!("explorer listening on {url}");
                Some(serving)
            }
            (Some(_), None) => {
                tracing::warn!("no explorer: it reads the JSON-RPC, which --no-rpc turns off");
                None
            }
            (None, _) => None,
        };
        let _ = tokio::signal::ctrl_c().await;
        if let Some(server) = server {
            server.stop().await;
        }
        Ok(())
    });
    if let Err(e) = served {
        let _ = node.set_mining(None);
        return fail(e);
    }
    tracing::info!("shutting down");
    let _ = node.set_mining(None);
    ExitCode::SUCCESS
}
