//! The unsigned transaction bodies and their signing hashes.

use alloy_primitives::{keccak256, Bytes, TxKind, B256, U256};
use alloy_rlp::{BufMut, Encodable, Header};

use super::access_list::AccessListItem;
use super::intrinsic::intrinsic_gas;

/// EIP-2718 transaction type numbers Quarry accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum TxType {
    /// Type 0: the original RLP list, with or without EIP-155 replay protection.
    Legacy = 0,
    /// Type 1: EIP-2930 access-list transaction.
    Eip2930 = 1,
    /// Type 2: EIP-1559 dynamic-fee transaction.
    Eip1559 = 2,
}

/// A legacy (type 0) transaction: `[nonce, gasPrice, gas, to, value, data]`.
///
/// `chain_id` is `Some` for EIP-155 replay-protected transactions (signed over
/// `[…, chainId, 0, 0]`) and `None` for pre-EIP-155 ones.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TxLegacy {
    /// EIP-155 chain id; `None` when unprotected.
    pub chain_id: Option<u64>,
    /// Sender's nonce.
    pub nonce: u64,
    /// Price per unit of gas, in wei.
    pub gas_price: U256,
    /// Gas limit.
    pub gas_limit: u64,
    /// Recipient, or [`TxKind::Create`] for a contract creation.
    pub to: TxKind,
    /// Value transferred, in wei.
    pub value: U256,
    /// Calldata, or initcode for a creation.
    pub input: Bytes,
}

/// An EIP-2930 (type 1) transaction:
/// `0x01 ‖ rlp([chainId, nonce, gasPrice, gas, to, value, data, accessList, yParity, r, s])`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TxEip2930 {
    /// Chain id the transaction is valid on.
    pub chain_id: u64,
    /// Sender's nonce.
    pub nonce: u64,
    /// Price per unit of gas, in wei.
    pub gas_price: U256,
    /// Gas limit.
    pub gas_limit: u64,
    /// Recipient, or [`TxKind::Create`].
    pub to: TxKind,
    /// Value transferred, in wei.
    pub value: U256,
    /// Calldata or initcode.
    pub input: Bytes,
    /// Addresses and storage keys to pre-warm (EIP-2930).
    pub access_list: Vec<AccessListItem>,
}

/// An EIP-1559 (type 2) transaction: `0x02 ‖ rlp([chainId, nonce, maxPriorityFeePerGas,
/// maxFeePerGas, gas, to, value, data, accessList, yParity, r, s])`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TxEip1559 {
    /// Chain id the transaction is valid on.
    pub chain_id: u64,
    /// Sender's nonce.
    pub nonce: u64,
    /// Most the sender pays the block's beneficiary per gas above the base fee, in wei.
    pub max_priority_fee_per_gas: U256,
    /// Most the sender pays per gas in total (base fee + tip), in wei.
    pub max_fee_per_gas: U256,
    /// Gas limit.
    pub gas_limit: u64,
    /// Recipient, or [`TxKind::Create`].
    pub to: TxKind,
    /// Value transferred, in wei.
    pub value: U256,
    /// Calldata or initcode.
    pub input: Bytes,
    /// Addresses and storage keys to pre-warm (EIP-2930).
    pub access_list: Vec<AccessListItem>,
}

/// An unsigned transaction of any supported type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Transaction {
    /// Type 0.
    Legacy(TxLegacy),
    /// Type 1.
    Eip2930(TxEip2930),
    /// Type 2.
    Eip1559(TxEip1559),
}

/// Writes `fields` as one RLP list.
pub(crate) fn encode_list(fields: &[&dyn Encodable], out: &mut dyn BufMut) {
    let payload_length = fields.iter().map(|f| f.length()).sum();
    Header { list: true, payload_length }.encode(out);
    for field in fields {
        field.encode(out);
    }
}

/// Length of `fields` encoded as one RLP list.
pub(crate) fn list_length(fields: &[&dyn Encodable]) -> usize {
    let payload_length: usize = fields.iter().map(|f| f.length()).sum();
    payload_length + alloy_rlp::length_of_length(payload_length)
}

impl Transaction {
    /// The EIP-2718 type.
    pub fn tx_type(&self) -> TxType {
        match self {
            Self::Legacy(_) => TxType::Legacy,
            Self::Eip2930(_) => TxType::Eip2930,
            Self::Eip1559(_) => TxType::Eip1559,
        }
    }

    /// The fields that are signed, in order, without the signature.
    pub(crate) fn with_fields<R>(&self, f: impl FnOnce(&[&dyn Encodable]) -> R) -> R {
        match self {
            Self::Legacy(tx) => {
                f(&[&tx.nonce, &tx.gas_price, &tx.gas_limit, &tx.to, &tx.value, &tx.input])
            }
            Self::Eip2930(tx) => f(&[
                &tx.chain_id,
                &tx.nonce,
                &tx.gas_price,
                &tx.gas_limit,
                &tx.to,
                &tx.value,
                &tx.input,
                &tx.access_list,
            ]),
            Self::Eip1559(tx) => f(&[
                &tx.chain_id,
                &tx.nonce,
                &tx.max_priority_fee_per_gas,
                &tx.max_fee_per_gas,
                &tx.gas_limit,
                &tx.to,
                &tx.value,
                &tx.input,
                &tx.access_list,
            ]),
        }
    }

    /// The 32-byte hash the sender signs.
    ///
    /// Legacy: keccak256(rlp([nonce, gasPrice, gas, to, value, data])), or with `chainId, 0, 0`
    /// appended under EIP-155. Typed: keccak256(type ‖ rlp(fields without signature))
    /// (EIP-2930, EIP-1559).
    pub fn signature_hash(&self) -> B256 {
        let mut out = Vec::with_capacity(256);
        match self {
            Self::Legacy(tx) => self.with_fields(|fields| match tx.chain_id {
                Some(chain_id) => {
                    let mut all = fields.to_vec();
                    all.extend_from_slice(&[&chain_id as &dyn Encodable, &0u8, &0u8]);
                    encode_list(&all, &mut out);
                }
                None => encode_list(fields, &mut out),
            }),
            _ => {
                out.push(self.tx_type() as u8);
                self.with_fields(|fields| encode_list(fields, &mut out));
            }
        }
        keccak256(&out)
    }

    /// Chain id, if the transaction is bound to one.
    pub fn chain_id(&self) -> Option<u64> {
        match self {
            Self::Legacy(tx) => tx.chain_id,
            Self::Eip2930(tx) => Some(tx.chain_id),
            Self::Eip1559(tx) => Some(tx.chain_id),
        }
    }

    /// Sender's nonce.
    pub fn nonce(&self) -> u64 {
        match self {
            Self::Legacy(tx) => tx.nonce,
            Self::Eip2930(tx) => tx.nonce,
            Self::Eip1559(tx) => tx.nonce,
        }
    }

    /// Gas limit.
    pub fn gas_limit(&self) -> u64 {
        match self {
            Self::Legacy(tx) => tx.gas_limit,
            Self::Eip2930(tx) => tx.gas_limit,
            Self::Eip1559(tx) => tx.gas_limit,
        }
    }

    /// Recipient, or create.
    pub fn to(&self) -> TxKind {
        match self {
            Self::Legacy(tx) => tx.to,
            Self::Eip2930(tx) => tx.to,
            Self::Eip1559(tx) => tx.to,
        }
    }

    /// Value in wei.
    pub fn value(&self) -> U256 {
        match self {
            Self::Legacy(tx) => tx.value,
            Self::Eip2930(tx) => tx.value,
            Self::Eip1559(tx) => tx.value,
        }
    }

    /// Calldata or initcode.
    pub fn input(&self) -> &Bytes {
        match self {
            Self::Legacy(tx) => &tx.input,
            Self::Eip2930(tx) => &tx.input,
            Self::Eip1559(tx) => &tx.input,
        }
    }

    /// Access list (empty for legacy transactions).
    pub fn access_list(&self) -> &[AccessListItem] {
        match self {
            Self::Legacy(_) => &[],
            Self::Eip2930(tx) => &tx.access_list,
            Self::Eip1559(tx) => &tx.access_list,
        }
    }

    /// Most the sender pays per gas, in wei: `gas_price` for types 0 and 1, `max_fee_per_gas`
    /// for type 2.
    pub fn max_fee_per_gas(&self) -> U256 {
        match self {
            Self::Legacy(tx) => tx.gas_price,
            Self::Eip2930(tx) => tx.gas_price,
            Self::Eip1559(tx) => tx.max_fee_per_gas,
        }
    }

    /// Most the sender tips per gas above the base fee, in wei: `gas_price` for types 0 and 1
    /// (the whole surplus is tip), `max_priority_fee_per_gas` for type 2.
    pub fn max_priority_fee_per_gas(&self) -> U256 {
        match self {
            Self::Legacy(tx) => tx.gas_price,
            Self::Eip2930(tx) => tx.gas_price,
            Self::Eip1559(tx) => tx.max_priority_fee_per_gas,
        }
    }

    /// The tip per gas actually paid at `base_fee` (EIP-1559):
    /// `min(max_priority_fee, max_fee − base_fee)`; `None` if `max_fee < base_fee`.
    pub fn effective_tip_per_gas(&self, base_fee: U256) -> Option<U256> {
        let headroom = self.max_fee_per_gas().checked_sub(base_fee)?;
        Some(headroom.min(self.max_priority_fee_per_gas()))
    }

    /// `true` for a contract creation.
    pub fn is_create(&self) -> bool {
        self.to().is_create()
    }

    /// Intrinsic gas under Cancun rules (see [`intrinsic_gas`]).
    pub fn intrinsic_gas(&self) -> u64 {
        intrinsic_gas(self.input(), self.is_create(), self.access_list())
    }
}
