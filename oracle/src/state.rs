//! The reporter's persisted state, `<data_dir>/state.json`: per aggregator, the last round this
//! reporter sent a report for; for the request-response oracle, the next block to scan. Written
//! atomically (temporary file + rename) right after a report is accepted by the node, before
//! its receipt, so a daemon restarted at any point does not report that round again (the
//! contract's `reported(round, reporter)` is the second guard).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use alloy_primitives::Address;
use serde::{Deserialize, Serialize};

/// Why the state file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// I/O on the file.
    #[error("state file {path}: {reason}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS reason.
        reason: String,
    },
    /// The file is not the expected JSON.
    #[error("state file {path} is corrupt: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The parser's reason.
        reason: String,
    },
}

/// What the reporter remembers across restarts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct State {
    /// Aggregator → last round this reporter sent a report for.
    #[serde(default)]
    pub last_reported_round: BTreeMap<Address, u64>,
    /// Next block to scan for `OracleRequest` logs.
    #[serde(default)]
    pub next_request_block: Option<u64>,
}

/// A state file in a data directory.
#[derive(Debug)]
pub struct StateFile {
    path: PathBuf,
    /// The current state.
    pub state: State,
}

impl StateFile {
    /// Opens `<data_dir>/state.json` (creating the directory; a missing file is the empty state).
    ///
    /// # Errors
    /// [`StateError`] for an unreadable or corrupt file.
    pub fn open(data_dir: &Path) -> Result<StateFile, StateError> {
        let path = data_dir.join("state.json");
        let io = |e: std::io::Error| StateError::Io { path: path.clone(), reason: e.to_string() };
        std::fs::create_dir_all(data_dir).map_err(io)?;
        let state = match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map_err(|e| StateError::Corrupt { path: path.clone(), reason: e.to_string() })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => State::default(),
            Err(e) => return Err(io(e)),
        };
        Ok(StateFile { path, state })
    }

    /// Writes the state atomically.
    ///
    /// # Errors
    /// [`StateError::Io`].
    pub fn save(&self) -> Result<(), StateError> {
        let io =
            |e: std::io::Error| StateError::Io { path: self.path.clone(), reason: e.to_string() };
        let tmp = self.path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(&self.state).expect("state serializes");
        std::fs::write(&tmp, text).map_err(io)?;
        std::fs::rename(&tmp, &self.path).map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_survives_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = StateFile::open(&dir.path().join("r1")).unwrap();
        assert_eq!(file.state, State::default());
        file.state.last_reported_round.insert(Address::repeat_byte(7), 12);
        file.state.next_request_block = Some(40);
        file.save().unwrap();
        let reopened = StateFile::open(&dir.path().join("r1")).unwrap();
        assert_eq!(reopened.state, file.state);
    }

    #[test]
    fn a_corrupt_state_file_is_refused_not_reset() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("state.json"), "{oops").unwrap();
        assert!(matches!(StateFile::open(dir.path()), Err(StateError::Corrupt { .. })));
    }
}
