//! Runner for the Ethereum Foundation's TransactionTests (`quarry-evm txtest`).
//!
//! Each test holds `txbytes` and, per fork, either `{hash, sender, intrinsicGas}` for a valid
//! transaction or `{exception}` for one that must be refused. Quarry follows Cancun rules, so a
//! test is judged by its `Cancun` result, or `Shanghai` where Cancun is absent; tests with
//! neither are skipped and counted as such. Chain id is 1 and pre-EIP-155 transactions are
//! allowed, as on Ethereum mainnet.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use alloy_primitives::{hex, Address, B256};
use quarry_primitives::transaction::{SignedTransaction, TxError};
use serde::Deserialize;

/// The chain id the fixtures are signed for.
pub const FIXTURE_CHAIN_ID: u64 = 1;

#[derive(Deserialize)]
struct TestCase {
    txbytes: String,
    result: BTreeMap<String, ForkResult>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ForkResult {
    hash: Option<B256>,
    sender: Option<Address>,
    intrinsic_gas: Option<String>,
    exception: Option<String>,
}

/// One test that did not match its expectation.
#[derive(Clone, Debug)]
pub struct Failure {
    /// `file::test`.
    pub name: String,
    /// What differed.
    pub reason: String,
}

/// The outcome of a run over some files.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Tests whose result matched.
    pub passed: usize,
    /// Tests whose result did not match, in file order.
    pub failures: Vec<Failure>,
    /// Tests with neither a `Cancun` nor a `Shanghai` result.
    pub skipped: usize,
    /// For every test that expected an exception and got one: `(file::test, expected, ours)`,
    /// so a reader can check that the refusal was for the right reason.
    pub rejections: Vec<(String, String, String)>,
}

/// What Quarry makes of a transaction's bytes: its hash, sender and intrinsic gas, or the
/// reason it is refused.
pub fn check_transaction(bytes: &[u8]) -> Result<(B256, Address, u64), TxError> {
    let tx = SignedTransaction::decode(bytes)?;
    tx.validate_stateless(FIXTURE_CHAIN_ID, true)?;
    let sender = tx.recover_sender()?;
    Ok((tx.hash(), sender, tx.intrinsic_gas()))
}

/// Runs every test in every JSON file under `paths`.
///
/// # Errors
/// A path that cannot be read, or a file that is not a TransactionTests JSON object (the
/// message names the file).
pub fn run(paths: &[PathBuf]) -> anyhow::Result<Report> {
    let mut report = Report::default();
    for file in crate::fixtures::json_files(paths)? {
        run_file(&file, &mut report)?;
    }
    Ok(report)
}

fn run_file(file: &Path, report: &mut Report) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file)?;
    let tests: BTreeMap<String, TestCase> = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{}: not a TransactionTests file: {e}", file.display()))?;
    let stem = file.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    for (name, case) in tests {
        let Some(expected) = case.result.get("Cancun").or_else(|| case.result.get("Shanghai"))
        else {
            report.skipped += 1;
            continue;
        };
        let name = format!("{stem}::{name}");
        match judge(&case.txbytes, expected) {
            Ok(None) => report.passed += 1,
            Ok(Some(ours)) => {
                report.passed += 1;
                let expected = expected.exception.clone().unwrap_or_default();
                report.rejections.push((name, expected, ours));
            }
            Err(reason) => report.failures.push(Failure { name, reason }),
        }
    }
    Ok(())
}

/// `Ok(None)` for a matching valid transaction, `Ok(Some(our reason))` for an expected
/// rejection, `Err(what differed)` otherwise.
fn judge(txbytes: &str, expected: &ForkResult) -> Result<Option<String>, String> {
    let outcome = hex::decode(txbytes)
        .map_err(|e| format!("txbytes is not hex: {e}"))
        .and_then(|bytes| check_transaction(&bytes).map_err(|e| e.to_string()));
    match (&expected.exception, outcome) {
        (Some(exception), Ok((hash, ..))) => {
            Err(format!("expected {exception}, but accepted as {hash}"))
        }
        (Some(_), Err(ours)) => Ok(Some(ours)),
        (None, Err(reason)) => Err(format!("expected valid, got error: {reason}")),
        (None, Ok((hash, sender, gas))) => {
            let mut wrong = Vec::new();
            if expected.hash != Some(hash) {
                wrong.push(format!("hash expected {:?}, got {hash}", expected.hash));
            }
            if expected.sender != Some(sender) {
                wrong.push(format!("sender expected {:?}, got {sender}", expected.sender));
            }
            let want_gas = expected.intrinsic_gas.as_deref().and_then(parse_hex_u64);
            if want_gas != Some(gas) {
                wrong.push(format!("intrinsic gas expected {want_gas:?}, got {gas}"));
            }
            if wrong.is_empty() {
                Ok(None)
            } else {
                Err(wrong.join("; "))
            }
        }
    }
}

fn parse_hex_u64(s: &str) -> Option<u64> {
    u64::from_str_radix(s.trim_start_matches("0x"), 16).ok()
}
