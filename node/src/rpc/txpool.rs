//! geth's `txpool_` namespace (`internal/ethapi` `TxPoolAPI`): `txpool_status`,
//! `txpool_content`, `txpool_contentFrom` and `txpool_inspect`. *Pending* transactions are each
//! sender's run of consecutive nonces from its account nonce (executable now); *queued* ones
//! sit behind a nonce gap. Accounts are keyed by their EIP-55 checksummed address and
//! transactions by their nonce in decimal, as geth keys them.

use std::collections::BTreeMap;

use alloy_primitives::{Address, TxKind};
use jsonrpsee::server::RpcModule;
use serde_json::{json, Map, Value};

use super::eth::state_for;
use super::json;
use super::params::{self, BlockId};
use super::{method, Ctx, RpcError};
use crate::mempool::PoolTransaction;

/// Sender (checksummed) → nonce (decimal) → a rendered transaction.
type BySender = Map<String, Value>;

/// Pending and queued transactions of each sender, rendered by `render`.
fn content(
    c: &Ctx,
    only: Option<Address>,
    render: impl Fn(&PoolTransaction) -> Value,
) -> Result<(BySender, BySender), RpcError> {
    let view = c.node.view();
    let state = state_for(&view, c, BlockId::Latest)?;
    Ok(c.node.with_pool(|pool| {
        let mut senders: Vec<Address> = match only {
            Some(address) => vec![address],
            None => pool.senders().collect(),
        };
        senders.sort();
        let (mut pending, mut queued) = (Map::new(), Map::new());
        for sender in senders {
            let by_nonce = |txs: Vec<&PoolTransaction>| -> Map<String, Value> {
                let sorted: BTreeMap<u64, Value> =
                    txs.into_iter().map(|p| (p.tx.nonce(), render(p))).collect();
                sorted.into_iter().map(|(nonce, v)| (nonce.to_string(), v)).collect()
            };
            let p = by_nonce(pool.pending(sender, &state));
            let q = by_nonce(pool.queued(sender, &state));
            if !p.is_empty() {
                pending.insert(sender.to_string(), Value::Object(p));
            }
            if !q.is_empty() {
                queued.insert(sender.to_string(), Value::Object(q));
            }
        }
        (pending, queued)
    }))
}

/// geth's one-line summary: `TO: VALUE wei + GAS gas × PRICE wei` (`contract creation: …` for
/// a deployment), PRICE being the fee cap.
fn summary(p: &PoolTransaction) -> Value {
    let tx = &p.tx;
    let to = match tx.to() {
        TxKind::Call(to) => to.to_string(),
        TxKind::Create => "contract creation".to_string(),
    };
    json!(format!(
        "{to}: {} wei + {} gas × {} wei",
        tx.value(),
        tx.gas_limit(),
        tx.max_fee_per_gas()
    ))
}

fn full(p: &PoolTransaction) -> Value {
    json::transaction(&p.tx, p.sender, None)
}

pub(super) fn register(m: &mut RpcModule<Ctx>) {
    method(m, "txpool_status", |c, _| {
        let (pending, queued) = content(c, None, |_| Value::Null)?;
        let count = |m: &Map<String, Value>| {
            m.values().map(|v| v.as_object().map_or(0, Map::len) as u64).sum::<u64>()
        };
        Ok(json!({"pending": json::qty(count(&pending)), "queued": json::qty(count(&queued))}))
    });
    method(m, "txpool_content", |c, _| {
        let (pending, queued) = content(c, None, full)?;
        Ok(json!({"pending": pending, "queued": queued}))
    });
    method(m, "txpool_contentFrom", |c, a| {
        let address = params::address(a, 0, "address")?;
        let (mut pending, mut queued) = content(c, Some(address), full)?;
        let key = address.to_string();
        Ok(json!({
            "pending": pending.remove(&key).unwrap_or_else(|| json!({})),
            "queued": queued.remove(&key).unwrap_or_else(|| json!({})),
        }))
    });
    method(m, "txpool_inspect", |c, _| {
        let (pending, queued) = content(c, None, summary)?;
        Ok(json!({"pending": pending, "queued": queued}))
    });
}
