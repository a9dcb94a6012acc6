//! The Zab experiments the CLI runs: primary-order atomic broadcast, the replicated KV store,
//! and the broken variant that broadcasts before synchronization.

use super::{Flaw, Zab};
use crate::harness::{Experiment, RunConfig, RunReport};
use crate::protocols::smr_kv::{run_smr, KvStore, TobLog};

/// The fault model Zab is meant to survive.
pub const ZAB_FAULTS: &str =
    "crash-stop or crash-recovery of f < n/2; loss, duplication, reordering; partitions that heal";

/// `zab`: atomic broadcast of 40 payloads; checks the SMR log properties, total order
/// broadcast and primary order.
pub struct ZabTob;
/// `zab-kv`: a replicated key-value store on Zab; adds linearizability.
pub struct ZabKv;
/// `zab-broken-no-sync`: a new leader broadcasts before synchronization.
pub struct BrokenZabNoSync;

impl Experiment for ZabTob {
    fn name(&self) -> &'static str {
        "zab"
    }
    fn description(&self) -> &'static str {
        "Zab atomic broadcast (Junqueira, Reed, Serafini, DSN 2011, §IV)"
    }
    fn fault_model(&self) -> &'static str {
        ZAB_FAULTS
    }
    fn default_n(&self) -> usize {
        5
    }
    fn run(&self, config: &RunConfig) -> RunReport {
        run_smr::<TobLog, _>(config, |_, _| Zab::<TobLog>::new(Flaw::None))
    }
}

impl Experiment for ZabKv {
    fn name(&self) -> &'static str {
        "zab-kv"
    }
    fn description(&self) -> &'static str {
        "replicated KV store (put/get/cas) on Zab, linearizability-checked (DSN 2011 §IV)"
    }
    fn fault_model(&self) -> &'static str {
        ZAB_FAULTS
    }
    fn default_n(&self) -> usize {
        5
    }
    fn run(&self, config: &RunConfig) -> RunReport {
        run_smr::<KvStore, _>(config, |_, _| Zab::<KvStore>::new(Flaw::None))
    }
}

impl Experiment for BrokenZabNoSync {
    fn name(&self) -> &'static str {
        "zab-broken-no-sync"
    }
    fn description(&self) -> &'static str {
        "BROKEN on purpose: Zab KV whose new leader broadcasts before synchronization"
    }
    fn fault_model(&self) -> &'static str {
        ZAB_FAULTS
    }
    fn default_n(&self) -> usize {
        5
    }
    fn run(&self, config: &RunConfig) -> RunReport {
        run_smr::<KvStore, _>(config, |_, _| Zab::<KvStore>::new(Flaw::BroadcastBeforeSync))
    }
}
