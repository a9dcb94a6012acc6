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

/// The block both VMs run in.
pub fn block() -> BlockEnv {
    BlockEnv {
        number: 1,
        coinbase: COINBASE,
        timestamp: 1_700_000_000,
        gas_limit: 30_000_000,
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

/// The fresh quarry state: the caller and the contract with `code`.
pub fn quarry_state(code: &Bytes) -> MemDb {
    let mut db = MemDb::new();
    db.insert_account(CALLER, caller_balance(), 0, Bytes::new(), []);
    db.insert_account(CONTRACT, U256::ZERO, 1, code.clone(), []);
    db
}

/// The transaction both VMs run: a legacy call from [`CALLER`] to [`CONTRACT`] paying 10 wei
/// per gas.
pub fn quarry_tx(input: &Bytes, gas_limit: u64) -> TxEnv {
    TxEnv {
        tx_type: 0,
        caller: CALLER,
        gas_limit,
        gas_price: U256::from(10),
        max_priority_fee_per_gas: None,
        to: Some(CONTRACT),
        value: U256::ZERO,
        data: input.clone(),
        nonce: 0,
        chain_id: Some(1),
        access_list: Vec::new(),
        skip_eoa_check: false,
    }
}

/// Runs `code` with `input` on quarry-vm.
pub fn run_quarry(code: &Bytes, input: &Bytes, gas_limit: u64) -> Observed {
    let mut db = quarry_state(code);
    let outcome =
        quarry_vm::transact(&mut db, &block(), &quarry_tx(input, gas_limit)).expect("valid tx");
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

/// The fresh revm state: the caller and the contract with `code`.
pub fn revm_state(code: &Bytes) -> CacheDB<EmptyDB> {
    let mut db = CacheDB::new(EmptyDB::default());
    db.insert_account_info(CALLER, RevmAccount::from_balance(caller_balance()));
    let contract =
        RevmAccount { nonce: 1, ..Default::default() }.with_code(Bytecode::new_raw(code.clone()));
    db.insert_account_info(CONTRACT, contract);
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
pub fn revm_tx(input: &Bytes, gas_limit: u64) -> RevmTx {
    RevmTx {
        tx_type: 0,
        caller: CALLER,
        gas_limit,
        gas_price: 10,
        kind: TxKind::Call(CONTRACT),
        value: U256::ZERO,
        data: input.clone(),
        nonce: 0,
        chain_id: Some(1),
        ..Default::default()
    }
}

/// Runs `code` with `input` on revm (Cancun rules).
pub fn run_revm(code: &Bytes, input: &Bytes, gas_limit: u64) -> Observed {
    let mut evm = Context::mainnet()
        .with_db(revm_state(code))
        .modify_cfg_chained(|cfg| {
            cfg.set_spec_and_mainnet_gas_params(SpecId::CANCUN);
            cfg.chain_id = 1;
        })
        .with_block(revm_block())
        .build_mainnet();
    let out = evm.transact(revm_tx(input, gas_limit)).expect("valid tx");
    let result = out.result;
    let ending = match &result {
        ExecutionResult::Success { .. } => Ending::Success,
        ExecutionResult::Revert { .. } => Ending::Revert,
        ExecutionResult::Halt { .. } => Ending::Halt,
    };
    let storage = out
        .state
        .get(&CONTRACT)
        .map(|account| {
            account
                .storage
                .iter()
                .filter(|(_, slot)| !slot.present_value.is_zero())
                .map(|(k, slot)| (*k, slot.present_value))
                .collect()
        })
        .unwrap_or_default();
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
