//! `quarry-node bench mine`: hash rate of a kernel on N threads for S seconds.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy_primitives::{B256, U256};
use serde::Serialize;

use super::{Kernel, PowTemplate};

/// Nonces per work unit a thread claims between progress reports.
const CHUNK: u32 = 1 << 20;

/// One benchmark's result; `--json` prints it as one object.
#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    /// Kernel measured.
    pub kernel: &'static str,
    /// Threads used.
    pub threads: usize,
    /// Wall-clock seconds measured.
    pub seconds: f64,
    /// Hashes (nonces) tried in total.
    pub hashes: u64,
    /// `hashes / seconds`.
    pub hashes_per_second: f64,
    /// `hashes_per_second / threads`.
    pub hashes_per_second_per_thread: f64,
}

/// Runs `kernel` on `threads` threads for `duration` against an unreachable target (every
/// nonce is hashed, none is found), calling `progress(hashes_so_far)` about ten times a second.
///
/// # Panics
/// If the operating system refuses to spawn the threads.
pub fn bench_mine(
    kernel: Kernel,
    threads: usize,
    duration: Duration,
    mut progress: impl FnMut(u64),
) -> BenchReport {
    let threads = threads.max(1);
    let stop = Arc::new(AtomicBool::new(false));
    let hashes = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let (stop, hashes) = (stop.clone(), hashes.clone());
            std::thread::Builder::new().stack_size(super::KERNEL_STACK_SIZE).spawn(move || {
                // Each thread owns its own high nonce word, so ranges never overlap.
                let tpl = PowTemplate::new(&B256::repeat_byte(0x51), t as u32, U256::ZERO);
                let mut lo = 0u32;
                while !stop.load(Ordering::Relaxed) {
                    let (_, tried) = kernel.search(&tpl, lo, CHUNK, &stop);
                    hashes.fetch_add(tried, Ordering::Relaxed);
                    lo = lo.wrapping_add(CHUNK);
                }
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .expect("spawn benchmark threads");
    while start.elapsed() < duration {
        std::thread::sleep(Duration::from_millis(100).min(duration));
        progress(hashes.load(Ordering::Relaxed));
    }
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        let _ = worker.join();
    }
    let seconds = start.elapsed().as_secs_f64();
    let hashes = hashes.load(Ordering::Relaxed);
    let rate = hashes as f64 / seconds;
    BenchReport {
        kernel: kernel.name(),
        threads,
        seconds,
        hashes,
        hashes_per_second: rate,
        hashes_per_second_per_thread: rate / threads as f64,
    }
}
