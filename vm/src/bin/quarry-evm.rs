//! `quarry-evm`: run Ethereum Foundation conformance fixtures against Quarry, like geth's `evm`
//! and revm's `revme`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "quarry-evm", version, about = "Quarry's EVM and conformance-test runner")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run TransactionTests files or folders: decode, check and recover each `txbytes`, and
    /// compare with the `Cancun` result (or `Shanghai` where Cancun is absent).
    Txtest {
        /// Files or folders (searched recursively for `.json`).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Also print, for each expected rejection, the fixture's exception and Quarry's reason.
        #[arg(long, short)]
        verbose: bool,
    },
    /// Run GeneralStateTests files or folders (`post.Cancun` entries): execute each
    /// transaction and compare the state root and logs hash.
    Statetest {
        /// Files or folders (searched recursively for `.json`).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Print a pass/fail table per category.
        #[arg(long)]
        summary: bool,
        /// Write every result as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
        /// A file of entries known to fail (`file.json::test[d,g,v]  reason`, `#` comments):
        /// they are reported and counted as skipped; one that passes is a failure until it is
        /// removed from the file.
        #[arg(long)]
        known_failures: Option<PathBuf>,
    },
    /// Run bytecode in an empty world and print status, gas used and output.
    Run {
        /// The code, hex (with or without 0x).
        #[arg(long)]
        code: String,
        /// Calldata, hex.
        #[arg(long, default_value = "")]
        input: String,
        /// Gas available to the code.
        #[arg(long, default_value_t = 10_000_000)]
        gas: u64,
        /// Print an EIP-3155 JSON line per step to stdout before the result.
        #[arg(long)]
        trace: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Txtest { paths, verbose } => txtest(&paths, verbose),
        Command::Statetest { paths, summary, json, known_failures } => {
            statetest(&paths, summary, json, known_failures)
        }
        Command::Run { code, input, gas, trace } => run(&code, &input, gas, trace),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("quarry-evm: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn txtest(paths: &[PathBuf], verbose: bool) -> anyhow::Result<ExitCode> {
    let report = quarry_vm::txtest::run(paths)?;
    if verbose {
        for (name, expected, ours) in &report.rejections {
            println!("{name}: rejected as expected ({expected}): {ours}");
        }
    }
    for failure in &report.failures {
        println!("{}: {}", failure.name, failure.reason);
    }
    if report.skipped > 0 {
        println!("{} skipped (no Cancun or Shanghai result)", report.skipped);
    }
    println!("{} passed, {} failed", report.passed, report.failures.len());
    Ok(if report.failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Reads a known-failures file: `id  reason` per line, `#` comments, blank lines ignored.
fn read_known_failures(path: &PathBuf) -> anyhow::Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("--known-failures {}: {e}", path.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| match line.split_once(char::is_whitespace) {
            Some((id, reason)) => (id.to_string(), reason.trim().to_string()),
            None => (line.to_string(), String::new()),
        })
        .collect())
}

/// `true` when the result id (`path/file.json::test[d,g,v]`) names the listed entry.
fn names(id: &str, entry: &str) -> bool {
    id == entry || id.strip_suffix(entry).is_some_and(|prefix| prefix.ends_with('/'))
}

fn statetest(
    paths: &[PathBuf],
    summary: bool,
    json: Option<PathBuf>,
    known_failures: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let known = match &known_failures {
        Some(path) => read_known_failures(path)?,
        None => Vec::new(),
    };
    let report = quarry_vm::statetest::run(paths)?;
    let (mut failed, mut skipped) = (0usize, 0usize);
    for case in report.failures() {
        let id = case.id();
        match known.iter().find(|(entry, _)| names(&id, entry)) {
            Some((_, reason)) => {
                skipped += 1;
                println!("{id}: known failure ({reason})");
            }
            None => {
                failed += 1;
                println!("{id}: {}", case.failure.as_deref().unwrap_or_default());
            }
        }
    }
    for case in report.results.iter().filter(|case| case.failure.is_none()) {
        let id = case.id();
        if let Some((entry, _)) = known.iter().find(|(entry, _)| names(&id, entry)) {
            failed += 1;
            println!("{id}: passes but is listed as a known failure; remove `{entry}`");
        }
    }
    if summary {
        println!("{:<48} {:>7} {:>7}", "category", "passed", "failed");
        for (category, counts) in report.by_category() {
            println!("{category:<48} {:>7} {:>7}", counts.passed, counts.failed);
        }
        println!(
            "{} tests skipped (no {} entry)",
            report.skipped_tests,
            quarry_vm::statetest::FORK
        );
    }
    if let Some(path) = json {
        std::fs::write(&path, serde_json::to_vec_pretty(&report)?)?;
    }
    let passed = report.passed();
    if known_failures.is_some() {
        println!("{passed} passed, {failed} failed, {skipped} skipped");
    } else {
        println!("{passed} passed, {failed} failed");
    }
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn parse_hex(flag: &str, value: &str) -> anyhow::Result<Vec<u8>> {
    alloy_primitives::hex::decode(value.trim())
        .map_err(|e| anyhow::anyhow!("--{flag} is not hex ({e}): {value:?}"))
}

fn run(code: &str, input: &str, gas: u64, trace: bool) -> anyhow::Result<ExitCode> {
    let code = parse_hex("code", code)?;
    let input = parse_hex("input", input)?;
    let stdout = std::io::stdout();
    let mut tracer = quarry_vm::JsonTracer::new(stdout.lock());
    let tracer = trace.then_some(&mut tracer as &mut dyn quarry_vm::Tracer);
    let out = quarry_vm::run_code(&code, &input, gas, tracer);
    println!(
        "{}",
        serde_json::json!({
            "status": format!("{:?}", out.status),
            "gasUsed": out.gas_used,
            "output": out.output,
            "logs": out.logs.len(),
        })
    );
    let success = matches!(out.status, quarry_vm::Status::Success);
    Ok(if success { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
