//! Egalitarian Paxos: Moraru, Andersen, Kaminsky, "There Is More Consensus in Egalitarian
//! Parliaments", SOSP 2013, §4. N = 2F+1 replicas; every replica is the *command leader* of its
//! own instances `L.i`; a command γ gets two attributes, `seq` and `deps` (the interfering
//! instances it must be ordered after), agreed in one round trip when there are no conflicts.
//! Here two KV commands interfere iff they touch the same key.
//!
//! ```text
//! Phase 1 (§4.3.1), command leader L, on ⟨Request | γ⟩:
//!     i ← next instance of L; seq_γ ← 1 + max seq of instances interfering with γ;
//!     deps_γ ← those instances; cmds_L[L][i] ← (γ, seq_γ, deps_γ, pre-accepted)
//!     send ⟨PreAccept | γ, seq_γ, deps_γ, L.i⟩ to all other replicas
//! upon ⟨PreAccept | γ, seq, deps, L.i⟩ at R:
//!     seq ← max(seq, 1 + max seq of interfering instances in cmds_R)
//!     deps ← deps ∪ { interfering instances in cmds_R }
//!     cmds_R[L][i] ← (γ, seq, deps, pre-accepted); reply ⟨PreAcceptOK | seq, deps, L.i⟩
//! upon F + ⌊(F+1)/2⌋ − 1 replies whose attributes all equal L's own:        (fast path)
//!     commit (γ, seq_γ, deps_γ)
//! otherwise, upon F replies:                                                 (slow path)
//!     deps ← ∪ deps of the replies; seq ← max seq of the replies
//!     Phase 2 (§4.3.1, Paxos-Accept): send ⟨Accept | γ, seq, deps, L.i⟩;
//!     upon F ⟨AcceptOK⟩ commit
//! Commit: cmds[L][i].status ← committed; send ⟨Commit | γ, seq, deps, L.i⟩ to all
//! Execution (§4.3.2), for a committed γ: wait until every instance reachable through deps is
//!     committed; find the strongly connected components of that dependency graph, execute
//!     them in inverse topological order, and inside each component in increasing seq order.
//! ```
//!
//! A replica that waits too long for an instance runs Explicit Prepare (§4.4, module
//! `epaxos_recovery.rs`) with a higher ballot; the fast-path case uses the TryPreAccept check of
//! the optimized protocol (Moraru's tech report CMU-PDL-13-111, §B), see that module.
//! The fast quorum counts replies that leave the leader's attributes *unchanged* (the form that
//! makes recovery decidable). Replicas keep no stable storage: the fault model is crash-stop.
//!
//! The deliberately broken variant ([`Flaw::FastPathIgnoresDeps`]) takes the fast path on any
//! fast quorum of replies, even when replicas reported interfering instances the leader did
//! not know about: two conflicting commands can then be committed without depending on each
//! other, and replicas execute them in different orders.

use std::collections::{BTreeMap, BTreeSet};

use crate::protocol::{Context, NodeId, Protocol, Time, TimerId, WireSize};

mod exec;
mod experiment;
mod recovery;

pub use experiment::{run_kv, BROKEN_EPAXOS_IGNORE_DEPS, COMMANDS, EPAXOS, KEYS};

/// An instance name `L.i`: the command leader's id and its instance number.
pub type InstanceId = (NodeId, u64);

/// A ballot for one instance: `(number, replica)`; `(0, L)` is the command leader's initial one.
pub type Ballot = (u64, NodeId);

/// A client command on the replicated KV store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Command {
    /// Write `value` under `key`.
    Put {
        /// Client-chosen unique id.
        id: u64,
        /// The key.
        key: u64,
        /// The value.
        value: u64,
    },
    /// Read `key`.
    Get {
        /// Client-chosen unique id.
        id: u64,
        /// The key.
        key: u64,
    },
    /// The no-op a recovering replica commits for an instance nobody knows (§4.4).
    Noop,
}

impl Command {
    /// The key this command touches, `None` for a no-op.
    pub fn key(&self) -> Option<u64> {
        match *self {
            Command::Put { key, .. } | Command::Get { key, .. } => Some(key),
            Command::Noop => None,
        }
    }

    /// The client id, `None` for a no-op.
    pub fn id(&self) -> Option<u64> {
        match *self {
            Command::Put { id, .. } | Command::Get { id, .. } => Some(id),
            Command::Noop => None,
        }
    }

    /// §4.1: γ and δ interfere if executing them in different orders can differ — here, if
    /// they touch the same key (reads included, which is conservative).
    pub fn interferes(&self, other: &Command) -> bool {
        self.key().is_some() && self.key() == other.key()
    }
}

/// How far an instance got at one replica (§4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Phase 1 attributes recorded.
    PreAccepted,
    /// Paxos-Accept attributes recorded.
    Accepted,
    /// Attributes final.
    Committed,
}

/// The attributes of a command: `seq` and `deps` (§4.3).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Attrs {
    /// Sequence number, used to order commands inside a dependency cycle.
    pub seq: u64,
    /// Instances this command must not be executed before.
    pub deps: BTreeSet<InstanceId>,
}

/// One replica's record of an instance, `cmds[L][i]` in the paper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// The command.
    pub cmd: Command,
    /// Its attributes as this replica knows them.
    pub attrs: Attrs,
    /// How far it got here.
    pub status: Status,
    /// The highest ballot this replica has taken part in for the instance.
    pub ballot: Ballot,
    /// The ballot in which `attrs` were recorded (PreAccept/Accept).
    pub vballot: Ballot,
    /// `attrs` are the command leader's original ones (pre-accepted unchanged in ballot 0, or
    /// re-recorded by a TryPreAccept): this replica may be part of a fast quorum.
    pub unchanged: bool,
}

/// EPaxos messages (§4.3, §4.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    /// Phase 1 request.
    PreAccept(InstanceId, Ballot, Command, Attrs),
    /// Phase 1 reply: updated attributes, and whether they equal the ones proposed.
    PreAcceptOk(InstanceId, Ballot, Attrs, bool),
    /// Paxos-Accept request.
    Accept(InstanceId, Ballot, Command, Attrs),
    /// Paxos-Accept reply.
    AcceptOk(InstanceId, Ballot),
    /// The instance is committed with these attributes.
    Commit(InstanceId, Command, Attrs),
    /// Refusal: the replica has joined a higher ballot for this instance.
    Nack(InstanceId, Ballot),
    /// Explicit Prepare (§4.4), with the command if the recovering replica knows it.
    Prepare(InstanceId, Ballot),
    /// Reply to Prepare: what the replica knows of the instance.
    PrepareOk(InstanceId, Ballot, Option<Instance>),
    /// TryPreAccept (tech report §B): "could γ have been committed with these attributes?"
    TryPreAccept(InstanceId, Ballot, Command, Attrs),
    /// Reply: `None` if no conflict, else an interfering instance that does not depend on γ
    /// and is not in γ's deps, with whether it is committed.
    TryPreAcceptReply(InstanceId, Ballot, Option<(InstanceId, bool)>),
}

impl WireSize for Msg {
    fn size_bytes(&self) -> usize {
        let attrs = |a: &Attrs| 8 + 16 * a.deps.len();
        1 + 16
            + 16
            + match self {
                Msg::PreAccept(_, _, _, a)
                | Msg::Accept(_, _, _, a)
                | Msg::Commit(_, _, a)
                | Msg::TryPreAccept(_, _, _, a) => 24 + attrs(a),
                Msg::PreAcceptOk(_, _, a, _) => 1 + attrs(a),
                Msg::AcceptOk(..) | Msg::Nack(..) | Msg::Prepare(..) => 0,
                Msg::PrepareOk(_, _, i) => i.as_ref().map_or(1, |i| 58 + attrs(&i.attrs)),
                Msg::TryPreAcceptReply(..) => 18,
            }
    }
}

/// ⟨Executed | γ, result⟩: the replica applied γ to its KV store (`result` = value read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Executed {
    /// The command.
    pub cmd: Command,
    /// For a Get, the value read (`None` if the key was never written); `None` for a Put.
    pub result: Option<u64>,
}

/// A deliberate bug, for testing the checkers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flaw {
    /// Correct EPaxos.
    #[default]
    None,
    /// The fast path commits on any fast quorum of replies, ignoring changed deps/seq.
    FastPathIgnoresDeps,
}

/// What this replica is doing as the coordinator of an instance (its own, or one it recovers).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    /// Phase 1: PreAcceptOK replies so far; `fast` is false for recovery ballots.
    PreAccepting { oks: BTreeMap<NodeId, (Attrs, bool)>, fast: bool },
    /// Paxos-Accept: replicas that acknowledged.
    Accepting(BTreeSet<NodeId>),
    /// Explicit Prepare: replies so far.
    Preparing(BTreeMap<NodeId, Option<Instance>>),
    /// TryPreAccept of `attrs`: replies so far, and the replicas known *not* to be in the
    /// instance's fast quorum (if it had one).
    TryPreAccepting {
        replies: BTreeMap<NodeId, Option<(InstanceId, bool)>>,
        excluded: BTreeSet<NodeId>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Coordination {
    ballot: Ballot,
    cmd: Command,
    attrs: Attrs,
    phase: Phase,
}

const TICK: TimerId = 1;
/// How often a replica looks for stuck instances, µs.
const TICK_EVERY: Time = 20_000;
/// An instance unresolved this long (plus 20 ms per replica id) gets recovered, µs.
const RECOVERY_TIMEOUT: Time = 100_000;

/// One EPaxos replica.
#[derive(Debug, Clone)]
pub struct EPaxos {
    flaw: Flaw,
    next_instance: u64,
    /// `cmds` in the paper: every instance this replica knows.
    cmds: BTreeMap<InstanceId, Instance>,
    /// Instances per key, for computing interference quickly.
    by_key: BTreeMap<u64, BTreeSet<InstanceId>>,
    /// Ballots promised (Explicit Prepare) for instances this replica has no command for yet.
    promised: BTreeMap<InstanceId, Ballot>,
    /// Instances this replica coordinates right now.
    coord: BTreeMap<InstanceId, Coordination>,
    /// Recoveries this replica deferred: instance → the uncommitted conflict it waits for.
    deferred: BTreeMap<InstanceId, InstanceId>,
    /// When this replica started waiting for each unresolved instance (local µs).
    waiting_since: BTreeMap<InstanceId, Time>,
    executed: BTreeSet<InstanceId>,
    store: BTreeMap<u64, u64>,
}

impl EPaxos {
    /// A fresh replica with the given flaw (`Flaw::None` for correct EPaxos).
    pub fn new(flaw: Flaw) -> Self {
        EPaxos {
            flaw,
            next_instance: 0,
            cmds: BTreeMap::new(),
            by_key: BTreeMap::new(),
            promised: BTreeMap::new(),
            coord: BTreeMap::new(),
            deferred: BTreeMap::new(),
            waiting_since: BTreeMap::new(),
            executed: BTreeSet::new(),
            store: BTreeMap::new(),
        }
    }

    /// F, the number of failures tolerated: ⌊(N−1)/2⌋.
    pub fn f(n: usize) -> usize {
        (n - 1) / 2
    }

    /// Fast-path quorum size, the leader included: F + ⌊(F+1)/2⌋ (§4.3, optimized EPaxos).
    pub fn fast_quorum(n: usize) -> usize {
        let f = Self::f(n);
        f + f.div_ceil(2) // ⌊(F+1)/2⌋ = ⌈F/2⌉
    }

    /// The status of instance `id` here, if known.
    pub fn status(&self, id: InstanceId) -> Option<Status> {
        self.cmds.get(&id).map(|i| i.status)
    }

    /// The committed attributes of `id` here, if committed.
    pub fn committed_attrs(&self, id: InstanceId) -> Option<&Attrs> {
        self.cmds.get(&id).filter(|i| i.status == Status::Committed).map(|i| &i.attrs)
    }

    /// The KV store's value under `key`.
    pub fn value(&self, key: u64) -> Option<u64> {
        self.store.get(&key).copied()
    }

    /// Attributes for `cmd` from this replica's view: seq above every interfering instance, and
    /// those instances as deps — merged with `proposed` (§4.3.1 steps 2 and 6).
    fn local_attrs(&self, id: InstanceId, cmd: &Command, proposed: &Attrs) -> Attrs {
        let mut attrs = proposed.clone();
        let Some(key) = cmd.key() else { return attrs };
        for other in self.by_key.get(&key).into_iter().flatten().filter(|o| **o != id) {
            attrs.deps.insert(*other);
            attrs.seq = attrs.seq.max(self.cmds[other].attrs.seq + 1);
        }
        attrs
    }

    /// The highest ballot this replica has joined for `id` (`(0, 0)` if none).
    fn ballot_of(&self, id: InstanceId) -> Ballot {
        let known = self.cmds.get(&id).map_or((0, 0), |i| i.ballot);
        known.max(self.promised.get(&id).copied().unwrap_or((0, 0)))
    }

    /// Record (or overwrite) this replica's copy of an instance.
    fn record(&mut self, ctx: &Context<'_, Self>, id: InstanceId, mut inst: Instance) {
        inst.ballot = inst.ballot.max(self.ballot_of(id));
        if let Some(key) = inst.cmd.key() {
            self.by_key.entry(key).or_default().insert(id);
        }
        if inst.status == Status::Committed {
            self.waiting_since.remove(&id);
        } else {
            self.waiting_since.entry(id).or_insert(ctx.now);
        }
        self.cmds.insert(id, inst);
    }

    fn ensure_ticking(&self, ctx: &mut Context<'_, Self>) {
        if !self.waiting_since.is_empty() {
            ctx.set_timer(TICK, TICK_EVERY);
        }
    }

    // ---- Phase 1 ----

    /// upon ⟨Request | γ⟩: start Phase 1 as γ's command leader.
    fn propose(&mut self, ctx: &mut Context<'_, Self>, cmd: Command) {
        let id = (ctx.me, self.next_instance);
        self.next_instance += 1;
        let attrs = self.local_attrs(id, &cmd, &Attrs { seq: 1, deps: BTreeSet::new() });
        let ballot = (0, ctx.me);
        self.start_pre_accept(ctx, id, ballot, cmd, attrs, true);
    }

    fn start_pre_accept(
        &mut self,
        ctx: &mut Context<'_, Self>,
        id: InstanceId,
        ballot: Ballot,
        cmd: Command,
        attrs: Attrs,
        fast: bool,
    ) {
        let inst = Instance {
            cmd,
            attrs: attrs.clone(),
            status: Status::PreAccepted,
            ballot,
            vballot: ballot,
            unchanged: false,
        };
        self.record(ctx, id, inst);
        let phase = Phase::PreAccepting { oks: BTreeMap::new(), fast };
        self.coord.insert(id, Coordination { ballot, cmd, attrs: attrs.clone(), phase });
        ctx.broadcast_excluding_self(Msg::PreAccept(id, ballot, cmd, attrs));
        self.ensure_ticking(ctx);
    }

    /// upon ⟨PreAccept | γ, seq, deps, L.i⟩ at a replica.
    fn on_pre_accept(
        &mut self,
        ctx: &mut Context<'_, Self>,
        from: NodeId,
        id: InstanceId,
        ballot: Ballot,
        cmd: Command,
        proposed: Attrs,
    ) {
        if let Some(inst) = self.cmds.get(&id).filter(|i| i.status == Status::Committed) {
            ctx.send(from, Msg::Commit(id, inst.cmd, inst.attrs.clone()));
            return;
        }
        if ballot < self.ballot_of(id) {
            ctx.send(from, Msg::Nack(id, self.ballot_of(id)));
            return;
        }
        let attrs = self.local_attrs(id, &cmd, &proposed);
        let unchanged = attrs == proposed && ballot.0 == 0;
        let inst = Instance {
            cmd,
            attrs: attrs.clone(),
            status: Status::PreAccepted,
            ballot,
            vballot: ballot,
            unchanged,
        };
        self.record(ctx, id, inst);
        ctx.send(from, Msg::PreAcceptOk(id, ballot, attrs, unchanged));
        self.ensure_ticking(ctx);
    }

    /// upon ⟨PreAcceptOK⟩ at the coordinator: fast path, slow path, or keep waiting.
    fn on_pre_accept_ok(
        &mut self,
        ctx: &mut Context<'_, Self>,
        from: NodeId,
        id: InstanceId,
        ballot: Ballot,
        attrs: Attrs,
        unchanged: bool,
    ) {
        let (f, fast_quorum) = (Self::f(ctx.n), Self::fast_quorum(ctx.n));
        let (flaw, current) = (self.flaw, self.ballot_of(id));
        let Some(c) = self.coord.get_mut(&id) else { return };
        let Phase::PreAccepting { oks, fast } = &mut c.phase else { return };
        if c.ballot != ballot || current > ballot {
            return;
        }
        oks.insert(from, (attrs, unchanged));
        let all_unchanged = oks.values().all(|(_, u)| *u);
        let fast_ok = *fast && (all_unchanged || flaw == Flaw::FastPathIgnoresDeps);
        if fast_ok && oks.len() + 1 >= fast_quorum {
            let (cmd, attrs) = (c.cmd, c.attrs.clone());
            self.commit(ctx, id, cmd, attrs);
        } else if oks.len() >= f && !(fast_ok && oks.len() + 1 < fast_quorum) {
            // slow path: union of deps, max of seq (§4.3.1 step 11)
            let mut merged = c.attrs.clone();
            for (a, _) in oks.values() {
                merged.seq = merged.seq.max(a.seq);
                merged.deps.extend(a.deps.iter().copied());
            }
            let (cmd, ballot) = (c.cmd, c.ballot);
            self.start_accept(ctx, id, ballot, cmd, merged);
        }
    }

    // ---- Phase 2 (Paxos-Accept) and commit ----

    fn start_accept(
        &mut self,
        ctx: &mut Context<'_, Self>,
        id: InstanceId,
        ballot: Ballot,
        cmd: Command,
        attrs: Attrs,
    ) {
        let inst = Instance {
            cmd,
            attrs: attrs.clone(),
            status: Status::Accepted,
            ballot,
            vballot: ballot,
            unchanged: false,
        };
        self.record(ctx, id, inst);
        let phase = Phase::Accepting(BTreeSet::new());
        self.coord.insert(id, Coordination { ballot, cmd, attrs: attrs.clone(), phase });
        ctx.broadcast_excluding_self(Msg::Accept(id, ballot, cmd, attrs));
        self.ensure_ticking(ctx);
    }

    /// upon ⟨Accept | γ, seq, deps, L.i, ballot⟩ at a replica.
    fn on_accept(
        &mut self,
        ctx: &mut Context<'_, Self>,
        from: NodeId,
        id: InstanceId,
        ballot: Ballot,
        cmd: Command,
        attrs: Attrs,
    ) {
        if let Some(inst) = self.cmds.get(&id).filter(|i| i.status == Status::Committed) {
            ctx.send(from, Msg::Commit(id, inst.cmd, inst.attrs.clone()));
            return;
        }
        if ballot < self.ballot_of(id) {
            ctx.send(from, Msg::Nack(id, self.ballot_of(id)));
            return;
        }
        let inst = Instance {
            cmd,
            attrs,
            status: Status::Accepted,
            ballot,
            vballot: ballot,
            unchanged: false,
        };
        self.record(ctx, id, inst);
        ctx.send(from, Msg::AcceptOk(id, ballot));
        self.ensure_ticking(ctx);
    }

    fn on_accept_ok(
        &mut self,
        ctx: &mut Context<'_, Self>,
        from: NodeId,
        id: InstanceId,
        ballot: Ballot,
    ) {
        let (f, current) = (Self::f(ctx.n), self.ballot_of(id));
        let Some(c) = self.coord.get_mut(&id) else { return };
        let Phase::Accepting(acks) = &mut c.phase else { return };
        if c.ballot != ballot || current > ballot {
            return;
        }
        acks.insert(from);
        if acks.len() >= f {
            let (cmd, attrs) = (c.cmd, c.attrs.clone());
            self.commit(ctx, id, cmd, attrs);
        }
    }

    /// Commit: record the final attributes, tell everyone, and try to execute.
    fn commit(&mut self, ctx: &mut Context<'_, Self>, id: InstanceId, cmd: Command, attrs: Attrs) {
        self.coord.remove(&id);
        ctx.broadcast_excluding_self(Msg::Commit(id, cmd, attrs.clone()));
        self.on_commit(ctx, id, cmd, attrs);
    }

    /// upon ⟨Commit | γ, seq, deps, L.i⟩.
    fn on_commit(
        &mut self,
        ctx: &mut Context<'_, Self>,
        id: InstanceId,
        cmd: Command,
        attrs: Attrs,
    ) {
        if self.status(id) == Some(Status::Committed) {
            return;
        }
        self.coord.remove(&id);
        let ballot = self.cmds.get(&id).map_or((0, id.0), |i| i.ballot);
        let inst = Instance {
            cmd,
            attrs,
            status: Status::Committed,
            ballot,
            vballot: ballot,
            unchanged: false,
        };
        self.record(ctx, id, inst);
        self.execute_ready(ctx);
    }

    /// Join ballot `b` for `id`: refuse anything below it from now on.
    fn promise(&mut self, id: InstanceId, b: Ballot) {
        match self.cmds.get_mut(&id) {
            Some(inst) => inst.ballot = inst.ballot.max(b),
            None => {
                let p = self.promised.entry(id).or_insert(b);
                *p = (*p).max(b);
            }
        }
    }

    fn on_nack(&mut self, id: InstanceId, ballot: Ballot) {
        if self.coord.get(&id).is_some_and(|c| c.ballot < ballot) {
            self.coord.remove(&id); // someone else recovers it; our tick will retry if needed
            self.promise(id, ballot);
        }
    }
}

impl Protocol for EPaxos {
    type Message = Msg;
    type Request = Command;
    type Output = Executed;

    fn on_start(&mut self, _ctx: &mut Context<'_, Self>) {}

    /// upon ⟨Request | γ⟩ from a client: lead γ.
    fn on_request(&mut self, ctx: &mut Context<'_, Self>, cmd: Command) {
        self.propose(ctx, cmd);
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, msg: Msg) {
        match msg {
            Msg::PreAccept(id, b, cmd, attrs) => self.on_pre_accept(ctx, from, id, b, cmd, attrs),
            Msg::PreAcceptOk(id, b, attrs, u) => self.on_pre_accept_ok(ctx, from, id, b, attrs, u),
            Msg::Accept(id, b, cmd, attrs) => self.on_accept(ctx, from, id, b, cmd, attrs),
            Msg::AcceptOk(id, b) => self.on_accept_ok(ctx, from, id, b),
            Msg::Commit(id, cmd, attrs) => self.on_commit(ctx, id, cmd, attrs),
            Msg::Nack(id, b) => self.on_nack(id, b),
            Msg::Prepare(id, b) => self.on_prepare(ctx, from, id, b),
            Msg::PrepareOk(id, b, inst) => self.on_prepare_ok(ctx, from, id, b, inst),
            Msg::TryPreAccept(id, b, cmd, attrs) => {
                self.on_try_pre_accept(ctx, from, id, b, cmd, attrs);
            }
            Msg::TryPreAcceptReply(id, b, conflict) => {
                self.on_try_pre_accept_reply(ctx, from, id, b, conflict);
            }
        }
    }

    /// upon ⟨Timeout⟩: recover the instances this replica has waited on for too long.
    fn on_timer(&mut self, ctx: &mut Context<'_, Self>, _timer: TimerId) {
        self.recover_stuck(ctx);
        self.ensure_ticking(ctx);
    }
}

#[cfg(test)]
mod tests;
