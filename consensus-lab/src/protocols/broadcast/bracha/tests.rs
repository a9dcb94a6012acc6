//! Scripted tests of Bracha's broadcast: the normal case and its message count, a two-faced
//! sender that cannot split the correct processes, the 1,000-seed sweeps under every strategy,
//! and the two ways past the bound the sweep must catch.

use super::*;
use crate::adversary::{AdversaryPlan, Strategy, StrategyAdversary};
use crate::check::find;
use crate::protocols::test_support::{
    all_hold, assert_tolerates_f_byzantine_under_every_strategy, byzantine_config, one_ms_network,
    SEEDS,
};
use crate::sim::Simulation;
use crate::sweep::sweep;

#[test]
fn without_faults_every_process_delivers_every_broadcast_with_n_minus_1_times_2n_plus_1_messages_each(
) {
    for n in [4usize, 7, 10] {
        let report = BRACHA.run(&RunConfig::new(n, 2));
        assert!(all_hold(&report), "n = {n}: {:?}", report.verdicts);
        assert_eq!(report.decisions, (n * n) as u64);
        // Per instance: n−1 SENDs, n(n−1) ECHOs, n(n−1) READYs.
        assert_eq!(report.metrics.messages_sent, (n * (n - 1) * (2 * n + 1)) as u64, "n = {n}");
    }
}

#[test]
fn a_two_faced_sender_cannot_make_correct_processes_deliver_different_payloads() {
    let n = 4;
    let plan = AdversaryPlan { corrupted: [0].into(), side_b: [2, 3].into() };
    let adversary = StrategyAdversary::new(Strategy::Equivocate, &plan, n);
    let mut sim = Simulation::new(one_ms_network(n, 1), |_, _| Bracha::new(Flaw::None))
        .with_workload(Workload::scripted([(0, 0, 7)]))
        .with_adversary([0], Box::new(adversary));
    sim.run();
    let got: BTreeSet<Value> =
        sim.history().outputs().filter(|(_, p, _)| *p != 0).map(|(_, _, d)| d.value).collect();
    // Side B (2, 3) has 3 echoes of the twin: more than (n+f)/2 = 2.5, so it is delivered by
    // every correct process; side A's 7 never gathers a quorum.
    assert_eq!(got, [twin(7)].into());
    let deliveries = sim.history().outputs().filter(|(_, p, _)| *p != 0).count();
    assert_eq!(deliveries, 3, "totality: all three correct processes deliver");
}

/// Runs `SEEDS` seeds (1,000 in release) for n = 4 and n = 7 with f Byzantine processes under
/// each strategy: consistency, integrity and no duplication always; validity and totality too.
#[test]
fn bracha_keeps_every_property_with_f_byzantine_processes_under_every_strategy() {
    assert_tolerates_f_byzantine_under_every_strategy(&BRACHA);
}

/// Runs `SEEDS` seeds with f+1 equivocating processes, and with f and thresholds one smaller.
#[test]
fn f_plus_one_byzantine_or_thresholds_one_smaller_break_consistency_with_a_seed_that_replays() {
    for (experiment, k) in [(&BRACHA, 2), (&BROKEN_BRACHA_SMALL_QUORUM, 1)] {
        let config = byzantine_config(4, k, Strategy::Equivocate);
        let summary = sweep(experiment, &config, 0..SEEDS, || {});
        let seed = summary.first_failing_seed.expect("the sweep finds a split");
        eprintln!("{} with {k} Byzantine: first failing seed {seed}", experiment.name);
        assert!(summary.violations.contains_key("consistency"), "{summary:?}");
        let replay = experiment.run(&RunConfig { seed, ..config });
        assert!(!find(&replay.verdicts, "consistency").holds(), "seed {seed} replays");
    }
}
