//! One miner's block tree: cumulative work, most-work tip, reorgs, orphans, difficulty.
//!
//! The rules are the node's own, called as the node calls them: block work is
//! `quarry_primitives::pow::work_from_target(target_from_bits(bits))`, cumulative work is
//! `quarry_consensus::chain_work`, the tip moves only when
//! `quarry_consensus::fork_choice(tip_work, candidate_work)` says so (strictly more work;
//! first seen wins ties), and in [`DifficultyRule::Asert`] mode a block's `bits` must equal
//! `quarry_consensus::next_bits` of its parent (aserti3-2d anchored at genesis). What the
//! lab does *not* model is the proof-of-work hash itself: a block's discovery is a Poisson event
//! (the miner's timer), so blocks carry no nonce and no real header.

use std::collections::HashMap;

use alloy_primitives::U256;
use quarry_consensus::{chain_work, fork_choice, next_bits, AsertParams};
use quarry_primitives::pow::{target_from_bits, work_from_target};

use crate::protocol::{NodeId, WireSize};

/// A block's identity: `miner << 40 | sequence` (genesis is 0).
pub type BlockId = u64;
/// A transaction's identity (the workload's request).
pub type TxId = u64;
/// The genesis block's id.
pub const GENESIS: BlockId = 0;
/// Genesis difficulty: Quarry's testnet-style easy target (compact bits).
pub const GENESIS_BITS: u32 = 0x1f00_ffff;
/// The easiest target the chain allows (compact bits).
pub const POW_LIMIT_BITS: u32 = 0x207f_ffff;
/// Bytes of a block header on the wire (Quarry's header: parent, roots, bits, time, nonce …).
pub const HEADER_BYTES: usize = 508;
/// Bytes of one transaction on the wire (a typical EIP-1559 transfer).
pub const TX_BYTES: usize = 110;

/// A simulated block: what fork choice and difficulty need, plus the transactions it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// Identity.
    pub id: BlockId,
    /// Parent's id.
    pub parent: BlockId,
    /// Height (genesis 0).
    pub height: u64,
    /// Who mined it.
    pub miner: NodeId,
    /// Compact target.
    pub bits: u32,
    /// Timestamp, ms of simulated time (the unit ASERT sees).
    pub timestamp_ms: u64,
    /// Transactions included.
    pub txs: Vec<TxId>,
}

impl WireSize for Block {
    fn size_bytes(&self) -> usize {
        HEADER_BYTES + TX_BYTES * self.txs.len()
    }
}

impl Block {
    /// The genesis block.
    pub fn genesis() -> Self {
        Block {
            id: GENESIS,
            parent: GENESIS,
            height: 0,
            miner: usize::MAX,
            bits: GENESIS_BITS,
            timestamp_ms: 0,
            txs: Vec::new(),
        }
    }

    /// Work of this block: 2^256 / (target + 1) (`quarry_primitives::pow::work_from_target`).
    pub fn work(&self) -> U256 {
        target_from_bits(self.bits).map(work_from_target).unwrap_or(U256::ZERO)
    }
}

/// How each block's `bits` is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DifficultyRule {
    /// Every block carries [`GENESIS_BITS`]: cumulative work is proportional to height.
    Fixed,
    /// aserti3-2d anchored at genesis with the block interval as target spacing and this
    /// half-life, both in ms (`quarry_consensus::next_bits`).
    Asert {
        /// Target spacing, ms.
        block_time_ms: u64,
        /// Half-life τ, ms.
        half_life_ms: u64,
    },
}

impl DifficultyRule {
    /// The `bits` a child of `parent` must carry.
    pub fn expected_bits(&self, parent: &Block) -> u32 {
        match *self {
            DifficultyRule::Fixed => GENESIS_BITS,
            DifficultyRule::Asert { block_time_ms, half_life_ms } => {
                let params = AsertParams::from_bits(
                    GENESIS_BITS,
                    POW_LIMIT_BITS,
                    block_time_ms.max(1),
                    half_life_ms.max(1),
                )
                .expect("the genesis and pow-limit bits are valid constants");
                next_bits(&params, 0, parent.height, parent.timestamp_ms)
            }
        }
    }
}

/// Work of `bits` relative to genesis work (1.0 at genesis; 2.0 = twice as hard).
pub fn relative_difficulty(bits: u32) -> f64 {
    let genesis = u256_to_f64(Block::genesis().work());
    let work = target_from_bits(bits).map(work_from_target).unwrap_or(U256::ZERO);
    u256_to_f64(work) / genesis
}

fn u256_to_f64(x: U256) -> f64 {
    x.as_limbs()
        .iter()
        .rev()
        .fold(0.0, |acc, &limb| acc * 18_446_744_073_709_551_616.0 + limb as f64)
}

/// A change of the best chain: blocks taken off (tip first) and put on (fork point first).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TipChange {
    /// Height of the last common block of the old and new chains.
    pub fork_height: u64,
    /// Disconnected blocks, old tip first (empty: the new tip extends the old one).
    pub disconnected: Vec<BlockId>,
    /// Connected blocks, lowest first.
    pub connected: Vec<BlockId>,
}

/// What [`BlockTree::insert`] did with a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Insert {
    /// Known already.
    Duplicate,
    /// Parent unknown: buffered until the parent arrives (ask a peer for it).
    Orphan {
        /// The missing parent.
        missing: BlockId,
    },
    /// Rejected: `bits` is not what the difficulty rule demands of the parent.
    BadBits {
        /// What the block carried.
        got: u32,
        /// What the rule demands.
        expected: u32,
    },
    /// Added (with any orphans it completed); the tip may have moved.
    Added {
        /// The change of best chain, if the tip moved.
        tip: Option<TipChange>,
    },
}

struct Entry {
    block: Block,
    chain_work: U256,
}

/// One node's view: every block it has, the best chain by height, and orphans.
pub struct BlockTree {
    rule: DifficultyRule,
    entries: HashMap<BlockId, Entry>,
    /// `main[h]` is the best chain's block at height h.
    main: Vec<BlockId>,
    orphans: HashMap<BlockId, Vec<Block>>,
    /// Buffered orphan → its parent, to find the first missing ancestor of a chain of orphans.
    orphan_parent: HashMap<BlockId, BlockId>,
}

impl BlockTree {
    /// A tree holding only genesis.
    pub fn new(rule: DifficultyRule) -> Self {
        let genesis = Block::genesis();
        let entry = Entry { chain_work: genesis.work(), block: genesis };
        BlockTree {
            rule,
            entries: HashMap::from([(GENESIS, entry)]),
            main: vec![GENESIS],
            orphans: HashMap::new(),
            orphan_parent: HashMap::new(),
        }
    }

    /// The difficulty rule blocks are checked against.
    pub fn rule(&self) -> DifficultyRule {
        self.rule
    }

    /// The best block.
    pub fn tip(&self) -> &Block {
        self.block(*self.main.last().expect("genesis is always there")).expect("main blocks exist")
    }

    /// Height of the best block.
    pub fn height(&self) -> u64 {
        self.main.len() as u64 - 1
    }

    /// Cumulative work of `id` (zero if unknown).
    pub fn chain_work(&self, id: BlockId) -> U256 {
        self.entries.get(&id).map_or(U256::ZERO, |e| e.chain_work)
    }

    /// `true` if `id` is in the tree or waiting in the orphan buffer.
    pub fn has(&self, id: BlockId) -> bool {
        self.entries.contains_key(&id) || self.orphan_parent.contains_key(&id)
    }

    /// The block `id`, if held.
    pub fn block(&self, id: BlockId) -> Option<&Block> {
        self.entries.get(&id).map(|e| &e.block)
    }

    /// The best chain's block at `height`.
    pub fn main_at(&self, height: u64) -> Option<BlockId> {
        self.main.get(height as usize).copied()
    }

    /// The best chain, genesis first.
    pub fn main_chain(&self) -> &[BlockId] {
        &self.main
    }

    /// Confirmations of `id` on the best chain (1 = it is the tip), 0 if not on it.
    pub fn confirmations(&self, id: BlockId) -> u64 {
        match self.block(id) {
            Some(b) if self.main_at(b.height) == Some(id) => self.height() - b.height + 1,
            _ => 0,
        }
    }

    /// The `bits` a child of `parent` must carry.
    pub fn expected_bits(&self, parent: &Block) -> u32 {
        self.rule.expected_bits(parent)
    }

    /// Add `block` (and any orphans waiting for it); move the tip by most-work fork choice.
    pub fn insert(&mut self, block: Block) -> Insert {
        if self.has(block.id) {
            return Insert::Duplicate;
        }
        let Some(parent) = self.block(block.parent) else {
            // Ask for the first ancestor that is neither held nor buffered.
            let mut missing = block.parent;
            while let Some(&up) = self.orphan_parent.get(&missing) {
                missing = up;
            }
            self.orphan_parent.insert(block.id, block.parent);
            self.orphans.entry(block.parent).or_default().push(block);
            return Insert::Orphan { missing };
        };
        let expected = self.expected_bits(parent);
        if block.bits != expected || block.height != parent.height + 1 {
            return Insert::BadBits { got: block.bits, expected };
        }
        let old_tip = self.tip().id;
        let mut best = old_tip;
        let mut queue = vec![block];
        while let Some(block) = queue.pop() {
            self.orphan_parent.remove(&block.id);
            let Some(parent) = self.entries.get(&block.parent) else { continue };
            if self.rule.expected_bits(&parent.block) != block.bits
                || block.height != parent.block.height + 1
            {
                continue; // a buffered orphan that turned out invalid
            }
            let work = chain_work(parent.chain_work, block.work());
            if fork_choice(self.chain_work(best), work) {
                best = block.id;
            }
            if let Some(children) = self.orphans.remove(&block.id) {
                queue.extend(children);
            }
            self.entries.insert(block.id, Entry { block, chain_work: work });
        }
        let tip = (best != old_tip).then(|| self.switch_to(best));
        Insert::Added { tip }
    }

    /// Make `new_tip` the best block, rewriting `main` from the fork point.
    fn switch_to(&mut self, new_tip: BlockId) -> TipChange {
        let mut connected = Vec::new();
        let mut cursor = new_tip;
        loop {
            let b = self.block(cursor).expect("ancestors of an added block are held");
            if self.main_at(b.height) == Some(cursor) {
                break;
            }
            connected.push(cursor);
            cursor = b.parent;
        }
        let fork_height = self.block(cursor).expect("held").height;
        let disconnected: Vec<BlockId> =
            self.main.drain(fork_height as usize + 1..).rev().collect();
        connected.reverse();
        self.main.extend(&connected);
        TipChange { fork_height, disconnected, connected }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn child(parent: &Block, miner: NodeId, seq: u64) -> Block {
        Block {
            id: ((miner as u64) << 40) | seq,
            parent: parent.id,
            height: parent.height + 1,
            miner,
            bits: GENESIS_BITS,
            timestamp_ms: parent.timestamp_ms + 1000,
            txs: Vec::new(),
        }
    }

    #[test]
    fn longer_branch_reorgs_and_equal_work_keeps_the_first_seen_tip() {
        let mut tree = BlockTree::new(DifficultyRule::Fixed);
        let g = Block::genesis();
        let a1 = child(&g, 1, 1);
        let b1 = child(&g, 2, 1);
        assert!(matches!(tree.insert(a1.clone()), Insert::Added { tip: Some(_) }));
        // Equal work: first seen (a1) stays.
        assert_eq!(tree.insert(b1.clone()), Insert::Added { tip: None });
        assert_eq!(tree.tip().id, a1.id);
        let b2 = child(&b1, 2, 2);
        let Insert::Added { tip: Some(change) } = tree.insert(b2.clone()) else { panic!() };
        assert_eq!(
            change,
            TipChange { fork_height: 0, disconnected: vec![a1.id], connected: vec![b1.id, b2.id] }
        );
        assert_eq!(tree.confirmations(b1.id), 2);
        assert_eq!(tree.confirmations(a1.id), 0);
    }

    #[test]
    fn orphans_connect_when_their_parent_arrives() {
        let mut tree = BlockTree::new(DifficultyRule::Fixed);
        let a1 = child(&Block::genesis(), 1, 1);
        let a2 = child(&a1, 1, 2);
        let a3 = child(&a2, 1, 3);
        assert_eq!(tree.insert(a3.clone()), Insert::Orphan { missing: a2.id });
        assert_eq!(tree.insert(a2.clone()), Insert::Orphan { missing: a1.id });
        // A child of a buffered orphan asks for the first missing ancestor, not its parent.
        let a4 = child(&a3, 1, 4);
        assert_eq!(tree.insert(a4.clone()), Insert::Orphan { missing: a1.id });
        assert_eq!(tree.insert(a3.clone()), Insert::Duplicate);
        let Insert::Added { tip: Some(change) } = tree.insert(a1) else { panic!() };
        assert_eq!(change.connected.len(), 4);
        assert_eq!(tree.tip().id, a4.id);
    }

    #[test]
    fn asert_mode_rejects_wrong_bits_and_demands_the_nodes_next_bits() {
        let rule = DifficultyRule::Asert { block_time_ms: 1000, half_life_ms: 10_000 };
        let mut tree = BlockTree::new(rule);
        let g = Block::genesis();
        // On schedule (parent at 0 ms, height 0): genesis bits.
        let mut a1 = child(&g, 1, 1);
        a1.bits = rule.expected_bits(&g);
        assert_eq!(a1.bits, GENESIS_BITS);
        assert!(matches!(tree.insert(a1.clone()), Insert::Added { .. }));
        // A fast parent (a1 at 1 ms instead of 1000 ms) makes the next block harder.
        let mut fast = a1.clone();
        fast.timestamp_ms = 1;
        assert!(relative_difficulty(rule.expected_bits(&fast)) > 1.05);
        let mut a2 = child(&a1, 1, 2);
        a2.bits = 0x1e00_ffff;
        assert!(matches!(tree.insert(a2), Insert::BadBits { expected: GENESIS_BITS, .. }));
    }
}
