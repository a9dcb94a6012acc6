//! Running bare bytecode outside a transaction, for `quarry-evm run`, and an EIP-3155 JSON
//! tracer.

use std::convert::Infallible;
use std::io::Write;

use alloy_primitives::{address, Address, Bytes, B256, U256};

use crate::context::{CodeCache, Context};
use crate::database::{AccountInfo, Database};
use crate::env::{BlockEnv, TxEnv};
use crate::frame::{execute, FirstFrame};
use crate::interpreter::{
    table::opcode_name, CallInputs, CallKind, InstructionResult, Step, Tracer,
};
use crate::result::{HaltReason, Log, StateChanges, Status};

/// Address the code runs at in [`run_code`].
pub const RUN_CONTRACT: Address = address!("0x00000000000000000000000000000000000c0de0");
/// Caller (and ORIGIN) in [`run_code`].
pub const RUN_CALLER: Address = address!("0x00000000000000000000000000000000000ca11e");

/// The result of [`run_code`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunOutcome {
    /// How the frame ended.
    pub status: Status,
    /// Gas used by the code (no intrinsic gas, no refund).
    pub gas_used: u64,
    /// Refund counter at the end (not applied).
    pub gas_refunded: i64,
    /// Return or revert data.
    pub output: Bytes,
    /// Logs emitted (empty unless successful).
    pub logs: Vec<Log>,
    /// State changed by the code (storage of [`RUN_CONTRACT`], created contracts, …).
    pub state: StateChanges,
}

/// An empty world in which only [`RUN_CONTRACT`] has code.
struct CodeOnlyDb {
    code: Bytes,
    hash: B256,
}

impl Database for CodeOnlyDb {
    type Error = Infallible;

    fn account(&mut self, address: Address) -> Result<Option<AccountInfo>, Infallible> {
        Ok((address == RUN_CONTRACT).then_some(AccountInfo {
            balance: U256::ZERO,
            nonce: 1,
            code_hash: self.hash,
        }))
    }

    fn code_by_hash(&mut self, hash: B256) -> Result<Bytes, Infallible> {
        Ok(if hash == self.hash { self.code.clone() } else { Bytes::new() })
    }

    fn storage(&mut self, _: Address, _: U256) -> Result<U256, Infallible> {
        Ok(U256::ZERO)
    }

    fn block_hash(&mut self, _: u64) -> Result<B256, Infallible> {
        Ok(B256::ZERO)
    }
}

/// Runs `code` at [`RUN_CONTRACT`] as a message call from [`RUN_CALLER`] with call data
/// `input` and `gas` gas, in an otherwise empty world with a default [`BlockEnv`] (chain id 1,
/// zero base fee). No transaction checks, no intrinsic gas. `tracer`, when given, sees every
/// step. Never panics on any bytecode.
pub fn run_code(
    code: &[u8],
    input: &[u8],
    gas: u64,
    tracer: Option<&mut dyn Tracer>,
) -> RunOutcome {
    let mut db =
        CodeOnlyDb { code: Bytes::copy_from_slice(code), hash: AccountInfo::code_hash_of(code) };
    if code.is_empty() {
        db.hash = crate::KECCAK_EMPTY;
    }
    let block = BlockEnv::default();
    let tx = TxEnv {
        caller: RUN_CALLER,
        gas_limit: gas,
        to: Some(RUN_CONTRACT),
        data: Bytes::copy_from_slice(input),
        ..TxEnv::default()
    };
    let mut cache = CodeCache::new();
    let mut ctx = Context::new(&mut db, &block, &tx, &mut cache);
    let mut warm = vec![RUN_CALLER, RUN_CONTRACT];
    warm.extend((1u8..=0x0a).map(Address::with_last_byte));
    for address in warm {
        let Ok(_) = ctx.journal.access_account(ctx.db, address);
    }
    let first = FirstFrame::Call(CallInputs {
        kind: CallKind::Call,
        target: RUN_CONTRACT,
        code_address: RUN_CONTRACT,
        caller: RUN_CALLER,
        value: U256::ZERO,
        transfer: false,
        input: tx.data.clone(),
        gas_limit: gas,
        is_static: false,
        return_memory: (0, 0),
    });
    let (result, _) = execute(&mut ctx, first, tracer);
    let status = match result.result {
        r if r.is_success() => Status::Success,
        InstructionResult::Revert => Status::Revert,
        InstructionResult::Halt(reason) => Status::Halt(reason),
        _ => Status::Halt(HaltReason::InvalidOpcode),
    };
    let (state, logs) = ctx.journal.finalize();
    RunOutcome {
        status,
        gas_used: gas - result.gas.remaining,
        gas_refunded: result.gas.refunded,
        output: result.output,
        logs: if status == Status::Success { logs } else { Vec::new() },
        state,
    }
}

/// A [`Tracer`] writing one EIP-3155 JSON object per step to `out`:
/// `{"pc":0,"op":96,"gas":"0x…","gasCost":"0x3","memSize":0,"stack":[…],"depth":1,"refund":0,"opName":"PUSH1"}`.
/// Write errors are counted in [`JsonTracer::write_errors`], never panic.
pub struct JsonTracer<W: Write> {
    out: W,
    /// Steps that could not be written.
    pub write_errors: u64,
}

impl<W: Write> JsonTracer<W> {
    /// A tracer writing to `out`.
    pub fn new(out: W) -> Self {
        Self { out, write_errors: 0 }
    }

    /// Gives back the writer.
    pub fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write> Tracer for JsonTracer<W> {
    fn step(&mut self, step: &Step<'_>) {
        let stack: Vec<String> = step.stack.iter().map(|v| format!("{v:#x}")).collect();
        let line = serde_json::json!({
            "pc": step.pc,
            "op": step.op,
            "gas": format!("{:#x}", step.gas),
            "gasCost": format!("{:#x}", step.gas_cost),
            "memSize": step.memory_size,
            "stack": stack,
            "depth": step.depth,
            "refund": step.refund,
            "opName": opcode_name(step.op),
        });
        if writeln!(self.out, "{line}").is_err() {
            self.write_errors += 1;
        }
    }
}
