//! Closed forms the Nakamoto simulations are checked against.
//!
//! - [`nakamoto_2008`]: Nakamoto, *Bitcoin: A Peer-to-Peer Electronic Cash System*, 2008, §11
//!   "Calculations": the attacker's progress while the merchant waits is Poisson with mean
//!   λ = z·q/p (the honest blocks are assumed to take their *expected* time), then the gambler's
//!   ruin race of §11 ("catch up from z blocks behind" with probability (q/p)^z).
//! - [`race_exact`]: the same race without the expected-time assumption: the attacker's blocks
//!   while the honest network finds z blocks are negative-binomial (Rosenfeld, *Analysis of
//!   Hashrate-Based Double Spending*, 2014, §5; Grunspan & Pérez-Marco, *Double spend races*,
//!   2018, Thm. 1).
//! - [`stale_rate`]: the stale-block approximation 1 − e^{−d/T} (Decker & Wattenhofer,
//!   *Information Propagation in the Bitcoin Network*, P2P 2013, §V: a block goes stale when
//!   another is found while it propagates).
//! - [`selfish_revenue`]: Eyal & Sirer, *Majority is not Enough*, FC 2014, §4.2, eq. (8).
//!
//! Probabilities are `f64` in [0, 1]; `q` is the attacker's share of the hash power, p = 1 − q.

/// Whether a double spend counts as successful when the attacker's private chain *catches up*
/// with the honest chain (equal length, Nakamoto 2008 §11's gambler's-ruin event) or only when
/// it *overtakes* it (one block longer, which is what most-work fork choice with first-seen
/// ties actually needs before honest nodes switch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum SuccessRule {
    /// Private chain length ≥ honest chain length (the paper's formula).
    CatchUp,
    /// Private chain length > honest chain length.
    Overtake,
}

impl SuccessRule {
    /// How many blocks beyond a tie the attacker needs: 0 to catch up, 1 to overtake.
    pub fn extra(self) -> i64 {
        match self {
            SuccessRule::CatchUp => 0,
            SuccessRule::Overtake => 1,
        }
    }
}

/// Probability that an attacker `deficit` blocks behind ever reaches the success line of
/// `rule`: (q/p)^(deficit + extra), or 1 when q ≥ p (Nakamoto 2008 §11, gambler's ruin).
pub fn catch_up(q: f64, deficit: i64, rule: SuccessRule) -> f64 {
    let p = 1.0 - q;
    let needed = deficit + rule.extra();
    if q >= p || needed <= 0 {
        1.0
    } else {
        (q / p).powi(needed as i32)
    }
}

/// Nakamoto 2008 §11: P = 1 − Σ_{k=0}^{z} (λ^k e^{−λ} / k!) · (1 − (q/p)^{z−k}), λ = z·q/p,
/// with the paper's catch-up rule; with [`SuccessRule::Overtake`] the exponent is z − k + 1.
/// 1 when q ≥ ½. `q` in [0, 1], `z` confirmations.
pub fn nakamoto_2008(q: f64, z: u32, rule: SuccessRule) -> f64 {
    let p = 1.0 - q;
    if q >= p {
        return 1.0;
    }
    let lambda = f64::from(z) * q / p;
    let mut poisson = (-lambda).exp(); // k = 0
    let mut sum = 0.0;
    for k in 0..=z {
        if k > 0 {
            poisson *= lambda / f64::from(k);
        }
        sum += poisson * (1.0 - catch_up(q, i64::from(z) - i64::from(k), rule));
    }
    (1.0 - sum).clamp(0.0, 1.0)
}

/// The exact race (Rosenfeld 2014 §5; Grunspan & Pérez-Marco 2018): the attacker's block count
/// when the honest network finds its z-th block is negative-binomial,
/// P(k) = C(k+z−1, k) p^z q^k, so P = 1 − Σ_{k=0}^{z} P(k) (1 − (q/p)^{z−k}) (catch-up rule;
/// exponent z − k + 1 for overtake). 1 when q ≥ ½; with z = 0 the merchant does not wait and
/// the attacker has caught up already (1 under catch-up, q/p under overtake).
pub fn race_exact(q: f64, z: u32, rule: SuccessRule) -> f64 {
    let p = 1.0 - q;
    if q >= p {
        return 1.0;
    }
    if z == 0 {
        return catch_up(q, 0, rule);
    }
    // P(0) = p^z; P(k) = P(k−1) · q · (k+z−1)/k.
    let mut nb = p.powi(z as i32);
    let mut sum = 0.0;
    for k in 0..=z {
        if k > 0 {
            nb *= q * f64::from(k + z - 1) / f64::from(k);
        }
        sum += nb * (1.0 - catch_up(q, i64::from(z) - i64::from(k), rule));
    }
    (1.0 - sum).clamp(0.0, 1.0)
}

/// Stale-block rate approximation 1 − e^{−d/T}: the chance that another block is found during
/// the `delay` a block needs to reach the other miners, for mean block `interval` T (same
/// unit as `delay`). Decker & Wattenhofer 2013 §V.
pub fn stale_rate(delay: f64, interval: f64) -> f64 {
    1.0 - (-delay / interval).exp()
}

/// Selfish mining's relative revenue (Eyal & Sirer 2014 eq. 8) for a pool of share `alpha`
/// (< ½) when a fraction `gamma` of honest miners mine on the pool's block in a tie:
/// R = [α(1−α)²(4α + γ(1−2α)) − α³] / [1 − α(1 + (2−α)α)].
/// Honest mining earns α; selfish mining beats it when α > (1−γ)/(3−2γ).
pub fn selfish_revenue(alpha: f64, gamma: f64) -> f64 {
    let a = alpha;
    let num = a * (1.0 - a).powi(2) * (4.0 * a + gamma * (1.0 - 2.0 * a)) - a.powi(3);
    let den = 1.0 - a * (1.0 + (2.0 - a) * a);
    num / den
}

/// Standard error of a success frequency over `trials` Bernoulli trials of probability `p`:
/// √(p(1−p)/trials).
pub fn binomial_std_error(p: f64, trials: u64) -> f64 {
    (p * (1.0 - p) / trials.max(1) as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table printed in Nakamoto 2008 §11 (seven decimals, as the paper prints them).
    #[test]
    fn nakamoto_formula_reproduces_the_papers_table() {
        let table: [(f64, u32, f64); 12] = [
            (0.1, 0, 1.0),
            (0.1, 1, 0.2045873),
            (0.1, 2, 0.0509779),
            (0.1, 3, 0.0131722),
            (0.1, 4, 0.0034552),
            (0.1, 5, 0.0009137),
            (0.1, 10, 0.0000012),
            (0.3, 0, 1.0),
            (0.3, 5, 0.1773523),
            (0.3, 10, 0.0416605),
            (0.3, 30, 0.0001522),
            (0.3, 50, 0.0000006),
        ];
        for (q, z, expected) in table {
            let got = nakamoto_2008(q, z, SuccessRule::CatchUp);
            assert!((got - expected).abs() < 5e-8, "q = {q}, z = {z}: {got} vs {expected}");
        }
    }

    #[test]
    fn the_paper_s_required_confirmations_for_p_below_0_1_percent_match() {
        // Nakamoto 2008 §11: "Solving for P less than 0.1%": q=0.10 z=5, q=0.25 z=15, q=0.45 z=340.
        for (q, z) in [(0.10, 5), (0.15, 8), (0.20, 11), (0.25, 15), (0.30, 24), (0.35, 41)] {
            assert!(nakamoto_2008(q, z, SuccessRule::CatchUp) < 0.001, "q = {q}, z = {z}");
            assert!(nakamoto_2008(q, z - 1, SuccessRule::CatchUp) >= 0.001, "q = {q}, z = {z}");
        }
    }

    #[test]
    fn the_papers_poisson_shortcut_underestimates_deep_races_and_overtake_is_harder() {
        // Rosenfeld 2014 §5: for the confirmations merchants use, the exact race favours the
        // attacker more than the paper's table says (for z ≤ 2 it can be the other way round).
        for (q, z) in [(0.1, 6), (0.2, 6), (0.3, 5), (0.3, 10)] {
            let paper = nakamoto_2008(q, z, SuccessRule::CatchUp);
            let exact = race_exact(q, z, SuccessRule::CatchUp);
            assert!(exact > 1.1 * paper, "q = {q}, z = {z}: exact {exact} paper {paper}");
        }
        for q in [0.1, 0.2, 0.3, 0.4] {
            for z in 1..12 {
                let catch = race_exact(q, z, SuccessRule::CatchUp);
                assert!(race_exact(q, z, SuccessRule::Overtake) < catch, "q = {q}, z = {z}");
                let catch = nakamoto_2008(q, z, SuccessRule::CatchUp);
                assert!(nakamoto_2008(q, z, SuccessRule::Overtake) < catch, "q = {q}, z = {z}");
            }
        }
        assert_eq!(race_exact(0.5, 6, SuccessRule::CatchUp), 1.0);
        assert_eq!(race_exact(0.2, 0, SuccessRule::Overtake), 0.25);
    }

    #[test]
    fn exact_race_matches_grunspan_perez_marco_closed_form() {
        // Grunspan & Pérez-Marco 2018 Thm. 1 (their "catch up", the paper's convention):
        // P = 1 − Σ_{k=0}^{z−1} (p^z q^k − q^z p^k) C(k+z−1, k); Rosenfeld 2014 Table 1 gives
        // 0.00059 for q = 0.1, z = 6.
        for (q, z) in [(0.1f64, 1u32), (0.1, 6), (0.25, 3), (0.3, 10), (0.45, 7)] {
            let p = 1.0 - q;
            let mut sum = 0.0;
            let mut binom = 1.0; // C(z−1, 0)
            for k in 0..z {
                if k > 0 {
                    binom *= f64::from(k + z - 1) / f64::from(k);
                }
                sum += (p.powi(z as i32) * q.powi(k as i32) - q.powi(z as i32) * p.powi(k as i32))
                    * binom;
            }
            let closed = 1.0 - sum;
            let ours = race_exact(q, z, SuccessRule::CatchUp);
            assert!((ours - closed).abs() < 1e-12, "q = {q}, z = {z}: {ours} vs {closed}");
        }
        assert!((race_exact(0.1, 6, SuccessRule::CatchUp) - 0.00059).abs() < 5e-6);
    }

    #[test]
    fn stale_rate_and_selfish_revenue_match_their_known_values() {
        assert!((stale_rate(1.0, 1.0) - 0.632_120_558).abs() < 1e-9);
        assert!((stale_rate(12.6, 600.0) - 0.020_78).abs() < 1e-4); // Decker-Wattenhofer's 12.6 s
                                                                    // Eyal & Sirer: with γ = 0 the threshold is α = 1/3, where R = α.
        assert!((selfish_revenue(1.0 / 3.0, 0.0) - 1.0 / 3.0).abs() < 1e-12);
        assert!(selfish_revenue(0.25, 0.0) < 0.25 && selfish_revenue(0.4, 0.0) > 0.4);
        // γ = 1: any pool profits.
        assert!(selfish_revenue(0.1, 1.0) > 0.1);
    }
}
