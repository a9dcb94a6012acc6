//! The block tree: every block a node holds, with its cumulative work, the canonical chain, and
//! the answer to "a block arrived — what must be disconnected and connected?".
//!
//! Fork choice is most cumulative work (Nakamoto 2008 §4, counted in work as Bitcoin does:
//! [`crate::fork_choice`]), the block seen first winning ties. The tree is generic over the
//! block id and over what the caller keeps per block, so the node (ids are block hashes,
//! blocks are executed before they become canonical) and the lab's Nakamoto model (ids are
//! integers, nothing is executed) run the same code.
//!
//! The node moves the canonical chain one step at a time, because each connected block must be
//! executed and may turn out invalid: [`BlockTree::next_reorg`] names the best branch,
//! [`BlockTree::connect`] / [`BlockTree::disconnect`] move the tip as the caller commits,
//! [`BlockTree::mark_invalid`] drops a failing block and its descendants from the candidates.
//! A caller that executes nothing uses [`BlockTree::insert_and_follow`].

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::fmt::Debug;
use std::hash::Hash;

use alloy_primitives::U256;

use crate::fork_choice::{chain_work, fork_choice};

/// What a block id must be: copyable, hashable, ordered (for tie-free candidate sets).
pub trait TreeId: Copy + Eq + Ord + Hash + Debug {}
impl<T: Copy + Eq + Ord + Hash + Debug> TreeId for T {}

/// One block in the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeEntry<Id, M> {
    /// The parent's id (genesis: itself).
    pub parent: Id,
    /// Height; genesis is 0.
    pub height: u64,
    /// Work of the chain ending in this block (genesis included).
    pub chain_work: U256,
    /// Arrival order: smaller is seen earlier (fork choice's tie break).
    pub seq: u64,
    /// `false` once the block or an ancestor failed validation.
    pub valid: bool,
    /// What the caller keeps per block (a header, a miner id, …).
    pub meta: M,
}

/// Why the tree refused an operation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TreeError<Id: Debug> {
    /// The parent is not in the tree (buffer the block as an orphan).
    #[error("parent {parent:?} is unknown")]
    UnknownParent {
        /// The missing parent.
        parent: Id,
    },
    /// The parent (or one of its ancestors) is invalid.
    #[error("parent {parent:?} is invalid")]
    InvalidParent {
        /// The invalid parent.
        parent: Id,
    },
    /// [`BlockTree::connect`] was given a block whose parent is not the tip.
    #[error("block {id:?} does not extend the tip {tip:?}")]
    NotChildOfTip {
        /// The block.
        id: Id,
        /// The tip.
        tip: Id,
    },
    /// [`BlockTree::connect`] was given an id the tree does not hold, or an invalid one.
    #[error("block {id:?} is not a valid block of the tree")]
    NotConnectable {
        /// The block.
        id: Id,
    },
    /// [`BlockTree::disconnect`] at genesis.
    #[error("the genesis block cannot be disconnected")]
    DisconnectGenesis,
}

/// What [`BlockTree::insert`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inserted {
    /// The id was already in the tree.
    Duplicate,
    /// Added; `best` is `true` when the tip should now move ([`BlockTree::next_reorg`]).
    Added {
        /// The block's branch has more work than the canonical tip.
        best: bool,
    },
}

/// A move of the canonical tip: the blocks to take off and to put on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TipChange<Id> {
    /// The last block both chains share.
    pub fork: Id,
    /// Its height.
    pub fork_height: u64,
    /// Blocks to disconnect, the old tip first.
    pub disconnect: Vec<Id>,
    /// Blocks to connect, the one above the fork first.
    pub connect: Vec<Id>,
}

/// Every block held, the canonical chain, and the valid candidates ordered by fork choice.
#[derive(Clone, Debug)]
pub struct BlockTree<Id: TreeId, M> {
    entries: HashMap<Id, TreeEntry<Id, M>>,
    children: HashMap<Id, Vec<Id>>,
    /// Valid blocks as (chain work, earlier first, id): the last is fork choice's best.
    candidates: BTreeSet<(U256, Reverse<u64>, Id)>,
    /// `canonical[h]` is the canonical block at height `h`.
    canonical: Vec<Id>,
    next_seq: u64,
}

impl<Id: TreeId, M> BlockTree<Id, M> {
    /// A tree holding only `genesis`, whose own work is `genesis_work`.
    pub fn new(genesis: Id, genesis_work: U256, meta: M) -> Self {
        let entry = TreeEntry {
            parent: genesis,
            height: 0,
            chain_work: genesis_work,
            seq: 0,
            valid: true,
            meta,
        };
        BlockTree {
            entries: HashMap::from([(genesis, entry)]),
            children: HashMap::new(),
            candidates: BTreeSet::from([(genesis_work, Reverse(0), genesis)]),
            canonical: vec![genesis],
            next_seq: 1,
        }
    }

    /// Adds block `id`, child of `parent`, proving `block_work` (2^256 / (target + 1)).
    ///
    /// # Errors
    /// [`TreeError::UnknownParent`] (nothing is stored: buffer it as an orphan),
    /// [`TreeError::InvalidParent`] (the block descends from an invalid one).
    pub fn insert(
        &mut self,
        id: Id,
        parent: Id,
        block_work: U256,
        meta: M,
    ) -> Result<Inserted, TreeError<Id>> {
        if self.entries.contains_key(&id) {
            return Ok(Inserted::Duplicate);
        }
        let Some(up) = self.entries.get(&parent) else {
            return Err(TreeError::UnknownParent { parent });
        };
        if !up.valid {
            return Err(TreeError::InvalidParent { parent });
        }
        let entry = TreeEntry {
            parent,
            height: up.height + 1,
            chain_work: chain_work(up.chain_work, block_work),
            seq: self.next_seq,
            valid: true,
            meta,
        };
        self.next_seq += 1;
        self.candidates.insert((entry.chain_work, Reverse(entry.seq), id));
        self.children.entry(parent).or_default().push(id);
        let best = fork_choice(self.tip_entry().chain_work, entry.chain_work)
            && self.best_candidate() == id;
        self.entries.insert(id, entry);
        Ok(Inserted::Added { best })
    }

    /// The block `id`, if held.
    pub fn get(&self, id: &Id) -> Option<&TreeEntry<Id, M>> {
        self.entries.get(id)
    }

    /// `true` if `id` is held (valid or not).
    pub fn contains(&self, id: &Id) -> bool {
        self.entries.contains_key(id)
    }

    /// Number of blocks held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Always `false`: the genesis block is always held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The canonical tip.
    pub fn tip(&self) -> Id {
        *self.canonical.last().expect("the canonical chain holds genesis at least")
    }

    /// The canonical tip's entry.
    pub fn tip_entry(&self) -> &TreeEntry<Id, M> {
        &self.entries[&self.tip()]
    }

    /// The canonical tip's height.
    pub fn height(&self) -> u64 {
        self.canonical.len() as u64 - 1
    }

    /// The genesis block.
    pub fn genesis(&self) -> Id {
        self.canonical[0]
    }

    /// The canonical block at `height`.
    pub fn canonical_at(&self, height: u64) -> Option<Id> {
        usize::try_from(height).ok().and_then(|h| self.canonical.get(h)).copied()
    }

    /// The canonical chain, genesis first.
    pub fn canonical_chain(&self) -> &[Id] {
        &self.canonical
    }

    /// `true` if `id` is on the canonical chain.
    pub fn is_canonical(&self, id: &Id) -> bool {
        self.entries.get(id).is_some_and(|e| self.canonical_at(e.height) == Some(*id))
    }

    /// Confirmations of `id` (Bitcoin's `getblock` "confirmations"): 1 if it is the tip, one
    /// more per canonical block above it, 0 if it is not on the canonical chain (or unknown).
    pub fn confirmations(&self, id: &Id) -> u64 {
        match self.entries.get(id) {
            Some(e) if self.canonical_at(e.height) == Some(*id) => self.height() - e.height + 1,
            _ => 0,
        }
    }

    /// The children of `id` (any validity), in arrival order.
    pub fn children(&self, id: &Id) -> &[Id] {
        self.children.get(id).map_or(&[], Vec::as_slice)
    }

    /// Every block held, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&Id, &TreeEntry<Id, M>)> {
        self.entries.iter()
    }

    /// `id` and its ancestors, `id` first, down to genesis.
    pub fn ancestors(&self, id: Id) -> impl Iterator<Item = (Id, &TreeEntry<Id, M>)> {
        let mut next = self.entries.get(&id).map(|e| (id, e));
        std::iter::from_fn(move || {
            let (id, entry) = next?;
            next = (entry.height > 0)
                .then(|| self.entries.get(&entry.parent).map(|e| (entry.parent, e)))
                .flatten();
            Some((id, entry))
        })
    }

    /// Fork choice's best valid block: most chain work, seen first on ties.
    pub fn best_candidate(&self) -> Id {
        self.candidates.last().expect("the genesis block is always a candidate").2
    }

    /// How to move from the tip to `target`: blocks to disconnect and to connect.
    ///
    /// # Panics
    /// If `target` is not in the tree (callers pass ids the tree handed out).
    pub fn plan(&self, target: Id) -> TipChange<Id> {
        let mut connect = Vec::new();
        let mut cursor = target;
        while !self.is_canonical(&cursor) {
            connect.push(cursor);
            cursor = self.entries[&cursor].parent;
        }
        connect.reverse();
        let fork_height = self.entries[&cursor].height;
        let disconnect = self.canonical[fork_height as usize + 1..].iter().rev().copied().collect();
        TipChange { fork: cursor, fork_height, disconnect, connect }
    }

    /// The move to fork choice's best block, if it has more work than the tip.
    pub fn next_reorg(&self) -> Option<TipChange<Id>> {
        let best = self.best_candidate();
        let work = self.entries[&best].chain_work;
        fork_choice(self.tip_entry().chain_work, work).then(|| self.plan(best))
    }

    /// Makes `id`, a valid child of the tip, the tip.
    ///
    /// # Errors
    /// [`TreeError::NotConnectable`], [`TreeError::NotChildOfTip`].
    pub fn connect(&mut self, id: Id) -> Result<(), TreeError<Id>> {
        let tip = self.tip();
        let entry = self.entries.get(&id).filter(|e| e.valid);
        let Some(entry) = entry else { return Err(TreeError::NotConnectable { id }) };
        if entry.parent != tip || entry.height == 0 {
            return Err(TreeError::NotChildOfTip { id, tip });
        }
        self.canonical.push(id);
        Ok(())
    }

    /// Takes the tip off the canonical chain and returns it.
    ///
    /// # Errors
    /// [`TreeError::DisconnectGenesis`].
    pub fn disconnect(&mut self) -> Result<Id, TreeError<Id>> {
        if self.canonical.len() == 1 {
            return Err(TreeError::DisconnectGenesis);
        }
        Ok(self.canonical.pop().expect("checked above"))
    }

    /// Marks `id` and every descendant invalid (they stop being candidates, and children
    /// inserted later are refused). Returns the ids newly marked. Canonical blocks are not
    /// disconnected here: the caller does that first.
    pub fn mark_invalid(&mut self, id: Id) -> Vec<Id> {
        let mut marked = Vec::new();
        let mut stack = vec![id];
        while let Some(id) = stack.pop() {
            let Some(entry) = self.entries.get_mut(&id) else { continue };
            if entry.valid {
                entry.valid = false;
                self.candidates.remove(&(entry.chain_work, Reverse(entry.seq), id));
                marked.push(id);
            }
            stack.extend(self.children.get(&id).into_iter().flatten().copied());
        }
        marked
    }

    /// Inserts a block and, for a caller that executes nothing, follows fork choice at once:
    /// returns what was inserted and the tip change, if the tip moved.
    ///
    /// # Errors
    /// As [`BlockTree::insert`].
    pub fn insert_and_follow(
        &mut self,
        id: Id,
        parent: Id,
        block_work: U256,
        meta: M,
    ) -> Result<(Inserted, Option<TipChange<Id>>), TreeError<Id>> {
        let inserted = self.insert(id, parent, block_work, meta)?;
        let change = self.next_reorg();
        if let Some(change) = &change {
            self.apply(change);
        }
        Ok((inserted, change))
    }

    /// Applies a whole [`TipChange`] planned by [`BlockTree::plan`] on the current tip.
    ///
    /// # Panics
    /// If the change was not planned from the current tip (a caller bug).
    pub fn apply(&mut self, change: &TipChange<Id>) {
        self.canonical.truncate(change.fork_height as usize + 1);
        assert_eq!(self.tip(), change.fork, "tip change planned from another tip");
        self.canonical.extend(&change.connect);
    }
}

/// Blocks whose parent is not known yet, bounded: the oldest is dropped when full.
#[derive(Clone, Debug)]
pub struct OrphanPool<Id: TreeId, B> {
    blocks: HashMap<Id, (Id, B)>,
    by_parent: HashMap<Id, Vec<Id>>,
    order: VecDeque<Id>,
    capacity: usize,
}

impl<Id: TreeId, B> OrphanPool<Id, B> {
    /// An empty pool holding at most `capacity` blocks.
    pub fn new(capacity: usize) -> Self {
        OrphanPool {
            blocks: HashMap::new(),
            by_parent: HashMap::new(),
            order: VecDeque::new(),
            capacity,
        }
    }

    /// Number of blocks held.
    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    /// `true` when empty.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// `true` if `id` is held.
    pub fn contains(&self, id: &Id) -> bool {
        self.blocks.contains_key(id)
    }

    /// Holds `block` (id `id`, child of `parent`) until its parent arrives; `false` if it was
    /// already held. The oldest block is dropped when the pool is full.
    pub fn insert(&mut self, id: Id, parent: Id, block: B) -> bool {
        if self.blocks.contains_key(&id) || self.capacity == 0 {
            return false;
        }
        if self.blocks.len() >= self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.remove(&oldest);
            }
        }
        self.blocks.insert(id, (parent, block));
        self.by_parent.entry(parent).or_default().push(id);
        self.order.push_back(id);
        true
    }

    /// The first ancestor of `parent` that is not held here: the block to ask peers for.
    pub fn missing_ancestor(&self, mut parent: Id) -> Id {
        while let Some((up, _)) = self.blocks.get(&parent) {
            parent = *up;
        }
        parent
    }

    /// Takes out the blocks waiting for `parent`, in arrival order.
    pub fn take_children(&mut self, parent: &Id) -> Vec<(Id, B)> {
        let ids = self.by_parent.remove(parent).unwrap_or_default();
        self.order.retain(|id| !ids.contains(id));
        ids.into_iter().filter_map(|id| self.blocks.remove(&id).map(|(_, b)| (id, b))).collect()
    }

    fn remove(&mut self, id: &Id) {
        if let Some((parent, _)) = self.blocks.remove(id) {
            if let Some(siblings) = self.by_parent.get_mut(&parent) {
                siblings.retain(|s| s != id);
                if siblings.is_empty() {
                    self.by_parent.remove(&parent);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    type Tree = BlockTree<u32, ()>;

    fn w(n: u64) -> U256 {
        U256::from(n)
    }

    #[test]
    fn a_heavier_branch_reorgs_and_equal_work_keeps_the_first_seen_tip() {
        let mut tree = Tree::new(0, w(1), ());
        assert_eq!(tree.insert_and_follow(1, 0, w(1), ()).unwrap().1.unwrap().connect, vec![1]);
        // Equal work: the first seen (1) stays.
        assert_eq!(
            tree.insert_and_follow(2, 0, w(1), ()).unwrap(),
            (Inserted::Added { best: false }, None)
        );
        assert_eq!(tree.tip(), 1);
        let (_, change) = tree.insert_and_follow(3, 2, w(1), ()).unwrap();
        assert_eq!(
            change.unwrap(),
            TipChange { fork: 0, fork_height: 0, disconnect: vec![1], connect: vec![2, 3] }
        );
        assert_eq!(tree.canonical_chain(), &[0, 2, 3]);
        assert!(!tree.is_canonical(&1));
        assert_eq!(tree.insert(3, 2, w(1), ()), Ok(Inserted::Duplicate));
    }

    #[test]
    fn confirmations_count_canonical_blocks_from_the_tip_and_are_zero_off_the_chain() {
        let mut tree = Tree::new(0, w(1), ());
        tree.insert_and_follow(1, 0, w(1), ()).unwrap();
        tree.insert_and_follow(2, 1, w(1), ()).unwrap();
        tree.insert_and_follow(3, 0, w(1), ()).unwrap();
        assert_eq!(tree.confirmations(&2), 1, "the tip");
        assert_eq!(tree.confirmations(&1), 2);
        assert_eq!(tree.confirmations(&0), 3, "genesis counts itself");
        assert_eq!(tree.confirmations(&3), 0, "a stale block");
        assert_eq!(tree.confirmations(&9), 0, "an unknown block");
    }

    #[test]
    fn more_work_beats_more_height() {
        let mut tree = Tree::new(0, w(1), ());
        tree.insert_and_follow(1, 0, w(1), ()).unwrap();
        tree.insert_and_follow(2, 1, w(1), ()).unwrap();
        // One block with three times the work beats two ordinary ones.
        let (_, change) = tree.insert_and_follow(3, 0, w(3), ()).unwrap();
        assert_eq!(change.unwrap().disconnect, vec![2, 1]);
        assert_eq!(tree.tip(), 3);
        assert_eq!(tree.height(), 1);
    }

    #[test]
    fn an_invalid_block_takes_its_descendants_out_and_the_next_best_branch_wins() {
        let mut tree = Tree::new(0, w(1), ());
        tree.insert(1, 0, w(1), ()).unwrap();
        tree.insert(2, 1, w(1), ()).unwrap();
        tree.insert(3, 0, w(1), ()).unwrap();
        let plan = tree.next_reorg().unwrap();
        assert_eq!(plan.connect, vec![1, 2]);
        tree.connect(1).unwrap();
        // Block 2 fails execution.
        assert_eq!(tree.mark_invalid(2), vec![2]);
        assert_eq!(tree.next_reorg(), None, "1 and 3 have equal work; 1 is the tip");
        assert_eq!(tree.insert(4, 2, w(1), ()), Err(TreeError::InvalidParent { parent: 2 }));
        assert_eq!(tree.mark_invalid(1), vec![1]);
        assert_eq!(tree.disconnect(), Ok(1));
        assert_eq!(tree.next_reorg().unwrap().connect, vec![3]);
    }

    #[test]
    fn connect_and_disconnect_refuse_what_does_not_fit_the_tip() {
        let mut tree = Tree::new(0, w(1), ());
        tree.insert(1, 0, w(1), ()).unwrap();
        tree.insert(2, 1, w(1), ()).unwrap();
        assert_eq!(tree.connect(2), Err(TreeError::NotChildOfTip { id: 2, tip: 0 }));
        assert_eq!(tree.connect(9), Err(TreeError::NotConnectable { id: 9 }));
        assert_eq!(tree.disconnect(), Err(TreeError::DisconnectGenesis));
        assert_eq!(tree.insert(5, 7, w(1), ()), Err(TreeError::UnknownParent { parent: 7 }));
    }

    #[test]
    fn orphans_wait_for_their_parent_and_name_the_first_missing_ancestor() {
        let mut pool: OrphanPool<u32, &str> = OrphanPool::new(3);
        assert!(pool.insert(3, 2, "c"));
        assert!(pool.insert(2, 1, "b"));
        assert!(!pool.insert(2, 1, "b"));
        assert_eq!(pool.missing_ancestor(3), 1);
        assert!(pool.insert(4, 3, "d"));
        // Full: the oldest (3) goes.
        assert!(pool.insert(5, 1, "e"));
        assert!(!pool.contains(&3));
        assert_eq!(pool.take_children(&1), vec![(2, "b"), (5, "e")]);
        assert_eq!(pool.len(), 1);
    }

    proptest! {
        /// Following fork choice after every insert leaves the tip at the most-work valid
        /// block, the earliest seen among equals, and the canonical chain is its ancestry.
        #[test]
        fn the_tip_is_always_the_most_work_block_seen_first(
            blocks in proptest::collection::vec((0usize..1000, 1u64..4), 1..60)
        ) {
            let mut tree = Tree::new(0, w(1), ());
            let mut ids = vec![0u32];
            let mut work = HashMap::from([(0u32, w(1))]);
            for (i, (pick, own)) in blocks.into_iter().enumerate() {
                let id = i as u32 + 1;
                let parent = ids[pick % ids.len()];
                tree.insert_and_follow(id, parent, w(own), ()).unwrap();
                work.insert(id, work[&parent] + w(own));
                ids.push(id);
                let best = ids.iter().copied().max_by_key(|id| (work[id], Reverse(*id))).unwrap();
                prop_assert_eq!(tree.tip(), best);
                let mut chain: Vec<u32> = tree.ancestors(best).map(|(id, _)| id).collect();
                chain.reverse();
                prop_assert_eq!(tree.canonical_chain(), chain.as_slice());
            }
        }
    }
}
