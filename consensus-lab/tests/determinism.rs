//! Same seed ⇒ same trace: the simulator's determinism, checked by hashing whole traces.

use quarry_lab::protocols::consensus::paxos::{Flaw, Paxos};
use quarry_lab::sim::{trace_hash, FaultPlan, LatencyModel, SimConfig, Simulation, Workload};

/// A run with every source of randomness switched on: log-normal latency, loss, duplication,
/// reordering, a crash with recovery, clock drift, and dueling proposers.
fn traced_run(seed: u64) -> u64 {
    let mut config = SimConfig::new(5, seed);
    config.record_trace = true;
    config.network.latency = LatencyModel::LogNormal { mu: 8.5, sigma: 0.6 };
    config.network.loss = 0.1;
    config.network.duplication = 0.1;
    config.network.reorder = 0.2;
    let plan = FaultPlan {
        crashes: vec![(2_000, 3)],
        recoveries: vec![(60_000, 3)],
        clock_drift: 0.05,
        ..FaultPlan::default()
    };
    let mut sim = Simulation::new(config, |_, _| Paxos::new(Flaw::None))
        .with_workload(Workload::scripted((0..5).map(|i| (i as u64 * 100, i, 100 + i as u64))))
        .with_faults(plan);
    sim.run();
    assert!(sim.trace().len() > 50, "the run did something");
    trace_hash(sim.trace())
}

#[test]
fn two_runs_with_the_same_seed_produce_identical_traces() {
    assert_eq!(traced_run(42), traced_run(42));
}

#[test]
fn runs_with_different_seeds_produce_different_traces() {
    assert_ne!(traced_run(42), traced_run(43));
}
