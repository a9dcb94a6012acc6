//! One call, two EVMs: runs the same bytecode and input on quarry-vm and on revm (Cancun) from
//! the same fresh state and reports what each observed, for the differential test and the
//! benchmarks (`benches/` includes this file by path).

#![allow(dead_code)]

use std::collections::BTreeMap;

use alloy_primitives::{address, Address, Bytes, B256, U256};
use quarry_vm::statetest::MemDb;
use quarry_vm::{BlockEnv, Status, TxEnv};
use revm::bytecode::Bytecode;
use revm::context::{BlockEnv as RevmBlock, TxEnv as RevmTx};
use revm::context_interface::block::BlobExcessGasAndPrice;
use revm::context_interface::result::ExecutionResult;
use revm::database::{CacheDB, EmptyDB};
use revm::handler::{MainnetContext, MainnetEvm};
use revm::primitives::hardfork::SpecId;
use revm::primitives::TxKind;
use revm::state::AccountInfo as RevmAccount;
use revm::{Context, ExecuteEvm, MainBuilder, MainContext};

/// The account holding the code under test.
pub const CONTRACT: Address = address!("00000000000000000000000000000000c0dec0de");
/// The transaction's sender (an EOA with plenty of ether).
pub const CALLER: Address = address!("000000000000000000000000000000000000ca11");
/// The block's beneficiary.
pub const COINBASE: Address = address!("00000000000000000000000000000000000c0b1e");
/// Cancun's `BLOB_BASE_FEE_UPDATE_FRACTION` (EIP-4844).
const BLOB_UPDATE_FRACTION_CANCUN: u64 = 3_338_477;

/// How the top frame ended, without the halt reason (the two VMs name reasons differently).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// STOP/RETURN/end of code.
    Success,
    /// REVERT.
    Revert,
    /// Exceptional halt.
    Halt,
}

/// What one VM observed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observed {
    /// How execution ended.
    pub ending: Ending,
    /// Gas charged to the sender (after refund).
    pub gas_used: u64,
    /// Return or revert data.
    pub output: Bytes,
    /// Logs as (address, topics, data).
    pub logs: Vec<(Address, Vec<B256>, Bytes)>,
    /// The contract's non-zero storage afterwards.
    pub storage: BTreeMap<U256, U256>,
}

/// Gas limit of [`block`]: the most one transaction may use, so also the most a [`Call`] may
/// ask for (revm's snailtracer needs more than a mainnet block's 30 million).
pub const BLOCK_GAS_LIMIT: u64 = 1_000_000_000;

/// One call both VMs run: [`CALLER`] sends `value` wei and `input` to [`CONTRACT`], which holds
/// `code` and `storage`, with `gas_limit` gas.
#[derive(Clone, Debug)]
pub struct Call {
    /// Code of [`CONTRACT`] (empty for a plain value transfer).
    pub code: Bytes,
    /// Storage of [`CONTRACT`] before the call, as (slot, value).
    pub storage: Vec<(U256, U256)>,
    /// Call data.
    pub input: Bytes,
    /// Wei sent with the call.
    pub value: U256,
    /// Gas limit of the transaction.
    pub gas_limit: u64,
}

impl Call {
    /// A call of `code` (empty storage, no value) with `input` and `gas_limit`.
    pub fn new(code: &Bytes, input: &Bytes, gas_limit: u64) -> Self {
        Self {
            code: code.clone(),
            storage: Vec::new(),
            input: input.clone(),
            value: U256::ZERO,
            gas_limit,
        }
    }
}

/// The block both VMs run in.
pub fn block() -> BlockEnv {
    BlockEnv {
        number: 1,
        coinbase: COINBASE,
        timestamp: 1_700_000_000,
        gas_limit: BLOCK_GAS_LIMIT,
        base_fee: U256::from(7),
        prevrandao: B256::repeat_byte(0x42),
        excess_blob_gas: 0,
        chain_id: 1,
    }
}

/// Balance of [`CALLER`] in wei.
fn caller_balance() -> U256 {
    U256::from(10).pow(U256::from(24))
}

/// The fresh quarry state: the caller and the contract with the call's code and storage.
pub fn quarry_state(call: &Call) -> MemDb {
    let mut db = MemDb::new();
    db.insert_account(CALLER, caller_balance(), 0, Bytes::new(), []);
    db.insert_account(CONTRACT, U256::ZERO, 1, call.code.clone(), call.storage.iter().copied());
    db
}

/// The transaction both VMs run: a legacy call from [`CALLER`] to [`CONTRACT`] paying 10 wei
/// per gas.
pub fn quarry_tx(call: &Call) -> TxEnv {
    TxEnv {
        tx_type: 0,
        caller: CALLER,
        gas_limit: call.gas_limit,
        gas_price: U256::from(10),
        max_priority_fee_per_gas: None,
        to: Some(CONTRACT),
        value: call.value,
        data: call.input.clone(),
        nonce: 0,
        chain_id: Some(1),
        access_list: Vec::new(),
        skip_eoa_check: false,
    }
}

/// Runs `call` on quarry-vm.
pub fn run_quarry(call: &Call) -> Observed {
    let mut db = quarry_state(call);
    let outcome = quarry_vm::transact(&mut db, &block(), &quarry_tx(call)).expect("valid tx");
    let ending = match outcome.status {
        Status::Success => Ending::Success,
        Status::Revert => Ending::Revert,
        Status::Halt(_) => Ending::Halt,
    };
    db.commit(&outcome.state);
    let storage = db.accounts.get(&CONTRACT).map(|a| a.storage.clone()).unwrap_or_default();
    Observed {
        ending,
        gas_used: outcome.gas_used,
        output: outcome.output,
        logs: outcome.logs.into_iter().map(|l| (l.address, l.topics, l.data)).collect(),
        storage,
    }
}

/// The fresh revm state: the caller and the contract with the call's code and storage.
pub fn revm_state(call: &Call) -> CacheDB<EmptyDB> {
    let mut db = CacheDB::new(EmptyDB::default());
    db.insert_account_info(CALLER, RevmAccount::from_balance(caller_balance()));
    let contract = RevmAccount { nonce: 1, ..Default::default() }
        .with_code(Bytecode::new_raw(call.code.clone()));
    db.insert_account_info(CONTRACT, contract);
    for &(slot, value) in &call.storage {
        db.insert_account_storage(CONTRACT, slot, value).expect("account inserted above");
    }
    db
}

/// [`block`] in revm's terms.
pub fn revm_block() -> RevmBlock {
    let b = block();
    RevmBlock {
        number: U256::from(b.number),
        beneficiary: b.coinbase,
        timestamp: U256::from(b.timestamp),
        gas_limit: b.gas_limit,
        basefee: b.base_fee.to(),
        difficulty: U256::ZERO,
        prevrandao: Some(b.prevrandao),
        blob_excess_gas_and_price: Some(BlobExcessGasAndPrice::new(
            b.excess_blob_gas,
            BLOB_UPDATE_FRACTION_CANCUN,
        )),
        ..Default::default()
    }
}

/// [`quarry_tx`] in revm's terms.
pub fn revm_tx(call: &Call) -> RevmTx {
    RevmTx {
        tx_type: 0,
        caller: CALLER,
        gas_limit: call.gas_limit,
        gas_price: 10,
        kind: TxKind::Call(CONTRACT),
        value: call.value,
        data: call.input.clone(),
        nonce: 0,
        chain_id: Some(1),
        ..Default::default()
    }
}

/// revm's mainnet EVM over an in-memory state.
pub type RevmEvm = MainnetEvm<MainnetContext<CacheDB<EmptyDB>>>;

/// revm's EVM (Cancun rules, chain 1, [`revm_block`]) over the fresh state for `call`.
pub fn revm_evm(call: &Call) -> RevmEvm {
    Context::mainnet()
        .with_db(revm_state(call))
        .modify_cfg_chained(|cfg| {
            cfg.set_spec_and_mainnet_gas_params(SpecId::CANCUN);
            cfg.chain_id = 1;
        })
        .with_block(revm_block())
        .build_mainnet()
}

/// Runs `call` on revm (Cancun rules).
pub fn run_revm(call: &Call) -> Observed {
    let out = revm_evm(call).transact(revm_tx(call)).expect("valid tx");
    let result = out.result;
    let ending = match &result {
        ExecutionResult::Success { .. } => Ending::Success,
        ExecutionResult::Revert { .. } => Ending::Revert,
        ExecutionResult::Halt { .. } => Ending::Halt,
    };
    // revm reports the slots the call touched; the others keep their values from before.
    let mut storage: BTreeMap<U256, U256> = call.storage.iter().copied().collect();
    if let Some(account) = out.state.get(&CONTRACT) {
        storage.extend(account.storage.iter().map(|(k, slot)| (*k, slot.present_value)));
    }
    storage.retain(|_, v| !v.is_zero());
    let logs = if ending == Ending::Success {
        result
            .logs()
            .iter()
            .map(|l| (l.address, l.topics().to_vec(), l.data.data.clone()))
            .collect()
    } else {
        Vec::new()
    };
    Observed {
        ending,
        gas_used: result.tx_gas_used(),
        output: result.output().cloned().unwrap_or_default(),
        logs,
        storage,
    }
}
