//! A Byzantine (1,N) **regular** register for n > 3f servers **without signatures**: the
//! "Double-Write Byzantine Quorum" algorithm, Cachin–Guerraoui–Rodrigues 2011, §4.7.3,
//! Algorithm 4.16 (after I. Abraham, G. Chockler, I. Keidar and D. Malkhi, "Byzantine disk
//! Paxos: optimal resilience with Byzantine shared memory", Distributed Computing 18(5), 2006,
//! and their "Wait-free regular storage from Byzantine components", MIT-LCS-TR-984, 2005).
//!
//! The book's text could not be consulted while writing this; the pseudocode below is the
//! algorithm as implemented, with the two places where it departs from a literal reading
//! marked (†).
//!
//! ```text
//! writer w:  upon ⟨Write | v⟩: wts := wts + 1; wval := v;
//!                send [PREWRITE, wts, v] to all servers;
//!            upon [PREACK, wts] from more than (N + f)/2 servers:
//!                send [WRITE, wts, wval] to all servers;
//!            upon [ACK, wts] from more than (N + f)/2 servers: ⟨WriteReturn⟩
//! server p:  (pts, pval) := (0, ⊥) pre-written; (ts, val) := (0, ⊥) written;
//!            upon [PREWRITE, pts', v'] from w such that pts' = pts + 1 (and ts = pts) (†1):
//!                (pts, pval) := (pts', v'); send [PREACK, pts] to w
//!            upon [WRITE, ts', v'] from w such that ts' = pts ∧ ts' > ts (†1):
//!                (ts, val) := (ts', v'); send [ACK, ts] to w
//!            upon [READ, r] from q: send [VALUE, r, pts, pval, ts, val] to q,
//!                and again whenever (pts, pval, ts, val) changes while r is q's last READ (†2)
//! reader:    upon ⟨Read⟩: rid := rid + 1; readlist := [⊥]^N; send [READ, rid] to all servers;
//!            upon [VALUE, r, pts', pval', ts', val'] from q with r = rid
//!                    and (pts' = ts' + 1 ∨ (pts', pval') = (ts', val')):
//!                readlist[q] := (pts', pval', ts', val');
//!                if some (t, v) in readlist has authentic(t, v) and selectedmax(t, v):
//!                    ⟨ReadReturn | v⟩ for the highest such t
//! authentic(t, v):   more than f entries of readlist hold (t, v) pre-written or written
//! selectedmax(t, v): more than (N + f)/2 entries of readlist (a set Q) have their written
//!                    pair older than (t, v) or equal to it
//! ```
//!
//! (†1) "such that" is read as in CGR's notation: a message whose condition does not hold yet
//! waits until it does, so a correct server takes the writer's messages in the order
//! PREWRITE 1, WRITE 1, PREWRITE 2, … however the network reorders them; its state always has
//! pts = ts or pts = ts + 1, the consistency readers check. (†2) The book's reader sends
//! [READ, r] to q again after each reply that does not let it return; a server answering
//! again only when its state has changed gives the reader the same information without a
//! message loop in the simulator.
//!
//! **Why it is regular.** A value appears as *pre-written* at a correct server only if the writer
//! sent it, so a pair more than f servers vouch for is genuine (Byzantine servers are at most
//! f). The last completed write (t*, v*) is written at more than (N + f)/2 servers, so Q meets
//! them in more than f servers, one of them correct with written ts ≥ t*: selectedmax forces
//! t ≥ t*. **Why it is live with n > 3f.** A write phase starts only after more than (N + f)/2
//! servers pre-wrote, i.e. more than f correct ones: any pair written at a correct server is
//! authentic once their replies arrive, and the N − f > (N + f)/2 correct servers, once the
//! writes stop reaching them, form Q for the highest written pair. That is where n > 3f comes
//! from: the quorums must be reachable with f servers silent, N − f > (N + f)/2 ⇔ N > 3f.
//!
//! **The bound, at n = 3f** (tests in `double_write/tests.rs`): the algorithm's
//! quorums, > (N + f)/2 = 2f, are all N = 3f servers, and f silent servers block the first
//! write (termination fails). With the largest live quorums, N − f = 2f ([`Quorums::NMinusF`],
//! the `register-byzantine-double-write-broken-n-minus-f` twin), a read's Q and the last
//! write's quorum share only f servers, all of which may be Byzantine: they claim ⊥, a
//! correct server the write has not reached yet agrees, and a read that follows the write
//! returns ⊥ (regularity fails). At n = 3f + 1 the N − f quorums are the algorithm's.
//!
//! Servers are processes `0..n` (`--byzantine f` of them corrupted; the algorithm's f is that
//! number); the writer is process n and two readers are n + 1 and n + 2, all correct.

use std::collections::{BTreeMap, BTreeSet};

use crate::adversary::Byzantine;
use crate::check::register::{check_regular, Value};
use crate::harness::{ProtocolEntry, RunConfig, RunReport};
use crate::protocol::{Context, NodeId, WireSize};
use crate::protocols::registers::byzantine::quorum::{
    run_quorum_register, to_servers, OneRound, QuorumAlgorithm, QuorumRegister,
};
use crate::protocols::registers::regular::{RegRequest, RegReturn};
use crate::signature::SigningKey;

/// A timestamped value, `(ts, v)`; `(0, None)` is the initial ⊥.
pub type Pair = (u64, Option<Value>);

/// What a server holds, as it reports it in a VALUE: the pre-written and the written pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct State {
    /// (pts, pval).
    pub pre: Pair,
    /// (ts, val).
    pub written: Pair,
}

impl State {
    /// Nothing written: both pairs ⊥.
    pub const INITIAL: State = State { pre: (0, None), written: (0, None) };

    /// A correct server's state: pts = ts + 1 (a write under way) or both pairs equal.
    pub fn consistent(&self) -> bool {
        self.pre.0 == self.written.0 + 1 || self.pre == self.written
    }
}

/// The register's messages (no signatures anywhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Msg {
    /// [PREWRITE, ts, v], writer → servers.
    PreWrite(u64, Value),
    /// [PREACK, ts], server → writer.
    PreAck(u64),
    /// [WRITE, ts, v], writer → servers.
    Write(u64, Value),
    /// [ACK, ts], server → writer.
    Ack(u64),
    /// [READ, rid], reader → servers.
    Read(u64),
    /// [VALUE, rid, pts, pval, ts, val], server → reader.
    Value(u64, State),
}

impl WireSize for Msg {
    fn size_bytes(&self) -> usize {
        1 + match self {
            Msg::PreWrite(..) | Msg::Write(..) => 16,
            Msg::PreAck(_) | Msg::Ack(_) | Msg::Read(_) => 8,
            Msg::Value(..) => 8 + 2 * 17,
        }
    }
}

impl Byzantine for Msg {
    /// To side B a server claims nothing was written or pre-written yet: the answer of a
    /// correct server the write has not reached, so the two together vouch for ⊥.
    fn equivocate(&self, _key: &SigningKey) -> Self {
        match self {
            Msg::Value(rid, _) => Msg::Value(*rid, State::INITIAL),
            other => *other,
        }
    }

    /// A made-up newer (consistent) state: without signatures only the count of servers
    /// vouching for a pair marks it as false.
    fn forge(&self, _from: NodeId, _n: usize) -> Option<Self> {
        match self {
            Msg::Value(rid, held) => {
                let (ts, v) = held.pre;
                let fake = v.unwrap_or(0) ^ (1 << 40);
                let state = State { pre: (ts + 1000, Some(fake)), written: (ts + 999, Some(fake)) };
                Some(Msg::Value(*rid, state))
            }
            _ => None,
        }
    }
}

/// How big the write and read quorums are, for `n` servers of which `f` may be Byzantine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Quorums {
    /// Algorithm 4.16: more than (n + f)/2, i.e. ⌊(n + f)/2⌋ + 1.
    #[default]
    Byzantine,
    /// n − f: the largest quorum f silent servers cannot block; equal to the algorithm's at
    /// n = 3f + 1, one smaller at n = 3f.
    NMinusF,
}

impl Quorums {
    /// The quorum size for `n` servers and `f` Byzantine ones.
    pub fn size(self, n: usize, f: usize) -> usize {
        match self {
            Quorums::Byzantine => (n + f) / 2 + 1,
            Quorums::NMinusF => n.saturating_sub(f).max(1),
        }
    }
}

/// The read rule over `readlist` (consistent replies, one per server): the value of the
/// highest pair `(t, v)` that more than `f` entries vouch for (pre-written or written:
/// *authentic*) and for which at least `quorum` entries have a written pair older than `t` or
/// equal to `(t, v)` (*selectedmax*); `None` while no pair qualifies (the read waits).
pub fn select<'a>(
    readlist: impl IntoIterator<Item = &'a State> + Clone,
    f: usize,
    quorum: usize,
) -> Option<Option<Value>> {
    let mut candidates = BTreeSet::new();
    for s in readlist.clone() {
        candidates.insert(s.pre);
        candidates.insert(s.written);
    }
    candidates.into_iter().rev().find_map(|pair| {
        let authentic =
            readlist.clone().into_iter().filter(|s| s.pre == pair || s.written == pair).count() > f;
        let below = readlist
            .clone()
            .into_iter()
            .filter(|s| s.written.0 < pair.0 || s.written == pair)
            .count();
        (authentic && below >= quorum).then_some(pair.1)
    })
}

/// The algorithm's state at one process: a server's or a client's.
#[derive(Debug, Clone)]
pub struct DoubleWrite {
    servers: usize,
    f: usize,
    quorum: usize,
    // Server state.
    state: State,
    /// The writer's messages not applicable yet, by (ts, 0 = PREWRITE / 1 = WRITE).
    waiting: BTreeMap<(u64, u8), Value>,
    /// Reader → its last READ's rid: told again whenever `state` changes.
    listeners: BTreeMap<NodeId, u64>,
    // Writer state: the PREWRITE round, then the WRITE round (their wts move in step).
    prewrite: OneRound<()>,
    write: OneRound<()>,
    wval: Value,
    // Reader state.
    reading: bool,
    rid: u64,
    readlist: BTreeMap<NodeId, State>,
}

impl DoubleWrite {
    /// A process of a register with `servers` servers tolerating `f` Byzantine ones, with
    /// `quorums`.
    pub fn new(servers: usize, f: usize, quorums: Quorums) -> Self {
        let quorum = quorums.size(servers, f);
        DoubleWrite {
            servers,
            f,
            quorum,
            state: State::INITIAL,
            waiting: BTreeMap::new(),
            listeners: BTreeMap::new(),
            prewrite: OneRound::new(quorum),
            write: OneRound::new(quorum),
            wval: 0,
            reading: false,
            rid: 0,
            readlist: BTreeMap::new(),
        }
    }

    /// Server: apply the writer's waiting messages in order while the next one's condition
    /// holds; acknowledge each and tell the listening readers the new state.
    fn apply_waiting(&mut self, ctx: &mut Context<'_, QuorumRegister<Self>>) {
        let writer = self.servers;
        let mut changed = false;
        loop {
            let (pts, ts) = (self.state.pre.0, self.state.written.0);
            let next = if pts == ts { (pts + 1, 0) } else { (pts, 1) };
            let Some(v) = self.waiting.remove(&next) else { break };
            changed = true;
            if next.1 == 0 {
                self.state.pre = (next.0, Some(v));
                ctx.send(writer, Msg::PreAck(next.0));
            } else {
                self.state.written = (next.0, Some(v));
                ctx.send(writer, Msg::Ack(next.0));
            }
        }
        if changed {
            for (&reader, &rid) in &self.listeners {
                ctx.send(reader, Msg::Value(rid, self.state));
            }
        }
    }
}

impl QuorumAlgorithm for DoubleWrite {
    type Msg = Msg;

    fn start(&mut self, ctx: &mut Context<'_, QuorumRegister<Self>>, op: RegRequest) {
        match op {
            RegRequest::Write(v) => {
                self.wval = v;
                let wts = self.prewrite.begin_write();
                to_servers(ctx, self.servers, &Msg::PreWrite(wts, v));
            }
            RegRequest::Read => {
                self.rid += 1;
                self.readlist.clear();
                self.reading = true;
                to_servers(ctx, self.servers, &Msg::Read(self.rid));
            }
        }
    }

    fn serve(&mut self, ctx: &mut Context<'_, QuorumRegister<Self>>, from: NodeId, msg: Msg) {
        let writer = self.servers;
        let applied = |key: (u64, u8), s: &State| match key.1 {
            0 => key.0 <= s.pre.0,
            _ => key.0 <= s.written.0,
        };
        match msg {
            Msg::PreWrite(ts, v) | Msg::Write(ts, v) if from == writer => {
                let key = (ts, u8::from(matches!(msg, Msg::Write(..))));
                if !applied(key, &self.state) {
                    self.waiting.insert(key, v);
                    self.apply_waiting(ctx);
                }
            }
            Msg::Read(rid) if from > writer => {
                // READs may arrive out of order: the reader listens for its latest.
                let latest = self.listeners.entry(from).or_insert(rid);
                *latest = (*latest).max(rid);
                ctx.send(from, Msg::Value(rid, self.state));
            }
            _ => {}
        }
    }

    fn reply(
        &mut self,
        ctx: &mut Context<'_, QuorumRegister<Self>>,
        from: NodeId,
        msg: Msg,
    ) -> Option<RegReturn> {
        match msg {
            Msg::PreAck(ts) => {
                if self.prewrite.ack(from, ts).is_some() {
                    let wts = self.write.begin_write();
                    to_servers(ctx, self.servers, &Msg::Write(wts, self.wval));
                }
                None
            }
            Msg::Ack(ts) => self.write.ack(from, ts),
            Msg::Value(rid, state) if self.reading && rid == self.rid && state.consistent() => {
                // A correct server's state only grows; keep its most advanced reply.
                let entry = self.readlist.entry(from).or_insert(state);
                if (state.written.0, state.pre.0) > (entry.written.0, entry.pre.0) {
                    *entry = state;
                }
                let value = select(self.readlist.values(), self.f, self.quorum)?;
                self.readlist.clear();
                self.reading = false;
                Some(RegReturn::Read(value))
            }
            _ => None,
        }
    }
}

/// Run the register with `quorums` under `config` (`config.n` servers, f = `config.adversary.byzantine`)
/// and check termination (every operation returns) and regularity ([`check_regular`]); the
/// workload and adversary sides are [`run_quorum_register`]'s.
pub fn run_double_write_register(quorums: Quorums, config: &RunConfig) -> RunReport {
    let (n, f) = (config.n, config.adversary.byzantine);
    run_quorum_register(config, move |_| DoubleWrite::new(n, f, quorums), check_regular)
}

const FAULTS: &str = "Byzantine servers, n > 3f (--byzantine f, any --strategy); no signatures; \
                      correct writer and readers; reliable links with any latency, duplication, \
                      reordering";

/// `register-byzantine-double-write`: pre-write then write, quorums > (n + f)/2, n > 3f.
pub static DOUBLE_WRITE_REGISTER: ProtocolEntry = ProtocolEntry {
    name: "register-byzantine-double-write",
    description: "(1,N) regular register without signatures, n > 3f: the writer pre-writes then \
                  writes to quorums > (n+f)/2; a read returns a pair > f servers vouch for",
    source: "CGR 2011 §4.7 Alg. 4.16 Double-Write Byzantine Quorum; Abraham, Chockler, Keidar \
             & Malkhi, Distrib. Comput. 2006",
    fault_model: FAULTS,
    default_n: 4,
    byzantine: true,
    run: |config| run_double_write_register(Quorums::Byzantine, config),
    comparison: None,
};

/// `register-byzantine-double-write-broken-n-minus-f`: quorums of n − f, run at n = 3f.
pub static BROKEN_DOUBLE_WRITE_N_MINUS_F: ProtocolEntry = ProtocolEntry {
    name: "register-byzantine-double-write-broken-n-minus-f",
    description: "BEYOND THE BOUND on purpose: the double-write register with quorums of n - f, \
                  run at n = 3f (default n = 3, use --byzantine 1): two quorums share only f \
                  servers and a read after a write returns ⊥",
    source: "",
    fault_model: FAULTS,
    default_n: 3,
    byzantine: true,
    run: |config| run_double_write_register(Quorums::NMinusF, config),
    comparison: None,
};

#[cfg(test)]
mod tests;
