//! The `quarry_` namespace: operating the node (mining on and off, miner and chain figures,
//! peers, identity). Not part of any Ethereum standard.

use jsonrpsee::server::RpcModule;
use serde_json::{json, Value};

use super::eth::client_version;
use super::json::{self, qty, qty256};
use super::{method, params, Ctx, RpcError};

pub(super) fn register(m: &mut RpcModule<Ctx>) {
    // quarry_setMining(threads | bool): a thread count (0 stops), true (one thread) or false.
    method(m, "quarry_setMining", |c, a| {
        let threads = match a.first() {
            Some(Value::Bool(on)) => usize::from(*on),
            Some(v) => usize::try_from(params::u64_of(v, "threads")?)
                .map_err(|_| RpcError::invalid_params(format!("invalid threads {v}")))?,
            None => {
                return Err(RpcError::invalid_params("missing threads or true/false (argument 0)"))
            }
        };
        if threads > 1024 {
            return Err(RpcError::invalid_params(format!(
                "invalid threads {threads}: at most 1024"
            )));
        }
        c.node.set_mining(Some(threads)).map_err(|e| RpcError::server(e.to_string()))?;
        Ok(json!(c.node.is_mining()))
    });
    method(m, "quarry_minerInfo", |c, _| {
        let config = c.node.config();
        Ok(json!({
            "mining": c.node.is_mining(),
            "hashrate": c.node.hash_rate(),
            "kernel": config.kernel.name(),
            "etherbase": config.etherbase,
        }))
    });
    method(m, "quarry_chainWork", |c, _| {
        let tip = c.node.tip();
        Ok(
            json!({"number": qty(tip.header.number), "hash": tip.hash, "chainWork": qty256(tip.work)}),
        )
    });
    // Connected peers with their address, direction, agent, score and last status.
    method(m, "quarry_peers", |c, _| {
        Ok(c.p2p.as_ref().map_or_else(|| json!([]), |p| json!(p.info().peers)))
    });
    // Banned (by score, with seconds left) and operator-blocked (null) peers.
    method(m, "quarry_bannedPeers", |c, _| {
        let banned = c.p2p.as_ref().map(|p| p.info().banned).unwrap_or_default();
        Ok(Value::Array(
            banned
                .into_iter()
                .map(|(peer, left)| json!({"peerId": peer, "secondsLeft": left}))
                .collect(),
        ))
    });
    // quarry_addPeer(multiaddr): dial (like geth's admin_addPeer; true once queued).
    method(m, "quarry_addPeer", |c, a| {
        let addr: String = params::req(a, 0, "multiaddr")?;
        let addr: libp2p::Multiaddr = addr
            .parse()
            .map_err(|e| RpcError::invalid_params(format!("invalid multiaddr {addr:?}: {e}")))?;
        p2p(c)?.add_peer(addr);
        Ok(json!(true))
    });
    // quarry_removePeer(peerId): disconnect (bootnodes are redialled).
    method(m, "quarry_removePeer", |c, a| {
        let peer = peer_id(a)?;
        p2p(c)?.remove_peer(peer);
        Ok(json!(true))
    });
    // quarry_blockPeer(peerId): disconnect and refuse until quarry_unblockPeer.
    method(m, "quarry_blockPeer", |c, a| {
        let peer = peer_id(a)?;
        p2p(c)?.block_peer(peer);
        Ok(json!(true))
    });
    // quarry_unblockPeer(peerId): lift an operator block or a ban.
    method(m, "quarry_unblockPeer", |c, a| {
        let peer = peer_id(a)?;
        p2p(c)?.unblock_peer(peer);
        Ok(json!(true))
    });
    method(m, "quarry_blockTree", block_tree);
    method(m, "quarry_nodeInfo", |c, _| {
        let tip = c.node.tip();
        let genesis = c.node.view().genesis_hash();
        Ok(json!({
            "clientVersion": client_version(),
            "chainId": qty(c.node.config().genesis.config.chain_id),
            "genesis": genesis,
            "tip": {"number": qty(tip.header.number), "hash": tip.hash, "chainWork": qty256(tip.work)},
            "rpc": c.config.addr.to_string(),
            "p2p": c.p2p.as_ref().map(|p| {
                let info = p.info();
                json!({"peerId": info.peer_id, "listen": info.listen})
            }),
        }))
    });
}

/// Most heights one `quarry_blockTree` call may span.
pub const MAX_TREE_HEIGHTS: u64 = 256;

/// `quarry_blockTree(fromHeight, toHeight?)`: every block this node holds at heights
/// `fromHeight..=toHeight` (default: the tip's height), canonical or not, sorted by height
/// then hash, each as `{hash, parentHash, number, miner, timestamp, difficulty,
/// totalDifficulty, bits, nonce, transactionCount, canonical}` (`difficulty` is the block's
/// work and `totalDifficulty` its chain's, as in `eth_getBlockByHash`), beside the tip. The
/// node keeps every valid block it has seen, so stale branches and the blocks a reorganisation
/// left behind stay visible; a block explorer draws the tree from it.
///
/// # Errors
/// `-32602` for a missing or malformed height, `fromHeight > toHeight`, or a span of more than
/// [`MAX_TREE_HEIGHTS`] heights.
fn block_tree(c: &Ctx, args: &[Value]) -> Result<Value, RpcError> {
    let view = c.node.view();
    let tip = view.tip();
    let from = params::opt_u64(args, 0, "fromHeight")?
        .ok_or_else(|| RpcError::invalid_params("missing fromHeight (argument 0)"))?;
    let to = params::opt_u64(args, 1, "toHeight")?.unwrap_or(tip.header.number.max(from));
    if from > to {
        return Err(RpcError::invalid_params(format!(
            "invalid range: fromHeight {from} is above toHeight {to}"
        )));
    }
    if to - from >= MAX_TREE_HEIGHTS {
        return Err(RpcError::invalid_params(format!(
            "range {from}..={to} spans {} heights; at most {MAX_TREE_HEIGHTS} per call",
            u128::from(to - from) + 1
        )));
    }
    let reader = view.reader();
    let mut blocks = Vec::new();
    for (number, hash) in reader.block_hashes_between(from, to)? {
        // A block is indexed by height in the same batch as its header and body.
        let (Some((header, work)), Some(body)) = (reader.header(&hash)?, reader.body(&hash)?)
        else {
            continue;
        };
        let mut entry = json::header(&header, work);
        let map = entry.as_object_mut().expect("a header is an object");
        map.retain(|key, _| TREE_FIELDS.contains(&key.as_str()));
        map.insert("transactionCount".into(), qty(body.len() as u64));
        map.insert("canonical".into(), json!(view.canonical_hash(number)? == Some(hash)));
        blocks.push(entry);
    }
    Ok(json!({
        "tip": {"number": qty(tip.header.number), "hash": tip.hash, "chainWork": qty256(tip.work)},
        "blocks": blocks,
    }))
}

/// The header fields of a `quarry_blockTree` entry (the rest of the header is one
/// `eth_getBlockByHash` away).
const TREE_FIELDS: [&str; 9] = [
    "hash",
    "parentHash",
    "number",
    "miner",
    "timestamp",
    "difficulty",
    "totalDifficulty",
    "bits",
    "nonce",
];

fn p2p(c: &Ctx) -> Result<&crate::p2p::P2p, RpcError> {
    c.p2p.as_ref().ok_or_else(|| RpcError::server("this node runs without p2p"))
}

fn peer_id(args: &[Value]) -> Result<libp2p::PeerId, RpcError> {
    let text: String = params::req(args, 0, "peerId")?;
    text.parse().map_err(|e| RpcError::invalid_params(format!("invalid peer id {text:?}: {e}")))
}
