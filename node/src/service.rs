//! The node service: the chain, the mempool and the miner behind one cloneable [`Node`]
//! handle. The JSON-RPC server and the p2p layer hold a `Node` and call its methods; they never
//! reach into the chain themselves, and every block, mined here or received, enters through
//! [`Node::import_block`].
//!
//! Locking: one mutex guards the chain and the mempool together (a block import and the
//! mempool update it causes are one step); the miner has its own lock and never holds the core
//! one while hashing. Events ([`ChainEvent`]) go to subscribers over a `tokio::sync::broadcast`
//! channel, which never blocks the sender.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{SystemTime, UNIX_EPOCH};

use alloy_primitives::{Address, Bytes, B256, U256};
use quarry_primitives::genesis::Genesis;
use quarry_primitives::{Block, Header, SignedTransaction};
use tokio::sync::broadcast;
use tracing::{debug, info, warn};

use crate::chain::{Chain, ChainError, Imported, Tip};
use crate::consensus::block::{receipts_root, transactions_root, BlockExecutor};
use crate::consensus::header::MAX_FUTURE_DRIFT;
use crate::consensus::next_base_fee;
use crate::mempool::{Added, Mempool, PoolConfig, PoolError};
use crate::miner::worker::{Miner, Work};
use crate::miner::Kernel;

/// How often a mining node rebuilds its template even without news.
pub const TEMPLATE_REFRESH: std::time::Duration = std::time::Duration::from_millis(500);

/// Seconds since the Unix epoch by the local clock.
pub fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// How a node is set up.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// Where the store and the node's files live.
    pub datadir: PathBuf,
    /// The chain spec.
    pub genesis: Genesis,
    /// Receives the subsidy and fees of blocks this node mines.
    pub etherbase: Address,
    /// Mining threads (0: do not mine).
    pub mining_threads: usize,
    /// Kernel the miner uses.
    pub kernel: Kernel,
    /// Extra data written into mined headers (at most 32 bytes).
    pub extra_data: Bytes,
}

/// Something that happened to the chain or the pool.
#[derive(Clone, Debug)]
pub enum ChainEvent {
    /// The canonical chain changed: blocks removed (newest first) and added (oldest first).
    NewTip {
        /// Disconnected blocks.
        disconnected: Arc<Vec<Block>>,
        /// Connected blocks.
        connected: Arc<Vec<Block>>,
    },
    /// A transaction entered the pool.
    NewTransaction(B256),
}

/// Why the node could not start.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The chain could not be opened.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The miner's threads could not be started.
    #[error("cannot start the miner: {0}")]
    Miner(std::io::Error),
}

/// Why a transaction was refused.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The pool refused it (geth's words).
    #[error(transparent)]
    Pool(#[from] PoolError),
}

struct Core {
    chain: Chain,
    mempool: Mempool,
}

struct Shared {
    core: Mutex<Core>,
    miner: Mutex<Option<Miner>>,
    events: broadcast::Sender<ChainEvent>,
    config: NodeConfig,
}

/// The node handle; cheap to clone, shared by RPC, p2p and the miner.
#[derive(Clone)]
pub struct Node {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node").field("datadir", &self.shared.config.datadir).finish()
    }
}

impl Node {
    /// Opens the chain in `config.datadir` and starts mining if `config.mining_threads > 0`.
    ///
    /// # Errors
    /// [`NodeError`].
    pub fn start(config: NodeConfig) -> Result<Node, NodeError> {
        let chain = Chain::open(&config.datadir, &config.genesis)?;
        let tip = chain.tip();
        info!(number = tip.header.number, hash = %tip.hash, "chain opened");
        let pool = PoolConfig {
            allow_unprotected: chain.rules().allow_unprotected_txs,
            ..PoolConfig::new(chain.rules().chain_id, tip.header.gas_limit)
        };
        let (events, _) = broadcast::channel(1024);
        let node = Node {
            shared: Arc::new(Shared {
                core: Mutex::new(Core { chain, mempool: Mempool::new(pool) }),
                miner: Mutex::new(None),
                events,
                config: config.clone(),
            }),
        };
        if config.mining_threads > 0 {
            node.set_mining(Some(config.mining_threads))?;
        }
        Ok(node)
    }

    fn core(&self) -> MutexGuard<'_, Core> {
        // A panic while holding the lock would already have aborted the node's invariants;
        // recover the guard so read-only callers keep working.
        self.shared.core.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The configuration the node was started with.
    pub fn config(&self) -> &NodeConfig {
        &self.shared.config
    }

    /// Runs `f` with read access to the chain (short calls only: the chain is locked).
    pub fn with_chain<R>(&self, f: impl FnOnce(&Chain) -> R) -> R {
        f(&self.core().chain)
    }

    /// Runs `f` with read access to the mempool and the chain.
    pub fn with_pool<R>(&self, f: impl FnOnce(&Mempool, &Chain) -> R) -> R {
        let core = self.core();
        f(&core.mempool, &core.chain)
    }

    /// The canonical tip.
    pub fn tip(&self) -> Tip {
        self.core().chain.tip()
    }

    /// Receives every later [`ChainEvent`].
    pub fn subscribe(&self) -> broadcast::Receiver<ChainEvent> {
        self.shared.events.subscribe()
    }

    /// Validates and imports `block`: the one door for mined and received blocks. On a new
    /// tip the mempool drops included transactions and takes back those of disconnected
    /// blocks, subscribers hear of it and the miner gets a fresh template.
    ///
    /// # Errors
    /// [`ChainError`] naming the broken rule.
    pub fn import_block(&self, block: Block) -> Result<Imported, ChainError> {
        let imported = {
            let mut core = self.core();
            let imported = core.chain.import(block, unix_now())?;
            if let Imported::NewTip { disconnected, connected } = &imported {
                let Core { chain, mempool } = &mut *core;
                for block in connected {
                    let tip = chain.tip();
                    info!(
                        number = block.header.number,
                        hash = %block.header.hash(),
                        txs = block.transactions.len(),
                        gas_used = block.header.gas_used,
                        tip = %tip.hash,
                        "block committed"
                    );
                    for tx in &block.transactions {
                        mempool.remove(&tx.hash());
                    }
                }
                if !disconnected.is_empty() {
                    warn!(depth = disconnected.len(), "reorganisation");
                    // Oldest block first, so each sender's nonces come back in order.
                    let txs: Vec<SignedTransaction> = disconnected
                        .iter()
                        .rev()
                        .flat_map(|b| b.transactions.iter().cloned())
                        .collect();
                    let state = chain.state();
                    mempool.reinject(txs, &state, unix_now());
                }
                let state = chain.state();
                mempool.prune(&state);
                let _ = self.shared.events.send(ChainEvent::NewTip {
                    disconnected: Arc::new(disconnected.clone()),
                    connected: Arc::new(connected.clone()),
                });
            }
            imported
        };
        if matches!(imported, Imported::NewTip { .. }) {
            self.refresh_work();
        }
        Ok(imported)
    }

    /// Validates `tx` against the tip state and adds it to the mempool.
    ///
    /// # Errors
    /// [`SubmitError::Pool`] in geth's words (`nonce too low`, `insufficient funds for gas *
    /// price + value`, …).
    pub fn submit_transaction(&self, tx: SignedTransaction) -> Result<B256, SubmitError> {
        let hash = tx.hash();
        let added = {
            let mut core = self.core();
            let Core { chain, mempool } = &mut *core;
            let state = chain.state();
            mempool.add(tx, &state, unix_now())?
        };
        debug!(%hash, ?added, "transaction accepted");
        let _ = self.shared.events.send(ChainEvent::NewTransaction(hash));
        if added == Added::Pending {
            self.refresh_work();
        }
        Ok(hash)
    }

    /// Starts (`Some(threads)`) or stops (`None`) mining.
    ///
    /// # Errors
    /// [`NodeError::Miner`] if threads cannot be spawned.
    pub fn set_mining(&self, threads: Option<usize>) -> Result<(), NodeError> {
        // Stop the old miner outside the lock: its threads may be inside `import_block`, which
        // takes the miner lock to refresh the template, and dropping the miner joins them.
        let old = self.shared.miner.lock().expect("miner lock").take();
        drop(old);
        let mut miner = self.shared.miner.lock().expect("miner lock");
        if let Some(threads) = threads.filter(|&t| t > 0) {
            let weak: Weak<Shared> = Arc::downgrade(&self.shared);
            let found = Arc::new(move |block: Block| {
                let Some(shared) = weak.upgrade() else { return };
                let node = Node { shared };
                let hash = block.header.hash();
                if let Err(error) = node.import_block(block) {
                    warn!(%hash, %error, "mined block refused");
                }
            });
            let started = Miner::start(threads, self.shared.config.kernel, found)
                .map_err(NodeError::Miner)?;
            info!(threads, kernel = started.kernel().name(), "mining");
            *miner = Some(started);
            // Templates also age: the clock moves (a chain that ran ahead of it by the
            // future-drift limit must wait) and the miner should restart on fresh timestamps.
            let weak = Arc::downgrade(&self.shared);
            std::thread::Builder::new()
                .name("template-ticker".into())
                .spawn(move || loop {
                    std::thread::sleep(TEMPLATE_REFRESH);
                    let Some(shared) = weak.upgrade() else { return };
                    let node = Node { shared };
                    if !node.is_mining() {
                        return;
                    }
                    node.refresh_work();
                })
                .map_err(NodeError::Miner)?;
        }
        drop(miner);
        self.refresh_work();
        Ok(())
    }

    /// `true` while mining.
    pub fn is_mining(&self) -> bool {
        self.shared.miner.lock().expect("miner lock").is_some()
    }

    /// Hashes per second since mining started (0 when not mining).
    pub fn hash_rate(&self) -> f64 {
        self.shared.miner.lock().expect("miner lock").as_ref().map_or(0.0, Miner::hash_rate)
    }

    fn refresh_work(&self) {
        let miner = self.shared.miner.lock().expect("miner lock");
        let Some(miner) = miner.as_ref() else { return };
        match self.block_template(self.shared.config.etherbase) {
            Ok(work) if work.header.timestamp > unix_now() + MAX_FUTURE_DRIFT => {
                // Blocks came so fast that the median-time-past rule pushed the next timestamp
                // past what peers accept; wait for the clock (the ticker retries).
                debug!(timestamp = work.header.timestamp, "waiting for the clock to catch up");
            }
            Ok(work) if miner.current_seal() == Some(work.header.seal_hash()) => {}
            Ok(work) => miner.set_work(work),
            Err(error) => warn!(%error, "cannot build a block template"),
        }
    }

    /// A block on top of the tip, ready to seal: the best pending transactions by effective
    /// tip (nonce order per sender) up to the gas limit, those that fail skipped with their
    /// sender's later ones; subsidy and tips to `beneficiary`; the base fee burned.
    ///
    /// # Errors
    /// Store errors.
    pub fn block_template(&self, beneficiary: Address) -> Result<Work, ChainError> {
        self.block_template_at(beneficiary, unix_now())
    }

    /// [`Node::block_template`] as if the clock read `now` (seconds since the Unix epoch): the
    /// header's timestamp is `max(now, median time past + 1)`. Chain generators use it to lay
    /// blocks out on the target schedule instead of the wall clock.
    ///
    /// # Errors
    /// Store errors.
    pub fn block_template_at(&self, beneficiary: Address, now: u64) -> Result<Work, ChainError> {
        let mut core = self.core();
        let Core { chain, mempool } = &mut *core;
        let parent = chain.tip();
        let mut header = Header {
            parent_hash: parent.hash,
            beneficiary,
            number: parent.header.number + 1,
            gas_limit: parent.header.gas_limit,
            timestamp: now.max(chain.median_time_past() + 1),
            extra_data: self.shared.config.extra_data.clone(),
            base_fee_per_gas: next_base_fee(&parent.header),
            bits: chain.rules().next_bits(&parent.header),
            ..Header::default()
        };
        let rules = *chain.rules();
        let (transactions, outcome) = {
            let mut executor = BlockExecutor::new(&rules, &header);
            let mut transactions = Vec::new();
            let mut db = chain.state();
            let state = chain.state();
            let mut best = mempool.best(&state, U256::from(header.base_fee_per_gas));
            while let Some(candidate) = best.next() {
                if candidate.tx.transaction().gas_limit() > executor.gas_left() {
                    best.skip_sender();
                    continue;
                }
                match executor.apply(&mut db, &candidate.tx, candidate.sender) {
                    Ok(()) => transactions.push(candidate.tx.clone()),
                    Err(error) => {
                        debug!(hash = %candidate.tx.hash(), %error, "left out of the template");
                        best.skip_sender();
                    }
                }
            }
            let outcome = executor
                .finish(&mut db, &rules)
                .map_err(|error| ChainError::Block { hash: B256::ZERO, error })?;
            (transactions, outcome)
        };
        header.state_root = chain.state_root_after(&outcome.changes)?;
        header.transactions_root = transactions_root(&transactions);
        header.receipts_root = receipts_root(&outcome.receipts);
        header.logs_bloom = outcome.logs_bloom;
        header.gas_used = outcome.gas_used;
        Ok(Work { header, transactions })
    }
}

/// The file a datadir keeps its chain spec in.
pub fn genesis_path(datadir: &Path) -> PathBuf {
    datadir.join("genesis.json")
}
