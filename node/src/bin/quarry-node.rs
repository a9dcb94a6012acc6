//! `quarry-node`: the Quarry node binary. Today it measures the miner (`bench mine`); `run`,
//! `init` and `testnet` arrive with the node issues.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use quarry_node::miner::bench::bench_mine;
use quarry_node::miner::Kernel;

#[derive(Parser)]
#[command(name = "quarry-node", version, about = "Quarry proof-of-work node")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        what: Bench,
    },
}

#[derive(Subcommand)]
enum Bench {
    /// Hash rate of the SHA-256d nonce search, per kernel and thread count.
    Mine {
        /// Threads to mine on.
        #[arg(long, default_value_t = 1)]
        threads: usize,
        /// Seconds to measure each kernel.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        /// Kernel to measure; default: every kernel this CPU supports.
        #[arg(long, value_enum)]
        kernel: Option<KernelArg>,
        /// Print one JSON object per kernel instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum KernelArg {
    Portable,
    ShaNi,
    Avx2,
    Avx2x2,
    Avx512,
    Avx512x2,
}

impl From<KernelArg> for Kernel {
    fn from(k: KernelArg) -> Kernel {
        match k {
            KernelArg::Portable => Kernel::Portable,
            KernelArg::ShaNi => Kernel::ShaNi,
            KernelArg::Avx2 => Kernel::Avx2,
            KernelArg::Avx2x2 => Kernel::Avx2x2,
            KernelArg::Avx512 => Kernel::Avx512,
            KernelArg::Avx512x2 => Kernel::Avx512x2,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Bench { what: Bench::Mine { threads, seconds, kernel, json } } => {
            bench(threads, seconds, kernel.map(Kernel::from), json)
        }
    }
}

fn bench(threads: usize, seconds: u64, kernel: Option<Kernel>, json: bool) -> ExitCode {
    let kernels: Vec<Kernel> = match kernel {
        Some(k) if !k.available() => {
            eprintln!("quarry-node: kernel {} is not supported by this CPU", k.name());
            return ExitCode::from(2);
        }
        Some(k) => vec![k],
        None => Kernel::ALL.into_iter().filter(|k| k.available()).collect(),
    };
    if !json {
        println!(
            "{:<10} {:>7} {:>14} {:>16}",
            "kernel", "threads", "MH/s total", "MH/s per thread"
        );
    }
    for kernel in kernels {
        let bar = ProgressBar::new(seconds * 10);
        bar.set_style(
            ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len}")
                .expect("static template")
                .progress_chars("=> "),
        );
        bar.set_message(kernel.name());
        let report = bench_mine(kernel, threads, Duration::from_secs(seconds), |_| bar.inc(1));
        bar.finish_and_clear();
        if json {
            println!("{}", serde_json::to_string(&report).expect("serialisable"));
        } else {
            println!(
                "{:<10} {:>7} {:>14.2} {:>16.2}",
                report.kernel,
                report.threads,
                report.hashes_per_second / 1e6,
                report.hashes_per_second_per_thread / 1e6
            );
        }
    }
    ExitCode::SUCCESS
}
