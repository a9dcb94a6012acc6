//! Two-phase commit with a write-ahead log whose writes are counted: the basic protocol, the
//! **presumed-abort** (PA) and **presumed-commit** (PC) variants of Mohan, Lindsay & Obermarck,
//! "Transaction Management in the R* Distributed Database Management System", ACM TODS 11(4)
//! 1986, §2–§3, and the **cooperative termination protocol** of Bernstein, Hadzilacos &
//! Goodman, *Concurrency Control and Recovery in Database Systems*, 1987, §7.4.
//!
//! Process 0 is the coordinator, 1‥n−1 the participants (R*'s subordinates). Every log write is
//! an [`Output::Logged`] (so a run counts them); a **forced** write reaches stable storage
//! before the process goes on, a non-forced one sits in a buffer that the next forced write
//! flushes and a crash loses.
//!
//! ```text
//!                      coordinator (commit | abort)          participant (commit | abort)
//! basic 2PC  (§2)      force commit, end  | force abort, end  force prepared, force commit, ACK
//!                                                             | force abort, ACK
//! PA         (§3.1)    force commit, end  | nothing, no ACKs  as basic | abort not forced, no ACK
//! PC         (§3.2)    force collecting, force commit, no ACKs | force collecting, force abort, end
//!                                                             prepared forced, commit not forced,
//!                                                             no ACK | force abort, ACK
//! ```
//!
//! A No voter's abort record follows the same forcing rule as the other abort records (a
//! simplification of R*, where it is never needed for recovery).
//!
//! An inquiry about a transaction the coordinator has no record of is answered with the
//! presumption: ABORT under PA, COMMIT under PC. That is safe in PC only because the
//! *collecting* record is forced before any PREPARE leaves: a coordinator that crashed before
//! deciding finds it on recovery and aborts. [`Flaw::NoCollectingRecord`] drops that write, so a
//! recovered coordinator tells an uncertain participant COMMIT although another voted No.
//!
//! Cooperative termination (BHG §7.4): an uncertain participant whose inquiry to the coordinator
//! goes unanswered also asks every other participant; one that knows the outcome tells it, one
//! that has not voted aborts unilaterally and tells ABORT, an uncertain one cannot help. It
//! blocks only when every participant it can reach is uncertain too.

use std::collections::BTreeSet;

use super::two_phase_commit::{commit_report, commit_workload};
use crate::check::commit::{Outcome, Vote};
use crate::harness::{simulate, ProtocolEntry, RunConfig, RunReport};
use crate::protocol::{Context, NodeId, Protocol, Time, TimerId, WireSize};

pub use super::two_phase_commit::{Request, COORDINATOR, NO_VOTE_PROBABILITY};

/// What the coordinator presumes about a transaction it has no record of (TODS 1986 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presumption {
    /// Basic 2PC (§2): every outcome is logged by force and acknowledged.
    Nothing,
    /// Presumed abort (§3.1).
    Abort,
    /// Presumed commit (§3.2).
    Commit,
}

/// A deliberate bug, for testing the checkers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flaw {
    /// Correct.
    #[default]
    None,
    /// PC without the forced *collecting* record before PREPARE.
    NoCollectingRecord,
}

/// A log record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Record {
    /// PC coordinator: the transaction and its participants, before PREPARE.
    Collecting,
    /// Participant: voted Yes.
    Prepared,
    /// The outcome.
    Outcome(Outcome),
    /// Coordinator: every needed ACK arrived; the transaction can be forgotten.
    End,
}

/// Messages (TODS 1986 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Msg {
    /// Coordinator → participant.
    Prepare,
    /// Participant → coordinator.
    Vote(Vote),
    /// The outcome (from the coordinator, or from a participant under cooperative termination).
    Decision(Outcome),
    /// Participant → coordinator: the outcome was logged.
    Ack,
    /// An uncertain participant's inquiry (to the coordinator, or to the others under
    /// cooperative termination).
    DecisionReq,
}

impl WireSize for Msg {
    fn size_bytes(&self) -> usize {
        match self {
            Msg::Prepare | Msg::Ack | Msg::DecisionReq => 1,
            Msg::Vote(_) | Msg::Decision(_) => 2,
        }
    }
}

/// Indications recorded for the checker and the counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// A participant cast this vote.
    Voted(Vote),
    /// The process decided.
    Decided(Outcome),
    /// The process wrote `record` to its log, forced or not.
    Logged {
        /// What.
        record: Record,
        /// Whether the write was forced to stable storage.
        forced: bool,
    },
}

const TIMER: TimerId = 1;
/// Coordinator: re-send PREPARE or the decision this often, µs.
const RESEND: Time = 20_000;
/// Coordinator: abort when a vote is still missing this long after Begin, µs.
const VOTE_DEADLINE: Time = 150_000;
/// Abort unilaterally when never asked to vote (participant) or never begun (coordinator), µs.
const UNVOTED_TIMEOUT: Time = 300_000;
/// Participant: first wait after voting Yes before inquiring, µs (doubles up to 16×).
const ASK: Time = 50_000;

/// One process of the logged 2PC family.
#[derive(Debug, Clone)]
pub struct LoggedCommit {
    presumption: Presumption,
    cooperative: bool,
    flaw: Flaw,
    decided: Option<Outcome>,
    /// Non-forced records not yet on stable storage.
    buffer: Vec<Record>,
    // coordinator
    begun_at: Option<Time>,
    yes: BTreeSet<NodeId>,
    no: BTreeSet<NodeId>,
    acked: BTreeSet<NodeId>,
    /// Participants the decision was sent to.
    told: BTreeSet<NodeId>,
    ended: bool,
    // participant
    ready: Option<Vote>,
    voted: Option<Vote>,
    asks: u32,
}

impl LoggedCommit {
    /// A fresh process.
    pub fn new(presumption: Presumption, cooperative: bool, flaw: Flaw) -> Self {
        LoggedCommit {
            presumption,
            cooperative,
            flaw,
            decided: None,
            buffer: Vec::new(),
            begun_at: None,
            yes: BTreeSet::new(),
            no: BTreeSet::new(),
            acked: BTreeSet::new(),
            told: BTreeSet::new(),
            ended: false,
            ready: None,
            voted: None,
            asks: 0,
        }
    }

    /// The decision, if any.
    pub fn decided(&self) -> Option<Outcome> {
        self.decided
    }

    /// Whether an outcome record is forced (TODS 1986 §3: PA does not force aborts, PC does
    /// not force a participant's commit).
    fn forces(&self, me: NodeId, o: Outcome) -> bool {
        match (self.presumption, o) {
            (Presumption::Abort, Outcome::Abort) => false,
            (Presumption::Commit, Outcome::Commit) => me == COORDINATOR,
            _ => true,
        }
    }

    /// Whether outcome `o` must be acknowledged by participants (the non-presumed outcome).
    fn acked_outcome(&self, o: Outcome) -> bool {
        !matches!(
            (self.presumption, o),
            (Presumption::Abort, Outcome::Abort) | (Presumption::Commit, Outcome::Commit)
        )
    }

    /// Append `record`; a forced write flushes the buffer with it to stable storage.
    fn log(&mut self, ctx: &mut Context<'_, Self>, record: Record, forced: bool) {
        ctx.output(Output::Logged { record, forced });
        self.buffer.push(record);
        if forced {
            let mut stable: Vec<Record> = ctx.retrieve("log").unwrap_or_default();
            stable.append(&mut self.buffer);
            ctx.store("log", &stable);
        }
    }

    fn decide(&mut self, ctx: &mut Context<'_, Self>, o: Outcome) {
        if self.decided.is_some() {
            return;
        }
        self.decided = Some(o);
        ctx.output(Output::Decided(o));
        let coordinator = ctx.me == COORDINATOR;
        // PA coordinators write nothing on abort (TODS 1986 §3.1).
        let logs = !(coordinator && self.presumption == Presumption::Abort && o == Outcome::Abort);
        if logs {
            let forced = self.forces(ctx.me, o);
            self.log(ctx, Record::Outcome(o), forced);
        }
        if coordinator {
            self.send_decision(ctx);
        } else {
            ctx.cancel_timer(TIMER);
        }
    }

    // ---- coordinator ----

    /// The participants that still need the decision: all but the No voters, minus those that
    /// acknowledged it.
    fn send_decision(&mut self, ctx: &mut Context<'_, Self>) {
        let Some(o) = self.decided else { return };
        let waiting: Vec<NodeId> =
            (1..ctx.n).filter(|p| !self.no.contains(p) && !self.acked.contains(p)).collect();
        for &p in &waiting {
            ctx.send(p, Msg::Decision(o));
            self.told.insert(p);
        }
        if self.acked_outcome(o) && !waiting.is_empty() {
            ctx.set_timer(TIMER, RESEND);
        } else {
            ctx.cancel_timer(TIMER);
            self.end(ctx);
        }
    }

    fn end(&mut self, ctx: &mut Context<'_, Self>) {
        let needs_end = self.decided.is_some_and(|o| self.acked_outcome(o));
        if needs_end && !self.ended {
            self.ended = true;
            self.log(ctx, Record::End, false);
        }
    }

    fn begin(&mut self, ctx: &mut Context<'_, Self>) {
        if self.begun_at.is_some() || self.decided.is_some() {
            return;
        }
        self.begun_at = Some(ctx.now);
        if self.presumption == Presumption::Commit && self.flaw != Flaw::NoCollectingRecord {
            self.log(ctx, Record::Collecting, true);
        }
        ctx.broadcast_excluding_self(Msg::Prepare);
        ctx.set_timer(TIMER, RESEND);
    }

    fn on_vote(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, v: Vote) {
        match v {
            Vote::Yes => self.yes.insert(from),
            Vote::No => self.no.insert(from),
        };
        if let Some(o) = self.decided {
            // A vote that crossed the decision, or a re-sent one: answer it once; a participant
            // whose decision got lost inquires.
            if v == Vote::Yes && self.told.insert(from) {
                ctx.send(from, Msg::Decision(o));
            }
            return;
        }
        if v == Vote::No {
            self.decide(ctx, Outcome::Abort);
        } else if self.yes.len() == ctx.n - 1 {
            self.decide(ctx, Outcome::Commit);
        }
    }

    fn on_ack(&mut self, ctx: &mut Context<'_, Self>, from: NodeId) {
        // An ACK of a presumed answer (given without a record) must not cancel the timer that
        // makes a recovered, still undecided coordinator decide.
        if self.decided.is_none() {
            return;
        }
        self.acked.insert(from);
        if (1..ctx.n).all(|p| self.no.contains(&p) || self.acked.contains(&p)) {
            ctx.cancel_timer(TIMER);
            self.end(ctx);
        }
    }

    /// The answer to an inquiry: the decision, or with no record the presumption.
    fn answer(&self) -> Option<Outcome> {
        match (self.decided, self.begun_at, self.presumption) {
            (Some(o), _, _) => Some(o),
            (None, Some(_), _) => None, // still collecting votes
            (None, None, Presumption::Commit) => Some(Outcome::Commit),
            (None, None, _) => Some(Outcome::Abort),
        }
    }

    fn coordinator_timeout(&mut self, ctx: &mut Context<'_, Self>) {
        if self.decided.is_some() {
            self.send_decision(ctx);
            return;
        }
        let Some(begun) = self.begun_at else {
            self.decide(ctx, Outcome::Abort); // never begun: nobody can have voted Yes
            return;
        };
        if ctx.now.saturating_sub(begun) >= VOTE_DEADLINE {
            self.decide(ctx, Outcome::Abort);
            return;
        }
        for p in (1..ctx.n).filter(|p| !self.yes.contains(p) && !self.no.contains(p)) {
            ctx.send(p, Msg::Prepare);
        }
        ctx.set_timer(TIMER, RESEND);
    }

    // ---- participant ----

    fn cast_vote(&mut self, ctx: &mut Context<'_, Self>) {
        if let Some(v) = self.voted {
            ctx.send(COORDINATOR, Msg::Vote(v));
            return;
        }
        let (Some(v), None) = (self.ready, self.decided) else { return };
        self.voted = Some(v);
        ctx.output(Output::Voted(v));
        match v {
            Vote::Yes => {
                self.log(ctx, Record::Prepared, true);
                ctx.send(COORDINATOR, Msg::Vote(v));
                ctx.set_timer(TIMER, ASK);
            }
            Vote::No => {
                ctx.send(COORDINATOR, Msg::Vote(v));
                self.decide(ctx, Outcome::Abort);
            }
        }
    }

    fn on_decision(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, o: Outcome) {
        if from != COORDINATOR && !self.cooperative {
            return;
        }
        self.decide(ctx, o);
        if from == COORDINATOR && self.acked_outcome(o) {
            ctx.send(COORDINATOR, Msg::Ack);
        }
    }

    /// A participant's answer to another participant's inquiry (BHG §7.4).
    fn cooperate(&mut self, ctx: &mut Context<'_, Self>, from: NodeId) {
        if self.voted.is_none() && self.decided.is_none() {
            self.decide(ctx, Outcome::Abort); // not voted yet: abort unilaterally
        }
        if let Some(o) = self.decided {
            ctx.send(from, Msg::Decision(o));
        }
    }

    fn participant_timeout(&mut self, ctx: &mut Context<'_, Self>) {
        if self.voted.is_none() {
            self.decide(ctx, Outcome::Abort);
            return;
        }
        ctx.send(COORDINATOR, Msg::DecisionReq);
        if self.cooperative && self.asks > 0 {
            let me = ctx.me;
            for p in (1..ctx.n).filter(|&p| p != me) {
                ctx.send(p, Msg::DecisionReq);
            }
        }
        self.asks += 1;
        ctx.set_timer(TIMER, ASK << self.asks.min(4));
    }
}

impl Protocol for LoggedCommit {
    type Message = Msg;
    type Request = Request;
    type Output = Output;

    /// upon ⟨Init⟩ or recovery: replay the stable log (TODS 1986 §2 "recovery").
    fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
        let log: Vec<Record> = ctx.retrieve("log").unwrap_or_default();
        for record in &log {
            match *record {
                Record::Outcome(o) => self.decided = Some(o),
                Record::Prepared => self.voted = Some(Vote::Yes),
                Record::Collecting => self.begun_at = Some(0),
                Record::End => self.ended = true,
            }
        }
        if ctx.me == COORDINATOR {
            match (self.decided, self.begun_at) {
                (Some(_), _) if !self.ended => self.send_decision(ctx),
                (Some(_), _) => {}
                // A collecting record and no outcome: it crashed while collecting votes.
                (None, Some(_)) => self.decide(ctx, Outcome::Abort),
                (None, None) => ctx.set_timer(TIMER, UNVOTED_TIMEOUT),
            }
            return;
        }
        if self.decided.is_none() {
            let wait = if self.voted.is_some() { ASK } else { UNVOTED_TIMEOUT };
            ctx.set_timer(TIMER, wait);
        }
    }

    fn on_request(&mut self, ctx: &mut Context<'_, Self>, req: Request) {
        match req {
            Request::Begin if ctx.me == COORDINATOR => self.begin(ctx),
            Request::Ready(v) if ctx.me != COORDINATOR => self.ready = Some(v),
            Request::Begin | Request::Ready(_) => {}
        }
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, msg: Msg) {
        let coordinator = ctx.me == COORDINATOR;
        match msg {
            Msg::Prepare if self.voted.is_none() && self.decided == Some(Outcome::Abort) => {
                ctx.send(COORDINATOR, Msg::Vote(Vote::No));
            }
            Msg::Prepare if !coordinator => {
                if self.ready.is_none() {
                    self.ready = Some(Vote::No); // asked before it could prepare: vote No
                }
                self.cast_vote(ctx);
            }
            // Votes count only for a transaction this coordinator knows it began: after a
            // recovery without records it must not commit what it may have presumed aborted.
            Msg::Vote(v) if coordinator && (self.begun_at.is_some() || self.decided.is_some()) => {
                self.on_vote(ctx, from, v)
            }
            Msg::Ack if coordinator => self.on_ack(ctx, from),
            Msg::DecisionReq if coordinator => {
                if let Some(o) = self.answer() {
                    ctx.send(from, Msg::Decision(o));
                }
            }
            Msg::DecisionReq if self.cooperative => self.cooperate(ctx, from),
            Msg::Decision(o) if !coordinator => self.on_decision(ctx, from, o),
            Msg::Prepare | Msg::Vote(_) | Msg::Ack | Msg::DecisionReq | Msg::Decision(_) => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_, Self>, _timer: TimerId) {
        if ctx.me == COORDINATOR {
            self.coordinator_timeout(ctx);
        } else if self.decided.is_none() {
            self.participant_timeout(ctx);
        }
    }
}

/// Log writes and messages of one run: what TODS 1986 §3 compares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Costs {
    /// Coordinator log writes (all).
    pub coordinator_writes: u64,
    /// Of which forced.
    pub coordinator_forced: u64,
    /// Participants' log writes (all, summed).
    pub participant_writes: u64,
    /// Of which forced.
    pub participant_forced: u64,
    /// Messages sent by everybody (retries and inquiries included).
    pub messages: u64,
}

/// Run the logged 2PC family under `config` — Begin at the coordinator at 1 ms, each
/// participant's verdict (No with probability [`NO_VOTE_PROBABILITY`]) in the first 1 ms — and
/// check AC1–AC5 ([`crate::check::commit::check`]); the first outcome line gives the [`Costs`].
pub fn run_logged(
    presumption: Presumption,
    cooperative: bool,
    flaw: Flaw,
    config: &RunConfig,
) -> (RunReport, Costs) {
    let factory = move |_, _| LoggedCommit::new(presumption, cooperative, flaw);
    let run = simulate(config, factory, commit_workload(config, 1_000));
    let mut costs = Costs { messages: run.metrics.messages_sent, ..Costs::default() };
    let (mut votes, mut decisions) = (Vec::new(), Vec::new());
    for (t, node, out) in run.history.outputs() {
        match *out {
            Output::Voted(v) => votes.push((node, v)),
            Output::Decided(o) => decisions.push((t, node, o)),
            Output::Logged { forced, .. } => {
                let (all, f) = if node == COORDINATOR {
                    (&mut costs.coordinator_writes, &mut costs.coordinator_forced)
                } else {
                    (&mut costs.participant_writes, &mut costs.participant_forced)
                };
                *all += 1;
                *f += u64::from(forced);
            }
        }
    }
    let header = format!(
        "log writes: coordinator {} ({} forced), participants {} ({} forced); messages {}",
        costs.coordinator_writes,
        costs.coordinator_forced,
        costs.participant_writes,
        costs.participant_forced,
        costs.messages
    );
    let header = crate::harness::Outcome::Summary(header);
    (commit_report(config, run, vec![header], votes, decisions), costs)
}

const FAULTS: &str = "safe under any crashes, loss, duplication, reordering, partitions; live \
                      when a crashed coordinator recovers (with --recover-after) or, \
                      cooperative, when some participant knows the outcome";

/// `2pc-presumed-abort`.
pub static PRESUMED_ABORT: ProtocolEntry = ProtocolEntry {
    name: "2pc-presumed-abort",
    description: "2PC presumed abort: no abort records forced, no abort ACKs",
    source: "Mohan, Lindsay, Obermarck, TODS 11(4) 1986, §3.1",
    fault_model: FAULTS,
    default_n: 4,
    byzantine: false,
    run: |config| run_logged(Presumption::Abort, false, Flaw::None, config).0,
    comparison: None,
};
/// `2pc-presumed-commit`.
pub static PRESUMED_COMMIT: ProtocolEntry = ProtocolEntry {
    name: "2pc-presumed-commit",
    description: "2PC presumed commit: forced collecting record, no commit ACKs",
    source: "Mohan, Lindsay, Obermarck, TODS 11(4) 1986, §3.2",
    fault_model: FAULTS,
    default_n: 4,
    byzantine: false,
    run: |config| run_logged(Presumption::Commit, false, Flaw::None, config).0,
    comparison: None,
};
/// `2pc-logged`: basic 2PC with the same log accounting.
pub static BASIC_LOGGED: ProtocolEntry = ProtocolEntry {
    name: "2pc-logged",
    description: "basic 2PC with counted log writes: every outcome forced and acknowledged",
    source: "Mohan, Lindsay, Obermarck, TODS 11(4) 1986, §2",
    fault_model: FAULTS,
    default_n: 4,
    byzantine: false,
    run: |config| run_logged(Presumption::Nothing, false, Flaw::None, config).0,
    comparison: None,
};
/// `2pc-cooperative`: basic 2PC plus cooperative termination.
pub static COOPERATIVE: ProtocolEntry = ProtocolEntry {
    name: "2pc-cooperative",
    description:
        "2PC with the cooperative termination protocol: blocked participants ask each other",
    source: "Bernstein, Hadzilacos, Goodman 1987, §7.4",
    fault_model: FAULTS,
    default_n: 4,
    byzantine: false,
    run: |config| run_logged(Presumption::Nothing, true, Flaw::None, config).0,
    comparison: None,
};
/// `2pc-presumed-commit-broken-no-collecting`.
pub static BROKEN_PC_NO_COLLECTING: ProtocolEntry = ProtocolEntry {
    name: "2pc-presumed-commit-broken-no-collecting",
    description: "BROKEN on purpose: presumed commit without the forced collecting record: a recovered coordinator presumes COMMIT for a transaction it was aborting",
    source: "",
    fault_model: FAULTS,
    default_n: 4,
    byzantine: false,
    run: |config| run_logged(Presumption::Commit, false, Flaw::NoCollectingRecord, config).0,
    comparison: None,
};

#[cfg(test)]
mod tests;
