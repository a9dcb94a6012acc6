//! Crash safety: a mining node is killed with SIGKILL at random moments, restarted each time,
//! and after every kill the datadir must re-open, the tip's state root must recompute from
//! the stored accounts to the header's, and every block the node reported committed must still
//! be on the canonical chain.
//!
//! Drives the real `quarry-node` binary. The seed of the kill schedule is printed; set
//! `QUARRY_CRASH_SEED` to replay one.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use rand::{Rng, SeedableRng};

const KILLS: usize = 20;
const BIN: &str = env!("CARGO_BIN_EXE_quarry-node");

/// A chain whose every block is found within a few hashes, so the node commits many blocks a
/// second and kills land mid-write.
const GENESIS: &str = r#"{
  "config": { "chainId": 4242,
    "quarry": { "initialBits": "0x207fffff", "targetBlockTime": 1, "asertHalfLife": 100000,
                "blockSubsidy": "2000000000000000000" } },
  "gasLimit": "0x1c9c380", "timestamp": "0x6553f100",
  "alloc": { "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266": { "balance": "0x21e19e0c9bab2400000" } }
}"#;

fn committed_hash(line: &str) -> Option<String> {
    if !line.contains("block committed") {
        return None;
    }
    let start = line.find(" hash=")? + 6;
    Some(line[start..].split_whitespace().next()?.to_string())
}

fn check(datadir: &Path, required: &Path) -> String {
    let out = Command::new(BIN)
        .args(["check", "--datadir"])
        .arg(datadir)
        .arg("--require-file")
        .arg(required)
        .output()
        .expect("check runs");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "check failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn sigkill_at_random_moments_loses_nothing_committed() {
    let seed = std::env::var("QUARRY_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    println!("crash schedule seed {seed} (replay with QUARRY_CRASH_SEED={seed})");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let dir = tempfile::tempdir().unwrap();
    let genesis = dir.path().join("genesis.json");
    std::fs::write(&genesis, GENESIS).unwrap();
    let datadir = dir.path().join("node");
    let status = Command::new(BIN)
        .args(["init", "--genesis"])
        .arg(&genesis)
        .arg("--datadir")
        .arg(&datadir)
        .status()
        .unwrap();
    assert!(status.success());
    let required = dir.path().join("committed.txt");
    let mut committed: Vec<String> = Vec::new();
    let mut last_number = 0u64;
    for round in 0..KILLS {
        let mut child = Command::new(BIN)
            .args(["run", "--mine", "--threads", "1", "--kernel", "portable", "--datadir"])
            .arg(&datadir)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node starts");
        let stdout = child.stdout.take().unwrap();
        let (lines_tx, lines_rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Wait for the first commit of this round, then kill after a random delay.
        let first = loop {
            let line = lines_rx
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("round {round}: no block committed within 60 s"));
            if let Some(hash) = committed_hash(&line) {
                break hash;
            }
        };
        committed.push(first);
        std::thread::sleep(Duration::from_millis(rng.random_range(20..400)));
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
        reader.join().unwrap();
        // Everything printed before the kill was reported committed.
        committed.extend(lines_rx.try_iter().filter_map(|l| committed_hash(&l)));
        std::fs::write(&required, committed.join("\n")).unwrap();
        let report = check(&datadir, &required);
        let number: u64 = report
            .split("\"number\":")
            .nth(1)
            .and_then(|s| s.split(',').next())
            .and_then(|s| s.parse().ok())
            .expect("check prints the tip number");
        assert!(
            number >= last_number,
            "round {round}: tip went back from {last_number} to {number}"
        );
        assert!(report.contains("\"ok\":true"), "{report}");
        last_number = number;
    }
    assert!(
        committed.len() > KILLS,
        "only {} blocks committed over {KILLS} rounds",
        committed.len()
    );
    println!("{KILLS} kills, {} committed blocks all present, tip {last_number}", committed.len());
}
