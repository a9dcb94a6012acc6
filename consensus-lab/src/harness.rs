//! The harness: a protocol packaged with its workload, fault model and checkers, so the CLI
//! (`quarry-lab run`, `sweep`) can run any of them by name.
//!
//! Layers, lowest first, each using only those before it: [`crate::sim`] (events, network,
//! faults) ← [`crate::adversary`] (who is corrupted, what their messages become) ← this module
//! (run configuration, [`simulate`] / [`simulate_byzantine`], reports) ← the protocols and the
//! registry the CLI reads.
//!
//! Adding a protocol to the CLI = a `pub static` [`ProtocolEntry`] in its protocol module and
//! one line in [`crate::registry::PROTOCOLS`]. The usual body of its `run` is: build a [`Workload`], call [`simulate`], turn the history into a
//! checker's input, and return a [`RunReport`].

use serde::Serialize;

use crate::adversary::{AdversaryConfig, AdversaryPlan, Byzantine, StrategyAdversary};
use crate::check::{PropertyKind, Verdict};
use crate::protocol::{NodeId, Protocol, Time};
use crate::sim::{
    FaultConfig, FaultPlan, History, LatencyModel, Metrics, NetworkConfig, SimConfig, Simulation,
    TraceLine, Workload,
};

/// The knobs of one run, as given on the command line: the processes and the seed, then the
/// run's scenario in four parts — the [`NetworkConfig`] (latency, loss, duplication,
/// reordering, GST), the [`FaultConfig`] (crashes, recoveries, partitions, drift), the
/// [`AdversaryConfig`] (Byzantine processes and their strategy) and the [`WorkloadConfig`]
/// (client requests). Times in µs.
#[derive(Debug, Clone, PartialEq)]
pub struct RunConfig {
    /// Number of processes.
    pub n: usize,
    /// Seed of every random stream.
    pub seed: u64,
    /// Latency model, loss, duplication, reordering, GST.
    pub network: NetworkConfig,
    /// Crashes, recoveries, partitions, clock drift.
    pub faults: FaultConfig,
    /// Byzantine processes and what they do.
    pub adversary: AdversaryConfig,
    /// Client requests of the protocols with an open-loop workload.
    pub workload: WorkloadConfig,
    /// Simulated-time budget of the run, µs.
    pub time_limit: Time,
    /// Record a trace.
    pub trace: bool,
}

/// The client workload of a run as given on the command line (`--requests`, `--request-gap`),
/// for protocols with an open-loop workload (SMR, EPaxos, Nakamoto, the Byzantine SMRs …);
/// `None` fields leave the protocol's own default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WorkloadConfig {
    /// Number of client requests.
    pub requests: Option<usize>,
    /// Mean gap between client requests, µs.
    pub request_gap: Option<Time>,
}

impl RunConfig {
    /// `n` processes, `seed`, no faults, no adversary, default network and workload, 60 s
    /// budget, no trace.
    pub fn new(n: usize, seed: u64) -> Self {
        RunConfig {
            n,
            seed,
            network: NetworkConfig::default(),
            faults: FaultConfig::default(),
            adversary: AdversaryConfig::default(),
            workload: WorkloadConfig::default(),
            time_limit: 60_000_000,
            trace: false,
        }
    }

    /// The corrupted processes and the sides of this run (empty when no process is Byzantine).
    pub fn adversary_plan(&self) -> AdversaryPlan {
        self.adversary.plan(self.seed, self.n)
    }

    /// The simulator configuration for this run.
    pub fn sim_config(&self) -> SimConfig {
        SimConfig {
            network: self.network,
            time_limit: self.time_limit,
            record_trace: self.trace,
            ..SimConfig::new(self.n, self.seed)
        }
    }

    /// The correct processes of a finished run: never crashed (crash-stop), or up at the end
    /// when crashed processes recover (crash-recovery, CGR §2.2.4), and never Byzantine.
    pub fn correct<R, O>(&self, history: &History<R, O>) -> std::collections::BTreeSet<NodeId> {
        let up = if self.faults.recover_after.is_some() {
            &history.up_at_end
        } else {
            &history.never_crashed
        };
        let corrupted = self.adversary_plan().corrupted;
        up.iter().copied().filter(|p| !corrupted.contains(p)).collect()
    }

    /// The fault plan for this run, drawn from the seed's faults stream.
    pub fn fault_plan(&self) -> FaultPlan {
        self.faults.plan(self.seed, self.n)
    }
}

/// Latency-to-decision statistics in simulated µs: each decision's delay from its request (or,
/// for single-shot protocols, from the first request of the run).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Latency {
    /// Smallest delay.
    pub first: Time,
    /// Mean delay.
    pub mean: Time,
    /// Median delay (nearest rank).
    pub median: Time,
    /// 99th-percentile delay (nearest rank: the ⌈0.99·n⌉-th smallest).
    pub p99: Time,
    /// Largest delay.
    pub max: Time,
}

impl Latency {
    /// Statistics of `times - start` (all zero when `times` is empty).
    pub fn from_times(start: Time, times: impl IntoIterator<Item = Time>) -> Self {
        let mut delays: Vec<Time> = times.into_iter().map(|t| t.saturating_sub(start)).collect();
        delays.sort_unstable();
        Latency::from_sorted(&delays)
    }

    /// Statistics of already sorted `delays` (all zero when empty).
    pub fn from_sorted(delays: &[Time]) -> Self {
        if delays.is_empty() {
            return Latency::default();
        }
        Latency {
            first: delays[0],
            mean: delays.iter().sum::<Time>() / delays.len() as Time,
            median: percentile(delays, 50.0),
            p99: percentile(delays, 99.0),
            max: delays[delays.len() - 1],
        }
    }
}

/// The nearest-rank `pct`-th percentile of sorted, non-empty `sorted`: the ⌈pct/100 · n⌉-th
/// smallest value.
pub fn percentile(sorted: &[Time], pct: f64) -> Time {
    let rank = ((pct / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// `count` per simulated second over `span` µs (0 when the span is 0).
pub fn per_second(count: u64, span: Time) -> f64 {
    if span == 0 {
        0.0
    } else {
        count as f64 / (span as f64 / 1e6)
    }
}

/// One entry of a run's account: what a process output, typed so that tests and tools match
/// on its fields instead of parsing a line. [`std::fmt::Display`] renders the line `run`
/// prints; serialised (a [`RunReport`] is), the fields are tagged by `kind`. Values are text
/// because each protocol decides its own type (a number, an order, a command …).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// `node` decided `value` at `at` µs: a consensus decision, an SMR commit, a 2PC outcome,
    /// a loyal lieutenant's order.
    Decided {
        /// Simulated time, µs.
        at: Time,
        /// The deciding process.
        node: NodeId,
        /// The decided value, rendered.
        value: String,
    },
    /// `node` delivered `message` broadcast (or sent) by `from` at `at` µs.
    Delivered {
        /// Simulated time, µs.
        at: Time,
        /// The delivering process.
        node: NodeId,
        /// The original sender.
        from: NodeId,
        /// The message, rendered.
        message: String,
    },
    /// Any other output of `node` at `at` µs: an operation's result (`Read → Some(3)`), a
    /// failure detector's indication, an executed command, a clock event.
    Output {
        /// Simulated time, µs (the shared-memory mode counts each step as 1 ms).
        at: Time,
        /// The process.
        node: NodeId,
        /// What it output, rendered.
        event: String,
    },
    /// Something the run should have produced and did not, e.g. an operation of a correct
    /// process that never returned.
    Missing(String),
    /// A line about the whole run: counts, statistics, a search's result.
    Summary(String),
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Decided { at, node, value } => {
                write!(f, "node {node} decided {value} at {}", ms(*at))
            }
            Outcome::Delivered { at, node, from, message } => {
                write!(f, "node {node} delivered {message} from {from} at {}", ms(*at))
            }
            Outcome::Output { at, node, event } => write!(f, "node {node}: {event} at {}", ms(*at)),
            Outcome::Missing(what) => write!(f, "missing: {what}"),
            Outcome::Summary(line) => f.write_str(line),
        }
    }
}

impl Outcome {
    /// A decision of `node` at `at` µs, its value rendered with `Debug` (so `Commit`,
    /// `Some(3)`, `7` read as in the protocol's code).
    pub fn decided(at: Time, node: NodeId, value: impl std::fmt::Debug) -> Self {
        Outcome::Decided { at, node, value: format!("{value:?}") }
    }

    /// A delivery of `message` (rendered with `Debug`) from `from` at `node`, at `at` µs.
    pub fn delivered(at: Time, node: NodeId, from: NodeId, message: impl std::fmt::Debug) -> Self {
        Outcome::Delivered { at, node, from, message: format!("{message:?}") }
    }

    /// Any other output `event` of `node` at `at` µs.
    pub fn output(at: Time, node: NodeId, event: impl Into<String>) -> Self {
        Outcome::Output { at, node, event: event.into() }
    }

    /// The decided value if this is a decision.
    pub fn decision(&self) -> Option<&str> {
        match self {
            Outcome::Decided { value, .. } => Some(value),
            _ => None,
        }
    }
}

/// What one run produced: human lines, metrics, checker verdicts, optionally the trace.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// The seed that replays this run.
    pub seed: u64,
    /// What the processes output, in order, e.g. `node 2 decided 7 at 12.3 ms`.
    pub outcomes: Vec<Outcome>,
    /// Number of decisions (consensus), deliveries (broadcast) or committed slots (SMR).
    pub decisions: u64,
    /// Latency to each decision (see [`Latency`]).
    pub latency: Latency,
    /// Decisions per simulated second, from the first request to the last decision.
    pub throughput: f64,
    /// Every decision's delay, sorted (µs); what [`Latency`] summarises, kept so that reports
    /// can pool several runs.
    #[serde(skip)]
    pub latencies: Vec<Time>,
    /// Every decision's absolute simulated time, sorted (µs), e.g. to compare with GST.
    #[serde(skip)]
    pub decided_at: Vec<Time>,
    /// Raw counters.
    pub metrics: Metrics,
    /// Simulated time at which the run ended, µs.
    pub end_time: Time,
    /// One verdict per checked property.
    pub verdicts: Vec<Verdict>,
    /// The trace, if requested.
    #[serde(skip)]
    pub trace: Vec<TraceLine>,
}

impl RunReport {
    /// A report whose decisions are `(request time, decision time)` pairs (µs): latency per
    /// pair, throughput over first request → last decision.
    #[allow(clippy::too_many_arguments)]
    pub fn from_pairs(
        seed: u64,
        outcomes: Vec<Outcome>,
        pairs: &[(Time, Time)],
        metrics: Metrics,
        end_time: Time,
        verdicts: Vec<Verdict>,
        trace: Vec<TraceLine>,
    ) -> Self {
        let mut latencies: Vec<Time> = pairs.iter().map(|(r, d)| d.saturating_sub(*r)).collect();
        latencies.sort_unstable();
        let mut decided_at: Vec<Time> = pairs.iter().map(|p| p.1).collect();
        decided_at.sort_unstable();
        let start = pairs.iter().map(|p| p.0).min().unwrap_or(0);
        let end = pairs.iter().map(|p| p.1).max().unwrap_or(0);
        RunReport {
            seed,
            outcomes,
            decisions: pairs.len() as u64,
            latency: Latency::from_sorted(&latencies),
            throughput: per_second(pairs.len() as u64, end.saturating_sub(start)),
            latencies,
            decided_at,
            metrics,
            end_time,
            verdicts,
            trace,
        }
    }

    /// Messages sent per decision (`NaN`-free: 0 when nothing was decided).
    pub fn messages_per_decision(&self) -> f64 {
        per(self.metrics.messages_sent, self.decisions)
    }

    /// Bytes sent per decision.
    pub fn bytes_per_decision(&self) -> f64 {
        per(self.metrics.bytes_sent, self.decisions)
    }

    /// Violated safety properties.
    pub fn safety_violations(&self) -> impl Iterator<Item = &Verdict> {
        self.verdicts.iter().filter(|v| v.kind == PropertyKind::Safety && !v.holds())
    }

    /// Violated liveness properties.
    pub fn liveness_failures(&self) -> impl Iterator<Item = &Verdict> {
        self.verdicts.iter().filter(|v| v.kind == PropertyKind::Liveness && !v.holds())
    }
}

fn per(count: u64, decisions: u64) -> f64 {
    if decisions == 0 {
        0.0
    } else {
        count as f64 / decisions as f64
    }
}

/// One protocol as the CLI and the comparison know it: what it is, where it comes from, the
/// faults it survives, how to run it, and, optionally, how `compare` runs it. Each protocol
/// module defines its entries as `pub static`s; [`crate::registry::PROTOCOLS`] lists them.
#[derive(Debug)]
pub struct ProtocolEntry {
    /// CLI name, lower-case with dashes, e.g. `paxos`; broken twins end in `-broken-…`.
    pub name: &'static str,
    /// One line: what the protocol does (`BROKEN on purpose: …` for a broken twin).
    pub description: &'static str,
    /// Where its rules come from: book or paper and section, e.g. `CGR 2011 Alg. 3.1`, or
    /// empty for a broken twin whose correct version cites it.
    pub source: &'static str,
    /// The faults it is meant to survive, e.g. `crash-stop, f < n/2; loss; partitions that heal`.
    pub fault_model: &'static str,
    /// Processes when `--n` is not given.
    pub default_n: usize,
    /// Whether it models Byzantine processes (accepts `--byzantine K`): its messages go
    /// through [`simulate_byzantine`] and its checkers judge only the correct processes.
    pub byzantine: bool,
    /// Simulate one run under a [`RunConfig`] and check it.
    pub run: fn(&RunConfig) -> RunReport,
    /// How `quarry-lab compare` runs it, or `None` if it is not compared.
    pub comparison: Option<Comparison>,
}

impl ProtocolEntry {
    /// Simulate one run under `config` and check it (calls [`ProtocolEntry::run`]).
    pub fn run(&self, config: &RunConfig) -> RunReport {
        (self.run)(config)
    }

    /// The description with its source, as `list` and reports print it.
    pub fn described(&self) -> String {
        if self.source.is_empty() {
            self.description.to_owned()
        } else {
            format!("{} ({})", self.description, self.source)
        }
    }
}

/// What kind of fault a compared protocol is built to tolerate: decides which scenarios of
/// `compare` apply to it and how many faults they inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FaultClass {
    /// Crash-stop / crash-recovery processes (Paxos family, Zab).
    Crash,
    /// Arbitrary (Byzantine) processes (PBFT, HotStuff).
    Byzantine,
    /// A share of the hash power (Nakamoto consensus): safety is probabilistic in k.
    HashPower,
}

/// One run of one protocol under one `compare` scenario.
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

/// Requests per run and their mean gap (µs) when a comparison scenario sets none: the
/// `steady` workload of `compare`.
pub const DEFAULT_LOAD: (Time, usize) = (3_000, 40);

impl Trial {
    /// The trial's config with its corrupted count (default strategy, `equivocate`) and, for
    /// the Byzantine experiments whose own default workloads are smaller, the [`DEFAULT_LOAD`].
    pub fn byzantine_config(&self) -> RunConfig {
        let workload = self.config.workload;
        RunConfig {
            adversary: AdversaryConfig { byzantine: self.byzantine, ..self.config.adversary },
            workload: WorkloadConfig {
                request_gap: workload.request_gap.or(Some(DEFAULT_LOAD.0)),
                requests: workload.requests.or(Some(DEFAULT_LOAD.1)),
            },
            ..self.config.clone()
        }
    }
}

/// How `compare` runs a protocol: its row in the table and how one trial runs.
#[derive(Debug, Clone, Copy)]
pub struct Comparison {
    /// Display name in the report, e.g. `Multi-Paxos`.
    pub name: &'static str,
    /// Paper and section, as the report cites it.
    pub source: &'static str,
    /// Row of the report's tables: rows are sorted by it, ascending.
    pub row: u32,
    /// The fault class it tolerates.
    pub class: FaultClass,
    /// The bound, in words (e.g. `n ≥ 2f + 1`).
    pub bound: &'static str,
    /// Processes needed to tolerate `f` faults (what the trials run with).
    pub nodes_for: fn(usize) -> usize,
    /// Run one trial.
    pub run: fn(&Trial) -> RunReport,
}

/// What [`simulate`] returns: the history, the counters, the trace and the end time.
pub struct Simulated<P: Protocol> {
    /// The recorded history.
    pub history: History<P::Request, P::Output>,
    /// Counters.
    pub metrics: Metrics,
    /// The trace (empty unless requested).
    pub trace: Vec<TraceLine>,
    /// Simulated time at the end, µs.
    pub end_time: Time,
}

/// The report of a single-value consensus run (Paxos, Fast Paxos, Vertical Paxos …): one line
/// per decision, latency from the first proposal to each process's first decision, and the
/// five consensus properties of [`crate::check::consensus::check`] over the history.
/// `proposal` and `decision` read the value out of the protocol's request and output.
pub fn consensus_report<P: Protocol>(
    config: &RunConfig,
    run: Simulated<P>,
    proposal: impl Fn(&P::Request) -> u64,
    decision: impl Fn(&P::Output) -> u64,
) -> RunReport {
    use crate::check::consensus::{self, ConsensusHistory};
    let history = ConsensusHistory {
        proposals: run.history.requests().map(|(_, node, r)| (node, proposal(r))).collect(),
        decisions: run.history.outputs().map(|(t, node, o)| (t, node, decision(o))).collect(),
        correct: config.correct(&run.history),
    };
    let firsts: std::collections::BTreeMap<NodeId, Time> =
        history.decisions.iter().rev().map(|(t, node, _)| (*node, *t)).collect();
    let outcomes =
        history.decisions.iter().map(|(t, node, v)| Outcome::decided(*t, *node, v)).collect();
    let verdicts = consensus::check(&history);
    run.report(config, outcomes, firsts.into_values(), verdicts)
}

impl<P: Protocol> Simulated<P> {
    /// The run's report: `outcomes` to print, one entry of `decision_times` per decision
    /// (simulated µs; latency is measured from the first request) and the checkers' `verdicts`.
    pub fn report(
        self,
        config: &RunConfig,
        outcomes: Vec<Outcome>,
        decision_times: impl IntoIterator<Item = Time>,
        verdicts: Vec<Verdict>,
    ) -> RunReport {
        let start = self.history.requests().map(|r| r.0).min().unwrap_or(0);
        let pairs: Vec<(Time, Time)> = decision_times.into_iter().map(|t| (start, t)).collect();
        self.report_pairs(config, outcomes, &pairs, verdicts)
    }

    /// The run's report when each decision has its own request: `pairs` of (request time,
    /// decision time), µs. Latency is per pair; see [`RunReport::from_pairs`].
    pub fn report_pairs(
        self,
        config: &RunConfig,
        outcomes: Vec<Outcome>,
        pairs: &[(Time, Time)],
        verdicts: Vec<Verdict>,
    ) -> RunReport {
        RunReport::from_pairs(
            config.seed,
            outcomes,
            pairs,
            self.metrics,
            self.end_time,
            verdicts,
            self.trace,
        )
    }
}

/// Run `factory`'s protocol under `config` with `workload` and the config's fault plan.
pub fn simulate<P: Protocol + 'static>(
    config: &RunConfig,
    factory: impl Fn(NodeId, usize) -> P + 'static,
    workload: Workload<P::Request>,
) -> Simulated<P> {
    let sim = Simulation::new(config.sim_config(), factory)
        .with_workload(workload)
        .with_faults(config.fault_plan());
    run_to_end(sim)
}

/// Run `factory`'s protocol under `config` like [`simulate`], with
/// `config.adversary.byzantine` of the first `config.n` processes corrupted and playing
/// `config.adversary.strategy`. The simulation has `processes ≥ config.n` processes: the ones from
/// `config.n` on are clients, never corrupted and never crashed by the fault plan.
pub fn simulate_byzantine<P>(
    config: &RunConfig,
    processes: usize,
    factory: impl Fn(NodeId, usize) -> P + 'static,
    workload: Workload<P::Request>,
) -> Simulated<P>
where
    P: Protocol + 'static,
    P::Message: Byzantine + 'static,
{
    simulate_byzantine_with_plan(config, config.adversary_plan(), processes, factory, workload)
}

/// [`simulate_byzantine`] with an explicit `plan`: for experiments whose clients (processes from
/// `config.n` on) must sit on a side too, e.g. readers a two-faced server lies to.
pub fn simulate_byzantine_with_plan<P>(
    config: &RunConfig,
    plan: AdversaryPlan,
    processes: usize,
    factory: impl Fn(NodeId, usize) -> P + 'static,
    workload: Workload<P::Request>,
) -> Simulated<P>
where
    P: Protocol + 'static,
    P::Message: Byzantine + 'static,
{
    let adversary = StrategyAdversary::new(config.adversary.strategy, &plan, config.n);
    let sim_config = crate::sim::SimConfig { n: processes, ..config.sim_config() };
    let sim = Simulation::new(sim_config, factory)
        .with_workload(workload)
        .with_faults(config.fault_plan())
        .with_adversary(plan.corrupted, Box::new(adversary));
    run_to_end(sim)
}

/// Run a prepared simulation until it stops and collect what it left behind.
pub fn run_to_end<P: Protocol>(mut sim: Simulation<P>) -> Simulated<P> {
    sim.run();
    Simulated {
        history: sim.history(),
        metrics: sim.metrics(),
        trace: sim.trace().to_vec(),
        end_time: sim.now(),
    }
}

/// Parse a latency spec: `const:MS`, `uniform:MIN-MAX`, `exp:MIN+MEAN`, `lognormal:MU,SIGMA`
/// (times in milliseconds; MU and SIGMA of ln(µs)).
///
/// # Errors
/// A message naming the bad spec.
pub fn parse_latency(spec: &str) -> Result<LatencyModel, String> {
    let bad = || {
        format!("bad latency {spec:?}: expected const:MS, uniform:MIN-MAX, exp:MIN+MEAN or lognormal:MU,SIGMA")
    };
    let ms = |t: &str| t.trim().parse::<f64>().map(|v| (v * 1000.0) as Time).map_err(|_| bad());
    let (kind, args) = spec.split_once(':').ok_or_else(bad)?;
    match kind {
        "const" => Ok(LatencyModel::Constant(ms(args)?)),
        "uniform" => {
            let (a, b) = args.split_once('-').ok_or_else(bad)?;
            Ok(LatencyModel::Uniform { min: ms(a)?, max: ms(b)? })
        }
        "exp" => {
            let (a, b) = args.split_once('+').ok_or_else(bad)?;
            Ok(LatencyModel::Exponential { min: ms(a)?, mean: ms(b)? })
        }
        "lognormal" => {
            let (a, b) = args.split_once(',').ok_or_else(bad)?;
            let f = |t: &str| t.trim().parse::<f64>().map_err(|_| bad());
            Ok(LatencyModel::LogNormal { mu: f(a)?, sigma: f(b)? })
        }
        _ => Err(bad()),
    }
}

/// Format µs as milliseconds with one decimal, for reports.
pub fn ms(t: Time) -> String {
    format!("{:.1} ms", t as f64 / 1000.0)
}
