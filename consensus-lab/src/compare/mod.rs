//! The comparison harness: every applicable protocol on the same workload and fault schedule,
//! one table and four plots per scenario (`quarry-lab compare --scenario NAME --out DIR`).
//!
//! What it compares comes from the one registry: every [`crate::harness::ProtocolEntry`] of
//! [`crate::registry::PROTOCOLS`] with a [`Comparison`] (its display name, citation, fault
//! class, bound, how many processes it needs for f faults, and how to run one trial). The
//! scenarios are data too: [`SCENARIOS`] (`steady`, `crash-minority`, `partition-heal`,
//! `byzantine-minority`, `beyond-bound`), each saying what it does to a protocol of each class.
//!
//! **Comparing a protocol** is setting `comparison` in its entry (PBFT's, as it is):
//!
//! ```ignore
//! comparison: Some(Comparison {
//!     name: "PBFT",
//!     source: "Castro & Liskov, OSDI 1999 §4",
//!     row: 60,
//!     class: FaultClass::Byzantine,
//!     bound: "n ≥ 3f + 1",
//!     nodes_for: |f| 3 * f + 1,
//!     run: |t| run_pbft(&t.byzantine_config()),
//! }),
//! ```
//!
//! where `t.config` already carries n, the seed, the scenario's crashes and partitions and the
//! workload, and `t.byzantine` says how many processes the scenario corrupts. Scenarios need no
//! change: a Byzantine protocol gets `f` corrupted processes in `byzantine-minority` and `f + 1`
//! in `beyond-bound`.
//!
//! Every trial is a pure function of its seed (trials run in parallel on rayon, results are
//! collected in a fixed order), so a report is reproducible byte for byte from `--seed`.

pub mod plots;
pub mod report;

use rayon::prelude::*;
use serde::Serialize;

use crate::harness::{Comparison, FaultClass, Latency, RunConfig, RunReport, Trial, DEFAULT_LOAD};
use crate::protocol::Time;
use crate::sim::{parse_partitions, ScheduledPartition};

/// The comparisons of the registry's compared protocols, in table order
/// ([`crate::registry::compared`]).
pub fn compared() -> Vec<&'static Comparison> {
    crate::registry::compared().into_iter().filter_map(|e| e.comparison.as_ref()).collect()
}

/// A named fault schedule.
pub struct Scenario {
    /// CLI name.
    pub name: &'static str,
    /// One sentence for the report.
    pub description: &'static str,
    /// Build the trial of `protocol` with fault bound `f` and `seed`; `None` when the scenario
    /// does not apply to the protocol's fault class.
    pub trial: fn(&Comparison, usize, u64) -> Option<Trial>,
}

fn base_trial(c: &Comparison, f: usize, seed: u64) -> Trial {
    let mut config = RunConfig::new((c.nodes_for)(f), seed);
    config.time_limit = 60_000_000;
    Trial { config, f, byzantine: 0, attacker_share: None }
}

/// Processes 0..f cut off from the rest from 10 ms to 3 s.
fn minority_partition(n: usize, f: usize) -> Vec<ScheduledPartition> {
    let minority: Vec<String> = (0..f).map(|i| i.to_string()).collect();
    let majority: Vec<String> = (f..n).map(|i| i.to_string()).collect();
    let spec = format!("{}|{}@10-3000", minority.join(","), majority.join(","));
    parse_partitions(&spec, n).expect("a well-formed two-group spec")
}

/// The scenarios, by name.
pub static SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "steady",
        description: "no faults: uniform 1-10 ms links, 40 requests ~3 ms apart",
        trial: |c, f, seed| Some(base_trial(c, f, seed)),
    },
    Scenario {
        name: "crash-minority",
        description: "f processes crash-stop at random times in the first 50 ms",
        trial: |c, f, seed| {
            let mut t = base_trial(c, f, seed);
            t.config.faults.crash = f;
            Some(t)
        },
    },
    Scenario {
        name: "partition-heal",
        description: "processes 0..f are cut off from the rest from 10 ms to 3 s, then the \
                      partition heals",
        trial: |c, f, seed| {
            let mut t = base_trial(c, f, seed);
            t.config.faults.partitions = minority_partition(t.config.n, f);
            Some(t)
        },
    },
    Scenario {
        name: "byzantine-minority",
        description: "f Byzantine processes (Byzantine protocols); a 25 % hash-power \
                      private-chain double spender (Nakamoto); crash protocols do not apply",
        trial: |c, f, seed| match c.class {
            FaultClass::Crash => None,
            FaultClass::Byzantine => Some(Trial { byzantine: f, ..base_trial(c, f, seed) }),
            FaultClass::HashPower => {
                Some(Trial { attacker_share: Some(0.25), ..base_trial(c, f, seed) })
            }
        },
    },
    Scenario {
        name: "beyond-bound",
        description: "one fault more than tolerated: f + 1 crashes (crash protocols), f + 1 \
                      Byzantine (Byzantine protocols), a 60 % hash-power double spender (Nakamoto)",
        trial: |c, f, seed| {
            let mut t = base_trial(c, f, seed);
            match c.class {
                FaultClass::Crash => t.config.faults.crash = f + 1,
                FaultClass::Byzantine => t.byzantine = f + 1,
                FaultClass::HashPower => t.attacker_share = Some(0.6),
            }
            Some(t)
        },
    },
];

/// The scenario called `name`.
pub fn scenario(name: &str) -> Option<&'static Scenario> {
    SCENARIOS.iter().find(|s| s.name == name)
}

/// Seeds per table cell.
pub const SEEDS_PER_CELL: u64 = 5;

/// One protocol under one scenario, pooled over [`SEEDS_PER_CELL`] seeds.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    /// Protocol name.
    pub protocol: &'static str,
    /// Processes run.
    pub n: usize,
    /// Runs pooled.
    pub runs: u64,
    /// Requests submitted per run.
    pub requests: usize,
    /// Decisions over all runs.
    pub decisions: u64,
    /// Messages per decision (all runs).
    pub messages_per_decision: f64,
    /// Bytes per decision (all runs).
    pub bytes_per_decision: f64,
    /// Latency over every decision of every run.
    pub latency: Latency,
    /// Mean throughput over the runs, decisions per simulated second.
    pub throughput: f64,
    /// Safety property → runs that violated it.
    pub safety_violations: Vec<(String, u64)>,
    /// Liveness property → runs that failed it.
    pub liveness_failures: Vec<(String, u64)>,
}

/// Run `protocol` under `scenario` with bound `f`, seeds `seed..seed + runs`, `load` overriding
/// the request gap and count; `None` if the scenario does not apply.
pub fn run_cell(
    protocol: &Comparison,
    scenario: &Scenario,
    f: usize,
    seed: u64,
    runs: u64,
    load: Option<(Time, usize)>,
) -> Option<Cell> {
    let trials: Vec<Trial> = (seed..seed + runs)
        .map(|s| {
            (scenario.trial)(protocol, f, s).map(|mut t| {
                if let Some((gap, count)) = load {
                    t.config.workload.request_gap = Some(gap);
                    t.config.workload.requests = Some(count);
                }
                t
            })
        })
        .collect::<Option<_>>()?;
    let reports: Vec<RunReport> = trials.par_iter().map(|t| (protocol.run)(t)).collect();
    Some(pool(protocol.name, trials[0].config.n, load.map_or(DEFAULT_LOAD.1, |l| l.1), &reports))
}

fn pool(protocol: &'static str, n: usize, requests: usize, reports: &[RunReport]) -> Cell {
    let decisions: u64 = reports.iter().map(|r| r.decisions).sum();
    let messages: u64 = reports.iter().map(|r| r.metrics.messages_sent).sum();
    let bytes: u64 = reports.iter().map(|r| r.metrics.bytes_sent).sum();
    let mut latencies: Vec<Time> = reports.iter().flat_map(|r| r.latencies.clone()).collect();
    latencies.sort_unstable();
    let per = |x: u64| if decisions == 0 { 0.0 } else { x as f64 / decisions as f64 };
    let count = |props: Vec<&'static str>| {
        let mut counts: std::collections::BTreeMap<String, u64> = Default::default();
        for p in props {
            *counts.entry(p.to_owned()).or_default() += 1;
        }
        counts.into_iter().collect()
    };
    Cell {
        protocol,
        n,
        runs: reports.len() as u64,
        requests,
        decisions,
        messages_per_decision: per(messages),
        bytes_per_decision: per(bytes),
        latency: Latency::from_sorted(&latencies),
        throughput: reports.iter().map(|r| r.throughput).sum::<f64>() / reports.len().max(1) as f64,
        safety_violations: count(
            reports.iter().flat_map(|r| r.safety_violations().map(|v| v.property)).collect(),
        ),
        liveness_failures: count(
            reports.iter().flat_map(|r| r.liveness_failures().map(|v| v.property)).collect(),
        ),
    }
}

#[cfg(test)]
mod tests;
