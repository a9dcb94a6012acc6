//! `eth_subscribe` over WebSocket (geth's pub/sub): `newHeads` sends each new canonical header,
//! `logs` the matching logs of connected blocks (and, with `removed: true`, of blocks a
//! reorganisation disconnected), `newPendingTransactions` the hashes of transactions entering
//! the pool. Notifications are `eth_subscription` messages; `eth_unsubscribe` ends one.

use jsonrpsee::server::{RpcModule, SubscriptionMessage};
use jsonrpsee::types::ErrorObjectOwned;
use serde_json::Value;
use tokio::sync::broadcast::error::RecvError;

use super::eth::block_logs;
use super::params::{self, LogFilter};
use super::{positional, Ctx, RpcError};
use crate::service::ChainEvent;

enum Kind {
    NewHeads,
    Logs(LogFilter),
    PendingTransactions,
}

fn kind(args: &[Value]) -> Result<Kind, RpcError> {
    let name: String = params::req(args, 0, "subscription kind")?;
    match name.as_str() {
        "newHeads" => Ok(Kind::NewHeads),
        "logs" => Ok(Kind::Logs(params::log_filter(args, 1)?)),
        "newPendingTransactions" => Ok(Kind::PendingTransactions),
        other => Err(RpcError::invalid_params(format!(
            "unknown subscription {other:?}: expected newHeads, logs or newPendingTransactions"
        ))),
    }
}

pub(super) fn register(m: &mut RpcModule<Ctx>) {
    m.register_subscription(
        "eth_subscribe",
        "eth_subscription",
        "eth_unsubscribe",
        |params, pending, ctx, _| async move {
            let kind = match positional(&params).and_then(|a| kind(&a)) {
                Ok(k) => k,
                Err(e) => {
                    pending.reject(ErrorObjectOwned::from(e)).await;
                    return;
                }
            };
            let mut events = ctx.node.subscribe();
            let Ok(sink) = pending.accept().await else { return };
            loop {
                let event = tokio::select! {
                    () = sink.closed() => return,
                    event = events.recv() => event,
                };
                let messages: Vec<Value> = match event {
                    Ok(ChainEvent::NewTip { disconnected, connected, view }) => match &kind {
                        Kind::NewHeads => connected
                            .iter()
                            .map(|b| {
                                let work = view.header(&b.hash).ok().flatten().map(|(_, w)| w);
                                super::json::header(&b.block.header, work.unwrap_or_default())
                            })
                            .collect(),
                        Kind::Logs(filter) => {
                            let mut out = Vec::new();
                            let blocks = disconnected
                                .iter()
                                .map(|b| (b, true))
                                .chain(connected.iter().map(|b| (b, false)));
                            // Each block carries its receipts, disconnected ones included, so
                            // the logs of a reorganised-away block go out as `removed: true`.
                            for (block, removed) in blocks {
                                if !filter.may_match(&block.block.header.logs_bloom) {
                                    continue;
                                }
                                out.extend(block_logs(
                                    &block.block,
                                    &block.receipts,
                                    filter,
                                    removed,
                                ));
                            }
                            out
                        }
                        Kind::PendingTransactions => Vec::new(),
                    },
                    Ok(ChainEvent::NewTransaction(hash)) => match kind {
                        Kind::PendingTransactions => vec![serde_json::json!(hash)],
                        _ => Vec::new(),
                    },
                    // A slow reader missed events; carry on with the next ones.
                    Err(RecvError::Lagged(_)) => Vec::new(),
                    Err(RecvError::Closed) => return,
                };
                for message in messages {
                    let Ok(raw) = serde_json::value::to_raw_value(&message) else { continue };
                    if sink.send(SubscriptionMessage::from(raw)).await.is_err() {
                        return;
                    }
                }
            }
        },
    )
    .expect("subscription names are unique");
}
