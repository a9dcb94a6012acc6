//! The `eth_`, `net_` and `web3_` methods.
//!
//! State methods take any block tag: `latest`, `pending` (the tip's state; nonces with the
//! pool), `safe`/`finalized` (`--rpc-confirmations` behind the tip), `earliest`, a number, or a
//! canonical block hash (EIP-1898 objects included). Blocks older than the kept history
//! (`--history`) answer `-32000` naming the oldest block kept. Every method reads one
//! published view of the chain, so it never waits for block import.
//!
//! `eth_call` and `eth_estimateGas` run the call as a transaction on the state after the
//! block asked for, in that block's environment, relaxed as geth's `eth_call` is (`internal/ethapi`
//! `DoCall` / `core.Message.SkipNonceChecks`): the nonce is the sender's current one; with no
//! gas price given the price is 0 and the base fee is treated as 0 (geth's `NoBaseFee`), so the
//! sender only needs the `value`; with a price given the sender must afford `gas × price +
//! value` and the gas allowance is capped by what the balance buys. The sender defaults to the
//! zero address and may have code (geth's `SkipFromEOACheck`). A third argument overrides
//! account fields and storage for the call ([`super::overrides`]).

use alloy_primitives::{Address, Bytes, B256, U256};
use jsonrpsee::server::RpcModule;
use quarry_primitives::{Header, SignedTransaction};
use quarry_vm::result::{ExecutionOutcome, HaltReason, Status};
use quarry_vm::{BlockEnv, Database, TxEnv};
use serde_json::{json, Value};

use super::error::LIMIT_EXCEEDED;
use super::json::{self, qty, qty256};
use super::overrides::{state_override, Overridden};
use super::params::{self, BlockId, CallRequest, LogFilter};
use super::trace::{state_access, StateAccess};
use super::{method, Ctx, RpcError};
use crate::engine::ChainView;
use crate::execution::block::block_env;
use crate::state::{account_key, prove, slot_key, StateAt, TrieError};
use crate::store::{BlockReceipts, StoreError};
use alloy_rlp::Decodable;
use quarry_consensus::next_base_fee;

/// Blocks the gas-price oracle samples (geth's `--gpo.blocks`).
pub const ORACLE_BLOCKS: u64 = 20;
/// Percentile of sampled tips suggested (geth's `--gpo.percentile`).
pub const ORACLE_PERCENTILE: usize = 60;
/// Tip suggested when the sampled blocks hold no transactions: 1 gwei, in wei.
pub const DEFAULT_TIP: u64 = 1_000_000_000;
/// Most blocks one `eth_feeHistory` returns (geth's `maxBlockCount`).
pub const MAX_FEE_HISTORY: u64 = 1024;

/// The client name `web3_clientVersion` reports.
pub fn client_version() -> String {
    format!(
        "quarry-node/v{}/{}-{}",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

pub(super) fn register(m: &mut RpcModule<Ctx>) {
    method(m, "web3_clientVersion", |_, _| Ok(json!(client_version())));
    method(m, "web3_sha3", |_, a| {
        let data: Bytes = params::req(a, 0, "data")?;
        Ok(json!(alloy_primitives::keccak256(&data)))
    });
    method(m, "net_version", |c, _| Ok(json!(c.node.config().genesis.config.chain_id.to_string())));
    method(m, "net_listening", |_, _| Ok(json!(true)));
    method(m, "net_peerCount", |c, _| Ok(qty(c.p2p.as_ref().map_or(0, |p| p.peer_count() as u64))));
    method(m, "eth_chainId", |c, _| Ok(qty(c.node.config().genesis.config.chain_id)));
    method(m, "eth_blockNumber", |c, _| Ok(qty(c.node.tip().header.number)));
    // geth's shape: false, or {startingBlock, currentBlock, highestBlock} while downloading.
    method(m, "eth_syncing", |c, _| {
        let Some(info) = c.p2p.as_ref().map(|p| p.info()).filter(|i| i.syncing) else {
            return Ok(json!(false));
        };
        let current = c.node.tip().header.number;
        Ok(json!({
            "startingBlock": qty(0),
            "currentBlock": qty(current),
            "highestBlock": qty(info.highest_block.max(current)),
        }))
    });
    method(m, "eth_mining", |c, _| Ok(json!(c.node.is_mining())));
    method(m, "eth_hashrate", |c, _| Ok(qty(c.node.hash_rate() as u64)));
    method(m, "eth_coinbase", |c, _| Ok(json!(c.node.config().etherbase)));
    method(m, "eth_getBalance", |c, a| {
        let address = params::address(a, 0, "address")?;
        let id = params::block_id(a, 1)?;
        let view = c.node.view();
        let state = state_for(&view, c, id)?;
        Ok(qty256(state.account_info(&address)?.map_or(U256::ZERO, |i| i.balance)))
    });
    method(m, "eth_getTransactionCount", |c, a| {
        let address = params::address(a, 0, "address")?;
        let id = params::block_id(a, 1)?;
        if id == BlockId::Pending {
            return Ok(qty(c.node.pending_nonce(address)));
        }
        let view = c.node.view();
        let state = state_for(&view, c, id)?;
        Ok(qty(state.account_info(&address)?.map_or(0, |i| i.nonce)))
    });
    method(m, "eth_getCode", |c, a| {
        let address = params::address(a, 0, "address")?;
        let id = params::block_id(a, 1)?;
        let view = c.node.view();
        let mut state = state_for(&view, c, id)?;
        let code = match state.account_info(&address)? {
            Some(info) => state.code_by_hash(info.code_hash)?,
            None => Bytes::new(),
        };
        Ok(json!(code))
    });
    method(m, "eth_getStorageAt", |c, a| {
        let address = params::address(a, 0, "address")?;
        let slot = a
            .get(1)
            .ok_or_else(|| RpcError::invalid_params("missing storage slot (argument 1)"))?;
        let slot = B256::from(params::quantity_of(slot, "storage slot")?);
        let id = params::block_id(a, 2)?;
        let view = c.node.view();
        let state = state_for(&view, c, id)?;
        Ok(json!(B256::from(state.slot(&address, &slot)?)))
    });
    method(m, "eth_getProof", |c, a| {
        let address = params::address(a, 0, "address")?;
        let keys = match a.get(1) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(keys)) => keys
                .iter()
                .map(|k| params::quantity_of(k, "storage key").map(B256::from))
                .collect::<Result<Vec<_>, _>>()?,
            Some(other) => {
                return Err(RpcError::invalid_params(format!(
                    "storage keys must be an array, got {other}"
                )))
            }
        };
        let id = params::block_id(a, 2)?;
        let view = c.node.view();
        let state = state_for(&view, c, id)?;
        proof(&state, address, &keys).map_err(|e| RpcError::internal(e.to_string()))
    });
    method(m, "eth_getBlockByNumber", |c, a| {
        let id = params::block_id(a, 0)?;
        let full = params::opt::<bool>(a, 1, "full transactions flag")?.unwrap_or(false);
        block_json(&c.node.view(), c, id, full)
    });
    method(m, "eth_getBlockByHash", |c, a| {
        let hash = params::hash(a, 0, "block hash")?;
        let full = params::opt::<bool>(a, 1, "full transactions flag")?.unwrap_or(false);
        block_json(&c.node.view(), c, BlockId::Hash(hash), full)
    });
    method(m, "eth_getBlockTransactionCountByNumber", |c, a| {
        let id = params::block_id(a, 0)?;
        let view = c.node.view();
        let Some((hash, _, _)) = resolve(&view, c, id)? else { return Ok(Value::Null) };
        Ok(view.block(&hash)?.map_or(Value::Null, |b| qty(b.transactions.len() as u64)))
    });
    method(m, "eth_getBlockTransactionCountByHash", |c, a| {
        let hash = params::hash(a, 0, "block hash")?;
        let view = c.node.view();
        Ok(view.block(&hash)?.map_or(Value::Null, |b| qty(b.transactions.len() as u64)))
    });
    method(m, "eth_getUncleCountByBlockNumber", |_, _| Ok(qty(0)));
    method(m, "eth_getUncleCountByBlockHash", |_, _| Ok(qty(0)));
    // Quarry's blocks have no uncles (ommers): every index answers null, as geth's do for a
    // block without them.
    method(m, "eth_getUncleByBlockNumberAndIndex", |_, a| {
        params::block_id(a, 0)?;
        params::req::<Value>(a, 1, "uncle index")
            .and_then(|i| params::u64_of(&i, "uncle index"))?;
        Ok(Value::Null)
    });
    method(m, "eth_getUncleByBlockHashAndIndex", |_, a| {
        params::hash(a, 0, "block hash")?;
        params::req::<Value>(a, 1, "uncle index")
            .and_then(|i| params::u64_of(&i, "uncle index"))?;
        Ok(Value::Null)
    });
    method(m, "eth_getTransactionByBlockNumberAndIndex", |c, a| {
        let id = params::block_id(a, 0)?;
        let index = params::req::<Value>(a, 1, "transaction index")
            .and_then(|i| params::u64_of(&i, "transaction index"))?;
        let view = c.node.view();
        let Some((hash, _, _)) = resolve(&view, c, id)? else { return Ok(Value::Null) };
        transaction_in_block(&view, hash, index)
    });
    method(m, "eth_getTransactionByBlockHashAndIndex", |c, a| {
        let hash = params::hash(a, 0, "block hash")?;
        let index = params::req::<Value>(a, 1, "transaction index")
            .and_then(|i| params::u64_of(&i, "transaction index"))?;
        transaction_in_block(&c.node.view(), hash, index)
    });
    method(m, "eth_getBlockReceipts", |c, a| {
        let id = params::block_id(a, 0)?;
        let view = c.node.view();
        let Some((hash, _, _)) = resolve(&view, c, id)? else { return Ok(Value::Null) };
        // Receipts exist for blocks this node executed on its canonical chain; a side-chain
        // block known only by hash has none, and answers null as geth's does.
        let (Some(block), Some(r)) = (view.block(&hash)?, view.receipts(&hash)?) else {
            return Ok(Value::Null);
        };
        if r.receipts.len() != block.transactions.len() {
            return Err(RpcError::internal(format!(
                "store: block {hash} has {} transactions but {} receipts",
                block.transactions.len(),
                r.receipts.len()
            )));
        }
        let receipts: Vec<Value> = (0..block.transactions.len())
            .map(|i| {
                json::receipt(&json::ReceiptParts {
                    block: &block,
                    index: i,
                    receipts: &r.receipts,
                    from: r.senders.get(i).copied().unwrap_or_default(),
                    contract_address: r.contract_addresses.get(i).copied().flatten(),
                })
            })
            .collect();
        Ok(Value::Array(receipts))
    });
    method(m, "eth_getTransactionByHash", |c, a| {
        let hash = params::hash(a, 0, "transaction hash")?;
        if let Some(json) = c
            .node
            .with_pool(|pool| pool.get(&hash).map(|p| json::transaction(&p.tx, p.sender, None)))
        {
            return Ok(json);
        }
        let view = c.node.view();
        let Some((block_hash, index)) = view.tx_location(&hash)? else {
            return Ok(Value::Null);
        };
        let (Some(block), Some(receipts)) = (view.block(&block_hash)?, view.receipts(&block_hash)?)
        else {
            return Ok(Value::Null);
        };
        let i = index as usize;
        let (Some(tx), Some(from)) = (block.transactions.get(i), receipts.senders.get(i)) else {
            return Ok(Value::Null);
        };
        Ok(json::transaction(
            tx,
            *from,
            Some((block_hash, block.header.number, i, block.header.base_fee_per_gas)),
        ))
    });
    method(m, "eth_getTransactionReceipt", |c, a| {
        let hash = params::hash(a, 0, "transaction hash")?;
        let view = c.node.view();
        let Some((block_hash, index)) = view.tx_location(&hash)? else {
            return Ok(Value::Null);
        };
        let (Some(block), Some(r)) = (view.block(&block_hash)?, view.receipts(&block_hash)?) else {
            return Ok(Value::Null);
        };
        let i = index as usize;
        if i >= block.transactions.len() || i >= r.receipts.len() {
            return Err(RpcError::internal(format!(
                "store: receipt {i} of block {block_hash} missing"
            )));
        }
        Ok(json::receipt(&json::ReceiptParts {
            block: &block,
            index: i,
            receipts: &r.receipts,
            from: r.senders.get(i).copied().unwrap_or_default(),
            contract_address: r.contract_addresses.get(i).copied().flatten(),
        }))
    });
    method(m, "eth_sendRawTransaction", |c, a| {
        let raw: String = params::req(a, 0, "raw transaction")?;
        let bytes: Bytes = raw
            .parse()
            .map_err(|e| RpcError::invalid_params(format!("raw transaction is not hex: {e}")))?;
        let tx = SignedTransaction::decode(&bytes)
            .map_err(|e| RpcError::invalid_params(format!("rlp: {e}")))?;
        let hash = c.node.submit_transaction(tx).map_err(|e| RpcError::server(e.to_string()))?;
        Ok(json!(hash))
    });
    method(m, "eth_gasPrice", |c, _| {
        let view = c.node.view();
        let tip = suggested_tip(&view, c.node.with_pool(|pool| pool.config().min_tip))?;
        Ok(qty256(U256::from(next_base_fee(&view.tip().header)) + tip))
    });
    method(m, "eth_maxPriorityFeePerGas", |c, _| {
        let view = c.node.view();
        Ok(qty256(suggested_tip(&view, c.node.with_pool(|pool| pool.config().min_tip))?))
    });
    method(m, "eth_feeHistory", |c, a| {
        let count = a
            .first()
            .ok_or_else(|| RpcError::invalid_params("missing block count (argument 0)"))?;
        let count = params::u64_of(count, "block count")?.min(MAX_FEE_HISTORY);
        let newest = params::block_id(a, 1)?;
        let percentiles: Vec<f64> = params::opt(a, 2, "reward percentiles")?.unwrap_or_default();
        for (i, p) in percentiles.iter().enumerate() {
            if !(0.0..=100.0).contains(p) || (i > 0 && *p < percentiles[i - 1]) {
                return Err(RpcError::invalid_params(format!(
                    "invalid reward percentile {p}: percentiles must rise from 0 to 100"
                )));
            }
        }
        fee_history(&c.node.view(), c, count, newest, &percentiles)
    });
    method(m, "eth_call", |c, a| {
        let call = params::call_request(a, 0)?;
        let id = params::block_id(a, 1)?;
        let overrides = state_override(a, 2)?;
        let view = c.node.view();
        let (header, mut stored) = call_state(&view, c, id)?;
        let mut state = Overridden::new(&mut stored, &overrides);
        let prepared = prepare(&view, &header, &mut state, &call)?;
        let outcome = execute(&mut state, &prepared, prepared.gas_cap)?;
        match outcome.status {
            Status::Success => Ok(json!(outcome.output)),
            Status::Revert => Err(RpcError::reverted(&outcome.output)),
            Status::Halt(reason) => Err(RpcError::server(halt_message(reason, prepared.gas_cap))),
        }
    });
    method(m, "eth_estimateGas", |c, a| {
        let call = params::call_request(a, 0)?;
        let id = params::block_id(a, 1)?;
        let overrides = state_override(a, 2)?;
        let view = c.node.view();
        let (header, mut stored) = call_state(&view, c, id)?;
        let mut state = Overridden::new(&mut stored, &overrides);
        estimate_gas(&view, &header, &mut state, &call).map(qty)
    });
    method(m, "eth_createAccessList", |c, a| {
        let call = params::call_request(a, 0)?;
        let id = params::block_id(a, 1)?;
        let view = c.node.view();
        let (header, mut state) = call_state(&view, c, id)?;
        create_access_list(&view, &header, &mut state, &call)
    });
    method(m, "eth_getLogs", |c, a| {
        let filter = params::log_filter(a, 0)?;
        get_logs(&c.node.view(), c, &filter).map(Value::Array)
    });
}

/// EIP-1186 `eth_getProof`: the account's fields with the nodes on its path in the state trie
/// of the block `state` is at, and each storage key's value with its path in the account's
/// storage trie. Proofs of absent accounts and slots end where the path leaves the trie, as
/// geth's do; an absent account has geth's empty fields (zero nonce and balance, the empty
/// code hash and storage root).
fn proof(state: &StateAt<'_>, address: Address, keys: &[B256]) -> Result<Value, TrieError> {
    let reader = state.reader();
    let root = state.block().state_root;
    let tries = crate::state::StateTries::at_root(root);
    let account = tries.account(&address, &reader)?;
    let account_proof = prove(root, &account_key(&address), &reader)?;
    let storage_root = account.map_or(alloy_trie::EMPTY_ROOT_HASH, |a| a.storage_root);
    let mut storage_proof = Vec::with_capacity(keys.len());
    for key in keys {
        let slot = U256::from_be_bytes(key.0);
        let value =
            match crate::state::Trie::at_root(storage_root).get(&slot_key(&slot), &reader)? {
                Some(rlp) => U256::decode(&mut &rlp[..]).map_err(|e| TrieError::Corrupt {
                    hash: storage_root,
                    reason: format!("slot {key}: {e}"),
                })?,
                None => U256::ZERO,
            };
        storage_proof.push(json!({
            "key": key,
            "value": qty256(value),
            "proof": prove(storage_root, &slot_key(&slot), &reader)?,
        }));
    }
    Ok(json!({
        "address": address,
        "accountProof": account_proof,
        "balance": qty256(account.map_or(U256::ZERO, |a| a.balance)),
        "codeHash": account.map_or(quarry_vm::KECCAK_EMPTY, |a| a.code_hash),
        "nonce": qty(account.map_or(0, |a| a.nonce)),
        "storageHash": storage_root,
        "storageProof": storage_proof,
    }))
}

/// Resolves `id` to a known block: (hash, header, chain work). `None`: no such block.
/// `pending` names the tip (the pending block's state is the tip's plus the pool's nonces).
pub(super) fn resolve(
    view: &ChainView,
    c: &Ctx,
    id: BlockId,
) -> Result<Option<(B256, Header, U256)>, RpcError> {
    let tip = view.tip();
    let number = match id {
        BlockId::Latest | BlockId::Pending => {
            return Ok(Some((tip.hash, tip.header.clone(), tip.work)))
        }
        BlockId::Earliest => 0,
        BlockId::Safe | BlockId::Finalized => {
            tip.header.number.saturating_sub(c.config.confirmations)
        }
        BlockId::Number(n) => n,
        BlockId::Hash(hash) => return Ok(view.header(&hash)?.map(|(h, w)| (hash, h, w))),
    };
    let Some(hash) = view.canonical_hash(number)? else { return Ok(None) };
    Ok(view.header(&hash)?.map(|(h, w)| (hash, h, w)))
}

/// The state after the block `id` names: any canonical block within the kept history
/// (`latest`, `pending`, `safe`, `finalized`, `earliest`, a number or a canonical hash).
pub(super) fn state_for<'v>(
    view: &'v ChainView,
    c: &Ctx,
    id: BlockId,
) -> Result<StateAt<'v>, RpcError> {
    let Some((hash, header, _)) = resolve(view, c, id)? else {
        return Err(RpcError::server(format!("header not found: {id:?}")));
    };
    let state = match id {
        BlockId::Hash(_) => view.state_at_hash(&hash),
        _ => view.state_at_number(header.number),
    };
    state.map_err(|e| RpcError::server(e.to_string()))
}

/// The header a call at `id` runs in (its number, timestamp, base fee, …) and the state after
/// that block, as geth's `DoCall` takes them.
pub(super) fn call_state<'v>(
    view: &'v ChainView,
    c: &Ctx,
    id: BlockId,
) -> Result<(Header, StateAt<'v>), RpcError> {
    let state = state_for(view, c, id)?;
    let header = view
        .header(&state.block().hash)?
        .map(|(h, _)| h)
        .ok_or_else(|| RpcError::server(format!("header not found: {id:?}")))?;
    Ok((header, state))
}

fn block_json(view: &ChainView, c: &Ctx, id: BlockId, full: bool) -> Result<Value, RpcError> {
    let Some((hash, _, work)) = resolve(view, c, id)? else { return Ok(Value::Null) };
    let Some(block) = view.block(&hash)? else { return Ok(Value::Null) };
    if !full {
        return Ok(json::block(&block, work, None));
    }
    let senders: Vec<Address> = match view.receipts(&hash)? {
        Some(r) if r.senders.len() == block.transactions.len() => r.senders,
        // A side-chain block was never executed here: recover the senders.
        _ => block.transactions.iter().map(|tx| tx.recover_sender().unwrap_or_default()).collect(),
    };
    Ok(json::block(&block, work, Some(&senders)))
}

/// Tips (effective gas price − base fee) paid in the last [`ORACLE_BLOCKS`] blocks: the
/// [`ORACLE_PERCENTILE`]th percentile of each block's three lowest tips (geth's oracle), at
/// least `floor` (the pool's minimum tip); [`DEFAULT_TIP`] when no transaction was sampled.
pub(super) fn suggested_tip(view: &ChainView, floor: U256) -> Result<U256, RpcError> {
    let tip = view.tip();
    let mut samples = Vec::new();
    let mut hash = tip.hash;
    for _ in 0..ORACLE_BLOCKS {
        let Some(block) = view.block(&hash)? else { break };
        let base = block.header.base_fee_per_gas;
        let mut tips: Vec<U256> = block
            .transactions
            .iter()
            .map(|tx| json::effective_gas_price(tx, base).saturating_sub(U256::from(base)))
            .collect();
        tips.sort();
        samples.extend(tips.into_iter().take(3));
        if block.header.number == 0 {
            break;
        }
        hash = block.header.parent_hash;
    }
    if samples.is_empty() {
        return Ok(U256::from(DEFAULT_TIP).max(floor));
    }
    samples.sort();
    let index = (samples.len() - 1) * ORACLE_PERCENTILE / 100;
    Ok(samples[index].max(floor))
}

fn fee_history(
    view: &ChainView,
    c: &Ctx,
    count: u64,
    newest: BlockId,
    percentiles: &[f64],
) -> Result<Value, RpcError> {
    let Some((_, newest, _)) = resolve(view, c, newest)? else {
        return Err(RpcError::server(format!("header not found: {newest:?}")));
    };
    if count == 0 {
        return Ok(json!({"oldestBlock": qty(0), "baseFeePerGas": [], "gasUsedRatio": []}));
    }
    let oldest = (newest.number + 1).saturating_sub(count);
    let mut base_fees = Vec::new();
    let mut ratios = Vec::new();
    let mut rewards = Vec::new();
    for number in oldest..=newest.number {
        let hash = view
            .canonical_hash(number)?
            .ok_or_else(|| RpcError::internal(format!("block {number} missing")))?;
        let block = view
            .block(&hash)?
            .ok_or_else(|| RpcError::internal(format!("block {hash} missing")))?;
        let header = &block.header;
        base_fees.push(qty(header.base_fee_per_gas));
        ratios.push(json!(header.gas_used as f64 / header.gas_limit.max(1) as f64));
        if !percentiles.is_empty() {
            let receipts = view.receipts(&hash)?.unwrap_or_default();
            rewards.push(block_rewards(&block, &receipts, percentiles));
        }
    }
    base_fees.push(qty(next_base_fee(&newest)));
    let mut out =
        json!({"oldestBlock": qty(oldest), "baseFeePerGas": base_fees, "gasUsedRatio": ratios});
    if !percentiles.is_empty() {
        out["reward"] = json!(rewards);
    }
    Ok(out)
}

/// geth's `processBlock`: tips sorted ascending, weighted by gas used; for each percentile the
/// tip of the transaction at which the cumulative gas reaches that share of the block's gas.
fn block_rewards(
    block: &quarry_primitives::Block,
    receipts: &BlockReceipts,
    percentiles: &[f64],
) -> Vec<Value> {
    let base = block.header.base_fee_per_gas;
    let mut txs: Vec<(U256, u64)> = block
        .transactions
        .iter()
        .enumerate()
        .map(|(i, tx)| {
            let used = match (
                receipts.receipts.get(i),
                i.checked_sub(1).and_then(|p| receipts.receipts.get(p)),
            ) {
                (Some(r), Some(prev)) => r.cumulative_gas_used - prev.cumulative_gas_used,
                (Some(r), None) => r.cumulative_gas_used,
                _ => 0,
            };
            (json::effective_gas_price(tx, base).saturating_sub(U256::from(base)), used)
        })
        .collect();
    if txs.is_empty() {
        return percentiles.iter().map(|_| qty(0)).collect();
    }
    txs.sort();
    let mut index = 0;
    let mut sum = txs[0].1;
    percentiles
        .iter()
        .map(|p| {
            let threshold = (block.header.gas_used as f64 * p / 100.0) as u64;
            while sum < threshold && index < txs.len() - 1 {
                index += 1;
                sum += txs[index].1;
            }
            qty256(txs[index].0)
        })
        .collect()
}

/// A call ready to run at any gas limit.
struct Prepared {
    block: BlockEnv,
    tx: TxEnv,
    /// Most gas the call may have: the request's gas or the block gas limit, and with a price
    /// what the sender's balance buys.
    gas_cap: u64,
}

fn prepare<D: Database<Error = StoreError>>(
    view: &ChainView,
    header: &Header,
    state: &mut D,
    call: &CallRequest,
) -> Result<Prepared, RpcError> {
    let mut block = block_env(view.rules(), header);
    let from = call.from.unwrap_or_default();
    let account = state.account(from)?;
    let (nonce, balance) = account.map_or((0, U256::ZERO), |a| (a.nonce, a.balance));
    let is_1559 = call.max_fee_per_gas.is_some() || call.max_priority_fee_per_gas.is_some();
    let (tx_type, gas_price, tip_cap) = if is_1559 {
        let tip_cap = call.max_priority_fee_per_gas.unwrap_or_default();
        let fee_cap = call.max_fee_per_gas.unwrap_or(block.base_fee.saturating_add(tip_cap));
        (2u8, fee_cap, Some(tip_cap))
    } else {
        (u8::from(!call.access_list.is_empty()), call.gas_price.unwrap_or_default(), None)
    };
    if gas_price.is_zero() {
        // geth's NoBaseFee: a call without a price runs with a zero base fee.
        block.base_fee = U256::ZERO;
    }
    let mut gas_cap = call.gas.unwrap_or(block.gas_limit).min(block.gas_limit);
    if !gas_price.is_zero() {
        let available = balance.saturating_sub(call.value) / gas_price;
        gas_cap = gas_cap.min(u64::try_from(available).unwrap_or(u64::MAX));
    }
    let tx = TxEnv {
        tx_type,
        caller: from,
        gas_limit: gas_cap,
        gas_price,
        max_priority_fee_per_gas: tip_cap,
        to: call.to,
        value: call.value,
        data: call.input.clone(),
        nonce,
        chain_id: None,
        access_list: call.access_list.clone(),
        // geth's SkipFromEOACheck: a contract or smart account may be simulated as the sender.
        skip_eoa_check: true,
    };
    Ok(Prepared { block, tx, gas_cap })
}

/// The block and transaction environments `eth_call` would run `call` in at `header`, with
/// the gas allowance as the transaction's gas limit (what `debug_traceCall` runs).
pub(super) fn prepare_call<D: Database<Error = StoreError>>(
    view: &ChainView,
    header: &Header,
    state: &mut D,
    call: &CallRequest,
) -> Result<(BlockEnv, TxEnv), RpcError> {
    let prepared = prepare(view, header, state, call)?;
    Ok((prepared.block, TxEnv { gas_limit: prepared.gas_cap, ..prepared.tx }))
}

fn execute<D: Database<Error = StoreError>>(
    state: &mut D,
    prepared: &Prepared,
    gas: u64,
) -> Result<ExecutionOutcome, RpcError> {
    let tx = TxEnv { gas_limit: gas, ..prepared.tx.clone() };
    quarry_vm::transact(state, &prepared.block, &tx).map_err(RpcError::from)
}

fn halt_message(reason: HaltReason, gas: u64) -> String {
    match reason {
        HaltReason::OutOfGas | HaltReason::ReentrancySentryOutOfGas => {
            format!("out of gas: gas required exceeds allowance ({gas})")
        }
        other => other.to_string(),
    }
}

/// The least gas with which the call succeeds, by binary search between the gas it used
/// (minus one) and the cap, after one optimistic try at `used × 64/63` (geth's estimator;
/// the 63/64 rule of EIP-150 is why the gas used alone may not suffice). A call that fails at
/// the cap is answered with its revert (code 3 with the data) or halt reason.
pub(super) fn estimate_gas<D: Database<Error = StoreError>>(
    view: &ChainView,
    header: &Header,
    state: &mut D,
    call: &CallRequest,
) -> Result<u64, RpcError> {
    let prepared = prepare(view, header, state, call)?;
    let hi_outcome = execute(state, &prepared, prepared.gas_cap)?;
    match hi_outcome.status {
        Status::Success => {}
        Status::Revert => return Err(RpcError::reverted(&hi_outcome.output)),
        Status::Halt(reason) => {
            return Err(RpcError::server(halt_message(reason, prepared.gas_cap)))
        }
    }
    let mut succeeds = |gas: u64| matches!(execute(state, &prepared, gas), Ok(o) if o.is_success());
    let mut hi = prepared.gas_cap;
    let needed = hi_outcome.gas_used + hi_outcome.gas_refunded;
    let mut lo = needed.saturating_sub(1);
    let optimistic = (needed + 2300) * 64 / 63;
    if optimistic < hi {
        if succeeds(optimistic) {
            hi = optimistic;
        } else {
            lo = optimistic;
        }
    }
    while lo + 1 < hi {
        let mid = lo + (hi - lo) / 2;
        if succeeds(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(hi)
}

pub(super) fn get_logs(
    view: &ChainView,
    c: &Ctx,
    filter: &LogFilter,
) -> Result<Vec<Value>, RpcError> {
    let hashes: Vec<B256> = if let Some(hash) = filter.block_hash {
        if view.header(&hash)?.is_none() {
            return Err(RpcError::server(format!("unknown block {hash}")));
        }
        vec![hash]
    } else {
        let number = |id: Option<BlockId>| -> Result<u64, RpcError> {
            let id = id.unwrap_or(BlockId::Latest);
            if let BlockId::Number(n) = id {
                // A range may reach past the tip (the limit counts what was asked for).
                return Ok(n);
            }
            match resolve(view, c, id)? {
                Some((_, header, _)) => Ok(header.number),
                None => Err(RpcError::server(format!("header not found: {id:?}"))),
            }
        };
        let from = number(filter.from_block)?;
        let to = number(filter.to_block)?;
        if from > to {
            return Err(RpcError::invalid_params(format!(
                "invalid block range: fromBlock {from} > toBlock {to}"
            )));
        }
        if c.config.max_log_range != 0 && to - from >= c.config.max_log_range {
            return Err(RpcError {
                code: LIMIT_EXCEEDED,
                message: format!(
                    "query exceeds max block range {}: {from}..={to} spans {} blocks",
                    c.config.max_log_range,
                    to - from + 1
                ),
                data: None,
            });
        }
        // Blocks past the tip do not exist yet: a range reaching beyond it stops there.
        let mut hashes = Vec::new();
        for n in from..=to.min(view.tip().header.number) {
            if let Some(h) = view.canonical_hash(n)? {
                hashes.push(h);
            }
        }
        hashes
    };
    let mut out = Vec::new();
    for hash in hashes {
        let Some((header, _)) = view.header(&hash)? else { continue };
        if !filter.may_match(&header.logs_bloom) {
            continue;
        }
        let (Some(block), Some(receipts)) = (view.block(&hash)?, view.receipts(&hash)?) else {
            continue;
        };
        out.extend(block_logs(&block, &receipts, filter, false));
    }
    Ok(out)
}

/// The logs of `block` passing `filter`, as JSON objects.
pub(super) fn block_logs(
    block: &quarry_primitives::Block,
    receipts: &BlockReceipts,
    filter: &LogFilter,
    removed: bool,
) -> Vec<Value> {
    let block_hash = block.header.hash();
    let mut out = Vec::new();
    let mut log_index = 0;
    for (tx_index, (tx, receipt)) in block.transactions.iter().zip(&receipts.receipts).enumerate() {
        for log in &receipt.logs {
            if filter.matches(log) {
                let at = json::LogPosition {
                    block_hash,
                    block_number: block.header.number,
                    tx_hash: tx.hash(),
                    tx_index,
                    log_index,
                };
                out.push(json::log(log, at, removed));
            }
            log_index += 1;
        }
    }
    out
}

/// The transaction at `index` of block `hash` in `eth_getTransactionByHash`'s shape, or null
/// when the block or the index is unknown.
fn transaction_in_block(view: &ChainView, hash: B256, index: u64) -> Result<Value, RpcError> {
    let Some(block) = view.block(&hash)? else { return Ok(Value::Null) };
    let Some(tx) = usize::try_from(index).ok().and_then(|i| block.transactions.get(i)) else {
        return Ok(Value::Null);
    };
    let i = index as usize;
    let sender = match view.receipts(&hash)? {
        Some(r) if r.senders.len() == block.transactions.len() => r.senders[i],
        // A side-chain block was never executed here: recover the sender.
        _ => tx
            .recover_sender()
            .map_err(|e| RpcError::internal(format!("transaction {i} of block {hash}: {e}")))?,
    };
    Ok(json::transaction(
        tx,
        sender,
        Some((hash, block.header.number, i, block.header.base_fee_per_gas)),
    ))
}

/// geth's `eth_createAccessList` (EIP-2930): runs the call with an access-list tracer, then
/// again with the list it found, until the list stops changing (a list can change the gas
/// left and so the path taken). The sender, the recipient (or the created address) and the
/// precompiles are left out, as geth leaves them out: they are warm anyway (EIP-2929). Answers
/// `{accessList, gasUsed}` and, when the call failed, `error` with the reason.
fn create_access_list(
    view: &ChainView,
    header: &Header,
    state: &mut StateAt<'_>,
    call: &CallRequest,
) -> Result<Value, RpcError> {
    let mut prepared = prepare(view, header, state, call)?;
    // A legacy-priced call runs as an EIP-2930 transaction, the first type to carry a list.
    prepared.tx.tx_type = prepared.tx.tx_type.max(1);
    let from = prepared.tx.caller;
    let to = match call.to {
        Some(to) => to,
        None => from.create(prepared.tx.nonce),
    };
    let mut list = call.access_list.clone();
    // Each round can only add entries the previous list did not hold; a bound keeps a
    // pathological contract from looping forever.
    for _ in 0..16 {
        prepared.tx.access_list = list.clone();
        let mut tracer = AccessListTracer::new(&list, [from, to]);
        let tx = TxEnv { gas_limit: prepared.gas_cap, ..prepared.tx.clone() };
        let outcome =
            quarry_vm::transact_with_tracer(state, &prepared.block, &tx, Some(&mut tracer))?;
        let found = tracer.into_list();
        if found == list {
            let mut out = json!({
                "accessList": found,
                "gasUsed": qty(outcome.gas_used),
            });
            match outcome.status {
                Status::Success => {}
                Status::Revert => out["error"] = json!("execution reverted"),
                Status::Halt(reason) => {
                    out["error"] = json!(halt_message(reason, prepared.gas_cap))
                }
            }
            return Ok(out);
        }
        list = found;
    }
    Err(RpcError::server("access list did not settle after 16 rounds of execution"))
}

/// Collects the addresses and storage slots a call touches (geth's
/// `eth/tracers/logger.AccessListTracer`): SLOAD/SSTORE slots of the executing account,
/// addresses read by BALANCE and EXTCODE*, targets of the CALL family and SELFDESTRUCT's
/// beneficiary, minus the excluded addresses and the precompiles.
struct AccessListTracer {
    /// Address → its slots, in first-touch order (sorted on output).
    list: Vec<(Address, Vec<B256>)>,
    excluded: [Address; 2],
}

impl AccessListTracer {
    fn new(
        start: &[quarry_primitives::transaction::AccessListItem],
        excluded: [Address; 2],
    ) -> Self {
        let mut tracer = AccessListTracer { list: Vec::new(), excluded };
        for item in start {
            tracer.entry(item.address);
            for key in &item.storage_keys {
                tracer.add_slot(item.address, *key);
            }
        }
        tracer
    }

    fn wanted(&self, address: Address) -> bool {
        !self.excluded.contains(&address) && !quarry_vm::precompiles::is_precompile(address)
    }

    /// The index of `address`'s entry, added if new (no exclusion: geth lists the slots of
    /// every account, the recipient's included).
    fn entry(&mut self, address: Address) -> usize {
        match self.list.iter().position(|(a, _)| *a == address) {
            Some(i) => i,
            None => {
                self.list.push((address, Vec::new()));
                self.list.len() - 1
            }
        }
    }

    fn add_address(&mut self, address: Address) {
        if self.wanted(address) {
            self.entry(address);
        }
    }

    fn add_slot(&mut self, address: Address, slot: B256) {
        let i = self.entry(address);
        if !self.list[i].1.contains(&slot) {
            self.list[i].1.push(slot);
        }
    }

    /// The list sorted by address, each address's slots sorted (geth's `accessListSorted`,
    /// the order anvil answers in; EIP-2930 gives the order no meaning).
    fn into_list(self) -> Vec<quarry_primitives::transaction::AccessListItem> {
        let mut list: Vec<_> = self
            .list
            .into_iter()
            .map(|(address, mut storage_keys)| {
                storage_keys.sort();
                quarry_primitives::transaction::AccessListItem { address, storage_keys }
            })
            .collect();
        list.sort_by_key(|item| item.address);
        list
    }
}

impl quarry_vm::Tracer for AccessListTracer {
    fn step(&mut self, step: &quarry_vm::Step<'_>) {
        match state_access(step) {
            Some(StateAccess::Slot(address, slot)) => self.add_slot(address, slot),
            Some(StateAccess::Account(address)) => self.add_address(address),
            None => {}
        }
    }
}
