//! A miner as a sans-IO process: Poisson block discovery, block propagation, most-work fork
//! choice, k-confirmation finality, and two attacker strategies.
//!
//! ```text
//! upon ⟨Init⟩ do arm the mining timer: Exp(mean = T · difficulty / (share · hash_multiplier))
//! upon ⟨Timeout | mine⟩ do
//!     b ← block on the mining tip with the mempool's transactions; arm again
//!     honest: insert b; forall q ≠ self: send Block(b)        attacker: strategy.on_own_block(b)
//! upon ⟨Deliver | q, Block(b)⟩ do
//!     insert b into the node's block tree (most-work fork choice, first seen on ties)
//!     parent unknown → send GetBlock(parent) to q            (catch up after a partition)
//!     tip moved → update the tx index; re-arm; emit Reorg, Final, TxConfirmed; attacker reacts
//! upon ⟨Deliver | q, GetBlock(id)⟩ do send Block(id) to q if held (and published)
//! upon ⟨Request | tx⟩ do mempool ∪= {tx}; forall q ≠ self: send Tx(tx)
//! ```
//!
//! Each process draws its mining times from its own ChaCha8 stream (seed, 100 + id), so a run
//! stays a pure function of its seed. Re-arming on every tip change is exact: an exponential
//! waiting time has no memory, and with ASERT the next block's difficulty depends on the tip.
//!
//! Attackers ([`Strategy`]) keep a private branch on top of a public block and publish parts of it:
//! - [`Strategy::Selfish`]: Eyal & Sirer, *Majority is not Enough*, FC 2014, Algorithm 1, written
//!   on the lead after the honest block: lead < 0 adopt; 0 publish all (tie race); 1 publish all
//!   (win); ≥ 2 publish up to the honest height.
//! - [`Strategy::PrivateChain`]: the double spend of Nakamoto 2008 §11 played out on the
//!   network: mine privately from the public tip; once the public chain holds `wait_for`
//!   blocks past the fork (the merchant's confirmations) and the private chain has more work,
//!   publish it all (honest nodes reorg ≥ `wait_for` blocks); give up when `give_up_behind`
//!   blocks behind; then start over from the new tip.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use quarry_consensus::{chain_work, fork_choice, TipChange};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::chain::{
    relative_difficulty, Block, BlockId, Chain, DifficultyRule, Insert, TxId, TX_BYTES,
};
use crate::protocol::{Context, NodeId, Protocol, Time, TimerId, WireSize};

const MINE: TimerId = 1;

/// An attacker's strategy (module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Selfish mining (Eyal & Sirer 2014, Alg. 1).
    Selfish,
    /// Private-chain double spend against `wait_for` confirmations.
    PrivateChain {
        /// The merchant's confirmations.
        wait_for: u64,
        /// Abandon an attempt this many blocks behind the public chain.
        give_up_behind: u64,
    },
}

/// Parameters shared by every miner of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct NakamotoParams {
    /// Hash-power share of each process (sums to 1).
    pub shares: Vec<f64>,
    /// Mean block interval T of the whole network at genesis difficulty, µs.
    pub interval: Time,
    /// k: a block is final at a node once it has k confirmations on its best chain.
    pub confirmations: u64,
    /// How `bits` is set.
    pub difficulty: DifficultyRule,
    /// Total hash power relative to what the genesis difficulty was set for (1.0 = on design).
    pub hash_multiplier: f64,
    /// The attacking process and its strategy, if any.
    pub attacker: Option<(NodeId, Strategy)>,
    /// Announce every newly accepted block to the other processes (`Inv`), who fetch it with
    /// `GetBlock` if they lack it: how blocks get around lost messages and healed partitions.
    /// Off, only the miner's own push reaches anyone (enough on a loss-free full mesh).
    pub relay: bool,
    /// Seed of the mining streams.
    pub seed: u64,
}

impl NakamotoParams {
    /// `n` equal miners, interval `interval` µs, `k` confirmations, fixed difficulty, no attacker.
    pub fn equal(n: usize, interval: Time, k: u64, seed: u64) -> Self {
        NakamotoParams {
            shares: vec![1.0 / n.max(1) as f64; n],
            interval,
            confirmations: k,
            difficulty: DifficultyRule::Fixed,
            hash_multiplier: 1.0,
            attacker: None,
            relay: true,
            seed,
        }
    }

    /// Give process `node` hash share `q` and `strategy`; the other processes share 1 − q equally.
    pub fn with_attacker(mut self, node: NodeId, q: f64, strategy: Strategy) -> Self {
        let n = self.shares.len();
        for (i, s) in self.shares.iter_mut().enumerate() {
            *s = if i == node { q } else { (1.0 - q) / (n - 1).max(1) as f64 };
        }
        self.attacker = Some((node, strategy));
        self
    }
}

/// What travels between miners.
#[derive(Debug, Clone)]
pub enum NakamotoMsg {
    /// A block (mined, relayed on request, or published by an attacker).
    Block(Block),
    /// A transaction for the mempools.
    Tx(TxId),
    /// "Send me block `id`": for an announced block or a missing parent.
    GetBlock(BlockId),
    /// "I have block `id`" (Bitcoin's `inv`), sent on accepting a new block when relaying.
    Inv(BlockId),
}

impl WireSize for NakamotoMsg {
    fn size_bytes(&self) -> usize {
        match self {
            NakamotoMsg::Block(b) => b.size_bytes(),
            NakamotoMsg::Tx(_) => TX_BYTES,
            NakamotoMsg::GetBlock(_) | NakamotoMsg::Inv(_) => 36,
        }
    }
}

/// What a miner reports (recorded in the history for metrics and checkers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NakamotoOutput {
    /// This process found a block (`withheld`: an attacker kept it private).
    Mined {
        /// The block.
        block: BlockId,
        /// Its parent.
        parent: BlockId,
        /// Its height.
        height: u64,
        /// Kept private.
        withheld: bool,
    },
    /// An attacker published a block it had withheld.
    Published {
        /// The block.
        block: BlockId,
    },
    /// The best chain lost `depth` ≥ 1 blocks above `fork_height`.
    Reorg {
        /// Blocks disconnected.
        depth: u64,
        /// Height of the last common block.
        fork_height: u64,
        /// The new tip.
        new_tip: BlockId,
    },
    /// The best chain's block at `height` reached k confirmations here.
    Final {
        /// Height.
        height: u64,
        /// The block.
        block: BlockId,
    },
    /// A transaction submitted here is in a block with k confirmations.
    TxConfirmed {
        /// The transaction.
        tx: TxId,
        /// The block holding it.
        block: BlockId,
    },
}

struct Attack {
    strategy: Strategy,
    /// The public block the private branch grows from.
    base: BlockId,
    /// The branch, lowest first; `branch[..published]` is public already.
    branch: Vec<Block>,
    published: usize,
}

/// One process: a miner (honest unless it is `params.attacker`).
pub struct Miner {
    params: Arc<NakamotoParams>,
    me: NodeId,
    rng: ChaCha8Rng,
    /// The node's block tree around this process's blocks. Honest: everything received.
    /// Attacker: the public view (others' and published blocks).
    chain: Chain,
    mempool: BTreeSet<TxId>,
    in_chain: HashMap<TxId, BlockId>,
    own: BTreeMap<TxId, bool>,
    final_height: u64,
    seq: u64,
    attack: Option<Attack>,
}

impl Miner {
    /// Process `me` of a run with `params`.
    pub fn new(params: Arc<NakamotoParams>, me: NodeId) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
        rng.set_stream(100 + me as u64);
        let attack = params.attacker.filter(|(node, _)| *node == me).map(|(_, strategy)| Attack {
            strategy,
            base: super::chain::GENESIS,
            branch: Vec::new(),
            published: 0,
        });
        Miner {
            chain: Chain::new(params.difficulty),
            params,
            me,
            rng,
            mempool: BTreeSet::new(),
            in_chain: HashMap::new(),
            own: BTreeMap::new(),
            final_height: 0,
            seq: 0,
            attack,
        }
    }

    /// This process's best chain (its public view, for an attacker), genesis first.
    pub fn main_chain(&self) -> &[BlockId] {
        self.chain.tree().canonical_chain()
    }

    /// The block `id` if this process holds it (published blocks only, for an attacker).
    pub fn block(&self, id: BlockId) -> Option<&Block> {
        self.chain.block(id)
    }

    /// The block mining extends: the private branch's tip for an attacker, else the best tip.
    fn mining_parent(&self) -> Block {
        match &self.attack {
            Some(a) => match a.branch.last() {
                Some(b) => b.clone(),
                None => self.chain.block(a.base).expect("base is public").clone(),
            },
            None => self.chain.tip().clone(),
        }
    }

    fn arm(&mut self, ctx: &mut Context<'_, Self>) {
        let share = self.params.shares.get(self.me).copied().unwrap_or(0.0);
        if share <= 0.0 {
            return;
        }
        let parent = self.mining_parent();
        let bits = self.chain.expected_bits(&parent);
        let mean = self.params.interval as f64 * relative_difficulty(bits)
            / (share * self.params.hash_multiplier);
        let wait = -(1.0 - self.rng.random::<f64>()).ln() * mean;
        ctx.set_timer(MINE, (wait as Time).max(1));
    }

    fn mine(&mut self, ctx: &mut Context<'_, Self>) {
        let parent = self.mining_parent();
        self.seq += 1;
        let txs =
            self.mempool.iter().filter(|tx| !self.in_chain.contains_key(tx)).copied().collect();
        let block = Block {
            id: ((self.me as u64) << 40) | self.seq,
            parent: parent.id,
            height: parent.height + 1,
            miner: self.me,
            bits: self.chain.expected_bits(&parent),
            timestamp_ms: ctx.now / 1000,
            txs,
        };
        let withheld = self.attack.is_some();
        ctx.output(NakamotoOutput::Mined {
            block: block.id,
            parent: parent.id,
            height: block.height,
            withheld,
        });
        if withheld {
            self.attacker_found(ctx, block);
        } else {
            self.insert(ctx, block.clone());
            ctx.broadcast_excluding_self(NakamotoMsg::Block(block));
        }
        self.arm(ctx);
    }

    /// Insert into the tree and apply a tip change; `from` is asked for a missing parent.
    fn insert_from(
        &mut self,
        ctx: &mut Context<'_, Self>,
        block: Block,
        from: Option<NodeId>,
    ) -> bool {
        let id = block.id;
        let inserted = self.chain.insert(block);
        if self.params.relay && matches!(inserted, Insert::Added { .. }) {
            if let Some(source) = from {
                let (n, me) = (ctx.n, ctx.me);
                for q in (0..n).filter(|&q| q != me && q != source) {
                    ctx.send(q, NakamotoMsg::Inv(id));
                }
            }
        }
        match inserted {
            Insert::Orphan { missing } => {
                if let Some(q) = from {
                    ctx.send(q, NakamotoMsg::GetBlock(missing));
                }
                false
            }
            Insert::Added { tip: Some(change) } => {
                self.apply_tip_change(ctx, change);
                true
            }
            Insert::Added { tip: None } | Insert::Duplicate | Insert::BadBits { .. } => false,
        }
    }

    fn insert(&mut self, ctx: &mut Context<'_, Self>, block: Block) -> bool {
        self.insert_from(ctx, block, None)
    }

    fn apply_tip_change(&mut self, ctx: &mut Context<'_, Self>, change: TipChange<BlockId>) {
        for id in &change.disconnect {
            let txs = self.chain.block(*id).map(|b| b.txs.clone()).unwrap_or_default();
            for tx in txs {
                if self.in_chain.get(&tx) == Some(id) {
                    self.in_chain.remove(&tx);
                }
            }
        }
        for id in &change.connect {
            let txs = self.chain.block(*id).map(|b| b.txs.clone()).unwrap_or_default();
            for tx in txs {
                self.in_chain.insert(tx, *id);
            }
        }
        if !change.disconnect.is_empty() {
            ctx.output(NakamotoOutput::Reorg {
                depth: change.disconnect.len() as u64,
                fork_height: change.fork_height,
                new_tip: self.chain.tip().id,
            });
        }
        let k = self.params.confirmations.max(1);
        while self.final_height + k <= self.chain.tree().height() {
            self.final_height += 1;
            let block = self.chain.tree().canonical_at(self.final_height).expect("below the tip");
            ctx.output(NakamotoOutput::Final { height: self.final_height, block });
        }
        let done: Vec<(TxId, BlockId)> = self
            .own
            .iter()
            .filter(|(_, confirmed)| !**confirmed)
            .filter_map(|(tx, _)| self.in_chain.get(tx).map(|b| (*tx, *b)))
            .filter(|(_, b)| self.chain.tree().confirmations(b) >= k)
            .collect();
        for (tx, block) in done {
            self.own.insert(tx, true);
            ctx.output(NakamotoOutput::TxConfirmed { tx, block });
        }
        if self.attack.is_none() {
            self.arm(ctx);
        }
    }

    // ---- attacker ----

    fn private_height(&self, a: &Attack) -> u64 {
        a.branch
            .last()
            .map_or_else(|| self.chain.block(a.base).map_or(0, |b| b.height), |b| b.height)
    }

    fn attacker_found(&mut self, ctx: &mut Context<'_, Self>, block: Block) {
        let mut a = self.attack.take().expect("attacker");
        let lead_before = self.private_height(&a) as i64 - self.chain.tree().height() as i64;
        a.branch.push(block);
        match a.strategy {
            Strategy::Selfish => {
                // Alg. 1: Δprev = 0 and privateBranchLen = 2 (a tie we just won): publish all.
                if lead_before == 0 && a.published > 0 {
                    self.publish(ctx, &mut a, usize::MAX);
                    self.restart(&mut a, true);
                }
            }
            Strategy::PrivateChain { .. } => self.maybe_release(ctx, &mut a),
        }
        self.attack = Some(a);
    }

    /// React to the public chain having moved because of others' blocks.
    fn attacker_saw_public(&mut self, ctx: &mut Context<'_, Self>) {
        let mut a = self.attack.take().expect("attacker");
        let public = self.chain.tree().height();
        let lead = self.private_height(&a) as i64 - public as i64;
        match a.strategy {
            Strategy::Selfish => match lead {
                l if l < 0 => self.restart(&mut a, false),
                0 => self.publish(ctx, &mut a, usize::MAX),
                1 => {
                    self.publish(ctx, &mut a, usize::MAX);
                    self.restart(&mut a, true);
                }
                _ => self.publish_up_to(ctx, &mut a, public),
            },
            Strategy::PrivateChain { give_up_behind, .. } => {
                if -lead >= give_up_behind as i64 {
                    self.restart(&mut a, false);
                } else {
                    self.maybe_release(ctx, &mut a);
                }
            }
        }
        self.attack = Some(a);
        self.arm(ctx);
    }

    fn maybe_release(&mut self, ctx: &mut Context<'_, Self>, a: &mut Attack) {
        let Strategy::PrivateChain { wait_for, .. } = a.strategy else { return };
        let base_height = self.chain.block(a.base).map_or(0, |b| b.height);
        if a.branch.is_empty() {
            return;
        }
        let mut work = self.chain.chain_work(a.base);
        for b in &a.branch {
            work = chain_work(work, b.work());
        }
        let public_work = self.chain.chain_work(self.chain.tip().id);
        if self.chain.tree().height() >= base_height + wait_for && fork_choice(public_work, work) {
            self.publish(ctx, a, usize::MAX);
            self.restart(a, true);
        }
    }

    /// Start a new private branch: from the published branch's tip (`won`) or the public tip.
    fn restart(&mut self, a: &mut Attack, won: bool) {
        a.base = match (won, a.branch.last()) {
            (true, Some(b)) if self.chain.block(b.id).is_some() => b.id,
            _ => self.chain.tip().id,
        };
        a.branch.clear();
        a.published = 0;
    }

    fn publish_up_to(&mut self, ctx: &mut Context<'_, Self>, a: &mut Attack, height: u64) {
        let count = a.branch.iter().take_while(|b| b.height <= height).count();
        self.publish(ctx, a, count);
    }

    /// Publish the branch up to `count` blocks (usize::MAX: all).
    fn publish(&mut self, ctx: &mut Context<'_, Self>, a: &mut Attack, count: usize) {
        let upto = count.min(a.branch.len());
        for b in a.branch[a.published.min(upto)..upto].iter().cloned() {
            ctx.output(NakamotoOutput::Published { block: b.id });
            self.insert(ctx, b.clone());
            ctx.broadcast_excluding_self(NakamotoMsg::Block(b));
        }
        a.published = a.published.max(upto);
    }
}

impl Protocol for Miner {
    type Message = NakamotoMsg;
    type Request = TxId;
    type Output = NakamotoOutput;

    fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
        self.arm(ctx);
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, msg: NakamotoMsg) {
        match msg {
            NakamotoMsg::Block(block) => {
                for tx in &block.txs {
                    self.mempool.insert(*tx);
                }
                let moved = self.insert_from(ctx, block, Some(from));
                if moved && self.attack.is_some() {
                    self.attacker_saw_public(ctx);
                }
            }
            NakamotoMsg::Tx(tx) => {
                self.mempool.insert(tx);
            }
            NakamotoMsg::Inv(id) => {
                if !self.chain.has(id) {
                    ctx.send(from, NakamotoMsg::GetBlock(id));
                }
            }
            NakamotoMsg::GetBlock(id) => {
                if let Some(b) = self.chain.block(id) {
                    ctx.send(from, NakamotoMsg::Block(b.clone()));
                }
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_, Self>, timer: TimerId) {
        if timer == MINE {
            self.mine(ctx);
        }
    }

    fn on_request(&mut self, ctx: &mut Context<'_, Self>, tx: TxId) {
        self.mempool.insert(tx);
        self.own.insert(tx, false);
        ctx.broadcast_excluding_self(NakamotoMsg::Tx(tx));
    }
}
