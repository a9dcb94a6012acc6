//! The Zab experiments the CLI runs: primary-order atomic broadcast, the replicated KV store,
//! and the broken variant that broadcasts before synchronization.

use super::{Flaw, Zab};
use crate::harness::{Comparison, FaultClass, ProtocolEntry, RunConfig, RunReport};
use crate::protocols::consensus::smr_kv::{run_smr, KvStore, TobLog};

/// The fault model Zab is meant to survive.
pub const ZAB_FAULTS: &str =
    "crash-stop or crash-recovery of f < n/2; loss, duplication, reordering; partitions that heal";

/// `zab`: atomic broadcast of 40 payloads; checks the SMR log properties, total order
/// broadcast and primary order.
pub static ZAB_TOB: ProtocolEntry = ProtocolEntry {
    name: "zab",
    description: "Zab atomic broadcast",
    source: "Junqueira, Reed, Serafini, DSN 2011, §IV",
    fault_model: ZAB_FAULTS,
    default_n: 5,
    byzantine: false,
    run: |config| run_smr::<TobLog, _>(config, |_, _| Zab::<TobLog>::new(Flaw::None)),
    comparison: Some(Comparison {
        name: "Zab",
        source: "Junqueira, Reed, Serafini, DSN 2011",
        row: 20,
        class: FaultClass::Crash,
        bound: "n ≥ 2f + 1",
        nodes_for: |f| 2 * f + 1,
        run: |t| run_smr::<TobLog, _>(&t.config, |_, _| Zab::<TobLog>::new(Flaw::None)),
    }),
};

/// `zab-kv`: a replicated key-value store on Zab; adds linearizability.
pub static ZAB_KV: ProtocolEntry = ProtocolEntry {
    name: "zab-kv",
    description: "replicated KV store (put/get/cas) on Zab, linearizability-checked",
    source: "DSN 2011 §IV",
    fault_model: ZAB_FAULTS,
    default_n: 5,
    byzantine: false,
    run: |config| run_smr::<KvStore, _>(config, |_, _| Zab::<KvStore>::new(Flaw::None)),
    comparison: None,
};

/// `zab-broken-no-sync`: a new leader broadcasts before synchronization.
pub static BROKEN_ZAB_NO_SYNC: ProtocolEntry = ProtocolEntry {
    name: "zab-broken-no-sync",
    description: "BROKEN on purpose: Zab KV whose new leader broadcasts before synchronization",
    source: "",
    fault_model: ZAB_FAULTS,
    default_n: 5,
    byzantine: false,
    run: run_broken_zab_no_sync,
    comparison: None,
};

fn run_broken_zab_no_sync(config: &RunConfig) -> RunReport {
    run_smr::<KvStore, _>(config, |_, _| Zab::<KvStore>::new(Flaw::BroadcastBeforeSync))
}
