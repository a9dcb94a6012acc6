//! Atomic registers by read-impose: Cachin–Guerraoui–Rodrigues 2011, §4.3.3 Algorithm 4.5
//! "Read-Impose Write-Majority" ((1,N) atomic, fail-silent) and §4.4.3 Algorithm 4.10
//! "Read-Impose Write-Consult-Majority" ((N,N) atomic, fail-silent) — the algorithm of Attiya,
//! Bar-Noy & Dolev, "Sharing Memory Robustly in Message-Passing Systems", JACM 42(1), 1995
//! (ABD), with timestamps `(ts, rank of the writer)` ordered lexicographically. Both need
//! f < N/2 and run over the [`PerfectLinks`] layer; one type, [`ReadImpose`], implements both
//! (they differ only in how a write picks its timestamp).
//!
//! ```text
//! upon ⟨Init⟩ do (ts, wr, val) := (0, 0, ⊥); acks := 0; rid := 0; readlist := [⊥]^N;
//!                reading := false; (4.5 only: wts := 0)
//! upon ⟨Write | v⟩ do
//!     4.5:  rid := rid + 1; wts := wts + 1; acks := 0;
//!           trigger ⟨beb, Broadcast | [WRITE, rid, wts, v]⟩;
//!     4.10: rid := rid + 1; writeval := v; acks := 0; readlist := [⊥]^N;
//!           trigger ⟨beb, Broadcast | [READ, rid]⟩;
//! upon ⟨Read⟩ do
//!     rid := rid + 1; acks := 0; readlist := [⊥]^N; reading := true;
//!     trigger ⟨beb, Broadcast | [READ, rid]⟩;
//! upon ⟨beb, Deliver | p, [READ, r]⟩ do trigger ⟨pl, Send | p, [VALUE, r, ts, wr, val]⟩;
//! upon ⟨pl, Deliver | q, [VALUE, r, ts', wr', v']⟩ such that r = rid do
//!     readlist[q] := (ts', wr', v');
//!     if #(readlist) > N/2 then
//!         (maxts, rr, readval) := highest(readlist); readlist := [⊥]^N;
//!         if reading then trigger ⟨beb, Broadcast | [WRITE, rid, maxts, rr, readval]⟩;   (impose)
//!         else trigger ⟨beb, Broadcast | [WRITE, rid, maxts + 1, rank(self), writeval]⟩;
//! upon ⟨beb, Deliver | p, [WRITE, r, ts', wr', v']⟩ do
//!     if (ts', wr') > (ts, wr) then (ts, wr, val) := (ts', wr', v');
//!     trigger ⟨pl, Send | p, [ACK, r]⟩;
//! upon ⟨pl, Deliver | q, [ACK, r]⟩ such that r = rid do
//!     acks := acks + 1;
//!     if acks > N/2 then
//!         acks := 0;
//!         if reading then reading := false; trigger ⟨ReadReturn | readval⟩;
//!         else trigger ⟨WriteReturn⟩;
//! ```
//!
//! Broken variants: `register-read-impose-broken-no-write-back` returns `readval` without the
//! impose phase (two reads can see new then old: not atomic, still regular), and
//! `register-abd-broken-quorum` waits for N/2 replies instead of > N/2 (a read quorum can miss
//! the last write entirely: not even regular).

use std::collections::BTreeMap;

use crate::check::register::Value;
use crate::harness::ProtocolEntry;
use crate::protocol::{Context, NodeId, Protocol, TimerId, WireSize};
use crate::protocols::links::PerfectLinks;
use crate::protocols::registers::regular::{
    run_register, Invocations, RegRequest, RegReturn, Register, Writers,
};

/// A timestamp `(ts, wr)`: sequence number and rank of the writer; `(0, 0)` goes with ⊥.
pub type Stamp = (u64, NodeId);

/// Messages of Algorithms 4.5 and 4.10.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImposeMsg {
    /// [READ, rid].
    Read(u64),
    /// [VALUE, rid, (ts, wr), val].
    Value(u64, Stamp, Option<Value>),
    /// [WRITE, rid, (ts, wr), val].
    Write(u64, Stamp, Option<Value>),
    /// [ACK, rid].
    Ack(u64),
}

impl WireSize for ImposeMsg {
    fn size_bytes(&self) -> usize {
        1 + match self {
            ImposeMsg::Read(_) | ImposeMsg::Ack(_) => 8,
            ImposeMsg::Value(..) | ImposeMsg::Write(..) => 33,
        }
    }
}

/// Which of the two algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Writer {
    /// Algorithm 4.5: only process 0 writes; its writes need no query phase.
    #[default]
    Single,
    /// Algorithm 4.10 (ABD): anyone writes, after consulting a majority for the highest stamp.
    Multi,
}

/// A deliberate bug, for testing the checkers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ImposeFlaw {
    /// The correct algorithm.
    #[default]
    None,
    /// A read returns the highest value of its quorum without imposing it (no write-back).
    NoWriteBack,
    /// Quorums of ⌊N/2⌋ replies instead of ⌊N/2⌋ + 1: two quorums need not intersect.
    HalfQuorum,
}

/// What the running operation waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Phase {
    #[default]
    Idle,
    /// Collecting [VALUE] replies.
    Query,
    /// Collecting [ACK]s of the impose/write phase.
    Impose,
}

/// One process of Read-Impose Write-Majority (4.5) or Write-Consult-Majority (4.10).
#[derive(Debug, Clone, Default)]
pub struct ReadImpose {
    writer: Writer,
    flaw: ImposeFlaw,
    stamp: Stamp,
    val: Option<Value>,
    wts: u64,
    rid: u64,
    acks: usize,
    readlist: BTreeMap<NodeId, (Stamp, Option<Value>)>,
    reading: bool,
    readval: Option<Value>,
    writeval: Option<Value>,
    phase: Phase,
    ops: Invocations,
}

impl ReadImpose {
    /// A process of the algorithm for `writer`, with `flaw`.
    pub fn new(writer: Writer, flaw: ImposeFlaw) -> Self {
        ReadImpose { writer, flaw, ..ReadImpose::default() }
    }

    /// Replies a phase waits for: > N/2, or N/2 for the broken quorum.
    fn quorum(&self, n: usize) -> usize {
        match self.flaw {
            ImposeFlaw::HalfQuorum => (n / 2).max(1),
            _ => n / 2 + 1,
        }
    }

    fn impose(&mut self, ctx: &mut Context<'_, Self>, stamp: Stamp, v: Option<Value>) {
        self.acks = 0;
        self.phase = Phase::Impose;
        ctx.broadcast_including_self(ImposeMsg::Write(self.rid, stamp, v));
    }

    /// #(readlist) reached a quorum: impose the highest value, or write above it.
    fn on_quorum_of_values(&mut self, ctx: &mut Context<'_, Self>) {
        let (maxstamp, readval) =
            self.readlist.values().copied().max_by_key(|(stamp, _)| *stamp).unwrap_or_default();
        self.readlist.clear();
        if self.reading {
            self.readval = readval;
            if self.flaw == ImposeFlaw::NoWriteBack {
                self.reading = false;
                self.phase = Phase::Idle;
                self.complete(ctx, RegReturn::Read(readval));
            } else {
                self.impose(ctx, maxstamp, readval);
            }
        } else {
            self.impose(ctx, (maxstamp.0 + 1, ctx.me), self.writeval);
        }
    }
}

impl Register for ReadImpose {
    fn invocations(&mut self) -> &mut Invocations {
        &mut self.ops
    }

    fn start(&mut self, ctx: &mut Context<'_, Self>, op: RegRequest) {
        self.rid += 1;
        self.readlist.clear();
        match (op, self.writer) {
            (RegRequest::Write(v), Writer::Single) => {
                self.wts += 1;
                self.impose(ctx, (self.wts, 0), Some(v));
            }
            (RegRequest::Write(v), Writer::Multi) => {
                self.writeval = Some(v);
                self.phase = Phase::Query;
                ctx.broadcast_including_self(ImposeMsg::Read(self.rid));
            }
            (RegRequest::Read, _) => {
                self.reading = true;
                self.phase = Phase::Query;
                ctx.broadcast_including_self(ImposeMsg::Read(self.rid));
            }
        }
    }
}

impl Protocol for ReadImpose {
    type Message = ImposeMsg;
    type Request = RegRequest;
    type Output = RegReturn;

    fn on_start(&mut self, _ctx: &mut Context<'_, Self>) {}

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, msg: ImposeMsg) {
        match msg {
            ImposeMsg::Read(r) => ctx.send(from, ImposeMsg::Value(r, self.stamp, self.val)),
            ImposeMsg::Value(r, stamp, v) if r == self.rid && self.phase == Phase::Query => {
                self.readlist.insert(from, (stamp, v));
                if self.readlist.len() >= self.quorum(ctx.n) {
                    self.on_quorum_of_values(ctx);
                }
            }
            ImposeMsg::Write(r, stamp, v) => {
                if stamp > self.stamp {
                    (self.stamp, self.val) = (stamp, v);
                }
                ctx.send(from, ImposeMsg::Ack(r));
            }
            ImposeMsg::Ack(r) if r == self.rid && self.phase == Phase::Impose => {
                self.acks += 1;
                if self.acks >= self.quorum(ctx.n) {
                    self.phase = Phase::Idle;
                    let ret = if self.reading {
                        self.reading = false;
                        RegReturn::Read(self.readval)
                    } else {
                        RegReturn::Written
                    };
                    self.complete(ctx, ret);
                }
            }
            ImposeMsg::Value(..) | ImposeMsg::Ack(_) => {}
        }
    }

    fn on_timer(&mut self, _ctx: &mut Context<'_, Self>, _timer: TimerId) {}

    fn on_request(&mut self, ctx: &mut Context<'_, Self>, op: RegRequest) {
        self.invoke(ctx, op);
    }
}

const MAJORITY_FAULTS: &str =
    "crash-stop of f < n/2; loss, duplication, reordering, partitions that heal";

macro_rules! impose_experiment {
    ($entry:ident, $name:literal, $desc:literal, $source:literal, $n:expr, $writer:expr, $flaw:expr) => {
        #[doc = concat!("`", $name, "`: ", $desc, ".")]
        pub static $entry: ProtocolEntry = ProtocolEntry {
            name: $name,
            description: $desc,
            source: $source,
            fault_model: MAJORITY_FAULTS,
            default_n: $n,
            byzantine: false,
            run: |config| {
                let writers = if $writer == Writer::Single { Writers::One } else { Writers::All };
                run_register(config, writers, true, |_, _| {
                    PerfectLinks::new(ReadImpose::new($writer, $flaw))
                })
            },
            comparison: None,
        };
    };
}

impose_experiment!(
    READ_IMPOSE_WRITE_MAJORITY,
    "register-read-impose",
    "(1,N) atomic register",
    "CGR 2011 Alg. 4.5 Read-Impose Write-Majority",
    3,
    Writer::Single,
    ImposeFlaw::None
);
impose_experiment!(
    BROKEN_READ_IMPOSE_NO_WRITE_BACK,
    "register-read-impose-broken-no-write-back",
    "BROKEN on purpose: Alg. 4.5 whose readers skip the write-back (impose) phase",
    "",
    3,
    Writer::Single,
    ImposeFlaw::NoWriteBack
);
impose_experiment!(
    ABD,
    "register-abd",
    "(N,N) atomic register, ABD",
    "CGR 2011 Alg. 4.10 Read-Impose Write-Consult-Majority",
    5,
    Writer::Multi,
    ImposeFlaw::None
);
impose_experiment!(
    BROKEN_ABD_HALF_QUORUM,
    "register-abd-broken-quorum",
    "BROKEN on purpose: ABD with quorums of n/2",
    "",
    4,
    Writer::Multi,
    ImposeFlaw::HalfQuorum
);

#[cfg(test)]
mod tests;
