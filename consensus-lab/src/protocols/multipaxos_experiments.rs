//! The Multi-Paxos experiments the CLI runs: total-order broadcast, the replicated KV store,
//! and the two broken variants.

use super::{Flaw, MultiPaxos};
use crate::harness::{Experiment, RunConfig, RunReport};
use crate::protocols::smr_kv::{run_smr, KvStore, TobLog};

/// The fault model Multi-Paxos is meant to survive.
pub const MULTIPAXOS_FAULTS: &str =
    "crash-stop or crash-recovery of f < n/2; loss, duplication, reordering; partitions that heal";

/// `multipaxos`: total-order broadcast of 40 payloads from Multi-Paxos; checks the SMR log
/// properties and total order broadcast (CGR Module 6.1).
pub struct MultiPaxosTob;
/// `multipaxos-kv`: a replicated key-value store on Multi-Paxos; adds linearizability.
pub struct MultiPaxosKv;
/// `multipaxos-broken-no-phase1`: a new leader proposes without running phase 1.
pub struct BrokenMultiPaxosNoPhase1;
/// `multipaxos-broken-quorum`: quorums of ⌊n/2⌋.
pub struct BrokenMultiPaxosQuorum;

impl Experiment for MultiPaxosTob {
    fn name(&self) -> &'static str {
        "multipaxos"
    }
    fn description(&self) -> &'static str {
        "Multi-Paxos total-order broadcast (Lamport 2001 §3; van Renesse & Altinbuken 2015 §3)"
    }
    fn fault_model(&self) -> &'static str {
        MULTIPAXOS_FAULTS
    }
    fn default_n(&self) -> usize {
        5
    }
    fn run(&self, config: &RunConfig) -> RunReport {
        run_smr::<TobLog, _>(config, |_, _| MultiPaxos::<TobLog>::new(Flaw::None))
    }
}

impl Experiment for MultiPaxosKv {
    fn name(&self) -> &'static str {
        "multipaxos-kv"
    }
    fn description(&self) -> &'static str {
        "replicated KV store (put/get/cas) on Multi-Paxos SMR, linearizability-checked \
         (Schneider 1990 §3; van Renesse & Altinbuken 2015)"
    }
    fn fault_model(&self) -> &'static str {
        MULTIPAXOS_FAULTS
    }
    fn default_n(&self) -> usize {
        5
    }
    fn run(&self, config: &RunConfig) -> RunReport {
        run_smr::<KvStore, _>(config, |_, _| MultiPaxos::<KvStore>::new(Flaw::None))
    }
}

impl Experiment for BrokenMultiPaxosNoPhase1 {
    fn name(&self) -> &'static str {
        "multipaxos-broken-no-phase1"
    }
    fn description(&self) -> &'static str {
        "BROKEN on purpose: Multi-Paxos KV whose new leader skips phase 1"
    }
    fn fault_model(&self) -> &'static str {
        MULTIPAXOS_FAULTS
    }
    fn default_n(&self) -> usize {
        5
    }
    fn run(&self, config: &RunConfig) -> RunReport {
        run_smr::<KvStore, _>(config, |_, _| MultiPaxos::<KvStore>::new(Flaw::SkipPhase1))
    }
}

impl Experiment for BrokenMultiPaxosQuorum {
    fn name(&self) -> &'static str {
        "multipaxos-broken-quorum"
    }
    fn description(&self) -> &'static str {
        "BROKEN on purpose: Multi-Paxos KV with quorums of n/2 (two quorums may not intersect)"
    }
    fn fault_model(&self) -> &'static str {
        MULTIPAXOS_FAULTS
    }
    fn default_n(&self) -> usize {
        4
    }
    fn run(&self, config: &RunConfig) -> RunReport {
        run_smr::<KvStore, _>(config, |_, _| MultiPaxos::<KvStore>::new(Flaw::MinorityQuorum))
    }
}
