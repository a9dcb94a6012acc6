//! What [`crate::transact`] returns: the outcome of an executed transaction, or why it was
//! rejected before execution.

use std::collections::BTreeMap;

use alloy_primitives::{Address, Bytes, B256, U256};

use crate::database::AccountInfo;

/// A log record emitted by LOG0–LOG4 (Yellow Paper §4.3.1): the one `Log` type of
/// `quarry-primitives`, so receipts, the state-test `logs` hash and the RPC all share it.
pub use quarry_primitives::Log;

/// Why a frame stopped exceptionally (Yellow Paper §9.4.2). An exceptional halt consumes all
/// gas of the frame and reverts its state changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HaltReason {
    /// Not enough gas for the next step.
    #[error("out of gas")]
    OutOfGas,
    /// SSTORE with at most 2300 gas left (EIP-2200's reentrancy sentry), in geth's words.
    #[error("out of gas: not enough gas for reentrancy sentry")]
    ReentrancySentryOutOfGas,
    /// An instruction needed more stack items than there were.
    #[error("stack underflow")]
    StackUnderflow,
    /// The stack would exceed 1024 items.
    #[error("stack limit reached 1024")]
    StackOverflow,
    /// JUMP/JUMPI to a byte that is not a JUMPDEST.
    #[error("invalid jump destination")]
    InvalidJump,
    /// An undefined opcode, or INVALID (0xfe).
    #[error("invalid opcode")]
    InvalidOpcode,
    /// A state-modifying instruction inside STATICCALL (EIP-214).
    #[error("write protection")]
    StateChangeDuringStaticCall,
    /// RETURNDATACOPY past the end of the return data (EIP-211).
    #[error("return data out of bounds")]
    ReturnDataOutOfBounds,
    /// A memory offset or size does not fit the address space.
    #[error("gas uint64 overflow")]
    MemoryOverflow,
    /// CREATE/CREATE2 target already has code, nonce or storage (EIP-684, EIP-7610).
    #[error("contract address collision")]
    CreateCollision,
    /// Deployed code longer than 24 576 bytes (EIP-170).
    #[error("max code size exceeded")]
    CodeSizeLimit,
    /// Deployed code starting with 0xEF (EIP-3541).
    #[error("invalid code: must not begin with 0xef")]
    CodeStartsWithEf,
    /// Initcode longer than 49 152 bytes in CREATE/CREATE2 (EIP-3860).
    #[error("max initcode size exceeded")]
    InitcodeSizeLimit,
    /// Not enough gas left to pay 200 per byte of deployed code (Yellow Paper §7, `G_codedeposit`).
    #[error("contract creation code storage out of gas")]
    CodeStoreOutOfGas,
    /// The creator's nonce is already 2^64 − 1 (EIP-2681).
    #[error("nonce uint64 overflow")]
    NonceOverflow,
    /// A precompile rejected its input or was unsupported.
    #[error("precompile failed")]
    PrecompileError,
}

/// How the transaction's top frame ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// STOP, RETURN, SELFDESTRUCT, running off the end of the code, or a successful deploy.
    Success,
    /// REVERT (EIP-140): state rolled back, unused gas returned, `output` is the revert data.
    Revert,
    /// Exceptional halt: state rolled back, all gas consumed.
    Halt(HaltReason),
}

/// The post-transaction state of one touched account.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountChange {
    /// New balance, nonce and code hash; `None` when the account no longer exists (emptied and
    /// cleared by EIP-161, or self-destructed in the transaction that created it, EIP-6780).
    pub info: Option<AccountInfo>,
    /// Code deployed in this transaction (its hash is `info.code_hash`); `None` if unchanged.
    pub code: Option<Bytes>,
    /// Storage slots whose value changed: slot → new value (zero means delete the slot).
    pub storage: BTreeMap<U256, U256>,
    /// `true` if every slot stored before this transaction must be dropped first (the account
    /// was created or destroyed in this transaction); `storage` then applies on top.
    pub storage_cleared: bool,
}

/// Every account the transaction changed, in address order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StateChanges {
    /// Touched accounts and what became of them.
    pub accounts: BTreeMap<Address, AccountChange>,
}

/// The outcome of a transaction that passed validation and was executed (it goes in a block
/// whatever its status).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecutionOutcome {
    /// How execution ended.
    pub status: Status,
    /// Gas charged to the sender after the refund (what the receipt's cumulative gas adds).
    pub gas_used: u64,
    /// Refund applied, already capped at gas used / 5 (EIP-3529).
    pub gas_refunded: u64,
    /// Return data on success (the deployed code for a creation), revert data on revert,
    /// empty on halt.
    pub output: Bytes,
    /// Logs emitted, in order; empty unless `status` is `Success`.
    pub logs: Vec<Log>,
    /// Address of the created contract, for a successful creation transaction.
    pub contract_address: Option<Address>,
    /// State to commit (fees and nonce included, also when execution failed).
    pub state: StateChanges,
}

impl ExecutionOutcome {
    /// `true` when `status` is [`Status::Success`] (receipt status 1).
    pub fn is_success(&self) -> bool {
        self.status == Status::Success
    }
}

/// Why a transaction cannot be included at all (state unchanged). Display strings follow
/// geth's `core` errors where geth has them, because the mempool and RPC surface them.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidTransaction {
    /// The transaction's nonce is below the sender's.
    #[error("nonce too low: address {address}, tx: {tx} state: {state}")]
    NonceTooLow {
        /// Sender.
        address: Address,
        /// Nonce in the transaction.
        tx: u64,
        /// Nonce in the state.
        state: u64,
    },
    /// The transaction's nonce is above the sender's.
    #[error("nonce too high: address {address}, tx: {tx} state: {state}")]
    NonceTooHigh {
        /// Sender.
        address: Address,
        /// Nonce in the transaction.
        tx: u64,
        /// Nonce in the state.
        state: u64,
    },
    /// The sender's nonce is 2^64 − 1 and cannot be incremented (EIP-2681).
    #[error("nonce has max value: address {address}, nonce: {nonce}")]
    NonceOverflow {
        /// Sender.
        address: Address,
        /// Its nonce.
        nonce: u64,
    },
    /// The sender has code (EIP-3607).
    #[error("sender not an eoa: address {address}, codehash: {code_hash}")]
    SenderHasCode {
        /// Sender.
        address: Address,
        /// Its code hash.
        code_hash: B256,
    },
    /// `max_priority_fee_per_gas` > `max_fee_per_gas` (EIP-1559).
    #[error("max priority fee per gas higher than max fee per gas: maxPriorityFeePerGas: {priority_fee}, maxFeePerGas: {fee_cap}")]
    PriorityFeeAboveFeeCap {
        /// `max_priority_fee_per_gas`.
        priority_fee: U256,
        /// `max_fee_per_gas`.
        fee_cap: U256,
    },
    /// The fee cap (or legacy gas price) is below the block's base fee (EIP-1559).
    #[error(
        "max fee per gas less than block base fee: maxFeePerGas: {fee_cap}, baseFee: {base_fee}"
    )]
    FeeCapBelowBaseFee {
        /// `max_fee_per_gas` or `gas_price`.
        fee_cap: U256,
        /// The block's base fee.
        base_fee: U256,
    },
    /// The sender cannot pay `gas_limit × max_fee + value`.
    #[error(
        "insufficient funds for gas * price + value: address {address} have {have} want {want}"
    )]
    InsufficientFunds {
        /// Sender.
        address: Address,
        /// Its balance in wei.
        have: U256,
        /// `gas_limit × max_fee + value` in wei.
        want: U256,
    },
    /// The transaction asks for more gas than the block allows.
    #[error("gas limit reached: tx gas limit {tx} above block gas limit {block}")]
    GasLimitAboveBlock {
        /// Transaction gas limit.
        tx: u64,
        /// Block gas limit.
        block: u64,
    },
    /// The gas limit does not cover the intrinsic gas (Yellow Paper §6.2, EIP-2028, EIP-2930,
    /// EIP-3860).
    #[error("intrinsic gas too low: have {have}, want {want}")]
    IntrinsicGasTooLow {
        /// Transaction gas limit.
        have: u64,
        /// Intrinsic gas.
        want: u64,
    },
    /// Creation initcode longer than 49 152 bytes (EIP-3860).
    #[error("max initcode size exceeded: code size {size} limit {limit}")]
    InitcodeTooLarge {
        /// Initcode length in bytes.
        size: usize,
        /// The limit, 49 152.
        limit: usize,
    },
    /// The transaction's chain id differs from the chain's (EIP-155).
    #[error("invalid chain id for signer: have {tx} want {chain}")]
    ChainIdMismatch {
        /// Chain id in the transaction.
        tx: u64,
        /// The chain's id.
        chain: u64,
    },
    /// Blob transactions (type 3, EIP-4844) are not accepted by Quarry.
    #[error("blob transactions are not supported")]
    BlobTransactionUnsupported,
    /// An EIP-2718 type other than 0, 1, 2.
    #[error("transaction type not supported: {0}")]
    TypeNotSupported(u8),
    /// A type 0 transaction with an access list or priority fee, or a type 0/1 transaction with a
    /// priority fee: fields the type cannot carry.
    #[error("transaction fields do not match its type {0}")]
    FieldsDoNotMatchType(u8),
}

/// Error of [`crate::transact`]: the transaction is invalid, or the database failed.
#[derive(Debug, thiserror::Error)]
pub enum TransactError<E> {
    /// The transaction cannot be included; state is unchanged.
    #[error(transparent)]
    Invalid(#[from] InvalidTransaction),
    /// A state read failed; nothing was executed to completion.
    #[error("database error: {0}")]
    Database(E),
}
