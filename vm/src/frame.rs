//! The frame stack: runs a message call or creation and every nested CALL/CREATE it makes,
//! without native recursion (Yellow Paper §8 "Message Call", §7 "Contract Creation").
//!
//! Each [`Frame`] pairs an [`Interpreter`] with the journal [`Checkpoint`] taken when it
//! started; a frame that reverts or halts rolls the journal back to it.

use std::sync::Arc;

use alloy_primitives::{Address, Bytes, U256};

use crate::context::{is_empty_code_hash, Context};
use crate::database::Database;
use crate::gas::{self, Gas, CALL_DEPTH_LIMIT};
use crate::interpreter::{
    Action, AnalyzedCode, CallInputs, CallKind, CreateInputs, CreateScheme, FrameEnter,
    FrameKind as TracedKind, FrameResult, InstructionResult, Interpreter, Tracer,
};
use crate::journal::Checkpoint;
use crate::precompiles;
use crate::result::HaltReason;

/// What a frame is, to apply the right end-of-frame rules.
#[derive(Debug)]
enum FrameKind {
    /// A message call.
    Call,
    /// A creation of `address`.
    Create { address: Address },
}

/// What a suspended frame waits for.
#[derive(Debug)]
enum Waiting {
    /// A call whose output goes to this memory range.
    Call((usize, usize)),
    /// A creation.
    Create,
}

/// A running frame.
struct Frame {
    interpreter: Interpreter,
    kind: FrameKind,
    checkpoint: Checkpoint,
    waiting: Waiting,
}

/// The first frame of a transaction.
#[derive(Debug)]
pub enum FirstFrame {
    /// A message call.
    Call(CallInputs),
    /// A contract creation.
    Create(CreateInputs),
}

/// Either a frame to run, or a result known without running code.
enum Started {
    Frame(Box<Frame>),
    Done(FrameResult, Option<Address>),
}

fn failed(result: InstructionResult, gas_left: u64, gas_limit: u64) -> FrameResult {
    FrameResult {
        result,
        output: Bytes::new(),
        gas: Gas { limit: gas_limit, remaining: gas_left, refunded: 0 },
    }
}

/// Runs `first` at depth 0 and all its children; returns the top frame's result and, for a
/// creation, the new address. A database error leaves `ctx.error` set and returns a
/// [`InstructionResult::Fatal`] result.
pub fn execute<DB: Database>(
    ctx: &mut Context<'_, DB>,
    first: FirstFrame,
    mut tracer: Option<&mut dyn Tracer>,
) -> (FrameResult, Option<Address>) {
    let started = match first {
        FirstFrame::Call(inputs) => {
            let started = start_call(ctx, &inputs, 0);
            trace_start(&mut tracer, call_enter(&inputs, 0), &started);
            started
        }
        FirstFrame::Create(inputs) => {
            let started = start_create(ctx, &inputs, 0);
            trace_start(&mut tracer, create_enter(&inputs, 0), &started);
            started
        }
    };
    let mut stack: Vec<Frame> = match started {
        Started::Done(result, address) => return (result, address),
        Started::Frame(frame) => vec![*frame],
    };
    loop {
        let Some(top) = stack.last_mut() else {
            return (failed(InstructionResult::Fatal, 0, 0), None);
        };
        let depth = top.interpreter.depth;
        let action = top.interpreter.run(ctx, tracer.as_mut().map(|t| &mut **t as &mut dyn Tracer));
        let started = match action {
            Action::Call(inputs) => {
                top.waiting = Waiting::Call(inputs.return_memory);
                let started = start_call(ctx, &inputs, depth + 1);
                trace_start(&mut tracer, call_enter(&inputs, depth + 1), &started);
                started
            }
            Action::Create(inputs) => {
                top.waiting = Waiting::Create;
                let started = start_create(ctx, &inputs, depth + 1);
                trace_start(&mut tracer, create_enter(&inputs, depth + 1), &started);
                started
            }
            Action::Return(result) => {
                let Some(frame) = stack.pop() else { continue };
                if result.result == InstructionResult::SelfDestruct {
                    if let (Some(t), Some((beneficiary, value))) =
                        (tracer.as_deref_mut(), ctx.selfdestructed.take())
                    {
                        trace_selfdestruct(t, &frame, beneficiary, value);
                    }
                }
                let (result, address) = finish_frame(ctx, frame, result);
                if let Some(t) = tracer.as_deref_mut() {
                    t.frame_exit(&result);
                }
                match stack.last_mut() {
                    None => return (result, address),
                    Some(parent) => {
                        resume(parent, result, address);
                        continue;
                    }
                }
            }
        };
        match started {
            Started::Frame(frame) => stack.push(*frame),
            Started::Done(result, address) => {
                if let Some(parent) = stack.last_mut() {
                    resume(parent, result, address);
                }
            }
        }
    }
}

/// Tells the tracer about SELFDESTRUCT in `frame` as a frame of its own (see
/// [`TracedKind::SelfDestruct`]).
fn trace_selfdestruct(t: &mut dyn Tracer, frame: &Frame, beneficiary: Address, value: U256) {
    t.frame_enter(&FrameEnter {
        kind: TracedKind::SelfDestruct,
        caller: frame.interpreter.address,
        target: beneficiary,
        input: &Bytes::new(),
        value,
        gas_limit: 0,
        depth: frame.interpreter.depth + 2,
    });
    t.frame_exit(&FrameResult {
        result: InstructionResult::Stop,
        output: Bytes::new(),
        gas: Gas { limit: 0, remaining: 0, refunded: 0 },
    });
}

/// What a tracer is told about a call frame at `depth` (0 for the transaction's own).
fn call_enter(inputs: &CallInputs, depth: usize) -> FrameEnter<'_> {
    FrameEnter {
        kind: TracedKind::Call(inputs.kind),
        caller: inputs.caller,
        target: inputs.target,
        input: &inputs.input,
        value: inputs.value,
        gas_limit: inputs.gas_limit,
        depth: depth + 1,
    }
}

/// What a tracer is told about a creation frame at `depth`; the address is filled in from the
/// started frame.
fn create_enter(inputs: &CreateInputs, depth: usize) -> FrameEnter<'_> {
    FrameEnter {
        kind: match inputs.scheme {
            CreateScheme::Create => TracedKind::Create,
            CreateScheme::Create2 { .. } => TracedKind::Create2,
        },
        caller: inputs.caller,
        target: Address::ZERO,
        input: &inputs.init_code,
        value: inputs.value,
        gas_limit: inputs.gas_limit,
        depth: depth + 1,
    }
}

/// Tells the tracer, if any, that a frame started, and when it ended without running code,
/// that it ended.
fn trace_start(tracer: &mut Option<&mut dyn Tracer>, enter: FrameEnter<'_>, started: &Started) {
    let Some(t) = tracer.as_deref_mut() else { return };
    let target = match started {
        Started::Frame(frame) => frame.interpreter.address,
        Started::Done(_, Some(address)) => *address,
        Started::Done(_, None) => enter.target,
    };
    t.frame_enter(&FrameEnter { target, ..enter });
    if let Started::Done(result, _) = started {
        t.frame_exit(result);
    }
}

/// Hands a child's result to the parent suspended on its CALL or CREATE.
fn resume(parent: &mut Frame, result: FrameResult, address: Option<Address>) {
    match parent.waiting {
        Waiting::Call(return_memory) => {
            parent.interpreter.insert_call_result(return_memory, result)
        }
        Waiting::Create => parent.interpreter.insert_create_result(address, result),
    }
}

/// Applies the end-of-frame rules: code deposit for creations (EIP-170, EIP-3541, `G_codedeposit`),
/// then keeps or rolls back the frame's changes.
fn finish_frame<DB: Database>(
    ctx: &mut Context<'_, DB>,
    frame: Frame,
    mut result: FrameResult,
) -> (FrameResult, Option<Address>) {
    let address = match frame.kind {
        FrameKind::Call => None,
        FrameKind::Create { address } => {
            if result.result.is_success() {
                let code = std::mem::take(&mut result.output);
                let halt = if code.len() > gas::MAX_CODE_SIZE {
                    Some(HaltReason::CodeSizeLimit)
                } else if code.first() == Some(&0xef) {
                    Some(HaltReason::CodeStartsWithEf)
                } else if !result.gas.charge(gas::CODE_DEPOSIT * code.len() as u64) {
                    Some(HaltReason::CodeStoreOutOfGas)
                } else {
                    None
                };
                match halt {
                    Some(reason) => {
                        result.result = InstructionResult::Halt(reason);
                        result.gas.remaining = 0;
                        result.gas.refunded = 0;
                    }
                    None => {
                        ctx.journal.set_code(address, code.clone());
                        result.output = code;
                        result.result = InstructionResult::Return;
                    }
                }
            }
            Some(address)
        }
    };
    if !result.result.is_success() {
        ctx.journal.revert(frame.checkpoint);
    }
    (result, address)
}

/// Starts a message call at `depth`: depth and balance checks, value transfer, precompiles,
/// empty code.
fn start_call<DB: Database>(
    ctx: &mut Context<'_, DB>,
    inputs: &CallInputs,
    depth: usize,
) -> Started {
    let limit = inputs.gas_limit;
    let fail = |result| Started::Done(failed(result, limit, limit), None);
    if depth > CALL_DEPTH_LIMIT {
        return fail(InstructionResult::Revert);
    }
    let checkpoint = ctx.journal.checkpoint();
    if inputs.transfer {
        let r = ctx.journal.transfer(ctx.db, inputs.caller, inputs.target, inputs.value);
        match ctx.ok(r) {
            None => return fail(InstructionResult::Fatal),
            Some(false) => return fail(InstructionResult::Revert),
            Some(true) => {}
        }
    } else if inputs.kind == CallKind::StaticCall {
        // geth touches the callee of a STATICCALL with a zero-value AddBalance.
        let r = ctx.journal.touch(ctx.db, inputs.target);
        if ctx.ok(r).is_none() {
            return fail(InstructionResult::Fatal);
        }
    }
    if let Some(outcome) = precompiles::run(inputs.code_address, &inputs.input, limit) {
        let result = match outcome {
            Ok(out) => FrameResult {
                result: InstructionResult::Return,
                output: out.output,
                gas: Gas { limit, remaining: limit.saturating_sub(out.gas_used), refunded: 0 },
            },
            Err(_) => {
                ctx.journal.revert(checkpoint);
                failed(InstructionResult::Halt(HaltReason::PrecompileError), 0, limit)
            }
        };
        return Started::Done(result, None);
    }
    let Some(code) = ctx.analyzed_code(inputs.code_address) else {
        return fail(InstructionResult::Fatal);
    };
    if code.is_empty() {
        return Started::Done(failed(InstructionResult::Stop, limit, limit), None);
    }
    let interpreter = Interpreter::new(
        code,
        inputs.input.clone(),
        inputs.target,
        inputs.caller,
        inputs.value,
        limit,
        inputs.is_static,
        depth,
    );
    Started::Frame(Box::new(Frame {
        interpreter,
        kind: FrameKind::Call,
        checkpoint,
        waiting: Waiting::Create,
    }))
}

/// The address a creation deploys to (Yellow Paper eq. 88; EIP-1014).
pub fn create_address(
    caller: Address,
    nonce: u64,
    scheme: CreateScheme,
    init_code: &[u8],
) -> Address {
    match scheme {
        CreateScheme::Create => caller.create(nonce),
        CreateScheme::Create2 { salt } => {
            caller.create2_from_code(salt.to_be_bytes::<32>(), init_code)
        }
    }
}

/// Starts a creation at `depth`: depth, balance and nonce checks, nonce bump, address
/// collision (EIP-684, EIP-7610), then the initcode frame with the new account's nonce at 1
/// (EIP-161).
fn start_create<DB: Database>(
    ctx: &mut Context<'_, DB>,
    inputs: &CreateInputs,
    depth: usize,
) -> Started {
    let limit = inputs.gas_limit;
    let fail = |result, gas_left| Started::Done(failed(result, gas_left, limit), None);
    if depth > CALL_DEPTH_LIMIT {
        return fail(InstructionResult::Revert, limit);
    }
    let r = ctx.journal.account(ctx.db, inputs.caller).map(|a| (a.info.balance, a.info.nonce));
    let Some((balance, nonce)) = ctx.ok(r) else { return fail(InstructionResult::Fatal, 0) };
    if balance < inputs.value {
        return fail(InstructionResult::Revert, limit);
    }
    let Some(next_nonce) = nonce.checked_add(1) else {
        return fail(InstructionResult::Revert, limit);
    };
    let r = ctx.journal.set_nonce(ctx.db, inputs.caller, next_nonce);
    if ctx.ok(r).is_none() {
        return fail(InstructionResult::Fatal, 0);
    }
    let address = create_address(inputs.caller, nonce, inputs.scheme, &inputs.init_code);
    let r = ctx.journal.access_account(ctx.db, address).map(|(a, _)| {
        (a.info.nonce != 0 || !is_empty_code_hash(a.info.code_hash), a.storage_cleared)
    });
    let Some((collides, _)) = ctx.ok(r) else { return fail(InstructionResult::Fatal, 0) };
    let r = ctx.db.has_storage(address);
    let Some(has_storage) = ctx.ok(r) else { return fail(InstructionResult::Fatal, 0) };
    if collides || has_storage {
        return Started::Done(
            failed(InstructionResult::Halt(HaltReason::CreateCollision), 0, limit),
            Some(address),
        );
    }
    let checkpoint = ctx.journal.checkpoint();
    ctx.journal.mark_created(address);
    let r = ctx.journal.set_nonce(ctx.db, address, 1);
    if ctx.ok(r).is_none() {
        return fail(InstructionResult::Fatal, 0);
    }
    let r = ctx.journal.transfer(ctx.db, inputs.caller, address, inputs.value);
    if ctx.ok(r).is_none() {
        return fail(InstructionResult::Fatal, 0);
    }
    let code = Arc::new(AnalyzedCode::new(&inputs.init_code));
    let interpreter = Interpreter::new(
        code,
        Bytes::new(),
        address,
        inputs.caller,
        inputs.value,
        limit,
        false,
        depth,
    );
    Started::Frame(Box::new(Frame {
        interpreter,
        kind: FrameKind::Create { address },
        checkpoint,
        waiting: Waiting::Create,
    }))
}
