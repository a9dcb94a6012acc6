//! Everything scheduled from outside the protocol: seeded RNG streams, the workload (client
//! requests) and the fault plan (crashes, recoveries, partitions), plus the adversary seam.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::protocol::{NodeId, Time};
use crate::sim::network::ScheduledPartition;

/// Independent, seeded random streams, one per source of nondeterminism, so that e.g. changing
/// the workload does not change which messages the network drops. All derive from one seed.
#[derive(Debug, Clone)]
pub struct Streams {
    /// Latency, loss, duplication, reordering.
    pub network: ChaCha8Rng,
    /// Client request times, targets and values.
    pub workload: ChaCha8Rng,
    /// Which processes crash and when, clock drift.
    pub faults: ChaCha8Rng,
    /// Choices of the Byzantine adversary (part 2).
    pub adversary: ChaCha8Rng,
}

impl Streams {
    /// The four streams of `seed` (ChaCha8 streams 1–4 of the same key).
    pub fn new(seed: u64) -> Self {
        let stream = |id: u64| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(id);
            rng
        };
        Streams { network: stream(1), workload: stream(2), faults: stream(3), adversary: stream(4) }
    }
}

/// One client request: deliver `request` to `node` at global time `at` (µs).
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduledRequest<R> {
    /// Global simulated time, µs.
    pub at: Time,
    /// Target process.
    pub node: NodeId,
    /// The request (⟨Propose | v⟩, ⟨Broadcast | m⟩, …).
    pub request: R,
}

/// The client side of a run: requests handed to processes at fixed times.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload<R> {
    /// Requests in any order; the simulator orders them by time.
    pub requests: Vec<ScheduledRequest<R>>,
}

impl<R> Default for Workload<R> {
    fn default() -> Self {
        Workload { requests: Vec::new() }
    }
}

impl<R> Workload<R> {
    /// A workload with exactly these requests.
    pub fn scripted(requests: impl IntoIterator<Item = (Time, NodeId, R)>) -> Self {
        let requests =
            requests.into_iter().map(|(at, node, request)| ScheduledRequest { at, node, request });
        Workload { requests: requests.collect() }
    }

    /// An open-loop generator: `count` requests with exponential inter-arrival times of mean
    /// `mean_gap` µs starting at `start`, each sent to a uniformly random process of `0..n`;
    /// `make(i, rng)` builds the i-th request. Draws only from `rng` (the workload stream).
    pub fn open_loop(
        rng: &mut ChaCha8Rng,
        n: usize,
        start: Time,
        mean_gap: Time,
        count: usize,
        mut make: impl FnMut(usize, &mut ChaCha8Rng) -> R,
    ) -> Self {
        let mut at = start;
        let mut requests = Vec::with_capacity(count);
        for i in 0..count {
            let u: f64 = rng.random::<f64>();
            at += (-(1.0 - u).ln() * mean_gap as f64) as Time;
            let node = rng.random_range(0..n);
            requests.push(ScheduledRequest { at, node, request: make(i, rng) });
        }
        Workload { requests }
    }
}

/// The faults of a run as given on the command line (`--crash`, `--recover-after`,
/// `--crash-window`, `--partition`, `--clock-drift`), before the seed turns them into a
/// [`FaultPlan`]. Times in µs.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultConfig {
    /// How many processes crash (chosen and timed by the faults stream).
    pub crash: usize,
    /// If set, each crashed process recovers this many µs after crashing (crash-recovery,
    /// CGR §2.2.4); `None`: crash-stop.
    pub recover_after: Option<Time>,
    /// Crashes happen at a uniform time in `[0, crash_window)` µs.
    pub crash_window: Time,
    /// Scheduled partitions.
    pub partitions: Vec<ScheduledPartition>,
    /// Maximum clock drift as a fraction (0.01 = ±1 %).
    pub clock_drift: f64,
}

impl Default for FaultConfig {
    /// No crash (the window, 50 ms, applies once `crash` is set), no partition, no drift.
    fn default() -> Self {
        FaultConfig {
            crash: 0,
            recover_after: None,
            crash_window: 50_000,
            partitions: Vec::new(),
            clock_drift: 0.0,
        }
    }
}

impl FaultConfig {
    /// The fault plan of a run of `n` processes with `seed`, drawn from the seed's faults
    /// stream ([`FaultPlan::random_crashes`]) plus the scheduled partitions and drift.
    pub fn plan(&self, seed: u64, n: usize) -> FaultPlan {
        let mut rng = Streams::new(seed).faults;
        let mut plan = FaultPlan::random_crashes(
            &mut rng,
            n,
            self.crash,
            self.crash_window,
            self.recover_after,
        );
        plan.partitions = self.partitions.clone();
        plan.clock_drift = self.clock_drift;
        plan
    }
}

/// The faults of a run, decided before it starts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultPlan {
    /// `(time µs, node)`: the node crashes (crash-stop unless a recovery follows).
    pub crashes: Vec<(Time, NodeId)>,
    /// `(time µs, node)`: the node recovers with its stable storage (crash-recovery).
    pub recoveries: Vec<(Time, NodeId)>,
    /// Partitions with their start and heal times.
    pub partitions: Vec<ScheduledPartition>,
    /// Maximum clock drift as a fraction (0.01 = each local clock runs up to ±1 % fast/slow).
    pub clock_drift: f64,
}

impl FaultPlan {
    /// Crash `k` distinct processes chosen uniformly, each at a uniform time in `[0, window)`;
    /// if `recover_after` is set each comes back that many µs later. Draws from `rng` (faults).
    pub fn random_crashes(
        rng: &mut ChaCha8Rng,
        n: usize,
        k: usize,
        window: Time,
        recover_after: Option<Time>,
    ) -> Self {
        let mut nodes: Vec<NodeId> = (0..n).collect();
        let mut plan = FaultPlan::default();
        for i in 0..k.min(n) {
            let j = rng.random_range(i..n);
            nodes.swap(i, j);
            let at = rng.random_range(0..window.max(1));
            plan.crashes.push((at, nodes[i]));
            if let Some(after) = recover_after {
                plan.recoveries.push((at + after, nodes[i]));
            }
        }
        plan
    }
}

/// The seam for Byzantine faults (issue 9): every message a *corrupted* process sends to another
/// process goes through `intercept`, which returns the copies that actually leave, each with an
/// extra delay in µs. Returning `vec![]` drops it, two entries duplicate it, a rewritten message
/// lies or equivocates (a different rewrite per recipient).
pub trait Adversary<M> {
    /// Decide the fate of `msg` from corrupted `from` to `to` at global time `now`.
    fn intercept(
        &mut self,
        from: NodeId,
        to: NodeId,
        msg: M,
        now: Time,
        rng: &mut ChaCha8Rng,
    ) -> Vec<(Time, M)>;
}

/// The adversary that changes nothing (corrupted processes then behave correctly).
#[derive(Debug, Clone, Copy, Default)]
pub struct PassThrough;

impl<M> Adversary<M> for PassThrough {
    fn intercept(
        &mut self,
        _: NodeId,
        _: NodeId,
        msg: M,
        _: Time,
        _: &mut ChaCha8Rng,
    ) -> Vec<(Time, M)> {
        vec![(0, msg)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_of_one_seed_are_independent_and_reproducible() {
        let (mut a, mut b) = (Streams::new(9), Streams::new(9));
        let x: u64 = a.network.random();
        assert_eq!(x, b.network.random::<u64>());
        assert_ne!(x, a.workload.random::<u64>());
    }

    #[test]
    fn random_crashes_pick_k_distinct_nodes_inside_the_window() {
        let mut rng = Streams::new(3).faults;
        let plan = FaultPlan::random_crashes(&mut rng, 5, 3, 1000, Some(50));
        let mut nodes: Vec<_> = plan.crashes.iter().map(|c| c.1).collect();
        nodes.sort_unstable();
        nodes.dedup();
        assert_eq!(nodes.len(), 3);
        assert!(plan.crashes.iter().all(|c| c.0 < 1000));
        assert_eq!(plan.recoveries[0].0, plan.crashes[0].0 + 50);
    }

    #[test]
    fn open_loop_arrivals_are_increasing_and_target_existing_nodes() {
        let mut rng = Streams::new(1).workload;
        let w = Workload::open_loop(&mut rng, 4, 10, 100, 200, |i, _| i);
        assert!(w.requests.windows(2).all(|p| p[0].at <= p[1].at));
        assert!(w.requests.iter().all(|r| r.node < 4 && r.at >= 10));
        assert_eq!(w.requests[199].request, 199);
    }
}
