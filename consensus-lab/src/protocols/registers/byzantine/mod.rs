//! The Byzantine (1,N) regular register over self-verifying data: D. Malkhi and M. Reiter,
//! "Byzantine quorum systems", Distributed Computing 11(4), 1998 (dissemination quorum systems,
//! where the data is signed by its writer and servers cannot forge it); the same algorithm as
//! the "Authenticated-Data Byzantine Quorum" algorithm of CGR 2011 (chapter 4). Needs n > 3f servers.
//!
//! ```text
//! writer w (correct): upon ⟨Write | v⟩: wts := wts + 1; σ := sign_w(wts, v);
//!                     send [WRITE, wts, v, σ] to all servers;
//!                     upon [ACK, wts] from more than (n+f)/2 servers: ⟨WriteReturn⟩
//! server s:           upon [WRITE, ts, v, σ] from w with σ valid: if ts > ts_s then
//!                         (ts_s, v_s, σ_s) := (ts, v, σ); send [ACK, ts] to w
//!                     upon [READ, rid] from r: send [VALUE, rid, ts_s, v_s, σ_s] to r
//! reader r (correct): upon ⟨Read⟩: rid := rid + 1; send [READ, rid] to all servers;
//!                     upon [VALUE, rid, ts, v, σ] from more than (n+f)/2 servers, counting
//!                     only replies whose σ is the writer's valid signature of (ts, v) (or ⊥):
//!                     ⟨ReadReturn | the v of the highest ts⟩
//! ```
//!
//! Servers are processes `0..n` (any `--byzantine f` of them corrupted); the writer is process n
//! and two readers are n + 1 and n + 2, all correct. Safety rests on a write quorum and a read
//! quorum of more than (n+f)/2 each intersecting in more than f servers, hence in a correct one
//! that holds the last completed write; a Byzantine server can only hide it (answer ⊥ or an
//! older signed value) or send a value whose signature fails. [`Flaw::SmallQuorum`] takes one
//! off both quorums: the two can then meet only in a Byzantine server, and the sweep sees a read
//! return a value older than the last completed write.

use crate::adversary::Byzantine;
use crate::check::register::{check_regular, Value};
use crate::harness::{ProtocolEntry, RunConfig, RunReport};
use crate::protocol::{Context, NodeId, WireSize};
use crate::protocols::registers::regular::{RegRequest, RegReturn};
use crate::signature::{Signed, SigningKey, SIGNATURE_BYTES};

pub mod quorum;

use quorum::{run_quorum_register, to_servers, OneRound, QuorumAlgorithm, QuorumRegister};

/// The writer's signed statement: (timestamp, value).
pub type Stamped = Signed<(u64, Value)>;

/// The register's messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    /// [WRITE, ts, v, σ], writer → servers.
    Write(Stamped),
    /// [ACK, ts], server → writer.
    Ack(u64),
    /// [READ, rid], reader → servers.
    Read(u64),
    /// [VALUE, rid, ts, v, σ] (`None`: ⊥, nothing written yet), server → reader.
    Value(u64, Option<Stamped>),
}

impl WireSize for Msg {
    fn size_bytes(&self) -> usize {
        1 + match self {
            Msg::Write(_) => 16 + SIGNATURE_BYTES,
            Msg::Ack(_) | Msg::Read(_) => 8,
            Msg::Value(..) => 9 + 16 + SIGNATURE_BYTES,
        }
    }
}

impl Byzantine for Msg {
    /// To side B a server hides what it holds: its VALUE says ⊥ (the only lie it can tell
    /// without the writer's key); it acknowledges writes it may not keep.
    fn equivocate(&self, _key: &SigningKey) -> Self {
        match self {
            Msg::Value(rid, _) => Msg::Value(*rid, None),
            other => other.clone(),
        }
    }

    /// A VALUE with a far higher timestamp and another value under a forged writer signature
    /// (readers must reject it).
    fn forge(&self, _from: NodeId, n: usize) -> Option<Self> {
        match self {
            Msg::Value(rid, held) => {
                let (ts, v) = held.as_ref().map_or((0, 0), |s| s.body);
                Some(Msg::Value(*rid, Some(Signed::forged((ts + 1000, v ^ (1 << 40)), n))))
            }
            _ => None,
        }
    }
}

/// A deliberate bug, for the sweeps to catch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flaw {
    /// Quorums of ⌊(n+f)/2⌋ + 1.
    #[default]
    None,
    /// Quorums of ⌊(n+f)/2⌋: one smaller.
    SmallQuorum,
}

/// The algorithm's state at one process: a server's (`held`) or a client's.
#[derive(Debug, Clone)]
pub struct SignedData {
    servers: usize,
    key: SigningKey,
    // Server state.
    held: Option<Stamped>,
    // Client state.
    client: OneRound<Option<(u64, Value)>>,
}

impl SignedData {
    /// Process `me` of a register with `servers` servers and `flaw`.
    pub fn new(me: NodeId, servers: usize, flaw: Flaw) -> Self {
        let f = (servers - 1) / 3;
        let quorum = (servers + f) / 2 + usize::from(flaw == Flaw::None);
        SignedData { servers, key: SigningKey::of(me), held: None, client: OneRound::new(quorum) }
    }
}

impl QuorumAlgorithm for SignedData {
    type Msg = Msg;

    fn start(&mut self, ctx: &mut Context<'_, QuorumRegister<Self>>, op: RegRequest) {
        let msg = match op {
            RegRequest::Write(v) => {
                let wts = self.client.begin_write();
                Msg::Write(Signed::new((wts, v), &self.key))
            }
            RegRequest::Read => Msg::Read(self.client.begin_read()),
        };
        to_servers(ctx, self.servers, &msg);
    }

    fn serve(&mut self, ctx: &mut Context<'_, QuorumRegister<Self>>, from: NodeId, msg: Msg) {
        let writer = self.servers;
        match msg {
            Msg::Write(stamped) if from == writer && stamped.verifies_as(writer) => {
                let ts = stamped.body.0;
                if self.held.as_ref().is_none_or(|h| ts > h.body.0) {
                    self.held = Some(stamped);
                }
                ctx.send(from, Msg::Ack(ts));
            }
            Msg::Read(rid) => ctx.send(from, Msg::Value(rid, self.held.clone())),
            _ => {}
        }
    }

    fn reply(
        &mut self,
        _ctx: &mut Context<'_, QuorumRegister<Self>>,
        from: NodeId,
        msg: Msg,
    ) -> Option<RegReturn> {
        let writer = self.servers;
        match msg {
            Msg::Ack(ts) => self.client.ack(from, ts),
            Msg::Value(rid, held) => {
                let reply = match &held {
                    None => None,
                    Some(s) if s.verifies_as(writer) => Some(s.body),
                    Some(_) => return None, // a forged signature: not a reply
                };
                self.client.reply(from, rid, reply, |replies| {
                    let highest = replies.values().flatten().max_by_key(|(ts, _)| *ts);
                    highest.map(|&(_, v)| v)
                })
            }
            _ => None,
        }
    }
}

/// Operations per run (or `config.workload.requests`): every fourth a write by the writer, the rest reads
/// alternating between the two readers, open loop, [`GAP`] µs apart on average (or
/// `config.workload.request_gap`; workload stream). Shared by the Byzantine quorum registers.
pub const OPERATIONS: usize = 24;
/// Mean gap between operations, µs.
pub const GAP: u64 = 3_000;

/// Run the register with `flaw` under `config` (`config.n` servers) and check termination
/// (every operation returns) and regularity ([`check_regular`]); the workload and adversary
/// sides are [`run_quorum_register`]'s.
pub fn run_byzantine_register(flaw: Flaw, config: &RunConfig) -> RunReport {
    let n = config.n;
    run_quorum_register(config, move |me| SignedData::new(me, n, flaw), check_regular)
}

const FAULTS: &str = "Byzantine servers f < n/3 (--byzantine f, any --strategy); correct writer \
                      and readers; reliable links with any latency, duplication, reordering";

/// `register-byzantine`: the signed-data Byzantine quorum register.
pub static BYZANTINE_QUORUM_REGISTER: ProtocolEntry = ProtocolEntry {
    name: "register-byzantine",
    description: "(1,N) regular register over self-verifying (writer-signed) data, quorums > (n+f)/2",
    source: "Malkhi & Reiter, Distrib. Comput. 1998; CGR 2011 ch. 4, Authenticated-Data Byzantine Quorum",
    fault_model: FAULTS,
    default_n: 4,
    byzantine: true,
    run: |config| run_byzantine_register(Flaw::None, config),
    comparison: None,
};

/// `register-byzantine-broken-quorum`: both quorums one smaller.
pub static BROKEN_BYZANTINE_REGISTER_SMALL_QUORUM: ProtocolEntry = ProtocolEntry {
    name: "register-byzantine-broken-quorum",
    description: "BROKEN on purpose: the signed-data Byzantine register with quorums of ⌊(n+f)/2⌋",
    source: "",
    fault_model: FAULTS,
    default_n: 4,
    byzantine: true,
    run: |config| run_byzantine_register(Flaw::SmallQuorum, config),
    comparison: None,
};

#[cfg(test)]
mod tests;
