//! Readers for Jepsen histories, the input of `quarry-lab lincheck`.
//!
//! Two layouts, one meaning (Jepsen's operation model, as Knossos and Porcupine read it):
//! - **Logs** as published with Porcupine (Jepsen's etcd test; `../shared/lincheck/README.md`):
//!   one event per line, `INFO  jepsen.util - <process> <type> <f> <value>`. The fields may be
//!   separated by tabs (the published files) or by any run of whitespace (Porcupine's own
//!   `parseJepsenLog` reads them with `\s+`); the `INFO  jepsen.util -` prefix is optional.
//!   `<value>` is the rest of the line (`[4 5]` holds a space).
//! - **EDN** histories ([`super::jepsen_edn`]): one map per operation event,
//!   `{:process 0, :type :invoke, :f :read, :value nil}`, optionally `:key` for multi-key
//!   histories (Porcupine's kv logs), either one after another or inside one vector/list.
//!
//! Both become a list of [`Event`]s and then operations of one model, chosen by the function
//! names: `:read`/`:write`/`:cas` → [`RegisterModel`](super::linearizability::RegisterModel) (one register per `:key`),
//! `:get`/`:put`/`:append` → [`KvModel`](super::linearizability::KvModel) (Porcupine's kv model, partitioned per key).
//!
//! Mapping (Porcupine's `parseJepsenLog`/`parseKvLog` and Jepsen's semantics): times are event
//! positions (1st event = 1), so two operations overlap exactly when one's invocation comes
//! before the other's completion; `:ok` returns the value read / completes a write;
//! `:fail` on a cas returns `Cas(false)` (the compare failed); any other `:fail` definitely did
//! not happen and is dropped; `:info` (and an invocation never completed) leaves the operation
//! **possibly taken**: pending forever with output `Unknown`, so the checker may linearize it at
//! any point after its call, or never. Events whose `:process` is not an integer (Jepsen's
//! `:nemesis`) are not client operations and are skipped, as Knossos does.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use super::linearizability::{
    KvInput, KvOutput, KvRequest, Operation, RegisterInput, RegisterOp, RegisterOutput,
};

/// A history that does not parse, always naming where (1-based line) and what.
#[derive(Debug, thiserror::Error)]
pub enum JepsenError {
    /// A log line does not have `<process> <type> <f> <value>` after `jepsen.util - `.
    #[error("line {line}: expected `<process> <type> <f> <value>`, got {text:?}")]
    Shape {
        /// Line number.
        line: usize,
        /// The line.
        text: String,
    },
    /// A process id, key or value is not what the operation needs (e.g. `:write x`).
    #[error("line {line}: bad value {value:?}")]
    Value {
        /// Line number.
        line: usize,
        /// The offending field.
        value: String,
    },
    /// A completion with no pending invocation, an invocation while one is pending, an unknown
    /// type or function, or functions of two models in one history.
    #[error("line {line}: {what}")]
    Event {
        /// Line number.
        line: usize,
        /// What was wrong.
        what: String,
    },
    /// Text that is not EDN at all (from the EDN reader, with its line and column).
    #[error("line {line}, column {column}: not EDN: {what}")]
    Syntax {
        /// Line number.
        line: usize,
        /// Column number (characters, 1-based).
        column: usize,
        /// The reader's complaint.
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

/// A key-value operation as the linearizability checker takes it.
pub type KvOperation = Operation<KvInput, KvOutput>;

/// A parsed history: the operations of one model, and the names of their keys (`keys[k]` is the
/// name of key index `k`; a history without `:key` has the one key `""`).
#[derive(Debug, Clone, PartialEq)]
pub enum History {
    /// `:read`/`:write`/`:cas` operations, for [`RegisterModel`](super::linearizability::RegisterModel).
    Register {
        /// The operations; pending ones have `ret = None`.
        ops: Vec<RegisterOperation>,
        /// Key names by index.
        keys: Vec<String>,
    },
    /// `:get`/`:put`/`:append` operations, for [`KvModel`](super::linearizability::KvModel).
    Kv {
        /// The operations; pending ones have `ret = None`.
        ops: Vec<KvOperation>,
        /// Key names by index.
        keys: Vec<String>,
    },
}

impl History {
    /// Number of operations.
    pub fn len(&self) -> usize {
        match self {
            History::Register { ops, .. } => ops.len(),
            History::Kv { ops, .. } => ops.len(),
        }
    }

    /// `true` if there are no operations.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The key names by index.
    pub fn keys(&self) -> &[String] {
        match self {
            History::Register { keys, .. } | History::Kv { keys, .. } => keys,
        }
    }

    /// The model's name: `register` or `kv`.
    pub fn model(&self) -> &'static str {
        match self {
            History::Register { .. } => "register",
            History::Kv { .. } => "kv",
        }
    }
}

/// The layout of a history file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Porcupine's Jepsen log lines, tab- or whitespace-separated.
    Log,
    /// Jepsen EDN operation maps.
    Edn,
}

impl Format {
    /// Guess from the text: EDN if the first thing that is not blank or a `;` comment opens a
    /// map, vector, list or tagged form (`{`, `[`, `(`, `#`), otherwise log lines.
    pub fn detect(text: &str) -> Format {
        let first = text
            .lines()
            .map(str::trim_start)
            .find(|l| !l.is_empty() && !l.starts_with(';'))
            .and_then(|l| l.chars().next());
        match first {
            Some('{' | '[' | '(' | '#') => Format::Edn,
            _ => Format::Log,
        }
    }
}

/// An event's `:type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// `:invoke`: the call.
    Invoke,
    /// `:ok`: completed.
    Ok,
    /// `:fail`: completed, definitely without effect.
    Fail,
    /// `:info`: indefinite; the process never returns.
    Info,
}

impl EventType {
    /// The Jepsen keyword without its colon (`invoke`, `ok`, `fail`, `info`).
    pub fn parse(name: &str) -> Option<EventType> {
        Some(match name {
            "invoke" => EventType::Invoke,
            "ok" => EventType::Ok,
            "fail" => EventType::Fail,
            "info" => EventType::Info,
            _ => return None,
        })
    }
}

/// A value in an event, in the small part of EDN that histories use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `nil`.
    Nil,
    /// An integer.
    Int(i64),
    /// A string (`"abc"`).
    Str(String),
    /// A keyword, without its colon (`:timed-out` → `timed-out`).
    Keyword(String),
    /// A vector or list (`[4 5]`).
    List(Vec<Value>),
    /// Anything else, as written.
    Other(String),
}

impl fmt::Display for Value {
    /// The EDN text of the value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => f.write_str("nil"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Keyword(k) => write!(f, ":{k}"),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Other(text) => f.write_str(text),
        }
    }
}

/// One history event, as both readers produce it.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Where it starts in the file (1-based), for error messages.
    pub line: usize,
    /// The Jepsen process (a client; one operation at a time).
    pub process: u64,
    /// Invoke or completion.
    pub kind: EventType,
    /// The function without its colon (`read`, `put`, …).
    pub f: String,
    /// The `:key`, as text (`None` for single-object histories).
    pub key: Option<String>,
    /// The `:value`.
    pub value: Value,
}

/// Read and parse the history file at `path`, in `format` or, if `None`, the one
/// [`Format::detect`] guesses.
///
/// # Errors
/// [`JepsenError::Io`] if unreadable, otherwise as [`parse_log`] / [`super::jepsen_edn::parse`].
pub fn read(path: &Path, format: Option<Format>) -> Result<History, JepsenError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| JepsenError::Io { path: path.display().to_string(), source })?;
    parse(&text, format)
}

/// Parse a whole history in `format` (or the detected one).
///
/// # Errors
/// As [`parse_log`] / [`super::jepsen_edn::parse`].
pub fn parse(text: &str, format: Option<Format>) -> Result<History, JepsenError> {
    match format.unwrap_or_else(|| Format::detect(text)) {
        Format::Log => parse_log(text),
        Format::Edn => super::jepsen_edn::parse(text),
    }
}

/// Parse Porcupine/Jepsen log lines (tab- or whitespace-separated; blank lines skipped).
///
/// # Errors
/// The first malformed line, by number: [`JepsenError::Shape`] for missing fields,
/// [`JepsenError::Value`] for a value the operation cannot take, [`JepsenError::Event`] for an
/// unknown type/function or a completion without invocation.
pub fn parse_log(text: &str) -> Result<History, JepsenError> {
    let mut events = Vec::new();
    for (i, raw) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let line = i + 1;
        let shape = || JepsenError::Shape { line, text: raw.to_owned() };
        let body = match raw.split_once("jepsen.util") {
            Some((_, rest)) => rest.trim_start().strip_prefix('-').ok_or_else(shape)?,
            None => raw,
        };
        let mut rest = body.trim_start();
        let mut field = || {
            let end = rest.find(char::is_whitespace)?;
            let (token, tail) = rest.split_at(end);
            rest = tail.trim_start();
            Some(token)
        };
        let (Some(process), Some(kind), Some(f)) = (field(), field(), field()) else {
            return Err(shape());
        };
        let value = rest.trim_end();
        if value.is_empty() {
            return Err(shape());
        }
        let process =
            process.parse().map_err(|_| JepsenError::Value { line, value: process.to_owned() })?;
        let kind = kind
            .strip_prefix(':')
            .and_then(EventType::parse)
            .ok_or_else(|| JepsenError::Event { line, what: format!("unknown type {kind:?}") })?;
        let f = f.strip_prefix(':').unwrap_or(f).to_owned();
        events.push(Event { line, process, kind, f, key: None, value: log_value(value) });
    }
    assemble(&events)
}

/// A log field as a [`Value`]: `nil`, an integer, `"text"` (no escapes), `:keyword`,
/// `[a b …]` of those, else the text as it is.
fn log_value(text: &str) -> Value {
    if text == "nil" {
        Value::Nil
    } else if let Ok(i) = text.parse() {
        Value::Int(i)
    } else if let Some(s) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Value::Str(s.to_owned())
    } else if let Some(k) = text.strip_prefix(':') {
        Value::Keyword(k.to_owned())
    } else if let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        Value::List(inner.split_whitespace().map(log_value).collect())
    } else {
        Value::Other(text.to_owned())
    }
}

/// Which model a history's functions belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ModelKind {
    Register,
    Kv,
}

fn model_of(f: &str) -> Option<ModelKind> {
    match f {
        "read" | "write" | "cas" => Some(ModelKind::Register),
        "get" | "put" | "append" => Some(ModelKind::Kv),
        _ => None,
    }
}

/// An invocation paired with how it ended (`None`: never completed).
struct Paired<'a> {
    call: u64,
    invoke: &'a Event,
    done: Option<(u64, &'a Event)>,
}

/// Pair invocations with completions per process and build the operations of the one model
/// the functions name. Times are event positions (1-based).
///
/// # Errors
/// [`JepsenError::Event`] for a completion without a pending invocation, an invocation while
/// one is pending, an unknown function or a mix of models; [`JepsenError::Value`] for a value
/// the operation cannot take.
pub fn assemble(events: &[Event]) -> Result<History, JepsenError> {
    let mut paired: Vec<Paired> = Vec::new();
    let mut pending: BTreeMap<u64, usize> = BTreeMap::new();
    let mut model = None;
    for (i, event) in events.iter().enumerate() {
        let (line, time) = (event.line, i as u64 + 1);
        let error = |what: String| JepsenError::Event { line, what };
        if event.kind == EventType::Invoke {
            let kind = model_of(&event.f)
                .ok_or_else(|| error(format!("unknown function {:?}", event.f)))?;
            if *model.get_or_insert(kind) != kind {
                return Err(error(format!(
                    "function :{} mixes the register (:read/:write/:cas) and kv \
                     (:get/:put/:append) models in one history",
                    event.f
                )));
            }
            if let Some(&open) = pending.get(&event.process) {
                return Err(error(format!(
                    "process {} invokes while its invocation at line {} is pending",
                    event.process, paired[open].invoke.line
                )));
            }
            pending.insert(event.process, paired.len());
            paired.push(Paired { call: time, invoke: event, done: None });
            continue;
        }
        let index = pending.remove(&event.process).ok_or_else(|| {
            error(format!(
                ":{} for process {}, which has no pending invocation",
                kind_name(event.kind),
                event.process
            ))
        })?;
        if event.kind != EventType::Info {
            paired[index].done = Some((time, event));
        }
    }
    let mut keys = KeyNames::default();
    Ok(match model {
        Some(ModelKind::Kv) => {
            let ops = flatten(paired.iter().map(|p| kv_operation(p, &mut keys)))?;
            History::Kv { ops, keys: keys.names() }
        }
        _ => {
            let ops = flatten(paired.iter().map(|p| register_operation(p, &mut keys)))?;
            History::Register { ops, keys: keys.names() }
        }
    })
}

/// The operations that happened (`Some`), or the first error.
fn flatten<T>(
    ops: impl Iterator<Item = Result<Option<T>, JepsenError>>,
) -> Result<Vec<T>, JepsenError> {
    ops.filter_map(Result::transpose).collect()
}

fn kind_name(kind: EventType) -> &'static str {
    match kind {
        EventType::Invoke => "invoke",
        EventType::Ok => "ok",
        EventType::Fail => "fail",
        EventType::Info => "info",
    }
}

/// Key names interned to indices in order of first appearance.
#[derive(Default)]
struct KeyNames {
    index: BTreeMap<String, u64>,
}

impl KeyNames {
    fn of(&mut self, key: Option<&String>) -> u64 {
        let name = key.cloned().unwrap_or_default();
        let next = self.index.len() as u64;
        *self.index.entry(name).or_insert(next)
    }

    fn names(self) -> Vec<String> {
        let mut names = vec![String::new(); self.index.len()];
        for (name, i) in self.index {
            names[i as usize] = name;
        }
        if names.is_empty() {
            names.push(String::new());
        }
        names
    }
}

fn bad(event: &Event) -> JepsenError {
    JepsenError::Value { line: event.line, value: event.value.to_string() }
}

fn int(event: &Event) -> Result<i64, JepsenError> {
    match event.value {
        Value::Int(i) => Ok(i),
        _ => Err(bad(event)),
    }
}

/// The register operation of an invocation and its end; `None` if it definitely did not happen.
fn register_operation(
    p: &Paired,
    keys: &mut KeyNames,
) -> Result<Option<RegisterOperation>, JepsenError> {
    let invoke = p.invoke;
    let op = match invoke.f.as_str() {
        "read" => RegisterOp::Read,
        "write" => RegisterOp::Write(int(invoke)?),
        _ => match &invoke.value {
            Value::List(pair) => match pair[..] {
                [Value::Int(from), Value::Int(to)] => RegisterOp::Cas { from, to },
                _ => return Err(bad(invoke)),
            },
            _ => return Err(bad(invoke)),
        },
    };
    let (output, ret) = match p.done {
        None => (RegisterOutput::Unknown, None),
        Some((time, done)) => match (done.kind, op) {
            (EventType::Ok, RegisterOp::Read) => match done.value {
                Value::Nil => (RegisterOutput::Read(None), Some(time)),
                _ => (RegisterOutput::Read(Some(int(done)?)), Some(time)),
            },
            (EventType::Ok, RegisterOp::Write(_)) => (RegisterOutput::Written, Some(time)),
            (EventType::Ok, RegisterOp::Cas { .. }) => (RegisterOutput::Cas(true), Some(time)),
            (_, RegisterOp::Cas { .. }) => (RegisterOutput::Cas(false), Some(time)),
            _ => return Ok(None), // a failed read or write did not happen
        },
    };
    let input = RegisterInput { key: keys.of(invoke.key.as_ref()), op };
    Ok(Some(Operation { client: invoke.process, input, output, call: p.call, ret }))
}

/// A kv value as text: strings as they are, integers in decimal, `nil` as `""` (Porcupine).
fn text(event: &Event) -> Result<String, JepsenError> {
    match &event.value {
        Value::Nil => Ok(String::new()),
        Value::Int(i) => Ok(i.to_string()),
        Value::Str(s) => Ok(s.clone()),
        _ => Err(bad(event)),
    }
}

/// The kv operation of an invocation and its end; `None` if it definitely did not happen.
fn kv_operation(p: &Paired, keys: &mut KeyNames) -> Result<Option<KvOperation>, JepsenError> {
    let invoke = p.invoke;
    let op = match invoke.f.as_str() {
        "get" => KvRequest::Get,
        "put" => KvRequest::Put(text(invoke)?),
        _ => KvRequest::Append(text(invoke)?),
    };
    let (output, ret) = match p.done {
        None => (KvOutput::Unknown, None),
        Some((_, done)) if done.kind == EventType::Fail => return Ok(None),
        Some((time, done)) => match op {
            KvRequest::Get => (KvOutput::Value(text(done)?), Some(time)),
            _ => (KvOutput::Done, Some(time)),
        },
    };
    let input = KvInput { key: keys.of(invoke.key.as_ref()), op };
    Ok(Some(Operation { client: invoke.process, input, output, call: p.call, ret }))
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

    fn register(history: History) -> Vec<RegisterOperation> {
        match history {
            History::Register { ops, .. } => ops,
            other => panic!("not a register history: {other:?}"),
        }
    }

    #[test]
    fn a_small_history_parses_with_times_outputs_and_a_pending_cas() {
        let ops = register(parse_log(GOOD).unwrap());
        assert_eq!(ops.len(), 3);
        assert_eq!(
            (ops[1].call, ops[1].ret, ops[1].output),
            (2, Some(4), RegisterOutput::Read(Some(4)))
        );
        assert_eq!((ops[2].input.op, ops[2].ret), (RegisterOp::Cas { from: 4, to: 5 }, None));
        assert_eq!(check(&RegisterModel, &ops, 10_000), Linearizability::Linearizable);
    }

    #[test]
    fn whitespace_separated_and_bare_lines_read_the_same() {
        let spaced =
            GOOD.replace('\t', "   ").replace("INFO  jepsen.util - ", "INFO jepsen.util  -  ");
        let bare = GOOD.replace("INFO  jepsen.util - ", "").replace('\t', " ");
        assert_eq!(parse_log(&spaced).unwrap(), parse_log(GOOD).unwrap());
        assert_eq!(parse_log(&bare).unwrap(), parse_log(GOOD).unwrap());
        assert_eq!(Format::detect(&bare), Format::Log);
    }

    #[test]
    fn reading_a_value_never_written_is_not_linearizable() {
        let bad = GOOD.replace(":ok\t:read\t4", ":ok\t:read\t9");
        assert_eq!(
            check(&RegisterModel, &register(parse_log(&bad).unwrap()), 10_000),
            Linearizability::NotLinearizable { key: 0 }
        );
    }

    #[test]
    fn malformed_lines_are_reported_with_their_number() {
        assert!(matches!(
            parse_log("INFO  jepsen.util - 0\t:invoke\n"),
            Err(JepsenError::Shape { line: 1, .. })
        ));
        let err = parse_log("\nINFO  jepsen.util - 0\t:invoke\t:write\tx\n").unwrap_err();
        assert_eq!(err.to_string(), "line 2: bad value \"x\"");
        assert!(matches!(
            parse_log("INFO  jepsen.util - 0\t:ok\t:read\t1\n"),
            Err(JepsenError::Event { line: 1, .. })
        ));
        assert!(matches!(
            parse_log("0 :invoke :read nil\n0 :invoke :read nil\n"),
            Err(JepsenError::Event { line: 2, .. })
        ));
        let err = parse_log("0 :invoke :read nil\n1 :invoke :get nil\n").unwrap_err();
        assert!(err.to_string().starts_with("line 2: function :get mixes"), "{err}");
        let err = parse_log("0 :invoke :cas [1 x]\n").unwrap_err();
        assert_eq!(err.to_string(), "line 1: bad value \"[1 x]\"");
    }

    #[test]
    fn kv_functions_make_a_kv_history_and_failed_ops_are_dropped() {
        let log = "0 :invoke :put \"a\"\n1 :invoke :get nil\n0 :ok :put \"a\"\n\
                   1 :ok :get nil\n2 :invoke :append \"b\"\n2 :fail :append \"b\"\n";
        let History::Kv { ops, keys } = parse_log(log).unwrap() else { panic!("kv") };
        assert_eq!(keys, vec![String::new()]);
        assert_eq!(ops.len(), 2);
        assert_eq!(ops[1].output, KvOutput::Value(String::new()));
    }
}
