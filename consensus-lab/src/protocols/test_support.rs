//! Helpers the protocols' scripted tests share: the seed count of their sweeps, clean-sweep
//! assertions (also the Byzantine one over every adversary strategy), a one-millisecond network
//! and "every verdict holds".

use crate::adversary::Strategy;
use crate::check::{find, Verdict};
use crate::harness::{ProtocolEntry, RunConfig, RunReport};
use crate::sim::{parse_partitions, LatencyModel, SimConfig};
use crate::sweep::sweep;

/// Seeds per sweep in tests: 1,000 in release builds (what the issue asks of every protocol),
/// 50 in debug builds so `cargo test` stays quick.
pub const SEEDS: u64 = if cfg!(debug_assertions) { 50 } else { 1000 };

/// Sweeps [`SEEDS`] seeds of `experiment` from `base` and asserts no safety violation and no
/// liveness failure.
pub fn assert_clean_sweep(experiment: &ProtocolEntry, base: &RunConfig) {
    let summary = sweep(experiment, base, 0..SEEDS, || {});
    assert_eq!(summary.runs, SEEDS);
    assert!(summary.violations.is_empty(), "{summary:?}");
    assert_eq!(summary.liveness_failures, 0, "{summary:?}");
}

/// Sweeps [`SEEDS`] seeds of the `broken` variant from `base`, asserts that `property` failed
/// in some run, and returns the smallest seed that failed it (the safety or the liveness one,
/// whichever kind `property` is) after checking that rerunning that seed alone fails it again.
///
/// # Panics
/// If no run failed `property`, or the seed does not replay.
pub fn assert_sweep_catches(broken: &ProtocolEntry, base: &RunConfig, property: &str) -> u64 {
    let summary = sweep(broken, base, 0..SEEDS, || {});
    let seed = if summary.violations.contains_key(property) {
        summary.first_failing_seed
    } else if summary.liveness_by_property.contains_key(property) {
        summary.first_liveness_failure_seed
    } else {
        None
    };
    let seed = seed.unwrap_or_else(|| panic!("{property} never failed: {summary:?}"));
    let replay = broken.run(&RunConfig { seed, ..base.clone() });
    assert!(!find(&replay.verdicts, property).holds(), "seed {seed} replays");
    seed
}

/// `n` processes of which `k` are Byzantine and play `strategy`; seed 0, no other faults.
pub fn byzantine_config(n: usize, k: usize, strategy: Strategy) -> RunConfig {
    let mut config = RunConfig::new(n, 0);
    config.adversary.byzantine = k;
    config.adversary.strategy = strategy;
    config
}

/// Sweeps [`SEEDS`] seeds of `experiment` for n = 4 and n = 7 with f = ⌊(n − 1)/3⌋ Byzantine
/// processes under every [`Strategy`], and asserts no safety violation and no liveness failure
/// (n ≥ 3f + 1, the bound of Lamport, Shostak & Pease 1982 that every Byzantine protocol here
/// assumes).
pub fn assert_tolerates_f_byzantine_under_every_strategy(experiment: &ProtocolEntry) {
    for n in [4, 7] {
        for strategy in Strategy::ALL {
            let config = byzantine_config(n, (n - 1) / 3, strategy);
            let summary = sweep(experiment, &config, 0..SEEDS, || {});
            assert!(summary.violations.is_empty(), "n = {n}, {strategy:?}: {summary:?}");
            assert_eq!(summary.liveness_failures, 0, "n = {n}, {strategy:?}: {summary:?}");
        }
    }
}

/// `true` when every checked property of the run held.
pub fn all_hold(report: &RunReport) -> bool {
    report.verdicts.iter().all(Verdict::holds)
}

/// `n` processes, `seed`, every message delayed exactly 1 ms: runs whose timing a test can
/// reason about step by step.
pub fn one_ms_network(n: usize, seed: u64) -> SimConfig {
    let mut config = SimConfig::new(n, seed);
    config.network.latency = LatencyModel::Constant(1_000);
    config
}

/// `n` processes, seed 0, with a minority ((n − 1) / 2) crashing, loss 0.2, duplication 0.1,
/// reordering 0.2 and process 0 cut off from the rest during [0, 200) ms: the fault model of
/// crash-tolerant protocols that need a majority.
pub fn minority_crash_lossy(n: usize) -> RunConfig {
    let mut c = RunConfig::new(n, 0);
    c.faults.crash = (n - 1) / 2;
    c.network.loss = 0.2;
    c.network.duplication = 0.1;
    c.network.reorder = 0.2;
    let rest: Vec<String> = (1..n).map(|p| p.to_string()).collect();
    c.faults.partitions = parse_partitions(&format!("0|{}@0-200", rest.join(",")), n)
        .expect("a partition of 0 from the others parses");
    c
}
