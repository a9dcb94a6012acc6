//! The leader side of Zab (Junqueira et al. 2011, §IV, Algorithms 1–3, "Leader L"): discovery,
//! synchronization, broadcast, and the resends that stand in for the paper's TCP channels.

use std::collections::BTreeMap;

use super::{Flaw, FollowerView, History, Lead, Msg, Zab, RESEND_AFTER, RESEND_BATCH};
use crate::protocol::{Context, NodeId};
use crate::protocols::consensus::smr_kv::{Proposal, StateMachine, Zxid};

impl<S: StateMachine> Zab<S> {
    /// The epoch this process leads or is establishing, once chosen.
    pub(super) fn lead_epoch(&self) -> Option<u64> {
        match &self.lead {
            Some(Lead::Discovery { epoch, .. }) => *epoch,
            Some(Lead::Leading { epoch, .. }) => Some(*epoch),
            None => None,
        }
    }

    /// upon ⟨CEPOCH | f.p⟩: count it (discovery), or re-synchronize a (re)joining follower.
    pub(super) fn on_cepoch(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, f_p: u64) {
        let quorum = Self::quorum(ctx.n);
        match &mut self.lead {
            Some(Lead::Discovery { cepochs, epoch: epoch @ None, ack_e, .. }) => {
                cepochs.insert(from, f_p);
                if cepochs.len() < quorum {
                    return;
                }
                let e = cepochs.values().max().copied().unwrap_or(0) + 1;
                *epoch = Some(e);
                // The leader's own follower half promises e' first: f.p ← e'.
                ack_e.insert(ctx.me, (self.current_epoch, self.history.clone()));
                self.accepted_epoch = (e, ctx.me);
                self.synced = false;
                self.store_follower(ctx);
                ctx.broadcast_excluding_self(Msg::NewEpoch { epoch: e });
            }
            // NEWEPOCH already went to everyone; the tick resends it to the silent ones.
            Some(Lead::Discovery { epoch: Some(_), .. }) => {}
            Some(Lead::Leading { epoch, .. }) => {
                let epoch = *epoch;
                self.followers[from].synced = false;
                ctx.send(from, Msg::NewEpoch { epoch });
            }
            None => {}
        }
    }

    /// upon ⟨ACK-E | f.a, h_f⟩: on a quorum choose I_e' and synchronize; a late follower gets
    /// NEWLEADER with the leader's current history.
    pub(super) fn on_ack_e(
        &mut self,
        ctx: &mut Context<'_, Self>,
        from: NodeId,
        epoch: u64,
        current_epoch: u64,
        history: History<S::Command>,
    ) {
        let quorum = Self::quorum(ctx.n);
        match &mut self.lead {
            Some(Lead::Discovery { epoch: Some(e), ack_e, .. }) if *e == epoch => {
                ack_e.insert(from, (current_epoch, history));
                if ack_e.len() >= quorum {
                    let ack_e = std::mem::take(ack_e);
                    self.synchronize(ctx, epoch, ack_e);
                }
            }
            Some(Lead::Leading { epoch: e, .. }) if *e == epoch => {
                ctx.send(from, Msg::NewLeader { epoch, history: self.history.clone() });
            }
            _ => {}
        }
    }

    /// Phase 2: I_e' ← the history of the ACK-E with the highest (f.a, last zxid); the
    /// leader adopts it and sends NEWLEADER. (The flawed variant keeps its own history and
    /// goes straight to broadcast.)
    fn synchronize(
        &mut self,
        ctx: &mut Context<'_, Self>,
        epoch: u64,
        ack_e: BTreeMap<NodeId, (u64, History<S::Command>)>,
    ) {
        let me = ctx.me;
        let latest = |(a, h): &&(u64, History<S::Command>)| (*a, h.last().map_or((0, 0), |x| x.0));
        if self.flaw == Flaw::None {
            let chosen = ack_e.values().max_by_key(latest).map(|(_, h)| h.clone());
            self.history = chosen.unwrap_or_default();
        }
        self.current_epoch = epoch;
        self.synced = true;
        self.commit = (0, 0);
        self.store_follower(ctx);
        let view = FollowerView {
            synced: false,
            last: (0, 0),
            delivered: (0, 0),
            heard: ctx.now,
            backoff: RESEND_AFTER,
        };
        self.followers = vec![view; ctx.n];
        self.followers[ctx.me].synced = true;
        self.followers[ctx.me].last = self.last_zxid();
        self.lead = Some(Lead::Leading {
            since: ctx.now,
            epoch,
            established: false,
            counter: 0,
            commit: (0, 0),
        });
        if self.flaw == Flaw::BroadcastBeforeSync {
            for q in ack_e.keys() {
                self.followers[*q].synced = true;
            }
            self.establish(ctx);
            return;
        }
        for q in ack_e.keys().filter(|q| **q != me) {
            ctx.send(*q, Msg::NewLeader { epoch, history: self.history.clone() });
        }
    }

    /// upon ⟨ACK-LD⟩: on a quorum, COMMIT I_e' and enter phase 3; a late follower gets the
    /// current commit point.
    pub(super) fn on_ack_ld(
        &mut self,
        ctx: &mut Context<'_, Self>,
        from: NodeId,
        epoch: u64,
        last: Zxid,
    ) {
        let Some(Lead::Leading { epoch: e, established, commit, .. }) = self.lead else { return };
        if e != epoch {
            return;
        }
        let view = &mut self.followers[from];
        view.synced = true;
        view.last = last;
        view.heard = ctx.now;
        view.backoff = RESEND_AFTER;
        if established {
            ctx.send(from, Msg::Commit { epoch, zxid: commit, probe: true });
        } else if self.followers.iter().filter(|v| v.synced).count() >= Self::quorum(ctx.n) {
            self.establish(ctx);
        }
    }

    /// End of phase 2: commit the initial history, then propose what waited.
    fn establish(&mut self, ctx: &mut Context<'_, Self>) {
        let me = ctx.me;
        let last = self.last_zxid();
        let Some(Lead::Leading { epoch, established, commit, .. }) = &mut self.lead else { return };
        *established = true;
        *commit = last;
        let epoch = *epoch;
        self.broadcasting = true;
        self.commit = last;
        self.attempts = 0;
        self.deliver(ctx);
        for q in (0..ctx.n).filter(|q| *q != me && self.followers[*q].synced) {
            ctx.send(q, Msg::Commit { epoch, zxid: last, probe: false });
        }
        let own: Vec<_> = self.replica.pending.keys().cloned().collect();
        for cmd in own {
            self.propose(ctx, Proposal { origin: ctx.me, cmd });
        }
        for p in std::mem::take(&mut self.backlog) {
            self.propose(ctx, p);
        }
    }

    /// Phase 3: PROPOSE `p` with zxid (e', c + 1) to every synchronized follower.
    pub(super) fn propose(&mut self, ctx: &mut Context<'_, Self>, p: Proposal<S::Command>) {
        let me = ctx.me;
        if self.replica.has_applied(&p) || self.history.iter().any(|(_, q)| *q == p) {
            return;
        }
        let Some(Lead::Leading { epoch, established: true, counter, .. }) = &mut self.lead else {
            return;
        };
        *counter += 1;
        let (epoch, zxid) = (*epoch, (*epoch, *counter));
        self.history.push((zxid, p.clone()));
        ctx.store("history", &self.history);
        self.followers[ctx.me].last = zxid;
        for q in (0..ctx.n).filter(|q| *q != me && self.followers[*q].synced) {
            ctx.send(q, Msg::Propose { epoch, zxid, txn: p.clone() });
        }
        self.try_commit(ctx);
    }

    /// upon ⟨ACK | last, delivered⟩ from a synchronized follower.
    pub(super) fn on_ack(
        &mut self,
        ctx: &mut Context<'_, Self>,
        from: NodeId,
        epoch: u64,
        last: Zxid,
        delivered: Zxid,
    ) {
        if self.lead_epoch() != Some(epoch) || !self.followers[from].synced {
            return;
        }
        let view = &mut self.followers[from];
        if last > view.last || delivered > view.delivered {
            view.heard = ctx.now;
            view.backoff = RESEND_AFTER;
        }
        view.last = view.last.max(last);
        view.delivered = view.delivered.max(delivered);
        self.try_commit(ctx);
    }

    /// COMMIT the highest zxid of this epoch that a quorum has in its history.
    fn try_commit(&mut self, ctx: &mut Context<'_, Self>) {
        let me = ctx.me;
        let quorum = Self::quorum(ctx.n);
        let mut lasts: Vec<Zxid> =
            self.followers.iter().filter(|v| v.synced).map(|v| v.last).collect();
        if lasts.len() < quorum {
            return;
        }
        lasts.sort_unstable_by(|a, b| b.cmp(a));
        let z = lasts[quorum - 1];
        let Some(Lead::Leading { epoch, established: true, commit, .. }) = &mut self.lead else {
            return;
        };
        if z <= *commit || z.0 != *epoch {
            return;
        }
        *commit = z;
        let epoch = *epoch;
        self.commit = z;
        self.deliver(ctx);
        for q in (0..ctx.n).filter(|q| *q != me && self.followers[*q].synced) {
            ctx.send(q, Msg::Commit { epoch, zxid: z, probe: false });
        }
    }

    /// The leader's tick: resend ELECT/NEWEPOCH (phase 1), NEWEPOCH to unsynchronized
    /// followers, missing PROPOSEs and COMMIT probes (phase 3), with per-follower backoff;
    /// give up a phase that does not finish within the suspicion timeout.
    pub(super) fn leader_tick(&mut self, ctx: &mut Context<'_, Self>) {
        let me = ctx.me;
        let timeout = self.suspect_timeout(ctx.me);
        let last = self.last_zxid();
        match &self.lead {
            None => {}
            Some(Lead::Discovery { since, sent, cepochs, epoch, ack_e }) => {
                if ctx.now.saturating_sub(*since) > timeout {
                    self.step_down(ctx);
                    return;
                }
                if ctx.now.saturating_sub(*sent) < RESEND_AFTER {
                    return;
                }
                for q in (0..ctx.n).filter(|q| *q != me) {
                    match epoch {
                        None if !cepochs.contains_key(&q) => ctx.send(q, Msg::Elect),
                        Some(e) if !ack_e.contains_key(&q) => {
                            ctx.send(q, Msg::NewEpoch { epoch: *e })
                        }
                        _ => {}
                    }
                }
                if let Some(Lead::Discovery { sent, .. }) = &mut self.lead {
                    *sent = ctx.now;
                }
            }
            Some(Lead::Leading { since, epoch, established, commit, .. }) => {
                let (epoch, established, commit) = (*epoch, *established, *commit);
                if !established && ctx.now.saturating_sub(*since) > timeout {
                    self.step_down(ctx);
                    return;
                }
                for q in (0..ctx.n).filter(|q| *q != me) {
                    let view = self.followers[q];
                    if ctx.now < view.heard + view.backoff {
                        continue;
                    }
                    if !view.synced {
                        ctx.send(q, Msg::NewEpoch { epoch });
                    } else if established && view.last < last {
                        let missing = self.history.iter().filter(|(z, _)| *z > view.last);
                        for (zxid, txn) in missing.take(RESEND_BATCH) {
                            let txn = txn.clone();
                            ctx.send(q, Msg::Propose { epoch, zxid: *zxid, txn });
                        }
                    } else if established && view.delivered < commit {
                        ctx.send(q, Msg::Commit { epoch, zxid: commit, probe: true });
                    } else {
                        continue;
                    }
                    let view = &mut self.followers[q];
                    view.heard = ctx.now;
                    view.backoff = (view.backoff * 2).min(RESEND_AFTER * 64);
                }
            }
        }
    }

    /// `true` while something remains to be sent or waited for.
    pub(super) fn busy(&self, me: NodeId) -> bool {
        if !self.replica.pending.is_empty() {
            return true;
        }
        match &self.lead {
            None => !self.broadcasting,
            Some(Lead::Discovery { .. }) | Some(Lead::Leading { established: false, .. }) => true,
            Some(Lead::Leading { commit, .. }) => {
                let last = self.last_zxid();
                self.followers
                    .iter()
                    .enumerate()
                    .any(|(q, v)| q != me && (!v.synced || v.last < last || v.delivered < *commit))
            }
        }
    }
}
