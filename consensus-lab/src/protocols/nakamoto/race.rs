//! Monte Carlo double-spend races (Nakamoto 2008 §11), trial by trial.
//!
//! Time is counted in mean block intervals T of the whole network: blocks arrive as a Poisson
//! process of rate 1, each the attacker's with probability q and the honest network's with
//! probability p = 1 − q (two independent Poisson processes of rates q and p).
//!
//! One trial, for the merchant's z confirmations:
//! 1. At time 0 the transaction is broadcast and the attacker starts mining a private chain
//!    from the same parent as the honest block that will carry the transaction.
//! 2. The merchant accepts once the honest chain holds z blocks past that parent (the
//!    transaction's block and z − 1 on top). How long that takes is what the two models differ in:
//!    - [`RaceModel::Paper`]: exactly its expected time z·T/p, as §11 assumes ("assuming the
//!      honest blocks took the average expected time per block"), so the attacker's blocks by
//!      then are Poisson(λ = z·q/p): the model behind [`super::analytic::nakamoto_2008`];
//!    - [`RaceModel::Exact`]: the actual time of the z-th honest block, so the attacker's blocks
//!      are negative-binomial: the model behind [`super::analytic::race_exact`].
//! 3. From then on each block extends one chain or the other (honest w.p. p). The attacker
//!    succeeds as soon as its chain reaches the line of the [`SuccessRule`] (catch up = equal
//!    length, the paper's event; overtake = one longer).
//!
//! **Cutoff.** A trial whose attacker falls `cutoff` blocks behind the success line is scored a
//! failure; `cutoff` is the smallest D with (q/p)^D ≤ 10⁻¹² ([`CUTOFF_PROBABILITY`]), so the
//! scored probability is low by at most 10⁻¹² per trial, far below any sampling error. When
//! q ≥ p the walk has no drift toward failure; a trial then stops after [`MAX_RACE_STEPS`]
//! blocks and counts as *undecided* (scored a failure, reported separately).
//!
//! Trials run in chunks of [`CHUNK`] on rayon; chunk c draws from ChaCha8 stream c of the
//! seed, so the result depends on the seed only, never on the thread count.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

use super::analytic::{binomial_std_error, nakamoto_2008, race_exact, SuccessRule};

/// A trial is a failure once the attacker is this unlikely to ever reach the success line.
pub const CUTOFF_PROBABILITY: f64 = 1e-12;
/// Race steps (blocks after the merchant accepted) before a trial is called undecided.
pub const MAX_RACE_STEPS: u64 = 1_000_000;
/// Trials per deterministic chunk (one ChaCha8 stream each).
pub const CHUNK: u64 = 4096;

/// How long the merchant's z confirmations take in a trial (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RaceModel {
    /// Exactly z·T/p, Nakamoto 2008 §11's assumption: attacker progress is Poisson(z·q/p).
    Paper,
    /// Until the z-th honest block: attacker progress is negative-binomial.
    Exact,
}

/// One double-spend experiment: `trials` races with attacker share `q` against `z` confirmations.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DoubleSpendConfig {
    /// Attacker's share of the hash power, in [0, 1).
    pub q: f64,
    /// Confirmations the merchant waits for.
    pub z: u32,
    /// Number of independent races (≥ 1).
    pub trials: u64,
    /// Seed of the trial streams.
    pub seed: u64,
    /// How long the merchant waits.
    pub model: RaceModel,
    /// What counts as the attacker winning.
    pub rule: SuccessRule,
}

/// Why a [`DoubleSpendConfig`] cannot be run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DoubleSpendError {
    /// q outside [0, 1): with q = 1 the honest network never finds the merchant's blocks.
    #[error("attacker share must be in [0, 1), got {0}")]
    Share(f64),
    /// Zero trials.
    #[error("trials must be at least 1, got 0")]
    NoTrials,
}

/// The outcome of [`simulate_double_spend`], next to the closed forms.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DoubleSpendResult {
    /// What was run.
    pub config: DoubleSpendConfig,
    /// Trials the attacker won.
    pub successes: u64,
    /// Trials stopped after [`MAX_RACE_STEPS`] (q ≥ p only), scored as failures.
    pub undecided: u64,
    /// successes / trials.
    pub probability: f64,
    /// Binomial standard error of `probability`, √(P(1−P)/trials) at the analytic P of the
    /// model that was simulated.
    pub std_error: f64,
    /// Nakamoto 2008 §11's formula under `rule`.
    pub analytic_paper: f64,
    /// The exact negative-binomial race (Rosenfeld 2014; Grunspan & Pérez-Marco 2018) under `rule`.
    pub analytic_exact: f64,
    /// The analytic value of the simulated model (`analytic_paper` for Paper, else exact).
    pub analytic: f64,
    /// Blocks behind the success line at which a trial is scored a failure (`None`: q ≥ p).
    pub cutoff: Option<u64>,
}

impl DoubleSpendResult {
    /// |simulated − analytic| in standard errors (0 when the standard error is 0 and they agree).
    pub fn sigmas(&self) -> f64 {
        let diff = (self.probability - self.analytic).abs();
        if self.std_error > 0.0 {
            diff / self.std_error
        } else if diff == 0.0 {
            0.0
        } else {
            f64::INFINITY
        }
    }
}

/// The failure cutoff for share `q` (see the module doc); `None` when q ≥ p.
pub fn cutoff(q: f64) -> Option<u64> {
    let p = 1.0 - q;
    if q >= p {
        None
    } else if q == 0.0 {
        Some(1)
    } else {
        Some((CUTOFF_PROBABILITY.ln() / (q / p).ln()).ceil().max(1.0) as u64)
    }
}

/// Run the races of `config` (deterministic in its seed; parallel over chunks).
///
/// # Errors
/// [`DoubleSpendError`] naming the bad share or trial count.
pub fn simulate_double_spend(
    config: &DoubleSpendConfig,
) -> Result<DoubleSpendResult, DoubleSpendError> {
    if !(0.0..1.0).contains(&config.q) {
        return Err(DoubleSpendError::Share(config.q));
    }
    if config.trials == 0 {
        return Err(DoubleSpendError::NoTrials);
    }
    let cut = cutoff(config.q);
    let chunks = config.trials.div_ceil(CHUNK);
    let (successes, undecided) = (0..chunks)
        .into_par_iter()
        .map(|c| {
            let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
            rng.set_stream(c);
            let count = CHUNK.min(config.trials - c * CHUNK);
            let mut won = (0u64, 0u64);
            for _ in 0..count {
                match trial(config, cut, &mut rng) {
                    Outcome::Success => won.0 += 1,
                    Outcome::Undecided => won.1 += 1,
                    Outcome::Failure => {}
                }
            }
            won
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    let analytic_paper = nakamoto_2008(config.q, config.z, config.rule);
    let analytic_exact = race_exact(config.q, config.z, config.rule);
    let analytic = match config.model {
        RaceModel::Paper => analytic_paper,
        RaceModel::Exact => analytic_exact,
    };
    Ok(DoubleSpendResult {
        config: *config,
        successes,
        undecided,
        probability: successes as f64 / config.trials as f64,
        std_error: binomial_std_error(analytic, config.trials),
        analytic_paper,
        analytic_exact,
        analytic,
        cutoff: cut,
    })
}

enum Outcome {
    Success,
    Failure,
    Undecided,
}

/// One race (module doc, steps 1–3).
fn trial(config: &DoubleSpendConfig, cutoff: Option<u64>, rng: &mut ChaCha8Rng) -> Outcome {
    let (q, z) = (config.q, i64::from(config.z));
    let attacker_blocks = match config.model {
        RaceModel::Paper => poisson_arrivals(q, z as f64 / (1.0 - q), rng),
        RaceModel::Exact => {
            let (mut honest, mut attacker) = (0, 0);
            while honest < z {
                if rng.random::<f64>() < q {
                    attacker += 1;
                } else {
                    honest += 1;
                }
            }
            attacker
        }
    };
    // Blocks the attacker still needs to reach the success line.
    let mut needed = z - attacker_blocks + config.rule.extra();
    let limit = cutoff.map_or(i64::MAX, |c| c as i64);
    for _ in 0..MAX_RACE_STEPS {
        if needed <= 0 {
            return Outcome::Success;
        }
        if needed >= limit || q == 0.0 {
            return Outcome::Failure;
        }
        needed += if rng.random::<f64>() < q { -1 } else { 1 };
    }
    if needed <= 0 {
        Outcome::Success
    } else {
        Outcome::Undecided
    }
}

/// Arrivals of a Poisson process of `rate` during `duration` (exponential gaps).
fn poisson_arrivals(rate: f64, duration: f64, rng: &mut ChaCha8Rng) -> i64 {
    if rate == 0.0 {
        return 0;
    }
    let (mut t, mut k) = (0.0, 0);
    loop {
        t += -(1.0 - rng.random::<f64>()).ln() / rate;
        if t > duration {
            return k;
        }
        k += 1;
    }
}
