use super::*;
use crate::check::find;
use crate::harness::RunConfig;
use crate::protocols::test_support::{
    all_hold, assert_clean_sweep, assert_sweep_catches, minority_crash_lossy,
};

fn txn(id: TxnId, reads: &[Key], writes: &[Key]) -> Txn {
    Txn { id, reads: reads.iter().copied().collect(), writes: writes.iter().copied().collect() }
}

#[test]
fn readers_share_a_lock_and_a_writer_waits_for_the_ones_ahead_of_it() {
    let mut s = Scheduler::default();
    let (r1, r2, w3, r4) =
        (txn(1, &[0], &[]), txn(2, &[0], &[1]), txn(3, &[], &[0]), txn(4, &[0], &[]));
    for t in [&r1, &r2, &w3, &r4] {
        s.enqueue(t.clone());
    }
    assert!(s.holds_all(&r1) && s.holds_all(&r2));
    assert!(!s.holds_all(&w3), "an exclusive lock waits for the shared ones ahead");
    assert!(!s.holds_all(&r4), "a reader behind a writer waits: grants follow the queue order");
    for id in [1, 2] {
        s.queues.get_mut(&0).unwrap().retain(|e| e.0 != id);
    }
    assert!(s.holds_all(&w3) && !s.holds_all(&r4));
}

#[test]
fn every_replica_executes_conflicting_transactions_in_the_sequence_order() {
    // Three increments of key 0 and a reader, sent to different sequencers in one epoch.
    let txns = [txn(1, &[0], &[0]), txn(2, &[0], &[0]), txn(3, &[0, 1], &[1]), txn(4, &[0], &[0])];
    let workload =
        Workload::scripted(txns.iter().enumerate().map(|(i, t)| (1_000, i % 3, t.clone())));
    let config = RunConfig::new(3, 7);
    let run = crate::harness::simulate(&config, |_, _| Calvin::new(Flaw::None, 7), workload);
    let mut sequences: BTreeMap<NodeId, Vec<TxnId>> = BTreeMap::new();
    let mut finals: BTreeMap<NodeId, BTreeMap<Key, i64>> = BTreeMap::new();
    for (_, node, out) in run.history.outputs() {
        match out {
            Output::Sequenced { txn, .. } => sequences.entry(node).or_default().push(*txn),
            Output::Executed(e) => finals.entry(node).or_default().extend(e.writes.clone()),
        }
    }
    assert_eq!(sequences.len(), 3);
    assert!(sequences.values().all(|s| s == &sequences[&0] && s.len() == 4), "{sequences:?}");
    assert!(finals.values().all(|f| f == &finals[&0]), "{finals:?}");
}

#[test]
fn calvin_is_serializable_and_replicas_agree_under_delay_loss_and_a_minority_crash() {
    assert!(all_hold(&CALVIN.run(&RunConfig::new(3, 0))));
    assert_clean_sweep(&CALVIN, &RunConfig::new(3, 0));
    assert_clean_sweep(&CALVIN, &minority_crash_lossy(3));
    let mut busier = minority_crash_lossy(5);
    busier.workload.requests = Some(80);
    assert_clean_sweep(&CALVIN, &busier);
}

#[test]
fn without_the_sequencing_layer_replicas_diverge() {
    let base = RunConfig::new(3, 0);
    let seed = assert_sweep_catches(&BROKEN_CALVIN_ARRIVAL_ORDER, &base, "replica agreement");
    let replay = BROKEN_CALVIN_ARRIVAL_ORDER.run(&RunConfig { seed, ..base });
    assert!(!find(&replay.verdicts, "same sequence").holds(), "seed {seed}");
    assert!(find(&replay.verdicts, "serializability").holds(), "each replica is serializable");
}

#[test]
fn locks_granted_in_arrival_order_make_replicas_diverge() {
    let base = RunConfig::new(3, 0);
    let seed = assert_sweep_catches(&BROKEN_CALVIN_FCFS_LOCKS, &base, "replica agreement");
    let replay = BROKEN_CALVIN_FCFS_LOCKS.run(&RunConfig { seed, ..base });
    assert!(find(&replay.verdicts, "same sequence").holds(), "the input is still agreed");
    assert!(!find(&replay.verdicts, "sequence order").holds(), "seed {seed}");
}
