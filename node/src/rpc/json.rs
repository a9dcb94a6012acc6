//! The JSON shapes of blocks, transactions, receipts and logs (execution-apis schemas, geth's
//! field names). Quantities are `0x` hex without leading zeros, data `0x` hex.

use alloy_primitives::{Address, B256, U256};
use quarry_primitives::{Block, Header, Log, Receipt, SignedTransaction, TxType};
use serde_json::{json, Value};

use quarry_consensus::header_work;

/// `keccak256(rlp([]))`: the uncle hash of a block without uncles.
pub const EMPTY_UNCLES_HASH: B256 =
    alloy_primitives::b256!("1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347");

/// `0x` hex of a 64-bit quantity.
pub fn qty(n: u64) -> Value {
    Value::String(format!("{n:#x}"))
}

/// `0x` hex of a 256-bit quantity.
pub fn qty256(n: U256) -> Value {
    Value::String(format!("{n:#x}"))
}

/// A header as the `eth_getBlockBy*` / `newHeads` object without the body fields. `difficulty`
/// is the work of this block (expected hashes, `2^256 / (target + 1)`), `totalDifficulty` the
/// chain work up to it, `nonce` the 8-byte proof-of-work nonce, `mixHash` zero.
pub fn header(header: &Header, work: U256) -> Value {
    let hash = header.hash();
    json!({
        "hash": hash,
        "parentHash": header.parent_hash,
        "sha3Uncles": EMPTY_UNCLES_HASH,
        "miner": header.beneficiary,
        "stateRoot": header.state_root,
        "transactionsRoot": header.transactions_root,
        "receiptsRoot": header.receipts_root,
        "logsBloom": header.logs_bloom,
        "difficulty": qty256(header_work(header).unwrap_or_default()),
        "totalDifficulty": qty256(work),
        "number": qty(header.number),
        "gasLimit": qty(header.gas_limit),
        "gasUsed": qty(header.gas_used),
        "timestamp": qty(header.timestamp),
        "extraData": header.extra_data,
        "mixHash": B256::ZERO,
        "nonce": format!("0x{:016x}", header.nonce),
        "baseFeePerGas": qty(header.base_fee_per_gas),
        "bits": format!("0x{:08x}", header.bits),
    })
}

/// A block: header fields plus `size`, `uncles` and `transactions` (hashes, or full objects
/// when `senders` is given).
pub fn block(block: &Block, work: U256, senders: Option<&[Address]>) -> Value {
    let mut value = header(&block.header, work);
    let hash = block.header.hash();
    let txs: Vec<Value> = match senders {
        Some(senders) => block
            .transactions
            .iter()
            .zip(senders)
            .enumerate()
            .map(|(i, (tx, from))| {
                transaction(
                    tx,
                    *from,
                    Some((hash, block.header.number, i, block.header.base_fee_per_gas)),
                )
            })
            .collect(),
        None => block.transactions.iter().map(|tx| json!(tx.hash())).collect(),
    };
    let map = value.as_object_mut().expect("an object");
    map.insert("size".into(), qty(alloy_rlp::Encodable::length(block) as u64));
    map.insert("uncles".into(), json!([]));
    map.insert("transactions".into(), Value::Array(txs));
    value
}

/// The gas price a transaction paid in a block with `base_fee` (EIP-1559): `min(max_fee,
/// base_fee + max_priority_fee)` for type 2, the gas price otherwise.
pub fn effective_gas_price(tx: &SignedTransaction, base_fee: u64) -> U256 {
    let tx = tx.transaction();
    match tx.tx_type() {
        TxType::Eip1559 => tx
            .max_fee_per_gas()
            .min(U256::from(base_fee).saturating_add(tx.max_priority_fee_per_gas())),
        _ => tx.max_fee_per_gas(),
    }
}

/// A transaction object; `location` is (block hash, number, index, base fee) once mined.
pub fn transaction(
    tx: &SignedTransaction,
    from: Address,
    location: Option<(B256, u64, usize, u64)>,
) -> Value {
    let inner = tx.transaction();
    let signature = tx.signature();
    let mut value = json!({
        "hash": tx.hash(),
        "type": qty(inner.tx_type() as u64),
        "from": from,
        "to": inner.to().to(),
        "nonce": qty(inner.nonce()),
        "gas": qty(inner.gas_limit()),
        "value": qty256(inner.value()),
        "input": inner.input(),
        "v": qty256(tx.v()),
        "r": qty256(signature.r),
        "s": qty256(signature.s),
        "blockHash": null,
        "blockNumber": null,
        "transactionIndex": null,
    });
    let map = value.as_object_mut().expect("an object");
    if let Some(chain_id) = inner.chain_id() {
        map.insert("chainId".into(), qty(chain_id));
    }
    if inner.tx_type() != TxType::Legacy {
        map.insert("yParity".into(), qty(signature.y_parity as u64));
        map.insert("accessList".into(), json!(inner.access_list()));
    }
    let gas_price = match location {
        Some((hash, number, index, base_fee)) => {
            map.insert("blockHash".into(), json!(hash));
            map.insert("blockNumber".into(), qty(number));
            map.insert("transactionIndex".into(), qty(index as u64));
            effective_gas_price(tx, base_fee)
        }
        None => inner.max_fee_per_gas(),
    };
    map.insert("gasPrice".into(), qty256(gas_price));
    if inner.tx_type() == TxType::Eip1559 {
        map.insert("maxFeePerGas".into(), qty256(inner.max_fee_per_gas()));
        map.insert("maxPriorityFeePerGas".into(), qty256(inner.max_priority_fee_per_gas()));
    }
    value
}

/// Where a log sits, for its JSON object.
#[derive(Clone, Copy, Debug)]
pub struct LogPosition {
    /// Block hash.
    pub block_hash: B256,
    /// Block number.
    pub block_number: u64,
    /// Transaction hash.
    pub tx_hash: B256,
    /// Transaction index in the block.
    pub tx_index: usize,
    /// Log index in the block.
    pub log_index: usize,
}

/// A log object; `removed` is true when sent for a block a reorganisation disconnected.
pub fn log(log: &Log, at: LogPosition, removed: bool) -> Value {
    json!({
        "address": log.address,
        "topics": log.topics,
        "data": log.data,
        "blockHash": at.block_hash,
        "blockNumber": qty(at.block_number),
        "transactionHash": at.tx_hash,
        "transactionIndex": qty(at.tx_index as u64),
        "logIndex": qty(at.log_index as u64),
        "removed": removed,
    })
}

/// Everything a receipt object needs.
pub struct ReceiptParts<'a> {
    /// The block.
    pub block: &'a Block,
    /// Index of the transaction.
    pub index: usize,
    /// All receipts of the block.
    pub receipts: &'a [Receipt],
    /// Sender.
    pub from: Address,
    /// Created contract.
    pub contract_address: Option<Address>,
}

/// A receipt object (`eth_getTransactionReceipt`).
pub fn receipt(parts: &ReceiptParts<'_>) -> Value {
    let ReceiptParts { block, index, receipts, from, contract_address } = *parts;
    let receipt = &receipts[index];
    let tx = &block.transactions[index];
    let block_hash = block.header.hash();
    let previous = if index == 0 { 0 } else { receipts[index - 1].cumulative_gas_used };
    let first_log: usize = receipts[..index].iter().map(|r| r.logs.len()).sum();
    let logs: Vec<Value> = receipt
        .logs
        .iter()
        .enumerate()
        .map(|(i, l)| {
            log(
                l,
                LogPosition {
                    block_hash,
                    block_number: block.header.number,
                    tx_hash: tx.hash(),
                    tx_index: index,
                    log_index: first_log + i,
                },
                false,
            )
        })
        .collect();
    json!({
        "transactionHash": tx.hash(),
        "transactionIndex": qty(index as u64),
        "blockHash": block_hash,
        "blockNumber": qty(block.header.number),
        "from": from,
        "to": tx.transaction().to().to(),
        "cumulativeGasUsed": qty(receipt.cumulative_gas_used),
        "gasUsed": qty(receipt.cumulative_gas_used - previous),
        "effectiveGasPrice": qty256(effective_gas_price(tx, block.header.base_fee_per_gas)),
        "contractAddress": contract_address,
        "logs": logs,
        "logsBloom": receipt.logs_bloom,
        "type": qty(receipt.tx_type as u64),
        "status": qty(receipt.success as u64),
    })
}
