//! The register transformations: packing, the normal case, sweeps under the fault model, and
//! each layer's broken twin caught by the atomicity checker with a seed that replays.

use super::*;
use crate::check::find;
use crate::protocols::test_support::{
    all_hold, assert_clean_sweep, assert_sweep_catches, minority_crash_lossy,
};
use crate::sim::parse_partitions;

#[test]
fn packed_values_round_trip_and_out_of_range_fields_are_refused() {
    let p = Packed { ts: 513, rank: 4, val: Some(77) };
    assert_eq!(Packed::unpack(Some(p.pack().unwrap())), p);
    let bottom = Packed { ts: 2, rank: 1, val: None };
    assert_eq!(Packed::unpack(Some(bottom.pack().unwrap())), bottom);
    assert_eq!(Packed::unpack(None), Packed::default());
    assert_eq!(Packed { ts: 1 << 16, ..p }.pack(), Err(PackError::Timestamp(1 << 16)));
    assert_eq!(Packed { rank: 256, ..p }.pack(), Err(PackError::Rank(256)));
    assert_eq!(Packed { val: Some(-1), ..p }.pack(), Err(PackError::Value(-1)));
    assert!(Packed { ts: 2, ..p } > Packed { ts: 1, rank: 9, ..p }, "ts first, then rank");
}

#[test]
fn without_faults_every_layer_is_atomic_and_every_operation_returns() {
    for e in [&ATOMIC_FROM_REGULAR, &ONE_TO_MANY_FROM_ONE_TO_ONE, &MANY_TO_MANY_FROM_ONE_TO_MANY] {
        let report = e.run(&RunConfig::new(3, 5));
        assert!(all_hold(&report), "{}: {:?}", e.name, report.verdicts);
        assert_eq!(report.decisions, 24, "{}", e.name);
    }
}

/// Runs `SEEDS` seeds (1,000 in release) of each layer with a minority crashing, loss,
/// duplication, reordering and a partition that heals.
#[test]
fn every_layer_is_atomic_and_live_on_every_seed_under_its_minority_crash_lossy() {
    assert_clean_sweep(&ATOMIC_FROM_REGULAR, &minority_crash_lossy(5));
    assert_clean_sweep(&ONE_TO_MANY_FROM_ONE_TO_ONE, &minority_crash_lossy(3));
    assert_clean_sweep(&MANY_TO_MANY_FROM_ONE_TO_MANY, &minority_crash_lossy(3));
}

fn lossy(n: usize) -> RunConfig {
    let mut c = RunConfig::new(n, 0);
    c.network.loss = 0.3;
    c.network.reorder = 0.3;
    c
}

#[test]
fn the_sweep_catches_a_one_one_reader_that_forgets_the_highest_timestamp() {
    let seed = assert_sweep_catches(&BROKEN_ATOMIC_FROM_REGULAR_NO_MAX, &lossy(5), "atomicity");
    let replay = BROKEN_ATOMIC_FROM_REGULAR_NO_MAX.run(&RunConfig { seed, ..lossy(5) });
    assert!(find(&replay.verdicts, "regularity").holds(), "still a regular register");
    let correct = ATOMIC_FROM_REGULAR.run(&RunConfig { seed, ..lossy(5) });
    assert!(all_hold(&correct), "the same seed is atomic with the rule: {:?}", correct.verdicts);
}

/// The writer writes `writer[1]` and `writer[2]` at once. If it crashes with the copies for
/// `writer[2]` lost (loss 0.3; the link 0 → 2 is cut besides) while those for `writer[1]`
/// arrived, reader 1 returns the new value and a later reader 2 the old one, unless reader 1
/// wrote it back to `readers[1][2]`. With loss alone (no crash) 0 of 1,000 seeds showed it.
#[test]
fn the_sweep_catches_one_n_readers_that_skip_the_write_back() {
    let mut base = lossy(3);
    base.faults.crash = 1;
    base.network.reorder = 0.0;
    base.faults.partitions = parse_partitions("0>2@0-1000", 3).unwrap();
    let seed = assert_sweep_catches(&BROKEN_ONE_TO_MANY_NO_WRITE_BACK, &base, "atomicity");
    let correct = ONE_TO_MANY_FROM_ONE_TO_ONE.run(&RunConfig { seed, ..base });
    assert!(all_hold(&correct), "{:?}", correct.verdicts);
}

#[test]
fn the_sweep_catches_n_n_writers_that_stamp_with_their_own_counter() {
    let seed = assert_sweep_catches(&BROKEN_MANY_TO_MANY_LOCAL_TIMESTAMP, &lossy(3), "atomicity");
    let correct = MANY_TO_MANY_FROM_ONE_TO_MANY.run(&RunConfig { seed, ..lossy(3) });
    assert!(all_hold(&correct), "{:?}", correct.verdicts);
}
