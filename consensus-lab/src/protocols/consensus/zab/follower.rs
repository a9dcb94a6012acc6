//! The follower side of Zab (Junqueira et al. 2011, §IV, Algorithms 1–3, "Follower F").

use super::{Flaw, Msg, Zab};
use crate::protocol::{Context, NodeId};
use crate::protocols::consensus::smr_kv::{Proposal, StateMachine, Zxid};

impl<S: StateMachine> Zab<S> {
    /// upon ⟨NEWEPOCH | e'⟩ from ℓ: if f.p < e' then f.p ← e' and ACK-E(f.a, h_f); a
    /// retransmission from the same ℓ is acknowledged again; anything else is refused.
    pub(super) fn on_new_epoch(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, epoch: u64) {
        if epoch > self.accepted_epoch.0 {
            self.step_down(ctx);
            self.accepted_epoch = (epoch, from);
            self.synced = false;
            self.broadcasting = false;
            self.ahead.clear();
            self.last_progress = ctx.now;
            self.store_follower(ctx);
        } else if self.accepted_epoch != (epoch, from) {
            ctx.send(from, Msg::Nack { accepted_epoch: self.accepted_epoch.0 });
            return;
        }
        let history = self.history.clone();
        ctx.send(from, Msg::AckE { epoch, current_epoch: self.current_epoch, history });
    }

    /// upon ⟨NEWLEADER | e', I⟩: if f.p = e' then f.a ← e', h_f ← I (stored), ACK-LD.
    pub(super) fn on_new_leader(
        &mut self,
        ctx: &mut Context<'_, Self>,
        from: NodeId,
        epoch: u64,
        history: super::History<S::Command>,
    ) {
        if self.accepted_epoch != (epoch, from) {
            if epoch < self.accepted_epoch.0 {
                ctx.send(from, Msg::Nack { accepted_epoch: self.accepted_epoch.0 });
            }
            return;
        }
        let stale = history.last().map_or((0, 0), |x| x.0) < self.last_zxid();
        if self.synced && self.current_epoch == epoch && stale {
            // A duplicated or overtaken NEWLEADER: h_f already extends it.
            ctx.send(from, Msg::AckLd { epoch, last: self.last_zxid() });
            return;
        }
        self.current_epoch = epoch;
        self.history = history;
        self.synced = true;
        self.broadcasting = false;
        self.commit = (0, 0);
        self.ahead.clear();
        self.store_follower(ctx);
        ctx.send(from, Msg::AckLd { epoch, last: self.last_zxid() });
    }

    /// `true` if this process follows `from` in `epoch` and may accept its PROPOSE/COMMIT.
    fn following(&self, from: NodeId, epoch: u64) -> bool {
        let promised = self.accepted_epoch == (epoch, from);
        match self.flaw {
            Flaw::None => promised && self.synced && self.current_epoch == epoch,
            Flaw::BroadcastBeforeSync => promised,
        }
    }

    /// A leader this process cannot follow in `epoch`: refuse a stale one, or ask to be
    /// synchronized (CEPOCH) if it is the leader of the promised epoch.
    fn refuse(&self, ctx: &mut Context<'_, Self>, from: NodeId, epoch: u64) {
        if epoch < self.accepted_epoch.0 {
            ctx.send(from, Msg::Nack { accepted_epoch: self.accepted_epoch.0 });
        } else if self.accepted_epoch == (epoch, from) {
            ctx.send(from, Msg::CEpoch { accepted_epoch: epoch });
        }
    }

    /// upon ⟨PROPOSE | e', ⟨v, z⟩⟩: append if z is the next zxid of h_f (one that arrives
    /// early waits in `ahead`, restoring the FIFO order the paper assumes); ACK cumulatively.
    pub(super) fn on_propose(
        &mut self,
        ctx: &mut Context<'_, Self>,
        from: NodeId,
        epoch: u64,
        zxid: Zxid,
        txn: Proposal<S::Command>,
    ) {
        if !self.following(from, epoch) {
            self.refuse(ctx, from, epoch);
            return;
        }
        if self.flaw == Flaw::BroadcastBeforeSync {
            self.current_epoch = epoch;
            self.synced = true;
        }
        if zxid.0 == epoch && zxid > self.last_zxid() {
            self.ahead.insert(zxid, txn);
        }
        let mut appended = false;
        loop {
            let last = self.last_zxid();
            let next = if last.0 == epoch { (epoch, last.1 + 1) } else { (epoch, 1) };
            let Some(txn) = self.ahead.remove(&next) else { break };
            self.history.push((next, txn));
            appended = true;
        }
        self.ahead.retain(|z, _| *z > self.history.last().map_or((0, 0), |x| x.0));
        if appended {
            ctx.store("history", &self.history);
            ctx.store("current_epoch", &self.current_epoch);
            self.deliver(ctx);
        }
        self.ack(ctx, from);
    }

    /// upon ⟨COMMIT | z⟩: deliver h_f up to z; answer a probe with an ACK.
    pub(super) fn on_commit(
        &mut self,
        ctx: &mut Context<'_, Self>,
        from: NodeId,
        epoch: u64,
        zxid: Zxid,
        probe: bool,
    ) {
        if !self.following(from, epoch) {
            self.refuse(ctx, from, epoch);
            return;
        }
        self.broadcasting = true;
        if zxid > self.commit {
            self.commit = zxid;
            self.deliver(ctx);
        }
        if probe {
            self.ack(ctx, from);
        }
    }
}
