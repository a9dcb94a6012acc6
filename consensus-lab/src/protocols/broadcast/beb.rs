//! Best-effort broadcast: Cachin–Guerraoui–Rodrigues 2011, §3.2.2, Algorithm 3.1 "Basic
//! Broadcast", over the "Eliminate Duplicates" perfect link of Algorithm 2.2 (each message carries
//! its sender's sequence number and a receiver delivers each `(sender, seq)` once).
//!
//! ```text
//! upon event ⟨beb, Broadcast | m⟩ do
//!     forall q ∈ Π do trigger ⟨pl, Send | q, m⟩;
//! upon event ⟨pl, Deliver | p, m⟩ do
//!     trigger ⟨beb, Deliver | p, m⟩;
//! ```
//!
//! Fault model: crash-stop, and *perfect* links (no loss). With `--loss` the validity property
//! fails — which is the point of the links layer underneath it.

use std::collections::BTreeSet;

use crate::check::broadcast::{self, BroadcastEvent, BroadcastHistory};
use crate::harness::{simulate, Outcome, ProtocolEntry, RunConfig, RunReport};
use crate::protocol::{Context, NodeId, Protocol, TimerId, WireSize};
use crate::sim::{HistoryEvent, Streams, Workload};

/// A broadcast payload: an opaque number chosen by the client.
pub type Payload = u64;

/// The wire message: the sender's sequence number (for duplicate elimination) and the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bcast {
    /// Sender-local sequence number, 0, 1, 2 …
    pub seq: u64,
    /// The broadcast payload.
    pub payload: Payload,
}

impl WireSize for Bcast {
    fn size_bytes(&self) -> usize {
        16
    }
}

/// ⟨beb, Deliver | sender, m⟩.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deliver {
    /// The process that broadcast it.
    pub sender: NodeId,
    /// The payload.
    pub payload: Payload,
}

/// One process of Basic Broadcast.
#[derive(Debug, Default)]
pub struct Beb {
    next_seq: u64,
    delivered: BTreeSet<(NodeId, u64)>,
}

impl Protocol for Beb {
    type Message = Bcast;
    type Request = Payload;
    type Output = Deliver;

    fn on_start(&mut self, _ctx: &mut Context<'_, Self>) {}

    /// upon ⟨beb, Broadcast | m⟩: send m to every process, self included.
    fn on_request(&mut self, ctx: &mut Context<'_, Self>, payload: Payload) {
        ctx.broadcast_including_self(Bcast { seq: self.next_seq, payload });
        self.next_seq += 1;
    }

    /// upon ⟨pl, Deliver | p, m⟩: deliver, unless this copy is a duplicate.
    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, msg: Bcast) {
        if self.delivered.insert((from, msg.seq)) {
            ctx.output(Deliver { sender: from, payload: msg.payload });
        }
    }

    fn on_timer(&mut self, _ctx: &mut Context<'_, Self>, _timer: TimerId) {}
}

/// The `beb` experiment: 10 broadcasts from random processes, open loop, 5 ms apart on average.
pub static BEST_EFFORT_BROADCAST: ProtocolEntry = ProtocolEntry {
    name: "beb",
    description: "best-effort broadcast",
    source: "CGR 2011 Alg. 3.1, Basic Broadcast",
    fault_model: "crash-stop; perfect links (loss breaks validity)",
    default_n: 3,
    byzantine: false,
    run: run_best_effort_broadcast,
    comparison: None,
};

fn run_best_effort_broadcast(config: &RunConfig) -> RunReport {
    let mut rng = Streams::new(config.seed).workload;
    let workload = Workload::open_loop(&mut rng, config.n, 0, 5_000, 10, |i, _| i as Payload);
    let run = simulate(config, |_, _| Beb::default(), workload);
    let correct = config.correct(&run.history);
    let mut events = Vec::new();
    let mut outcomes = Vec::new();
    let mut times = Vec::new();
    for event in &run.history.events {
        match event {
            HistoryEvent::Request { node, request, accepted: true, .. } => {
                events.push(BroadcastEvent::Broadcast { node: *node, msg: *request });
            }
            HistoryEvent::Output { time, node, output } => {
                events.push(BroadcastEvent::Deliver {
                    node: *node,
                    sender: output.sender,
                    msg: output.payload,
                });
                outcomes.push(Outcome::delivered(*time, *node, output.sender, output.payload));
                times.push(*time);
            }
            _ => {}
        }
    }
    let verdicts = broadcast::check(&BroadcastHistory { events, correct })
        .into_iter()
        .filter(|v| ["validity", "no duplication", "no creation"].contains(&v.property))
        .collect();
    run.report(config, outcomes, times, verdicts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::find;
    use crate::sim::{SimConfig, Simulation};

    #[test]
    fn one_broadcast_is_delivered_once_by_every_process_including_the_sender() {
        let mut sim = Simulation::new(SimConfig::new(4, 1), |_, _| Beb::default())
            .with_workload(Workload::scripted([(0, 2, 77)]));
        sim.run();
        let mut got: Vec<_> =
            sim.history().outputs().map(|(_, node, d)| (node, d.sender, d.payload)).collect();
        got.sort_unstable();
        assert_eq!(got, vec![(0, 2, 77), (1, 2, 77), (2, 2, 77), (3, 2, 77)]);
    }

    #[test]
    fn duplicated_copies_are_delivered_only_once() {
        let mut config = SimConfig::new(3, 5);
        config.network.duplication = 1.0;
        let mut sim = Simulation::new(config, |_, _| Beb::default())
            .with_workload(Workload::scripted([(0, 0, 1), (10, 1, 2)]));
        sim.run();
        assert!(sim.metrics().messages_delivered > 6, "the network did duplicate");
        assert_eq!(sim.history().outputs().count(), 6);
    }

    #[test]
    fn the_experiment_passes_without_faults_and_fails_validity_under_heavy_loss() {
        let report = BEST_EFFORT_BROADCAST.run(&RunConfig::new(3, 11));
        assert!(report.verdicts.iter().all(|v| v.holds()), "{:?}", report.verdicts);
        assert_eq!(report.decisions, 30);
        let mut lossy = RunConfig::new(3, 11);
        lossy.network.loss = 0.5;
        assert!(!find(&BEST_EFFORT_BROADCAST.run(&lossy).verdicts, "validity").holds());
    }

    #[test]
    fn a_crashed_sender_may_leave_some_processes_without_its_message_but_nothing_unsafe() {
        for seed in 0..20 {
            let mut config = RunConfig::new(4, seed);
            config.faults.crash = 2;
            let report = BEST_EFFORT_BROADCAST.run(&config);
            assert_eq!(report.safety_violations().count(), 0, "seed {seed}");
        }
    }
}
