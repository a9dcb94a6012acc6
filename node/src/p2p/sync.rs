//! Headers-first block download (sans-IO): the scheduler that decides which peer to ask for
//! what, checks what comes back, and hands blocks to import in chain order. The swarm task
//! owns one [`Downloader`] and turns its requests into request–response messages.
//!
//! The scheme is Bitcoin Core's headers-first sync (BIP 130's era, `net_processing.cpp`):
//! 1. ask the peer with the most work for headers after our [block locator](super::protocol::locator_heights),
//!    2,000 at a time;
//! 2. check every header's link, number, proof of work and ASERT `bits` before fetching any
//!    body, so a peer cannot make us download bodies for headers without work;
//! 3. fetch bodies for the oldest [`WINDOW`] queued headers from every idle peer in parallel,
//!    [`MAX_BODIES`] per request, each body checked against its header's transactions root;
//! 4. hand complete blocks to import strictly in order (the moving window's front).
//!
//! Each peer has at most one download request in flight. A peer that fails or times out has its
//! work handed to others and rests for [`STALL_PAUSE`].

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::time::{Duration, Instant};

use alloy_primitives::{Bytes, B256, U256};
use alloy_rlp::Decodable;
use quarry_primitives::{Block, Header, SignedTransaction};

use super::protocol::{Status, SyncRequest, MAX_BODIES, MAX_HEADERS};
use super::scoring::Misbehaviour;
use quarry_consensus::body::transactions_root;
use quarry_consensus::{check_pow, ChainRules, MAX_FUTURE_DRIFT};

/// Bodies are fetched only for this many queued headers from the front (the moving window).
pub const WINDOW: usize = 1_024;
/// No more headers are asked for while this many wait for their bodies.
pub const MAX_QUEUED_HEADERS: usize = 16_384;
/// Empty body answers in a row after which the queue is dropped.
pub const MAX_EMPTY_ANSWERS: u32 = 6;
/// How long a peer that failed a request is left alone.
pub const STALL_PAUSE: Duration = Duration::from_secs(15);

/// What the downloader needs to know about the local chain.
pub trait SyncView {
    /// A known header (any branch) by hash.
    fn header(&self, hash: &B256) -> Option<Header>;
    /// Cumulative work of the canonical tip.
    fn tip_work(&self) -> U256;
    /// Block locator of the canonical chain, newest first, ending at genesis.
    fn locator(&self) -> Vec<B256>;
    /// The chain's consensus rules (for ASERT's `bits`).
    fn rules(&self) -> &ChainRules;
    /// `true` if `header` is on the canonical chain.
    fn is_canonical(&self, header: &Header) -> bool;
    /// Seconds since the Unix epoch (headers more than [`MAX_FUTURE_DRIFT`] ahead wait).
    fn now(&self) -> u64;
}

#[derive(Debug)]
enum InFlight {
    Headers,
    Bodies(Vec<B256>),
}

#[derive(Debug, Default)]
struct PeerSync {
    status: Option<Status>,
    in_flight: Option<InFlight>,
    resting_until: Option<Instant>,
}

impl PeerSync {
    fn idle(&self, now: Instant) -> bool {
        self.in_flight.is_none() && self.resting_until.is_none_or(|t| t <= now)
    }
}

/// The headers-first download scheduler for peers identified by `P`.
#[derive(Debug)]
pub struct Downloader<P> {
    peers: HashMap<P, PeerSync>,
    /// The peer headers are being fetched from.
    header_peer: Option<P>,
    /// Hashes of checked headers whose blocks are not yet handed to import, oldest first.
    queue: VecDeque<B256>,
    /// The headers in `queue`, by hash (each hashed once, when it arrives).
    queued: HashMap<B256, Header>,
    /// Bodies received for queued headers, with the peer that served them.
    bodies: HashMap<B256, (Vec<SignedTransaction>, P)>,
    /// Queued headers whose bodies are being fetched, and from whom.
    assigned: HashMap<B256, P>,
    /// The newest header of the download so far (queued, handed to import, or already
    /// known): the next header request continues from it.
    cursor: Option<Header>,
    /// Empty body answers in a row: when nobody can serve the queue's front, it is dropped.
    empty_answers: u32,
}

impl<P: Copy + Eq + Hash + std::fmt::Debug> Default for Downloader<P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<P: Copy + Eq + Hash + std::fmt::Debug> Downloader<P> {
    /// An idle downloader with no peers.
    pub fn new() -> Self {
        Downloader {
            peers: HashMap::new(),
            header_peer: None,
            queue: VecDeque::new(),
            queued: HashMap::new(),
            bodies: HashMap::new(),
            assigned: HashMap::new(),
            cursor: None,
            empty_answers: 0,
        }
    }

    /// `true` while headers or bodies are being fetched or wait for import.
    pub fn is_syncing(&self) -> bool {
        self.header_peer.is_some() || !self.queue.is_empty()
    }

    /// The highest block number a peer has told us of (for `eth_syncing`).
    pub fn highest_known(&self) -> u64 {
        let from_peers = self.peers.values().filter_map(|p| p.status.as_ref().map(|s| s.number));
        let queued = self.queue.back().map(|h| self.queued[h].number);
        from_peers.chain(queued).max().unwrap_or(0)
    }

    /// The newest header of the download so far.
    fn last_header(&self) -> Option<&Header> {
        self.cursor.as_ref()
    }

    /// Headers checked and waiting for their bodies or import.
    pub fn queued_headers(&self) -> usize {
        self.queue.len()
    }

    /// A newly connected peer.
    pub fn add_peer(&mut self, peer: P) {
        self.peers.entry(peer).or_default();
    }

    /// A peer left: its requests are handed to others.
    pub fn remove_peer(&mut self, peer: &P) {
        self.release(peer);
        self.peers.remove(peer);
    }

    /// The peer's latest [`Status`].
    pub fn set_status(&mut self, peer: P, status: Status) {
        self.peers.entry(peer).or_default().status = Some(status);
    }

    /// The peer's last known status.
    pub fn status(&self, peer: &P) -> Option<&Status> {
        self.peers.get(peer).and_then(|p| p.status.as_ref())
    }

    /// The peer sent a block whose parent we do not have: fetch headers from it next, even if
    /// its status is stale.
    pub fn on_orphan(&mut self, peer: P, block_number: u64, work_hint: U256) {
        // A peer that left (or was banned) since it sent the block is not brought back.
        let Some(state) = self.peers.get_mut(&peer) else { return };
        match &mut state.status {
            Some(status) if status.number >= block_number && status.work >= work_hint => {}
            Some(status) => {
                status.number = status.number.max(block_number);
                status.work = status.work.max(work_hint);
            }
            None => {
                state.status = Some(Status {
                    genesis: B256::ZERO,
                    tip: B256::ZERO,
                    number: block_number,
                    work: work_hint,
                })
            }
        }
    }

    /// The peer failed a request (timeout, closed stream, refused): its work goes back to the
    /// pool and it rests for [`STALL_PAUSE`].
    pub fn on_failure(&mut self, peer: &P, now: Instant) {
        self.release(peer);
        if let Some(state) = self.peers.get_mut(peer) {
            state.resting_until = Some(now + STALL_PAUSE);
        }
    }

    fn release(&mut self, peer: &P) {
        if self.header_peer.as_ref() == Some(peer) {
            self.header_peer = None;
        }
        if let Some(state) = self.peers.get_mut(peer) {
            if let Some(InFlight::Bodies(hashes)) = state.in_flight.take() {
                for hash in hashes {
                    self.assigned.remove(&hash);
                }
            }
        }
    }

    /// Drops everything queued (after a block failed to import: what follows it is useless).
    pub fn reset(&mut self) {
        self.header_peer = None;
        self.clear_queue();
        self.cursor = None;
        self.empty_answers = 0;
        for state in self.peers.values_mut() {
            state.in_flight = None;
        }
    }

    /// Forgets the queued headers and their bodies, fetched or being fetched.
    fn clear_queue(&mut self) {
        self.queue.clear();
        self.queued.clear();
        self.bodies.clear();
        self.assigned.clear();
    }

    /// The requests to send now: at most one per idle peer.
    pub fn poll(&mut self, chain: &impl SyncView, now: Instant) -> Vec<(P, SyncRequest)> {
        let mut out = Vec::new();
        if self.queue.is_empty() && self.cursor.as_ref().is_some_and(|h| chain.is_canonical(h)) {
            // Everything downloaded is imported: the canonical chain is the reference again.
            self.cursor = None;
        }
        // Headers: from the peer with the most work beyond ours and beyond what is queued.
        if self.header_peer.is_none() && self.queue.len() < MAX_QUEUED_HEADERS {
            let ours = chain.tip_work();
            // Headers up to this height are already queued or imported.
            let last = self.last_header();
            let queued_to = last.map_or(0, |h| h.number);
            let best = self
                .peers
                .iter()
                .filter(|(_, s)| s.idle(now))
                .filter_map(|(p, s)| s.status.as_ref().map(|st| (p, st)))
                .filter(|(_, st)| st.work > ours && st.number > queued_to)
                .map(|(p, st)| (p, st.work))
                .max_by_key(|(_, work)| *work)
                .map(|(p, _)| *p);
            if let Some(peer) = best {
                let mut locator = chain.locator();
                if let Some(last) = last {
                    locator.insert(0, last.hash());
                    locator.truncate(super::protocol::MAX_LOCATOR);
                }
                self.header_peer = Some(peer);
                self.peers.get_mut(&peer).expect("chosen among peers").in_flight =
                    Some(InFlight::Headers);
                out.push((peer, SyncRequest::Headers { locator, max: MAX_HEADERS }));
            }
        }
        // Bodies: the window's unassigned headers, shared out among idle peers that are far
        // enough along.
        let mut wanted = self
            .queue
            .iter()
            .take(WINDOW)
            .filter(|hash| !self.bodies.contains_key(*hash) && !self.assigned.contains_key(*hash))
            .map(|hash| (*hash, self.queued[hash].number))
            .collect::<VecDeque<_>>();
        let mut idle: Vec<(P, u64)> = self
            .peers
            .iter()
            .filter(|(_, s)| s.idle(now))
            .filter_map(|(p, s)| s.status.as_ref().map(|st| (*p, st.number)))
            .collect();
        idle.sort_by_key(|(_, number)| std::cmp::Reverse(*number));
        for (peer, peer_number) in idle {
            if wanted.is_empty() {
                break;
            }
            let mut hashes = Vec::new();
            while hashes.len() < MAX_BODIES {
                match wanted.front() {
                    Some((_, number)) if *number <= peer_number => {
                        let (hash, _) = wanted.pop_front().expect("front exists");
                        hashes.push(hash);
                    }
                    _ => break,
                }
            }
            if hashes.is_empty() {
                continue;
            }
            for hash in &hashes {
                self.assigned.insert(*hash, peer);
            }
            self.peers.get_mut(&peer).expect("idle peer").in_flight =
                Some(InFlight::Bodies(hashes.clone()));
            out.push((peer, SyncRequest::Bodies { hashes }));
        }
        out
    }

    /// Headers from `peer`. Returns how many new headers were queued.
    ///
    /// # Errors
    /// [`Misbehaviour::WrongResponse`] if no headers were asked of this peer;
    /// [`Misbehaviour::InvalidHeaders`] if they do not link up, skip numbers, lack proof of
    /// work or carry the wrong `bits`.
    pub fn on_headers(
        &mut self,
        peer: P,
        headers: Vec<Header>,
        chain: &impl SyncView,
    ) -> Result<usize, Misbehaviour> {
        let state = self.peers.get_mut(&peer).ok_or(Misbehaviour::WrongResponse)?;
        if !matches!(state.in_flight, Some(InFlight::Headers)) {
            return Err(Misbehaviour::WrongResponse);
        }
        state.in_flight = None;
        if headers.len() > MAX_HEADERS as usize {
            self.header_peer = None;
            return Err(Misbehaviour::WrongResponse);
        }
        let full = headers.len() == MAX_HEADERS as usize;
        // Whatever the outcome, the next header request is chosen afresh (usually this peer
        // again if it still has the most work).
        self.header_peer = None;
        let Some(first) = headers.first() else {
            // Nothing after our locator: the peer has no more than we do.
            self.header_peer = None;
            if let Some(status) = self.peers.get_mut(&peer).and_then(|s| s.status.as_mut()) {
                status.work = status.work.min(chain.tip_work());
            }
            return Ok(0);
        };
        let mut parent = match self.last_header() {
            Some(last) if last.hash() == first.parent_hash => last.clone(),
            _ => match chain.header(&first.parent_hash) {
                Some(parent) => {
                    // The peer's chain forks off before our queued headers: they are stale.
                    self.clear_queue();
                    parent
                }
                None => {
                    self.header_peer = None;
                    return Err(Misbehaviour::InvalidHeaders);
                }
            },
        };
        let mut added = 0;
        let mut complete = !full;
        let now = chain.now();
        for header in headers {
            let valid = header.parent_hash == parent.hash()
                && header.number == parent.number + 1
                && header.bits == chain.rules().next_bits(&parent)
                && check_pow(&header).is_ok();
            if !valid {
                return Err(Misbehaviour::InvalidHeaders);
            }
            if header.timestamp > now.saturating_add(MAX_FUTURE_DRIFT) {
                // Not invalid, only early (our clock may be behind): stop here and ask again
                // at a later status round.
                complete = true;
                break;
            }
            let hash = header.hash();
            if chain.header(&hash).is_none() && !self.queued.contains_key(&hash) {
                self.queued.insert(hash, header.clone());
                self.queue.push_back(hash);
                added += 1;
            }
            parent = header;
        }
        // Continue from the last header of this batch, even one we already had (a side
        // branch we hold), so the next locator moves on.
        self.cursor = Some(parent);
        if complete && added == 0 {
            // The peer has nothing new for us: do not ask it again before its next status.
            let ours = chain.tip_work();
            if let Some(status) = self.peers.get_mut(&peer).and_then(|s| s.status.as_mut()) {
                status.work = status.work.min(ours);
            }
        }
        Ok(added)
    }

    /// Bodies from `peer`, in the order it was asked for them.
    ///
    /// # Errors
    /// [`Misbehaviour::WrongResponse`] if none were asked of this peer, more came than asked,
    /// or a body does not match its header's transactions root;
    /// [`Misbehaviour::Undecodable`] if a body is not an RLP list of transactions.
    pub fn on_bodies(
        &mut self,
        peer: P,
        bodies: Vec<Bytes>,
        now: Instant,
    ) -> Result<(), Misbehaviour> {
        let state = self.peers.get_mut(&peer).ok_or(Misbehaviour::WrongResponse)?;
        let Some(InFlight::Bodies(hashes)) = state.in_flight.take() else {
            return Err(Misbehaviour::WrongResponse);
        };
        if bodies.is_empty() {
            // The peer does not have them (another branch, or it pruned): ask others.
            state.resting_until = Some(now + STALL_PAUSE);
            self.empty_answers += 1;
        } else {
            self.empty_answers = 0;
        }
        for hash in &hashes {
            self.assigned.remove(hash);
        }
        if bodies.len() > hashes.len() {
            return Err(Misbehaviour::WrongResponse);
        }
        for (hash, body) in hashes.iter().zip(bodies) {
            let Some(header) = self.queued.get(hash) else { continue };
            let mut buf = &body[..];
            let transactions = Vec::<SignedTransaction>::decode(&mut buf)
                .map_err(|_| Misbehaviour::Undecodable)?;
            if !buf.is_empty() {
                return Err(Misbehaviour::Undecodable);
            }
            if transactions_root(&transactions) != header.transactions_root {
                return Err(Misbehaviour::WrongResponse);
            }
            self.bodies.insert(*hash, (transactions, peer));
        }
        Ok(())
    }

    /// Complete blocks at the front of the queue, in chain order, each with the peer that
    /// served its body. When [`MAX_EMPTY_ANSWERS`] peers in a row had no bodies for the
    /// queue, no one can serve that branch any more: the queue is dropped.
    pub fn ready_blocks(&mut self) -> Vec<(Block, P)> {
        let mut out = Vec::new();
        if self.empty_answers >= MAX_EMPTY_ANSWERS {
            self.reset();
            return out;
        }
        while let Some(hash) = self.queue.front() {
            let Some((transactions, peer)) = self.bodies.remove(hash) else { break };
            let header = self.queued.remove(hash).expect("every queued hash has its header");
            self.queue.pop_front();
            out.push((Block { header, transactions }, peer));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dev::dev_genesis;
    use quarry_consensus::header_work;
    use quarry_primitives::genesis::Genesis;
    use std::collections::HashSet;

    /// A header chain on the dev rules, mined with the portable search (dev targets are easy).
    struct Fake {
        rules: ChainRules,
        headers: HashMap<B256, Header>,
        canonical: Vec<B256>,
    }

    impl Fake {
        fn new(genesis: &Genesis) -> Fake {
            let (header, _) = crate::execution::genesis::genesis_block(genesis);
            Fake {
                rules: ChainRules::from_genesis(genesis).unwrap(),
                canonical: vec![header.hash()],
                headers: HashMap::from([(header.hash(), header)]),
            }
        }
        fn tip(&self) -> Header {
            self.headers[self.canonical.last().unwrap()].clone()
        }
    }

    impl SyncView for Fake {
        fn header(&self, hash: &B256) -> Option<Header> {
            self.headers.get(hash).cloned()
        }
        fn tip_work(&self) -> U256 {
            self.canonical.iter().map(|h| header_work(&self.headers[h]).unwrap()).sum()
        }
        fn locator(&self) -> Vec<B256> {
            let tip = self.canonical.len() as u64 - 1;
            super::super::protocol::locator_heights(tip)
                .into_iter()
                .map(|n| self.canonical[n as usize])
                .collect()
        }
        fn rules(&self) -> &ChainRules {
            &self.rules
        }
        fn is_canonical(&self, header: &Header) -> bool {
            self.canonical.get(header.number as usize) == Some(&header.hash())
        }
        fn now(&self) -> u64 {
            u64::MAX / 2
        }
    }

    fn mine_child(rules: &ChainRules, parent: &Header) -> Header {
        let mut header = Header {
            parent_hash: parent.hash(),
            number: parent.number + 1,
            timestamp: parent.timestamp + 2,
            gas_limit: parent.gas_limit,
            bits: rules.next_bits(parent),
            transactions_root: transactions_root(&[]),
            ..Header::default()
        };
        while check_pow(&header).is_err() {
            header.nonce += 1;
        }
        header
    }

    fn easy_genesis() -> Genesis {
        let mut g = dev_genesis(1_700_000_000);
        g.config.quarry.initial_bits = 0x207f_ffff;
        g
    }

    #[test]
    fn headers_first_then_bodies_in_parallel_then_blocks_in_order() {
        let genesis = easy_genesis();
        let local = Fake::new(&genesis);
        let mut remote = vec![local.tip()];
        for _ in 0..300 {
            let next = mine_child(&local.rules, remote.last().unwrap());
            remote.push(next);
        }
        let status = Status {
            genesis: remote[0].hash(),
            tip: remote[300].hash(),
            number: 300,
            work: U256::from(1u64 << 40),
        };
        let now = Instant::now();
        let mut d = Downloader::new();
        for p in [1u8, 2, 3] {
            d.add_peer(p);
            d.set_status(p, status.clone());
        }
        let requests = d.poll(&local, now);
        assert_eq!(requests.len(), 1, "only headers can be asked for at first");
        let (hpeer, SyncRequest::Headers { locator, .. }) = &requests[0] else { panic!() };
        assert_eq!(locator, &vec![remote[0].hash()]);
        assert_eq!(d.on_headers(*hpeer, remote[1..].to_vec(), &local), Ok(300));
        let requests = d.poll(&local, now);
        let peers: HashSet<u8> = requests.iter().map(|(p, _)| *p).collect();
        assert_eq!(peers.len(), 3, "bodies come from every peer at once");
        // A peer that times out hands its share to another.
        let (slow, _) = requests[0];
        d.on_failure(&slow, now);
        for (peer, request) in &requests[1..] {
            let SyncRequest::Bodies { hashes } = request else { panic!() };
            let empty = Bytes::from(alloy_rlp::encode(Vec::<SignedTransaction>::new()));
            d.on_bodies(*peer, vec![empty; hashes.len()], now).unwrap();
        }
        let mut imported = d.ready_blocks();
        let retry = d.poll(&local, now);
        assert!(retry.iter().all(|(p, _)| *p != slow), "the slow peer rests");
        for (peer, request) in retry {
            let SyncRequest::Bodies { hashes } = request else { panic!() };
            let empty = Bytes::from(alloy_rlp::encode(Vec::<SignedTransaction>::new()));
            d.on_bodies(peer, vec![empty; hashes.len()], now).unwrap();
        }
        imported.extend(d.ready_blocks());
        let numbers: Vec<u64> = imported.iter().map(|(b, _)| b.header.number).collect();
        assert_eq!(numbers, (1..=300).collect::<Vec<_>>());
        assert!(!d.is_syncing());
    }

    #[test]
    fn a_full_batch_of_headers_is_followed_by_the_next() {
        let genesis = easy_genesis();
        let local = Fake::new(&genesis);
        let mut remote = vec![local.tip()];
        for _ in 0..2_100 {
            let next = mine_child(&local.rules, remote.last().unwrap());
            remote.push(next);
        }
        let status = Status {
            genesis: remote[0].hash(),
            tip: remote[2_100].hash(),
            number: 2_100,
            work: U256::from(1u64 << 40),
        };
        let now = Instant::now();
        let mut d = Downloader::new();
        d.set_status(1u8, status);
        let first = d.poll(&local, now);
        assert!(matches!(first[..], [(1, SyncRequest::Headers { .. })]));
        assert_eq!(d.on_headers(1, remote[1..=2_000].to_vec(), &local), Ok(2_000));
        // A full batch means the peer may have more: the next request asks for the headers
        // after the last one received (bodies follow once headers are done or from others).
        let requests = d.poll(&local, now);
        let [(1, SyncRequest::Headers { locator, .. })] = &requests[..] else {
            panic!("no second headers request: {requests:?}")
        };
        assert_eq!(locator[0], remote[2_000].hash());
        assert_eq!(d.on_headers(1, remote[2_001..].to_vec(), &local), Ok(100));
    }

    #[test]
    fn headers_without_work_or_with_wrong_bits_are_refused() {
        let genesis = easy_genesis();
        let local = Fake::new(&genesis);
        let good = mine_child(&local.rules, &local.tip());
        let mut wrong_bits = good.clone();
        wrong_bits.bits -= 1;
        let mut unlinked = good.clone();
        unlinked.number = 5;
        let status = Status { genesis: B256::ZERO, tip: B256::ZERO, number: 1, work: U256::MAX };
        for bad in [wrong_bits, unlinked] {
            let mut d = Downloader::new();
            d.set_status(9u8, status.clone());
            d.poll(&local, Instant::now());
            assert_eq!(d.on_headers(9, vec![bad], &local), Err(Misbehaviour::InvalidHeaders));
        }
        // Unsolicited headers are a wrong response.
        let mut d = Downloader::new();
        d.add_peer(4u8);
        assert_eq!(d.on_headers(4, vec![good], &local), Err(Misbehaviour::WrongResponse));
    }

    #[test]
    fn a_body_that_does_not_match_its_header_is_refused() {
        let genesis = easy_genesis();
        let local = Fake::new(&genesis);
        let mut h = mine_child(&local.rules, &local.tip());
        h.transactions_root = B256::repeat_byte(1);
        while check_pow(&h).is_err() {
            h.nonce += 1;
        }
        let status = Status { genesis: B256::ZERO, tip: h.hash(), number: 1, work: U256::MAX };
        let mut d = Downloader::new();
        d.set_status(1u8, status);
        d.poll(&local, Instant::now());
        d.on_headers(1, vec![h], &local).unwrap();
        let requests = d.poll(&local, Instant::now());
        assert_eq!(requests.len(), 1);
        let empty = Bytes::from(alloy_rlp::encode(Vec::<SignedTransaction>::new()));
        assert_eq!(d.on_bodies(1, vec![empty], Instant::now()), Err(Misbehaviour::WrongResponse));
        assert_eq!(d.on_bodies(1, vec![], Instant::now()), Err(Misbehaviour::WrongResponse));
    }
}
