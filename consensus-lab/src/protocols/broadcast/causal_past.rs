//! Causal-order reliable broadcast by carrying the causal past: Cachin–Guerraoui–Rodrigues 2011,
//! §3.9.3 Algorithm 3.13 "No-Waiting Causal Broadcast", over Eager Reliable Broadcast (Alg. 3.3,
//! `broadcast.rs`) inside [`PerfectLinks`]. The vector-clock algorithm (Alg. 3.15) is
//! `crb-waiting` in `broadcast_ordered.rs`; this one never waits, at the price of messages that
//! grow with the history (CGR §3.9.4 discusses garbage-collecting `past`; not done here).
//!
//! ```text
//! upon event ⟨crb, Init⟩ do delivered := ∅; past := [];
//! upon event ⟨crb, Broadcast | m⟩ do
//!     trigger ⟨rb, Broadcast | [DATA, past, m]⟩;
//!     append(past, (self, m));
//! upon event ⟨rb, Deliver | p, [DATA, mpast, m]⟩ do
//!     if m ∉ delivered then
//!         forall (s, n) ∈ mpast do                         // by the order in the list
//!             if n ∉ delivered then
//!                 trigger ⟨crb, Deliver | s, n⟩; delivered := delivered ∪ {n};
//!                 if (s, n) ∉ past then append(past, (s, n));
//!         trigger ⟨crb, Deliver | p, m⟩; delivered := delivered ∪ {m};
//!         if (p, m) ∉ past then append(past, (p, m));
//! ```
//!
//! Messages are identified by `(s, m)`. The broken variant `crb-past-broken-own-only` appends
//! only its own broadcasts to `past`: a reply then no longer carries the message it answers, so
//! a process can deliver the reply first (FIFO order still holds; causal order does not).

use std::collections::BTreeSet;

use crate::harness::{ProtocolEntry, RunConfig, RunReport};
use crate::protocol::{Context, NodeId, Protocol, TimerId, WireSize};
use crate::protocols::broadcast::beb::Deliver;
use crate::protocols::broadcast::ordered::CAUSAL_PROPERTIES;
use crate::protocols::broadcast::reliable::{run_broadcast, Data, EagerRb};
#[cfg(doc)]
use crate::protocols::links::PerfectLinks;

/// `[mpast, m]` of Algorithm 3.13: the payload with the broadcaster's causal past, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct WithPast {
    /// mpast: `(sender, payload)` of every message that causally precedes m, in delivery order.
    pub past: Vec<(NodeId, u64)>,
    /// m.
    pub payload: u64,
}

impl WireSize for WithPast {
    fn size_bytes(&self) -> usize {
        16 * self.past.len() + 8
    }
}

/// A deliberate bug in No-Waiting Causal Broadcast, for testing the checkers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PastFlaw {
    /// Correct Algorithm 3.13.
    #[default]
    None,
    /// `past` holds only this process's own broadcasts, not what it delivered from others.
    OwnOnly,
}

/// One process of No-Waiting Causal Broadcast (Alg. 3.13).
#[derive(Debug, Clone, Default)]
pub struct NoWaitingCausalBroadcast {
    flaw: PastFlaw,
    rb: EagerRb<WithPast>,
    delivered: BTreeSet<(NodeId, u64)>,
    past: Vec<(NodeId, u64)>,
}

impl NoWaitingCausalBroadcast {
    /// A process with `flaw` (`PastFlaw::None` for the correct algorithm).
    pub fn new(flaw: PastFlaw) -> Self {
        NoWaitingCausalBroadcast { flaw, ..NoWaitingCausalBroadcast::default() }
    }

    /// crb-deliver `id` unless already delivered, and append it to `past` (the broken variant
    /// only appends its own messages, and does that in `on_request`).
    fn deliver(&mut self, ctx: &mut Context<'_, Self>, id: (NodeId, u64)) {
        if !self.delivered.insert(id) {
            return;
        }
        ctx.output(Deliver { sender: id.0, payload: id.1 });
        if self.flaw == PastFlaw::None && !self.past.contains(&id) {
            self.past.push(id);
        }
    }
}

impl Protocol for NoWaitingCausalBroadcast {
    type Message = Data<WithPast>;
    type Request = u64;
    type Output = Deliver;

    fn on_start(&mut self, _ctx: &mut Context<'_, Self>) {}

    /// upon ⟨crb, Broadcast | m⟩: rb-broadcast [past, m], then append (self, m) to past.
    fn on_request(&mut self, ctx: &mut Context<'_, Self>, payload: u64) {
        self.rb.broadcast(ctx, WithPast { past: self.past.clone(), payload });
        self.past.push((ctx.me, payload));
    }

    /// upon ⟨rb, Deliver | p, [mpast, m]⟩: deliver mpast in order, then m.
    fn on_message(&mut self, ctx: &mut Context<'_, Self>, _from: NodeId, data: Data<WithPast>) {
        let Some((p, WithPast { past, payload })) = self.rb.on_data(ctx, data) else { return };
        if self.delivered.contains(&(p, payload)) {
            return;
        }
        for id in past {
            self.deliver(ctx, id);
        }
        self.deliver(ctx, (p, payload));
    }

    fn on_timer(&mut self, _ctx: &mut Context<'_, Self>, _timer: TimerId) {}
}

const PAST_FAULTS: &str =
    "crash-stop of any number; loss, duplication, reordering, partitions that heal";

/// `crb-past`: Algorithm 3.13.
pub static CAUSAL_PAST: ProtocolEntry = ProtocolEntry {
    name: "crb-past",
    description: "causal reliable broadcast carrying the causal past",
    source: "CGR 2011 Alg. 3.13 No-Waiting Causal Broadcast",
    fault_model: PAST_FAULTS,
    default_n: 3,
    byzantine: false,
    run: run_causal_past,
    comparison: None,
};

fn run_causal_past(config: &RunConfig) -> RunReport {
    run_broadcast(config, |_, _| NoWaitingCausalBroadcast::new(PastFlaw::None), CAUSAL_PROPERTIES)
}

/// `crb-past-broken-own-only`: Algorithm 3.13 whose `past` forgets what it delivered.
pub static BROKEN_CAUSAL_PAST_OWN_ONLY: ProtocolEntry = ProtocolEntry {
    name: "crb-past-broken-own-only",
    description:
        "BROKEN on purpose: No-Waiting Causal Broadcast whose past holds only its own broadcasts",
    source: "",
    fault_model: PAST_FAULTS,
    default_n: 3,
    byzantine: false,
    run: run_broken_causal_past_own_only,
    comparison: None,
};

fn run_broken_causal_past_own_only(config: &RunConfig) -> RunReport {
    run_broadcast(
        config,
        |_, _| NoWaitingCausalBroadcast::new(PastFlaw::OwnOnly),
        CAUSAL_PROPERTIES,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{find, Verdict};
    use crate::protocols::links::PerfectLinks;
    use crate::protocols::test_support::{
        assert_clean_sweep, assert_sweep_catches, one_ms_network,
    };
    use crate::sim::{parse_partitions, FaultPlan, Simulation, Workload};

    /// 0 broadcasts a question at 1 ms; 1 delivers it and answers at 10 ms; every copy of the
    /// question to 2 is cut until 5 ms and retransmitted only at 20 ms, so 2 rb-delivers the
    /// answer first. Returns 2's crb-delivery order.
    fn question_and_answer(flaw: PastFlaw) -> Vec<u64> {
        let plan = FaultPlan {
            partitions: parse_partitions("0,1>2@0-5", 3).unwrap(),
            ..FaultPlan::default()
        };
        let mut sim = Simulation::new(one_ms_network(3, 6), move |_, _| {
            PerfectLinks::new(NoWaitingCausalBroadcast::new(flaw))
        })
        .with_workload(Workload::scripted([(1_000, 0, 1), (10_000, 1, 2)]))
        .with_faults(plan);
        sim.run();
        sim.history().outputs().filter(|o| o.1 == 2).map(|o| o.2.payload).collect()
    }

    #[test]
    fn the_answer_carries_its_question_so_both_are_delivered_in_causal_order_without_waiting() {
        assert_eq!(question_and_answer(PastFlaw::None), vec![1, 2]);
    }

    #[test]
    fn a_past_without_delivered_messages_lets_the_answer_overtake_its_question() {
        assert_eq!(question_and_answer(PastFlaw::OwnOnly), vec![2, 1]);
    }

    #[test]
    fn causal_past_broadcast_holds_its_properties_on_every_seed_under_its_fault_model() {
        let mut base = RunConfig::new(5, 0);
        base.faults.crash = 4;
        base.network.loss = 0.2;
        base.network.duplication = 0.1;
        base.network.reorder = 0.2;
        base.faults.partitions = parse_partitions("0|1,2,3,4@0-200", 5).unwrap();
        assert_clean_sweep(&CAUSAL_PAST, &base);
    }

    #[test]
    fn the_sweep_catches_a_past_that_forgets_delivered_messages_with_a_seed_that_replays() {
        let mut base = RunConfig::new(3, 0);
        base.network.loss = 0.2;
        base.network.reorder = 0.3;
        let seed = assert_sweep_catches(&BROKEN_CAUSAL_PAST_OWN_ONLY, &base, "causal delivery");
        let replay = BROKEN_CAUSAL_PAST_OWN_ONLY.run(&RunConfig { seed, ..base.clone() });
        assert!(find(&replay.verdicts, "fifo delivery").holds(), "FIFO order still holds");
        let correct = CAUSAL_PAST.run(&RunConfig { seed, ..base });
        assert!(correct.verdicts.iter().all(Verdict::holds), "{:?}", correct.verdicts);
    }
}
