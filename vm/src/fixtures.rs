//! Finding Ethereum Foundation fixture files (`../shared/ethtests`) on disk.

use std::path::{Path, PathBuf};

/// Every `.json` file under `paths` (a path may be a file or a folder, walked recursively),
/// sorted so runs are reproducible.
///
/// # Errors
/// The first path that does not exist or cannot be read, with the path in the message.
pub fn json_files(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        collect(path, &mut files)?;
    }
    files.sort();
    Ok(files)
}

fn collect(path: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let meta = std::fs::metadata(path).map_err(|e| annotate(path, e))?;
    if meta.is_file() {
        files.push(path.to_path_buf());
        return Ok(());
    }
    for entry in std::fs::read_dir(path).map_err(|e| annotate(path, e))? {
        let entry = entry.map_err(|e| annotate(path, e))?;
        let child = entry.path();
        if child.is_dir() {
            collect(&child, files)?;
        } else if child.extension().is_some_and(|ext| ext == "json") {
            files.push(child);
        }
    }
    Ok(())
}

fn annotate(path: &Path, err: std::io::Error) -> std::io::Error {
    std::io::Error::new(err.kind(), format!("{}: {err}", path.display()))
}

/// The shared fixtures folder `../shared/ethtests` seen from the repository root, located from a
/// crate's manifest directory (`CARGO_MANIFEST_DIR/../../shared/ethtests`). `None` when absent.
pub fn ethtests_dir(manifest_dir: &str) -> Option<PathBuf> {
    let dir = Path::new(manifest_dir).join("../../shared/ethtests");
    dir.is_dir().then_some(dir)
}
