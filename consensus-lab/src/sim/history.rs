//! What a run leaves behind: the history (for checkers) and the trace (for people and replay).

use serde::Serialize;

use crate::protocol::{NodeId, Time};

/// One entry of a run's history: everything a checker may need, in simulated-time order.
#[derive(Debug, Clone, PartialEq)]
pub enum HistoryEvent<R, O> {
    /// The workload handed `request` to `node` (dropped if the node was down; see `accepted`).
    Request {
        /// Global simulated time, µs.
        time: Time,
        /// Receiving process.
        node: NodeId,
        /// The request.
        request: R,
        /// `false` if the node was crashed and never saw it.
        accepted: bool,
    },
    /// `node` emitted an indication.
    Output {
        /// Global simulated time, µs.
        time: Time,
        /// Emitting process.
        node: NodeId,
        /// The indication.
        output: O,
    },
    /// `node` crashed (volatile state lost).
    Crash {
        /// Global simulated time, µs.
        time: Time,
        /// The process.
        node: NodeId,
    },
    /// `node` recovered (rebuilt from its factory, stable storage kept).
    Recover {
        /// Global simulated time, µs.
        time: Time,
        /// The process.
        node: NodeId,
    },
}

/// The ordered history of one run, plus who was still up at the end.
#[derive(Debug, Clone)]
pub struct History<R, O> {
    /// Number of processes.
    pub n: usize,
    /// Events in the order the simulator processed them.
    pub events: Vec<HistoryEvent<R, O>>,
    /// Processes that never crashed during the run — CGR's *correct* processes for crash-stop.
    pub never_crashed: Vec<NodeId>,
    /// Processes that were up when the run ended (in crash-recovery, CGR's "eventually up").
    pub up_at_end: Vec<NodeId>,
}

impl<R, O> History<R, O> {
    /// All outputs as `(time, node, &output)`.
    pub fn outputs(&self) -> impl Iterator<Item = (Time, NodeId, &O)> {
        self.events.iter().filter_map(|e| match e {
            HistoryEvent::Output { time, node, output } => Some((*time, *node, output)),
            _ => None,
        })
    }

    /// All accepted requests as `(time, node, &request)`.
    pub fn requests(&self) -> impl Iterator<Item = (Time, NodeId, &R)> {
        self.events.iter().filter_map(|e| match e {
            HistoryEvent::Request { time, node, request, accepted: true } => {
                Some((*time, *node, request))
            }
            _ => None,
        })
    }
}

/// One line of the JSONL trace: a processed event. `kind` is one of `start`, `deliver`, `drop`,
/// `send`, `timer`, `request`, `output`, `crash`, `recover`, `partition`, `heal`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceLine {
    /// Global simulated time, µs.
    pub time: Time,
    /// Event kind (see the type's doc).
    pub kind: &'static str,
    /// The process concerned (`to` for a delivery), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<NodeId>,
    /// The sender, for `send`/`deliver`/`drop`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<NodeId>,
    /// The message, timer, request or output, in Rust `Debug` form.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// FNV-1a 64-bit over the trace's JSON lines: the fingerprint the determinism test compares.
pub fn trace_hash(trace: &[TraceLine]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for line in trace {
        let text = serde_json::to_string(line).expect("trace lines serialize");
        for byte in text.bytes().chain(std::iter::once(b'\n')) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}
