//! A Byzantine (1,N) safe register **without signatures**: masking quorums. D. Malkhi and
//! M. Reiter, "Byzantine quorum systems", Distributed Computing 11(4), 1998, §4 (masking quorum
//! systems: any two quorums intersect in at least 2f + 1 servers, which needs n > 4f); the
//! same algorithm as Cachin–Guerraoui–Rodrigues 2011, chapter 4, Algorithm 4.14 "Byzantine Masking
//! Quorum".
//!
//! ```text
//! writer w:  upon ⟨Write | v⟩: wts := wts + 1; acklist := [⊥]^N;
//!                send [WRITE, wts, v] to all servers;
//!            upon [ACK, ts'] from q with ts' = wts: acklist[q] := ACK;
//!                if #(acklist) > (N + 2f)/2 then ⟨WriteReturn⟩
//! server p:  upon [WRITE, ts', v'] from w: if ts' > ts then (ts, val) := (ts', v');
//!                send [ACK, ts'] to w
//!            upon [READ, r] from q: send [VALUE, r, ts, val] to q
//! reader:    upon ⟨Read⟩: rid := rid + 1; readlist := [⊥]^N; send [READ, rid] to all servers;
//!            upon [VALUE, r, ts', v'] from q with r = rid: readlist[q] := (ts', v');
//!                if #(readlist) > (N + 2f)/2 then ⟨ReadReturn | byzhighval(readlist)⟩
//! byzhighval(readlist): the v of the highest (ts, v) that occurs more than f times in
//!                readlist, or ⊥ if none does
//! ```
//!
//! Without signatures a Byzantine server can claim any (ts, v), so a reader believes a pair
//! only when more than f servers vouch for it. A read quorum and the last write's quorum of
//! more than (N + 2f)/2 each share more than 2f servers, so more than f *correct* ones hold the
//! last write: it is vouched for, and anything newer the Byzantine servers make up has at most
//! f vouchers. Hence N > 4f: for the quorums to be reachable with f servers silent, a quorum
//! can have at most N − f members, and N − f > (N + 2f)/2 ⇔ N > 4f.
//!
//! **The bound, shown two ways at N = 4f** (tests in `register_masking/tests.rs`): with the
//! quorums of Algorithm 4.14 (> (N + 2f)/2 = 3f, i.e. 3f + 1 = N − f + 1 servers) f silent
//! Byzantine servers block every operation (termination fails); with the largest live quorums, N − f
//! ([`Quorums::NMinusF`], the `register-byzantine-masking-broken-n-minus-f` twin), a read quorum
//! meets the last write's quorum in only 2f servers: f of them Byzantine claiming "nothing
//! written" and a correct server the write has not reached yet out-vote the f correct holders of
//! the write, and a read that follows the write returns ⊥ (safety fails). At N = 4f + 1 the very
//! same N − f quorums are safe.
//!
//! Servers are processes `0..n` (`--byzantine f` of them corrupted; the algorithm's f is that
//! number); the writer is process n and two readers are n + 1 and n + 2, all correct.

use std::collections::BTreeMap;

use crate::adversary::Byzantine;
use crate::check::register::Value;
use crate::check::register_safe::check_safe;
use crate::harness::{ProtocolEntry, RunConfig, RunReport};
use crate::protocol::{Context, NodeId, WireSize};
use crate::protocols::registers::byzantine::quorum::{
    run_quorum_register, to_servers, OneRound, QuorumAlgorithm, QuorumRegister,
};
use crate::protocols::registers::regular::{RegRequest, RegReturn};
use crate::signature::SigningKey;

/// A server's state as a reader sees it: `(ts, v)`, `None` = ⊥ (nothing written).
pub type Held = Option<(u64, Value)>;

/// The register's messages (no signatures anywhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Msg {
    /// [WRITE, ts, v], writer → servers.
    Write(u64, Value),
    /// [ACK, ts], server → writer.
    Ack(u64),
    /// [READ, rid], reader → servers.
    Read(u64),
    /// [VALUE, rid, ts, v], server → reader.
    Value(u64, Held),
}

impl WireSize for Msg {
    fn size_bytes(&self) -> usize {
        1 + match self {
            Msg::Write(..) => 16,
            Msg::Ack(_) | Msg::Read(_) => 8,
            Msg::Value(..) => 25,
        }
    }
}

impl Byzantine for Msg {
    /// To side B a server claims nothing was written yet: the answer of a correct server the
    /// write has not reached, so the two together can vouch for ⊥.
    fn equivocate(&self, _key: &SigningKey) -> Self {
        match self {
            Msg::Value(rid, _) => Msg::Value(*rid, None),
            other => *other,
        }
    }

    /// A made-up newer pair: without signatures nothing marks it as false; only the count of
    /// servers vouching for it does.
    fn forge(&self, _from: NodeId, _n: usize) -> Option<Self> {
        match self {
            Msg::Value(rid, held) => {
                let (ts, v) = held.unwrap_or((0, 0));
                Some(Msg::Value(*rid, Some((ts + 1000, v ^ (1 << 40)))))
            }
            _ => None,
        }
    }
}

/// How big the quorums are, for `n` servers of which `f` may be Byzantine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Quorums {
    /// Algorithm 4.14: more than (n + 2f)/2, i.e. ⌊(n + 2f)/2⌋ + 1.
    #[default]
    Masking,
    /// n − f: the largest quorum that f silent servers cannot block; masking only if n > 4f.
    NMinusF,
}

impl Quorums {
    /// The quorum size for `n` servers and `f` Byzantine ones.
    pub fn size(self, n: usize, f: usize) -> usize {
        match self {
            Quorums::Masking => (n + 2 * f) / 2 + 1,
            Quorums::NMinusF => n.saturating_sub(f).max(1),
        }
    }
}

/// byzhighval: the value of the highest pair that more than `f` of `replies` vouch for, or ⊥.
pub fn byzhighval<'a>(replies: impl IntoIterator<Item = &'a Held>, f: usize) -> Option<Value> {
    let mut votes: BTreeMap<(u64, Value), usize> = BTreeMap::new();
    for pair in replies.into_iter().flatten() {
        *votes.entry(*pair).or_default() += 1;
    }
    votes.into_iter().rev().find(|(_, count)| *count > f).map(|((_, v), _)| v)
}

/// The algorithm's state at one process: a server's (`held`) or a client's.
#[derive(Debug, Clone)]
pub struct Masking {
    servers: usize,
    f: usize,
    // Server state.
    held: Held,
    // Client state.
    client: OneRound<Held>,
}

impl Masking {
    /// Process of a register with `servers` servers tolerating `f` Byzantine ones, with
    /// `quorums`.
    pub fn new(servers: usize, f: usize, quorums: Quorums) -> Self {
        Masking { servers, f, held: None, client: OneRound::new(quorums.size(servers, f)) }
    }
}

impl QuorumAlgorithm for Masking {
    type Msg = Msg;

    fn start(&mut self, ctx: &mut Context<'_, QuorumRegister<Self>>, op: RegRequest) {
        let msg = match op {
            RegRequest::Write(v) => Msg::Write(self.client.begin_write(), v),
            RegRequest::Read => Msg::Read(self.client.begin_read()),
        };
        to_servers(ctx, self.servers, &msg);
    }

    fn serve(&mut self, ctx: &mut Context<'_, QuorumRegister<Self>>, from: NodeId, msg: Msg) {
        match msg {
            Msg::Write(ts, v) if from == self.servers => {
                if self.held.is_none_or(|(held, _)| ts > held) {
                    self.held = Some((ts, v));
                }
                ctx.send(from, Msg::Ack(ts));
            }
            Msg::Read(rid) => ctx.send(from, Msg::Value(rid, self.held)),
            _ => {}
        }
    }

    fn reply(
        &mut self,
        _ctx: &mut Context<'_, QuorumRegister<Self>>,
        from: NodeId,
        msg: Msg,
    ) -> Option<RegReturn> {
        let f = self.f;
        match msg {
            Msg::Ack(ts) => self.client.ack(from, ts),
            Msg::Value(rid, held) => {
                self.client.reply(from, rid, held, |replies| byzhighval(replies.values(), f))
            }
            _ => None,
        }
    }
}

/// Run the register with `quorums` under `config` (`config.n` servers, f = `config.adversary.byzantine`)
/// and check termination (every operation returns) and the safe-register property
/// ([`check_safe`]). The workload and adversary sides are [`run_quorum_register`]'s (the
/// signed register's: [`OPERATIONS`](crate::protocols::registers::byzantine::OPERATIONS) operations,
/// [`GAP`](crate::protocols::registers::byzantine::GAP) µs apart on average, every fourth a
/// write; equivocating servers lie to reader n + 2).
pub fn run_masking_register(quorums: Quorums, config: &RunConfig) -> RunReport {
    let (n, f) = (config.n, config.adversary.byzantine);
    run_quorum_register(config, move |_| Masking::new(n, f, quorums), check_safe)
}

const FAULTS: &str = "Byzantine servers, n > 4f (--byzantine f, any --strategy); no signatures; \
                      correct writer and readers; reliable links with any latency, duplication, \
                      reordering";

/// `register-byzantine-masking`: masking quorums > (n + 2f) / 2, n > 4f.
pub static MASKING_QUORUM_REGISTER: ProtocolEntry = ProtocolEntry {
    name: "register-byzantine-masking",
    description: "(1,N) safe register without signatures, masking quorums > (n+2f)/2",
    source: "Malkhi & Reiter, Distrib. Comput. 1998 §4; CGR 2011 Alg. 4.14 Byzantine Masking \
             Quorum",
    fault_model: FAULTS,
    default_n: 5,
    byzantine: true,
    run: |config| run_masking_register(Quorums::Masking, config),
    comparison: None,
};

/// `register-byzantine-masking-broken-n-minus-f`: quorums of n − f, run at n = 4f.
pub static BROKEN_MASKING_N_MINUS_F: ProtocolEntry = ProtocolEntry {
    name: "register-byzantine-masking-broken-n-minus-f",
    description: "BEYOND THE BOUND on purpose: masking register with quorums of n - f, run at \
                  n = 4f (default n = 4): two quorums share only 2f servers and a read returns \
                  a stale value",
    source: "",
    fault_model: FAULTS,
    default_n: 4,
    byzantine: true,
    run: |config| run_masking_register(Quorums::NMinusF, config),
    comparison: None,
};

#[cfg(test)]
mod tests;
