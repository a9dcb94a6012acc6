//! Unmodified ethers.js v6 (npm) and web3.py (PyPI), with their default settings, against
//! `quarry-node run --dev`: the scripts under `tests/clients/` send value, deploy the example
//! ERC-20, transfer tokens, read balances now and at older blocks, receive events through
//! polled filters and check revert data and nonce errors. Each flow then runs unchanged against
//! anvil (`@foundry-rs/anvil` from npm, chain id 1337, one-second blocks, the same dev
//! accounts), the node users
//! hold Quarry against, and the test asserts both answered the same (the flows' `RESULT`
//! lines: gas used, balances, decoded errors, event arguments, contract addresses).
//!
//! Each test runs when its client is installed (`npm ci --prefix tests/clients/ethers`,
//! `python3 -m pip install -r tests/clients/web3py/requirements.txt`, as `scripts/test` does)
//! and otherwise prints "skipped: …" and passes; under CI (`CI` set) a missing client fails.

mod harness;

use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use harness::{repo, DevNode};

fn skip_or_fail(why: &str) {
    assert!(std::env::var_os("CI").is_none(), "CI must install the clients: {why}");
    eprintln!("skipped: {why}");
}

/// Runs a flow script against `url`; the JSON of its `RESULT` line.
fn run_script(program: &str, script: &str, url: &str) -> serde_json::Value {
    let output = Command::new(program)
        .arg(script)
        .arg(url)
        .current_dir(repo())
        .output()
        .expect("run the client");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{script} failed ({}):\n{stdout}\n{stderr}", output.status);
    assert!(stdout.contains("flow ok"), "{script}: {stdout}");
    eprintln!("{}", stdout.trim());
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .unwrap_or_else(|| panic!("{script} printed no RESULT line: {stdout}"));
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{script} RESULT is not JSON: {e}"))
}

/// anvil from `tests/clients/ethers/node_modules` on a free loopback port, chain id 1337 (as
/// Quarry's dev chain), killed on drop.
struct Anvil {
    child: Child,
    url: String,
}

impl Anvil {
    fn start() -> Option<Anvil> {
        let bin = repo().join("tests/clients/ethers/node_modules/.bin/anvil");
        if !bin.exists() {
            skip_or_fail("anvil not installed (npm ci --prefix tests/clients/ethers)");
            return None;
        }
        let port =
            TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a port").port();
        let child = Command::new(bin)
            // Interval mining, as Quarry mines: with anvil 1.7.1's default automine,
            // `eth_getTransactionCount(addr, "pending")` answers the count before the block
            // that was just mined, so ethers reuses a nonce.
            .args(["--port", &port.to_string(), "--chain-id", "1337", "--block-time", "1"])
            .arg("--silent")
            // Its own process group: `.bin/anvil` is a Node.js wrapper that starts the real
            // binary, and both must go when the test ends.
            .process_group(0)
            .stdout(Stdio::null())
            .spawn()
            .expect("start anvil");
        let anvil = Anvil { child, url: format!("http://127.0.0.1:{port}") };
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "anvil never listened on {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(anvil)
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the flow against Quarry and anvil and asserts both observed the same.
fn run_against_quarry_and_anvil(program: &str, script: &str) {
    let node = DevNode::start();
    let quarry = run_script(program, script, &node.url);
    drop(node);
    let Some(anvil) = Anvil::start() else { return };
    let reference = run_script(program, script, &anvil.url);
    assert_eq!(quarry, reference, "{script}: Quarry (left) and anvil (right) disagree");
}

#[test]
fn ethers_v6_runs_the_flow_unmodified() {
    let module = repo().join("tests/clients/ethers/node_modules/ethers/package.json");
    if !module.exists() {
        return skip_or_fail("ethers.js not installed (npm ci --prefix tests/clients/ethers)");
    }
    if Command::new("node").arg("--version").output().is_err() {
        return skip_or_fail("node is not on PATH");
    }
    run_against_quarry_and_anvil("node", "tests/clients/ethers/flow.mjs");
}

#[test]
fn web3_py_runs_the_flow_unmodified() {
    let has_web3 = Command::new("python3")
        .args(["-c", "import web3"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_web3 {
        return skip_or_fail(
            "web3.py not installed (python3 -m pip install -r tests/clients/web3py/requirements.txt)",
        );
    }
    run_against_quarry_and_anvil("python3", "tests/clients/web3py/flow.py");
}
