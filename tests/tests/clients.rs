//! Unmodified ethers.js v6 (npm) and web3.py (PyPI) against `quarry-node run --dev`: the
//! scripts under `tests/clients/` send value, deploy the example ERC-20, transfer tokens, read
//! balances and check revert data and nonce errors. Each test runs when its client is installed
//! (`npm ci --prefix tests/clients/ethers`, `python3 -m pip install -r
//! tests/clients/web3py/requirements.txt`, as `.ci/run` does) and otherwise prints
//! "skipped: …" and passes; under CI (`CI` set) a missing client fails.

mod harness;

use std::process::Command;

use harness::{repo, DevNode};

fn skip_or_fail(why: &str) {
    assert!(std::env::var_os("CI").is_none(), "CI must install the clients: {why}");
    eprintln!("skipped: {why}");
}

fn run_script(program: &str, script: &str, url: &str) {
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
    let node = DevNode::start();
    run_script("node", "tests/clients/ethers/flow.mjs", &node.url);
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
    let node = DevNode::start();
    run_script("python3", "tests/clients/web3py/flow.py", &node.url);
}
