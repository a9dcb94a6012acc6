//! The Byzantine Generals: L. Lamport, R. Shostak, M. Pease, "The Byzantine Generals Problem",
//! ACM TOPLAS 4(3), 1982: the Oral Message algorithm OM(m) (§3) and the Signed Message
//! algorithm SM(m) (§4). A commander (process 0) sends an order to its n − 1 lieutenants;
//! **IC1**: all loyal lieutenants obey the same order; **IC2**: if the commander is loyal, every
//! loyal lieutenant obeys the order it sends.
//!
//! ```text
//! OM(0): the commander sends its value to every lieutenant; each uses the value it receives,
//!        or RETREAT if it receives none.
//! OM(m), m > 0: (1) the commander sends its value to every lieutenant; (2) lieutenant i, with
//!        v_i the value it received (RETREAT if none), acts as the commander in OM(m − 1) to send
//!        v_i to the n − 2 other lieutenants; (3) lieutenant i uses
//!        majority(v_1, …, v_{n−1}), v_j (j ≠ i) being the value j sent in step (2) as OM(m − 1)
//!        computed it at i (RETREAT if none). Works iff n > 3m (§3, Theorem 1).
//! SM(m): the commander signs and sends its value; lieutenant i, on v:0:j1:…:jk with valid
//!        signatures and v ∉ V_i, adds v to V_i and, if k < m, sends v:0:j1:…:jk:i to every
//!        lieutenant not in j1…jk; when no more messages can come, it obeys choice(V_i).
//!        Works for any number of traitors m (§4, Theorem 2).
//! ```
//!
//! Both run in synchronous rounds of [`ROUND`] µs (LSP's assumptions A1–A3: every message
//! between loyal generals arrives within the round it was sent in, the receiver knows its true
//! sender, and a missing message is detected at the round's end). A message of round r carries
//! a path (OM) or a signature chain (SM) of r + 1 generals; one arriving in another round is
//! dropped, as if never sent. OM(m)'s recursion is evaluated on the tree of paths its messages
//! fill (the "exponential information gathering" form of the algorithm); majority of a tie is
//! RETREAT, choice of anything but a single value is RETREAT.
//!
//! `m` is `--byzantine` when it is positive (the algorithm tolerating exactly the traitors
//! present), else the most the bound allows: ⌊(n − 1)/3⌋ for OM, n − 2 for SM.

use std::collections::{BTreeMap, BTreeSet};

use rand::Rng;

use crate::adversary::Byzantine;
use crate::check::Verdict;
use crate::harness::{simulate_byzantine, Outcome, ProtocolEntry, RunConfig, RunReport};
use crate::protocol::{Context, NodeId, Protocol, Time, TimerId, WireSize};
use crate::signature::{Signature, SigningKey, SIGNATURE_BYTES};
use crate::sim::{Streams, Workload};

/// The commander's process id.
pub const COMMANDER: NodeId = 0;
/// Length of one synchronous round, µs (above the default network's 10 ms worst latency).
pub const ROUND: Time = 20_000;

/// An order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Order {
    /// The default (LSP A3: what a missing message counts as).
    Retreat,
    /// Attack.
    Attack,
}

impl Order {
    fn flip(self) -> Order {
        match self {
            Order::Retreat => Order::Attack,
            Order::Attack => Order::Retreat,
        }
    }
}

/// Which of the two algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// OM(m), oral messages (§3).
    Oral,
    /// SM(m), signed messages (§4).
    Signed,
}

/// A general's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    /// OM: "`path[..k-1]` told `path[k-1]`, who now tells you, `order`" (`path[0]` = commander).
    Oral(Vec<NodeId>, Order),
    /// SM: `order` with a chain of signatures; entry i signs `(order, signers of entries 0..i)`.
    Signed(Order, Vec<Signature>),
}

impl WireSize for Msg {
    fn size_bytes(&self) -> usize {
        match self {
            Msg::Oral(path, _) => 2 + path.len(),
            Msg::Signed(_, chain) => 2 + chain.len() * SIGNATURE_BYTES,
        }
    }
}

/// The statement the i-th signer of an SM message signs.
fn statement(order: Order, earlier: &[Signature]) -> (Order, Vec<NodeId>) {
    (order, earlier.iter().map(|s| s.signer).collect())
}

impl Byzantine for Msg {
    /// Side B hears the other order. In SM only the sender's own signatures are re-made, so a
    /// traitorous commander can tell two stories and a traitorous lieutenant's twin fails to verify.
    fn equivocate(&self, key: &SigningKey) -> Self {
        match self {
            Msg::Oral(path, order) => Msg::Oral(path.clone(), order.flip()),
            Msg::Signed(order, chain) => {
                let order = order.flip();
                let mut twin: Vec<Signature> = Vec::with_capacity(chain.len());
                for s in chain {
                    let resigned = if s.signer == key.signer() {
                        key.sign(&statement(order, &twin))
                    } else {
                        *s
                    };
                    twin.push(resigned);
                }
                Msg::Signed(order, twin)
            }
        }
    }

    /// OM: a relay claiming to come from another general (authenticated channels reject it);
    /// SM: the other order under forged signatures (receivers reject it).
    fn forge(&self, from: NodeId, n: usize) -> Option<Self> {
        match self {
            Msg::Oral(path, order) => {
                let mut path = path.clone();
                *path.last_mut()? = (from + 1) % n;
                Some(Msg::Oral(path, order.flip()))
            }
            Msg::Signed(order, chain) => {
                let order = order.flip();
                let mut forged: Vec<Signature> = Vec::with_capacity(chain.len());
                for s in chain {
                    forged.push(Signature::forged(s.signer, &statement(order, &forged)));
                }
                Some(Msg::Signed(order, forged))
            }
        }
    }
}

/// A lieutenant's decision (the commander outputs nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Obey(pub Order);

/// One general.
#[derive(Debug, Clone)]
pub struct General {
    algorithm: Algorithm,
    m: usize,
    key: SigningKey,
    /// Rounds completed.
    round: usize,
    /// OM: path → order received along it (this round's and earlier).
    heard: BTreeMap<Vec<NodeId>, Order>,
    /// SM: V_i, and the chains to extend at the end of this round.
    values: BTreeSet<Order>,
    to_relay: Vec<(Order, Vec<Signature>)>,
}

impl General {
    /// General `me` running `algorithm` with parameter `m`.
    pub fn new(me: NodeId, algorithm: Algorithm, m: usize) -> Self {
        General {
            algorithm,
            m,
            key: SigningKey::of(me),
            round: 0,
            heard: BTreeMap::new(),
            values: BTreeSet::new(),
            to_relay: Vec::new(),
        }
    }

    /// Every path of `len` distinct generals starting at the commander and avoiding `me`.
    fn paths(n: usize, me: NodeId, len: usize) -> Vec<Vec<NodeId>> {
        let mut paths = vec![vec![COMMANDER]];
        for _ in 1..len {
            let mut longer = Vec::new();
            for p in &paths {
                for j in (0..n).filter(|j| *j != me && !p.contains(j)) {
                    let mut q = p.clone();
                    q.push(j);
                    longer.push(q);
                }
            }
            paths = longer;
        }
        paths
    }

    /// OM: the value of path σ at this lieutenant (step 3, recursively).
    fn om_value(&self, n: usize, me: NodeId, path: &[NodeId]) -> Order {
        let own = self.heard.get(path).copied().unwrap_or(Order::Retreat);
        if path.len() == self.m + 1 {
            return own;
        }
        let mut attack = usize::from(own == Order::Attack);
        let mut total = 1;
        for j in (0..n).filter(|j| *j != me && !path.contains(j)) {
            let mut child = path.to_vec();
            child.push(j);
            attack += usize::from(self.om_value(n, me, &child) == Order::Attack);
            total += 1;
        }
        match (2 * attack).cmp(&total) {
            std::cmp::Ordering::Greater => Order::Attack,
            _ => Order::Retreat, // a retreat majority, or a tie
        }
    }

    /// SM: is this a well-formed chain of `round + 1` valid signatures, ending with `from`?
    fn valid_chain(&self, me: NodeId, from: NodeId, order: Order, chain: &[Signature]) -> bool {
        let signers: BTreeSet<NodeId> = chain.iter().map(|s| s.signer).collect();
        chain.len() == self.round + 1
            && signers.len() == chain.len()
            && chain[0].signer == COMMANDER
            && chain.last().is_some_and(|s| s.signer == from)
            && !signers.contains(&me)
            && chain.iter().enumerate().all(|(i, s)| s.verifies(&statement(order, &chain[..i])))
    }
}

impl Protocol for General {
    type Message = Msg;
    type Request = Order;
    type Output = Obey;

    fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
        ctx.set_timer(0, ROUND);
    }

    /// The commander's order (round 0).
    fn on_request(&mut self, ctx: &mut Context<'_, Self>, order: Order) {
        if ctx.me != COMMANDER || self.round != 0 {
            return;
        }
        let msg = match self.algorithm {
            Algorithm::Oral => Msg::Oral(vec![COMMANDER], order),
            Algorithm::Signed => Msg::Signed(order, vec![self.key.sign(&statement(order, &[]))]),
        };
        ctx.broadcast_excluding_self(msg);
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, msg: Msg) {
        if ctx.me == COMMANDER || self.round > self.m {
            return;
        }
        match msg {
            Msg::Oral(path, order) => {
                let distinct: BTreeSet<NodeId> = path.iter().copied().collect();
                let ok = path.len() == self.round + 1
                    && distinct.len() == path.len()
                    && path[0] == COMMANDER
                    && path.last() == Some(&from)
                    && !path.contains(&ctx.me);
                if ok {
                    self.heard.entry(path).or_insert(order);
                }
            }
            Msg::Signed(order, chain) => {
                if self.valid_chain(ctx.me, from, order, &chain) && self.values.insert(order) {
                    // k = chain.len() − 1 lieutenants signed; relay if k < m.
                    if chain.len() <= self.m {
                        self.to_relay.push((order, chain));
                    }
                }
            }
        }
    }

    /// End of round `self.round`: relay what it asks, or decide after round m.
    fn on_timer(&mut self, ctx: &mut Context<'_, Self>, _timer: TimerId) {
        let (me, n) = (ctx.me, ctx.n);
        let ended = self.round;
        self.round += 1;
        if me == COMMANDER {
            return;
        }
        if ended == self.m {
            let order = match self.algorithm {
                Algorithm::Oral => self.om_value(n, me, &[COMMANDER]),
                Algorithm::Signed if self.values.len() == 1 => {
                    *self.values.first().expect("one value")
                }
                Algorithm::Signed => Order::Retreat,
            };
            ctx.output(Obey(order));
            return;
        }
        ctx.set_timer(0, ROUND);
        match self.algorithm {
            Algorithm::Oral => {
                for path in General::paths(n, me, ended + 1) {
                    let order = self.heard.get(&path).copied().unwrap_or(Order::Retreat);
                    let mut relayed = path.clone();
                    relayed.push(me);
                    for j in (0..n).filter(|j| !relayed.contains(j)) {
                        ctx.send(j, Msg::Oral(relayed.clone(), order));
                    }
                }
            }
            Algorithm::Signed => {
                for (order, mut chain) in std::mem::take(&mut self.to_relay) {
                    let signers: BTreeSet<NodeId> = chain.iter().map(|s| s.signer).collect();
                    chain.push(self.key.sign(&statement(order, &chain)));
                    for j in (1..n).filter(|j| *j != me && !signers.contains(j)) {
                        ctx.send(j, Msg::Signed(order, chain.clone()));
                    }
                }
            }
        }
    }
}

/// The `m` a run uses: `--byzantine` if positive, else the most the algorithm's bound allows.
pub fn parameter(algorithm: Algorithm, config: &RunConfig) -> usize {
    match (config.adversary.byzantine, algorithm) {
        (0, Algorithm::Oral) => (config.n - 1) / 3,
        (0, Algorithm::Signed) => config.n.saturating_sub(2),
        (k, _) => k,
    }
}

/// Run `algorithm` under `config`: the commander's order (ATTACK or RETREAT, workload stream)
/// arrives at time 0; check IC1, IC2 (when the commander is loyal) and that every loyal
/// lieutenant decides, over the loyal generals.
pub fn run_generals(algorithm: Algorithm, config: &RunConfig) -> RunReport {
    let m = parameter(algorithm, config);
    let mut rng = Streams::new(config.seed).workload;
    let order = if rng.random_bool(0.5) { Order::Attack } else { Order::Retreat };
    let workload = Workload::scripted([(0, COMMANDER, order)]);
    let run =
        simulate_byzantine(config, config.n, move |me, _| General::new(me, algorithm, m), workload);
    let loyal = config.correct(&run.history);
    let decisions: Vec<(Time, NodeId, Order)> = run
        .history
        .outputs()
        .filter(|(_, p, _)| loyal.contains(p))
        .map(|(t, p, o)| (t, p, o.0))
        .collect();
    let outcomes = decisions.iter().map(|(t, p, o)| Outcome::decided(*t, *p, o)).collect();
    let orders: BTreeSet<Order> = decisions.iter().map(|d| d.2).collect();
    let ic1 = (orders.len() > 1)
        .then(|| format!("loyal lieutenants obey different orders: {decisions:?}"));
    let ic2 = loyal.contains(&COMMANDER).then(|| {
        decisions.iter().find(|d| d.2 != order).map(|(_, p, o)| {
            format!("loyal commander ordered {order:?}; loyal lieutenant {p} obeys {o:?}")
        })
    });
    let undecided = loyal
        .iter()
        .find(|p| **p != COMMANDER && !decisions.iter().any(|d| d.1 == **p))
        .map(|p| format!("loyal lieutenant {p} never decided"));
    let verdicts = vec![
        Verdict::safety("IC1 agreement", ic1),
        Verdict::safety("IC2 validity", ic2.flatten()),
        Verdict::liveness("termination", undecided),
    ];
    let times: Vec<Time> = decisions.iter().map(|d| d.0).collect();
    run.report(config, outcomes, times, verdicts)
}

/// `om`: OM(m).
pub static ORAL_MESSAGES: ProtocolEntry = ProtocolEntry {
    name: "om",
    description: "Byzantine Generals with oral messages, OM(m), m = --byzantine or ⌊(n−1)/3⌋",
    source: "Lamport, Shostak, Pease, TOPLAS 1982, §3",
    fault_model: "m traitors (--byzantine m, any --strategy), the commander included; correct iff \
         n > 3m; synchronous rounds of 20 ms (latency must stay below 20 ms)",
    default_n: 4,
    byzantine: true,
    run: |config| run_generals(Algorithm::Oral, config),
    comparison: None,
};

/// `sm`: SM(m).
pub static SIGNED_MESSAGES: ProtocolEntry = ProtocolEntry {
    name: "sm",
    description: "Byzantine Generals with signed messages, SM(m), m = --byzantine or n−2",
    source: "Lamport, Shostak, Pease, TOPLAS 1982, §4",
    fault_model:
        "any number m of traitors (--byzantine m, any --strategy), the commander included; \
         unforgeable signatures; synchronous rounds of 20 ms (latency must stay below 20 ms)",
    default_n: 4,
    byzantine: true,
    run: |config| run_generals(Algorithm::Signed, config),
    comparison: None,
};

#[cfg(test)]
mod tests;
