//! The oracle network end to end: a `quarry-node run --dev`, a local HTTP price server (a
//! std::net thread in this test), and four real `quarry-oracle run` processes — one process per
//! reporter, each with its own keystore file, password file, config and data directory, as
//! reporters run in practice. Contracts are deployed with `quarry-oracle deploy` and the
//! wallet; everything is read back over JSON-RPC (`quarry-oracle status --json`,
//! `quarry-wallet call`).
//!
//! Reporter k (k = 1..4) signs with dev account k. Honest reporter k observes `/price/k`
//! (base + k); reporter 4 lies (`/liar`, 1000 × base); reporter 3's source fails four ways
//! before each good answer (`/flaky`: HTTP 500, invalid JSON, missing pointer, a hang past the
//! timeout, then base + 3).

mod harness;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use harness::{bin_dir, json_rpc, repo, DevNode, Wallet};
use quarry_primitives::keccak256;
use serde_json::Value;

/// Base price in whole units; honest reporter k reports BASE + k.
const BASE: u64 = 3000;
/// 10^8: the feed's decimals.
const SCALE: u64 = 100_000_000;

/// The price server: `/price/K` → `{"eth":{"usd":BASE+K}}`, `/liar` → 1000 × BASE, `/flaky`
/// → a rotation of failures then BASE + 3. Returns the base URL.
fn price_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let flaky = Arc::new(AtomicU64::new(0));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let flaky = flaky.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let n = stream.read(&mut buf).unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]);
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                let price = |v: u64| (200, format!(r#"{{"eth":{{"usd":{v}}}}}"#));
                let (status, body) = match path.as_str() {
                    "/liar" => price(BASE * 1000),
                    "/flaky" => match flaky.fetch_add(1, Ordering::SeqCst) % 5 {
                        0 => (500, "internal error".to_string()),
                        1 => (200, "{\"eth\": {\"usd\": 30".to_string()),
                        2 => (200, r#"{"btc":{"usd":1}}"#.to_string()),
                        3 => {
                            std::thread::sleep(Duration::from_secs(3));
                            return;
                        }
                        _ => price(BASE + 3),
                    },
                    p => match p.strip_prefix("/price/").and_then(|k| k.parse::<u64>().ok()) {
                        Some(k) => price(BASE + k),
                        None => (404, "not found".to_string()),
                    },
                };
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(reply.as_bytes());
            });
        }
    });
    base
}

/// One reporter process with its files; stderr (the daemon's log) is collected.
struct Reporter {
    index: u32,
    address: String,
    config: PathBuf,
    data_dir: PathBuf,
    child: Option<Child>,
    log: Arc<Mutex<String>>,
}

impl Reporter {
    fn start(&mut self) {
        assert!(self.child.is_none(), "reporter {} already running", self.index);
        let mut child = Command::new(bin_dir().join("quarry-oracle"))
            .args(["run", "--config"])
            .arg(&self.config)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start quarry-oracle");
        let stderr = child.stderr.take().unwrap();
        let log = self.log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                log.lock().unwrap().push_str(&(line + "\n"));
            }
        });
        self.child = Some(child);
    }

    /// SIGKILL, like a crash.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        self.kill();
    }
}

fn oracle(args: &[&str]) -> Value {
    let output = Command::new(bin_dir().join("quarry-oracle")).args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "quarry-oracle {args:?} failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{args:?}: {e}: {stdout}"))
}

/// Polls `check` every 500 ms until it returns `Some`, failing after `limit`.
fn wait_for<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The 4-byte selector of a custom error, as `0x…` hex.
fn selector(signature: &str) -> String {
    format!("0x{}", hex(&keccak256(signature.as_bytes())[..4]))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The timestamp of the node's latest block: the clock contracts see (`block.timestamp`),
/// which runs ahead of the wall clock while blocks come fast and behind it while they are slow.
fn chain_time(url: &str) -> u64 {
    let block = json_rpc(url, "eth_getBlockByNumber", serde_json::json!(["latest", false]));
    let hex = block["timestamp"].as_str().expect("a timestamp");
    u64::from_str_radix(hex.trim_start_matches("0x"), 16).expect("hex")
}

#[test]
fn four_reporters_close_rounds_with_a_median_no_liar_can_move_and_requests_are_fulfilled_once() {
    let node = DevNode::start();
    let wallet = Wallet::new(&node.url);
    let prices = price_server();
    let work = tempfile::tempdir().unwrap();

    // Four reporter keys as keystore files (dev accounts 1..4) with password files.
    let mut keys = Vec::new();
    for k in 1..=4u32 {
        let imported = wallet.ok(&["import", "--dev-account", &k.to_string(), "--light-kdf"]);
        let address = imported["address"].as_str().unwrap().to_string();
        let keystore = PathBuf::from(imported["path"].as_str().unwrap());
        let password = work.path().join(format!("r{k}.pass"));
        std::fs::write(&password, "test\n").unwrap();
        keys.push((address, keystore, password));
    }
    let reporter_list = keys.iter().map(|k| k.0.clone()).collect::<Vec<_>>().join(",");

    // Deploy the aggregator (f = 1) and the request-response oracle from dev account 0.
    let url = node.url.as_str();
    let deployed = oracle(&[
        "deploy",
        "aggregator",
        "--rpc-url",
        url,
        "--dev-account",
        "0",
        "--reporters",
        &reporter_list,
        "--f",
        "1",
        "--decimals",
        "8",
        "--description",
        "ETH / USD",
        "--json",
    ]);
    let aggregator = deployed["address"].as_str().unwrap().to_string();
    let deployed = oracle(&[
        "deploy",
        "oracle",
        "--rpc-url",
        url,
        "--dev-account",
        "0",
        "--reporters",
        &reporter_list,
        "--json",
    ]);
    let request_oracle = deployed["address"].as_str().unwrap().to_string();

    // n < 3f + 1 is refused before anything is sent.
    let refused = Command::new(bin_dir().join("quarry-oracle"))
        .args(["deploy", "aggregator", "--rpc-url", url, "--dev-account", "0", "--reporters"])
        .arg(&reporter_list)
        .args(["--f", "2", "--description", "x"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("need n >= 3f + 1 = 7"));

    // The consumer: pays out at ≥ 3000, refuses answers older than 20 s.
    let artifact = |name: &str| {
        repo().join(format!("examples/contracts/out/{name}.json")).to_str().unwrap().to_string()
    };
    let beneficiary = "0x000000000000000000000000000000000000bEEF";
    let strike = (3000 * SCALE).to_string();
    let payout = wallet.ok(&[
        "deploy",
        &artifact("PricePayout"),
        &aggregator,
        &strike,
        "20",
        beneficiary,
        "--dev-account",
        "0",
    ])["contractAddress"]
        .as_str()
        .unwrap()
        .to_string();
    let requester =
        wallet.ok(&["deploy", &artifact("PriceRequester"), &request_oracle, "--dev-account", "0"])
            ["contractAddress"]
            .as_str()
            .unwrap()
            .to_string();

    // Before any round: latestRoundData reverts NoDataPresent, and so does the consumer.
    let (code, error) = wallet.run(&["call", &payout, "latestPrice()(int256,uint80,uint256)"]);
    assert_eq!(code, 3, "{error}");
    assert!(
        error["revertData"].as_str().unwrap().starts_with(&selector("NoDataPresent(uint80)")),
        "{error}"
    );

    // Reporter configs: one process per reporter, 1 s ticks, 6 s heartbeat.
    let mut reporters: Vec<Reporter> = Vec::new();
    for (i, (address, keystore, password)) in keys.iter().enumerate() {
        let k = i as u32 + 1;
        let (path, retries, timeout) = match k {
            3 => ("/flaky".to_string(), 4, "1s"),
            4 => ("/liar".to_string(), 2, "2s"),
            _ => (format!("/price/{k}"), 2, "2s"),
        };
        let data_dir = work.path().join(format!("r{k}-data"));
        let config = work.path().join(format!("r{k}.toml"));
        std::fs::write(
            &config,
            format!(
                r#"rpc_url = "{url}"
data_dir = "{data}"
poll_interval = "1s"

[reporter]
keystore = "{keystore}"
password_file = "{password}"

[[feeds]]
name = "ETH/USD"
aggregator = "{aggregator}"
heartbeat = "6s"
deviation_percent = 0.5

[[feeds.sources]]
http = "{prices}{path}"
pointer = "/eth/usd"
timeout = "{timeout}"
retries = {retries}
backoff = "100ms"

[requests]
oracle = "{request_oracle}"
"#,
                data = data_dir.display(),
                keystore = keystore.display(),
                password = password.display(),
            ),
        )
        .unwrap();
        reporters.push(Reporter {
            index: k,
            address: address.clone(),
            config,
            data_dir,
            child: None,
            log: Arc::new(Mutex::new(String::new())),
        });
    }
    let status = || {
        oracle(&[
            "status",
            "--rpc-url",
            url,
            "--aggregator",
            &aggregator,
            "--rounds",
            "50",
            "--json",
        ])
    };
    let latest_round = || status()["latestRound"].as_u64().unwrap();
    let honest_range = |ks: &[u64]| {
        let lo = ks.iter().min().unwrap();
        let hi = ks.iter().max().unwrap();
        ((BASE + lo) * SCALE, (BASE + hi) * SCALE)
    };

    // Phase 1: reporters 2, 3 (flaky source) and 4 (liar) only: every quorum of 3 holds the
    // liar, yet every answer lies within the honest values [3002, 3003].
    for r in &mut reporters[1..] {
        r.start();
    }
    wait_for("two closed rounds with the liar in the quorum", Duration::from_secs(120), || {
        (latest_round() >= 2).then_some(())
    });
    let s = status();
    let (lo, hi) = honest_range(&[2, 3]);
    for round in s["rounds"].as_array().unwrap() {
        let answer: u64 = round["answer"].as_str().unwrap().parse().unwrap();
        assert!(
            (lo..=hi).contains(&answer),
            "round {round} answer {answer} outside honest [{lo}, {hi}]"
        );
        assert_eq!(round["answeredInRound"], round["roundId"]);
    }
    let liar = &s["reporters"][3];
    assert_eq!(
        liar["lastAnswer"],
        (BASE * 1000 * SCALE).to_string(),
        "the liar did report: {liar}"
    );
    assert!(liar["lastRound"].as_u64().unwrap() >= 1);

    // The flaky source's four failures were each logged with the reason, and retried.
    let flaky_log = reporters[2].log();
    for reason in ["HTTP status 500", "invalid JSON", "matches nothing", "timed out after 1s"] {
        assert!(flaky_log.contains(reason), "reporter 3's log lacks {reason:?}:\n{flaky_log}");
    }
    assert!(flaky_log.contains("report accepted"), "{flaky_log}");

    // The contract itself refuses non-reporters, old rounds, future rounds.
    let aggregator_err = |args: &[&str], error: &str| {
        let (code, out) = wallet.run(args);
        assert_eq!(code, 3, "{args:?} should revert: {out}");
        assert!(
            out["revertData"].as_str().unwrap().starts_with(&selector(error)),
            "{error}: {out}"
        );
    };
    let submit = "submit(uint80,int256)";
    aggregator_err(
        &["send", &aggregator, submit, "99", "1", "--dev-account", "0"],
        "NotReporter(address)",
    );
    aggregator_err(
        &["send", &aggregator, submit, "1", "1", "--dev-account", "1"],
        "RoundClosed(uint80,uint80)",
    );
    aggregator_err(
        &["send", &aggregator, submit, "1000", "1", "--dev-account", "1"],
        "RoundNotOpen(uint80,uint80)",
    );

    // Request–response while reporter 1 is still offline: fulfilled exactly once.
    let price_url = format!("{prices}/price/1");
    let sent = wallet.ok(&[
        "send",
        &requester,
        "requestValue(string,string)",
        &price_url,
        "/eth/usd",
        "--dev-account",
        "0",
    ]);
    assert_eq!(sent["receipt"]["status"], 1);
    let request_id = wallet.ok(&["call", &requester, "lastRequestId()(bytes32)"])["values"][0]
        .as_str()
        .unwrap()
        .to_string();
    wait_for("the request's fulfilment", Duration::from_secs(60), || {
        let done = wallet.ok(&["call", &requester, "fulfilled(bytes32)(bool)", &request_id]);
        (done["values"][0] == true).then_some(())
    });
    let value = wallet.ok(&["call", &requester, "values(bytes32)(int256)", &request_id]);
    assert_eq!(value["values"][0], ((BASE + 1) * SCALE).to_string());
    // Every running reporter scanned past the request's block; still one fulfilment.
    let request_block = sent["receipt"]["blockNumber"].as_u64().unwrap();
    wait_for("all reporters to scan past the request", Duration::from_secs(60), || {
        reporters[1..]
            .iter()
            .all(|r| {
                let text =
                    std::fs::read_to_string(r.data_dir.join("state.json")).unwrap_or_default();
                let state: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                state["nextRequestBlock"].as_u64().is_some_and(|b| b > request_block)
            })
            .then_some(())
    });
    let count = wallet.ok(&["call", &requester, "fulfilments()(uint256)"]);
    assert_eq!(count["values"][0], "1");
    // A second fulfilment by a reporter: UnknownRequest; by a non-reporter: NotReporter.
    let fulfill = "fulfill(bytes32,int256)";
    aggregator_err(
        &["send", &request_oracle, fulfill, &request_id, "5", "--dev-account", "1"],
        "UnknownRequest(bytes32)",
    );
    aggregator_err(
        &["send", &request_oracle, fulfill, &request_id, "5", "--dev-account", "9"],
        "NotReporter(address)",
    );

    // Phase 2: reporter 1 joins; rounds keep closing within [3001, 3003]; the consumer reads the
    // feed right after a round closes.
    reporters[0].start();
    let before = latest_round();
    wait_for("a round with all four running", Duration::from_secs(60), || {
        (latest_round() > before + 1).then_some(())
    });
    let read = wallet.ok(&["call", &payout, "latestPrice()(int256,uint80,uint256)"]);
    let s = status();
    let read_round = read["values"][1].as_str().unwrap().parse::<u64>().unwrap();
    let round =
        s["rounds"].as_array().unwrap().iter().find(|r| r["roundId"] == read_round).unwrap();
    assert_eq!(read["values"][0], round["answer"], "the consumer reads latestRoundData's answer");
    let (lo, hi) = honest_range(&[1, 2, 3]);
    for round in s["rounds"].as_array().unwrap() {
        let answer: u64 = round["answer"].as_str().unwrap().parse().unwrap();
        assert!((lo..=hi).contains(&answer), "round {round}: {answer} outside [{lo}, {hi}]");
    }

    // Phase 3: reporters 1 and 4 go offline: the next round collects at most 2 < 2f + 1 reports
    // and never closes; once updatedAt is 20 s old the consumer refuses the stale answer.
    reporters[0].kill();
    reporters[3].kill();
    // Stuck: the open round holds exactly reporters 2's and 3's reports (nobody else is live).
    let stuck_round = wait_for("a round stuck at two reports", Duration::from_secs(60), || {
        let s = status();
        let open = s["openRound"]["roundId"].as_u64().unwrap();
        let by = |i: usize| s["reporters"][i]["lastRound"].as_u64() == Some(open);
        (s["openRound"]["reports"] == 2 && by(1) && by(2)).then_some(open)
    });
    let closed = stuck_round - 1;
    let updated_at = status()["rounds"][0]["updatedAt"].as_u64().unwrap();

    // Restart reporter 2 (kill -9) while it has reported in the stuck round: it must not send a
    // second report for that round.
    let nonce_before = wallet.ok(&["nonce", &reporters[1].address])["nonce"].clone();
    reporters[1].kill();
    let log_len = reporters[1].log().len();
    reporters[1].start();

    // Staleness is judged by block time, which can lag the wall clock when blocks are slow
    // (ASERT raised the difficulty after a fast start): wait on the chain's clock.
    wait_for("the last answer to go stale (20 s) by block time", Duration::from_secs(240), || {
        (chain_time(&node.url) > updated_at + 25).then_some(())
    });
    let s = status();
    assert_eq!(s["latestRound"], closed, "no round closed with 2 live reporters: {s}");
    assert_eq!(s["openRound"]["reports"], 2);
    let (code, error) = wallet.run(&["call", &payout, "latestPrice()(int256,uint80,uint256)"]);
    assert_eq!(code, 3, "{error}");
    assert!(
        error["revertData"]
            .as_str()
            .unwrap()
            .starts_with(&selector("StalePrice(uint256,uint256,uint256)")),
        "{error}"
    );
    // Reporter 2 after its restart: running, no transaction, no "reporting" decision.
    assert_eq!(wallet.ok(&["nonce", &reporters[1].address])["nonce"], nonce_before);
    let restarted_log = reporters[1].log()[log_len..].to_string();
    assert!(restarted_log.contains("reporter starting"), "{restarted_log}");
    assert!(
        !restarted_log.contains("reporting"),
        "restarted reporter re-reported:\n{restarted_log}"
    );
    // And the contract refuses its duplicate outright.
    aggregator_err(
        &["send", &aggregator, submit, &stuck_round.to_string(), "1", "--dev-account", "2"],
        "AlreadyReported(uint80,address)",
    );

    // Phase 4: reporter 1 comes back: 3 live reporters close the stuck round; the answer is fresh.
    reporters[0].start();
    wait_for("the stuck round to close", Duration::from_secs(60), || {
        (latest_round() >= stuck_round).then_some(())
    });
    let read = wallet.ok(&["call", &payout, "latestPrice()(int256,uint80,uint256)"]);
    let answer: u64 = read["values"][0].as_str().unwrap().parse().unwrap();
    assert!((lo..=hi).contains(&answer), "{read}");

    // Every reporter process was still running (sources failing never stopped a daemon).
    for r in &mut reporters {
        if let Some(child) = r.child.as_mut() {
            assert!(
                child.try_wait().unwrap().is_none(),
                "reporter {} exited:\n{}",
                r.index,
                r.log()
            );
        }
    }
}
