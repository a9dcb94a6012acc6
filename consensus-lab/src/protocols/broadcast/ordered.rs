//! Ordered reliable broadcast on top of Eager Reliable Broadcast (Alg. 3.3, `broadcast.rs`):
//! Cachin–Guerraoui–Rodrigues 2011, §3.9.2 Algorithm 3.12 "Broadcast with Sequence Number"
//! (FIFO-order reliable broadcast) and §3.9.5 Algorithm 3.15 "Waiting Causal Broadcast"
//! (causal-order reliable broadcast with vector clocks). Both run inside [`PerfectLinks`].
//!
//! ```text
//! Algorithm 3.12 (frb):
//! upon event ⟨frb, Init⟩ do lsn := 0; pending := ∅; next := [1]^N;
//! upon event ⟨frb, Broadcast | m⟩ do
//!     lsn := lsn + 1; trigger ⟨rb, Broadcast | [DATA, self, m, lsn]⟩;
//! upon event ⟨rb, Deliver | p, [DATA, s, m, sn]⟩ do
//!     pending := pending ∪ {(s, m, sn)};
//!     while exists (s, m', sn') ∈ pending such that sn' = next[s] do
//!         next[s] := next[s] + 1; pending := pending \ {(s, m', sn')};
//!         trigger ⟨frb, Deliver | s, m'⟩;
//!
//! Algorithm 3.15 (crb):
//! upon event ⟨crb, Init⟩ do V := [0]^N; lsn := 0; pending := ∅;
//! upon event ⟨crb, Broadcast | m⟩ do
//!     W := V; W[rank(self)] := lsn; lsn := lsn + 1;
//!     trigger ⟨rb, Broadcast | [DATA, W, m]⟩;
//! upon event ⟨rb, Deliver | p, [DATA, W, m]⟩ do
//!     pending := pending ∪ {(p, W, m)};
//!     while exists (p', W', m') ∈ pending such that W' ≤ V do
//!         pending := pending \ {(p', W', m')}; V[rank(p')] := V[rank(p')] + 1;
//!         trigger ⟨crb, Deliver | p', m'⟩;
//! ```
//!
//! `rank(p) = p`. The broken variant `crb-broken-no-wait` delivers every message as soon as rb
//! delivers it, ignoring W: its causal dependencies may not have been delivered yet. The broken
//! variant `frb-broken-no-buffer` has no `pending` set in Algorithm 3.12: a message that rb
//! delivers ahead of its predecessors (sn > next[s]) is delivered at once and next[s] jumps past
//! it, so reordering on the links becomes reordering of deliveries (CGR §3.9.2 explains why the
//! algorithm must hold such messages back).

use std::collections::BTreeMap;

use crate::harness::{ProtocolEntry, RunConfig, RunReport};
use crate::protocol::{Context, NodeId, Protocol, TimerId, WireSize};
use crate::protocols::broadcast::beb::Deliver;
use crate::protocols::broadcast::reliable::{run_broadcast, Data, EagerRb};
#[cfg(doc)]
use crate::protocols::links::PerfectLinks;

/// [m, sn] of Algorithm 3.12: the payload and its sender's sequence number (1, 2, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Sequenced {
    /// sn: the broadcaster's lsn when it broadcast m.
    pub sn: u64,
    /// m.
    pub payload: u64,
}

impl WireSize for Sequenced {
    fn size_bytes(&self) -> usize {
        16
    }
}

/// A deliberate bug in FIFO broadcast, for testing the checkers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FifoFlaw {
    /// Correct Algorithm 3.12.
    #[default]
    None,
    /// No `pending` buffer: deliver whatever rb delivers, at once, and set next[s] := sn + 1.
    NoBuffer,
}

/// One process of Broadcast with Sequence Number (Alg. 3.12).
#[derive(Debug, Clone, Default)]
pub struct FifoBroadcast {
    flaw: FifoFlaw,
    rb: EagerRb<Sequenced>,
    lsn: u64,
    /// pending, keyed by (s, sn).
    pending: BTreeMap<(NodeId, u64), u64>,
    /// next[s], starting at 1 (absent = 1).
    next: BTreeMap<NodeId, u64>,
}

impl FifoBroadcast {
    /// A process with `flaw` (`FifoFlaw::None`, the `Default`, for the correct algorithm).
    pub fn new(flaw: FifoFlaw) -> Self {
        FifoBroadcast { flaw, ..FifoBroadcast::default() }
    }
}

impl Protocol for FifoBroadcast {
    type Message = Data<Sequenced>;
    type Request = u64;
    type Output = Deliver;

    fn on_start(&mut self, _ctx: &mut Context<'_, Self>) {}

    /// upon ⟨frb, Broadcast | m⟩.
    fn on_request(&mut self, ctx: &mut Context<'_, Self>, payload: u64) {
        self.lsn += 1;
        self.rb.broadcast(ctx, Sequenced { sn: self.lsn, payload });
    }

    /// upon ⟨rb, Deliver | s, [m, sn]⟩: buffer, then deliver s's messages in sn order.
    fn on_message(&mut self, ctx: &mut Context<'_, Self>, _from: NodeId, data: Data<Sequenced>) {
        let Some((s, Sequenced { sn, payload })) = self.rb.on_data(ctx, data) else { return };
        if self.flaw == FifoFlaw::NoBuffer {
            self.next.insert(s, sn + 1);
            ctx.output(Deliver { sender: s, payload });
            return;
        }
        self.pending.insert((s, sn), payload);
        let next = self.next.entry(s).or_insert(1);
        while let Some(m) = self.pending.remove(&(s, *next)) {
            *next += 1;
            ctx.output(Deliver { sender: s, payload: m });
        }
    }

    fn on_timer(&mut self, _ctx: &mut Context<'_, Self>, _timer: TimerId) {}
}

/// [W, m] of Algorithm 3.15: the payload with its vector clock W (one entry per process).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stamped {
    /// W: W[q] messages of q causally precede m.
    pub w: Vec<u64>,
    /// m.
    pub payload: u64,
}

impl WireSize for Stamped {
    fn size_bytes(&self) -> usize {
        8 * self.w.len() + 8
    }
}

/// A deliberate bug in causal broadcast, for testing the checkers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CausalFlaw {
    /// Correct Algorithm 3.15.
    #[default]
    None,
    /// Deliver on rb-delivery without waiting for W ≤ V.
    NoWait,
}

/// One process of Waiting Causal Broadcast (Alg. 3.15).
#[derive(Debug, Clone, Default)]
pub struct WaitingCausalBroadcast {
    flaw: CausalFlaw,
    rb: EagerRb<Stamped>,
    v: Vec<u64>,
    lsn: u64,
    pending: Vec<(NodeId, Stamped)>,
}

impl WaitingCausalBroadcast {
    /// A process with `flaw` (`CausalFlaw::None` for the correct algorithm).
    pub fn new(flaw: CausalFlaw) -> Self {
        WaitingCausalBroadcast { flaw, ..WaitingCausalBroadcast::default() }
    }

    /// W ≤ V, entry by entry (the broken variant pretends it always holds).
    fn deliverable(&self, w: &[u64]) -> bool {
        self.flaw == CausalFlaw::NoWait || w.iter().zip(&self.v).all(|(a, b)| a <= b)
    }
}

impl Protocol for WaitingCausalBroadcast {
    type Message = Data<Stamped>;
    type Request = u64;
    type Output = Deliver;

    fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
        self.v = vec![0; ctx.n];
    }

    /// upon ⟨crb, Broadcast | m⟩.
    fn on_request(&mut self, ctx: &mut Context<'_, Self>, payload: u64) {
        let mut w = self.v.clone();
        w[ctx.me] = self.lsn;
        self.lsn += 1;
        self.rb.broadcast(ctx, Stamped { w, payload });
    }

    /// upon ⟨rb, Deliver | p, [W, m]⟩: buffer, then deliver everything whose W ≤ V.
    fn on_message(&mut self, ctx: &mut Context<'_, Self>, _from: NodeId, data: Data<Stamped>) {
        let Some((p, stamped)) = self.rb.on_data(ctx, data) else { return };
        if stamped.w.len() != ctx.n {
            return; // not a vector clock of this system
        }
        self.pending.push((p, stamped));
        while let Some(i) = self.pending.iter().position(|(_, m)| self.deliverable(&m.w)) {
            let (p, m) = self.pending.remove(i);
            self.v[p] += 1;
            ctx.output(Deliver { sender: p, payload: m.payload });
        }
    }

    fn on_timer(&mut self, _ctx: &mut Context<'_, Self>, _timer: TimerId) {}
}

/// Properties of FIFO-order reliable broadcast (Module 3.8).
pub const FIFO_PROPERTIES: &[&str] =
    &["validity", "no duplication", "no creation", "agreement", "fifo delivery"];
/// Properties of causal-order reliable broadcast (Module 3.9).
pub const CAUSAL_PROPERTIES: &[&str] =
    &["validity", "no duplication", "no creation", "agreement", "fifo delivery", "causal delivery"];

const ORDERED_FAULTS: &str =
    "crash-stop of any number; loss, duplication, reordering, partitions that heal";

/// `frb-sequence-number`: Algorithm 3.12.
pub static FIFO: ProtocolEntry = ProtocolEntry {
    name: "frb-sequence-number",
    description: "FIFO reliable broadcast",
    source: "CGR 2011 Alg. 3.12 Broadcast with Sequence Number",
    fault_model: ORDERED_FAULTS,
    default_n: 3,
    byzantine: false,
    run: run_fifo,
    comparison: None,
};

fn run_fifo(config: &RunConfig) -> RunReport {
    run_broadcast(config, |_, _| FifoBroadcast::default(), FIFO_PROPERTIES)
}

/// `frb-broken-no-buffer`: Algorithm 3.12 without its `pending` buffer.
pub static BROKEN_FIFO_NO_BUFFER: ProtocolEntry = ProtocolEntry {
    name: "frb-broken-no-buffer",
    description:
        "BROKEN on purpose: Broadcast with Sequence Number delivering out-of-order messages at once",
    source: "",
    fault_model: ORDERED_FAULTS,
    default_n: 3,
    byzantine: false,
    run: run_broken_fifo_no_buffer,
    comparison: None,
};

fn run_broken_fifo_no_buffer(config: &RunConfig) -> RunReport {
    run_broadcast(config, |_, _| FifoBroadcast::new(FifoFlaw::NoBuffer), FIFO_PROPERTIES)
}

/// `crb-waiting`: Algorithm 3.15.
pub static CAUSAL: ProtocolEntry = ProtocolEntry {
    name: "crb-waiting",
    description: "causal reliable broadcast with vector clocks",
    source: "CGR 2011 Alg. 3.15 Waiting Causal Broadcast",
    fault_model: ORDERED_FAULTS,
    default_n: 3,
    byzantine: false,
    run: run_causal,
    comparison: None,
};

fn run_causal(config: &RunConfig) -> RunReport {
    run_broadcast(config, |_, _| WaitingCausalBroadcast::new(CausalFlaw::None), CAUSAL_PROPERTIES)
}

/// `crb-broken-no-wait`: Algorithm 3.15 ignoring its vector clocks.
pub static BROKEN_CAUSAL_NO_WAIT: ProtocolEntry = ProtocolEntry {
    name: "crb-broken-no-wait",
    description:
        "BROKEN on purpose: Waiting Causal Broadcast that delivers without waiting for W ≤ V",
    source: "",
    fault_model: ORDERED_FAULTS,
    default_n: 3,
    byzantine: false,
    run: run_broken_causal_no_wait,
    comparison: None,
};

fn run_broken_causal_no_wait(config: &RunConfig) -> RunReport {
    run_broadcast(config, |_, _| WaitingCausalBroadcast::new(CausalFlaw::NoWait), CAUSAL_PROPERTIES)
}
