//! Failure detectors and leader election from heartbeats: Cachin–Guerraoui–Rodrigues 2011,
//! §2.6.2 Algorithm 2.5 "Exclude on Timeout" (perfect failure detector P, fail-stop),
//! §2.6.5 Algorithm 2.6 "Monarchical Leader Election" (over P), §2.6.4 Algorithm 2.7
//! "Increasing Timeout" (eventually perfect failure detector ◇P, fail-noisy) and §2.6.6
//! Algorithm 2.8 "Monarchical Eventual Leader Detection" (Ω over ◇P).
//!
//! The detectors are *layers* ([`ExcludeOnTimeout<U>`], [`IncreasingTimeout<U>`]) under an upper
//! protocol that receives their indications through [`FailStop::on_crash`] or
//! [`FailNoisy::on_suspect`] / [`FailNoisy::on_restore`]; the leader modules
//! ([`MonarchicalLeaderElection`], [`MonarchicalEld`]) and the registers of `register.rs` are
//! such upper protocols. Heartbeats travel directly on the simulator's links: P needs a
//! synchronous system (every round trip shorter than Δ), ◇P only an eventually synchronous one.
//!
//! ```text
//! Algorithm 2.5 (P):
//! upon ⟨P, Init⟩ do alive := Π; detected := ∅; starttimer(Δ);
//! upon ⟨Timeout⟩ do
//!     forall p ∈ Π do
//!         if (p ∉ alive) ∧ (p ∉ detected) then
//!             detected := detected ∪ {p}; trigger ⟨P, Crash | p⟩;
//!         trigger ⟨pl, Send | p, [HEARTBEATREQUEST]⟩;
//!     alive := ∅; starttimer(Δ);
//! upon ⟨pl, Deliver | q, [HEARTBEATREQUEST]⟩ do trigger ⟨pl, Send | q, [HEARTBEATREPLY]⟩;
//! upon ⟨pl, Deliver | p, [HEARTBEATREPLY]⟩ do alive := alive ∪ {p};
//!
//! Algorithm 2.7 (◇P): as 2.5 with suspected for detected, delay := Δ at Init, and
//! upon ⟨Timeout⟩ do
//!     if alive ∩ suspected ≠ ∅ then delay := delay + Δ;
//!     forall p ∈ Π do
//!         if (p ∉ alive) ∧ (p ∉ suspected) then
//!             suspected := suspected ∪ {p}; trigger ⟨◇P, Suspect | p⟩;
//!         else if (p ∈ alive) ∧ (p ∈ suspected) then
//!             suspected := suspected \ {p}; trigger ⟨◇P, Restore | p⟩;
//!         trigger ⟨pl, Send | p, [HEARTBEATREQUEST]⟩;
//!     alive := ∅; starttimer(delay);
//!
//! Algorithm 2.6 (LE over P) and 2.8 (Ω over ◇P):
//! upon ⟨Init⟩ do suspected := ∅; leader := ⊥;
//! upon ⟨P, Crash | p⟩ or ⟨◇P, Suspect | p⟩ do suspected := suspected ∪ {p};
//! upon ⟨◇P, Restore | p⟩ do suspected := suspected \ {p};
//! upon leader ≠ maxrank(Π \ suspected) do
//!     leader := maxrank(Π \ suspected); trigger ⟨le, Leader | leader⟩ (⟨Ω, Trust | leader⟩);
//! ```
//!
//! `maxrank`: process 0 has the highest rank, then 1, and so on.
//!
//! The broken variant `fd-eventually-perfect-broken-fixed-timeout` is Algorithm 2.7 without
//! `delay := delay + Δ`: its timeout stays at Δ = 10 ms while round trips take up to 20 ms, so
//! after GST it still times out on correct processes whose replies are slow, suspects and
//! restores them forever, and eventual strong accuracy never holds (CGR §2.6.4: the increase is
//! what makes ◇P accurate once the system is synchronous, whatever the unknown bound).

use std::collections::BTreeSet;

/// The checkers of this module's properties.
pub use crate::check::failure_detection as check;

use crate::harness::{simulate, Outcome, ProtocolEntry, RunConfig, RunReport};
use crate::protocol::{Context, NodeId, Protocol, Time, TimerId, WireSize};
use crate::protocols::links::{forward, PerfectLinks, Upper};
use crate::sim::{HistoryEvent, Workload};
use check::DetectorHistory;
pub use check::Indication;

/// The heartbeat timer of the detector layers.
const HEARTBEAT: TimerId = u64::MAX - 1;
/// Δ of Algorithm 2.5, µs: above the default network's worst round trip (2 × 10 ms).
pub const PERFECT_DELTA: Time = 50_000;
/// Δ of the broken P: shorter than a round trip, so live processes are "detected".
pub const BROKEN_DELTA: Time = 8_000;
/// Δ of Algorithm 2.7, µs: the initial timeout and its increment; deliberately below the
/// default network's worst round trip (2 × 10 ms), so the increasing timeout has to learn.
pub const EVENTUAL_DELTA: Time = 10_000;

/// CGR's "upon exists … such that …" guards of an upper protocol: evaluated once after each
/// batch of detector indications (one timeout can detect several processes), so that a guard
/// never sees half a batch. Default: no guards.
pub trait Guarded: Protocol {
    /// Evaluate the guards and act on those that hold.
    fn evaluate_guards(&mut self, _ctx: &mut Context<'_, Self>) {}
}

/// An upper protocol of P: it learns of crashes (CGR's fail-stop model, §2.6.2).
pub trait FailStop: Guarded {
    /// upon ⟨P, Crash | p⟩.
    fn on_crash(&mut self, ctx: &mut Context<'_, Self>, p: NodeId);
}

/// An upper protocol of ◇P: it learns of suspicions that may be revised (fail-noisy, §2.6.4).
pub trait FailNoisy: Guarded {
    /// upon ⟨◇P, Suspect | p⟩.
    fn on_suspect(&mut self, ctx: &mut Context<'_, Self>, p: NodeId);
    /// upon ⟨◇P, Restore | p⟩.
    fn on_restore(&mut self, ctx: &mut Context<'_, Self>, p: NodeId);
}

/// A protocol on perfect links keeps its guards and its fail-stop interface.
impl<U: Guarded> Guarded for PerfectLinks<U> {
    fn evaluate_guards(&mut self, ctx: &mut Context<'_, Self>) {
        self.call_upper(ctx, |u, c| u.evaluate_guards(c));
    }
}

/// Crashes pass straight up through perfect links.
impl<U: FailStop> FailStop for PerfectLinks<U> {
    fn on_crash(&mut self, ctx: &mut Context<'_, Self>, p: NodeId) {
        self.call_upper(ctx, |u, c| u.on_crash(c, p));
    }
}

/// What a detector layer puts on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FdWire<M> {
    /// [HEARTBEATREQUEST].
    HeartbeatRequest,
    /// [HEARTBEATREPLY].
    HeartbeatReply,
    /// A message of the upper protocol.
    Upper(M),
}

impl<M: WireSize> WireSize for FdWire<M> {
    fn size_bytes(&self) -> usize {
        1 + match self {
            FdWire::Upper(m) => m.size_bytes(),
            _ => 0,
        }
    }
}

/// The part both detector layers share: the upper protocol, `alive`, the period, and the
/// round of heartbeat requests.
#[derive(Debug, Clone)]
struct Heartbeats<U> {
    upper: Upper<U>,
    alive: BTreeSet<NodeId>,
    delay: Time,
}

impl<U: Protocol> Heartbeats<U> {
    fn new(upper: U, delay: Time) -> Self {
        Heartbeats { upper: Upper::new(upper, "fd.upper"), alive: BTreeSet::new(), delay }
    }

    /// Run an upper handler inside layer `L` and wrap its sends.
    fn call<L>(
        &mut self,
        ctx: &mut Context<'_, L>,
        handler: impl FnOnce(&mut U, &mut Context<'_, U>),
    ) where
        L: Protocol<Message = FdWire<U::Message>, Output = U::Output>,
    {
        let actions = self.upper.call(ctx, handler);
        for (to, msg) in forward::<U, L>(ctx, actions) {
            ctx.send(to, FdWire::Upper(msg));
        }
    }

    /// ⟨Init⟩: alive := Π; starttimer(delay); then the upper layer's ⟨Init⟩.
    fn start<L>(&mut self, ctx: &mut Context<'_, L>)
    where
        L: Protocol<Message = FdWire<U::Message>, Output = U::Output>,
    {
        self.alive = (0..ctx.n).collect();
        ctx.set_timer(HEARTBEAT, self.delay);
        self.upper.restore(ctx);
        self.call(ctx, |u, c| u.on_start(c));
    }

    /// The end of a timeout: request heartbeats from every process, alive := ∅, restart.
    fn next_round<L>(&mut self, ctx: &mut Context<'_, L>)
    where
        L: Protocol<Message = FdWire<U::Message>, Output = U::Output>,
    {
        ctx.broadcast_including_self(FdWire::HeartbeatRequest);
        self.alive.clear();
        ctx.set_timer(HEARTBEAT, self.delay);
    }

    /// Heartbeat requests are answered, replies mark alive; upper messages go up.
    fn on_message<L>(&mut self, ctx: &mut Context<'_, L>, from: NodeId, wire: FdWire<U::Message>)
    where
        L: Protocol<Message = FdWire<U::Message>, Output = U::Output>,
    {
        match wire {
            FdWire::HeartbeatRequest => ctx.send(from, FdWire::HeartbeatReply),
            FdWire::HeartbeatReply => {
                self.alive.insert(from);
            }
            FdWire::Upper(msg) => self.call(ctx, |u, c| u.on_message(c, from, msg)),
        }
    }
}

/// The perfect failure detector P of Algorithm 2.5, under the fail-stop protocol `U`.
#[derive(Debug, Clone)]
pub struct ExcludeOnTimeout<U: FailStop> {
    hb: Heartbeats<U>,
    detected: BTreeSet<NodeId>,
}

impl<U: FailStop> ExcludeOnTimeout<U> {
    /// P with timeout `delta` µs (use [`PERFECT_DELTA`]; anything below the worst round trip
    /// breaks strong accuracy) under `upper`.
    pub fn new(upper: U, delta: Time) -> Self {
        ExcludeOnTimeout { hb: Heartbeats::new(upper, delta), detected: BTreeSet::new() }
    }

    /// The upper protocol's state.
    pub fn upper(&self) -> &U {
        &self.hb.upper.proto
    }
}

impl<U: FailStop> Protocol for ExcludeOnTimeout<U> {
    type Message = FdWire<U::Message>;
    type Request = U::Request;
    type Output = U::Output;

    fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
        self.hb.start(ctx);
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, wire: Self::Message) {
        self.hb.on_message(ctx, from, wire);
    }

    /// upon ⟨Timeout⟩: detect every process that did not reply, then a new round.
    fn on_timer(&mut self, ctx: &mut Context<'_, Self>, timer: TimerId) {
        if timer != HEARTBEAT {
            self.hb.call(ctx, |u, c| u.on_timer(c, timer));
            return;
        }
        let newly: Vec<NodeId> =
            (0..ctx.n).filter(|p| !self.hb.alive.contains(p) && self.detected.insert(*p)).collect();
        if !newly.is_empty() {
            self.hb.call(ctx, |u, c| {
                for p in newly {
                    u.on_crash(c, p);
                }
                u.evaluate_guards(c);
            });
        }
        self.hb.next_round(ctx);
    }

    fn on_request(&mut self, ctx: &mut Context<'_, Self>, req: U::Request) {
        self.hb.call(ctx, |u, c| u.on_request(c, req));
    }
}

/// The eventually perfect failure detector ◇P of Algorithm 2.7, under the fail-noisy `U`.
#[derive(Debug, Clone)]
pub struct IncreasingTimeout<U: FailNoisy> {
    hb: Heartbeats<U>,
    delta: Time,
    suspected: BTreeSet<NodeId>,
}

impl<U: FailNoisy> IncreasingTimeout<U> {
    /// ◇P with initial timeout and increment `delta` µs under `upper`.
    pub fn new(upper: U, delta: Time) -> Self {
        IncreasingTimeout { hb: Heartbeats::new(upper, delta), delta, suspected: BTreeSet::new() }
    }

    /// BROKEN on purpose: Algorithm 2.7 whose timeout stays `timeout` µs for ever (no increase
    /// after a false suspicion); not eventually accurate when a round trip can exceed it.
    pub fn with_fixed_timeout(upper: U, timeout: Time) -> Self {
        IncreasingTimeout { delta: 0, ..IncreasingTimeout::new(upper, timeout) }
    }

    /// The current timeout, µs (grows by Δ after each round that revealed a false suspicion).
    pub fn delay(&self) -> Time {
        self.hb.delay
    }
}

impl<U: FailNoisy> Protocol for IncreasingTimeout<U> {
    type Message = FdWire<U::Message>;
    type Request = U::Request;
    type Output = U::Output;

    fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
        self.hb.start(ctx);
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, wire: Self::Message) {
        self.hb.on_message(ctx, from, wire);
    }

    /// upon ⟨Timeout⟩: lengthen the timeout after a mistake, suspect the silent, restore the
    /// wrongly suspected, then a new round.
    fn on_timer(&mut self, ctx: &mut Context<'_, Self>, timer: TimerId) {
        if timer != HEARTBEAT {
            self.hb.call(ctx, |u, c| u.on_timer(c, timer));
            return;
        }
        if self.hb.alive.intersection(&self.suspected).next().is_some() {
            self.hb.delay += self.delta;
        }
        let (alive, suspected) = (&self.hb.alive, &mut self.suspected);
        let changes: Vec<(NodeId, bool)> = (0..ctx.n)
            .filter_map(|p| {
                let up = alive.contains(&p);
                if !up && suspected.insert(p) {
                    Some((p, true))
                } else if up && suspected.remove(&p) {
                    Some((p, false))
                } else {
                    None
                }
            })
            .collect();
        if !changes.is_empty() {
            self.hb.call(ctx, |u, c| {
                for (p, suspect) in changes {
                    if suspect {
                        u.on_suspect(c, p);
                    } else {
                        u.on_restore(c, p);
                    }
                }
                u.evaluate_guards(c);
            });
        }
        self.hb.next_round(ctx);
    }

    fn on_request(&mut self, ctx: &mut Context<'_, Self>, req: U::Request) {
        self.hb.call(ctx, |u, c| u.on_request(c, req));
    }
}

/// An upper layer that sends nothing (detector experiments).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Silence {}

impl WireSize for Silence {
    fn size_bytes(&self) -> usize {
        match *self {}
    }
}

/// The application on top of a bare detector: records its indications in the history.
#[derive(Debug, Clone, Copy, Default)]
pub struct DetectorUser;

impl Protocol for DetectorUser {
    type Message = Silence;
    type Request = ();
    type Output = Indication;
    fn on_start(&mut self, _ctx: &mut Context<'_, Self>) {}
    fn on_message(&mut self, _ctx: &mut Context<'_, Self>, _from: NodeId, msg: Silence) {
        match msg {}
    }
    fn on_timer(&mut self, _ctx: &mut Context<'_, Self>, _timer: TimerId) {}
    fn on_request(&mut self, _ctx: &mut Context<'_, Self>, _req: ()) {}
}

impl Guarded for DetectorUser {}

impl FailStop for DetectorUser {
    fn on_crash(&mut self, ctx: &mut Context<'_, Self>, p: NodeId) {
        ctx.output(Indication::Crash(p));
    }
}

impl FailNoisy for DetectorUser {
    fn on_suspect(&mut self, ctx: &mut Context<'_, Self>, p: NodeId) {
        ctx.output(Indication::Suspect(p));
    }
    fn on_restore(&mut self, ctx: &mut Context<'_, Self>, p: NodeId) {
        ctx.output(Indication::Restore(p));
    }
}

/// Algorithm 2.6 over P (`eventual = false`) or Algorithm 2.8 over ◇P (`eventual = true`):
/// the leader is the highest-ranked process not suspected.
#[derive(Debug, Clone, Default)]
pub struct Monarchical {
    eventual: bool,
    suspected: BTreeSet<NodeId>,
    leader: Option<NodeId>,
}

/// Algorithm 2.6 "Monarchical Leader Election" (upper protocol of P).
pub type MonarchicalLeaderElection = Monarchical;
/// Algorithm 2.8 "Monarchical Eventual Leader Detection" (upper protocol of ◇P).
pub type MonarchicalEld = Monarchical;

impl Monarchical {
    /// Leader election (`eventual = false`, ⟨le, Leader⟩) or Ω (`true`, ⟨Ω, Trust⟩).
    pub fn new(eventual: bool) -> Self {
        Monarchical { eventual, ..Monarchical::default() }
    }

    /// The current leader, if one was elected.
    pub fn leader(&self) -> Option<NodeId> {
        self.leader
    }
}

impl Guarded for Monarchical {
    /// upon leader ≠ maxrank(Π \ suspected): elect it.
    fn evaluate_guards(&mut self, ctx: &mut Context<'_, Self>) {
        let best = (0..ctx.n).find(|p| !self.suspected.contains(p));
        if let Some(l) = best.filter(|&l| Some(l) != self.leader) {
            self.leader = Some(l);
            ctx.output(if self.eventual { Indication::Trust(l) } else { Indication::Leader(l) });
        }
    }
}

impl Protocol for Monarchical {
    type Message = Silence;
    type Request = ();
    type Output = Indication;
    fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
        self.evaluate_guards(ctx);
    }
    fn on_message(&mut self, _ctx: &mut Context<'_, Self>, _from: NodeId, msg: Silence) {
        match msg {}
    }
    fn on_timer(&mut self, _ctx: &mut Context<'_, Self>, _timer: TimerId) {}
    fn on_request(&mut self, _ctx: &mut Context<'_, Self>, _req: ()) {}
}

impl FailStop for Monarchical {
    fn on_crash(&mut self, _ctx: &mut Context<'_, Self>, p: NodeId) {
        self.suspected.insert(p);
    }
}

impl FailNoisy for Monarchical {
    fn on_suspect(&mut self, _ctx: &mut Context<'_, Self>, p: NodeId) {
        self.suspected.insert(p);
    }
    fn on_restore(&mut self, _ctx: &mut Context<'_, Self>, p: NodeId) {
        self.suspected.remove(&p);
    }
}

/// Simulate a detector stack with no client requests and check its indications with `check`.
pub fn run_detector<P>(
    config: &RunConfig,
    factory: impl Fn(NodeId, usize) -> P + 'static,
    check: fn(&DetectorHistory) -> Vec<crate::check::Verdict>,
) -> RunReport
where
    P: Protocol<Output = Indication, Request = ()> + 'static,
{
    let run = simulate(config, factory, Workload::default());
    let mut history = DetectorHistory {
        n: config.n,
        crashes: Default::default(),
        outputs: Vec::new(),
        correct: config.correct(&run.history),
    };
    for event in &run.history.events {
        match event {
            HistoryEvent::Crash { time, node } => {
                history.crashes.entry(*node).or_insert(*time);
            }
            HistoryEvent::Output { time, node, output } => {
                history.outputs.push((*time, *node, *output));
            }
            _ => {}
        }
    }
    let outcomes = history
        .outputs
        .iter()
        .map(|(t, node, ind)| Outcome::output(*t, *node, format!("{ind:?}")))
        .collect();
    let pairs: Vec<(Time, Time)> = history.outputs.iter().map(|o| (0, o.0)).collect();
    RunReport::from_pairs(
        config.seed,
        outcomes,
        &pairs,
        run.metrics,
        run.end_time,
        check(&history),
        run.trace,
    )
}

const SYNCHRONOUS: &str = "crash-stop of any number; synchronous: every round trip < Δ = 50 ms \
                           (latency ≤ 25 ms), duplication; no loss, reordering or partitions";
const EVENTUALLY_SYNCHRONOUS: &str = "crash-stop of any number; eventually synchronous: \
                                      partitions that heal, duplication, latency jitter; no \
                                      loss and no persistent reordering";

macro_rules! detector_experiment {
    ($entry:ident, $name:literal, $desc:literal, $source:literal, $faults:expr, $factory:expr, $check:path) => {
        #[doc = concat!("`", $name, "`: ", $desc, ".")]
        pub static $entry: ProtocolEntry = ProtocolEntry {
            name: $name,
            description: $desc,
            source: $source,
            fault_model: $faults,
            default_n: 5,
            byzantine: false,
            run: |config| run_detector(config, $factory, $check),
            comparison: None,
        };
    };
}

detector_experiment!(
    PERFECT_FD,
    "fd-perfect",
    "perfect failure detector P",
    "CGR 2011 Alg. 2.5 Exclude on Timeout",
    SYNCHRONOUS,
    |_, _| ExcludeOnTimeout::new(DetectorUser, PERFECT_DELTA),
    check::check_perfect
);
detector_experiment!(
    BROKEN_FD_SHORT_TIMEOUT,
    "fd-perfect-broken-timeout",
    "BROKEN on purpose: Exclude on Timeout with Δ = 8 ms, shorter than a round trip",
    "",
    SYNCHRONOUS,
    |_, _| ExcludeOnTimeout::new(DetectorUser, BROKEN_DELTA),
    check::check_perfect
);
detector_experiment!(
    EVENTUALLY_PERFECT_FD,
    "fd-eventually-perfect",
    "eventually perfect failure detector ◇P",
    "CGR 2011 Alg. 2.7 Increasing Timeout",
    EVENTUALLY_SYNCHRONOUS,
    |_, _| IncreasingTimeout::new(DetectorUser, EVENTUAL_DELTA),
    check::check_eventually_perfect
);
detector_experiment!(
    BROKEN_EVENTUALLY_PERFECT_FIXED_TIMEOUT,
    "fd-eventually-perfect-broken-fixed-timeout",
    "BROKEN on purpose: Increasing Timeout whose timeout never increases (fixed Δ = 10 ms)",
    "",
    EVENTUALLY_SYNCHRONOUS,
    |_, _| IncreasingTimeout::with_fixed_timeout(DetectorUser, EVENTUAL_DELTA),
    check::check_eventually_perfect
);
detector_experiment!(
    LEADER_ELECTION,
    "leader-monarchical",
    "leader election over P",
    "CGR 2011 Alg. 2.6 Monarchical Leader Election",
    SYNCHRONOUS,
    |_, _| ExcludeOnTimeout::new(Monarchical::new(false), PERFECT_DELTA),
    check::check_leader_election
);
detector_experiment!(
    BROKEN_LEADER_SHORT_TIMEOUT,
    "leader-monarchical-broken-timeout",
    "BROKEN on purpose: Monarchical Leader Election over P with Δ = 8 ms",
    "",
    SYNCHRONOUS,
    |_, _| ExcludeOnTimeout::new(Monarchical::new(false), BROKEN_DELTA),
    check::check_leader_election
);
detector_experiment!(
    EVENTUAL_LEADER,
    "omega-monarchical",
    "eventual leader detector Ω over ◇P",
    "CGR 2011 Alg. 2.8 Monarchical Eventual Leader Detection",
    EVENTUALLY_SYNCHRONOUS,
    |_, _| IncreasingTimeout::new(Monarchical::new(true), EVENTUAL_DELTA),
    check::check_eventual_leader
);

#[cfg(test)]
mod tests;
