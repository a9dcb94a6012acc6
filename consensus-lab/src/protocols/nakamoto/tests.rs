//! The Nakamoto model against its closed forms, and its checkers against attacks that must fail.

use super::analytic::{nakamoto_2008, race_exact, selfish_revenue, stale_rate, SuccessRule};
use super::chain::DifficultyRule;
use super::miner::Strategy;
use super::race::{simulate_double_spend, DoubleSpendConfig, DoubleSpendError, RaceModel};
use super::*;
use crate::check::find;
use crate::protocols::test_support::{assert_clean_sweep, SEEDS};
use crate::sim::LatencyModel;

const TRIALS: u64 = 200_000;

fn races(q: f64, z: u32, model: RaceModel, rule: SuccessRule) -> race::DoubleSpendResult {
    let config = DoubleSpendConfig { q, z, trials: TRIALS, seed: 7, model, rule };
    simulate_double_spend(&config).expect("valid config")
}

#[test]
fn paper_model_races_agree_with_nakamoto_2008_within_four_standard_errors() {
    for (q, z) in [(0.1, 1), (0.1, 3), (0.2, 3), (0.3, 5), (0.3, 10), (0.45, 6)] {
        let r = races(q, z, RaceModel::Paper, SuccessRule::CatchUp);
        assert!(
            r.sigmas() < 4.0,
            "q = {q}, z = {z}: simulated {} vs Nakamoto {} (σ = {})",
            r.probability,
            r.analytic,
            r.std_error
        );
        // `powi` may round differently once inlined in release builds: compare to 1e-12.
        assert!((r.analytic - nakamoto_2008(q, z, SuccessRule::CatchUp)).abs() < 1e-12);
    }
}

#[test]
fn exact_races_agree_with_the_negative_binomial_formula_and_not_with_the_papers() {
    for (q, z) in [(0.1, 2), (0.2, 4), (0.3, 5)] {
        let r = races(q, z, RaceModel::Exact, SuccessRule::CatchUp);
        assert!(r.sigmas() < 4.0, "q = {q}, z = {z}: {} vs {}", r.probability, r.analytic);
        assert!((r.analytic - race_exact(q, z, SuccessRule::CatchUp)).abs() < 1e-12);
    }
    // The paper's expected-time shortcut is visible at this sample size: 0.198 vs 0.177.
    let r = races(0.3, 5, RaceModel::Exact, SuccessRule::CatchUp);
    assert!((r.probability - r.analytic_paper).abs() > 8.0 * r.std_error, "{r:?}");
}

#[test]
fn overtaking_is_rarer_than_catching_up_and_matches_its_own_formula() {
    let catch = races(0.3, 4, RaceModel::Paper, SuccessRule::CatchUp);
    let over = races(0.3, 4, RaceModel::Paper, SuccessRule::Overtake);
    assert!(over.probability < catch.probability * 0.6, "{over:?} {catch:?}");
    assert!(over.sigmas() < 4.0, "{over:?}");
}

#[test]
fn races_replay_from_their_seed_and_reject_bad_input() {
    let config = DoubleSpendConfig {
        q: 0.25,
        z: 3,
        trials: 10_000,
        seed: 3,
        model: RaceModel::Exact,
        rule: SuccessRule::CatchUp,
    };
    let a = simulate_double_spend(&config).unwrap();
    assert_eq!(a.successes, simulate_double_spend(&config).unwrap().successes);
    let other = simulate_double_spend(&DoubleSpendConfig { seed: 4, ..config }).unwrap();
    assert_ne!(a.successes, other.successes);
    assert_eq!(
        simulate_double_spend(&DoubleSpendConfig { q: 1.0, ..config }),
        Err(DoubleSpendError::Share(1.0))
    );
    assert_eq!(
        simulate_double_spend(&DoubleSpendConfig { trials: 0, ..config }),
        Err(DoubleSpendError::NoTrials)
    );
    // A majority attacker always catches up (or is cut off as undecided, never scored a win).
    let majority = simulate_double_spend(&DoubleSpendConfig { q: 0.6, ..config }).unwrap();
    assert_eq!(majority.successes + majority.undecided, 10_000);
    assert!(majority.successes > 9_990);
}

#[test]
fn stale_rate_follows_one_minus_exp_of_delay_over_interval() {
    let interval = 1_000_000;
    let mut previous = 0.0;
    for delay in [20_000, 50_000, 100_000, 200_000] {
        let stats = stale_run(20, interval, delay, 4_000, 11);
        let theory = stale_rate(delay as f64, interval as f64);
        let ratio = stats.stale_rate / theory;
        assert!(
            (0.8..1.15).contains(&ratio),
            "d/T = {}: simulated {} vs 1 − e^(−d/T) = {theory} ({} of {} blocks)",
            delay as f64 / interval as f64,
            stats.stale_rate,
            stats.stale,
            stats.mined_settled
        );
        assert!(stats.stale_rate > previous, "stale rate must grow with d/T");
        previous = stats.stale_rate;
    }
    // Only the ratio d/T matters: ten times slower blocks with ten times the delay.
    let slow = stale_run(20, 10 * interval, 10 * 100_000, 4_000, 12);
    let fast = stale_run(20, interval, 100_000, 4_000, 12);
    let sigma = (fast.stale_rate * (1.0 - fast.stale_rate) / fast.mined_settled as f64).sqrt();
    assert!((slow.stale_rate - fast.stale_rate).abs() < 5.0 * sigma, "{slow:?} {fast:?}");
    assert_eq!(stale_run(20, interval, 0, 500, 1).stale, 0, "no delay, no stale blocks");
}

fn long_const(n: usize, seed: u64, seconds: u64) -> RunConfig {
    let mut config = RunConfig::new(n, seed);
    config.network.latency = LatencyModel::Constant(5_000);
    config.time_limit = seconds * 1_000_000;
    config
}

#[test]
fn selfish_pool_revenue_matches_eyal_sirer_with_gamma_zero() {
    // Constant latency: every honest node sees the honest block before the pool's answer, γ = 0.
    // Revenue is averaged over four seeds of ~3,000 blocks each (one run's spread is ±0.015).
    for (alpha, seeds) in [(0.4, 1..=4), (0.25, 1..=2)] {
        let setup = NakamotoSetup {
            attacker: Some((alpha, Strategy::Selfish)),
            txs: 0,
            ..NakamotoSetup::default()
        };
        let runs: Vec<f64> = seeds
            .map(|seed| run_nakamoto(&long_const(10, seed, 3_000), &setup).stats.attacker_revenue)
            .collect();
        let mean = runs.iter().sum::<f64>() / runs.len() as f64;
        let theory = selfish_revenue(alpha, 0.0);
        assert!((mean - theory).abs() < 0.025, "α = {alpha}: revenue {runs:?} vs {theory}");
        assert_eq!(mean > alpha, theory > alpha, "α = {alpha}: {mean} vs honest share");
    }
}

#[test]
fn honest_miners_keep_k_finality_and_confirm_every_transaction() {
    assert_clean_sweep(&NAKAMOTO, &RunConfig::new(10, 0));
    let mut lossy = RunConfig::new(10, 0);
    lossy.network.loss = 0.2;
    lossy.faults.crash = 3;
    assert_clean_sweep(&NAKAMOTO, &lossy);
    let _ = SEEDS;
}

#[test]
fn a_majority_double_spender_breaks_k_finality() {
    let report = NAKAMOTO_MAJORITY_ATTACK.run(&RunConfig::new(10, 1));
    let verdict = find(&report.verdicts, "k-finality");
    assert!(!verdict.holds(), "{report:?}");
    // The same attacker with 20 % hash power gives up before it gets anywhere.
    let setup = NakamotoSetup {
        attacker: Some((0.2, Strategy::PrivateChain { wait_for: 6, give_up_behind: 20 })),
        ..NakamotoSetup::default()
    };
    let run = run_nakamoto(&RunConfig::new(10, 1), &setup);
    assert!(find(&run.report.verdicts, "k-finality").holds(), "{:?}", run.report.verdicts);
}

#[test]
fn a_partition_longer_than_k_blocks_forks_the_chain_and_healing_reconverges() {
    let mut config = RunConfig::new(10, 3);
    config.faults.partitions =
        crate::sim::parse_partitions("0,1,2,3,4|5,6,7,8,9@0-20000", 10).expect("valid spec");
    let run = run_nakamoto(&config, &NakamotoSetup::default());
    // Both halves mine ~10 blocks on their own: the losing half reorgs past its final blocks …
    assert!(!find(&run.report.verdicts, "k-finality").holds());
    assert!(run.stats.reorg_depths.keys().any(|&d| d >= 6), "{:?}", run.stats.reorg_depths);
    // … and after the heal every process is back on one chain.
    assert!(find(&run.report.verdicts, "common prefix").holds());
}

#[test]
fn asert_brings_the_interval_back_to_target_when_hash_power_doubles() {
    let config = long_const(10, 5, 1_500);
    let fixed = NakamotoSetup { hash_multiplier: 2.0, txs: 0, ..NakamotoSetup::default() };
    let asert = NakamotoSetup {
        difficulty: DifficultyRule::Asert { block_time_ms: 1_000, half_life_ms: 20_000 },
        ..fixed.clone()
    };
    let fixed = run_nakamoto(&config, &fixed).stats.mean_interval;
    let asert = run_nakamoto(&config, &asert).stats.mean_interval;
    assert!((400_000.0..600_000.0).contains(&fixed), "fixed difficulty: {fixed} µs");
    assert!((900_000.0..1_150_000.0).contains(&asert), "ASERT: {asert} µs");
}
