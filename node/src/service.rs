//! The node service: the engine (sole owner of the chain), the mempool and the miner behind
//! one cloneable [`Node`] handle. The JSON-RPC server and the p2p layer hold a `Node`; they
//! read the chain through the engine's published [`ChainView`] and hand blocks in through
//! [`Node::import_block`], the one door for mined and received blocks.
//!
//! Locking: nothing here locks the chain — the engine thread owns it. The mempool has its own
//! mutex, taken briefly (signature recovery and the stateless checks run before it). The
//! template builder runs on its own thread against a view and a copy of the pool. Events
//! ([`ChainEvent`]) go to subscribers over a `tokio::sync::broadcast` channel, which never
//! blocks the sender.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use alloy_primitives::{Address, Bytes, B256};
use quarry_consensus::MAX_FUTURE_DRIFT;
use quarry_primitives::genesis::Genesis;
use quarry_primitives::{Block, SignedTransaction};
use tokio::sync::broadcast;
use tracing::{debug, info, warn};

use crate::engine::{
    Chain, ChainError, ChainView, CommittedBlock, Done, Engine, HistoryMode, Imported, Prepared,
    SealedBlock, Tip,
};
use crate::mempool::{prevalidate, Added, CheckedTransaction, Mempool, PoolConfig, PoolError};
use crate::miner::template::{build_template, Template, TemplateError};
use crate::miner::worker::{Miner, Work};
use crate::miner::Kernel;

/// How often a mining node rebuilds its template even without news.
pub const TEMPLATE_REFRESH: Duration = Duration::from_millis(500);

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
    /// How much state history to keep.
    pub history: HistoryMode,
}

/// Something that happened to the chain or the pool.
#[derive(Clone, Debug)]
pub enum ChainEvent {
    /// The canonical chain changed: blocks removed (newest first) and added (oldest first),
    /// each with its receipts (a disconnected block's receipts travel with the event, so a
    /// logs subscriber can send them as `removed`).
    NewTip {
        /// Disconnected blocks.
        disconnected: Arc<Vec<Arc<CommittedBlock>>>,
        /// Connected blocks.
        connected: Arc<Vec<Arc<CommittedBlock>>>,
        /// The view the engine published with this change.
        view: Arc<ChainView>,
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
    /// A thread (engine, miner, template builder) could not be started.
    #[error("cannot start a thread: {0}")]
    Thread(std::io::Error),
}

/// Why a transaction was refused.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The pool refused it (geth's words).
    #[error(transparent)]
    Pool(#[from] PoolError),
}

/// Wakes the template builder: a flag under a mutex and a condition variable.
#[derive(Default)]
struct Wake {
    pending: Mutex<bool>,
    changed: Condvar,
}

impl Wake {
    fn notify(&self) {
        *self.pending.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.changed.notify_all();
    }

    /// Waits until notified or `timeout` passes.
    fn wait(&self, timeout: Duration) {
        let guard = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let (mut guard, _) = self
            .changed
            .wait_timeout_while(guard, timeout, |pending| !*pending)
            .unwrap_or_else(|p| p.into_inner());
        *guard = false;
    }
}

struct Shared {
    engine: Engine,
    pool: Arc<Mutex<Mempool>>,
    pool_config: PoolConfig,
    miner: Mutex<Option<Miner>>,
    /// Bumped at every start or stop of mining; a template builder of an older generation
    /// ends.
    generation: AtomicU64,
    /// The template builder thread, joined when mining stops.
    builder: Mutex<Option<std::thread::JoinHandle<()>>>,
    wake: Arc<Wake>,
    events: broadcast::Sender<ChainEvent>,
    /// The template being mined, if any: what the `pending` block tag reads.
    pending: Arc<RwLock<Option<Arc<Template>>>>,
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

/// Logs, updates the pool and tells subscribers about a new tip (on the engine thread).
fn on_new_tip(
    view: &Arc<ChainView>,
    imported: &Imported,
    pool: &Mutex<Mempool>,
    events: &broadcast::Sender<ChainEvent>,
    wake: &Wake,
) {
    let Imported::NewTip { disconnected, connected } = imported else { return };
    for block in connected {
        let header = &block.block.header;
        info!(
            number = header.number,
            hash = %block.hash,
            txs = block.block.transactions.len(),
            gas_used = header.gas_used,
            "block committed"
        );
    }
    {
        let mut pool = pool.lock().unwrap_or_else(|p| p.into_inner());
        for block in connected {
            for hash in &block.tx_hashes {
                pool.remove(hash);
            }
        }
        let state = view.state();
        if !disconnected.is_empty() {
            warn!(depth = disconnected.len(), "reorganisation");
            // Oldest block first, so each sender's nonces come back in order; the senders are
            // known from the receipts.
            let txs = disconnected.iter().rev().flat_map(|block| {
                let senders = block.receipts.senders.iter();
                block.block.transactions.iter().zip(senders).zip(&block.tx_hashes).map(
                    |((tx, sender), hash)| CheckedTransaction {
                        tx: tx.clone(),
                        sender: *sender,
                        hash: *hash,
                    },
                )
            });
            pool.reinject(txs.collect::<Vec<_>>(), &state, unix_now());
        }
        pool.prune(&state);
    }
    let _ = events.send(ChainEvent::NewTip {
        disconnected: Arc::new(disconnected.clone()),
        connected: Arc::new(connected.clone()),
        view: view.clone(),
    });
    wake.notify();
}

impl Node {
    /// Opens the chain in `config.datadir`, starts the engine and, if
    /// `config.mining_threads > 0`, the miner.
    ///
    /// # Errors
    /// [`NodeError`].
    pub fn start(config: NodeConfig) -> Result<Node, NodeError> {
        let opening = std::time::Instant::now();
        let chain = Chain::open(&config.datadir, &config.genesis, config.history)?;
        let tip = chain.tip();
        let millis = opening.elapsed().as_millis() as u64;
        info!(number = tip.header.number, hash = %tip.hash, opened_in_ms = millis, "chain opened");
        let pool_config = PoolConfig {
            allow_unprotected: chain.rules().allow_unprotected_txs,
            ..PoolConfig::new(chain.rules().chain_id, tip.header.gas_limit)
        };
        let pool = Arc::new(Mutex::new(Mempool::new(pool_config.clone())));
        let (events, _) = broadcast::channel(1024);
        let wake = Arc::new(Wake::default());
        let on_commit = {
            let (pool, events, wake) = (pool.clone(), events.clone(), wake.clone());
            Box::new(move |view: &Arc<ChainView>, imported: &Imported| {
                on_new_tip(view, imported, &pool, &events, &wake)
            })
        };
        let engine = Engine::start(chain, on_commit).map_err(NodeError::Thread)?;
        let node = Node {
            shared: Arc::new(Shared {
                engine,
                pool,
                pool_config,
                miner: Mutex::new(None),
                generation: AtomicU64::new(0),
                builder: Mutex::new(None),
                wake,
                events,
                pending: Arc::new(RwLock::new(None)),
                config: config.clone(),
            }),
        };
        if config.mining_threads > 0 {
            node.set_mining(Some(config.mining_threads))?;
        }
        Ok(node)
    }

    /// The configuration the node was started with.
    pub fn config(&self) -> &NodeConfig {
        &self.shared.config
    }

    /// The chain as the engine last published it.
    pub fn view(&self) -> Arc<ChainView> {
        self.shared.engine.view()
    }

    /// The canonical tip.
    pub fn tip(&self) -> Tip {
        self.view().tip().clone()
    }

    /// The nonce `sender`'s next transaction should carry: the tip's account nonce plus the
    /// run of consecutive nonces the pool holds for it (`eth_getTransactionCount(addr,
    /// "pending")`, and the nonce `eth_sendTransaction` fills in).
    ///
    /// The tip is read while the pool is locked. The engine publishes a block's view before
    /// the pool drops the block's transactions (see `on_new_tip`), so under the lock the view
    /// is never older than the pool: either the pool still holds a just-mined transaction and
    /// the view may be the parent's, or the view already counts it. Reading the view first and
    /// locking the pool after could pair the parent's state with a pool that had already
    /// dropped the mined transaction, and answer a nonce the chain has used.
    pub fn pending_nonce(&self, sender: Address) -> u64 {
        let pool = self.pool();
        let view = self.view();
        let state = view.state();
        pool.next_nonce(sender, &state)
    }

    /// Runs `f` with the mempool locked (short calls only).
    pub fn with_pool<R>(&self, f: impl FnOnce(&Mempool) -> R) -> R {
        f(&self.pool())
    }

    fn pool(&self) -> MutexGuard<'_, Mempool> {
        self.shared.pool.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Receives every later [`ChainEvent`].
    pub fn subscribe(&self) -> broadcast::Receiver<ChainEvent> {
        self.shared.events.subscribe()
    }

    /// The block being mined, executed (what the `pending` tag reads), if the node mines.
    pub fn pending_block(&self) -> Option<Arc<Template>> {
        self.shared.pending.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Seals `block` and runs the stateless stage (body rules, sender recovery on every core)
    /// on the caller's thread; `None` for a block the view already holds.
    fn prepare(&self, block: Block) -> Option<Prepared> {
        let sealed = SealedBlock::seal(block);
        let view = self.view();
        if matches!(view.header(&sealed.hash()), Ok(Some(_))) {
            return None;
        }
        Some(Prepared::recover(view.rules(), sealed))
    }

    /// Validates and imports `block`, waiting for the engine: the one door for mined and
    /// received blocks. On a new tip the mempool drops included transactions and takes back
    /// those of disconnected blocks, subscribers hear of it and the miner gets a fresh
    /// template.
    ///
    /// # Errors
    /// [`ChainError`] naming the broken rule.
    pub fn import_block(&self, block: Block) -> Result<Imported, ChainError> {
        match self.prepare(block) {
            None => Ok(Imported::Duplicate),
            Some(prepared) => self.shared.engine.import_wait(prepared, unix_now()),
        }
    }

    /// [`Node::import_block`] without waiting: the stateless stage runs here, then the block
    /// joins the engine's queue and `done` receives the result on the engine thread. A caller
    /// importing many blocks (sync) recovers the next block's senders while the engine
    /// executes the previous one.
    pub fn import_block_then(&self, block: Block, done: Done) {
        match self.prepare(block) {
            None => done(Ok(Imported::Duplicate)),
            Some(prepared) => self.shared.engine.import(prepared, unix_now(), done),
        }
    }

    /// Validates `tx` against the tip state and adds it to the mempool: the stateless rules
    /// and sender recovery first, without any lock, then the pool's own short lock.
    ///
    /// # Errors
    /// [`SubmitError::Pool`] in geth's words (`nonce too low`, `insufficient funds for gas *
    /// price + value`, …).
    pub fn submit_transaction(&self, tx: SignedTransaction) -> Result<B256, SubmitError> {
        let checked = prevalidate(&self.shared.pool_config, tx)?;
        let hash = checked.hash;
        let view = self.view();
        let added = self.pool().add_checked(checked, &view.state(), unix_now())?;
        debug!(%hash, ?added, "transaction accepted");
        let _ = self.shared.events.send(ChainEvent::NewTransaction(hash));
        if added == Added::Pending {
            self.shared.wake.notify();
        }
        Ok(hash)
    }

    /// Starts (`Some(threads)`) or stops (`None`) mining.
    ///
    /// # Errors
    /// [`NodeError::Thread`] if threads cannot be spawned.
    pub fn set_mining(&self, threads: Option<usize>) -> Result<(), NodeError> {
        // Stop the old miner outside the lock: its threads may be handing a block to the
        // engine, and dropping the miner joins them.
        let old = self.shared.miner.lock().unwrap_or_else(|p| p.into_inner()).take();
        drop(old);
        let generation = self.shared.generation.fetch_add(1, Ordering::SeqCst) + 1;
        // The old builder sees the new generation at its next wake-up and ends; wait for it,
        // so that no thread of the old miner holds the node when this returns.
        self.shared.wake.notify();
        let builder = self.shared.builder.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(builder) = builder {
            if builder.thread().id() != std::thread::current().id() {
                let _ = builder.join();
            }
        }
        *self.shared.pending.write().unwrap_or_else(|p| p.into_inner()) = None;
        let Some(threads) = threads.filter(|&t| t > 0) else { return Ok(()) };
        let weak: Weak<Shared> = Arc::downgrade(&self.shared);
        let found = Arc::new(move |block: Block, work: &Work| {
            let Some(shared) = weak.upgrade() else { return };
            let node = Node { shared };
            let hash = block.header.hash();
            let result = match &work.template {
                Some(template) => {
                    node.shared.engine.import_executed_wait(template.seal(block.header), unix_now())
                }
                None => node.import_block(block),
            };
            if let Err(error) = result {
                warn!(%hash, %error, "mined block refused");
            }
        });
        let started =
            Miner::start(threads, self.shared.config.kernel, found).map_err(NodeError::Thread)?;
        info!(threads, kernel = started.kernel().name(), "mining");
        *self.shared.miner.lock().unwrap_or_else(|p| p.into_inner()) = Some(started);
        // The template builder: rebuilds on every new tip or pending transaction, and every
        // TEMPLATE_REFRESH anyway (the clock moves; a chain that ran ahead of it by the
        // future-drift limit must wait, and the miner should restart on fresh timestamps).
        let weak = Arc::downgrade(&self.shared);
        let builder = std::thread::Builder::new()
            .name("template-builder".into())
            .spawn(move || loop {
                let Some(shared) = weak.upgrade() else { return };
                let node = Node { shared };
                if node.shared.generation.load(Ordering::SeqCst) != generation {
                    return;
                }
                node.refresh_work();
                let wake = node.shared.wake.clone();
                drop(node);
                wake.wait(TEMPLATE_REFRESH);
            })
            .map_err(NodeError::Thread)?;
        *self.shared.builder.lock().unwrap_or_else(|p| p.into_inner()) = Some(builder);
        Ok(())
    }

    /// `true` while mining.
    pub fn is_mining(&self) -> bool {
        self.shared.miner.lock().unwrap_or_else(|p| p.into_inner()).is_some()
    }

    /// Hashes per second since mining started (0 when not mining).
    pub fn hash_rate(&self) -> f64 {
        self.shared
            .miner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map_or(0.0, Miner::hash_rate)
    }

    fn refresh_work(&self) {
        let template = match self.block_template(self.shared.config.etherbase) {
            Ok(template) => template,
            Err(error) => {
                warn!(%error, "cannot build a block template");
                return;
            }
        };
        if template.header.timestamp > unix_now() + MAX_FUTURE_DRIFT {
            // Blocks came so fast that the median-time-past rule pushed the next timestamp
            // past what peers accept; wait for the clock (the builder retries).
            debug!(timestamp = template.header.timestamp, "waiting for the clock to catch up");
            return;
        }
        let miner = self.shared.miner.lock().unwrap_or_else(|p| p.into_inner());
        let Some(miner) = miner.as_ref() else { return };
        if miner.current_seal() == Some(template.header.seal_hash()) {
            return;
        }
        let template = Arc::new(template);
        *self.shared.pending.write().unwrap_or_else(|p| p.into_inner()) = Some(template.clone());
        miner.set_work(Work {
            header: template.header.clone(),
            transactions: template.transactions.clone(),
            template: Some(template),
        });
    }

    /// A block on top of the tip, executed and ready to seal: see [`build_template`].
    ///
    /// # Errors
    /// [`TemplateError`].
    pub fn block_template(&self, beneficiary: Address) -> Result<Template, TemplateError> {
        self.block_template_at(beneficiary, unix_now())
    }

    /// [`Node::block_template`] as if the clock read `now` (seconds since the Unix epoch): the
    /// header's timestamp is `max(now, median time past + 1)`. Chain generators use it to lay
    /// blocks out on the target schedule instead of the wall clock.
    ///
    /// # Errors
    /// [`TemplateError`].
    pub fn block_template_at(
        &self,
        beneficiary: Address,
        now: u64,
    ) -> Result<Template, TemplateError> {
        let view = self.view();
        // A copy of the pool, so transactions execute without holding its lock.
        let pool = self.pool().clone();
        build_template(&view, &pool, beneficiary, self.shared.config.extra_data.clone(), now)
    }

    /// Imports a block sealed from `template` (this node's own work) without executing it
    /// again, waiting for the engine.
    ///
    /// # Errors
    /// [`ChainError`].
    pub fn import_sealed_template(
        &self,
        template: &Template,
        header: quarry_primitives::Header,
    ) -> Result<Imported, ChainError> {
        self.shared.engine.import_executed_wait(template.seal(header), unix_now())
    }
}

/// The file a datadir keeps its chain spec in.
pub fn genesis_path(datadir: &Path) -> PathBuf {
    datadir.join("genesis.json")
}
