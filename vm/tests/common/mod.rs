//! Helpers shared by the integration tests that read the Ethereum Foundation fixtures.

use std::path::PathBuf;

/// `../shared/ethtests` relative to the repository root, resolved from this crate's manifest.
///
/// Returns `None` (after saying so on stderr) when the folder is absent, so the calling test
/// can skip; under `CI=true` an absent folder is a failure instead, never a silent pass.
pub fn ethtests_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/ethtests");
    if dir.is_dir() {
        return Some(dir);
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(!ci, "CI=true but the fixtures folder {} is missing", dir.display());
    eprintln!("SKIPPED: fixtures folder {} is missing; these tests did not run", dir.display());
    None
}
