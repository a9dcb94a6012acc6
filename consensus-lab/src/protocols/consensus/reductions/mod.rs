//! Modular reductions between total-order broadcast and consensus (Cachin–Guerraoui–Rodrigues
//! 2011, *Introduction to Reliable and Secure Distributed Programming*, 2nd ed., §6.1).
//!
//! **Total-order broadcast from consensus** (§6.1, Algorithm 6.1 "Consensus-Based Total-Order
//! Broadcast"): messages are disseminated by reliable broadcast (Eager RB, Alg. 3.3 of
//! [`crate::protocols::broadcast::reliable`]) and ordered by a sequence of consensus instances, one single-decree
//! Paxos ([`super::paxos`], Lamport 2001 §2) per round:
//!
//! ```text
//! upon ⟨tob, Init⟩ do unordered := ∅; delivered := ∅; round := 1; wait := false;
//! upon ⟨tob, Broadcast | m⟩ do trigger ⟨rb, Broadcast | m⟩;
//! upon ⟨rb, Deliver | p, m⟩ do if m ∉ delivered then unordered := unordered ∪ {(p, m)};
//! upon unordered ≠ ∅ ∧ wait = false do
//!     wait := true; Initialize a new instance c.round of consensus;
//!     trigger ⟨c.round, Propose | unordered⟩;
//! upon ⟨c.r, Decide | decided⟩ such that r = round do
//!     forall (s, m) ∈ sort(decided) do trigger ⟨tob, Deliver | s, m⟩;
//!     delivered := delivered ∪ decided; unordered := unordered \ decided;
//!     round := round + 1; wait := false;
//! ```
//!
//! One change: the lab's Paxos decides a 64-bit value, so each instance decides **one** message
//! (`(s, m)` packed by [`MessageId`]) instead of a batch: a process proposes the oldest message
//! of its `unordered` set. Every decided message was proposed, hence rb-delivered, by someone;
//! the order is the same at every process because every process walks the same sequence of
//! decisions; and an undelivered message is proposed again in every later round, so with finitely
//! many broadcasts every one is decided. Consensus messages travel tagged with their round
//! ([`TobMsg::Consensus`]); a process joins instance r (as acceptor and learner) on its first
//! message for r, and a decision for a round it has not reached waits in `decisions`.
//!
//! **Consensus from total-order broadcast** (§6.1, the converse reduction; CGR Exercise 6.2):
//! every process TO-broadcasts its proposal and decides the first message it TO-delivers. All
//! processes deliver the same first message, so agreement follows from total order, validity
//! from no creation and termination from validity of the broadcast. Here the broadcast is the
//! consensus-based one above ([`ConsensusTob`]).
//!
//! Broken twins: `tob-consensus-broken-arrival-order` delivers each message when reliable
//! broadcast hands it over (arrival order) and ignores the decided order: the total-order
//! checker sees two processes deliver two messages in opposite orders; and
//! `consensus-tob-broken-rb` decides the first message of plain reliable broadcast (Alg. 3.3, no
//! total order): each process hears its own proposal first, and agreement fails.
//!
//! Fault model: crash-stop of f < n/2 (consensus needs a majority); everything runs inside
//! [`PerfectLinks`], so loss, duplication, reordering and partitions that heal are masked.
//! The consensus instances keep their stable storage in memory only, so crash-recovery is not
//! supported.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::harness::{consensus_report, simulate, ProtocolEntry, RunConfig, RunReport};
use crate::protocol::{Action, ActionOf, Context, NodeId, Protocol, Storage, TimerId, WireSize};
use crate::protocols::broadcast::beb::Deliver;
use crate::protocols::broadcast::reliable::{run_broadcast, Data, EagerReliableBroadcast};
use crate::protocols::consensus::paxos::{self, Decide, Paxos};
use crate::protocols::links::{Payload, PerfectLinks};
use crate::sim::{Streams, Workload};

/// A message `(s, m)` packed into one consensus value: sender in the top 16 bits, payload in
/// the low 48.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct MessageId {
    /// The broadcaster s.
    pub sender: NodeId,
    /// The payload m.
    pub payload: u64,
}

/// A message that does not fit in one 64-bit consensus value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("message ({sender}, {payload}) does not fit a consensus value: sender must be < 2^16, payload < 2^48")]
pub struct TooLarge {
    /// The sender given.
    pub sender: NodeId,
    /// The payload given.
    pub payload: u64,
}

const PAYLOAD_BITS: u32 = 48;

impl MessageId {
    /// The consensus value of `(sender, payload)`.
    ///
    /// # Errors
    /// [`TooLarge`] if `sender ≥ 2^16` or `payload ≥ 2^48`.
    pub fn pack(sender: NodeId, payload: u64) -> Result<paxos::Value, TooLarge> {
        if sender >= 1 << 16 || payload >= 1 << PAYLOAD_BITS {
            return Err(TooLarge { sender, payload });
        }
        Ok(((sender as u64) << PAYLOAD_BITS) | payload)
    }

    /// The message a consensus value stands for (inverse of [`MessageId::pack`]).
    pub fn unpack(value: paxos::Value) -> Self {
        MessageId {
            sender: (value >> PAYLOAD_BITS) as NodeId,
            payload: value & ((1 << PAYLOAD_BITS) - 1),
        }
    }
}

/// The wire messages of [`ConsensusTob`]: reliable broadcast's, or one consensus instance's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TobMsg {
    /// [DATA, s, m] of Eager Reliable Broadcast.
    Rb(Data<Payload>),
    /// A Paxos message of consensus instance `round`.
    Consensus(u64, paxos::Msg),
}

impl WireSize for TobMsg {
    fn size_bytes(&self) -> usize {
        match self {
            TobMsg::Rb(data) => 1 + data.size_bytes(),
            TobMsg::Consensus(_, msg) => 9 + msg.size_bytes(),
        }
    }
}

/// A deliberate bug in Algorithm 6.1, for the checkers to catch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TobFlaw {
    /// The algorithm as written.
    #[default]
    None,
    /// tob-deliver each message in the order reliable broadcast delivers it (arrival order),
    /// ignoring the order the consensus instances decide.
    ArrivalOrder,
}

/// Timer ids of a consensus instance: `round << INSTANCE_TIMER_BITS | inner id`.
const INSTANCE_TIMER_BITS: u32 = 8;

/// Run one handler of `proto`, a protocol held inside the one `ctx` belongs to, over its own
/// `storage`; return its actions for the caller to translate. Also used by
/// [`super::calvin`] to drive its Multi-Paxos sequencing layer.
pub(crate) fn call<U: Protocol, L: Protocol>(
    ctx: &Context<'_, L>,
    proto: &mut U,
    storage: &mut Storage,
    handler: impl FnOnce(&mut U, &mut Context<'_, U>),
) -> Vec<ActionOf<U>> {
    let mut actions = Vec::new();
    handler(proto, &mut Context::new(ctx.me, ctx.n, ctx.now, storage, &mut actions));
    actions
}

/// One consensus instance: its Paxos process and that process's (volatile) storage.
#[derive(Debug, Clone)]
struct Instance {
    paxos: Paxos,
    storage: Storage,
}

/// One process of Consensus-Based Total-Order Broadcast (CGR Alg. 6.1) over Eager RB and
/// single-decree Paxos; run it inside [`PerfectLinks`].
#[derive(Debug, Clone)]
pub struct ConsensusTob {
    flaw: TobFlaw,
    rb: EagerReliableBroadcast,
    rb_storage: Storage,
    /// rb-delivered, not yet tob-delivered, oldest first.
    unordered: VecDeque<MessageId>,
    delivered: BTreeSet<MessageId>,
    round: u64,
    wait: bool,
    instances: BTreeMap<u64, Instance>,
    /// Decisions of rounds not yet processed (this process has not reached them).
    decisions: BTreeMap<u64, MessageId>,
}

impl ConsensusTob {
    /// A process of Algorithm 6.1 with `flaw` (`TobFlaw::None` for the algorithm as written).
    pub fn new(flaw: TobFlaw) -> Self {
        ConsensusTob {
            flaw,
            rb: EagerReliableBroadcast::default(),
            rb_storage: Storage::new(),
            unordered: VecDeque::new(),
            delivered: BTreeSet::new(),
            round: 1,
            wait: false,
            instances: BTreeMap::new(),
            decisions: BTreeMap::new(),
        }
    }

    /// Drive the reliable-broadcast layer and act on what it does.
    fn rb_call(
        &mut self,
        ctx: &mut Context<'_, Self>,
        handler: impl FnOnce(&mut EagerReliableBroadcast, &mut Context<'_, EagerReliableBroadcast>),
    ) {
        for action in call(ctx, &mut self.rb, &mut self.rb_storage, handler) {
            match action {
                Action::Send { to, msg } => ctx.send(to, TobMsg::Rb(msg)),
                Action::Output(deliver) => self.on_rb_deliver(ctx, deliver),
                // Eager RB sets no timers.
                Action::SetTimer { .. } | Action::CancelTimer { .. } => {}
            }
        }
    }

    /// Drive consensus instance `round` (created, and started, on first use).
    fn instance_call(
        &mut self,
        ctx: &mut Context<'_, Self>,
        round: u64,
        handler: impl FnOnce(&mut Paxos, &mut Context<'_, Paxos>),
    ) {
        let mut actions = Vec::new();
        let instance = self.instances.entry(round).or_insert_with(|| {
            let mut instance =
                Instance { paxos: Paxos::new(paxos::Flaw::None), storage: Storage::new() };
            actions = call(ctx, &mut instance.paxos, &mut instance.storage, |p, c| p.on_start(c));
            instance
        });
        actions.extend(call(ctx, &mut instance.paxos, &mut instance.storage, handler));
        let timer = |id: TimerId| (round << INSTANCE_TIMER_BITS) | id;
        for action in actions {
            match action {
                Action::Send { to, msg } => ctx.send(to, TobMsg::Consensus(round, msg)),
                Action::SetTimer { id, after } => ctx.set_timer(timer(id), after),
                Action::CancelTimer { id } => ctx.cancel_timer(timer(id)),
                Action::Output(Decide(value)) => {
                    self.decisions.insert(round, MessageId::unpack(value));
                }
            }
        }
        self.process_decisions(ctx);
    }

    /// upon ⟨rb, Deliver | p, m⟩.
    fn on_rb_deliver(&mut self, ctx: &mut Context<'_, Self>, Deliver { sender, payload }: Deliver) {
        let id = MessageId { sender, payload };
        if self.flaw == TobFlaw::ArrivalOrder && self.delivered.insert(id) {
            ctx.output(Deliver { sender, payload });
        }
        if !self.delivered.contains(&id) || self.flaw == TobFlaw::ArrivalOrder {
            self.unordered.push_back(id);
        }
        self.propose(ctx);
    }

    /// upon unordered ≠ ∅ ∧ wait = false: propose the oldest unordered message in this round.
    fn propose(&mut self, ctx: &mut Context<'_, Self>) {
        if self.wait {
            return;
        }
        let Some(&first) = self.unordered.front() else { return };
        let Ok(value) = MessageId::pack(first.sender, first.payload) else {
            // Never ordered: on_request refuses what does not pack.
            self.unordered.pop_front();
            return self.propose(ctx);
        };
        self.wait = true;
        let round = self.round;
        self.instance_call(ctx, round, |p, c| p.on_request(c, value));
    }

    /// upon ⟨c.r, Decide | (s, m)⟩ such that r = round, for as many rounds as are decided.
    fn process_decisions(&mut self, ctx: &mut Context<'_, Self>) {
        let mut advanced = false;
        while let Some(id) = self.decisions.remove(&self.round) {
            if self.flaw == TobFlaw::None && self.delivered.insert(id) {
                ctx.output(Deliver { sender: id.sender, payload: id.payload });
            }
            self.unordered.retain(|m| *m != id);
            self.round += 1;
            self.wait = false;
            advanced = true;
        }
        if advanced {
            self.propose(ctx);
        }
    }
}

impl Protocol for ConsensusTob {
    type Message = TobMsg;
    type Request = u64;
    type Output = Deliver;

    fn on_start(&mut self, _ctx: &mut Context<'_, Self>) {}

    /// upon ⟨tob, Broadcast | m⟩: rb-broadcast m (a payload ≥ 2^48 is refused: it could never
    /// be ordered).
    fn on_request(&mut self, ctx: &mut Context<'_, Self>, m: u64) {
        if MessageId::pack(ctx.me, m).is_ok() {
            self.rb_call(ctx, |rb, c| rb.on_request(c, m));
        }
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, msg: TobMsg) {
        match msg {
            TobMsg::Rb(data) => self.rb_call(ctx, |rb, c| rb.on_message(c, from, data)),
            TobMsg::Consensus(round, msg) => {
                self.instance_call(ctx, round, |p, c| p.on_message(c, from, msg));
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_, Self>, timer: TimerId) {
        let round = timer >> INSTANCE_TIMER_BITS;
        let id = timer & ((1 << INSTANCE_TIMER_BITS) - 1);
        if self.instances.contains_key(&round) {
            self.instance_call(ctx, round, |p, c| p.on_timer(c, id));
        }
    }
}

/// One process of consensus from total-order broadcast: TO-broadcast the proposal, decide the
/// first TO-delivered message. `T` is the broadcast underneath (a [`ConsensusTob`], or plain
/// reliable broadcast for the broken twin); run the stack inside [`PerfectLinks`].
#[derive(Debug, Clone)]
pub struct TobConsensus<T> {
    tob: T,
    storage: Storage,
    decided: Option<u64>,
}

impl<T> TobConsensus<T> {
    /// Consensus over the broadcast `tob`.
    pub fn new(tob: T) -> Self {
        TobConsensus { tob, storage: Storage::new(), decided: None }
    }

    /// The decided value, if any.
    pub fn decided(&self) -> Option<u64> {
        self.decided
    }
}

impl<T: Protocol<Request = u64, Output = Deliver>> TobConsensus<T> {
    fn tob_call(
        &mut self,
        ctx: &mut Context<'_, Self>,
        handler: impl FnOnce(&mut T, &mut Context<'_, T>),
    ) {
        for action in call(ctx, &mut self.tob, &mut self.storage, handler) {
            match action {
                Action::Send { to, msg } => ctx.send(to, msg),
                Action::SetTimer { id, after } => ctx.set_timer(id, after),
                Action::CancelTimer { id } => ctx.cancel_timer(id),
                // upon ⟨tob, Deliver | s, v⟩ while undecided: trigger ⟨Decide | v⟩.
                Action::Output(Deliver { payload, .. }) => {
                    if self.decided.is_none() {
                        self.decided = Some(payload);
                        ctx.output(Decide(payload));
                    }
                }
            }
        }
    }
}

impl<T: Protocol<Request = u64, Output = Deliver>> Protocol for TobConsensus<T> {
    type Message = T::Message;
    type Request = u64;
    type Output = Decide;

    fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
        self.tob_call(ctx, |t, c| t.on_start(c));
    }

    /// upon ⟨Propose | v⟩: trigger ⟨tob, Broadcast | v⟩.
    fn on_request(&mut self, ctx: &mut Context<'_, Self>, v: u64) {
        self.tob_call(ctx, |t, c| t.on_request(c, v));
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, msg: T::Message) {
        self.tob_call(ctx, |t, c| t.on_message(c, from, msg));
    }

    fn on_timer(&mut self, ctx: &mut Context<'_, Self>, timer: TimerId) {
        self.tob_call(ctx, |t, c| t.on_timer(c, timer));
    }
}

/// Properties of total-order broadcast (CGR Module 6.1: reliable broadcast's plus total order).
pub const TOB_PROPERTIES: &[&str] =
    &["validity", "no duplication", "no creation", "agreement", "total order"];

/// Run consensus stack `factory` (inside perfect links) under `config`: every process proposes
/// `100 + id` at a random time in the first 2 ms (workload stream), as `paxos` does; checks
/// the five consensus properties.
pub fn run_tob_consensus<P>(config: &RunConfig, factory: impl Fn() -> P + 'static) -> RunReport
where
    P: Protocol<Request = u64, Output = Decide> + 'static,
{
    let mut rng = Streams::new(config.seed).workload;
    let mut workload =
        Workload::open_loop(&mut rng, config.n, 0, 400, config.n, |i, _| 100 + i as u64);
    for (i, r) in workload.requests.iter_mut().enumerate() {
        r.node = i; // one proposal per process
    }
    let run = simulate(config, move |_, _| PerfectLinks::new(factory()), workload);
    consensus_report(config, run, |v| *v, |Decide(v)| *v)
}

const FAULTS: &str = "crash-stop of f < n/2; loss, duplication, reordering, partitions that heal";

/// `tob-consensus`: CGR Alg. 6.1 over Eager RB and Paxos instances.
pub static TOB_CONSENSUS: ProtocolEntry = ProtocolEntry {
    name: "tob-consensus",
    description: "total-order broadcast from consensus: Eager RB + one Paxos instance per round",
    source: "CGR 2011 Alg. 6.1 Consensus-Based Total-Order Broadcast",
    fault_model: FAULTS,
    default_n: 3,
    byzantine: false,
    run: |config| run_broadcast(config, |_, _| ConsensusTob::new(TobFlaw::None), TOB_PROPERTIES),
    comparison: None,
};

/// `tob-consensus-broken-arrival-order`: delivers in rb arrival order, not the decided one.
pub static BROKEN_TOB_ARRIVAL_ORDER: ProtocolEntry = ProtocolEntry {
    name: "tob-consensus-broken-arrival-order",
    description: "BROKEN on purpose: CGR Alg. 6.1 delivering in reliable-broadcast arrival \
                  order, not in the order consensus decides",
    source: "",
    fault_model: FAULTS,
    default_n: 3,
    byzantine: false,
    run: |config| {
        run_broadcast(config, |_, _| ConsensusTob::new(TobFlaw::ArrivalOrder), TOB_PROPERTIES)
    },
    comparison: None,
};

/// `consensus-tob`: consensus from total-order broadcast (over `tob-consensus`).
pub static CONSENSUS_TOB: ProtocolEntry = ProtocolEntry {
    name: "consensus-tob",
    description: "consensus from total-order broadcast: decide the first TO-delivered proposal",
    source: "CGR 2011 §6.1, over tob-consensus",
    fault_model: FAULTS,
    default_n: 3,
    byzantine: false,
    run: |config| run_tob_consensus(config, || TobConsensus::new(ConsensusTob::new(TobFlaw::None))),
    comparison: None,
};

/// `consensus-tob-broken-rb`: the same over reliable broadcast without total order.
pub static BROKEN_CONSENSUS_TOB_OVER_RB: ProtocolEntry = ProtocolEntry {
    name: "consensus-tob-broken-rb",
    description: "BROKEN on purpose: decide the first delivered proposal of plain reliable \
                  broadcast (CGR 2011 Alg. 3.3, no total order)",
    source: "",
    fault_model: FAULTS,
    default_n: 3,
    byzantine: false,
    run: |config| {
        run_tob_consensus(config, || TobConsensus::new(EagerReliableBroadcast::default()))
    },
    comparison: None,
};

#[cfg(test)]
mod tests;
