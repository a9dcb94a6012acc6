//! `quarry-lab lincheck` must give the expected verdict for every Jepsen history in
//! `../shared/lincheck/jepsen-etcd/` (resolved from the repository root, the parent of this
//! crate's manifest directory). If the data is absent this test FAILS with a message saying so:
//! a conformance test that silently passes on no data proves nothing.

use std::path::PathBuf;
use std::process::Command;

fn data_dir() -> PathBuf {
    let repo_root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    repo_root.join("../shared/lincheck/jepsen-etcd")
}

#[test]
fn lincheck_returns_the_expected_verdict_for_every_jepsen_etcd_history() {
    let dir = data_dir();
    let expected = std::fs::read_to_string(dir.join("expected.txt")).unwrap_or_else(|e| {
        panic!(
            "Jepsen histories not found at {} ({e}); they ship in ../shared/lincheck",
            dir.display()
        )
    });
    let mut checked = 0;
    let mut wrong = Vec::new();
    for line in expected.lines().filter(|l| !l.trim().is_empty()) {
        let (file, verdict) = line.split_once(char::is_whitespace).expect("`FILE true|false`");
        let want = match verdict.trim() {
            "true" => 0,
            "false" => 1,
            other => panic!("bad expectation {other:?} in expected.txt"),
        };
        let status = Command::new(env!("CARGO_BIN_EXE_quarry-lab"))
            .arg("lincheck")
            .arg(dir.join(file))
            .output()
            .expect("run quarry-lab");
        let got = status.status.code().expect("exit code");
        if got != want {
            wrong.push(format!("{file}: expected exit {want}, got {got}"));
        }
        checked += 1;
    }
    assert!(checked >= 80, "only {checked} histories listed");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
