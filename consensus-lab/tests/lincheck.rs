//! `quarry-lab lincheck` must give the expected verdict for every Jepsen history in
//! `../shared/lincheck/jepsen-etcd/` (resolved from the repository root, the parent of this
//! crate's manifest directory) — as published (tab-separated), rewritten at run time with other
//! whitespace, and rewritten as Jepsen EDN maps. If the data is absent this test FAILS with a
//! message saying so: a conformance test that silently passes on no data proves nothing.
//!
//! It must also check key-value histories recorded from the lab's own replicated store
//! (Multi-Paxos SMR, `protocols::consensus::smr_kv`) and written as EDN: linearizable as recorded, and
//! not linearizable when the store has a planted bug.

use std::path::{Path, PathBuf};
use std::process::Command;

use quarry_lab::check::jepsen::{History, KvOperation, RegisterOperation};
use quarry_lab::check::jepsen_edn;
use quarry_lab::check::linearizability::{
    KvInput, KvOutput, KvRequest, Operation, RegisterOp, RegisterOutput,
};
use quarry_lab::harness::{simulate, RunConfig};
use quarry_lab::protocol::Time;
use quarry_lab::protocols::consensus::multipaxos::{Flaw, MultiPaxos};
use quarry_lab::protocols::consensus::smr_kv::{
    check_linearizable, client_operations, KvCommand, KvOp, KvStore, StateMachine, KV_KEYS,
};
use quarry_lab::sim::{Streams, Workload};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

fn data_dir() -> PathBuf {
    let repo_root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    repo_root.join("../shared/lincheck/jepsen-etcd")
}

/// Set to a directory to keep the histories and HTML pages the tests write (for benchmarks
/// and for looking at them); otherwise they go to a scratch directory that is removed.
const KEEP: &str = "QUARRY_LINCHECK_OUT";

/// A fresh scratch directory for this test binary (or `$QUARRY_LINCHECK_OUT/name`).
fn scratch(name: &str) -> PathBuf {
    let dir = match std::env::var_os(KEEP) {
        Some(keep) => PathBuf::from(keep).join(name),
        None => std::env::temp_dir().join(format!("quarry-lincheck-{}-{name}", std::process::id())),
    };
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Remove a scratch directory unless asked to keep it.
fn done(dir: &Path) {
    if std::env::var_os(KEEP).is_none() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// `quarry-lab lincheck FILE ARGS…`: exit code and stdout.
fn lincheck(file: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_quarry-lab"))
        .arg("lincheck")
        .arg(file)
        .args(args)
        .output()
        .expect("run quarry-lab");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().expect("exit code"), text)
}

/// The published line `INFO  jepsen.util - 0\t:invoke\t:cas\t[4 5]` with the tabs and the
/// prefix's spaces replaced by other runs of whitespace (varying with the line number).
fn whitespace_variant(log: &str) -> String {
    let mut out = String::new();
    for (i, line) in log.lines().enumerate() {
        let gap = [" ", "  ", " \t ", "\t\t"][i % 4];
        let line =
            line.replacen("INFO  jepsen.util - ", &format!("INFO{gap}jepsen.util{gap}-{gap}"), 1);
        out.push_str(&line.replace('\t', gap));
        out.push('\n');
    }
    out
}

/// The same events as Jepsen EDN maps, `{:process 0, :type :invoke, :f :cas, :value [4 5]}`:
/// every field of these logs is already an EDN value.
fn edn_variant(log: &str) -> String {
    let mut out = String::from(";; rewritten from a Porcupine etcd log\n");
    for line in log.lines().filter(|l| !l.trim().is_empty()) {
        let body = line.split_once("jepsen.util - ").map_or(line, |(_, b)| b);
        let fields: Vec<&str> = body.split('\t').collect();
        let [process, kind, f, value] = fields[..] else { panic!("unexpected line {line:?}") };
        out.push_str(&format!("{{:process {process}, :type {kind}, :f {f}, :value {value}}}\n"));
    }
    out
}

#[test]
fn lincheck_returns_the_expected_verdict_for_every_jepsen_etcd_history_in_every_layout() {
    let dir = data_dir();
    let expected = std::fs::read_to_string(dir.join("expected.txt")).unwrap_or_else(|e| {
        panic!(
            "Jepsen histories not found at {} ({e}); they ship in ../shared/lincheck",
            dir.display()
        )
    });
    let out = scratch("etcd");
    let mut checked = 0;
    let mut wrong = Vec::new();
    for line in expected.lines().filter(|l| !l.trim().is_empty()) {
        let (file, verdict) = line.split_once(char::is_whitespace).expect("`FILE true|false`");
        let want = match verdict.trim() {
            "true" => 0,
            "false" => 1,
            other => panic!("bad expectation {other:?} in expected.txt"),
        };
        let original = dir.join(file);
        let log = std::fs::read_to_string(&original).expect("read history");
        let spaced = out.join(file.replace(".log", ".spaced.log"));
        std::fs::write(&spaced, whitespace_variant(&log)).expect("write");
        let edn = out.join(file.replace(".log", ".edn"));
        std::fs::write(&edn, edn_variant(&log)).expect("write");
        let html = out.join(file.replace(".log", ".html"));
        let html_arg = html.to_str().expect("utf-8 path");
        for (layout, path, args) in [
            ("tab-separated", &original, vec![]),
            ("whitespace-separated", &spaced, vec!["--format", "log"]),
            ("EDN", &edn, vec!["--html", html_arg]),
        ] {
            let (got, text) = lincheck(path, &args);
            if got != want {
                wrong.push(format!("{file} ({layout}): expected exit {want}, got {got}: {text}"));
            }
        }
        let page = std::fs::read_to_string(&html).unwrap_or_default();
        if !page.contains("longest linearizable prefix") {
            wrong.push(format!("{file}: no visualisation written to {}", html.display()));
        }
        checked += 1;
    }
    done(&out);
    assert!(checked >= 80, "only {checked} histories listed");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The lab's KV store, driven with gets and puts only (no cas), so its history is one of
/// Porcupine's kv model (`:get`/`:put` per key). `LOSE_EVERY` > 0 plants a bug: every
/// `LOSE_EVERY`-th put is acknowledged but never stored (on every replica alike, so the
/// replicated log stays consistent and only the client history shows it).
#[derive(Debug, Clone, Default)]
struct GetPutStore<const LOSE_EVERY: u64> {
    store: KvStore,
}

impl<const LOSE_EVERY: u64> StateMachine for GetPutStore<LOSE_EVERY> {
    type Command = KvCommand;
    type Response = RegisterOutput;

    fn apply(&mut self, cmd: &KvCommand) -> RegisterOutput {
        match cmd.op {
            KvOp::Put(..) if LOSE_EVERY > 0 && cmd.id % LOSE_EVERY == 0 => RegisterOutput::Written,
            _ => self.store.apply(cmd),
        }
    }

    /// `count` operations over [`KV_KEYS`] keys, half gets and half puts (value = op index).
    fn workload(rng: &mut ChaCha8Rng, n: usize, count: usize, gap: Time) -> Workload<KvCommand> {
        Workload::open_loop(rng, n, 1_000, gap, count, |i, rng| {
            let key = rng.random_range(0..KV_KEYS);
            let op = if rng.random_bool(0.5) { KvOp::Get(key) } else { KvOp::Put(key, i as i64) };
            KvCommand { id: i as u64, op }
        })
    }
}

const COMMANDS: usize = 200;
const GAP: Time = 1_500;

/// Run Multi-Paxos replicating `S` for `seed` (5 replicas, requests 1.5 ms apart on average so
/// they overlap, one replica crashing within the run so some are never answered) and return its
/// client history and the lab's own linearizability verdict on it.
fn record<S>(seed: u64) -> (Vec<RegisterOperation>, bool)
where
    S: StateMachine<Command = KvCommand, Response = RegisterOutput>,
{
    let mut config = RunConfig::new(5, seed);
    config.faults.crash = 1;
    config.faults.crash_window = 300_000;
    let mut rng = Streams::new(seed).workload;
    let workload = S::workload(&mut rng, config.n, COMMANDS, GAP);
    let run = simulate(&config, |_, _| MultiPaxos::<S>::new(Flaw::None), workload);
    let ops = client_operations(&run.history);
    let holds = check_linearizable(&run.history)[0].holds();
    (ops, holds)
}

fn key_names() -> Vec<String> {
    (0..KV_KEYS).map(|k| k.to_string()).collect()
}

/// The get/put register operations as Porcupine kv operations (values as decimal text; a
/// missing key's `nil` is kv's empty string).
fn as_kv(ops: &[RegisterOperation]) -> Vec<KvOperation> {
    ops.iter()
        .map(|op| {
            let (request, output) = match (op.input.op, op.output) {
                (RegisterOp::Read, RegisterOutput::Read(v)) => {
                    (KvRequest::Get, KvOutput::Value(v.map_or(String::new(), |v| v.to_string())))
                }
                (RegisterOp::Read, _) => (KvRequest::Get, KvOutput::Unknown),
                (RegisterOp::Write(v), RegisterOutput::Written) => {
                    (KvRequest::Put(v.to_string()), KvOutput::Done)
                }
                (RegisterOp::Write(v), _) => (KvRequest::Put(v.to_string()), KvOutput::Unknown),
                (RegisterOp::Cas { .. }, _) => panic!("the get/put workload has no cas"),
            };
            let input = KvInput { key: op.input.key, op: request };
            Operation { client: op.client, input, output, call: op.call, ret: op.ret }
        })
        .collect()
}

/// Write `history` as EDN into `dir/name` and run `lincheck --html` on it.
fn check_edn(dir: &Path, name: &str, history: &History) -> (i32, String) {
    let path = dir.join(name);
    let text = jepsen_edn::write(history);
    assert!(text.starts_with("{:process "), "{text}");
    std::fs::write(&path, text).expect("write history");
    let html = dir.join(format!("{name}.html"));
    let result = lincheck(&path, &["--html", html.to_str().expect("utf-8 path")]);
    assert!(html.exists(), "no visualisation for {name}");
    result
}

/// Seeds whose crash leaves some requests unanswered (pending, Jepsen `:info`).
const SEEDS: [u64; 3] = [3, 4, 6];

#[test]
fn kv_histories_recorded_from_the_lab_store_are_linearizable_in_edn() {
    let dir = scratch("kv-ok");
    for seed in SEEDS {
        // The store as the lab runs it: get/put/cas, one register per key.
        let (ops, holds) = record::<KvStore>(seed);
        assert!(holds, "seed {seed}: the lab's own check disagrees");
        assert!(ops.iter().any(|op| op.ret.is_none()), "seed {seed}: expected pending ops");
        let history = History::Register { ops, keys: key_names() };
        let (code, text) = check_edn(&dir, &format!("register-{seed}.edn"), &history);
        assert_eq!(code, 0, "seed {seed}: {text}");
        // Gets and puts only, in Porcupine's kv vocabulary.
        let (ops, holds) = record::<GetPutStore<0>>(seed);
        assert!(holds, "seed {seed}: the lab's own check disagrees");
        let history = History::Kv { ops: as_kv(&ops), keys: key_names() };
        let (code, text) = check_edn(&dir, &format!("kv-{seed}.edn"), &history);
        assert_eq!(code, 0, "seed {seed}: {text}");
    }
    done(&dir);
}

#[test]
fn kv_histories_from_a_store_that_loses_puts_are_not_linearizable_in_edn() {
    let dir = scratch("kv-bug");
    for seed in SEEDS {
        let (ops, holds) = record::<GetPutStore<3>>(seed);
        assert!(!holds, "seed {seed}: the lab's own check missed the lost puts");
        let history = History::Kv { ops: as_kv(&ops), keys: key_names() };
        let (code, text) = check_edn(&dir, &format!("kv-lossy-{seed}.edn"), &history);
        assert_eq!(code, 1, "seed {seed}: {text}");
        assert!(text.contains("not linearizable (key "), "{text}");
    }
    done(&dir);
}
