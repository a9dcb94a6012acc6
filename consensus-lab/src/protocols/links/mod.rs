//! Perfect point-to-point links over fair-loss links: Cachin–Guerraoui–Rodrigues 2011, §2.4,
//! Algorithm 2.1 "Retransmit Forever" (stubborn links, `sl`) under Algorithm 2.2 "Eliminate
//! Duplicates" (perfect links, `pl`), as one *layer* ([`PerfectLinks<U>`]) that any protocol `U`
//! can be stacked on: every message `U` sends goes through the layer, every message the layer
//! delivers goes up to `U`. The simulator's network is the fair-loss link `fll` (CGR §2.4.2).
//!
//! ```text
//! Algorithm 2.1 (sl over fll):
//! upon event ⟨sl, Init⟩ do sent := ∅; starttimer(Δ);
//! upon event ⟨Timeout⟩ do
//!     forall (q, m) ∈ sent do trigger ⟨fll, Send | q, m⟩;
//!     starttimer(Δ);
//! upon event ⟨sl, Send | q, m⟩ do
//!     trigger ⟨fll, Send | q, m⟩; sent := sent ∪ {(q, m)};
//! upon event ⟨fll, Deliver | p, m⟩ do trigger ⟨sl, Deliver | p, m⟩;
//!
//! Algorithm 2.2 (pl over sl):
//! upon event ⟨pl, Init⟩ do delivered := ∅;
//! upon event ⟨pl, Send | q, m⟩ do trigger ⟨sl, Send | q, m⟩;
//! upon event ⟨sl, Deliver | p, m⟩ do
//!     if m ∉ delivered then delivered := delivered ∪ {m}; trigger ⟨pl, Deliver | p, m⟩;
//! ```
//!
//! Messages are made unique, as CGR assumes (§2.4.3), by tagging each with a [`MsgId`]: the
//! sender's incarnation (kept in stable storage, so a recovered process never reuses an id) and
//! a sequence number. Two engineering changes leave the link properties intact (a process that
//! has not acknowledged `m` keeps receiving it infinitely often): the receiver acknowledges each
//! copy and the sender drops `(q, m)` from `sent` once `q` has acknowledged it (CGR §2.4.3 calls
//! retransmitting forever "clearly not efficient"); and while nothing is acknowledged the period
//! doubles up to 64·Δ, so retransmissions to a crashed process stay cheap.
//!
//! **Timer ids ≥ 2⁶³ are reserved for layers** (this one, the failure detectors of
//! [`crate::protocols::timing::fd`]); an upper protocol must use smaller ids.
//!
//! For crash-recovery, [`PerfectLinks::logged`] is Algorithm 2.3 "Log Delivered" (logged
//! perfect links, §2.4.5): `delivered` is kept in stable storage (store(delivered) before the
//! message goes up) and retrieved on recovery, so a recovered process never delivers a message
//! twice; without the log it would deliver again every copy retransmitted to it.
//!
//! The `perfect-links` experiment stacks a trivial client ([`LinkUser`]) on the layer and checks
//! reliable delivery, no duplication and no creation (CGR Module 2.3); `perfect-links-logged`
//! does the same under crash-recovery (Module 2.5). The broken variant
//! `perfect-links-broken-no-dedup` skips Algorithm 2.2: it is a stubborn link sold as perfect.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// The checkers of this module's properties.
pub use crate::check::links as check;

use crate::harness::{simulate, Outcome, ProtocolEntry, RunConfig, RunReport};
use crate::protocol::{
    Action, ActionOf, Context, NodeId, Protocol, Storage, Time, TimerId, WireSize,
};
use crate::sim::{HistoryEvent, Streams, Workload};
use check::{LinkEvent, LinkHistory};

/// First timer id reserved for layers; upper protocols use ids below it.
pub const RESERVED_TIMERS: TimerId = 1 << 63;
/// The retransmission timer of [`PerfectLinks`].
const RETRANSMIT: TimerId = u64::MAX;
/// Δ of Algorithm 2.1: base retransmission period, µs.
pub const RETRANSMIT_PERIOD: Time = 20_000;

/// An upper-layer protocol held by a layer, with its own stable storage (persisted by the layer
/// under one key of the real storage, so it survives crashes like any stored value).
#[derive(Debug, Clone)]
pub struct Upper<U> {
    /// The upper protocol's state.
    pub proto: U,
    storage: Storage,
    key: &'static str,
}

impl<U: Protocol> Upper<U> {
    /// Wrap `proto`; its storage lives under `key` in the layer's storage.
    pub fn new(proto: U, key: &'static str) -> Self {
        Upper { proto, storage: Storage::new(), key }
    }

    /// Reload the upper protocol's storage after a (re)start of the layer.
    pub fn restore<L: Protocol>(&mut self, ctx: &Context<'_, L>) {
        if let Some(storage) = ctx.retrieve::<Storage>(self.key) {
            self.storage = storage;
        }
    }

    /// Run one handler of the upper protocol and return its actions for the layer to apply;
    /// anything it stored is persisted first (CGR §2.2.4: store is synchronous).
    pub fn call<L: Protocol>(
        &mut self,
        ctx: &mut Context<'_, L>,
        handler: impl FnOnce(&mut U, &mut Context<'_, U>),
    ) -> Vec<ActionOf<U>> {
        let before = self.storage.clone();
        let mut actions = Vec::new();
        handler(
            &mut self.proto,
            &mut Context::new(ctx.me, ctx.n, ctx.now, &mut self.storage, &mut actions),
        );
        if self.storage != before {
            ctx.store(self.key, &self.storage);
        }
        actions
    }
}

/// Apply an upper protocol's timer and output actions to the layer below (outputs pass through
/// unchanged); return its sends for the layer to transmit its own way.
pub fn forward<U, L>(
    ctx: &mut Context<'_, L>,
    actions: Vec<ActionOf<U>>,
) -> Vec<(NodeId, U::Message)>
where
    U: Protocol,
    L: Protocol<Output = U::Output>,
{
    let mut sends = Vec::new();
    for action in actions {
        match action {
            Action::Send { to, msg } => sends.push((to, msg)),
            Action::SetTimer { id, after } => ctx.set_timer(id, after),
            Action::CancelTimer { id } => ctx.cancel_timer(id),
            Action::Output(out) => ctx.output(out),
        }
    }
    sends
}

/// The identity of one message of one sender: `(incarnation, sequence number)`.
pub type MsgId = (u32, u64);

/// What the layer puts on the fair-loss link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlWire<M> {
    /// An upper-layer message with its unique id.
    Data {
        /// Sender-unique id.
        id: MsgId,
        /// The upper layer's message.
        msg: M,
    },
    /// "I have `id`": stop retransmitting it to me.
    Ack {
        /// The acknowledged id.
        id: MsgId,
    },
}

impl<M: WireSize> WireSize for PlWire<M> {
    fn size_bytes(&self) -> usize {
        match self {
            PlWire::Data { msg, .. } => 13 + msg.size_bytes(),
            PlWire::Ack { .. } => 13,
        }
    }
}

/// A deliberate bug, for testing the checkers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum LinkFlaw {
    /// Correct perfect links.
    #[default]
    None,
    /// No Algorithm 2.2: every copy the stubborn link delivers goes up, duplicates included.
    NoDedup,
}

/// The perfect-links layer (Alg. 2.1 + 2.2) under the upper protocol `U`.
#[derive(Debug, Clone)]
pub struct PerfectLinks<U: Protocol> {
    /// The protocol stacked on the links.
    pub upper: Upper<U>,
    flaw: LinkFlaw,
    /// Algorithm 2.3: keep `delivered` in stable storage.
    log_delivered: bool,
    incarnation: u32,
    next_seq: u64,
    /// `sent` of Alg. 2.1, minus what was acknowledged.
    sent: BTreeMap<MsgId, (NodeId, U::Message)>,
    /// `delivered` of Alg. 2.2, as `(sender, id)`.
    delivered: BTreeSet<(NodeId, MsgId)>,
    /// Timeouts since the last acknowledgement (the period is Δ·2^min(idle, 6)).
    idle: u32,
    timer_armed: bool,
}

impl<U: Protocol> PerfectLinks<U> {
    /// `upper` stacked on correct perfect links.
    pub fn new(upper: U) -> Self {
        Self::with_flaw(upper, LinkFlaw::None)
    }

    /// `upper` stacked on links with `flaw`.
    pub fn with_flaw(upper: U, flaw: LinkFlaw) -> Self {
        PerfectLinks {
            upper: Upper::new(upper, "pl.upper"),
            flaw,
            log_delivered: false,
            incarnation: 0,
            next_seq: 0,
            sent: BTreeMap::new(),
            delivered: BTreeSet::new(),
            idle: 0,
            timer_armed: false,
        }
    }

    /// `upper` stacked on logged perfect links (Alg. 2.3 "Log Delivered", crash-recovery).
    pub fn logged(upper: U) -> Self {
        PerfectLinks { log_delivered: true, ..Self::new(upper) }
    }

    /// Run an upper handler and carry out its actions.
    pub fn call_upper(
        &mut self,
        ctx: &mut Context<'_, Self>,
        handler: impl FnOnce(&mut U, &mut Context<'_, U>),
    ) {
        let actions = self.upper.call(ctx, handler);
        for (to, msg) in forward::<U, Self>(ctx, actions) {
            self.pl_send(ctx, to, msg);
        }
    }

    /// upon ⟨pl, Send | q, m⟩ = ⟨sl, Send | q, m⟩: send now, remember for retransmission.
    fn pl_send(&mut self, ctx: &mut Context<'_, Self>, to: NodeId, msg: U::Message) {
        let id = (self.incarnation, self.next_seq);
        self.next_seq += 1;
        ctx.send(to, PlWire::Data { id, msg: msg.clone() });
        if to != ctx.me {
            self.sent.insert(id, (to, msg));
            if !self.timer_armed {
                self.timer_armed = true;
                ctx.set_timer(RETRANSMIT, RETRANSMIT_PERIOD);
            }
        }
    }
}

impl<U: Protocol> Protocol for PerfectLinks<U> {
    type Message = PlWire<U::Message>;
    type Request = U::Request;
    type Output = U::Output;

    /// upon ⟨Init⟩: a new incarnation (stored), then the upper layer's ⟨Init⟩.
    fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
        self.incarnation = ctx.retrieve::<u32>("pl.incarnation").map_or(0, |i| i + 1);
        ctx.store("pl.incarnation", &self.incarnation);
        if self.log_delivered {
            self.delivered = ctx.retrieve("pl.delivered").unwrap_or_default();
        }
        self.upper.restore(ctx);
        self.call_upper(ctx, |u, c| u.on_start(c));
    }

    /// upon ⟨fll, Deliver | p, m⟩: acknowledge, and deliver m up unless already delivered.
    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, wire: Self::Message) {
        match wire {
            PlWire::Data { id, msg } => {
                if from != ctx.me {
                    ctx.send(from, PlWire::Ack { id });
                }
                let fresh = self.delivered.insert((from, id));
                if fresh && self.log_delivered {
                    ctx.store("pl.delivered", &self.delivered);
                }
                if fresh || self.flaw == LinkFlaw::NoDedup {
                    self.call_upper(ctx, |u, c| u.on_message(c, from, msg));
                }
            }
            PlWire::Ack { id } => {
                if self.sent.remove(&id).is_some() {
                    self.idle = 0;
                }
            }
        }
    }

    /// upon ⟨Timeout⟩: retransmit everything not yet acknowledged (Alg. 2.1); upper timers pass.
    fn on_timer(&mut self, ctx: &mut Context<'_, Self>, timer: TimerId) {
        if timer != RETRANSMIT {
            self.call_upper(ctx, |u, c| u.on_timer(c, timer));
            return;
        }
        if self.sent.is_empty() {
            self.timer_armed = false;
            return;
        }
        for (&id, (to, msg)) in &self.sent {
            ctx.send(*to, PlWire::Data { id, msg: msg.clone() });
        }
        self.idle += 1;
        ctx.set_timer(RETRANSMIT, RETRANSMIT_PERIOD << self.idle.min(6));
    }

    fn on_request(&mut self, ctx: &mut Context<'_, Self>, req: U::Request) {
        self.call_upper(ctx, |u, c| u.on_request(c, req));
    }
}

/// A payload the link experiment sends: unique per run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Payload(pub u64);

impl WireSize for Payload {
    fn size_bytes(&self) -> usize {
        8
    }
}

/// ⟨pl, Deliver | from, m⟩ as recorded in the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkDeliver {
    /// The sender.
    pub from: NodeId,
    /// The payload.
    pub payload: Payload,
}

/// The client on top of the links: ⟨pl, Send | q, m⟩ in, ⟨pl, Deliver | p, m⟩ out.
#[derive(Debug, Clone, Copy, Default)]
pub struct LinkUser;

impl Protocol for LinkUser {
    type Message = Payload;
    /// `(q, m)`: send m to q.
    type Request = (NodeId, Payload);
    type Output = LinkDeliver;

    fn on_start(&mut self, _ctx: &mut Context<'_, Self>) {}

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, payload: Payload) {
        ctx.output(LinkDeliver { from, payload });
    }

    fn on_timer(&mut self, _ctx: &mut Context<'_, Self>, _timer: TimerId) {}

    fn on_request(&mut self, ctx: &mut Context<'_, Self>, (to, payload): (NodeId, Payload)) {
        if to < ctx.n {
            ctx.send(to, payload);
        }
    }
}

/// Run the link experiment with `flaw`: 20 sends between random pairs of distinct processes,
/// open loop, 5 ms apart on average; checks Module 2.3's three properties.
pub fn run_links(flaw: LinkFlaw, logged: bool, config: &RunConfig) -> RunReport {
    let mut rng = Streams::new(config.seed).workload;
    let n = config.n;
    let mut workload = Workload::open_loop(&mut rng, n, 0, 5_000, 20, |i, rng| {
        (rand::Rng::random_range(rng, 0..n), Payload(i as u64))
    });
    for r in &mut workload.requests {
        if n > 1 && r.request.0 == r.node {
            r.request.0 = (r.node + 1) % n;
        }
    }
    let run = simulate(
        config,
        move |_, _| PerfectLinks {
            log_delivered: logged,
            ..PerfectLinks::with_flaw(LinkUser, flaw)
        },
        workload,
    );
    let mut events = Vec::new();
    let mut outcomes = Vec::new();
    let mut times = Vec::new();
    for event in &run.history.events {
        match event {
            HistoryEvent::Request { node, request: (to, payload), accepted: true, .. } => {
                events.push(LinkEvent::Send { from: *node, to: *to, msg: *payload });
            }
            HistoryEvent::Output { time, node, output } => {
                events.push(LinkEvent::Deliver {
                    at: *node,
                    from: output.from,
                    msg: output.payload,
                });
                outcomes.push(Outcome::delivered(*time, *node, output.from, output.payload));
                times.push(*time);
            }
            _ => {}
        }
    }
    let never_crashed = run.history.never_crashed.iter().copied().collect();
    let correct = config.correct(&run.history);
    let verdicts = check::check(&LinkHistory { events, correct, never_crashed });
    run.report(config, outcomes, times, verdicts)
}

const LINK_FAULTS: &str = "crash-stop of any number; fair-loss links (loss < 1), duplication, \
                           reordering; partitions that heal";

/// `perfect-links`: Alg. 2.1 + 2.2 over the simulator's fair-loss links.
pub static PERFECT_LINKS: ProtocolEntry = ProtocolEntry {
    name: "perfect-links",
    description: "perfect links over fair-loss",
    source: "CGR 2011 Alg. 2.1 Retransmit Forever + Alg. 2.2 Eliminate Duplicates",
    fault_model: LINK_FAULTS,
    default_n: 3,
    byzantine: false,
    run: |config| run_links(LinkFlaw::None, false, config),
    comparison: None,
};

/// `perfect-links-logged`: Alg. 2.1 + 2.3 under crash-recovery.
pub static LOGGED_PERFECT_LINKS: ProtocolEntry = ProtocolEntry {
    name: "perfect-links-logged",
    description: "logged perfect links for crash-recovery",
    source: "CGR 2011 Alg. 2.1 + Alg. 2.3 Log Delivered",
    fault_model:
        "crash-recovery of any number (use --recover-after); fair-loss links, duplication, \
         reordering; partitions that heal",
    default_n: 3,
    byzantine: false,
    run: |config| run_links(LinkFlaw::None, true, config),
    comparison: None,
};

/// `perfect-links-broken-no-dedup`: the stubborn link without Alg. 2.2's duplicate filter.
pub static BROKEN_LINKS_NO_DEDUP: ProtocolEntry = ProtocolEntry {
    name: "perfect-links-broken-no-dedup",
    description:
        "BROKEN on purpose: stubborn links delivering every retransmitted copy (no Alg. 2.2)",
    source: "",
    fault_model: LINK_FAULTS,
    default_n: 3,
    byzantine: false,
    run: |config| run_links(LinkFlaw::NoDedup, false, config),
    comparison: None,
};

#[cfg(test)]
mod tests;
