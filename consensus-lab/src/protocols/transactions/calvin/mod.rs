//! Calvin's deterministic transaction layer: Thomson, Diamond, Weng, Ren, Shao, Abadi, "Calvin:
//! Fast Distributed Transactions for Partitioned Database Systems", SIGMOD 2012, §3.1 (the
//! sequencer and its replication) and §3.2 (the scheduler and deterministic locking; the locking
//! protocol is Thomson & Abadi, "The Case for Determinism in Database Systems", VLDB 2010, §3).
//!
//! Every process is a sequencer and a full replica of the store (one partition: §3's
//! multi-partition reads and the "active participant" exchange are left out). Transactions
//! declare their read and write sets up front. Each sequencer collects the transactions its
//! clients send it into an epoch batch (10 ms, §3.1), and the batches are put in one global
//! order by replicating them through [`MultiPaxos`] (§3.1: "Calvin supports … Paxos-based
//! synchronous replication" of the sequencer's input; here one Multi-Paxos log orders the
//! batches of every sequencer, the lab's existing total-order broadcast, wrapped unchanged).
//! Every replica then runs the same input through a deterministic scheduler: there is no
//! commit round and no two-phase commit; agreement on the input is all the replicas share.
//!
//! ```text
//! Sequencer s:
//! upon ⟨Request | T⟩ do batch := batch ++ [T]; if no epoch timer then starttimer(EPOCH)
//! upon ⟨Timeout | epoch⟩ do trigger ⟨tob, Broadcast | (s, e, batch)⟩; e := e + 1; batch := []
//! Scheduler (every replica r), deterministic locking (§3.2.1):
//! upon ⟨tob, Deliver | (s, e, B)⟩ with (s, e) new do
//!     forall T ∈ B in order do seq := seq ++ [T]; dispatch T to the lock manager (local delay)
//! upon T dispatched do                        (lock requests are taken strictly in seq order:)
//!     hold T until every transaction before T in seq has been enqueued; then for each key k
//!     of T append (T, X if k ∈ W(T) else S) to queue[k]
//! T holds k when it is first in queue[k], or requests S and only S requests are ahead of it
//! upon T holds all its keys do read R(T); execute for a while (local duration)
//! upon T's execution ends do for k ∈ W(T): store[k] := f(reads, T); release T's locks
//! ```
//!
//! Each transaction writes `f = (31 · Σ values read + id) mod 10⁶` to every key it writes, so
//! two replicas that order conflicting transactions differently end in different states. The
//! dispatch delay and execution time of a transaction differ per replica (drawn from the seed,
//! the replica and the transaction): they stand for thread scheduling and I/O, which Calvin's
//! design must not let into the result.
//!
//! Broken twins ([`Flaw`]): `calvin-broken-arrival-order` skips the sequencing layer: each
//! sequencer sends its batch straight to every replica, which schedules batches in arrival order
//! — replicas diverge. `calvin-broken-fcfs-locks` keeps the global order but its lock manager
//! enqueues lock requests first-come first-served as they are dispatched — still a serializable
//! (conservative 2PL) schedule at each replica, but a different one at each: replicas diverge.
//!
//! Fault model: the Multi-Paxos layer's, crash-stop of f < n/2 with loss, duplication, reordering
//! and partitions that heal. A sequencer's unreplicated batch (its current epoch) dies with it:
//! liveness is promised for transactions submitted to correct processes. Multi-Paxos's stable
//! storage is kept in memory here (as `reductions` does), so crash-recovery is not supported.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

use crate::check::serializability::{Key, TxnId, INITIAL};
use crate::protocol::{Action, Context, NodeId, Protocol, Storage, Time, TimerId, WireSize};
use crate::protocols::consensus::multipaxos::{self, MultiPaxos};
use crate::protocols::consensus::reductions::call;
use crate::protocols::consensus::smr_kv::{Entry, SmrOutput, StateMachine};
use crate::sim::Workload;

mod experiment;
pub use experiment::*;

/// Length of a sequencer's epoch, µs (Calvin §3.1: 10 ms).
pub const EPOCH: Time = 10_000;
/// Largest dispatch delay of a transaction to the lock manager at one replica, µs.
pub const MAX_DISPATCH: Time = 3_000;
/// Shortest and longest execution time of a transaction at one replica, µs.
pub const EXECUTION: (Time, Time) = (500, 3_000);

/// A version of a key: (the transaction that wrote it, its value); ([`INITIAL`], 0) before
/// any write.
pub type Version = (TxnId, i64);

/// A transaction with its read and write sets declared up front (Calvin §3: the sets are known
/// before execution; §3.2.1 "dependent transactions" find them by a reconnaissance query).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Txn {
    /// Unique per run, ≥ 1 ([`INITIAL`] = 0 installed the first versions).
    pub id: TxnId,
    /// Keys it reads.
    pub reads: BTreeSet<Key>,
    /// Keys it writes (with `f` of its reads, see the module doc).
    pub writes: BTreeSet<Key>,
}

impl Txn {
    /// The value it writes after reading `values`: `(31 · Σ values + id) mod 10⁶`.
    pub fn value(&self, values: impl IntoIterator<Item = i64>) -> i64 {
        let sum = values.into_iter().fold(0i64, i64::wrapping_add);
        sum.wrapping_mul(31).wrapping_add(self.id as i64).rem_euclid(1_000_000)
    }
}

/// An epoch batch of one sequencer (Calvin §3.1): its transactions in arrival order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Batch {
    /// The sequencer.
    pub sequencer: NodeId,
    /// Its epoch number (0, 1, … per sequencer; empty epochs send nothing).
    pub epoch: u64,
    /// The transactions.
    pub txns: Vec<Txn>,
}

impl WireSize for Batch {
    /// Sequencer and epoch (16) plus id and one byte per key of each transaction.
    fn size_bytes(&self) -> usize {
        16 + self.txns.iter().map(|t| 8 + t.reads.len() + t.writes.len()).sum::<usize>()
    }
}

/// The state machine the sequencing layer replicates: the log of batches itself (applying a
/// batch does nothing; the scheduler reads the log), as [`crate::protocols::consensus::smr_kv::TobLog`]
/// does for payloads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchLog;

impl StateMachine for BatchLog {
    type Command = Batch;
    type Response = ();
    fn apply(&mut self, _batch: &Batch) {}
    /// No workload of its own: Calvin's clients submit transactions, the sequencers batches.
    fn workload(
        _rng: &mut rand_chacha::ChaCha8Rng,
        _n: usize,
        _count: usize,
        _gap: Time,
    ) -> Workload<Batch> {
        Workload::default()
    }
}

/// Calvin's messages: the sequencing layer's, or (broken twin only) a batch sent directly.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// A Multi-Paxos message of the sequencing layer.
    Paxos(multipaxos::Msg<Batch>),
    /// [`Flaw::ArrivalOrder`]: a batch sent straight to a replica, unordered.
    Direct(Batch),
}

impl WireSize for Msg {
    fn size_bytes(&self) -> usize {
        match self {
            Msg::Paxos(m) => 1 + m.size_bytes(),
            Msg::Direct(b) => 1 + b.size_bytes(),
        }
    }
}

/// What a replica executed: the version (writer, value) of each key it read, and what it wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Execution {
    /// The transaction.
    pub txn: TxnId,
    /// Key → the version read.
    pub reads: BTreeMap<Key, Version>,
    /// Key → value written.
    pub writes: BTreeMap<Key, i64>,
}

/// Indications recorded for the checkers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// The scheduler appended transaction `txn` to its sequence at `position` (0-based).
    Sequenced {
        /// Position in the replica's input sequence.
        position: u64,
        /// The transaction.
        txn: TxnId,
    },
    /// The replica finished executing a transaction and installed its writes.
    Executed(Execution),
}

/// A deliberate bug, for testing the checkers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flaw {
    /// Calvin as described.
    #[default]
    None,
    /// No global sequencing: batches go straight to the replicas, scheduled in arrival order.
    ArrivalOrder,
    /// The lock manager enqueues lock requests in dispatch (arrival) order, not sequence order.
    FcfsLocks,
}

/// Lock mode (Thomson & Abadi 2010 §3: read locks shared, write locks exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Shared,
    Exclusive,
}

/// Timer ids: the top byte says whose; the rest is the Multi-Paxos id, a position or a txn.
const TAG_SHIFT: u32 = 56;
const EPOCH_TIMER: TimerId = 1 << TAG_SHIFT;
const DISPATCH_TAG: TimerId = 2;
const EXECUTE_TAG: TimerId = 3;
const LOW_BITS: TimerId = (1 << TAG_SHIFT) - 1;

/// SplitMix64 (Steele, Lea, Flood, OOPSLA 2014): the per-replica, per-transaction delays.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The deterministic scheduler of one replica (Calvin §3.2) and its store.
#[derive(Debug, Clone, Default)]
struct Scheduler {
    /// Batches already scheduled, by (sequencer, epoch): a batch decided twice runs once.
    seen: BTreeSet<(NodeId, u64)>,
    /// Length of the input sequence so far.
    sequenced: u64,
    /// Position → transaction, dispatched and not yet enqueued (correct scheduler only).
    dispatched: BTreeMap<u64, Txn>,
    /// Next position the lock manager enqueues.
    next_to_lock: u64,
    /// Transactions sequenced, not dispatched yet, by position.
    in_dispatch: BTreeMap<u64, Txn>,
    /// Lock queues, per key, in grant order.
    queues: BTreeMap<Key, VecDeque<(TxnId, Mode)>>,
    /// Enqueued, waiting for locks, in enqueue order.
    waiting: Vec<Txn>,
    /// Executing: the transaction and what it read.
    running: BTreeMap<TxnId, (Txn, BTreeMap<Key, Version>)>,
    /// Key → (writer, value) of the current version.
    store: BTreeMap<Key, Version>,
}

impl Scheduler {
    fn holds_all(&self, txn: &Txn) -> bool {
        txn.reads.union(&txn.writes).all(|k| {
            let Some(queue) = self.queues.get(k) else { return false };
            for &(id, mode) in queue {
                if id == txn.id {
                    return true;
                }
                if mode == Mode::Exclusive || txn.writes.contains(k) {
                    return false;
                }
            }
            false
        })
    }

    fn enqueue(&mut self, txn: Txn) {
        for &k in txn.reads.union(&txn.writes) {
            let mode = if txn.writes.contains(&k) { Mode::Exclusive } else { Mode::Shared };
            self.queues.entry(k).or_default().push_back((txn.id, mode));
        }
        self.waiting.push(txn);
    }
}

/// One Calvin process: a sequencer, its share of the Multi-Paxos sequencing layer, and a
/// replica with its deterministic scheduler.
#[derive(Debug, Clone)]
pub struct Calvin {
    flaw: Flaw,
    seed: u64,
    epoch: u64,
    batch: Vec<Txn>,
    paxos: MultiPaxos<BatchLog>,
    paxos_storage: Storage,
    scheduler: Scheduler,
}

impl Calvin {
    /// A fresh process; `seed` draws its local dispatch delays and execution times.
    pub fn new(flaw: Flaw, seed: u64) -> Self {
        Calvin {
            flaw,
            seed,
            epoch: 0,
            batch: Vec::new(),
            paxos: MultiPaxos::new(multipaxos::Flaw::None),
            paxos_storage: Storage::new(),
            scheduler: Scheduler::default(),
        }
    }

    /// The replica's store: key → its current version.
    pub fn store(&self) -> &BTreeMap<Key, Version> {
        &self.scheduler.store
    }

    /// A local delay in `[lo, hi)` µs for `txn` at replica `me` (`salt` tells the kinds apart).
    fn local_delay(&self, me: NodeId, txn: TxnId, salt: u64, (lo, hi): (Time, Time)) -> Time {
        let z = mix(self.seed ^ mix((me as u64) << 40 ^ txn << 2 ^ salt));
        lo + z % (hi - lo)
    }

    /// Drive the Multi-Paxos layer; decided batches go to the scheduler in log order.
    fn paxos_call(
        &mut self,
        ctx: &mut Context<'_, Self>,
        handler: impl FnOnce(&mut MultiPaxos<BatchLog>, &mut Context<'_, MultiPaxos<BatchLog>>),
    ) {
        for action in call(ctx, &mut self.paxos, &mut self.paxos_storage, handler) {
            match action {
                Action::Send { to, msg } => ctx.send(to, Msg::Paxos(msg)),
                Action::SetTimer { id, after } => ctx.set_timer(id, after),
                Action::CancelTimer { id } => ctx.cancel_timer(id),
                Action::Output(SmrOutput::Decided { entry: Entry::Cmd(p), .. }) => {
                    self.schedule(ctx, p.cmd);
                }
                Action::Output(_) => {}
            }
        }
    }

    /// upon ⟨Deliver | batch⟩: append its transactions to the sequence and dispatch them.
    fn schedule(&mut self, ctx: &mut Context<'_, Self>, batch: Batch) {
        if !self.scheduler.seen.insert((batch.sequencer, batch.epoch)) {
            return;
        }
        for txn in batch.txns {
            let position = self.scheduler.sequenced;
            self.scheduler.sequenced += 1;
            ctx.output(Output::Sequenced { position, txn: txn.id });
            let delay = self.local_delay(ctx.me, txn.id, 1, (0, MAX_DISPATCH));
            self.scheduler.in_dispatch.insert(position, txn);
            ctx.set_timer(DISPATCH_TAG << TAG_SHIFT | position, delay);
        }
    }

    /// upon T dispatched: the lock manager takes it (in sequence order, or on arrival when
    /// broken) and starts whatever now holds all its locks.
    fn dispatched(&mut self, ctx: &mut Context<'_, Self>, position: u64) {
        let Some(txn) = self.scheduler.in_dispatch.remove(&position) else { return };
        let s = &mut self.scheduler;
        if self.flaw == Flaw::FcfsLocks {
            s.enqueue(txn);
        } else {
            s.dispatched.insert(position, txn);
            while let Some(txn) = s.dispatched.remove(&s.next_to_lock) {
                s.enqueue(txn);
                s.next_to_lock += 1;
            }
        }
        self.start_ready(ctx);
    }

    /// Start every waiting transaction that holds all its locks: read, then run for a while.
    fn start_ready(&mut self, ctx: &mut Context<'_, Self>) {
        let s = &mut self.scheduler;
        let (ready, waiting): (Vec<Txn>, Vec<Txn>) =
            std::mem::take(&mut s.waiting).into_iter().partition(|t| s.holds_all(t));
        s.waiting = waiting;
        let started: Vec<TxnId> = ready.iter().map(|t| t.id).collect();
        for txn in ready {
            let reads = txn
                .reads
                .iter()
                .map(|k| (*k, s.store.get(k).copied().unwrap_or((INITIAL, 0))))
                .collect();
            s.running.insert(txn.id, (txn, reads));
        }
        for id in started {
            let time = self.local_delay(ctx.me, id, 2, EXECUTION);
            ctx.set_timer(EXECUTE_TAG << TAG_SHIFT | id, time);
        }
    }

    /// upon T's execution ends: install its writes, release its locks, start the next ones.
    fn finish(&mut self, ctx: &mut Context<'_, Self>, id: TxnId) {
        let s = &mut self.scheduler;
        let Some((txn, reads)) = s.running.remove(&id) else { return };
        let value = txn.value(reads.values().map(|r| r.1));
        let writes: BTreeMap<Key, i64> = txn.writes.iter().map(|k| (*k, value)).collect();
        for (&k, &v) in &writes {
            s.store.insert(k, (id, v));
        }
        for k in txn.reads.union(&txn.writes) {
            if let Some(queue) = s.queues.get_mut(k) {
                queue.retain(|e| e.0 != id);
            }
        }
        ctx.output(Output::Executed(Execution { txn: id, reads, writes }));
        self.start_ready(ctx);
    }

    /// upon ⟨Timeout | epoch⟩: hand the epoch's batch to the sequencing layer.
    fn close_epoch(&mut self, ctx: &mut Context<'_, Self>) {
        let batch =
            Batch { sequencer: ctx.me, epoch: self.epoch, txns: std::mem::take(&mut self.batch) };
        self.epoch += 1;
        if batch.txns.is_empty() {
            return;
        }
        match self.flaw {
            Flaw::ArrivalOrder => ctx.broadcast_including_self(Msg::Direct(batch)),
            Flaw::None | Flaw::FcfsLocks => self.paxos_call(ctx, |p, c| p.on_request(c, batch)),
        }
    }
}

impl Protocol for Calvin {
    type Message = Msg;
    type Request = Txn;
    type Output = Output;

    fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
        self.paxos_call(ctx, |p, c| p.on_start(c));
    }

    /// upon ⟨Request | T⟩: add T to the current epoch's batch.
    fn on_request(&mut self, ctx: &mut Context<'_, Self>, txn: Txn) {
        if self.batch.is_empty() {
            ctx.set_timer(EPOCH_TIMER, EPOCH - ctx.now % EPOCH);
        }
        self.batch.push(txn);
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, msg: Msg) {
        match msg {
            Msg::Paxos(m) => self.paxos_call(ctx, |p, c| p.on_message(c, from, m)),
            Msg::Direct(batch) if self.flaw == Flaw::ArrivalOrder => self.schedule(ctx, batch),
            Msg::Direct(_) => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_, Self>, timer: TimerId) {
        match timer >> TAG_SHIFT {
            0 => self.paxos_call(ctx, |p, c| p.on_timer(c, timer)),
            1 => self.close_epoch(ctx),
            DISPATCH_TAG => self.dispatched(ctx, timer & LOW_BITS),
            _ => self.finish(ctx, timer & LOW_BITS),
        }
    }
}

#[cfg(test)]
mod tests;
