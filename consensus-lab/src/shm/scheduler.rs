//! The seeded adversarial scheduler: who takes the next step, who crashes and when.
//!
//! From the seed's adversary stream ([`crate::sim::Streams`]) a run draws
//! - a **stickiness** in {0, ½, 0.9}: the chance that the process that stepped last steps
//!   again (0 interleaves step by step, 0.9 lets one process run in long bursts);
//! - a **contention phase** of 0..=50·n steps during which every step goes to a uniformly
//!   chosen live, undecided process (or the sticky one);
//! - after it, **fair solo bursts**: the live, undecided processes take turns (by id, round
//!   robin), each running alone for 6n + 4 steps: enough for the rest of a lock-less attempt
//!   (2n + 2 steps) and a whole fresh one, or for a bakery pass (3n + 4). The suffix is fair,
//!   so a lock makes progress, and gives every process solo runs, so obstruction-free
//!   algorithms must decide there (Herlihy, Luchangco & Moir, ICDCS 2003, §2); wait-free ones
//!   decide anyway. A lock whose holder crashed spins until the step budget runs out.
//!
//! From the faults stream: `--crash K` distinct processes, each crashing (crash-stop) just
//! before its own k-th step, k uniform in 0..4n + 8 (a process that decides first is not
//! crashed). The same seed and options replay the same schedule, step for step.

use std::collections::BTreeSet;

use rand::Rng;

use super::{decision, describe_step, step, Algorithm, Memory, ProcessId};
use crate::harness::RunConfig;
use crate::protocol::Time;
use crate::sim::{Streams, TraceLine};

/// Steps a run of `n` processes may take before it is cut off (its undecided correct
/// processes then fail termination): 1,000 + 200·n², far above the 50·n contention steps plus
/// n solo bursts of 6n + 4 that an obstruction-free algorithm needs at most.
pub fn step_budget(n: usize) -> u64 {
    1_000 + 200 * (n * n) as u64
}

/// The proposal of process `i`: `10 + i`, distinct so validity and agreement have teeth.
pub fn proposal(i: ProcessId) -> u64 {
    10 + i as u64
}

/// What one scheduled run produced; times are step numbers (the k-th step of the run is k).
#[derive(Debug, Clone)]
pub struct ShmRun<P> {
    /// The processes' final states.
    pub processes: Vec<P>,
    /// `(process, proposal)`.
    pub proposals: Vec<(ProcessId, u64)>,
    /// `(step, process, value)`, in order.
    pub decisions: Vec<(Time, ProcessId, u64)>,
    /// `(process, run step at which it crashed)`.
    pub crashed: Vec<(ProcessId, Time)>,
    /// Steps taken.
    pub steps: u64,
    /// One line per step, crash and decision if `config.trace`.
    pub trace: Vec<TraceLine>,
}

impl<P> ShmRun<P> {
    /// The processes that never crashed.
    pub fn correct(&self) -> BTreeSet<ProcessId> {
        (0..self.processes.len()).filter(|p| !self.crashed.iter().any(|c| c.0 == *p)).collect()
    }
}

/// Run `alg` with `config.n` processes under the schedule and crashes `config.seed` draws.
/// Uses `config.n`, `seed`, `crash` and `trace`; the network options do not apply.
pub fn run<A: Algorithm>(alg: &A, config: &RunConfig) -> ShmRun<A::Process> {
    let n = config.n;
    let streams = Streams::new(config.seed);
    let (mut adversary, mut faults) = (streams.adversary, streams.faults);
    let stickiness = [0.0, 0.5, 0.9][adversary.random_range(0..3)];
    let contention = adversary.random_range(0..=50 * n as u64);
    let mut crash_at: Vec<Option<u64>> = vec![None; n];
    let mut ids: Vec<ProcessId> = (0..n).collect();
    for k in 0..config.faults.crash.min(n) {
        let j = faults.random_range(k..n);
        ids.swap(k, j);
        crash_at[ids[k]] = Some(faults.random_range(0..4 * n as u64 + 8));
    }

    let mut memory = Memory::new(alg.registers(n));
    let mut processes: Vec<_> = (0..n).map(|i| alg.process(i, n, proposal(i))).collect();
    let mut own_steps = vec![0u64; n];
    let mut out = ShmRun {
        processes: Vec::new(),
        proposals: (0..n).map(|i| (i, proposal(i))).collect(),
        decisions: Vec::new(),
        crashed: Vec::new(),
        steps: 0,
        trace: Vec::new(),
    };
    let mut lines = Vec::new();
    let mut trace = |time, kind, node, detail: String| {
        if config.trace {
            lines.push(TraceLine { time, kind, node: Some(node), from: None, detail });
        }
    };
    let burst = 6 * n as u64 + 4;
    let (mut last, mut burst_left) = (None, 0);
    let mut crashed = vec![false; n];
    while out.steps < step_budget(n) {
        let live: Vec<ProcessId> =
            (0..n).filter(|&p| !crashed[p] && decision(&processes[p]).is_none()).collect();
        if live.is_empty() {
            break;
        }
        let p = if out.steps >= contention {
            match last {
                Some(q) if burst_left > 0 && live.contains(&q) => q,
                _ => {
                    burst_left = burst;
                    let after = last.map_or(0, |q| q + 1);
                    *live.iter().find(|&&q| q >= after).unwrap_or(&live[0])
                }
            }
        } else {
            match last {
                Some(q) if live.contains(&q) && adversary.random_bool(stickiness) => q,
                _ => live[adversary.random_range(0..live.len())],
            }
        };
        last = Some(p);
        if crash_at[p] == Some(own_steps[p]) {
            crashed[p] = true;
            out.crashed.push((p, out.steps));
            trace(out.steps, "crash", p, format!("{:?}", processes[p]));
            continue;
        }
        let (op, response) = step(&mut processes[p], &mut memory).expect("live processes step");
        own_steps[p] += 1;
        burst_left = burst_left.saturating_sub(1);
        out.steps += 1;
        trace(out.steps, "step", p, describe_step(alg, n, p, op, response));
        if let Some(v) = decision(&processes[p]) {
            out.decisions.push((out.steps, p, v));
            trace(out.steps, "output", p, format!("Decide({v})"));
        }
    }
    out.trace = lines;
    out.processes = processes;
    out
}
