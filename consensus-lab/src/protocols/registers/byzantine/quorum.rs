//! The skeleton the lab's Byzantine quorum registers share (CGR 2011 §4.7: servers `0..n`, of
//! which `--byzantine f` may be Byzantine; a correct writer, process n; two correct readers,
//! n + 1 and n + 2): a process that is a server or a client, clients running one operation at
//! a time ([`Invocations`]), and the run function with its workload, adversary sides and
//! checks. An algorithm ([`QuorumAlgorithm`]) supplies only what differs: how a client starts an
//! operation, how a server answers, and when a client's replies complete it.
//!
//! Used by `register-byzantine` (signed data, Malkhi & Reiter 1998), `register-byzantine-masking`
//! (CGR Alg. 4.14) and `register-byzantine-double-write` (CGR Alg. 4.16).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

use crate::adversary::Byzantine;
use crate::check::register::{RegisterOperation, Value};
use crate::check::Verdict;
use crate::harness::{simulate_byzantine_with_plan, Outcome, RunConfig, RunReport};
use crate::protocol::{Context, NodeId, Protocol, TimerId, WireSize};
use crate::protocols::registers::regular::{
    register_trace, Invocations, RegRequest, RegReturn, Register,
};
use crate::sim::{Streams, Workload};

use super::{GAP, OPERATIONS};

/// What one Byzantine quorum register algorithm adds to the shared skeleton. Every process
/// holds one value of the type: servers use its server state, clients its client state.
pub trait QuorumAlgorithm: Clone + Debug + 'static {
    /// The algorithm's messages; the adversary's lies about them come from [`Byzantine`].
    type Msg: Clone + Debug + WireSize + Byzantine + 'static;

    /// Client (writer or reader): start ⟨Write | v⟩ or ⟨Read⟩, typically by sending to every
    /// server with [`to_servers`].
    fn start(&mut self, ctx: &mut Context<'_, QuorumRegister<Self>>, op: RegRequest);

    /// Server: `msg` from `from` (any process; the server checks who may send what).
    fn serve(&mut self, ctx: &mut Context<'_, QuorumRegister<Self>>, from: NodeId, msg: Self::Msg);

    /// Client: `msg` from server `from`; `Some(ret)` when it completes the running operation
    /// (the skeleton then triggers ⟨ReadReturn | v⟩ / ⟨WriteReturn⟩ and starts the next one).
    fn reply(
        &mut self,
        ctx: &mut Context<'_, QuorumRegister<Self>>,
        from: NodeId,
        msg: Self::Msg,
    ) -> Option<RegReturn>;
}

/// One process of a Byzantine quorum register: a server (`me < servers`) or a client.
#[derive(Debug, Clone)]
pub struct QuorumRegister<A> {
    servers: usize,
    algorithm: A,
    invocations: Invocations,
}

impl<A> QuorumRegister<A> {
    /// A process of a register with `servers` servers running `algorithm`.
    pub fn new(servers: usize, algorithm: A) -> Self {
        QuorumRegister { servers, algorithm, invocations: Invocations::default() }
    }
}

/// Send `msg` to every server `0..servers`.
pub fn to_servers<A: QuorumAlgorithm>(
    ctx: &mut Context<'_, QuorumRegister<A>>,
    servers: usize,
    msg: &A::Msg,
) {
    for s in 0..servers {
        ctx.send(s, msg.clone());
    }
}

impl<A: QuorumAlgorithm> Register for QuorumRegister<A> {
    fn invocations(&mut self) -> &mut Invocations {
        &mut self.invocations
    }

    fn start(&mut self, ctx: &mut Context<'_, Self>, op: RegRequest) {
        self.algorithm.start(ctx, op);
    }
}

impl<A: QuorumAlgorithm> Protocol for QuorumRegister<A> {
    type Message = A::Msg;
    type Request = RegRequest;
    type Output = RegReturn;

    fn on_start(&mut self, _ctx: &mut Context<'_, Self>) {}

    fn on_request(&mut self, ctx: &mut Context<'_, Self>, op: RegRequest) {
        self.invoke(ctx, op);
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, msg: A::Msg) {
        if ctx.me < self.servers {
            self.algorithm.serve(ctx, from, msg);
        } else if from < self.servers {
            if let Some(ret) = self.algorithm.reply(ctx, from, msg) {
                self.complete(ctx, ret);
            }
        }
    }

    fn on_timer(&mut self, _ctx: &mut Context<'_, Self>, _timer: TimerId) {}
}

/// Run a Byzantine quorum register under `config` (`config.n` servers; the writer n, readers
/// n + 1 and n + 2) with process `me` running `algorithm(me)`, and check termination (every
/// operation returns) and `property` (regularity or safety) over the history.
///
/// Workload (workload stream): [`OPERATIONS`] operations (or `config.workload.requests`), open loop,
/// [`GAP`] µs apart on average (or `config.workload.request_gap`); every fourth is a write of a fresh
/// value by the writer, the rest reads alternating between the readers. Equivocating servers
/// lie to reader n + 2 (side B) and tell the writer and reader n + 1 the truth.
pub fn run_quorum_register<A: QuorumAlgorithm>(
    config: &RunConfig,
    algorithm: impl Fn(NodeId) -> A + 'static,
    property: fn(&[RegisterOperation]) -> Verdict,
) -> RunReport {
    let n = config.n;
    let mut rng = Streams::new(config.seed).workload;
    let (gap, count) = (
        config.workload.request_gap.unwrap_or(GAP),
        config.workload.requests.unwrap_or(OPERATIONS),
    );
    let mut workload = Workload::open_loop(&mut rng, n + 3, 0, gap, count, |i, _| match i % 4 {
        0 => RegRequest::Write(i as i64 + 1),
        _ => RegRequest::Read,
    });
    for (i, r) in workload.requests.iter_mut().enumerate() {
        r.node = match r.request {
            RegRequest::Write(_) => n,
            RegRequest::Read => n + 1 + i % 2,
        };
    }
    let mut plan = config.adversary_plan();
    plan.side_b.insert(n + 2);
    let run = simulate_byzantine_with_plan(
        config,
        plan,
        n + 3,
        move |me, _| QuorumRegister::new(n, algorithm(me)),
        workload,
    );
    let trace = register_trace(&run.history);
    let outcomes = trace
        .returns
        .iter()
        .map(|r| {
            let op = &trace.ops[r.op];
            Outcome::output(r.returned, op.process, format!("{:?}", op.kind))
        })
        .collect();
    let pairs: Vec<_> = trace.returns.iter().map(|r| (r.started, r.returned)).collect();
    let termination = trace
        .ops
        .iter()
        .find(|op| op.ret.is_none())
        .map(|op| format!("{:?} at client {} never returned", op.kind, op.process));
    let verdicts = vec![Verdict::liveness("termination", termination), property(&trace.ops)];
    run.report_pairs(config, outcomes, &pairs, verdicts)
}

/// The client side of a one-round quorum register (the signed-data and the masking register;
/// the double-write register's ACK round too): a write stamps the next timestamp and waits for
/// `quorum` acknowledgements of it; a read waits for `quorum` replies to its request id, one per
/// server, of type `R`.
#[derive(Debug, Clone)]
pub struct OneRound<R> {
    quorum: usize,
    writing: bool,
    reading: bool,
    /// The writer's timestamp, wts: that of the last write started.
    pub wts: u64,
    acks: BTreeSet<NodeId>,
    /// The reader's request id, rid: that of the last read started.
    pub rid: u64,
    replies: BTreeMap<NodeId, R>,
}

impl<R> OneRound<R> {
    /// A client that waits for `quorum` servers.
    pub fn new(quorum: usize) -> Self {
        OneRound {
            quorum,
            writing: false,
            reading: false,
            wts: 0,
            acks: BTreeSet::new(),
            rid: 0,
            replies: BTreeMap::new(),
        }
    }

    /// ⟨Write⟩: wts := wts + 1; returns it.
    pub fn begin_write(&mut self) -> u64 {
        self.wts += 1;
        self.acks.clear();
        self.writing = true;
        self.wts
    }

    /// ⟨Read⟩: rid := rid + 1; returns it.
    pub fn begin_read(&mut self) -> u64 {
        self.rid += 1;
        self.replies.clear();
        self.reading = true;
        self.rid
    }

    /// [ACK, ts] from server `from`: ⟨WriteReturn⟩ once `quorum` servers acknowledged wts.
    pub fn ack(&mut self, from: NodeId, ts: u64) -> Option<RegReturn> {
        if !self.writing || ts != self.wts {
            return None;
        }
        self.acks.insert(from);
        (self.acks.len() >= self.quorum).then(|| {
            self.writing = false;
            RegReturn::Written
        })
    }

    /// A reply `reply` to read `rid` from server `from` (its first reply counts): once
    /// `quorum` servers replied, ⟨ReadReturn | choose(replies)⟩.
    pub fn reply(
        &mut self,
        from: NodeId,
        rid: u64,
        reply: R,
        choose: impl FnOnce(&BTreeMap<NodeId, R>) -> Option<Value>,
    ) -> Option<RegReturn> {
        if !self.reading || rid != self.rid {
            return None;
        }
        self.replies.entry(from).or_insert(reply);
        (self.replies.len() >= self.quorum).then(|| {
            let value = choose(&self.replies);
            self.replies.clear();
            self.reading = false;
            RegReturn::Read(value)
        })
    }
}
