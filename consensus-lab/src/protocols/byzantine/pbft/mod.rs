//! Practical Byzantine Fault Tolerance: Castro & Liskov, "Practical Byzantine Fault Tolerance",
//! OSDI'99, §4 (the signature version; TOCS 20(4) 2002 replaces the signatures by MACs
//! and keeps the protocol). n = 3f+1 replicas, primary p = v mod n.
//!
//! ```text
//! Client c (§4.1): send ⟨REQUEST,o,t,c⟩σc to the primary; on timeout broadcast it to all
//!     replicas; accept result r after f+1 ⟨REPLY,v,t,c,i,r⟩σi with the same t and r.
//! Primary (§4.2): upon a request: n ← n+1; multicast ⟨PRE-PREPARE,v,n,D(m)⟩σp with m.
//! Backup i: upon a pre-prepare in view v, h < n ≤ H, no other digest for (v, n):
//!     multicast ⟨PREPARE,v,n,d,i⟩σi.
//! prepared(m,v,n,i) ⇔ pre-prepare + 2f matching prepares of distinct backups
//!     → multicast ⟨COMMIT,v,n,d,i⟩σi.
//! committed-local ⇔ prepared + 2f+1 matching commits → execute in n order, reply.
//! Checkpoints (§4.3): every K requests multicast ⟨CHECKPOINT,n,d,i⟩σi; 2f+1 matching ⇒ stable:
//!     h ← n, discard the log below, keep the proof; a replica behind a stable checkpoint
//!     fetches the requests up to it from the others (f+1 matching answers).
//! View change (§4.4): a backup waiting too long for a request it knows of multicasts
//!     ⟨VIEW-CHANGE,v+1,n,C,P,i⟩σi (C proves stable n, P = prepared certificates above it);
//!     f+1 view changes for views > v make a replica join the smallest. The new primary, on
//!     2f+1 valid ones (V), multicasts ⟨NEW-VIEW,v+1,V,O⟩σp, O = a pre-prepare for every n in
//!     (min-s, max-s]: the highest-view certificate's request, else the null request. Backups
//!     recompute O from V, accept, and prepare every pre-prepare in O.
//! ```
//!
//! Safety needs n ≥ 3f+1: two quorums of 2f+1 intersect in f+1 replicas, one of them correct,
//! which never prepares two requests for one (v, n) (§4.2, invariant); a committed request is
//! prepared at f+1 correct replicas and so appears in every V (§4.5.1). [`Flaw::SmallQuorum`]
//! takes one replica off each quorum (2f prepares → 2f−1, 2f+1 → 2f) and the sweep finds the
//! split brain; with f+1 corrupted replicas even the right quorums split.
//!
//! Simplifications: one request per batch; one client (an extra process, id n) issuing its
//! requests one at a time; replicas keep the executed log to answer state transfer with it.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use self::msg::{
    batch_digest, new_view_order, primary, Batch, Checkpoint, Msg, NewView, Operation, Phase,
    PrePrepare, PreparedCert, Quorums, Reply, Seq, View, ViewChange, Vote,
};
use crate::protocol::{Context, NodeId, Protocol, Time, TimerId};
use crate::signature::{digest, Digest, Signed, SigningKey};

/// K: a checkpoint every this many sequence numbers (§4.3).
pub const CHECKPOINT_INTERVAL: Seq = 4;
/// L: the high watermark is h + L (§4.3).
pub const LOG_WINDOW: Seq = 4 * CHECKPOINT_INTERVAL;
/// A backup's first view-change timeout, µs; doubled by each view change in a row (§4.5.2).
const VIEW_TIMEOUT: Time = 100_000;
/// The client's retransmission timeout, µs.
const CLIENT_TIMEOUT: Time = 150_000;
/// Retry period of a state transfer, µs.
const FETCH_TIMEOUT: Time = 50_000;

const VIEW_TIMER: TimerId = 1;
const FETCH_TIMER: TimerId = 2;
const CLIENT_TIMER: TimerId = 3;

/// A deliberate bug, for the sweeps to catch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flaw {
    /// Correct PBFT.
    #[default]
    None,
    /// Every quorum one smaller: 2f−1 prepares, 2f commits, 2f view changes and checkpoints.
    SmallQuorum,
}

/// What the history records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PbftOutput {
    /// A replica executed sequence number `seq` (the SMR log): the request's (client,
    /// timestamp), or `None` for the null request, and the state digest after it.
    Execute {
        /// Sequence number.
        seq: Seq,
        /// (client, timestamp) of the request, `None` for the null request.
        request: Option<(NodeId, u64)>,
        /// Result returned to the client (the state digest after executing).
        result: u64,
    },
    /// The client accepted `result` for its request `timestamp` (f+1 matching replies).
    Complete {
        /// The request's timestamp.
        timestamp: u64,
        /// The accepted result.
        result: u64,
    },
}

/// The log entry of one sequence number.
#[derive(Debug, Clone, Default)]
struct Slot {
    /// The view the per-view fields below belong to.
    view: View,
    pre_prepare: Option<(Signed<PrePrepare>, Batch)>,
    prepares: BTreeMap<NodeId, Signed<Vote>>,
    commits: BTreeMap<NodeId, Digest>,
    commit_sent: bool,
    /// The highest-view prepared certificate (kept across views for VIEW-CHANGE's P).
    prepared: Option<PreparedCert>,
    committed: Option<Batch>,
}

/// Where a replica stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Normal,
    /// Waiting for the NEW-VIEW of `view` (§4.4).
    ViewChanging,
}

/// One PBFT replica.
#[derive(Debug, Clone)]
pub struct Replica {
    me: NodeId,
    n: usize,
    q: Quorums,
    key: SigningKey,
    view: View,
    status: Status,
    view_timeout: Time,
    /// Whether the view-change timer is running (§4.4: started only if not already running).
    view_timer: bool,
    next_seq: Seq,
    slots: BTreeMap<Seq, Slot>,
    /// h: the last stable checkpoint, and its proof.
    low: Seq,
    stable_proof: Vec<Signed<Checkpoint>>,
    checkpoints: BTreeMap<(Seq, Digest), BTreeMap<NodeId, Signed<Checkpoint>>>,
    /// Executed batches: entry i is sequence number i+1.
    executed: Vec<Batch>,
    state: Digest,
    replies: BTreeMap<NodeId, Signed<Reply>>,
    last_timestamp: BTreeMap<NodeId, u64>,
    /// Requests received and not yet executed (§4.4 "waiting for a request").
    pending: BTreeMap<(NodeId, u64), Signed<Operation>>,
    /// Requests the primary already ordered in its view.
    ordered: BTreeSet<(NodeId, u64)>,
    view_changes: BTreeMap<View, BTreeMap<NodeId, Signed<ViewChange>>>,
    /// Normal-case messages of views above the current one, replayed on entering them.
    future: Vec<(NodeId, Msg)>,
    fetch: Option<Seq>,
    state_answers: BTreeMap<Seq, BTreeMap<NodeId, Vec<Batch>>>,
}

/// PBFT's client: issues its requests one at a time (§4.1).
#[derive(Debug, Clone)]
pub struct Client {
    me: NodeId,
    n: usize,
    q: Quorums,
    key: SigningKey,
    view: View,
    queue: VecDeque<u64>,
    current: Option<Signed<Operation>>,
    timestamp: u64,
    replies: BTreeMap<u64, BTreeSet<NodeId>>,
}

/// One PBFT process: replicas are `0..n`, the client is `n`.
#[derive(Debug, Clone)]
pub enum Pbft {
    /// A replica.
    Replica(Box<Replica>),
    /// The client.
    Client(Client),
}

impl Pbft {
    /// Process `me` of a system of `n` replicas plus one client (id `n`), with `flaw`.
    pub fn new(me: NodeId, n: usize, flaw: Flaw) -> Self {
        let q = Quorums::new(n, flaw == Flaw::SmallQuorum);
        let key = SigningKey::of(me);
        if me < n {
            Pbft::Replica(Box::new(Replica::new(me, n, q, key)))
        } else {
            Pbft::Client(Client {
                me,
                n,
                q,
                key,
                view: 0,
                queue: VecDeque::new(),
                current: None,
                timestamp: 0,
                replies: BTreeMap::new(),
            })
        }
    }

    /// The replica's executed log (for tests); `None` for the client.
    pub fn executed(&self) -> Option<&[Batch]> {
        match self {
            Pbft::Replica(r) => Some(&r.executed),
            Pbft::Client(_) => None,
        }
    }

    /// The replica's current view (for tests); `None` for the client.
    pub fn view(&self) -> Option<View> {
        match self {
            Pbft::Replica(r) => Some(r.view),
            Pbft::Client(_) => None,
        }
    }
}

type Ctx<'a, 'b> = &'a mut Context<'b, Pbft>;

fn send_replicas(ctx: Ctx, n: usize, msg: Msg) {
    let me = ctx.me;
    for to in (0..n).filter(|&q| q != me) {
        ctx.send(to, msg.clone());
    }
}

impl Replica {
    fn new(me: NodeId, n: usize, q: Quorums, key: SigningKey) -> Self {
        Replica {
            me,
            n,
            q,
            key,
            view: 0,
            status: Status::Normal,
            view_timeout: VIEW_TIMEOUT,
            view_timer: false,
            next_seq: 1,
            slots: BTreeMap::new(),
            low: 0,
            stable_proof: Vec::new(),
            checkpoints: BTreeMap::new(),
            executed: Vec::new(),
            state: 0,
            replies: BTreeMap::new(),
            last_timestamp: BTreeMap::new(),
            pending: BTreeMap::new(),
            ordered: BTreeSet::new(),
            view_changes: BTreeMap::new(),
            future: Vec::new(),
            fetch: None,
            state_answers: BTreeMap::new(),
        }
    }

    fn is_primary(&self) -> bool {
        primary(self.view, self.n) == self.me
    }

    fn last_executed(&self) -> Seq {
        self.executed.len() as Seq
    }

    fn in_window(&self, seq: Seq) -> bool {
        seq > self.low && seq <= self.low + LOG_WINDOW
    }

    /// The slot of `seq`, with its per-view fields reset if they belong to an older view.
    fn slot(&mut self, seq: Seq, view: View) -> &mut Slot {
        let slot = self.slots.entry(seq).or_default();
        if slot.view < view {
            slot.view = view;
            slot.pre_prepare = None;
            slot.prepares.clear();
            slot.commits.clear();
            slot.commit_sent = false;
        }
        slot
    }

    // ---------------------------------------------------------------- requests (§4.1)

    fn on_request(&mut self, ctx: Ctx, from: NodeId, req: Signed<Operation>) {
        let op = req.body;
        if from != op.client || !req.verifies_as(op.client) {
            return;
        }
        if self.last_timestamp.get(&op.client).is_some_and(|&t| t >= op.timestamp) {
            if let Some(reply) = self.replies.get(&op.client) {
                if reply.body.timestamp == op.timestamp {
                    ctx.send(op.client, Msg::Reply(reply.clone()));
                }
            }
            return;
        }
        let id = (op.client, op.timestamp);
        let new = self.pending.insert(id, req.clone()).is_none();
        if self.status != Status::Normal {
            return;
        }
        if self.is_primary() {
            self.order(ctx, req);
        } else {
            if new {
                ctx.send(primary(self.view, self.n), Msg::Request(req));
            }
            self.start_view_timer(ctx, false);
        }
    }

    /// §4.2: the primary assigns the next sequence number and multicasts the pre-prepare.
    fn order(&mut self, ctx: Ctx, req: Signed<Operation>) {
        let id = (req.body.client, req.body.timestamp);
        if self.ordered.contains(&id) || !self.in_window(self.next_seq) {
            return;
        }
        self.ordered.insert(id);
        let seq = self.next_seq;
        self.next_seq += 1;
        let batch = Some(req);
        let pp = Signed::new(
            PrePrepare { view: self.view, seq, digest: batch_digest(&batch) },
            &self.key,
        );
        self.slot(seq, self.view).pre_prepare = Some((pp.clone(), batch.clone()));
        send_replicas(ctx, self.n, Msg::PrePrepare(pp, batch));
    }

    // ---------------------------------------------------------------- normal case (§4.2)

    fn on_pre_prepare(&mut self, ctx: Ctx, from: NodeId, pp: Signed<PrePrepare>, batch: Batch) {
        let PrePrepare { view, seq, digest } = pp.body;
        if from != primary(view, self.n)
            || !pp.verifies_as(from)
            || view != self.view
            || from == self.me
            || !self.in_window(seq)
            || digest != batch_digest(&batch)
            || batch.as_ref().is_some_and(|r| !r.verifies_as(r.body.client))
        {
            return;
        }
        let vote = Signed::new(Vote { phase: Phase::Prepare, view, seq, digest }, &self.key);
        let me = self.me;
        let slot = self.slot(seq, view);
        if slot.pre_prepare.is_some() {
            return; // one pre-prepare per (v, n): a different one is ignored
        }
        slot.pre_prepare = Some((pp, batch.clone()));
        slot.prepares.insert(me, vote.clone());
        send_replicas(ctx, self.n, Msg::Prepare(vote));
        // The piggybacked request is one this backup now waits for (§4.4, timer).
        if let Some(req) = batch {
            let op = req.body;
            if self.last_timestamp.get(&op.client).is_none_or(|&t| t < op.timestamp) {
                self.pending.insert((op.client, op.timestamp), req);
                self.start_view_timer(ctx, false);
            }
        }
        self.advance(ctx, seq);
    }

    fn on_vote(&mut self, ctx: Ctx, from: NodeId, vote: Signed<Vote>) {
        let Vote { phase, view, seq, digest } = vote.body;
        if !vote.verifies_as(from) || view != self.view || !self.in_window(seq) {
            return;
        }
        match phase {
            Phase::Prepare if from != primary(view, self.n) => {
                self.slot(seq, view).prepares.insert(from, vote);
            }
            Phase::Commit => {
                self.slot(seq, view).commits.insert(from, digest);
            }
            Phase::Prepare => return,
        }
        self.advance(ctx, seq);
    }

    /// prepared → send COMMIT; committed-local → execute (§4.2).
    fn advance(&mut self, ctx: Ctx, seq: Seq) {
        let (me, n, q, view) = (self.me, self.n, self.q, self.view);
        let slot = self.slot(seq, view);
        let Some((pp, batch)) = slot.pre_prepare.clone() else { return };
        let d = pp.body.digest;
        if !slot.commit_sent {
            let matching: Vec<Signed<Vote>> =
                slot.prepares.values().filter(|v| v.body.digest == d).cloned().collect();
            if matching.len() < q.prepares {
                return;
            }
            slot.prepared = Some(PreparedCert {
                pre_prepare: pp,
                batch: batch.clone(),
                prepares: matching.into_iter().take(q.prepares.max(1)).collect(),
            });
            slot.commit_sent = true;
            slot.commits.insert(me, d);
            let vote = Signed::new(Vote { phase: Phase::Commit, view, seq, digest: d }, &self.key);
            send_replicas(ctx, n, Msg::Commit(vote));
        }
        let slot = self.slot(seq, view);
        let commits = slot.commits.values().filter(|&&c| c == d).count();
        if slot.committed.is_none() && commits >= q.quorum {
            slot.committed = Some(batch);
            self.execute_ready(ctx);
        }
    }

    /// Execute committed requests in sequence-number order (§4.2 "executes … after all
    /// requests with lower sequence numbers").
    fn execute_ready(&mut self, ctx: Ctx) {
        let before = self.last_executed();
        loop {
            let next = self.last_executed() + 1;
            let Some(batch) = self.slots.get(&next).and_then(|s| s.committed.clone()) else {
                break;
            };
            self.execute(ctx, next, batch);
        }
        let executed_any = self.last_executed() > before;
        if self.pending.is_empty() {
            self.stop_view_timer(ctx);
        } else if !self.is_primary() && self.status == Status::Normal && executed_any {
            self.start_view_timer(ctx, true);
        }
    }

    /// Start the view-change timer; if it already runs, only when `restart` (§4.4: "starts a
    /// timer … if not already running … restarts it if … waiting to execute some other request").
    fn start_view_timer(&mut self, ctx: Ctx, restart: bool) {
        if restart || !self.view_timer {
            self.view_timer = true;
            ctx.set_timer(VIEW_TIMER, self.view_timeout);
        }
    }

    fn stop_view_timer(&mut self, ctx: Ctx) {
        self.view_timer = false;
        ctx.cancel_timer(VIEW_TIMER);
    }

    fn execute(&mut self, ctx: Ctx, seq: Seq, batch: Batch) {
        let mut request = None;
        if let Some(req) = &batch {
            let op = req.body;
            request = Some((op.client, op.timestamp));
            self.pending.remove(&(op.client, op.timestamp));
            if self.last_timestamp.get(&op.client).is_none_or(|&t| t < op.timestamp) {
                self.state = digest(&(self.state, op));
                self.last_timestamp.insert(op.client, op.timestamp);
                let reply = Signed::new(
                    Reply { view: self.view, timestamp: op.timestamp, result: self.state },
                    &self.key,
                );
                self.replies.insert(op.client, reply.clone());
                ctx.send(op.client, Msg::Reply(reply));
            }
        }
        self.executed.push(batch);
        self.view_timeout = VIEW_TIMEOUT;
        ctx.output(PbftOutput::Execute { seq, request, result: self.state });
        if seq % CHECKPOINT_INTERVAL == 0 {
            let cp = Signed::new(Checkpoint { seq, state: self.state }, &self.key);
            send_replicas(ctx, self.n, Msg::Checkpoint(cp.clone()));
            self.on_checkpoint(ctx, self.me, cp);
        }
    }

    // ---------------------------------------------------------------- checkpoints (§4.3)

    fn on_checkpoint(&mut self, ctx: Ctx, from: NodeId, cp: Signed<Checkpoint>) {
        let Checkpoint { seq, state } = cp.body;
        if !cp.verifies_as(from) || seq <= self.low {
            return;
        }
        let votes = self.checkpoints.entry((seq, state)).or_default();
        votes.insert(from, cp);
        let count = votes.len();
        if count >= self.q.weak && self.last_executed() < seq {
            // f+1 matching checkpoints: at least one correct replica got there; catch up by
            // state transfer instead of waiting for messages that may never come (§4.3).
            self.start_fetch(ctx, seq);
        }
        if count >= self.q.quorum && self.last_executed() >= seq {
            let proof: Vec<_> = self.checkpoints[&(seq, state)].values().cloned().collect();
            self.make_stable(seq, proof);
        }
    }

    /// h ← seq: discard the log and checkpoint messages at or below it.
    fn make_stable(&mut self, seq: Seq, proof: Vec<Signed<Checkpoint>>) {
        if seq <= self.low {
            return;
        }
        self.low = seq;
        self.stable_proof = proof;
        self.slots = self.slots.split_off(&(seq + 1));
        self.checkpoints = self.checkpoints.split_off(&(seq + 1, 0));
        self.next_seq = self.next_seq.max(seq + 1);
    }

    fn start_fetch(&mut self, ctx: Ctx, seq: Seq) {
        if self.fetch.is_some_and(|s| s >= seq) {
            return;
        }
        self.fetch = Some(seq);
        send_replicas(ctx, self.n, Msg::FetchState(seq));
        ctx.set_timer(FETCH_TIMER, FETCH_TIMEOUT);
    }

    fn on_state(&mut self, ctx: Ctx, from: NodeId, seq: Seq, batches: Vec<Batch>) {
        if seq <= self.last_executed() || batches.len() as Seq != seq {
            return;
        }
        let answers = self.state_answers.entry(seq).or_default();
        answers.insert(from, batches.clone());
        if answers.values().filter(|b| **b == batches).count() < self.q.weak {
            return;
        }
        for (i, batch) in batches.into_iter().enumerate().skip(self.executed.len()) {
            self.execute(ctx, i as Seq + 1, batch);
        }
        self.state_answers = self.state_answers.split_off(&(seq + 1));
        if self.fetch.is_some_and(|s| s <= seq) {
            self.fetch = None;
            ctx.cancel_timer(FETCH_TIMER);
        }
        self.stabilize();
        self.execute_ready(ctx);
    }

    /// Make the highest checkpoint with a quorum of matching messages at or below the executed
    /// state stable (after a state transfer the proof may have arrived long before).
    fn stabilize(&mut self) {
        let executed = self.last_executed();
        let quorum = self.q.quorum;
        let best = self
            .checkpoints
            .iter()
            .filter(|((seq, _), votes)| *seq <= executed && votes.len() >= quorum)
            .max_by_key(|((seq, _), _)| *seq)
            .map(|((seq, _), votes)| (*seq, votes.values().cloned().collect()));
        if let Some((seq, proof)) = best {
            self.make_stable(seq, proof);
        }
    }

    // ---------------------------------------------------------------- view change (§4.4)

    fn start_view_change(&mut self, ctx: Ctx, view: View) {
        if view <= self.view && self.status == Status::ViewChanging {
            return;
        }
        self.view = view;
        self.status = Status::ViewChanging;
        self.ordered.clear();
        let prepared = self
            .slots
            .iter()
            .filter(|(&s, _)| s > self.low)
            .filter_map(|(_, slot)| slot.prepared.clone())
            .collect();
        let vc = Signed::new(
            ViewChange { view, stable: self.low, proof: self.stable_proof.clone(), prepared },
            &self.key,
        );
        send_replicas(ctx, self.n, Msg::ViewChange(vc.clone()));
        self.start_view_timer(ctx, true);
        self.on_view_change(ctx, self.me, vc);
    }

    fn on_view_change(&mut self, ctx: Ctx, from: NodeId, vc: Signed<ViewChange>) {
        let view = vc.body.view;
        if !vc.verifies_as(from) || view < self.view || !vc.body.is_valid(view, self.n, self.q) {
            return;
        }
        if view == self.view && self.status == Status::Normal {
            return;
        }
        self.view_changes.entry(view).or_default().insert(from, vc);
        // §4.5.2: f+1 view changes for views above ours → join the smallest of them.
        let above: BTreeMap<NodeId, View> = self
            .view_changes
            .range(self.view + 1..)
            .flat_map(|(v, senders)| senders.keys().map(move |s| (*s, *v)))
            .fold(BTreeMap::new(), |mut m, (s, v)| {
                m.entry(s).and_modify(|x: &mut View| *x = (*x).min(v)).or_insert(v);
                m
            });
        if above.len() >= self.q.weak {
            let smallest = *above.values().min().expect("non-empty");
            if smallest > self.view || self.status == Status::Normal {
                self.start_view_change(ctx, smallest);
            }
        }
        self.try_new_view(ctx);
    }

    /// The new primary, with 2f+1 valid view changes for its view, sends NEW-VIEW.
    fn try_new_view(&mut self, ctx: Ctx) {
        let view = self.view;
        if self.status != Status::ViewChanging || primary(view, self.n) != self.me {
            return;
        }
        let Some(vcs) = self.view_changes.get(&view) else { return };
        if vcs.len() < self.q.quorum {
            return;
        }
        let view_changes: Vec<_> = vcs.values().take(self.q.quorum).cloned().collect();
        let (_, order) = new_view_order(&view_changes);
        let pre_prepares = order
            .into_iter()
            .map(|(seq, batch)| {
                let pp = PrePrepare { view, seq, digest: batch_digest(&batch) };
                (Signed::new(pp, &self.key), batch)
            })
            .collect();
        let nv = Signed::new(NewView { view, view_changes, pre_prepares }, &self.key);
        send_replicas(ctx, self.n, Msg::NewView(nv.clone()));
        self.enter_view(ctx, nv.body);
    }

    fn on_new_view(&mut self, ctx: Ctx, from: NodeId, nv: Signed<NewView>) {
        let body = &nv.body;
        let view = body.view;
        if from != primary(view, self.n) || !nv.verifies_as(from) {
            return;
        }
        if view < self.view || (view == self.view && self.status == Status::Normal) {
            return;
        }
        let signers: BTreeSet<NodeId> = body
            .view_changes
            .iter()
            .filter(|vc| vc.verifies() && vc.signer() < self.n)
            .filter(|vc| vc.body.is_valid(view, self.n, self.q))
            .map(|vc| vc.signer())
            .collect();
        if signers.len() < self.q.quorum || signers.len() != body.view_changes.len() {
            return;
        }
        let (_, order) = new_view_order(&body.view_changes);
        let matches = order.len() == body.pre_prepares.len()
            && order.iter().zip(&body.pre_prepares).all(|((seq, batch), (pp, b))| {
                pp.verifies_as(from)
                    && pp.body == PrePrepare { view, seq: *seq, digest: batch_digest(batch) }
                    && b == batch
            });
        if matches {
            self.enter_view(ctx, nv.body);
        }
    }

    fn enter_view(&mut self, ctx: Ctx, nv: NewView) {
        let view = nv.view;
        self.view = view;
        self.status = Status::Normal;
        self.ordered.clear();
        self.view_changes = self.view_changes.split_off(&(view + 1));
        self.stop_view_timer(ctx);
        // The latest stable checkpoint in V: adopt it, fetching the state if behind.
        let best = nv.view_changes.iter().max_by_key(|vc| vc.body.stable);
        let mut max_s = self.low;
        if let Some(vc) = best {
            let (stable, proof) = (vc.body.stable, vc.body.proof.clone());
            max_s = max_s.max(stable);
            for cp in &proof {
                let key = (cp.body.seq, cp.body.state);
                self.checkpoints.entry(key).or_default().insert(cp.signer(), cp.clone());
            }
            if stable > self.last_executed() {
                self.start_fetch(ctx, stable);
            } else {
                self.make_stable(stable, proof);
            }
        }
        let is_primary = self.is_primary();
        for (pp, batch) in nv.pre_prepares {
            let seq = pp.body.seq;
            max_s = max_s.max(seq);
            if seq <= self.low {
                continue;
            }
            if let Some(r) = &batch {
                self.ordered.insert((r.body.client, r.body.timestamp));
            }
            let d = pp.body.digest;
            let vote = Signed::new(Vote { phase: Phase::Prepare, view, seq, digest: d }, &self.key);
            let me = self.me;
            let slot = self.slot(seq, view);
            slot.pre_prepare = Some((pp, batch));
            if !is_primary {
                slot.prepares.insert(me, vote.clone());
                send_replicas(ctx, self.n, Msg::Prepare(vote));
            }
        }
        self.next_seq = max_s + 1;
        let seqs: Vec<Seq> = self.slots.range(self.low + 1..).map(|(s, _)| *s).collect();
        for seq in seqs {
            self.advance(ctx, seq);
        }
        let future = std::mem::take(&mut self.future);
        for (from, msg) in future {
            self.on_message(ctx, from, msg);
        }
        let pending: Vec<_> = self.pending.values().cloned().collect();
        for req in pending {
            if is_primary {
                self.order(ctx, req);
            } else {
                ctx.send(primary(view, self.n), Msg::Request(req));
            }
        }
        if !self.pending.is_empty() && !is_primary {
            self.start_view_timer(ctx, true);
        }
    }

    fn view_of(msg: &Msg) -> Option<View> {
        match msg {
            Msg::PrePrepare(pp, _) => Some(pp.body.view),
            Msg::Prepare(v) | Msg::Commit(v) => Some(v.body.view),
            _ => None,
        }
    }

    fn on_message(&mut self, ctx: Ctx, from: NodeId, msg: Msg) {
        if let Some(view) = Self::view_of(&msg) {
            if view > self.view || (view == self.view && self.status == Status::ViewChanging) {
                if self.future.len() < 16 * LOG_WINDOW as usize * self.n {
                    self.future.push((from, msg));
                }
                return;
            }
            if self.status != Status::Normal {
                return;
            }
        }
        match msg {
            Msg::Request(req) => self.on_request(ctx, from, req),
            Msg::PrePrepare(pp, batch) => self.on_pre_prepare(ctx, from, pp, batch),
            Msg::Prepare(v) | Msg::Commit(v) => self.on_vote(ctx, from, v),
            Msg::Checkpoint(cp) => self.on_checkpoint(ctx, from, cp),
            Msg::ViewChange(vc) => self.on_view_change(ctx, from, vc),
            Msg::NewView(nv) => self.on_new_view(ctx, from, nv),
            Msg::FetchState(seq) if seq <= self.last_executed() && from < self.n => {
                ctx.send(from, Msg::State(seq, self.executed[..seq as usize].to_vec()));
            }
            Msg::State(seq, batches) if from < self.n => self.on_state(ctx, from, seq, batches),
            Msg::FetchState(_) | Msg::State(..) | Msg::Reply(_) => {}
        }
    }

    fn on_timer(&mut self, ctx: Ctx, timer: TimerId) {
        match timer {
            VIEW_TIMER => {
                self.view_timer = false;
                if self.status == Status::ViewChanging {
                    self.view_timeout = (self.view_timeout * 2).min(VIEW_TIMEOUT << 5);
                }
                let next = self.view + 1;
                self.start_view_change(ctx, next);
            }
            FETCH_TIMER => {
                if let Some(seq) = self.fetch.take() {
                    if seq > self.last_executed() {
                        self.start_fetch(ctx, seq);
                    }
                }
            }
            _ => {}
        }
    }
}

impl Client {
    fn send_next(&mut self, ctx: Ctx) {
        if self.current.is_some() {
            return;
        }
        let Some(op) = self.queue.pop_front() else { return };
        self.timestamp += 1;
        let req =
            Signed::new(Operation { client: self.me, timestamp: self.timestamp, op }, &self.key);
        self.current = Some(req.clone());
        self.replies.clear();
        ctx.send(primary(self.view, self.n), Msg::Request(req));
        ctx.set_timer(CLIENT_TIMER, CLIENT_TIMEOUT);
    }

    fn on_reply(&mut self, ctx: Ctx, from: NodeId, reply: Signed<Reply>) {
        if from >= self.n || !reply.verifies_as(from) || reply.body.timestamp != self.timestamp {
            return;
        }
        if self.current.is_none() {
            return;
        }
        let votes = self.replies.entry(reply.body.result).or_default();
        votes.insert(from);
        if votes.len() >= self.q.weak {
            self.view = self.view.max(reply.body.view);
            self.current = None;
            ctx.cancel_timer(CLIENT_TIMER);
            ctx.output(PbftOutput::Complete {
                timestamp: reply.body.timestamp,
                result: reply.body.result,
            });
            self.send_next(ctx);
        }
    }
}

impl Protocol for Pbft {
    type Message = Msg;
    type Request = u64;
    type Output = PbftOutput;

    fn on_start(&mut self, _ctx: &mut Context<'_, Self>) {}

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, msg: Msg) {
        match (self, msg) {
            (Pbft::Replica(r), msg) => r.on_message(ctx, from, msg),
            (Pbft::Client(c), Msg::Reply(reply)) => c.on_reply(ctx, from, reply),
            (Pbft::Client(_), _) => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_, Self>, timer: TimerId) {
        match self {
            Pbft::Replica(r) => r.on_timer(ctx, timer),
            Pbft::Client(c) => {
                // §4.1: no reply in time → broadcast the request to all replicas.
                if let Some(req) = c.current.clone() {
                    send_replicas(ctx, c.n, Msg::Request(req));
                    ctx.set_timer(CLIENT_TIMER, CLIENT_TIMEOUT);
                }
            }
        }
    }

    /// ⟨Invoke | op⟩ at the client (ignored by replicas).
    fn on_request(&mut self, ctx: &mut Context<'_, Self>, op: u64) {
        if let Pbft::Client(c) = self {
            c.queue.push_back(op);
            c.send_next(ctx);
        }
    }
}

pub mod experiment;
pub mod msg;

#[cfg(test)]
mod tests;
