//! Building, signing and sending transactions: the part of the wallet the oracle daemon reuses.
//!
//! [`TxRequest`] says what the sender wants (recipient, value, data, optional overrides);
//! [`Sender::prepare`] fills what the chain decides — chain id (`eth_chainId`), nonce
//! (`eth_getTransactionCount` at `pending`), fees and gas limit (`eth_estimateGas`) — into a
//! [`Transaction`]; [`Sender::send`] signs it with `quarry_primitives` (EIP-155 / EIP-2718
//! encodings) and submits it with `eth_sendRawTransaction`.
//!
//! Fees: EIP-1559 (type 2) by default, from the node's fee data: the tip is
//! `eth_maxPriorityFeePerGas`, the fee cap is `2 × next base fee + tip` (the base fee can rise
//! by at most 12.5% per block under EIP-1559, so doubling covers six full blocks — the rule
//! ethers.js and alloy use). With `legacy` (or a node that reports no base fee), type 0 with
//! `eth_gasPrice` and EIP-155 replay protection.

use std::time::Duration;

use alloy_primitives::{Address, Bytes, TxKind, B256, U256, U64};
use quarry_primitives::crypto::SecretKey;
use quarry_primitives::transaction::{Transaction, TxEip1559, TxLegacy};
use quarry_primitives::SignedTransaction;

use crate::rpc::{BlockId, CallRequest, RpcClient, RpcError, TransactionReceipt, METHOD_NOT_FOUND};

/// What a sender asks for; `None` fields are filled from the node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TxRequest {
    /// Recipient, or [`TxKind::Create`] to deploy `input` as initcode.
    pub to: TxKind,
    /// Value to transfer, wei.
    pub value: U256,
    /// Calldata or initcode.
    pub input: Bytes,
    /// Gas limit; `None` → `eth_estimateGas`.
    pub gas_limit: Option<u64>,
    /// Nonce; `None` → `eth_getTransactionCount(from, "pending")`.
    pub nonce: Option<u64>,
    /// Fee choices.
    pub fees: FeeOverrides,
}

/// The sender's fee choices; unset values come from the node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FeeOverrides {
    /// Force a legacy (type 0) transaction.
    pub legacy: bool,
    /// Legacy gas price, wei (implies `legacy`).
    pub gas_price: Option<U256>,
    /// EIP-1559 fee cap, wei per gas.
    pub max_fee_per_gas: Option<U256>,
    /// EIP-1559 tip cap, wei per gas.
    pub max_priority_fee_per_gas: Option<U256>,
}

/// What the node says about fees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeeData {
    /// Base fee of the next block (`eth_feeHistory`'s last `baseFeePerGas`); `None` if the node
    /// reports none (no EIP-1559).
    pub next_base_fee: Option<U256>,
    /// Suggested tip (`eth_maxPriorityFeePerGas`), if asked for.
    pub priority_fee: Option<U256>,
    /// Suggested legacy price (`eth_gasPrice`), if asked for.
    pub gas_price: Option<U256>,
}

/// The fee fields a transaction will carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fees {
    /// Type 0: one price per gas.
    Legacy {
        /// Gas price, wei.
        gas_price: U256,
    },
    /// Type 2.
    Eip1559 {
        /// Fee cap, wei per gas.
        max_fee_per_gas: U256,
        /// Tip cap, wei per gas.
        max_priority_fee_per_gas: U256,
    },
}

/// Why a transaction could not be prepared, sent or confirmed.
#[derive(Debug, thiserror::Error)]
pub enum TxError {
    /// A JSON-RPC call failed (the node's code and message are inside).
    #[error(transparent)]
    Rpc(#[from] RpcError),
    /// Fee data needed for the chosen type is missing.
    #[error("cannot choose fees: {0}")]
    Fees(String),
    /// The fee cap is below the tip.
    #[error("max fee per gas {max_fee} wei is below the max priority fee per gas {tip} wei")]
    FeeCapBelowTip {
        /// Fee cap, wei.
        max_fee: U256,
        /// Tip, wei.
        tip: U256,
    },
    /// The node accepted the transaction but it was not mined before the timeout.
    #[error("transaction {hash} not mined within {timeout:?}")]
    Timeout {
        /// Transaction hash.
        hash: B256,
        /// How long we waited.
        timeout: Duration,
    },
}

/// The EIP-1559 fee cap for `base_fee` and `tip`: `2 × base_fee + tip` (saturating).
pub fn eip1559_fee_cap(base_fee: U256, tip: U256) -> U256 {
    base_fee.saturating_mul(U256::from(2)).saturating_add(tip)
}

/// Chooses the fee fields from the sender's overrides and the node's data (see module doc).
///
/// # Errors
/// [`TxError::Fees`] when a needed value is missing from both, [`TxError::FeeCapBelowTip`].
pub fn choose_fees(overrides: &FeeOverrides, data: &FeeData) -> Result<Fees, TxError> {
    let legacy = overrides.legacy || overrides.gas_price.is_some();
    if legacy {
        if overrides.max_fee_per_gas.is_some() || overrides.max_priority_fee_per_gas.is_some() {
            return Err(TxError::Fees(
                "a legacy transaction takes --gas-price, not --max-fee/--priority-fee".into(),
            ));
        }
        let gas_price = overrides
            .gas_price
            .or(data.gas_price)
            .ok_or_else(|| TxError::Fees("the node gave no gas price (eth_gasPrice)".into()))?;
        return Ok(Fees::Legacy { gas_price });
    }
    let tip = match overrides.max_priority_fee_per_gas.or(data.priority_fee) {
        Some(tip) => tip,
        None => {
            return Err(TxError::Fees(
                "the node gave no priority fee (eth_maxPriorityFeePerGas); pass --priority-fee"
                    .into(),
            ))
        }
    };
    let max_fee = match (overrides.max_fee_per_gas, data.next_base_fee) {
        (Some(max_fee), _) => max_fee,
        (None, Some(base_fee)) => eip1559_fee_cap(base_fee, tip),
        (None, None) => {
            return Err(TxError::Fees(
                "the node reports no base fee (eth_feeHistory); use --legacy or pass --max-fee"
                    .into(),
            ))
        }
    };
    if max_fee < tip {
        return Err(TxError::FeeCapBelowTip { max_fee, tip });
    }
    Ok(Fees::Eip1559 { max_fee_per_gas: max_fee, max_priority_fee_per_gas: tip })
}

/// The unsigned transaction from a request and the chain's values. Legacy transactions are
/// EIP-155 protected with `chain_id`.
pub fn build_transaction(
    request: &TxRequest,
    chain_id: u64,
    nonce: u64,
    gas_limit: u64,
    fees: Fees,
) -> Transaction {
    match fees {
        Fees::Legacy { gas_price } => Transaction::Legacy(TxLegacy {
            chain_id: Some(chain_id),
            nonce,
            gas_price,
            gas_limit,
            to: request.to,
            value: request.value,
            input: request.input.clone(),
        }),
        Fees::Eip1559 { max_fee_per_gas, max_priority_fee_per_gas } => {
            Transaction::Eip1559(TxEip1559 {
                chain_id,
                nonce,
                max_priority_fee_per_gas,
                max_fee_per_gas,
                gas_limit,
                to: request.to,
                value: request.value,
                input: request.input.clone(),
                access_list: vec![],
            })
        }
    }
}

/// The `eth_call`/`eth_estimateGas` object for `request` sent by `from`.
pub fn call_request(from: Option<Address>, request: &TxRequest) -> CallRequest {
    CallRequest {
        from,
        to: request.to.to().copied(),
        value: (!request.value.is_zero()).then_some(request.value),
        data: Some(request.input.clone()),
        ..Default::default()
    }
}

/// `Ok(None)` for a node that does not know the method (code [`METHOD_NOT_FOUND`]).
fn unless_unsupported<T>(result: Result<T, RpcError>) -> Result<Option<T>, RpcError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.code() == Some(METHOD_NOT_FOUND) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A signing key bound to a node: prepares, signs and sends transactions.
#[derive(Debug)]
pub struct Sender<'a> {
    /// The node.
    pub client: &'a RpcClient,
    /// The key that signs.
    pub key: &'a SecretKey,
}

/// A transaction accepted by the node.
#[derive(Clone, Debug)]
pub struct Submitted {
    /// The transaction hash (keccak256 of the signed encoding).
    pub hash: B256,
    /// The signed transaction.
    pub signed: SignedTransaction,
    /// The sender.
    pub from: Address,
}

impl Submitted {
    /// For a creation, the new contract's address: `keccak256(rlp([sender, nonce]))[12..]`
    /// (Yellow Paper §7).
    pub fn contract_address(&self) -> Option<Address> {
        self.signed.transaction().is_create().then(|| self.from.create(self.signed.nonce()))
    }
}

impl Sender<'_> {
    /// The sender's address.
    pub fn address(&self) -> Address {
        self.key.address()
    }

    /// Asks the node for what `overrides` leaves open.
    ///
    /// # Errors
    /// [`RpcError`] from the node; a node that lacks `eth_feeHistory` or
    /// `eth_maxPriorityFeePerGas` is not an error here: [`choose_fees`] then asks for the flag.
    pub async fn fee_data(&self, overrides: &FeeOverrides) -> Result<FeeData, TxError> {
        let mut data = FeeData { next_base_fee: None, priority_fee: None, gas_price: None };
        if overrides.legacy || overrides.gas_price.is_some() {
            if overrides.gas_price.is_none() {
                data.gas_price = Some(self.client.gas_price().await?);
            }
            return Ok(data);
        }
        // A node without these methods (JSON-RPC "method not found") leaves the value unknown;
        // `choose_fees` then names the flag that supplies it.
        if overrides.max_fee_per_gas.is_none() {
            let history =
                unless_unsupported(self.client.fee_history(1, BlockId::Latest, &[]).await)?;
            data.next_base_fee = history.and_then(|h| h.next_base_fee());
        }
        if overrides.max_priority_fee_per_gas.is_none() {
            data.priority_fee = unless_unsupported(self.client.max_priority_fee_per_gas().await)?;
        }
        Ok(data)
    }

    /// Fills chain id, nonce, fees and gas limit into an unsigned transaction.
    ///
    /// # Errors
    /// [`TxError`]: the node's errors (an `eth_estimateGas` revert carries the reason).
    pub async fn prepare(&self, request: &TxRequest) -> Result<Transaction, TxError> {
        let from = self.address();
        let chain_id = self.client.chain_id().await?;
        let nonce = match request.nonce {
            Some(nonce) => nonce,
            None => self.client.transaction_count(from, BlockId::Pending).await?,
        };
        let fee_data = self.fee_data(&request.fees).await?;
        let fees = choose_fees(&request.fees, &fee_data)?;
        let gas_limit = match request.gas_limit {
            Some(gas) => gas,
            None => {
                let mut call = call_request(Some(from), request);
                if let Fees::Legacy { gas_price } = fees {
                    call.gas_price = Some(gas_price);
                }
                self.client.estimate_gas(&call).await?
            }
        };
        Ok(build_transaction(request, chain_id, nonce, gas_limit, fees))
    }

    /// Signs `tx` with the key (EIP-155 / EIP-2718 per type).
    pub fn sign(&self, tx: Transaction) -> SignedTransaction {
        SignedTransaction::sign(tx, self.key)
    }

    /// Prepares, signs and submits `request`; returns once the node has accepted it.
    ///
    /// # Errors
    /// [`TxError`]; the node's refusal (`nonce too low`, `insufficient funds …`) keeps its code.
    pub async fn send(&self, request: &TxRequest) -> Result<Submitted, TxError> {
        let tx = self.prepare(request).await?;
        self.send_transaction(tx).await
    }

    /// Signs and submits an already prepared transaction.
    ///
    /// # Errors
    /// The node's refusal as [`TxError::Rpc`].
    pub async fn send_transaction(&self, tx: Transaction) -> Result<Submitted, TxError> {
        let signed = self.sign(tx);
        let hash = self.client.send_raw_transaction(&signed.encoded()).await?;
        Ok(Submitted { hash, signed, from: self.address() })
    }
}

/// Waits for `hash`'s receipt, polling every `interval`, for at most `timeout`.
///
/// # Errors
/// [`TxError::Timeout`], or the node's error.
pub async fn wait(
    client: &RpcClient,
    hash: B256,
    interval: Duration,
    timeout: Duration,
) -> Result<TransactionReceipt, TxError> {
    client
        .wait_for_receipt(hash, interval, timeout)
        .await?
        .ok_or(TxError::Timeout { hash, timeout })
}

/// `U64` → `u64` for display code that reads receipts.
pub fn quantity(value: U64) -> u64 {
    value.to()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GWEI: u64 = 1_000_000_000;

    fn gwei(n: u64) -> U256 {
        U256::from(n * GWEI)
    }

    fn node_data() -> FeeData {
        FeeData {
            next_base_fee: Some(gwei(7)),
            priority_fee: Some(gwei(1)),
            gas_price: Some(gwei(8)),
        }
    }

    #[test]
    fn eip1559_by_default_with_cap_twice_the_base_fee_plus_tip() {
        let fees = choose_fees(&FeeOverrides::default(), &node_data()).unwrap();
        assert_eq!(
            fees,
            Fees::Eip1559 { max_fee_per_gas: gwei(15), max_priority_fee_per_gas: gwei(1) }
        );
    }

    #[test]
    fn legacy_flag_or_gas_price_gives_type_0() {
        let legacy = FeeOverrides { legacy: true, ..Default::default() };
        assert_eq!(
            choose_fees(&legacy, &node_data()).unwrap(),
            Fees::Legacy { gas_price: gwei(8) }
        );
        let priced = FeeOverrides { gas_price: Some(gwei(3)), ..Default::default() };
        assert_eq!(
            choose_fees(&priced, &node_data()).unwrap(),
            Fees::Legacy { gas_price: gwei(3) }
        );
        let mixed =
            FeeOverrides { legacy: true, max_fee_per_gas: Some(gwei(1)), ..Default::default() };
        assert!(choose_fees(&mixed, &node_data()).is_err());
    }

    #[test]
    fn overrides_win_over_node_data() {
        let o = FeeOverrides {
            max_fee_per_gas: Some(gwei(50)),
            max_priority_fee_per_gas: Some(gwei(2)),
            ..Default::default()
        };
        assert_eq!(
            choose_fees(&o, &node_data()).unwrap(),
            Fees::Eip1559 { max_fee_per_gas: gwei(50), max_priority_fee_per_gas: gwei(2) }
        );
        let tip_only =
            FeeOverrides { max_priority_fee_per_gas: Some(gwei(3)), ..Default::default() };
        assert_eq!(
            choose_fees(&tip_only, &node_data()).unwrap(),
            Fees::Eip1559 { max_fee_per_gas: gwei(17), max_priority_fee_per_gas: gwei(3) }
        );
    }

    #[test]
    fn missing_base_fee_or_cap_below_tip_are_refused_with_reasons() {
        let no_base = FeeData { next_base_fee: None, ..node_data() };
        let err = choose_fees(&FeeOverrides::default(), &no_base).unwrap_err().to_string();
        assert!(err.contains("--legacy"), "{err}");
        let o = FeeOverrides {
            max_fee_per_gas: Some(gwei(1)),
            max_priority_fee_per_gas: Some(gwei(2)),
            ..Default::default()
        };
        assert!(matches!(choose_fees(&o, &node_data()), Err(TxError::FeeCapBelowTip { .. })));
    }

    #[test]
    fn built_transactions_carry_the_chosen_fields_and_sign_to_the_sender() {
        let request = TxRequest {
            to: TxKind::Call(Address::repeat_byte(0xaa)),
            value: U256::from(5),
            input: Bytes::from(vec![1, 2]),
            ..Default::default()
        };
        let fees = Fees::Eip1559 { max_fee_per_gas: gwei(15), max_priority_fee_per_gas: gwei(1) };
        let tx = build_transaction(&request, 1337, 4, 30_000, fees);
        let Transaction::Eip1559(ref body) = tx else { panic!("expected type 2, got {tx:?}") };
        assert_eq!((body.chain_id, body.nonce, body.gas_limit), (1337, 4, 30_000));
        assert_eq!(body.max_fee_per_gas, gwei(15));
        let key = crate::dev::dev_key(0);
        let signed = SignedTransaction::sign(tx, &key);
        assert_eq!(signed.recover_sender().unwrap(), key.address());
        assert_eq!(signed.encoded()[0], 2, "EIP-2718 type byte");

        let legacy =
            build_transaction(&request, 1337, 0, 21_000, Fees::Legacy { gas_price: gwei(2) });
        let Transaction::Legacy(ref body) = legacy else { panic!("expected type 0") };
        assert_eq!(body.chain_id, Some(1337), "EIP-155 protected");
    }

    #[test]
    fn creations_predict_the_contract_address_from_sender_and_nonce() {
        let key = crate::dev::dev_key(0);
        let request =
            TxRequest { to: TxKind::Create, input: Bytes::from(vec![0]), ..Default::default() };
        let tx = build_transaction(&request, 1, 0, 100_000, Fees::Legacy { gas_price: gwei(1) });
        let submitted = Submitted {
            hash: B256::ZERO,
            signed: SignedTransaction::sign(tx, &key),
            from: key.address(),
        };
        // Hardhat/anvil's first deployment from dev account 0.
        assert_eq!(
            submitted.contract_address().unwrap(),
            alloy_primitives::address!("5FbDB2315678afecb367f032d93F642f64180aa3")
        );
    }
}
