//! geth's tracing API: `debug_traceTransaction`, `debug_traceCall`, `debug_traceBlockByNumber`
//! and `debug_traceBlockByHash` with geth's three everyday tracers, in geth's output shapes so
//! `cast run`, Blockscout and Otterscan-style tools read them:
//! - the default **struct logger** (`eth/tracers/logger`; EIP-3155's fields): one entry per
//!   executed instruction with `pc`, `op`, `gas`, `gasCost`, `depth`, `stack` (unless
//!   `disableStack`), `storage` at SLOAD/SSTORE (unless `disableStorage`) and `refund`;
//!   `memory` and `returnData` are not recorded (`enableMemory`/`enableReturnData` are
//!   refused rather than silently ignored);
//! - **`callTracer`** (`eth/tracers/native/call.go`): the tree of calls and creations with
//!   `type`, `from`, `to`, `value`, `gas`, `gasUsed`, `input`, `output`, `error`,
//!   `revertReason` and `calls`; `onlyTopCall` keeps the top frame; `withLog` adds each
//!   frame's `logs` (`address`, `topics`, `data`, `position`: how many of the frame's calls
//!   came before it, `index`: its place among the transaction's logs), none in a frame that
//!   failed or whose caller failed, as in geth;
//! - **`prestateTracer`** (`eth/tracers/native/prestate.go`): every account the transaction
//!   touched as it was before (`balance`, `nonce`, `code`, `storage` of the slots read or
//!   written), or with `diffMode` the `pre` and `post` values of what changed.
//!
//! A mined transaction is replayed on the state after its parent block with the block's earlier
//! transactions applied first, in the block's environment; a call is traced as `eth_call`
//! runs it. Tracing reads the published chain view like every other method.

use std::collections::{BTreeMap, BTreeSet};

use alloy_primitives::{Address, Bytes, B256, U256};
use jsonrpsee::server::RpcModule;
use quarry_primitives::{Block, Log};
use quarry_vm::interpreter::table::opcode_name;
use quarry_vm::interpreter::{CallKind, FrameResult, InstructionResult};
use quarry_vm::result::{AccountChange, ExecutionOutcome, Status, TransactError};
use quarry_vm::{BlockEnv, Database, FrameEnter, FrameKind, Step, Tracer, TxEnv};
use serde_json::{json, Map, Value};

use super::eth::{call_state, prepare_call, resolve};
use super::json::{qty, qty256};
use super::params::{self, BlockId};
use super::{method, Ctx, RpcError};
use crate::engine::ChainView;
use crate::execution::block::{BlockExecutor, Overlay};
use crate::state::StateAt;
use crate::store::StoreError;

/// Which tracer a request asked for, with its options.
#[derive(Clone, Debug, PartialEq, Eq)]
enum TracerKind {
    /// The struct logger.
    Struct { stack: bool, storage: bool },
    /// `callTracer`.
    Call { only_top_call: bool, with_log: bool },
    /// `prestateTracer`.
    Prestate { diff_mode: bool },
}

/// Boolean option `name` of `map`: absent or null is false; anything but a boolean is
/// `-32602` naming `prefix` + `name`.
fn bool_option(map: &Map<String, Value>, name: &str, prefix: &str) -> Result<bool, RpcError> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(RpcError::invalid_params(format!(
            "{prefix}{name} must be true or false, got {other}"
        ))),
    }
}

/// The tracing options argument (geth's `TraceConfig`).
///
/// # Errors
/// `-32602` for a malformed object or an option this node does not support; geth's
/// `-32000 tracer not found` style message for an unknown tracer name.
fn tracer_kind(args: &[Value], index: usize) -> Result<TracerKind, RpcError> {
    let options = match args.get(index) {
        None | Some(Value::Null) => return Ok(TracerKind::Struct { stack: true, storage: true }),
        Some(Value::Object(map)) => map,
        Some(other) => {
            return Err(RpcError::invalid_params(format!(
                "trace options must be an object, got {other}"
            )))
        }
    };
    let flag = |name: &str| bool_option(options, name, "");
    let config = match options.get("tracerConfig") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(other) => {
            return Err(RpcError::invalid_params(format!(
                "tracerConfig must be an object, got {other}"
            )))
        }
    };
    let config_flag = |name: &str| bool_option(&config, name, "tracerConfig.");
    match options.get("tracer") {
        None | Some(Value::Null) => {
            for unsupported in ["enableMemory", "enableReturnData"] {
                if flag(unsupported)? {
                    return Err(RpcError::invalid_params(format!(
                        "{unsupported} is not supported by this node's struct logger"
                    )));
                }
            }
            Ok(TracerKind::Struct {
                stack: !flag("disableStack")?,
                storage: !flag("disableStorage")?,
            })
        }
        Some(Value::String(name)) => match name.as_str() {
            "callTracer" => Ok(TracerKind::Call {
                only_top_call: config_flag("onlyTopCall")?,
                with_log: config_flag("withLog")?,
            }),
            "prestateTracer" => Ok(TracerKind::Prestate { diff_mode: config_flag("diffMode")? }),
            other => Err(RpcError::server(format!(
                "tracer not found: {other:?} (this node has the struct logger, callTracer and \
                 prestateTracer)"
            ))),
        },
        Some(other) => Err(RpcError::invalid_params(format!("tracer must be a name, got {other}"))),
    }
}

/// The struct logger's record of one step.
struct StructStep {
    pc: usize,
    op: u8,
    gas: u64,
    gas_cost: u64,
    depth: usize,
    refund: i64,
    stack: Option<Vec<U256>>,
    storage: Option<BTreeMap<B256, B256>>,
    error: Option<String>,
}

/// geth's struct logger (see the module docs).
struct StructLogger {
    stack: bool,
    storage: bool,
    steps: Vec<StructStep>,
    /// Storage seen so far per contract (geth keeps it per contract address).
    seen: BTreeMap<Address, BTreeMap<B256, B256>>,
    /// An SLOAD whose value the next step's stack shows: (step index, address, slot, depth).
    pending_sload: Option<(usize, Address, B256, usize)>,
}

impl StructLogger {
    fn new(stack: bool, storage: bool) -> Self {
        StructLogger {
            stack,
            storage,
            steps: Vec::new(),
            seen: BTreeMap::new(),
            pending_sload: None,
        }
    }

    fn json(&self, outcome: &ExecutionOutcome) -> Value {
        let logs: Vec<Value> = self
            .steps
            .iter()
            .map(|s| {
                let mut log = json!({
                    "pc": s.pc,
                    "op": opcode_name(s.op),
                    "gas": s.gas,
                    "gasCost": s.gas_cost,
                    "depth": s.depth,
                });
                if s.refund > 0 {
                    log["refund"] = json!(s.refund);
                }
                if let Some(stack) = &s.stack {
                    log["stack"] =
                        json!(stack.iter().map(|v| format!("{v:#x}")).collect::<Vec<_>>());
                }
                if let Some(storage) = &s.storage {
                    let map: Map<String, Value> = storage
                        .iter()
                        .map(|(k, v)| {
                            (
                                alloy_primitives::hex::encode(k),
                                json!(alloy_primitives::hex::encode(v)),
                            )
                        })
                        .collect();
                    log["storage"] = Value::Object(map);
                }
                if let Some(error) = &s.error {
                    log["error"] = json!(error);
                }
                log
            })
            .collect();
        json!({
            "gas": outcome.gas_used,
            "failed": !outcome.is_success(),
            "returnValue": outcome.output,
            "structLogs": logs,
        })
    }
}

const SLOAD: u8 = 0x54;
const SSTORE: u8 = 0x55;

impl Tracer for StructLogger {
    fn step(&mut self, step: &Step<'_>) {
        // The value an SLOAD loaded is on top of the stack at the frame's next step.
        if let Some((index, address, slot, depth)) = self.pending_sload.take() {
            if step.depth == depth {
                if let Some(value) = step.stack.last() {
                    let storage = self.seen.entry(address).or_default();
                    storage.insert(slot, B256::from(*value));
                    self.steps[index].storage = Some(storage.clone());
                }
            }
        }
        let mut storage = None;
        if self.storage {
            let top = |n: usize| step.stack.len().checked_sub(n + 1).map(|i| step.stack[i]);
            match step.op {
                SSTORE => {
                    if let (Some(slot), Some(value)) = (top(0), top(1)) {
                        let seen = self.seen.entry(step.address).or_default();
                        seen.insert(B256::from(slot), B256::from(value));
                        storage = Some(seen.clone());
                    }
                }
                SLOAD => {
                    if let Some(slot) = top(0) {
                        self.pending_sload =
                            Some((self.steps.len(), step.address, B256::from(slot), step.depth));
                    }
                }
                _ => {}
            }
        }
        self.steps.push(StructStep {
            pc: step.pc,
            op: step.op,
            gas: step.gas,
            gas_cost: step.gas_cost,
            depth: step.depth,
            refund: step.refund,
            stack: self.stack.then(|| step.stack.to_vec()),
            storage,
            error: None,
        });
    }

    fn frame_exit(&mut self, result: &FrameResult) {
        // geth marks the step that halted a frame with the error.
        if let InstructionResult::Halt(reason) = result.result {
            if let Some(last) = self.steps.last_mut() {
                if last.error.is_none() {
                    last.error = Some(reason.to_string());
                }
            }
        }
    }
}

/// One frame of the call tree.
#[derive(Debug)]
struct CallFrame {
    kind: FrameKind,
    from: Address,
    to: Address,
    value: U256,
    gas: u64,
    gas_used: u64,
    input: Bytes,
    output: Bytes,
    error: Option<String>,
    revert_reason: Option<String>,
    calls: Vec<CallFrame>,
    /// The LOG instructions this frame ran (with `withLog`), in order, with the logs they
    /// made once the transaction's kept logs are matched to them.
    logs: Vec<FrameLog>,
}

/// One LOG instruction of a frame, for `callTracer`'s `withLog`.
#[derive(Debug)]
struct FrameLog {
    /// How many calls the frame had made before it (geth's `position`).
    position: usize,
    /// The log, with its index among the transaction's logs; `None` until matched.
    log: Option<(usize, Log)>,
}

impl CallFrame {
    fn json(&self) -> Value {
        let kind = match self.kind {
            FrameKind::Call(CallKind::Call) => "CALL",
            FrameKind::Call(CallKind::CallCode) => "CALLCODE",
            FrameKind::Call(CallKind::DelegateCall) => "DELEGATECALL",
            FrameKind::Call(CallKind::StaticCall) => "STATICCALL",
            FrameKind::Create => "CREATE",
            FrameKind::Create2 => "CREATE2",
            FrameKind::SelfDestruct => "SELFDESTRUCT",
        };
        let mut out = json!({
            "type": kind,
            "from": self.from,
            "to": self.to,
            "gas": qty(self.gas),
            "gasUsed": qty(self.gas_used),
            "input": self.input,
        });
        if self.kind != FrameKind::Call(CallKind::StaticCall) {
            out["value"] = qty256(self.value);
        }
        if !self.output.is_empty() {
            out["output"] = json!(self.output);
        }
        if let Some(error) = &self.error {
            out["error"] = json!(error);
        }
        if let Some(reason) = &self.revert_reason {
            out["revertReason"] = json!(reason);
        }
        if !self.calls.is_empty() {
            out["calls"] = json!(self.calls.iter().map(CallFrame::json).collect::<Vec<_>>());
        }
        let logs: Vec<Value> = self
            .logs
            .iter()
            .filter_map(|frame_log| {
                let (index, log) = frame_log.log.as_ref()?;
                Some(json!({
                    "address": log.address,
                    "topics": log.topics,
                    "data": log.data,
                    "position": qty(frame_log.position as u64),
                    "index": qty(*index as u64),
                }))
            })
            .collect();
        if !logs.is_empty() {
            out["logs"] = Value::Array(logs);
        }
        out
    }

    /// Matches the transaction's logs, in order, to the LOG instructions of frames that
    /// succeeded with every caller: geth drops the logs of a failed frame and of everything
    /// it called, exactly the logs a receipt leaves out.
    ///
    /// # Errors
    /// An internal error if the counts differ (the VM and this tracer disagree).
    fn attach_logs(&mut self, logs: &[Log]) -> Result<(), RpcError> {
        fn walk<'a>(frame: &mut CallFrame, next: &mut impl Iterator<Item = (usize, &'a Log)>) {
            if frame.error.is_some() {
                return;
            }
            // Logs and calls interleave in execution order: a log at position p came after
            // the frame's first p calls.
            let mut calls = frame.calls.iter_mut().enumerate().peekable();
            for frame_log in &mut frame.logs {
                while let Some((_, call)) = calls.next_if(|(i, _)| *i < frame_log.position) {
                    walk(call, next);
                }
                frame_log.log = next.next().map(|(index, log)| (index, log.clone()));
            }
            for (_, call) in calls {
                walk(call, next);
            }
        }
        let mut next = logs.iter().enumerate();
        walk(self, &mut next);
        if next.next().is_some() || self.logs_unmatched() {
            return Err(RpcError::internal("callTracer: the logs and the LOG steps disagree"));
        }
        Ok(())
    }

    /// Whether a succeeded frame's LOG instruction found no log.
    fn logs_unmatched(&self) -> bool {
        self.error.is_none()
            && (self.logs.iter().any(|l| l.log.is_none())
                || self.calls.iter().any(CallFrame::logs_unmatched))
    }
}

/// geth's `callTracer`.
#[derive(Default)]
struct CallTracer {
    with_log: bool,
    /// Frames entered and not yet exited, outermost first.
    open: Vec<CallFrame>,
    /// The finished top frame.
    top: Option<CallFrame>,
}

impl Tracer for CallTracer {
    fn step(&mut self, step: &Step<'_>) {
        const LOG0: u8 = 0xa0;
        const LOG4: u8 = 0xa4;
        if self.with_log && (LOG0..=LOG4).contains(&step.op) {
            if let Some(frame) = self.open.last_mut() {
                frame.logs.push(FrameLog { position: frame.calls.len(), log: None });
            }
        }
    }

    fn frame_enter(&mut self, frame: &FrameEnter<'_>) {
        self.open.push(CallFrame {
            kind: frame.kind,
            from: frame.caller,
            to: frame.target,
            value: frame.value,
            gas: frame.gas_limit,
            gas_used: 0,
            input: frame.input.clone(),
            output: Bytes::new(),
            error: None,
            revert_reason: None,
            calls: Vec::new(),
            logs: Vec::new(),
        });
    }

    fn frame_exit(&mut self, result: &FrameResult) {
        let Some(mut frame) = self.open.pop() else { return };
        frame.gas_used = frame.gas.saturating_sub(result.gas.remaining);
        match result.result {
            InstructionResult::Revert => {
                frame.error = Some("execution reverted".into());
                frame.revert_reason = super::error::revert_reason(&result.output);
                frame.output = result.output.clone();
            }
            InstructionResult::Halt(reason) => frame.error = Some(reason.to_string()),
            InstructionResult::Fatal => frame.error = Some("state read failed".into()),
            // A creation's output is the deployed code; geth reports it as the output.
            _ => frame.output = result.output.clone(),
        }
        // With onlyTopCall the inner frames are still kept until the end: `withLog` needs
        // them to tell which logs are the top frame's.
        match self.open.last_mut() {
            Some(parent) => parent.calls.push(frame),
            None => self.top = Some(frame),
        }
    }
}

/// State one instruction reads or writes by name, as geth's access-list and prestate tracers
/// see it (Yellow Paper Appendix H; EIP-1052 for EXTCODEHASH).
pub(super) enum StateAccess {
    /// SLOAD or SSTORE: a slot of the executing account.
    Slot(Address, B256),
    /// BALANCE, EXTCODESIZE, EXTCODECOPY, EXTCODEHASH, SELFDESTRUCT's beneficiary, or the
    /// target of a CALL, CALLCODE, DELEGATECALL or STATICCALL.
    Account(Address),
}

/// What `step`'s instruction accesses, read from its operands; `None` for other instructions
/// (or a stack too short for the operand, which then halts).
pub(super) fn state_access(step: &Step<'_>) -> Option<StateAccess> {
    const BALANCE: u8 = 0x31;
    const EXTCODESIZE: u8 = 0x3b;
    const EXTCODECOPY: u8 = 0x3c;
    const EXTCODEHASH: u8 = 0x3f;
    const CALL: u8 = 0xf1;
    const CALLCODE: u8 = 0xf2;
    const DELEGATECALL: u8 = 0xf4;
    const STATICCALL: u8 = 0xfa;
    const SELFDESTRUCT: u8 = 0xff;
    // The stack is bottom first: item n from the top is at len - 1 - n.
    let top = |n: usize| step.stack.len().checked_sub(n + 1).map(|i| step.stack[i]);
    let address = |word: U256| Address::from_word(B256::from(word));
    match step.op {
        SLOAD | SSTORE => top(0).map(|slot| StateAccess::Slot(step.address, B256::from(slot))),
        BALANCE | EXTCODESIZE | EXTCODECOPY | EXTCODEHASH | SELFDESTRUCT => {
            top(0).map(|word| StateAccess::Account(address(word)))
        }
        CALL | CALLCODE | DELEGATECALL | STATICCALL => {
            top(1).map(|word| StateAccess::Account(address(word)))
        }
        _ => None,
    }
}

/// The addresses and slots a transaction touched, for the prestate tracer, and the addresses
/// it created (CREATE, CREATE2 or a creation transaction).
#[derive(Default)]
struct Touched {
    accounts: BTreeSet<Address>,
    slots: BTreeMap<Address, BTreeSet<B256>>,
    created: BTreeSet<Address>,
}

impl Tracer for Touched {
    fn step(&mut self, step: &Step<'_>) {
        match state_access(step) {
            Some(StateAccess::Slot(address, slot)) => {
                self.accounts.insert(address);
                self.slots.entry(address).or_default().insert(slot);
            }
            Some(StateAccess::Account(address)) => {
                self.accounts.insert(address);
            }
            None => {}
        }
    }

    fn frame_enter(&mut self, frame: &FrameEnter<'_>) {
        self.accounts.insert(frame.caller);
        match frame.kind {
            // A creation that failed before its address was derived names the zero address.
            FrameKind::Create | FrameKind::Create2 if frame.target == Address::ZERO => {}
            FrameKind::Create | FrameKind::Create2 => {
                self.accounts.insert(frame.target);
                self.created.insert(frame.target);
            }
            _ => {
                self.accounts.insert(frame.target);
            }
        }
    }
}

/// An account as the prestate tracer sees it: balance (wei), nonce, code and the values of
/// the slots looked at; an account that does not exist reads as all zero.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct PrestateAccount {
    balance: U256,
    nonce: u64,
    code: Bytes,
    storage: BTreeMap<B256, B256>,
}

impl PrestateAccount {
    /// The account at `address` in `db`, with the values of `slots`.
    fn read<D: Database<Error = StoreError>>(
        db: &mut D,
        address: Address,
        slots: Option<&BTreeSet<B256>>,
    ) -> Result<Self, RpcError> {
        let mut account = PrestateAccount::default();
        if let Some(info) = db.account(address)? {
            account.balance = info.balance;
            account.nonce = info.nonce;
            account.code = db.code_by_hash(info.code_hash)?;
        }
        for slot in slots.into_iter().flatten() {
            let value = db.storage(address, U256::from_be_bytes(slot.0))?;
            account.storage.insert(*slot, B256::from(value));
        }
        Ok(account)
    }

    /// The account after the transaction: `change` applied to `self`, or `None` when the
    /// transaction deleted it (EIP-6780's same-transaction SELFDESTRUCT, EIP-161).
    fn after(&self, change: &AccountChange) -> Option<Self> {
        let info = change.info.as_ref()?;
        let mut after = self.clone();
        after.balance = info.balance;
        after.nonce = info.nonce;
        if let Some(code) = &change.code {
            after.code = code.clone();
        }
        if change.storage_cleared {
            after.storage.values_mut().for_each(|value| *value = B256::ZERO);
        }
        for (slot, value) in &change.storage {
            after.storage.insert(B256::from(*slot), B256::from(*value));
        }
        Some(after)
    }

    /// EIP-161's "exists": a nonce, a balance or code (geth's `account.exists`).
    fn exists(&self) -> bool {
        self.nonce > 0 || !self.balance.is_zero() || !self.code.is_empty()
    }

    /// geth's JSON: `balance` always, `nonce` and `code` unless zero or empty, `storage` unless
    /// no slot is listed.
    fn json(&self) -> Value {
        let mut out = Map::new();
        out.insert("balance".into(), qty256(self.balance));
        if self.nonce > 0 {
            out.insert("nonce".into(), json!(self.nonce));
        }
        if !self.code.is_empty() {
            out.insert("code".into(), json!(self.code));
        }
        if !self.storage.is_empty() {
            let storage = self.storage.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
            out.insert("storage".into(), Value::Object(storage));
        }
        Value::Object(out)
    }
}

/// Whether `account`, as it was before the transaction, belongs in a prestate: all but an
/// account the transaction created that did not exist before (geth: "the new created
/// contracts' prestate were empty, so delete them").
fn in_prestate(created: &BTreeSet<Address>, address: &Address, account: &PrestateAccount) -> bool {
    account.exists() || !created.contains(address)
}

/// geth's map key for an account: the address in lowercase hex.
fn address_key(address: &Address) -> String {
    format!("{address:#x}")
}

/// `prestateTracer` without `diffMode` (geth's `eth/tracers/native/prestate.go`): every
/// touched account as it was before the transaction, except accounts the transaction created
/// that did not exist before.
fn prestate(accounts: &BTreeMap<Address, PrestateAccount>, created: &BTreeSet<Address>) -> Value {
    let pre: Map<String, Value> = accounts
        .iter()
        .filter(|(address, account)| in_prestate(created, address, account))
        .map(|(address, account)| (address_key(address), account.json()))
        .collect();
    Value::Object(pre)
}

/// `prestateTracer` with `diffMode` (geth's `processDiffState`): for each touched account the
/// transaction changed, `pre` holds it before (without slots that were zero or did not change)
/// and `post` the fields that changed (without slots that became zero); an account the
/// transaction deleted appears in `pre` only, an account it created in `post` only.
fn prestate_diff(
    accounts: &BTreeMap<Address, PrestateAccount>,
    created: &BTreeSet<Address>,
    changes: &BTreeMap<Address, AccountChange>,
) -> Value {
    let (mut pre, mut post) = (Map::new(), Map::new());
    for (address, before) in accounts {
        let Some(change) = changes.get(address) else { continue };
        let mut kept = before.clone();
        if let Some(after) = before.after(change) {
            let mut changed = Map::new();
            if after.balance != before.balance {
                changed.insert("balance".into(), qty256(after.balance));
            }
            if after.nonce != before.nonce {
                changed.insert("nonce".into(), json!(after.nonce));
            }
            if after.code != before.code {
                changed.insert("code".into(), json!(after.code));
            }
            let (mut slots, mut storage_changed) = (Map::new(), false);
            kept.storage.retain(|slot, value| {
                let new = after.storage.get(slot).copied().unwrap_or_default();
                if new == *value {
                    return false;
                }
                storage_changed = true;
                if !new.is_zero() {
                    slots.insert(slot.to_string(), json!(new));
                }
                !value.is_zero()
            });
            if !slots.is_empty() {
                changed.insert("storage".into(), Value::Object(slots));
            }
            if changed.is_empty() && !storage_changed {
                continue;
            }
            post.insert(address_key(address), Value::Object(changed));
        }
        if in_prestate(created, address, before) {
            pre.insert(address_key(address), kept.json());
        }
    }
    json!({"pre": pre, "post": post})
}

/// Runs `tx` on `db` in `block` with the tracer `kind` asks for; the tracer's JSON result.
fn run_traced<D: Database<Error = StoreError>>(
    db: &mut D,
    block: &quarry_vm::BlockEnv,
    tx: &TxEnv,
    kind: &TracerKind,
) -> Result<Value, RpcError> {
    match kind {
        TracerKind::Struct { stack, storage } => {
            let mut tracer = StructLogger::new(*stack, *storage);
            let outcome = quarry_vm::transact_with_tracer(db, block, tx, Some(&mut tracer))?;
            Ok(tracer.json(&outcome))
        }
        TracerKind::Call { only_top_call, with_log } => {
            let mut tracer = CallTracer { with_log: *with_log, ..CallTracer::default() };
            let outcome = quarry_vm::transact_with_tracer(db, block, tx, Some(&mut tracer))?;
            let mut top =
                tracer.top.ok_or_else(|| RpcError::internal("the call tracer saw no top frame"))?;
            // geth's top frame: the transaction's gas and the gas it used, intrinsic included.
            top.gas = tx.gas_limit;
            top.gas_used = outcome.gas_used;
            if let Status::Success = outcome.status {
                if let Some(created) = outcome.contract_address {
                    top.to = created;
                }
            }
            if *with_log {
                top.attach_logs(&outcome.logs)?;
            }
            if *only_top_call {
                // geth records no inner frame then, so its logs' positions are all 0.
                top.calls.clear();
                top.logs.iter_mut().for_each(|log| log.position = 0);
            }
            Ok(top.json())
        }
        TracerKind::Prestate { diff_mode } => {
            let mut touched = Touched::default();
            let outcome = quarry_vm::transact_with_tracer(db, block, tx, Some(&mut touched))?;
            touched.accounts.insert(tx.caller);
            touched.accounts.insert(block.coinbase);
            if let Some(created) = outcome.contract_address {
                touched.accounts.insert(created);
                touched.created.insert(created);
            }
            // Slots the transaction wrote are touched too.
            for (address, change) in &outcome.state.accounts {
                touched.accounts.insert(*address);
                let slots = touched.slots.entry(*address).or_default();
                slots.extend(change.storage.keys().map(|k| B256::from(*k)));
            }
            let mut accounts = BTreeMap::new();
            for address in &touched.accounts {
                let account = PrestateAccount::read(db, *address, touched.slots.get(address))?;
                accounts.insert(*address, account);
            }
            if *diff_mode {
                Ok(prestate_diff(&accounts, &touched.created, &outcome.state.accounts))
            } else {
                Ok(prestate(&accounts, &touched.created))
            }
        }
    }
}

/// Replays `block` (canonical, executed here) on its parent's state: for each transaction (or
/// only transaction `only`) calls `run` with the state before it, the block's environment and
/// the transaction's, then applies it for the next. For each transaction run, its hash and
/// what `run` returned.
fn replay_block<R>(
    view: &ChainView,
    block: &Block,
    only: Option<usize>,
    mut run: impl FnMut(&mut Overlay<'_, StateAt<'_>>, &BlockEnv, &TxEnv) -> Result<R, RpcError>,
) -> Result<Vec<(B256, R)>, RpcError> {
    let hash = block.header.hash();
    if block.header.number == 0 {
        return Ok(Vec::new());
    }
    let receipts = view.receipts(&hash)?.ok_or_else(|| {
        RpcError::server(format!("block {hash} was not executed on this node's canonical chain"))
    })?;
    let mut parent = view
        .state_at_hash(&block.header.parent_hash)
        .map_err(|e| RpcError::server(e.to_string()))?;
    let mut executor = BlockExecutor::new(view.rules(), &block.header);
    let mut out = Vec::new();
    for (i, tx) in block.transactions.iter().enumerate() {
        let sender = *receipts.senders.get(i).ok_or_else(|| {
            RpcError::internal(format!("store: sender {i} of block {hash} missing"))
        })?;
        if only.is_none_or(|wanted| wanted == i) {
            let env = TxEnv::from_transaction(tx.transaction(), sender);
            let block_env = executor.env().clone();
            let mut state = executor.state(&mut parent);
            out.push((tx.hash(), run(&mut state, &block_env, &env)?));
            if only.is_some() {
                break;
            }
        }
        executor
            .apply(&mut parent, tx, sender)
            .map_err(|e| RpcError::internal(format!("replaying block {hash}: {e}")))?;
    }
    Ok(out)
}

/// Traces every transaction of `block` (or only transaction `only`) with `kind`.
fn trace_block_transactions(
    view: &ChainView,
    block: &Block,
    only: Option<usize>,
    kind: &TracerKind,
) -> Result<Vec<(B256, Value)>, RpcError> {
    replay_block(view, block, only, |state, block_env, tx| run_traced(state, block_env, tx, kind))
}

/// Replays mined transaction `tx_hash` on the state before it (its parent block's state and
/// the block's earlier transactions) with `tracer` watching; its outcome.
///
/// # Errors
/// `-32000` for an unknown transaction or state older than the kept history.
pub(super) fn replay_transaction(
    view: &ChainView,
    tx_hash: &B256,
    tracer: &mut dyn Tracer,
) -> Result<ExecutionOutcome, RpcError> {
    let Some((block_hash, index)) = view.tx_location(tx_hash)? else {
        return Err(RpcError::server(format!("transaction {tx_hash} not found")));
    };
    let block = view
        .block(&block_hash)?
        .ok_or_else(|| RpcError::internal(format!("store: block {block_hash} missing")))?;
    let mut outcomes = replay_block(view, &block, Some(index as usize), |state, block_env, tx| {
        quarry_vm::transact_with_tracer(state, block_env, tx, Some(&mut *tracer)).map_err(|e| {
            match e {
                TransactError::Invalid(e) => RpcError::internal(format!(
                    "replaying {tx_hash}: the mined transaction is invalid: {e}"
                )),
                TransactError::Database(e) => RpcError::from(e),
            }
        })
    })?;
    outcomes.pop().map(|(_, outcome)| outcome).ok_or_else(|| {
        RpcError::internal(format!("transaction {tx_hash} is not in block {block_hash}"))
    })
}

fn trace_block(c: &Ctx, id: BlockId, kind: &TracerKind) -> Result<Value, RpcError> {
    let view = c.node.view();
    let Some((hash, _, _)) = resolve(&view, c, id)? else {
        return Err(RpcError::server(format!("block {id:?} not found")));
    };
    let block =
        view.block(&hash)?.ok_or_else(|| RpcError::server(format!("block {hash} not found")))?;
    let traces = trace_block_transactions(&view, &block, None, kind)?;
    Ok(json!(traces
        .into_iter()
        .map(|(tx_hash, result)| json!({"txHash": tx_hash, "result": result}))
        .collect::<Vec<_>>()))
}

pub(super) fn register(m: &mut RpcModule<Ctx>) {
    method(m, "debug_traceTransaction", |c, a| {
        let tx_hash = params::hash(a, 0, "transaction hash")?;
        let kind = tracer_kind(a, 1)?;
        let view = c.node.view();
        let Some((block_hash, index)) = view.tx_location(&tx_hash)? else {
            return Err(RpcError::server(format!("transaction {tx_hash} not found")));
        };
        let block = view
            .block(&block_hash)?
            .ok_or_else(|| RpcError::internal(format!("store: block {block_hash} missing")))?;
        let mut traces = trace_block_transactions(&view, &block, Some(index as usize), &kind)?;
        traces
            .pop()
            .map(|(_, result)| result)
            .ok_or_else(|| RpcError::internal(format!("transaction {tx_hash} not in its block")))
    });
    method(m, "debug_traceCall", |c, a| {
        let call = params::call_request(a, 0)?;
        let id = params::block_id(a, 1)?;
        let kind = tracer_kind(a, 2)?;
        let view = c.node.view();
        let (header, mut state) = call_state(&view, c, id)?;
        let (block, tx) = prepare_call(&view, &header, &mut state, &call)?;
        run_traced(&mut state, &block, &tx, &kind)
    });
    method(m, "debug_traceBlockByNumber", |c, a| {
        let id = params::block_id(a, 0)?;
        trace_block(c, id, &tracer_kind(a, 1)?)
    });
    method(m, "debug_traceBlockByHash", |c, a| {
        let hash = params::hash(a, 0, "block hash")?;
        trace_block(c, BlockId::Hash(hash), &tracer_kind(a, 1)?)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_options_choose_a_tracer_and_refuse_what_is_not_supported() {
        let kind = |v: Value| tracer_kind(&[v], 0);
        assert_eq!(kind(Value::Null).unwrap(), TracerKind::Struct { stack: true, storage: true });
        assert_eq!(
            kind(json!({"disableStack": true})).unwrap(),
            TracerKind::Struct { stack: false, storage: true }
        );
        assert_eq!(
            kind(json!({"tracer": "callTracer", "tracerConfig": {"onlyTopCall": true}})).unwrap(),
            TracerKind::Call { only_top_call: true, with_log: false }
        );
        assert_eq!(
            kind(json!({"tracer": "callTracer", "tracerConfig": {"withLog": true}})).unwrap(),
            TracerKind::Call { only_top_call: false, with_log: true }
        );
        assert_eq!(
            kind(json!({"tracer": "prestateTracer", "tracerConfig": {"diffMode": true}})).unwrap(),
            TracerKind::Prestate { diff_mode: true }
        );
        assert!(kind(json!({"tracer": "4byteTracer"})).unwrap_err().message.contains("not found"));
        assert_eq!(kind(json!({"enableMemory": true})).unwrap_err().code, -32602);
        assert_eq!(kind(json!({"tracer": 1})).unwrap_err().code, -32602);
        assert_eq!(kind(json!("callTracer")).unwrap_err().code, -32602);
    }
}
