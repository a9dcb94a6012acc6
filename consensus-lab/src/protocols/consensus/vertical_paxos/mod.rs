//! Vertical Paxos I: Lamport, Malkhi, Zhou, "Vertical Paxos and Primary-Backup Replication",
//! PODC 2009, §4 (Vertical Paxos I), with the primary-backup quorums of §5 inside each
//! configuration (write quorum = every acceptor of the configuration, read quorum = any one).
//! Process 0 is the auxiliary configuration *master*; processes 1‥n−1 are acceptors, leaders
//! and learners (the master learns too). Every ballot has its own configuration, chosen by the
//! master when it starts the ballot — reconfiguration is simply a new ballot.
//!
//! ```text
//! Master (completeBal = largest ballot known complete, initially 0):
//! upon ⟨Init⟩ or ⟨Reconfigure⟩ or ⟨Stuck⟩ (after probing which acceptors answer) do
//!     b ← next ballot; config(b) ← k live acceptors; leader(b) ← first of them
//!     send ⟨NewBallot | b, config(b), prevBal ← completeBal, config(c) for prevBal ≤ c < b⟩
//! upon ⟨Complete | b⟩ do completeBal ← max(completeBal, b)          (VP I activation)
//! Leader of b:
//! upon ⟨NewBallot⟩ do send ⟨1a | b⟩ to the acceptors of config(c), prevBal ≤ c < b
//! upon ⟨1b | b, vbal, vval⟩ from a read quorum of every config(c), prevBal ≤ c < b do
//!     v ← vval of the highest vbal reported, or the leader's own proposal if none
//!     send ⟨2a | b, v⟩ to config(b)
//! upon ⟨2b | b, v⟩ from a write quorum of config(b) do send ⟨Complete | b⟩ to the master
//! Acceptor a:
//! upon ⟨1a | b⟩ with b > maxBal do maxBal ← b; send ⟨1b | b, vbal, vval⟩
//! upon ⟨2a | b, v⟩ with b ≥ maxBal do maxBal, vbal ← b; vval ← v; send ⟨2b | b, v⟩ to all
//! Learner: upon ⟨2b | b, v⟩ from a write quorum of config(b) do ⟨Decide | v⟩
//! ```
//!
//! Why reading only from prevBal on is enough: ballot prevBal is complete, so its value v is
//! chosen and safe; any read quorum of config(prevBal) reports a vote at prevBal or above, so
//! the highest vote reported is at least prevBal, and every ballot in between was read by a
//! read quorum that now promises b. The master is assumed reliable (the paper implements it as
//! a replicated state machine): crashes that the seed draws for process 0 go to the last
//! acceptor instead. Configurations have k = ⌈(n−1)/2⌉ acceptors, so k−1 crashes always leave
//! a live read quorum of every configuration and enough acceptors for a new one.
//!
//! The deliberately broken variant ([`Flaw::SkipOldConfigs`]) lets a new ballot's leader skip
//! phase 1 on the old configurations — the "fresh configuration" shortcut — so a value chosen
//! by the old acceptors can be overwritten by another one in the new configuration.

use std::collections::{BTreeMap, BTreeSet};

use crate::harness::{consensus_report, Outcome, ProtocolEntry, RunConfig, RunReport, Simulated};
use crate::protocol::{Context, NodeId, Protocol, Time, TimerId, WireSize};
use crate::sim::{Simulation, Streams, Workload};

/// A proposal value.
pub type Value = u64;
/// A ballot number, assigned by the master: 1, 2, 3 … (0 = none).
pub type Ballot = u64;
/// The acceptors of one ballot.
pub type Config = BTreeSet<NodeId>;

/// The master's process id.
pub const MASTER: NodeId = 0;

/// Vertical Paxos messages (§4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    /// Master → leader: run ballot `b` on `config`; read the configurations in `old`.
    NewBallot {
        /// The new ballot.
        ballot: Ballot,
        /// Its configuration.
        config: Config,
        /// `prevBal`, the largest complete ballot when this one started.
        prev: Ballot,
        /// `config(c)` for every `prev ≤ c < ballot`.
        old: Vec<(Ballot, Config)>,
    },
    /// Leader → master: ballot b is complete (a write quorum of config(b) accepted its value).
    Complete(Ballot),
    /// An undecided process tells the master the current ballot makes no progress.
    Stuck,
    /// Master → acceptor: are you up?
    Ping,
    /// Acceptor → master: yes.
    Pong,
    /// 1a: the leader of b asks for votes.
    P1a(Ballot),
    /// 1b: the acceptor's vbal and vval.
    P1b(Ballot, Ballot, Option<Value>),
    /// 2a: accept v in ballot b (configuration attached for the learners).
    P2a(Ballot, Value, Config),
    /// 2b: the acceptor voted v in b; sent to every learner.
    P2b(Ballot, Value, Config),
    /// A learner that knows the decision tells a laggard.
    Decided(Value),
    /// An undecided process asks whether anything was decided.
    Query,
}

impl WireSize for Msg {
    fn size_bytes(&self) -> usize {
        let c = |c: &Config| 8 * c.len();
        1 + match self {
            Msg::NewBallot { config, old, .. } => {
                16 + c(config) + old.iter().map(|(_, o)| 8 + c(o)).sum::<usize>()
            }
            Msg::Complete(_) | Msg::P1a(_) | Msg::Decided(_) => 8,
            Msg::Stuck | Msg::Ping | Msg::Pong | Msg::Query => 0,
            Msg::P1b(..) => 25,
            Msg::P2a(_, _, cfg) | Msg::P2b(_, _, cfg) => 16 + c(cfg),
        }
    }
}

/// ⟨Decide | v⟩.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decide(pub Value);

/// A deliberate bug, for testing the checkers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flaw {
    /// Correct Vertical Paxos I.
    #[default]
    None,
    /// A new ballot's leader does not read the old configurations: it proposes freely.
    SkipOldConfigs,
}

/// Acceptors per configuration for `n` processes: k = ⌈(n−1)/2⌉.
pub fn config_size(n: usize) -> usize {
    (n - 1).div_ceil(2)
}

const STUCK: TimerId = 1;
const LEAD: TimerId = 2;
const PROBE: TimerId = 3;
const PLAN: TimerId = 4;
/// An undecided process complains to the master after this long (plus 10 ms per id), µs.
const STUCK_AFTER: Time = 150_000;
/// The leader re-sends its 1a/2a to silent acceptors this often, µs.
const LEAD_RETRY: Time = 20_000;
/// The master waits this long for Pongs, µs.
const PROBE_WAIT: Time = 20_000;
/// The master starts no new ballot sooner than this after the previous one, µs.
const MIN_BALLOT_GAP: Time = 100_000;

#[derive(Debug, Clone, PartialEq, Eq)]
enum LeadPhase {
    Reading(BTreeMap<NodeId, (Ballot, Option<Value>)>),
    Writing(Value),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Leading {
    ballot: Ballot,
    config: Config,
    old: Vec<(Ballot, Config)>,
    phase: LeadPhase,
}

#[derive(Debug, Clone, Default)]
struct Master {
    /// config(b) of every ballot started so far.
    configs: BTreeMap<Ballot, Config>,
    complete_bal: Ballot,
    last_start: Time,
    probing: Option<BTreeSet<NodeId>>,
}

/// One Vertical Paxos process: the master (id 0) or an acceptor/leader/learner.
#[derive(Debug, Clone)]
pub struct VerticalPaxos {
    flaw: Flaw,
    /// When the master reconfigures on its own, µs (the "reconfigure while deciding" run).
    planned_reconfiguration: Option<Time>,
    master: Master,
    proposal: Option<Value>,
    leading: Option<Leading>,
    // acceptor (stable storage)
    max_bal: Ballot,
    vbal: Ballot,
    vval: Option<Value>,
    // learner
    votes: BTreeMap<Ballot, BTreeSet<NodeId>>,
    decided: Option<Value>,
    complaints: u32,
}

impl VerticalPaxos {
    /// A fresh process; the master reconfigures once at `planned_reconfiguration` if set.
    pub fn new(flaw: Flaw, planned_reconfiguration: Option<Time>) -> Self {
        VerticalPaxos {
            flaw,
            planned_reconfiguration,
            master: Master::default(),
            proposal: None,
            leading: None,
            max_bal: 0,
            vbal: 0,
            vval: None,
            votes: BTreeMap::new(),
            decided: None,
            complaints: 0,
        }
    }

    /// The decided value, if this process has learned one.
    pub fn decided(&self) -> Option<Value> {
        self.decided
    }

    /// Master only: config(b) of every ballot started so far.
    pub fn configurations(&self) -> &BTreeMap<Ballot, Config> {
        &self.master.configs
    }

    /// Master only: the largest ballot known complete (VP I's `completeBal`).
    pub fn complete_ballot(&self) -> Ballot {
        self.master.complete_bal
    }

    fn decide(&mut self, ctx: &mut Context<'_, Self>, v: Value) {
        if self.decided.is_none() {
            self.decided = Some(v);
            ctx.store("decided", &v);
            ctx.cancel_timer(STUCK);
            ctx.output(Decide(v));
        }
    }

    fn arm_stuck(&mut self, ctx: &mut Context<'_, Self>) {
        let wait = (STUCK_AFTER << self.complaints.min(3)) + 10_000 * ctx.me as Time;
        ctx.set_timer(STUCK, wait);
    }

    // ---- master ----

    /// Start ballot `b` on `config` with its first member as leader (§4 "the master").
    fn start_ballot(&mut self, ctx: &mut Context<'_, Self>, config: Config) {
        let ballot = self.master.configs.keys().next_back().copied().unwrap_or(0) + 1;
        let prev = self.master.complete_bal;
        let old: Vec<(Ballot, Config)> =
            self.master.configs.range(prev.max(1)..).map(|(b, c)| (*b, c.clone())).collect();
        self.master.configs.insert(ballot, config.clone());
        self.master.last_start = ctx.now;
        let leader = *config.first().expect("configurations are not empty");
        ctx.send(leader, Msg::NewBallot { ballot, config, prev, old });
    }

    /// k acceptors out of `alive`, starting at a position that rotates with the ballot.
    fn pick_config(&self, n: usize, alive: &BTreeSet<NodeId>) -> Option<Config> {
        let k = config_size(n);
        let mut candidates: Vec<NodeId> = alive.iter().copied().filter(|&p| p != MASTER).collect();
        if candidates.len() < k {
            return None;
        }
        let shift = (self.master.configs.len() * k) % candidates.len();
        candidates.rotate_left(shift);
        Some(candidates.into_iter().take(k).collect())
    }

    fn on_master_timer(&mut self, ctx: &mut Context<'_, Self>, timer: TimerId) {
        match timer {
            PLAN => {
                let all: BTreeSet<NodeId> = (1..ctx.n).collect();
                if let Some(config) = self.pick_config(ctx.n, &all) {
                    self.start_ballot(ctx, config);
                }
            }
            STUCK if self.decided.is_none() => {
                // the master learns too: a laggard master asks around
                ctx.broadcast_excluding_self(Msg::Query);
                self.complaints += 1;
                self.arm_stuck(ctx);
            }
            PROBE => {
                let alive = self.master.probing.take().unwrap_or_default();
                match self.pick_config(ctx.n, &alive) {
                    Some(config) => self.start_ballot(ctx, config),
                    None => self.probe(ctx), // not enough acceptors answered yet: ask again
                }
            }
            _ => {}
        }
    }

    fn probe(&mut self, ctx: &mut Context<'_, Self>) {
        self.master.probing = Some(BTreeSet::new());
        ctx.broadcast_excluding_self(Msg::Ping);
        ctx.set_timer(PROBE, PROBE_WAIT);
    }

    fn on_master_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, msg: &Msg) {
        match msg {
            Msg::Complete(b) => self.master.complete_bal = self.master.complete_bal.max(*b),
            Msg::Stuck => {
                if let Some(v) = self.decided {
                    ctx.send(from, Msg::Decided(v));
                } else if self.master.probing.is_none()
                    && ctx.now.saturating_sub(self.master.last_start) >= MIN_BALLOT_GAP
                {
                    self.probe(ctx);
                }
            }
            Msg::Pong => {
                if let Some(alive) = &mut self.master.probing {
                    alive.insert(from);
                }
            }
            _ => {}
        }
    }

    // ---- leader ----

    /// upon ⟨NewBallot⟩: phase 1 on the old configurations (or straight to phase 2).
    fn on_new_ballot(
        &mut self,
        ctx: &mut Context<'_, Self>,
        ballot: Ballot,
        config: Config,
        old: Vec<(Ballot, Config)>,
    ) {
        // A leader that already learned the decision still runs its ballot: reconfiguration
        // must move the chosen value into the new configuration before the old one retires.
        if ballot <= self.max_bal {
            return;
        }
        let old = if self.flaw == Flaw::SkipOldConfigs { Vec::new() } else { old };
        self.leading =
            Some(Leading { ballot, config, old, phase: LeadPhase::Reading(BTreeMap::new()) });
        self.lead(ctx);
    }

    /// Send (or re-send) whatever the current leader phase is waiting for.
    fn lead(&mut self, ctx: &mut Context<'_, Self>) {
        self.try_pick_value(ctx);
        let Some(l) = &self.leading else { return };
        match &l.phase {
            LeadPhase::Reading(p1b) => {
                let members: BTreeSet<NodeId> =
                    l.old.iter().flat_map(|(_, c)| c).copied().collect();
                for a in members.into_iter().filter(|a| !p1b.contains_key(a)) {
                    ctx.send(a, Msg::P1a(l.ballot));
                }
            }
            LeadPhase::Writing(v) => {
                let voted = self.votes.get(&l.ballot).cloned().unwrap_or_default();
                for &a in l.config.iter().filter(|a| !voted.contains(a)) {
                    ctx.send(a, Msg::P2a(l.ballot, *v, l.config.clone()));
                }
            }
        }
        ctx.set_timer(LEAD, LEAD_RETRY);
    }

    /// If a read quorum of every old configuration answered, choose the value (§4).
    fn try_pick_value(&mut self, ctx: &mut Context<'_, Self>) {
        let proposal = self.proposal;
        let Some(l) = &mut self.leading else { return };
        let LeadPhase::Reading(p1b) = &l.phase else { return };
        if !l.old.iter().all(|(_, c)| c.iter().any(|a| p1b.contains_key(a))) {
            return;
        }
        let highest = p1b.values().filter(|(vbal, _)| *vbal > 0).max_by_key(|(vbal, _)| *vbal);
        let Some(v) = highest.and_then(|(_, vval)| *vval).or(proposal) else { return };
        l.phase = LeadPhase::Writing(v);
        let (ballot, config) = (l.ballot, l.config.clone());
        for &a in &config {
            ctx.send(a, Msg::P2a(ballot, v, config.clone()));
        }
    }

    // ---- acceptor and learner ----

    fn on_p2a(&mut self, ctx: &mut Context<'_, Self>, b: Ballot, v: Value, config: Config) {
        if b < self.max_bal || !config.contains(&ctx.me) {
            return;
        }
        self.max_bal = b;
        self.vbal = b;
        self.vval = Some(v);
        ctx.store("acceptor", &(self.max_bal, self.vbal, self.vval));
        ctx.broadcast_including_self(Msg::P2b(b, v, config));
    }

    fn on_p2b(
        &mut self,
        ctx: &mut Context<'_, Self>,
        from: NodeId,
        b: Ballot,
        v: Value,
        config: Config,
    ) {
        let voters = self.votes.entry(b).or_default();
        voters.insert(from);
        if !config.is_subset(voters) {
            return;
        }
        self.decide(ctx, v);
        if self.leading.as_ref().is_some_and(|l| l.ballot == b) {
            self.leading = None;
            ctx.cancel_timer(LEAD);
            ctx.send(MASTER, Msg::Complete(b));
        }
    }
}

impl Protocol for VerticalPaxos {
    type Message = Msg;
    type Request = Value;
    type Output = Decide;

    /// upon ⟨Init⟩ (or recovery): the master starts ballot 1; acceptors reload their votes.
    fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
        self.decided = ctx.retrieve("decided");
        if ctx.me == MASTER {
            let all: BTreeSet<NodeId> = (1..ctx.n).collect();
            if let Some(config) = self.pick_config(ctx.n, &all) {
                self.start_ballot(ctx, config);
            }
            if let Some(at) = self.planned_reconfiguration {
                ctx.set_timer(PLAN, at);
            }
            if self.decided.is_none() {
                self.arm_stuck(ctx);
            }
            return;
        }
        (self.max_bal, self.vbal, self.vval) = ctx.retrieve("acceptor").unwrap_or((0, 0, None));
        self.proposal = ctx.retrieve("proposal");
        if self.decided.is_none() {
            self.arm_stuck(ctx);
        }
    }

    /// upon ⟨Propose | v⟩: remember it (a leader proposes it when every value is allowed).
    fn on_request(&mut self, ctx: &mut Context<'_, Self>, v: Value) {
        if self.proposal.is_none() && ctx.me != MASTER {
            self.proposal = Some(v);
            ctx.store("proposal", &v);
            self.try_pick_value(ctx);
        }
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, msg: Msg) {
        if ctx.me == MASTER {
            self.on_master_message(ctx, from, &msg);
        }
        if let (Some(v), Msg::Query) = (self.decided, &msg) {
            ctx.send(from, Msg::Decided(v));
        }
        match msg {
            Msg::NewBallot { ballot, config, old, .. } => {
                self.on_new_ballot(ctx, ballot, config, old)
            }
            Msg::Ping => ctx.send(from, Msg::Pong),
            Msg::P1a(b) if b > self.max_bal => {
                self.max_bal = b;
                ctx.store("acceptor", &(self.max_bal, self.vbal, self.vval));
                ctx.send(from, Msg::P1b(b, self.vbal, self.vval));
            }
            Msg::P1b(b, vbal, vval) => {
                if let Some(Leading { ballot, phase: LeadPhase::Reading(p1b), .. }) =
                    &mut self.leading
                {
                    if *ballot == b {
                        p1b.insert(from, (vbal, vval));
                        self.try_pick_value(ctx);
                    }
                }
            }
            Msg::P2a(b, v, config) => self.on_p2a(ctx, b, v, config),
            Msg::P2b(b, v, config) => self.on_p2b(ctx, from, b, v, config),
            Msg::Decided(v) => self.decide(ctx, v),
            Msg::P1a(_) | Msg::Complete(_) | Msg::Stuck | Msg::Pong | Msg::Query => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_, Self>, timer: TimerId) {
        if ctx.me == MASTER {
            return self.on_master_timer(ctx, timer);
        }
        match timer {
            LEAD if self.leading.is_some() => self.lead(ctx),
            STUCK if self.decided.is_none() => {
                self.complaints += 1;
                ctx.send(MASTER, Msg::Stuck);
                ctx.broadcast_excluding_self(Msg::Query);
                self.arm_stuck(ctx);
            }
            _ => {}
        }
    }
}

/// The master's planned reconfiguration in the experiments: 5 ms after start, while ballot 1
/// is still deciding.
pub const PLANNED_RECONFIGURATION: Time = 5_000;

/// Run Vertical Paxos with `flaw` under `config`: every acceptor proposes `100 + id` at a
/// uniform time in the first 2 ms; the master reconfigures at [`PLANNED_RECONFIGURATION`] and
/// whenever a process reports no progress. Crashes drawn for the master move to the highest
/// acceptor not already crashing. Checks the five consensus properties.
pub fn run_consensus(flaw: Flaw, config: &RunConfig) -> RunReport {
    use rand::Rng;
    let mut rng = Streams::new(config.seed).workload;
    let requests: Vec<(Time, NodeId, Value)> =
        (1..config.n).map(|p| (rng.random_range(0..2_000), p, 100 + p as Value)).collect();
    let mut plan = config.fault_plan();
    let crashed: BTreeSet<NodeId> = plan.crashes.iter().map(|c| c.1).collect();
    let substitute = (1..config.n).rev().find(|p| !crashed.contains(p)).unwrap_or(config.n - 1);
    for (_, node) in plan.crashes.iter_mut().chain(plan.recoveries.iter_mut()) {
        if *node == MASTER {
            *node = substitute;
        }
    }
    let mut sim = Simulation::new(config.sim_config(), move |_, _| {
        VerticalPaxos::new(flaw, Some(PLANNED_RECONFIGURATION))
    })
    .with_workload(Workload::scripted(requests))
    .with_faults(plan);
    sim.run();
    let run: Simulated<VerticalPaxos> = Simulated {
        history: sim.history(),
        metrics: sim.metrics(),
        trace: sim.trace().to_vec(),
        end_time: sim.now(),
    };
    let mut report = consensus_report(config, run, |v| *v, |Decide(v)| *v);
    if let Some(master) = sim.node(MASTER) {
        for (b, c) in master.configurations() {
            report.outcomes.push(Outcome::Summary(format!("ballot {b}: configuration {c:?}")));
        }
        let complete = master.complete_ballot();
        report.outcomes.push(Outcome::Summary(format!("largest complete ballot: {complete}")));
    }
    report
}

const VP_FAULTS: &str = "reliable master; crash-stop or crash-recovery of up to k-1 acceptors \
     (k = ceil((n-1)/2) per configuration); loss, duplication, reordering; partitions that heal";

/// `vertical-paxos`: correct Vertical Paxos I with a master-driven reconfiguration.
pub static VERTICAL_PAXOS: ProtocolEntry = ProtocolEntry {
    name: "vertical-paxos",
    description: "Vertical Paxos I, reconfiguration by an auxiliary master",
    source: "Lamport, Malkhi, Zhou, PODC 2009, §4",
    fault_model: VP_FAULTS,
    default_n: 7,
    byzantine: false,
    run: |config| run_consensus(Flaw::None, config),
    comparison: None,
};

/// `vertical-paxos-broken-no-read`: new ballots skip phase 1 on the old configurations.
pub static BROKEN_VERTICAL_PAXOS_SKIP_OLD_CONFIG: ProtocolEntry = ProtocolEntry {
    name: "vertical-paxos-broken-no-read",
    description:
        "BROKEN on purpose: Vertical Paxos whose new ballots do not read the old configurations",
    source: "",
    fault_model: VP_FAULTS,
    default_n: 7,
    byzantine: false,
    run: |config| run_consensus(Flaw::SkipOldConfigs, config),
    comparison: None,
};

#[cfg(test)]
mod tests;
