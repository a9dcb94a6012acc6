//! The HotStuff experiments the CLI runs (`hotstuff`, `hotstuff-broken-quorum`).
//!
//! A run: n replicas, `config.adversary.byzantine` of them corrupted; every replica receives the same
//! [`COMMANDS`] client commands (or `config.workload.requests`), one every 2 ms (or every
//! `config.workload.request_gap` µs). Checked over the correct replicas: the SMR log
//! properties of their committed heights (safety: log agreement and order; liveness: log
//! completeness), and **termination** (liveness: every command committed by every correct
//! replica within the run). One decision = one client command committed by some correct replica
//! (no-ops and commands made up by equivocating leaders are checked for agreement, not counted).
//! No-op nodes committed above the last real command fill no gap and are not judged.

use std::collections::{BTreeMap, BTreeSet};

use super::{Flaw, HotStuff};

use crate::check::smr::{self, SmrHistory};
use crate::check::Verdict;
use crate::harness::{
    simulate_byzantine, Comparison, FaultClass, Outcome, ProtocolEntry, RunConfig, RunReport,
};
use crate::protocol::{NodeId, Time};
use crate::sim::Workload;

/// Client commands per run.
pub const COMMANDS: u64 = 8;

/// Run Basic HotStuff with `flaw` under `config` and check it.
pub fn run_hotstuff(flaw: Flaw, config: &RunConfig) -> RunReport {
    let n = config.n;
    let count = config.workload.requests.map_or(COMMANDS, |r| r as u64);
    let gap = config.workload.request_gap.unwrap_or(2_000);
    let requests = (1..=count).flat_map(|cmd| (0..n).map(move |node| (cmd * gap, node, 100 + cmd)));
    let workload = Workload::scripted(requests);
    let run = simulate_byzantine(config, n, move |me, n| HotStuff::new(me, n, flaw), workload);
    let correct = config.correct(&run.history);
    let mut log = SmrHistory { commits: Vec::new(), correct: correct.clone() };
    // Client command → first time a correct replica committed it.
    let mut first: BTreeMap<u64, Time> = BTreeMap::new();
    let client_cmds = 101..=100 + count;
    let mut done: BTreeMap<NodeId, BTreeSet<u64>> = BTreeMap::new();
    let mut outcomes = Vec::new();
    // No-ops above the last real command fill no gap; nobody needs them (not judged).
    let last_real = run
        .history
        .outputs()
        .filter(|(_, p, c)| correct.contains(p) && c.cmd != super::NOOP)
        .map(|(_, _, c)| c.height)
        .max()
        .unwrap_or(0);
    for (time, node, c) in
        run.history.outputs().filter(|(_, p, c)| correct.contains(p) && c.height <= last_real)
    {
        log.commits.push((time, node, c.height - 1, c.cmd));
        if !client_cmds.contains(&c.cmd) {
            continue; // a no-op, or a command the adversary made up
        }
        done.entry(node).or_default().insert(c.cmd);
        if first.insert(c.cmd, time).is_none() {
            outcomes.push(Outcome::output(
                time,
                node,
                format!("committed {} at height {}", c.cmd, c.height),
            ));
        }
    }
    let mut verdicts = smr::check(&log);
    let missing = correct.iter().find_map(|p| {
        let got = done.get(p).map_or(0, BTreeSet::len) as u64;
        (got < count).then(|| format!("correct replica {p} committed {got} of {count} commands"))
    });
    verdicts.push(Verdict::liveness("termination", missing));
    run.report(config, outcomes, first.into_values(), verdicts)
}

const HOTSTUFF_FAULTS: &str = "Byzantine f < n/3 (--byzantine f, any --strategy); reliable links \
                               with any latency, duplication, reordering; no loss or partitions";

/// `hotstuff`: Basic HotStuff.
pub static HOTSTUFF: ProtocolEntry = ProtocolEntry {
    name: "hotstuff",
    description: "Basic HotStuff, three-phase with linear views",
    source: "Yin et al. PODC 2019, §4, Algorithm 2",
    fault_model: HOTSTUFF_FAULTS,
    default_n: 4,
    byzantine: true,
    run: |config| run_hotstuff(Flaw::None, config),
    comparison: Some(Comparison {
        name: "HotStuff",
        source: "Yin et al., PODC 2019 §4 (Basic HotStuff)",
        row: 70,
        class: FaultClass::Byzantine,
        bound: "n ≥ 3f + 1",
        nodes_for: |f| 3 * f + 1,
        run: |t| run_hotstuff(Flaw::None, &t.byzantine_config()),
    }),
};

/// `hotstuff-broken-quorum`: QCs of n−f−1 votes.
pub static BROKEN_HOTSTUFF_SMALL_QUORUM: ProtocolEntry = ProtocolEntry {
    name: "hotstuff-broken-quorum",
    description: "BROKEN on purpose: Basic HotStuff with quorum certificates of n−f−1 votes",
    source: "",
    fault_model: HOTSTUFF_FAULTS,
    default_n: 4,
    byzantine: true,
    run: |config| run_hotstuff(Flaw::SmallQuorum, config),
    comparison: None,
};
