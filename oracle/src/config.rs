//! `oracle.toml`: one reporter (its key), the node's RPC URL, the feeds it reports to and, if
//! any, the request-response oracle it serves. Durations are humantime text (`"2s"`, `"500ms"`,
//! `"1m"`); relative paths are relative to the config file's directory. See `docs/oracle.md`
//! ("Configuration reference") for a complete example.

use std::path::{Path, PathBuf};
use std::time::Duration;

use alloy_primitives::{Address, I256};
use serde::{Deserialize, Deserializer};

use crate::decimal;
use crate::source::{Source, SourceKind};

/// Why a config file is refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The TOML does not parse or has a wrong field.
    #[error("{path}: {reason}")]
    Toml {
        /// The file.
        path: PathBuf,
        /// The parser's message (line, column, field).
        reason: String,
    },
    /// A value parses but makes no sense.
    #[error("{path}: {what}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the field and value.
        what: String,
    },
}

fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    humantime::parse_duration(&text)
        .map_err(|e| serde::de::Error::custom(format!("invalid duration {text:?}: {e}")))
}

fn default_poll() -> Duration {
    Duration::from_secs(5)
}
fn default_heartbeat() -> Duration {
    Duration::from_secs(60)
}
fn default_deviation() -> f64 {
    0.5
}
fn default_timeout() -> Duration {
    Duration::from_secs(5)
}
fn default_retries() -> u32 {
    3
}
fn default_backoff() -> Duration {
    Duration::from_millis(500)
}

/// The whole file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The node's JSON-RPC URL, e.g. `http://127.0.0.1:8545`.
    pub rpc_url: String,
    /// Where the reporter keeps its state (`state.json`: the last round reported per feed, the
    /// next block to scan for requests).
    pub data_dir: PathBuf,
    /// How often the daemon wakes up to observe and decide (default `5s`).
    #[serde(default = "default_poll", deserialize_with = "duration")]
    pub poll_interval: Duration,
    /// The reporter's key.
    pub reporter: ReporterKey,
    /// Push-model feeds this reporter reports to.
    #[serde(default)]
    pub feeds: Vec<FeedConfig>,
    /// The request-response oracle this reporter serves, if any.
    #[serde(default)]
    pub requests: Option<RequestsConfig>,
}

/// Which key signs the reporter's transactions: a v3 keystore file and its password file, or
/// (dev chains only) an account of the dev mnemonic.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReporterKey {
    /// A Web3 Secret Storage v3 file (`quarry-wallet new`/`import` write them).
    #[serde(default)]
    pub keystore: Option<PathBuf>,
    /// A file whose first line is the keystore's password.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// Dev mnemonic account N (`m/44'/60'/0'/0/N`); for dev chains only.
    #[serde(default)]
    pub dev_account: Option<u32>,
}

/// One data feed.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedConfig {
    /// A name for logs, e.g. `"ETH/USD"`.
    pub name: String,
    /// The QuarryAggregator's address.
    pub aggregator: Address,
    /// Start a new round when the latest answer is at least this old (default `60s`).
    #[serde(default = "default_heartbeat", deserialize_with = "duration")]
    pub heartbeat: Duration,
    /// Start a new round when the observation moved at least this many percent away from the
    /// latest answer (default `0.5`).
    #[serde(default = "default_deviation")]
    pub deviation_percent: f64,
    /// The sources; the reporter's observation is their median (lower middle for an even
    /// count), over the sources that answered.
    pub sources: Vec<SourceConfig>,
}

/// One source as written in the file; exactly one of `http`, `file`, `command`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// URL of a JSON document.
    #[serde(default)]
    pub http: Option<String>,
    /// A file holding the value (decimal text, or JSON with `pointer`).
    #[serde(default)]
    pub file: Option<PathBuf>,
    /// A program and its arguments (no shell); its stdout holds the value.
    #[serde(default)]
    pub command: Option<Vec<String>>,
    /// RFC 6901 JSON pointer to the value (required for `http`).
    #[serde(default)]
    pub pointer: Option<String>,
    /// Per-attempt timeout (default `5s`).
    #[serde(default = "default_timeout", deserialize_with = "duration")]
    pub timeout: Duration,
    /// Retries after the first attempt (default 3).
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// First retry delay, doubled each retry (default `500ms`).
    #[serde(default = "default_backoff", deserialize_with = "duration")]
    pub backoff: Duration,
    /// Smallest plausible value, decimal text (e.g. `"0"`).
    #[serde(default)]
    pub min: Option<String>,
    /// Largest plausible value, decimal text.
    #[serde(default)]
    pub max: Option<String>,
}

/// The request-response oracle to serve.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestsConfig {
    /// The QuarryOracle's address.
    pub oracle: Address,
    /// First block to scan for `OracleRequest` logs when the state file has none (default 0).
    #[serde(default)]
    pub from_block: u64,
    /// Per-attempt timeout of a request's HTTP fetch (default `5s`).
    #[serde(default = "default_timeout", deserialize_with = "duration")]
    pub timeout: Duration,
    /// Retries of a request's fetch (default 3).
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// First retry delay (default `500ms`).
    #[serde(default = "default_backoff", deserialize_with = "duration")]
    pub backoff: Duration,
}

impl Config {
    /// Reads and validates `path`; relative paths inside become relative to its directory.
    ///
    /// # Errors
    /// [`ConfigError`] naming the file and the bad field or value.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Io { path: path.to_path_buf(), source })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Config::parse(&text, base).map_err(|e| match e {
            ConfigError::Toml { reason, .. } => ConfigError::Toml { path: path.into(), reason },
            ConfigError::Invalid { what, .. } => ConfigError::Invalid { path: path.into(), what },
            other => other,
        })
    }

    /// Parses config text; relative paths are joined to `base`.
    ///
    /// # Errors
    /// [`ConfigError::Toml`] or [`ConfigError::Invalid`] (with an empty path).
    pub fn parse(text: &str, base: &Path) -> Result<Config, ConfigError> {
        let invalid = |what: String| ConfigError::Invalid { path: PathBuf::new(), what };
        let mut config: Config = toml::from_str(text)
            .map_err(|e| ConfigError::Toml { path: PathBuf::new(), reason: e.to_string() })?;
        let rebase = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        rebase(&mut config.data_dir);
        let key = &mut config.reporter;
        match (&mut key.keystore, &mut key.password_file, key.dev_account) {
            (Some(keystore), Some(password), None) => {
                rebase(keystore);
                rebase(password);
            }
            (None, None, Some(_)) => {}
            _ => {
                return Err(invalid(
                    "[reporter] needs keystore + password_file, or dev_account (dev chains only)"
                        .into(),
                ))
            }
        }
        if config.feeds.is_empty() && config.requests.is_none() {
            return Err(invalid("nothing to do: no [[feeds]] and no [requests]".into()));
        }
        for feed in &mut config.feeds {
            if feed.sources.is_empty() {
                return Err(invalid(format!("feed {:?} has no sources", feed.name)));
            }
            if !(feed.deviation_percent.is_finite() && feed.deviation_percent > 0.0) {
                return Err(invalid(format!(
                    "feed {:?}: deviation_percent must be > 0, not {}",
                    feed.name, feed.deviation_percent
                )));
            }
            for source in &mut feed.sources {
                if let Some(file) = &mut source.file {
                    rebase(file);
                }
                // Validate now (with 0 decimals) so a bad source fails at startup.
                source
                    .to_source(0)
                    .map_err(|what| invalid(format!("feed {:?}: {what}", feed.name)))?;
            }
        }
        Ok(config)
    }
}

impl SourceConfig {
    /// The runnable source for a feed with `decimals`.
    ///
    /// # Errors
    /// A message naming the bad field: not exactly one kind, HTTP without a pointer, an empty
    /// command, a pointer not starting with `/`, `min`/`max` not decimal or `min > max`.
    pub fn to_source(&self, decimals: u8) -> Result<Source, String> {
        let kind = match (&self.http, &self.file, &self.command) {
            (Some(url), None, None) => {
                if self.pointer.is_none() {
                    return Err(format!("http source {url} needs a pointer"));
                }
                SourceKind::Http { url: url.clone() }
            }
            (None, Some(path), None) => SourceKind::File { path: path.clone() },
            (None, None, Some(argv)) if !argv.is_empty() => {
                SourceKind::Command { argv: argv.clone() }
            }
            (None, None, Some(_)) => return Err("command source has an empty command".into()),
            _ => return Err("a source has exactly one of http, file, command".into()),
        };
        if let Some(pointer) = &self.pointer {
            if !pointer.is_empty() && !pointer.starts_with('/') {
                return Err(format!(
                    "pointer {pointer:?} must be empty or start with '/' (RFC 6901)"
                ));
            }
        }
        let bound = |text: &Option<String>, name: &str| -> Result<Option<I256>, String> {
            text.as_deref()
                .map(|t| decimal::scale(t, decimals).map_err(|e| format!("{name}: {e}")))
                .transpose()
        };
        let min = bound(&self.min, "min")?;
        let max = bound(&self.max, "max")?;
        if let (Some(lo), Some(hi)) = (min, max) {
            if lo > hi {
                return Err(format!("min {:?} is above max {:?}", self.min, self.max));
            }
        }
        Ok(Source {
            kind,
            pointer: self.pointer.clone(),
            timeout: self.timeout,
            retries: self.retries,
            backoff: self.backoff,
            min,
            max,
            decimals,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
rpc_url = "http://127.0.0.1:8545"
data_dir = "r1-data"
poll_interval = "1s"

[reporter]
keystore = "keys/r1.json"
password_file = "keys/r1.pass"

[[feeds]]
name = "ETH/USD"
aggregator = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
heartbeat = "30s"
deviation_percent = 1.0

[[feeds.sources]]
http = "http://127.0.0.1:8080/price"
pointer = "/eth/usd"
timeout = "2s"
retries = 2
backoff = "100ms"
min = "1"
max = "1000000"

[[feeds.sources]]
file = "price.txt"

[requests]
oracle = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
from_block = 3
"#;

    #[test]
    fn the_documented_example_parses_with_paths_relative_to_the_file() {
        let config = Config::parse(EXAMPLE, Path::new("/etc/oracle")).unwrap();
        assert_eq!(config.data_dir, Path::new("/etc/oracle/r1-data"));
        assert_eq!(config.poll_interval, Duration::from_secs(1));
        assert_eq!(
            config.reporter.keystore.as_deref(),
            Some(Path::new("/etc/oracle/keys/r1.json"))
        );
        let feed = &config.feeds[0];
        assert_eq!(feed.heartbeat, Duration::from_secs(30));
        let http = feed.sources[0].to_source(8).unwrap();
        assert_eq!(http.timeout, Duration::from_secs(2));
        assert_eq!(http.backoff, Duration::from_millis(100));
        assert_eq!(http.min, Some(I256::try_from(100_000_000).unwrap()));
        let file = feed.sources[1].to_source(8).unwrap();
        assert_eq!(file.kind, SourceKind::File { path: "/etc/oracle/price.txt".into() });
        assert_eq!((file.retries, file.timeout), (3, Duration::from_secs(5)), "defaults");
        assert_eq!(config.requests.unwrap().from_block, 3);
    }

    #[test]
    fn bad_configs_are_refused_naming_the_problem() {
        let cases = [
            (EXAMPLE.replace("keystore = \"keys/r1.json\"\n", ""), "keystore + password_file"),
            (EXAMPLE.replace("pointer = \"/eth/usd\"\n", ""), "needs a pointer"),
            (EXAMPLE.replace("\"/eth/usd\"", "\"eth/usd\""), "start with '/'"),
            (EXAMPLE.replace("min = \"1\"", "min = \"one\""), "min: \"one\" is not a decimal"),
            (EXAMPLE.replace("min = \"1\"", "min = \"5000000\""), "above max"),
            (
                EXAMPLE.replace("file = \"price.txt\"", "file = \"a\"\ncommand = [\"b\"]"),
                "exactly one",
            ),
            (EXAMPLE.replace("\"30s\"", "\"soon\""), "invalid duration \"soon\""),
            (
                EXAMPLE.replace("deviation_percent = 1.0", "deviation_percent = 0.0"),
                "deviation_percent",
            ),
            (EXAMPLE.replace("rpc_url", "rpc_uri"), "rpc_uri"),
        ];
        for (text, expected) in cases {
            let err = Config::parse(&text, Path::new(".")).unwrap_err().to_string();
            assert!(err.contains(expected), "expected {expected:?} in: {err}");
        }
    }
}
