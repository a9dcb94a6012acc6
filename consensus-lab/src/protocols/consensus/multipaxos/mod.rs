//! Multi-Paxos: Lamport, "Paxos Made Simple", 2001, §3 "Implementing a State Machine";
//! van Renesse & Altinbuken, "Paxos Made Moderately Complex", ACM Computing Surveys 47(3), 2015,
//! §3 (replicas, leaders, acceptors; scouts = phase 1, commanders = phase 2) and §4.1
//! (leader failover). Every process is replica, acceptor and (potential) leader.
//!
//! A leader runs phase 1 **once** for all slots from its first undecided one (§3 of Lamport:
//! "the leader … executes phase 1 for infinitely many instances"); after that each slot costs
//! one round trip leader → acceptors → leader, then a ⟨Decision⟩ to the replicas.
//!
//! ```text
//! Leader λ, ballot b = (round, λ):
//! upon becoming leader (Ω) do send ⟨P1a | b, first⟩ to all      first = λ's first undecided slot
//! upon ⟨P1b | b, accepted_a⟩ from a quorum do                    (scout adopted, §3 "Leaders")
//!     for s ≥ first: proposals[s] ← value of the highest-ballot pvalue for s, or no-op in a gap
//!     active ← true; send ⟨P2a | b, s, proposals[s]⟩ for each s
//! upon ⟨Request | c⟩ (or ⟨Forward | c⟩) while active do
//!     s ← slot_in; slot_in ← s + 1; send ⟨P2a | b, s, c⟩ to all
//! upon ⟨P2b | b, s⟩ from a quorum do send ⟨Decision | s, c⟩ to all replicas
//! upon ⟨Preempted | b'⟩ with b' > b do active ← false; follow b'.leader
//! Acceptor α (promised, accepted persisted, CGR §2.2.4 store):
//! upon ⟨P1a | b, first⟩ with b ≥ promised do promised ← b; send ⟨P1b | b, {pv ∈ accepted : slot ≥ first}⟩
//! upon ⟨P2a | b, s, c⟩ with b ≥ promised do promised ← b; accepted[s] ← (b, c); send ⟨P2b | b, s⟩
//! otherwise send ⟨Preempted | promised⟩
//! Replica: upon ⟨Decision | s, c⟩ do decided[s] ← c; apply decided[slot_out], … in order
//!     (see [`super::smr_kv`]); forward own clients' commands to Ω's leader until applied.
//! ```
//!
//! **Ω** (the leader oracle of Chandra, Hadzilacos & Toueg 1996, as used in van Renesse §4.1) is
//! demand-driven: Ω starts at process 0; a process that has an unapplied client command and has
//! seen no decision for a timeout (staggered by id, doubled per failed try) suspects the leader
//! and runs phase 1 with a higher ballot. So an idle cluster sends nothing. Loss is masked by
//! retransmission: leaders resend unanswered P1a/P2a every tick, replicas re-forward commands,
//! and a leader sends ⟨Heartbeat | commit⟩ to a replica that stays behind, which answers with
//! ⟨CatchUp | slot_out⟩ and gets the missing ⟨Decisions⟩ (a recovered process asks everyone).
//!
//! Quorum = ⌊n/2⌋+1. Two deliberately broken variants ([`Flaw`]): a new leader that skips
//! phase 1, and quorums of ⌊n/2⌋.

use std::collections::{BTreeMap, BTreeSet};

use super::smr_kv::{Entry, Proposal, Replica, Slot, SmrOutputOf, StateMachine};
use crate::protocol::{Context, NodeId, Protocol, Time, TimerId};

/// A ballot (§3 of van Renesse: "ballot number" = (round, leader id)), ordered
/// lexicographically; `(0, 0)` is below every ballot a leader uses.
pub type Ballot = (u64, NodeId);

/// A pvalue (van Renesse §3): `(slot, ballot, entry)`, "entry was accepted in slot at ballot".
pub type PValue<C> = (Slot, Ballot, Entry<C>);

mod msg;
pub use msg::Msg;

/// A deliberate bug, for testing the checkers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flaw {
    /// Correct Multi-Paxos.
    #[default]
    None,
    /// A new leader skips phase 1: it proposes from its own first undecided slot without
    /// learning what acceptors accepted (breaks P2c of Lamport 2001 §2.2).
    SkipPhase1,
    /// Quorums of ⌊n/2⌋: a phase-1 quorum may miss a chosen value.
    MinorityQuorum,
}

const TICK: TimerId = 1;
/// Tick period, µs: retransmissions, re-forwards and suspicion checks happen on ticks.
pub const TICK_PERIOD: Time = 10_000;
/// Base suspicion timeout, µs (plus 15 ms per process id, doubled per failed attempt).
pub const SUSPECT_TIMEOUT: Time = 80_000;
/// A phase-2a or forward is resent after this long without an answer, µs.
const RESEND_AFTER: Time = 30_000;
/// First heartbeat delay to a lagging replica, µs; doubles while it stays silent, up to 64×.
const HEARTBEAT_AFTER: Time = 20_000;
/// At most this many entries per ⟨Decisions⟩ message.
const CATCHUP_BATCH: usize = 64;

/// The leader half while phase 1 runs (a *scout*) or after it succeeded (*active*).
#[derive(Debug, Clone)]
enum Role<C> {
    Follower,
    Scout { ballot: Ballot, first: Slot, promises: BTreeMap<NodeId, Vec<PValue<C>>>, since: Time },
    Active(Box<Leadership<C>>),
}

/// State of an active leader: in-flight slots and what it knows of each replica.
#[derive(Debug, Clone)]
struct Leadership<C> {
    ballot: Ballot,
    slot_in: Slot,
    /// slot → (entry, P2b voters, last time P2a was sent)
    in_flight: BTreeMap<Slot, (Entry<C>, BTreeSet<NodeId>, Time)>,
    proposed: BTreeSet<Proposal<C>>,
    /// Per replica: known `slot_out`, last time heard/pinged, current heartbeat backoff.
    replicas: Vec<(Slot, Time, Time)>,
}

/// One Multi-Paxos process replicating state machine `S`.
#[derive(Debug, Clone)]
pub struct MultiPaxos<S: StateMachine> {
    flaw: Flaw,
    // acceptor (persistent)
    promised: Ballot,
    accepted: BTreeMap<Slot, (Ballot, Entry<S::Command>)>,
    // leader
    role: Role<S::Command>,
    round: u64,
    attempts: u32,
    /// Ω's current output.
    leader: NodeId,
    last_progress: Time,
    forwarded_at: Time,
    /// Commands forwarded to this process while its scout runs; proposed once adopted.
    backlog: Vec<Proposal<S::Command>>,
    // replica / learner
    decided: BTreeMap<Slot, Entry<S::Command>>,
    replica: Replica<S>,
    ticking: bool,
}

impl<S: StateMachine> MultiPaxos<S> {
    /// A fresh process with the given flaw (`Flaw::None` for correct Multi-Paxos).
    pub fn new(flaw: Flaw) -> Self {
        MultiPaxos {
            flaw,
            promised: (0, 0),
            accepted: BTreeMap::new(),
            role: Role::Follower,
            round: 0,
            attempts: 0,
            leader: 0,
            last_progress: 0,
            forwarded_at: 0,
            backlog: Vec::new(),
            decided: BTreeMap::new(),
            replica: Replica::default(),
            ticking: false,
        }
    }

    /// The replicated state machine as this replica has applied it.
    pub fn state(&self) -> &S {
        &self.replica.state
    }

    /// Number of slots this replica has applied.
    pub fn applied(&self) -> Slot {
        self.replica.slot_out
    }

    /// The ballot this process leads with, if it finished phase 1.
    pub fn active_ballot(&self) -> Option<Ballot> {
        match &self.role {
            Role::Active(l) => Some(l.ballot),
            _ => None,
        }
    }

    fn quorum(&self, n: usize) -> usize {
        match self.flaw {
            Flaw::MinorityQuorum => (n / 2).max(1),
            _ => n / 2 + 1,
        }
    }

    fn arm_tick(&mut self, ctx: &mut Context<'_, Self>) {
        if !self.ticking {
            self.ticking = true;
            ctx.set_timer(TICK, TICK_PERIOD);
        }
    }

    fn suspect_timeout(&self, me: NodeId) -> Time {
        (SUSPECT_TIMEOUT + 15_000 * me as Time) << self.attempts.min(4)
    }

    /// Ω suspects the leader: become a scout with a ballot above every ballot seen (phase 1a).
    fn start_scout(&mut self, ctx: &mut Context<'_, Self>) {
        self.round = self.round.max(self.promised.0) + 1;
        ctx.store("round", &self.round);
        let ballot = (self.round, ctx.me);
        let first = self.replica.slot_out;
        self.leader = ctx.me;
        self.last_progress = ctx.now;
        if self.flaw == Flaw::SkipPhase1 {
            self.role = Role::Scout { ballot, first, promises: BTreeMap::new(), since: ctx.now };
            self.adopt(ctx, BTreeMap::new());
            return;
        }
        self.role = Role::Scout { ballot, first, promises: BTreeMap::new(), since: ctx.now };
        ctx.broadcast_including_self(Msg::P1a { ballot, first });
        self.arm_tick(ctx);
    }

    /// The scout is adopted by a quorum: take the highest-ballot pvalue of each slot, fill
    /// gaps with no-ops, and start phase 2 for all of them (van Renesse §3, "Leaders").
    fn adopt(
        &mut self,
        ctx: &mut Context<'_, Self>,
        promises: BTreeMap<NodeId, Vec<PValue<S::Command>>>,
    ) {
        let Role::Scout { ballot, first, .. } = self.role else { return };
        let mut pvalues: BTreeMap<Slot, (Ballot, Entry<S::Command>)> = BTreeMap::new();
        for (slot, b, entry) in promises.into_values().flatten() {
            if pvalues.get(&slot).is_none_or(|(best, _)| b > *best) {
                pvalues.insert(slot, (b, entry));
            }
        }
        let slot_in = pvalues.keys().next_back().map_or(first, |s| s + 1).max(first);
        let mut leadership = Leadership {
            ballot,
            slot_in,
            in_flight: BTreeMap::new(),
            proposed: BTreeSet::new(),
            replicas: vec![(0, ctx.now, HEARTBEAT_AFTER); ctx.n],
        };
        for slot in first..slot_in {
            let entry = match self.decided.get(&slot) {
                Some(e) => e.clone(),
                None => pvalues.remove(&slot).map_or(Entry::Noop, |(_, e)| e),
            };
            if let Entry::Cmd(p) = &entry {
                leadership.proposed.insert(p.clone());
            }
            ctx.broadcast_including_self(Msg::P2a { ballot, slot, entry: entry.clone() });
            leadership.in_flight.insert(slot, (entry, BTreeSet::new(), ctx.now));
        }
        self.role = Role::Active(Box::new(leadership));
        self.attempts = 0;
        let own: Vec<_> = self.replica.pending.keys().cloned().collect();
        for cmd in own {
            self.propose(ctx, Proposal { origin: ctx.me, cmd });
        }
        for p in std::mem::take(&mut self.backlog) {
            self.propose(ctx, p);
        }
        self.arm_tick(ctx);
    }

    /// An active leader assigns `p` the next slot and sends phase 2a.
    fn propose(&mut self, ctx: &mut Context<'_, Self>, p: Proposal<S::Command>) {
        if self.replica.has_applied(&p) {
            return;
        }
        let Role::Active(l) = &mut self.role else { return };
        if !l.proposed.insert(p.clone()) {
            return;
        }
        let (ballot, slot) = (l.ballot, l.slot_in);
        l.slot_in += 1;
        l.in_flight.insert(slot, (Entry::Cmd(p.clone()), BTreeSet::new(), ctx.now));
        ctx.broadcast_including_self(Msg::P2a { ballot, slot, entry: Entry::Cmd(p) });
    }

    /// A ballot at least as high as any promised exists: Ω now outputs its owner; a scout or
    /// leader with a lower ballot stops (van Renesse §3, "Preempted").
    fn follow(&mut self, ctx: &mut Context<'_, Self>, ballot: Ballot) {
        let own = match &self.role {
            Role::Follower => None,
            Role::Scout { ballot, .. } => Some(*ballot),
            Role::Active(l) => Some(l.ballot),
        };
        match own {
            Some(mine) if ballot > mine => {
                self.attempts += 1;
                self.role = Role::Follower;
                self.backlog.clear();
                self.leader = ballot.1;
                self.last_progress = ctx.now;
            }
            Some(_) => {}
            None if ballot >= self.promised && ballot.1 != self.leader => {
                self.leader = ballot.1;
                self.last_progress = ctx.now;
            }
            None => {}
        }
    }

    fn on_p1a(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, ballot: Ballot, first: Slot) {
        if ballot < self.promised {
            ctx.send(from, Msg::Preempted { ballot, promised: self.promised });
            return;
        }
        self.promised = ballot;
        ctx.store("promised", &self.promised);
        self.follow(ctx, ballot);
        let accepted =
            self.accepted.range(first..).map(|(s, (b, e))| (*s, *b, e.clone())).collect();
        ctx.send(from, Msg::P1b { ballot, accepted });
    }

    fn on_p1b(
        &mut self,
        ctx: &mut Context<'_, Self>,
        from: NodeId,
        ballot: Ballot,
        accepted: Vec<PValue<S::Command>>,
    ) {
        let quorum = self.quorum(ctx.n);
        let Role::Scout { ballot: mine, promises, .. } = &mut self.role else { return };
        if ballot != *mine {
            return;
        }
        promises.insert(from, accepted);
        if promises.len() >= quorum {
            let promises = std::mem::take(promises);
            self.adopt(ctx, promises);
        }
    }

    fn on_p2a(
        &mut self,
        ctx: &mut Context<'_, Self>,
        from: NodeId,
        ballot: Ballot,
        slot: Slot,
        entry: Entry<S::Command>,
    ) {
        if ballot < self.promised {
            ctx.send(from, Msg::Preempted { ballot, promised: self.promised });
            return;
        }
        self.promised = ballot;
        self.follow(ctx, ballot);
        ctx.store("promised", &self.promised);
        ctx.store(&format!("acc/{slot}"), &(ballot, &entry));
        let top = self.accepted.keys().next_back().copied();
        if top.is_none_or(|t| slot > t) {
            ctx.store("acc_top", &slot);
        }
        self.accepted.insert(slot, (ballot, entry));
        ctx.send(from, Msg::P2b { ballot, slot, slot_out: self.replica.slot_out });
    }

    fn on_p2b(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, ballot: Ballot, slot: Slot) {
        let quorum = self.quorum(ctx.n);
        let Role::Active(l) = &mut self.role else { return };
        if ballot != l.ballot {
            return;
        }
        let Some((entry, voters, _)) = l.in_flight.get_mut(&slot) else { return };
        voters.insert(from);
        if voters.len() >= quorum {
            let entry = entry.clone();
            l.in_flight.remove(&slot);
            ctx.broadcast_excluding_self(Msg::Decision { slot, entry: entry.clone() });
            self.learn(ctx, slot, entry);
        }
    }

    /// upon ⟨Decision | slot, entry⟩: record it and apply every decided slot in order.
    fn learn(&mut self, ctx: &mut Context<'_, Self>, slot: Slot, entry: Entry<S::Command>) {
        if slot < self.replica.slot_out || self.decided.contains_key(&slot) {
            return;
        }
        self.decided.insert(slot, entry);
        self.last_progress = ctx.now;
        self.attempts = 0;
        let pending = self.replica.pending.len();
        while let Some(entry) = self.decided.get(&self.replica.slot_out).cloned() {
            for out in self.replica.apply(ctx.me, None, entry) {
                ctx.output(out);
            }
        }
        if self.replica.pending.len() != pending {
            self.store_pending(ctx);
        }
    }

    /// store(pending): a client's command survives its replica's crash (it is re-forwarded
    /// after recovery and answered when the replayed log reaches it).
    fn store_pending(&self, ctx: &mut Context<'_, Self>) {
        ctx.store("pending", &self.replica.pending.keys().collect::<Vec<_>>());
    }

    fn note_replica(&mut self, from: NodeId, slot_out: Slot, now: Time) {
        if let Role::Active(l) = &mut self.role {
            let r = &mut l.replicas[from];
            if slot_out >= r.0 {
                *r = (slot_out, now, HEARTBEAT_AFTER);
            }
        }
    }

    fn send_decisions(&self, ctx: &mut Context<'_, Self>, to: NodeId, first: Slot) {
        let entries: Vec<_> = (first..self.replica.slot_out)
            .map_while(|s| self.decided.get(&s).cloned())
            .take(CATCHUP_BATCH)
            .collect();
        if !entries.is_empty() {
            ctx.send(to, Msg::Decisions { first, entries });
        }
    }

    /// Resend unanswered P2a, ping lagging replicas (leader); resend P1a (scout).
    fn leader_tick(&mut self, ctx: &mut Context<'_, Self>) {
        let commit = self.replica.slot_out;
        let timeout = self.suspect_timeout(ctx.me);
        let mut retry_scout = false;
        match &mut self.role {
            Role::Follower => {}
            Role::Scout { ballot, first, promises, since } => {
                let elapsed = ctx.now.saturating_sub(*since);
                if elapsed > timeout {
                    retry_scout = true;
                } else if elapsed >= RESEND_AFTER && elapsed % RESEND_AFTER < TICK_PERIOD {
                    // About once per RESEND_AFTER: one tick falls in each such window.
                    for q in (0..ctx.n).filter(|q| !promises.contains_key(q)) {
                        ctx.send(q, Msg::P1a { ballot: *ballot, first: *first });
                    }
                }
            }
            Role::Active(l) => {
                for (slot, (entry, voters, sent)) in &mut l.in_flight {
                    if ctx.now.saturating_sub(*sent) >= RESEND_AFTER {
                        *sent = ctx.now;
                        for q in (0..ctx.n).filter(|q| !voters.contains(q)) {
                            let entry = entry.clone();
                            ctx.send(q, Msg::P2a { ballot: l.ballot, slot: *slot, entry });
                        }
                    }
                }
                for (q, (slot_out, heard, backoff)) in l.replicas.iter_mut().enumerate() {
                    if q != ctx.me && *slot_out < commit && ctx.now >= *heard + *backoff {
                        ctx.send(q, Msg::Heartbeat { ballot: l.ballot, commit });
                        *heard = ctx.now;
                        *backoff = (*backoff * 2).min(HEARTBEAT_AFTER * 64);
                    }
                }
            }
        }
        if retry_scout {
            self.attempts += 1;
            self.start_scout(ctx);
        }
    }

    /// Re-forward own unapplied commands; suspect the leader after a timeout without progress.
    fn replica_tick(&mut self, ctx: &mut Context<'_, Self>) {
        if self.replica.pending.is_empty() || !matches!(self.role, Role::Follower) {
            return;
        }
        if ctx.now.saturating_sub(self.last_progress) > self.suspect_timeout(ctx.me)
            || self.leader == ctx.me
        {
            self.start_scout(ctx);
        } else if ctx.now.saturating_sub(self.forwarded_at) >= RESEND_AFTER {
            self.forward_pending(ctx);
        }
    }

    fn forward_pending(&mut self, ctx: &mut Context<'_, Self>) {
        self.forwarded_at = ctx.now;
        let pending: Vec<_> = self.replica.pending.keys().cloned().collect();
        for cmd in pending {
            ctx.send(self.leader, Msg::Forward(Proposal { origin: ctx.me, cmd }));
        }
    }

    fn busy(&self, me: NodeId) -> bool {
        let commit = self.replica.slot_out;
        match &self.role {
            Role::Follower => !self.replica.pending.is_empty(),
            Role::Scout { .. } => true,
            Role::Active(l) => {
                !l.in_flight.is_empty()
                    || !self.replica.pending.is_empty()
                    || l.replicas.iter().enumerate().any(|(q, r)| q != me && r.0 < commit)
            }
        }
    }
}

impl<S: StateMachine> Protocol for MultiPaxos<S> {
    type Message = Msg<S::Command>;
    type Request = S::Command;
    type Output = SmrOutputOf<S>;

    /// upon ⟨Init⟩ (or recovery): reload the acceptor's promise and pvalues; a recovered
    /// process asks everyone for the decided log.
    fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
        self.promised = ctx.retrieve("promised").unwrap_or((0, 0));
        self.round = ctx.retrieve("round").unwrap_or(0);
        if let Some(top) = ctx.retrieve::<Slot>("acc_top") {
            for slot in 0..=top {
                if let Some(pv) = ctx.retrieve(&format!("acc/{slot}")) {
                    self.accepted.insert(slot, pv);
                }
            }
        }
        self.leader = self.promised.1;
        for cmd in ctx.retrieve::<Vec<S::Command>>("pending").unwrap_or_default() {
            self.replica.pending.insert(cmd, ctx.now);
        }
        self.last_progress = ctx.now;
        if !self.replica.pending.is_empty() {
            self.arm_tick(ctx);
        }
        if ctx.retrieve::<bool>("started").is_some() {
            ctx.broadcast_excluding_self(Msg::CatchUp { slot_out: 0 });
        }
        ctx.store("started", &true);
    }

    /// upon ⟨Request | c⟩ from a client: remember it, propose it if leading, else forward it.
    fn on_request(&mut self, ctx: &mut Context<'_, Self>, cmd: S::Command) {
        if self.replica.pending.is_empty() {
            self.last_progress = ctx.now;
        }
        self.replica.pending.insert(cmd.clone(), ctx.now);
        self.store_pending(ctx);
        let p = Proposal { origin: ctx.me, cmd };
        match &self.role {
            Role::Active(_) => self.propose(ctx, p),
            Role::Scout { .. } => {}
            Role::Follower if self.leader == ctx.me => self.start_scout(ctx),
            Role::Follower => {
                self.forwarded_at = ctx.now;
                ctx.send(self.leader, Msg::Forward(p));
            }
        }
        self.arm_tick(ctx);
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, msg: Self::Message) {
        match msg {
            Msg::P1a { ballot, first } => self.on_p1a(ctx, from, ballot, first),
            Msg::P1b { ballot, accepted } => self.on_p1b(ctx, from, ballot, accepted),
            Msg::P2a { ballot, slot, entry } => self.on_p2a(ctx, from, ballot, slot, entry),
            Msg::P2b { ballot, slot, slot_out } => {
                self.note_replica(from, slot_out, ctx.now);
                self.on_p2b(ctx, from, ballot, slot);
            }
            Msg::Preempted { promised, .. } => {
                self.round = self.round.max(promised.0);
                self.follow(ctx, promised);
            }
            Msg::Decision { slot, entry } => self.learn(ctx, slot, entry),
            Msg::Forward(p) => match &self.role {
                Role::Active(_) => self.propose(ctx, p),
                Role::Scout { .. } => self.backlog.push(p),
                Role::Follower if self.leader == ctx.me => {
                    self.backlog.push(p);
                    self.start_scout(ctx);
                }
                Role::Follower => {}
            },
            Msg::Heartbeat { ballot, commit } => {
                if ballot >= self.promised {
                    self.follow(ctx, ballot);
                }
                let _ = commit;
                ctx.send(from, Msg::CatchUp { slot_out: self.replica.slot_out });
            }
            Msg::CatchUp { slot_out } => {
                self.note_replica(from, slot_out, ctx.now);
                self.send_decisions(ctx, from, slot_out);
            }
            Msg::Decisions { first, entries } => {
                let more = entries.len() == CATCHUP_BATCH;
                for (i, entry) in entries.into_iter().enumerate() {
                    self.learn(ctx, first + i as Slot, entry);
                }
                if more {
                    ctx.send(from, Msg::CatchUp { slot_out: self.replica.slot_out });
                }
            }
        }
        if self.busy(ctx.me) {
            self.arm_tick(ctx);
        }
    }

    /// upon ⟨Timeout⟩ (the tick): retransmit, re-forward, suspect.
    fn on_timer(&mut self, ctx: &mut Context<'_, Self>, _timer: TimerId) {
        self.ticking = false;
        self.leader_tick(ctx);
        self.replica_tick(ctx);
        if self.busy(ctx.me) {
            self.arm_tick(ctx);
        }
    }
}

mod experiments;
pub use experiments::*;

#[cfg(test)]
mod tests;
