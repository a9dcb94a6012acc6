//! The block explorer in a real browser: `quarry-node testnet` (three mining nodes and the
//! explorer over all of them), Debian's headless Chromium driven by puppeteer-core
//! (`tests/clients/explorer/flow.mjs`): the tip advancing, a `quarry-wallet` transfer found
//! through the search box, its block and its recipient, bad input in the search box, the peers,
//! and after a partition made and healed with `quarry_blockPeer`, the stale branch and the
//! reorganisation on the block tree page. Screenshots of each page are written to
//! `<target>/explorer-screenshots/`. Also runs the page's unit tests (`node --test`).

mod harness;

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use harness::{bin_dir, repo};

fn skip_or_fail(why: &str) {
    assert!(std::env::var_os("CI").is_none(), "CI must install the browser test's tools: {why}");
    eprintln!("skipped: {why}");
}

/// Chromium from `CHROMIUM` or Debian's `/usr/bin/chromium`.
fn chromium() -> Option<PathBuf> {
    let path =
        std::env::var_os("CHROMIUM").map_or_else(|| "/usr/bin/chromium".into(), PathBuf::from);
    path.exists().then_some(path)
}

/// A base port with `count` free consecutive ports after it (checked by binding each).
fn free_port_base(count: u16) -> u16 {
    let seed = u16::try_from(std::process::id() % 20_000).expect("below 20 000");
    (0..200u16)
        .map(|i| 20_000 + (seed + i * 97) % 40_000)
        .find(|&base| {
            (0..count).all(|i| TcpListener::bind((Ipv4Addr::LOCALHOST, base + i)).is_ok())
        })
        .expect("a run of free ports")
}

/// `quarry-node testnet` in its own process group; SIGINT (its Ctrl-C) on drop.
struct Testnet {
    child: Child,
    explorer: String,
    _dir: tempfile::TempDir,
}

impl Testnet {
    fn start() -> Testnet {
        let dir = tempfile::tempdir().expect("tempdir");
        let rpc = free_port_base(3);
        let p2p = free_port_base(6) + 3;
        let mut child = Command::new(bin_dir().join("quarry-node"))
            .args(["testnet", "--nodes", "3", "--explorer-port", "0"])
            .args(["--rpc-port-base", &rpc.to_string(), "--p2p-port-base", &p2p.to_string()])
            .arg("--dir")
            .arg(dir.path().join("net"))
            .env("RUST_LOG", "warn")
            .process_group(0)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start quarry-node testnet");
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().expect("piped");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                eprintln!("testnet: {line}");
                let _ = tx.send(line);
            }
        });
        let mut explorer = None;
        loop {
            let line = rx
                .recv_timeout(Duration::from_secs(300))
                .unwrap_or_else(|e| panic!("quarry-node testnet did not get ready: {e}"));
            if let Some(url) = line.strip_prefix("explorer listening on ") {
                explorer = Some(url.trim().to_string());
            }
            if line == "testnet ready" {
                break;
            }
        }
        let explorer = explorer.expect("testnet printed the explorer's URL before 'testnet ready'");
        Testnet { child, explorer, _dir: dir }
    }
}

impl Drop for Testnet {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-INT", "--", &group]).status();
        let waited = (0..150).any(|_| {
            std::thread::sleep(Duration::from_millis(100));
            matches!(self.child.try_wait(), Ok(Some(_)))
        });
        if !waited {
            let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
            let _ = self.child.wait();
        }
    }
}

fn node(args: &[&str], dir: &Path, envs: &[(&str, &Path)]) {
    let mut command = Command::new("node");
    command.args(args).current_dir(dir);
    for (key, value) in envs {
        command.env(key, value);
    }
    let status = command.status().expect("run node");
    assert!(status.success(), "node {args:?} failed ({status})");
}

#[test]
fn explorer_shows_a_live_testnet_in_a_real_browser() {
    let client = repo().join("tests/clients/explorer");
    if !client.join("node_modules/puppeteer-core/package.json").exists() {
        return skip_or_fail(
            "puppeteer-core not installed (npm ci --prefix tests/clients/explorer)",
        );
    }
    if Command::new("node").arg("--version").output().is_err() {
        return skip_or_fail("node is not on PATH");
    }
    let Some(chromium) = chromium() else {
        return skip_or_fail(
            "no Chromium at /usr/bin/chromium (apt-get install chromium) or $CHROMIUM",
        );
    };
    node(&["--test", "unit.test.mjs"], &client, &[]);

    let testnet = Testnet::start();
    let shots = bin_dir().parent().expect("target/<profile>").join("explorer-screenshots");
    let wallet = bin_dir().join("quarry-wallet");
    node(
        &["flow.mjs", &testnet.explorer],
        &client,
        &[("QUARRY_WALLET", &wallet), ("QUARRY_SCREENSHOTS", &shots), ("CHROMIUM", &chromium)],
    );
    eprintln!("screenshots in {}", shots.display());
}
