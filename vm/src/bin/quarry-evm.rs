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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Txtest { paths, verbose } => txtest(&paths, verbose),
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
