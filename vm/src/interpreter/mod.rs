//! The bytecode interpreter: one frame's stack, memory, gas and program counter, driven by a
//! 256-entry dispatch table ([`table`]).
//!
//! The interpreter never recurses. When a CALL or CREATE needs a new frame it stops with an
//! [`Action`] and the frame stack in [`crate::frame`] runs the child, then feeds the result
//! back with [`Interpreter::insert_call_result`] or [`Interpreter::insert_create_result`].

pub mod analysis;
pub mod host;
pub mod instructions;
pub mod memory;
pub mod stack;
pub mod table;

use std::sync::Arc;

use alloy_primitives::{Address, Bytes, U256};

use analysis::JUMPDEST;
pub use analysis::{AnalyzedCode, BlockCheck};
pub use host::{Host, SelfDestructResult};
pub use memory::Memory;
pub use stack::{Stack, STACK_LIMIT};

use crate::gas::Gas;
use crate::result::HaltReason;

/// What the last instruction asked the run loop to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstructionResult {
    /// Keep going.
    Continue,
    /// STOP or the end of the code.
    Stop,
    /// RETURN.
    Return,
    /// REVERT (EIP-140).
    Revert,
    /// SELFDESTRUCT.
    SelfDestruct,
    /// A CALL or CREATE is waiting in [`Interpreter::action`].
    CallOrCreate,
    /// Exceptional halt.
    Halt(HaltReason),
    /// The database failed; the transaction cannot be executed.
    Fatal,
}

impl InstructionResult {
    /// `true` for the successful endings: STOP, RETURN, SELFDESTRUCT.
    pub fn is_success(self) -> bool {
        matches!(self, Self::Stop | Self::Return | Self::SelfDestruct)
    }
}

/// The four message-call instructions (Yellow Paper §8, EIP-7, EIP-214).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallKind {
    /// CALL (0xf1).
    Call,
    /// CALLCODE (0xf2).
    CallCode,
    /// DELEGATECALL (0xf4).
    DelegateCall,
    /// STATICCALL (0xfa).
    StaticCall,
}

/// A message call to run in a new frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallInputs {
    /// Which instruction made it.
    pub kind: CallKind,
    /// ADDRESS of the new frame (whose storage and balance it uses).
    pub target: Address,
    /// Account whose code runs.
    pub code_address: Address,
    /// CALLER of the new frame.
    pub caller: Address,
    /// CALLVALUE of the new frame, in wei.
    pub value: U256,
    /// Whether `value` moves from `caller` to `target` (CALL, CALLCODE).
    pub transfer: bool,
    /// Call data.
    pub input: Bytes,
    /// Gas given to the new frame (stipend included).
    pub gas_limit: u64,
    /// Static context (EIP-214).
    pub is_static: bool,
    /// Where in the caller's memory the return data goes: offset and length.
    pub return_memory: (usize, usize),
}

/// How a CREATE-family instruction derives the new address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CreateScheme {
    /// CREATE: keccak256(rlp([sender, nonce]))[12..] (Yellow Paper eq. 88).
    Create,
    /// CREATE2: keccak256(0xff ‖ sender ‖ salt ‖ keccak256(initcode))[12..] (EIP-1014).
    Create2 {
        /// The salt.
        salt: U256,
    },
}

/// A contract creation to run in a new frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateInputs {
    /// The creator.
    pub caller: Address,
    /// Endowment in wei.
    pub value: U256,
    /// Initcode.
    pub init_code: Bytes,
    /// Gas given to the new frame.
    pub gas_limit: u64,
    /// Address derivation.
    pub scheme: CreateScheme,
}

/// How a frame ended: its result, output and gas.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameResult {
    /// Stop, Return, Revert, SelfDestruct, Halt or Fatal.
    pub result: InstructionResult,
    /// Return or revert data.
    pub output: Bytes,
    /// Gas left and refund counter.
    pub gas: Gas,
}

/// What the run loop hands back to the frame stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Run a message call in a new frame.
    Call(Box<CallInputs>),
    /// Run a contract creation in a new frame.
    Create(Box<CreateInputs>),
    /// This frame is finished.
    Return(FrameResult),
}

/// One executed step, as a tracer sees it (EIP-3155 fields).
#[derive(Clone, Debug)]
pub struct Step<'a> {
    /// Program counter of the instruction.
    pub pc: usize,
    /// The opcode.
    pub op: u8,
    /// Gas left before the instruction.
    pub gas: u64,
    /// Gas the instruction took (for calls and creates, including the gas passed on).
    pub gas_cost: u64,
    /// Stack before the instruction, bottom first.
    pub stack: &'a [U256],
    /// Call depth, 1 for the outermost frame (EIP-3155).
    pub depth: usize,
    /// Memory size in bytes before the instruction.
    pub memory_size: usize,
    /// Refund counter of this frame after the instruction.
    pub refund: i64,
    /// ADDRESS of the executing frame: the account whose storage SLOAD and SSTORE use.
    pub address: Address,
}

/// Which instruction (or the transaction itself) started a frame, for tracers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameKind {
    /// A message call of this kind (the transaction's own call is a [`CallKind::Call`]).
    Call(CallKind),
    /// CREATE, or a creation transaction.
    Create,
    /// CREATE2 (EIP-1014).
    Create2,
    /// SELFDESTRUCT's move of the account's balance to its beneficiary, reported as a frame
    /// that runs no code, as geth's tracers report it (`caller` the account, `target` the
    /// beneficiary, `value` the balance moved, no gas); entered and exited just before the
    /// frame that ran SELFDESTRUCT exits.
    SelfDestruct,
}

/// A frame about to run, as a tracer sees it (geth's `OnEnter` fields).
#[derive(Clone, Debug)]
pub struct FrameEnter<'a> {
    /// What started it.
    pub kind: FrameKind,
    /// CALLER of the frame.
    pub caller: Address,
    /// The called account, or the created contract's address (zero when a creation failed
    /// before its address was derived: call depth exceeded or value above the balance).
    pub target: Address,
    /// Call data, or initcode for a creation.
    pub input: &'a Bytes,
    /// Wei passed (for DELEGATECALL the parent's CALLVALUE, which moves nothing).
    pub value: U256,
    /// Gas given to the frame.
    pub gas_limit: u64,
    /// Call depth, 1 for the transaction's own frame (as [`Step::depth`]).
    pub depth: usize,
}

/// Observer of execution: once per executed instruction, and at the start and end of every
/// frame (message call or creation, nested ones included).
pub trait Tracer {
    /// Called after each instruction with what it saw before executing it.
    fn step(&mut self, step: &Step<'_>);

    /// Called when a frame starts, before its first step; also for a frame that ends without
    /// running code (a precompile, an account without code, a failed transfer), which is
    /// followed at once by its [`Tracer::frame_exit`].
    fn frame_enter(&mut self, _frame: &FrameEnter<'_>) {}

    /// Called when the most recently entered frame ends, with its result (for a creation,
    /// after the code deposit rules).
    fn frame_exit(&mut self, _result: &FrameResult) {}
}

/// The state of one executing frame.
#[derive(Clone, Debug)]
pub struct Interpreter {
    /// Code being run.
    pub code: Arc<AnalyzedCode>,
    /// Program counter: where the frame resumes. The untraced run loop keeps it in a register
    /// while it runs and writes it back here when it stops.
    pub pc: usize,
    /// Gas meter.
    pub gas: Gas,
    /// Word stack.
    pub stack: Stack,
    /// Memory.
    pub memory: Memory,
    /// Output of the last finished child frame (RETURNDATASIZE, EIP-211).
    pub return_data: Bytes,
    /// Call data.
    pub input: Bytes,
    /// ADDRESS: the account whose storage and balance this frame uses.
    pub address: Address,
    /// CALLER.
    pub caller: Address,
    /// CALLVALUE in wei.
    pub value: U256,
    /// Static context: state changes halt (EIP-214).
    pub is_static: bool,
    /// Depth, 0 for the transaction's own frame.
    pub depth: usize,
    /// Set by instructions to stop the loop.
    pub result: InstructionResult,
    /// RETURN/REVERT data.
    pub output: Bytes,
    /// Pending call or create, when `result` is `CallOrCreate`.
    pub action: Option<Action>,
}

impl Interpreter {
    /// A frame about to run `code` with `gas_limit` gas.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        code: Arc<AnalyzedCode>,
        input: Bytes,
        address: Address,
        caller: Address,
        value: U256,
        gas_limit: u64,
        is_static: bool,
        depth: usize,
    ) -> Self {
        Self {
            code,
            pc: 0,
            gas: Gas::new(gas_limit),
            stack: Stack::new(),
            memory: Memory::new(),
            return_data: Bytes::new(),
            input,
            address,
            caller,
            value,
            is_static,
            depth,
            result: InstructionResult::Continue,
            output: Bytes::new(),
            action: None,
        }
    }

    /// Stops the frame with an exceptional halt.
    #[inline(always)]
    pub fn halt(&mut self, reason: HaltReason) {
        self.result = InstructionResult::Halt(reason);
    }

    /// Runs until the frame ends or needs a child frame.
    pub fn run<H: Host>(&mut self, host: &mut H, tracer: Option<&mut dyn Tracer>) -> Action {
        match tracer {
            None => self.run_plain(host),
            Some(t) => self.run_traced(host, t),
        }
        self.take_action()
    }

    fn run_plain<H: Host>(&mut self, host: &mut H) {
        let table = &table::Table::<H>::BLOCKS;
        let code = Arc::clone(&self.code);
        let bytes = code.padded();
        // The program counter lives in a register here and is handed to and returned by each
        // instruction; the frame's copy is written back when the loop stops.
        let mut pc = self.pc;
        // The frame's first block, or the one after the instruction that started a child frame.
        self.fall_into_block(pc);
        while let InstructionResult::Continue = self.result {
            // SAFETY: `pc` never passes the padding: every path ends at the latest on the zero
            // (STOP) byte after a final PUSH32's data, index `len + 32` of the padded code, and
            // jumps only land on JUMPDESTs inside the code.
            let op = unsafe { *bytes.get_unchecked(pc) };
            pc = table[op as usize](self, host, pc + 1);
        }
        self.pc = pc;
    }

    /// In the untraced run loop, enters the basic block ([`analysis`]) starting at `pc`,
    /// unless none starts there, the frame has stopped, or the block starts with a JUMPDEST,
    /// whose instruction enters it. Called where execution falls into a new block without a
    /// jump: the frame's start, after JUMPI (not taken), GAS and SSTORE, and on resuming after
    /// a child frame. Halts when the block cannot be entered.
    #[inline]
    pub fn fall_into_block(&mut self, pc: usize) {
        // SAFETY: `pc` is inside the padded code (see `run_plain`).
        let op = unsafe { *self.code.padded().get_unchecked(pc) };
        if self.result == InstructionResult::Continue && op != JUMPDEST {
            self.enter_block_at(pc);
        }
    }

    /// In the untraced run loop, enters the basic block starting at `pc` if one does: charges
    /// its static gas and checks that the stack can feed every instruction of the block and
    /// hold what they push (which lets instructions use the stack unchecked). Halts with out
    /// of gas, stack underflow or stack overflow otherwise.
    #[inline(always)]
    pub fn enter_block_at(&mut self, pc: usize) {
        // SAFETY: `pc` is inside the padded code (see `run_plain`).
        let block = unsafe { self.code.block_at(pc) };
        if block == 0 {
            return;
        }
        // SAFETY: `block` came from `block_at` on this code.
        let check = unsafe { self.code.block_check(block) };
        if !self.gas.charge(check.gas as u64) {
            return self.halt(HaltReason::OutOfGas);
        }
        let len = self.stack.len();
        if len < check.min_items as usize {
            self.halt(HaltReason::StackUnderflow);
        } else if len as i64 > check.max_items as i64 {
            self.halt(HaltReason::StackOverflow);
        }
    }

    /// What the traced run loop checks before `op` runs: its static gas, then that the stack holds
    /// its inputs and has room for its outputs ([`table::STACK_IO`], as
    /// [`table::STACK_BOUNDS`]), which lets instructions use the stack unchecked.
    #[inline(always)]
    fn enter(&mut self, op: u8) -> Result<(), HaltReason> {
        if !self.gas.charge(table::STATIC_GAS[op as usize] as u64) {
            return Err(HaltReason::OutOfGas);
        }
        let (inputs, most_after_pops) = table::STACK_BOUNDS[op as usize];
        self.stack.check(inputs, most_after_pops)
    }

    fn run_traced<H: Host>(&mut self, host: &mut H, tracer: &mut dyn Tracer) {
        let table = &table::Table::<H>::TABLE;
        while self.result == InstructionResult::Continue {
            let pc = self.pc;
            let op = self.code.padded()[pc];
            let gas_before = self.gas.remaining;
            let stack = self.stack.data().to_vec();
            let memory_size = self.memory.len();
            self.pc += 1;
            match self.enter(op) {
                Ok(()) => self.pc = table[op as usize](self, host, self.pc),
                Err(reason) => self.halt(reason),
            }
            let gas_cost = match self.result {
                // The sentry refuses before any cost is computed (geth reports 0).
                InstructionResult::Halt(HaltReason::ReentrancySentryOutOfGas) => 0,
                InstructionResult::Halt(_) => gas_before,
                _ => gas_before - self.gas.remaining,
            };
            tracer.step(&Step {
                pc,
                op,
                gas: gas_before,
                gas_cost,
                stack: &stack,
                depth: self.depth + 1,
                memory_size,
                refund: self.gas.refunded,
                address: self.address,
            });
        }
    }

    fn take_action(&mut self) -> Action {
        if self.result == InstructionResult::CallOrCreate {
            if let Some(action) = self.action.take() {
                return action;
            }
        }
        let mut gas = self.gas;
        if let InstructionResult::Halt(_) | InstructionResult::Fatal = self.result {
            gas.remaining = 0;
            gas.refunded = 0;
        }
        if self.result == InstructionResult::Revert {
            gas.refunded = 0;
        }
        let output = match self.result {
            InstructionResult::Return | InstructionResult::Revert => {
                std::mem::take(&mut self.output)
            }
            _ => Bytes::new(),
        };
        Action::Return(FrameResult { result: self.result, output, gas })
    }

    /// Resumes after a child call ended: return data, memory copy, unused gas, success flag.
    pub fn insert_call_result(&mut self, return_memory: (usize, usize), child: FrameResult) {
        let success = child.result.is_success();
        let (offset, len) = return_memory;
        let n = len.min(child.output.len());
        self.memory.set(offset, &child.output[..n]);
        self.return_data = child.output;
        self.settle_child_gas(&child.gas, success, child.result);
        self.result = InstructionResult::Continue;
        // The stack had room: CALL popped seven items.
        let _ = self.stack.push(U256::from(success as u8));
        if child.result == InstructionResult::Fatal {
            self.result = InstructionResult::Fatal;
        }
    }

    /// Resumes after a child creation ended: pushes the new address (or zero on failure).
    pub fn insert_create_result(&mut self, address: Option<Address>, child: FrameResult) {
        let success = child.result.is_success();
        self.return_data =
            if child.result == InstructionResult::Revert { child.output } else { Bytes::new() };
        self.settle_child_gas(&child.gas, success, child.result);
        self.result = InstructionResult::Continue;
        let word = match (success, address) {
            (true, Some(a)) => a.into_word().into(),
            _ => U256::ZERO,
        };
        let _ = self.stack.push(word);
        if child.result == InstructionResult::Fatal {
            self.result = InstructionResult::Fatal;
        }
    }

    fn settle_child_gas(&mut self, child: &Gas, success: bool, result: InstructionResult) {
        match result {
            InstructionResult::Halt(_) | InstructionResult::Fatal => {}
            _ => self.gas.remaining += child.remaining,
        }
        if success {
            self.gas.refunded += child.refunded;
        }
    }
}
