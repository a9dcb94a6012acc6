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
    /// reason ([`revert_reason`]: `Error(string)` or `Panic(uint256)`) when there is one, data
    /// the raw revert bytes as `0x` hex (a custom error is decoded by the client, with its ABI).
    pub fn reverted(output: &Bytes) -> Self {
        let message = match revert_reason(output) {
            Some(reason) => format!("execution reverted: {reason}"),
            None => "execution reverted".to_string(),
        };
        RpcError {
            code: EXECUTION_REVERTED,
            message,
            data: Some(Value::String(output.to_string())),
        }
    }
}

/// The reason in revert data as geth's `abi.UnpackRevert` reads it: the message of
/// `Error(string)`, or for `Panic(uint256)` Solidity's words for the code; `None` for anything
/// else (custom errors, empty data).
pub(crate) fn revert_reason(output: &[u8]) -> Option<String> {
    use alloy_sol_types::{Panic, Revert, SolError};
    if let Ok(revert) = Revert::abi_decode(output) {
        return Some(revert.reason);
    }
    let panic = Panic::abi_decode(output).ok()?;
    let code = panic.code;
    let words = match code.try_into().unwrap_or(u64::MAX) {
        0x00 => "generic panic",
        0x01 => "assert(false)",
        0x11 => "arithmetic underflow or overflow",
        0x12 => "division or modulo by zero",
        0x21 => "enum overflow",
        0x22 => "invalid encoded storage byte array accessed",
        0x31 => "out-of-bounds array access; popping on an empty array",
        0x32 => "out-of-bounds access of an array or bytesN",
        0x41 => "out of memory",
        0x51 => "uninitialized function",
        _ => return Some(format!("unknown panic code: {code:#x}")),
    };
    Some(words.to_string())
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

#[cfg(test)]
mod tests {
    use alloy_primitives::{hex, U256};
    use alloy_sol_types::{Panic, Revert, SolError};

    use super::*;

    fn message(output: Vec<u8>) -> String {
        RpcError::reverted(&Bytes::from(output)).message
    }

    #[test]
    fn revert_messages_read_error_and_panic_as_geth_does_and_nothing_else() {
        assert_eq!(
            message(Revert::from("not owner").abi_encode()),
            "execution reverted: not owner"
        );
        let overflow = Panic { code: U256::from(0x11) }.abi_encode();
        assert_eq!(message(overflow), "execution reverted: arithmetic underflow or overflow");
        let unknown = Panic { code: U256::from(0x99) }.abi_encode();
        assert_eq!(message(unknown), "execution reverted: unknown panic code: 0x99");
        assert_eq!(message(Vec::new()), "execution reverted");
        // A custom error whose bytes happen to be printable text is still not a reason string:
        // `Unauthorized(address)` with an address of ASCII letters.
        let custom = [hex!("8e4a23d6").as_slice(), &[0u8; 12], b"ABCDEFGHIJKLMNOPQRST"].concat();
        assert_eq!(message(custom.clone()), "execution reverted");
        let data = RpcError::reverted(&Bytes::from(custom.clone())).data.expect("revert data");
        assert_eq!(data, Value::String(Bytes::from(custom).to_string()));
    }
}
