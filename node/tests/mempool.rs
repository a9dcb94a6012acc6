//! The mempool behaves like geth's legacypool: nonce queues, replacement by +10%, limits with
//! eviction, expiry, price-and-nonce ordering, and refusals in geth's words.

use std::collections::HashMap;

use alloy_primitives::{Address, Bytes, TxKind, B256, U256};
use quarry_node::mempool::{prevalidate, AccountState, Added, Mempool, PoolConfig, PoolError};
use quarry_primitives::crypto::SecretKey;
use quarry_primitives::transaction::{Transaction, TxEip1559};
use quarry_primitives::{SignedTransaction, TxError};

const CHAIN_ID: u64 = 1337;
const GWEI: u64 = 1_000_000_000;

#[derive(Default)]
struct State(HashMap<Address, (u64, U256)>);

impl AccountState for State {
    fn nonce(&self, a: Address) -> u64 {
        self.0.get(&a).map_or(0, |s| s.0)
    }
    fn balance(&self, a: Address) -> U256 {
        self.0.get(&a).map_or(U256::ZERO, |s| s.1)
    }
}

fn key(i: u8) -> SecretKey {
    SecretKey::from_bytes(&B256::repeat_byte(i)).unwrap()
}

fn funded(keys: &[u8]) -> State {
    let mut state = State::default();
    for &i in keys {
        state.0.insert(key(i).address(), (0, U256::from(10u64).pow(U256::from(20))));
    }
    state
}

/// A 21 000-gas transfer from key `from` with `nonce`, tip and fee cap in gwei.
fn tx(from: u8, nonce: u64, tip: u64, fee_cap: u64) -> SignedTransaction {
    let body = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        max_priority_fee_per_gas: U256::from(tip * GWEI),
        max_fee_per_gas: U256::from(fee_cap * GWEI),
        gas_limit: 21_000,
        to: TxKind::Call(Address::repeat_byte(0xaa)),
        value: U256::from(1),
        input: Bytes::new(),
        access_list: vec![],
    };
    SignedTransaction::sign(Transaction::Eip1559(body), &key(from))
}

fn pool() -> Mempool {
    Mempool::new(PoolConfig::new(CHAIN_ID, 30_000_000))
}

#[test]
fn contiguous_nonces_are_pending_and_a_gap_is_queued_until_filled() {
    let state = funded(&[1]);
    let mut pool = pool();
    let sender = key(1).address();
    assert_eq!(pool.add(tx(1, 0, 1, 10), &state, 0), Ok(Added::Pending));
    assert_eq!(pool.add(tx(1, 2, 1, 10), &state, 0), Ok(Added::Queued));
    assert_eq!(pool.pending(sender, &state).len(), 1);
    assert_eq!(pool.queued(sender, &state).len(), 1);
    assert_eq!(pool.next_nonce(sender, &state), 1);
    assert_eq!(pool.add(tx(1, 1, 1, 10), &state, 0), Ok(Added::Pending));
    assert_eq!(pool.pending(sender, &state).len(), 3);
    assert!(pool.queued(sender, &state).is_empty());
    assert_eq!(pool.next_nonce(sender, &state), 3);
}

#[test]
fn replacement_needs_ten_percent_more_fee_cap_and_tip() {
    let state = funded(&[1]);
    let mut pool = pool();
    pool.add(tx(1, 0, 10, 100), &state, 0).unwrap();
    let err = pool.add(tx(1, 0, 11, 109), &state, 0).unwrap_err();
    assert!(err.to_string().starts_with("replacement transaction underpriced"), "{err}");
    let err = pool.add(tx(1, 0, 10, 200), &state, 0).unwrap_err();
    assert!(matches!(err, PoolError::ReplacementUnderpriced { .. }));
    let better = tx(1, 0, 11, 110);
    assert_eq!(pool.add(better.clone(), &state, 0), Ok(Added::Pending));
    assert_eq!(pool.len(), 1);
    assert!(pool.get(&better.hash()).is_some());
}

#[test]
fn refusals_use_geths_words() {
    let mut state = funded(&[1]);
    let mut pool = pool();
    let sender = key(1).address();
    state.0.insert(sender, (5, U256::from(10u64).pow(U256::from(20))));
    let low = pool.add(tx(1, 4, 1, 10), &state, 0).unwrap_err();
    assert_eq!(low, PoolError::NonceTooLow { state: 5, tx: 4 });
    assert!(low.to_string().starts_with("nonce too low"));

    let poor = funded(&[]);
    let err = pool.add(tx(1, 0, 1, 10), &poor, 0).unwrap_err();
    assert!(err.to_string().starts_with("insufficient funds for gas * price + value"), "{err}");

    let ok = tx(1, 5, 1, 10);
    pool.add(ok.clone(), &state, 0).unwrap();
    assert_eq!(pool.add(ok.clone(), &state, 0), Err(PoolError::AlreadyKnown(ok.hash())));

    let zero_tip = tx(1, 6, 0, 10);
    assert!(pool
        .add(zero_tip, &state, 0)
        .unwrap_err()
        .to_string()
        .starts_with("transaction underpriced"));

    let mut other_chain = TxEip1559 {
        chain_id: 1,
        nonce: 6,
        max_priority_fee_per_gas: U256::from(GWEI),
        max_fee_per_gas: U256::from(GWEI),
        gas_limit: 21_000,
        to: TxKind::Call(Address::ZERO),
        value: U256::ZERO,
        input: Bytes::new(),
        access_list: vec![],
    };
    let err = pool
        .add(SignedTransaction::sign(Transaction::Eip1559(other_chain.clone()), &key(1)), &state, 0)
        .unwrap_err();
    assert!(err.to_string().starts_with("invalid chain id"), "{err}");

    other_chain.chain_id = CHAIN_ID;
    other_chain.gas_limit = 20_000;
    let err = pool
        .add(SignedTransaction::sign(Transaction::Eip1559(other_chain.clone()), &key(1)), &state, 0)
        .unwrap_err();
    assert_eq!(err, PoolError::Invalid(TxError::IntrinsicGasTooLow { have: 20_000, want: 21_000 }));
    assert!(err.to_string().starts_with("intrinsic gas too low"));

    other_chain.gas_limit = 30_000_001;
    let err = pool
        .add(SignedTransaction::sign(Transaction::Eip1559(other_chain), &key(1)), &state, 0)
        .unwrap_err();
    assert!(err.to_string().starts_with("exceeds block gas limit"), "{err}");
}

#[test]
fn a_full_pool_evicts_the_cheapest_for_a_better_paying_transaction() {
    let state = funded(&[1, 2, 3]);
    let mut pool =
        Mempool::new(PoolConfig { max_total: 2, ..PoolConfig::new(CHAIN_ID, 30_000_000) });
    let cheap = tx(1, 0, 1, 100);
    pool.add(cheap.clone(), &state, 0).unwrap();
    pool.add(tx(2, 0, 5, 100), &state, 0).unwrap();
    let err = pool.add(tx(3, 0, 1, 100), &state, 0).unwrap_err();
    assert!(matches!(err, PoolError::Underpriced { .. }), "{err}");
    pool.add(tx(3, 0, 3, 100), &state, 0).unwrap();
    assert_eq!(pool.len(), 2);
    assert!(pool.get(&cheap.hash()).is_none(), "the cheapest was evicted");
}

#[test]
fn a_sender_may_hold_only_its_share() {
    let state = funded(&[1]);
    let mut pool =
        Mempool::new(PoolConfig { max_per_sender: 2, ..PoolConfig::new(CHAIN_ID, 30_000_000) });
    pool.add(tx(1, 0, 1, 10), &state, 0).unwrap();
    pool.add(tx(1, 1, 1, 10), &state, 0).unwrap();
    assert_eq!(
        pool.add(tx(1, 2, 1, 10), &state, 0),
        Err(PoolError::SenderLimit { count: 2, limit: 2 })
    );
    // Replacing is still allowed.
    assert!(pool.add(tx(1, 1, 2, 20), &state, 0).is_ok());
}

#[test]
fn old_queued_transactions_expire_but_pending_ones_stay() {
    let state = funded(&[1]);
    let mut pool = pool();
    pool.add(tx(1, 0, 1, 10), &state, 0).unwrap();
    pool.add(tx(1, 5, 1, 10), &state, 0).unwrap();
    let lifetime = pool.config().queued_lifetime;
    assert_eq!(pool.expire_queued(&state, lifetime), 0);
    assert_eq!(pool.expire_queued(&state, lifetime + 1), 1);
    assert_eq!(pool.len(), 1);
}

#[test]
fn the_best_order_is_by_tip_then_arrival_and_never_breaks_nonce_order() {
    let state = funded(&[1, 2, 3]);
    let mut pool = pool();
    // Sender 1: a cheap head and a rich second transaction; sender 2: medium; sender 3: same
    // tip as sender 2 but later.
    pool.add(tx(1, 0, 1, 100), &state, 0).unwrap();
    pool.add(tx(1, 1, 50, 100), &state, 0).unwrap();
    pool.add(tx(2, 0, 5, 100), &state, 0).unwrap();
    pool.add(tx(3, 0, 5, 100), &state, 0).unwrap();
    let order: Vec<(Address, u64)> =
        pool.best(&state, U256::from(GWEI)).map(|t| (t.sender, t.nonce())).collect();
    assert_eq!(
        order,
        vec![
            (key(2).address(), 0),
            (key(3).address(), 0),
            (key(1).address(), 0),
            (key(1).address(), 1)
        ]
    );
}

#[test]
fn transactions_that_cannot_pay_the_base_fee_are_left_out() {
    let state = funded(&[1, 2]);
    let mut pool = pool();
    pool.add(tx(1, 0, 1, 5), &state, 0).unwrap();
    pool.add(tx(2, 0, 1, 50), &state, 0).unwrap();
    let senders: Vec<Address> =
        pool.best(&state, U256::from(10 * GWEI)).map(|t| t.sender).collect();
    assert_eq!(senders, vec![key(2).address()]);
}

#[test]
fn pruning_after_a_block_drops_mined_nonces_and_reinjection_restores_them() {
    let mut state = funded(&[1]);
    let mut pool = pool();
    let sender = key(1).address();
    let (a, b) = (tx(1, 0, 1, 10), tx(1, 1, 1, 10));
    pool.add(a.clone(), &state, 0).unwrap();
    pool.add(b.clone(), &state, 0).unwrap();
    // A block mined nonce 0.
    state.0.get_mut(&sender).unwrap().0 = 1;
    assert_eq!(pool.prune(&state), 1);
    assert!(pool.get(&a.hash()).is_none());
    // A reorg disconnects that block: nonce back to 0, its transaction returns.
    state.0.get_mut(&sender).unwrap().0 = 0;
    let checked = prevalidate(pool.config(), a.clone()).unwrap();
    assert_eq!(pool.reinject([checked], &state, 0), 1);
    assert_eq!(pool.pending(sender, &state).len(), 2);
}
