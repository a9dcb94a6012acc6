//! The comparison harness: every applicable protocol on the same workload and fault schedule,
//! one table and four plots per scenario (`quarry-lab compare --scenario NAME --out DIR`).
//!
//! Two registries, both data:
//! - [`COMPARABLES`]: the protocols a report compares, each with its fault class, how many
//!   processes it needs for f faults, and how to run one trial;
//! - [`SCENARIOS`]: named fault schedules (`steady`, `crash-minority`, `partition-heal`,
//!   `byzantine-minority`, `beyond-bound`), each saying what it does to a protocol of each class.
//!
//! **Adding a protocol** is one entry in [`COMPARABLES`] (PBFT's, as it is below):
//!
//! ```ignore
//! Comparable {
//!     name: "PBFT",
//!     source: "Castro & Liskov, OSDI 1999",
//!     class: FaultClass::Byzantine,
//!     bound: "n ≥ 3f + 1",
//!     nodes_for: |f| 3 * f + 1,
//!     run: |t| pbft::PbftExperiment.run(&byzantine_config(t)),
//! },
//! ```
//!
//! where `t.config` already carries n, the seed, the scenario's crashes and partitions and the
//! workload, and `t.byzantine` says how many processes the scenario corrupts. Scenarios need no change: a Byzantine
//! protocol gets `f` corrupted processes in `byzantine-minority` and `f + 1` in `beyond-bound`.
//!
//! Every trial is a pure function of its seed (trials run in parallel on rayon, results are
//! collected in a fixed order), so a report is reproducible byte for byte from `--seed`.

pub mod plots;
pub mod report;

use rayon::prelude::*;
use serde::Serialize;

use crate::harness::{Experiment, Latency, RunConfig, RunReport};
use crate::protocol::Time;
use crate::protocols::nakamoto::miner::Strategy;
use crate::protocols::nakamoto::{run_nakamoto, NakamotoSetup};
use crate::protocols::{dynamo, epaxos, hotstuff, multipaxos, pbft_experiment, zab};
use crate::sim::{parse_partitions, ScheduledPartition};

/// What kind of fault a protocol is built to tolerate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FaultClass {
    /// Crash-stop / crash-recovery processes (Paxos family, Zab).
    Crash,
    /// Arbitrary (Byzantine) processes (PBFT, HotStuff).
    Byzantine,
    /// A share of the hash power (Nakamoto consensus): safety is probabilistic in k.
    HashPower,
}

/// One run of one protocol under one scenario.
#[derive(Debug, Clone)]
pub struct Trial {
    /// n, seed, network, crashes, partitions, workload size and rate.
    pub config: RunConfig,
    /// The fault bound the scenario is built around.
    pub f: usize,
    /// Processes the scenario corrupts (Byzantine protocols).
    pub byzantine: usize,
    /// Hash-power share of the attacker (Nakamoto), if any.
    pub attacker_share: Option<f64>,
}

/// A protocol the comparison runs.
pub struct Comparable {
    /// Display name.
    pub name: &'static str,
    /// Paper and section.
    pub source: &'static str,
    /// The fault class it tolerates.
    pub class: FaultClass,
    /// The bound, in words (e.g. `n ≥ 2f + 1`).
    pub bound: &'static str,
    /// Processes needed to tolerate `f` faults (what the trials run with).
    pub nodes_for: fn(usize) -> usize,
    /// Run one trial.
    pub run: fn(&Trial) -> RunReport,
}

/// The protocols compared, in table order (module doc: how to add one).
pub static COMPARABLES: &[Comparable] = &[
    Comparable {
        name: "Multi-Paxos",
        source: "Lamport 2001 §3; van Renesse & Altinbuken 2015",
        class: FaultClass::Crash,
        bound: "n ≥ 2f + 1",
        nodes_for: |f| 2 * f + 1,
        run: |t| multipaxos::MultiPaxosTob.run(&t.config),
    },
    Comparable {
        name: "Zab",
        source: "Junqueira, Reed, Serafini, DSN 2011",
        class: FaultClass::Crash,
        bound: "n ≥ 2f + 1",
        nodes_for: |f| 2 * f + 1,
        run: |t| zab::ZabTob.run(&t.config),
    },
    Comparable {
        name: "EPaxos",
        source: "Moraru, Andersen, Kaminsky, SOSP 2013",
        class: FaultClass::Crash,
        bound: "n ≥ 2f + 1",
        nodes_for: |f| 2 * f + 1,
        run: |t| epaxos::EPaxosExperiment.run(&t.config),
    },
    Comparable {
        name: "Dynamo (r = w = f + 1)",
        source: "DeCandia et al., SOSP 2007 §4.5, §4.7, §5 (leaderless, not linearizable)",
        class: FaultClass::Crash,
        bound: "n ≥ 2f + 1 (r + w > n, r, w ≤ n − f)",
        nodes_for: |f| 2 * f + 1,
        run: |t| dynamo::DynamoExperiment.run(&t.config),
    },
    Comparable {
        name: "Nakamoto (k = 6)",
        source: "Nakamoto 2008 §4-§5, §11",
        class: FaultClass::HashPower,
        bound: "any n; attacker hash share q < 1/2, failure probability P(q, k)",
        nodes_for: |f| 2 * f + 1,
        run: run_nakamoto_trial,
    },
    Comparable {
        name: "PBFT",
        source: "Castro & Liskov, OSDI 1999 §4",
        class: FaultClass::Byzantine,
        bound: "n ≥ 3f + 1",
        nodes_for: |f| 3 * f + 1,
        run: |t| pbft_experiment::PbftExperiment.run(&byzantine_config(t)),
    },
    Comparable {
        name: "HotStuff",
        source: "Yin et al., PODC 2019 §4 (Basic HotStuff)",
        class: FaultClass::Byzantine,
        bound: "n ≥ 3f + 1",
        nodes_for: |f| 3 * f + 1,
        run: |t| hotstuff::HotStuffExperiment.run(&byzantine_config(t)),
    },
];

/// Requests per run and their mean gap (µs) when the scenario sets none: the `steady` workload.
pub const DEFAULT_LOAD: (Time, usize) = (3_000, 40);

/// The trial's config with its corrupted count (default strategy, `equivocate`) and, for the
/// Byzantine experiments whose own default workloads are smaller, the [`DEFAULT_LOAD`].
fn byzantine_config(t: &Trial) -> RunConfig {
    RunConfig {
        byzantine: t.byzantine,
        request_gap: t.config.request_gap.or(Some(DEFAULT_LOAD.0)),
        requests: t.config.requests.or(Some(DEFAULT_LOAD.1)),
        ..t.config.clone()
    }
}

/// Nakamoto under a trial: honest miners, or process 0 running the private-chain double spend
/// against the merchants' k = 6 with the trial's attacker share.
fn run_nakamoto_trial(trial: &Trial) -> RunReport {
    let strategy = Strategy::PrivateChain { wait_for: 6, give_up_behind: 20 };
    let setup = NakamotoSetup {
        attacker: trial.attacker_share.map(|q| (q, strategy)),
        ..NakamotoSetup::default()
    };
    run_nakamoto(&trial.config, &setup).report
}

/// A named fault schedule.
pub struct Scenario {
    /// CLI name.
    pub name: &'static str,
    /// One sentence for the report.
    pub description: &'static str,
    /// Build the trial of `protocol` with fault bound `f` and `seed`; `None` when the scenario
    /// does not apply to the protocol's fault class.
    pub trial: fn(&Comparable, usize, u64) -> Option<Trial>,
}

fn base_trial(c: &Comparable, f: usize, seed: u64) -> Trial {
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
            t.config.crash = f;
            Some(t)
        },
    },
    Scenario {
        name: "partition-heal",
        description: "processes 0..f are cut off from the rest from 10 ms to 3 s, then the \
                      partition heals",
        trial: |c, f, seed| {
            let mut t = base_trial(c, f, seed);
            t.config.partitions = minority_partition(t.config.n, f);
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
                FaultClass::Crash => t.config.crash = f + 1,
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
    protocol: &Comparable,
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
                    t.config.request_gap = Some(gap);
                    t.config.requests = Some(count);
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
