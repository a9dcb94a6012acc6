//! (1,N) regular registers: Cachin–Guerraoui–Rodrigues 2011, §4.2.2 Algorithm 4.1
//! "Read-One Write-All" (fail-stop: over the perfect failure detector P of `fd.rs`) and §4.2.3
//! Algorithm 4.2 "Majority Voting Regular Register" (fail-silent, f < N/2). Process 0 is the
//! writer, every process may read. Both run their messages over the [`PerfectLinks`] layer;
//! `beb` is "send to every process" (Alg. 3.1). The atomic registers are in
//! `register_atomic.rs`; this module also holds what they share (requests, replies, the
//! per-process queue of operations and the experiment runner).
//!
//! ```text
//! Algorithm 4.1 (onrr, fail-stop):
//! upon ⟨Init⟩ do val := ⊥; correct := Π; writeset := ∅;
//! upon ⟨P, Crash | p⟩ do correct := correct \ {p};
//! upon ⟨onrr, Read⟩ do trigger ⟨onrr, ReadReturn | val⟩;
//! upon ⟨onrr, Write | v⟩ do trigger ⟨beb, Broadcast | [WRITE, v]⟩;
//! upon ⟨beb, Deliver | q, [WRITE, v]⟩ do val := v; trigger ⟨pl, Send | q, ACK⟩;
//! upon ⟨pl, Deliver | p, ACK⟩ do writeset := writeset ∪ {p};
//! upon correct ⊆ writeset do writeset := ∅; trigger ⟨onrr, WriteReturn⟩;
//!
//! Algorithm 4.2 (onrr, fail-silent):
//! upon ⟨Init⟩ do (ts, val) := (0, ⊥); wts := 0; acks := 0; rid := 0; readlist := [⊥]^N;
//! upon ⟨onrr, Write | v⟩ do wts := wts + 1; acks := 0; trigger ⟨beb, Broadcast | [WRITE, wts, v]⟩;
//! upon ⟨beb, Deliver | p, [WRITE, ts', v']⟩ do
//!     if ts' > ts then (ts, val) := (ts', v');
//!     trigger ⟨pl, Send | p, [ACK, ts']⟩;
//! upon ⟨pl, Deliver | q, [ACK, ts']⟩ such that ts' = wts do
//!     acks := acks + 1;
//!     if acks > N/2 then acks := 0; trigger ⟨onrr, WriteReturn⟩;
//! upon ⟨onrr, Read⟩ do rid := rid + 1; readlist := [⊥]^N; trigger ⟨beb, Broadcast | [READ, rid]⟩;
//! upon ⟨beb, Deliver | p, [READ, r]⟩ do trigger ⟨pl, Send | p, [VALUE, r, ts, val]⟩;
//! upon ⟨pl, Deliver | q, [VALUE, r, ts', v']⟩ such that r = rid do
//!     readlist[q] := (ts', v');
//!     if #(readlist) > N/2 then
//!         v := highestval(readlist); readlist := [⊥]^N; trigger ⟨onrr, ReadReturn | v⟩;
//! ```
//!
//! A process handles one operation at a time (CGR §4.1: operations of one process are
//! sequential); requests that arrive while one is running wait in a queue ([`Invocations`]),
//! and an operation's invocation time in the checked history is when it actually started.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use rand::Rng;

use crate::check::register::{check_atomic, check_regular, Access, RegisterOperation, Value};
use crate::check::Verdict;
use crate::harness::{simulate, Outcome, ProtocolEntry, RunConfig, RunReport};
use crate::protocol::{Context, NodeId, Protocol, Time, TimerId, WireSize};
use crate::protocols::links::PerfectLinks;
use crate::protocols::timing::fd::{ExcludeOnTimeout, FailStop, Guarded, PERFECT_DELTA};
use crate::sim::{HistoryEvent, Streams, Workload};

/// ⟨Read⟩ or ⟨Write | v⟩ from the client at a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegRequest {
    /// ⟨Read⟩.
    Read,
    /// ⟨Write | v⟩.
    Write(Value),
}

/// ⟨ReadReturn | v⟩ (`None` = ⊥) or ⟨WriteReturn⟩.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegReturn {
    /// ⟨ReadReturn | v⟩.
    Read(Option<Value>),
    /// ⟨WriteReturn⟩.
    Written,
}

/// The operations waiting at one process: one runs at a time, the rest queue in order.
#[derive(Debug, Clone, Default)]
pub struct Invocations {
    queue: VecDeque<RegRequest>,
    busy: bool,
}

impl Invocations {
    /// A new request: `Some(op)` if the process is idle and must start it now.
    pub fn push(&mut self, op: RegRequest) -> Option<RegRequest> {
        if self.busy {
            self.queue.push_back(op);
            None
        } else {
            self.busy = true;
            Some(op)
        }
    }

    /// The running operation returned: the next one to start, if any.
    pub fn done(&mut self) -> Option<RegRequest> {
        let next = self.queue.pop_front();
        self.busy = next.is_some();
        next
    }
}

/// A (1,N) or (N,N) register: starts operations; the shared `on_request` queues them.
pub trait Register: Protocol<Request = RegRequest, Output = RegReturn> {
    /// The process's queue of operations.
    fn invocations(&mut self) -> &mut Invocations;
    /// Start `op` (⟨Read⟩ / ⟨Write | v⟩ of the algorithm).
    fn start(&mut self, ctx: &mut Context<'_, Self>, op: RegRequest);

    /// Queue `op`, starting it if the process is idle.
    fn invoke(&mut self, ctx: &mut Context<'_, Self>, op: RegRequest) {
        if let Some(op) = self.invocations().push(op) {
            self.start(ctx, op);
        }
    }

    /// trigger ⟨ReadReturn | v⟩ / ⟨WriteReturn⟩, then start the next queued operation.
    fn complete(&mut self, ctx: &mut Context<'_, Self>, ret: RegReturn) {
        ctx.output(ret);
        if let Some(op) = self.invocations().done() {
            self.start(ctx, op);
        }
    }
}

/// Messages of Algorithm 4.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowaMsg {
    /// [WRITE, v].
    Write(Value),
    /// ACK.
    Ack,
}

impl WireSize for RowaMsg {
    fn size_bytes(&self) -> usize {
        1 + if matches!(self, RowaMsg::Write(_)) { 8 } else { 0 }
    }
}

/// One process of Read-One Write-All (Alg. 4.1); stack it as
/// `ExcludeOnTimeout<PerfectLinks<Rowa>>` (see [`READ_ONE_WRITE_ALL`]).
#[derive(Debug, Clone, Default)]
pub struct Rowa {
    val: Option<Value>,
    correct: BTreeSet<NodeId>,
    writeset: BTreeSet<NodeId>,
    writing: bool,
    ops: Invocations,
}

impl Register for Rowa {
    fn invocations(&mut self) -> &mut Invocations {
        &mut self.ops
    }

    fn start(&mut self, ctx: &mut Context<'_, Self>, op: RegRequest) {
        match op {
            RegRequest::Read => self.complete(ctx, RegReturn::Read(self.val)),
            RegRequest::Write(v) => {
                self.writing = true;
                ctx.broadcast_including_self(RowaMsg::Write(v));
            }
        }
    }
}

impl Protocol for Rowa {
    type Message = RowaMsg;
    type Request = RegRequest;
    type Output = RegReturn;

    fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
        self.correct = (0..ctx.n).collect();
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, msg: RowaMsg) {
        match msg {
            RowaMsg::Write(v) => {
                self.val = Some(v);
                ctx.send(from, RowaMsg::Ack);
            }
            RowaMsg::Ack => {
                self.writeset.insert(from);
                self.evaluate_guards(ctx);
            }
        }
    }

    fn on_timer(&mut self, _ctx: &mut Context<'_, Self>, _timer: TimerId) {}

    fn on_request(&mut self, ctx: &mut Context<'_, Self>, op: RegRequest) {
        self.invoke(ctx, op);
    }
}

impl Guarded for Rowa {
    /// upon correct ⊆ writeset: the write returns.
    fn evaluate_guards(&mut self, ctx: &mut Context<'_, Self>) {
        if self.writing && self.correct.is_subset(&self.writeset) {
            self.writing = false;
            self.writeset.clear();
            self.complete(ctx, RegReturn::Written);
        }
    }
}

impl FailStop for Rowa {
    fn on_crash(&mut self, _ctx: &mut Context<'_, Self>, p: NodeId) {
        self.correct.remove(&p);
    }
}

/// Messages of Algorithm 4.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VotingMsg {
    /// [WRITE, ts, v].
    Write(u64, Value),
    /// [ACK, ts].
    Ack(u64),
    /// [READ, rid].
    Read(u64),
    /// [VALUE, rid, ts, val].
    Value(u64, u64, Option<Value>),
}

impl WireSize for VotingMsg {
    fn size_bytes(&self) -> usize {
        1 + match self {
            VotingMsg::Write(..) => 16,
            VotingMsg::Ack(_) | VotingMsg::Read(_) => 8,
            VotingMsg::Value(..) => 25,
        }
    }
}

/// One process of the Majority Voting Regular Register (Alg. 4.2); stack it as
/// `PerfectLinks<MajorityVoting>`.
#[derive(Debug, Clone, Default)]
pub struct MajorityVoting {
    ts: u64,
    val: Option<Value>,
    wts: u64,
    acks: usize,
    writing: bool,
    rid: u64,
    readlist: BTreeMap<NodeId, (u64, Option<Value>)>,
    reading: bool,
    ops: Invocations,
}

impl Register for MajorityVoting {
    fn invocations(&mut self) -> &mut Invocations {
        &mut self.ops
    }

    fn start(&mut self, ctx: &mut Context<'_, Self>, op: RegRequest) {
        match op {
            RegRequest::Write(v) => {
                self.wts += 1;
                self.acks = 0;
                self.writing = true;
                ctx.broadcast_including_self(VotingMsg::Write(self.wts, v));
            }
            RegRequest::Read => {
                self.rid += 1;
                self.readlist.clear();
                self.reading = true;
                ctx.broadcast_including_self(VotingMsg::Read(self.rid));
            }
        }
    }
}

impl Protocol for MajorityVoting {
    type Message = VotingMsg;
    type Request = RegRequest;
    type Output = RegReturn;

    fn on_start(&mut self, _ctx: &mut Context<'_, Self>) {}

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, msg: VotingMsg) {
        match msg {
            VotingMsg::Write(ts, v) => {
                if ts > self.ts {
                    (self.ts, self.val) = (ts, Some(v));
                }
                ctx.send(from, VotingMsg::Ack(ts));
            }
            VotingMsg::Ack(ts) if self.writing && ts == self.wts => {
                self.acks += 1;
                if self.acks > ctx.n / 2 {
                    self.writing = false;
                    self.complete(ctx, RegReturn::Written);
                }
            }
            VotingMsg::Read(r) => ctx.send(from, VotingMsg::Value(r, self.ts, self.val)),
            VotingMsg::Value(r, ts, v) if self.reading && r == self.rid => {
                self.readlist.insert(from, (ts, v));
                if self.readlist.len() > ctx.n / 2 {
                    let highest =
                        self.readlist.values().max_by_key(|(ts, _)| *ts).and_then(|e| e.1);
                    self.readlist.clear();
                    self.reading = false;
                    self.complete(ctx, RegReturn::Read(highest));
                }
            }
            VotingMsg::Ack(_) | VotingMsg::Value(..) => {}
        }
    }

    fn on_timer(&mut self, _ctx: &mut Context<'_, Self>, _timer: TimerId) {}

    fn on_request(&mut self, ctx: &mut Context<'_, Self>, op: RegRequest) {
        self.invoke(ctx, op);
    }
}

/// Who writes in an experiment's workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writers {
    /// (1,N): process 0 writes 1, 2, 3 …; the others read.
    One,
    /// (N,N): any process reads or writes; written values are unique.
    All,
}

/// 24 operations, open loop, 3 ms apart on average (workload stream): with [`Writers::One`]
/// every fourth is a write by process 0 and the rest are reads by processes 1..n; with
/// [`Writers::All`] each goes to a random process and is a write with probability 0.4.
pub fn register_workload(config: &RunConfig, writers: Writers) -> Workload<RegRequest> {
    let n = config.n;
    let mut rng = Streams::new(config.seed).workload;
    let mut workload = Workload::open_loop(&mut rng, n, 0, 3_000, 24, |i, rng| {
        let value = i as Value + 1;
        match writers {
            Writers::One if i % 4 == 0 => RegRequest::Write(value),
            Writers::One => RegRequest::Read,
            Writers::All if rng.random_bool(0.4) => RegRequest::Write(value),
            Writers::All => RegRequest::Read,
        }
    });
    if writers == Writers::One {
        for (i, r) in workload.requests.iter_mut().enumerate() {
            r.node = match r.request {
                RegRequest::Write(_) => 0,
                RegRequest::Read if n > 1 => 1 + i % (n - 1),
                RegRequest::Read => 0,
            };
        }
    }
    workload
}

/// Simulate register stack `factory` under `config`, then check termination (every operation
/// of a correct process returns), regularity, and, if `atomic`, atomicity (linearizability).
pub fn run_register<P>(
    config: &RunConfig,
    writers: Writers,
    atomic: bool,
    factory: impl Fn(NodeId, usize) -> P + 'static,
) -> RunReport
where
    P: Protocol<Request = RegRequest, Output = RegReturn> + 'static,
{
    let run = simulate(config, factory, register_workload(config, writers));
    let correct = config.correct(&run.history);
    let trace = register_trace(&run.history);
    let outcomes = trace
        .returns
        .iter()
        .map(|r| {
            let op = &trace.ops[r.op];
            Outcome::output(r.returned, op.process, format!("{:?} → {:?}", op.kind, r.output))
        })
        .collect();
    let times: Vec<Time> = trace.returns.iter().map(|r| r.returned).collect();
    let ops = trace.ops;
    let termination = ops
        .iter()
        .find(|op| op.ret.is_none() && correct.contains(&op.process))
        .map(|op| format!("{:?} at correct process {} never returned", op.kind, op.process));
    // (Both checkers ignore reads that never returned and let a write that never returned
    // take effect or not.)
    let mut verdicts = vec![Verdict::liveness("termination", termination), check_regular(&ops)];
    if atomic {
        verdicts.push(check_atomic(&ops, 2_000_000));
    }
    run.report(config, outcomes, times, verdicts)
}

/// A register history as the checkers read it.
pub(crate) struct RegisterTrace {
    /// Every accepted operation, in arrival order; `ret` is `None` if it never returned.
    pub(crate) ops: Vec<RegisterOperation>,
    /// The returns, in the order they happened.
    pub(crate) returns: Vec<Returned>,
}

/// One operation's return.
pub(crate) struct Returned {
    /// Index into [`RegisterTrace::ops`].
    pub(crate) op: usize,
    /// What the register answered.
    pub(crate) output: RegReturn,
    /// When the operation started, µs: its arrival, or the return of the same process's
    /// previous operation if that was later (processes are sequential).
    pub(crate) started: Time,
    /// When it returned, µs.
    pub(crate) returned: Time,
}

/// Turns a simulated register run's history into operations for the regularity and
/// atomicity checkers (Herlihy & Wing 1990, §2: an operation is an invocation–response pair
/// of one sequential process). Operations pending at a process that crashes never return.
pub(crate) fn register_trace(
    history: &crate::sim::History<RegRequest, RegReturn>,
) -> RegisterTrace {
    // Per process: operations not yet returned, oldest first, as indices into `ops`.
    let mut ops: Vec<RegisterOperation> = Vec::new();
    let mut open: BTreeMap<NodeId, VecDeque<usize>> = BTreeMap::new();
    let mut last_return: BTreeMap<NodeId, Time> = BTreeMap::new();
    let mut returns = Vec::new();
    for event in &history.events {
        match *event {
            HistoryEvent::Request { time, node, request, accepted: true } => {
                let kind = match request {
                    RegRequest::Write(v) => Access::Write(v),
                    RegRequest::Read => Access::Read(None),
                };
                open.entry(node).or_default().push_back(ops.len());
                ops.push(RegisterOperation { process: node, kind, invoke: time, ret: None });
            }
            HistoryEvent::Output { time, node, output } => {
                let Some(i) = open.get_mut(&node).and_then(VecDeque::pop_front) else { continue };
                let started =
                    last_return.get(&node).map_or(ops[i].invoke, |&t| t.max(ops[i].invoke));
                ops[i].invoke = started;
                ops[i].ret = Some(time);
                if let RegReturn::Read(v) = output {
                    ops[i].kind = Access::Read(v);
                }
                last_return.insert(node, time);
                returns.push(Returned { op: i, output, started, returned: time });
            }
            HistoryEvent::Crash { node, .. } => {
                open.remove(&node); // its pending operations never return
            }
            _ => {}
        }
    }
    RegisterTrace { ops, returns }
}

/// `register-rowa`: Algorithm 4.1 over P (Alg. 2.5) and perfect links.
pub static READ_ONE_WRITE_ALL: ProtocolEntry = ProtocolEntry {
    name: "register-rowa",
    description: "(1,N) regular register, fail-stop",
    source: "CGR 2011 Alg. 4.1 Read-One Write-All over P",
    fault_model: "crash-stop of any number; synchronous (P's round trips < 50 ms), duplication; \
         no loss, reordering or partitions",
    default_n: 3,
    byzantine: false,
    run: run_read_one_write_all,
    comparison: None,
};

fn run_read_one_write_all(config: &RunConfig) -> RunReport {
    run_register(config, Writers::One, false, |_, _| {
        ExcludeOnTimeout::new(PerfectLinks::new(Rowa::default()), PERFECT_DELTA)
    })
}

/// `register-majority`: Algorithm 4.2 over perfect links.
pub static MAJORITY_VOTING_REGISTER: ProtocolEntry = ProtocolEntry {
    name: "register-majority",
    description: "(1,N) regular register, fail-silent",
    source: "CGR 2011 Alg. 4.2 Majority Voting",
    fault_model: "crash-stop of f < n/2; loss, duplication, reordering, partitions that heal",
    default_n: 5,
    byzantine: false,
    run: run_majority_voting_register,
    comparison: None,
};

fn run_majority_voting_register(config: &RunConfig) -> RunReport {
    run_register(config, Writers::One, false, |_, _| PerfectLinks::new(MajorityVoting::default()))
}

#[cfg(test)]
mod tests;
