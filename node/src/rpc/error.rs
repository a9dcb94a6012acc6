//! JSON-RPC error objects with Ethereum's codes and geth's messages, which ethers.js, web3.py
//! and viem map to their own error kinds (`NONCE_EXPIRED`, `INSUFFICIENT_FUNDS`,
//! `CALL_EXCEPTION` with revert data, …).

use alloy_primitives::Bytes;
use jsonrpsee::types::ErrorObjectOwned;
use serde_json::Value;

use crate::engine::ChainError;
use crate::store::StoreError;

/// JSON-RPC 2.0 §5.1: the method does not exist.
pub const METHOD_NOT_FOUND: i32 = -32601;
/// JSON-RPC 2.0 §5.1: invalid method parameters.
pub const INVALID_PARAMS: i32 = -32602;
/// JSON-RPC 2.0 §5.1: internal error.
pub const INTERNAL_ERROR: i32 = -32603;
/// geth's code for transaction and state errors (`nonce too low`, `insufficient funds …`).
pub const SERVER_ERROR: i32 = -32000;
/// EIP-1474: the request exceeds a limit (here: the `eth_getLogs` block range).
pub const LIMIT_EXCEEDED: i32 = -32005;
/// geth's code for `execution reverted` with revert data (`core.ErrExecutionReverted`).
pub const EXECUTION_REVERTED: i32 = 3;

/// An error answer: code, message and optional data, as JSON-RPC 2.0 §5.1 shapes it.
#[derive(Clone, Debug, PartialEq)]
pub struct RpcError {
    /// The JSON-RPC error code.
    pub code: i32,
    /// The message (geth's words where geth has them).
    pub message: String,
    /// Extra data: the revert data as `0x` hex for [`EXECUTION_REVERTED`].
    pub data: Option<Value>,
}

impl RpcError {
    /// `-32602` with `message`.
    pub fn invalid_params(message: impl Into<String>) -> Self {
        RpcError { code: INVALID_PARAMS, message: message.into(), data: None }
    }

    /// `-32000` with `message`.
    pub fn server(message: impl Into<String>) -> Self {
        RpcError { code: SERVER_ERROR, message: message.into(), data: None }
    }

    /// `-32603` with `message`: the node failed (a store read), not the request.
    pub fn internal(message: impl Into<String>) -> Self {
        RpcError { code: INTERNAL_ERROR, message: message.into(), data: None }
    }

    /// geth's revert error: code 3, message `execution reverted` followed by the decoded
    /// reason (`Error(string)` or `Panic(uint256)`) when there is one, data the raw revert
    /// bytes as `0x` hex.
    pub fn reverted(output: &Bytes) -> Self {
        let message = match alloy_sol_types::decode_revert_reason(output) {
            // alloy words Error(string) as "revert: <reason>"; geth prints the reason alone.
            Some(reason) if !output.is_empty() => {
                format!(
                    "execution reverted: {}",
                    reason.strip_prefix("revert: ").unwrap_or(&reason)
                )
            }
            _ => "execution reverted".to_string(),
        };
        RpcError {
            code: EXECUTION_REVERTED,
            message,
            data: Some(Value::String(output.to_string())),
        }
    }
}

impl From<RpcError> for ErrorObjectOwned {
    fn from(e: RpcError) -> Self {
        ErrorObjectOwned::owned(e.code, e.message, e.data)
    }
}

impl From<StoreError> for RpcError {
    fn from(e: StoreError) -> Self {
        RpcError::internal(format!("store: {e}"))
    }
}

/// A transaction a call or trace runs that cannot run at all: `-32000` with the VM's words
/// (geth's for the same checks: `nonce too low`, `insufficient funds …`); a state read that
/// failed is `-32603`.
impl From<quarry_vm::result::TransactError<StoreError>> for RpcError {
    fn from(e: quarry_vm::result::TransactError<StoreError>) -> Self {
        match e {
            quarry_vm::result::TransactError::Invalid(e) => RpcError::server(e.to_string()),
            quarry_vm::result::TransactError::Database(e) => RpcError::from(e),
        }
    }
}

impl From<ChainError> for RpcError {
    fn from(e: ChainError) -> Self {
        RpcError::internal(e.to_string())
    }
}
