//! Fast Paxos: Lamport, "Fast Paxos", Distributed Computing 19(2):79–103, 2006. Every process
//! is client (proposer), acceptor, learner and coordinator. Round 1 is a *fast* round whose
//! phase 2a "any" message is implicit (§3.1: "the coordinator of round 1 can send its phase 2a
//! message in advance", since phase 1 of the first round finds nothing); every later round is
//! *classic* and run by the process whose id is in the round number. Quorums (§3.2, §4.1):
//! classic quorum ⌊n/2⌋+1, fast quorum ⌈3n/4⌉, so that any two classic quorums intersect and
//! any classic quorum meets any two fast quorums.
//!
//! ```text
//! Client c:
//! upon ⟨Propose | v⟩ do send ⟨propose | v⟩ to all acceptors                  (§3.1, fast)
//! Acceptor a (rnd, vrnd, vval kept in stable storage):
//! upon ⟨propose | v⟩ with rnd = 1 (fast, "any") and vrnd = 0 do
//!     vrnd ← 1; vval ← v; send ⟨2b | 1, v⟩ to all learners               (§3.1 phase 2b)
//! upon ⟨1a | i⟩ with i > rnd do rnd ← i; send ⟨1b | i, vrnd, vval⟩             (§2.2 phase 1b)
//! upon ⟨2a | i, v⟩ with i ≥ rnd do rnd, vrnd ← i; vval ← v; send ⟨2b | i, v⟩
//! Learner:
//! upon ⟨2b | i, v⟩ from a quorum of round i (fast quorum if i is fast) do ⟨Decide | v⟩
//! upon ⟨2b | 1, ·⟩ such that no value can still reach a fast quorum do       (collision, §3.3)
//!     start recovery: coordinate a new classic round
//! Coordinator of classic round i:
//! upon ⟨Timeout⟩ or collision do send ⟨1a | i⟩ to all acceptors
//! upon ⟨1b | i, vr_a, vv_a⟩ from a classic quorum Q do                        (§3.3 rule)
//!     k ← max vr_a;  V ← { vv_a : vr_a = k }
//!     if k = 0 then v ← own proposal
//!     else if V = {w} then v ← w
//!     else if O4(w) holds for some w ∈ V then v ← w    -- O4(w): some fast quorum R has
//!                                                          every a ∈ R ∩ Q voting w in k
//!     else v ← any value of V
//!     send ⟨2a | i, v⟩ to all acceptors
//! ```
//!
//! O4(w) reduces to a count: the best R takes all n−|Q| acceptors outside Q, so O4(w) holds iff
//! at least q_f − (n − |Q|) members of Q voted w in round k. With q_f = ⌈3n/4⌉ at most one w
//! qualifies. The coordinated-recovery optimisation of §3.4 (reusing round-1 2b messages as
//! phase 1b of round 2) is not implemented: recovery always runs a full classic round.
//!
//! The deliberately broken variant ([`Flaw::ClassicFastQuorum`]) uses ⌊n/2⌋+1 as the *fast*
//! quorum: one value can be chosen in the fast round and O4 then admits two values, so a
//! recovery round can choose the other one.

use std::collections::BTreeMap;

use crate::harness::{consensus_report, simulate, ProtocolEntry, RunConfig, RunReport};
use crate::protocol::{Context, NodeId, Protocol, Time, TimerId, WireSize};
use crate::sim::{Streams, Workload};

/// A proposal value.
pub type Value = u64;

/// A round number (§2.1 "round", Paxos' ballot): `(number, coordinator)`, ordered
/// lexicographically. `(0, 0)` is "no round"; [`FAST_ROUND`] is the single fast round.
pub type Round = (u64, NodeId);

/// "No round yet" (vrnd of an acceptor that never voted).
pub const NO_ROUND: Round = (0, 0);
/// Round 1: the fast round, whose "any" 2a message every acceptor starts with.
pub const FAST_ROUND: Round = (1, 0);

/// Fast Paxos messages (§2.2, §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Msg {
    /// Client → acceptors: a proposal sent straight to the acceptors for the fast round.
    Propose(Value),
    /// 1a: start classic round i.
    P1a(Round),
    /// 1b: promise for round i, with the acceptor's vrnd and vval.
    P1b(Round, Round, Option<Value>),
    /// Reply to a stale 1a/2a: the acceptor is in round `rnd`.
    Nack(Round, Round),
    /// 2a: accept v in classic round i.
    P2a(Round, Value),
    /// 2b: the acceptor voted v in round i; sent to every learner.
    P2b(Round, Value),
    /// A learner that knows the decision tells a laggard.
    Decided(Value),
    /// An undecided process without a proposal asks whether anything was decided.
    Query,
}

impl WireSize for Msg {
    fn size_bytes(&self) -> usize {
        1 + match self {
            Msg::Propose(_) | Msg::Decided(_) => 8,
            Msg::P1a(_) => 16,
            Msg::P1b(_, _, v) => 32 + v.map_or(1, |_| 9),
            Msg::Nack(..) => 32,
            Msg::P2a(..) | Msg::P2b(..) => 24,
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
    /// Correct Fast Paxos.
    #[default]
    None,
    /// Fast quorum = classic quorum = ⌊n/2⌋+1: too small for a fast round.
    ClassicFastQuorum,
}

/// Classic quorum size, ⌊n/2⌋+1 (§3.2).
pub fn classic_quorum(n: usize) -> usize {
    n / 2 + 1
}

/// Fast quorum size, ⌈3n/4⌉ (§4.1: with classic quorums ⌊n/2⌋+1, any classic quorum and any
/// two fast quorums then share an acceptor).
pub fn fast_quorum(n: usize) -> usize {
    (3 * n).div_ceil(4)
}

const RETRY: TimerId = 1;
/// Base coordinator timeout, µs; doubled per failed attempt up to 16×, plus 5 ms per process id.
const BASE_TIMEOUT: Time = 40_000;
/// Delay before starting recovery after a detected collision, µs, plus 4 ms per process id.
const COLLISION_DELAY: Time = 1_000;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    Idle,
    Collecting(BTreeMap<NodeId, (Round, Option<Value>)>),
    Accepting,
}

/// One Fast Paxos process (client + acceptor + learner + coordinator).
#[derive(Debug, Clone)]
pub struct FastPaxos {
    flaw: Flaw,
    // client / coordinator
    proposal: Option<Value>,
    crnd: Round,
    phase: Phase,
    attempts: u32,
    // acceptor (stable storage)
    rnd: Round,
    vrnd: Round,
    vval: Option<Value>,
    // learner
    votes: BTreeMap<Round, BTreeMap<NodeId, Value>>,
    collision_seen: bool,
    decided: Option<Value>,
}

impl FastPaxos {
    /// A fresh process with the given flaw (`Flaw::None` for correct Fast Paxos).
    pub fn new(flaw: Flaw) -> Self {
        FastPaxos {
            flaw,
            proposal: None,
            crnd: NO_ROUND,
            phase: Phase::Idle,
            attempts: 0,
            rnd: FAST_ROUND,
            vrnd: NO_ROUND,
            vval: None,
            votes: BTreeMap::new(),
            collision_seen: false,
            decided: None,
        }
    }

    /// The decided value, if this process has learned one.
    pub fn decided(&self) -> Option<Value> {
        self.decided
    }

    /// The number of acceptors that must vote v in `round` for v to be chosen.
    fn quorum(&self, n: usize, round: Round) -> usize {
        match (round == FAST_ROUND, self.flaw) {
            (true, Flaw::None) => fast_quorum(n),
            _ => classic_quorum(n),
        }
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

    /// Phase 1a of a fresh classic round above every round this process has seen.
    fn start_classic_round(&mut self, ctx: &mut Context<'_, Self>) {
        let number = self.crnd.0.max(self.rnd.0).max(FAST_ROUND.0) + 1;
        ctx.store("crnd", &number);
        self.crnd = (number, ctx.me);
        self.phase = Phase::Collecting(BTreeMap::new());
        ctx.broadcast_including_self(Msg::P1a(self.crnd));
        self.arm_retry(ctx);
    }

    /// The §3.3 rule: the value the coordinator may send in phase 2a, given the 1b messages of
    /// the quorum `q`; `None` when every value is allowed and this process has no proposal.
    fn pick_value(&self, n: usize, q: &BTreeMap<NodeId, (Round, Option<Value>)>) -> Option<Value> {
        let k = q.values().map(|(vr, _)| *vr).max().unwrap_or(NO_ROUND);
        if k == NO_ROUND {
            // Any value is allowed: our own proposal, else one we saw proposed in a 2b message.
            let seen = self.votes.values().flat_map(|votes| votes.values()).next().copied();
            return self.proposal.or(seen);
        }
        let mut counts: BTreeMap<Value, usize> = BTreeMap::new();
        for (_, vv) in q.values().filter(|(vr, _)| *vr == k) {
            *counts.entry(vv.expect("a vote in round k carries its value")).or_default() += 1;
        }
        // O4(w): |{a ∈ Q : a voted w in k}| ≥ q_f − (n − |Q|). Prefer the largest such w,
        // then the largest value of V (any choice is allowed when no O4(w) holds).
        let threshold = self.quorum(n, k).saturating_sub(n - q.len());
        let o4 = counts.iter().rev().find(|(_, c)| **c >= threshold).map(|(w, _)| *w);
        o4.or_else(|| counts.keys().next_back().copied())
    }

    /// upon ⟨1b | i, vr, vv⟩: count it; on a classic quorum pick the value and send 2a.
    fn on_p1b(
        &mut self,
        ctx: &mut Context<'_, Self>,
        from: NodeId,
        i: Round,
        vr: Round,
        vv: Option<Value>,
    ) {
        let Phase::Collecting(promises) = &mut self.phase else { return };
        if i != self.crnd {
            return;
        }
        promises.insert(from, (vr, vv));
        if promises.len() < classic_quorum(ctx.n) {
            return;
        }
        let promises = promises.clone();
        let Some(v) = self.pick_value(ctx.n, &promises) else { return };
        self.phase = Phase::Accepting;
        ctx.broadcast_including_self(Msg::P2a(self.crnd, v));
    }

    /// Acceptor: vote v in round i and tell every learner.
    fn vote(&mut self, ctx: &mut Context<'_, Self>, i: Round, v: Value) {
        self.rnd = i;
        self.vrnd = i;
        self.vval = Some(v);
        ctx.store("rnd", &self.rnd);
        ctx.store("vote", &(self.vrnd, self.vval));
        ctx.broadcast_including_self(Msg::P2b(i, v));
    }

    /// Learner: upon ⟨2b | i, v⟩; decide on a quorum of round i, or detect a fast-round collision.
    fn on_p2b(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, i: Round, v: Value) {
        let quorum = self.quorum(ctx.n, i);
        let votes = self.votes.entry(i).or_default();
        votes.insert(from, v);
        let mut counts: BTreeMap<Value, usize> = BTreeMap::new();
        for w in votes.values() {
            *counts.entry(*w).or_default() += 1;
        }
        let (received, best) = (votes.len(), counts.values().copied().max().unwrap_or(0));
        if counts[&v] >= quorum {
            self.decide(ctx, v);
        } else if i == FAST_ROUND && best + (ctx.n - received) < quorum && !self.collision_seen {
            self.collision_seen = true;
            if self.decided.is_none() {
                ctx.set_timer(RETRY, COLLISION_DELAY + 4_000 * ctx.me as Time);
            }
        }
    }

    /// Another coordinator is running round `i`: hold back our own timeout so we do not duel.
    fn yield_to(&mut self, ctx: &mut Context<'_, Self>, i: Round) {
        if i > self.crnd && i.1 != ctx.me && self.decided.is_none() {
            self.arm_retry(ctx);
        }
    }
}

impl Protocol for FastPaxos {
    type Message = Msg;
    type Request = Value;
    type Output = Decide;

    /// upon ⟨Init⟩ (or recovery): reload stable storage; resume if undecided.
    fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
        self.rnd = ctx.retrieve("rnd").unwrap_or(FAST_ROUND);
        (self.vrnd, self.vval) = ctx.retrieve("vote").unwrap_or((NO_ROUND, None));
        self.crnd = (ctx.retrieve("crnd").unwrap_or(0), ctx.me);
        self.proposal = ctx.retrieve("proposal");
        self.decided = ctx.retrieve("decided");
        if self.decided.is_none() {
            self.arm_retry(ctx);
        }
    }

    /// upon ⟨Propose | v⟩: remember v durably and send it straight to the acceptors.
    fn on_request(&mut self, ctx: &mut Context<'_, Self>, v: Value) {
        if self.decided.is_some() || self.proposal.is_some() {
            return;
        }
        self.proposal = Some(v);
        ctx.store("proposal", &v);
        ctx.broadcast_including_self(Msg::Propose(v));
        self.arm_retry(ctx);
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, msg: Msg) {
        if let Some(v) = self.decided {
            if matches!(msg, Msg::Propose(_) | Msg::P1a(_) | Msg::P2a(..) | Msg::Query) {
                ctx.send(from, Msg::Decided(v));
                return;
            }
        }
        match msg {
            Msg::Propose(v) if self.rnd == FAST_ROUND && self.vrnd == NO_ROUND => {
                self.vote(ctx, FAST_ROUND, v);
            }
            Msg::Propose(_) | Msg::Query => {}
            Msg::P1a(i) if i > self.rnd => {
                self.rnd = i;
                ctx.store("rnd", &self.rnd);
                ctx.send(from, Msg::P1b(i, self.vrnd, self.vval));
                self.yield_to(ctx, i);
            }
            Msg::P1a(i) => ctx.send(from, Msg::Nack(i, self.rnd)),
            Msg::P1b(i, vr, vv) => self.on_p1b(ctx, from, i, vr, vv),
            Msg::Nack(i, rnd) if i == self.crnd => {
                self.crnd.0 = self.crnd.0.max(rnd.0);
                self.attempts += 1;
            }
            Msg::Nack(..) => {}
            Msg::P2a(i, v) if i >= self.rnd => {
                self.vote(ctx, i, v);
                self.yield_to(ctx, i);
            }
            Msg::P2a(i, _) => ctx.send(from, Msg::Nack(i, self.rnd)),
            Msg::P2b(i, v) => self.on_p2b(ctx, from, i, v),
            Msg::Decided(v) => self.decide(ctx, v),
        }
    }

    /// upon ⟨Timeout⟩ while undecided: recover through a classic round (or just ask, if this
    /// process has no proposal and has seen no vote to re-propose).
    fn on_timer(&mut self, ctx: &mut Context<'_, Self>, _timer: TimerId) {
        if self.decided.is_some() {
            return;
        }
        self.attempts += 1;
        if self.proposal.is_some() || !self.votes.is_empty() || self.vval.is_some() {
            self.start_classic_round(ctx);
        } else {
            ctx.broadcast_excluding_self(Msg::Query);
            self.arm_retry(ctx);
        }
    }
}

/// Mean gap between two processes' proposals in the experiments, µs: about one network delay,
/// so some proposals reach the acceptors before the next client proposes (fast path) and some
/// race each other (collision, recovery).
pub const PROPOSAL_GAP: Time = 3_000;

/// Run Fast Paxos with `flaw` under `config`: every process proposes `100 + id`, at exponential
/// gaps of mean [`PROPOSAL_GAP`] (workload stream); checks the five consensus properties.
pub fn run_consensus(flaw: Flaw, config: &RunConfig) -> RunReport {
    let mut rng = Streams::new(config.seed).workload;
    let mut workload =
        Workload::open_loop(&mut rng, config.n, 0, PROPOSAL_GAP, config.n, |i, _| 100 + i as Value);
    for (i, r) in workload.requests.iter_mut().enumerate() {
        r.node = i; // one proposal per process
    }
    let run = simulate(config, move |_, _| FastPaxos::new(flaw), workload);
    consensus_report(config, run, |v| *v, |Decide(v)| *v)
}

const FAST_PAXOS_FAULTS: &str =
    "crash-stop or crash-recovery of f < n/2 (fast rounds need ⌈3n/4⌉ up, classic rounds a majority); \
     loss, duplication, reordering; partitions that heal";

/// `fast-paxos`: correct Fast Paxos.
pub static FAST_PAXOS: ProtocolEntry = ProtocolEntry {
    name: "fast-paxos",
    description: "Fast Paxos, fast round + classic recovery",
    source: "Lamport, Fast Paxos, Distrib. Comput. 2006, §2-§3",
    fault_model: FAST_PAXOS_FAULTS,
    default_n: 5,
    byzantine: false,
    run: |config| run_consensus(Flaw::None, config),
    comparison: None,
};

/// `fast-paxos-broken-quorum`: a classic majority used as the fast quorum.
pub static BROKEN_FAST_PAXOS_SMALL_FAST_QUORUM: ProtocolEntry = ProtocolEntry {
    name: "fast-paxos-broken-quorum",
    description: "BROKEN on purpose: Fast Paxos with a classic majority as its fast quorum",
    source: "",
    fault_model: FAST_PAXOS_FAULTS,
    default_n: 5,
    byzantine: false,
    run: |config| run_consensus(Flaw::ClassicFastQuorum, config),
    comparison: None,
};

#[cfg(test)]
mod tests;
