//! `quarry-node testnet`: N real node processes on loopback sharing one dev genesis, connected
//! to each other, some of them mining, until Ctrl-C.

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use quarry_node::dev::{dev_genesis_for_hash_rate, measured_hash_rate};
use quarry_node::explorer::{self, ExplorerNode};
use quarry_node::miner::Kernel;
use quarry_node::p2p::load_or_create_key;
use quarry_node::service::{genesis_path, unix_now};
use quarry_primitives::dev::{DEV_ACCOUNTS, DEV_MNEMONIC};

/// How long a node may take to open its chain and bind its RPC port.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// `testnet`'s options.
#[derive(clap::Args)]
pub struct TestnetArgs {
    /// Number of nodes.
    #[arg(long, default_value_t = 3)]
    nodes: usize,
    /// How many of them mine (the first M; default: all).
    #[arg(long)]
    miners: Option<usize>,
    /// Mining threads per miner.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Keep the nodes' data in DIR (reused on the next run); default: a fresh temporary
    /// directory, deleted on exit.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Node i serves JSON-RPC on port P+i.
    #[arg(long, default_value_t = 8545)]
    rpc_port_base: u16,
    /// Node i listens for peers on port Q+i.
    #[arg(long, default_value_t = 30303)]
    p2p_port_base: u16,
    /// Port of the block explorer on 127.0.0.1, which shows every node of the testnet (0: any
    /// free port; the URL is printed).
    #[arg(long, default_value_t = quarry_node::explorer::DEFAULT_PORT, conflicts_with = "no_explorer")]
    explorer_port: u16,
    /// Do not serve the block explorer.
    #[arg(long)]
    no_explorer: bool,
}

struct Member {
    child: Child,
    datadir: PathBuf,
    rpc: SocketAddr,
    p2p: String,
    mining: bool,
    /// Set once the child has exited and been reaped (its pid may then belong to another
    /// process, so it is never signalled again).
    exited: bool,
}

/// The running nodes. Dropping it stops them, so every early return and panic cleans up.
struct Members(Vec<Member>);

impl Members {
    /// SIGINT to every live node (the node's Ctrl-C path: it stops the miner and closes the
    /// store cleanly), up to 15 s to exit, then SIGKILL.
    fn stop(&mut self) {
        for m in self.0.iter().filter(|m| !m.exited) {
            if let Ok(pid) = i32::try_from(m.child.id()) {
                // SAFETY: kill(2) with a pid we spawned and have not reaped.
                unsafe { libc::kill(pid, libc::SIGINT) };
            }
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        for m in self.0.iter_mut().filter(|m| !m.exited) {
            while Instant::now() < deadline {
                if let Ok(Some(_)) = m.child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = m.child.kill();
            let _ = m.child.wait();
            m.exited = true;
        }
    }
}

impl Drop for Members {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs the testnet until Ctrl-C, then stops every node.
pub fn testnet(args: TestnetArgs) -> ExitCode {
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("quarry-node testnet: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: TestnetArgs) -> Result<(), String> {
    if args.nodes == 0 {
        return Err("--nodes must be at least 1".into());
    }
    let miners = args.miners.unwrap_or(args.nodes);
    if miners > args.nodes {
        return Err(format!("--miners {miners} is more than --nodes {}", args.nodes));
    }
    let port = |base: u16, i: usize, flag: &str| {
        u16::try_from(usize::from(base) + i)
            .map_err(|_| format!("{flag} {base} + {i} is past port 65535"))
    };
    let mut ports = Vec::new();
    for i in 0..args.nodes {
        let rpc = port(args.rpc_port_base, i, "--rpc-port-base")?;
        let p2p = port(args.p2p_port_base, i, "--p2p-port-base")?;
        for (p, flag) in [(rpc, "--rpc-port-base"), (p2p, "--p2p-port-base")] {
            TcpListener::bind((Ipv4Addr::LOCALHOST, p)).map_err(|e| {
                format!("port {p} (from {flag}) is not free: {e}; pick other bases")
            })?;
        }
        ports.push((rpc, p2p));
    }
    let rpc_ports = usize::from(args.rpc_port_base)..usize::from(args.rpc_port_base) + args.nodes;
    let p2p_ports = usize::from(args.p2p_port_base)..usize::from(args.p2p_port_base) + args.nodes;
    if rpc_ports.start < p2p_ports.end && p2p_ports.start < rpc_ports.end {
        return Err(format!(
            "RPC ports {rpc_ports:?} and P2P ports {p2p_ports:?} overlap; pick bases at least \
             --nodes apart"
        ));
    }
    // The explorer binds first, so every node can be started with its origin in its CORS list.
    let explorer = if args.no_explorer {
        None
    } else {
        Some(explorer::bind(args.explorer_port).map_err(|e| {
            format!("{e}; pick another --explorer-port (0: any free port) or --no-explorer")
        })?)
    };
    let (_temp, dir) = match &args.dir {
        Some(dir) => (None, dir.clone()),
        None => {
            let temp = tempfile::Builder::new()
                .prefix("quarry-testnet-")
                .tempdir()
                .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
            let path = temp.path().to_path_buf();
            (Some(temp), path)
        }
    };
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let shared = dir.join("genesis.json");
    if !shared.exists() {
        // Every miner of the testnet shares this machine's cores.
        let rate = measured_hash_rate(Kernel::best(), miners * args.threads);
        println!(
            "testnet: initial difficulty for {:.1} MH/s measured here (2 s blocks)",
            rate / 1e6
        );
        let genesis = dev_genesis_for_hash_rate(unix_now(), rate);
        let json = serde_json::to_string_pretty(&genesis).expect("serialisable");
        std::fs::write(&shared, json)
            .map_err(|e| format!("cannot write {}: {e}", shared.display()))?;
    }
    let exe = std::env::current_exe().map_err(|e| format!("cannot find my own binary: {e}"))?;

    // Identities first, so every node can name the others as bootnodes.
    let mut plan = Vec::new();
    for (i, (rpc, p2p)) in ports.iter().enumerate() {
        let datadir = dir.join(format!("node-{i}"));
        std::fs::create_dir_all(&datadir)
            .map_err(|e| format!("cannot create {}: {e}", datadir.display()))?;
        if !genesis_path(&datadir).exists() {
            std::fs::copy(&shared, genesis_path(&datadir))
                .map_err(|e| format!("cannot copy the genesis into {}: {e}", datadir.display()))?;
        }
        let key = load_or_create_key(&datadir).map_err(|e| e.to_string())?;
        let addr = format!("/ip4/127.0.0.1/tcp/{p2p}/p2p/{}", key.public().to_peer_id());
        plan.push((datadir, *rpc, *p2p, addr));
    }

    let mut members = Members(Vec::new());
    for (i, (datadir, rpc, p2p, addr)) in plan.iter().enumerate() {
        let log_path = datadir.join("node.log");
        let log = std::fs::File::create(&log_path)
            .map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
        let mut cmd = Command::new(&exe);
        cmd.arg("run")
            .arg("--datadir")
            .arg(datadir)
            .args(["--rpc-port", &rpc.to_string()])
            .args(["--listen", &format!("/ip4/127.0.0.1/tcp/{p2p}")])
            .arg("--no-mdns")
            // The dev accounts are funded on the testnet: sign for them, as anvil does.
            .arg("--unlock");
        if let Some(explorer) = &explorer {
            cmd.args(["--rpc-cors", &explorer.origins().join(",")]);
        }
        for (_, _, _, other) in plan.iter().take(i) {
            cmd.args(["--bootnode", other]);
        }
        let mining = i < miners;
        if mining {
            cmd.args(["--mine", "--threads", &args.threads.to_string()])
                .args(["--etherbase", &etherbase(i).to_string()]);
        }
        let child = cmd
            .stdout(Stdio::piped())
            .stderr(log.try_clone().map_err(|e| e.to_string())?)
            .stdin(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
        let mut member = Member {
            child,
            datadir: datadir.clone(),
            rpc: SocketAddr::from((Ipv4Addr::LOCALHOST, *rpc)),
            p2p: addr.clone(),
            mining,
            exited: false,
        };
        // Copy the node's stdout into its log as well.
        let stdout = member.child.stdout.take().expect("piped");
        let mut log = log;
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = writeln!(log, "{line}");
            }
        });
        let ready = wait_for_port(&mut member, START_TIMEOUT);
        members.0.push(member);
        ready?;
    }

    println!("Quarry testnet: {} nodes ({} mining), data in {}", args.nodes, miners, dir.display());
    println!();
    println!("{:<5} {:<7} {:<24} {:<75} datadir", "node", "mining", "rpc", "p2p");
    for (i, m) in members.0.iter().enumerate() {
        println!(
            "{:<5} {:<7} {:<24} {:<75} {}",
            i,
            if m.mining { "yes" } else { "no" },
            format!("http://{}", m.rpc),
            m.p2p,
            m.datadir.display()
        );
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let _explorer = match explorer {
        Some(explorer) => {
            let url = explorer.url();
            let nodes = members
                .0
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    let miner = m.mining.then(|| etherbase(i));
                    ExplorerNode::new(format!("node-{i}"), m.rpc, miner)
                })
                .collect();
            let _runtime = runtime.enter();
            let serving = explorer.serve(nodes).map_err(|e| e.to_string())?;
            println!();
            println!("explorer listening on {url}");
            Some(serving)
        }
        None => None,
    };
    println!();
    println!("funded dev accounts (mnemonic \"{DEV_MNEMONIC}\"), 10,000 ETH each:");
    for (i, account) in DEV_ACCOUNTS.iter().enumerate() {
        println!("  ({i}) {} key {}", account.address, account.secret);
    }
    println!();
    println!("logs: <datadir>/node.log. Ctrl-C stops every node.");
    println!("testnet ready");
    let _ = std::io::stdout().flush();

    runtime.block_on(async {
        let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("install SIGTERM handler");
        let mut check = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
                _ = sigterm.recv() => break,
                _ = check.tick() => {
                    for (i, m) in members.0.iter_mut().enumerate().filter(|(_, m)| !m.exited) {
                        if let Ok(Some(status)) = m.child.try_wait() {
                            m.exited = true;
                            eprintln!("node {i} exited ({status}); see {}", log_of(&m.datadir).display());
                        }
                    }
                }
            }
        }
    });
    println!("stopping {} nodes", members.0.len());
    members.stop();
    if args.dir.is_some() {
        println!("data kept in {}", dir.display());
    }
    Ok(())
}

fn wait_for_port(member: &mut Member, timeout: Duration) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    loop {
        if TcpStream::connect_timeout(&member.rpc, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if let Ok(Some(status)) = member.child.try_wait() {
            member.exited = true;
            return Err(format!(
                "node in {} exited ({status}) before serving RPC; see {}",
                member.datadir.display(),
                log_of(&member.datadir).display()
            ));
        }
        if Instant::now() > deadline {
            return Err(format!(
                "node in {} did not serve RPC within {timeout:?}",
                member.datadir.display()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The dev account node `i` mines to.
fn etherbase(i: usize) -> alloy_primitives::Address {
    DEV_ACCOUNTS[i % DEV_ACCOUNTS.len()].address
}

fn log_of(datadir: &Path) -> PathBuf {
    datadir.join("node.log")
}
