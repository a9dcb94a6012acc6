//! Two-phase commit: Gray, "Notes on Data Base Operating Systems", LNCS 60, 1978, §5.8.3.3, in
//! the form of Bernstein, Hadzilacos, Goodman, *Concurrency Control and Recovery in Database
//! Systems*, 1987, §7.3 ("The Two Phase Commit Protocol", Fig. 7-2, with the timeout actions of
//! §7.3 and the recovery rules of §7.4). Process 0 is the coordinator; 1‥n−1 are participants.
//!
//! ```text
//! Coordinator:
//! upon ⟨Begin⟩ do send ⟨VOTE-REQ⟩ to all participants; starttimer
//! upon ⟨VOTE | p, v⟩ do
//!     if v = No then decide Abort
//!     else if every participant voted Yes then decide Commit
//! upon ⟨Timeout⟩ while undecided do
//!     if ⟨Begin⟩ never came (lost in a crash) then decide Abort
//!     else if the vote deadline passed then decide Abort (§7.3: "the coordinator can decide Abort")
//!     else re-send ⟨VOTE-REQ⟩ to the participants that have not voted
//! decide o: write the decision record (store); send ⟨o⟩ to all participants
//! Participant p:
//! upon ⟨VOTE-REQ⟩ and its local vote v is known do
//!     write v (store); send ⟨VOTE | v⟩;  if v = No then decide Abort (unilaterally)
//! upon ⟨COMMIT⟩ / ⟨ABORT⟩ do decide it
//! upon ⟨Timeout⟩ do
//!     if p has not voted then decide Abort (unilaterally, §7.3)
//!     else ask the coordinator for the decision — p voted Yes and is *uncertain*: it may
//!     neither commit nor abort on its own, so if the coordinator is down it BLOCKS (§7.3)
//! ```
//!
//! Recovery (§7.4): a coordinator that finds a decision record re-sends it; one that finds none
//! decides Abort (it cannot have sent Commit without writing it first). A participant that finds
//! a Yes vote and no decision is still uncertain and asks again.
//!
//! The deliberately broken variant ([`Flaw::CommitOnMissingVote`]) lets the coordinator decide
//! Commit at the vote deadline when no vote it *received* was No, i.e. counts a missing vote as
//! Yes: it breaks validity (AC3) and, against a participant that aborted on its own, agreement.

use std::collections::BTreeMap;

use crate::check::commit::{self, CommitHistory, Outcome, Vote};
use crate::harness::{simulate, ProtocolEntry, RunConfig, RunReport, Simulated};
use crate::protocol::{Context, NodeId, Protocol, Time, TimerId, WireSize};
use crate::sim::{Streams, Workload};

/// The coordinator's process id.
pub const COORDINATOR: NodeId = 0;

/// 2PC messages (BHG §7.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Msg {
    /// Coordinator → participant: "prepare, and tell me your vote".
    VoteReq,
    /// Participant → coordinator.
    Vote(Vote),
    /// Coordinator → participant: the decision, COMMIT or ABORT.
    Decision(Outcome),
    /// An uncertain participant asks the coordinator for the decision (§7.3 timeout action).
    DecisionReq,
}

impl WireSize for Msg {
    fn size_bytes(&self) -> usize {
        match self {
            Msg::VoteReq | Msg::DecisionReq => 1,
            Msg::Vote(_) | Msg::Decision(_) => 2,
        }
    }
}

/// Input from the layer above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// At the coordinator: start committing the transaction.
    Begin,
    /// At a participant: its local verdict on the transaction (can it commit?).
    Ready(Vote),
}

/// Indications recorded for the checker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// The participant cast this vote (wrote it to its log).
    Voted(Vote),
    /// The process decided.
    Decided(Outcome),
}

/// A deliberate bug, for testing the checkers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flaw {
    /// Correct 2PC.
    #[default]
    None,
    /// At the vote deadline the coordinator commits unless a No arrived: missing votes count as Yes.
    CommitOnMissingVote,
}

const TIMER: TimerId = 1;
/// Coordinator: re-send ⟨VOTE-REQ⟩ this often, µs.
const RESEND: Time = 20_000;
/// Coordinator: abort when not every vote arrived this long after ⟨Begin⟩, µs.
const VOTE_DEADLINE: Time = 150_000;
/// Participant: abort unilaterally if no ⟨VOTE-REQ⟩ came this long after start, µs; the
/// coordinator likewise aborts if no ⟨Begin⟩ came.
const UNVOTED_TIMEOUT: Time = 300_000;
/// Participant: first wait before asking for the decision, µs (doubles up to 16×).
const ASK: Time = 30_000;

/// One 2PC process: the coordinator (id 0) or a participant.
#[derive(Debug, Clone)]
pub struct TwoPhaseCommit {
    flaw: Flaw,
    decided: Option<Outcome>,
    // coordinator
    begun_at: Option<Time>,
    votes: BTreeMap<NodeId, Vote>,
    // participant
    ready: Option<Vote>,
    voted: Option<Vote>,
    vote_requested: bool,
    asks: u32,
}

impl TwoPhaseCommit {
    /// A fresh process with the given flaw (`Flaw::None` for correct 2PC).
    pub fn new(flaw: Flaw) -> Self {
        TwoPhaseCommit {
            flaw,
            decided: None,
            begun_at: None,
            votes: BTreeMap::new(),
            ready: None,
            voted: None,
            vote_requested: false,
            asks: 0,
        }
    }

    /// The decision, if this process reached one.
    pub fn decided(&self) -> Option<Outcome> {
        self.decided
    }

    /// `true` for a participant that voted Yes and has no decision: BHG's *uncertainty period*.
    pub fn is_uncertain(&self) -> bool {
        self.voted == Some(Vote::Yes) && self.decided.is_none()
    }

    /// Decide `o` once: log it, tell the layer above, and (coordinator) tell every participant.
    fn decide(&mut self, ctx: &mut Context<'_, Self>, o: Outcome) {
        if self.decided.is_some() {
            return;
        }
        self.decided = Some(o);
        ctx.store("decision", &o);
        ctx.cancel_timer(TIMER);
        ctx.output(Output::Decided(o));
        if ctx.me == COORDINATOR {
            ctx.broadcast_excluding_self(Msg::Decision(o));
        }
    }

    // ---- coordinator ----

    fn begin(&mut self, ctx: &mut Context<'_, Self>) {
        if self.begun_at.is_some() || self.decided.is_some() {
            return;
        }
        let now = ctx.now;
        self.begun_at = Some(now);
        ctx.store("begun", &now);
        ctx.broadcast_excluding_self(Msg::VoteReq);
        ctx.set_timer(TIMER, RESEND);
    }

    fn on_vote(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, v: Vote) {
        if let Some(o) = self.decided {
            ctx.send(from, Msg::Decision(o));
            return;
        }
        self.votes.insert(from, v);
        if v == Vote::No {
            self.decide(ctx, Outcome::Abort);
        } else if (1..ctx.n).all(|p| self.votes.get(&p) == Some(&Vote::Yes)) {
            self.decide(ctx, Outcome::Commit);
        }
    }

    fn coordinator_timeout(&mut self, ctx: &mut Context<'_, Self>) {
        let Some(begun) = self.begun_at else {
            // Never asked to commit (⟨Begin⟩ was lost in a crash): nobody can have voted on our
            // request, so abort, like a participant that was never asked for its vote.
            self.decide(ctx, Outcome::Abort);
            return;
        };
        if ctx.now.saturating_sub(begun) >= VOTE_DEADLINE {
            let outcome = match self.flaw {
                Flaw::CommitOnMissingVote if !self.votes.values().any(|v| *v == Vote::No) => {
                    Outcome::Commit
                }
                _ => Outcome::Abort,
            };
            self.decide(ctx, outcome);
            return;
        }
        for p in (1..ctx.n).filter(|p| !self.votes.contains_key(p)) {
            ctx.send(p, Msg::VoteReq);
        }
        ctx.set_timer(TIMER, RESEND);
    }

    // ---- participant ----

    fn cast_vote(&mut self, ctx: &mut Context<'_, Self>) {
        if let Some(v) = self.voted {
            ctx.send(COORDINATOR, Msg::Vote(v)); // a re-sent VOTE-REQ: our vote was lost
            return;
        }
        let (Some(v), true, None) = (self.ready, self.vote_requested, self.decided) else {
            return;
        };
        self.voted = Some(v);
        ctx.store("vote", &v);
        ctx.output(Output::Voted(v));
        ctx.send(COORDINATOR, Msg::Vote(v));
        match v {
            Vote::No => self.decide(ctx, Outcome::Abort),
            Vote::Yes => ctx.set_timer(TIMER, ASK),
        }
    }

    fn participant_timeout(&mut self, ctx: &mut Context<'_, Self>) {
        match self.voted {
            None => self.decide(ctx, Outcome::Abort),
            Some(_) => {
                ctx.send(COORDINATOR, Msg::DecisionReq);
                self.asks += 1;
                ctx.set_timer(TIMER, ASK << self.asks.min(4));
            }
        }
    }
}

impl Protocol for TwoPhaseCommit {
    type Message = Msg;
    type Request = Request;
    type Output = Output;

    /// upon ⟨Init⟩ (or recovery, BHG §7.4): reload the log and resume.
    fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
        self.decided = ctx.retrieve("decision");
        if ctx.me == COORDINATOR {
            self.begun_at = ctx.retrieve("begun");
            match (self.decided, self.begun_at) {
                (Some(o), _) => ctx.broadcast_excluding_self(Msg::Decision(o)),
                (None, Some(_)) => self.decide(ctx, Outcome::Abort), // no record: presumed abort
                (None, None) => ctx.set_timer(TIMER, UNVOTED_TIMEOUT),
            }
            return;
        }
        self.voted = ctx.retrieve("vote");
        if self.decided.is_none() {
            let wait = if self.voted.is_some() { ASK } else { UNVOTED_TIMEOUT };
            ctx.set_timer(TIMER, wait);
        }
    }

    fn on_request(&mut self, ctx: &mut Context<'_, Self>, req: Request) {
        match req {
            Request::Begin if ctx.me == COORDINATOR => self.begin(ctx),
            Request::Ready(v) if ctx.me != COORDINATOR => {
                self.ready = Some(v);
                self.cast_vote(ctx);
            }
            Request::Begin | Request::Ready(_) => {}
        }
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, msg: Msg) {
        match msg {
            Msg::VoteReq if self.voted.is_none() && self.decided == Some(Outcome::Abort) => {
                ctx.send(COORDINATOR, Msg::Vote(Vote::No)); // aborted unilaterally before voting
            }
            Msg::VoteReq => {
                self.vote_requested = true;
                self.cast_vote(ctx);
            }
            Msg::Vote(v) if ctx.me == COORDINATOR => self.on_vote(ctx, from, v),
            Msg::DecisionReq => {
                if let Some(o) = self.decided.filter(|_| ctx.me == COORDINATOR) {
                    ctx.send(from, Msg::Decision(o));
                }
            }
            Msg::Decision(o) if from == COORDINATOR => self.decide(ctx, o),
            Msg::Vote(_) | Msg::Decision(_) => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_, Self>, _timer: TimerId) {
        if self.decided.is_some() {
            return;
        }
        if ctx.me == COORDINATOR {
            self.coordinator_timeout(ctx);
        } else {
            self.participant_timeout(ctx);
        }
    }
}

/// Probability that a participant's local verdict is No, in the experiments' workload.
pub const NO_VOTE_PROBABILITY: f64 = 0.1;

/// The scripted workload of one commit run, shared with [`super::commit_presumed`]: ⟨Begin⟩ at
/// the coordinator at 1 ms, then for each participant 1‥n−1, in order, its local verdict (No
/// with probability [`NO_VOTE_PROBABILITY`]) at a uniform time in `[0, ready_within)` µs, both
/// drawn from the seed's workload stream.
pub(crate) fn commit_workload(config: &RunConfig, ready_within: Time) -> Workload<Request> {
    use rand::Rng;
    let mut rng = Streams::new(config.seed).workload;
    let mut requests = vec![(1_000, COORDINATOR, Request::Begin)];
    for p in 1..config.n {
        let vote = if rng.random_bool(NO_VOTE_PROBABILITY) { Vote::No } else { Vote::Yes };
        requests.push((rng.random_range(0..ready_within), p, Request::Ready(vote)));
    }
    Workload::scripted(requests)
}

/// The report of one commit run, shared with [`super::commit_presumed`]: `header` outcomes
/// (summaries), then one [`crate::harness::Outcome::Decided`] per decision; latency of each process's first decision from the ⟨Begin⟩ at 1 ms;
/// verdicts of BHG's AC1–AC5 ([`commit::check`]) over `votes` and `decisions` (time, process,
/// outcome), with "failure-free" meaning no crash, no loss and no partition in `config`.
pub(crate) fn commit_report<P: Protocol>(
    config: &RunConfig,
    run: Simulated<P>,
    mut header: Vec<crate::harness::Outcome>,
    votes: Vec<(NodeId, Vote)>,
    decisions: Vec<(Time, NodeId, Outcome)>,
) -> RunReport {
    header.extend(
        decisions.iter().map(|(t, node, o)| crate::harness::Outcome::decided(*t, *node, o)),
    );
    let failure_free = config.faults.crash == 0
        && config.network.loss == 0.0
        && config.faults.partitions.is_empty();
    let history = CommitHistory {
        participants: (1..config.n).collect(),
        votes,
        decisions,
        correct: config.correct(&run.history),
        failure_free,
    };
    // One decision per process that decided (its first), latency from the request at 1 ms.
    let mut firsts: BTreeMap<NodeId, Time> = BTreeMap::new();
    for d in &history.decisions {
        firsts.entry(d.1).or_insert(d.0);
    }
    let pairs: Vec<(Time, Time)> = firsts.values().map(|t| (1_000, *t)).collect();
    let verdicts = commit::check(&history);
    run.report_pairs(config, header, &pairs, verdicts)
}

/// Run 2PC with `flaw` under `config`: ⟨Begin⟩ at the coordinator at 1 ms, each participant's
/// local verdict (No with probability [`NO_VOTE_PROBABILITY`], workload stream) at a uniform
/// time in the first 2 ms; checks BHG's AC1–AC5 ([`commit::check`]).
pub fn run_commit(flaw: Flaw, config: &RunConfig) -> RunReport {
    let workload = commit_workload(config, 2_000);
    let run = simulate(config, move |_, _| TwoPhaseCommit::new(flaw), workload);
    let (mut votes, mut decisions) = (Vec::new(), Vec::new());
    for (t, node, out) in run.history.outputs() {
        match *out {
            Output::Voted(v) => votes.push((node, v)),
            Output::Decided(o) => decisions.push((t, node, o)),
        }
    }
    commit_report(config, run, Vec::new(), votes, decisions)
}

const TPC_FAULTS: &str = "safe under any crashes, loss, duplication, reordering, partitions; \
     live only if a crashed coordinator recovers (crash-stop of the coordinator after the votes BLOCKS)";

/// `2pc`: correct two-phase commit.
pub static TWO_PHASE_COMMIT: ProtocolEntry = ProtocolEntry {
    name: "2pc",
    description: "two-phase commit",
    source: "Gray 1978; Bernstein-Hadzilacos-Goodman 1987, §7.3",
    fault_model: TPC_FAULTS,
    default_n: 4,
    byzantine: false,
    run: |config| run_commit(Flaw::None, config),
    comparison: None,
};

/// `2pc-broken-missing-vote`: the coordinator commits when a vote is missing at the deadline.
pub static BROKEN_TWO_PHASE_COMMIT_MISSING_VOTE: ProtocolEntry = ProtocolEntry {
    name: "2pc-broken-missing-vote",
    description:
        "BROKEN on purpose: 2PC whose coordinator commits when a vote is missing at the deadline",
    source: "",
    fault_model: TPC_FAULTS,
    default_n: 4,
    byzantine: false,
    run: |config| run_commit(Flaw::CommitOnMissingVote, config),
    comparison: None,
};

#[cfg(test)]
mod tests;
