//! The `quarry_` namespace: operating the node (mining on and off, miner and chain figures,
//! peers, identity). Not part of any Ethereum standard.

use jsonrpsee::server::RpcModule;
use serde_json::{json, Value};

use super::eth::client_version;
use super::json::{qty, qty256};
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
    // No p2p layer yet: a node has no peers.
    method(m, "quarry_peers", |_, _| Ok(json!([])));
    method(m, "quarry_nodeInfo", |c, _| {
        let tip = c.node.tip();
        let genesis = c.node.with_chain(|chain| chain.genesis_hash());
        Ok(json!({
            "clientVersion": client_version(),
            "chainId": qty(c.node.config().genesis.config.chain_id),
            "genesis": genesis,
            "tip": {"number": qty(tip.header.number), "hash": tip.hash, "chainWork": qty256(tip.work)},
            "rpc": c.config.addr.to_string(),
        }))
    });
}
