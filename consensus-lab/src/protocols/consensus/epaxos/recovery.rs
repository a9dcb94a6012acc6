//! EPaxos recovery: Explicit Prepare (Moraru et al., SOSP 2013, §4.4) with the TryPreAccept
//! step that the optimized fast quorum F + ⌊(F+1)/2⌋ needs (Moraru, Andersen, Kaminsky, tech.
//! report CMU-PDL-13-111, 2013, App. B). A replica Q that has waited too long for instance
//! L.i (of a possibly failed leader L) does:
//!
//! ```text
//! b ← a ballot above any it has seen for L.i; send ⟨Prepare | b, L.i⟩ to all
//! upon replies from a majority R (Q included):
//!     if some reply says committed            then commit the same attributes
//!     else if some reply says accepted        then Paxos-Accept the highest-ballot ones
//!     else if L ∈ R                           then restart Phase 1 (slow path only) — L has
//!                                               promised b, so it never fast-committed
//!     else if ≥ ⌊(F+1)/2⌋ replies hold L's own attributes A pre-accepted (unchanged in
//!          ballot 0, or recorded by an earlier TryPreAccept)
//!          then ⟨TryPreAccept | b, γ, A⟩ to all: each replica answers with an interfering
//!               instance δ ∉ A.deps whose deps lack L.i (a *conflict*), or records (γ, A);
//!               a committed conflict proves γ was not fast-committed → restart Phase 1;
//!               so does running out of replicas that could have formed γ's fast quorum
//!               (reporters of conflicts, the conflicts' leaders, responders without A, and
//!               leaders of instances whose recovery was deferred on γ are all excluded);
//!               a majority without conflicts → Paxos-Accept A;
//!               only uncommitted conflicts → defer γ, recover δ first
//!     else if some reply knows γ              then restart Phase 1 (slow path only)
//!     else                                    Paxos-Accept a no-op
//! ```
//!
//! Why the thresholds: a fast quorum has F + ⌊(F+1)/2⌋ − 1 members besides L, and a majority
//! R without L has F+1 of the 2F others, so R contains at least ⌊(F+1)/2⌋ of them. Fewer
//! unchanged replies than that prove no fast commit happened. Deferral cycles (γ waits for δ,
//! δ for γ) are broken by the exclusion rule, as in the tech report: the second recovery
//! excludes the first one's leader and finds no possible fast quorum.

use std::collections::{BTreeMap, BTreeSet};

use super::{
    Attrs, Command, Context, Coordination, EPaxos, Instance, InstanceId, Msg, Phase, Status,
};
use super::{Ballot, NodeId, RECOVERY_TIMEOUT};

impl EPaxos {
    /// upon ⟨Timeout⟩: start Explicit Prepare for every instance waited on for too long.
    pub(super) fn recover_stuck(&mut self, ctx: &mut Context<'_, Self>) {
        let timeout = RECOVERY_TIMEOUT + 20_000 * ctx.me as u64;
        let committed: Vec<InstanceId> = self
            .waiting_since
            .keys()
            .filter(|id| self.status(**id) == Some(Status::Committed))
            .copied()
            .collect();
        for id in committed {
            self.waiting_since.remove(&id);
        }
        let now = ctx.now;
        let stuck: Vec<InstanceId> = self
            .waiting_since
            .iter()
            .filter(|(_, since)| now.saturating_sub(**since) >= timeout)
            .map(|(id, _)| *id)
            .collect();
        for id in stuck {
            self.waiting_since.insert(id, now);
            let ballot = (self.ballot_of(id).0 + 1, ctx.me);
            let cmd = self.cmds.get(&id).map_or(Command::Noop, |i| i.cmd);
            let phase = Phase::Preparing(BTreeMap::new());
            let attrs = Attrs { seq: 0, deps: Default::default() };
            self.coord.insert(id, Coordination { ballot, cmd, attrs, phase });
            ctx.broadcast_including_self(Msg::Prepare(id, ballot));
        }
    }

    /// upon ⟨Prepare | b, L.i⟩: join b if it is the highest ballot seen, report what we know.
    pub(super) fn on_prepare(
        &mut self,
        ctx: &mut Context<'_, Self>,
        from: NodeId,
        id: InstanceId,
        b: Ballot,
    ) {
        if let Some(inst) = self.cmds.get(&id).filter(|i| i.status == Status::Committed) {
            ctx.send(from, Msg::Commit(id, inst.cmd, inst.attrs.clone()));
            return;
        }
        if b < self.ballot_of(id) {
            ctx.send(from, Msg::Nack(id, self.ballot_of(id)));
            return;
        }
        self.promise(id, b);
        if from != ctx.me {
            // someone else is recovering it: give them a full timeout before we try
            self.waiting_since.insert(id, ctx.now);
            self.ensure_ticking(ctx);
        }
        ctx.send(from, Msg::PrepareOk(id, b, self.cmds.get(&id).cloned()));
    }

    /// upon ⟨PrepareOK⟩: once a majority replied, choose what to do (see the module doc).
    pub(super) fn on_prepare_ok(
        &mut self,
        ctx: &mut Context<'_, Self>,
        from: NodeId,
        id: InstanceId,
        b: Ballot,
        inst: Option<Instance>,
    ) {
        let (f, leader) = (Self::f(ctx.n), id.0);
        let Some(c) = self.coord.get_mut(&id) else { return };
        let Phase::Preparing(replies) = &mut c.phase else { return };
        if c.ballot != b {
            return;
        }
        replies.insert(from, inst);
        if replies.len() < f + 1 {
            return;
        }
        let replies = replies.clone();
        let known: Vec<&Instance> = replies.values().flatten().collect();
        if let Some(done) = known.iter().find(|i| i.status == Status::Committed) {
            let (cmd, attrs) = (done.cmd, done.attrs.clone());
            return self.commit(ctx, id, cmd, attrs);
        }
        if let Some(acc) =
            known.iter().filter(|i| i.status == Status::Accepted).max_by_key(|i| i.vballot)
        {
            let (cmd, attrs) = (acc.cmd, acc.attrs.clone());
            return self.start_accept(ctx, id, b, cmd, attrs);
        }
        let Some(cmd) = known.first().map(|i| i.cmd) else {
            let noop = Attrs { seq: 0, deps: Default::default() };
            return self.start_accept(ctx, id, b, Command::Noop, noop);
        };
        let unchanged: Vec<&Attrs> = replies
            .iter()
            .filter(|(r, _)| **r != leader)
            .filter_map(|(_, i)| i.as_ref())
            .filter(|i| i.unchanged && i.status == Status::PreAccepted)
            .map(|i| &i.attrs)
            .collect();
        if !replies.contains_key(&leader)
            && !unchanged.is_empty()
            && unchanged.len() >= f.div_ceil(2)
        {
            let attrs = unchanged[0].clone();
            // Not in γ's fast quorum: responders without L's attributes (they answered a
            // higher ballot, or changed them), and the leader of any instance whose recovery
            // we deferred on γ (it proposed that instance without γ, so it never pre-accepted
            // γ unchanged before it, and after it its reply would have changed γ's deps).
            let mut excluded: BTreeSet<NodeId> = replies
                .iter()
                .filter(|(_, i)| !i.as_ref().is_some_and(|i| i.unchanged))
                .map(|(r, _)| *r)
                .collect();
            excluded.extend(self.deferred.iter().filter(|(_, on)| **on == id).map(|(e, _)| e.0));
            excluded.remove(&leader);
            let phase = Phase::TryPreAccepting { replies: BTreeMap::new(), excluded };
            self.coord.insert(id, Coordination { ballot: b, cmd, attrs: attrs.clone(), phase });
            ctx.broadcast_including_self(Msg::TryPreAccept(id, b, cmd, attrs));
            return;
        }
        self.restart_phase1(ctx, id, b, cmd, known.iter().map(|i| &i.attrs));
    }

    /// Phase 1 again, in recovery ballot `b` (no fast path), from the merged known attributes.
    fn restart_phase1<'a>(
        &mut self,
        ctx: &mut Context<'_, Self>,
        id: InstanceId,
        b: Ballot,
        cmd: Command,
        known: impl Iterator<Item = &'a Attrs>,
    ) {
        let mut merged = Attrs { seq: 1, deps: Default::default() };
        for a in known {
            merged.seq = merged.seq.max(a.seq);
            merged.deps.extend(a.deps.iter().copied());
        }
        let attrs = self.local_attrs(id, &cmd, &merged);
        self.start_pre_accept(ctx, id, b, cmd, attrs, false);
    }

    /// upon ⟨TryPreAccept | b, γ, A⟩: report a conflict, or pre-accept (γ, A) in ballot b.
    pub(super) fn on_try_pre_accept(
        &mut self,
        ctx: &mut Context<'_, Self>,
        from: NodeId,
        id: InstanceId,
        b: Ballot,
        cmd: Command,
        attrs: Attrs,
    ) {
        if let Some(inst) = self.cmds.get(&id).filter(|i| i.status == Status::Committed) {
            ctx.send(from, Msg::Commit(id, inst.cmd, inst.attrs.clone()));
            return;
        }
        if b < self.ballot_of(id) {
            ctx.send(from, Msg::Nack(id, self.ballot_of(id)));
            return;
        }
        let key = cmd.key().expect("only real commands are try-pre-accepted");
        let conflicts: Vec<(InstanceId, bool)> = self
            .by_key
            .get(&key)
            .into_iter()
            .flatten()
            .filter(|d| **d != id && !attrs.deps.contains(d))
            .map(|d| (*d, &self.cmds[d]))
            .filter(|(_, d)| !d.attrs.deps.contains(&id))
            .map(|(d, inst)| (d, inst.status == Status::Committed))
            .collect();
        let conflict = conflicts.iter().find(|(_, committed)| *committed).or(conflicts.first());
        self.promise(id, b);
        if conflict.is_none() {
            let inst = Instance {
                cmd,
                attrs,
                status: Status::PreAccepted,
                ballot: b,
                vballot: b,
                // still L's original attributes: a later recovery must count this replica as
                // one that may have made γ's fast quorum, or it could wrongly restart Phase 1
                unchanged: true,
            };
            self.record(ctx, id, inst);
        }
        ctx.send(from, Msg::TryPreAcceptReply(id, b, conflict.copied()));
    }

    /// upon ⟨TryPreAcceptReply⟩: accept A, restart Phase 1, or defer (see the module doc).
    pub(super) fn on_try_pre_accept_reply(
        &mut self,
        ctx: &mut Context<'_, Self>,
        from: NodeId,
        id: InstanceId,
        b: Ballot,
        conflict: Option<(InstanceId, bool)>,
    ) {
        let (f, n, fast_quorum) = (Self::f(ctx.n), ctx.n, Self::fast_quorum(ctx.n));
        let Some(c) = self.coord.get_mut(&id) else { return };
        let Phase::TryPreAccepting { replies, excluded } = &mut c.phase else { return };
        if c.ballot != b {
            return;
        }
        replies.insert(from, conflict);
        if let Some((d, _)) = conflict {
            // the reporter had δ without γ, and δ's leader proposed it without γ: neither
            // pre-accepted γ unchanged in ballot 0
            excluded.extend([from, d.0].into_iter().filter(|r| *r != id.0));
        }
        let (cmd, attrs) = (c.cmd, c.attrs.clone());
        let committed_conflict = replies.values().flatten().any(|(_, committed)| *committed);
        let no_fast_quorum = n - excluded.len() < fast_quorum;
        let clear = replies.values().filter(|r| r.is_none()).count();
        let waiting_on = replies.values().flatten().map(|(d, _)| *d).next();
        if committed_conflict || no_fast_quorum {
            self.restart_phase1(ctx, id, b, cmd, std::iter::once(&attrs));
        } else if clear > f {
            self.start_accept(ctx, id, b, cmd, attrs);
        } else if let (true, Some(d)) = (replies.len() > f, waiting_on) {
            // only uncommitted conflicts: recover δ first, retry γ after the next timeout
            self.coord.remove(&id);
            self.deferred.insert(id, d);
            self.waiting_since.entry(d).or_insert(ctx.now);
        }
    }
}
