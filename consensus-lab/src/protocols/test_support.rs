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

/// Seeds a broken twin's sweep looks at, in every build, before it gives up: the issue's
/// 1,000, so a twin that fails only on a rare seed is caught in debug builds too.
pub const CATCH_SEEDS: u64 = 1000;

/// Sweeps the `broken` variant from `base` in blocks of [`SEEDS`] seeds, up to [`CATCH_SEEDS`],
/// until a block fails `property`; returns the smallest seed of that block that failed it (the
/// safety or the liveness one, whichever kind `property` is) after checking that rerunning that
/// seed alone fails it again. In release builds that is one sweep of 1,000 seeds; debug builds
/// stop early when the twin fails early.
///
/// # Panics
/// If no run of the [`CATCH_SEEDS`] seeds failed `property`, or the seed does not replay.
pub fn assert_sweep_catches(broken: &ProtocolEntry, base: &RunConfig, property: &str) -> u64 {
    let mut summary = None;
    for first in (0..CATCH_SEEDS).step_by(SEEDS as usize) {
        let block = sweep(broken, base, first..first + SEEDS, || {});
        let seed = if block.violations.contains_key(property) {
            block.first_failing_seed
        } else if block.liveness_by_property.contains_key(property) {
            block.first_liveness_failure_seed
        } else {
            None
        };
        if let Some(seed) = seed {
            let replay = broken.run(&RunConfig { seed, ..base.clone() });
            assert!(!find(&replay.verdicts, property).holds(), "seed {seed} replays");
            return seed;
        }
        summary = Some(block);
    }
    panic!("{property} never failed in {CATCH_SEEDS} seeds: {summary:?}")
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
