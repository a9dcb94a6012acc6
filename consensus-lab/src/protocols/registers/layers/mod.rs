//! Register transformations as layers over the existing registers: Cachin–Guerraoui–Rodrigues
//! 2011, *Introduction to Reliable and Secure Distributed Programming*, 2nd ed., chapter 4.
//!
//! - §4.3.2 **Algorithm 4.3 "From (1,N) Regular to (1,1) Atomic Registers"**, over one
//!   Majority Voting regular register (Alg. 4.2, [`MajorityVoting`]). The writer writes
//!   (wts, v) with a growing sequence number; the reader remembers the highest (ts, val) it has
//!   returned and never returns an older one, which removes the new/old inversion a regular
//!   register allows.
//!
//!   ```text
//!   upon ⟨Init⟩ do (ts, val) := (0, ⊥); wts := 0;
//!   upon ⟨ooar, Write | v⟩ do wts := wts + 1; trigger ⟨onrr, Write | (wts, v)⟩;
//!   upon ⟨onrr, WriteReturn⟩ do trigger ⟨ooar, WriteReturn⟩;
//!   upon ⟨ooar, Read⟩ do trigger ⟨onrr, Read⟩;
//!   upon ⟨onrr, ReadReturn | (ts', v')⟩ do
//!       if ts' > ts then (ts, val) := (ts', v');
//!       trigger ⟨ooar, ReadReturn | val⟩;
//!   ```
//!
//! - §4.3.2 **Algorithm 4.4 "From (1,1) Atomic to (1,N) Atomic Registers"**, over N² (1,1)
//!   atomic registers: `writer[q]` (written by the writer, read by q) and `readers[r][q]`
//!   (written by reader r, read by q). Each is a Read-Impose Write-Majority register (Alg. 4.5,
//!   [`ReadImpose`]) used by one writer and one reader. A reader takes the highest of what the
//!   writer and every other reader left for it, then leaves that for every other reader before
//!   returning, so a later reader cannot return anything older.
//!
//!   ```text
//!   upon ⟨onar, Write | v⟩ do ts := ts + 1; forall q do trigger ⟨writer[q], Write | (ts, v)⟩;
//!   upon N ⟨writer[q], WriteReturn⟩ do trigger ⟨onar, WriteReturn⟩;
//!   upon ⟨onar, Read⟩ do forall r do trigger ⟨readers[r][self], Read⟩;
//!   upon N ⟨readers[r][self], ReadReturn | (ts_r, v_r)⟩ do trigger ⟨writer[self], Read⟩;
//!   upon ⟨writer[self], ReadReturn | (ts', v')⟩ do
//!       (maxts, readval) := highest((ts', v'), (ts_r, v_r) for all r);
//!       forall q do trigger ⟨readers[self][q], Write | (maxts, readval)⟩;
//!   upon N ⟨readers[self][q], WriteReturn⟩ do trigger ⟨onar, ReadReturn | readval⟩;
//!   ```
//!
//! - §4.4.2 **Algorithms 4.8–4.9 "From (1,N) Atomic to (N,N) Atomic Registers"**, over N
//!   (1,N) atomic registers `writer[p]`, one per process (again [`ReadImpose`], Alg. 4.5). A
//!   write reads every register and writes its own with a timestamp above the highest it saw,
//!   ties broken by rank; a read returns the value of the highest (ts, rank).
//!
//!   ```text
//!   upon ⟨nnar, Write | v⟩ do val := v; writing := true; forall q do trigger ⟨writer[q], Read⟩;
//!   upon ⟨nnar, Read⟩ do forall q do trigger ⟨writer[q], Read⟩;
//!   upon N ⟨writer[q], ReadReturn | (ts_q, rank_q, v_q)⟩ do
//!       (ts, rank, v) := highest((ts_q, rank_q, v_q) for all q);
//!       if writing then writing := false;
//!           trigger ⟨writer[self], Write | (ts + 1, rank(self), val)⟩;
//!       else trigger ⟨nnar, ReadReturn | v⟩;
//!   upon ⟨writer[self], WriteReturn⟩ do trigger ⟨nnar, WriteReturn⟩;
//!   ```
//!
//! Each layer has a broken twin missing its key rule ([`LayerFlaw`]): the (1,1) reader that
//! returns what it just read without keeping the highest timestamp; the (1,N) reader that skips
//! the write-back to the other readers; the (N,N) writer that stamps with its own counter instead
//! of reading the others first. The atomicity checker (linearizability of the reads and writes,
//! [`check_atomic`]) catches each.
//!
//! The registers underneath carry one 64-bit [`Value`]; a layer packs its timestamp, the
//! writer's rank and the value (or ⊥) into it ([`Packed`]), so layer values must lie in
//! `0..2^38` and timestamps below 2^16. Every register instance lives at every process; their
//! messages travel tagged with the register's id ([`OnRegister`]), and the whole stack runs
//! inside [`PerfectLinks`]. Fault model: crash-stop of f < N/2, the registers' own.

use std::collections::BTreeMap;

use crate::check::register::{check_atomic, check_regular, Value};
use crate::check::Verdict;
use crate::harness::{simulate, Outcome, ProtocolEntry, RunConfig, RunReport};
use crate::protocol::{Action, Context, NodeId, Protocol, Storage, TimerId, WireSize};
use crate::protocols::links::PerfectLinks;
use crate::protocols::registers::atomic::{ImposeFlaw, ReadImpose, Writer};
use crate::protocols::registers::regular::{
    register_trace, register_workload, run_register, Invocations, MajorityVoting, RegRequest,
    RegReturn, Register, Writers,
};
use crate::sim::Workload;

/// A layer's timestamped value as stored in one [`Value`] of the register underneath:
/// `ts` in bits 47–62, `rank` in bits 39–46, a presence bit 38 (0 = ⊥) and the value in bits
/// 0–37. The register's initial ⊥ reads as `(0, 0, ⊥)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Packed {
    /// Sequence number; compared first.
    pub ts: u64,
    /// Rank of the writer (Alg. 4.8–4.9); compared second. 0 where a layer has one writer.
    pub rank: NodeId,
    /// The layer's value; `None` = ⊥.
    pub val: Option<Value>,
}

/// A [`Packed`] field out of range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PackError {
    /// The timestamp does not fit 16 bits.
    #[error("timestamp {0} does not fit 16 bits")]
    Timestamp(u64),
    /// The rank does not fit 8 bits.
    #[error("rank {0} does not fit 8 bits")]
    Rank(NodeId),
    /// The value is negative or does not fit 38 bits.
    #[error("value {0} is outside 0..2^38")]
    Value(Value),
}

const VALUE_BITS: u32 = 38;

impl Packed {
    /// The register value that stands for `self`.
    ///
    /// # Errors
    /// [`PackError`] naming the field that does not fit.
    pub fn pack(self) -> Result<Value, PackError> {
        if self.ts >= 1 << 16 {
            return Err(PackError::Timestamp(self.ts));
        }
        if self.rank >= 1 << 8 {
            return Err(PackError::Rank(self.rank));
        }
        let val = match self.val {
            None => 0,
            Some(v) if (0..1 << VALUE_BITS).contains(&v) => (1 << VALUE_BITS) | v,
            Some(v) => return Err(PackError::Value(v)),
        };
        Ok(((self.ts as Value) << 47) | ((self.rank as Value) << 39) | val)
    }

    /// The packed value a register read returned (`None` = ⊥, never written).
    pub fn unpack(read: Option<Value>) -> Self {
        let Some(x) = read else { return Packed::default() };
        let present = (x >> VALUE_BITS) & 1 == 1;
        Packed {
            ts: ((x >> 47) & 0xffff) as u64,
            rank: ((x >> 39) & 0xff) as NodeId,
            val: present.then_some(x & ((1 << VALUE_BITS) - 1)),
        }
    }
}

/// Id of one register underneath a layer.
pub type RegId = u32;

/// A message of register `reg` underneath a layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnRegister<M> {
    /// Which register.
    pub reg: RegId,
    /// Its message.
    pub msg: M,
}

impl<M: WireSize> WireSize for OnRegister<M> {
    fn size_bytes(&self) -> usize {
        4 + self.msg.size_bytes()
    }
}

/// What a transformation asks of the layer that runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Invoke `op` on register `reg` underneath.
    Invoke(RegId, RegRequest),
    /// The layer's running operation returns this.
    Return(RegReturn),
}

/// A register transformation as a sans-IO state machine: it starts the layer's operations and
/// reacts to the returns of the registers underneath by asking for more operations or by
/// returning. `me` and `n` are the process's rank and |Π|.
pub trait Transformation: Clone {
    /// The register type underneath.
    type Base: Register + Clone;
    /// A fresh instance of the register underneath (one per register id per process).
    fn base(&self) -> Self::Base;
    /// upon ⟨Write | v⟩ / ⟨Read⟩ of the layer.
    fn start(&mut self, me: NodeId, n: usize, op: RegRequest) -> Vec<Step>;
    /// upon ⟨reg, ReadReturn | v⟩ / ⟨reg, WriteReturn⟩ from register `reg` underneath.
    fn on_return(&mut self, me: NodeId, n: usize, reg: RegId, ret: RegReturn) -> Vec<Step>;
}

/// One process of a layered register: the transformation `T` over its registers underneath.
#[derive(Debug, Clone)]
pub struct Layered<T: Transformation> {
    algo: T,
    registers: BTreeMap<RegId, T::Base>,
    storage: Storage,
    ops: Invocations,
}

impl<T: Transformation> Layered<T> {
    /// A process running `algo`.
    pub fn new(algo: T) -> Self {
        Layered {
            algo,
            registers: BTreeMap::new(),
            storage: Storage::new(),
            ops: Invocations::default(),
        }
    }

    /// Run one handler of register `reg` (created on first use) and carry out its actions;
    /// its returns go to the transformation.
    fn on_register(
        &mut self,
        ctx: &mut Context<'_, Self>,
        reg: RegId,
        handler: impl FnOnce(&mut T::Base, &mut Context<'_, T::Base>),
    ) {
        let base = self.registers.entry(reg).or_insert_with(|| self.algo.base());
        let mut actions = Vec::new();
        handler(base, &mut Context::new(ctx.me, ctx.n, ctx.now, &mut self.storage, &mut actions));
        for action in actions {
            match action {
                Action::Send { to, msg } => ctx.send(to, OnRegister { reg, msg }),
                Action::Output(ret) => {
                    let steps = self.algo.on_return(ctx.me, ctx.n, reg, ret);
                    self.apply(ctx, steps);
                }
                // The registers underneath (Alg. 4.2, 4.5) set no timers.
                Action::SetTimer { .. } | Action::CancelTimer { .. } => {}
            }
        }
    }

    fn apply(&mut self, ctx: &mut Context<'_, Self>, steps: Vec<Step>) {
        for step in steps {
            match step {
                Step::Invoke(reg, op) => self.on_register(ctx, reg, |r, c| r.on_request(c, op)),
                Step::Return(ret) => self.complete(ctx, ret),
            }
        }
    }
}

impl<T: Transformation> Register for Layered<T> {
    fn invocations(&mut self) -> &mut Invocations {
        &mut self.ops
    }

    fn start(&mut self, ctx: &mut Context<'_, Self>, op: RegRequest) {
        let steps = self.algo.start(ctx.me, ctx.n, op);
        self.apply(ctx, steps);
    }
}

impl<T: Transformation> Protocol for Layered<T> {
    type Message = OnRegister<<T::Base as Protocol>::Message>;
    type Request = RegRequest;
    type Output = RegReturn;

    fn on_start(&mut self, _ctx: &mut Context<'_, Self>) {}

    fn on_request(&mut self, ctx: &mut Context<'_, Self>, op: RegRequest) {
        self.invoke(ctx, op);
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, m: Self::Message) {
        self.on_register(ctx, m.reg, |r, c| r.on_message(c, from, m.msg));
    }

    fn on_timer(&mut self, _ctx: &mut Context<'_, Self>, _timer: TimerId) {}
}

/// A layer missing its key rule, for the checkers to catch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LayerFlaw {
    /// The algorithm as written.
    #[default]
    None,
    /// Alg. 4.3: the reader returns what the regular register returned, not the highest
    /// (ts, val) it has seen.
    NoHighestKept,
    /// Alg. 4.4: the reader returns without writing its value to `readers[self][q]`.
    NoWriteBack,
    /// Alg. 4.8–4.9: the writer stamps `(own counter, rank)` without reading the others.
    LocalTimestamp,
}

/// A value packed for a register underneath; a write whose value cannot be packed writes ⊥
/// instead (the checker then reports the lost value), which no workload of the lab triggers.
fn pack(p: Packed) -> Option<Value> {
    p.pack().ok()
}

/// The write `p` on register `reg`.
fn write(reg: RegId, p: Packed) -> Step {
    match pack(p) {
        Some(v) => Step::Invoke(reg, RegRequest::Write(v)),
        None => Step::Invoke(reg, RegRequest::Write(0)),
    }
}

/// The packed value of a read's return (a write's return reads as ⊥).
fn read_of(ret: RegReturn) -> Packed {
    match ret {
        RegReturn::Read(v) => Packed::unpack(v),
        RegReturn::Written => Packed::default(),
    }
}

/// Algorithm 4.3 at one process (writer: process 0; reader: any one other process).
#[derive(Debug, Clone, Default)]
pub struct RegularToAtomic {
    flaw: LayerFlaw,
    /// Highest (ts, val) returned so far.
    seen: Packed,
    wts: u64,
}

impl RegularToAtomic {
    /// A process of Alg. 4.3 with `flaw`.
    pub fn new(flaw: LayerFlaw) -> Self {
        RegularToAtomic { flaw, ..RegularToAtomic::default() }
    }
}

impl Transformation for RegularToAtomic {
    type Base = MajorityVoting;

    fn base(&self) -> MajorityVoting {
        MajorityVoting::default()
    }

    fn start(&mut self, _me: NodeId, _n: usize, op: RegRequest) -> Vec<Step> {
        match op {
            RegRequest::Write(v) => {
                self.wts += 1;
                vec![write(0, Packed { ts: self.wts, rank: 0, val: Some(v) })]
            }
            RegRequest::Read => vec![Step::Invoke(0, RegRequest::Read)],
        }
    }

    fn on_return(&mut self, _me: NodeId, _n: usize, _reg: RegId, ret: RegReturn) -> Vec<Step> {
        match ret {
            RegReturn::Written => vec![Step::Return(RegReturn::Written)],
            RegReturn::Read(v) => {
                let read = Packed::unpack(v);
                if read.ts > self.seen.ts {
                    self.seen = read;
                }
                let val =
                    if self.flaw == LayerFlaw::NoHighestKept { read.val } else { self.seen.val };
                vec![Step::Return(RegReturn::Read(val))]
            }
        }
    }
}

/// What a multi-register operation is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Wait {
    #[default]
    Idle,
    /// N write returns, then the layer's ⟨WriteReturn⟩.
    Writes,
    /// N reads of `readers[r][self]`.
    ReaderReads,
    /// The read of `writer[self]`.
    WriterRead,
    /// N write-backs to `readers[self][q]`, then ⟨ReadReturn | readval⟩.
    WriteBacks,
    /// N reads of `writer[q]` (Alg. 4.8–4.9).
    Reads,
    /// The write of `writer[self]` (Alg. 4.8–4.9).
    OwnWrite,
}

/// Algorithm 4.4 at one process (writer: process 0; every process may read).
#[derive(Debug, Clone, Default)]
pub struct OneToManyAtomic {
    flaw: LayerFlaw,
    ts: u64,
    wait: Wait,
    count: usize,
    highest: Packed,
}

impl OneToManyAtomic {
    /// A process of Alg. 4.4 with `flaw`.
    pub fn new(flaw: LayerFlaw) -> Self {
        OneToManyAtomic { flaw, ..OneToManyAtomic::default() }
    }

    /// Id of `writer[q]`.
    pub fn writer(q: NodeId) -> RegId {
        q as RegId
    }

    /// Id of `readers[r][q]` among `n` processes.
    pub fn readers(n: usize, r: NodeId, q: NodeId) -> RegId {
        (n + r * n + q) as RegId
    }
}

impl Transformation for OneToManyAtomic {
    type Base = ReadImpose;

    fn base(&self) -> ReadImpose {
        ReadImpose::new(Writer::Single, ImposeFlaw::None)
    }

    fn start(&mut self, me: NodeId, n: usize, op: RegRequest) -> Vec<Step> {
        self.count = 0;
        match op {
            RegRequest::Write(v) => {
                self.ts += 1;
                self.wait = Wait::Writes;
                let p = Packed { ts: self.ts, rank: 0, val: Some(v) };
                (0..n).map(|q| write(Self::writer(q), p)).collect()
            }
            RegRequest::Read => {
                self.wait = Wait::ReaderReads;
                self.highest = Packed::default();
                (0..n).map(|r| Step::Invoke(Self::readers(n, r, me), RegRequest::Read)).collect()
            }
        }
    }

    fn on_return(&mut self, me: NodeId, n: usize, _reg: RegId, ret: RegReturn) -> Vec<Step> {
        self.count += 1;
        self.highest = self.highest.max(read_of(ret));
        match self.wait {
            Wait::Writes if self.count == n => {
                self.wait = Wait::Idle;
                vec![Step::Return(RegReturn::Written)]
            }
            Wait::ReaderReads if self.count == n => {
                self.wait = Wait::WriterRead;
                vec![Step::Invoke(Self::writer(me), RegRequest::Read)]
            }
            Wait::WriterRead if self.flaw == LayerFlaw::NoWriteBack => {
                self.wait = Wait::Idle;
                vec![Step::Return(RegReturn::Read(self.highest.val))]
            }
            Wait::WriterRead => {
                self.wait = Wait::WriteBacks;
                self.count = 0;
                (0..n).map(|q| write(Self::readers(n, me, q), self.highest)).collect()
            }
            Wait::WriteBacks if self.count == n => {
                self.wait = Wait::Idle;
                vec![Step::Return(RegReturn::Read(self.highest.val))]
            }
            _ => vec![],
        }
    }
}

/// Algorithms 4.8–4.9 at one process (every process reads and writes).
#[derive(Debug, Clone, Default)]
pub struct ManyToManyAtomic {
    flaw: LayerFlaw,
    val: Option<Value>,
    writing: bool,
    wait: Wait,
    count: usize,
    highest: Packed,
    /// The broken twin's own write counter.
    wts: u64,
}

impl ManyToManyAtomic {
    /// A process of Alg. 4.8–4.9 with `flaw`.
    pub fn new(flaw: LayerFlaw) -> Self {
        ManyToManyAtomic { flaw, ..ManyToManyAtomic::default() }
    }
}

impl Transformation for ManyToManyAtomic {
    type Base = ReadImpose;

    fn base(&self) -> ReadImpose {
        ReadImpose::new(Writer::Single, ImposeFlaw::None)
    }

    fn start(&mut self, me: NodeId, n: usize, op: RegRequest) -> Vec<Step> {
        self.count = 0;
        self.highest = Packed::default();
        match op {
            RegRequest::Write(v) if self.flaw == LayerFlaw::LocalTimestamp => {
                self.wts += 1;
                self.wait = Wait::OwnWrite;
                vec![write(me as RegId, Packed { ts: self.wts, rank: me, val: Some(v) })]
            }
            RegRequest::Write(v) => {
                (self.val, self.writing, self.wait) = (Some(v), true, Wait::Reads);
                (0..n).map(|q| Step::Invoke(q as RegId, RegRequest::Read)).collect()
            }
            RegRequest::Read => {
                (self.writing, self.wait) = (false, Wait::Reads);
                (0..n).map(|q| Step::Invoke(q as RegId, RegRequest::Read)).collect()
            }
        }
    }

    fn on_return(&mut self, me: NodeId, n: usize, _reg: RegId, ret: RegReturn) -> Vec<Step> {
        self.count += 1;
        self.highest = self.highest.max(read_of(ret));
        match self.wait {
            Wait::Reads if self.count == n && self.writing => {
                self.writing = false;
                self.wait = Wait::OwnWrite;
                let stamp = Packed { ts: self.highest.ts + 1, rank: me, val: self.val };
                vec![write(me as RegId, stamp)]
            }
            Wait::Reads if self.count == n => {
                self.wait = Wait::Idle;
                vec![Step::Return(RegReturn::Read(self.highest.val))]
            }
            Wait::OwnWrite => {
                self.wait = Wait::Idle;
                vec![Step::Return(RegReturn::Written)]
            }
            _ => vec![],
        }
    }
}

/// Simulate layered register `factory` (inside perfect links) under `config` with `workload`,
/// then check termination, regularity and atomicity, as [`run_register`] does for its own
/// workloads.
fn run_layered<T: Transformation + 'static>(
    config: &RunConfig,
    workload: Workload<RegRequest>,
    algo: T,
) -> RunReport {
    let run = simulate(config, move |_, _| PerfectLinks::new(Layered::new(algo.clone())), workload);
    let correct = config.correct(&run.history);
    let trace = register_trace(&run.history);
    let outcomes = trace
        .returns
        .iter()
        .map(|r| {
            let op = &trace.ops[r.op];
            Outcome::output(r.returned, op.process, format!("{:?} → {:?}", op.kind, r.output))
        })
        .collect();
    let times: Vec<_> = trace.returns.iter().map(|r| r.returned).collect();
    let termination = trace
        .ops
        .iter()
        .find(|op| op.ret.is_none() && correct.contains(&op.process))
        .map(|op| format!("{:?} at correct process {} never returned", op.kind, op.process));
    let verdicts = vec![
        Verdict::liveness("termination", termination),
        check_regular(&trace.ops),
        check_atomic(&trace.ops, 2_000_000),
    ];
    run.report(config, outcomes, times, verdicts)
}

/// The (1,1) workload of Alg. 4.3: the (1,N) workload of [`register_workload`] with every
/// read at process 1, the one reader.
pub fn one_reader_workload(config: &RunConfig) -> Workload<RegRequest> {
    let mut workload = register_workload(config, Writers::One);
    for r in workload.requests.iter_mut().filter(|r| r.request == RegRequest::Read) {
        r.node = 1.min(config.n - 1);
    }
    workload
}

const FAULTS: &str = "crash-stop of f < n/2; loss, duplication, reordering, partitions that heal";

macro_rules! layer_experiment {
    ($entry:ident, $name:literal, $desc:literal, $source:literal, |$config:ident| $run:expr) => {
        #[doc = concat!("`", $name, "`: ", $desc, ".")]
        pub static $entry: ProtocolEntry = ProtocolEntry {
            name: $name,
            description: $desc,
            source: $source,
            fault_model: FAULTS,
            default_n: 3,
            byzantine: false,
            run: |$config| $run,
            comparison: None,
        };
    };
}

layer_experiment!(
    ATOMIC_FROM_REGULAR,
    "register-11-atomic-from-regular",
    "(1,1) atomic register over a (1,N) regular one",
    "CGR 2011 Alg. 4.3, over Alg. 4.2",
    |config| run_layered(
        config,
        one_reader_workload(config),
        RegularToAtomic::new(LayerFlaw::None)
    )
);
layer_experiment!(
    BROKEN_ATOMIC_FROM_REGULAR_NO_MAX,
    "register-11-atomic-from-regular-broken-no-max",
    "BROKEN on purpose: Alg. 4.3 whose reader returns what it read, not the highest seen",
    "",
    |config| run_layered(
        config,
        one_reader_workload(config),
        RegularToAtomic::new(LayerFlaw::NoHighestKept)
    )
);
layer_experiment!(
    ONE_TO_MANY_FROM_ONE_TO_ONE,
    "register-1n-atomic-from-11",
    "(1,N) atomic register over N² (1,1) atomic ones",
    "CGR 2011 Alg. 4.4, over Alg. 4.5",
    |config| run_register(config, Writers::One, true, |_, _| {
        PerfectLinks::new(Layered::new(OneToManyAtomic::new(LayerFlaw::None)))
    })
);
layer_experiment!(
    BROKEN_ONE_TO_MANY_NO_WRITE_BACK,
    "register-1n-atomic-from-11-broken-no-write-back",
    "BROKEN on purpose: Alg. 4.4 whose readers skip writing to the other readers",
    "",
    |config| run_register(config, Writers::One, true, |_, _| {
        PerfectLinks::new(Layered::new(OneToManyAtomic::new(LayerFlaw::NoWriteBack)))
    })
);
layer_experiment!(
    MANY_TO_MANY_FROM_ONE_TO_MANY,
    "register-nn-atomic-from-1n",
    "(N,N) atomic register over N (1,N) atomic ones",
    "CGR 2011 Alg. 4.8-4.9, over Alg. 4.5",
    |config| run_register(config, Writers::All, true, |_, _| {
        PerfectLinks::new(Layered::new(ManyToManyAtomic::new(LayerFlaw::None)))
    })
);
layer_experiment!(
    BROKEN_MANY_TO_MANY_LOCAL_TIMESTAMP,
    "register-nn-atomic-from-1n-broken-local-ts",
    "BROKEN on purpose: Alg. 4.8-4.9 whose writers stamp with their own counter",
    "",
    |config| run_register(config, Writers::All, true, |_, _| {
        PerfectLinks::new(Layered::new(ManyToManyAtomic::new(LayerFlaw::LocalTimestamp)))
    })
);

#[cfg(test)]
mod tests;
