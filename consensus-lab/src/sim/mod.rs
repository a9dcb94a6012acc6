//! The deterministic discrete-event simulator.
//!
//! One priority queue of events ordered by `(time, sequence number)`: ties in time are broken by
//! the order in which events were scheduled, so a run is a pure function of its configuration,
//! its seed and the protocol (same seed ⇒ same trace, checked by a test). Randomness comes from
//! four independent ChaCha8 streams ([`Streams`]).
//!
//! ```text
//!   workload ──Request──▶ ┌──────────────┐ ──Send──▶ network model ──Deliver──▶ (queue)
//!   fault plan ─Crash/──▶ │ Protocol (P) │ ──SetTimer──────────────────Timer──▶ (queue)
//!              Recover    └──────────────┘ ──Output──▶ History (for checkers)
//! ```
//!
//! Sends from a *corrupted* process go through the [`Adversary`] seam first (issue 9).

pub mod history;
pub mod network;
pub mod schedule;

use std::cmp::Ordering;
use std::collections::{BTreeSet, BinaryHeap, HashMap};

use rand::Rng;

use crate::protocol::{
    Action, ActionOf, Context, NodeId, Protocol, Storage, Time, TimerId, WireSize,
};
pub use history::{trace_hash, History, HistoryEvent, TraceLine};
pub use network::{
    parse_gst, parse_partitions, Gst, GstSpecError, LatencyModel, NetworkConfig, Partition,
    PartitionSpecError, PreGst, ScheduledPartition,
};
pub use schedule::{
    Adversary, FaultConfig, FaultPlan, PassThrough, ScheduledRequest, Streams, Workload,
};

/// Run parameters that are not protocol-specific.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Number of processes, n = |Π|.
    pub n: usize,
    /// Seed of all random streams.
    pub seed: u64,
    /// Latency and per-message faults.
    pub network: NetworkConfig,
    /// Stop when the next event is later than this (global µs).
    pub time_limit: Time,
    /// Stop after this many events (a guard against livelock).
    pub max_events: u64,
    /// Keep a [`TraceLine`] per event (costs a `Debug` format per event; off for sweeps).
    pub record_trace: bool,
}

impl SimConfig {
    /// `n` processes, seed `seed`, default network, 60 s limit, 10 M events, no trace.
    pub fn new(n: usize, seed: u64) -> Self {
        SimConfig {
            n,
            seed,
            network: NetworkConfig::default(),
            time_limit: 60_000_000,
            max_events: 10_000_000,
            record_trace: false,
        }
    }
}

/// Counters of one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Metrics {
    /// Events taken off the queue.
    pub events: u64,
    /// `Send` actions by processes (copies to self included).
    pub messages_sent: u64,
    /// Sum of `size_bytes()` over `messages_sent`.
    pub bytes_sent: u64,
    /// Copies handed to a live recipient.
    pub messages_delivered: u64,
    /// Copies lost to loss, partitions, or a crashed recipient.
    pub messages_dropped: u64,
}

enum Event<P: Protocol> {
    Start(NodeId),
    Deliver { from: NodeId, to: NodeId, msg: P::Message },
    Timer { node: NodeId, id: TimerId, generation: u64 },
    Request { node: NodeId, request: P::Request },
    Crash(NodeId),
    Recover(NodeId),
    PartitionStart(usize),
    PartitionHeal(usize),
}

struct Scheduled<P: Protocol> {
    time: Time,
    seq: u64,
    event: Event<P>,
}

impl<P: Protocol> PartialEq for Scheduled<P> {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.seq) == (other.time, other.seq)
    }
}
impl<P: Protocol> Eq for Scheduled<P> {}
impl<P: Protocol> PartialOrd for Scheduled<P> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<P: Protocol> Ord for Scheduled<P> {
    /// Reversed so that `BinaryHeap` (a max-heap) pops the earliest `(time, seq)` first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

struct Slot<P> {
    state: Option<P>,
    storage: Storage,
    timers: HashMap<TimerId, u64>,
    /// Local clock rate − 1: local time = global × (1 + drift).
    drift: f64,
    ever_crashed: bool,
}

/// A protocol factory: builds process `me` of `n` (also used to rebuild a recovered process).
pub type Factory<P> = Box<dyn Fn(NodeId, usize) -> P>;

/// A simulation of `n` processes running protocol `P`.
pub struct Simulation<P: Protocol> {
    config: SimConfig,
    now: Time,
    seq: u64,
    timer_generation: u64,
    queue: BinaryHeap<Scheduled<P>>,
    slots: Vec<Slot<P>>,
    factory: Factory<P>,
    streams: Streams,
    partitions: Vec<ScheduledPartition>,
    active: BTreeSet<usize>,
    corrupted: BTreeSet<NodeId>,
    adversary: Box<dyn Adversary<P::Message>>,
    history: Vec<HistoryEvent<P::Request, P::Output>>,
    trace: Vec<TraceLine>,
    metrics: Metrics,
    scratch: Vec<ActionOf<P>>,
}

impl<P: Protocol> Simulation<P> {
    /// A simulation whose processes are built by `factory(me, n)`; all start at time 0.
    pub fn new(config: SimConfig, factory: impl Fn(NodeId, usize) -> P + 'static) -> Self {
        let streams = Streams::new(config.seed);
        let slots = (0..config.n)
            .map(|_| Slot {
                state: None,
                storage: Storage::new(),
                timers: HashMap::new(),
                drift: 0.0,
                ever_crashed: false,
            })
            .collect();
        let mut sim = Simulation {
            config,
            now: 0,
            seq: 0,
            timer_generation: 0,
            queue: BinaryHeap::new(),
            slots,
            factory: Box::new(factory),
            streams,
            partitions: Vec::new(),
            active: BTreeSet::new(),
            corrupted: BTreeSet::new(),
            adversary: Box::new(PassThrough),
            history: Vec::new(),
            trace: Vec::new(),
            metrics: Metrics::default(),
            scratch: Vec::new(),
        };
        for node in 0..sim.config.n {
            sim.schedule(0, Event::Start(node));
        }
        sim
    }

    /// Schedule the workload's requests.
    pub fn with_workload(mut self, workload: Workload<P::Request>) -> Self {
        for ScheduledRequest { at, node, request } in workload.requests {
            self.schedule(at, Event::Request { node, request });
        }
        self
    }

    /// Schedule the fault plan's crashes, recoveries and partitions and draw each process's
    /// clock drift uniformly in `[-clock_drift, +clock_drift]` from the faults stream.
    pub fn with_faults(mut self, plan: FaultPlan) -> Self {
        for slot in &mut self.slots {
            if plan.clock_drift > 0.0 {
                slot.drift = self.streams.faults.random_range(-plan.clock_drift..=plan.clock_drift);
            }
        }
        for (at, node) in plan.crashes {
            self.schedule(at, Event::Crash(node));
        }
        for (at, node) in plan.recoveries {
            self.schedule(at, Event::Recover(node));
        }
        for p in plan.partitions {
            let index = self.partitions.len();
            self.schedule(p.from, Event::PartitionStart(index));
            if let Some(until) = p.until {
                self.schedule(until, Event::PartitionHeal(index));
            }
            self.partitions.push(p);
        }
        self
    }

    /// Mark `corrupted` processes as Byzantine: their outgoing messages go through `adversary`
    /// (the issue-9 seam; strategies live in [`crate::adversary`]). Copies a corrupted process
    /// sends itself also pass through it and are delivered after the extra delay it returns,
    /// without crossing the network.
    pub fn with_adversary(
        mut self,
        corrupted: impl IntoIterator<Item = NodeId>,
        adversary: Box<dyn Adversary<P::Message>>,
    ) -> Self {
        self.corrupted = corrupted.into_iter().collect();
        self.adversary = adversary;
        self
    }

    /// Process events until the queue is empty, the next event is past `time_limit`, or
    /// `max_events` were processed. Returns the number of events processed by this call.
    pub fn run(&mut self) -> u64 {
        let before = self.metrics.events;
        while self.metrics.events < self.config.max_events {
            match self.queue.peek() {
                Some(next) if next.time <= self.config.time_limit => {}
                _ => break,
            }
            let Scheduled { time, event, .. } = self.queue.pop().expect("peeked");
            self.now = time;
            self.metrics.events += 1;
            self.handle(event);
        }
        self.metrics.events - before
    }

    /// Current global simulated time, µs.
    pub fn now(&self) -> Time {
        self.now
    }

    /// Counters so far.
    pub fn metrics(&self) -> Metrics {
        self.metrics
    }

    /// `true` when no event is pending (the run ended by itself, not by its time limit).
    pub fn is_quiescent(&self) -> bool {
        self.queue.is_empty()
    }

    /// The trace so far (empty unless `record_trace`).
    pub fn trace(&self) -> &[TraceLine] {
        &self.trace
    }

    /// Read-only view of process `node`'s state (`None` while crashed).
    pub fn node(&self, node: NodeId) -> Option<&P> {
        self.slots[node].state.as_ref()
    }

    /// The history so far, with the correct (never crashed) and up-at-end processes.
    pub fn history(&self) -> History<P::Request, P::Output> {
        History {
            n: self.config.n,
            events: self.history.clone(),
            never_crashed: (0..self.config.n).filter(|&i| !self.slots[i].ever_crashed).collect(),
            up_at_end: (0..self.config.n).filter(|&i| self.slots[i].state.is_some()).collect(),
        }
    }

    fn schedule(&mut self, time: Time, event: Event<P>) {
        self.seq += 1;
        self.queue.push(Scheduled { time, seq: self.seq, event });
    }

    fn record(
        &mut self,
        kind: &'static str,
        node: Option<NodeId>,
        from: Option<NodeId>,
        detail: impl FnOnce() -> String,
    ) {
        if self.config.record_trace {
            self.trace.push(TraceLine { time: self.now, kind, node, from, detail: detail() });
        }
    }

    fn handle(&mut self, event: Event<P>) {
        match event {
            Event::Start(node) => {
                self.record("start", Some(node), None, String::new);
                self.slots[node].state = Some((self.factory)(node, self.config.n));
                self.dispatch(node, |p, ctx| p.on_start(ctx));
            }
            Event::Deliver { from, to, msg } => {
                if self.slots[to].state.is_none() {
                    self.metrics.messages_dropped += 1;
                    self.record("drop", Some(to), Some(from), || {
                        format!("{msg:?} (recipient down)")
                    });
                    return;
                }
                self.metrics.messages_delivered += 1;
                self.record("deliver", Some(to), Some(from), || format!("{msg:?}"));
                self.dispatch(to, |p, ctx| p.on_message(ctx, from, msg));
            }
            Event::Timer { node, id, generation } => {
                if self.slots[node].timers.get(&id) != Some(&generation) {
                    return; // cancelled, re-armed, or the process crashed since
                }
                self.slots[node].timers.remove(&id);
                self.record("timer", Some(node), None, || id.to_string());
                self.dispatch(node, |p, ctx| p.on_timer(ctx, id));
            }
            Event::Request { node, request } => {
                let accepted = self.slots[node].state.is_some();
                self.record("request", Some(node), None, || format!("{request:?}"));
                let time = self.now;
                self.history.push(HistoryEvent::Request {
                    time,
                    node,
                    request: request.clone(),
                    accepted,
                });
                self.dispatch(node, |p, ctx| p.on_request(ctx, request));
            }
            Event::Crash(node) => {
                if self.slots[node].state.take().is_some() {
                    self.record("crash", Some(node), None, String::new);
                    self.slots[node].timers.clear();
                    self.slots[node].ever_crashed = true;
                    self.history.push(HistoryEvent::Crash { time: self.now, node });
                }
            }
            Event::Recover(node) => {
                if self.slots[node].state.is_none() {
                    self.record("recover", Some(node), None, String::new);
                    self.history.push(HistoryEvent::Recover { time: self.now, node });
                    self.slots[node].state = Some((self.factory)(node, self.config.n));
                    self.dispatch(node, |p, ctx| p.on_start(ctx));
                }
            }
            Event::PartitionStart(i) => {
                let detail = format!("{:?}", self.partitions[i].partition);
                self.record("partition", None, None, || detail);
                self.active.insert(i);
            }
            Event::PartitionHeal(i) => {
                let detail = format!("{:?}", self.partitions[i].partition);
                self.record("heal", None, None, || detail);
                self.active.remove(&i);
            }
        }
    }

    /// Run one handler of `node` (if it is up) and apply its actions in order.
    fn dispatch(&mut self, node: NodeId, handler: impl FnOnce(&mut P, &mut Context<'_, P>)) {
        let n = self.config.n;
        let slot = &mut self.slots[node];
        let Some(state) = slot.state.as_mut() else { return };
        let local_now = (self.now as f64 * (1.0 + slot.drift)) as Time;
        let mut actions = std::mem::take(&mut self.scratch);
        handler(state, &mut Context::new(node, n, local_now, &mut slot.storage, &mut actions));
        for action in actions.drain(..) {
            self.apply(node, action);
        }
        self.scratch = actions;
    }

    fn apply(&mut self, node: NodeId, action: ActionOf<P>) {
        match action {
            Action::Send { to, msg } => {
                self.metrics.messages_sent += 1;
                self.metrics.bytes_sent += msg.size_bytes() as u64;
                if to == node && self.corrupted.contains(&node) {
                    // A corrupted process's note to itself is the adversary's too (it may,
                    // e.g., keep both stories it tells); it never crosses the network.
                    let copies = self.adversary.intercept(
                        node,
                        to,
                        msg,
                        self.now,
                        &mut self.streams.adversary,
                    );
                    for (extra, msg) in copies {
                        self.schedule(self.now + extra, Event::Deliver { from: node, to, msg });
                    }
                } else if to == node {
                    self.schedule(self.now, Event::Deliver { from: node, to, msg });
                } else if self.corrupted.contains(&node) {
                    let copies = self.adversary.intercept(
                        node,
                        to,
                        msg,
                        self.now,
                        &mut self.streams.adversary,
                    );
                    for (extra, msg) in copies {
                        self.transmit(node, to, msg, extra);
                    }
                } else {
                    self.transmit(node, to, msg, 0);
                }
            }
            Action::SetTimer { id, after } => {
                self.timer_generation += 1;
                let generation = self.timer_generation;
                let slot = &mut self.slots[node];
                slot.timers.insert(id, generation);
                let global_after = (after as f64 / (1.0 + slot.drift)) as Time;
                self.schedule(self.now + global_after, Event::Timer { node, id, generation });
            }
            Action::CancelTimer { id } => {
                self.slots[node].timers.remove(&id);
            }
            Action::Output(output) => {
                self.record("output", Some(node), None, || format!("{output:?}"));
                self.history.push(HistoryEvent::Output { time: self.now, node, output });
            }
        }
    }

    /// Put one message on the wire from `from` to `to`, applying partitions, loss, duplication,
    /// latency and reordering, all drawn from the network stream.
    fn transmit(&mut self, from: NodeId, to: NodeId, msg: P::Message, extra: Time) {
        let net = self.config.network;
        // From GST on, links are reliable and bounded (DLS 1988 §2): no cut, loss or reorder.
        let stable = net.gst.is_some_and(|g| g.stable(self.now));
        let cut =
            !stable && self.active.iter().any(|&i| self.partitions[i].partition.blocks(from, to));
        let lost = !cut && !stable && net.loss > 0.0 && self.streams.network.random_bool(net.loss);
        if cut || lost {
            self.metrics.messages_dropped += 1;
            let why = if cut { "partition" } else { "loss" };
            self.record("drop", Some(to), Some(from), || format!("{msg:?} ({why})"));
            return;
        }
        let copies = if net.duplication > 0.0 && self.streams.network.random_bool(net.duplication) {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let mut delay = net.latency.sample(&mut self.streams.network);
            if let Some(gst) = net.gst {
                delay = gst.delay(self.now, delay, &mut self.streams.network);
            }
            delay += extra;
            if !stable && net.reorder > 0.0 && self.streams.network.random_bool(net.reorder) {
                delay += self.streams.network.random_range(0..=net.reorder_delay);
            }
            self.record("send", Some(to), Some(from), || format!("{msg:?} (arrives +{delay}µs)"));
            self.schedule(self.now + delay, Event::Deliver { from, to, msg: msg.clone() });
        }
    }
}

#[cfg(test)]
mod tests;
