//! `quarry-lab`: run the lab's protocols under faults, sweep seeds, check Jepsen histories.
//!
//! Exit status: `run` and `sweep` exit 1 if a safety property was violated; `lincheck` exits
//! 0 (linearizable), 1 (not) or 2 (unknown: budget exhausted). Malformed command lines exit 2
//! (clap's usage error); any other error (a bad value, an unreadable file) prints a message
//! naming the bad value and exits 3.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use quarry_lab::adversary::Strategy;
use quarry_lab::check::jepsen;
use quarry_lab::check::lincheck_html;
use quarry_lab::check::linearizability::{self, KvModel, Linearizability, Model, RegisterModel};
use quarry_lab::harness::{ms, parse_latency, ProtocolEntry, RunConfig, RunReport};
use quarry_lab::registry::{lookup, PROTOCOLS};
use quarry_lab::sim::{parse_gst, parse_partitions};
use quarry_lab::sweep::sweep;

#[derive(Parser)]
#[command(name = "quarry-lab", version, about = "Quarry's consensus laboratory")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the protocols, their sources and fault models.
    List,
    /// Simulate one run and print decisions, metrics and checker verdicts.
    Run {
        /// Protocol name (see `list`).
        protocol: String,
        #[command(flatten)]
        faults: FaultArgs,
        /// Seed of every random stream; the same seed replays the same run.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Write the event trace as JSON lines to this file.
        #[arg(long)]
        trace: Option<PathBuf>,
    },
    /// Run many seeds in parallel and count property violations.
    Sweep {
        /// Protocol name (see `list`).
        protocol: String,
        #[command(flatten)]
        faults: FaultArgs,
        /// Number of seeds.
        #[arg(long, default_value_t = 1000)]
        seeds: u64,
        /// First seed (seeds are FIRST..FIRST+SEEDS).
        #[arg(long, default_value_t = 0)]
        first_seed: u64,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Check a Jepsen history (register or key-value) for linearizability.
    Lincheck {
        /// The history file: Jepsen/Porcupine log lines (tab- or whitespace-separated) or Jepsen
        /// EDN operation maps; the model (register or kv) follows from the functions used.
        file: PathBuf,
        /// Search steps per key before answering "unknown".
        #[arg(long, default_value_t = 20_000_000)]
        budget: u64,
        /// The file's layout: `log`, `edn` or `auto` (EDN if it starts with `{`, `[`, `(`, `#`).
        #[arg(long, default_value = "auto")]
        format: String,
        /// Also write a Porcupine-style HTML visualisation (timeline per client, longest
        /// linearizable prefix, where it fails) to this file.
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
    },
    /// Nakamoto consensus against its closed forms: double-spend races (Nakamoto 2008 §11) or,
    /// with --stale, the stale-block rate against 1 − e^(−d/T).
    Nakamoto(NakamotoArgs),
    /// Run every applicable protocol under one scenario; write report.md and SVG plots.
    Compare {
        /// Scenario: steady, crash-minority, partition-heal, byzantine-minority, beyond-bound.
        #[arg(long)]
        scenario: String,
        /// Directory for report.md and the plots (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// First seed; the report is a function of it.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Measure simulator throughput in events per second (token ring, no faults, no trace).
    Bench {
        /// Events to simulate.
        #[arg(long, default_value_t = 5_000_000)]
        events: u64,
        /// Processes on the ring.
        #[arg(long, default_value_t = 16)]
        n: usize,
        /// Tokens in flight.
        #[arg(long, default_value_t = 1024)]
        tokens: u64,
    },
}

/// Options of `quarry-lab nakamoto`.
#[derive(Args)]
struct NakamotoArgs {
    /// Attacker's share of the hash power q, in [0, 1) (double-spend mode).
    #[arg(long)]
    attacker_share: Option<f64>,
    /// Confirmations z the merchant waits for (double-spend mode).
    #[arg(long)]
    confirmations: Option<u32>,
    /// Races per model (double-spend mode).
    #[arg(long, default_value_t = 100_000)]
    trials: u64,
    /// What counts as the attacker winning: `catch-up` (the paper's event) or `overtake`.
    #[arg(long, default_value = "catch-up")]
    success: String,
    /// Measure the stale-block rate instead (needs --interval and --delay).
    #[arg(long)]
    stale: bool,
    /// Mean block interval T, seconds (stale mode).
    #[arg(long)]
    interval: Option<f64>,
    /// Block propagation delay d, seconds, the same for every message (stale mode).
    #[arg(long)]
    delay: Option<f64>,
    /// Miners of equal hash power (stale mode).
    #[arg(long, default_value_t = 20)]
    miners: usize,
    /// Blocks to simulate, about (stale mode).
    #[arg(long, default_value_t = 4_000)]
    blocks: u64,
    /// Seed of the races or of the network run.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// The run's options shared by `run` and `sweep`, grouped in `--help` as [`RunConfig`] groups
/// them: network, faults, adversary, workload. Times in milliseconds of simulated time.
#[derive(Args, Clone)]
struct FaultArgs {
    /// Number of processes (default: the protocol's own).
    #[arg(long)]
    n: Option<usize>,
    /// Number of processes that crash, chosen and timed by the seed.
    #[arg(long, default_value_t = 0, help_heading = "Faults")]
    crash: usize,
    /// Crashed processes recover after this many ms (crash-recovery); default: crash-stop.
    #[arg(long, help_heading = "Faults")]
    recover_after: Option<f64>,
    /// Crashes happen at a uniform time in [0, this) ms.
    #[arg(long, default_value_t = 50.0, help_heading = "Faults")]
    crash_window: f64,
    /// Probability that a message copy is lost, in [0, 1].
    #[arg(long, default_value_t = 0.0, help_heading = "Network")]
    loss: f64,
    /// Probability that a message is duplicated, in [0, 1].
    #[arg(long, default_value_t = 0.0, help_heading = "Network")]
    dup: f64,
    /// Probability that a message copy is held back so later ones overtake it, in [0, 1].
    #[arg(long, default_value_t = 0.0, help_heading = "Network")]
    reorder: f64,
    /// Partitions: `A|B@START-END` (two-way) or `A>B@START-END` (one-way), `;`-separated,
    /// groups like `0,1`, times in ms, `-END` optional (never heals). Example: `0,1|2,3,4@100-500`.
    #[arg(long, default_value = "none", help_heading = "Faults")]
    partition: String,
    /// Latency model: `const:MS`, `uniform:MIN-MAX`, `exp:MIN+MEAN` (ms) or `lognormal:MU,SIGMA`.
    #[arg(long, default_value = "uniform:1-10", help_heading = "Network")]
    latency: String,
    /// Partial synchrony (DLS 1988 §2): `GST_MS+DELTA_MS[/hold|/chaos]`. Before GST the network
    /// adversary holds every message back until GST (`hold`, default) or delays it arbitrarily
    /// (`chaos`); from GST on every message arrives within Δ. `none`: no GST (the `*-gst`
    /// protocols then use 500+10).
    #[arg(long, default_value = "none", help_heading = "Network")]
    gst: String,
    /// Maximum clock drift of each process's timers, as a fraction (0.01 = ±1 %).
    #[arg(long, default_value_t = 0.0, help_heading = "Faults")]
    drift: f64,
    /// Simulated-time budget of a run, ms.
    #[arg(long, default_value_t = 60_000.0)]
    time_limit: f64,
    /// Number of Byzantine processes, chosen by the seed (protocols marked `byzantine` in `list`).
    #[arg(long, default_value_t = 0, help_heading = "Adversary")]
    byzantine: usize,
    /// What the Byzantine processes do: silence, equivocate, delay, forge, replay, random.
    #[arg(long, default_value = "equivocate", help_heading = "Adversary")]
    strategy: String,
    /// Number of client requests, for protocols with an open-loop workload (SMR, EPaxos,
    /// Nakamoto, the Byzantine SMRs, the registers …); default: the protocol's own.
    #[arg(long, help_heading = "Workload")]
    requests: Option<usize>,
    /// Mean gap between client requests, ms; default: the protocol's own.
    #[arg(long, help_heading = "Workload")]
    request_gap: Option<f64>,
}

impl FaultArgs {
    /// Validate and turn into a [`RunConfig`]; errors name the bad value.
    fn to_config(&self, experiment: &ProtocolEntry, seed: u64) -> Result<RunConfig> {
        let n = self.n.unwrap_or(experiment.default_n);
        if n == 0 {
            bail!("--n must be at least 1, got 0");
        }
        if self.crash > n {
            bail!("--crash {} exceeds --n {n}", self.crash);
        }
        if self.byzantine > n {
            bail!("--byzantine {} exceeds --n {n}", self.byzantine);
        }
        if self.byzantine > 0 && !experiment.byzantine {
            let known: Vec<_> = PROTOCOLS.iter().filter(|e| e.byzantine).map(|e| e.name).collect();
            bail!(
                "--byzantine {}: protocol {:?} does not model Byzantine processes; these do: {}",
                self.byzantine,
                experiment.name,
                known.join(", ")
            );
        }
        let strategy = Strategy::parse(&self.strategy)?;
        for (name, p) in [("--loss", self.loss), ("--dup", self.dup), ("--reorder", self.reorder)] {
            if !(0.0..=1.0).contains(&p) {
                bail!("{name} must be a probability in [0, 1], got {p}");
            }
        }
        for (name, t) in [("--crash-window", self.crash_window), ("--time-limit", self.time_limit)]
        {
            if !t.is_finite() || t < 0.0 {
                bail!("{name} must be a non-negative number of ms, got {t}");
            }
        }
        if !(0.0..1.0).contains(&self.drift) {
            bail!("--drift must be in [0, 1), got {}", self.drift);
        }
        let mut config = RunConfig::new(n, seed);
        config.faults.crash = self.crash;
        config.faults.recover_after = match self.recover_after {
            Some(t) if !t.is_finite() || t < 0.0 => {
                bail!("--recover-after must be >= 0 ms, got {t}")
            }
            other => other.map(to_us),
        };
        config.faults.crash_window = to_us(self.crash_window);
        config.network.loss = self.loss;
        config.network.duplication = self.dup;
        config.network.reorder = self.reorder;
        config.network.latency = parse_latency(&self.latency).map_err(anyhow::Error::msg)?;
        config.faults.partitions = parse_partitions(&self.partition, n)?;
        config.network.gst = parse_gst(&self.gst)?;
        config.faults.clock_drift = self.drift;
        config.time_limit = to_us(self.time_limit);
        config.adversary.byzantine = self.byzantine;
        config.adversary.strategy = strategy;
        config.workload.requests = self.requests;
        config.workload.request_gap = match self.request_gap {
            Some(t) if !t.is_finite() || t <= 0.0 => {
                bail!("--request-gap must be a positive number of ms, got {t}")
            }
            other => other.map(to_us),
        };
        Ok(config)
    }
}

fn to_us(ms: f64) -> u64 {
    (ms * 1000.0) as u64
}

fn experiment(name: &str) -> Result<&'static ProtocolEntry> {
    lookup(name).with_context(|| {
        let known: Vec<_> = PROTOCOLS.iter().map(|e| e.name).collect();
        format!("unknown protocol {name:?}; known: {}", known.join(", "))
    })
}

fn main() -> ExitCode {
    restore_default_sigpipe();
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(3)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::List => {
            for e in PROTOCOLS {
                println!("{:<24} {}", e.name, e.described());
                let byzantine = if e.byzantine { "; byzantine" } else { "" };
                println!(
                    "{:<24} faults: {} (default n = {}{byzantine})",
                    "", e.fault_model, e.default_n
                );
            }
            println!("\nByzantine strategies (--byzantine K --strategy NAME):");
            for s in Strategy::ALL {
                println!("  {:<22} {}", s.name(), s.description());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Run { protocol, faults, seed, trace } => {
            let experiment = experiment(&protocol)?;
            let mut config = faults.to_config(experiment, seed)?;
            config.trace = trace.is_some();
            let report = experiment.run(&config);
            if let Some(path) = trace {
                write_trace(&path, &report)?;
            }
            print_report(experiment, &config, &report);
            Ok(if report.safety_violations().next().is_some() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Sweep { protocol, faults, seeds, first_seed, json } => {
            let experiment = experiment(&protocol)?;
            let base = faults.to_config(experiment, first_seed)?;
            let end =
                first_seed.checked_add(seeds).context("--first-seed + --seeds overflows u64")?;
            let bar = ProgressBar::new(seeds).with_style(
                ProgressStyle::with_template(
                    "{spinner} {bar:40} {pos}/{len} seeds {per_sec} eta {eta}",
                )
                .expect("valid template"),
            );
            let summary = sweep(experiment, &base, first_seed..end, || bar.inc(1));
            bar.finish_and_clear();
            if json {
                println!("{}", serde_json::to_string_pretty(&summary)?);
            } else {
                let byzantine = if base.adversary.byzantine > 0 {
                    format!(
                        ", byzantine = {} ({})",
                        base.adversary.byzantine,
                        base.adversary.strategy.name()
                    )
                } else {
                    String::new()
                };
                println!("{}: {} runs, n = {}{byzantine}", summary.protocol, summary.runs, base.n);
                println!(
                    "safety violations (runs): {}",
                    if summary.violations.is_empty() {
                        "none".into()
                    } else {
                        format!("{:?}", summary.violations)
                    }
                );
                println!(
                    "liveness failures (runs): {} {:?}",
                    summary.liveness_failures, summary.liveness_by_property
                );
                if let Some(seed) = summary.first_failing_seed {
                    println!("first failing seed: {seed}  (replay: quarry-lab run {} --seed {seed} <same fault options>)", summary.protocol);
                }
                if let Some(seed) = summary.first_liveness_failure_seed {
                    println!("first liveness failure seed: {seed}");
                }
            }
            Ok(if summary.unsafe_runs() { ExitCode::FAILURE } else { ExitCode::SUCCESS })
        }
        Command::Lincheck { file, budget, format, html } => {
            let format = match format.as_str() {
                "auto" => None,
                "log" => Some(jepsen::Format::Log),
                "edn" => Some(jepsen::Format::Edn),
                other => bail!("unknown --format {other:?}; known: auto, log, edn"),
            };
            let history = jepsen::read(&file, format)
                .with_context(|| format!("reading {}", file.display()))?;
            let check =
                Lincheck { file: &file, budget, html: html.as_deref(), keys: history.keys() };
            let code = match &history {
                jepsen::History::Register { ops, .. } => check.run(&RegisterModel, ops)?,
                jepsen::History::Kv { ops, .. } => check.run(&KvModel, ops)?,
            };
            Ok(ExitCode::from(code))
        }
        Command::Nakamoto(args) => nakamoto(&args),
        Command::Compare { scenario, out, seed } => {
            use quarry_lab::compare::{self, report};
            let Some(chosen) = compare::scenario(&scenario) else {
                let known: Vec<_> = compare::SCENARIOS.iter().map(|s| s.name).collect();
                bail!("unknown scenario {scenario:?}; known: {}", known.join(", "));
            };
            let comparison = report::compare(chosen, seed);
            report::write(&comparison, &out).map_err(anyhow::Error::msg)?;
            println!("{}", report::markdown(&comparison));
            println!("wrote {}", out.join("report.md").display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench { events, n, tokens } => {
            if n < 2 {
                bail!("--n must be at least 2 for a ring, got {n}");
            }
            let result = quarry_lab::bench::run_ring(n, tokens, events);
            println!(
                "{} events in {:.3} s: {:.2} M events/s (ring of {n}, {tokens} tokens)",
                result.events,
                result.elapsed.as_secs_f64(),
                result.events_per_second() / 1e6
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn nakamoto(args: &NakamotoArgs) -> Result<ExitCode> {
    use quarry_lab::protocols::nakamoto::analytic::{stale_rate, SuccessRule};
    use quarry_lab::protocols::nakamoto::race::{
        simulate_double_spend, DoubleSpendConfig, RaceModel,
    };
    use quarry_lab::protocols::nakamoto::stale_run;
    if args.stale {
        let (Some(interval), Some(delay)) = (args.interval, args.delay) else {
            bail!("--stale needs --interval SECONDS and --delay SECONDS");
        };
        if !interval.is_finite() || interval <= 0.0 {
            bail!("--interval must be a positive number of seconds, got {interval}");
        }
        if !delay.is_finite() || delay < 0.0 {
            bail!("--delay must be a non-negative number of seconds, got {delay}");
        }
        if args.miners < 2 {
            bail!("--miners must be at least 2, got {}", args.miners);
        }
        if args.blocks == 0 {
            bail!("--blocks must be at least 1, got 0");
        }
        let (t, d) = ((interval * 1e6) as u64, (delay * 1e6) as u64);
        let stats = stale_run(args.miners, t.max(1), d, args.blocks, args.seed);
        let analytic = stale_rate(delay, interval);
        let sigma = (stats.stale_rate * (1.0 - stats.stale_rate)
            / stats.mined_settled.max(1) as f64)
            .sqrt();
        if args.json {
            let out = serde_json::json!({
                "miners": args.miners, "interval_s": interval, "delay_s": delay,
                "seed": args.seed, "simulated": stats.stale_rate, "std_error": sigma,
                "analytic": analytic, "stale": stats.stale, "blocks": stats.mined_settled,
                "reorg_depths": stats.reorg_depths,
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
        } else {
            println!(
                "stale rate: {} equal miners, T = {interval} s, d = {delay} s (d/T = {:.4}), seed {}",
                args.miners,
                delay / interval,
                args.seed
            );
            println!(
                "  simulated {:.5} ± {sigma:.5} ({} stale of {} blocks at settled heights)",
                stats.stale_rate, stats.stale, stats.mined_settled
            );
            println!("  analytic  {analytic:.5}  (1 − e^(−d/T), Decker & Wattenhofer 2013 §V)");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let (Some(q), Some(z)) = (args.attacker_share, args.confirmations) else {
        bail!("nakamoto needs --attacker-share Q and --confirmations Z (or --stale)");
    };
    let rule = match args.success.as_str() {
        "catch-up" => SuccessRule::CatchUp,
        "overtake" => SuccessRule::Overtake,
        other => bail!("--success must be catch-up or overtake, got {other:?}"),
    };
    let run = |model| {
        simulate_double_spend(&DoubleSpendConfig {
            q,
            z,
            trials: args.trials,
            seed: args.seed,
            model,
            rule,
        })
    };
    let paper = run(RaceModel::Paper)?;
    let exact = run(RaceModel::Exact)?;
    if args.json {
        let out = serde_json::json!({ "paper_model": paper, "exact_race": exact });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "double spend: q = {q}, z = {z}, {} trials per model, seed {}, success = {}",
        args.trials, args.seed, args.success
    );
    println!(
        "  paper model (honest blocks take their expected time):  simulated {:.6} ± {:.6}   \
         Nakamoto 2008 §11: {:.7}   ({:.1} σ)",
        paper.probability,
        paper.std_error,
        paper.analytic,
        paper.sigmas()
    );
    println!(
        "  exact race (merchant waits for the z-th honest block): simulated {:.6} ± {:.6}   \
         exact (Rosenfeld 2014): {:.7}   ({:.1} σ)",
        exact.probability,
        exact.std_error,
        exact.analytic,
        exact.sigmas()
    );
    match paper.cutoff {
        Some(c) => println!("  a race is scored lost {c} blocks behind ((q/p)^{c} ≤ 1e-12)"),
        None => println!(
            "  q ≥ 1/2: no cutoff; undecided after 10^6 blocks: {} + {}",
            paper.undecided, exact.undecided
        ),
    }
    Ok(ExitCode::SUCCESS)
}

fn write_trace(path: &PathBuf, report: &RunReport) -> Result<()> {
    let file = std::fs::File::create(path)
        .with_context(|| format!("cannot create trace file {}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    for line in &report.trace {
        serde_json::to_writer(&mut out, line)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

fn print_report(experiment: &ProtocolEntry, config: &RunConfig, report: &RunReport) {
    println!("{} — {}", experiment.name, experiment.described());
    println!(
        "n = {}, seed = {}, crash = {}, byzantine = {}{}, loss = {}, dup = {}, reorder = {}, partitions = {}",
        config.n,
        config.seed,
        config.faults.crash,
        config.adversary.byzantine,
        if config.adversary.byzantine > 0 {
            format!(" {:?} ({})", config.adversary_plan().corrupted, config.adversary.strategy.name())
        } else {
            String::new()
        },
        config.network.loss,
        config.network.duplication,
        config.network.reorder,
        config.faults.partitions.len()
    );
    println!("\noutcomes:");
    for line in &report.outcomes {
        println!("  {line}");
    }
    let m = &report.metrics;
    println!("\nmetrics:");
    println!("  decisions               {}", report.decisions);
    println!(
        "  messages sent           {} ({} bytes), delivered {}, dropped {}",
        m.messages_sent, m.bytes_sent, m.messages_delivered, m.messages_dropped
    );
    println!("  messages per decision   {:.1}", report.messages_per_decision());
    println!("  bytes per decision      {:.1}", report.bytes_per_decision());
    println!(
        "  latency to decision     first {}, median {}, mean {}, p99 {}, max {}",
        ms(report.latency.first),
        ms(report.latency.median),
        ms(report.latency.mean),
        ms(report.latency.p99),
        ms(report.latency.max)
    );
    println!(
        "  throughput              {:.1} decisions per simulated second (first request to last decision)",
        report.throughput
    );
    println!("  simulated time          {}, {} events", ms(report.end_time), m.events);
    println!("\ncheckers:");
    for v in &report.verdicts {
        let kind = format!("{:?}", v.kind).to_lowercase();
        match &v.violation {
            None => println!("  {:<20} {kind:<9} ok", v.property),
            Some(why) => println!("  {:<20} {kind:<9} VIOLATED: {why}", v.property),
        }
    }
}

/// Rust ignores SIGPIPE, so `quarry-lab list | head` would end in a "Broken pipe" panic. A
/// command-line tool should stop quietly when its reader goes away, as `ls` does.
fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to its default before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// One `lincheck` invocation: check a parsed history against its model, print the verdict,
/// optionally write the HTML visualisation; the exit code is 0 / 1 / 2 (see the module doc).
struct Lincheck<'a> {
    file: &'a std::path::Path,
    budget: u64,
    html: Option<&'a std::path::Path>,
    keys: &'a [String],
}

impl Lincheck<'_> {
    fn run<M: Model>(&self, model: &M, ops: &[linearizability::OperationOf<M>]) -> Result<u8> {
        let (verdict, reports) = match self.html {
            Some(_) => {
                let reports = linearizability::analyze(model, ops, self.budget);
                (linearizability::verdict(&reports), reports)
            }
            None => (linearizability::check(model, ops, self.budget), Vec::new()),
        };
        let (text, code) = match verdict {
            Linearizability::Linearizable => ("linearizable".to_owned(), 0),
            Linearizability::NotLinearizable { key } => {
                let name = self.keys.get(key as usize).map_or("", String::as_str);
                let text = if name.is_empty() {
                    "not linearizable".to_owned()
                } else {
                    format!("not linearizable (key {name})")
                };
                (text, 1)
            }
            Linearizability::Unknown => {
                (format!("unknown (search budget of {} steps per key exhausted)", self.budget), 2)
            }
        };
        println!("{}: {} operations: {text}", self.file.display(), ops.len());
        if let Some(path) = self.html {
            let title = self.file.display().to_string();
            let page = lincheck_html::render(model, ops, &reports, self.keys, &title, &text);
            std::fs::write(path, page).with_context(|| format!("writing {}", path.display()))?;
            println!("wrote {}", path.display());
        }
        Ok(code)
    }
}
