//! Mining threads: each searches its own nonce range of the current template with the chosen
//! kernel and hands a sealed block to a callback (the node imports it through the same path as
//! a peer's block). A new template (new tip, fuller mempool) raises the old template's stop
//! flag, which every kernel polls every 64 Ki nonces, so threads move on within milliseconds.
//!
//! Nonce ranges: thread `t` of `n` takes high words `t, t + n, t + 2n, …` and sweeps the
//! 2^32 low words of each, so no two threads ever hash the same nonce of one template.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use quarry_primitives::{Block, Header, SignedTransaction};

use super::{Kernel, PowTemplate};

/// Nonces a thread searches between checks for new work.
const CHUNK: u32 = 1 << 22;

/// A block to seal: its header (nonce ignored) and transactions.
#[derive(Clone, Debug)]
pub struct Work {
    /// The header to seal.
    pub header: Header,
    /// The body.
    pub transactions: Vec<SignedTransaction>,
    /// The executed template the header and body come from, handed back with the sealed
    /// block so that the node does not execute it again (`None` for bare benchmark work).
    pub template: Option<Arc<super::template::Template>>,
}

/// Receives each sealed block together with the work it was sealed from.
pub type Found = Arc<dyn Fn(Block, &Work) + Send + Sync>;

struct Current {
    work: Arc<Work>,
    stop: Arc<AtomicBool>,
    id: u64,
}

struct Shared {
    current: Mutex<Option<Current>>,
    changed: Condvar,
    shutdown: AtomicBool,
    hashes: AtomicU64,
    started: Instant,
}

/// The running miner. Dropping it stops and joins its threads.
pub struct Miner {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
    kernel: Kernel,
}

impl std::fmt::Debug for Miner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Miner")
            .field("threads", &self.threads.len())
            .field("kernel", &self.kernel)
            .finish()
    }
}

impl Miner {
    /// Starts `threads` threads (at least one) mining with `kernel` (the portable kernel if
    /// this CPU lacks it); `found` receives each sealed block.
    ///
    /// # Errors
    /// The OS refused to spawn a thread.
    pub fn start(threads: usize, kernel: Kernel, found: Found) -> std::io::Result<Miner> {
        let kernel = if kernel.available() { kernel } else { Kernel::Portable };
        let shared = Arc::new(Shared {
            current: Mutex::new(None),
            changed: Condvar::new(),
            shutdown: AtomicBool::new(false),
            hashes: AtomicU64::new(0),
            started: Instant::now(),
        });
        let threads = threads.max(1);
        let handles = (0..threads)
            .map(|t| {
                let (shared, found) = (shared.clone(), found.clone());
                std::thread::Builder::new()
                    .name(format!("miner-{t}"))
                    .stack_size(super::KERNEL_STACK_SIZE)
                    .spawn(move || mine(&shared, kernel, t as u32, threads as u32, &*found))
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        Ok(Miner { shared, threads: handles, kernel })
    }

    /// Replaces the template every thread works on; the old one is abandoned at once.
    pub fn set_work(&self, work: Work) {
        let mut current = self.shared.current.lock().expect("miner lock");
        let id = current.as_ref().map_or(0, |c| {
            c.stop.store(true, Ordering::Relaxed);
            c.id + 1
        });
        *current =
            Some(Current { work: Arc::new(work), stop: Arc::new(AtomicBool::new(false)), id });
        self.shared.changed.notify_all();
    }

    /// The seal hash of the template being worked on, if any (to skip identical refreshes).
    pub fn current_seal(&self) -> Option<alloy_primitives::B256> {
        let current = self.shared.current.lock().expect("miner lock");
        current
            .as_ref()
            .filter(|c| !c.stop.load(Ordering::Relaxed))
            .map(|c| c.work.header.seal_hash())
    }

    /// Nonces tried since the miner started.
    pub fn hashes(&self) -> u64 {
        self.shared.hashes.load(Ordering::Relaxed)
    }

    /// Average hashes per second since the miner started.
    pub fn hash_rate(&self) -> f64 {
        self.hashes() as f64 / self.shared.started.elapsed().as_secs_f64().max(1e-9)
    }

    /// Number of threads.
    pub fn threads(&self) -> usize {
        self.threads.len()
    }

    /// The kernel in use.
    pub fn kernel(&self) -> Kernel {
        self.kernel
    }
}

impl Drop for Miner {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::Relaxed);
        if let Some(current) = self.shared.current.lock().expect("miner lock").as_ref() {
            current.stop.store(true, Ordering::Relaxed);
        }
        self.shared.changed.notify_all();
        let me = std::thread::current().id();
        for handle in self.threads.drain(..) {
            // A mining thread can hold the last handle to the node (inside `found`) and so
            // drop the miner itself; it must not join itself.
            if handle.thread().id() != me {
                let _ = handle.join();
            }
        }
    }
}

fn mine(shared: &Shared, kernel: Kernel, thread: u32, threads: u32, found: &dyn Fn(Block, &Work)) {
    let mut last_id = None;
    loop {
        let (work, stop, id) = {
            let mut current = shared.current.lock().expect("miner lock");
            loop {
                if shared.shutdown.load(Ordering::Relaxed) {
                    return;
                }
                match current.as_ref() {
                    Some(c) if Some(c.id) != last_id && !c.stop.load(Ordering::Relaxed) => {
                        break (c.work.clone(), c.stop.clone(), c.id)
                    }
                    _ => current = shared.changed.wait(current).expect("miner lock"),
                }
            }
        };
        last_id = Some(id);
        let seal = work.header.seal_hash();
        let Ok(target) = work.header.target() else { continue };
        let mut hi = thread;
        'template: while !stop.load(Ordering::Relaxed) {
            let tpl = PowTemplate::new(&seal, hi, target);
            let mut lo = 0u64;
            while lo < 1 << 32 {
                let (nonce, tried) = kernel.search(&tpl, lo as u32, CHUNK, &stop);
                shared.hashes.fetch_add(tried, Ordering::Relaxed);
                if let Some(nonce_lo) = nonce {
                    stop.store(true, Ordering::Relaxed);
                    let mut header = work.header.clone();
                    header.nonce = (u64::from(hi) << 32) | u64::from(nonce_lo);
                    found(Block { header, transactions: work.transactions.clone() }, &work);
                    break 'template;
                }
                if stop.load(Ordering::Relaxed) {
                    break 'template;
                }
                lo += u64::from(CHUNK);
            }
            hi = hi.wrapping_add(threads);
        }
    }
}
