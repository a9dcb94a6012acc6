//! Sweeps: one experiment over many seeds, in parallel (rayon), summarised per property.
//! Every run is still single-threaded and deterministic, so any failing seed replays with
//! `quarry-lab run PROTOCOL --seed S` and the same fault options.

use std::collections::BTreeMap;
use std::ops::Range;

use rayon::prelude::*;
use serde::Serialize;

use crate::harness::{ProtocolEntry, RunConfig};

/// The outcome of a sweep; serialises to the `--json` object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SweepSummary {
    /// Experiment name.
    pub protocol: String,
    /// Number of runs (seeds).
    pub runs: u64,
    /// Safety property → number of runs that violated it.
    pub violations: BTreeMap<String, u64>,
    /// Runs in which at least one liveness property failed (within the run's time budget).
    pub liveness_failures: u64,
    /// Liveness property → number of runs that failed it.
    pub liveness_by_property: BTreeMap<String, u64>,
    /// Smallest seed with a safety violation (replay it with `run --seed`), if any.
    pub first_failing_seed: Option<u64>,
    /// Smallest seed with a liveness failure, if any.
    pub first_liveness_failure_seed: Option<u64>,
    /// Total decisions over all runs.
    pub decisions: u64,
    /// Total messages sent over all runs.
    pub messages: u64,
}

impl SweepSummary {
    /// `true` if any run violated a safety property.
    pub fn unsafe_runs(&self) -> bool {
        self.first_failing_seed.is_some()
    }
}

/// Run `experiment` once per seed in `seeds` with `base` otherwise, in parallel; `on_run` is
/// called after each run (for a progress bar).
pub fn sweep(
    experiment: &ProtocolEntry,
    base: &RunConfig,
    seeds: Range<u64>,
    on_run: impl Fn() + Sync,
) -> SweepSummary {
    let outcomes: Vec<_> = seeds
        .into_par_iter()
        .map(|seed| {
            let report = experiment.run(&RunConfig { seed, trace: false, ..base.clone() });
            on_run();
            let safety: Vec<&'static str> =
                report.safety_violations().map(|v| v.property).collect();
            let liveness: Vec<&'static str> =
                report.liveness_failures().map(|v| v.property).collect();
            (seed, safety, liveness, report.decisions, report.metrics.messages_sent)
        })
        .collect();
    let mut summary =
        SweepSummary { protocol: experiment.name.to_owned(), ..SweepSummary::default() };
    for (seed, safety, liveness, decisions, messages) in outcomes {
        summary.runs += 1;
        summary.decisions += decisions;
        summary.messages += messages;
        for property in &safety {
            *summary.violations.entry((*property).to_owned()).or_default() += 1;
        }
        for property in &liveness {
            *summary.liveness_by_property.entry((*property).to_owned()).or_default() += 1;
        }
        if !safety.is_empty() {
            summary.first_failing_seed =
                Some(summary.first_failing_seed.map_or(seed, |s| s.min(seed)));
        }
        if !liveness.is_empty() {
            summary.liveness_failures += 1;
            summary.first_liveness_failure_seed =
                Some(summary.first_liveness_failure_seed.map_or(seed, |s| s.min(seed)));
        }
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::broadcast::beb::BEST_EFFORT_BROADCAST;
    use crate::protocols::consensus::paxos::{BROKEN_PAXOS_MINORITY_QUORUM, SINGLE_DECREE_PAXOS};

    /// Seeds per sweep: 1,000 in release builds (`cargo test --release`), 50 in debug builds to
    /// keep `cargo test` fast.
    const SEEDS: u64 = if cfg!(debug_assertions) { 50 } else { 1000 };

    fn paxos_fault_model(n: usize) -> RunConfig {
        let mut c = RunConfig::new(n, 0);
        c.faults.crash = (n - 1) / 2;
        c.faults.recover_after = Some(100_000);
        c.network.loss = 0.1;
        c.network.duplication = 0.1;
        c.network.reorder = 0.2;
        c.faults.partitions = crate::sim::parse_partitions("0|1,2,3,4@0-200", n).unwrap();
        c
    }

    /// Runs `SEEDS` seeds (1,000 in release, 50 in debug) of correct Paxos under its whole
    /// fault model: a minority crashing and recovering, loss, duplication, reordering and a
    /// partition that heals.
    #[test]
    fn paxos_is_safe_and_live_on_every_seed_under_its_fault_model() {
        let summary = sweep(&SINGLE_DECREE_PAXOS, &paxos_fault_model(5), 0..SEEDS, || {});
        assert_eq!(summary.runs, SEEDS);
        assert!(summary.violations.is_empty(), "{summary:?}");
        assert_eq!(summary.liveness_failures, 0, "{summary:?}");
        assert_eq!(summary.decisions, 5 * SEEDS);
    }

    /// Runs `SEEDS` seeds (1,000 in release, 50 in debug) of the n/2-quorum variant and expects
    /// the sweep to report an agreement violation with a seed that replays.
    #[test]
    fn the_sweep_catches_minority_quorums_and_names_a_seed_that_replays() {
        let mut base = RunConfig::new(4, 0);
        base.network.loss = 0.3;
        let summary = sweep(&BROKEN_PAXOS_MINORITY_QUORUM, &base, 0..SEEDS, || {});
        let seed = summary.first_failing_seed.expect("violation found");
        assert!(summary.violations.contains_key("uniform agreement"), "{summary:?}");
        let replay = BROKEN_PAXOS_MINORITY_QUORUM.run(&RunConfig { seed, ..base });
        assert!(replay.safety_violations().count() > 0);
    }

    /// Runs `SEEDS` seeds (1,000 in release, 50 in debug) of best-effort broadcast under its
    /// fault model (crash-stop of any number of processes, perfect links).
    #[test]
    fn best_effort_broadcast_keeps_its_properties_on_every_seed_with_crashes() {
        let mut base = RunConfig::new(4, 0);
        base.faults.crash = 2;
        let summary = sweep(&BEST_EFFORT_BROADCAST, &base, 0..SEEDS, || {});
        assert!(summary.violations.is_empty(), "{summary:?}");
        assert_eq!(summary.liveness_failures, 0, "{summary:?}");
        assert!(summary.decisions > 0);
    }
}
