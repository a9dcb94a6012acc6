//! The engine: one thread that owns the chain (block tree, store, state tries) and takes
//! commands over a channel, in the shape of lighthouse's beacon processor and reth's engine
//! tree. Nobody else touches the chain: after each commit the engine publishes an immutable
//! [`ChainView`] (tip, RocksDB snapshot, state tries) that RPC, p2p, subscriptions and the
//! block template builder read without taking any lock the engine holds.
//!
//! Blocks arrive already sealed and recovered ([`pipeline`]): the expensive, stateless part
//! (signature recovery) runs on the caller's threads, in parallel, before the block is queued.
//! The engine then runs the stateful part ([`Chain::import`]) and writes each block once.
//!
//! ```text
//!  p2p / miner / tests ──seal, recover (rayon)──► [command queue] ──► engine thread
//!                                                                     │ Chain::import
//!                                                                     │ one WriteBatch
//!                                                                     ▼
//!                       RPC, p2p, templates ◄── Arc<ChainView> ◄── publish + on_commit hook
//! ```

pub mod chain;
pub mod pipeline;
pub mod view;

use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, RwLock};
use std::thread::JoinHandle;

use tracing::{error, warn};

pub use chain::{Chain, ChainError, CommittedBlock, HistoryMode, Imported, Prepared, Tip};
pub use pipeline::{ExecutedBlock, RecoveredBlock, SealedBlock};
pub use view::{ChainView, StateError};

/// Commands waiting for the engine at most; senders block beyond (back-pressure on sync).
pub const QUEUE_CAPACITY: usize = 256;

/// What the engine calls back with a command's result (on the engine thread: keep it short).
pub type Done = Box<dyn FnOnce(Result<Imported, ChainError>) + Send>;

/// Called on the engine thread after every commit that moved the tip, with the new view.
pub type OnCommit = Box<dyn FnMut(&Arc<ChainView>, &Imported) + Send>;

enum Command {
    Import { block: Box<Prepared>, now: u64, done: Done },
    ImportExecuted { block: ExecutedBlock, now: u64, done: Done },
}

/// The engine's handle: queue commands, read the latest view. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    commands: SyncSender<Command>,
    view: Arc<RwLock<Arc<ChainView>>>,
    /// Joins the engine thread when the last handle goes (held for its `Drop`).
    _thread: Arc<EngineThread>,
}

struct EngineThread {
    handle: std::sync::Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("tip", &self.view().tip().hash).finish()
    }
}

/// The view of the chain as it is now.
fn make_view(chain: &Chain) -> Arc<ChainView> {
    let tip = chain.tip();
    let timestamps = chain.recent_timestamps(tip.hash);
    let oldest_state = chain.store().latest().oldest_state().unwrap_or(0);
    Arc::new(ChainView::new(
        tip,
        chain.store().snapshot(),
        chain.tries().clone(),
        *chain.rules(),
        chain.genesis_hash(),
        oldest_state,
        timestamps,
        chain.orphan_count(),
    ))
}

impl Engine {
    /// Starts the engine thread, owner of `chain` from now on. `on_commit` runs on the engine
    /// thread after each change of tip, once the new view is published.
    ///
    /// # Errors
    /// The thread cannot be spawned.
    pub fn start(chain: Chain, on_commit: OnCommit) -> std::io::Result<Engine> {
        let view = Arc::new(RwLock::new(make_view(&chain)));
        let (commands, queue) = mpsc::sync_channel(QUEUE_CAPACITY);
        let published = view.clone();
        let handle = std::thread::Builder::new()
            .name("engine".into())
            .spawn(move || run(chain, queue, published, on_commit))?;
        Ok(Engine {
            commands,
            view,
            _thread: Arc::new(EngineThread { handle: std::sync::Mutex::new(Some(handle)) }),
        })
    }

    /// The latest published view.
    pub fn view(&self) -> Arc<ChainView> {
        self.view.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Queues `block` for import; `done` receives the result on the engine thread. Blocks the
    /// caller while the queue is full.
    pub fn import(&self, block: Prepared, now: u64, done: Done) {
        if let Err(mpsc::SendError(Command::Import { done, .. })) =
            self.commands.send(Command::Import { block: Box::new(block), now, done })
        {
            done(Err(ChainError::Spec("the engine has stopped".into())));
        }
    }

    /// Queues a block this node mined and executed.
    pub fn import_executed(&self, block: ExecutedBlock, now: u64, done: Done) {
        if let Err(mpsc::SendError(Command::ImportExecuted { done, .. })) =
            self.commands.send(Command::ImportExecuted { block, now, done })
        {
            done(Err(ChainError::Spec("the engine has stopped".into())));
        }
    }

    /// [`Engine::import`], waiting for the result.
    ///
    /// # Errors
    /// The block's [`ChainError`].
    pub fn import_wait(&self, block: Prepared, now: u64) -> Result<Imported, ChainError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.import(block, now, Box::new(move |result| drop(tx.send(result))));
        rx.recv().unwrap_or_else(|_| Err(ChainError::Spec("the engine has stopped".into())))
    }

    /// [`Engine::import_executed`], waiting for the result.
    ///
    /// # Errors
    /// The block's [`ChainError`].
    pub fn import_executed_wait(
        &self,
        block: ExecutedBlock,
        now: u64,
    ) -> Result<Imported, ChainError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.import_executed(block, now, Box::new(move |result| drop(tx.send(result))));
        rx.recv().unwrap_or_else(|_| Err(ChainError::Spec("the engine has stopped".into())))
    }
}

impl Drop for EngineThread {
    fn drop(&mut self) {
        // The last handle is gone: the command channel is closed, the thread ends after the
        // commands already queued. Joining makes sure the store is closed when we return.
        if let Some(handle) = self.handle.lock().ok().and_then(|mut h| h.take()) {
            if handle.thread().id() != std::thread::current().id() && handle.join().is_err() {
                error!("the engine thread panicked");
            }
        }
    }
}

fn run(
    mut chain: Chain,
    queue: Receiver<Command>,
    view: Arc<RwLock<Arc<ChainView>>>,
    mut on_commit: OnCommit,
) {
    for command in queue {
        let (result, done) = match command {
            Command::Import { block, now, done } => (chain.import(*block, now), done),
            Command::ImportExecuted { block, now, done } => {
                (chain.import_executed(block, now), done)
            }
        };
        match &result {
            Ok(Imported::Duplicate) => {}
            Ok(imported) => {
                // Side blocks and orphans change what readers may ask about too.
                let new = make_view(&chain);
                *view.write().unwrap_or_else(|p| p.into_inner()) = new.clone();
                if matches!(imported, Imported::NewTip { .. }) {
                    on_commit(&new, imported);
                }
            }
            Err(error @ (ChainError::Store(_) | ChainError::Trie(_))) => {
                warn!(%error, "store failure while importing");
            }
            Err(_) => {}
        }
        done(result);
    }
}
