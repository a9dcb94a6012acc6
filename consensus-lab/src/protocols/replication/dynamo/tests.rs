//! Scripted tests of the Dynamo-style store: quorum reads see completed writes, read repair and
//! anti-entropy each bring a replica that missed a write up to date, last-writer-wins under
//! clock skew loses an update, sweeps under the fault model, and the r + w = n variant's stale
//! read caught with a seed that replays.

use super::*;
use crate::check::{find, Verdict};
use crate::protocols::test_support::{assert_clean_sweep, assert_sweep_catches, one_ms_network};
use crate::sim::{parse_partitions, FaultPlan};

fn put(id: u64, key: Key, value: u64) -> KvRequest {
    KvRequest { id, key, put: Some(value) }
}

fn get(id: u64, key: Key) -> KvRequest {
    KvRequest { id, key, put: None }
}

/// Three replicas on a 1 ms network; `2` cannot hear from 0 until 50 ms, so 0's put at 1 ms
/// misses it. Returns the simulation after the run.
fn write_missing_replica_2(
    quorums: Quorums,
    then: Vec<(Time, NodeId, KvRequest)>,
) -> Simulation<DynamoReplica> {
    let plan =
        FaultPlan { partitions: parse_partitions("0>2@0-50", 3).unwrap(), ..FaultPlan::default() };
    let mut requests = vec![(1_000, 0, put(0, 7, 70))];
    requests.extend(then);
    let mut sim = Simulation::new(one_ms_network(3, 1), move |_, _| DynamoReplica::new(quorums))
        .with_workload(Workload::scripted(requests))
        .with_faults(plan);
    sim.run();
    sim
}

fn no_repair(r: usize, w: usize) -> Quorums {
    Quorums { r, w, read_repair: false, anti_entropy: false }
}

fn outputs(sim: &Simulation<DynamoReplica>) -> Vec<KvOutput> {
    sim.history().outputs().map(|o| *o.2).collect()
}

#[test]
fn a_put_completes_with_w_acks_and_stops_retrying_so_a_cut_off_replica_misses_it() {
    let sim = write_missing_replica_2(no_repair(2, 2), vec![]);
    assert_eq!(outputs(&sim), vec![KvOutput::PutOk { id: 0 }]);
    let at_2 = sim.node(2).unwrap().values();
    assert!(at_2.is_empty(), "the put stopped retrying once it had its quorum: {at_2:?}");
}

#[test]
fn a_read_quorum_that_intersects_the_write_quorum_returns_the_write() {
    // At 2: its own reply is stale, 0's is cut off, 1's carries the write.
    let sim = write_missing_replica_2(no_repair(2, 2), vec![(10_000, 2, get(1, 7))]);
    assert_eq!(outputs(&sim)[1], KvOutput::GetOk { id: 1, value: Some(70) });
}

#[test]
fn a_read_quorum_of_one_at_the_stale_replica_returns_nothing() {
    let sim = write_missing_replica_2(no_repair(1, 2), vec![(10_000, 2, get(1, 7))]);
    assert_eq!(outputs(&sim)[1], KvOutput::GetOk { id: 1, value: None });
}

#[test]
fn read_repair_writes_the_newest_value_back_to_a_stale_replica_in_the_read_quorum() {
    let with = Quorums { read_repair: true, ..no_repair(3, 2) };
    let sim = write_missing_replica_2(with, vec![(10_000, 1, get(1, 7))]);
    assert_eq!(sim.node(2).unwrap().values().get(&7), Some(&70));
    let without = write_missing_replica_2(no_repair(3, 2), vec![(10_000, 1, get(1, 7))]);
    assert_eq!(without.node(2).unwrap().values().get(&7), None);
}

#[test]
fn merkle_anti_entropy_brings_a_replica_that_missed_a_write_up_to_date_without_any_read() {
    let with = Quorums { anti_entropy: true, ..no_repair(2, 2) };
    let sim = write_missing_replica_2(with, vec![]);
    assert_eq!(sim.node(2).unwrap().values().get(&7), Some(&70));
    assert!(sim.now() >= ANTI_ENTROPY_ROUNDS * ANTI_ENTROPY_PERIOD, "then it stops");
}

#[test]
fn last_writer_wins_keeps_the_later_timestamp_whatever_the_arrival_order() {
    let mut replica = DynamoReplica::new(Quorums::strict(3));
    let older = Item { version: Version { timestamp: 5, node: 2, seq: 0 }, value: 1 };
    let newer = Item { version: Version { timestamp: 9, node: 0, seq: 0 }, value: 2 };
    replica.merge(7, newer);
    replica.merge(7, older);
    assert_eq!(replica.values()[&7], 2);
}

#[test]
fn with_drifting_clocks_last_writer_wins_loses_updates_and_the_checker_sees_stale_reads() {
    // A coordinator whose clock lags stamps a later put older than an earlier one; LWW keeps
    // the earlier value and a read after both returns it.
    let mut base = RunConfig::new(3, 0);
    base.faults.clock_drift = 0.5;
    let seed = assert_sweep_catches(&DYNAMO, &base, "regularity");
    let mut without_drift = RunConfig { seed, ..base };
    without_drift.faults.clock_drift = 0.0;
    assert!(DYNAMO.run(&without_drift).verdicts.iter().all(Verdict::holds));
}

fn fault_model(n: usize) -> RunConfig {
    let mut c = RunConfig::new(n, 0);
    c.faults.crash = n - (n / 2 + 1);
    c.faults.crash_window = 150_000;
    c.network.loss = 0.2;
    c.network.duplication = 0.1;
    c.network.reorder = 0.2;
    c.faults.partitions = parse_partitions("0|1,2,3,4@0-100", n).unwrap();
    c
}

#[test]
fn the_store_is_regular_live_and_convergent_on_every_seed_under_its_fault_model() {
    assert_clean_sweep(&DYNAMO, &fault_model(5));
}

#[test]
fn without_anti_entropy_or_read_repair_lossy_runs_do_not_converge() {
    let base = fault_model(5);
    let quorums = Quorums { read_repair: false, anti_entropy: false, ..Quorums::strict(5) };
    let diverged = (0..50)
        .find(|&seed| {
            !find(&run_dynamo(&RunConfig { seed, ..base.clone() }, quorums).verdicts, "convergence")
                .holds()
        })
        .expect("some lossy run leaves a replica behind");
    let report = DYNAMO.run(&RunConfig { seed: diverged, ..base });
    assert!(report.verdicts.iter().all(Verdict::holds), "{:?}", report.verdicts);
}

#[test]
fn the_sweep_catches_a_stale_read_when_r_plus_w_is_n_with_a_seed_that_replays() {
    let base = RunConfig::new(3, 0);
    let seed = assert_sweep_catches(&BROKEN_DYNAMO_SMALL_QUORUMS, &base, "regularity");
    assert!(DYNAMO.run(&RunConfig { seed, ..base }).verdicts.iter().all(Verdict::holds));
}
