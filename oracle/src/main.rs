//! `quarry-oracle`: the reporter daemon (`run`), contract deployment (`deploy`) and a feed's
//! status (`status`). See `docs/oracle.md`.

use std::path::PathBuf;
use std::time::Duration;

use alloy_primitives::{Address, TxKind};
use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use quarry_oracle::config::{Config, ReporterKey};
use quarry_oracle::contracts::{self, IQuarryAggregator};
use quarry_oracle::decimal;
use quarry_oracle::feed::{seconds, Feed};
use quarry_oracle::requests;
use quarry_oracle::state::StateFile;
use quarry_primitives::crypto::SecretKey;
use quarry_wallet::rpc::RpcClient;
use quarry_wallet::tx::Sender;
use serde_json::json;

/// Quarry's oracle: reporters that bring outside facts (prices, weather, scores) on chain.
///
/// A data feed is a QuarryAggregator contract with n reporters, tolerating f faulty ones
/// (n >= 3f + 1): each reporter runs `quarry-oracle run` with its own key and sources; a round
/// closes once 2f + 1 reporters have reported, with their median as the answer, readable through
/// Chainlink's AggregatorV3Interface (`latestRoundData`).
#[derive(Parser, Debug)]
#[command(name = "quarry-oracle", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run one reporter: observe its sources, report to its feeds, fulfil requests.
    Run {
        /// The reporter's config file (see docs/oracle.md, "Configuration reference").
        #[arg(long, value_name = "FILE", default_value = "oracle.toml")]
        config: PathBuf,
    },
    /// Deploy an oracle contract and print its address.
    #[command(subcommand)]
    Deploy(Deploy),
    /// Show a feed: its reporters and their last reports, the open round, recent answers.
    Status {
        /// The aggregator (else the first feed of --config).
        #[arg(long, value_name = "ADDR")]
        aggregator: Option<Address>,
        /// Read rpc_url and the aggregator from this config file.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// JSON-RPC endpoint (default: the config's, else http://127.0.0.1:8545).
        #[arg(long, env = "QUARRY_RPC_URL")]
        rpc_url: Option<String>,
        /// How many recent closed rounds to list.
        #[arg(long, default_value_t = 5)]
        rounds: u64,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
enum Deploy {
    /// A QuarryAggregator data feed for a reporter set.
    Aggregator {
        /// The reporters' addresses, comma-separated (n of them, n >= 3f + 1).
        #[arg(long, value_delimiter = ',', required = true)]
        reporters: Vec<Address>,
        /// Faulty reporters tolerated; a round closes at 2f + 1 reports.
        #[arg(long)]
        f: u64,
        /// Digits after the decimal point of every answer.
        #[arg(long, default_value_t = 8)]
        decimals: u8,
        /// What the feed reports, e.g. "ETH / USD".
        #[arg(long)]
        description: String,
        #[command(flatten)]
        common: DeployArgs,
    },
    /// A QuarryOracle (request-response) whose fulfilments only these reporters may send.
    Oracle {
        /// The reporters' addresses, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        reporters: Vec<Address>,
        #[command(flatten)]
        common: DeployArgs,
    },
}

#[derive(Args, Debug)]
struct DeployArgs {
    /// JSON-RPC endpoint of the node.
    #[arg(long, env = "QUARRY_RPC_URL", default_value = "http://127.0.0.1:8545")]
    rpc_url: String,
    /// Deployer's v3 keystore file.
    #[arg(long, value_name = "FILE", requires = "password_file", conflicts_with = "dev_account")]
    keystore: Option<PathBuf>,
    /// File whose first line is the keystore's password.
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
    /// Deploy from dev mnemonic account N (dev chains only).
    #[arg(long, value_name = "N")]
    dev_account: Option<u32>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

fn load_key(key: &ReporterKey) -> Result<SecretKey> {
    match (&key.keystore, &key.password_file, key.dev_account) {
        (_, _, Some(n)) => Ok(quarry_wallet::dev::dev_key(n)),
        (Some(keystore), Some(password_file), None) => {
            let password = std::fs::read_to_string(password_file).with_context(|| {
                format!("cannot read password file {}", password_file.display())
            })?;
            let password = password.lines().next().unwrap_or("");
            let file = quarry_wallet::keydir::load(keystore)?;
            file.keystore
                .decrypt(password.as_bytes())
                .with_context(|| format!("cannot decrypt {}", keystore.display()))
        }
        _ => anyhow::bail!("give --keystore with --password-file, or --dev-account"),
    }
}

fn client(url: &str) -> Result<RpcClient> {
    Ok(RpcClient::new(url, Duration::from_secs(15))?)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run { config } => run(&config).await,
        Command::Deploy(deploy) => deploy_contract(deploy).await,
        Command::Status { aggregator, config, rpc_url, rounds, json } => {
            status(aggregator, config, rpc_url, rounds, json).await
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(config_path: &std::path::Path) -> Result<()> {
    let config = Config::load(config_path)?;
    let key = load_key(&config.reporter)?;
    let client = client(&config.rpc_url)?;
    let sender = Sender { client: &client, key: &key };
    let me = sender.address();
    let http = reqwest::Client::builder().build().context("HTTP client")?;
    let mut state = StateFile::open(&config.data_dir)?;
    tracing::info!(reporter = %me, rpc = %config.rpc_url, feeds = config.feeds.len(), "reporter starting");
    let mut feeds: Vec<Option<Feed>> = config.feeds.iter().map(|_| None).collect();
    loop {
        for (slot, feed_config) in feeds.iter_mut().zip(&config.feeds) {
            if slot.is_none() {
                match Feed::connect(feed_config, &client, me).await {
                    Ok(feed) => {
                        tracing::info!(feed = %feed.name, aggregator = %feed.aggregator, decimals = feed.decimals, "feed connected");
                        *slot = Some(feed);
                    }
                    Err(e) => {
                        tracing::warn!(feed = %feed_config.name, error = %format!("{e:#}"), "cannot connect feed; retrying")
                    }
                }
            }
            if let Some(feed) = slot {
                if let Err(e) = feed.step(&sender, &http, &mut state).await {
                    tracing::warn!(feed = %feed.name, error = %e, "feed step failed; retrying next tick");
                }
            }
        }
        if let Some(requests_config) = &config.requests {
            if let Err(e) = requests::step(requests_config, &sender, &http, &mut state).await {
                tracing::warn!(error = %e, "request scan failed; retrying next tick");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(config.poll_interval) => {}
            _ = tokio::signal::ctrl_c() => {
                tracing::info!("interrupted; stopping");
                return Ok(());
            }
        }
    }
}

async fn deploy_contract(deploy: Deploy) -> Result<()> {
    let (kind, initcode, common) = match deploy {
        Deploy::Aggregator { reporters, f, decimals, description, common } => {
            let n = reporters.len() as u64;
            anyhow::ensure!(
                n > 3 * f,
                "{n} reporters cannot tolerate f = {f}: need n >= 3f + 1 = {}",
                3 * f + 1
            );
            (
                "aggregator",
                contracts::aggregator_initcode(&reporters, f, decimals, &description),
                common,
            )
        }
        Deploy::Oracle { reporters, common } => {
            ("oracle", contracts::oracle_initcode(&reporters), common)
        }
    };
    let key = load_key(&ReporterKey {
        keystore: common.keystore.clone(),
        password_file: common.password_file.clone(),
        dev_account: common.dev_account,
    })?;
    let client = client(&common.rpc_url)?;
    let sender = Sender { client: &client, key: &key };
    let receipt = contracts::send(&sender, TxKind::Create, initcode, Duration::from_secs(120))
        .await
        .with_context(|| format!("deploying the {kind}"))?;
    let address = receipt.contract_address.context("the receipt has no contract address")?;
    if common.json {
        println!(
            "{}",
            json!({"contract": kind, "address": address, "transactionHash": receipt.transaction_hash,
                   "blockNumber": receipt.block_number.to::<u64>()})
        );
    } else {
        println!("{kind} deployed at {address} (block {})", receipt.block_number);
    }
    Ok(())
}

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

async fn status(
    aggregator: Option<Address>,
    config: Option<PathBuf>,
    rpc_url: Option<String>,
    rounds: u64,
    json_out: bool,
) -> Result<()> {
    let config = config.map(|path| Config::load(&path)).transpose()?;
    let at = aggregator
        .or_else(|| config.as_ref().and_then(|c| c.feeds.first().map(|f| f.aggregator)))
        .context("give --aggregator, or --config with a [[feeds]] entry")?;
    let url = rpc_url
        .or_else(|| config.as_ref().map(|c| c.rpc_url.clone()))
        .unwrap_or_else(|| "http://127.0.0.1:8545".into());
    let client = client(&url)?;
    use IQuarryAggregator as A;
    let description = contracts::view(&client, at, A::descriptionCall {})
        .await
        .with_context(|| format!("{at} does not answer as a QuarryAggregator"))?;
    let decimals = contracts::view(&client, at, A::decimalsCall {}).await?;
    let version = contracts::view(&client, at, A::versionCall {}).await?;
    let f = contracts::view(&client, at, A::fCall {}).await?;
    let quorum = contracts::view(&client, at, A::quorumCall {}).await?;
    let reporter_set = contracts::view(&client, at, A::reportersCall {}).await?;
    let open = contracts::view(&client, at, A::openRoundStateCall {}).await?;
    let latest: u64 = open.roundId.to::<u64>() - 1;
    let fmt = |v| decimal::format(v, decimals);
    let mut round_list = Vec::new();
    for round in (latest.saturating_sub(rounds.saturating_sub(1)).max(1)..=latest).rev() {
        let r = contracts::view(
            &client,
            at,
            A::getRoundDataCall { _roundId: alloy_primitives::Uint::from(round) },
        )
        .await?;
        round_list.push(json!({
            "roundId": round, "answer": r.answer.to_string(), "value": fmt(r.answer),
            "startedAt": seconds(r.startedAt), "updatedAt": seconds(r.updatedAt),
            "answeredInRound": r.answeredInRound.to::<u64>(),
        }));
    }
    let mut reporters = Vec::new();
    for reporter in &reporter_set {
        let last = contracts::view(&client, at, A::lastReportCall { reporter: *reporter }).await?;
        reporters.push(json!({
            "address": reporter, "lastRound": last.roundId.to::<u64>(),
            "lastAnswer": last.answer.to_string(), "lastValue": fmt(last.answer),
            "lastTimestamp": seconds(last.timestamp),
        }));
    }
    let report = json!({
        "aggregator": at, "description": description, "decimals": decimals,
        "version": version.to::<u64>(), "f": f.to::<u64>(), "quorum": quorum.to::<u64>(),
        "latestRound": latest,
        "openRound": {"roundId": open.roundId.to::<u64>(), "reports": open.reports.to::<u64>(),
                      "startedAt": seconds(open.startedAt)},
        "rounds": round_list, "reporters": reporters, "now": unix_now(),
    });
    if json_out {
        println!("{report}");
        return Ok(());
    }
    let now = unix_now();
    let ago = |t: u64| {
        if t == 0 {
            "never".to_string()
        } else {
            format!("{}s ago", now.saturating_sub(t))
        }
    };
    println!(
        "{description} at {at}: decimals {decimals}, version {version}, {} reporters, f = {f}, quorum {quorum}",
        reporter_set.len()
    );
    println!("open round {}: {} of {quorum} reports", open.roundId, open.reports);
    if round_list.is_empty() {
        println!("no round has closed yet (latestRoundData reverts NoDataPresent)");
    }
    for r in &round_list {
        println!(
            "round {:>5}: {:>20}  updated {}",
            r["roundId"],
            r["value"].as_str().unwrap_or(""),
            ago(r["updatedAt"].as_u64().unwrap_or(0))
        );
    }
    for r in &reporters {
        let round = r["lastRound"].as_u64().unwrap_or(0);
        if round == 0 {
            println!("reporter {}: no report yet", r["address"].as_str().unwrap_or(""));
        } else {
            println!(
                "reporter {}: round {round}, {}, {}",
                r["address"].as_str().unwrap_or(""),
                r["lastValue"].as_str().unwrap_or(""),
                ago(r["lastTimestamp"].as_u64().unwrap_or(0))
            );
        }
    }
    Ok(())
}
