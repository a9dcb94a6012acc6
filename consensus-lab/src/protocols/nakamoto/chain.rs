//! One miner's chain: the node's block tree and orphan pool around simulated blocks, plus the
//! difficulty rule.
//!
//! Fork choice, chain work, the canonical chain and reorgs are not reimplemented here: every
//! block goes into `quarry_consensus::BlockTree` (the tree the node's engine uses, crate
//! `quarry-consensus`, `consensus/src/tree.rs`), whose tip is the most-work block, first seen
//! winning ties (Nakamoto 2008 §4, counted in work: `quarry_consensus::{chain_work,
//! fork_choice}`), and blocks whose parent is missing wait in `quarry_consensus::OrphanPool`.
//! The lab keeps the thin parts the node does differently: block work is
//! `quarry_primitives::pow::work_from_target(target_from_bits(bits))` of a simulated block, in
//! [`DifficultyRule::Asert`] mode a block's `bits` must equal `quarry_consensus::next_bits` of
//! its parent (aserti3-2d anchored at genesis), and a block is added to the tree and followed at
//! once (nothing is executed). What the lab does *not* model is the proof-of-work hash itself: a
//! block's discovery is a Poisson event (the miner's timer), so blocks carry no nonce and no
//! real header.

use alloy_primitives::U256;
use quarry_consensus::{next_bits, AsertParams, BlockTree, OrphanPool, TipChange};
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

/// What [`Chain::insert`] did with a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Insert {
    /// Known already (in the tree or waiting as an orphan).
    Duplicate,
    /// Parent unknown: buffered until the parent arrives (ask a peer for it).
    Orphan {
        /// The first ancestor neither held nor buffered.
        missing: BlockId,
    },
    /// Rejected: `bits` (or the height) is not what the difficulty rule demands of the parent.
    BadBits {
        /// What the block carried.
        got: u32,
        /// What the rule demands.
        expected: u32,
    },
    /// Added (with any orphans it completed); the tip may have moved.
    Added {
        /// The move of the best chain (old tip first in `disconnect`), if the tip moved.
        tip: Option<TipChange<BlockId>>,
    },
}

/// One node's view: the node's block tree (`quarry_consensus::BlockTree`, which keeps chain
/// work, the canonical chain and most-work fork choice, first seen winning ties) holding
/// [`Block`]s, the node's orphan pool, and the difficulty rule checked before a block enters.
pub struct Chain {
    rule: DifficultyRule,
    tree: BlockTree<BlockId, Block>,
    /// Unbounded (capacity `usize::MAX`): a simulated run never drops an orphan.
    orphans: OrphanPool<BlockId, Block>,
}

impl Chain {
    /// A chain holding only genesis.
    pub fn new(rule: DifficultyRule) -> Self {
        let genesis = Block::genesis();
        Chain {
            rule,
            tree: BlockTree::new(GENESIS, genesis.work(), genesis),
            orphans: OrphanPool::new(usize::MAX),
        }
    }

    /// The difficulty rule blocks are checked against.
    pub fn rule(&self) -> DifficultyRule {
        self.rule
    }

    /// The block tree: canonical chain, chain work, confirmations (read-only; blocks enter
    /// through [`Chain::insert`]).
    pub fn tree(&self) -> &BlockTree<BlockId, Block> {
        &self.tree
    }

    /// The best block.
    pub fn tip(&self) -> &Block {
        &self.tree.tip_entry().meta
    }

    /// Cumulative work of `id` (zero if unknown).
    pub fn chain_work(&self, id: BlockId) -> U256 {
        self.tree.get(&id).map_or(U256::ZERO, |e| e.chain_work)
    }

    /// `true` if `id` is in the tree or waiting in the orphan pool.
    pub fn has(&self, id: BlockId) -> bool {
        self.tree.contains(&id) || self.orphans.contains(&id)
    }

    /// The block `id`, if held in the tree.
    pub fn block(&self, id: BlockId) -> Option<&Block> {
        self.tree.get(&id).map(|e| &e.meta)
    }

    /// The `bits` a child of `parent` must carry.
    pub fn expected_bits(&self, parent: &Block) -> u32 {
        self.rule.expected_bits(parent)
    }

    /// `Err(expected bits)` unless `block` may extend `parent` (its bits and height).
    fn check(&self, parent: &Block, block: &Block) -> Result<(), u32> {
        let expected = self.expected_bits(parent);
        if block.bits == expected && block.height == parent.height + 1 {
            Ok(())
        } else {
            Err(expected)
        }
    }

    /// Add `block` (and any orphans waiting for it) to the tree, then follow the tree's fork
    /// choice. Blocks enter the tree in a fixed order (the block, then depth first through the
    /// orphans it completes, the last buffered child first): the tree's tie break is that order.
    pub fn insert(&mut self, block: Block) -> Insert {
        if self.has(block.id) {
            return Insert::Duplicate;
        }
        let Some(parent) = self.block(block.parent) else {
            let missing = self.orphans.missing_ancestor(block.parent);
            self.orphans.insert(block.id, block.parent, block);
            return Insert::Orphan { missing };
        };
        if let Err(expected) = self.check(parent, &block) {
            return Insert::BadBits { got: block.bits, expected };
        }
        let mut queue = vec![block];
        while let Some(block) = queue.pop() {
            let parent = self.block(block.parent).expect("a queued block's parent is in the tree");
            if self.check(parent, &block).is_err() {
                continue; // a buffered orphan that turned out invalid
            }
            let (id, parent, work) = (block.id, block.parent, block.work());
            self.tree
                .insert(id, parent, work, block)
                .expect("new block, parent held, and the lab never marks blocks invalid");
            queue.extend(self.orphans.take_children(&id).into_iter().map(|(_, b)| b));
        }
        let tip = self.tree.next_reorg();
        if let Some(change) = &tip {
            self.tree.apply(change);
        }
        Insert::Added { tip }
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
        let mut chain = Chain::new(DifficultyRule::Fixed);
        let g = Block::genesis();
        let a1 = child(&g, 1, 1);
        let b1 = child(&g, 2, 1);
        assert!(matches!(chain.insert(a1.clone()), Insert::Added { tip: Some(_) }));
        // Equal work: first seen (a1) stays.
        assert_eq!(chain.insert(b1.clone()), Insert::Added { tip: None });
        assert_eq!(chain.tip().id, a1.id);
        let b2 = child(&b1, 2, 2);
        let Insert::Added { tip: Some(change) } = chain.insert(b2.clone()) else { panic!() };
        assert_eq!(
            change,
            TipChange {
                fork: GENESIS,
                fork_height: 0,
                disconnect: vec![a1.id],
                connect: vec![b1.id, b2.id]
            }
        );
        assert_eq!(chain.tree().confirmations(&b1.id), 2);
        assert_eq!(chain.tree().confirmations(&a1.id), 0);
    }

    #[test]
    fn orphans_connect_when_their_parent_arrives() {
        let mut chain = Chain::new(DifficultyRule::Fixed);
        let a1 = child(&Block::genesis(), 1, 1);
        let a2 = child(&a1, 1, 2);
        let a3 = child(&a2, 1, 3);
        assert_eq!(chain.insert(a3.clone()), Insert::Orphan { missing: a2.id });
        assert_eq!(chain.insert(a2.clone()), Insert::Orphan { missing: a1.id });
        // A child of a buffered orphan asks for the first missing ancestor, not its parent.
        let a4 = child(&a3, 1, 4);
        assert_eq!(chain.insert(a4.clone()), Insert::Orphan { missing: a1.id });
        assert_eq!(chain.insert(a3.clone()), Insert::Duplicate);
        let Insert::Added { tip: Some(change) } = chain.insert(a1) else { panic!() };
        assert_eq!(change.connect.len(), 4);
        assert_eq!(chain.tip().id, a4.id);
    }

    #[test]
    fn asert_mode_rejects_wrong_bits_and_demands_the_nodes_next_bits() {
        let rule = DifficultyRule::Asert { block_time_ms: 1000, half_life_ms: 10_000 };
        let mut chain = Chain::new(rule);
        let g = Block::genesis();
        // On schedule (parent at 0 ms, height 0): genesis bits.
        let mut a1 = child(&g, 1, 1);
        a1.bits = rule.expected_bits(&g);
        assert_eq!(a1.bits, GENESIS_BITS);
        assert!(matches!(chain.insert(a1.clone()), Insert::Added { .. }));
        // A fast parent (a1 at 1 ms instead of 1000 ms) makes the next block harder.
        let mut fast = a1.clone();
        fast.timestamp_ms = 1;
        assert!(relative_difficulty(rule.expected_bits(&fast)) > 1.05);
        let mut a2 = child(&a1, 1, 2);
        a2.bits = 0x1e00_ffff;
        assert!(matches!(chain.insert(a2), Insert::BadBits { expected: GENESIS_BITS, .. }));
    }
}
