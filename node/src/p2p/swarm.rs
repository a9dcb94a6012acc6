//! The network task: owns the libp2p swarm, turns its events into calls on the node (through
//! one import thread) and on the [`Downloader`], and the node's events into gossip.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alloy_primitives::{Bytes, B256, U256};
use futures::StreamExt;
use libp2p::allow_block_list::{self, AllowedPeers, BlockedPeers};
use libp2p::connection_limits::{self, ConnectionLimits};
use libp2p::gossipsub::{self, IdentTopic, MessageAcceptance, MessageAuthenticity, MessageId};
use libp2p::identity::Keypair;
use libp2p::multiaddr::Protocol;
use libp2p::request_response::{self, OutboundRequestId, ProtocolSupport, ResponseChannel};
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{identify, kad, mdns, noise, tcp, yamux, Multiaddr, PeerId, Swarm};
use quarry_primitives::pow::target_from_bits;
use quarry_primitives::{Block, Header, SignedTransaction};
use tokio::sync::{broadcast, mpsc};
use tracing::{debug, info, warn};

use super::protocol::{
    self, blocks_topic, locator_heights, transactions_topic, Inbound, Status, SyncCodec,
    SyncRequest, SyncResponse, BODIES_SOFT_LIMIT, MAX_BODIES, MAX_GOSSIP_SIZE, MAX_HEADERS,
    MAX_LOCATOR, OVERSIZED,
};
use super::scoring::{Misbehaviour, PeerScores};
use super::sync::{Downloader, SyncView};
use super::{Command, NetworkInfo, P2p, P2pConfig, P2pError, PeerInfo};
use crate::engine::{ChainError, ChainView, Imported};
use crate::mempool::PoolError;
use crate::service::{ChainEvent, Node, SubmitError};
use quarry_consensus::{check_pow, ChainRules};

/// How often the task refreshes peers' status, redials bootnodes and lifts expired bans.
const TICK: Duration = Duration::from_secs(1);
/// Peers are asked for their status this often.
const STATUS_EVERY: Duration = Duration::from_secs(4);
/// A gossip block with an unknown parent is parked only if its target is at most this many
/// times the tip's (ASERT with a 60 s half-life eases 16× only after 4 minutes behind schedule).
const ORPHAN_EASE: u64 = 16;
/// Bootnodes that are not connected are redialled this often.
const REDIAL_EVERY: Duration = Duration::from_secs(5);

#[derive(NetworkBehaviour)]
struct Behaviour {
    limits: connection_limits::Behaviour,
    blocked: allow_block_list::Behaviour<BlockedPeers>,
    allowed: Toggle<allow_block_list::Behaviour<AllowedPeers>>,
    identify: identify::Behaviour,
    gossipsub: gossipsub::Behaviour,
    sync: request_response::Behaviour<SyncCodec>,
    kad: kad::Behaviour<kad::store::MemoryStore>,
    mdns: Toggle<mdns::tokio::Behaviour>,
}

/// Work for the import thread: everything that takes the node's chain lock for long.
enum Job {
    GossipBlock { block: Box<Block>, source: PeerId, id: MessageId },
    GossipTransaction { tx: Box<SignedTransaction>, source: PeerId, id: MessageId },
    SyncBlock { block: Box<Block>, peer: PeerId, generation: u64 },
}

enum Done {
    GossipBlock { source: PeerId, id: MessageId, number: u64, result: Result<Imported, ChainError> },
    GossipTransaction { source: PeerId, id: MessageId, result: Result<B256, SubmitError> },
    SyncBlock { peer: PeerId, hash: B256, generation: u64, result: Result<Imported, ChainError> },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Asked {
    Status,
    Headers,
    Bodies,
}

struct Connected {
    address: Multiaddr,
    inbound: bool,
    agent: Option<String>,
}

struct ChainAdapter<'a>(&'a ChainView);

impl SyncView for ChainAdapter<'_> {
    fn header(&self, hash: &B256) -> Option<Header> {
        self.0.header(hash).ok().flatten().map(|(h, _)| h)
    }
    fn tip_work(&self) -> U256 {
        self.0.tip().work
    }
    fn locator(&self) -> Vec<B256> {
        locator(self.0)
    }
    fn rules(&self) -> &ChainRules {
        self.0.rules()
    }
    fn is_canonical(&self, header: &Header) -> bool {
        self.0.canonical_hash(header.number).ok().flatten() == Some(header.hash())
    }
    fn now(&self) -> u64 {
        crate::service::unix_now()
    }
}

fn locator(chain: &ChainView) -> Vec<B256> {
    locator_heights(chain.tip().header.number)
        .into_iter()
        .filter_map(|n| chain.canonical_hash(n).ok().flatten())
        .collect()
}

fn status_of(chain: &ChainView) -> Status {
    let tip = chain.tip();
    Status {
        genesis: chain.genesis_hash(),
        tip: tip.hash,
        number: tip.header.number,
        work: tip.work,
    }
}

/// Answers a sync request from the chain (runs on a blocking thread).
fn serve(node: &Node, request: SyncRequest) -> SyncResponse {
    let chain = node.view();
    let chain = &*chain;
    match request {
        SyncRequest::Status => SyncResponse::Status(status_of(chain)),
        SyncRequest::Headers { locator, max } => {
            let max = u64::from(max.min(MAX_HEADERS));
            let fork = locator.iter().take(MAX_LOCATOR).find_map(|hash| {
                let (header, _) = chain.header(hash).ok().flatten()?;
                let canonical = chain.canonical_hash(header.number).ok().flatten()?;
                (canonical == *hash).then_some(header.number)
            });
            let Some(fork) = fork else { return SyncResponse::Headers(Vec::new()) };
            let last = chain.tip().header.number.min(fork.saturating_add(max));
            let headers = (fork + 1..=last)
                .map_while(|n| {
                    let hash = chain.canonical_hash(n).ok().flatten()?;
                    chain.header(&hash).ok().flatten().map(|(h, _)| h)
                })
                .collect();
            SyncResponse::Headers(headers)
        }
        SyncRequest::Bodies { hashes } => {
            let mut bodies = Vec::new();
            let mut size = 0;
            for hash in hashes.iter().take(MAX_BODIES) {
                let Ok(Some(block)) = chain.block(hash) else { break };
                let body = Bytes::from(alloy_rlp::encode(&block.transactions));
                size += body.len();
                bodies.push(body);
                if size >= BODIES_SOFT_LIMIT {
                    break;
                }
            }
            SyncResponse::Bodies(bodies)
        }
    }
}

/// The import thread: seals blocks and recovers their senders (on every core), then queues
/// them for the engine without waiting, so the next block's recovery overlaps the engine's
/// execution of the previous one; results come back to the network task through `done`.
/// Transactions are checked and pooled here. The network task itself never blocks on either.
fn spawn_importer(node: Node, done: mpsc::UnboundedSender<Done>) -> std::sync::mpsc::Sender<Job> {
    let (jobs, rx) = std::sync::mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("p2p-import".into())
        .spawn(move || {
            for job in rx {
                let done = done.clone();
                match job {
                    Job::GossipBlock { block, source, id } => {
                        let number = block.header.number;
                        node.import_block_then(
                            *block,
                            Box::new(move |result| {
                                let _ = done.send(Done::GossipBlock { source, id, number, result });
                            }),
                        );
                    }
                    Job::GossipTransaction { tx, source, id } => {
                        let result = node.submit_transaction(*tx);
                        if done.send(Done::GossipTransaction { source, id, result }).is_err() {
                            return;
                        }
                    }
                    Job::SyncBlock { block, peer, generation } => {
                        let hash = block.header.hash();
                        node.import_block_then(
                            *block,
                            Box::new(move |result| {
                                let _ =
                                    done.send(Done::SyncBlock { peer, hash, generation, result });
                            }),
                        );
                    }
                }
            }
        })
        .expect("spawn the p2p import thread");
    jobs
}

struct Network {
    swarm: Swarm<Behaviour>,
    node: Node,
    config: P2pConfig,
    genesis: B256,
    /// The chain's easiest allowed target (a constant of its rules).
    pow_limit: U256,
    blocks: IdentTopic,
    transactions: IdentTopic,
    downloader: Downloader<PeerId>,
    scores: PeerScores<PeerId>,
    /// Blocked by the operator (`quarry_blockPeer`) until unblocked.
    operator_blocked: HashSet<PeerId>,
    connected: HashMap<PeerId, Connected>,
    asked: HashMap<OutboundRequestId, (PeerId, Asked)>,
    /// The download request (headers or bodies) each peer is working on.
    downloading: HashMap<PeerId, OutboundRequestId>,
    /// Bumped by every [`Network::reset_sync`]: import results of older downloads are stale.
    generation: u64,
    status_pending: HashSet<PeerId>,
    importer: std::sync::mpsc::Sender<Job>,
    info: Arc<Mutex<NetworkInfo>>,
    listen: Vec<Multiaddr>,
    last_status_round: Instant,
    last_redial: Instant,
}

pub(super) async fn start(node: Node, config: P2pConfig, key: Keypair) -> Result<P2p, P2pError> {
    let peer_id = key.public().to_peer_id();
    let chain_id = node.config().genesis.config.chain_id;
    let build = |e: &dyn std::fmt::Display| P2pError::Build(e.to_string());
    let limits = ConnectionLimits::default()
        .with_max_established(Some(config.max_peers))
        // Keep a quarter of the slots for our own dials (bootnodes, discovery), so inbound
        // connections alone cannot eclipse the node.
        .with_max_established_incoming(Some(config.max_peers - config.max_peers / 4))
        .with_max_established_per_peer(Some(2));
    let gossip_config = gossipsub::ConfigBuilder::default()
        .validate_messages()
        .validation_mode(gossipsub::ValidationMode::Strict)
        .max_transmit_size(MAX_GOSSIP_SIZE)
        .message_id_fn(protocol::message_id)
        .heartbeat_interval(Duration::from_millis(700))
        .duplicate_cache_time(Duration::from_secs(300))
        .build()
        .map_err(|e| build(&e))?;
    let mdns_on = config.mdns;
    let allow = config.allow.clone();
    let request_timeout = config.request_timeout;
    let mut swarm = libp2p::SwarmBuilder::with_existing_identity(key)
        .with_tokio()
        .with_tcp(tcp::Config::default().nodelay(true), noise::Config::new, yamux::Config::default)
        .map_err(|e| build(&e))?
        .with_behaviour(|key| {
            let peer_id = key.public().to_peer_id();
            let gossipsub =
                gossipsub::Behaviour::new(MessageAuthenticity::Signed(key.clone()), gossip_config)?;
            let mut kad = kad::Behaviour::with_config(
                peer_id,
                kad::store::MemoryStore::new(peer_id),
                kad::Config::new(protocol::KAD_PROTOCOL),
            );
            // Loopback and LAN addresses are never confirmed as external, so announce the DHT
            // protocol anyway: every Quarry node serves routing queries.
            kad.set_mode(Some(kad::Mode::Server));
            let mdns = if mdns_on {
                Some(mdns::tokio::Behaviour::new(mdns::Config::default(), peer_id)?)
            } else {
                None
            };
            let allowed = (!allow.is_empty()).then(|| {
                let mut list = allow_block_list::Behaviour::<AllowedPeers>::default();
                for peer in &allow {
                    list.allow_peer(*peer);
                }
                list
            });
            Ok(Behaviour {
                limits: connection_limits::Behaviour::new(limits),
                blocked: allow_block_list::Behaviour::default(),
                allowed: allowed.into(),
                identify: identify::Behaviour::new(
                    identify::Config::new(protocol::PROTOCOL_VERSION.into(), key.public())
                        .with_agent_version(format!("quarry-node/{}", env!("CARGO_PKG_VERSION"))),
                ),
                gossipsub,
                sync: request_response::Behaviour::with_codec(
                    SyncCodec,
                    [(protocol::SYNC_PROTOCOL, ProtocolSupport::Full)],
                    request_response::Config::default()
                        .with_request_timeout(request_timeout)
                        // Each inbound request is served on a blocking thread under the chain
                        // lock: a peer gets a few at a time, not a hundred.
                        .with_max_concurrent_streams(8),
                ),
                kad,
                mdns: mdns.into(),
            })
        })
        .map_err(|e| build(&e))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(120)))
        .build();

    let blocks = blocks_topic(chain_id);
    let transactions = transactions_topic(chain_id);
    for topic in [&blocks, &transactions] {
        swarm.behaviour_mut().gossipsub.subscribe(topic).map_err(|e| build(&e))?;
    }
    for peer in &config.deny {
        swarm.behaviour_mut().blocked.block_peer(*peer);
    }

    // Bind every listen address before returning, so callers can print the real ports.
    let mut listeners = HashMap::new();
    for addr in &config.listen {
        let id = swarm
            .listen_on(addr.clone())
            .map_err(|e| P2pError::Listen { addr: addr.clone(), reason: e.to_string() })?;
        listeners.insert(id, addr.clone());
    }
    let mut listen = Vec::new();
    let mut bound = HashSet::new();
    while bound.len() < listeners.len() {
        match swarm.select_next_some().await {
            SwarmEvent::NewListenAddr { listener_id, address } => {
                bound.insert(listener_id);
                listen.push(address);
            }
            SwarmEvent::ListenerClosed { listener_id, reason, .. } => {
                let addr = listeners.get(&listener_id).cloned().unwrap_or(Multiaddr::empty());
                let reason = reason.err().map_or_else(|| "closed".into(), |e| e.to_string());
                return Err(P2pError::Listen { addr, reason });
            }
            SwarmEvent::ListenerError { listener_id, error } => {
                let addr = listeners.get(&listener_id).cloned().unwrap_or(Multiaddr::empty());
                return Err(P2pError::Listen { addr, reason: error.to_string() });
            }
            _ => {}
        }
    }

    let (command_tx, commands) = mpsc::unbounded_channel();
    let (done_tx, done) = mpsc::unbounded_channel();
    let (served_tx, served) = mpsc::unbounded_channel();
    let info =
        Arc::new(Mutex::new(NetworkInfo { peer_id: peer_id.to_string(), ..Default::default() }));
    let (genesis, pow_limit) = {
        let view = node.view();
        (view.genesis_hash(), view.rules().asert.pow_limit)
    };
    let events = node.subscribe();
    let importer = spawn_importer(node.clone(), done_tx);
    let long_ago = Instant::now() - Duration::from_secs(3600);
    let mut network = Network {
        swarm,
        node,
        scores: PeerScores::new(config.ban_duration),
        config,
        genesis,
        pow_limit,
        blocks,
        transactions,
        downloader: Downloader::new(),
        operator_blocked: HashSet::new(),
        connected: HashMap::new(),
        asked: HashMap::new(),
        downloading: HashMap::new(),
        generation: 0,
        status_pending: HashSet::new(),
        importer,
        info: info.clone(),
        listen,
        last_status_round: long_ago,
        last_redial: long_ago,
    };
    for addr in network.listen.clone() {
        info!(address = %addr.with_p2p(peer_id).unwrap_or_else(|a| a), "p2p listening");
    }
    network.redial_bootnodes();
    network.publish_info();
    tokio::spawn(network.run(commands, done, served, served_tx, events));
    Ok(P2p { peer_id, commands: command_tx, info })
}

type Served = (ResponseChannel<SyncResponse>, SyncResponse);

impl Network {
    async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<Command>,
        mut done: mpsc::UnboundedReceiver<Done>,
        mut served: mpsc::UnboundedReceiver<Served>,
        served_tx: mpsc::UnboundedSender<Served>,
        mut events: broadcast::Receiver<ChainEvent>,
    ) {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_swarm_event(event, &served_tx),
                Some(command) = commands.recv() => self.on_command(command),
                Some(result) = done.recv() => self.on_done(result),
                Some((channel, response)) = served.recv() => {
                    let _ = self.swarm.behaviour_mut().sync.send_response(channel, response);
                }
                event = events.recv() => match event {
                    Ok(event) => self.on_chain_event(event),
                    Err(broadcast::error::RecvError::Lagged(n)) => debug!(n, "p2p missed chain events"),
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                _ = tick.tick() => self.on_tick(),
            }
            self.drive_sync();
            self.publish_info();
        }
    }

    fn on_swarm_event(
        &mut self,
        event: SwarmEvent<BehaviourEvent>,
        served: &mpsc::UnboundedSender<Served>,
    ) {
        match event {
            SwarmEvent::ConnectionEstablished { peer_id, endpoint, num_established, .. }
                if num_established.get() == 1 =>
            {
                let address = endpoint.get_remote_address().clone();
                debug!(peer = %peer_id, %address, "peer connected");
                if endpoint.is_dialer() {
                    self.swarm.behaviour_mut().kad.add_address(&peer_id, address.clone());
                }
                self.connected.insert(
                    peer_id,
                    Connected { address, inbound: !endpoint.is_dialer(), agent: None },
                );
                self.downloader.add_peer(peer_id);
                self.ask_status(peer_id);
            }
            SwarmEvent::ConnectionClosed { peer_id, num_established: 0, .. } => {
                debug!(peer = %peer_id, "peer disconnected");
                self.connected.remove(&peer_id);
                self.downloading.remove(&peer_id);
                self.status_pending.remove(&peer_id);
                self.downloader.remove_peer(&peer_id);
            }
            SwarmEvent::NewListenAddr { address, .. } => {
                info!(%address, "p2p listening");
                self.listen.push(address);
            }
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                info,
                ..
            })) => {
                if info.protocol_version != protocol::PROTOCOL_VERSION {
                    debug!(peer = %peer_id, version = %info.protocol_version, "not a Quarry peer of this version");
                    let _ = self.swarm.disconnect_peer_id(peer_id);
                    return;
                }
                for addr in info.listen_addrs {
                    if !addr.iter().any(|p| matches!(p, Protocol::Ip4(ip) if ip.is_unspecified())) {
                        self.swarm.behaviour_mut().kad.add_address(&peer_id, addr);
                    }
                }
                if let Some(peer) = self.connected.get_mut(&peer_id) {
                    peer.agent = Some(info.agent_version);
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Mdns(mdns::Event::Discovered(found))) => {
                for (peer, addr) in found {
                    self.dial_known(peer, addr);
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Kad(kad::Event::RoutingUpdated {
                peer,
                addresses,
                ..
            })) => {
                self.dial_known(peer, addresses.first().clone());
            }
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            })) => self.on_gossip(propagation_source, message_id, message),
            SwarmEvent::Behaviour(BehaviourEvent::Sync(event)) => self.on_sync_event(event, served),
            _ => {}
        }
    }

    fn dial_known(&mut self, peer: PeerId, addr: Multiaddr) {
        if peer == *self.swarm.local_peer_id()
            || self.connected.contains_key(&peer)
            || self.is_refused(&peer)
            || self.connected.len() >= self.config.max_peers as usize
        {
            return;
        }
        let opts = libp2p::swarm::dial_opts::DialOpts::peer_id(peer).addresses(vec![addr]).build();
        if let Err(error) = self.swarm.dial(opts) {
            debug!(%peer, %error, "dial failed");
        }
    }

    fn is_refused(&self, peer: &PeerId) -> bool {
        self.operator_blocked.contains(peer)
            || self.scores.banned_until(peer).is_some()
            || self.config.deny.contains(peer)
    }

    fn ask(&mut self, peer: PeerId, request: SyncRequest) {
        let asked = match request {
            SyncRequest::Status => Asked::Status,
            SyncRequest::Headers { .. } => Asked::Headers,
            SyncRequest::Bodies { .. } => Asked::Bodies,
        };
        let id = self.swarm.behaviour_mut().sync.send_request(&peer, Inbound::Request(request));
        self.asked.insert(id, (peer, asked));
        if asked != Asked::Status {
            self.downloading.insert(peer, id);
        }
    }

    /// Drops the download: queued headers, fetched bodies, and the answers still on their way
    /// (they will be ignored, not held against the peers that send them).
    fn reset_sync(&mut self) {
        self.downloader.reset();
        self.downloading.clear();
        self.generation += 1;
    }

    /// `true` if `id` is the download request the downloader still waits for from `peer`
    /// (not one it gave up on, whose late answer must not count against the peer).
    fn is_current(&self, peer: &PeerId, id: &OutboundRequestId) -> bool {
        self.downloading.get(peer) == Some(id)
    }

    fn ask_status(&mut self, peer: PeerId) {
        if self.status_pending.insert(peer) {
            self.ask(peer, SyncRequest::Status);
        }
    }

    fn penalise(&mut self, peer: PeerId, what: Misbehaviour) {
        let score_before = self.scores.score(&peer);
        if self.scores.penalise(peer, what, Instant::now()) {
            warn!(%peer, ?what, score = self.scores.score(&peer), "peer banned");
            self.refuse(peer);
        } else {
            debug!(%peer, ?what, from = score_before, to = self.scores.score(&peer), "peer penalised");
        }
    }

    fn refuse(&mut self, peer: PeerId) {
        let behaviour = self.swarm.behaviour_mut();
        behaviour.blocked.block_peer(peer);
        behaviour.gossipsub.blacklist_peer(&peer);
        behaviour.kad.remove_peer(&peer);
        self.downloader.remove_peer(&peer);
        self.downloading.remove(&peer);
    }

    fn unrefuse(&mut self, peer: PeerId) {
        let behaviour = self.swarm.behaviour_mut();
        behaviour.blocked.unblock_peer(peer);
        behaviour.gossipsub.remove_blacklisted_peer(&peer);
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Dial(addr) => {
                if let Some(Protocol::P2p(peer)) = addr.iter().last() {
                    if self.is_refused(&peer) {
                        warn!(%peer, "not dialling a banned or blocked peer");
                        return;
                    }
                }
                if let Err(error) = self.swarm.dial(addr.clone()) {
                    warn!(%addr, %error, "dial failed");
                }
            }
            Command::Disconnect(peer) => {
                let _ = self.swarm.disconnect_peer_id(peer);
            }
            Command::Block(peer) => {
                info!(%peer, "peer blocked by the operator");
                self.operator_blocked.insert(peer);
                self.refuse(peer);
            }
            Command::Unblock(peer) => {
                info!(%peer, "peer unblocked by the operator");
                self.operator_blocked.remove(&peer);
                self.scores.pardon(&peer);
                self.unrefuse(peer);
            }
        }
    }

    fn on_gossip(&mut self, source: PeerId, id: MessageId, message: gossipsub::Message) {
        let job = if message.topic == self.blocks.hash() {
            match Block::decode_exact(&message.data) {
                Ok(block) if !self.plausible_work(&block.header) => {
                    self.validated(&id, &source, MessageAcceptance::Reject);
                    self.penalise(source, Misbehaviour::InvalidBlock);
                    return;
                }
                Ok(block) if !self.worth_parking(&block.header) => {
                    // Unknown parent and far easier than our tip: cheap to make, so not kept.
                    self.validated(&id, &source, MessageAcceptance::Ignore);
                    return;
                }
                Ok(block) => Job::GossipBlock { block: Box::new(block), source, id },
                Err(error) => {
                    debug!(peer = %source, %error, "undecodable block");
                    self.validated(&id, &source, MessageAcceptance::Reject);
                    self.penalise(source, Misbehaviour::Undecodable);
                    return;
                }
            }
        } else if message.topic == self.transactions.hash() {
            match SignedTransaction::decode(&message.data) {
                Ok(tx) => Job::GossipTransaction { tx: Box::new(tx), source, id },
                Err(error) => {
                    debug!(peer = %source, %error, "undecodable transaction");
                    self.validated(&id, &source, MessageAcceptance::Reject);
                    self.penalise(source, Misbehaviour::Undecodable);
                    return;
                }
            }
        } else {
            self.validated(&id, &source, MessageAcceptance::Ignore);
            return;
        };
        if self.importer.send(job).is_err() {
            warn!("p2p import thread is gone");
        }
    }

    /// Proof of work that checks out against the header's own `bits`, with a target no easier
    /// than the chain's limit (a block above the limit can never be valid).
    fn plausible_work(&self, header: &Header) -> bool {
        check_pow(header).is_ok()
            && target_from_bits(header.bits).is_ok_and(|target| target <= self.pow_limit)
    }

    /// A block whose parent we lack is parked in the orphan buffer only if its target is at
    /// most [`ORPHAN_EASE`] times our tip's: otherwise a peer could fill the buffer with blocks
    /// mined at the easiest target. (A real block that fails this arrives again through sync.)
    fn worth_parking(&self, header: &Header) -> bool {
        let c = self.node.view();
        if matches!(c.header(&header.parent_hash), Ok(Some(_))) {
            return true;
        }
        let tip = target_from_bits(c.tip().header.bits).unwrap_or(U256::MAX);
        target_from_bits(header.bits)
            .is_ok_and(|target| target <= tip.saturating_mul(U256::from(ORPHAN_EASE)))
    }

    fn validated(&mut self, id: &MessageId, source: &PeerId, acceptance: MessageAcceptance) {
        self.swarm
            .behaviour_mut()
            .gossipsub
            .report_message_validation_result(id, source, acceptance);
    }

    fn on_done(&mut self, done: Done) {
        match done {
            Done::GossipBlock { source, id, number, result } => match result {
                Ok(Imported::NewTip { .. } | Imported::SideChain) => {
                    self.validated(&id, &source, MessageAcceptance::Accept);
                }
                Ok(Imported::Duplicate) => self.validated(&id, &source, MessageAcceptance::Ignore),
                Ok(Imported::Orphan) => {
                    // Not forwarded (we cannot judge it yet); fetch its ancestors from the peer.
                    self.validated(&id, &source, MessageAcceptance::Ignore);
                    let hint = self.node.tip().work + U256::from(1);
                    self.downloader.on_orphan(source, number, hint);
                }
                Err(error) if error.is_invalid_block() => {
                    info!(peer = %source, %error, "invalid block from peer");
                    self.validated(&id, &source, MessageAcceptance::Reject);
                    self.penalise(source, Misbehaviour::InvalidBlock);
                }
                Err(error) => {
                    debug!(peer = %source, %error, "block not judged");
                    self.validated(&id, &source, MessageAcceptance::Ignore);
                }
            },
            Done::GossipTransaction { source, id, result } => match result {
                Ok(_) => self.validated(&id, &source, MessageAcceptance::Accept),
                Err(SubmitError::Pool(PoolError::Invalid(error))) => {
                    debug!(peer = %source, %error, "invalid transaction from peer");
                    self.validated(&id, &source, MessageAcceptance::Reject);
                    self.penalise(source, Misbehaviour::InvalidTransaction);
                }
                // Stale against our state, underpriced, known: the peer may be on another tip.
                Err(_) => self.validated(&id, &source, MessageAcceptance::Ignore),
            },
            Done::SyncBlock { peer, hash, generation, result } => match result {
                Ok(_) => {}
                // Blocks of a download that was already dropped: their failures (children of
                // the bad block, known invalid) say nothing about the peers that served them.
                Err(_) if generation != self.generation => {}
                Err(error) => {
                    if error.is_invalid_block() && !matches!(error, ChainError::KnownInvalid { .. })
                    {
                        warn!(%peer, %hash, %error, "synced block is invalid");
                        self.penalise(peer, Misbehaviour::InvalidBlock);
                    } else {
                        debug!(%peer, %hash, %error, "synced block not imported");
                    }
                    self.reset_sync();
                }
            },
        }
    }

    fn on_sync_event(
        &mut self,
        event: request_response::Event<Inbound, SyncResponse>,
        served: &mpsc::UnboundedSender<Served>,
    ) {
        use request_response::{Event, Message};
        match event {
            Event::Message { peer, message: Message::Request { request, channel, .. }, .. } => {
                let request = match request {
                    Inbound::Request(request) => request,
                    Inbound::Oversized => return self.penalise(peer, Misbehaviour::Oversized),
                    Inbound::Undecodable => return self.penalise(peer, Misbehaviour::Undecodable),
                };
                let node = self.node.clone();
                let served = served.clone();
                tokio::task::spawn_blocking(move || {
                    let response = serve(&node, request);
                    let _ = served.send((channel, response));
                });
            }
            Event::Message {
                peer, message: Message::Response { request_id, response }, ..
            } => {
                let Some((_, asked)) = self.asked.remove(&request_id) else { return };
                if asked != Asked::Status {
                    if !self.is_current(&peer, &request_id) {
                        debug!(%peer, ?asked, "late answer to an abandoned request");
                        return;
                    }
                    self.downloading.remove(&peer);
                }
                self.on_response(peer, asked, response);
            }
            Event::OutboundFailure { peer, request_id, error, .. } => {
                let asked = self.asked.remove(&request_id).map(|(_, a)| a);
                if asked == Some(Asked::Status) {
                    self.status_pending.remove(&peer);
                }
                let current = self.is_current(&peer, &request_id);
                if current {
                    self.downloading.remove(&peer);
                }
                debug!(%peer, ?asked, %error, "sync request failed");
                match &error {
                    request_response::OutboundFailure::Timeout => {
                        self.penalise(peer, Misbehaviour::Unanswered)
                    }
                    request_response::OutboundFailure::Io(e) => {
                        if let Some(what) = io_misbehaviour(e) {
                            self.penalise(peer, what);
                        }
                    }
                    _ => {}
                }
                // Only a failed download request hands the peer's share to others.
                if current {
                    self.downloader.on_failure(&peer, Instant::now());
                }
            }
            Event::InboundFailure { peer, error, .. } => {
                debug!(%peer, %error, "inbound sync request failed");
                if let request_response::InboundFailure::Io(e) = &error {
                    if let Some(what) = io_misbehaviour(e) {
                        self.penalise(peer, what);
                    }
                }
            }
            Event::ResponseSent { .. } => {}
        }
    }

    fn on_response(&mut self, peer: PeerId, asked: Asked, response: SyncResponse) {
        let now = Instant::now();
        match (asked, response) {
            (Asked::Status, SyncResponse::Status(status)) => {
                self.status_pending.remove(&peer);
                if status.genesis != self.genesis {
                    info!(%peer, genesis = %status.genesis, "peer is on another chain");
                    self.penalise(peer, Misbehaviour::WrongChain);
                    return;
                }
                self.downloader.set_status(peer, status);
            }
            (Asked::Headers, SyncResponse::Headers(headers)) => {
                let count = headers.len();
                let result = {
                    let downloader = &mut self.downloader;
                    downloader.on_headers(peer, headers, &ChainAdapter(&self.node.view()))
                };
                match result {
                    Ok(added) => debug!(%peer, count, added, "headers"),
                    Err(what) => self.penalise(peer, what),
                }
            }
            (Asked::Bodies, SyncResponse::Bodies(bodies)) => {
                if let Err(what) = self.downloader.on_bodies(peer, bodies, now) {
                    self.penalise(peer, what);
                }
            }
            (asked, _) => {
                if asked == Asked::Status {
                    self.status_pending.remove(&peer);
                }
                self.downloader.on_failure(&peer, now);
                self.penalise(peer, Misbehaviour::WrongResponse);
            }
        }
    }

    fn drive_sync(&mut self) {
        let requests = {
            let downloader = &mut self.downloader;
            downloader.poll(&ChainAdapter(&self.node.view()), Instant::now())
        };
        for (peer, request) in requests {
            self.ask(peer, request);
        }
        for (block, peer) in self.downloader.ready_blocks() {
            let job = Job::SyncBlock { block: Box::new(block), peer, generation: self.generation };
            if self.importer.send(job).is_err() {
                warn!("p2p import thread is gone");
            }
        }
    }

    fn on_chain_event(&mut self, event: ChainEvent) {
        match event {
            ChainEvent::NewTip { connected, .. } => {
                // Blocks arriving by sync are not re-gossiped one by one; the new tip is.
                if self.downloader.is_syncing() {
                    return;
                }
                if let Some(block) = connected.last() {
                    let topic = self.blocks.clone();
                    self.publish(topic, block.block.encoded());
                }
            }
            ChainEvent::NewTransaction(hash) => {
                let tx = self.node.with_pool(|pool| pool.get(&hash).map(|p| p.tx.encoded()));
                if let Some(bytes) = tx {
                    let topic = self.transactions.clone();
                    self.publish(topic, bytes);
                }
            }
        }
    }

    fn publish(&mut self, topic: IdentTopic, bytes: Vec<u8>) {
        match self.swarm.behaviour_mut().gossipsub.publish(topic, bytes) {
            Ok(_) => {}
            // Duplicates (a block we received and forwarded) and having no peers are normal.
            Err(error) => debug!(%error, "not published"),
        }
    }

    fn on_tick(&mut self) {
        let now = Instant::now();
        for peer in self.scores.expire(now) {
            if !self.operator_blocked.contains(&peer) {
                info!(%peer, "ban lifted");
                self.unrefuse(peer);
            }
        }
        if now.duration_since(self.last_status_round) >= STATUS_EVERY {
            self.last_status_round = now;
            let peers: Vec<PeerId> = self.connected.keys().copied().collect();
            for peer in peers {
                self.ask_status(peer);
            }
        }
        if now.duration_since(self.last_redial) >= REDIAL_EVERY {
            self.last_redial = now;
            self.redial_bootnodes();
        }
    }

    fn redial_bootnodes(&mut self) {
        for addr in self.config.bootnodes.clone() {
            let peer = match addr.iter().last() {
                Some(Protocol::P2p(peer)) => Some(peer),
                _ => None,
            };
            if let Some(peer) = peer {
                if self.connected.contains_key(&peer) || self.is_refused(&peer) {
                    continue;
                }
                self.swarm.behaviour_mut().kad.add_address(&peer, addr.clone());
            } else if self.connected.values().any(|c| c.address == addr) {
                continue;
            }
            if let Err(error) = self.swarm.dial(addr.clone()) {
                debug!(%addr, %error, "bootnode dial failed");
            }
        }
    }

    fn publish_info(&self) {
        let now = Instant::now();
        let local = *self.swarm.local_peer_id();
        let mut peers: Vec<PeerInfo> = self
            .connected
            .iter()
            .map(|(peer, c)| PeerInfo {
                peer_id: peer.to_string(),
                address: c.address.to_string(),
                inbound: c.inbound,
                agent: c.agent.clone(),
                score: self.scores.score(peer),
                status: self.downloader.status(peer).cloned(),
            })
            .collect();
        peers.sort_by(|a, b| a.peer_id.cmp(&b.peer_id));
        let mut banned: Vec<(String, Option<u64>)> = self
            .scores
            .bans()
            .map(|(p, until)| (p.to_string(), Some(until.saturating_duration_since(now).as_secs())))
            .collect();
        banned.extend(self.operator_blocked.iter().map(|p| (p.to_string(), None)));
        let mut info = self.info.lock().unwrap_or_else(|p| p.into_inner());
        info.peer_id = local.to_string();
        info.listen = self
            .listen
            .iter()
            .map(|a| a.clone().with_p2p(local).unwrap_or_else(|a| a).to_string())
            .collect();
        info.peers = peers;
        info.banned = banned;
        info.syncing = self.downloader.is_syncing();
        info.highest_block = self.downloader.highest_known();
    }
}

/// The misbehaviour an I/O error on a sync stream shows: only the codec's refusals count
/// (connection resets and the like are nobody's fault).
fn io_misbehaviour(error: &std::io::Error) -> Option<Misbehaviour> {
    if error.kind() != std::io::ErrorKind::InvalidData {
        None
    } else if error.to_string().contains(OVERSIZED) {
        Some(Misbehaviour::Oversized)
    } else {
        Some(Misbehaviour::Undecodable)
    }
}
