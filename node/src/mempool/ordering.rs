//! Price-and-nonce ordering (geth's `miner/ordering.go`): repeatedly take the head of the
//! sender run whose effective tip at the base fee is highest (earlier arrival on ties), then
//! expose that sender's next nonce.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use alloy_primitives::U256;

use super::PoolTransaction;

struct Head<'a> {
    tip: U256,
    run: Vec<&'a PoolTransaction>,
    index: usize,
}

impl Head<'_> {
    fn tx(&self) -> &PoolTransaction {
        self.run[self.index]
    }
}

impl PartialEq for Head<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Head<'_> {}
impl PartialOrd for Head<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Head<'_> {
    /// Higher tip first, then earlier arrival.
    fn cmp(&self, other: &Self) -> Ordering {
        self.tip.cmp(&other.tip).then_with(|| other.tx().arrival.cmp(&self.tx().arrival))
    }
}

/// An iterator over executable transactions, best first, never out of nonce order per sender.
/// A sender whose next transaction cannot pay the base fee is dropped from the iteration (its
/// later nonces could not be included either). [`BestTransactions::skip_sender`] drops the
/// sender of the transaction just yielded, for when it did not fit in the block.
pub struct BestTransactions<'a> {
    heap: BinaryHeap<Head<'a>>,
    base_fee: U256,
    last_sender: Option<alloy_primitives::Address>,
}

impl<'a> BestTransactions<'a> {
    pub(crate) fn new(runs: Vec<Vec<&'a PoolTransaction>>, base_fee: U256) -> Self {
        let mut best = BestTransactions { heap: BinaryHeap::new(), base_fee, last_sender: None };
        for run in runs {
            best.push(Head { tip: U256::ZERO, run, index: 0 });
        }
        best
    }

    fn push(&mut self, mut head: Head<'a>) {
        if head.index >= head.run.len() {
            return;
        }
        if let Some(tip) = head.tx().tx.effective_tip_per_gas(self.base_fee) {
            head.tip = tip;
            self.heap.push(head);
        }
    }

    /// Stops yielding transactions from the sender of the last yielded transaction.
    pub fn skip_sender(&mut self) {
        if let Some(sender) = self.last_sender.take() {
            let heap = std::mem::take(&mut self.heap);
            self.heap = heap.into_iter().filter(|h| h.tx().sender != sender).collect();
        }
    }
}

impl<'a> Iterator for BestTransactions<'a> {
    type Item = &'a PoolTransaction;

    fn next(&mut self) -> Option<&'a PoolTransaction> {
        let head = self.heap.pop()?;
        let tx = head.run[head.index];
        self.last_sender = Some(tx.sender);
        self.push(Head { index: head.index + 1, ..head });
        Some(tx)
    }
}
