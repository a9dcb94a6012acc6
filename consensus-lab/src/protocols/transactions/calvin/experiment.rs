//! The Calvin experiments: the workload, the checkers over the replicas' histories, and the
//! CLI entries (`calvin` and its two broken twins).
//!
//! Checked, over the correct replicas (never crashed):
//! - **same sequence** (safety): any two replicas' input sequences are prefixes of one another;
//! - **replica agreement** (safety): a transaction two replicas executed read the same versions
//!   and wrote the same values at both, and every key's versions were installed in the same
//!   order (one a prefix of the other);
//! - **serializability** (safety): each replica's committed history has an acyclic direct
//!   serialization graph ([`serializability::find_cycle`], Adya 1999 PL-3);
//! - **sequence order** (safety): each replica's history is the serial execution of its own
//!   sequence (Calvin's guarantee, §3.2: equivalent to the predetermined serial order), checked
//!   by replaying the sequence on a fresh store;
//! - **every transaction executes** (liveness): every transaction submitted to a correct
//!   process, and every one some correct replica executed, is executed by every correct replica.

use std::collections::{BTreeMap, BTreeSet};

use rand::Rng;

use super::{Calvin, Execution, Flaw, Output, Txn, Version};
use crate::check::serializability::{self, CommittedTxn, Key, TxnHistory, TxnId, INITIAL};
use crate::check::Verdict;
use crate::harness::{simulate, Outcome, ProtocolEntry, RunConfig, RunReport};
use crate::protocol::{NodeId, Time};
use crate::sim::{HistoryEvent, Streams, Workload};

/// Keys of the store.
pub const KEYS: Key = 6;
/// Transactions per run when `--requests` is not given.
pub const TXNS: usize = 40;
/// Mean gap between transactions when `--request-gap` is not given, µs.
pub const TXN_GAP: Time = 1_500;

/// `count` transactions, open loop from 1 ms, `gap` µs apart on average, each to a random
/// sequencer; each reads 1–2 and writes 1–2 random keys of [`KEYS`]. Ids are 1, 2, ….
pub fn workload(config: &RunConfig) -> Workload<Txn> {
    let mut rng = Streams::new(config.seed).workload;
    let count = config.workload.requests.unwrap_or(TXNS);
    let gap = config.workload.request_gap.unwrap_or(TXN_GAP);
    Workload::open_loop(&mut rng, config.n, 1_000, gap, count, |i, rng| {
        let keys = |rng: &mut rand_chacha::ChaCha8Rng| -> BTreeSet<Key> {
            (0..rng.random_range(1..=2)).map(|_| rng.random_range(0..KEYS)).collect()
        };
        let reads = keys(rng);
        Txn { id: i as TxnId + 1, reads, writes: keys(rng) }
    })
}

/// One replica's view of a run: its sequence and its executions in completion order.
#[derive(Debug, Clone, Default)]
struct ReplicaLog {
    sequence: Vec<TxnId>,
    executions: Vec<(Time, Execution)>,
}

impl ReplicaLog {
    /// Per key, the writers of its versions in install order.
    fn version_order(&self) -> BTreeMap<Key, Vec<TxnId>> {
        let mut order: BTreeMap<Key, Vec<TxnId>> = BTreeMap::new();
        for (_, e) in &self.executions {
            for &k in e.writes.keys() {
                order.entry(k).or_default().push(e.txn);
            }
        }
        order
    }

    fn history(&self) -> TxnHistory {
        let committed = self
            .executions
            .iter()
            .map(|(_, e)| CommittedTxn {
                id: e.txn,
                reads: e.reads.iter().map(|(k, (w, _))| (*k, *w)).collect(),
                writes: e.writes.keys().copied().collect(),
            })
            .collect();
        TxnHistory { committed, version_order: self.version_order() }
    }
}

fn is_prefix<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

/// The first difference between two replicas' executions or version orders.
fn disagreement(p: NodeId, a: &ReplicaLog, q: NodeId, b: &ReplicaLog) -> Option<String> {
    let theirs: BTreeMap<TxnId, &Execution> =
        b.executions.iter().map(|(_, e)| (e.txn, e)).collect();
    for (_, e) in &a.executions {
        if let Some(f) = theirs.get(&e.txn).filter(|f| **f != e) {
            return Some(format!(
                "T{} executed differently: replica {p} {e:?}, replica {q} {f:?}",
                e.txn
            ));
        }
    }
    let (va, vb) = (a.version_order(), b.version_order());
    va.iter().find_map(|(k, wa)| {
        let wb = vb.get(k).map_or(&[][..], Vec::as_slice);
        (!is_prefix(wa, wb))
            .then(|| format!("key {k}: replica {p} installed versions {wa:?}, replica {q} {wb:?}"))
    })
}

/// Replay `sequence` serially on a fresh store; the first executed transaction whose reads or
/// writes differ from that serial execution.
fn serial_mismatch(log: &ReplicaLog, txns: &BTreeMap<TxnId, Txn>) -> Option<String> {
    let executed: BTreeMap<TxnId, &Execution> =
        log.executions.iter().map(|(_, e)| (e.txn, e)).collect();
    let mut store: BTreeMap<Key, Version> = BTreeMap::new();
    for id in &log.sequence {
        let txn = txns.get(id)?;
        let reads: BTreeMap<Key, Version> =
            txn.reads.iter().map(|k| (*k, store.get(k).copied().unwrap_or((INITIAL, 0)))).collect();
        let value = txn.value(reads.values().map(|r| r.1));
        let writes: BTreeMap<Key, i64> = txn.writes.iter().map(|k| (*k, value)).collect();
        let serial = Execution { txn: *id, reads, writes };
        match executed.get(id) {
            Some(e) if **e != serial => {
                return Some(format!("T{id} {e:?}; the serial execution gives {serial:?}"))
            }
            // Not executed yet: later ones may not depend on it, but the replay cannot tell.
            None => return None,
            Some(_) => {}
        }
        for (k, v) in &serial.writes {
            store.insert(*k, (*id, *v));
        }
    }
    None
}

/// The verdicts of one run (see the module doc) over the correct replicas' `logs`; `submitted`
/// are the transactions accepted by correct processes.
fn check(
    logs: &BTreeMap<NodeId, ReplicaLog>,
    txns: &BTreeMap<TxnId, Txn>,
    submitted: &BTreeSet<TxnId>,
) -> Vec<Verdict> {
    type Replica<'a> = (NodeId, &'a ReplicaLog);
    let pairs: Vec<(Replica, Replica)> = logs
        .iter()
        .flat_map(|a| logs.range(a.0 + 1..).map(move |b| ((*a.0, a.1), (*b.0, b.1))))
        .collect();
    let sequence = pairs.iter().find_map(|((p, a), (q, b))| {
        (!is_prefix(&a.sequence, &b.sequence)).then(|| {
            let at = a.sequence.iter().zip(&b.sequence).position(|(x, y)| x != y).unwrap_or(0);
            format!(
                "at position {at} replica {p} sequenced T{}, replica {q} T{}",
                a.sequence[at], b.sequence[at]
            )
        })
    });
    let agreement = pairs.iter().find_map(|((p, a), (q, b))| disagreement(*p, a, *q, b));
    let cycle = logs.iter().find_map(|(p, log)| {
        serializability::find_cycle(&log.history()).map(|c| format!("replica {p}: {c}"))
    });
    let serial = logs
        .iter()
        .find_map(|(p, log)| serial_mismatch(log, txns).map(|m| format!("replica {p}: {m}")));
    let mut wanted = submitted.clone();
    for log in logs.values() {
        wanted.extend(log.executions.iter().map(|(_, e)| e.txn));
    }
    let missing = logs.iter().find_map(|(p, log)| {
        let done: BTreeSet<TxnId> = log.executions.iter().map(|(_, e)| e.txn).collect();
        let missing: Vec<&TxnId> = wanted.difference(&done).collect();
        (!missing.is_empty()).then(|| format!("replica {p} never executed {missing:?}"))
    });
    vec![
        Verdict::safety("same sequence", sequence),
        Verdict::safety("replica agreement", agreement),
        Verdict::safety("serializability", cycle),
        Verdict::safety("sequence order", serial),
        Verdict::liveness("every transaction executes", missing),
    ]
}

/// Run Calvin with `flaw` under `config` on [`workload`] and check it. Latency of a
/// transaction: from its submission to its execution at the process it was submitted to.
pub fn run_calvin(flaw: Flaw, config: &RunConfig) -> RunReport {
    let seed = config.seed;
    let run = simulate(config, move |_, _| Calvin::new(flaw, seed), workload(config));
    let correct = config.correct(&run.history);
    let mut logs: BTreeMap<NodeId, ReplicaLog> =
        correct.iter().map(|p| (*p, ReplicaLog::default())).collect();
    let (mut txns, mut submitted, mut origin) = (BTreeMap::new(), BTreeSet::new(), BTreeMap::new());
    for event in &run.history.events {
        match event {
            HistoryEvent::Request { time, node, request, accepted } => {
                txns.insert(request.id, request.clone());
                if *accepted {
                    origin.insert(request.id, (*node, *time));
                    if correct.contains(node) {
                        submitted.insert(request.id);
                    }
                }
            }
            HistoryEvent::Output { time, node, output } => {
                let Some(log) = logs.get_mut(node) else { continue };
                match output {
                    Output::Sequenced { txn, .. } => log.sequence.push(*txn),
                    Output::Executed(e) => log.executions.push((*time, e.clone())),
                }
            }
            HistoryEvent::Crash { .. } | HistoryEvent::Recover { .. } => {}
        }
    }
    let mut pairs = Vec::new();
    for (p, log) in &logs {
        for (t, e) in &log.executions {
            if let Some(&(_, at)) = origin.get(&e.txn).filter(|o| o.0 == *p) {
                pairs.push((at, *t));
            }
        }
    }
    let verdicts = check(&logs, &txns, &submitted);
    let end_time = run.end_time;
    let outcomes = logs
        .iter()
        .map(|(p, log)| {
            let mut state: BTreeMap<Key, i64> = BTreeMap::new();
            for (_, e) in &log.executions {
                state.extend(e.writes.iter().map(|(k, v)| (*k, *v)));
            }
            let (sequenced, executed) = (log.sequence.len(), log.executions.len());
            let line = format!("sequenced {sequenced}, executed {executed}, final state {state:?}");
            Outcome::output(end_time, *p, line)
        })
        .collect();
    run.report_pairs(config, outcomes, &pairs, verdicts)
}

/// The faults Calvin's sequencing layer (Multi-Paxos) tolerates.
pub const CALVIN_FAULTS: &str = "crash-stop of f < n/2 (a crashed sequencer's open epoch is \
    lost); loss, duplication, reordering, partitions that heal; no crash-recovery";

/// `calvin`: sequencer + Multi-Paxos-ordered epoch batches + deterministic locking.
pub static CALVIN: ProtocolEntry = ProtocolEntry {
    name: "calvin",
    description: "deterministic transactions: 10 ms epoch batches ordered by Multi-Paxos, \
                  deterministic locking at every replica, no commit round",
    source: "Thomson et al. SIGMOD 2012 §3.1-§3.2; Thomson & Abadi VLDB 2010 §3",
    fault_model: CALVIN_FAULTS,
    default_n: 3,
    byzantine: false,
    run: |config| run_calvin(Flaw::None, config),
    comparison: None,
};

/// `calvin-broken-arrival-order`: no global sequencing; replicas schedule batches on arrival.
pub static BROKEN_CALVIN_ARRIVAL_ORDER: ProtocolEntry = ProtocolEntry {
    name: "calvin-broken-arrival-order",
    description: "BROKEN on purpose: Calvin without the sequencing layer: batches sent straight \
                  to the replicas and scheduled in arrival order",
    source: "",
    fault_model: CALVIN_FAULTS,
    default_n: 3,
    byzantine: false,
    run: |config| run_calvin(Flaw::ArrivalOrder, config),
    comparison: None,
};

/// `calvin-broken-fcfs-locks`: locks granted in dispatch order, not sequence order.
pub static BROKEN_CALVIN_FCFS_LOCKS: ProtocolEntry = ProtocolEntry {
    name: "calvin-broken-fcfs-locks",
    description: "BROKEN on purpose: Calvin whose lock manager enqueues lock requests as they \
                  are dispatched, not in sequence order",
    source: "",
    fault_model: CALVIN_FAULTS,
    default_n: 3,
    byzantine: false,
    run: |config| run_calvin(Flaw::FcfsLocks, config),
    comparison: None,
};
