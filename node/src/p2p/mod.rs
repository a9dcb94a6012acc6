//! Peer-to-peer networking over rust-libp2p: peers find each other (explicit bootnodes, mDNS on
//! the local network, Kademlia beyond it), gossip blocks and transactions, sync the chain
//! headers-first, and lose standing when they misbehave.
//!
//! The layer is one tokio task that owns the libp2p [`Swarm`](libp2p::Swarm) (see `swarm.rs`)
//! and a cloneable [`P2p`] handle for everyone else (the RPC's `quarry_` peer methods, the
//! binary). Consensus decisions stay in the node: every block and transaction that arrives
//! goes through [`Node::import_block`](crate::service::Node::import_block) or
//! [`Node::submit_transaction`](crate::service::Node::submit_transaction) on a dedicated import
//! thread, and gossipsub forwards a message only after that verdict
//! (`validate_messages()` + `report_message_validation_result`).
//!
//! Stack: TCP + noise (XX handshake, ed25519 identities) + yamux; identify; gossipsub v1.1
//! with one topic per chain id for blocks and one for transactions ([`protocol`]);
//! request–response `/quarry/sync/1` for sync ([`sync`]); connection limits; a block list fed
//! by [`scoring`] and by the operator; an optional allow list.
//!
//! The node's identity is an ed25519 key kept in `<datadir>/p2p/key` (libp2p's protobuf key
//! encoding, mode 0600), created on first start.

pub mod protocol;
pub mod scoring;
mod swarm;
pub mod sync;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use libp2p::identity::Keypair;
use libp2p::{Multiaddr, PeerId};
use serde::Serialize;
use tokio::sync::mpsc;

use crate::service::Node;
use protocol::Status;

/// Default TCP port for p2p (Ethereum's devp2p port, which Quarry's docs and scripts expect).
pub const DEFAULT_PORT: u16 = 30303;

/// How the p2p layer is set up.
#[derive(Clone, Debug)]
pub struct P2pConfig {
    /// Addresses to listen on, such as `/ip4/0.0.0.0/tcp/30303` (port 0: any free port).
    pub listen: Vec<Multiaddr>,
    /// Peers to dial at start and to redial while disconnected. An address ending in
    /// `/p2p/<peer id>` also seeds Kademlia.
    pub bootnodes: Vec<Multiaddr>,
    /// Discover peers on the local network with mDNS.
    pub mdns: bool,
    /// Most established connections (inbound and outbound together).
    pub max_peers: u32,
    /// If not empty, only these peers may connect (an allow list); everyone else is refused.
    pub allow: Vec<PeerId>,
    /// Peers refused from the start (a block list).
    pub deny: Vec<PeerId>,
    /// How long a peer whose score fell to the ban threshold stays banned.
    pub ban_duration: Duration,
    /// How long a sync request may go unanswered before it counts against the peer.
    pub request_timeout: Duration,
}

impl Default for P2pConfig {
    fn default() -> Self {
        P2pConfig {
            listen: vec![format!("/ip4/0.0.0.0/tcp/{DEFAULT_PORT}").parse().expect("valid")],
            bootnodes: Vec::new(),
            mdns: true,
            max_peers: 50,
            allow: Vec::new(),
            deny: Vec::new(),
            ban_duration: Duration::from_secs(600),
            request_timeout: Duration::from_secs(20),
        }
    }
}

/// Why the p2p layer could not start.
#[derive(Debug, thiserror::Error)]
pub enum P2pError {
    /// The node key file could not be read or written.
    #[error("node key {path}: {source}")]
    KeyFile {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The node key file does not hold a libp2p protobuf-encoded key.
    #[error("node key {path} is not a libp2p key: {reason}")]
    BadKey {
        /// The key file.
        path: PathBuf,
        /// What the decoder said.
        reason: String,
    },
    /// The transport (TCP, noise, yamux) or a behaviour could not be built.
    #[error("cannot build the libp2p swarm: {0}")]
    Build(String),
    /// A listen address could not be bound.
    #[error("cannot listen on {addr}: {reason}")]
    Listen {
        /// The address.
        addr: Multiaddr,
        /// Why.
        reason: String,
    },
}

/// The file a datadir keeps its p2p identity in.
pub fn key_path(datadir: &Path) -> PathBuf {
    datadir.join("p2p").join("key")
}

/// Loads the node key from `<datadir>/p2p/key`, creating a fresh ed25519 key there (mode 0600)
/// if there is none. The same key means the same peer id across restarts.
///
/// # Errors
/// [`P2pError::KeyFile`] on I/O errors, [`P2pError::BadKey`] if the file holds something else.
pub fn load_or_create_key(datadir: &Path) -> Result<Keypair, P2pError> {
    let path = key_path(datadir);
    let io = |source| P2pError::KeyFile { path: path.clone(), source };
    match std::fs::read(&path) {
        Ok(bytes) => Keypair::from_protobuf_encoding(&bytes)
            .map_err(|e| P2pError::BadKey { path: path.clone(), reason: e.to_string() }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = Keypair::generate_ed25519();
            let bytes = key.to_protobuf_encoding().expect("ed25519 keys encode");
            std::fs::create_dir_all(path.parent().expect("key path has a parent")).map_err(io)?;
            write_private(&path, &bytes).map_err(io)?;
            Ok(key)
        }
        Err(e) => Err(io(e)),
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// A connected peer as `quarry_peers` reports it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerInfo {
    /// The peer's id.
    pub peer_id: String,
    /// The remote address of the first connection.
    pub address: String,
    /// `true` if the peer dialled us.
    pub inbound: bool,
    /// What identify reported as the peer's agent (client name and version).
    pub agent: Option<String>,
    /// The peer's score (0 is neutral; the peer is banned at [`scoring::BAN_THRESHOLD`]).
    pub score: i32,
    /// The peer's last [`Status`].
    pub status: Option<Status>,
}

/// A snapshot of the p2p layer, refreshed by its task after every event.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkInfo {
    /// This node's peer id.
    pub peer_id: String,
    /// Addresses the node listens on, each ending in `/p2p/<peer id>`.
    pub listen: Vec<String>,
    /// Connected peers.
    pub peers: Vec<PeerInfo>,
    /// Banned or blocked peers with the seconds left (`None`: blocked by the operator until
    /// unblocked).
    pub banned: Vec<(String, Option<u64>)>,
    /// `true` while the downloader fetches or imports blocks.
    pub syncing: bool,
    /// Highest block number any peer has announced.
    pub highest_block: u64,
}

#[derive(Debug)]
pub(crate) enum Command {
    Dial(Multiaddr),
    Disconnect(PeerId),
    Block(PeerId),
    Unblock(PeerId),
}

/// The handle to a running p2p layer. Cheap to clone. Dropping every handle does not stop
/// the task; it runs as long as the tokio runtime.
#[derive(Clone, Debug)]
pub struct P2p {
    peer_id: PeerId,
    commands: mpsc::UnboundedSender<Command>,
    info: Arc<Mutex<NetworkInfo>>,
}

impl P2p {
    /// Starts the p2p layer for `node` on the current tokio runtime: builds the swarm, binds
    /// every listen address (waiting until each is bound), dials the bootnodes and spawns the
    /// network task.
    ///
    /// # Errors
    /// [`P2pError`] if the swarm cannot be built or an address cannot be bound.
    pub async fn start(node: Node, config: P2pConfig, key: Keypair) -> Result<P2p, P2pError> {
        swarm::start(node, config, key).await
    }

    /// This node's peer id.
    pub fn peer_id(&self) -> PeerId {
        self.peer_id
    }

    /// A snapshot of peers, bans and sync progress.
    pub fn info(&self) -> NetworkInfo {
        self.info.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Number of connected peers.
    pub fn peer_count(&self) -> usize {
        self.info.lock().unwrap_or_else(|p| p.into_inner()).peers.len()
    }

    /// Dials `addr` (queued; returns at once).
    pub fn add_peer(&self, addr: Multiaddr) {
        let _ = self.commands.send(Command::Dial(addr));
    }

    /// Closes every connection to `peer` (bootnodes are redialled later).
    pub fn remove_peer(&self, peer: PeerId) {
        let _ = self.commands.send(Command::Disconnect(peer));
    }

    /// Disconnects `peer` and refuses it until [`P2p::unblock_peer`].
    pub fn block_peer(&self, peer: PeerId) {
        let _ = self.commands.send(Command::Block(peer));
    }

    /// Lifts an operator block or a ban on `peer` and forgets its score.
    pub fn unblock_peer(&self, peer: PeerId) {
        let _ = self.commands.send(Command::Unblock(peer));
    }
}
