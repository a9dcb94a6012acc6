//! A misbehaving peer against a real node process: a small libp2p client written here, speaking
//! Quarry's own protocols (the node's `p2p::protocol` module) with bad content. Each kind of
//! misbehaviour gets its own peer identity, so each ban is shown to come from that behaviour:
//!
//! - a block whose header has no proof of work (banned at once, like Bitcoin Core's 100 points);
//! - garbage bytes on the blocks topic (50 points each: banned on the second);
//! - sync requests above the protocol's size limit (50 points each: banned on the second);
//! - never answering the node's sync requests (25 points per timeout: banned on the fourth).
//!
//! Meanwhile an honest node stays connected, the miner keeps mining and the honest node keeps
//! following it; and a banned peer that dials again is refused.

mod common;

use std::time::{Duration, Instant};

use common::{init, write_dev_genesis, NetNode};
use futures::StreamExt;
use libp2p::gossipsub::{self, MessageAuthenticity};
use libp2p::request_response::{self, ProtocolSupport};
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{identify, noise, tcp, yamux, Multiaddr, PeerId, Swarm};
use quarry_node::p2p::protocol::{
    self, blocks_topic, Inbound, Status, SyncCodec, SyncRequest, SyncResponse, MAX_GOSSIP_SIZE,
};
use quarry_primitives::{Block, Header};
use serde_json::json;

#[derive(NetworkBehaviour)]
struct Evil {
    identify: identify::Behaviour,
    gossipsub: gossipsub::Behaviour,
    sync: request_response::Behaviour<SyncCodec>,
}

fn evil_swarm() -> Swarm<Evil> {
    libp2p::SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(tcp::Config::default(), noise::Config::new, yamux::Config::default)
        .unwrap()
        .with_behaviour(|key| {
            let config = gossipsub::ConfigBuilder::default()
                .max_transmit_size(MAX_GOSSIP_SIZE)
                .message_id_fn(protocol::message_id)
                .build()
                .unwrap();
            Evil {
                identify: identify::Behaviour::new(identify::Config::new(
                    protocol::PROTOCOL_VERSION.into(),
                    key.public(),
                )),
                gossipsub: gossipsub::Behaviour::new(
                    MessageAuthenticity::Signed(key.clone()),
                    config,
                )
                .unwrap(),
                sync: request_response::Behaviour::with_codec(
                    SyncCodec,
                    [(protocol::SYNC_PROTOCOL, ProtocolSupport::Full)],
                    request_response::Config::default()
                        .with_request_timeout(Duration::from_secs(60)),
                ),
            }
        })
        .unwrap()
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(600)))
        .build()
}

/// What an evil peer does with the node's sync requests: answer status truthfully (so only
/// the misbehaviour under test costs it points) or hold every request open unanswered.
struct Conduct {
    status: Option<Status>,
    held: Vec<request_response::ResponseChannel<SyncResponse>>,
}

/// Drives `swarm` until `done` says so or `timeout` passes, handling the node's requests as
/// `conduct` says.
async fn drive(
    swarm: &mut Swarm<Evil>,
    timeout: Duration,
    conduct: &mut Conduct,
    mut done: impl FnMut(&mut Swarm<Evil>, &SwarmEvent<EvilEvent>) -> bool,
) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let event = tokio::select! {
            e = swarm.select_next_some() => e,
            _ = tokio::time::sleep_until(deadline) => return false,
        };
        if let SwarmEvent::Behaviour(EvilEvent::Sync(request_response::Event::Message {
            message: request_response::Message::Request { channel, request, .. },
            ..
        })) = event
        {
            match (&conduct.status, request) {
                (Some(status), Inbound::Request(SyncRequest::Status)) => {
                    let reply = SyncResponse::Status(status.clone());
                    let _ = swarm.behaviour_mut().sync.send_response(channel, reply);
                }
                (Some(_), _) => {
                    let _ = swarm
                        .behaviour_mut()
                        .sync
                        .send_response(channel, SyncResponse::Headers(vec![]));
                }
                (None, _) => conduct.held.push(channel),
            }
            continue;
        }
        if done(swarm, &event) {
            return true;
        }
    }
}

/// Connects a fresh evil peer to `target` and waits until the node subscribed to the blocks
/// topic is in its gossip view.
async fn connect(target: &str, status: Option<Status>) -> (Swarm<Evil>, Conduct) {
    let mut swarm = evil_swarm();
    swarm.behaviour_mut().gossipsub.subscribe(&blocks_topic(1337)).unwrap();
    swarm.dial(target.parse::<Multiaddr>().unwrap()).unwrap();
    let mut held = Conduct { status, held: Vec::new() };
    let subscribed = drive(&mut swarm, Duration::from_secs(30), &mut held, |_, e| {
        matches!(
            e,
            SwarmEvent::Behaviour(EvilEvent::Gossipsub(gossipsub::Event::Subscribed { .. }))
        )
    })
    .await;
    assert!(subscribed, "the node never subscribed to the blocks topic in our view");
    (swarm, held)
}

/// Publishes `data` on the blocks topic, driving the swarm until gossipsub has a peer to send
/// it to (the node's subscription can trail the connection by a moment).
async fn publish(swarm: &mut Swarm<Evil>, conduct: &mut Conduct, data: Vec<u8>) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match swarm.behaviour_mut().gossipsub.publish(blocks_topic(1337), data.clone()) {
            Ok(_) => return,
            Err(e) => assert!(Instant::now() < deadline, "cannot publish: {e}"),
        }
        drive(swarm, Duration::from_millis(100), conduct, |_, _| false).await;
    }
}

/// Keeps the swarm running (and every inbound request unanswered) until the node reports
/// `peer` banned, checked every 200 ms.
async fn until_banned(node: &NetNode, swarm: &mut Swarm<Evil>, held: &mut Conduct, what: &str) {
    let peer = *swarm.local_peer_id();
    let deadline = Instant::now() + Duration::from_secs(90);
    while !node.banned(&peer.to_string()) {
        assert!(Instant::now() < deadline, "{what}: the peer was never banned");
        drive(swarm, Duration::from_millis(200), held, |_, _| false).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misbehaving_peers_are_banned_and_honest_nodes_carry_on() {
    let dir = tempfile::tempdir().unwrap();
    let genesis = write_dev_genesis(dir.path());
    for name in ["miner", "honest"] {
        init(&genesis, &dir.path().join(name));
    }
    let timeout = ["--request-timeout".to_string(), "2".to_string()];
    let miner =
        NetNode::start(&dir.path().join("miner"), &[&timeout[..], &["--mine".into()]].concat());
    let honest = NetNode::start(
        &dir.path().join("honest"),
        &[&timeout[..], &["--bootnode".into(), miner.p2p.clone()]].concat(),
    );
    let honest_id = honest.p2p.rsplit('/').next().unwrap().to_string();
    let info = miner.call("quarry_nodeInfo", json!([]));
    // The truthful status of a peer that has only the genesis block.
    let truthful = Status {
        genesis: info["genesis"].as_str().unwrap().parse().unwrap(),
        tip: info["genesis"].as_str().unwrap().parse().unwrap(),
        number: 0,
        work: alloy_primitives::U256::from(1),
    };

    // 1. A block without proof of work: the hardest target there is, nonce never searched.
    let (mut swarm, mut held) = connect(&miner.p2p, Some(truthful.clone())).await;
    let mut header = Header { number: 1, bits: 0x0300_0001, ..Header::default() };
    header.parent_hash = alloy_primitives::B256::repeat_byte(1);
    let block = Block { header, transactions: vec![] };
    publish(&mut swarm, &mut held, block.encoded()).await;
    until_banned(&miner, &mut swarm, &mut held, "invalid proof of work").await;

    // 2. Garbage bytes on the blocks topic, twice.
    let (mut swarm, mut held) = connect(&miner.p2p, Some(truthful.clone())).await;
    for i in 0..2u8 {
        publish(&mut swarm, &mut held, vec![0xde, 0xad, i]).await;
    }
    until_banned(&miner, &mut swarm, &mut held, "garbage bytes").await;

    // 3. Oversized sync requests: 10,000 hashes where the limit is 16 KiB of request.
    let (mut swarm, mut held) = connect(&miner.p2p, Some(truthful.clone())).await;
    let node_id: PeerId = miner.p2p.rsplit('/').next().unwrap().parse().unwrap();
    for _ in 0..2 {
        let hashes = vec![alloy_primitives::B256::ZERO; 10_000];
        let request = Inbound::Request(SyncRequest::Bodies { hashes });
        swarm.behaviour_mut().sync.send_request(&node_id, request);
    }
    until_banned(&miner, &mut swarm, &mut held, "oversized requests").await;

    // 4. A peer that never answers the node's status requests (held open until they time out).
    let (mut swarm, mut held) = connect(&miner.p2p, None).await;
    until_banned(&miner, &mut swarm, &mut held, "unanswered requests").await;
    assert!(!held.held.is_empty(), "the node asked the silent peer something");

    // A banned peer that dials again is refused.
    let banned_peer = *swarm.local_peer_id();
    let _ = swarm.dial(miner.p2p.parse::<Multiaddr>().unwrap());
    drive(&mut swarm, Duration::from_secs(3), &mut held, |_, _| false).await;
    let peers = miner.call("quarry_peers", json!([]));
    assert!(
        peers.as_array().unwrap().iter().all(|p| p["peerId"] != banned_peer.to_string()),
        "a banned peer got back in: {peers}"
    );

    // The honest node never lost its standing, and both keep going.
    assert!(miner.peers().contains(&honest_id), "the honest node is still connected");
    let score = miner.call("quarry_peers", json!([]));
    let honest_score = score.as_array().unwrap().iter().find(|p| p["peerId"] == honest_id).unwrap()
        ["score"]
        .clone();
    assert_eq!(honest_score, json!(0), "honest peers pay nothing");
    let start = miner.height();
    let deadline = Instant::now() + Duration::from_secs(180);
    while !(miner.height() >= start + 3 && honest.height() >= start + 3) {
        assert!(Instant::now() < deadline, "mining or syncing stopped after the attacks");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
