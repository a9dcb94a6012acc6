//! The dispatch table (256 function pointers), the static-gas table and opcode names — data,
//! not a `match`. Unassigned opcodes point at [`control::invalid`].

use std::marker::PhantomData;

use super::instructions::{
    arithmetic as a, bitwise as b, control, environment as e, logs, memory as m, storage as s,
    system as y,
};
use super::{Host, Interpreter, STACK_LIMIT};
use crate::gas::{
    BASE, BLOCKHASH, EXP, HIGH, JUMPDEST, KECCAK256, LOG, LOG_TOPIC, LOW, MID, VERYLOW,
};

/// One instruction as the run loops call it: mutates the frame, may ask the host; takes the
/// program counter just past the opcode byte and returns the one to continue at. The untraced
/// loop keeps the program counter in a register this way instead of storing it in the frame
/// and loading it back on every instruction.
pub type Instruction<H> = fn(&mut Interpreter, &mut H, usize) -> usize;

/// An instruction that neither reads nor moves the program counter (all but PUSH, JUMP, JUMPI,
/// PC and the block entries), `fn(&mut Interpreter, &mut H)`, as an [`Instruction`] that
/// continues at the next byte. The optional literal is the instruction's own const parameter
/// (DUPn, SWAPn, LOGn).
macro_rules! straight {
    ($($f:ident)::+ $(, $n:literal)?) => {{
        fn next<H: Host>(i: &mut Interpreter, h: &mut H, pc: usize) -> usize {
            $($f)::+::<$($n,)? H>(i, h);
            pc
        }
        next::<H>
    }};
}

/// Holder of the dispatch table for a host type.
pub struct Table<H>(PhantomData<H>);

impl<H: Host> Table<H> {
    /// The 256-entry dispatch table, built at compile time, for the traced run loop, which
    /// checks each instruction's static gas and stack needs before running it.
    pub const TABLE: [Instruction<H>; 256] = make_table::<H>();

    /// The untraced run loop's table, which checks them once per basic block
    /// ([`super::analysis`]): [`Self::TABLE`] with JUMPDEST entering the block it starts, and
    /// JUMPI, GAS and SSTORE entering the block they fall into (the other instructions that end
    /// a block jump to a JUMPDEST, end the frame or start a child frame).
    pub const BLOCKS: [Instruction<H>; 256] = make_block_table::<H>();
}

const fn make_block_table<H: Host>() -> [Instruction<H>; 256] {
    let mut t = make_table::<H>();
    t[0x55] = s::sstore_then_enter_block::<H>;
    t[0x57] = control::jumpi_then_enter_block::<H>;
    t[0x5a] = control::gas_then_enter_block::<H>;
    t[0x5b] = control::jumpdest_enter_block::<H>;
    t
}

const fn make_table<H: Host>() -> [Instruction<H>; 256] {
    let mut t: [Instruction<H>; 256] = [straight!(control::invalid); 256];
    t[0x00] = straight!(control::stop);
    t[0x01] = straight!(a::add);
    t[0x02] = straight!(a::mul);
    t[0x03] = straight!(a::sub);
    t[0x04] = straight!(a::div);
    t[0x05] = straight!(a::sdiv);
    t[0x06] = straight!(a::rem);
    t[0x07] = straight!(a::smod);
    t[0x08] = straight!(a::addmod);
    t[0x09] = straight!(a::mulmod);
    t[0x0a] = straight!(a::exp);
    t[0x0b] = straight!(a::signextend);
    t[0x10] = straight!(b::lt);
    t[0x11] = straight!(b::gt);
    t[0x12] = straight!(b::slt);
    t[0x13] = straight!(b::sgt);
    t[0x14] = straight!(b::eq);
    t[0x15] = straight!(b::iszero);
    t[0x16] = straight!(b::and);
    t[0x17] = straight!(b::or);
    t[0x18] = straight!(b::xor);
    t[0x19] = straight!(b::not);
    t[0x1a] = straight!(b::byte);
    t[0x1b] = straight!(b::shl);
    t[0x1c] = straight!(b::shr);
    t[0x1d] = straight!(b::sar);
    t[0x20] = straight!(e::keccak);
    t[0x30] = straight!(e::address);
    t[0x31] = straight!(e::balance);
    t[0x32] = straight!(e::origin);
    t[0x33] = straight!(e::caller);
    t[0x34] = straight!(e::callvalue);
    t[0x35] = straight!(e::calldataload);
    t[0x36] = straight!(e::calldatasize);
    t[0x37] = straight!(e::calldatacopy);
    t[0x38] = straight!(e::codesize);
    t[0x39] = straight!(e::codecopy);
    t[0x3a] = straight!(e::gasprice);
    t[0x3b] = straight!(e::extcodesize);
    t[0x3c] = straight!(e::extcodecopy);
    t[0x3d] = straight!(e::returndatasize);
    t[0x3e] = straight!(e::returndatacopy);
    t[0x3f] = straight!(e::extcodehash);
    t[0x40] = straight!(e::blockhash);
    t[0x41] = straight!(e::coinbase);
    t[0x42] = straight!(e::timestamp);
    t[0x43] = straight!(e::number);
    t[0x44] = straight!(e::prevrandao);
    t[0x45] = straight!(e::gaslimit);
    t[0x46] = straight!(e::chainid);
    t[0x47] = straight!(e::selfbalance);
    t[0x48] = straight!(e::basefee);
    t[0x49] = straight!(e::blobhash);
    t[0x4a] = straight!(e::blobbasefee);
    t[0x50] = straight!(control::pop);
    t[0x51] = straight!(m::mload);
    t[0x52] = straight!(m::mstore);
    t[0x53] = straight!(m::mstore8);
    t[0x54] = straight!(s::sload);
    t[0x55] = straight!(s::sstore);
    t[0x56] = control::jump::<H>;
    t[0x57] = control::jumpi::<H>;
    t[0x58] = control::pc::<H>;
    t[0x59] = straight!(m::msize);
    t[0x5a] = straight!(control::gas);
    t[0x5b] = straight!(control::jumpdest);
    t[0x5c] = straight!(s::tload);
    t[0x5d] = straight!(s::tstore);
    t[0x5e] = straight!(m::mcopy);
    t[0x5f] = straight!(control::push0);
    t[0x60] = control::push::<1, H>;
    t[0x61] = control::push::<2, H>;
    t[0x62] = control::push::<3, H>;
    t[0x63] = control::push::<4, H>;
    t[0x64] = control::push::<5, H>;
    t[0x65] = control::push::<6, H>;
    t[0x66] = control::push::<7, H>;
    t[0x67] = control::push::<8, H>;
    t[0x68] = control::push::<9, H>;
    t[0x69] = control::push::<10, H>;
    t[0x6a] = control::push::<11, H>;
    t[0x6b] = control::push::<12, H>;
    t[0x6c] = control::push::<13, H>;
    t[0x6d] = control::push::<14, H>;
    t[0x6e] = control::push::<15, H>;
    t[0x6f] = control::push::<16, H>;
    t[0x70] = control::push::<17, H>;
    t[0x71] = control::push::<18, H>;
    t[0x72] = control::push::<19, H>;
    t[0x73] = control::push::<20, H>;
    t[0x74] = control::push::<21, H>;
    t[0x75] = control::push::<22, H>;
    t[0x76] = control::push::<23, H>;
    t[0x77] = control::push::<24, H>;
    t[0x78] = control::push::<25, H>;
    t[0x79] = control::push::<26, H>;
    t[0x7a] = control::push::<27, H>;
    t[0x7b] = control::push::<28, H>;
    t[0x7c] = control::push::<29, H>;
    t[0x7d] = control::push::<30, H>;
    t[0x7e] = control::push::<31, H>;
    t[0x7f] = control::push::<32, H>;
    t[0x80] = straight!(control::dup, 1);
    t[0x81] = straight!(control::dup, 2);
    t[0x82] = straight!(control::dup, 3);
    t[0x83] = straight!(control::dup, 4);
    t[0x84] = straight!(control::dup, 5);
    t[0x85] = straight!(control::dup, 6);
    t[0x86] = straight!(control::dup, 7);
    t[0x87] = straight!(control::dup, 8);
    t[0x88] = straight!(control::dup, 9);
    t[0x89] = straight!(control::dup, 10);
    t[0x8a] = straight!(control::dup, 11);
    t[0x8b] = straight!(control::dup, 12);
    t[0x8c] = straight!(control::dup, 13);
    t[0x8d] = straight!(control::dup, 14);
    t[0x8e] = straight!(control::dup, 15);
    t[0x8f] = straight!(control::dup, 16);
    t[0x90] = straight!(control::swap, 1);
    t[0x91] = straight!(control::swap, 2);
    t[0x92] = straight!(control::swap, 3);
    t[0x93] = straight!(control::swap, 4);
    t[0x94] = straight!(control::swap, 5);
    t[0x95] = straight!(control::swap, 6);
    t[0x96] = straight!(control::swap, 7);
    t[0x97] = straight!(control::swap, 8);
    t[0x98] = straight!(control::swap, 9);
    t[0x99] = straight!(control::swap, 10);
    t[0x9a] = straight!(control::swap, 11);
    t[0x9b] = straight!(control::swap, 12);
    t[0x9c] = straight!(control::swap, 13);
    t[0x9d] = straight!(control::swap, 14);
    t[0x9e] = straight!(control::swap, 15);
    t[0x9f] = straight!(control::swap, 16);
    t[0xa0] = straight!(logs::log, 0);
    t[0xa1] = straight!(logs::log, 1);
    t[0xa2] = straight!(logs::log, 2);
    t[0xa3] = straight!(logs::log, 3);
    t[0xa4] = straight!(logs::log, 4);
    t[0xf0] = straight!(y::create);
    t[0xf1] = straight!(y::call);
    t[0xf2] = straight!(y::callcode);
    t[0xf3] = straight!(control::ret);
    t[0xf4] = straight!(y::delegatecall);
    t[0xf5] = straight!(y::create2);
    t[0xfa] = straight!(y::staticcall);
    t[0xfd] = straight!(control::revert);
    t[0xfe] = straight!(control::invalid);
    t[0xff] = straight!(y::selfdestruct);
    t
}

/// Gas charged before each opcode runs (Yellow Paper appendix G/H with Cancun values; the
/// warm access cost of EIP-2929 is charged inside the access instructions, which may be cold).
pub const STATIC_GAS: [u16; 256] = make_static_gas();

const fn make_static_gas() -> [u16; 256] {
    let mut g = [0u16; 256];
    let verylow = VERYLOW as u16;
    let mut op = 0x60;
    while op <= 0x9f {
        g[op] = verylow; // PUSH1..32, DUP1..16, SWAP1..16
        op += 1;
    }
    let mut n = 0;
    while n <= 4 {
        g[0xa0 + n] = (LOG + LOG_TOPIC * n as u64) as u16;
        n += 1;
    }
    let base = [
        0x30, 0x32, 0x33, 0x34, 0x36, 0x38, 0x3a, 0x3d, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x48,
        0x4a, 0x50, 0x58, 0x59, 0x5a, 0x5f,
    ];
    let mut k = 0;
    while k < base.len() {
        g[base[k]] = BASE as u16;
        k += 1;
    }
    let very = [
        0x01, 0x03, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c,
        0x1d, 0x35, 0x37, 0x39, 0x3e, 0x49, 0x51, 0x52, 0x53, 0x5e,
    ];
    k = 0;
    while k < very.len() {
        g[very[k]] = verylow;
        k += 1;
    }
    let low = [0x02, 0x04, 0x05, 0x06, 0x07, 0x0b, 0x47];
    k = 0;
    while k < low.len() {
        g[low[k]] = LOW as u16;
        k += 1;
    }
    g[0x08] = MID as u16;
    g[0x09] = MID as u16;
    g[0x56] = MID as u16;
    g[0x57] = HIGH as u16;
    g[0x0a] = EXP as u16;
    g[0x20] = KECCAK256 as u16;
    g[0x40] = BLOCKHASH as u16;
    g[0x5b] = JUMPDEST as u16;
    g[0x5c] = 100; // TLOAD (EIP-1153)
    g[0x5d] = 100; // TSTORE (EIP-1153)
    g[0xf0] = 32_000; // CREATE
    g[0xf5] = 32_000; // CREATE2
    g[0xff] = 5_000; // SELFDESTRUCT (EIP-150)
    g
}

/// Items each opcode pops and then pushes (Yellow Paper appendix H.2, δ and α), checked by the
/// run loop before the instruction runs ([`super::Stack::check`]); the instructions rely on it.
/// Undefined opcodes take and leave nothing (they halt).
pub const STACK_IO: [(u8, u8); 256] = make_stack_io();

/// [`STACK_IO`] as the run loop checks it, in one comparison: the items an opcode needs (its
/// inputs) and the most the stack may hold once they are popped ([`STACK_LIMIT`] − outputs).
pub const STACK_BOUNDS: [(u16, u16); 256] = make_stack_bounds();

const fn make_stack_bounds() -> [(u16, u16); 256] {
    let mut bounds = [(0u16, 0u16); 256];
    let mut op = 0;
    while op < 256 {
        let (inputs, outputs) = STACK_IO[op];
        bounds[op] = (inputs as u16, (STACK_LIMIT - outputs as usize) as u16);
        op += 1;
    }
    bounds
}

const fn make_stack_io() -> [(u8, u8); 256] {
    let mut io = [(0u8, 0u8); 256];
    // (first opcode, last opcode, inputs, outputs), by family.
    let ranges: [(usize, usize, u8, u8); 40] = [
        (0x01, 0x07, 2, 1), // ADD..SMOD
        (0x08, 0x09, 3, 1), // ADDMOD, MULMOD
        (0x0a, 0x0b, 2, 1), // EXP, SIGNEXTEND
        (0x10, 0x14, 2, 1), // LT..EQ
        (0x15, 0x15, 1, 1), // ISZERO
        (0x16, 0x18, 2, 1), // AND, OR, XOR
        (0x19, 0x19, 1, 1), // NOT
        (0x1a, 0x1d, 2, 1), // BYTE, SHL, SHR, SAR
        (0x20, 0x20, 2, 1), // KECCAK256
        (0x30, 0x30, 0, 1), // ADDRESS
        (0x31, 0x31, 1, 1), // BALANCE
        (0x32, 0x34, 0, 1), // ORIGIN, CALLER, CALLVALUE
        (0x35, 0x35, 1, 1), // CALLDATALOAD
        (0x36, 0x36, 0, 1), // CALLDATASIZE
        (0x37, 0x37, 3, 0), // CALLDATACOPY
        (0x38, 0x38, 0, 1), // CODESIZE
        (0x39, 0x39, 3, 0), // CODECOPY
        (0x3a, 0x3a, 0, 1), // GASPRICE
        (0x3b, 0x3b, 1, 1), // EXTCODESIZE
        (0x3c, 0x3c, 4, 0), // EXTCODECOPY
        (0x3d, 0x3d, 0, 1), // RETURNDATASIZE
        (0x3e, 0x3e, 3, 0), // RETURNDATACOPY
        (0x3f, 0x40, 1, 1), // EXTCODEHASH, BLOCKHASH
        (0x41, 0x48, 0, 1), // COINBASE..BASEFEE
        (0x49, 0x49, 1, 1), // BLOBHASH
        (0x4a, 0x4a, 0, 1), // BLOBBASEFEE
        (0x50, 0x50, 1, 0), // POP
        (0x51, 0x51, 1, 1), // MLOAD
        (0x52, 0x53, 2, 0), // MSTORE, MSTORE8
        (0x54, 0x54, 1, 1), // SLOAD
        (0x55, 0x55, 2, 0), // SSTORE
        (0x56, 0x56, 1, 0), // JUMP
        (0x57, 0x57, 2, 0), // JUMPI
        (0x58, 0x5a, 0, 1), // PC, MSIZE, GAS
        (0x5c, 0x5c, 1, 1), // TLOAD
        (0x5d, 0x5d, 2, 0), // TSTORE
        (0x5e, 0x5e, 3, 0), // MCOPY
        (0x5f, 0x7f, 0, 1), // PUSH0..PUSH32
        (0xf0, 0xf0, 3, 1), // CREATE
        (0xf1, 0xf2, 7, 1), // CALL, CALLCODE
    ];
    let mut k = 0;
    while k < ranges.len() {
        let (first, last, inputs, outputs) = ranges[k];
        let mut op = first;
        while op <= last {
            io[op] = (inputs, outputs);
            op += 1;
        }
        k += 1;
    }
    let mut n = 0;
    while n < 16 {
        io[0x80 + n] = (n as u8 + 1, n as u8 + 2); // DUPn: n items in, n + 1 out
        io[0x90 + n] = (n as u8 + 2, n as u8 + 2); // SWAPn: n + 1 items rearranged
        n += 1;
    }
    n = 0;
    while n <= 4 {
        io[0xa0 + n] = (n as u8 + 2, 0); // LOGn: offset, length, n topics
        n += 1;
    }
    io[0xf3] = (2, 0); // RETURN
    io[0xf4] = (6, 1); // DELEGATECALL
    io[0xf5] = (4, 1); // CREATE2
    io[0xfa] = (6, 1); // STATICCALL
    io[0xfd] = (2, 0); // REVERT
    io[0xff] = (1, 0); // SELFDESTRUCT
    io
}

/// Mnemonic of every opcode (`"INVALID"`/`"opcode 0x.. not defined"` style names for unassigned
/// bytes are left to the caller), for tracers.
pub fn opcode_name(op: u8) -> &'static str {
    const NAMES: [&str; 256] = make_names();
    NAMES[op as usize]
}

const fn make_names() -> [&'static str; 256] {
    let mut n = ["UNDEFINED"; 256];
    let list: [(usize, &str); 80] = [
        (0x00, "STOP"),
        (0x01, "ADD"),
        (0x02, "MUL"),
        (0x03, "SUB"),
        (0x04, "DIV"),
        (0x05, "SDIV"),
        (0x06, "MOD"),
        (0x07, "SMOD"),
        (0x08, "ADDMOD"),
        (0x09, "MULMOD"),
        (0x0a, "EXP"),
        (0x0b, "SIGNEXTEND"),
        (0x10, "LT"),
        (0x11, "GT"),
        (0x12, "SLT"),
        (0x13, "SGT"),
        (0x14, "EQ"),
        (0x15, "ISZERO"),
        (0x16, "AND"),
        (0x17, "OR"),
        (0x18, "XOR"),
        (0x19, "NOT"),
        (0x1a, "BYTE"),
        (0x1b, "SHL"),
        (0x1c, "SHR"),
        (0x1d, "SAR"),
        (0x20, "KECCAK256"),
        (0x30, "ADDRESS"),
        (0x31, "BALANCE"),
        (0x32, "ORIGIN"),
        (0x33, "CALLER"),
        (0x34, "CALLVALUE"),
        (0x35, "CALLDATALOAD"),
        (0x36, "CALLDATASIZE"),
        (0x37, "CALLDATACOPY"),
        (0x38, "CODESIZE"),
        (0x39, "CODECOPY"),
        (0x3a, "GASPRICE"),
        (0x3b, "EXTCODESIZE"),
        (0x3c, "EXTCODECOPY"),
        (0x3d, "RETURNDATASIZE"),
        (0x3e, "RETURNDATACOPY"),
        (0x3f, "EXTCODEHASH"),
        (0x40, "BLOCKHASH"),
        (0x41, "COINBASE"),
        (0x42, "TIMESTAMP"),
        (0x43, "NUMBER"),
        (0x44, "PREVRANDAO"),
        (0x45, "GASLIMIT"),
        (0x46, "CHAINID"),
        (0x47, "SELFBALANCE"),
        (0x48, "BASEFEE"),
        (0x49, "BLOBHASH"),
        (0x4a, "BLOBBASEFEE"),
        (0x50, "POP"),
        (0x51, "MLOAD"),
        (0x52, "MSTORE"),
        (0x53, "MSTORE8"),
        (0x54, "SLOAD"),
        (0x55, "SSTORE"),
        (0x56, "JUMP"),
        (0x57, "JUMPI"),
        (0x58, "PC"),
        (0x59, "MSIZE"),
        (0x5a, "GAS"),
        (0x5b, "JUMPDEST"),
        (0x5c, "TLOAD"),
        (0x5d, "TSTORE"),
        (0x5e, "MCOPY"),
        (0x5f, "PUSH0"),
        (0xf0, "CREATE"),
        (0xf1, "CALL"),
        (0xf2, "CALLCODE"),
        (0xf3, "RETURN"),
        (0xf4, "DELEGATECALL"),
        (0xf5, "CREATE2"),
        (0xfa, "STATICCALL"),
        (0xfd, "REVERT"),
        (0xfe, "INVALID"),
        (0xff, "SELFDESTRUCT"),
    ];
    let mut k = 0;
    while k < list.len() {
        n[list[k].0] = list[k].1;
        k += 1;
    }
    const PUSH: [&str; 32] = [
        "PUSH1", "PUSH2", "PUSH3", "PUSH4", "PUSH5", "PUSH6", "PUSH7", "PUSH8", "PUSH9", "PUSH10",
        "PUSH11", "PUSH12", "PUSH13", "PUSH14", "PUSH15", "PUSH16", "PUSH17", "PUSH18", "PUSH19",
        "PUSH20", "PUSH21", "PUSH22", "PUSH23", "PUSH24", "PUSH25", "PUSH26", "PUSH27", "PUSH28",
        "PUSH29", "PUSH30", "PUSH31", "PUSH32",
    ];
    const DUP: [&str; 16] = [
        "DUP1", "DUP2", "DUP3", "DUP4", "DUP5", "DUP6", "DUP7", "DUP8", "DUP9", "DUP10", "DUP11",
        "DUP12", "DUP13", "DUP14", "DUP15", "DUP16",
    ];
    const SWAP: [&str; 16] = [
        "SWAP1", "SWAP2", "SWAP3", "SWAP4", "SWAP5", "SWAP6", "SWAP7", "SWAP8", "SWAP9", "SWAP10",
        "SWAP11", "SWAP12", "SWAP13", "SWAP14", "SWAP15", "SWAP16",
    ];
    const LOGS: [&str; 5] = ["LOG0", "LOG1", "LOG2", "LOG3", "LOG4"];
    k = 0;
    while k < 32 {
        n[0x60 + k] = PUSH[k];
        k += 1;
    }
    k = 0;
    while k < 16 {
        n[0x80 + k] = DUP[k];
        n[0x90 + k] = SWAP[k];
        k += 1;
    }
    k = 0;
    while k < 5 {
        n[0xa0 + k] = LOGS[k];
        k += 1;
    }
    n
}
