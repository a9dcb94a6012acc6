//! Single-decree Paxos: Lamport, "Paxos Made Simple", ACM SIGACT News 32(4), 2001, §2.
//! Every process is proposer, acceptor and learner (§2.4 "Learning a Chosen Value": acceptors
//! send ⟨Accepted⟩ to all learners). Phase names follow §2.2: 1a Prepare, 1b Promise,
//! 2a Accept, 2b Accepted.
//!
//! ```text
//! Proposer p, ballot b = (round, p):
//! upon ⟨Propose | v⟩ or ⟨Timeout⟩ while undecided do
//!     round ← max(round, promised.round) + 1; store(round);
//!     send ⟨Prepare | b⟩ to all                                        (1a)
//! upon ⟨Promise | b, acc⟩ from a quorum Q do                           (1b ×|Q|)
//!     v ← value of the highest-ballot acc in Q, or p's own proposal
//!     send ⟨Accept | b, v⟩ to all                                      (2a)
//! Acceptor a:
//! upon ⟨Prepare | b⟩ with b > promised do
//!     promised ← b; store(promised); send ⟨Promise | b, accepted⟩      (1b, §2.2 (a))
//! upon ⟨Accept | b, v⟩ with b ≥ promised do
//!     promised ← b; accepted ← (b, v); store(both);
//!     send ⟨Accepted | b, v⟩ to all learners                           (2b, §2.2 (b))
//! Learner:
//! upon ⟨Accepted | b, v⟩ from a quorum do trigger ⟨Decide | v⟩
//! ```
//!
//! Quorum = ⌊n/2⌋+1, so any two quorums intersect (§2.2 P2, via the majority argument of
//! §2.1). Liveness needs a single proposer to run long enough (§2.4 "Progress"): proposers back
//! off by a per-process, doubling timeout. Recovery (§2.3 last paragraph: "an acceptor must
//! remember … even if it fails and then restarts") reloads `promised`, `accepted`, `round`,
//! the proposal and the decision from stable storage.
//!
//! Two deliberately broken variants ([`Flaw`]) exist so the checkers have something to catch.

use std::collections::{BTreeMap, BTreeSet};

use crate::harness::{consensus_report, simulate, ProtocolEntry, RunConfig, RunReport};
use crate::protocol::{Context, NodeId, Protocol, Time, TimerId, WireSize};
use crate::sim::{Streams, Workload};

/// A proposal value.
pub type Value = u64;

/// A ballot (proposal number, §2.2): `(round, proposer)`, ordered lexicographically so that
/// ballots of different proposers never tie. `(0, 0)` is below every real ballot.
pub type Ballot = (u64, NodeId);

/// Paxos messages, §2.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Msg {
    /// 1a: "prepare request with number b".
    Prepare(Ballot),
    /// 1b: promise not to accept ballots below `b`, with the highest accepted proposal.
    Promise(Ballot, Option<(Ballot, Value)>),
    /// Reply to a stale 1a/2a: the acceptor has promised `promised`.
    Nack(Ballot, Ballot),
    /// 2a: "accept request" for `(b, v)`.
    Accept(Ballot, Value),
    /// 2b: the acceptor accepted `(b, v)`; sent to every learner.
    Accepted(Ballot, Value),
    /// A learner that already knows the decision tells a laggard (§2.4).
    Decided(Value),
    /// An undecided process without its own proposal asks whether anything was decided.
    Query,
}

impl WireSize for Msg {
    fn size_bytes(&self) -> usize {
        1 + match self {
            Msg::Prepare(_) => 16,
            Msg::Promise(_, acc) => 17 + acc.map_or(0, |_| 24),
            Msg::Nack(..) => 32,
            Msg::Accept(..) | Msg::Accepted(..) => 24,
            Msg::Decided(_) => 8,
            Msg::Query => 0,
        }
    }
}

/// ⟨Decide | v⟩.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decide(pub Value);

/// A deliberate bug, for testing the checkers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flaw {
    /// Correct Paxos.
    #[default]
    None,
    /// Quorums of ⌊n/2⌋ instead of ⌊n/2⌋+1: two quorums can be disjoint.
    MinorityQuorum,
    /// Acceptors forget their promise in phase 2: they accept any ⟨Accept⟩, even one below
    /// the ballot they promised (breaks §2.2 (b)).
    ForgetfulAcceptor,
}

const RETRY: TimerId = 1;
/// Base proposer timeout, µs; doubled per failed attempt up to 16×, plus 5 ms per process id.
const BASE_TIMEOUT: Time = 40_000;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    Idle,
    Preparing(BTreeMap<NodeId, Option<(Ballot, Value)>>),
    Accepting,
}

/// One Paxos process (proposer + acceptor + learner).
#[derive(Debug, Clone)]
pub struct Paxos {
    flaw: Flaw,
    // proposer
    proposal: Option<Value>,
    round: u64,
    ballot: Ballot,
    phase: Phase,
    attempts: u32,
    // acceptor (persistent)
    promised: Ballot,
    accepted: Option<(Ballot, Value)>,
    // learner
    votes: BTreeMap<Ballot, BTreeSet<NodeId>>,
    decided: Option<Value>,
}

impl Paxos {
    /// A fresh process with the given flaw (`Flaw::None` for correct Paxos).
    pub fn new(flaw: Flaw) -> Self {
        Paxos {
            flaw,
            proposal: None,
            round: 0,
            ballot: (0, 0),
            phase: Phase::Idle,
            attempts: 0,
            promised: (0, 0),
            accepted: None,
            votes: BTreeMap::new(),
            decided: None,
        }
    }

    /// The decided value, if this process has learned one.
    pub fn decided(&self) -> Option<Value> {
        self.decided
    }

    fn quorum(&self, n: usize) -> usize {
        match self.flaw {
            Flaw::MinorityQuorum => (n / 2).max(1),
            _ => n / 2 + 1,
        }
    }

    /// Phase 1a with a fresh ballot above anything this process has seen.
    fn start_ballot(&mut self, ctx: &mut Context<'_, Self>) {
        self.round = self.round.max(self.promised.0) + 1;
        ctx.store("round", &self.round);
        self.ballot = (self.round, ctx.me);
        self.phase = Phase::Preparing(BTreeMap::new());
        ctx.broadcast_including_self(Msg::Prepare(self.ballot));
        self.arm_retry(ctx);
    }

    fn arm_retry(&mut self, ctx: &mut Context<'_, Self>) {
        let backoff = BASE_TIMEOUT << self.attempts.min(4);
        ctx.set_timer(RETRY, backoff + 5_000 * ctx.me as Time);
    }

    fn decide(&mut self, ctx: &mut Context<'_, Self>, v: Value) {
        if self.decided.is_none() {
            self.decided = Some(v);
            ctx.store("decided", &v);
            ctx.cancel_timer(RETRY);
            self.phase = Phase::Idle;
            ctx.output(Decide(v));
        }
    }

    /// upon ⟨Promise | b, acc⟩: count it; on a quorum pick the value (§2.2 P2c) and send 2a.
    fn on_promise(
        &mut self,
        ctx: &mut Context<'_, Self>,
        from: NodeId,
        b: Ballot,
        acc: Option<(Ballot, Value)>,
    ) {
        let quorum = self.quorum(ctx.n);
        let Phase::Preparing(promises) = &mut self.phase else { return };
        if b != self.ballot {
            return;
        }
        promises.insert(from, acc);
        if promises.len() < quorum {
            return;
        }
        let highest =
            promises.values().flatten().max_by_key(|(ballot, _)| *ballot).map(|(_, v)| *v);
        let Some(v) = highest.or(self.proposal) else { return };
        self.phase = Phase::Accepting;
        ctx.broadcast_including_self(Msg::Accept(self.ballot, v));
    }

    /// upon ⟨Accept | b, v⟩: accept unless promised to a higher ballot (§2.2 (b)).
    fn on_accept(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, b: Ballot, v: Value) {
        if b >= self.promised || self.flaw == Flaw::ForgetfulAcceptor {
            self.promised = self.promised.max(b);
            self.accepted = Some((b, v));
            ctx.store("promised", &self.promised);
            ctx.store("accepted", &self.accepted);
            ctx.broadcast_including_self(Msg::Accepted(b, v));
        } else {
            ctx.send(from, Msg::Nack(b, self.promised));
        }
    }

    /// upon ⟨Accepted | b, v⟩ from a quorum of acceptors: v is chosen (§2.4).
    fn on_accepted(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, b: Ballot, v: Value) {
        let voters = self.votes.entry(b).or_default();
        voters.insert(from);
        if voters.len() >= self.quorum(ctx.n) {
            self.decide(ctx, v);
        }
    }
}

impl Protocol for Paxos {
    type Message = Msg;
    type Request = Value;
    type Output = Decide;

    /// upon ⟨Init⟩ (or recovery): reload stable storage; resume proposing if undecided.
    fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
        self.promised = ctx.retrieve("promised").unwrap_or((0, 0));
        self.accepted = ctx.retrieve("accepted").flatten();
        self.round = ctx.retrieve("round").unwrap_or(0);
        self.proposal = ctx.retrieve("proposal");
        self.decided = ctx.retrieve("decided");
        if self.decided.is_none() {
            if self.proposal.is_some() {
                self.start_ballot(ctx);
            } else {
                self.arm_retry(ctx);
            }
        }
    }

    /// upon ⟨Propose | v⟩: remember v durably and start phase 1.
    fn on_request(&mut self, ctx: &mut Context<'_, Self>, v: Value) {
        if self.decided.is_some() || self.proposal.is_some() {
            return;
        }
        self.proposal = Some(v);
        ctx.store("proposal", &v);
        self.start_ballot(ctx);
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, msg: Msg) {
        if let (Some(v), Msg::Prepare(_) | Msg::Accept(..) | Msg::Query) = (self.decided, msg) {
            ctx.send(from, Msg::Decided(v));
            return;
        }
        match msg {
            Msg::Prepare(b) if b > self.promised => {
                self.promised = b;
                ctx.store("promised", &self.promised);
                ctx.send(from, Msg::Promise(b, self.accepted));
            }
            Msg::Prepare(b) => ctx.send(from, Msg::Nack(b, self.promised)),
            Msg::Promise(b, acc) => self.on_promise(ctx, from, b, acc),
            Msg::Nack(b, promised) if b == self.ballot => {
                self.round = self.round.max(promised.0);
                self.attempts += 1;
            }
            Msg::Nack(..) | Msg::Query => {}
            Msg::Accept(b, v) => self.on_accept(ctx, from, b, v),
            Msg::Accepted(b, v) => self.on_accepted(ctx, from, b, v),
            Msg::Decided(v) => self.decide(ctx, v),
        }
    }

    /// upon ⟨Timeout⟩ while undecided: retry with a higher ballot (or just ask, if no proposal).
    fn on_timer(&mut self, ctx: &mut Context<'_, Self>, _timer: TimerId) {
        if self.decided.is_some() {
            return;
        }
        self.attempts += 1;
        if self.proposal.is_some() {
            self.start_ballot(ctx);
        } else {
            ctx.broadcast_excluding_self(Msg::Query);
            self.arm_retry(ctx);
        }
    }
}

/// Run Paxos with `flaw` under `config`: every process proposes `100 + id` at a random time in
/// the first 2 ms (workload stream); checks the five consensus properties.
pub fn run_consensus(flaw: Flaw, config: &RunConfig) -> RunReport {
    let mut rng = Streams::new(config.seed).workload;
    let mut workload =
        Workload::open_loop(&mut rng, config.n, 0, 400, config.n, |i, _| 100 + i as Value);
    for (i, r) in workload.requests.iter_mut().enumerate() {
        r.node = i; // one proposal per process
    }
    let run = simulate(config, move |_, _| Paxos::new(flaw), workload);
    consensus_report(config, run, |v| *v, |Decide(v)| *v)
}

const PAXOS_FAULTS: &str =
    "crash-stop or crash-recovery of f < n/2; loss, duplication, reordering; partitions that heal";

/// `paxos`: correct single-decree Paxos.
pub static SINGLE_DECREE_PAXOS: ProtocolEntry = ProtocolEntry {
    name: "paxos",
    description: "single-decree Paxos",
    source: "Lamport, Paxos Made Simple, 2001, §2",
    fault_model: PAXOS_FAULTS,
    default_n: 5,
    byzantine: false,
    run: |config| run_consensus(Flaw::None, config),
    comparison: None,
};

/// `paxos-broken-quorum`: quorums of ⌊n/2⌋.
pub static BROKEN_PAXOS_MINORITY_QUORUM: ProtocolEntry = ProtocolEntry {
    name: "paxos-broken-quorum",
    description: "BROKEN on purpose: Paxos with quorums of n/2 (two quorums may not intersect)",
    source: "",
    fault_model: PAXOS_FAULTS,
    default_n: 4,
    byzantine: false,
    run: |config| run_consensus(Flaw::MinorityQuorum, config),
    comparison: None,
};

/// `paxos-broken-forgetful`: acceptors ignore their promise in phase 2.
pub static BROKEN_PAXOS_FORGETFUL_ACCEPTOR: ProtocolEntry = ProtocolEntry {
    name: "paxos-broken-forgetful",
    description: "BROKEN on purpose: Paxos whose acceptors forget their promise in phase 2",
    source: "",
    fault_model: PAXOS_FAULTS,
    default_n: 5,
    byzantine: false,
    run: |config| run_consensus(Flaw::ForgetfulAcceptor, config),
    comparison: None,
};

#[cfg(test)]
mod tests;
