//! Locating the shared, read-only fixtures (`../shared/` from the repository root).

use std::path::PathBuf;

/// `../shared/<rel>` from the repository root, or `None` (with a message on stderr) when it is
/// absent. Under CI (`CI` set) absence is a failure, never a silent pass.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared").join(rel);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "fixture {} is missing; CI must run with ../shared beside the repository",
        path.display()
    );
    eprintln!(
        "SKIPPED: fixture {} is absent (expected at ../shared from the repo root)",
        path.display()
    );
    None
}

/// Reads and parses a JSON fixture.
pub fn read_json(path: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
