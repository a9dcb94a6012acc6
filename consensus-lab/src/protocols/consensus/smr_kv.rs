//! State-machine replication on top of a total-order broadcast (Schneider, "Implementing
//! Fault-Tolerant Services Using the State Machine Approach", ACM Computing Surveys 1990, §3;
//! the *replica* of van Renesse & Altinbuken, "Paxos Made Moderately Complex", 2015, §3
//! "Replicas"), and the replicated key-value store the lab checks for linearizability.
//!
//! ```text
//! Replica ρ (state, slot_out = 0, applied = ∅, pending = ∅):
//! upon ⟨Request | c⟩ from a client do pending ← pending ∪ {c}; trigger ⟨tob, Broadcast | (ρ, c)⟩
//! upon ⟨tob, Deliver | slot_out, e⟩ do                     (entries arrive in slot order)
//!     if e = (origin, c) ∉ applied then                    (a command proposed twice runs once)
//!         applied ← applied ∪ {e}; result ← apply(state, c)
//!         if origin = ρ ∧ c ∈ pending then pending ← pending \ {c}; reply ⟨Response | c, result⟩
//!     slot_out ← slot_out + 1
//! ```
//!
//! The total-order broadcasts are [`super::multipaxos`] and [`super::zab`]: both are generic in a
//! [`StateMachine`], feed decided entries to a [`Replica`] and emit [`SmrOutput`]s. Every replica
//! outputs every slot (`Decided`, the log the SMR checker reads); the replica a command was
//! submitted to also outputs the client's `Response` (the history the linearizability checker
//! reads: call = submission time, return = response time; no response = pending, Jepsen `:info`).
//!
//! Two state machines: [`TobLog`] (no state: the log itself is the product, i.e. plain total
//! order broadcast of `u64` payloads) and [`KvStore`] (put/get/compare-and-set registers).
//! [`run_smr`] simulates either under a [`RunConfig`] and applies every checker that fits.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::check::broadcast::{self, BroadcastEvent, BroadcastHistory};
use crate::check::linearizability::{
    self, Linearizability, Operation, RegisterInput, RegisterModel, RegisterOp, RegisterOutput,
};
use crate::check::smr::{self, SmrHistory};
use crate::check::Verdict;
use crate::harness::{ms, per_second, simulate, Latency, Outcome, RunConfig, RunReport};
use crate::protocol::{NodeId, Protocol, Time, WireSize};
use crate::sim::{History, HistoryEvent, Streams, Workload};

/// A log position, 0-based.
pub type Slot = u64;

/// A deterministic state machine replicated by the total-order broadcasts.
pub trait StateMachine: Default + Clone + Debug + 'static {
    /// A client command. Every submitted command must be distinct (it doubles as its id).
    type Command: Clone + Debug + Ord + Serialize + DeserializeOwned + WireSize + 'static;
    /// What applying a command returns to the client.
    type Response: Clone + Debug + PartialEq + 'static;
    /// Apply `cmd`, deterministically.
    fn apply(&mut self, cmd: &Self::Command) -> Self::Response;
    /// The client workload of one run: `count` commands from the workload stream, `gap` µs
    /// apart on average.
    fn workload(rng: &mut ChaCha8Rng, n: usize, count: usize, gap: Time)
        -> Workload<Self::Command>;
    /// Checkers specific to this state machine (e.g. linearizability), over the run's history.
    fn check(_history: &History<Self::Command, SmrOutputOf<Self>>) -> Vec<Verdict> {
        Vec::new()
    }
}

/// A command tagged with the replica its client submitted it to (that replica answers).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Proposal<C> {
    /// The replica the client submitted it to.
    pub origin: NodeId,
    /// The command.
    pub cmd: C,
}

/// One log entry: a command, or a no-op a new leader uses to fill a slot nobody accepted
/// anything in (van Renesse & Altinbuken §3, "no-op" / Lamport 2001 §3).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Entry<C> {
    /// Fills a gap; changes nothing.
    Noop,
    /// A client command.
    Cmd(Proposal<C>),
}

impl<C: WireSize> Entry<C> {
    /// Wire size: one tag byte, plus origin (8) and the command for `Cmd`.
    pub fn size_bytes(&self) -> usize {
        match self {
            Entry::Noop => 1,
            Entry::Cmd(p) => 9 + p.cmd.size_bytes(),
        }
    }
}

/// Zab's transaction id (Junqueira et al. 2011 §IV): `(epoch, counter)`, ordered
/// lexicographically.
pub type Zxid = (u64, u64);

/// What a replica outputs.
#[derive(Debug, Clone, PartialEq)]
pub enum SmrOutput<C, R> {
    /// ⟨tob, Deliver⟩: the entry in `slot` (every replica, every slot, in slot order).
    Decided {
        /// The slot.
        slot: Slot,
        /// Zab's zxid of the entry; `None` for Paxos.
        zxid: Option<Zxid>,
        /// The entry.
        entry: Entry<C>,
    },
    /// The answer to the client, at the replica the command was submitted to.
    Response {
        /// The command.
        cmd: C,
        /// What applying it returned.
        result: R,
    },
}

/// The output type of a replica of `S`.
pub type SmrOutputOf<S> = SmrOutput<<S as StateMachine>::Command, <S as StateMachine>::Response>;

/// The replica half of a process: applies decided entries in slot order, once per command.
#[derive(Debug, Clone)]
pub struct Replica<S: StateMachine> {
    /// The replicated state.
    pub state: S,
    /// The next slot to apply (= number of slots applied).
    pub slot_out: Slot,
    applied: BTreeSet<Proposal<S::Command>>,
    /// Commands submitted here and not applied yet (volatile: lost on a crash).
    pub pending: BTreeMap<S::Command, Time>,
}

impl<S: StateMachine> Default for Replica<S> {
    fn default() -> Self {
        Replica {
            state: S::default(),
            slot_out: 0,
            applied: BTreeSet::new(),
            pending: BTreeMap::new(),
        }
    }
}

impl<S: StateMachine> Replica<S> {
    /// `true` if `p` was applied already (a re-proposal of it will be skipped).
    pub fn has_applied(&self, p: &Proposal<S::Command>) -> bool {
        self.applied.contains(p)
    }

    /// Apply `entry` as slot `slot_out`: the outputs to emit (one `Decided`, maybe a
    /// `Response`).
    pub fn apply(
        &mut self,
        me: NodeId,
        zxid: Option<Zxid>,
        entry: Entry<S::Command>,
    ) -> Vec<SmrOutputOf<S>> {
        let slot = self.slot_out;
        self.slot_out += 1;
        let mut out = Vec::with_capacity(2);
        if let Entry::Cmd(p) = &entry {
            if self.applied.insert(p.clone()) {
                let result = self.state.apply(&p.cmd);
                if p.origin == me && self.pending.remove(&p.cmd).is_some() {
                    out.push(SmrOutput::Response { cmd: p.cmd.clone(), result });
                }
            }
        }
        out.insert(0, SmrOutput::Decided { slot, zxid, entry });
        out
    }
}

/// A total-order-broadcast payload: an opaque number chosen by the client (8 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TobPayload(pub u64);

impl WireSize for TobPayload {
    fn size_bytes(&self) -> usize {
        8
    }
}

/// The empty state machine: replicating it is plain total-order broadcast of [`TobPayload`]s.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TobLog;

impl StateMachine for TobLog {
    type Command = TobPayload;
    type Response = ();
    fn apply(&mut self, _cmd: &TobPayload) {}
    /// `count` payloads `0..count`, open loop, `gap` µs apart on average, to random replicas.
    fn workload(rng: &mut ChaCha8Rng, n: usize, count: usize, gap: Time) -> Workload<TobPayload> {
        Workload::open_loop(rng, n, 1_000, gap, count, |i, _| TobPayload(i as u64))
    }
}

/// A key-value store operation (the lab's register operations, one register per key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum KvOp {
    /// get(key)
    Get(u64),
    /// put(key, value)
    Put(u64, i64),
    /// cas(key, from, to): set to `to` if the value is `from`.
    Cas(u64, i64, i64),
}

/// A client command: a unique id (so equal operations stay distinct) and the operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct KvCommand {
    /// Unique per run.
    pub id: u64,
    /// The operation.
    pub op: KvOp,
}

impl WireSize for KvCommand {
    /// id (8) + tag (1) + key (8) + up to two values (16).
    fn size_bytes(&self) -> usize {
        17 + match self.op {
            KvOp::Get(_) => 0,
            KvOp::Put(..) => 8,
            KvOp::Cas(..) => 16,
        }
    }
}

impl KvCommand {
    /// The command as the linearizability checker's register input.
    pub fn register_input(&self) -> RegisterInput {
        let (key, op) = match self.op {
            KvOp::Get(k) => (k, RegisterOp::Read),
            KvOp::Put(k, v) => (k, RegisterOp::Write(v)),
            KvOp::Cas(k, from, to) => (k, RegisterOp::Cas { from, to }),
        };
        RegisterInput { key, op }
    }
}

/// Number of keys the KV workload spreads its operations over.
pub const KV_KEYS: u64 = 5;

/// The replicated key-value store: key → value, absent keys read as `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KvStore {
    data: BTreeMap<u64, i64>,
}

impl StateMachine for KvStore {
    type Command = KvCommand;
    type Response = RegisterOutput;

    fn apply(&mut self, cmd: &KvCommand) -> RegisterOutput {
        match cmd.op {
            KvOp::Get(k) => RegisterOutput::Read(self.data.get(&k).copied()),
            KvOp::Put(k, v) => {
                self.data.insert(k, v);
                RegisterOutput::Written
            }
            KvOp::Cas(k, from, to) => {
                let swap = self.data.get(&k) == Some(&from);
                if swap {
                    self.data.insert(k, to);
                }
                RegisterOutput::Cas(swap)
            }
        }
    }

    /// `count` operations over [`KV_KEYS`] keys, open loop, `gap` µs apart on average: 40 % get,
    /// 40 % put (value = the op's index), 20 % cas from a recent value.
    fn workload(rng: &mut ChaCha8Rng, n: usize, count: usize, gap: Time) -> Workload<KvCommand> {
        Workload::open_loop(rng, n, 1_000, gap, count, |i, rng| {
            let key = rng.random_range(0..KV_KEYS);
            let roll = rng.random_range(0..10);
            let op = match roll {
                0..=3 => KvOp::Get(key),
                4..=7 => KvOp::Put(key, i as i64),
                _ => KvOp::Cas(key, rng.random_range(0..(i as i64).max(1)), i as i64),
            };
            KvCommand { id: i as u64, op }
        })
    }

    /// Linearizability of the client history (Wing–Gong/Lowe, per key).
    fn check(history: &History<KvCommand, SmrOutputOf<Self>>) -> Vec<Verdict> {
        check_linearizable(history)
    }
}

/// Search steps per key the linearizability checker may spend before answering "unknown".
pub const LINCHECK_BUDGET: u64 = 20_000_000;

/// The verdicts of a KV run's client history: `linearizability` (safety; violated only when
/// the Wing–Gong/Lowe search proves no linearization exists) and `linearizability decided`
/// (reported as liveness: the search finished within [`LINCHECK_BUDGET`] steps per key, so an
/// "unknown" is counted and visible, never passed off as linearizable or as a violation).
/// Calls are submissions to live replicas, returns are the origin's `Response`s; an unanswered
/// call is pending (it may or may not have taken effect).
pub fn check_linearizable(history: &History<KvCommand, SmrOutputOf<KvStore>>) -> Vec<Verdict> {
    let ops = client_operations(history);
    let (violation, unknown) = match linearizability::check(&RegisterModel, &ops, LINCHECK_BUDGET) {
        Linearizability::Linearizable => (None, None),
        Linearizability::NotLinearizable { key } => {
            (Some(format!("the client history of key {key} has no linearization")), None)
        }
        Linearizability::Unknown => {
            (None, Some(format!("search budget of {LINCHECK_BUDGET} steps per key exhausted")))
        }
    };
    vec![
        Verdict::safety("linearizability", violation),
        Verdict::liveness("linearizability decided", unknown),
    ]
}

/// The client history of a KV run as the linearizability checker (and `lincheck`'s EDN writer,
/// [`crate::check::jepsen_edn::write`]) takes it: one register operation per accepted request,
/// in command-id order; client = the replica it was submitted to, call = submission time,
/// return = that replica's `Response` (µs); unanswered = pending with output `Unknown`.
pub fn client_operations(
    history: &History<KvCommand, SmrOutputOf<KvStore>>,
) -> Vec<Operation<RegisterInput, RegisterOutput>> {
    let mut ops: BTreeMap<u64, Operation<RegisterInput, RegisterOutput>> = BTreeMap::new();
    for event in &history.events {
        match event {
            HistoryEvent::Request { time, node, request, accepted: true } => {
                ops.insert(
                    request.id,
                    Operation {
                        client: *node as u64,
                        input: request.register_input(),
                        output: RegisterOutput::Unknown,
                        call: *time,
                        ret: None,
                    },
                );
            }
            HistoryEvent::Output { time, output: SmrOutput::Response { cmd, result }, .. } => {
                if let Some(op) = ops.get_mut(&cmd.id) {
                    op.output = *result;
                    op.ret = Some(*time);
                }
            }
            _ => {}
        }
    }
    ops.into_values().collect()
}

/// Commands per run in the SMR experiments.
pub const SMR_COMMANDS: usize = 40;

/// Simulate a total-order broadcast protocol replicating `S` under `config` with `S`'s
/// workload of [`SMR_COMMANDS`] commands 3 ms apart (or `config.workload.requests`, `config.workload.request_gap`), and check it: the SMR log properties
/// ([`crate::check::smr`], plus log validity and command completeness), total order broadcast (CGR Module 6.1: validity, no duplication, no
/// creation, uniform agreement, total order — over each replica's last incarnation) and `S`'s
/// own checkers; when entries carry zxids (Zab), also **primary order** (Junqueira et al. 2011
/// §III, local and global primary order: each replica delivers zxids in increasing order).
/// `decisions` counts distinct commands committed; outcomes include per-command
/// latency (submission → response; median and p99) and throughput (commands per simulated
/// second from the first submission to the last commit).
pub fn run_smr<S, P>(
    config: &RunConfig,
    factory: impl Fn(NodeId, usize) -> P + 'static,
) -> RunReport
where
    S: StateMachine,
    P: Protocol<Request = S::Command, Output = SmrOutputOf<S>> + 'static,
{
    let mut rng = Streams::new(config.seed).workload;
    let count = config.workload.requests.unwrap_or(SMR_COMMANDS);
    let workload =
        S::workload(&mut rng, config.n, count, config.workload.request_gap.unwrap_or(3_000));
    let run = simulate(config, factory, workload);
    let correct = config.correct(&run.history);
    let mut log = SmrHistory { commits: Vec::new(), correct: correct.clone() };
    let mut submitted: Vec<Proposal<S::Command>> = Vec::new();
    let mut applied: BTreeMap<NodeId, BTreeSet<Proposal<S::Command>>> = BTreeMap::new();
    let mut bcast: BTreeMap<NodeId, Vec<BroadcastEvent<S::Command>>> = BTreeMap::new();
    let mut tob_seen: BTreeMap<NodeId, BTreeSet<Proposal<S::Command>>> = BTreeMap::new();
    let mut submitted_at: BTreeMap<S::Command, Time> = BTreeMap::new();
    let mut last_zxid: BTreeMap<NodeId, Zxid> = BTreeMap::new();
    let (mut primary_order, mut zab) = (None, false);
    let (mut latencies, mut committed, mut last_commit) = (Vec::new(), BTreeSet::new(), 0);
    let mut broadcasts = Vec::new();
    for event in &run.history.events {
        match event {
            HistoryEvent::Request { time, node, request, accepted: true } => {
                submitted.push(Proposal { origin: *node, cmd: request.clone() });
                broadcasts.push(BroadcastEvent::Broadcast { node: *node, msg: request.clone() });
                submitted_at.insert(request.clone(), *time);
            }
            HistoryEvent::Recover { node, .. } => {
                last_zxid.remove(node);
                bcast.remove(node);
                tob_seen.remove(node);
            }
            HistoryEvent::Output { time, node, output } => match output {
                SmrOutput::Decided { slot, entry, zxid } => {
                    log.commits.push((*time, *node, *slot, entry.clone()));
                    if let Some(z) = zxid {
                        let previous = last_zxid.insert(*node, *z);
                        if previous.is_some_and(|p| p >= *z) && primary_order.is_none() {
                            primary_order = Some(format!(
                                "replica {node} delivered zxid {z:?} after {:?} (slot {slot})",
                                previous.expect("checked")
                            ));
                        }
                        zab = true;
                    }
                    if let Entry::Cmd(p) = entry {
                        applied.entry(*node).or_default().insert(p.clone());
                        if committed.insert(p.clone()) {
                            last_commit = last_commit.max(*time);
                        }
                        if tob_seen.entry(*node).or_default().insert(p.clone()) {
                            bcast.entry(*node).or_default().push(BroadcastEvent::Deliver {
                                node: *node,
                                sender: p.origin,
                                msg: p.cmd.clone(),
                            });
                        }
                    }
                }
                SmrOutput::Response { cmd, .. } => {
                    if let Some(at) = submitted_at.get(cmd) {
                        latencies.push(time - at);
                    }
                }
            },
            _ => {}
        }
    }
    let mut events = broadcasts;
    events.extend(bcast.into_values().flatten());
    let tob = broadcast::check(&BroadcastHistory { events, correct });
    let tob = tob.into_iter().filter(|v| {
        ["no duplication", "no creation", "uniform agreement", "total order"].contains(&v.property)
    });
    let mut verdicts = smr::check(&log);
    verdicts.extend(command_verdicts(&submitted, &applied, &log.correct));
    verdicts.extend(tob);
    if zab {
        verdicts.push(Verdict::safety("primary order", primary_order));
    }
    verdicts.extend(S::check(&run.history));
    let start = submitted_at.values().copied().min().unwrap_or(0);
    let mut outcomes = summary_lines(&mut latencies, committed.len(), start, last_commit);
    outcomes.extend(
        run.history
            .outputs()
            .filter_map(|(t, node, o)| match o {
                SmrOutput::Response { cmd, result } => {
                    Some(Outcome::output(t, node, format!("answered {cmd:?} with {result:?}")))
                }
                SmrOutput::Decided { .. } => None,
            })
            .take(20),
    );
    let mut report = RunReport::from_pairs(
        config.seed,
        outcomes,
        &[],
        run.metrics,
        run.end_time,
        verdicts,
        run.trace,
    );
    // Decisions are distinct commits; latency is each answered command's submit → response.
    report.decisions = committed.len() as u64;
    report.latency = Latency::from_sorted(&latencies);
    report.latencies = latencies;
    report.throughput = per_second(report.decisions, last_commit.saturating_sub(start));
    report
}

/// The two command-level SMR properties `check::smr` (slot-level) does not cover:
/// **log validity** (safety: every command in a log was submitted by a client) and **command
/// completeness** (liveness: every command submitted at a correct replica is applied by every
/// correct replica).
fn command_verdicts<C: Ord + Debug>(
    submitted: &[Proposal<C>],
    applied: &BTreeMap<NodeId, BTreeSet<Proposal<C>>>,
    correct: &BTreeSet<NodeId>,
) -> [Verdict; 2] {
    let known: BTreeSet<&Proposal<C>> = submitted.iter().collect();
    let validity = applied.iter().find_map(|(node, cmds)| {
        cmds.iter()
            .find(|p| !known.contains(p))
            .map(|p| format!("replica {node} applied {p:?}, which no client submitted"))
    });
    let completeness = submitted.iter().filter(|p| correct.contains(&p.origin)).find_map(|p| {
        correct.iter().find(|q| !applied.get(q).is_some_and(|a| a.contains(p))).map(|q| {
            format!("{p:?} submitted at correct replica {} never applied by replica {q}", p.origin)
        })
    });
    [
        Verdict::safety("log validity", validity),
        Verdict::liveness("command completeness", completeness),
    ]
}

/// Sorts `latencies` and renders the throughput and latency lines of an SMR report.
fn summary_lines(latencies: &mut [Time], committed: usize, start: Time, end: Time) -> Vec<Outcome> {
    latencies.sort_unstable();
    let pct = |p: usize| latencies.get((latencies.len() * p / 100).min(latencies.len().max(1) - 1));
    let span = end.saturating_sub(start).max(1);
    vec![
        Outcome::Summary(format!(
            "throughput: {committed} commands committed in {} = {:.0} commands/s",
            ms(span),
            committed as f64 / (span as f64 / 1e6)
        )),
        Outcome::Summary(format!(
            "client latency (submit → response, {} answered): median {}, p99 {}",
            latencies.len(),
            pct(50).map_or("-".into(), |t| ms(*t)),
            pct(99).map_or("-".into(), |t| ms(*t)),
        )),
    ]
}
