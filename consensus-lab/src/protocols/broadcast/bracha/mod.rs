//! Bracha's Byzantine reliable broadcast: G. Bracha, "Asynchronous Byzantine Agreement
//! Protocols", Information and Computation 75(2), 1987 (its broadcast primitive; conference
//! version PODC 1984); the same algorithm as CGR 2011 §3.11, Alg. 3.18 "Authenticated
//! Double-Echo Broadcast".
//! Authenticated links only, no signatures; n > 3f.
//!
//! ```text
//! upon ⟨Broadcast | m⟩ at sender s:          send ⟨SEND, m⟩ to all
//! upon ⟨SEND, m⟩ from s, first time:          send ⟨ECHO, m⟩ to all
//! upon ⟨ECHO, m⟩ from more than (n+f)/2 processes, or ⟨READY, m⟩ from f+1, ready not sent:
//!                                             send ⟨READY, m⟩ to all      (amplification)
//! upon ⟨READY, m⟩ from 2f+1 processes, not delivered:  trigger ⟨Deliver | s, m⟩
//! ```
//!
//! Every process broadcasts one message; instances are named by their sender, and only the
//! first ECHO and the first READY of each process per instance count. Consistency rests on
//! two echo quorums of more than (n+f)/2 intersecting in more than f processes, so in a correct
//! one; [`Flaw::SmallQuorum`] takes one off the echo and deliver thresholds and the sweep sees
//! a two-faced sender split the correct processes.

use std::collections::{BTreeMap, BTreeSet};

use crate::adversary::Byzantine;
use crate::check::byzantine_broadcast::{self, ByzantineBroadcastHistory};
use crate::harness::{simulate_byzantine, Outcome, ProtocolEntry, RunConfig, RunReport};
use crate::protocol::{Context, NodeId, Protocol, TimerId, WireSize};
use crate::signature::SigningKey;
use crate::sim::{Streams, Workload};

/// A broadcast payload.
pub type Value = u64;

/// Bracha's three message kinds, each naming its instance (the original sender).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Msg {
    /// ⟨SEND, m⟩ of instance `s` (valid only from `s` itself).
    Send(NodeId, Value),
    /// ⟨ECHO, m⟩ of instance `s`.
    Echo(NodeId, Value),
    /// ⟨READY, m⟩ of instance `s`.
    Ready(NodeId, Value),
}

impl WireSize for Msg {
    fn size_bytes(&self) -> usize {
        1 + 8 + 8
    }
}

/// The value a two-faced process tells side B instead of `v`.
fn twin(v: Value) -> Value {
    v ^ (1 << 40)
}

impl Byzantine for Msg {
    /// Side B hears of another payload in every SEND, ECHO and READY.
    fn equivocate(&self, _key: &SigningKey) -> Self {
        match *self {
            Msg::Send(s, v) => Msg::Send(s, twin(v)),
            Msg::Echo(s, v) => Msg::Echo(s, twin(v)),
            Msg::Ready(s, v) => Msg::Ready(s, twin(v)),
        }
    }

    /// A SEND in the name of another process's instance (authenticated links must reject it).
    fn forge(&self, from: NodeId, n: usize) -> Option<Self> {
        let (Msg::Send(_, v) | Msg::Echo(_, v) | Msg::Ready(_, v)) = *self;
        Some(Msg::Send((from + 1) % n, twin(v)))
    }
}

/// ⟨Deliver | sender, m⟩.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deliver {
    /// The instance's sender.
    pub sender: NodeId,
    /// The payload.
    pub value: Value,
}

/// A deliberate bug, for the sweeps to catch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flaw {
    /// Correct Bracha broadcast.
    #[default]
    None,
    /// Echo threshold ⌊(n+f)/2⌋ instead of ⌊(n+f)/2⌋+1 and 2f instead of 2f+1 READYs.
    SmallQuorum,
}

#[derive(Debug, Clone, Default)]
struct Instance {
    echoed: bool,
    ready_sent: bool,
    delivered: bool,
    echoes: BTreeMap<Value, BTreeSet<NodeId>>,
    readies: BTreeMap<Value, BTreeSet<NodeId>>,
    echoed_by: BTreeSet<NodeId>,
    ready_by: BTreeSet<NodeId>,
}

/// One process of Bracha's broadcast (all instances).
#[derive(Debug, Clone)]
pub struct Bracha {
    flaw: Flaw,
    instances: BTreeMap<NodeId, Instance>,
}

impl Bracha {
    /// A fresh process with `flaw`.
    pub fn new(flaw: Flaw) -> Self {
        Bracha { flaw, instances: BTreeMap::new() }
    }

    /// (echo threshold, ready amplification, deliver threshold) for `n` processes.
    fn thresholds(&self, n: usize) -> (usize, usize, usize) {
        let f = (n - 1) / 3;
        let less = usize::from(self.flaw == Flaw::SmallQuorum);
        ((n + f) / 2 + 1 - less, f + 1, 2 * f + 1 - less)
    }

    /// Send to the others and handle our own copy at once (no message to self is counted).
    fn multicast(&mut self, ctx: &mut Context<'_, Self>, msg: Msg) {
        ctx.broadcast_excluding_self(msg);
        let me = ctx.me;
        self.on_message(ctx, me, msg);
    }
}

impl Protocol for Bracha {
    type Message = Msg;
    type Request = Value;
    type Output = Deliver;

    fn on_start(&mut self, _ctx: &mut Context<'_, Self>) {}

    /// ⟨Broadcast | m⟩: send ⟨SEND, m⟩ to all (once per process).
    fn on_request(&mut self, ctx: &mut Context<'_, Self>, v: Value) {
        self.multicast(ctx, Msg::Send(ctx.me, v));
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, msg: Msg) {
        let (echo_q, amplify, deliver_q) = self.thresholds(ctx.n);
        let (s, v) = match msg {
            Msg::Send(s, v) | Msg::Echo(s, v) | Msg::Ready(s, v) => (s, v),
        };
        if s >= ctx.n {
            return;
        }
        let inst = self.instances.entry(s).or_default();
        let mut out = Vec::new();
        match msg {
            Msg::Send(..) if from == s && !inst.echoed => {
                inst.echoed = true;
                out.push(Msg::Echo(s, v));
            }
            Msg::Send(..) => {}
            Msg::Echo(..) if inst.echoed_by.insert(from) => {
                inst.echoes.entry(v).or_default().insert(from);
            }
            Msg::Ready(..) if inst.ready_by.insert(from) => {
                inst.readies.entry(v).or_default().insert(from);
            }
            Msg::Echo(..) | Msg::Ready(..) => return,
        }
        let echoes = inst.echoes.get(&v).map_or(0, BTreeSet::len);
        let readies = inst.readies.get(&v).map_or(0, BTreeSet::len);
        if !inst.ready_sent && (echoes >= echo_q || readies >= amplify) {
            inst.ready_sent = true;
            out.push(Msg::Ready(s, v));
        }
        if !inst.delivered && readies >= deliver_q {
            inst.delivered = true;
            ctx.output(Deliver { sender: s, value: v });
        }
        for m in out {
            self.multicast(ctx, m);
        }
    }

    fn on_timer(&mut self, _ctx: &mut Context<'_, Self>, _timer: TimerId) {}
}

/// Run Bracha broadcast with `flaw` under `config`: every process broadcasts `100 + id` at a
/// random time in the first 2 ms; checks CGR Module 3.12 over the correct processes.
pub fn run_bracha(flaw: Flaw, config: &RunConfig) -> RunReport {
    let mut rng = Streams::new(config.seed).workload;
    let mut workload =
        Workload::open_loop(&mut rng, config.n, 0, 400, config.n, |i, _| 100 + i as Value);
    for (i, r) in workload.requests.iter_mut().enumerate() {
        r.node = i;
    }
    let run = simulate_byzantine(config, config.n, move |_, _| Bracha::new(flaw), workload);
    let correct = config.correct(&run.history);
    let history = ByzantineBroadcastHistory {
        broadcasts: run
            .history
            .requests()
            .filter(|(_, node, _)| correct.contains(node))
            .map(|(_, node, v)| (node, *v))
            .collect(),
        deliveries: run
            .history
            .outputs()
            .filter(|(_, node, _)| correct.contains(node))
            .map(|(_, node, d)| (node, d.sender, d.value))
            .collect(),
        correct: correct.clone(),
    };
    let delivered: Vec<_> =
        run.history.outputs().filter(|(_, node, _)| correct.contains(node)).collect();
    let outcomes = delivered
        .iter()
        .map(|(t, node, d)| Outcome::delivered(*t, *node, d.sender, d.value))
        .collect();
    let times: Vec<_> = delivered.iter().map(|(t, ..)| *t).collect();
    let verdicts = byzantine_broadcast::check(&history);
    run.report(config, outcomes, times, verdicts)
}

const BRACHA_FAULTS: &str = "Byzantine f < n/3 (--byzantine f, any --strategy), senders included; \
                             reliable authenticated links with any latency, duplication, reordering";

/// `bracha`: Bracha's Byzantine reliable broadcast.
pub static BRACHA: ProtocolEntry = ProtocolEntry {
    name: "bracha",
    description: "Byzantine reliable broadcast, SEND/ECHO/READY",
    source: "Bracha, Inf. Comput. 1987; CGR 2011 Alg. 3.18",
    fault_model: BRACHA_FAULTS,
    default_n: 4,
    byzantine: true,
    run: |config| run_bracha(Flaw::None, config),
    comparison: None,
};

/// `bracha-broken-quorum`: echo and deliver thresholds one smaller.
pub static BROKEN_BRACHA_SMALL_QUORUM: ProtocolEntry = ProtocolEntry {
    name: "bracha-broken-quorum",
    description: "BROKEN on purpose: Bracha broadcast with echo and deliver thresholds one smaller",
    source: "",
    fault_model: BRACHA_FAULTS,
    default_n: 4,
    byzantine: true,
    run: |config| run_bracha(Flaw::SmallQuorum, config),
    comparison: None,
};

#[cfg(test)]
mod tests;
