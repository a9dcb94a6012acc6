//! Logical clocks: Lamport, "Time, Clocks, and the Ordering of Events in a Distributed System",
//! CACM 21(7), 1978, §3, implementation rules IR1 and IR2, checked against the happens-before
//! relation of the run ([`crate::check::happens_before`]).
//!
//! ```text
//! IR1: each process Pᵢ increments Cᵢ between any two successive events.
//! IR2: (a) if event a is the sending of a message m by Pᵢ, m contains the timestamp Tm = Cᵢ(a);
//!      (b) upon receiving m, Pⱼ sets Cⱼ greater than or equal to its present value and greater
//!          than Tm.
//!
//! upon ⟨Local⟩ do C := C + 1; record (Local, C);
//! upon ⟨Send | q⟩ do C := C + 1; trigger ⟨Send | q, [m, C]⟩; record (Send m, C);
//! upon ⟨Deliver | p, [m, Tm]⟩ do C := max(C, Tm) + 1; record (Receive m, C);
//! ```
//!
//! The workload asks each process, at random times, for a local event or a message to a random
//! process; messages travel on the bare (fair-loss) links, so lost messages simply have no
//! receipt. The broken variant `lamport-clock-broken-no-max` skips the `max` of IR2(b): a
//! receipt only increments, and a message from a process whose clock ran ahead is received
//! "before" it was sent — the clock condition fails.

use rand::Rng;

use crate::check::happens_before::{self, ClockEvent, EventKind};
use crate::harness::{simulate, Outcome, ProtocolEntry, RunConfig, RunReport};
use crate::protocol::{Context, NodeId, Protocol, TimerId, WireSize};
use crate::sim::{Streams, Workload};

/// What the workload asks of a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// An internal event.
    Local,
    /// Send a message to this process (possibly itself).
    SendTo(NodeId),
}

/// `[m, Tm]`: a message, named by `(sender, sequence number)`, with its timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamped {
    /// Sender-local sequence number of m.
    pub seq: u64,
    /// Tm = C(send event).
    pub timestamp: u64,
}

impl WireSize for Timestamped {
    fn size_bytes(&self) -> usize {
        16
    }
}

/// A deliberate bug in the clock rules, for testing the checker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClockFlaw {
    /// Correct IR1 and IR2.
    #[default]
    None,
    /// IR2(b) without max: a receipt sets C := C + 1, ignoring Tm.
    NoMax,
}

/// One process with a Lamport clock; outputs every event with its clock value.
#[derive(Debug, Clone, Default)]
pub struct LamportProcess {
    flaw: ClockFlaw,
    clock: u64,
    next_seq: u64,
}

impl LamportProcess {
    /// A process with `flaw` (`ClockFlaw::None` for Lamport's rules).
    pub fn new(flaw: ClockFlaw) -> Self {
        LamportProcess { flaw, ..LamportProcess::default() }
    }

    /// The current clock value C.
    pub fn clock(&self) -> u64 {
        self.clock
    }

    /// IR1, then record the event.
    fn tick(&mut self, ctx: &mut Context<'_, Self>, kind: EventKind) {
        self.clock += 1;
        ctx.output(ClockEvent { node: ctx.me, kind, clock: self.clock });
    }
}

impl Protocol for LamportProcess {
    type Message = Timestamped;
    type Request = Step;
    type Output = ClockEvent;

    fn on_start(&mut self, _ctx: &mut Context<'_, Self>) {}

    fn on_request(&mut self, ctx: &mut Context<'_, Self>, step: Step) {
        match step {
            Step::Local => self.tick(ctx, EventKind::Local),
            Step::SendTo(q) => {
                let seq = self.next_seq;
                self.next_seq += 1;
                self.tick(ctx, EventKind::Send((ctx.me, seq)));
                ctx.send(q, Timestamped { seq, timestamp: self.clock });
            }
        }
    }

    /// IR2(b): C := max(C, Tm), then IR1 for the receipt itself.
    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, m: Timestamped) {
        if self.flaw == ClockFlaw::None {
            self.clock = self.clock.max(m.timestamp);
        }
        self.tick(ctx, EventKind::Receive((from, m.seq)));
    }

    fn on_timer(&mut self, _ctx: &mut Context<'_, Self>, _timer: TimerId) {}
}

/// Simulate 60 steps (a fifth local, the rest messages to random processes), open loop, 1 ms
/// apart on average, and check the clock condition against happens-before.
pub fn run_clocks(config: &RunConfig, flaw: ClockFlaw) -> RunReport {
    let n = config.n;
    let mut rng = Streams::new(config.seed).workload;
    let workload = Workload::open_loop(&mut rng, n, 0, 1_000, 60, |_, rng| {
        if rng.random_bool(0.2) {
            Step::Local
        } else {
            Step::SendTo(rng.random_range(0..n))
        }
    });
    let run = simulate(config, move |_, _| LamportProcess::new(flaw), workload);
    let events: Vec<ClockEvent> = run.history.outputs().map(|(_, _, e)| *e).collect();
    let outcomes = run
        .history
        .outputs()
        .map(|(t, _, e)| Outcome::output(t, e.node, format!("{:?} C = {}", e.kind, e.clock)))
        .collect();
    let times: Vec<_> = run.history.outputs().map(|(t, _, _)| t).collect();
    let verdicts = happens_before::check(n, events);
    run.report(config, outcomes, times, verdicts)
}

const CLOCK_FAULTS: &str =
    "crash-stop of any number; loss, duplication, reordering, partitions, clock drift (none matter)";

/// `lamport-clock`: IR1 and IR2.
pub static LAMPORT_CLOCK: ProtocolEntry = ProtocolEntry {
    name: "lamport-clock",
    description: "Lamport logical clocks checked against happens-before",
    source: "Lamport, CACM 1978, §3 IR1-IR2",
    fault_model: CLOCK_FAULTS,
    default_n: 3,
    byzantine: false,
    run: |config| run_clocks(config, ClockFlaw::None),
    comparison: None,
};

/// `lamport-clock-broken-no-max`: IR2(b) without the max.
pub static BROKEN_LAMPORT_CLOCK_NO_MAX: ProtocolEntry = ProtocolEntry {
    name: "lamport-clock-broken-no-max",
    description: "BROKEN on purpose: Lamport clocks whose receipts ignore the message's timestamp",
    source: "",
    fault_model: CLOCK_FAULTS,
    default_n: 3,
    byzantine: false,
    run: |config| run_clocks(config, ClockFlaw::NoMax),
    comparison: None,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::test_support::{
        assert_clean_sweep, assert_sweep_catches, one_ms_network,
    };
    use crate::sim::{parse_partitions, Simulation};

    /// P0 ticks five times, then sends to P1 which has done nothing: (sender C, receiver C).
    fn ahead_sender(flaw: ClockFlaw) -> (u64, u64) {
        let mut steps: Vec<_> = (0..5).map(|i| (i * 100, 0, Step::Local)).collect();
        steps.push((1_000, 0, Step::SendTo(1)));
        let mut sim = Simulation::new(one_ms_network(2, 1), move |_, _| LamportProcess::new(flaw))
            .with_workload(Workload::scripted(steps));
        sim.run();
        (sim.node(0).unwrap().clock(), sim.node(1).unwrap().clock())
    }

    #[test]
    fn a_receipt_jumps_past_the_senders_timestamp() {
        assert_eq!(ahead_sender(ClockFlaw::None), (6, 7));
    }

    #[test]
    fn without_the_max_a_receipt_gets_a_clock_below_its_send() {
        assert_eq!(ahead_sender(ClockFlaw::NoMax), (6, 1));
    }

    #[test]
    fn lamport_clocks_satisfy_the_clock_condition_on_every_seed_under_faults() {
        let mut base = RunConfig::new(4, 0);
        base.faults.crash = 2;
        base.faults.crash_window = 60_000;
        base.network.loss = 0.2;
        base.network.duplication = 0.2;
        base.network.reorder = 0.3;
        base.faults.clock_drift = 0.05;
        base.faults.partitions = parse_partitions("0|1,2,3@10-30", 4).unwrap();
        assert_clean_sweep(&LAMPORT_CLOCK, &base);
    }

    #[test]
    fn the_sweep_catches_clocks_without_the_max_with_a_seed_that_replays() {
        let base = RunConfig::new(3, 0);
        let seed = assert_sweep_catches(&BROKEN_LAMPORT_CLOCK_NO_MAX, &base, "clock condition");
        let correct = LAMPORT_CLOCK.run(&RunConfig { seed, ..base });
        assert!(correct.verdicts.iter().all(crate::check::Verdict::holds));
    }
}
