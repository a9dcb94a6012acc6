//! The `epaxos` experiments: EPaxos replicas serving a KV workload with conflicting keys,
//! checked for execution consistency ([`conflict_order::check`]).

use std::collections::BTreeMap;

use super::{Command, EPaxos, Flaw};
use crate::check::conflict_order::{self, ExecutionHistory};
use crate::harness::{
    simulate, Comparison, FaultClass, Outcome, ProtocolEntry, RunConfig, RunReport,
};
use crate::protocol::{NodeId, Time};
use crate::sim::{Streams, Workload};

/// Keys of the KV workload: few, so that commands interfere often.
pub const KEYS: u64 = 3;
/// Commands per run.
pub const COMMANDS: usize = 40;

/// Run EPaxos with `flaw` under `config` (crash-stop only: `recover_after` is ignored):
/// [`COMMANDS`] KV commands (Put/Get, 50/50, on [`KEYS`] keys) to random replicas at exponential
/// gaps of mean 1 ms (or `config.workload.requests`, `config.workload.request_gap`); checks execution consistency ([`conflict_order::check`]).
pub fn run_kv(flaw: Flaw, config: &RunConfig) -> RunReport {
    use rand::Rng;
    let mut config = config.clone();
    config.faults.recover_after = None;
    let mut rng = Streams::new(config.seed).workload;
    let (gap, count) = (
        config.workload.request_gap.unwrap_or(1_000),
        config.workload.requests.unwrap_or(COMMANDS),
    );
    let workload = Workload::open_loop(&mut rng, config.n, 0, gap, count, |i, rng| {
        let (id, key) = (i as u64, rng.random_range(0..KEYS));
        if rng.random_bool(0.5) {
            Command::Put { id, key, value: 1_000 + id }
        } else {
            Command::Get { id, key }
        }
    });
    let run = simulate(&config, move |_, _| EPaxos::new(flaw), workload);
    let entry = |node: NodeId, cmd: &Command| Some((node, cmd.id()?, cmd.key()?));
    let history = ExecutionHistory {
        submitted: run.history.requests().filter_map(|(_, node, c)| entry(node, c)).collect(),
        executed: run.history.outputs().filter_map(|(_, node, e)| entry(node, &e.cmd)).collect(),
        correct: config.correct(&run.history),
    };
    let mut outcomes = Vec::new();
    let submitted_at: BTreeMap<u64, Time> =
        run.history.requests().filter_map(|(t, _, c)| Some((c.id()?, t))).collect();
    let mut first_execution: BTreeMap<u64, Time> = BTreeMap::new();
    for (t, node, e) in run.history.outputs() {
        let result = e.result.map_or(String::new(), |v| format!(" → {v}"));
        outcomes.push(Outcome::output(t, node, format!("executed {:?}{result}", e.cmd)));
        if let Some(id) = e.cmd.id() {
            first_execution.entry(id).or_insert(t);
        }
    }
    // Latency per command: submission → its first execution at any replica.
    let pairs: Vec<(Time, Time)> =
        first_execution.iter().filter_map(|(id, t)| Some((*submitted_at.get(id)?, *t))).collect();
    run.report_pairs(&config, outcomes, &pairs, conflict_order::check(&history))
}

const EPAXOS_FAULTS: &str = "crash-stop of f < n/2 (no stable storage: recoveries are ignored); \
     loss, duplication, reordering; partitions that heal";

/// `epaxos`: correct EPaxos on a KV workload.
pub static EPAXOS: ProtocolEntry = ProtocolEntry {
    name: "epaxos",
    description: "Egalitarian Paxos on a KV store",
    source: "Moraru, Andersen, Kaminsky, SOSP 2013, §4",
    fault_model: EPAXOS_FAULTS,
    default_n: 5,
    byzantine: false,
    run: |config| run_kv(Flaw::None, config),
    comparison: Some(Comparison {
        name: "EPaxos",
        source: "Moraru, Andersen, Kaminsky, SOSP 2013",
        row: 30,
        class: FaultClass::Crash,
        bound: "n ≥ 2f + 1",
        nodes_for: |f| 2 * f + 1,
        run: |t| run_kv(Flaw::None, &t.config),
    }),
};

/// `epaxos-broken-fast-path`: the fast path ignores disagreeing deps.
pub static BROKEN_EPAXOS_IGNORE_DEPS: ProtocolEntry = ProtocolEntry {
    name: "epaxos-broken-fast-path",
    description: "BROKEN on purpose: EPaxos whose fast path ignores replicas' extra deps",
    source: "",
    fault_model: EPAXOS_FAULTS,
    default_n: 5,
    byzantine: false,
    run: |config| run_kv(Flaw::FastPathIgnoresDeps, config),
    comparison: None,
};
