//! The PBFT experiments the CLI runs (`pbft`, `pbft-broken-quorum`) and their checkers.
//!
//! A run: n replicas (ids `0..n`, `config.adversary.byzantine` of them corrupted) and one client (id n)
//! that issues [`REQUESTS`] requests (or `config.workload.requests`) one at a time. Checked over the correct replicas only:
//! the SMR log properties ([`crate::check::smr`]) of their executed sequence numbers, and at the
//! client **reply validity** (safety: every result the client accepted is the one the correct
//! replicas computed for that request, Castro & Liskov OSDI'99 §4.1 "f+1 replies with the same
//! result … at least one correct") and **client termination** (liveness: every request got its
//! f+1 matching replies within the run).

use std::collections::BTreeMap;

use super::{Flaw, Pbft, PbftOutput};

use crate::check::smr::{self, SmrHistory};
use crate::check::Verdict;
use crate::harness::{
    simulate_byzantine, Comparison, FaultClass, Outcome, ProtocolEntry, RunConfig, RunReport,
};
use crate::protocol::NodeId;
use crate::sim::{Streams, Workload};

/// Requests the client issues per run.
pub const REQUESTS: usize = 8;

/// Run PBFT with `flaw` under `config`: the client gets its [`REQUESTS`] operations (or
/// `config.workload.requests`) at open-loop times (mean gap 5 ms or `config.workload.request_gap`, workload stream)
/// and sends each after the previous one completed.
pub fn run_pbft(flaw: Flaw, config: &RunConfig) -> RunReport {
    let n = config.n;
    let mut rng = Streams::new(config.seed).workload;
    let (gap, count) = (
        config.workload.request_gap.unwrap_or(5_000),
        config.workload.requests.unwrap_or(REQUESTS),
    );
    let mut workload = Workload::open_loop(&mut rng, 1, 0, gap, count, |i, _| i as u64 + 1);
    for r in &mut workload.requests {
        r.node = n;
    }
    let run = simulate_byzantine(config, n + 1, move |me, _| Pbft::new(me, n, flaw), workload);
    let correct: std::collections::BTreeSet<NodeId> =
        config.correct(&run.history).into_iter().filter(|&p| p < n).collect();
    let mut log = SmrHistory { commits: Vec::new(), correct };
    let mut computed: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    let (mut outcomes, mut completions) = (Vec::new(), Vec::new());
    for (time, node, output) in run.history.outputs() {
        match output {
            PbftOutput::Execute { seq, request, result } if log.correct.contains(&node) => {
                log.commits.push((time, node, *seq - 1, *request));
                if let Some((_, timestamp)) = request {
                    computed.entry(*timestamp).or_default().push(*result);
                }
            }
            PbftOutput::Execute { .. } => {}
            PbftOutput::Complete { timestamp, result } => {
                let event = format!("accepted result {result:#x} for request {timestamp}");
                outcomes.push(Outcome::output(time, node, event));
                completions.push((time, *timestamp, *result));
            }
        }
    }
    let mut verdicts = smr::check(&log);
    let invalid = completions.iter().find_map(|(_, timestamp, result)| {
        let honest = computed.get(timestamp);
        (!honest.is_some_and(|r| r.contains(result))).then(|| {
            format!(
                "client accepted {result:#x} for request {timestamp}; correct replicas computed {:x?}",
                honest.cloned().unwrap_or_default()
            )
        })
    });
    verdicts.push(Verdict::safety("reply validity", invalid));
    let done = completions.len();
    verdicts.push(Verdict::liveness(
        "client termination",
        (done < count).then(|| format!("the client completed {done} of {count} requests")),
    ));
    let times = completions.iter().map(|c| c.0);
    run.report(config, outcomes, times, verdicts)
}

const PBFT_FAULTS: &str = "Byzantine f < n/3 (--byzantine f, any --strategy); reliable links with \
                           any latency, duplication, reordering; no loss or partitions";

/// `pbft`: correct PBFT.
pub static PBFT: ProtocolEntry = ProtocolEntry {
    name: "pbft",
    description: "PBFT: pre-prepare/prepare/commit, checkpoints, view change, f+1 client replies",
    source: "Castro & Liskov OSDI'99 §4; TOCS 2002",
    fault_model: PBFT_FAULTS,
    default_n: 4,
    byzantine: true,
    run: |config| run_pbft(Flaw::None, config),
    comparison: Some(Comparison {
        name: "PBFT",
        source: "Castro & Liskov, OSDI 1999 §4",
        row: 60,
        class: FaultClass::Byzantine,
        bound: "n ≥ 3f + 1",
        nodes_for: |f| 3 * f + 1,
        run: |t| run_pbft(Flaw::None, &t.byzantine_config()),
    }),
};

/// `pbft-broken-quorum`: every quorum one smaller (2f−1 prepares, 2f commits).
pub static BROKEN_PBFT_SMALL_QUORUM: ProtocolEntry = ProtocolEntry {
    name: "pbft-broken-quorum",
    description:
        "BROKEN on purpose: PBFT with every quorum one smaller (2f prepares → 2f−1, 2f+1 → 2f)",
    source: "",
    fault_model: PBFT_FAULTS,
    default_n: 4,
    byzantine: true,
    run: |config| run_pbft(Flaw::SmallQuorum, config),
    comparison: None,
};
