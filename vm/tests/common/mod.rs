//! Helpers shared by the integration tests that read the Ethereum Foundation fixtures.

use std::path::PathBuf;

/// `../shared/ethtests` (resolved as `CARGO_MANIFEST_DIR/../../shared/ethtests`).
///
/// Returns `None` (after saying so on stderr) when the folder is absent, so the calling test
/// can skip; under `CI=true` an absent folder is a failure instead, never a silent pass.
pub fn ethtests_dir() -> Option<PathBuf> {
    if let Some(dir) = quarry_vm::fixtures::ethtests_dir(env!("CARGO_MANIFEST_DIR")) {
        return Some(dir);
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(!ci, "CI=true but ../shared/ethtests is missing: the fixture tests cannot run");
    eprintln!("SKIPPED: ../shared/ethtests is missing; the fixture tests did not run");
    None
}
