//! The pieces every end-to-end test needs: the workspace's binaries (built with the same
//! profile as the test, by cargo itself), a `quarry-node run --dev` process on a free port
//! (`--rpc-port 0`; the node prints the bound address), `quarry-wallet` runs (and
//! `quarry-oracle`, built alongside).

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use serde_json::Value;

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ sits in the repo").to_path_buf()
}

/// Builds `quarry-node`, `quarry-wallet` and `quarry-oracle` once per test binary, in this
/// test's profile, and returns the directory holding them. It asks cargo for every binary and
/// test target of the workspace, the same dependency features `cargo test --workspace`
/// resolves, so under that command only the binaries themselves are left to link: a narrower
/// `cargo build -p …` would unify dependency features differently and compile a second copy of
/// much of the dependency graph.
pub fn bin_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let release = !cfg!(debug_assertions);
        let mut cargo = Command::new(env!("CARGO"));
        cargo.args(["build", "--workspace", "--bins", "--tests"]).current_dir(repo());
        // Not the variables cargo sets for this test process: a build script that reads one
        // (ring's reads CARGO_MANIFEST_DIR and declares rerun-if-env-changed) would see it
        // differ from the `cargo build` before `cargo test` and recompile ring, rustls, libp2p
        // and the node (~5 minutes), and the next plain build would recompile them back.
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            let set_by_cargo_for_tests = key.starts_with("CARGO_PKG_")
                || matches!(
                    &*key,
                    "CARGO_MANIFEST_DIR"
                        | "CARGO_MANIFEST_PATH"
                        | "CARGO_CRATE_NAME"
                        | "CARGO_BIN_NAME"
                        | "CARGO_PRIMARY_PACKAGE"
                        | "CARGO_TARGET_TMPDIR"
                        | "OUT_DIR"
                );
            if set_by_cargo_for_tests {
                cargo.env_remove(&*key);
            }
        }
        if release {
            cargo.arg("--release");
        }
        let status = cargo.status().expect("run cargo");
        assert!(status.success(), "cargo build of the workspace's binaries failed");
        // The test binary is target/<profile>/deps/<name>; the binaries are in target/<profile>.
        let exe = std::env::current_exe().expect("test path");
        exe.parent().and_then(Path::parent).expect("target/<profile>").to_path_buf()
    })
}

/// One JSON-RPC request to a node at `url` (`http://HOST:PORT`) over a plain HTTP/1.0
/// connection; the response's `result`. Panics, naming the method, on a transport failure or a
/// JSON-RPC error.
pub fn json_rpc(url: &str, method: &str, params: Value) -> Value {
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
        .to_string();
    let mut stream = std::net::TcpStream::connect(addr)
        .unwrap_or_else(|e| panic!("{method}: connect to {addr}: {e}"));
    write!(
        stream,
        "POST / HTTP/1.0\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap_or_else(|e| panic!("{method}: send: {e}"));
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap_or_else(|e| panic!("{method}: read: {e}"));
    let json = response.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    let mut reply: Value = serde_json::from_str(json)
        .unwrap_or_else(|e| panic!("{method}: not a JSON-RPC response ({e}): {response}"));
    assert!(reply.get("error").is_none(), "{method}: {}", reply["error"]);
    reply["result"].take()
}

/// A dev node on a free port; killed on drop.
pub struct DevNode {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    _datadir: tempfile::TempDir,
}

impl DevNode {
    /// Starts `quarry-node run --dev` in a fresh datadir and waits for its RPC address line.
    pub fn start() -> DevNode {
        let datadir = tempfile::tempdir().expect("tempdir");
        let mut child = Command::new(bin_dir().join("quarry-node"))
            .args(["run", "--dev", "--rpc-port", "0", "--datadir"])
            .arg(datadir.path())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start quarry-node");
        let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        let addr: SocketAddr = loop {
            let Some(Ok(line)) = lines.next() else {
                let _ = child.kill();
                panic!("quarry-node exited before printing its RPC address");
            };
            if let Some(addr) = line.strip_prefix("rpc listening on http://") {
                break addr.trim().parse().expect("an address");
            }
        };
        std::thread::spawn(move || for _ in lines {});
        DevNode { child, url: format!("http://{addr}"), _datadir: datadir }
    }
}

impl Drop for DevNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `quarry-wallet --json` against one node with its own keystore.
pub struct Wallet {
    /// Node URL.
    pub url: String,
    /// Keystore directory.
    pub keystore: tempfile::TempDir,
}

impl Wallet {
    /// A wallet with an empty keystore.
    pub fn new(url: &str) -> Wallet {
        Wallet { url: url.to_string(), keystore: tempfile::tempdir().expect("tempdir") }
    }

    /// Runs `quarry-wallet --json ARGS…`: exit code and the JSON object printed.
    pub fn run(&self, args: &[&str]) -> (i32, Value) {
        let output = Command::new(bin_dir().join("quarry-wallet"))
            .arg("--json")
            .args(["--rpc-url", &self.url])
            .arg("--keystore")
            .arg(self.keystore.path())
            .args(args)
            .env("QUARRY_PASSWORD", "test")
            .output()
            .expect("run quarry-wallet");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
            panic!(
                "{args:?}: stdout is not one JSON object ({e}): {stdout}\nstderr: {}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
        (output.status.code().unwrap_or(-1), value)
    }

    /// Runs and requires exit 0.
    pub fn ok(&self, args: &[&str]) -> Value {
        let (code, value) = self.run(args);
        assert_eq!(code, 0, "{args:?} → {value}");
        value
    }
}
