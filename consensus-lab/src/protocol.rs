//! The sans-IO protocol interface: what a protocol *is* in the lab.
//!
//! A protocol is a state machine, one instance per process, written the way the textbooks write
//! it ("upon ⟨event⟩ do …", Cachin–Guerraoui–Rodrigues, *Introduction to Reliable and Secure
//! Distributed Programming*, 2nd ed. 2011, §1.3). It never touches a socket, a clock or a disk.
//! The simulator (or, later, a real runtime) calls one handler per event and the handler writes
//! its *actions* into a [`Context`]: messages to send, timers to set or cancel, indications to
//! output, values to put in stable storage. This is the shape of stateright's `Actor`
//! (`on_start`/`on_msg`/`on_timeout` writing into `Out`) and of raft-rs's `Ready`.
//!
//! | upon ⟨event⟩ | handler |
//! |---|---|
//! | ⟨Init⟩ (also after a recovery) | [`Protocol::on_start`] |
//! | ⟨pl, Deliver \| q, m⟩ | [`Protocol::on_message`] with `from = q` |
//! | ⟨Timeout⟩ | [`Protocol::on_timer`] |
//! | ⟨Propose \| v⟩, ⟨Broadcast \| m⟩, ⟨Write \| v⟩, ⟨Read⟩ … (requests from the layer above) | [`Protocol::on_request`] |
//!
//! and the handler's output goes through the context:
//!
//! | the seeds write | you write |
//! |---|---|
//! | trigger ⟨pl, Send \| q, m⟩ | [`Context::send`]`(q, m)` |
//! | forall q ∈ Π do trigger ⟨pl, Send \| q, m⟩ | [`Context::broadcast_including_self`]`(m)` |
//! | forall q ∈ Π \ {self} … | [`Context::broadcast_excluding_self`]`(m)` |
//! | starttimer(Δ) | [`Context::set_timer`]`(id, Δ)` (re-setting an id replaces it) |
//! | trigger ⟨Decide \| v⟩, ⟨Deliver \| p, m⟩ … | [`Context::output`]`(o)` |
//! | store(x) / retrieve(x) (crash-recovery, CGR §2.2.4) | [`Context::store`] / [`Context::retrieve`] |
//!
//! # Rules the simulator guarantees
//! - Handlers run atomically, one at a time per process; `ctx.now` is the process's *local* clock
//!   (simulated microseconds, subject to the configured drift).
//! - A message a process sends to itself is delivered reliably, after zero delay, as a separate
//!   event (it does not re-enter the current handler).
//! - `store` is synchronous and durable: it has happened before any message sent later in the same
//!   handler leaves the process. After a crash, the process is rebuilt from its factory (all
//!   volatile state gone) and `on_start` runs again; `ctx.retrieve` then returns what was stored.
//! - Timers and pending requests die with the process that set them.
//!
//! # Worked example: best-effort broadcast (CGR Algorithm 3.1 "Basic Broadcast")
//!
//! ```
//! use quarry_lab::protocol::{Context, NodeId, Protocol, TimerId, WireSize};
//!
//! /// The message on the wire: the payload, tagged so receivers know it is a broadcast.
//! #[derive(Clone, Debug)]
//! struct Bcast(u64);
//! impl WireSize for Bcast {
//!     fn size_bytes(&self) -> usize { 8 }
//! }
//!
//! /// One process of Basic Broadcast: no state at all.
//! struct Beb;
//!
//! impl Protocol for Beb {
//!     type Message = Bcast;
//!     type Request = u64;                 // ⟨beb, Broadcast | m⟩
//!     type Output = (NodeId, u64);        // ⟨beb, Deliver | p, m⟩
//!
//!     fn on_start(&mut self, _ctx: &mut Context<'_, Self>) {}
//!
//!     // upon event ⟨beb, Broadcast | m⟩ do forall q ∈ Π do trigger ⟨pl, Send | q, m⟩
//!     fn on_request(&mut self, ctx: &mut Context<'_, Self>, m: u64) {
//!         ctx.broadcast_including_self(Bcast(m));
//!     }
//!
//!     // upon event ⟨pl, Deliver | p, m⟩ do trigger ⟨beb, Deliver | p, m⟩
//!     fn on_message(&mut self, ctx: &mut Context<'_, Self>, p: NodeId, Bcast(m): Bcast) {
//!         ctx.output((p, m));
//!     }
//!
//!     fn on_timer(&mut self, _ctx: &mut Context<'_, Self>, _timer: TimerId) {}
//! }
//!
//! // Drive it by hand, the way a unit test or the simulator does.
//! let mut storage = Default::default();
//! let mut actions = Vec::new();
//! let mut ctx = Context::new(1, 3, 0, &mut storage, &mut actions);
//! Beb.on_request(&mut ctx, 42);
//! assert_eq!(actions.len(), 3); // one send to each of the 3 processes, self included
//! ```

use std::collections::BTreeMap;
use std::fmt::Debug;

/// Index of a process, `0..n`. Π = {0, …, n−1} in the papers' notation.
pub type NodeId = usize;

/// Simulated time in microseconds since the start of the run.
pub type Time = u64;

/// A protocol-chosen timer name. Setting a timer with an id that is already armed re-arms it.
pub type TimerId = u64;

/// Stable storage of one process: key → JSON text. Survives crashes (CGR §2.2.4).
pub type Storage = BTreeMap<String, String>;

/// How many bytes a message would take on the wire; only used for metrics ("bytes per decision").
/// An honest estimate is enough: count payload fields at their natural size.
pub trait WireSize {
    /// Estimated encoded size in bytes.
    fn size_bytes(&self) -> usize;
}

/// A distributed protocol as a sans-IO state machine; one value of this type is one process.
///
/// Every handler receives the [`Context`] to write its actions into; none returns anything.
pub trait Protocol {
    /// What travels between processes. `size_bytes` feeds the bytes-per-decision metric.
    type Message: Clone + Debug + WireSize;
    /// Input from the layer above (a client): ⟨Propose | v⟩, ⟨Broadcast | m⟩, ⟨Write | v⟩, ⟨Read⟩ …
    type Request: Clone + Debug;
    /// Indication to the layer above: ⟨Decide | v⟩, ⟨Deliver | p, m⟩, ⟨ReadReturn | v⟩ …
    /// Every output is recorded in the run's history for the checkers.
    type Output: Clone + Debug;

    /// upon event ⟨Init⟩: the process starts, or restarts after a crash (then `ctx.retrieve`
    /// sees what it stored before crashing).
    fn on_start(&mut self, ctx: &mut Context<'_, Self>);

    /// upon event ⟨Deliver | from, msg⟩ from the network (links are whatever the simulator's
    /// fault model makes them: fair-loss by default).
    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, msg: Self::Message);

    /// upon event ⟨Timeout⟩ for a timer this process set and did not cancel.
    fn on_timer(&mut self, ctx: &mut Context<'_, Self>, timer: TimerId);

    /// upon event ⟨Request⟩ from the layer above (the workload).
    fn on_request(&mut self, ctx: &mut Context<'_, Self>, req: Self::Request);
}

/// One effect a handler asks for. The simulator applies them in order after the handler returns.
#[derive(Debug, Clone)]
pub enum Action<M, O> {
    /// Send `msg` to process `to` (possibly this process itself).
    Send {
        /// Recipient.
        to: NodeId,
        /// Payload.
        msg: M,
    },
    /// Arm timer `id` to fire after `after` microseconds of *local* time (replaces an armed `id`).
    SetTimer {
        /// Timer name.
        id: TimerId,
        /// Delay in local microseconds.
        after: Time,
    },
    /// Disarm timer `id` (no effect if it is not armed).
    CancelTimer {
        /// Timer name.
        id: TimerId,
    },
    /// Emit an indication to the layer above; recorded in the history.
    Output(O),
}

/// The actions of a protocol `P`.
pub type ActionOf<P> = Action<<P as Protocol>::Message, <P as Protocol>::Output>;

/// What a handler may read (`me`, `n`, `now`, stable storage) and where it writes its actions.
pub struct Context<'a, P: Protocol + ?Sized> {
    /// This process's id.
    pub me: NodeId,
    /// Number of processes, |Π|.
    pub n: usize,
    /// This process's local clock, in microseconds (drifts with the configured clock drift).
    pub now: Time,
    storage: &'a mut Storage,
    actions: &'a mut Vec<ActionOf<P>>,
}

impl<'a, P: Protocol + ?Sized> Context<'a, P> {
    /// A context for process `me` of `n` at local time `now`, writing into `actions`.
    /// The simulator builds these; tests that drive a protocol by hand do too.
    pub fn new(
        me: NodeId,
        n: usize,
        now: Time,
        storage: &'a mut Storage,
        actions: &'a mut Vec<ActionOf<P>>,
    ) -> Self {
        Context { me, n, now, storage, actions }
    }

    /// trigger ⟨Send | to, msg⟩.
    pub fn send(&mut self, to: NodeId, msg: P::Message) {
        self.actions.push(Action::Send { to, msg });
    }

    /// Send `msg` to every process of Π, this one included (it gets its copy with zero delay).
    pub fn broadcast_including_self(&mut self, msg: P::Message) {
        for to in 0..self.n {
            self.actions.push(Action::Send { to, msg: msg.clone() });
        }
    }

    /// Send `msg` to every process of Π except this one.
    pub fn broadcast_excluding_self(&mut self, msg: P::Message) {
        for to in (0..self.n).filter(|&q| q != self.me) {
            self.actions.push(Action::Send { to, msg: msg.clone() });
        }
    }

    /// Arm timer `id` to fire after `after` local microseconds; re-arming replaces the old one.
    pub fn set_timer(&mut self, id: TimerId, after: Time) {
        self.actions.push(Action::SetTimer { id, after });
    }

    /// Disarm timer `id`.
    pub fn cancel_timer(&mut self, id: TimerId) {
        self.actions.push(Action::CancelTimer { id });
    }

    /// trigger an indication (⟨Decide | v⟩, ⟨Deliver | p, m⟩, …) to the layer above.
    pub fn output(&mut self, out: P::Output) {
        self.actions.push(Action::Output(out));
    }

    /// store(key ↦ value) in stable storage, synchronously (CGR §2.2.4).
    ///
    /// # Panics
    /// Only if `value`'s `Serialize` impl fails, which plain data types never do.
    pub fn store<T: serde::Serialize>(&mut self, key: &str, value: &T) {
        let text = serde_json::to_string(value).expect("plain data serializes to JSON");
        self.storage.insert(key.to_owned(), text);
    }

    /// retrieve(key) from stable storage; `None` if never stored or stored as another type.
    pub fn retrieve<T: serde::de::DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.storage.get(key).and_then(|text| serde_json::from_str(text).ok())
    }
}
