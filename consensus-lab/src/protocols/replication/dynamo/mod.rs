//! A leaderless, Dynamo-style replicated key-value store: DeCandia et al., "Dynamo: Amazon's
//! Highly Available Key-value Store", SOSP 2007 — §4.5 (get/put with read and write quorums
//! R and W: "setting R + W > N yields a quorum-like system"), §5 (read repair), §4.7 (anti-entropy
//! with Merkle trees, [`super::merkle`]) — with last-writer-wins reconciliation by timestamp
//! (the "last write wins" of §6 rather than §4.4's vector clocks), checked by
//! [`crate::check::eventual`].
//!
//! ```text
//! replica state: store : key → (version, value)       version = (timestamp, coordinator, seq)
//! upon ⟨Put | k, v⟩ at coordinator c do
//!     item := ((now, c, seq), v); seq := seq + 1;
//!     forall q ∈ Π do send [WRITE, k, item] to q, retried until W acks; then ⟨PutOk⟩
//! upon ⟨Get | k⟩ at coordinator c do
//!     forall q ∈ Π do send [READ, k] to q, retried until R replies; then
//!     newest := the reply with the highest version; ⟨GetOk | newest.value⟩;
//!     forall replier q whose reply is older than newest do send [WRITE, k, newest] to q  (read repair)
//! upon [WRITE, k, item] at a replica do
//!     if store[k] = ⊥ ∨ store[k].version < item.version then store[k] := item;   (LWW)
//!     reply [ACK]
//! upon [READ, k] at a replica do reply [VALUE, store[k]]
//! every 100 ms, for 50 rounds: send [DIGEST, merkle(store)] to the next peer (round robin);
//!     the peer sends back its items in the differing buckets, the first replica answers with
//!     its own, and both merge by LWW                                              (anti-entropy)
//! ```
//!
//! Simplifications, each stated where a reader would trip on it: every replica holds every key
//! (N = n, no consistent-hashing ring and so no sloppy quorum or hinted handoff, §4.2, §4.6);
//! the coordinator is the replica the client contacted; read repair fixes only the replicas in
//! the read quorum; anti-entropy stops after 50 rounds so that runs end (Dynamo runs it forever);
//! volatile state only, so crash-stop (a recovered replica would come back empty).
//!
//! Timestamps are the coordinator's local clock. With `--drift`, a coordinator whose clock lags
//! gives a later write an older timestamp and LWW silently discards it — the lost update of
//! last-writer-wins; regularity then fails, as it should.
//!
//! Experiments: `dynamo` (r = w = ⌊n/2⌋ + 1, so r + w > n) and `dynamo-broken-small-quorums`
//! (w = ⌊n/2⌋ + 1, r = n − w, so r + w = n: a read quorum can miss the last write entirely).

use std::collections::{BTreeMap, BTreeSet};

use rand::Rng;

use crate::check::eventual::{self, Key, KvHistory};
use crate::check::register::{Access, RegisterOperation};
use crate::harness::{
    run_to_end, Comparison, FaultClass, Outcome, ProtocolEntry, RunConfig, RunReport,
};
use crate::protocol::{Context, NodeId, Protocol, Time, TimerId, WireSize};
use crate::protocols::replication::merkle::{bucket, MerkleTree};
use crate::sim::{HistoryEvent, Simulation, Streams, Workload};

/// Resend a request to replicas that have not answered, every this many µs.
pub const RETRY_PERIOD: Time = 30_000;
/// Time between two anti-entropy rounds of a replica, µs.
pub const ANTI_ENTROPY_PERIOD: Time = 100_000;
/// Anti-entropy rounds per replica before it stops (so that a run ends).
pub const ANTI_ENTROPY_ROUNDS: u64 = 50;

const RETRY: TimerId = 1;
const ANTI_ENTROPY: TimerId = 2;

/// Last-writer-wins order of writes: timestamp first, then coordinator and its sequence number
/// to break ties (so two writes never compare equal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// The coordinator's local clock at the put, µs.
    pub timestamp: Time,
    /// The coordinator.
    pub node: NodeId,
    /// The coordinator's put counter.
    pub seq: u64,
}

/// A value with its version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Item {
    /// Its LWW version.
    pub version: Version,
    /// The value.
    pub value: u64,
}

/// A client operation; `id` is unique in the run and names the operation in the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KvRequest {
    /// Operation id.
    pub id: u64,
    /// The key.
    pub key: Key,
    /// `Some(v)`: put v; `None`: get.
    pub put: Option<u64>,
}

/// The answer to a client operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KvOutput {
    /// ⟨PutOk⟩: W replicas stored the value.
    PutOk {
        /// The operation id.
        id: u64,
    },
    /// ⟨GetOk | v⟩: the newest of R replies (`None`: no replica had the key).
    GetOk {
        /// The operation id.
        id: u64,
        /// The value read.
        value: Option<u64>,
    },
}

/// What replicas send each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DynamoMsg {
    /// [WRITE, k, item]; `op` is `None` for a read repair (no ack wanted).
    Write {
        /// The put's id, or `None` for a repair.
        op: Option<u64>,
        /// The key.
        key: Key,
        /// The versioned value.
        item: Item,
    },
    /// [ACK] of a write.
    WriteAck {
        /// The put's id.
        op: u64,
    },
    /// [READ, k].
    Read {
        /// The get's id.
        op: u64,
        /// The key.
        key: Key,
    },
    /// [VALUE, store[k]].
    ReadReply {
        /// The get's id.
        op: u64,
        /// What the replica holds.
        item: Option<Item>,
    },
    /// [DIGEST, merkle(store)] of an anti-entropy round.
    Digest(MerkleTree),
    /// The sender's items in the buckets its digest comparison found different; `answer` asks
    /// the receiver to send its own items in those buckets back.
    Items {
        /// The buckets compared.
        buckets: Vec<usize>,
        /// The sender's items in them.
        items: Vec<(Key, Item)>,
        /// Whether the receiver should answer with its items.
        answer: bool,
    },
}

impl WireSize for DynamoMsg {
    fn size_bytes(&self) -> usize {
        const ITEM: usize = 32;
        match self {
            DynamoMsg::Write { .. } => 16 + ITEM,
            DynamoMsg::WriteAck { .. } => 8,
            DynamoMsg::Read { .. } => 16,
            DynamoMsg::ReadReply { .. } => 8 + ITEM,
            DynamoMsg::Digest(tree) => tree.size_bytes(),
            DynamoMsg::Items { buckets, items, .. } => {
                1 + 8 * buckets.len() + (8 + ITEM) * items.len()
            }
        }
    }
}

/// Quorum sizes and which repair mechanisms run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quorums {
    /// R: replies a get waits for.
    pub r: usize,
    /// W: acks a put waits for.
    pub w: usize,
    /// Read repair on (§5).
    pub read_repair: bool,
    /// Merkle-tree anti-entropy on (§4.7).
    pub anti_entropy: bool,
}

impl Quorums {
    /// r = w = ⌊n/2⌋ + 1 (r + w > n), read repair and anti-entropy on.
    pub fn strict(n: usize) -> Self {
        Quorums { r: n / 2 + 1, w: n / 2 + 1, read_repair: true, anti_entropy: true }
    }

    /// w = ⌊n/2⌋ + 1, r = n − w (r + w = n): reads may miss the last write.
    pub fn too_small(n: usize) -> Self {
        Quorums { r: n - (n / 2 + 1), ..Quorums::strict(n) }
    }
}

/// An operation this process coordinates.
#[derive(Debug, Clone)]
enum Pending {
    Put { key: Key, item: Item, acks: BTreeSet<NodeId> },
    Get { key: Key, replies: BTreeMap<NodeId, Option<Item>> },
}

impl Pending {
    fn answered(&self) -> BTreeSet<NodeId> {
        match self {
            Pending::Put { acks, .. } => acks.clone(),
            Pending::Get { replies, .. } => replies.keys().copied().collect(),
        }
    }

    fn request(&self, op: u64) -> DynamoMsg {
        match *self {
            Pending::Put { key, item, .. } => DynamoMsg::Write { op: Some(op), key, item },
            Pending::Get { key, .. } => DynamoMsg::Read { op, key },
        }
    }
}

/// One replica (and coordinator) of the store.
#[derive(Debug, Clone)]
pub struct DynamoReplica {
    quorums: Quorums,
    store: BTreeMap<Key, Item>,
    pending: BTreeMap<u64, Pending>,
    puts: u64,
    rounds: u64,
}

impl DynamoReplica {
    /// A replica with these quorum sizes and repair mechanisms.
    pub fn new(quorums: Quorums) -> Self {
        DynamoReplica {
            quorums,
            store: BTreeMap::new(),
            pending: BTreeMap::new(),
            puts: 0,
            rounds: 0,
        }
    }

    /// The replica's store: key → value.
    pub fn values(&self) -> BTreeMap<Key, u64> {
        self.store.iter().map(|(k, item)| (*k, item.value)).collect()
    }

    /// LWW merge: keep `item` if it is newer than what the store holds for `key`.
    fn merge(&mut self, key: Key, item: Item) {
        let slot = self.store.entry(key).or_insert(item);
        if slot.version < item.version {
            *slot = item;
        }
    }

    /// Start coordinating `pending` as operation `op`: ask every replica.
    fn coordinate(&mut self, ctx: &mut Context<'_, Self>, op: u64, pending: Pending) {
        ctx.broadcast_including_self(pending.request(op));
        if self.pending.is_empty() {
            ctx.set_timer(RETRY, RETRY_PERIOD);
        }
        self.pending.insert(op, pending);
    }

    /// A put with W acks or a get with R replies completes: answer the client, repair.
    fn try_complete(&mut self, ctx: &mut Context<'_, Self>, op: u64) {
        let Some(pending) = self.pending.get(&op) else { return };
        match pending {
            Pending::Put { acks, .. } if acks.len() >= self.quorums.w => {
                ctx.output(KvOutput::PutOk { id: op });
            }
            Pending::Get { key, replies } if replies.len() >= self.quorums.r => {
                let newest = replies.values().flatten().max().copied();
                ctx.output(KvOutput::GetOk { id: op, value: newest.map(|i| i.value) });
                if let (Some(item), true) = (newest, self.quorums.read_repair) {
                    let stale = replies.iter().filter(|(_, got)| **got < Some(item));
                    for (&q, _) in stale {
                        ctx.send(q, DynamoMsg::Write { op: None, key: *key, item });
                    }
                }
            }
            _ => return,
        }
        self.pending.remove(&op);
    }

    /// My items in `buckets`.
    fn items_in(&self, buckets: &[usize]) -> Vec<(Key, Item)> {
        self.store
            .iter()
            .filter(|(k, _)| buckets.contains(&bucket(**k)))
            .map(|(k, i)| (*k, *i))
            .collect()
    }
}

impl Protocol for DynamoReplica {
    type Message = DynamoMsg;
    type Request = KvRequest;
    type Output = KvOutput;

    fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
        if self.quorums.anti_entropy && ctx.n > 1 {
            ctx.set_timer(ANTI_ENTROPY, ANTI_ENTROPY_PERIOD);
        }
    }

    fn on_request(&mut self, ctx: &mut Context<'_, Self>, req: KvRequest) {
        let pending = match req.put {
            Some(value) => {
                let version = Version { timestamp: ctx.now, node: ctx.me, seq: self.puts };
                self.puts += 1;
                Pending::Put { key: req.key, item: Item { version, value }, acks: BTreeSet::new() }
            }
            None => Pending::Get { key: req.key, replies: BTreeMap::new() },
        };
        self.coordinate(ctx, req.id, pending);
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, msg: DynamoMsg) {
        match msg {
            DynamoMsg::Write { op, key, item } => {
                self.merge(key, item);
                if let Some(op) = op {
                    ctx.send(from, DynamoMsg::WriteAck { op });
                }
            }
            DynamoMsg::Read { op, key } => {
                ctx.send(from, DynamoMsg::ReadReply { op, item: self.store.get(&key).copied() });
            }
            DynamoMsg::WriteAck { op } => {
                if let Some(Pending::Put { acks, .. }) = self.pending.get_mut(&op) {
                    acks.insert(from);
                    self.try_complete(ctx, op);
                }
            }
            DynamoMsg::ReadReply { op, item } => {
                if let Some(Pending::Get { replies, .. }) = self.pending.get_mut(&op) {
                    replies.insert(from, item);
                    self.try_complete(ctx, op);
                }
            }
            DynamoMsg::Digest(theirs) => {
                let buckets = MerkleTree::build(&self.store).differing_buckets(&theirs);
                if !buckets.is_empty() {
                    let items = self.items_in(&buckets);
                    ctx.send(from, DynamoMsg::Items { buckets, items, answer: true });
                }
            }
            DynamoMsg::Items { buckets, items, answer } => {
                if answer {
                    let mine = self.items_in(&buckets);
                    ctx.send(from, DynamoMsg::Items { buckets, items: mine, answer: false });
                }
                for (key, item) in items {
                    self.merge(key, item);
                }
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_, Self>, timer: TimerId) {
        match timer {
            RETRY if !self.pending.is_empty() => {
                for (&op, pending) in &self.pending {
                    let answered = pending.answered();
                    for q in (0..ctx.n).filter(|q| !answered.contains(q)) {
                        ctx.send(q, pending.request(op));
                    }
                }
                ctx.set_timer(RETRY, RETRY_PERIOD);
            }
            ANTI_ENTROPY => {
                let peer = (ctx.me + 1 + (self.rounds as usize % (ctx.n - 1))) % ctx.n;
                ctx.send(peer, DynamoMsg::Digest(MerkleTree::build(&self.store)));
                self.rounds += 1;
                if self.rounds < ANTI_ENTROPY_ROUNDS {
                    ctx.set_timer(ANTI_ENTROPY, ANTI_ENTROPY_PERIOD);
                }
            }
            _ => {}
        }
    }
}

/// Keys the workload touches: few, so that reads and writes of one key interleave.
pub const KEYS: u64 = 4;

/// The client workload: `count` operations (default 40), `gap` µs apart on average (default
/// 3 ms; the comparison's load), each to a random coordinator, on one of [`KEYS`] keys; half are puts of a unique value.
pub fn workload(config: &RunConfig) -> Workload<KvRequest> {
    let mut rng = Streams::new(config.seed).workload;
    let (count, gap) =
        (config.workload.requests.unwrap_or(40), config.workload.request_gap.unwrap_or(3_000));
    Workload::open_loop(&mut rng, config.n, 0, gap, count, |i, rng| KvRequest {
        id: i as u64,
        key: rng.random_range(0..KEYS),
        put: rng.random_bool(0.5).then_some(i as u64 + 1),
    })
}

/// Simulate the store with `quorums` under `config` and check [`crate::check::eventual`]:
/// regularity per key, termination, convergence of the correct replicas' final stores.
pub fn run_dynamo(config: &RunConfig, quorums: Quorums) -> RunReport {
    let mut sim = Simulation::new(config.sim_config(), move |_, _| DynamoReplica::new(quorums))
        .with_workload(workload(config))
        .with_faults(config.fault_plan());
    sim.run();
    let correct = config.correct(&sim.history());
    let stores = correct
        .iter()
        .filter_map(|&p| sim.node(p).map(|r| (p, r.values())))
        .map(|(p, values)| (p, values.into_iter().map(|(k, v)| (k, v as i64)).collect()))
        .collect();
    let run = run_to_end(sim);
    let mut invoked: BTreeMap<u64, (Key, RegisterOperation)> = BTreeMap::new();
    let (mut outcomes, mut pairs) = (Vec::new(), Vec::new());
    for event in &run.history.events {
        match event {
            HistoryEvent::Request { time, node, request, accepted: true } => {
                let kind = match request.put {
                    Some(v) => Access::Write(v as i64),
                    None => Access::Read(None),
                };
                let op = RegisterOperation { process: *node, kind, invoke: *time, ret: None };
                invoked.insert(request.id, (request.key, op));
            }
            HistoryEvent::Output { time, node, output } => {
                let (KvOutput::PutOk { id } | KvOutput::GetOk { id, .. }) = *output;
                let Some((key, op)) = invoked.get_mut(&id) else { continue };
                op.ret = Some(*time);
                if let KvOutput::GetOk { value, .. } = *output {
                    op.kind = Access::Read(value.map(|v| v as i64));
                }
                outcomes.push(Outcome::output(*time, *node, format!("{:?} on key {key}", op.kind)));
                pairs.push((op.invoke, *time));
            }
            _ => {}
        }
    }
    let history = KvHistory { ops: invoked.into_values().collect(), stores, correct };
    let verdicts = eventual::check(&history);
    run.report_pairs(config, outcomes, &pairs, verdicts)
}

const DYNAMO_FAULTS: &str = "crash-stop of f ≤ n − max(r, w); loss, duplication, reordering, \
                             partitions that heal; no clock drift (LWW needs timestamps that \
                             follow real time)";

/// `dynamo`: r = w = ⌊n/2⌋ + 1, read repair, Merkle anti-entropy.
pub static DYNAMO: ProtocolEntry = ProtocolEntry {
    name: "dynamo",
    description: "leaderless KV store, r + w > n, LWW, read repair, Merkle anti-entropy",
    source: "DeCandia et al., SOSP 2007, §4.5, §4.7, §5",
    fault_model: DYNAMO_FAULTS,
    default_n: 3,
    byzantine: false,
    run: |config| run_dynamo(config, Quorums::strict(config.n)),
    comparison: Some(Comparison {
        name: "Dynamo (r = w = f + 1)",
        source: "DeCandia et al., SOSP 2007 §4.5, §4.7, §5 (leaderless, not linearizable)",
        row: 40,
        class: FaultClass::Crash,
        bound: "n ≥ 2f + 1 (r + w > n, r, w ≤ n − f)",
        nodes_for: |f| 2 * f + 1,
        run: |t| run_dynamo(&t.config, Quorums::strict(t.config.n)),
    }),
};

/// `dynamo-broken-small-quorums`: r + w = n.
pub static BROKEN_DYNAMO_SMALL_QUORUMS: ProtocolEntry = ProtocolEntry {
    name: "dynamo-broken-small-quorums",
    description:
        "BROKEN on purpose: the Dynamo-style store with r + w = n (w = ⌊n/2⌋ + 1): stale reads",
    source: "",
    fault_model: DYNAMO_FAULTS,
    default_n: 3,
    byzantine: false,
    run: |config| run_dynamo(config, Quorums::too_small(config.n)),
    comparison: None,
};

#[cfg(test)]
mod tests;
