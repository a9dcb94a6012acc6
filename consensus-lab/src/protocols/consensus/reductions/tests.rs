//! The reductions between total-order broadcast and consensus: packing, the normal case, sweeps
//! under the fault model, and the two broken twins caught with a seed that replays.

use super::*;
use crate::check::find;
use crate::protocols::test_support::{
    all_hold, assert_clean_sweep, assert_sweep_catches, minority_crash_lossy,
};
use crate::sim::HistoryEvent;

#[test]
fn message_ids_round_trip_through_a_consensus_value_and_oversized_ones_are_refused() {
    let value = MessageId::pack(3, 41).unwrap();
    assert_eq!(MessageId::unpack(value), MessageId { sender: 3, payload: 41 });
    assert_eq!(MessageId::pack(0, 1 << 48), Err(TooLarge { sender: 0, payload: 1 << 48 }));
    assert!(MessageId::pack(1 << 16, 0).is_err());
}

#[test]
fn without_faults_every_process_delivers_every_message_in_one_order() {
    let report = TOB_CONSENSUS.run(&RunConfig::new(3, 7));
    assert!(all_hold(&report), "{:?}", report.verdicts);
    assert_eq!(report.decisions, 30, "10 messages at each of 3 processes");
}

#[test]
fn delivering_in_arrival_order_breaks_total_order_on_the_same_run() {
    let config = RunConfig::new(3, 7);
    let broken = BROKEN_TOB_ARRIVAL_ORDER.run(&config);
    assert!(!find(&broken.verdicts, "total order").holds(), "{:?}", broken.verdicts);
    assert!(find(&broken.verdicts, "agreement").holds(), "it is still reliable broadcast");
}

#[test]
fn consensus_from_tob_decides_one_proposal_everywhere() {
    let config = RunConfig::new(5, 2);
    let run = simulate(
        &config,
        |_, _| PerfectLinks::new(TobConsensus::new(ConsensusTob::new(TobFlaw::None))),
        Workload::scripted((0..5).map(|p| (100 * p as u64, p, 100 + p as u64))),
    );
    let decided: BTreeSet<u64> = run
        .history
        .events
        .iter()
        .filter_map(|e| match e {
            HistoryEvent::Output { output: Decide(v), .. } => Some(*v),
            _ => None,
        })
        .collect();
    assert_eq!(decided.len(), 1, "{decided:?}");
    assert!((100..105).contains(decided.first().unwrap()));
}

/// Runs `SEEDS` seeds (1,000 in release) of both reductions with a minority crashing, loss,
/// duplication, reordering and a partition that heals.
#[test]
fn both_reductions_keep_their_properties_on_every_seed_under_their_minority_crash_lossy() {
    assert_clean_sweep(&TOB_CONSENSUS, &minority_crash_lossy(3));
    assert_clean_sweep(&TOB_CONSENSUS, &minority_crash_lossy(5));
    assert_clean_sweep(&CONSENSUS_TOB, &minority_crash_lossy(5));
}

#[test]
fn the_sweep_catches_arrival_order_delivery_with_a_seed_that_replays() {
    assert_sweep_catches(&BROKEN_TOB_ARRIVAL_ORDER, &minority_crash_lossy(3), "total order");
}

#[test]
fn the_sweep_catches_consensus_over_plain_reliable_broadcast_with_a_seed_that_replays() {
    assert_sweep_catches(&BROKEN_CONSENSUS_TOB_OVER_RB, &minority_crash_lossy(3), "agreement");
    let correct = CONSENSUS_TOB.run(&minority_crash_lossy(3));
    assert!(all_hold(&correct), "{:?}", correct.verdicts);
}
