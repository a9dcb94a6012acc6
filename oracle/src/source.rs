//! Sources: where a reporter observes a value. An HTTP(S) JSON document with an RFC 6901 JSON
//! pointer to the value, a file, or a command's standard output (plain decimal text, or JSON
//! with a pointer). Each fetch has a timeout; [`Source::observe`] retries with exponential
//! backoff; the value is scaled exactly to the feed's decimals ([`crate::decimal`]) and checked
//! against the source's `[min, max]`. A failure is a typed [`SourceError`], never a number.

use std::path::PathBuf;
use std::time::Duration;

use alloy_primitives::I256;
use serde_json::Value;

use crate::decimal::{self, DecimalError};

/// Why a source gave no value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// No complete answer within the source's timeout.
    #[error("timed out after {after:?}")]
    Timeout {
        /// The timeout.
        after: Duration,
    },
    /// The HTTP request failed before a status arrived (connection refused, DNS, TLS, …).
    #[error("request failed: {reason}")]
    Transport {
        /// The HTTP client's reason.
        reason: String,
    },
    /// The server answered with a non-2xx status.
    #[error("HTTP status {status}")]
    Http {
        /// The status code.
        status: u16,
    },
    /// The body is not JSON.
    #[error("invalid JSON: {reason}")]
    InvalidJson {
        /// The parser's reason.
        reason: String,
    },
    /// The JSON pointer names nothing in the document.
    #[error("JSON pointer {pointer:?} matches nothing")]
    MissingPointer {
        /// The pointer.
        pointer: String,
    },
    /// The value is not a decimal number (or a string holding one).
    #[error("value {value} is not a number")]
    NotANumber {
        /// The value as found (JSON text or the output's first 100 characters).
        value: String,
    },
    /// The number is outside the source's `[min, max]`, or beyond `int256` once scaled.
    #[error("value {value} is out of range [{min}, {max}]")]
    OutOfRange {
        /// The value, as decimal text.
        value: String,
        /// The lower bound, as decimal text.
        min: String,
        /// The upper bound, as decimal text.
        max: String,
    },
    /// A file source could not be read.
    #[error("cannot read {path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// The OS reason.
        reason: String,
    },
    /// A command source could not run or exited unsuccessfully.
    #[error("command {program:?} failed: {reason}")]
    Command {
        /// The program.
        program: String,
        /// Spawn error, or the exit status and the start of stderr.
        reason: String,
    },
}

/// Where the value comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceKind {
    /// GET this URL; the body is JSON.
    Http {
        /// `http://` or `https://` URL (https needs the `tls` feature).
        url: String,
    },
    /// Read this file.
    File {
        /// The file.
        path: PathBuf,
    },
    /// Run this program with these arguments (no shell) and read its standard output.
    Command {
        /// Program then arguments.
        argv: Vec<String>,
    },
}

/// A validated source, ready to observe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// Where the value comes from.
    pub kind: SourceKind,
    /// RFC 6901 JSON pointer to the value (required for HTTP; optional for file and command,
    /// whose whole output is then the decimal text).
    pub pointer: Option<String>,
    /// Per-attempt timeout.
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub retries: u32,
    /// Wait before the first retry; doubled before each next one.
    pub backoff: Duration,
    /// Smallest accepted value, scaled to the feed's decimals.
    pub min: Option<I256>,
    /// Largest accepted value, scaled to the feed's decimals.
    pub max: Option<I256>,
    /// The feed's decimals.
    pub decimals: u8,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            SourceKind::Http { url } => write!(f, "{url}")?,
            SourceKind::File { path } => write!(f, "file {}", path.display())?,
            SourceKind::Command { argv } => write!(f, "command {argv:?}")?,
        }
        match &self.pointer {
            Some(pointer) => write!(f, " {pointer}"),
            None => Ok(()),
        }
    }
}

fn transport(e: &reqwest::Error, timeout: Duration) -> SourceError {
    if e.is_timeout() {
        return SourceError::Timeout { after: timeout };
    }
    let mut reason = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        reason.push_str(": ");
        reason.push_str(&inner.to_string());
        source = inner.source();
    }
    SourceError::Transport { reason }
}

impl Source {
    /// One attempt: fetch, extract, scale, range-check.
    ///
    /// # Errors
    /// Any [`SourceError`].
    pub async fn fetch(&self, http: &reqwest::Client) -> Result<I256, SourceError> {
        let timeout = self.timeout;
        let text = match &self.kind {
            SourceKind::Http { url } => {
                let attempt = async {
                    let response = http
                        .get(url)
                        .timeout(timeout)
                        .send()
                        .await
                        .map_err(|e| transport(&e, timeout))?;
                    let status = response.status();
                    if !status.is_success() {
                        return Err(SourceError::Http { status: status.as_u16() });
                    }
                    response.text().await.map_err(|e| transport(&e, timeout))
                };
                tokio::time::timeout(timeout, attempt)
                    .await
                    .map_err(|_| SourceError::Timeout { after: timeout })??
            }
            SourceKind::File { path } => {
                tokio::time::timeout(timeout, tokio::fs::read_to_string(path))
                    .await
                    .map_err(|_| SourceError::Timeout { after: timeout })?
                    .map_err(|e| SourceError::File { path: path.clone(), reason: e.to_string() })?
            }
            SourceKind::Command { argv } => run_command(argv, timeout).await?,
        };
        self.extract(&text)
    }

    /// Pointer, number, scale and range applied to a fetched text.
    ///
    /// # Errors
    /// [`SourceError::InvalidJson`], [`SourceError::MissingPointer`],
    /// [`SourceError::NotANumber`], [`SourceError::OutOfRange`].
    pub fn extract(&self, text: &str) -> Result<I256, SourceError> {
        let number_text = match &self.pointer {
            Some(pointer) => {
                let json: Value = serde_json::from_str(text)
                    .map_err(|e| SourceError::InvalidJson { reason: e.to_string() })?;
                let value = json
                    .pointer(pointer)
                    .ok_or_else(|| SourceError::MissingPointer { pointer: pointer.clone() })?;
                match value {
                    Value::Number(n) => n.to_string(),
                    Value::String(s) => s.clone(),
                    other => return Err(SourceError::NotANumber { value: other.to_string() }),
                }
            }
            None => text.trim().to_string(),
        };
        let value = decimal::scale(&number_text, self.decimals).map_err(|e| match e {
            DecimalError::Syntax { .. } => {
                SourceError::NotANumber { value: number_text.chars().take(100).collect() }
            }
            DecimalError::Overflow { .. } => SourceError::OutOfRange {
                value: number_text.clone(),
                min: "int256 min".into(),
                max: "int256 max".into(),
            },
        })?;
        let below = self.min.is_some_and(|min| value < min);
        let above = self.max.is_some_and(|max| value > max);
        if below || above {
            let bound = |b: Option<I256>, none: &str| {
                b.map_or(none.to_string(), |b| decimal::format(b, self.decimals))
            };
            return Err(SourceError::OutOfRange {
                value: decimal::format(value, self.decimals),
                min: bound(self.min, "-inf"),
                max: bound(self.max, "+inf"),
            });
        }
        Ok(value)
    }

    /// Fetches with retries: `1 + retries` attempts, waiting `backoff`, `2 × backoff`, … between
    /// them; each failure is logged (`warn`) with its reason. Returns the last error if all fail.
    ///
    /// # Errors
    /// The last attempt's [`SourceError`].
    pub async fn observe(&self, http: &reqwest::Client) -> Result<I256, SourceError> {
        let mut wait = self.backoff;
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.fetch(http).await {
                Ok(value) => return Ok(value),
                Err(e) => {
                    tracing::warn!(source = %self, attempt, error = %e, "source failed");
                    if attempt > self.retries {
                        return Err(e);
                    }
                }
            }
            tokio::time::sleep(wait).await;
            wait = wait.saturating_mul(2);
        }
    }
}

async fn run_command(argv: &[String], timeout: Duration) -> Result<String, SourceError> {
    let program = argv.first().cloned().unwrap_or_default();
    let fail = |reason: String| SourceError::Command { program: program.clone(), reason };
    let child = tokio::process::Command::new(&program)
        .args(&argv[1..])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| fail(e.to_string()))?;
    let output = tokio::time::timeout(timeout, child.wait_with_output())
        .await
        .map_err(|_| SourceError::Timeout { after: timeout })?
        .map_err(|e| fail(e.to_string()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(fail(format!(
            "{}: {}",
            output.status,
            stderr.trim().chars().take(200).collect::<String>()
        )));
    }
    String::from_utf8(output.stdout).map_err(|_| fail("output is not UTF-8".into()))
}

/// The median of the values a reporter's sources gave: the middle of the sorted list, the lower
/// middle for an even count (always a value some source reported). `None` for no values.
pub fn median(mut values: Vec<I256>) -> Option<I256> {
    if values.is_empty() {
        return None;
    }
    values.sort();
    Some(values[(values.len() - 1) / 2])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    fn i(n: i128) -> I256 {
        I256::try_from(n).unwrap()
    }

    /// A one-route HTTP server on loopback answering every request with `status` and `body`
    /// (or never answering, for `status == 0`). Returns its URL.
    fn serve(status: u16, body: &'static str) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/price", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming() {
                let mut stream = stream.unwrap();
                let mut buf = [0u8; 2048];
                let _ = stream.read(&mut buf);
                if status == 0 {
                    held.push(stream); // keep the connection open, answer nothing
                    continue;
                }
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(reply.as_bytes());
            }
        });
        url
    }

    fn http_source(url: String, pointer: &str) -> Source {
        Source {
            kind: SourceKind::Http { url },
            pointer: Some(pointer.into()),
            timeout: Duration::from_millis(300),
            retries: 2,
            backoff: Duration::from_millis(10),
            min: Some(i(0)),
            max: Some(i(10_000_000_000_000)),
            decimals: 8,
        }
    }

    fn client() -> reqwest::Client {
        reqwest::Client::new()
    }

    #[tokio::test]
    async fn an_http_json_value_at_the_pointer_is_scaled_to_the_decimals() {
        let url = serve(200, r#"{"eth":{"usd":3012.34}}"#);
        assert_eq!(http_source(url, "/eth/usd").observe(&client()).await, Ok(i(301_234_000_000)));
        let url = serve(200, r#"{"eth":{"usd":"3012.123456789"}}"#);
        assert_eq!(http_source(url, "/eth/usd").observe(&client()).await, Ok(i(301_212_345_678)));
    }

    #[tokio::test]
    async fn each_http_failure_is_its_own_typed_error_after_the_retries() {
        let cases = [
            (serve(500, "oops"), "/eth/usd", SourceError::Http { status: 500 }),
            (
                serve(200, "{not json"),
                "/eth/usd",
                SourceError::InvalidJson {
                    reason: "key must be a string at line 1 column 2".into(),
                },
            ),
            (
                serve(200, r#"{"eth":{}}"#),
                "/eth/usd",
                SourceError::MissingPointer { pointer: "/eth/usd".into() },
            ),
            (
                serve(200, r#"{"eth":{"usd":true}}"#),
                "/eth/usd",
                SourceError::NotANumber { value: "true".into() },
            ),
            (
                serve(200, r#"{"eth":{"usd":-5}}"#),
                "/eth/usd",
                SourceError::OutOfRange {
                    value: "-5".into(),
                    min: "0".into(),
                    max: "100000".into(),
                },
            ),
            (serve(0, ""), "/eth/usd", SourceError::Timeout { after: Duration::from_millis(300) }),
        ];
        for (url, pointer, expected) in cases {
            assert_eq!(http_source(url, pointer).observe(&client()).await, Err(expected));
        }
    }

    #[tokio::test]
    async fn a_refused_connection_is_a_transport_error() {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let err = http_source(format!("http://127.0.0.1:{port}/"), "/x").observe(&client()).await;
        assert!(matches!(err, Err(SourceError::Transport { .. })), "{err:?}");
    }

    #[tokio::test]
    async fn file_and_command_sources_read_text_or_json() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("price.txt");
        std::fs::write(&path, "42.5\n").unwrap();
        let mut source = Source {
            kind: SourceKind::File { path: path.clone() },
            pointer: None,
            retries: 0,
            ..http_source(String::new(), "")
        };
        assert_eq!(source.observe(&client()).await, Ok(i(4_250_000_000)));
        source.kind = SourceKind::File { path: dir.path().join("absent") };
        assert!(matches!(source.observe(&client()).await, Err(SourceError::File { .. })));

        source.kind = SourceKind::Command { argv: vec!["echo".into(), r#"{"p": 7}"#.into()] };
        source.pointer = Some("/p".into());
        assert_eq!(source.observe(&client()).await, Ok(i(700_000_000)));
        source.kind = SourceKind::Command { argv: vec!["false".into()] };
        assert!(matches!(source.observe(&client()).await, Err(SourceError::Command { .. })));
        source.kind = SourceKind::Command { argv: vec!["sleep".into(), "5".into()] };
        assert_eq!(
            source.observe(&client()).await,
            Err(SourceError::Timeout { after: Duration::from_millis(300) })
        );
    }

    #[test]
    fn median_takes_the_middle_or_the_lower_middle() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![i(5), i(1), i(3)]), Some(i(3)));
        assert_eq!(median(vec![i(4), i(1), i(3), i(2)]), Some(i(2)));
    }
}
