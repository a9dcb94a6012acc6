//! A `quarry-node run --dev` process on a free port, a networked node process ([`NetNode`]:
//! p2p on a free loopback port, mDNS off), and a minimal HTTP/1.1 JSON-RPC client over
//! `std::net::TcpStream` (so tests can also send bytes no client library would).

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// A dev node; killed on drop.
pub struct DevNode {
    child: Child,
    /// Where its RPC listens.
    pub addr: SocketAddr,
    _datadir: tempfile::TempDir,
}

impl DevNode {
    /// Starts `quarry-node run --dev` in a fresh datadir with `--rpc-port 0` and waits for the
    /// line naming the bound address, then for `eth_blockNumber` to answer.
    pub fn start() -> DevNode {
        Self::start_with(&[])
    }

    /// [`DevNode::start`] with extra `quarry-node run` arguments.
    pub fn start_with(extra: &[&str]) -> DevNode {
        let datadir = tempfile::tempdir().expect("tempdir");
        let mut child = Command::new(env!("CARGO_BIN_EXE_quarry-node"))
            .args(["run", "--dev", "--rpc-port", "0", "--datadir"])
            .arg(datadir.path())
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start quarry-node");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let Some(Ok(line)) = lines.next() else {
                let _ = child.kill();
                panic!("quarry-node exited before printing its RPC address");
            };
            if let Some(url) = line.strip_prefix("rpc listening on http://") {
                break url.trim().parse::<SocketAddr>().expect("an address");
            }
        };
        // Keep draining stdout so the node never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let node = DevNode { child, addr, _datadir: datadir };
        let deadline = Instant::now() + Duration::from_secs(60);
        while node.try_call("eth_blockNumber", json!([])).is_err() {
            assert!(Instant::now() < deadline, "the RPC never answered");
            std::thread::sleep(Duration::from_millis(100));
        }
        node
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// POSTs `body` and returns the HTTP status and the parsed JSON body (`Value::Null` when
    /// the body is empty or not JSON).
    pub fn post(&self, body: &[u8]) -> (u16, Value) {
        post(self.addr, body).expect("HTTP round trip")
    }

    /// One request; the whole response object.
    pub fn request(&self, method: &str, params: Value) -> Value {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        self.post(body.to_string().as_bytes()).1
    }

    /// One request; `Ok(result)` or `Err(error object)`.
    pub fn try_call(&self, method: &str, params: Value) -> Result<Value, Value> {
        try_call(self.addr, method, params)
    }

    /// One request that must succeed.
    pub fn call(&self, method: &str, params: Value) -> Value {
        self.try_call(method, params.clone()).unwrap_or_else(|e| panic!("{method} {params}: {e}"))
    }

    /// Polls `eth_getTransactionReceipt` until the transaction is mined.
    pub fn wait_receipt(&self, hash: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let receipt = self.call("eth_getTransactionReceipt", json!([hash]));
            if !receipt.is_null() {
                return receipt;
            }
            assert!(Instant::now() < deadline, "transaction {hash} was never mined");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for DevNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A node process; killed on drop.
pub struct NetNode {
    child: Option<Child>,
    /// Its datadir.
    pub datadir: PathBuf,
    /// Where its RPC listens.
    pub rpc: SocketAddr,
    /// Its listen address ending in `/p2p/<peer id>`.
    pub p2p: String,
    /// Its peer id.
    pub peer_id: String,
    args: Vec<String>,
}

impl NetNode {
    /// `quarry-node run --datadir D --rpc-port 0 --listen /ip4/127.0.0.1/tcp/0 --no-mdns ARGS`.
    pub fn start(datadir: &Path, args: &[String]) -> NetNode {
        let mut proc = NetNode {
            child: None,
            datadir: datadir.to_path_buf(),
            rpc: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            p2p: String::new(),
            peer_id: String::new(),
            args: args.to_vec(),
        };
        proc.spawn();
        proc
    }

    /// (Re)starts the process on its datadir and waits for its address lines.
    pub fn spawn(&mut self) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_quarry-node"))
            .arg("run")
            .arg("--datadir")
            .arg(&self.datadir)
            .args(["--rpc-port", "0", "--listen", "/ip4/127.0.0.1/tcp/0", "--no-mdns"])
            .args(&self.args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start quarry-node");
        let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        let mut p2p = None;
        let rpc = loop {
            let Some(Ok(line)) = lines.next() else {
                let _ = child.kill();
                panic!("quarry-node in {} exited before serving RPC", self.datadir.display());
            };
            if let Some(addr) = line.strip_prefix("p2p listening on ") {
                p2p.get_or_insert_with(|| addr.trim().to_string());
            }
            if let Some(addr) = line.strip_prefix("rpc listening on http://") {
                break addr.trim().parse().expect("an address");
            }
        };
        std::thread::spawn(move || for _ in lines {});
        self.p2p = p2p.expect("p2p listening line before the rpc line");
        self.peer_id = self.p2p.rsplit('/').next().expect("peer id").to_string();
        self.rpc = rpc;
        self.child = Some(child);
    }

    pub fn try_call(&self, method: &str, params: Value) -> Result<Value, Value> {
        try_call(self.rpc, method, params)
    }

    pub fn call(&self, method: &str, params: Value) -> Value {
        self.try_call(method, params.clone()).unwrap_or_else(|e| panic!("{method} {params}: {e}"))
    }

    /// (number, hash, state root) of the canonical tip.
    pub fn tip(&self) -> (u64, String, String) {
        let block = self.call("eth_getBlockByNumber", json!(["latest", false]));
        (
            qty(&block["number"]) as u64,
            block["hash"].as_str().expect("hash").to_string(),
            block["stateRoot"].as_str().expect("root").to_string(),
        )
    }

    pub fn work(&self) -> u128 {
        qty(&self.call("quarry_chainWork", json!([]))["chainWork"])
    }

    pub fn peers(&self) -> Vec<String> {
        let peers = self.call("quarry_peers", json!([]));
        peers
            .as_array()
            .expect("array")
            .iter()
            .map(|p| p["peerId"].as_str().unwrap().into())
            .collect()
    }

    pub fn receipt(&self, hash: &str) -> Value {
        self.call("eth_getTransactionReceipt", json!([hash]))
    }

    /// `eth_blockNumber`.
    pub fn height(&self) -> u64 {
        qty(&self.call("eth_blockNumber", json!([]))) as u64
    }

    /// The peer ids `quarry_bannedPeers` lists.
    pub fn banned_peers(&self) -> Vec<String> {
        let banned = self.call("quarry_bannedPeers", json!([]));
        banned.as_array().expect("array").iter().map(|b| b["peerId"].to_string()).collect()
    }

    /// `true` if `quarry_bannedPeers` lists `peer`.
    pub fn banned(&self, peer: &str) -> bool {
        let banned = self.call("quarry_bannedPeers", json!([]));
        banned.as_array().expect("array").iter().any(|b| b["peerId"] == peer)
    }

    /// SIGKILL, then reap.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for NetNode {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Writes a dev genesis (chain 1337, dev accounts funded, created now) to `dir/genesis.json`.
pub fn write_dev_genesis(dir: &Path) -> PathBuf {
    let path = dir.join("genesis.json");
    let genesis = quarry_node::dev::dev_genesis(quarry_node::service::unix_now());
    std::fs::write(&path, serde_json::to_string(&genesis).unwrap()).unwrap();
    path
}

/// `quarry-node init --genesis FILE --datadir DIR`.
pub fn init(genesis: &Path, datadir: &Path) {
    let status = Command::new(env!("CARGO_BIN_EXE_quarry-node"))
        .args(["init", "--genesis"])
        .arg(genesis)
        .arg("--datadir")
        .arg(datadir)
        .stdout(Stdio::null())
        .status()
        .expect("run init");
    assert!(status.success(), "init {}", datadir.display());
}

/// One JSON-RPC request to the node at `addr`: `Ok(result)` or `Err(error object)` (an I/O
/// failure is an error object holding its message).
pub fn try_call(addr: SocketAddr, method: &str, params: Value) -> Result<Value, Value> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let (_, response) =
        post(addr, body.to_string().as_bytes()).map_err(|e| json!(e.to_string()))?;
    match response.get("error") {
        Some(error) => Err(error.clone()),
        None => Ok(response["result"].clone()),
    }
}

/// A quantity's value.
pub fn qty(v: &Value) -> u128 {
    let s = v.as_str().unwrap_or_else(|| panic!("{v} is not a quantity"));
    u128::from_str_radix(s.trim_start_matches("0x"), 16).expect("hex")
}

fn post(addr: SocketAddr, body: &[u8]) -> std::io::Result<(u16, Value)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    // A server refusing an oversized body answers and closes before reading it all: keep
    // what it answered.
    let written = stream.write_all(body);
    let mut raw = Vec::new();
    let read = stream.read_to_end(&mut raw);
    if raw.is_empty() {
        written?;
        read?;
    }
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        body.to_string()
    };
    Ok((status, serde_json::from_str(&body).unwrap_or(Value::Null)))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else { break };
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

/// A node in this process with JSON-RPC on a free loopback port, on its own tokio runtime, for
/// tests that hand it blocks directly.
pub struct RpcNode {
    /// The node.
    pub node: quarry_node::service::Node,
    /// Where its RPC listens.
    pub addr: SocketAddr,
    /// The runtime serving the RPC.
    pub runtime: tokio::runtime::Runtime,
    /// The server (it stops when its handle is dropped).
    _server: quarry_node::rpc::RpcServer,
    _dir: tempfile::TempDir,
}

impl RpcNode {
    /// A node on a fresh datadir for `genesis`, not mining.
    pub fn start(
        genesis: &quarry_primitives::genesis::Genesis,
        history: quarry_node::engine::HistoryMode,
    ) -> RpcNode {
        let dir = tempfile::tempdir().unwrap();
        let node = quarry_node::service::Node::start(quarry_node::service::NodeConfig {
            datadir: dir.path().to_path_buf(),
            genesis: genesis.clone(),
            etherbase: alloy_primitives::Address::repeat_byte(0xee),
            mining_threads: 0,
            kernel: quarry_node::miner::Kernel::Portable,
            extra_data: alloy_primitives::Bytes::new(),
            history,
        })
        .unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
        let config = quarry_node::rpc::RpcConfig {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            ..quarry_node::rpc::RpcConfig::default()
        };
        let server = runtime.block_on(quarry_node::rpc::start(node.clone(), None, config)).unwrap();
        let addr = server.local_addr();
        RpcNode { node, addr, runtime, _server: server, _dir: dir }
    }

    /// One request: `Ok(result)` or `Err(error object)`.
    pub fn try_call(&self, method: &str, params: Value) -> Result<Value, Value> {
        try_call(self.addr, method, params)
    }

    /// One request that must succeed.
    pub fn call(&self, method: &str, params: Value) -> Value {
        self.try_call(method, params.clone()).unwrap_or_else(|e| panic!("{method} {params}: {e}"))
    }

    /// Imports `block` (it must not be refused).
    pub fn import(&self, block: &quarry_primitives::Block) -> quarry_node::engine::Imported {
        self.node.import_block(block.clone()).unwrap()
    }
}
