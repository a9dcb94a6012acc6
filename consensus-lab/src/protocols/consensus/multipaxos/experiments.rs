//! The Multi-Paxos experiments the CLI runs: total-order broadcast, the replicated KV store,
//! and the two broken variants.

use super::{Flaw, MultiPaxos};
use crate::harness::{Comparison, FaultClass, ProtocolEntry, RunConfig, RunReport};
use crate::protocols::consensus::smr_kv::{run_smr, KvStore, TobLog};

/// The fault model Multi-Paxos is meant to survive.
pub const MULTIPAXOS_FAULTS: &str =
    "crash-stop or crash-recovery of f < n/2; loss, duplication, reordering; partitions that heal";

/// `multipaxos`: total-order broadcast of 40 payloads from Multi-Paxos; checks the SMR log
/// properties and total order broadcast (CGR Module 6.1).
pub static MULTIPAXOS_TOB: ProtocolEntry = ProtocolEntry {
    name: "multipaxos",
    description: "Multi-Paxos total-order broadcast",
    source: "Lamport 2001 §3; van Renesse & Altinbuken 2015 §3",
    fault_model: MULTIPAXOS_FAULTS,
    default_n: 5,
    byzantine: false,
    run: run_multipaxos_tob,
    comparison: Some(Comparison {
        name: "Multi-Paxos",
        source: "Lamport 2001 §3; van Renesse & Altinbuken 2015",
        row: 10,
        class: FaultClass::Crash,
        bound: "n ≥ 2f + 1",
        nodes_for: |f| 2 * f + 1,
        run: |t| run_multipaxos_tob(&t.config),
    }),
};

fn run_multipaxos_tob(config: &RunConfig) -> RunReport {
    run_smr::<TobLog, _>(config, |_, _| MultiPaxos::<TobLog>::new(Flaw::None))
}

/// `multipaxos-kv`: a replicated key-value store on Multi-Paxos; adds linearizability.
pub static MULTIPAXOS_KV: ProtocolEntry = ProtocolEntry {
    name: "multipaxos-kv",
    description: "replicated KV store (put/get/cas) on Multi-Paxos SMR, linearizability-checked",
    source: "Schneider 1990 §3; van Renesse & Altinbuken 2015",
    fault_model: MULTIPAXOS_FAULTS,
    default_n: 5,
    byzantine: false,
    run: run_multipaxos_kv,
    comparison: None,
};

fn run_multipaxos_kv(config: &RunConfig) -> RunReport {
    run_smr::<KvStore, _>(config, |_, _| MultiPaxos::<KvStore>::new(Flaw::None))
}

/// `multipaxos-broken-no-phase1`: a new leader proposes without running phase 1.
pub static BROKEN_MULTIPAXOS_NO_PHASE1: ProtocolEntry = ProtocolEntry {
    name: "multipaxos-broken-no-phase1",
    description: "BROKEN on purpose: Multi-Paxos KV whose new leader skips phase 1",
    source: "",
    fault_model: MULTIPAXOS_FAULTS,
    default_n: 5,
    byzantine: false,
    run: run_broken_multipaxos_no_phase1,
    comparison: None,
};

fn run_broken_multipaxos_no_phase1(config: &RunConfig) -> RunReport {
    run_smr::<KvStore, _>(config, |_, _| MultiPaxos::<KvStore>::new(Flaw::SkipPhase1))
}

/// `multipaxos-broken-quorum`: quorums of ⌊n/2⌋.
pub static BROKEN_MULTIPAXOS_QUORUM: ProtocolEntry = ProtocolEntry {
    name: "multipaxos-broken-quorum",
    description:
        "BROKEN on purpose: Multi-Paxos KV with quorums of n/2 (two quorums may not intersect)",
    source: "",
    fault_model: MULTIPAXOS_FAULTS,
    default_n: 4,
    byzantine: false,
    run: run_broken_multipaxos_quorum,
    comparison: None,
};

fn run_broken_multipaxos_quorum(config: &RunConfig) -> RunReport {
    run_smr::<KvStore, _>(config, |_, _| MultiPaxos::<KvStore>::new(Flaw::MinorityQuorum))
}
