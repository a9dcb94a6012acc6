//! Otterscan's `ots_` namespace (API level 8, as Erigon serves it), so a stock Otterscan
//! pointed at a Quarry node shows blocks, an address's transactions, contract creators and
//! internal operations:
//! `ots_getApiLevel`, `ots_hasCode`, `ots_getBlockDetails`, `ots_getBlockDetailsByHash`,
//! `ots_getBlockTransactions`, `ots_searchTransactionsBefore`, `ots_searchTransactionsAfter`,
//! `ots_getTransactionBySenderAndNonce`, `ots_getContractCreator`, `ots_getTransactionError`,
//! `ots_getInternalOperations` and `ots_traceTransaction`.
//!
//! The address, sender-nonce and creator lookups read the store's canonical indexes (written
//! in each block's batch, docs/node.md); the trace-based methods replay the transaction as
//! `debug_traceTransaction` does. Differences from Erigon: `ots_getContractCreator` knows
//! contracts created by a transaction itself, not those created by another contract's CREATE
//! (it answers `null` for those).

use std::collections::HashMap;

use alloy_primitives::{Address, Bytes, U256};
use jsonrpsee::server::RpcModule;
use quarry_primitives::Block;
use quarry_vm::interpreter::{CallKind, FrameResult, InstructionResult};
use quarry_vm::{FrameEnter, FrameKind, Step, Tracer};
use serde_json::{json, Value};

use super::eth::{resolve, state_for};
use super::json::{self, qty, qty256};
use super::params::{self, BlockId};
use super::trace::replay_transaction;
use super::{method, Ctx, RpcError};
use crate::engine::ChainView;
use crate::store::BlockReceipts;

/// The Otterscan API level served (Erigon's `ots_getApiLevel`).
pub const API_LEVEL: u64 = 8;

/// Most transactions one search page may ask for.
pub const MAX_PAGE_SIZE: usize = 1_000;

/// More transactions than one block can hold (a 30M-gas block holds at most 1,428 transfers):
/// how far a search reads to complete a page's last block.
const MAX_BLOCK_TRANSACTIONS: usize = 4_096;

/// Blocks with their receipts, loaded once per request.
struct Blocks<'v> {
    view: &'v ChainView,
    loaded: HashMap<u64, (Block, BlockReceipts)>,
}

impl<'v> Blocks<'v> {
    fn new(view: &'v ChainView) -> Self {
        Blocks { view, loaded: HashMap::new() }
    }

    fn get(&mut self, number: u64) -> Result<&(Block, BlockReceipts), RpcError> {
        if !self.loaded.contains_key(&number) {
            let missing = || RpcError::internal(format!("store: canonical block {number} missing"));
            let hash = self.view.canonical_hash(number)?.ok_or_else(missing)?;
            let block = self.view.block(&hash)?.ok_or_else(missing)?;
            let receipts = self.view.receipts(&hash)?.ok_or_else(missing)?;
            self.loaded.insert(number, (block, receipts));
        }
        Ok(&self.loaded[&number])
    }

    /// Transaction `index` of block `number` and its receipt (with Erigon's `timestamp`).
    fn tx_and_receipt(&mut self, number: u64, index: u32) -> Result<(Value, Value), RpcError> {
        let (block, receipts) = self.get(number)?;
        let i = index as usize;
        let (Some(tx), Some(from)) = (block.transactions.get(i), receipts.senders.get(i)) else {
            return Err(RpcError::internal(format!(
                "store: transaction {i} of block {number} missing"
            )));
        };
        let hash = block.header.hash();
        let tx_json =
            json::transaction(tx, *from, Some((hash, number, i, block.header.base_fee_per_gas)));
        let mut receipt = json::receipt(&json::ReceiptParts {
            block,
            index: i,
            receipts: &receipts.receipts,
            from: *from,
            contract_address: receipts.contract_addresses.get(i).copied().flatten(),
        });
        receipt["timestamp"] = qty(block.header.timestamp);
        Ok((tx_json, receipt))
    }
}

/// Erigon's block details: the block without its transactions (with `transactionCount`), its
/// issuance and the fees its transactions paid.
fn block_details(view: &ChainView, c: &Ctx, id: BlockId) -> Result<Value, RpcError> {
    let Some((hash, _, work)) = resolve(view, c, id)? else { return Ok(Value::Null) };
    let Some(block) = view.block(&hash)? else { return Ok(Value::Null) };
    let receipts = view.receipts(&hash)?.unwrap_or_default();
    let mut block_json = json::block(&block, work, None);
    block_json["transactionCount"] = json!(block.transactions.len());
    if let Some(map) = block_json.as_object_mut() {
        map.remove("transactions");
        map.insert("logsBloom".into(), Value::Null);
    }
    let mut fees = U256::ZERO;
    let mut previous = 0;
    for (tx, receipt) in block.transactions.iter().zip(&receipts.receipts) {
        let used = receipt.cumulative_gas_used - previous;
        previous = receipt.cumulative_gas_used;
        fees += json::effective_gas_price(tx, block.header.base_fee_per_gas) * U256::from(used);
    }
    let subsidy = if block.header.number == 0 { U256::ZERO } else { view.rules().block_subsidy };
    Ok(json!({
        "block": block_json,
        "issuance": {
            "blockReward": qty256(subsidy),
            "uncleReward": qty(0),
            "issuance": qty256(subsidy),
        },
        "totalFees": qty256(fees),
    }))
}

/// One page of `address`'s transactions: at least `page_size` entries (the last block's
/// entries complete), newest first. `before`: from block `from` down; otherwise from `from`
/// up. Returns the entries and whether the search ran out of entries.
fn search(
    view: &ChainView,
    address: &Address,
    from: u64,
    before: bool,
    page_size: usize,
) -> Result<(Vec<(u64, u32)>, bool), RpcError> {
    let reader = view.reader();
    let mut entries = reader.address_txs(address, from, before, page_size)?;
    let mut exhausted = entries.len() < page_size;
    if let Some(&(last_block, _)) = entries.last() {
        // Complete the last block: the rest of its entries, then see whether anything follows.
        let more = reader.address_txs(address, last_block, before, MAX_BLOCK_TRANSACTIONS)?;
        for entry in more.into_iter().take_while(|(n, _)| *n == last_block) {
            if !entries.contains(&entry) {
                entries.push(entry);
            }
        }
        let next = if before { last_block.checked_sub(1) } else { last_block.checked_add(1) };
        exhausted = match next {
            Some(next) => reader.address_txs(address, next, before, 1)?.is_empty(),
            None => true,
        };
    }
    entries.sort_unstable();
    entries.dedup();
    entries.reverse();
    Ok((entries, exhausted))
}

fn search_response(
    view: &ChainView,
    entries: &[(u64, u32)],
    first_page: bool,
    last_page: bool,
) -> Result<Value, RpcError> {
    let mut blocks = Blocks::new(view);
    let (mut txs, mut receipts) = (Vec::new(), Vec::new());
    for &(number, index) in entries {
        let (tx, receipt) = blocks.tx_and_receipt(number, index)?;
        txs.push(tx);
        receipts.push(receipt);
    }
    Ok(json!({"txs": txs, "receipts": receipts, "firstPage": first_page, "lastPage": last_page}))
}

fn page_size(args: &[Value], index: usize) -> Result<usize, RpcError> {
    let value = args
        .get(index)
        .ok_or_else(|| RpcError::invalid_params(format!("missing page size (argument {index})")))?;
    let size = params::u64_of(value, "page size")?;
    if size == 0 || size as usize > MAX_PAGE_SIZE {
        return Err(RpcError::invalid_params(format!(
            "page size {size} out of range 1..={MAX_PAGE_SIZE}"
        )));
    }
    Ok(size as usize)
}

fn block_number_arg(args: &[Value], index: usize) -> Result<u64, RpcError> {
    let value = args.get(index).ok_or_else(|| {
        RpcError::invalid_params(format!("missing block number (argument {index})"))
    })?;
    params::u64_of(value, "block number")
}

/// Erigon's `OperationsTracer`: value transfers and creations below the top frame.
#[derive(Default)]
struct Operations {
    depth: usize,
    out: Vec<Value>,
}

impl Tracer for Operations {
    fn step(&mut self, _step: &Step<'_>) {}

    fn frame_enter(&mut self, frame: &FrameEnter<'_>) {
        self.depth += 1;
        if self.depth == 1 {
            return;
        }
        let kind = match frame.kind {
            FrameKind::Call(CallKind::Call) if !frame.value.is_zero() => 0,
            FrameKind::Create => 2,
            FrameKind::Create2 => 3,
            FrameKind::SelfDestruct => 1,
            _ => return,
        };
        self.out.push(json!({
            "type": kind,
            "from": frame.caller,
            "to": frame.target,
            "value": qty256(frame.value),
        }));
    }

    fn frame_exit(&mut self, _result: &FrameResult) {
        self.depth -= 1;
    }
}

/// Erigon's `TransactionTracer` (`ots_traceTransaction`): every frame in entry order with its
/// depth (0 for the transaction's own), and its output once it returned.
#[derive(Default)]
struct FlatTrace {
    out: Vec<Value>,
    open: Vec<usize>,
}

impl Tracer for FlatTrace {
    fn step(&mut self, _step: &Step<'_>) {}

    fn frame_enter(&mut self, frame: &FrameEnter<'_>) {
        let (kind, value) = match frame.kind {
            FrameKind::Call(CallKind::Call) => ("CALL", Some(frame.value)),
            FrameKind::Call(CallKind::CallCode) => ("CALLCODE", Some(frame.value)),
            FrameKind::Call(CallKind::DelegateCall) => ("DELEGATECALL", None),
            FrameKind::Call(CallKind::StaticCall) => ("STATICCALL", None),
            FrameKind::Create => ("CREATE", Some(frame.value)),
            FrameKind::Create2 => ("CREATE2", Some(frame.value)),
            FrameKind::SelfDestruct => ("SELFDESTRUCT", Some(frame.value)),
        };
        self.open.push(self.out.len());
        self.out.push(json!({
            "type": kind,
            "depth": frame.depth - 1,
            "from": frame.caller,
            "to": frame.target,
            "value": value.map(qty256),
            "input": frame.input,
        }));
    }

    fn frame_exit(&mut self, result: &FrameResult) {
        if let Some(i) = self.open.pop() {
            if matches!(result.result, InstructionResult::Return | InstructionResult::Revert) {
                self.out[i]["output"] = json!(result.output);
            }
        }
    }
}

/// Records the top frame's result.
#[derive(Default)]
struct TopResult {
    depth: usize,
    result: Option<(InstructionResult, Bytes)>,
}

impl Tracer for TopResult {
    fn step(&mut self, _step: &Step<'_>) {}

    fn frame_enter(&mut self, _frame: &FrameEnter<'_>) {
        self.depth += 1;
    }

    fn frame_exit(&mut self, result: &FrameResult) {
        self.depth -= 1;
        if self.depth == 0 {
            self.result = Some((result.result, result.output.clone()));
        }
    }
}

pub(super) fn register(m: &mut RpcModule<Ctx>) {
    method(m, "ots_getApiLevel", |_, _| Ok(json!(API_LEVEL)));
    method(m, "ots_hasCode", |c, a| {
        let address = params::address(a, 0, "address")?;
        let id = params::block_id(a, 1)?;
        let view = c.node.view();
        let state = state_for(&view, c, id)?;
        Ok(json!(state
            .account_info(&address)?
            .is_some_and(|info| info.code_hash != quarry_vm::KECCAK_EMPTY)))
    });
    method(m, "ots_getBlockDetails", |c, a| {
        let number = block_number_arg(a, 0)?;
        block_details(&c.node.view(), c, BlockId::Number(number))
    });
    method(m, "ots_getBlockDetailsByHash", |c, a| {
        let hash = params::hash(a, 0, "block hash")?;
        block_details(&c.node.view(), c, BlockId::Hash(hash))
    });
    method(m, "ots_getBlockTransactions", |c, a| {
        let number = block_number_arg(a, 0)?;
        let page = a
            .get(1)
            .ok_or_else(|| RpcError::invalid_params("missing page number (argument 1)"))
            .and_then(|v| params::u64_of(v, "page number"))? as usize;
        let size = page_size(a, 2)?;
        let view = c.node.view();
        let Some((hash, _, work)) = resolve(&view, c, BlockId::Number(number))? else {
            return Ok(Value::Null);
        };
        let (Some(block), Some(receipts)) = (view.block(&hash)?, view.receipts(&hash)?) else {
            return Ok(Value::Null);
        };
        let count = block.transactions.len();
        let start = page.saturating_mul(size).min(count);
        let end = start.saturating_add(size).min(count);
        let mut full = json::block(&block, work, Some(&receipts.senders));
        let txs: Vec<Value> =
            full["transactions"].as_array().map_or_else(Vec::new, |all| all[start..end].to_vec());
        full["transactions"] = json!(txs);
        full["transactionCount"] = json!(count);
        full["logsBloom"] = Value::Null;
        let receipts_json: Vec<Value> = (start..end)
            .map(|i| {
                let mut r = json::receipt(&json::ReceiptParts {
                    block: &block,
                    index: i,
                    receipts: &receipts.receipts,
                    from: receipts.senders.get(i).copied().unwrap_or_default(),
                    contract_address: receipts.contract_addresses.get(i).copied().flatten(),
                });
                r["logs"] = Value::Null;
                r["logsBloom"] = Value::Null;
                r
            })
            .collect();
        Ok(json!({"fullblock": full, "receipts": receipts_json}))
    });
    method(m, "ots_searchTransactionsBefore", |c, a| {
        let address = params::address(a, 0, "address")?;
        let number = block_number_arg(a, 1)?;
        let size = page_size(a, 2)?;
        let view = c.node.view();
        // Block 0 means "from the tip": the newest page.
        let first_page = number == 0;
        let from = if first_page { view.tip().header.number } else { number - 1 };
        let (entries, exhausted) = if number == 1 {
            (Vec::new(), true)
        } else {
            search(&view, &address, from, true, size)?
        };
        search_response(&view, &entries, first_page, exhausted)
    });
    method(m, "ots_searchTransactionsAfter", |c, a| {
        let address = params::address(a, 0, "address")?;
        let number = block_number_arg(a, 1)?;
        let size = page_size(a, 2)?;
        let view = c.node.view();
        // Block 0 means "from genesis": the oldest page.
        let last_page = number == 0;
        let from = if last_page { 0 } else { number + 1 };
        let (entries, exhausted) = search(&view, &address, from, false, size)?;
        search_response(&view, &entries, exhausted, last_page)
    });
    method(m, "ots_getTransactionBySenderAndNonce", |c, a| {
        let sender = params::address(a, 0, "sender")?;
        let nonce = a
            .get(1)
            .ok_or_else(|| RpcError::invalid_params("missing nonce (argument 1)"))
            .and_then(|v| params::u64_of(v, "nonce"))?;
        Ok(json!(c.node.view().reader().tx_by_sender_nonce(&sender, nonce)?))
    });
    method(m, "ots_getContractCreator", |c, a| {
        let address = params::address(a, 0, "address")?;
        Ok(match c.node.view().reader().contract_creator(&address)? {
            Some((hash, creator)) => json!({"hash": hash, "creator": creator}),
            None => Value::Null,
        })
    });
    method(m, "ots_getTransactionError", |c, a| {
        let hash = params::hash(a, 0, "transaction hash")?;
        let mut top = TopResult::default();
        replay_transaction(&c.node.view(), &hash, &mut top)?;
        Ok(match top.result {
            Some((InstructionResult::Revert, output)) => json!(output),
            _ => json!("0x"),
        })
    });
    method(m, "ots_getInternalOperations", |c, a| {
        let hash = params::hash(a, 0, "transaction hash")?;
        let mut operations = Operations::default();
        replay_transaction(&c.node.view(), &hash, &mut operations)?;
        Ok(json!(operations.out))
    });
    method(m, "ots_traceTransaction", |c, a| {
        let hash = params::hash(a, 0, "transaction hash")?;
        let mut trace = FlatTrace::default();
        replay_transaction(&c.node.view(), &hash, &mut trace)?;
        Ok(json!(trace.out))
    });
}
