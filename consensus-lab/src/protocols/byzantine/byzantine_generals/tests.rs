//! OM(m) and SM(m): the bound n > 3m holds for OM under every strategy and n = 3m breaks it;
//! SM works with any number of traitors.

use super::*;
use crate::adversary::Strategy;
use crate::check::find;
use crate::protocols::test_support::{all_hold, SEEDS};
use crate::sweep::sweep;

fn base(n: usize, m: usize, strategy: Strategy) -> RunConfig {
    let mut base = RunConfig::new(n, 0);
    base.adversary.byzantine = m;
    base.adversary.strategy = strategy;
    base
}

#[test]
fn without_traitors_every_lieutenant_obeys_the_commander_after_m_plus_1_rounds() {
    for (experiment, n) in
        [(&ORAL_MESSAGES, 4), (&ORAL_MESSAGES, 7), (&SIGNED_MESSAGES, 3), (&SIGNED_MESSAGES, 5)]
    {
        let report = experiment.run(&RunConfig::new(n, 5));
        assert!(all_hold(&report), "{} n = {n}: {:?}", experiment.name, report.verdicts);
        assert_eq!(report.decisions, n as u64 - 1);
    }
    // OM(1), n = 4: 3 orders, then each lieutenant relays to the 2 others: 3 + 3·2 = 9.
    let om1 = ORAL_MESSAGES.run(&RunConfig::new(4, 5));
    assert_eq!(om1.metrics.messages_sent, 9);
    // OM(2), n = 7: 6 + 6·5 + 6·5·4 = 156 (exponential in m).
    let om2 = ORAL_MESSAGES.run(&RunConfig::new(7, 5));
    assert_eq!(om2.metrics.messages_sent, 156);
}

/// Runs `SEEDS` seeds (1,000 in release) of OM(m) with m traitors for n = 4, m = 1 and
/// n = 7, m = 2 under every strategy: IC1 and IC2 always.
#[test]
fn om_meets_ic1_and_ic2_when_n_exceeds_3m_under_every_strategy() {
    for (n, m) in [(4, 1), (7, 2)] {
        for strategy in Strategy::ALL {
            let summary = sweep(&ORAL_MESSAGES, &base(n, m, strategy), 0..SEEDS, || {});
            assert!(summary.violations.is_empty(), "n = {n}, {strategy:?}: {summary:?}");
            assert_eq!(summary.liveness_failures, 0, "n = {n}, {strategy:?}: {summary:?}");
        }
    }
}

/// n = 3m with m traitors (n = 3, m = 1 and n = 6, m = 2): the sweep finds IC1 or IC2
/// violated, with a seed that replays.
#[test]
fn om_with_n_equal_to_3m_is_violated_with_a_seed_that_replays() {
    for (n, m) in [(3, 1), (6, 2)] {
        let config = base(n, m, Strategy::Equivocate);
        let summary = sweep(&ORAL_MESSAGES, &config, 0..SEEDS, || {});
        let seed = summary.first_failing_seed.expect("the sweep finds a violation");
        eprintln!("om n = {n}, m = {m}: first failing seed {seed}, {:?}", summary.violations);
        let replay = ORAL_MESSAGES.run(&RunConfig { seed, ..config });
        let broken =
            ["IC1 agreement", "IC2 validity"].iter().any(|p| !find(&replay.verdicts, p).holds());
        assert!(broken, "seed {seed} replays: {:?}", replay.verdicts);
    }
}

/// SM(m) with m traitors out of n = m + 2 (n = 3, m = 1 and n = 4, m = 2) and n = 7, m = 5,
/// under every strategy: IC1 and IC2 always.
#[test]
fn sm_meets_ic1_and_ic2_with_any_number_of_traitors_under_every_strategy() {
    for (n, m) in [(3, 1), (4, 2), (7, 5)] {
        for strategy in Strategy::ALL {
            let summary = sweep(&SIGNED_MESSAGES, &base(n, m, strategy), 0..SEEDS, || {});
            assert!(summary.violations.is_empty(), "n = {n}, {strategy:?}: {summary:?}");
            assert_eq!(summary.liveness_failures, 0, "n = {n}, {strategy:?}: {summary:?}");
        }
    }
}

#[test]
fn a_two_faced_signed_commander_leaves_every_loyal_lieutenant_with_both_orders_and_retreat() {
    let config = |seed| RunConfig { seed, ..base(4, 1, Strategy::Equivocate) };
    let seed = (0..200)
        .find(|&s| config(s).adversary_plan().corrupted.contains(&COMMANDER))
        .expect("some seed corrupts the commander");
    let report = SIGNED_MESSAGES.run(&config(seed));
    assert!(all_hold(&report), "{:?}", report.verdicts);
    assert_eq!(report.outcomes.len(), 3);
    assert!(
        report.outcomes.iter().all(|o| o.decision() == Some("Retreat")),
        "{:?}",
        report.outcomes
    );
}

/// OM(m) is synchronous: LSP's A1 says every message between loyal generals arrives within its
/// round. Under partial synchrony (DLS JACM 1988 §2) with GST = 40 ms, after OM(1)'s two 20 ms
/// rounds, and `chaos` before it, some copies miss their round and count as RETREAT (A3):
/// loyal lieutenants then obey different orders even with no traitor (IC1 fails, with a seed
/// that replays). With GST = 0 (every copy within Δ = 10 ms < [`ROUND`]) A1 holds and so do IC1
/// and IC2 on every seed.
#[test]
fn oral_messages_lose_agreement_when_rounds_end_before_gst_and_keep_it_when_gst_is_zero() {
    use crate::protocols::test_support::assert_clean_sweep;
    use crate::sim::{Gst, PreGst};
    let with_gst = |at, before| {
        let mut config = RunConfig::new(4, 0);
        config.network.gst = Some(Gst { at, delta: 10_000, before });
        config
    };
    assert_clean_sweep(&ORAL_MESSAGES, &with_gst(0, PreGst::HoldBack));
    // Not `assert_sweep_catches`: IC2 fails on more seeds, and its first failing seed is IC2's.
    let early = with_gst(40_000, PreGst::Chaos);
    let ic1_fails = |seed| {
        let report = ORAL_MESSAGES.run(&RunConfig { seed, ..early.clone() });
        !find(&report.verdicts, "IC1 agreement").holds()
    };
    let seed = (0..SEEDS).find(|&s| ic1_fails(s)).expect("some seed loses IC1");
    assert!(ic1_fails(seed), "seed {seed} replays");
    eprintln!("om --gst 40+10/chaos: first seed without agreement {seed}");
}
