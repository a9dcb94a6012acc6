//! Basic HotStuff: Yin, Malkhi, Reiter, Gueta, Abraham, "HotStuff: BFT Consensus with Linearity
//! and Responsiveness", PODC 2019, §4.1–§4.4 and Algorithm 2 ("Basic HotStuff"). n = 3f+1,
//! leader(v) = v mod n, quorum certificates (QCs) of n−f signed votes.
//!
//! ```text
//! PREPARE    leader: on n−f NEW-VIEW(v, prepareQC): highQC ← the highest justify;
//!                    curProposal ← createLeaf(highQC.node, cmd); send PREPARE(curProposal, highQC)
//!            replica: if node extends justify.node ∧ safeNode(node, justify): vote PREPARE
//!            safeNode ⇔ node extends lockedQC.node ∨ justify.view > lockedQC.view   (§4.2)
//! PRE-COMMIT leader: n−f PREPARE votes → prepareQC; send PRE-COMMIT(prepareQC)
//!            replica: prepareQC ← justify; vote PRE-COMMIT
//! COMMIT     leader: n−f PRE-COMMIT votes → precommitQC; send COMMIT(precommitQC)
//!            replica: lockedQC ← precommitQC; vote COMMIT
//! DECIDE     leader: n−f COMMIT votes → commitQC; send DECIDE(commitQC)
//!            replica: execute the branch of commitQC.node; next view
//! nextView interrupt (timeout): send NEW-VIEW(curView+1, prepareQC) to the next leader
//! PACEMAKER  view v's timer expires: broadcast WISH(v+1, prepareQC) (also v+1's NEW-VIEW), stay
//!            in v (each later expiry in v sends the WISH again)
//!            f+1 replicas wish views ≥ w > my wish: wish w too
//!            n−f replicas wish views ≥ w > curView: enter w (NEW-VIEW to leader(w); timeout × 2)
//!            commitQC of view v ≥ curView (DECIDE or block sync): enter v+1 (timeout reset)
//! ```
//!
//! **View synchronization.** Algorithm 2 leaves nextView to a pacemaker, and liveness (§4.4,
//! Theorem 4) is owed only once, after GST, all correct replicas stay in one view with a correct
//! leader for a bounded time; the pacemaker must bring them there ("synchronization, bringing
//! all correct replicas, and a unique leader, into a common height for a sufficiently long
//! period", §6 Pacemaker). A pacemaker that moves each replica on its own timer does not: views
//! that drift apart before GST (a Byzantine leader deciding at some replicas only, held-back
//! NEW-VIEWs) stay apart, the replicas time out in lockstep one view apart once their timeouts
//! reach the cap, and no leader ever gets n−f NEW-VIEWs for its view (seed 178 of
//! `hotstuff-gst --byzantine 1 --strategy random`). This pacemaker synchronizes views the way
//! PBFT's view change does (Castro & Liskov OSDI'99 §4.5.2): a replica whose timer expires
//! wishes for the next view but stays in its own; f+1 wishes for higher views (one of them a
//! correct replica's) make it wish the lowest of those views too; n−f wishes (f+1 correct) make
//! it enter. After GST the first correct replica to enter view w holds n−f wishes, so every
//! correct replica has f+1 within Δ and n−f within 2Δ: all enter w within 2Δ of each other, and
//! f Byzantine replicas alone can make none wish or enter a view. A replica that learns of a
//! decision another way (block sync) enters the view after it, as a DECIDE would make it.
//!
//! Every phase is leader-to-all and all-to-leader, so a view costs O(n) messages (§4.4,
//! linearity); a QC is counted on the wire as one threshold signature (§3 "threshold
//! signatures"), though the lab carries the n−f individual votes to verify it.
//!
//! Lab choices: all replicas receive every client command; a leader proposes the smallest
//! command not yet in its branch, a no-op ([`NOOP`]) when every pending command is already in the
//! uncommitted branch, and stays idle when nothing is pending; a PREPARE carries the whole
//! branch (so a replica that missed views can check "extends" and commit ancestors); a replica
//! that sees a valid PREPARE of a later view jumps to it; a leader forms a QC for whichever node
//! gathers n−f votes first (for a correct leader only its own proposal can). [`Flaw::SmallQuorum`]
//! uses QCs of n−f−1 votes.

use std::collections::{BTreeMap, BTreeSet};

use crate::adversary::Byzantine;
use crate::protocol::{Context, NodeId, Protocol, Time, TimerId, WireSize};
use crate::signature::{
    digest, Digest, Signature, Signed, SigningKey, DIGEST_BYTES, SIGNATURE_BYTES,
};

/// A view number; view 0 is the genesis QC's.
pub type View = u64;

/// A tree node (a block): its parent's digest, height (genesis 0), command and proposing view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Node {
    /// Digest of the parent node.
    pub parent: Digest,
    /// Distance from genesis.
    pub height: u64,
    /// The client command.
    pub cmd: u64,
    /// The view that proposed it.
    pub view: View,
}

impl Node {
    /// The genesis node every branch starts from.
    pub const GENESIS: Node = Node { parent: 0, height: 0, cmd: 0, view: 0 };

    /// Its digest (the node's name in votes and QCs).
    pub fn id(&self) -> Digest {
        digest(self)
    }
}

/// The three voting phases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// PREPARE votes → prepareQC.
    Prepare,
    /// PRE-COMMIT votes → precommitQC.
    PreCommit,
    /// COMMIT votes → commitQC.
    Commit,
}

/// voteMsg(type, node, ⊥) of Algorithm 1, signed by the voter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Vote {
    /// Phase.
    pub phase: Phase,
    /// View.
    pub view: View,
    /// The node voted for.
    pub node: Node,
}

/// A quorum certificate: n−f signatures of one vote.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Qc {
    /// The vote all signatures sign.
    pub vote: Vote,
    /// The voters' signatures.
    pub sigs: Vec<Signature>,
}

impl Qc {
    /// The genesis QC (a prepareQC of view 0 on genesis; needs no signatures).
    pub fn genesis() -> Self {
        Qc { vote: Vote { phase: Phase::Prepare, view: 0, node: Node::GENESIS }, sigs: Vec::new() }
    }

    /// `quorum` valid signatures of distinct replicas of `0..n` on `self.vote`, or genesis.
    pub fn is_valid(&self, n: usize, quorum: usize) -> bool {
        if *self == Qc::genesis() {
            return true;
        }
        let signers: BTreeSet<NodeId> = self
            .sigs
            .iter()
            .filter(|s| s.signer < n && s.verifies(&self.vote))
            .map(|s| s.signer)
            .collect();
        signers.len() >= quorum
    }
}

/// Basic HotStuff's messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    /// NEW-VIEW(view, prepareQC), with the sender's committed height (for block sync):
    /// replica → leader(view).
    NewView(View, Qc, u64),
    /// PREPARE(branch ending in curProposal, highQC): leader → all.
    Prepare(View, Vec<Node>, Qc),
    /// A vote: replica → leader.
    Vote(Signed<Vote>),
    /// PRE-COMMIT(prepareQC), COMMIT(precommitQC), DECIDE(commitQC): leader → all; the phase
    /// is the QC's.
    Qc(Qc),
    /// Block sync (outside Algorithm 2): a replica whose NEW-VIEW or WISH shows it is behind
    /// gets the latest commitQC with its branch.
    Sync(Vec<Node>, Qc),
    /// WISH(view, prepareQC), with the sender's committed height: replica → all, the pacemaker's
    /// "I want to enter `view`" (PBFT's VIEW-CHANGE, OSDI'99 §4.5.2); leader(view) takes it as
    /// the sender's NEW-VIEW.
    Wish(View, Qc, u64),
}

const NODE_BYTES: usize = DIGEST_BYTES + 24;
const QC_BYTES: usize = 9 + NODE_BYTES + SIGNATURE_BYTES;

impl WireSize for Msg {
    fn size_bytes(&self) -> usize {
        1 + match self {
            Msg::NewView(..) | Msg::Wish(..) => 16 + QC_BYTES,
            Msg::Prepare(_, branch, _) => 8 + branch.len() * NODE_BYTES + QC_BYTES,
            Msg::Vote(_) => 9 + NODE_BYTES + SIGNATURE_BYTES,
            Msg::Qc(_) => QC_BYTES,
            Msg::Sync(branch, _) => branch.len() * NODE_BYTES + QC_BYTES,
        }
    }
}

fn twin(node: Node) -> Node {
    Node { cmd: node.cmd ^ (1 << 40), ..node }
}

impl Byzantine for Msg {
    /// Side B is proposed (and votes are cast for) a sibling node with another command.
    fn equivocate(&self, key: &SigningKey) -> Self {
        match self {
            Msg::Prepare(v, branch, qc) => {
                let mut branch = branch.clone();
                if let Some(last) = branch.last_mut() {
                    *last = twin(*last);
                }
                Msg::Prepare(*v, branch, qc.clone())
            }
            Msg::Vote(sv) if sv.signer() == key.signer() => {
                Msg::Vote(Signed::new(Vote { node: twin(sv.body.node), ..sv.body }, key))
            }
            _ => self.clone(),
        }
    }

    /// Votes without a valid signature, and certificates of a far later view whose every
    /// signature is forged.
    fn forge(&self, from: NodeId, n: usize) -> Option<Self> {
        let forged_qc = |vote: Vote| {
            let vote = Vote { view: vote.view + 1000, node: twin(vote.node), ..vote };
            Qc { vote, sigs: (0..n).map(|s| Signature::forged(s, &vote)).collect() }
        };
        match self {
            Msg::Vote(sv) => {
                Some(Msg::Vote(Signed::forged(Vote { node: twin(sv.body.node), ..sv.body }, from)))
            }
            Msg::Prepare(v, branch, qc) => {
                Some(Msg::Prepare(*v, branch.clone(), forged_qc(qc.vote)))
            }
            Msg::Qc(qc) => Some(Msg::Qc(forged_qc(qc.vote))),
            Msg::NewView(v, qc, h) => Some(Msg::NewView(*v, forged_qc(qc.vote), *h)),
            Msg::Wish(v, qc, h) => Some(Msg::Wish(*v, forged_qc(qc.vote), *h)),
            Msg::Sync(branch, qc) => Some(Msg::Sync(branch.clone(), forged_qc(qc.vote))),
        }
    }
}

/// ⟨Commit | height, cmd⟩: the replica executed `cmd` at `height` (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Commit {
    /// Height of the committed node.
    pub height: u64,
    /// Its command.
    pub cmd: u64,
}

/// A deliberate bug, for the sweeps to catch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flaw {
    /// Correct Basic HotStuff.
    #[default]
    None,
    /// QCs of n−f−1 votes.
    SmallQuorum,
}

/// The command of a no-op node.
pub const NOOP: u64 = 0;

/// The first view timeout, µs; doubled per view entered without a decision, up to 32 times this
/// (3.2 s, far above the 8 one-way delays plus 2Δ of entry skew a view with a correct leader
/// needs after GST at the lab's Δ).
const VIEW_TIMEOUT: Time = 100_000;
const VIEW_TIMER: TimerId = 1;

/// One Basic HotStuff replica (and, in its views, leader).
#[derive(Debug, Clone)]
pub struct HotStuff {
    me: NodeId,
    n: usize,
    quorum: usize,
    key: SigningKey,
    view: View,
    timeout: Time,
    locked: Qc,
    prepare_qc: Qc,
    nodes: BTreeMap<Digest, Node>,
    committed: Vec<Node>,
    last_commit_qc: Qc,
    voted: BTreeSet<(Phase, View)>,
    pending: BTreeSet<u64>,
    timer_armed: bool,
    // pacemaker state
    /// The highest view this replica has wished for (broadcast a WISH of).
    wish: View,
    /// The highest view each replica has wished for, as far as this one heard.
    wishes: BTreeMap<NodeId, View>,
    // leader state
    new_views: BTreeMap<View, BTreeMap<NodeId, Qc>>,
    proposed: BTreeSet<View>,
    votes: BTreeMap<Vote, BTreeMap<NodeId, Signature>>,
    announced: BTreeSet<Vote>,
}

fn leader(view: View, n: usize) -> NodeId {
    (view % n as u64) as NodeId
}

impl HotStuff {
    /// Replica `me` of `n` with `flaw`.
    pub fn new(me: NodeId, n: usize, flaw: Flaw) -> Self {
        let f = (n - 1) / 3;
        let quorum = n - f - usize::from(flaw == Flaw::SmallQuorum);
        let genesis = Node::GENESIS;
        HotStuff {
            me,
            n,
            quorum,
            key: SigningKey::of(me),
            view: 1,
            timeout: VIEW_TIMEOUT,
            locked: Qc::genesis(),
            prepare_qc: Qc::genesis(),
            nodes: [(genesis.id(), genesis)].into(),
            committed: Vec::new(),
            last_commit_qc: Qc::genesis(),
            voted: BTreeSet::new(),
            pending: BTreeSet::new(),
            timer_armed: false,
            wish: 1,
            wishes: BTreeMap::new(),
            new_views: BTreeMap::new(),
            proposed: BTreeSet::new(),
            votes: BTreeMap::new(),
            announced: BTreeSet::new(),
        }
    }

    /// The committed commands, in order (for tests).
    pub fn committed(&self) -> Vec<u64> {
        self.committed.iter().map(|b| b.cmd).collect()
    }

    /// `node`'s branch from genesis (exclusive), if every ancestor is known.
    fn branch(&self, node: &Node) -> Option<Vec<Node>> {
        let mut out = vec![*node];
        let mut cur = *node;
        while cur.height > 0 {
            cur = *self.nodes.get(&cur.parent)?;
            if cur.height > 0 {
                out.push(cur);
            }
        }
        out.reverse();
        Some(out)
    }

    fn extends(&self, node: &Node, ancestor: &Node) -> bool {
        let mut cur = *node;
        loop {
            if cur == *ancestor {
                return true;
            }
            if cur.height <= ancestor.height {
                return false;
            }
            match self.nodes.get(&cur.parent) {
                Some(p) => cur = *p,
                None => return false,
            }
        }
    }

    fn arm(&mut self, ctx: &mut Context<'_, Self>) {
        if self.pending.is_empty() {
            ctx.cancel_timer(VIEW_TIMER);
            self.timer_armed = false;
        } else {
            ctx.set_timer(VIEW_TIMER, self.timeout);
            self.timer_armed = true;
        }
    }

    fn send_new_view(&mut self, ctx: &mut Context<'_, Self>) {
        let height = self.committed.len() as u64;
        let msg = Msg::NewView(self.view, self.prepare_qc.clone(), height);
        ctx.send(leader(self.view, self.n), msg);
    }

    fn vote(&mut self, ctx: &mut Context<'_, Self>, phase: Phase, node: Node) {
        if self.voted.insert((phase, self.view)) {
            let v = Signed::new(Vote { phase, view: self.view, node }, &self.key);
            ctx.send(leader(self.view, self.n), Msg::Vote(v));
        }
    }

    /// The leader of `view`, with n−f NEW-VIEWs and a command to order, proposes.
    fn try_propose(&mut self, ctx: &mut Context<'_, Self>, view: View) {
        if leader(view, self.n) != self.me || view < self.view || self.proposed.contains(&view) {
            return;
        }
        let Some(nvs) = self.new_views.get(&view) else { return };
        if nvs.len() < self.quorum {
            return;
        }
        let high = nvs.values().max_by_key(|qc| qc.vote.view).expect("non-empty").clone();
        let parent = high.vote.node;
        let Some(mut branch) = self.branch(&parent) else { return };
        let in_branch: BTreeSet<u64> = branch.iter().map(|b| b.cmd).collect();
        if self.pending.is_empty() {
            return;
        }
        // Every pending command already sits in the uncommitted branch: propose a no-op
        // (command 0) on top so that the branch gets committed.
        let cmd = self.pending.iter().find(|c| !in_branch.contains(c)).copied().unwrap_or(NOOP);
        self.proposed.insert(view);
        self.view = view;
        if parent.height == 0 {
            branch.clear();
        }
        branch.push(Node { parent: parent.id(), height: parent.height + 1, cmd, view });
        let msg = Msg::Prepare(view, branch, high);
        ctx.broadcast_excluding_self(msg.clone());
        let me = self.me;
        self.on_message(ctx, me, msg);
    }

    fn on_prepare(
        &mut self,
        ctx: &mut Context<'_, Self>,
        from: NodeId,
        view: View,
        branch: Vec<Node>,
        justify: Qc,
    ) {
        if from != leader(view, self.n)
            || view < self.view
            || !justify.is_valid(self.n, self.quorum)
        {
            return;
        }
        let mut parent = Node::GENESIS;
        for node in &branch {
            if node.parent != parent.id() || node.height != parent.height + 1 {
                return;
            }
            parent = *node;
        }
        let Some(&proposal) = branch.last() else { return };
        for node in &branch {
            self.nodes.insert(node.id(), *node);
        }
        let safe = self.extends(&proposal, &self.locked.vote.node)
            || justify.vote.view > self.locked.vote.view;
        if proposal.parent != justify.vote.node.id() || proposal.view != view || !safe {
            return;
        }
        if view > self.view {
            self.view = view;
        }
        self.vote(ctx, Phase::Prepare, proposal);
    }

    fn on_vote(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, sv: Signed<Vote>) {
        let vote = sv.body;
        if !sv.verifies_as(from) || leader(vote.view, self.n) != self.me {
            return;
        }
        let voters = self.votes.entry(vote).or_default();
        voters.insert(from, sv.sig);
        if voters.len() < self.quorum || !self.announced.insert(vote) {
            return;
        }
        let qc = Qc { vote, sigs: voters.values().copied().collect() };
        let msg = Msg::Qc(qc);
        ctx.broadcast_excluding_self(msg.clone());
        let me = self.me;
        self.on_message(ctx, me, msg);
    }

    fn on_qc(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, qc: Qc) {
        let v = qc.vote;
        if from != leader(v.view, self.n) || !qc.is_valid(self.n, self.quorum) {
            return;
        }
        match v.phase {
            Phase::Prepare if v.view == self.view => {
                self.prepare_qc = qc; // PRE-COMMIT
                self.vote(ctx, Phase::PreCommit, v.node);
            }
            Phase::PreCommit if v.view == self.view => {
                self.locked = qc; // COMMIT
                self.vote(ctx, Phase::Commit, v.node);
            }
            Phase::Commit => self.on_commit_qc(ctx, qc), // DECIDE
            Phase::Prepare | Phase::PreCommit => {}
        }
    }

    /// A valid commitQC (DECIDE, or block sync): execute its branch and, if its view is this
    /// replica's or a later one, enter the next view with the first timeout.
    fn on_commit_qc(&mut self, ctx: &mut Context<'_, Self>, qc: Qc) {
        let v = qc.vote;
        self.nodes.insert(v.node.id(), v.node);
        self.execute(ctx, v.node);
        if v.node.height >= self.last_commit_qc.vote.node.height {
            self.last_commit_qc = qc;
        }
        if v.view >= self.view {
            self.view = v.view + 1;
            self.timeout = VIEW_TIMEOUT;
            self.send_new_view(ctx);
            self.arm(ctx);
        }
    }

    /// NEW-VIEW (sent to leader(view)) or WISH (sent to all, `wish`) from `from`, carrying its
    /// prepareQC and committed height: the leader of `view` collects it; a replica further
    /// ahead sends its latest commitQC (block sync); a wish feeds the pacemaker.
    fn on_new_view(
        &mut self,
        ctx: &mut Context<'_, Self>,
        from: NodeId,
        (view, qc, height): (View, Qc, u64),
        wish: bool,
    ) {
        let lead = leader(view, self.n) == self.me && view >= self.view;
        if !(lead || wish) || !qc.is_valid(self.n, self.quorum) || qc.vote.phase != Phase::Prepare {
            return;
        }
        if lead {
            self.new_views.entry(view).or_default().insert(from, qc);
        }
        if height < self.committed.len() as u64 && from != self.me {
            let head = self.last_commit_qc.clone();
            if let Some(branch) = self.branch(&head.vote.node) {
                ctx.send(from, Msg::Sync(branch, head));
            }
        }
        if lead {
            self.try_propose(ctx, view);
        }
        if wish {
            let known = self.wishes.entry(from).or_default();
            *known = (*known).max(view);
            self.synchronize(ctx);
        }
    }

    /// Broadcast WISH(`view`) and take it in as every other replica does.
    fn send_wish(&mut self, ctx: &mut Context<'_, Self>, view: View) {
        self.wish = view;
        let msg = Msg::Wish(view, self.prepare_qc.clone(), self.committed.len() as u64);
        ctx.broadcast_excluding_self(msg.clone());
        let me = self.me;
        self.on_message(ctx, me, msg);
    }

    /// The view that at least `k` replicas wish for (or, for this one, are in): the k-th
    /// highest of their latest wishes; 0 when fewer than `k` have wished.
    fn wished_by(&self, k: usize) -> View {
        let mut views: Vec<View> = (0..self.n)
            .map(|p| {
                let w = self.wishes.get(&p).copied().unwrap_or(0);
                if p == self.me {
                    w.max(self.view)
                } else {
                    w
                }
            })
            .collect();
        views.sort_unstable_by(|a, b| b.cmp(a));
        views.get(k.wrapping_sub(1)).copied().unwrap_or(0)
    }

    /// PBFT's view-change rules (OSDI'99 §4.5.2) over the replicas' wishes: f+1 of them for
    /// views ≥ w (one correct at least) → wish w; n−f (f+1 correct) → enter w.
    fn synchronize(&mut self, ctx: &mut Context<'_, Self>) {
        let f = (self.n - 1) / 3;
        let join = self.wished_by(f + 1);
        if join > self.wish.max(self.view) {
            self.send_wish(ctx, join);
        }
        let enter = self.wished_by(self.quorum);
        if enter > self.view {
            self.view = enter;
            self.timeout = (self.timeout * 2).min(VIEW_TIMEOUT << 5);
            if self.wish != enter {
                self.send_new_view(ctx); // a WISH(enter) of this replica already was one
            }
            self.arm(ctx);
            self.try_propose(ctx, enter);
        }
    }

    /// Execute the branch of a committed node (its uncommitted ancestors first). A node at a
    /// height already executed with another command is output too, for the checker to see.
    fn execute(&mut self, ctx: &mut Context<'_, Self>, node: Node) {
        let Some(branch) = self.branch(&node) else { return };
        for b in branch {
            let h = b.height as usize;
            if h <= self.committed.len() {
                if self.committed[h - 1] != b {
                    ctx.output(Commit { height: b.height, cmd: b.cmd });
                }
                continue;
            }
            self.committed.push(b);
            self.pending.remove(&b.cmd);
            ctx.output(Commit { height: b.height, cmd: b.cmd });
        }
    }
}

impl Protocol for HotStuff {
    type Message = Msg;
    type Request = u64;
    type Output = Commit;

    fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
        self.send_new_view(ctx);
    }

    /// A client command (every replica gets each one).
    fn on_request(&mut self, ctx: &mut Context<'_, Self>, cmd: u64) {
        if self.committed.iter().any(|b| b.cmd == cmd) {
            return;
        }
        self.pending.insert(cmd);
        if !self.timer_armed {
            self.arm(ctx);
        }
        let view = self.view;
        self.try_propose(ctx, view);
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, msg: Msg) {
        match msg {
            Msg::NewView(view, qc, height) => {
                self.on_new_view(ctx, from, (view, qc, height), false)
            }
            Msg::Wish(view, qc, height) => self.on_new_view(ctx, from, (view, qc, height), true),
            Msg::Sync(branch, qc) => {
                let chained = branch.last() == Some(&qc.vote.node)
                    && branch
                        .iter()
                        .try_fold(Node::GENESIS, |parent, node| {
                            (node.parent == parent.id() && node.height == parent.height + 1)
                                .then_some(*node)
                        })
                        .is_some();
                if qc.vote.phase == Phase::Commit && chained && qc.is_valid(self.n, self.quorum) {
                    for node in &branch {
                        self.nodes.insert(node.id(), *node);
                    }
                    self.on_commit_qc(ctx, qc);
                    if self.pending.is_empty() {
                        self.arm(ctx);
                    }
                }
            }
            Msg::Prepare(view, branch, justify) => {
                self.on_prepare(ctx, from, view, branch, justify)
            }
            Msg::Vote(sv) => self.on_vote(ctx, from, sv),
            Msg::Qc(qc) => self.on_qc(ctx, from, qc),
        }
    }

    /// nextView interrupt: wish for the next view, or again for the later one this replica
    /// already wishes for (its committed height, newer now, lets a replica further ahead sync
    /// it), and keep the timer running for whichever view it is in next.
    fn on_timer(&mut self, ctx: &mut Context<'_, Self>, _timer: TimerId) {
        self.timer_armed = false;
        if self.pending.is_empty() {
            return;
        }
        let next = self.wish.max(self.view + 1);
        self.send_wish(ctx, next);
        if !self.timer_armed {
            self.arm(ctx);
        }
    }
}

mod experiment;
pub use experiment::{BROKEN_HOTSTUFF_SMALL_QUORUM, COMMANDS, HOTSTUFF};

#[cfg(test)]
mod tests;
