//! One reporter's side of a push-model data feed: observe, decide, submit at most once per round.
//!
//! The decision follows Chainlink's FluxAggregator (Breidenbach et al., "Chainlink 2.0", 2021,
//! §5.1 "Flux monitor"): a reporter *joins* a round another reporter has started; it *starts*
//! one when the latest answer is older than the heartbeat, or its observation deviates from the
//! latest answer by at least the threshold, or no round has closed yet. It never reports twice in
//! a round: the contract's `reported(round, me)` and the state file's last reported round are both
//! checked, and a report whose transaction is still in flight (pending nonce above the mined one)
//! is not re-sent ([`decide`]).

use std::time::Duration;

use alloy_primitives::{Address, TxKind, I256, U256};
use alloy_sol_types::SolCall;
use quarry_wallet::rpc::{BlockId, RpcClient, RpcError};
use quarry_wallet::tx::Sender;

use crate::config::FeedConfig;
use crate::contracts::{self, IQuarryAggregator, SendError};
use crate::decimal;
use crate::source::{self, Source};
use crate::state::{StateError, StateFile};

/// The chain's view of the feed, as one reporter sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoundView {
    /// The round accepting reports (`latestRound + 1`).
    pub open_round: u64,
    /// Reports already in the open round.
    pub open_reports: u64,
    /// Whether this reporter has reported in the open round (on chain).
    pub reported_by_me: bool,
    /// The latest closed round's answer and `updatedAt` (unix seconds), if any.
    pub latest: Option<(I256, u64)>,
}

/// What a reporter does this tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Submit the observation to this round.
    Report {
        /// The round.
        round: u64,
        /// Why: `"join"`, `"first round"`, `"heartbeat"` or `"deviation"`.
        trigger: &'static str,
    },
    /// Do nothing.
    Skip {
        /// Why: `"already reported"`, `"report in flight"` or `"no trigger"`.
        reason: &'static str,
    },
}

/// The reporting rule (see the module doc); pure, so it is tested without a chain.
///
/// `last_sent_round` is the state file's; `in_flight` says whether this reporter has sent
/// transactions not yet mined; `now` is unix seconds; `deviation_percent` e.g. `0.5`.
pub fn decide(
    view: &RoundView,
    observation: I256,
    last_sent_round: Option<u64>,
    in_flight: bool,
    now: u64,
    heartbeat: Duration,
    deviation_percent: f64,
) -> Decision {
    let round = view.open_round;
    if view.reported_by_me {
        return Decision::Skip { reason: "already reported" };
    }
    if last_sent_round.is_some_and(|r| r >= round) && in_flight {
        return Decision::Skip { reason: "report in flight" };
    }
    if view.open_reports > 0 {
        return Decision::Report { round, trigger: "join" };
    }
    let Some((answer, updated_at)) = view.latest else {
        return Decision::Report { round, trigger: "first round" };
    };
    if now.saturating_sub(updated_at) >= heartbeat.as_secs() {
        return Decision::Report { round, trigger: "heartbeat" };
    }
    if deviation(observation, answer) >= deviation_percent {
        return Decision::Report { round, trigger: "deviation" };
    }
    Decision::Skip { reason: "no trigger" }
}

/// `|observation − answer| / |answer|` in percent (infinite when the answer is 0 and the
/// observation is not).
pub fn deviation(observation: I256, answer: I256) -> f64 {
    let as_f64 = |v: I256| v.to_string().parse::<f64>().unwrap_or(f64::INFINITY);
    let (o, a) = (as_f64(observation), as_f64(answer));
    if a == 0.0 {
        return if o == 0.0 { 0.0 } else { f64::INFINITY };
    }
    ((o - a) / a).abs() * 100.0
}

/// Why a feed step failed (the daemon logs it and tries again next tick).
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// Reading the chain failed.
    #[error("node: {0}")]
    Rpc(#[from] RpcError),
    /// Every source failed (each failure was logged).
    #[error("no source answered")]
    NoObservation,
    /// The report was not accepted.
    #[error("submit: {0}")]
    Send(#[from] SendError),
    /// The state file could not be written.
    #[error(transparent)]
    State(#[from] StateError),
}

/// A feed this reporter reports to, with its decimals read from the aggregator.
#[derive(Debug)]
pub struct Feed {
    /// Name for logs.
    pub name: String,
    /// The aggregator.
    pub aggregator: Address,
    /// The sources, scaled to the feed's decimals.
    pub sources: Vec<Source>,
    /// See [`FeedConfig::heartbeat`].
    pub heartbeat: Duration,
    /// See [`FeedConfig::deviation_percent`].
    pub deviation_percent: f64,
    /// The aggregator's `decimals()`.
    pub decimals: u8,
}

impl Feed {
    /// Reads the aggregator's decimals and checks that `me` is one of its reporters.
    ///
    /// # Errors
    /// [`RpcError`] (an address without the contract answers with an undecodable return), or
    /// a message when `me` is not a reporter.
    pub async fn connect(
        config: &FeedConfig,
        client: &RpcClient,
        me: Address,
    ) -> anyhow::Result<Feed> {
        let at = config.aggregator;
        let decimals = contracts::view(client, at, IQuarryAggregator::decimalsCall {}).await?;
        let is_reporter =
            contracts::view(client, at, IQuarryAggregator::isReporterCall { reporter: me }).await?;
        anyhow::ensure!(is_reporter, "{me} is not a reporter of aggregator {at} ({})", config.name);
        let sources = config
            .sources
            .iter()
            .map(|s| s.to_source(decimals))
            .collect::<Result<Vec<_>, _>>()
            .map_err(anyhow::Error::msg)?;
        Ok(Feed {
            name: config.name.clone(),
            aggregator: at,
            sources,
            heartbeat: config.heartbeat,
            deviation_percent: config.deviation_percent,
            decimals,
        })
    }

    /// The median of the sources that answered (each failure is logged with its reason).
    ///
    /// # Errors
    /// [`FeedError::NoObservation`] when none answered.
    pub async fn observe(&self, http: &reqwest::Client) -> Result<I256, FeedError> {
        let mut values = Vec::new();
        for source in &self.sources {
            match source.observe(http).await {
                Ok(value) => values.push(value),
                Err(e) => {
                    tracing::warn!(feed = %self.name, %source, error = %e, "source gave no value after retries")
                }
            }
        }
        source::median(values).ok_or(FeedError::NoObservation)
    }

    /// The chain's view for reporter `me`.
    ///
    /// # Errors
    /// [`RpcError`].
    pub async fn round_view(&self, client: &RpcClient, me: Address) -> Result<RoundView, RpcError> {
        let at = self.aggregator;
        let open = contracts::view(client, at, IQuarryAggregator::openRoundStateCall {}).await?;
        let reported = contracts::view(
            client,
            at,
            IQuarryAggregator::reportedCall { roundId: open.roundId, reporter: me },
        )
        .await?;
        let latest_round: u64 = open.roundId.to::<u64>() - 1;
        let latest = if latest_round == 0 {
            None
        } else {
            let data =
                contracts::view(client, at, IQuarryAggregator::latestRoundDataCall {}).await?;
            Some((data.answer, data.updatedAt.saturating_to::<u64>()))
        };
        Ok(RoundView {
            open_round: open.roundId.to(),
            open_reports: open.reports.saturating_to(),
            reported_by_me: reported,
            latest,
        })
    }

    /// One tick: read the chain, observe, decide, and submit if the rule says so.
    ///
    /// # Errors
    /// [`FeedError`]; the caller logs it and carries on.
    pub async fn step(
        &self,
        sender: &Sender<'_>,
        http: &reqwest::Client,
        state: &mut StateFile,
    ) -> Result<(), FeedError> {
        let client = sender.client;
        let me = sender.address();
        let view = self.round_view(client, me).await?;
        if view.reported_by_me {
            tracing::debug!(feed = %self.name, round = view.open_round, "already reported");
            return Ok(());
        }
        let observation = self.observe(http).await?;
        let in_flight = client.transaction_count(me, BlockId::Pending).await?
            > client.transaction_count(me, BlockId::Latest).await?;
        let last_sent = state.state.last_reported_round.get(&self.aggregator).copied();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let decision = decide(
            &view,
            observation,
            last_sent,
            in_flight,
            now,
            self.heartbeat,
            self.deviation_percent,
        );
        let Decision::Report { round, trigger } = decision else {
            tracing::debug!(feed = %self.name, ?decision, "not reporting");
            return Ok(());
        };
        if last_sent == Some(round) {
            tracing::warn!(feed = %self.name, round, "an earlier report for this round did not land; sending again");
        }
        let call = IQuarryAggregator::submitCall {
            roundId: alloy_primitives::Uint::from(round),
            answer: observation,
        };
        let value = decimal::format(observation, self.decimals);
        tracing::info!(feed = %self.name, round, %value, trigger, "reporting");
        // Record the round before sending: a restart while the transaction is in flight must
        // not send a second one (the in-flight check above lets a dropped one be re-sent).
        state.state.last_reported_round.insert(self.aggregator, round);
        state.save()?;
        let receipt = contracts::send(
            sender,
            TxKind::Call(self.aggregator),
            call.abi_encode().into(),
            Duration::from_secs(60),
        )
        .await;
        match receipt {
            Ok(receipt) => {
                tracing::info!(feed = %self.name, round, %value, block = %receipt.block_number, "report accepted");
                Ok(())
            }
            Err(SendError::Reverts { reason }) => {
                // The round closed (or we reported) between our read and our estimate: benign.
                tracing::info!(feed = %self.name, round, %reason, "report not needed");
                Ok(())
            }
            Err(SendError::MinedReverted { hash }) => {
                let latest =
                    contracts::view(client, self.aggregator, IQuarryAggregator::latestRoundCall {})
                        .await?;
                if latest.to::<u64>() >= round {
                    // Another report closed the round in the same or an earlier block: the race
                    // every push-model feed has (FluxAggregator's too); nothing is lost.
                    tracing::info!(feed = %self.name, round, %hash, "round closed before our report landed");
                    Ok(())
                } else {
                    Err(SendError::MinedReverted { hash }.into())
                }
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// `U256` seconds → `u64`, saturating (for display).
pub fn seconds(value: U256) -> u64 {
    value.saturating_to()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn i(n: i128) -> I256 {
        I256::try_from(n).unwrap()
    }

    const HEARTBEAT: Duration = Duration::from_secs(60);

    fn view(open_reports: u64, reported_by_me: bool, latest: Option<(I256, u64)>) -> RoundView {
        RoundView { open_round: 5, open_reports, reported_by_me, latest }
    }

    #[test]
    fn a_reporter_never_reports_twice_in_a_round() {
        let v = view(2, true, Some((i(100), 1000)));
        assert_eq!(
            decide(&v, i(100), None, false, 1000, HEARTBEAT, 0.5),
            Decision::Skip { reason: "already reported" }
        );
        // Not yet on chain but sent and still in flight: wait for it.
        let v = view(2, false, Some((i(100), 1000)));
        assert_eq!(
            decide(&v, i(100), Some(5), true, 1000, HEARTBEAT, 0.5),
            Decision::Skip { reason: "report in flight" }
        );
        // Sent, nothing in flight, not on chain: it was dropped; report again.
        assert_eq!(
            decide(&v, i(100), Some(5), false, 1000, HEARTBEAT, 0.5),
            Decision::Report { round: 5, trigger: "join" }
        );
    }

    #[test]
    fn reporters_join_started_rounds_and_start_on_heartbeat_or_deviation() {
        let latest = Some((i(10_000), 1000));
        let quiet = view(0, false, latest);
        assert_eq!(
            decide(&quiet, i(10_010), None, false, 1030, HEARTBEAT, 0.5),
            Decision::Skip { reason: "no trigger" }
        );
        assert_eq!(
            decide(&quiet, i(10_050), None, false, 1030, HEARTBEAT, 0.5),
            Decision::Report { round: 5, trigger: "deviation" }
        );
        assert_eq!(
            decide(&quiet, i(9_950), None, false, 1030, HEARTBEAT, 0.5),
            Decision::Report { round: 5, trigger: "deviation" }
        );
        assert_eq!(
            decide(&quiet, i(10_000), None, false, 1060, HEARTBEAT, 0.5),
            Decision::Report { round: 5, trigger: "heartbeat" }
        );
        assert_eq!(
            decide(&view(1, false, latest), i(10_000), None, false, 1001, HEARTBEAT, 0.5),
            Decision::Report { round: 5, trigger: "join" }
        );
        assert_eq!(
            decide(&view(0, false, None), i(1), None, false, 0, HEARTBEAT, 0.5),
            Decision::Report { round: 5, trigger: "first round" }
        );
    }

    #[test]
    fn deviation_is_relative_to_the_answer_in_percent() {
        assert_eq!(deviation(i(101), i(100)), 1.0);
        assert_eq!(deviation(i(-99), i(-100)), 1.0);
        assert_eq!(deviation(i(0), i(0)), 0.0);
        assert!(deviation(i(1), i(0)).is_infinite());
    }
}
