//! Unmodified ethers.js v6 and viem 2 (npm), web3.py (PyPI) and foundry's cast and forge 1.x
//! (npm), with their default settings, against `quarry-node run --dev`: the scripts under
//! `tests/clients/` send value, deploy contracts (the example ERC-20; `forge create`; a
//! `forge script` salted deployment through the CREATE2 deployer), transfer tokens, read
//! balances now and at older blocks, receive events through polled filters, batch reads through
//! Multicall3, check revert data and nonce errors, and (foundry) trace a set of transactions
//! with every tracer and read proofs, access lists and logs. Each flow then runs unchanged
//! against anvil (`@foundry-rs/anvil` from npm, chain id 1337, one-second blocks, the same dev
//! accounts), the node users hold Quarry against, and the test asserts both answered the same:
//! the flows' `RESULT` lines, compared field by field (gas used, balances, decoded errors, event
//! arguments, contract addresses, whole traces).
//!
//! Each test runs when its client is installed (`npm ci --prefix tests/clients/<client>`,
//! `python3 -m pip install -r tests/clients/web3py/requirements.txt`, as `scripts/test` does)
//! and otherwise prints "skipped: …" and passes; under CI (`CI` set) a missing client fails.

mod harness;

use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use harness::{json_rpc, repo, DevNode};
use serde_json::Value;

fn skip_or_fail(why: &str) {
    assert!(std::env::var_os("CI").is_none(), "CI must install the clients: {why}");
    eprintln!("skipped: {why}");
}

/// Runs a flow script against `url`; the JSON of its `RESULT` line.
fn run_script(program: &str, script: &str, url: &str) -> Value {
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
            // Quarry's rules (anvil 1.7.1 defaults to a later fork, whose modexp costs more).
            .args(["--hardfork", "cancun"])
            // Without it anvil answers the struct logger with no steps.
            .arg("--steps-tracing")
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

/// Where two JSON values first differ, as a path (`traces.make.callTracer.calls[0].gasUsed`)
/// with both sides; `None` when they are equal.
fn first_difference(left: &Value, right: &Value, path: &str) -> Option<String> {
    match (left, right) {
        (Value::Object(l), Value::Object(r)) => {
            let keys = l.keys().chain(r.keys().filter(|k| !l.contains_key(*k)));
            keys.map(|k| {
                let null = Value::Null;
                let at = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                first_difference(l.get(k).unwrap_or(&null), r.get(k).unwrap_or(&null), &at)
            })
            .find(Option::is_some)
            .flatten()
        }
        (Value::Array(l), Value::Array(r)) if l.len() == r.len() => l
            .iter()
            .zip(r)
            .enumerate()
            .find_map(|(i, (l, r))| first_difference(l, r, &format!("{path}[{i}]"))),
        _ if left == right => None,
        _ => Some(format!("{path}: Quarry {left} / anvil {right}")),
    }
}

/// Runs the flow against Quarry and anvil and asserts both observed the same. `prepare` runs
/// on anvil first, with the Quarry node's URL, for what anvil lacks that a Quarry dev chain
/// has from genesis.
fn run_against_quarry_and_anvil(program: &str, script: &str, prepare: impl FnOnce(&str, &str)) {
    let node = DevNode::start();
    let quarry = run_script(program, script, &node.url);
    let Some(anvil) = Anvil::start() else { return };
    prepare(&node.url, &anvil.url);
    drop(node);
    let reference = run_script(program, script, &anvil.url);
    if let Some(difference) = first_difference(&quarry, &reference, "") {
        panic!("{script}: Quarry and anvil disagree at {difference}");
    }
}

/// Whether the npm client in `tests/clients/<dir>` is installed (`package` names a module in
/// its node_modules) and Node.js runs; if not, skips (or, under CI, fails).
fn npm_client_installed(dir: &str, package: &str) -> bool {
    let module = repo().join("tests/clients").join(dir).join("node_modules").join(package);
    if !module.join("package.json").exists() {
        skip_or_fail(&format!("{package} not installed (npm ci --prefix tests/clients/{dir})"));
        return false;
    }
    if Command::new("node").arg("--version").output().is_err() {
        skip_or_fail("node is not on PATH");
        return false;
    }
    true
}

#[test]
fn ethers_v6_runs_the_flow_unmodified() {
    if npm_client_installed("ethers", "ethers") {
        run_against_quarry_and_anvil("node", "tests/clients/ethers/flow.mjs", |_, _| {});
    }
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
    run_against_quarry_and_anvil("python3", "tests/clients/web3py/flow.py", |_, _| {});
}

/// Multicall3's canonical address, where viem's `multicall` finds it.
const MULTICALL3: &str = "0xcA11bde05977b3631167028862bE2a173976CA11";

#[test]
fn viem_runs_the_flow_unmodified() {
    if npm_client_installed("viem", "viem") {
        // anvil 1.7.1 has no Multicall3; it gets the code Quarry's dev genesis holds, which the
        // flow checks on both against what viem's own copy of Multicall3's creation code leaves.
        run_against_quarry_and_anvil("node", "tests/clients/viem/flow.mjs", |quarry, anvil| {
            let code = json_rpc(quarry, "eth_getCode", serde_json::json!([MULTICALL3, "latest"]));
            json_rpc(anvil, "anvil_setCode", serde_json::json!([MULTICALL3, code]));
        });
    }
}

#[test]
fn foundry_cast_and_forge_run_the_flow_unmodified_and_traces_match_anvil() {
    if npm_client_installed("foundry", "@foundry-rs/cast") {
        run_against_quarry_and_anvil("node", "tests/clients/foundry/flow.mjs", |_, _| {});
    }
}
