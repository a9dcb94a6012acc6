//! Why a transaction was refused.

use alloy_primitives::U256;

use crate::crypto::CryptoError;

/// Every way a transaction's bytes or stateless rules can be wrong. Each variant names the field
/// or value at fault so a peer, RPC client or CLI user can see what to fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    /// No bytes at all.
    #[error("empty transaction bytes")]
    Empty,
    /// Type 3 (EIP-4844 blob) transactions are not supported by Quarry.
    #[error("transaction type 3 (EIP-4844 blob) is not supported")]
    BlobUnsupported,
    /// An EIP-2718 type byte Quarry does not know (only 0, 1 and 2 exist here).
    #[error("transaction type {0:#04x} not supported")]
    UnsupportedType(u8),
    /// The bytes are not canonical RLP, or a field has the wrong shape or range.
    #[error("invalid RLP in field `{field}`: {source}")]
    Rlp {
        /// The field being decoded (`nonce`, `gasPrice`, `to`, `accessList`, …), or `envelope`.
        field: &'static str,
        /// What alloy-rlp reported (leading zeros, overlong length, overflow, short input, …).
        source: alloy_rlp::Error,
    },
    /// The transaction's RLP list holds more items than its type has fields.
    #[error("{extra} unexpected bytes after the last field of the transaction list")]
    ExtraFields {
        /// Bytes left in the list after the last field.
        extra: usize,
    },
    /// Bytes follow the transaction.
    #[error("{count} trailing bytes after the transaction")]
    TrailingBytes {
        /// Number of bytes after the end of the transaction.
        count: usize,
    },
    /// A legacy `v` that is neither 27/28 nor `chain_id × 2 + 35/36` (EIP-155).
    #[error("invalid legacy signature v value {0}")]
    InvalidV(U256),
    /// A typed transaction's `yParity` that is not 0 or 1.
    #[error("invalid signature yParity value {0}")]
    InvalidYParity(U256),
    /// The signature's `r`/`s` break the rules or recover no key.
    #[error(transparent)]
    Signature(#[from] CryptoError),
    /// Signed for another chain (EIP-155 / EIP-2930 chain id).
    #[error("invalid chain id: transaction has {got:?}, chain is {expected}")]
    ChainIdMismatch {
        /// The chain this node runs.
        expected: u64,
        /// The transaction's chain id; `None` for a pre-EIP-155 legacy transaction.
        got: Option<u64>,
    },
    /// A pre-EIP-155 transaction on a chain that does not accept them.
    #[error("only replay-protected (EIP-155) transactions allowed")]
    UnprotectedNotAllowed,
    /// The nonce is 2^64 − 1, which can never be incremented (EIP-2681).
    #[error("nonce {0} has reached the maximum (EIP-2681)")]
    NonceOverflow(u64),
    /// `gas_limit` is below the transaction's intrinsic gas.
    #[error("intrinsic gas too low: have {have}, want {want}")]
    IntrinsicGasTooLow {
        /// The transaction's gas limit.
        have: u64,
        /// Its intrinsic gas.
        want: u64,
    },
    /// Initcode longer than EIP-3860 allows.
    #[error("max initcode size exceeded: code size {size}, limit {limit}")]
    InitcodeTooLarge {
        /// Length of the initcode in bytes.
        size: usize,
        /// The limit (49 152).
        limit: usize,
    },
    /// `max_priority_fee_per_gas > max_fee_per_gas` (EIP-1559).
    #[error("max priority fee per gas higher than max fee per gas: tip {tip}, fee cap {fee_cap}")]
    TipAboveFeeCap {
        /// `max_priority_fee_per_gas` in wei.
        tip: U256,
        /// `max_fee_per_gas` in wei.
        fee_cap: U256,
    },
    /// `gas_limit × max_fee_per_gas` (or `gas_price`) does not fit in 256 bits.
    #[error("gas limit {gas_limit} × fee cap {fee_cap} overflows 256 bits")]
    GasFeeOverflow {
        /// The gas limit.
        gas_limit: u64,
        /// The per-gas fee cap in wei.
        fee_cap: U256,
    },
}

impl TxError {
    /// Wraps an alloy-rlp error with the name of the field it came from.
    pub(crate) fn rlp(field: &'static str) -> impl FnOnce(alloy_rlp::Error) -> TxError {
        move |source| TxError::Rlp { field, source }
    }
}
