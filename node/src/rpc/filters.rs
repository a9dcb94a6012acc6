//! Polled filters: `eth_newFilter`, `eth_newBlockFilter`, `eth_newPendingTransactionFilter`,
//! `eth_getFilterChanges`, `eth_getFilterLogs` and `eth_uninstallFilter`, as geth's
//! `eth/filters` API serves them. ethers v6's default `JsonRpcProvider` uses them for
//! `provider.on("block")`, `provider.on("pending")` and `contract.on(event)`; web3.py for
//! `w3.eth.filter(...)` and `events.X.create_filter`; viem for `createEventFilter`.
//!
//! A filter is installed with an id (`0x`-prefixed, 128 random bits, as geth's `rpc.NewID`) and
//! collects what happens after it was installed:
//! - a **block filter** the hashes of blocks joining the canonical chain, oldest first;
//! - a **pending transaction filter** the hashes of transactions entering the pool (or the
//!   transactions themselves when installed with `true`, geth's `fullTx`);
//! - a **log filter** the logs matching its criteria in connected blocks, and those of blocks a
//!   reorganisation disconnected again with `removed: true` (as geth sends them); a numeric
//!   `fromBlock`/`toBlock` bounds which blocks count.
//!
//! `eth_getFilterChanges` returns and clears what was collected since the last poll.
//! `eth_getFilterLogs` runs the log filter's criteria as `eth_getLogs` would. A filter not
//! polled for [`FILTER_TIMEOUT`] (geth's `--rpc.filter-timeout` default, five minutes) is
//! removed; calls with its id then answer `-32000 filter not found`, geth's words, which ethers
//! answers by installing a new one.
//!
//! Filters are fed from the node's [`ChainEvent`] stream by one task on the RPC runtime; a
//! filter whose client stops polling holds at most [`MAX_PENDING_CHANGES`] entries (the oldest
//! are dropped first).

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use alloy_primitives::{B256, U256};
use jsonrpsee::server::RpcModule;
use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;
use tracing::warn;

use super::eth::{block_logs, get_logs};
use super::params::{self, BlockId, LogFilter};
use super::{method, Ctx, RpcError};
use crate::service::{ChainEvent, Node};

/// How long a filter lives without being polled (geth's default `--rpc.filter-timeout`).
pub const FILTER_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// Most entries one filter holds between polls; beyond it the oldest are dropped.
pub const MAX_PENDING_CHANGES: usize = 100_000;

/// What a filter watches.
#[derive(Clone, Debug)]
enum Kind {
    /// New canonical blocks.
    Blocks,
    /// Transactions entering the pool; `true`: full transactions rather than hashes.
    PendingTransactions(bool),
    /// Logs matching the criteria.
    Logs(LogFilter),
}

/// One installed filter.
#[derive(Debug)]
struct Installed {
    kind: Kind,
    /// What happened since the last poll, oldest first.
    changes: VecDeque<Change>,
    /// When it was installed or last polled.
    last_poll: Instant,
    /// Chain work of the tip the node had published when the filter was installed: chain
    /// events up to that tip happened before the filter existed (the event stream can trail
    /// the published view), so they are not reported.
    installed_at_work: U256,
}

/// One collected entry.
#[derive(Debug)]
enum Change {
    /// A block or transaction hash.
    Hash(B256),
    /// A log or a full pending transaction, already in its JSON shape.
    Json(Value),
}

/// Every installed filter, shared by the RPC handlers and the feeding task.
#[derive(Debug, Default)]
pub(crate) struct Filters {
    installed: Mutex<HashMap<String, Installed>>,
    ids: RandomState,
    next: std::sync::atomic::AtomicU64,
}

impl Filters {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Installed>> {
        self.installed.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A fresh id: 128 bits from the process's random hash keys, as `0x` hex without leading
    /// zeros (geth's `rpc.NewID` shape).
    fn new_id(&self) -> String {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let hi = self.ids.hash_one((n, 0u8));
        let lo = self.ids.hash_one((n, 1u8));
        format!("{:#x}", (u128::from(hi) << 64) | u128::from(lo))
    }

    /// Installs a filter; `tip_work` is the chain work of the tip published now.
    fn install(&self, kind: Kind, tip_work: U256) -> String {
        let id = self.new_id();
        let now = Instant::now();
        let mut installed = self.lock();
        installed.retain(|_, f| now.duration_since(f.last_poll) < FILTER_TIMEOUT);
        let filter = Installed {
            kind,
            changes: VecDeque::new(),
            last_poll: now,
            installed_at_work: tip_work,
        };
        installed.insert(id.clone(), filter);
        id
    }

    /// Feeds one chain event to every filter it concerns, dropping filters nobody polled for
    /// [`FILTER_TIMEOUT`]. `pooled` renders a pool transaction by hash for full-transaction
    /// filters, taken when the transaction arrives (it may be mined before the next poll).
    pub(crate) fn on_event(&self, event: &ChainEvent, pooled: impl Fn(&B256) -> Option<Value>) {
        let now = Instant::now();
        let mut installed = self.lock();
        installed.retain(|_, f| now.duration_since(f.last_poll) < FILTER_TIMEOUT);
        let mut full_transaction = None;
        for filter in installed.values_mut() {
            if let ChainEvent::NewTip { view, .. } = event {
                // Work only grows from tip to tip: this change was already visible when the
                // filter was installed.
                if view.tip().work <= filter.installed_at_work {
                    continue;
                }
            }
            let new: Vec<Change> = match (&filter.kind, event) {
                (Kind::Blocks, ChainEvent::NewTip { connected, .. }) => {
                    connected.iter().map(|b| Change::Hash(b.hash)).collect()
                }
                (Kind::PendingTransactions(false), ChainEvent::NewTransaction(hash)) => {
                    vec![Change::Hash(*hash)]
                }
                (Kind::PendingTransactions(true), ChainEvent::NewTransaction(hash)) => {
                    full_transaction
                        .get_or_insert_with(|| pooled(hash))
                        .iter()
                        .cloned()
                        .map(Change::Json)
                        .collect()
                }
                (Kind::Logs(criteria), ChainEvent::NewTip { disconnected, connected, .. }) => {
                    let blocks = disconnected
                        .iter()
                        .map(|b| (b, true))
                        .chain(connected.iter().map(|b| (b, false)));
                    let mut logs = Vec::new();
                    for (block, removed) in blocks {
                        let header = &block.block.header;
                        if !in_range(criteria, header.number)
                            || !criteria.may_match(&header.logs_bloom)
                        {
                            continue;
                        }
                        logs.extend(
                            block_logs(&block.block, &block.receipts, criteria, removed)
                                .into_iter()
                                .map(Change::Json),
                        );
                    }
                    logs
                }
                _ => Vec::new(),
            };
            filter.changes.extend(new);
            let excess = filter.changes.len().saturating_sub(MAX_PENDING_CHANGES);
            filter.changes.drain(..excess);
        }
    }

    /// Takes what `id` collected since its last poll.
    fn take_changes(&self, id: &str) -> Result<Vec<Change>, RpcError> {
        let mut installed = self.lock();
        let filter = installed.get_mut(id).ok_or_else(not_found)?;
        filter.last_poll = Instant::now();
        Ok(filter.changes.drain(..).collect())
    }

    /// The criteria of log filter `id` (polling it resets its timeout, as geth's does).
    fn criteria(&self, id: &str) -> Result<LogFilter, RpcError> {
        let mut installed = self.lock();
        let filter = installed.get_mut(id).ok_or_else(not_found)?;
        filter.last_poll = Instant::now();
        match &filter.kind {
            Kind::Logs(criteria) => Ok(criteria.clone()),
            _ => Err(not_found()),
        }
    }

    fn uninstall(&self, id: &str) -> bool {
        self.lock().remove(id).is_some()
    }
}

/// geth's answer for an unknown, expired or wrong-kind filter id.
fn not_found() -> RpcError {
    RpcError::server("filter not found")
}

/// `true` when block `number` lies within the numeric bounds of `criteria` (a tag bound, such
/// as `latest`, follows the chain and bounds nothing).
fn in_range(criteria: &LogFilter, number: u64) -> bool {
    let after_from = match criteria.from_block {
        Some(BlockId::Number(from)) => number >= from,
        _ => true,
    };
    let before_to = match criteria.to_block {
        Some(BlockId::Number(to)) => number <= to,
        _ => true,
    };
    after_from && before_to
}

/// Starts the task that feeds `filters` from `node`'s events; it ends with the node's event
/// stream or the runtime.
pub(crate) fn spawn_feeder(node: &Node, filters: Arc<Filters>) {
    let mut events = node.subscribe();
    let node = node.clone();
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => filters.on_event(&event, |hash| {
                    node.with_pool(|pool| {
                        pool.get(hash).map(|p| super::json::transaction(&p.tx, p.sender, None))
                    })
                }),
                Err(RecvError::Lagged(missed)) => {
                    warn!(missed, "filters fell behind the chain's events; some changes are lost")
                }
                Err(RecvError::Closed) => return,
            }
        }
    });
}

/// Chain work of the tip the node has published.
fn tip_work(c: &Ctx) -> U256 {
    c.node.view().tip().work
}

/// The filter id argument.
fn filter_id(args: &[Value]) -> Result<String, RpcError> {
    match args.first() {
        Some(Value::String(id)) => Ok(id.to_ascii_lowercase()),
        Some(other) => {
            Err(RpcError::invalid_params(format!("filter id must be a hex string, got {other}")))
        }
        None => Err(RpcError::invalid_params("missing filter id (argument 0)")),
    }
}

pub(super) fn register(m: &mut RpcModule<Ctx>) {
    method(m, "eth_newFilter", |c, a| {
        let criteria = params::log_filter(a, 0)?;
        if criteria.block_hash.is_some() {
            return Err(RpcError::invalid_params(
                "a filter cannot be installed with blockHash: it watches new blocks \
                 (use eth_getLogs for one block)",
            ));
        }
        Ok(json!(c.filters.install(Kind::Logs(criteria), tip_work(c))))
    });
    method(m, "eth_newBlockFilter", |c, _| Ok(json!(c.filters.install(Kind::Blocks, tip_work(c)))));
    method(m, "eth_newPendingTransactionFilter", |c, a| {
        let full = params::opt::<bool>(a, 0, "full transactions flag")?.unwrap_or(false);
        Ok(json!(c.filters.install(Kind::PendingTransactions(full), tip_work(c))))
    });
    method(m, "eth_getFilterChanges", |c, a| {
        let id = filter_id(a)?;
        let changes = c.filters.take_changes(&id)?;
        let out: Vec<Value> = changes
            .into_iter()
            .map(|change| match change {
                Change::Hash(hash) => json!(hash),
                Change::Json(value) => value,
            })
            .collect();
        Ok(Value::Array(out))
    });
    method(m, "eth_getFilterLogs", |c, a| {
        let criteria = c.filters.criteria(&filter_id(a)?)?;
        get_logs(&c.node.view(), c, &criteria).map(Value::Array)
    });
    method(m, "eth_uninstallFilter", |c, a| Ok(json!(c.filters.uninstall(&filter_id(a)?))));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_distinct_hex_and_unknown_ids_are_not_found() {
        let filters = Filters::default();
        let a = filters.install(Kind::Blocks, U256::ZERO);
        let b = filters.install(Kind::Blocks, U256::ZERO);
        assert_ne!(a, b);
        assert!(a.starts_with("0x") && u128::from_str_radix(&a[2..], 16).is_ok(), "{a}");
        assert!(filters.take_changes(&a).unwrap().is_empty());
        assert!(filters.uninstall(&a));
        assert!(!filters.uninstall(&a));
        assert_eq!(filters.take_changes(&a).unwrap_err().message, "filter not found");
        assert_eq!(filters.criteria(&b).unwrap_err().message, "filter not found");
    }

    #[test]
    fn pending_transaction_filters_collect_hashes_until_polled() {
        let filters = Filters::default();
        let id = filters.install(Kind::PendingTransactions(false), U256::ZERO);
        let blocks = filters.install(Kind::Blocks, U256::ZERO);
        for i in 0..3u8 {
            filters.on_event(&ChainEvent::NewTransaction(B256::repeat_byte(i)), |_| None);
        }
        let changes = filters.take_changes(&id).unwrap();
        let hashes: Vec<B256> = changes
            .into_iter()
            .map(|c| match c {
                Change::Hash(h) => h,
                Change::Json(_) => panic!("JSON in a hash filter"),
            })
            .collect();
        assert_eq!(hashes, (0..3u8).map(B256::repeat_byte).collect::<Vec<_>>());
        assert!(filters.take_changes(&id).unwrap().is_empty(), "a poll clears the changes");
        assert!(filters.take_changes(&blocks).unwrap().is_empty(), "not a block");
    }

    #[test]
    fn unpolled_filters_expire_and_hold_a_bounded_backlog() {
        let filters = Filters::default();
        let id = filters.install(Kind::PendingTransactions(false), U256::ZERO);
        for i in 0..(MAX_PENDING_CHANGES + 10) {
            filters.on_event(&ChainEvent::NewTransaction(B256::with_last_byte(i as u8)), |_| None);
        }
        assert_eq!(filters.lock()[&id].changes.len(), MAX_PENDING_CHANGES);
        filters.lock().get_mut(&id).unwrap().last_poll =
            Instant::now().checked_sub(FILTER_TIMEOUT + Duration::from_secs(1)).unwrap();
        filters.on_event(&ChainEvent::NewTransaction(B256::ZERO), |_| None);
        assert!(filters.take_changes(&id).is_err(), "expired after five minutes unpolled");
    }

    #[test]
    fn numeric_bounds_limit_the_blocks_a_log_filter_counts() {
        let bounded = LogFilter {
            from_block: Some(BlockId::Number(5)),
            to_block: Some(BlockId::Number(7)),
            ..LogFilter::default()
        };
        assert!(!in_range(&bounded, 4) && in_range(&bounded, 5) && in_range(&bounded, 7));
        assert!(!in_range(&bounded, 8));
        let open = LogFilter { from_block: Some(BlockId::Latest), ..LogFilter::default() };
        assert!(in_range(&open, 0) && in_range(&open, u64::MAX));
    }
}
