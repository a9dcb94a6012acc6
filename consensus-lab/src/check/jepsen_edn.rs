//! Jepsen histories in EDN (Extensible Data Notation, the format Jepsen and Knossos write
//! `history.edn` in; Porcupine's kv test logs use the same maps): one map per operation event,
//!
//! ```text
//! {:process 0, :type :invoke, :f :read, :value nil}
//! {:process 0, :type :ok, :f :read, :value 3}
//! {:process 1, :type :invoke, :f :put, :key "x", :value "a"}
//! ```
//!
//! either one after another (Jepsen's `history.edn`, Porcupine's kv logs) or inside one top-level
//! vector or list (Knossos's test histories). Jepsen's tagged records
//! (`#jepsen.history.Op{…}`) read as their map. `:process`, `:type` and `:f` are required,
//! `:value` defaults to `nil`, `:key` is optional; other keys (`:time`, `:index`, `:error`, …)
//! are ignored. The meaning of the events is [`super::jepsen`]'s. The EDN syntax itself is read
//! by the `clojure-reader` crate; this module turns its values into [`Event`]s and names the
//! line of every error.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use clojure_reader::edn::{self, Edn};

use super::jepsen::{assemble, Event, EventType, History, JepsenError, Value};
use super::linearizability::{KvOutput, KvRequest, RegisterOp, RegisterOutput};

/// Parse an EDN history.
///
/// # Errors
/// [`JepsenError::Syntax`] (line and column) for text that is not EDN; [`JepsenError::Event`]
/// for a form that is not an operation map, a missing or mistyped `:process`/`:type`/`:f`, and
/// as [`assemble`] for the events' meaning; [`JepsenError::Value`] for a value the operation
/// cannot take. Lines are those where the operation's map starts.
pub fn parse(text: &str) -> Result<History, JepsenError> {
    let mut events = Vec::new();
    let mut rest = text;
    let mut line = 1;
    let mut wrapper: Option<char> = None;
    loop {
        let skipped = skip_blank(rest);
        line += rest[..rest.len() - skipped.len()].matches('\n').count();
        rest = skipped;
        let Some(first) = rest.chars().next() else { break };
        let closing = match first {
            '[' => ']',
            _ => ')',
        };
        if wrapper.is_none() && events.is_empty() && matches!(first, '[' | '(') {
            wrapper = Some(closing); // a top-level vector/list of operations: read its items
            rest = &rest[1..];
            continue;
        }
        if Some(first) == wrapper {
            wrapper = None;
            rest = &rest[1..];
            continue;
        }
        let (form, after) = edn::read(rest).map_err(|e| {
            let at = e.line.unwrap_or(1);
            let column = e.column.unwrap_or(1)
                + if at == 1 { column_of(text, text.len() - rest.len()) } else { 0 };
            JepsenError::Syntax { line: line + at - 1, column, what: format!("{:?}", e.code) }
        })?;
        if let Some(event) = event(&form, line)? {
            events.push(event);
        }
        line += rest[..rest.len() - after.len()].matches('\n').count();
        rest = after;
    }
    if let Some(closing) = wrapper {
        return Err(JepsenError::Syntax {
            line,
            column: 1,
            what: format!("the history's outer form is not closed by {closing:?}"),
        });
    }
    assemble(&events)
}

/// `rest` without leading whitespace, commas (whitespace in EDN) and `;` comments.
fn skip_blank(mut rest: &str) -> &str {
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        match rest.strip_prefix(';') {
            Some(comment) => rest = comment.split_once('\n').map_or("", |(_, tail)| tail),
            None => return rest,
        }
    }
}

/// The 0-based column of byte `offset` in `text`, in characters.
fn column_of(text: &str, offset: usize) -> usize {
    text[..offset].chars().rev().take_while(|&c| c != '\n').count()
}

/// The event of one operation map, or `None` for a non-client event (`:process :nemesis`).
fn event(form: &Edn, line: usize) -> Result<Option<Event>, JepsenError> {
    let map = match form {
        Edn::Map(map) => map,
        Edn::Tagged(_, inner) => match inner.as_ref() {
            Edn::Map(map) => map,
            _ => return Err(not_an_operation(form, line)),
        },
        _ => return Err(not_an_operation(form, line)),
    };
    let field = |name: &'static str| map.get(&Edn::Key(name.into()));
    let missing =
        |name: &str| JepsenError::Event { line, what: format!("operation {form} has no :{name}") };
    let process = match field("process").ok_or_else(|| missing("process"))? {
        Edn::Int(p) => {
            u64::try_from(*p).map_err(|_| JepsenError::Value { line, value: p.to_string() })?
        }
        _ => return Ok(None), // :nemesis and other non-client processes
    };
    let kind = match field("type").ok_or_else(|| missing("type"))? {
        Edn::Key(k) => EventType::parse(k),
        _ => None,
    }
    .ok_or_else(|| JepsenError::Event {
        line,
        what: format!("operation {form}: :type is not :invoke, :ok, :fail or :info"),
    })?;
    let f = match field("f").ok_or_else(|| missing("f"))? {
        Edn::Key(k) | Edn::Symbol(k) | Edn::Str(k) => k.to_string(),
        other => return Err(JepsenError::Value { line, value: other.to_string() }),
    };
    let key = field("key").map(|k| match value(k) {
        Value::Str(s) => s,
        other => other.to_string(),
    });
    let value = field("value").map_or(Value::Nil, value);
    Ok(Some(Event { line, process, kind, f, key, value }))
}

fn not_an_operation(form: &Edn, line: usize) -> JepsenError {
    JepsenError::Event { line, what: format!("expected an operation map, got {form}") }
}

fn value(form: &Edn) -> Value {
    match form {
        Edn::Nil => Value::Nil,
        Edn::Int(i) => Value::Int(*i),
        Edn::Str(s) => Value::Str(s.to_string()),
        Edn::Key(k) => Value::Keyword(k.to_string()),
        Edn::Vector(items) | Edn::List(items) => Value::List(items.iter().map(value).collect()),
        other => Value::Other(other.to_string()),
    }
}

/// One operation as written: function, invocation value, and how it ended (`None`: `:info`).
struct Written<'a> {
    client: u64,
    call: u64,
    ret: Option<u64>,
    key: &'a str,
    f: &'static str,
    invoke: Value,
    done: Option<(EventType, Value)>,
}

/// Write `history` as Jepsen EDN, one event map per line in time order (at equal times,
/// invocations first, which keeps the operations concurrent as the checker reads them),
/// completions as `:ok` (a failed cas as `:fail`), and operations that never returned as
/// `:info` after everything else. `:key` is written when the history has a named key.
/// Jepsen processes are single-threaded, so an operation keeps its client as `:process` when
/// that client has nothing else in flight and otherwise gets a fresh process number. Reading
/// the text back with [`parse`] gives the same operations (times renumbered) and verdict.
pub fn write(history: &History) -> String {
    let keys = history.keys();
    let key = |k: u64| keys.get(k as usize).map_or("", String::as_str);
    let written: Vec<Written> = match history {
        History::Register { ops, .. } => ops
            .iter()
            .map(|op| {
                let (f, invoke) = match op.input.op {
                    RegisterOp::Read => ("read", Value::Nil),
                    RegisterOp::Write(v) => ("write", Value::Int(v)),
                    RegisterOp::Cas { from, to } => {
                        ("cas", Value::List(vec![Value::Int(from), Value::Int(to)]))
                    }
                };
                let done = match op.output {
                    RegisterOutput::Read(v) => {
                        Some((EventType::Ok, v.map_or(Value::Nil, Value::Int)))
                    }
                    RegisterOutput::Written => Some((EventType::Ok, invoke.clone())),
                    RegisterOutput::Cas(true) => Some((EventType::Ok, invoke.clone())),
                    RegisterOutput::Cas(false) => Some((EventType::Fail, invoke.clone())),
                    RegisterOutput::Unknown => None,
                };
                let (call, ret, key) = (op.call, op.ret, key(op.input.key));
                Written { client: op.client, call, ret, key, f, invoke, done }
            })
            .collect(),
        History::Kv { ops, .. } => ops
            .iter()
            .map(|op| {
                let (f, invoke) = match &op.input.op {
                    KvRequest::Get => ("get", Value::Nil),
                    KvRequest::Put(v) => ("put", Value::Str(v.clone())),
                    KvRequest::Append(v) => ("append", Value::Str(v.clone())),
                };
                let done = match &op.output {
                    KvOutput::Value(v) => Some((EventType::Ok, Value::Str(v.clone()))),
                    KvOutput::Done => Some((EventType::Ok, invoke.clone())),
                    KvOutput::Unknown => None,
                };
                let (call, ret, key) = (op.call, op.ret, key(op.input.key));
                Written { client: op.client, call, ret, key, f, invoke, done }
            })
            .collect(),
    };
    let named = keys.len() > 1 || keys.iter().any(|k| !k.is_empty());
    emit(&written, named)
}

fn emit(ops: &[Written], named: bool) -> String {
    // (time, 0 = invoke / 1 = completion, op); pending ops complete as :info at the end.
    let mut order: Vec<(u64, u8, usize)> = Vec::with_capacity(2 * ops.len());
    for (i, op) in ops.iter().enumerate() {
        order.push((op.call, 0, i));
        let finished = op.done.is_some() && op.ret.is_some();
        order.push((if finished { op.ret.unwrap_or(u64::MAX) } else { u64::MAX }, 1, i));
    }
    order.sort_unstable();
    let mut busy: BTreeMap<u64, bool> = BTreeMap::new(); // process → has an op in flight
    let mut fresh = ops.iter().map(|op| op.client + 1).max().unwrap_or(0);
    let mut process = vec![0; ops.len()];
    let mut out = String::new();
    for (_, phase, i) in order {
        let op = &ops[i];
        let (kind, value) = if phase == 0 {
            let mut p = op.client;
            if busy.get(&p).copied().unwrap_or(false) {
                (p, fresh) = (fresh, fresh + 1);
            }
            busy.insert(p, true);
            process[i] = p;
            ("invoke", &op.invoke)
        } else {
            match (&op.done, op.ret) {
                (Some((EventType::Fail, v)), Some(_)) => ("fail", v),
                (Some((_, v)), Some(_)) => ("ok", v),
                _ => ("info", &op.invoke), // never returned: the process is retired
            }
        };
        if kind != "info" && kind != "invoke" {
            busy.insert(process[i], false);
        }
        let _ = write!(out, "{{:process {}, :type :{kind}, :f :{}", process[i], op.f);
        if named {
            match op.key.parse::<i64>() {
                Ok(k) => {
                    let _ = write!(out, ", :key {k}");
                }
                Err(_) => {
                    let _ = write!(out, ", :key {}", Value::Str(op.key.to_owned()));
                }
            }
        }
        let _ = writeln!(out, ", :value {value}}}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::jepsen::parse_log;
    use crate::check::linearizability::{check, KvModel, Linearizability};

    const LOG: &str = "0 :invoke :write 4\n1 :invoke :read nil\n0 :ok :write 4\n\
                       1 :ok :read 4\n3 :invoke :cas [1 2]\n3 :fail :cas [1 2]\n\
                       2 :invoke :cas [4 5]\n2 :info :cas :timed-out\n";

    const EDN: &str = "; a comment\n\
        {:process 0, :type :invoke, :f :write, :value 4}\n\
        {:process 1, :type :invoke, :f :read, :value nil}\n\
        {:process :nemesis, :type :info, :f :start, :value nil}\n\
        {:process 0, :type :ok, :f :write, :value 4, :time 12}\n\
        #jepsen.history.Op{:process 1, :type :ok, :f :read, :value 4}\n\
        {:process 3 :type :invoke :f :cas :value [1 2]} {:process 3 :type :fail :f :cas :value [1 2]}\n\
        {:process 2, :type :invoke, :f :cas, :value [4 5]}\n\
        {:process 2, :type :info, :f :cas, :value :timed-out}\n";

    #[test]
    fn edn_maps_read_like_the_log_lines_skipping_the_nemesis() {
        assert_eq!(parse(EDN).unwrap(), parse_log(LOG).unwrap());
        let wrapped = format!("[{}]", EDN.replace("; a comment", ""));
        assert_eq!(parse(&wrapped).unwrap(), parse_log(LOG).unwrap());
    }

    #[test]
    fn writing_and_reading_back_keeps_the_operations() {
        let history = parse_log(LOG).unwrap();
        assert_eq!(parse(&write(&history)).unwrap(), history);
        let kv = "{:process 0, :type :invoke, :f :put, :key \"x\", :value \"a\"}\n\
                  {:process 1, :type :invoke, :f :append, :key \"y\", :value \"b\"}\n\
                  {:process 0, :type :ok, :f :put, :key \"x\", :value \"a\"}\n\
                  {:process 0, :type :invoke, :f :get, :key \"x\", :value nil}\n\
                  {:process 0, :type :ok, :f :get, :key \"x\", :value \"a\"}\n";
        let history = parse(kv).unwrap();
        assert_eq!(history.keys(), ["x", "y"]);
        let again = parse(&write(&history)).unwrap();
        assert_eq!(again, history);
        let History::Kv { ops, .. } = again else { panic!("kv") };
        assert_eq!(check(&KvModel, &ops, 1_000), Linearizability::Linearizable);
    }

    #[test]
    fn a_busy_client_gets_a_fresh_process_when_written() {
        let log = "0 :invoke :write 1\n1 :invoke :write 2\n0 :ok :write 1\n1 :ok :write 2\n";
        let History::Register { mut ops, keys } = parse_log(log).unwrap() else { panic!() };
        ops[1].client = 0; // two writes in flight at client 0
        let text = write(&History::Register { ops, keys });
        assert!(text.contains("{:process 1, :type :invoke"), "{text}");
        assert_eq!(parse(&text).unwrap().len(), 2);
    }

    #[test]
    fn every_truncation_and_single_character_damage_is_an_answer_not_a_panic() {
        let text = format!("[{EDN}]");
        let bounds: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        for &end in &bounds {
            let _ = parse(&text[..end]);
            let _ = parse_log(&text[..end]);
        }
        for &at in &bounds {
            let next = text[at..].chars().next().map_or(0, char::len_utf8);
            for c in ['{', '}', '[', ']', '(', ')', '"', '#', '\\', ':', ';', ',', '\n', '-', 'x'] {
                let damaged = format!("{}{c}{}", &text[..at], &text[at + next..]);
                let _ = parse(&damaged);
                let _ = parse_log(&damaged);
            }
        }
    }

    #[test]
    fn bad_edn_names_its_line_and_never_panics() {
        let err = parse("{:process 0, :type :invoke, :f :read, :value nil}\n{:process 0 :type")
            .unwrap_err();
        assert!(matches!(err, JepsenError::Syntax { line: 2, .. }), "{err}");
        let err = parse("\n\n{:process 0, :type :invoke, :f :write, :value \"x\"}\n").unwrap_err();
        assert_eq!(err.to_string(), "line 3: bad value \"\\\"x\\\"\"");
        let err = parse("{:process 0, :type :invoke}\n").unwrap_err();
        assert!(err.to_string().contains("has no :f"), "{err}");
        let err = parse("{:process 0, :type :begin, :f :read}\n").unwrap_err();
        assert!(err.to_string().starts_with("line 1: operation"), "{err}");
        assert!(matches!(
            parse("[{:process 0, :type :invoke, :f :read}"),
            Err(JepsenError::Syntax { .. })
        ));
        assert!(matches!(parse("42\n"), Err(JepsenError::Event { line: 1, .. })));
        assert!(matches!(
            parse("{:process -1, :type :ok, :f :read}"),
            Err(JepsenError::Value { .. })
        ));
        for text in ["{", "}", "\"", "#", "[[", "{:a}", "#{1 1}", "{:process 0 :process 1}"] {
            assert!(parse(text).is_err(), "{text:?} parsed");
        }
    }
}
