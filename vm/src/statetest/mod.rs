//! Runner for the Ethereum Foundation's GeneralStateTests (`quarry-evm statetest`).
//!
//! For every `post.Cancun` entry of every test: build the pre-state in a [`MemDb`], the block
//! from `env`, the transaction from `indexes {data, gas, value}` (sender from `secretKey`),
//! execute it with [`crate::transact`], commit the [`crate::StateChanges`], and compare the state
//! root with `hash` and keccak256(RLP(logs)) with `logs`. Entries with `expectException` pass
//! when the transaction is rejected and the root is unchanged. Tests without a `Cancun` entry
//! are counted as skipped. A panic inside the VM fails its entry and the run goes on.

pub mod db;
pub mod fixture;
pub mod runner;

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::Serialize;

pub use db::{MemAccount, MemDb};
pub use fixture::{FixtureError, StateTest};
pub use runner::{logs_hash, run_test, FORK};

/// The result of one `post.Cancun` entry, identified as `file::test[d,g,v]`.
#[derive(Clone, Debug, Serialize)]
pub struct CaseResult {
    /// The fixture file, as found under the paths given.
    pub file: String,
    /// The category: the fixture's folder relative to `GeneralStateTests` (e.g.
    /// `stExample`, `VMTests/vmArithmeticTest`), or its parent folder's name elsewhere.
    pub category: String,
    /// The test's name inside the file.
    pub test: String,
    /// `indexes` as `[data, gas, value]`.
    pub indexes: [usize; 3],
    /// `None` when the entry passed, else why it failed.
    pub failure: Option<String>,
}

impl CaseResult {
    /// `file::test[d,g,v]`.
    pub fn id(&self) -> String {
        let [d, g, v] = self.indexes;
        format!("{}::{}[{d},{g},{v}]", self.file, self.test)
    }
}

/// Pass and fail counts of one category.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CategoryCounts {
    /// Entries that passed.
    pub passed: usize,
    /// Entries that failed.
    pub failed: usize,
}

/// Everything a run produced.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// One result per `post.Cancun` entry, in file and test order.
    pub results: Vec<CaseResult>,
    /// Tests that have no `Cancun` entry.
    pub skipped_tests: usize,
}

impl Report {
    /// Entries that passed.
    pub fn passed(&self) -> usize {
        self.results.iter().filter(|r| r.failure.is_none()).count()
    }

    /// The entries that failed.
    pub fn failures(&self) -> impl Iterator<Item = &CaseResult> {
        self.results.iter().filter(|r| r.failure.is_some())
    }

    /// Pass/fail counts per category, sorted by category.
    pub fn by_category(&self) -> BTreeMap<String, CategoryCounts> {
        let mut table: BTreeMap<String, CategoryCounts> = BTreeMap::new();
        for r in &self.results {
            let counts = table.entry(r.category.clone()).or_default();
            if r.failure.is_none() {
                counts.passed += 1;
            } else {
                counts.failed += 1;
            }
        }
        table
    }
}

/// Errors that stop a run: a path that cannot be read, a file that is not state-test JSON.
#[derive(Debug, thiserror::Error)]
pub enum StateTestError {
    /// A path given could not be listed or read.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A file is not a JSON object of state tests.
    #[error("{file}: not a state-test file: {source}")]
    Json {
        /// The file.
        file: String,
        /// The parser's complaint.
        source: serde_json::Error,
    },
}

/// Runs every state test in every `.json` file under `paths` (files or folders, recursively).
///
/// # Errors
/// [`StateTestError`] for an unreadable path or a file that is not state-test JSON; malformed
/// values inside a test only fail that test's entries.
pub fn run(paths: &[PathBuf]) -> Result<Report, StateTestError> {
    let mut report = Report::default();
    for file in crate::fixtures::json_files(paths)? {
        run_file(&file, &mut report)?;
    }
    Ok(report)
}

/// Runs the tests of one file into `report`.
///
/// # Errors
/// As [`run`].
pub fn run_file(file: &Path, report: &mut Report) -> Result<(), StateTestError> {
    let name = file.display().to_string();
    let text = std::fs::read_to_string(file)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{name}: {e}")))?;
    let tests: BTreeMap<String, StateTest> = serde_json::from_str(&text)
        .map_err(|source| StateTestError::Json { file: name.clone(), source })?;
    let category = category_of(file);
    for (test_name, test) in &tests {
        let results = run_test(test);
        if results.is_empty() {
            report.skipped_tests += 1;
        }
        for (entry, failure) in results {
            let i = entry.indexes;
            report.results.push(CaseResult {
                file: name.clone(),
                category: category.clone(),
                test: test_name.clone(),
                indexes: [i.data, i.gas, i.value],
                failure,
            });
        }
    }
    Ok(())
}

/// The folder of `file` relative to the last `GeneralStateTests` component of its path, or the
/// parent folder's name when there is none.
pub fn category_of(file: &Path) -> String {
    let parent = file.parent().unwrap_or(Path::new(""));
    let parts: Vec<_> = parent.components().collect();
    let root =
        parts.iter().rposition(|c| matches!(c, Component::Normal(n) if *n == "GeneralStateTests"));
    match root {
        Some(i) if i + 1 < parts.len() => parts[i + 1..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
        _ => parent.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_is_the_folder_under_general_state_tests() {
        let f = Path::new("../shared/ethtests/GeneralStateTests/VMTests/vmLogTest/log0.json");
        assert_eq!(category_of(f), "VMTests/vmLogTest");
        assert_eq!(category_of(Path::new("x/stExample/a.json")), "stExample");
    }
}
