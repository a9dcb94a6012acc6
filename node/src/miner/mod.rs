//! The proof-of-work miner's search: find a nonce whose `pow_hash` meets the target.
//!
//! [`Kernel`]s search batches of nonces for one [`PowTemplate`]; [`Kernel::best`] picks the
//! fastest the CPU offers at run time (AVX-512, then AVX2, then portable). Every kernel is
//! tested against the scalar reference on random templates. [`worker`] runs the mining threads;
//! [`template`] builds the block they seal from a published view of the chain and a copy of the
//! mempool, off the engine thread.

pub mod bench;
pub mod lanes;
pub mod sha256;
#[cfg(target_arch = "x86_64")]
mod shani;
pub mod template;
pub mod worker;
#[cfg(target_arch = "x86_64")]
mod x86;

use std::sync::atomic::{AtomicBool, Ordering};

pub use sha256::PowTemplate;

/// Stack size for threads that run kernels. The unrolled kernels need a few kilobytes when
/// optimised but megabytes of frame in unoptimised (debug) builds, beyond a default 2 MiB
/// thread stack.
pub const KERNEL_STACK_SIZE: usize = 256 << 20;

/// Runs `f` on a thread with [`KERNEL_STACK_SIZE`] of stack and returns its result.
///
/// # Panics
/// If the thread cannot be spawned or `f` panics (the panic is propagated).
pub fn on_kernel_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .name("quarry-kernel".into())
        .stack_size(KERNEL_STACK_SIZE)
        .spawn(f)
        .expect("spawn a kernel thread")
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// A nonce-search implementation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// Plain Rust, one nonce at a time (runs everywhere).
    Portable,
    /// SHA extensions (SHA-NI): two interleaved streams.
    ShaNi,
    /// AVX2: eight nonces per step.
    Avx2,
    /// AVX2, two interleaved vectors: sixteen nonces per step.
    Avx2x2,
    /// AVX-512F: sixteen nonces per step, rotates and ternary logic in one instruction each.
    Avx512,
    /// AVX-512F, two interleaved vectors: thirty-two nonces per step.
    Avx512x2,
}

impl Kernel {
    /// Every kernel, slowest first.
    pub const ALL: [Kernel; 6] = [
        Kernel::Portable,
        Kernel::ShaNi,
        Kernel::Avx2,
        Kernel::Avx2x2,
        Kernel::Avx512,
        Kernel::Avx512x2,
    ];

    /// Its name as `bench mine` prints it.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Portable => "portable",
            Kernel::ShaNi => "sha-ni",
            Kernel::Avx2 => "avx2",
            Kernel::Avx2x2 => "avx2x2",
            Kernel::Avx512 => "avx512",
            Kernel::Avx512x2 => "avx512x2",
        }
    }

    /// Nonces per step.
    pub fn lanes(self) -> u32 {
        match self {
            Kernel::Portable => 1,
            Kernel::ShaNi => 2,
            Kernel::Avx2 => 8,
            Kernel::Avx2x2 => 16,
            Kernel::Avx512 => 16,
            Kernel::Avx512x2 => 32,
        }
    }

    /// Whether this CPU can run the kernel.
    pub fn available(self) -> bool {
        match self {
            Kernel::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Kernel::ShaNi => {
                std::arch::is_x86_feature_detected!("sha")
                    && std::arch::is_x86_feature_detected!("sse4.1")
                    && std::arch::is_x86_feature_detected!("ssse3")
            }
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 | Kernel::Avx2x2 => std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 | Kernel::Avx512x2 => std::arch::is_x86_feature_detected!("avx512f"),
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The fastest kernel this CPU can run (by the order of [`Kernel::ALL`]; `bench mine`
    /// measures them all).
    pub fn best() -> Kernel {
        Kernel::ALL.into_iter().rev().find(|k| k.available()).unwrap_or(Kernel::Portable)
    }

    /// Candidate mask for `lanes()` nonces starting at `lo_start` (bit i: nonce `lo_start + i`
    /// may meet the target; confirm with [`PowTemplate::check`]).
    fn step(self, tpl: &PowTemplate, lo_start: u32) -> u32 {
        match self {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `available()` was checked when the kernel was chosen (see `search`).
            Kernel::ShaNi => unsafe { shani::search_shani(tpl, lo_start) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above.
            Kernel::Avx2 => unsafe { x86::search_avx2(tpl, lo_start) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above.
            Kernel::Avx512 => unsafe { x86::search_avx512(tpl, lo_start) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above.
            Kernel::Avx2x2 => unsafe { x86::search_avx2x2(tpl, lo_start) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above.
            Kernel::Avx512x2 => unsafe { x86::search_avx512x2(tpl, lo_start) },
            _ => lanes::search::<u32>(tpl, lo_start),
        }
    }

    /// Searches low nonce words `lo_start .. lo_start + count` (clipped at 2^32) of `tpl` and
    /// returns the first that meets the target, or `None`. Checks `stop` every 64 Ki nonces so
    /// a new tip can abandon the work within microseconds. Returns also how many nonces were
    /// tried.
    ///
    /// # Panics
    /// Never; a kernel this CPU lacks falls back to the portable one.
    pub fn search(
        self,
        tpl: &PowTemplate,
        lo_start: u32,
        count: u32,
        stop: &AtomicBool,
    ) -> (Option<u32>, u64) {
        let kernel = if self.available() { self } else { Kernel::Portable };
        let lanes = kernel.lanes();
        let end = u64::from(lo_start) + u64::from(count);
        let end = end.min(1 << 32);
        let mut lo = u64::from(lo_start);
        let mut tried = 0u64;
        while lo < end {
            if tried % 65_536 < u64::from(lanes) && stop.load(Ordering::Relaxed) {
                break;
            }
            let mut mask = kernel.step(tpl, lo as u32);
            while mask != 0 {
                let lane = u64::from(mask.trailing_zeros());
                mask &= mask - 1;
                let nonce = lo + lane;
                if nonce < end && tpl.check(nonce as u32) {
                    return (Some(nonce as u32), tried + lane + 1);
                }
            }
            lo += u64::from(lanes);
            tried += u64::from(lanes);
        }
        (None, tried.min(end - u64::from(lo_start)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{B256, U256};

    fn pseudo_random(seed: u64) -> impl FnMut() -> u64 {
        let mut x = seed;
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    #[test]
    fn every_kernel_agrees_with_the_scalar_reference_on_random_templates() {
        on_kernel_stack(every_kernel_agrees);
    }

    fn every_kernel_agrees() {
        let mut rng = pseudo_random(0x9e3779b97f4a7c15);
        for _ in 0..64 {
            let mut seal = [0u8; 32];
            for chunk in seal.chunks_mut(8) {
                chunk.copy_from_slice(&rng().to_le_bytes());
            }
            let seal = B256::from(seal);
            // A target whose top word is random, so about half the lanes are candidates.
            let target = U256::from(rng() as u32) << 224 | U256::MAX >> 32;
            let tpl = PowTemplate::new(&seal, rng() as u32, target);
            let lo = rng() as u32 & !31;
            let expected: u32 = (0..32)
                .map(|i| {
                    let nonce = (u64::from(tpl.nonce_hi) << 32) | u64::from(lo.wrapping_add(i));
                    let words = sha256::pow_hash_words(&tpl.seal, nonce);
                    u32::from(words[0] <= tpl.target[0]) << i
                })
                .fold(0, |a, b| a | b);
            for kernel in Kernel::ALL.into_iter().filter(|k| k.available()) {
                let mut mask = 0;
                for base in (0..32).step_by(kernel.lanes() as usize) {
                    mask |= kernel.step(&tpl, lo + base) << base;
                }
                assert_eq!(mask, expected, "{} disagrees with the reference", kernel.name());
            }
        }
    }

    #[test]
    fn the_search_finds_the_first_nonce_that_meets_the_target() {
        on_kernel_stack(search_finds_first);
    }

    fn search_finds_first() {
        let seal = B256::repeat_byte(3);
        // About one hash in 256 meets this target.
        let target = U256::MAX >> 8;
        let tpl = PowTemplate::new(&seal, 7, target);
        let stop = AtomicBool::new(false);
        let first = (0u32..).find(|&lo| tpl.check(lo)).unwrap();
        for kernel in Kernel::ALL.into_iter().filter(|k| k.available()) {
            let (found, _) = kernel.search(&tpl, 0, 1 << 20, &stop);
            assert_eq!(found, Some(first), "{}", kernel.name());
        }
    }

    #[test]
    fn a_raised_stop_flag_ends_the_search_at_once() {
        on_kernel_stack(stop_flag);
    }

    fn stop_flag() {
        let tpl = PowTemplate::new(&B256::ZERO, 0, U256::ZERO);
        let stop = AtomicBool::new(true);
        let (found, tried) = Kernel::best().search(&tpl, 0, u32::MAX, &stop);
        assert_eq!((found, tried), (None, 0));
    }
}
