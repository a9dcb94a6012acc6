//! Reliable broadcast over perfect links: Cachin–Guerraoui–Rodrigues 2011, §3.3.3 Algorithm 3.3
//! "Eager Reliable Broadcast" (fail-silent) and §3.4.3 Algorithm 3.5 "Majority-Ack Uniform
//! Reliable Broadcast" (fail-silent, f < N/2). The best-effort broadcast `beb` underneath is
//! Algorithm 3.1 (send to every process); its links are the [`PerfectLinks`] layer, so the
//! protocols survive message loss, duplication, reordering and partitions that heal. The
//! ordered broadcasts built on Algorithm 3.3 are in `broadcast_ordered.rs`.
//!
//! ```text
//! Algorithm 3.3 (rb):
//! upon event ⟨rb, Init⟩ do delivered := ∅;
//! upon event ⟨rb, Broadcast | m⟩ do trigger ⟨beb, Broadcast | [DATA, self, m]⟩;
//! upon event ⟨beb, Deliver | p, [DATA, s, m]⟩ do
//!     if m ∉ delivered then
//!         delivered := delivered ∪ {m};
//!         trigger ⟨rb, Deliver | s, m⟩;
//!         trigger ⟨beb, Broadcast | [DATA, s, m]⟩;
//!
//! Algorithm 3.5 (urb):
//! upon event ⟨urb, Init⟩ do delivered := ∅; pending := ∅; forall m do ack[m] := ∅;
//! upon event ⟨urb, Broadcast | m⟩ do
//!     pending := pending ∪ {(self, m)}; trigger ⟨beb, Broadcast | [DATA, self, m]⟩;
//! upon event ⟨beb, Deliver | p, [DATA, s, m]⟩ do
//!     ack[m] := ack[m] ∪ {p};
//!     if (s, m) ∉ pending then
//!         pending := pending ∪ {(s, m)}; trigger ⟨beb, Broadcast | [DATA, s, m]⟩;
//! function candeliver(m) returns Boolean is return #(ack[m]) > N/2;
//! upon exists (s, m) ∈ pending such that candeliver(m) ∧ m ∉ delivered do
//!     delivered := delivered ∪ {m}; trigger ⟨urb, Deliver | s, m⟩;
//! ```
//!
//! A message is identified by `(s, m)`; the workloads make payloads unique. The relay in
//! Algorithm 3.3 skips the relaying process itself (it has already delivered m).
//! The broken variant `urb-broken-early-deliver` delivers as soon as m is pending, before a
//! majority acknowledged it: a process can deliver, crash, and leave the others without m.
//! `urb-broken-eager` is Algorithm 3.3 itself judged as a *uniform* broadcast (Module 3.3): it
//! delivers on first receipt, so a process that delivers and crashes before any copy of its
//! relay gets through leaves the correct processes without m (CGR §3.4.1: Eager RB ensures
//! agreement among correct processes only).

use std::collections::{BTreeMap, BTreeSet};

use crate::check::broadcast::{self, BroadcastEvent, BroadcastHistory};
use crate::harness::{simulate, Outcome, ProtocolEntry, RunConfig, RunReport};
use crate::protocol::{Context, NodeId, Protocol, TimerId, WireSize};
use crate::protocols::broadcast::beb::Deliver;
use crate::protocols::links::{Payload, PerfectLinks};
use crate::sim::{HistoryEvent, Streams, Workload};

/// [DATA, s, m]: a message `m` broadcast by `sender`, as relayed by anyone.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Data<M> {
    /// The original broadcaster s.
    pub sender: NodeId,
    /// The message m.
    pub m: M,
}

impl<M: WireSize> WireSize for Data<M> {
    fn size_bytes(&self) -> usize {
        8 + self.m.size_bytes()
    }
}

/// The state of Algorithm 3.3 (`delivered`), reusable by the protocols layered on it.
#[derive(Debug, Clone)]
pub struct EagerRb<M> {
    delivered: BTreeSet<(NodeId, M)>,
}

impl<M> Default for EagerRb<M> {
    fn default() -> Self {
        EagerRb { delivered: BTreeSet::new() }
    }
}

impl<M: Ord + Clone> EagerRb<M> {
    /// upon ⟨rb, Broadcast | m⟩: beb-broadcast [DATA, self, m].
    pub fn broadcast<P: Protocol<Message = Data<M>>>(&mut self, ctx: &mut Context<'_, P>, m: M) {
        ctx.broadcast_including_self(Data { sender: ctx.me, m });
    }

    /// upon ⟨beb, Deliver | p, [DATA, s, m]⟩: the first time, relay it and return `(s, m)`
    /// for the caller to rb-deliver; `None` for a message already delivered.
    pub fn on_data<P: Protocol<Message = Data<M>>>(
        &mut self,
        ctx: &mut Context<'_, P>,
        data: Data<M>,
    ) -> Option<(NodeId, M)> {
        if !self.delivered.insert((data.sender, data.m.clone())) {
            return None;
        }
        ctx.broadcast_excluding_self(data.clone());
        Some((data.sender, data.m))
    }
}

/// One process of Eager Reliable Broadcast (Alg. 3.3); run it inside [`PerfectLinks`].
#[derive(Debug, Clone, Default)]
pub struct EagerReliableBroadcast {
    rb: EagerRb<Payload>,
}

impl Protocol for EagerReliableBroadcast {
    type Message = Data<Payload>;
    type Request = u64;
    type Output = Deliver;

    fn on_start(&mut self, _ctx: &mut Context<'_, Self>) {}

    fn on_request(&mut self, ctx: &mut Context<'_, Self>, m: u64) {
        self.rb.broadcast(ctx, Payload(m));
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, _from: NodeId, data: Data<Payload>) {
        if let Some((sender, Payload(payload))) = self.rb.on_data(ctx, data) {
            ctx.output(Deliver { sender, payload });
        }
    }

    fn on_timer(&mut self, _ctx: &mut Context<'_, Self>, _timer: TimerId) {}
}

/// A deliberate bug in uniform reliable broadcast, for testing the checkers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UrbFlaw {
    /// Correct Algorithm 3.5.
    #[default]
    None,
    /// candeliver(m) is always true: deliver on first receipt, before a majority acknowledged.
    EarlyDeliver,
}

/// One process of Majority-Ack Uniform Reliable Broadcast (Alg. 3.5); run it inside
/// [`PerfectLinks`].
#[derive(Debug, Clone, Default)]
pub struct MajorityAckUrb {
    flaw: UrbFlaw,
    delivered: BTreeSet<(NodeId, u64)>,
    pending: BTreeSet<(NodeId, u64)>,
    ack: BTreeMap<(NodeId, u64), BTreeSet<NodeId>>,
}

impl MajorityAckUrb {
    /// A process with `flaw` (`UrbFlaw::None` for the correct algorithm).
    pub fn new(flaw: UrbFlaw) -> Self {
        MajorityAckUrb { flaw, ..MajorityAckUrb::default() }
    }

    /// candeliver(m) := #(ack[m]) > N/2.
    fn candeliver(&self, id: &(NodeId, u64), n: usize) -> bool {
        self.flaw == UrbFlaw::EarlyDeliver || self.ack.get(id).map_or(0, BTreeSet::len) > n / 2
    }
}

impl Protocol for MajorityAckUrb {
    type Message = Data<Payload>;
    type Request = u64;
    type Output = Deliver;

    fn on_start(&mut self, _ctx: &mut Context<'_, Self>) {}

    /// upon ⟨urb, Broadcast | m⟩.
    fn on_request(&mut self, ctx: &mut Context<'_, Self>, m: u64) {
        self.pending.insert((ctx.me, m));
        ctx.broadcast_including_self(Data { sender: ctx.me, m: Payload(m) });
    }

    /// upon ⟨beb, Deliver | p, [DATA, s, m]⟩, then the candeliver guard for this m.
    fn on_message(&mut self, ctx: &mut Context<'_, Self>, p: NodeId, data: Data<Payload>) {
        let id = (data.sender, data.m.0);
        self.ack.entry(id).or_default().insert(p);
        if self.pending.insert(id) {
            ctx.broadcast_including_self(data);
        }
        if self.candeliver(&id, ctx.n) && self.delivered.insert(id) {
            ctx.output(Deliver { sender: id.0, payload: id.1 });
        }
    }

    fn on_timer(&mut self, _ctx: &mut Context<'_, Self>, _timer: TimerId) {}
}

/// Simulate a broadcast protocol (inside perfect links) under `config` with 10 broadcasts from
/// random processes, open loop, 5 ms apart on average, and report the listed properties of
/// [`crate::check::broadcast`].
pub fn run_broadcast<P>(
    config: &RunConfig,
    factory: impl Fn(NodeId, usize) -> P + 'static,
    properties: &[&str],
) -> RunReport
where
    P: Protocol<Request = u64, Output = Deliver> + 'static,
{
    let mut rng = Streams::new(config.seed).workload;
    let workload = Workload::open_loop(&mut rng, config.n, 0, 5_000, 10, |i, _| i as u64);
    let run = simulate(config, move |me, n| PerfectLinks::new(factory(me, n)), workload);
    let mut events = Vec::new();
    let mut outcomes = Vec::new();
    let mut times = Vec::new();
    for event in &run.history.events {
        match event {
            HistoryEvent::Request { node, request, accepted: true, .. } => {
                events.push(BroadcastEvent::Broadcast { node: *node, msg: *request });
            }
            HistoryEvent::Output { time, node, output } => {
                let Deliver { sender, payload } = *output;
                events.push(BroadcastEvent::Deliver { node: *node, sender, msg: payload });
                outcomes.push(Outcome::delivered(*time, *node, sender, payload));
                times.push(*time);
            }
            _ => {}
        }
    }
    let correct = config.correct(&run.history);
    let verdicts = broadcast::check(&BroadcastHistory { events, correct })
        .into_iter()
        .filter(|v| properties.contains(&v.property))
        .collect();
    run.report(config, outcomes, times, verdicts)
}

/// Properties of reliable broadcast (Module 3.2).
pub const RB_PROPERTIES: &[&str] = &["validity", "no duplication", "no creation", "agreement"];
/// Properties of uniform reliable broadcast (Module 3.3).
pub const URB_PROPERTIES: &[&str] =
    &["validity", "no duplication", "no creation", "agreement", "uniform agreement"];

/// `rb-eager`: Algorithm 3.3.
pub static EAGER_RB: ProtocolEntry = ProtocolEntry {
    name: "rb-eager",
    description: "reliable broadcast over perfect links",
    source: "CGR 2011 Alg. 3.3 Eager Reliable Broadcast",
    fault_model: "crash-stop of any number; loss, duplication, reordering, partitions that heal",
    default_n: 3,
    byzantine: false,
    run: run_eager_rb,
    comparison: None,
};

fn run_eager_rb(config: &RunConfig) -> RunReport {
    run_broadcast(config, |_, _| EagerReliableBroadcast::default(), RB_PROPERTIES)
}

/// `urb-majority-ack`: Algorithm 3.5.
pub static MAJORITY_ACK_URB: ProtocolEntry = ProtocolEntry {
    name: "urb-majority-ack",
    description: "uniform reliable broadcast over perfect links",
    source: "CGR 2011 Alg. 3.5 Majority-Ack URB",
    fault_model: "crash-stop of f < n/2; loss, duplication, reordering, partitions that heal",
    default_n: 3,
    byzantine: false,
    run: run_majority_ack_urb,
    comparison: None,
};

fn run_majority_ack_urb(config: &RunConfig) -> RunReport {
    run_broadcast(config, |_, _| MajorityAckUrb::new(UrbFlaw::None), URB_PROPERTIES)
}

/// `urb-broken-early-deliver`: Algorithm 3.5 delivering before a majority acknowledged.
pub static BROKEN_URB_EARLY_DELIVER: ProtocolEntry = ProtocolEntry {
    name: "urb-broken-early-deliver",
    description: "BROKEN on purpose: Majority-Ack URB delivering before a majority acknowledged",
    source: "",
    fault_model: "crash-stop of f < n/2; loss, duplication, reordering, partitions that heal",
    default_n: 3,
    byzantine: false,
    run: run_broken_urb_early_deliver,
    comparison: None,
};

fn run_broken_urb_early_deliver(config: &RunConfig) -> RunReport {
    run_broadcast(config, |_, _| MajorityAckUrb::new(UrbFlaw::EarlyDeliver), URB_PROPERTIES)
}

/// `urb-broken-eager`: Algorithm 3.3 (correct as rb) judged by the uniform properties of
/// Module 3.3, which it does not promise.
pub static BROKEN_URB_EAGER: ProtocolEntry = ProtocolEntry {
    name: "urb-broken-eager",
    description: "BROKEN on purpose: Eager Reliable Broadcast used as uniform broadcast",
    source: "CGR 2011 Alg. 3.3",
    fault_model: "crash-stop of f < n/2; loss, duplication, reordering, partitions that heal",
    default_n: 3,
    byzantine: false,
    run: run_broken_urb_eager,
    comparison: None,
};

fn run_broken_urb_eager(config: &RunConfig) -> RunReport {
    run_broadcast(config, |_, _| EagerReliableBroadcast::default(), URB_PROPERTIES)
}

#[cfg(test)]
mod tests;
