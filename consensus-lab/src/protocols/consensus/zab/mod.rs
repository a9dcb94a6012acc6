//! Zab: Junqueira, Reed & Serafini, "Zab: High-performance broadcast for primary-backup
//! systems", DSN 2011, §IV (Algorithms 1–3), with the phase-0 leader oracle of §IV-A left to a
//! demand-driven Ω (as in [`super::multipaxos`]). Every process is a follower; one of them is
//! also the (prospective) leader. Names follow the paper: `f.p` = `accepted_epoch`, `f.a` =
//! `current_epoch`, `h_f` = `history`, zxid = (epoch, counter), CEPOCH, NEWEPOCH, ACK-E,
//! NEWLEADER, ACK-LD, PROPOSE, ACK, COMMIT.
//!
//! ```text
//! Phase 1, discovery.  Prospective leader ℓ: on ⟨CEPOCH | f.p⟩ from a quorum Q:
//!     e' ← max f.p + 1; send ⟨NEWEPOCH | e'⟩
//!   Follower f: upon ⟨NEWEPOCH | e'⟩: if f.p < e' then f.p ← e'; send ⟨ACK-E | f.a, h_f⟩
//!                                     else send ⟨NACK | f.p⟩                    (back to phase 0)
//!   ℓ: upon ⟨ACK-E | f.a, h_f⟩ from a quorum: I_e' ← h_f of the f with the highest f.a,
//!      ties broken by the highest last zxid
//! Phase 2, synchronization.  ℓ: send ⟨NEWLEADER | e', I_e'⟩
//!   f: upon ⟨NEWLEADER | e', I⟩: if f.p = e' then f.a ← e'; h_f ← I; send ⟨ACK-LD | e'⟩
//!   ℓ: upon ⟨ACK-LD⟩ from a quorum: send ⟨COMMIT | last zxid of I⟩; go to phase 3
//!   f: upon ⟨COMMIT | z⟩: deliver every ⟨v, z'⟩ ∈ h_f with z' ≤ z, in zxid order
//! Phase 3, broadcast.  ℓ: upon ⟨Request | v⟩: c ← c + 1; send ⟨PROPOSE | e', ⟨v, (e', c)⟩⟩
//!   f: upon ⟨PROPOSE | e', ⟨v, z⟩⟩ with f.a = e' and z next in h_f: append; send ⟨ACK | z⟩
//!   ℓ: upon ⟨ACK | z⟩ from a quorum: send ⟨COMMIT | z⟩ (commits are cumulative)
//!   ℓ: upon ⟨CEPOCH⟩ from a follower f ∉ Q: send ⟨NEWEPOCH | e'⟩, then ⟨NEWLEADER | e', h_ℓ⟩
//! ```
//!
//! The paper assumes FIFO reliable channels (TCP); over the lab's lossy, duplicating,
//! reordering links the leader resends unacknowledged PROPOSE/COMMIT/NEWEPOCH/NEWLEADER on a
//! tick with per-follower backoff, followers accept a PROPOSE only if it is the next zxid of
//! their history, and ACKs are cumulative. Everything the paper keeps "on stable storage"
//! (`f.p` with its leader, `f.a`, `h_f`) is stored before a message that depends on it leaves.
//! Delivered transactions feed the SMR [`Replica`]; dedup by (origin, command) makes a command
//! re-forwarded after a leader change apply once.
//!
//! Quorum = ⌊n/2⌋+1. One deliberately broken variant ([`Flaw::BroadcastBeforeSync`]): the new
//! leader skips the history selection and synchronization and broadcasts at once, and followers
//! accept its proposals on top of whatever history they have.

use std::collections::BTreeMap;

use super::multipaxos::{SUSPECT_TIMEOUT, TICK_PERIOD};
use super::smr_kv::{Entry, Proposal, Replica, SmrOutputOf, StateMachine, Zxid};
use crate::protocol::{Context, NodeId, Protocol, Time, TimerId};

mod msg;
pub use msg::{History, Msg};

/// A deliberate bug, for testing the checkers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flaw {
    /// Correct Zab.
    #[default]
    None,
    /// The new leader broadcasts before synchronization: it keeps its own history instead of
    /// the most up-to-date one of the quorum, sends no NEWLEADER, and followers accept its
    /// PROPOSEs on top of their own histories (violates primary integrity, §III).
    BroadcastBeforeSync,
}

const TICK: TimerId = 1;
/// First resend delay to a silent follower, µs; doubles while it stays silent, up to 64×.
const RESEND_AFTER: Time = 20_000;
/// A follower re-forwards its clients' unanswered commands this often, µs.
const FORWARD_AFTER: Time = 40_000;
/// At most this many proposals per resend.
const RESEND_BATCH: usize = 64;

/// What the leader knows of one follower.
#[derive(Debug, Clone, Copy)]
struct FollowerView {
    /// Sent ACK-LD for this epoch (member of the synced set Q).
    synced: bool,
    /// Its last acknowledged zxid and last delivered zxid.
    last: Zxid,
    delivered: Zxid,
    heard: Time,
    backoff: Time,
}

/// The leader's phase.
#[derive(Debug, Clone)]
enum Lead<C> {
    /// Phase 1 (collecting CEPOCH, then ACK-E).
    Discovery {
        since: Time,
        sent: Time,
        cepochs: BTreeMap<NodeId, u64>,
        epoch: Option<u64>,
        ack_e: BTreeMap<NodeId, (u64, History<C>)>,
    },
    /// Phase 2 (NEWLEADER sent, collecting ACK-LD) and phase 3 (`established`).
    Leading { since: Time, epoch: u64, established: bool, counter: u64, commit: Zxid },
}

/// One Zab process replicating state machine `S`.
#[derive(Debug, Clone)]
pub struct Zab<S: StateMachine> {
    flaw: Flaw,
    // follower, persistent (§IV: f.p with the leader that proposed it, f.a, h_f)
    accepted_epoch: (u64, NodeId),
    current_epoch: u64,
    history: History<S::Command>,
    // follower, volatile
    synced: bool,
    /// In phase 3: saw a COMMIT from the leader it synchronized with (or is that leader).
    broadcasting: bool,
    commit: Zxid,
    /// PROPOSEs that arrived ahead of a gap (the paper's FIFO channel, rebuilt here).
    ahead: BTreeMap<Zxid, Proposal<S::Command>>,
    // leader
    lead: Option<Lead<S::Command>>,
    followers: Vec<FollowerView>,
    backlog: Vec<Proposal<S::Command>>,
    // Ω
    attempts: u32,
    last_progress: Time,
    forwarded_at: Time,
    replica: Replica<S>,
    ticking: bool,
}

impl<S: StateMachine> Zab<S> {
    /// A fresh process with the given flaw (`Flaw::None` for correct Zab).
    pub fn new(flaw: Flaw) -> Self {
        Zab {
            flaw,
            accepted_epoch: (0, 0),
            current_epoch: 0,
            history: Vec::new(),
            synced: false,
            broadcasting: false,
            commit: (0, 0),
            ahead: BTreeMap::new(),
            lead: None,
            followers: Vec::new(),
            backlog: Vec::new(),
            attempts: 0,
            last_progress: 0,
            forwarded_at: 0,
            replica: Replica::default(),
            ticking: false,
        }
    }

    /// The replicated state machine as this process has delivered it.
    pub fn state(&self) -> &S {
        &self.replica.state
    }

    /// Number of transactions this process has delivered.
    pub fn delivered(&self) -> u64 {
        self.replica.slot_out
    }

    /// The epoch this process leads in phase 3 (broadcast), if any.
    pub fn established_epoch(&self) -> Option<u64> {
        match self.lead {
            Some(Lead::Leading { epoch, established: true, .. }) => Some(epoch),
            _ => None,
        }
    }

    /// The process this one currently follows (Ω's output).
    fn leader(&self) -> NodeId {
        self.accepted_epoch.1
    }

    fn quorum(n: usize) -> usize {
        n / 2 + 1
    }

    fn last_zxid(&self) -> Zxid {
        self.history.last().map_or((0, 0), |(z, _)| *z)
    }

    fn arm_tick(&mut self, ctx: &mut Context<'_, Self>) {
        if !self.ticking {
            self.ticking = true;
            ctx.set_timer(TICK, TICK_PERIOD);
        }
    }

    fn store_follower(&self, ctx: &mut Context<'_, Self>) {
        ctx.store("accepted_epoch", &self.accepted_epoch);
        ctx.store("current_epoch", &self.current_epoch);
        ctx.store("history", &self.history);
    }

    fn store_pending(&self, ctx: &mut Context<'_, Self>) {
        ctx.store("pending", &self.replica.pending.keys().collect::<Vec<_>>());
    }

    /// Phase 0 → 1: become the prospective leader and ask every process for its CEPOCH.
    fn start_discovery(&mut self, ctx: &mut Context<'_, Self>) {
        let mut cepochs = BTreeMap::new();
        cepochs.insert(ctx.me, self.accepted_epoch.0);
        self.lead = Some(Lead::Discovery {
            since: ctx.now,
            sent: ctx.now,
            cepochs,
            epoch: None,
            ack_e: BTreeMap::new(),
        });
        self.last_progress = ctx.now;
        ctx.broadcast_excluding_self(Msg::Elect);
        self.arm_tick(ctx);
    }

    /// Leave any leader role (a higher epoch exists or the attempt timed out).
    fn step_down(&mut self, ctx: &mut Context<'_, Self>) {
        if self.lead.take().is_some() {
            self.broadcasting = false;
            self.attempts += 1;
            self.backlog.clear();
            self.last_progress = ctx.now;
        }
    }

    fn suspect_timeout(&self, me: NodeId) -> Time {
        (SUSPECT_TIMEOUT + 15_000 * me as Time) << self.attempts.min(4)
    }

    /// Deliver every transaction of h_f up to the commit point, in zxid order.
    fn deliver(&mut self, ctx: &mut Context<'_, Self>) {
        let pending = self.replica.pending.len();
        while let Some((z, p)) = self.history.get(self.replica.slot_out as usize).cloned() {
            if z > self.commit {
                break;
            }
            for out in self.replica.apply(ctx.me, Some(z), Entry::Cmd(p)) {
                ctx.output(out);
            }
            self.last_progress = ctx.now;
            self.attempts = 0;
        }
        if self.replica.pending.len() != pending {
            self.store_pending(ctx);
        }
    }

    fn ack(&self, ctx: &mut Context<'_, Self>, to: NodeId) {
        let delivered = match self.replica.slot_out {
            0 => (0, 0),
            k => self.history.get(k as usize - 1).map_or((0, 0), |x| x.0),
        };
        let epoch = self.current_epoch;
        ctx.send(to, Msg::Ack { epoch, last: self.last_zxid(), delivered });
    }
}

mod follower;
mod leader;

impl<S: StateMachine> Protocol for Zab<S> {
    type Message = Msg<S::Command>;
    type Request = S::Command;
    type Output = SmrOutputOf<S>;

    /// upon ⟨Init⟩ (or recovery): reload f.p, f.a, h_f and the clients' pending commands;
    /// a recovered process sends CEPOCH to the leader it followed (back to phase 1, §IV-A).
    fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
        self.accepted_epoch = ctx.retrieve("accepted_epoch").unwrap_or((0, 0));
        self.current_epoch = ctx.retrieve("current_epoch").unwrap_or(0);
        self.history = ctx.retrieve("history").unwrap_or_default();
        for cmd in ctx.retrieve::<Vec<S::Command>>("pending").unwrap_or_default() {
            self.replica.pending.insert(cmd, ctx.now);
        }
        self.last_progress = ctx.now;
        if ctx.retrieve::<bool>("started").is_some() {
            ctx.broadcast_excluding_self(Msg::CEpoch { accepted_epoch: self.accepted_epoch.0 });
        }
        ctx.store("started", &true);
        self.arm_tick(ctx); // not synchronized with any leader yet: phase 0 runs
    }

    /// upon ⟨Request | v⟩: remember it; propose it if leading, else forward it to the leader.
    fn on_request(&mut self, ctx: &mut Context<'_, Self>, cmd: S::Command) {
        if self.replica.pending.is_empty() {
            self.last_progress = ctx.now;
        }
        self.replica.pending.insert(cmd.clone(), ctx.now);
        self.store_pending(ctx);
        let p = Proposal { origin: ctx.me, cmd };
        match self.lead {
            Some(Lead::Leading { established: true, .. }) => self.propose(ctx, p),
            Some(_) => self.backlog.push(p),
            None if self.leader() == ctx.me => self.start_discovery(ctx),
            None => {
                self.forwarded_at = ctx.now;
                ctx.send(self.leader(), Msg::Forward(p));
            }
        }
        self.arm_tick(ctx);
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, msg: Self::Message) {
        match msg {
            Msg::Elect => {
                ctx.send(from, Msg::CEpoch { accepted_epoch: self.accepted_epoch.0 });
            }
            Msg::CEpoch { accepted_epoch } => self.on_cepoch(ctx, from, accepted_epoch),
            Msg::NewEpoch { epoch } => self.on_new_epoch(ctx, from, epoch),
            Msg::AckE { epoch, current_epoch, history } => {
                self.on_ack_e(ctx, from, epoch, current_epoch, history)
            }
            Msg::NewLeader { epoch, history } => self.on_new_leader(ctx, from, epoch, history),
            Msg::AckLd { epoch, last } => self.on_ack_ld(ctx, from, epoch, last),
            Msg::Propose { epoch, zxid, txn } => self.on_propose(ctx, from, epoch, zxid, txn),
            Msg::Ack { epoch, last, delivered } => self.on_ack(ctx, from, epoch, last, delivered),
            Msg::Commit { epoch, zxid, probe } => self.on_commit(ctx, from, epoch, zxid, probe),
            Msg::Nack { accepted_epoch } => {
                if self.lead_epoch().is_some_and(|e| accepted_epoch > e) {
                    self.step_down(ctx);
                }
            }
            Msg::Forward(p) => match self.lead {
                Some(Lead::Leading { established: true, .. }) => self.propose(ctx, p),
                Some(_) => self.backlog.push(p),
                None if self.leader() == ctx.me => {
                    self.backlog.push(p);
                    self.start_discovery(ctx);
                }
                None => {}
            },
        }
        if self.busy(ctx.me) {
            self.arm_tick(ctx);
        }
    }

    /// upon ⟨Timeout⟩ (the tick): leader resends; a follower that waits on a command or is
    /// not synchronized with an established leader re-forwards (or re-sends CEPOCH) and, after
    /// the suspicion timeout without progress, becomes a prospective leader (phase 0).
    fn on_timer(&mut self, ctx: &mut Context<'_, Self>, _timer: TimerId) {
        self.ticking = false;
        self.leader_tick(ctx);
        if self.lead.is_none() && (!self.replica.pending.is_empty() || !self.broadcasting) {
            let silent = ctx.now.saturating_sub(self.last_progress);
            if silent > self.suspect_timeout(ctx.me) || self.leader() == ctx.me {
                self.start_discovery(ctx);
            } else if ctx.now.saturating_sub(self.forwarded_at) >= FORWARD_AFTER {
                self.forwarded_at = ctx.now;
                if !self.broadcasting {
                    let f_p = self.accepted_epoch.0;
                    ctx.send(self.leader(), Msg::CEpoch { accepted_epoch: f_p });
                }
                let pending: Vec<_> = self.replica.pending.keys().cloned().collect();
                for cmd in pending {
                    ctx.send(self.leader(), Msg::Forward(Proposal { origin: ctx.me, cmd }));
                }
            }
        }
        if self.busy(ctx.me) {
            self.arm_tick(ctx);
        }
    }
}

mod experiments;
pub use experiments::*;

#[cfg(test)]
mod tests;
