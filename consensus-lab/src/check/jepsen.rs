//! Reader for Jepsen register histories as published with Porcupine (Jepsen's etcd test):
//! one event per line, `INFO  jepsen.util - <process>\t<type>\t<f>\t<value>`, where type is
//! `:invoke`, `:ok`, `:fail` or `:info`, f is `:read`, `:write` or `:cas`. See
//! `../shared/lincheck/README.md`.
//!
//! Mapping (the same as Porcupine's `parseJepsenLog`): times are line numbers; `:ok` returns the
//! value read / `Written` / `Cas(true)`; `:fail` on a cas returns `Cas(false)` (the compare failed);
//! `:info` leaves the operation pending forever with output `Unknown`. A `:fail` read or write
//! definitely did not happen and is dropped.

use std::collections::BTreeMap;
use std::path::Path;

use super::linearizability::{Operation, RegisterInput, RegisterOp, RegisterOutput};

/// A history line that does not parse, with its 1-based line number.
#[derive(Debug, thiserror::Error)]
pub enum JepsenError {
    /// The line does not have four tab-separated fields after `jepsen.util - `.
    #[error("line {line}: expected `<process>\\t<type>\\t<f>\\t<value>`, got {text:?}")]
    Shape {
        /// Line number.
        line: usize,
        /// The line.
        text: String,
    },
    /// A process id, value or `[from to]` pair is not a number.
    #[error("line {line}: bad value {value:?}")]
    Value {
        /// Line number.
        line: usize,
        /// The offending field.
        value: String,
    },
    /// A completion for a process with no pending invocation, or an unknown type/f.
    #[error("line {line}: {what}")]
    Event {
        /// Line number.
        line: usize,
        /// What was wrong.
        what: String,
    },
    /// The file could not be read.
    #[error("cannot read {path}")]
    Io {
        /// The path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// A register operation as the linearizability checker takes it.
pub type RegisterOperation = Operation<RegisterInput, RegisterOutput>;

/// Read and parse the history file at `path`.
///
/// # Errors
/// [`JepsenError::Io`] if unreadable, otherwise as [`parse`].
pub fn read(path: &Path) -> Result<Vec<RegisterOperation>, JepsenError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| JepsenError::Io { path: path.display().to_string(), source })?;
    parse(&text)
}

/// Parse a whole history into operations (pending ones have `ret = None`).
///
/// # Errors
/// The first malformed line, by number.
pub fn parse(text: &str) -> Result<Vec<RegisterOperation>, JepsenError> {
    let mut ops: Vec<Option<RegisterOperation>> = Vec::new();
    let mut pending: BTreeMap<u64, usize> = BTreeMap::new();
    for (i, raw) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let line = i + 1;
        let body = raw.split_once("jepsen.util - ").map_or(raw, |(_, b)| b);
        let fields: Vec<&str> = body.split('\t').map(str::trim).collect();
        let [process, kind, f, value] = fields[..] else {
            return Err(JepsenError::Shape { line, text: raw.to_owned() });
        };
        let client = number(process, line)? as u64;
        let time = line as u64;
        if kind == ":invoke" {
            let op = match f {
                ":read" => RegisterOp::Read,
                ":write" => RegisterOp::Write(number(value, line)?),
                ":cas" => {
                    let (from, to) = pair(value, line)?;
                    RegisterOp::Cas { from, to }
                }
                other => {
                    return Err(JepsenError::Event {
                        line,
                        what: format!("unknown function {other:?}"),
                    })
                }
            };
            let input = RegisterInput { key: 0, op };
            pending.insert(client, ops.len());
            ops.push(Some(Operation {
                client,
                input,
                output: RegisterOutput::Unknown,
                call: time,
                ret: None,
            }));
            continue;
        }
        let index = pending.remove(&client).ok_or_else(|| JepsenError::Event {
            line,
            what: format!("{kind} for process {client}, which has no pending invocation"),
        })?;
        let op = ops[index].as_mut().expect("pending operations are present");
        match (kind, op.input.op) {
            (":info", _) => {} // stays pending forever, output Unknown
            (":ok", RegisterOp::Read) => {
                let read = if value == "nil" { None } else { Some(number(value, line)?) };
                (op.output, op.ret) = (RegisterOutput::Read(read), Some(time));
            }
            (":ok", RegisterOp::Write(_)) => {
                (op.output, op.ret) = (RegisterOutput::Written, Some(time))
            }
            (":ok", RegisterOp::Cas { .. }) => {
                (op.output, op.ret) = (RegisterOutput::Cas(true), Some(time))
            }
            (":fail", RegisterOp::Cas { .. }) => {
                (op.output, op.ret) = (RegisterOutput::Cas(false), Some(time))
            }
            (":fail", _) => ops[index] = None,
            (other, _) => {
                return Err(JepsenError::Event { line, what: format!("unknown type {other:?}") })
            }
        }
    }
    Ok(ops.into_iter().flatten().collect())
}

fn number(text: &str, line: usize) -> Result<i64, JepsenError> {
    text.parse().map_err(|_| JepsenError::Value { line, value: text.to_owned() })
}

fn pair(text: &str, line: usize) -> Result<(i64, i64), JepsenError> {
    let bad = || JepsenError::Value { line, value: text.to_owned() };
    let inner = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')).ok_or_else(bad)?;
    let (a, b) = inner.split_once(' ').ok_or_else(bad)?;
    Ok((number(a, line)?, number(b, line)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::linearizability::{check, Linearizability, RegisterModel};

    const GOOD: &str = "INFO  jepsen.util - 0\t:invoke\t:write\t4\n\
                        INFO  jepsen.util - 1\t:invoke\t:read\tnil\n\
                        INFO  jepsen.util - 0\t:ok\t:write\t4\n\
                        INFO  jepsen.util - 1\t:ok\t:read\t4\n\
                        INFO  jepsen.util - 2\t:invoke\t:cas\t[4 5]\n\
                        INFO  jepsen.util - 2\t:info\t:cas\t:timed-out\n";

    #[test]
    fn a_small_history_parses_with_times_outputs_and_a_pending_cas() {
        let ops = parse(GOOD).unwrap();
        assert_eq!(ops.len(), 3);
        assert_eq!(
            (ops[1].call, ops[1].ret, ops[1].output),
            (2, Some(4), RegisterOutput::Read(Some(4)))
        );
        assert_eq!((ops[2].input.op, ops[2].ret), (RegisterOp::Cas { from: 4, to: 5 }, None));
        assert_eq!(check(&RegisterModel, &ops, 10_000), Linearizability::Linearizable);
    }

    #[test]
    fn reading_a_value_never_written_is_not_linearizable() {
        let bad = GOOD.replace(":ok\t:read\t4", ":ok\t:read\t9");
        assert_eq!(
            check(&RegisterModel, &parse(&bad).unwrap(), 10_000),
            Linearizability::NotLinearizable { key: 0 }
        );
    }

    #[test]
    fn malformed_lines_are_reported_with_their_number() {
        assert!(matches!(
            parse("INFO  jepsen.util - 0\t:invoke\n"),
            Err(JepsenError::Shape { line: 1, .. })
        ));
        let err = parse("INFO  jepsen.util - 0\t:invoke\t:write\tx\n").unwrap_err();
        assert_eq!(err.to_string(), "line 1: bad value \"x\"");
        assert!(matches!(
            parse("INFO  jepsen.util - 0\t:ok\t:read\t1\n"),
            Err(JepsenError::Event { line: 1, .. })
        ));
    }
}
