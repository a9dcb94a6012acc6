//! The request-response (pull) side: watch `QuarryOracle`'s `OracleRequest` logs with
//! `eth_getLogs`, fetch each pending request's URL and JSON pointer, and fulfil it once.
//!
//! Every reporter of the oracle watches the same logs; the first valid `fulfill` wins and the
//! contract refuses the others (`UnknownRequest`), which a reporter sees at its gas estimate and
//! logs as "already fulfilled". A request whose fetch fails after its retries is logged and left
//! pending (another reporter may still answer it); the scan moves on.

use std::time::Duration;

use alloy_primitives::{Address, Bytes, TxKind, B256};
use alloy_sol_types::{SolCall, SolEvent};
use quarry_wallet::rpc::{RpcClient, RpcError, RpcLog};
use quarry_wallet::tx::Sender;
use serde_json::json;

use crate::config::RequestsConfig;
use crate::contracts::{self, IQuarryOracle, SendError};
use crate::source::{Source, SourceKind};
use crate::state::{StateError, StateFile};

/// Why a request scan failed (the daemon logs it and retries next tick).
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// Reading the chain failed.
    #[error("node: {0}")]
    Rpc(#[from] RpcError),
    /// The state file could not be written.
    #[error(transparent)]
    State(#[from] StateError),
}

/// `eth_getLogs` for `address`'s logs with `topic0` in `[from, to]`.
///
/// # Errors
/// [`RpcError`].
pub async fn get_logs(
    client: &RpcClient,
    address: Address,
    topic0: B256,
    from: u64,
    to: u64,
) -> Result<Vec<RpcLog>, RpcError> {
    let filter = json!({
        "fromBlock": format!("{from:#x}"),
        "toBlock": format!("{to:#x}"),
        "address": address,
        "topics": [topic0],
    });
    client.request("eth_getLogs", json!([filter])).await
}

/// Scans new blocks for requests and fulfils the pending ones.
///
/// # Errors
/// [`RequestError`]; the scan position only advances past blocks fully handled.
pub async fn step(
    config: &RequestsConfig,
    sender: &Sender<'_>,
    http: &reqwest::Client,
    state: &mut StateFile,
) -> Result<(), RequestError> {
    let client = sender.client;
    let latest = client.block_number().await?;
    let from = state.state.next_request_block.unwrap_or(config.from_block);
    if from > latest {
        return Ok(());
    }
    let logs =
        get_logs(client, config.oracle, IQuarryOracle::OracleRequest::SIGNATURE_HASH, from, latest)
            .await?;
    for log in logs {
        let request = match IQuarryOracle::OracleRequest::decode_raw_log(
            log.topics.iter().copied(),
            &log.data,
        ) {
            Ok(request) => request,
            Err(e) => {
                tracing::warn!(error = %e, "undecodable OracleRequest log skipped");
                continue;
            }
        };
        fulfil(config, sender, http, &request).await?;
    }
    state.state.next_request_block = Some(latest + 1);
    state.save()?;
    Ok(())
}

async fn fulfil(
    config: &RequestsConfig,
    sender: &Sender<'_>,
    http: &reqwest::Client,
    request: &IQuarryOracle::OracleRequest,
) -> Result<(), RpcError> {
    let id = request.requestId;
    let pending = contracts::view(
        sender.client,
        config.oracle,
        IQuarryOracle::isPendingCall { requestId: id },
    )
    .await?;
    if !pending {
        tracing::debug!(request = %id, "already fulfilled");
        return Ok(());
    }
    let source = Source {
        kind: SourceKind::Http { url: request.url.clone() },
        pointer: Some(request.path.clone()),
        timeout: config.timeout,
        retries: config.retries,
        backoff: config.backoff,
        min: None,
        max: None,
        decimals: request.decimals,
    };
    let value = match source.observe(http).await {
        Ok(value) => value,
        Err(e) => {
            tracing::error!(request = %id, %source, error = %e, "giving up on request after retries");
            return Ok(());
        }
    };
    let call = IQuarryOracle::fulfillCall { requestId: id, value };
    let input: Bytes = call.abi_encode().into();
    match contracts::send(sender, TxKind::Call(config.oracle), input, Duration::from_secs(60)).await
    {
        Ok(receipt) => {
            tracing::info!(request = %id, %value, block = %receipt.block_number, "request fulfilled")
        }
        Err(SendError::Reverts { reason }) => {
            tracing::info!(request = %id, %reason, "not fulfilled by us (already fulfilled?)")
        }
        Err(e) => tracing::warn!(request = %id, error = %e, "fulfilment failed"),
    }
    Ok(())
}
