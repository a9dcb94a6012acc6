//! The network model: latency distributions, loss, duplication, reordering and partitions.
//!
//! Links are *fair-loss* in the sense of CGR §2.4.2 when `loss < 1`: a message sent infinitely
//! often is delivered infinitely often, but any single copy may be dropped, duplicated or delayed.

use std::collections::BTreeSet;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::protocol::{NodeId, Time};

/// Distribution of one message's one-way delay, in simulated microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum LatencyModel {
    /// Every message takes exactly this long.
    Constant(Time),
    /// Uniform on `[min, max]` (inclusive).
    Uniform {
        /// Smallest delay.
        min: Time,
        /// Largest delay.
        max: Time,
    },
    /// `min + Exp(mean)`: a floor plus an exponential tail with the given mean.
    Exponential {
        /// Floor added to every sample.
        min: Time,
        /// Mean of the exponential part.
        mean: Time,
    },
    /// `exp(N(mu, sigma²))` microseconds: the heavy-tailed shape measured on real networks.
    LogNormal {
        /// Mean of ln(delay in µs).
        mu: f64,
        /// Standard deviation of ln(delay in µs).
        sigma: f64,
    },
}

impl LatencyModel {
    /// Draw one delay from the network RNG stream.
    pub fn sample(&self, rng: &mut ChaCha8Rng) -> Time {
        match *self {
            LatencyModel::Constant(d) => d,
            LatencyModel::Uniform { min, max } => rng.random_range(min..=max.max(min)),
            LatencyModel::Exponential { min, mean } => {
                let u: f64 = rng.random::<f64>();
                min + (-(1.0 - u).ln() * mean as f64) as Time
            }
            LatencyModel::LogNormal { mu, sigma } => {
                // Box–Muller: one standard normal from two uniforms.
                let u1: f64 = 1.0 - rng.random::<f64>();
                let u2: f64 = rng.random::<f64>();
                let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
                (mu + sigma * z).exp().min(1e15) as Time
            }
        }
    }
}

/// Per-message fault probabilities and the latency model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NetworkConfig {
    /// Delay of each copy.
    pub latency: LatencyModel,
    /// Probability in `[0, 1]` that a copy is dropped.
    pub loss: f64,
    /// Probability in `[0, 1]` that a message is sent twice (each copy gets its own delay).
    pub duplication: f64,
    /// Probability in `[0, 1]` that a copy is held back by an extra `reorder_delay`, so that
    /// later messages overtake it.
    pub reorder: f64,
    /// Extra delay, in µs, for a reordered copy (drawn uniformly from `[0, reorder_delay]`).
    pub reorder_delay: Time,
    /// Partial synchrony with an explicit global stabilization time (DLS 1988 §2); `None`: the
    /// latency model above holds for the whole run.
    pub gst: Option<Gst>,
}

impl Default for NetworkConfig {
    /// 1–10 ms uniform latency, no loss, no duplication, no reordering.
    fn default() -> Self {
        NetworkConfig {
            latency: LatencyModel::Uniform { min: 1_000, max: 10_000 },
            loss: 0.0,
            duplication: 0.0,
            reorder: 0.0,
            reorder_delay: 50_000,
            gst: None,
        }
    }
}

/// Partial synchrony with a global stabilization time: Dwork, Lynch & Stockmeyer, "Consensus in
/// the presence of partial synchrony", JACM 35(2) 1988, §2 (the model where "Δ holds
/// eventually"; the simulator plays the adversary that picks GST and the delays before it).
///
/// - A copy sent at `t < at` gets an arbitrary delay chosen by [`PreGst`] from the network
///   stream: finite on every run, but with no bound across runs.
/// - A copy sent at `t ≥ at` is delivered by `t + delta`: its latency sample is capped at
///   `delta`, and loss, reordering and partitions no longer touch it.
///
/// Processes do not know `at`; protocols that know `delta` may use it in their timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gst {
    /// The global stabilization time, simulated µs.
    pub at: Time,
    /// Δ: the bound on one-way delay from GST on, µs.
    pub delta: Time,
    /// What the adversary does with copies sent before GST.
    pub before: PreGst,
}

/// The adversary's delays for copies sent before GST.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PreGst {
    /// Hold every copy back until GST, then release it at `GST + Exp(mean Δ)`: nothing sent
    /// before GST arrives before it, and the tail makes some copies arrive later than `GST + Δ`
    /// (allowed: the bound covers only copies sent from GST on).
    HoldBack,
    /// Delay each copy by its latency sample plus `Exp(mean GST)`: some arrive at once, some long
    /// after GST, in any order.
    Chaos,
}

impl Gst {
    /// The delay, µs, of one copy sent at `now` whose latency-model sample is `sample`; `rng`
    /// is the network stream (one draw for copies sent before GST, none after).
    pub fn delay(&self, now: Time, sample: Time, rng: &mut ChaCha8Rng) -> Time {
        let exp = |rng: &mut ChaCha8Rng, mean: Time| {
            let u: f64 = rng.random::<f64>();
            (-(1.0 - u).ln() * mean as f64) as Time
        };
        if now >= self.at {
            return sample.min(self.delta);
        }
        match self.before {
            PreGst::HoldBack => self.at - now + exp(rng, self.delta),
            PreGst::Chaos => sample + exp(rng, self.at),
        }
    }

    /// Whether a copy sent at `now` is past GST (delivered within Δ, never lost or cut).
    pub fn stable(&self, now: Time) -> bool {
        now >= self.at
    }
}

/// Error in a `--gst` spec.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GstSpecError {
    /// The spec does not have the shape `GST_MS+DELTA_MS[/hold|/chaos]`.
    #[error("bad GST spec {0:?}: expected GST_MS+DELTA_MS[/hold|/chaos], like `500+10`")]
    Shape(String),
    /// Δ is zero: no message could be delivered after GST.
    #[error("bad GST spec {0:?}: Δ must be at least 1 µs")]
    ZeroDelta(String),
}

/// Parse `GST_MS+DELTA_MS[/hold|/chaos]` (milliseconds, fractions allowed; default `hold`):
/// `500+10` = GST at 500 ms, Δ = 10 ms, every copy sent before GST held back until it.
/// `none` or the empty string means no GST (`Ok(None)`).
///
/// # Errors
/// [`GstSpecError`] naming the spec.
pub fn parse_gst(spec: &str) -> Result<Option<Gst>, GstSpecError> {
    let spec = spec.trim();
    if spec.is_empty() || spec == "none" {
        return Ok(None);
    }
    let shape = || GstSpecError::Shape(spec.to_owned());
    let (times, mode) = spec.split_once('/').unwrap_or((spec, "hold"));
    let before = match mode {
        "hold" => PreGst::HoldBack,
        "chaos" => PreGst::Chaos,
        _ => return Err(shape()),
    };
    let (at, delta) = times.split_once('+').ok_or_else(shape)?;
    let us = |t: &str| match t.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok((v * 1000.0) as Time),
        _ => Err(shape()),
    };
    let (at, delta) = (us(at)?, us(delta)?);
    if delta == 0 {
        return Err(GstSpecError::ZeroDelta(spec.to_owned()));
    }
    Ok(Some(Gst { at, delta, before }))
}

/// A network partition: which directed links it cuts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Partition {
    /// Cut both directions between every process of `a` and every process of `b`.
    TwoWay {
        /// One side.
        a: BTreeSet<NodeId>,
        /// The other side.
        b: BTreeSet<NodeId>,
    },
    /// Cut only messages *from* `from` *to* `to` (the reverse direction still works).
    OneWay {
        /// Senders whose messages are cut.
        from: BTreeSet<NodeId>,
        /// Receivers that stop hearing them.
        to: BTreeSet<NodeId>,
    },
}

impl Partition {
    /// Whether this partition drops a message from `from` to `to`.
    pub fn blocks(&self, from: NodeId, to: NodeId) -> bool {
        match self {
            Partition::TwoWay { a, b } => {
                (a.contains(&from) && b.contains(&to)) || (b.contains(&from) && a.contains(&to))
            }
            Partition::OneWay { from: f, to: t } => f.contains(&from) && t.contains(&to),
        }
    }
}

/// A partition that starts at `from` and heals at `until` (both simulated µs; `None` = never heals).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledPartition {
    /// The links it cuts.
    pub partition: Partition,
    /// Start time, µs.
    pub from: Time,
    /// Heal time, µs; `None` keeps it forever.
    pub until: Option<Time>,
}

/// Error in a partition spec string, naming the bad piece.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PartitionSpecError {
    /// The spec does not have the shape `GROUP|GROUP@START-END` or `GROUP>GROUP@START[-END]`.
    #[error("bad partition spec {0:?}: expected like `0,1|2,3,4@100-500` or `0>1,2@100` (ms)")]
    Shape(String),
    /// A node id or a time is not a number.
    #[error("bad number {0:?} in partition spec")]
    Number(String),
    /// A node id is `>= n`.
    #[error("node {node} in partition spec does not exist (n = {n})")]
    NoSuchNode {
        /// The bad id.
        node: NodeId,
        /// Number of processes.
        n: usize,
    },
}

/// Parse `SPEC[;SPEC…]` where SPEC = `A|B@START-END` (two-way) or `A>B@START-END` (one-way),
/// groups are comma-separated node ids, times are **milliseconds**, and `-END` may be omitted
/// (never heals). `none` or the empty string means no partition.
///
/// # Errors
/// [`PartitionSpecError`] naming the first bad piece.
pub fn parse_partitions(
    spec: &str,
    n: usize,
) -> Result<Vec<ScheduledPartition>, PartitionSpecError> {
    let spec = spec.trim();
    if spec.is_empty() || spec == "none" {
        return Ok(Vec::new());
    }
    spec.split(';').map(|one| parse_one(one.trim(), n)).collect()
}

fn parse_one(one: &str, n: usize) -> Result<ScheduledPartition, PartitionSpecError> {
    let shape = || PartitionSpecError::Shape(one.to_owned());
    let (groups, times) = one.split_once('@').ok_or_else(shape)?;
    let (from, until) = match times.split_once('-') {
        Some((s, e)) => (number(s)?, Some(number(e)? * 1_000)),
        None => (number(times)?, None),
    };
    let partition = if let Some((a, b)) = groups.split_once('|') {
        Partition::TwoWay { a: group(a, n)?, b: group(b, n)? }
    } else if let Some((a, b)) = groups.split_once('>') {
        Partition::OneWay { from: group(a, n)?, to: group(b, n)? }
    } else {
        return Err(shape());
    };
    Ok(ScheduledPartition { partition, from: from * 1_000, until })
}

fn number(text: &str) -> Result<u64, PartitionSpecError> {
    text.trim().parse().map_err(|_| PartitionSpecError::Number(text.to_owned()))
}

fn group(text: &str, n: usize) -> Result<BTreeSet<NodeId>, PartitionSpecError> {
    text.split(',')
        .map(|id| {
            let node = number(id)? as NodeId;
            if node >= n {
                return Err(PartitionSpecError::NoSuchNode { node, n });
            }
            Ok(node)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn two_way_partition_spec_cuts_both_directions_and_heals_at_end() {
        let parts = parse_partitions("0,1|2,3,4@100-500", 5).unwrap();
        assert_eq!(parts.len(), 1);
        assert_eq!((parts[0].from, parts[0].until), (100_000, Some(500_000)));
        assert!(parts[0].partition.blocks(0, 3) && parts[0].partition.blocks(4, 1));
        assert!(!parts[0].partition.blocks(0, 1));
    }

    #[test]
    fn one_way_partition_spec_cuts_only_one_direction() {
        let parts = parse_partitions("0>1,2@0", 3).unwrap();
        assert!(parts[0].partition.blocks(0, 2));
        assert!(!parts[0].partition.blocks(2, 0));
        assert_eq!(parts[0].until, None);
    }

    #[test]
    fn partition_spec_errors_name_the_bad_value() {
        assert_eq!(
            parse_partitions("0|7@1-2", 5),
            Err(PartitionSpecError::NoSuchNode { node: 7, n: 5 })
        );
        assert_eq!(parse_partitions("0|x@1", 5), Err(PartitionSpecError::Number("x".into())));
        assert!(matches!(parse_partitions("0,1", 5), Err(PartitionSpecError::Shape(_))));
    }

    #[test]
    fn gst_spec_parses_times_in_ms_and_the_pre_gst_adversary() {
        let hold = Gst { at: 500_000, delta: 10_000, before: PreGst::HoldBack };
        assert_eq!(parse_gst("500+10"), Ok(Some(hold)));
        assert_eq!(
            parse_gst("0.5+2/chaos"),
            Ok(Some(Gst { at: 500, delta: 2_000, before: PreGst::Chaos }))
        );
        assert_eq!(parse_gst("none"), Ok(None));
        assert!(matches!(parse_gst("500"), Err(GstSpecError::Shape(_))));
        assert!(matches!(parse_gst("500+10/slow"), Err(GstSpecError::Shape(_))));
        assert!(matches!(parse_gst("500+0"), Err(GstSpecError::ZeroDelta(_))));
    }

    #[test]
    fn before_gst_hold_back_delays_past_gst_and_after_gst_delays_are_capped_at_delta() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let gst = Gst { at: 1_000_000, delta: 10_000, before: PreGst::HoldBack };
        let mut late = 0;
        for sent in (0..1_000_000).step_by(997) {
            let arrive = sent + gst.delay(sent, 5_000, &mut rng);
            assert!(arrive >= gst.at, "sent {sent} arrived {arrive} before GST");
            late += usize::from(arrive > gst.at + gst.delta);
        }
        assert!(late > 0, "the exponential tail never passed GST + Δ");
        assert_eq!(gst.delay(1_000_000, 50_000, &mut rng), 10_000);
        assert_eq!(gst.delay(2_000_000, 3_000, &mut rng), 3_000);
        let chaos = Gst { before: PreGst::Chaos, ..gst };
        let delays: Vec<Time> = (0..1000).map(|_| chaos.delay(0, 1_000, &mut rng)).collect();
        assert!(delays.iter().any(|&d| d < 100_000) && delays.iter().any(|&d| d > 1_000_000));
    }

    #[test]
    fn latency_samples_stay_within_their_model_bounds() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for _ in 0..1000 {
            let d = LatencyModel::Uniform { min: 5, max: 9 }.sample(&mut rng);
            assert!((5..=9).contains(&d));
            assert!(LatencyModel::Exponential { min: 100, mean: 50 }.sample(&mut rng) >= 100);
        }
        let mean = (0..10_000)
            .map(|_| LatencyModel::Exponential { min: 0, mean: 1000 }.sample(&mut rng) as f64)
            .sum::<f64>()
            / 10_000.0;
        assert!((900.0..1100.0).contains(&mean), "exponential mean {mean}");
        let ln = LatencyModel::LogNormal { mu: 8.0, sigma: 0.5 };
        let mut samples: Vec<Time> = (0..10_001).map(|_| ln.sample(&mut rng)).collect();
        samples.sort_unstable();
        let median = samples[5_000] as f64;
        assert!((8.0f64.exp() * 0.9..8.0f64.exp() * 1.1).contains(&median), "median {median}");
    }
}
