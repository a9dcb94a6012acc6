//! The transaction pool, after geth's `legacypool`: per-sender nonce queues where `pending`
//! holds the transactions executable now (contiguous nonces from the account nonce) and
//! `queued` those behind a gap; ordering by effective tip then arrival; same-nonce replacement
//! only with ≥ 10% more fee cap AND tip; per-sender and global limits that evict the cheapest;
//! expiry of old queued transactions; re-injection after a reorg.
//!
//! The pool is sans-IO: account state comes in through [`AccountState`] and time as an
//! argument, so the node, the tests and the lab drive the same code.

mod error;
mod ordering;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use alloy_primitives::{Address, B256, U256};
use quarry_primitives::SignedTransaction;

pub use error::PoolError;
pub use ordering::BestTransactions;

/// What the pool needs to know about accounts at the current tip.
pub trait AccountState {
    /// The account's nonce (0 for unknown accounts).
    fn nonce(&self, address: Address) -> u64;
    /// The account's balance in wei (0 for unknown accounts).
    fn balance(&self, address: Address) -> U256;
}

/// Limits and prices; defaults are geth's where geth has one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolConfig {
    /// Chain id transactions must carry (EIP-155).
    pub chain_id: u64,
    /// Whether pre-EIP-155 legacy transactions are accepted.
    pub allow_unprotected: bool,
    /// Block gas limit: larger transactions are refused.
    pub block_gas_limit: u64,
    /// Smallest tip accepted, in wei (geth `--txpool.pricelimit`, default 1).
    pub min_tip: U256,
    /// Percentage a replacement must exceed the old fee cap and tip by (geth
    /// `--txpool.pricebump`, default 10).
    pub price_bump_percent: u64,
    /// Most transactions per sender, pending and queued together.
    pub max_per_sender: usize,
    /// Most transactions in the pool (geth: 4096 pending + 1024 queued slots).
    pub max_total: usize,
    /// Seconds a queued (not yet executable) transaction may wait (geth `--txpool.lifetime`, 3 h).
    pub queued_lifetime: u64,
}

impl PoolConfig {
    /// Defaults for chain `chain_id` with `block_gas_limit`.
    pub fn new(chain_id: u64, block_gas_limit: u64) -> Self {
        PoolConfig {
            chain_id,
            allow_unprotected: false,
            block_gas_limit,
            min_tip: U256::from(1),
            price_bump_percent: 10,
            max_per_sender: 64,
            max_total: 5_120,
            queued_lifetime: 3 * 3600,
        }
    }
}

/// A transaction in the pool with what the pool derived from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolTransaction {
    /// The transaction.
    pub tx: SignedTransaction,
    /// Its recovered sender.
    pub sender: Address,
    /// `gas_limit × max_fee_per_gas + value`, in wei: what the sender must be able to pay.
    pub cost: U256,
    /// Arrival order (a counter); earlier wins ties.
    pub arrival: u64,
    /// When it entered the pool, seconds since the Unix epoch (for queued expiry).
    pub inserted_at: u64,
}

impl PoolTransaction {
    /// Its nonce.
    pub fn nonce(&self) -> u64 {
        self.tx.nonce()
    }
}

/// Where an added transaction went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Added {
    /// Executable now (its nonce continues the sender's pending run).
    Pending,
    /// Behind a nonce gap; waits in `queued`.
    Queued,
}

/// A transaction that passed the pool's stateless rules, with its sender recovered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedTransaction {
    /// The transaction.
    pub tx: SignedTransaction,
    /// Its recovered sender.
    pub sender: Address,
    /// Its hash.
    pub hash: B256,
}

/// The pool's stateless rules, which need no lock: chain id and signature
/// (`validate_stateless`), the block gas limit, the minimum tip, and sender recovery — the
/// expensive part, done before the pool is locked.
///
/// # Errors
/// A [`PoolError`] in geth's words.
pub fn prevalidate(
    config: &PoolConfig,
    tx: SignedTransaction,
) -> Result<CheckedTransaction, PoolError> {
    tx.validate_stateless(config.chain_id, config.allow_unprotected)?;
    if tx.gas_limit() > config.block_gas_limit {
        return Err(PoolError::ExceedsBlockGasLimit {
            gas: tx.gas_limit(),
            block_gas_limit: config.block_gas_limit,
        });
    }
    let tip = tx.max_priority_fee_per_gas();
    if tip < config.min_tip {
        return Err(PoolError::Underpriced { tip, min: config.min_tip });
    }
    let sender = tx.recover_sender()?;
    let hash = tx.hash();
    Ok(CheckedTransaction { tx, sender, hash })
}

/// The pool. See the module docs.
#[derive(Clone, Debug)]
pub struct Mempool {
    config: PoolConfig,
    senders: HashMap<Address, BTreeMap<u64, Arc<PoolTransaction>>>,
    by_hash: HashMap<B256, Arc<PoolTransaction>>,
    next_arrival: u64,
}

/// `value × (100 + percent) / 100`, rounded up, saturating.
fn bumped(value: U256, percent: u64) -> U256 {
    let scaled = value.saturating_mul(U256::from(100 + percent));
    scaled.div_ceil(U256::from(100))
}

impl Mempool {
    /// An empty pool.
    pub fn new(config: PoolConfig) -> Self {
        Mempool { config, senders: HashMap::new(), by_hash: HashMap::new(), next_arrival: 0 }
    }

    /// The configuration in force.
    pub fn config(&self) -> &PoolConfig {
        &self.config
    }

    /// Number of transactions held.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// `true` when the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// Every sender with a transaction in the pool, in no particular order.
    pub fn senders(&self) -> impl Iterator<Item = Address> + '_ {
        self.senders.keys().copied()
    }

    /// The transaction with this hash, if held.
    pub fn get(&self, hash: &B256) -> Option<&PoolTransaction> {
        self.by_hash.get(hash).map(|tx| tx.as_ref())
    }

    /// Validates and inserts `tx`, replacing a same-nonce transaction that pays ≥ 10% less.
    /// `now` is seconds since the Unix epoch. Runs [`prevalidate`] first; callers that hold
    /// the pool behind a lock call [`prevalidate`] before taking it and then
    /// [`Mempool::add_checked`].
    ///
    /// # Errors
    /// A [`PoolError`] in geth's words, naming the values.
    pub fn add(
        &mut self,
        tx: SignedTransaction,
        state: &impl AccountState,
        now: u64,
    ) -> Result<Added, PoolError> {
        let checked = prevalidate(&self.config, tx)?;
        self.add_checked(checked, state, now)
    }

    /// Inserts a transaction [`prevalidate`] accepted: the stateful rules (nonce, balance,
    /// replacement price, limits). `now` is seconds since the Unix epoch.
    ///
    /// # Errors
    /// A [`PoolError`] in geth's words, naming the values.
    pub fn add_checked(
        &mut self,
        checked: CheckedTransaction,
        state: &impl AccountState,
        now: u64,
    ) -> Result<Added, PoolError> {
        let CheckedTransaction { tx, sender, hash } = checked;
        if self.by_hash.contains_key(&hash) {
            return Err(PoolError::AlreadyKnown(hash));
        }
        let state_nonce = state.nonce(sender);
        if tx.nonce() < state_nonce {
            return Err(PoolError::NonceTooLow { state: state_nonce, tx: tx.nonce() });
        }
        // validate_stateless has checked gas_limit × fee cap fits; value may still overflow.
        let cost = tx
            .max_fee_per_gas()
            .saturating_mul(U256::from(tx.gas_limit()))
            .saturating_add(tx.value());
        let balance = state.balance(sender);
        if balance < cost {
            return Err(PoolError::InsufficientFunds { balance, cost });
        }
        let replaced = self.check_replacement(sender, &tx)?;
        if replaced.is_none() {
            self.make_room(sender, &tx)?;
        }
        let entry = Arc::new(PoolTransaction {
            tx,
            sender,
            cost,
            arrival: self.next_arrival,
            inserted_at: now,
        });
        self.next_arrival += 1;
        if let Some(old) = replaced {
            self.by_hash.remove(&old);
        }
        self.by_hash.insert(hash, entry.clone());
        self.senders.entry(sender).or_default().insert(entry.nonce(), entry.clone());
        Ok(if self.is_pending(&entry, state_nonce) { Added::Pending } else { Added::Queued })
    }

    /// The hash of the transaction `tx` would replace, if any, after checking the price bump.
    fn check_replacement(
        &self,
        sender: Address,
        tx: &SignedTransaction,
    ) -> Result<Option<B256>, PoolError> {
        let Some(old) = self.senders.get(&sender).and_then(|q| q.get(&tx.nonce())) else {
            return Ok(None);
        };
        let bump = self.config.price_bump_percent;
        let min_fee_cap = bumped(old.tx.max_fee_per_gas(), bump);
        let min_tip = bumped(old.tx.max_priority_fee_per_gas(), bump);
        if tx.max_fee_per_gas() < min_fee_cap || tx.max_priority_fee_per_gas() < min_tip {
            return Err(PoolError::ReplacementUnderpriced { min_fee_cap, min_tip });
        }
        Ok(Some(old.tx.hash()))
    }

    /// Enforces the per-sender and global limits before a new (non-replacing) insertion,
    /// evicting the cheapest transaction when the pool is full and `tx` pays more.
    fn make_room(&mut self, sender: Address, tx: &SignedTransaction) -> Result<(), PoolError> {
        let count = self.senders.get(&sender).map_or(0, BTreeMap::len);
        if count >= self.config.max_per_sender {
            return Err(PoolError::SenderLimit { count, limit: self.config.max_per_sender });
        }
        if self.by_hash.len() < self.config.max_total {
            return Ok(());
        }
        // Evict from the tail of a sender's queue (highest nonce) so no gap is created.
        let cheapest = self
            .senders
            .values()
            .filter_map(|queue| queue.values().next_back())
            .min_by_key(|t| (t.tx.max_priority_fee_per_gas(), std::cmp::Reverse(t.arrival)))
            .cloned();
        match cheapest {
            Some(victim)
                if victim.tx.max_priority_fee_per_gas() < tx.max_priority_fee_per_gas() =>
            {
                self.remove(&victim.tx.hash());
                Ok(())
            }
            Some(victim) => Err(PoolError::Underpriced {
                tip: tx.max_priority_fee_per_gas(),
                min: victim.tx.max_priority_fee_per_gas() + U256::from(1),
            }),
            None => Ok(()),
        }
    }

    fn is_pending(&self, entry: &PoolTransaction, state_nonce: u64) -> bool {
        let Some(queue) = self.senders.get(&entry.sender) else { return false };
        (state_nonce..=entry.nonce()).all(|n| queue.contains_key(&n))
    }

    /// Removes and returns the transaction with `hash`.
    pub fn remove(&mut self, hash: &B256) -> Option<PoolTransaction> {
        let entry = self.by_hash.remove(hash)?;
        if let Some(queue) = self.senders.get_mut(&entry.sender) {
            queue.remove(&entry.nonce());
            if queue.is_empty() {
                self.senders.remove(&entry.sender);
            }
        }
        Some(Arc::unwrap_or_clone(entry))
    }

    /// The sender's executable transactions in nonce order: the contiguous run starting at
    /// the account nonce (geth's `pending`).
    pub fn pending(&self, sender: Address, state: &impl AccountState) -> Vec<&PoolTransaction> {
        let Some(queue) = self.senders.get(&sender) else { return vec![] };
        let first = state.nonce(sender);
        queue
            .range(first..)
            .zip(first..)
            .take_while(|((&nonce, _), expected)| nonce == *expected)
            .map(|((_, tx), _)| tx.as_ref())
            .collect()
    }

    /// The sender's transactions behind a nonce gap (geth's `queued`).
    pub fn queued(&self, sender: Address, state: &impl AccountState) -> Vec<&PoolTransaction> {
        let pending = self.pending(sender, state).len();
        self.senders.get(&sender).map_or_else(Vec::new, |q| {
            q.range(state.nonce(sender)..).skip(pending).map(|(_, tx)| tx.as_ref()).collect()
        })
    }

    /// The nonce the sender's next transaction should carry: the account nonce plus its
    /// pending run (what `eth_getTransactionCount(addr, "pending")` answers).
    pub fn next_nonce(&self, sender: Address, state: &impl AccountState) -> u64 {
        state.nonce(sender) + self.pending(sender, state).len() as u64
    }

    /// After a new tip: drops transactions whose nonce the chain has used and those the sender
    /// can no longer pay for. Returns how many were dropped.
    pub fn prune(&mut self, state: &impl AccountState) -> usize {
        let stale: Vec<B256> = self
            .by_hash
            .values()
            .filter(|t| t.nonce() < state.nonce(t.sender) || t.cost > state.balance(t.sender))
            .map(|t| t.tx.hash())
            .collect();
        for hash in &stale {
            self.remove(hash);
        }
        stale.len()
    }

    /// Drops queued transactions older than the configured lifetime. Returns how many.
    pub fn expire_queued(&mut self, state: &impl AccountState, now: u64) -> usize {
        let lifetime = self.config.queued_lifetime;
        let senders: Vec<Address> = self.senders.keys().copied().collect();
        let mut old = Vec::new();
        for sender in senders {
            for tx in self.queued(sender, state) {
                if now.saturating_sub(tx.inserted_at) > lifetime {
                    old.push(tx.tx.hash());
                }
            }
        }
        for hash in &old {
            self.remove(hash);
        }
        old.len()
    }

    /// Puts back the transactions of blocks a reorg disconnected (oldest block first, senders
    /// known from their receipts); those
    /// the new chain already includes or made invalid are skipped. Returns how many re-entered.
    pub fn reinject(
        &mut self,
        txs: impl IntoIterator<Item = CheckedTransaction>,
        state: &impl AccountState,
        now: u64,
    ) -> usize {
        txs.into_iter().filter(|tx| self.add_checked(tx.clone(), state, now).is_ok()).count()
    }

    /// Executable transactions in price-and-nonce order at `base_fee` (see
    /// [`BestTransactions`]): what a block template takes from.
    pub fn best(&self, state: &impl AccountState, base_fee: U256) -> BestTransactions<'_> {
        let runs = self
            .senders
            .keys()
            .map(|&sender| self.pending(sender, state))
            .filter(|run| !run.is_empty())
            .collect();
        BestTransactions::new(runs, base_fee)
    }
}
