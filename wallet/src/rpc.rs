//! A small typed client for the standard Ethereum JSON-RPC over HTTP (reqwest + serde_json).
//!
//! Methods and shapes are those of the Ethereum JSON-RPC specification
//! (ethereum/execution-apis): quantities are `0x`-prefixed hex without leading zeros, data is
//! `0x` hex, blocks are named by tag (`latest`, `pending`) or number. Any Ethereum node
//! answers them; Quarry's node is one. A node's error keeps its JSON-RPC `code`, `message` and
//! `data` ([`RpcError::Node`]); revert data is decoded (`Error(string)`, `Panic(uint256)`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use alloy_primitives::{Address, Bytes, B256, U256, U64};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// JSON-RPC 2.0 error code for an unknown method (JSON-RPC 2.0 specification §5.1).
pub const METHOD_NOT_FOUND: i64 = -32601;

/// Why a JSON-RPC request failed.
#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    /// The node could not be reached (connection refused, timeout, DNS, …).
    #[error("cannot reach the node at {url}: {reason}")]
    Transport {
        /// Endpoint URL.
        url: String,
        /// The HTTP client's reason.
        reason: String,
    },
    /// The node answered with a non-success HTTP status and no JSON-RPC response.
    #[error("{url} answered HTTP {status}: {body}")]
    Http {
        /// Endpoint URL.
        url: String,
        /// HTTP status code.
        status: u16,
        /// Start of the body.
        body: String,
    },
    /// The response is not the JSON-RPC shape, or the result not the expected type.
    #[error("{method}: unexpected response: {reason}")]
    InvalidResponse {
        /// The method called.
        method: String,
        /// What was wrong.
        reason: String,
    },
    /// The node returned a JSON-RPC error object.
    #[error("{method}: {message} (code {code}){}", revert_suffix(data.as_ref()))]
    Node {
        /// The method called.
        method: String,
        /// JSON-RPC error code (e.g. -32000 for geth's `nonce too low`, 3 for `execution
        /// reverted` with data).
        code: i64,
        /// The node's message, e.g. `nonce too low` or `execution reverted`.
        message: String,
        /// The error's `data`, e.g. the revert data as `0x` hex.
        data: Option<Value>,
    },
}

fn revert_suffix(data: Option<&Value>) -> String {
    match data.and_then(revert_bytes).and_then(|b| crate::abi::decode_revert(&b)) {
        Some(reason) => format!(": {reason}"),
        None => String::new(),
    }
}

fn revert_bytes(data: &Value) -> Option<Bytes> {
    // geth: "data": "0x08c379a0…"; some nodes nest it: {"data": "0x…"}.
    let text = data.as_str().or_else(|| data.get("data").and_then(Value::as_str))?;
    text.parse::<Bytes>().ok()
}

impl RpcError {
    /// The JSON-RPC error code, if the node answered with an error object.
    pub fn code(&self) -> Option<i64> {
        match self {
            RpcError::Node { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// The revert data carried by an `execution reverted` error.
    pub fn revert_data(&self) -> Option<Bytes> {
        match self {
            RpcError::Node { data: Some(data), .. } => revert_bytes(data),
            _ => None,
        }
    }

    /// The revert reason in words (see [`crate::abi::decode_revert`]).
    pub fn revert_reason(&self) -> Option<String> {
        self.revert_data().and_then(|d| crate::abi::decode_revert(&d))
    }

    /// `true` when the node answered `execution reverted` (or carried revert data).
    pub fn is_revert(&self) -> bool {
        match self {
            RpcError::Node { message, .. } => {
                message.contains("revert") || self.revert_data().is_some_and(|d| !d.is_empty())
            }
            _ => false,
        }
    }
}

/// A block named by tag or number (JSON-RPC "Block parameter").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum BlockId {
    /// The most recent block the node has.
    #[default]
    Latest,
    /// The pending state (mempool applied); for nonces this counts queued transactions.
    Pending,
    /// The genesis block.
    Earliest,
    /// A block number.
    Number(u64),
}

impl Serialize for BlockId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            BlockId::Latest => s.serialize_str("latest"),
            BlockId::Pending => s.serialize_str("pending"),
            BlockId::Earliest => s.serialize_str("earliest"),
            BlockId::Number(n) => s.serialize_str(&format!("{n:#x}")),
        }
    }
}

impl std::str::FromStr for BlockId {
    type Err = String;

    /// `latest`, `pending`, `earliest`, a decimal number or a `0x` hex number.
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "latest" => Ok(BlockId::Latest),
            "pending" => Ok(BlockId::Pending),
            "earliest" => Ok(BlockId::Earliest),
            _ => {
                let parsed = match s.strip_prefix("0x") {
                    Some(hex) => u64::from_str_radix(hex, 16),
                    None => s.parse(),
                };
                parsed.map(BlockId::Number).map_err(|_| {
                    format!("invalid block {s:?}: expected latest, pending, earliest or a number")
                })
            }
        }
    }
}

/// The transaction-call object of `eth_call` and `eth_estimateGas`. The calldata travels as
/// `data`: every node reads it (geth, Nethermind, anvil and hardhat also accept the newer
/// `input`, but some refuse a request carrying both, and older nodes know only `data`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallRequest {
    /// Sender (`msg.sender`); nodes default to the zero address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Address>,
    /// Recipient; `None` for a creation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Address>,
    /// Gas limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gas: Option<U64>,
    /// Legacy gas price, wei.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gas_price: Option<U256>,
    /// EIP-1559 fee cap, wei per gas.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_fee_per_gas: Option<U256>,
    /// EIP-1559 tip cap, wei per gas.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_priority_fee_per_gas: Option<U256>,
    /// Value, wei.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<U256>,
    /// Calldata or initcode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Bytes>,
}

/// `eth_feeHistory`'s result (EIP-1559 fee market history).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FeeHistory {
    /// Number of the oldest block in the range.
    pub oldest_block: U64,
    /// Base fee per gas of each block in the range and of the block after the newest one
    /// (one entry more than the range). Zeros or absent before London.
    #[serde(default)]
    pub base_fee_per_gas: Vec<U256>,
    /// Fraction of the gas limit used in each block.
    #[serde(default)]
    pub gas_used_ratio: Vec<f64>,
    /// Effective tips at the requested percentiles, per block.
    #[serde(default)]
    pub reward: Option<Vec<Vec<U256>>>,
}

impl FeeHistory {
    /// The base fee of the block after the newest one in the range: what the next block will
    /// charge (EIP-1559). `None` if the node reports none.
    pub fn next_base_fee(&self) -> Option<U256> {
        self.base_fee_per_gas.last().copied()
    }
}

/// A log entry in a receipt.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RpcLog {
    /// Emitting contract.
    pub address: Address,
    /// Indexed topics; the first is the event signature hash for non-anonymous events.
    pub topics: Vec<B256>,
    /// Non-indexed data.
    pub data: Bytes,
    /// Position in the block, if the node says.
    #[serde(default)]
    pub log_index: Option<U64>,
}

/// `eth_getTransactionReceipt`'s result.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TransactionReceipt {
    /// Transaction hash.
    pub transaction_hash: B256,
    /// Hash of the block that includes it.
    pub block_hash: B256,
    /// Number of that block.
    pub block_number: U64,
    /// Index in the block.
    pub transaction_index: U64,
    /// Sender.
    pub from: Address,
    /// Recipient; `None` for a creation.
    #[serde(default)]
    pub to: Option<Address>,
    /// Gas used by this transaction.
    pub gas_used: U64,
    /// Gas used in the block up to and including this transaction.
    pub cumulative_gas_used: U64,
    /// Price per gas actually paid (base fee + effective tip), wei.
    #[serde(default)]
    pub effective_gas_price: Option<U256>,
    /// Address of the created contract, for creations.
    #[serde(default)]
    pub contract_address: Option<Address>,
    /// `1` success, `0` failure (EIP-658); absent on pre-Byzantium receipts.
    #[serde(default)]
    pub status: Option<U64>,
    /// Logs emitted.
    #[serde(default)]
    pub logs: Vec<RpcLog>,
    /// EIP-2718 type.
    #[serde(default, rename = "type")]
    pub tx_type: Option<U64>,
}

impl TransactionReceipt {
    /// `true` unless the receipt's status is 0 (EIP-658).
    pub fn succeeded(&self) -> bool {
        self.status.is_none_or(|s| s != U64::ZERO)
    }
}

/// A JSON-RPC client bound to one endpoint; share it by reference or in an `Arc` (requests
/// take `&self` and may run concurrently).
#[derive(Debug)]
pub struct RpcClient {
    url: String,
    http: reqwest::Client,
    next_id: AtomicU64,
}

#[derive(Deserialize)]
struct Response {
    #[serde(default)]
    result: Option<Value>,
    #[serde(default)]
    error: Option<ErrorObject>,
}

#[derive(Deserialize)]
struct ErrorObject {
    code: i64,
    message: String,
    #[serde(default)]
    data: Option<Value>,
}

impl RpcClient {
    /// A client for `url` (e.g. `http://127.0.0.1:8545`) with a per-request timeout.
    ///
    /// # Errors
    /// [`RpcError::Transport`] if the HTTP client cannot be built (e.g. an https URL in a build
    /// without the `tls` feature is only refused at the first request).
    pub fn new(url: &str, timeout: Duration) -> Result<Self, RpcError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| RpcError::Transport { url: url.to_string(), reason: e.to_string() })?;
        Ok(Self { url: url.to_string(), http, next_id: AtomicU64::new(1) })
    }

    /// The endpoint URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Calls `method` with positional `params` and decodes the result as `T`.
    ///
    /// # Errors
    /// [`RpcError`]: transport, HTTP status, malformed response, or the node's error object.
    pub async fn request<T: DeserializeOwned>(
        &self,
        method: &str,
        params: Value,
    ) -> Result<T, RpcError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let transport = |e: reqwest::Error| RpcError::Transport {
            url: self.url.clone(),
            reason: error_chain(&e),
        };
        let response = self.http.post(&self.url).json(&body).send().await.map_err(transport)?;
        let status = response.status();
        let text = response.text().await.map_err(transport)?;
        let parsed: Response = match serde_json::from_str(&text) {
            Ok(parsed) => parsed,
            Err(_) if !status.is_success() => {
                return Err(RpcError::Http {
                    url: self.url.clone(),
                    status: status.as_u16(),
                    body: text.chars().take(200).collect(),
                })
            }
            Err(e) => {
                return Err(RpcError::InvalidResponse {
                    method: method.to_string(),
                    reason: format!("{e}: {}", text.chars().take(200).collect::<String>()),
                })
            }
        };
        if let Some(error) = parsed.error {
            return Err(RpcError::Node {
                method: method.to_string(),
                code: error.code,
                message: error.message,
                data: error.data,
            });
        }
        let result = parsed.result.unwrap_or(Value::Null);
        serde_json::from_value(result.clone()).map_err(|e| RpcError::InvalidResponse {
            method: method.to_string(),
            reason: format!("{e} in result {result}"),
        })
    }

    /// `eth_chainId`: the EIP-155 chain id.
    pub async fn chain_id(&self) -> Result<u64, RpcError> {
        Ok(self.request::<U64>("eth_chainId", json!([])).await?.to())
    }

    /// `eth_blockNumber`: the number of the most recent block.
    pub async fn block_number(&self) -> Result<u64, RpcError> {
        Ok(self.request::<U64>("eth_blockNumber", json!([])).await?.to())
    }

    /// `eth_getBalance`: the account's balance in wei at `block`.
    pub async fn balance(&self, address: Address, block: BlockId) -> Result<U256, RpcError> {
        self.request("eth_getBalance", json!([address, block])).await
    }

    /// `eth_getTransactionCount`: the account's nonce at `block` (`Pending` counts the
    /// node's pending transactions, which is the next nonce to use).
    pub async fn transaction_count(
        &self,
        address: Address,
        block: BlockId,
    ) -> Result<u64, RpcError> {
        Ok(self.request::<U64>("eth_getTransactionCount", json!([address, block])).await?.to())
    }

    /// `eth_getCode`: the account's code at `block` (empty for externally owned accounts).
    pub async fn code(&self, address: Address, block: BlockId) -> Result<Bytes, RpcError> {
        self.request("eth_getCode", json!([address, block])).await
    }

    /// `eth_gasPrice`: the node's suggested legacy gas price, wei.
    pub async fn gas_price(&self) -> Result<U256, RpcError> {
        self.request("eth_gasPrice", json!([])).await
    }

    /// `eth_maxPriorityFeePerGas`: the node's suggested EIP-1559 tip, wei per gas.
    pub async fn max_priority_fee_per_gas(&self) -> Result<U256, RpcError> {
        self.request("eth_maxPriorityFeePerGas", json!([])).await
    }

    /// `eth_feeHistory(block_count, newest, percentiles)`.
    pub async fn fee_history(
        &self,
        block_count: u64,
        newest: BlockId,
        percentiles: &[f64],
    ) -> Result<FeeHistory, RpcError> {
        self.request("eth_feeHistory", json!([format!("{block_count:#x}"), newest, percentiles]))
            .await
    }

    /// `eth_estimateGas`: gas the call needs at the latest block.
    pub async fn estimate_gas(&self, call: &CallRequest) -> Result<u64, RpcError> {
        Ok(self.request::<U64>("eth_estimateGas", json!([call])).await?.to())
    }

    /// `eth_call`: executes without a transaction and returns the output bytes.
    pub async fn call(&self, call: &CallRequest, block: BlockId) -> Result<Bytes, RpcError> {
        self.request("eth_call", json!([call, block])).await
    }

    /// `eth_sendRawTransaction`: submits signed transaction bytes (EIP-2718 encoding); the
    /// node returns the transaction hash.
    pub async fn send_raw_transaction(&self, raw: &[u8]) -> Result<B256, RpcError> {
        self.request("eth_sendRawTransaction", json!([Bytes::copy_from_slice(raw)])).await
    }

    /// `eth_getTransactionReceipt`: the receipt, or `None` while the transaction is not in a
    /// block.
    pub async fn transaction_receipt(
        &self,
        hash: B256,
    ) -> Result<Option<TransactionReceipt>, RpcError> {
        self.request("eth_getTransactionReceipt", json!([hash])).await
    }

    /// Polls `eth_getTransactionReceipt` every `interval` until the receipt appears or
    /// `timeout` passes (`Ok(None)`).
    ///
    /// # Errors
    /// Any [`RpcError`] from a poll.
    pub async fn wait_for_receipt(
        &self,
        hash: B256,
        interval: Duration,
        timeout: Duration,
    ) -> Result<Option<TransactionReceipt>, RpcError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(receipt) = self.transaction_receipt(hash).await? {
                return Ok(Some(receipt));
            }
            if tokio::time::Instant::now() + interval > deadline {
                return Ok(None);
            }
            tokio::time::sleep(interval).await;
        }
    }
}

/// An error and its sources on one line (reqwest hides the useful part in the sources).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_sol_types::{Revert, SolError};

    #[test]
    fn block_ids_serialize_as_tags_or_hex_and_parse_from_text() {
        assert_eq!(json!(BlockId::Latest), json!("latest"));
        assert_eq!(json!(BlockId::Number(255)), json!("0xff"));
        assert_eq!("pending".parse::<BlockId>().unwrap(), BlockId::Pending);
        assert_eq!("0x10".parse::<BlockId>().unwrap(), BlockId::Number(16));
        assert_eq!("16".parse::<BlockId>().unwrap(), BlockId::Number(16));
        assert!("soon".parse::<BlockId>().unwrap_err().contains("\"soon\""));
    }

    #[test]
    fn call_requests_use_standard_names_and_hex_quantities() {
        let call = CallRequest {
            from: Some(Address::repeat_byte(1)),
            value: Some(U256::from(1000)),
            gas: Some(U64::from(21000)),
            data: Some(Bytes::from(vec![0xab])),
            ..Default::default()
        };
        let value = serde_json::to_value(&call).unwrap();
        assert_eq!(value["value"], "0x3e8");
        assert_eq!(value["gas"], "0x5208");
        assert_eq!(value["data"], "0xab");
        assert!(value.get("input").is_none(), "never both input and data");
        assert!(value.get("to").is_none());
    }

    #[test]
    fn receipts_decode_from_the_standard_shape() {
        let receipt: TransactionReceipt = serde_json::from_value(json!({
            "transactionHash": B256::repeat_byte(1), "blockHash": B256::repeat_byte(2),
            "blockNumber": "0x5", "transactionIndex": "0x0", "from": Address::repeat_byte(3),
            "to": null, "gasUsed": "0x5208", "cumulativeGasUsed": "0x5208",
            "effectiveGasPrice": "0x3b9aca00", "contractAddress": Address::repeat_byte(4),
            "status": "0x0", "logs": [], "type": "0x2", "logsBloom": "0x00"
        }))
        .unwrap();
        assert_eq!(receipt.block_number.to::<u64>(), 5);
        assert!(!receipt.succeeded());
        assert_eq!(receipt.contract_address, Some(Address::repeat_byte(4)));
    }

    #[test]
    fn node_errors_keep_code_and_message_and_decode_revert_data() {
        let data = Revert::from("not owner").abi_encode();
        let err = RpcError::Node {
            method: "eth_call".into(),
            code: 3,
            message: "execution reverted".into(),
            data: Some(json!(Bytes::from(data))),
        };
        assert_eq!(err.code(), Some(3));
        assert!(err.is_revert());
        assert_eq!(err.revert_reason().unwrap(), "revert: not owner");
        assert_eq!(err.to_string(), "eth_call: execution reverted (code 3): revert: not owner");
        let nonce = RpcError::Node {
            method: "eth_sendRawTransaction".into(),
            code: -32000,
            message: "nonce too low".into(),
            data: None,
        };
        assert_eq!(nonce.to_string(), "eth_sendRawTransaction: nonce too low (code -32000)");
        assert!(!nonce.is_revert());
    }
}
