//! A simulator workload for throughput measurement: tokens circulating on a ring.
//!
//! Each of `tokens` tokens starts at process `i mod n` and is forwarded to the next process on
//! every delivery, forever; the run stops at the simulator's event limit. Every event is one
//! message delivery plus one send, so events/second measures the core loop (queue, RNG,
//! latency sampling, dispatch) and nothing else.

use std::time::{Duration, Instant};

use crate::protocol::{Context, NodeId, Protocol, TimerId, WireSize};
use crate::sim::{SimConfig, Simulation};

/// A token: its number of hops so far.
#[derive(Debug, Clone, Copy)]
pub struct Token(pub u64);

impl WireSize for Token {
    fn size_bytes(&self) -> usize {
        8
    }
}

/// One process of the ring; starts `tokens_here` tokens.
#[derive(Debug)]
pub struct Ring {
    tokens_here: u64,
}

impl Protocol for Ring {
    type Message = Token;
    type Request = ();
    type Output = ();

    fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
        for _ in 0..self.tokens_here {
            ctx.send((ctx.me + 1) % ctx.n, Token(0));
        }
    }
    fn on_message(&mut self, ctx: &mut Context<'_, Self>, _from: NodeId, Token(hops): Token) {
        ctx.send((ctx.me + 1) % ctx.n, Token(hops + 1));
    }
    fn on_timer(&mut self, _ctx: &mut Context<'_, Self>, _timer: TimerId) {}
    fn on_request(&mut self, _ctx: &mut Context<'_, Self>, _req: ()) {}
}

/// The result of [`run_ring`].
#[derive(Debug, Clone, Copy)]
pub struct BenchResult {
    /// Events processed.
    pub events: u64,
    /// Wall-clock time spent in `Simulation::run`.
    pub elapsed: Duration,
}

impl BenchResult {
    /// Events per wall-clock second.
    pub fn events_per_second(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64()
    }
}

/// Simulate `n` processes passing `tokens` tokens for `events` events (seed 1, default network
/// with 1–10 ms uniform latency, no faults, no trace) and time it.
pub fn run_ring(n: usize, tokens: u64, events: u64) -> BenchResult {
    let mut config = SimConfig::new(n, 1);
    config.max_events = events;
    config.time_limit = u64::MAX;
    let mut sim = Simulation::new(config, move |me, n| Ring {
        tokens_here: tokens / n as u64 + u64::from((me as u64) < tokens % n as u64),
    });
    let start = Instant::now();
    let events = sim.run();
    BenchResult { events, elapsed: start.elapsed() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_keeps_every_token_moving_until_the_event_limit() {
        let result = run_ring(4, 10, 5_000);
        assert_eq!(result.events, 5_000);
    }
}
