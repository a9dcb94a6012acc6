//! The environment a transaction executes in: the block ([`BlockEnv`]) and the transaction
//! itself ([`TxEnv`]), already decoded and with the sender recovered.

use alloy_primitives::{Address, Bytes, B256, U256};

/// One entry of an EIP-2930 access list (address and storage keys to pre-warm), shared with the
/// transaction encoding.
pub use quarry_primitives::transaction::AccessListItem;

/// The block fields that execution can observe (Yellow Paper §4.3, Cancun opcodes 0x40–0x4a).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockEnv {
    /// Block number (NUMBER, 0x43).
    pub number: u64,
    /// Beneficiary receiving the priority fee (COINBASE, 0x41; warm from the start, EIP-3651).
    pub coinbase: Address,
    /// Unix timestamp in seconds (TIMESTAMP, 0x42).
    pub timestamp: u64,
    /// Block gas limit (GASLIMIT, 0x45); a transaction may not ask for more.
    pub gas_limit: u64,
    /// EIP-1559 base fee per gas in wei (BASEFEE, 0x48); burned.
    pub base_fee: U256,
    /// Value returned by opcode 0x44 (EIP-4399 `prevrandao`; Quarry fills it from the parent's
    /// PoW hash).
    pub prevrandao: B256,
    /// EIP-4844 excess blob gas; only feeds BLOBBASEFEE (0x4a) since blob transactions are
    /// rejected.
    pub excess_blob_gas: u64,
    /// EIP-155 chain id (CHAINID, 0x46, EIP-1344).
    pub chain_id: u64,
}

impl Default for BlockEnv {
    fn default() -> Self {
        Self {
            number: 0,
            coinbase: Address::ZERO,
            timestamp: 0,
            gas_limit: 30_000_000,
            base_fee: U256::ZERO,
            prevrandao: B256::ZERO,
            excess_blob_gas: 0,
            chain_id: 1,
        }
    }
}

/// A transaction ready to execute: decoded, signature checked, sender recovered.
///
/// Fees follow EIP-1559: for legacy (type 0) and EIP-2930 (type 1) transactions `gas_price` is
/// the price and `max_priority_fee_per_gas` is `None`; for EIP-1559 (type 2) transactions
/// `gas_price` is `max_fee_per_gas` and `max_priority_fee_per_gas` is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxEnv {
    /// EIP-2718 type: 0 legacy, 1 EIP-2930, 2 EIP-1559. Type 3 (blob) is rejected.
    pub tx_type: u8,
    /// Recovered sender.
    pub caller: Address,
    /// Gas limit of the transaction.
    pub gas_limit: u64,
    /// Gas price (types 0, 1) or `max_fee_per_gas` (type 2), in wei.
    pub gas_price: U256,
    /// EIP-1559 `max_priority_fee_per_gas` in wei; `None` for types 0 and 1.
    pub max_priority_fee_per_gas: Option<U256>,
    /// Recipient; `None` creates a contract with `data` as initcode.
    pub to: Option<Address>,
    /// Wei transferred to the recipient (or the new contract).
    pub value: U256,
    /// Call data, or initcode for a creation.
    pub data: Bytes,
    /// Sender nonce the transaction carries; must equal the state's.
    pub nonce: u64,
    /// EIP-155 chain id; `None` for pre-EIP-155 legacy transactions.
    pub chain_id: Option<u64>,
    /// EIP-2930 access list (empty for legacy transactions).
    pub access_list: Vec<AccessListItem>,
    /// Let a sender with code send (geth's `SkipFromEOACheck`, which `eth_call` and
    /// `eth_estimateGas` set so a contract or smart account can be simulated as the caller).
    /// Never set for a real transaction: EIP-3607 refuses those.
    pub skip_eoa_check: bool,
}

impl Default for TxEnv {
    fn default() -> Self {
        Self {
            tx_type: 0,
            caller: Address::ZERO,
            gas_limit: 1_000_000,
            gas_price: U256::ZERO,
            max_priority_fee_per_gas: None,
            to: Some(Address::ZERO),
            value: U256::ZERO,
            data: Bytes::new(),
            nonce: 0,
            chain_id: None,
            access_list: Vec::new(),
            skip_eoa_check: false,
        }
    }
}

impl TxEnv {
    /// The environment for executing `tx` sent by `caller` (its recovered signer): the fields
    /// are copied, `gas_price` is the legacy price or the EIP-1559 fee cap.
    pub fn from_transaction(tx: &quarry_primitives::Transaction, caller: Address) -> Self {
        let is_1559 = tx.tx_type() == quarry_primitives::TxType::Eip1559;
        Self {
            tx_type: tx.tx_type() as u8,
            caller,
            gas_limit: tx.gas_limit(),
            gas_price: tx.max_fee_per_gas(),
            max_priority_fee_per_gas: is_1559.then(|| tx.max_priority_fee_per_gas()),
            to: tx.to().to().copied(),
            value: tx.value(),
            data: tx.input().clone(),
            nonce: tx.nonce(),
            chain_id: tx.chain_id(),
            access_list: tx.access_list().to_vec(),
            skip_eoa_check: false,
        }
    }

    /// The gas price actually paid per unit of gas (EIP-1559 §"Specification"):
    /// `min(max_fee, base_fee + max_priority_fee)` for type 2, `gas_price` otherwise.
    /// Only meaningful once the fee cap was checked against `base_fee`.
    pub fn effective_gas_price(&self, base_fee: U256) -> U256 {
        match self.max_priority_fee_per_gas {
            Some(tip) => self.gas_price.min(base_fee.saturating_add(tip)),
            None => self.gas_price,
        }
    }
}
