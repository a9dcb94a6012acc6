//! PBFT's messages and certificates (Castro & Liskov, OSDI'99, §4.1–§4.4), their validation,
//! and the lies a corrupted replica can tell with them ([`Byzantine`]).

use crate::adversary::Byzantine;
use crate::protocol::{NodeId, WireSize};
use crate::signature::{digest, Digest, Signed, SigningKey, DIGEST_BYTES, SIGNATURE_BYTES};

/// A view number; the primary of view v is replica v mod n (§4).
pub type View = u64;
/// A sequence number; 1 is the first.
pub type Seq = u64;

/// ⟨REQUEST, o, t, c⟩: operation `op` of client `client` with timestamp `timestamp` (§4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Operation {
    /// The client.
    pub client: NodeId,
    /// The client's timestamp: requests of one client are totally ordered by it.
    pub timestamp: u64,
    /// The operation.
    pub op: u64,
}

/// What a sequence number is bound to: a client's signed request, or `None`, the null request
/// a new primary uses to fill a gap (§4.4).
pub type Batch = Option<Signed<Operation>>;

/// The digest D(m) of a batch (the null request has its own digest).
pub fn batch_digest(batch: &Batch) -> Digest {
    digest(&batch.as_ref().map(|r| r.body))
}

/// ⟨PRE-PREPARE, v, n, d⟩ signed by the primary of v (§4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PrePrepare {
    /// View.
    pub view: View,
    /// Sequence number.
    pub seq: Seq,
    /// Digest of the request.
    pub digest: Digest,
}

/// Which of the two all-to-all phases a vote belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// ⟨PREPARE, v, n, d, i⟩.
    Prepare,
    /// ⟨COMMIT, v, n, d, i⟩.
    Commit,
}

/// A PREPARE or COMMIT of replica `replica` (the signer), §4.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Vote {
    /// Prepare or commit.
    pub phase: Phase,
    /// View.
    pub view: View,
    /// Sequence number.
    pub seq: Seq,
    /// Digest of the request voted for.
    pub digest: Digest,
}

/// ⟨REPLY, v, t, c, i, r⟩ (§4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reply {
    /// The replica's current view (lets the client track the primary).
    pub view: View,
    /// The request's timestamp.
    pub timestamp: u64,
    /// The result of executing it.
    pub result: u64,
}

/// ⟨CHECKPOINT, n, d, i⟩ (§4.3): the state after executing sequence number `seq` has digest `state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Checkpoint {
    /// Sequence number of the last executed request.
    pub seq: Seq,
    /// State digest.
    pub state: Digest,
}

/// A prepared certificate (the Pm of §4.4): a pre-prepare and 2f matching prepares from
/// distinct backups of its view.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PreparedCert {
    /// The pre-prepare.
    pub pre_prepare: Signed<PrePrepare>,
    /// The request it orders.
    pub batch: Batch,
    /// 2f prepares.
    pub prepares: Vec<Signed<Vote>>,
}

/// ⟨VIEW-CHANGE, v+1, n, C, P, i⟩ (§4.4).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ViewChange {
    /// The view being moved to.
    pub view: View,
    /// n: the last stable checkpoint.
    pub stable: Seq,
    /// C: 2f+1 checkpoint messages proving it (empty for the initial state, `stable = 0`).
    pub proof: Vec<Signed<Checkpoint>>,
    /// P: a prepared certificate for every request prepared above `stable`.
    pub prepared: Vec<PreparedCert>,
}

/// ⟨NEW-VIEW, v+1, V, O⟩ (§4.4).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NewView {
    /// The new view.
    pub view: View,
    /// V: 2f+1 valid view-change messages.
    pub view_changes: Vec<Signed<ViewChange>>,
    /// O: the pre-prepares computed from V, with their requests.
    pub pre_prepares: Vec<(Signed<PrePrepare>, Batch)>,
}

/// PBFT's messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    /// Client → replicas.
    Request(Signed<Operation>),
    /// Primary → backups, with the request piggybacked.
    PrePrepare(Signed<PrePrepare>, Batch),
    /// Backup → all.
    Prepare(Signed<Vote>),
    /// Replica → all.
    Commit(Signed<Vote>),
    /// Replica → client.
    Reply(Signed<Reply>),
    /// Replica → all, every [`super::CHECKPOINT_INTERVAL`] requests.
    Checkpoint(Signed<Checkpoint>),
    /// Replica → all, to leave the current view.
    ViewChange(Signed<ViewChange>),
    /// New primary → all.
    NewView(Signed<NewView>),
    /// A replica behind a stable checkpoint asks for the requests up to `seq` (state transfer).
    FetchState(Seq),
    /// The executed batches 1..=seq.
    State(Seq, Vec<Batch>),
}

const SIGNED: usize = SIGNATURE_BYTES;

fn batch_bytes(b: &Batch) -> usize {
    1 + b.as_ref().map_or(0, |_| 24 + SIGNED)
}

fn cert_bytes(c: &PreparedCert) -> usize {
    (24 + SIGNED) + batch_bytes(&c.batch) + c.prepares.len() * (25 + DIGEST_BYTES + SIGNED)
}

fn view_change_bytes(v: &ViewChange) -> usize {
    16 + SIGNED
        + v.proof.len() * (8 + DIGEST_BYTES + SIGNED)
        + v.prepared.iter().map(cert_bytes).sum::<usize>()
}

impl WireSize for Msg {
    fn size_bytes(&self) -> usize {
        1 + match self {
            Msg::Request(_) => 24 + SIGNED,
            Msg::PrePrepare(_, b) => 16 + DIGEST_BYTES + SIGNED + batch_bytes(b),
            Msg::Prepare(_) | Msg::Commit(_) => 17 + DIGEST_BYTES + SIGNED,
            Msg::Reply(_) => 24 + SIGNED,
            Msg::Checkpoint(_) => 8 + DIGEST_BYTES + SIGNED,
            Msg::ViewChange(v) => view_change_bytes(&v.body),
            Msg::NewView(nv) => {
                8 + SIGNED
                    + nv.body.view_changes.iter().map(|v| view_change_bytes(&v.body)).sum::<usize>()
                    + nv.body
                        .pre_prepares
                        .iter()
                        .map(|(_, b)| 16 + DIGEST_BYTES + SIGNED + batch_bytes(b))
                        .sum::<usize>()
            }
            Msg::FetchState(_) => 8,
            Msg::State(_, batches) => 8 + batches.iter().map(batch_bytes).sum::<usize>(),
        }
    }
}

/// The primary of `view` among `n` replicas (§4: p = v mod |R|).
pub fn primary(view: View, n: usize) -> NodeId {
    (view % n as u64) as NodeId
}

/// The quorum sizes a replica uses: correct PBFT, or one smaller (the broken variant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quorums {
    /// Matching prepares (besides the pre-prepare) for "prepared": 2f.
    pub prepares: usize,
    /// Matching commits for "committed-local", checkpoints for "stable", view changes for a
    /// new view: 2f+1.
    pub quorum: usize,
    /// Matching replies a client waits for, state-transfer answers: f+1.
    pub weak: usize,
}

impl Quorums {
    /// PBFT's quorums for `n` replicas, f = ⌊(n−1)/3⌋; `smaller` takes one off 2f and 2f+1.
    pub fn new(n: usize, smaller: bool) -> Self {
        let f = (n - 1) / 3;
        let less = usize::from(smaller);
        Quorums { prepares: (2 * f).saturating_sub(less), quorum: 2 * f + 1 - less, weak: f + 1 }
    }
}

impl PreparedCert {
    /// §4.4: the pre-prepare is signed by its view's primary and matches the batch, and there
    /// are `q.prepares` matching prepares signed by distinct backups of that view.
    pub fn is_valid(&self, n: usize, q: Quorums) -> bool {
        let pp = &self.pre_prepare;
        let p = primary(pp.body.view, n);
        if !pp.verifies_as(p) || pp.body.digest != batch_digest(&self.batch) {
            return false;
        }
        if let Some(r) = &self.batch {
            if !r.verifies_as(r.body.client) {
                return false;
            }
        }
        let want = Vote {
            phase: Phase::Prepare,
            view: pp.body.view,
            seq: pp.body.seq,
            digest: pp.body.digest,
        };
        let signers: std::collections::BTreeSet<NodeId> = self
            .prepares
            .iter()
            .filter(|v| v.body == want && v.signer() != p && v.signer() < n && v.verifies())
            .map(|v| v.signer())
            .collect();
        signers.len() >= q.prepares
    }
}

/// §4.3: 2f+1 checkpoint messages signed by distinct replicas for one (seq, state); the
/// initial state (seq 0) needs none.
pub fn checkpoint_proven(
    seq: Seq,
    proof: &[Signed<Checkpoint>],
    n: usize,
    q: Quorums,
) -> Option<Digest> {
    if seq == 0 {
        return Some(0);
    }
    let state = proof.first()?.body.state;
    let signers: std::collections::BTreeSet<NodeId> = proof
        .iter()
        .filter(|c| c.body == Checkpoint { seq, state } && c.signer() < n && c.verifies())
        .map(|c| c.signer())
        .collect();
    (signers.len() >= q.quorum).then_some(state)
}

impl ViewChange {
    /// The checks of §4.4 on a view-change message for `view`: C proves `stable`, every
    /// certificate is valid, from a view below `view`, and above `stable`.
    pub fn is_valid(&self, view: View, n: usize, q: Quorums) -> bool {
        self.view == view
            && checkpoint_proven(self.stable, &self.proof, n, q).is_some()
            && self.prepared.iter().all(|c| {
                c.is_valid(n, q)
                    && c.pre_prepare.body.view < view
                    && c.pre_prepare.body.seq > self.stable
            })
    }
}

/// §4.4: the new primary's O from V: min-s = the latest stable checkpoint in V, max-s = the
/// highest prepared sequence number in V; for every n in (min-s, max-s] the batch of the
/// highest-view certificate for n, or the null request. Returns `(min-s, [(n, batch)])`.
pub fn new_view_order(view_changes: &[Signed<ViewChange>]) -> (Seq, Vec<(Seq, Batch)>) {
    let min_s = view_changes.iter().map(|v| v.body.stable).max().unwrap_or(0);
    let certs = view_changes.iter().flat_map(|v| v.body.prepared.iter());
    let max_s = certs.clone().map(|c| c.pre_prepare.body.seq).max().unwrap_or(min_s).max(min_s);
    let order = (min_s + 1..=max_s)
        .map(|seq| {
            let best = certs
                .clone()
                .filter(|c| c.pre_prepare.body.seq == seq)
                .max_by_key(|c| c.pre_prepare.body.view);
            (seq, best.and_then(|c| c.batch.clone()))
        })
        .collect();
    (min_s, order)
}

fn resign<T: std::hash::Hash + Clone>(
    s: &Signed<T>,
    key: &SigningKey,
    f: impl Fn(&mut T),
) -> Signed<T> {
    let mut body = s.body.clone();
    f(&mut body);
    if s.signer() == key.signer() {
        Signed::new(body, key)
    } else {
        Signed::forged(body, s.signer())
    }
}

fn null_digest() -> Digest {
    batch_digest(&None)
}

impl Byzantine for Msg {
    /// Side B hears of the null request wherever side A hears of a client request (a
    /// two-faced primary and two-faced voters, §4.2), twisted replies and checkpoints, view
    /// changes that hide their prepared certificates, and new views whose O is all null.
    fn equivocate(&self, key: &SigningKey) -> Self {
        let null = null_digest();
        match self {
            Msg::PrePrepare(pp, _) => Msg::PrePrepare(resign(pp, key, |b| b.digest = null), None),
            Msg::Prepare(v) => Msg::Prepare(resign(v, key, |b| b.digest = null)),
            Msg::Commit(v) => Msg::Commit(resign(v, key, |b| b.digest = null)),
            Msg::Reply(r) => Msg::Reply(resign(r, key, |b| b.result ^= 0x5eed)),
            Msg::Checkpoint(c) => Msg::Checkpoint(resign(c, key, |b| b.state ^= 1)),
            Msg::ViewChange(v) => Msg::ViewChange(resign(v, key, |b| b.prepared.clear())),
            Msg::NewView(nv) => Msg::NewView(resign(nv, key, |b| {
                for (pp, batch) in &mut b.pre_prepares {
                    *pp = resign(pp, key, |p| p.digest = null);
                    *batch = None;
                }
            })),
            Msg::State(seq, batches) => Msg::State(*seq, vec![None; batches.len()]),
            Msg::Request(_) | Msg::FetchState(_) => self.clone(),
        }
    }

    /// Votes and pre-prepares for the null request without a valid signature, replies in
    /// another replica's name, and view changes whose certificates are re-pointed at the null
    /// request with every signature forged.
    fn forge(&self, from: NodeId, n: usize) -> Option<Self> {
        let null = null_digest();
        let forge_vote = |v: &Signed<Vote>| Signed::forged(Vote { digest: null, ..v.body }, from);
        match self {
            Msg::PrePrepare(pp, _) => Some(Msg::PrePrepare(
                Signed::forged(PrePrepare { digest: null, ..pp.body }, from),
                None,
            )),
            Msg::Prepare(v) => Some(Msg::Prepare(forge_vote(v))),
            Msg::Commit(v) => Some(Msg::Commit(forge_vote(v))),
            Msg::Reply(r) => Some(Msg::Reply(Signed::forged(
                Reply { result: r.body.result ^ 0x5eed, ..r.body },
                (from + 1) % n,
            ))),
            Msg::ViewChange(v) if !v.body.prepared.is_empty() => {
                let mut body = v.body.clone();
                for c in &mut body.prepared {
                    c.pre_prepare = Signed::forged(
                        PrePrepare { digest: null, ..c.pre_prepare.body },
                        c.pre_prepare.signer(),
                    );
                    c.batch = None;
                    for p in &mut c.prepares {
                        *p = Signed::forged(Vote { digest: null, ..p.body }, p.signer());
                    }
                }
                Some(Msg::ViewChange(Signed::new(body, &SigningKey::of(from))))
            }
            _ => None,
        }
    }
}
