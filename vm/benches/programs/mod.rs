//! The programs both benchmark targets run (`benches/evm.rs` times them with criterion,
//! `examples/evm_count.rs` runs them once for instruction counts under callgrind).
//!
//!
//! Programs written here with a tiny assembler:
//! - `erc20_transfer_loop`: 100 ERC-20-style transfers (mapping slots by keccak256, balance
//!   check, two SSTOREs, a `Transfer` LOG3 each);
//! - `fibonacci_loop` / `keccak_loop`: 20 000 iterations of pure arithmetic / 5 000 KECCAK256s;
//! - `memory_storage`: 300 words written to fresh memory, read back and stored in 300 fresh slots.
//!
//! revm's own benchmark programs (`programs/revm/`, from the `revme` crate 43.0.3, MIT; see
//! `programs/revm/README.md`):
//! - `snailtracer`: the Solidity ray tracer, `Benchmark()` (selector `30627b7c`);
//! - `analysis`: an ERC-20's creation code run as a contract with call data `8035f0ce`;
//! - `revm_transfer`: revm's `transfer` benchmark, 1 wei sent to an account without code.
//!
//! And `oz_erc20_transfer`: one `transfer(to, 7 ether)` on the OpenZeppelin 5.1 ERC-20 of
//! `examples/contracts` (`QuarryToken`, runtime code from `out/QuarryToken.json`), the sender
//! holding the whole supply.

use alloy_primitives::{address, hex, keccak256, Address, Bytes, U256};

use crate::pair::{self, Call};

/// Gas for every benchmark transaction but snailtracer's.
pub const GAS: u64 = 29_000_000;

/// Gas for snailtracer (revm's own benchmark gives it 10⁹).
const SNAILTRACER_GAS: u64 = 1_000_000_000;

/// Every benchmark: its name and the call both VMs run.
pub fn all() -> Vec<(&'static str, Call)> {
    let program = |code: Bytes| Call::new(&code, &Bytes::new(), GAS);
    vec![
        ("erc20_transfer_loop", program(erc20_transfer_loop())),
        ("fibonacci_loop", program(fibonacci_loop())),
        ("keccak_loop", program(keccak_loop())),
        ("memory_storage", program(memory_storage())),
        ("snailtracer", snailtracer()),
        ("analysis", analysis()),
        ("revm_transfer", revm_transfer()),
        ("oz_erc20_transfer", oz_erc20_transfer()),
    ]
}

/// A tiny assembler: opcodes, pushes, and labels resolved to PUSH2 targets.
enum Asm {
    /// One opcode.
    Op(u8),
    /// PUSH1..PUSH32 of the minimal big-endian bytes of a number.
    Push(U256),
    /// A JUMPDEST named by the label.
    Label(&'static str),
    /// PUSH2 of a label's position.
    Target(&'static str),
}

use Asm::{Label, Op, Push, Target};

fn push(v: u64) -> Asm {
    Push(U256::from(v))
}

/// Lays out `program`, resolving labels.
fn assemble(program: &[Asm]) -> Bytes {
    let size = |a: &Asm| match a {
        Op(_) | Label(_) => 1,
        Push(v) => 1 + v.byte_len().max(1),
        Target(_) => 3,
    };
    let mut labels = std::collections::HashMap::new();
    let mut pos = 0;
    for a in program {
        if let Label(name) = a {
            labels.insert(*name, pos);
        }
        pos += size(a);
    }
    let mut code = Vec::with_capacity(pos);
    for a in program {
        match a {
            Op(op) => code.push(*op),
            Label(_) => code.push(0x5b),
            Push(v) => {
                let n = v.byte_len().max(1);
                code.push(0x5f + n as u8);
                code.extend_from_slice(&v.to_be_bytes::<32>()[32 - n..]);
            }
            Target(name) => {
                let target: usize = labels[name];
                code.extend_from_slice(&[0x61, (target >> 8) as u8, target as u8]);
            }
        }
    }
    code.into()
}

// Opcodes used below.
const STOP: u8 = 0x00;
const ADD: u8 = 0x01;
const SUB: u8 = 0x03;
const MUL: u8 = 0x02;
const GT: u8 = 0x11;
const ISZERO: u8 = 0x15;
const SHA3: u8 = 0x20;
const CALLER: u8 = 0x33;
const POP: u8 = 0x50;
const MLOAD: u8 = 0x51;
const MSTORE: u8 = 0x52;
const SLOAD: u8 = 0x54;
const SSTORE: u8 = 0x55;
const JUMP: u8 = 0x56;
const JUMPI: u8 = 0x57;
const DUP1: u8 = 0x80;
const DUP2: u8 = 0x81;
const SWAP1: u8 = 0x90;
const SWAP2: u8 = 0x91;
const LOG3: u8 = 0xa3;
const RETURN: u8 = 0xf3;
const REVERT: u8 = 0xfd;

/// `balances[caller]` starts at 10^30; then 100 times: `balances[caller] -= 7` (revert on
/// underflow), `balances[address(i)] += 7`, `emit Transfer(caller, address(i), 7)`.
pub fn erc20_transfer_loop() -> Bytes {
    let amount = 7;
    let transfer_sig = U256::from_be_bytes(keccak256("Transfer(address,address,uint256)").0);
    assemble(&[
        Push(U256::from(10).pow(U256::from(30))),
        Op(CALLER),
        push(0),
        Op(MSTORE),
        push(64),
        push(0),
        Op(SHA3),
        Op(SSTORE),
        push(100),
        Label("loop"),
        // from: balances[caller] -= amount
        Op(CALLER),
        push(0),
        Op(MSTORE),
        push(64),
        push(0),
        Op(SHA3),
        Op(DUP1),
        Op(SLOAD),
        Op(DUP1),
        push(amount),
        Op(GT),
        Target("fail"),
        Op(JUMPI),
        push(amount),
        Op(SWAP1),
        Op(SUB),
        Op(SWAP1),
        Op(SSTORE),
        // to: balances[address(i)] += amount
        Op(DUP1),
        push(0),
        Op(MSTORE),
        push(64),
        push(0),
        Op(SHA3),
        Op(DUP1),
        Op(SLOAD),
        push(amount),
        Op(ADD),
        Op(SWAP1),
        Op(SSTORE),
        // emit Transfer(caller, address(i), amount)
        push(amount),
        push(64),
        Op(MSTORE),
        Op(DUP1),
        Op(CALLER),
        Push(transfer_sig),
        push(32),
        push(64),
        Op(LOG3),
        // i -= 1; loop while i != 0
        push(1),
        Op(SWAP1),
        Op(SUB),
        Op(DUP1),
        Target("loop"),
        Op(JUMPI),
        Op(STOP),
        Label("fail"),
        push(0),
        Op(DUP1),
        Op(REVERT),
    ])
}

/// Fibonacci modulo 2^256, 20 000 steps; returns the last term.
pub fn fibonacci_loop() -> Bytes {
    assemble(&[
        push(20_000),
        push(0),
        push(1),
        // stack: [i, a, b]
        Label("loop"),
        Op(DUP1),
        Op(SWAP2),
        Op(ADD),
        // [i, b, a+b]
        Op(SWAP2),
        push(1),
        Op(SWAP1),
        Op(SUB),
        // [a+b, b, i-1]
        Op(DUP1),
        Op(ISZERO),
        Target("done"),
        Op(JUMPI),
        Op(SWAP2),
        Target("loop"),
        Op(JUMP),
        Label("done"),
        Op(SWAP2),
        push(0),
        Op(MSTORE),
        push(32),
        push(0),
        Op(RETURN),
    ])
}

/// 5 000 times: `mem[0..32] = keccak256(mem[0..32])`; returns the final word.
pub fn keccak_loop() -> Bytes {
    assemble(&[
        push(5_000),
        Label("loop"),
        push(32),
        push(0),
        Op(SHA3),
        push(0),
        Op(MSTORE),
        push(1),
        Op(SWAP1),
        Op(SUB),
        Op(DUP1),
        Target("loop"),
        Op(JUMPI),
        push(32),
        push(0),
        Op(RETURN),
    ])
}

/// For i in 300..1: `mem[32·i] = i·i`; then `storage[i] = mem[32·i]` for the same i.
pub fn memory_storage() -> Bytes {
    assemble(&[
        push(300),
        Label("write"),
        Op(DUP1),
        Op(DUP1),
        Op(MUL),
        Op(DUP2),
        push(32),
        Op(MUL),
        Op(MSTORE),
        push(1),
        Op(SWAP1),
        Op(SUB),
        Op(DUP1),
        Target("write"),
        Op(JUMPI),
        Op(POP), // the zero counter
        push(300),
        Label("store"),
        Op(DUP1),
        push(32),
        Op(MUL),
        Op(MLOAD),
        Op(DUP2),
        Op(SSTORE),
        push(1),
        Op(SWAP1),
        Op(SUB),
        Op(DUP1),
        Target("store"),
        Op(JUMPI),
        Op(STOP),
    ])
}

/// Code from a hex file (whitespace and a `0x` prefix allowed).
fn from_hex(text: &str) -> Bytes {
    hex::decode(text.trim()).expect("valid hex").into()
}

/// revm's snailtracer: `Benchmark()` renders a small image.
pub fn snailtracer() -> Call {
    let code = from_hex(include_str!("revm/snailtracer.hex"));
    Call::new(&code, &Bytes::from_static(&hex!("30627b7c")), SNAILTRACER_GAS)
}

/// revm's analysis benchmark: an ERC-20's creation code called as a contract.
pub fn analysis() -> Call {
    let code = from_hex(include_str!("revm/analysis.hex"));
    Call::new(&code, &Bytes::from_static(&hex!("8035f0ce")), GAS)
}

/// revm's transfer benchmark: 1 wei to an account without code.
pub fn revm_transfer() -> Call {
    Call { value: U256::from(1), ..Call::new(&Bytes::new(), &Bytes::new(), GAS) }
}

/// `transfer(to, 7 ether)` on the OpenZeppelin ERC-20 of `examples/contracts`, the caller
/// holding the whole supply (`_balances` is slot 0, `_totalSupply` slot 2 in OpenZeppelin 5).
pub fn oz_erc20_transfer() -> Call {
    let artifact: serde_json::Value =
        serde_json::from_str(include_str!("../../../examples/contracts/out/QuarryToken.json"))
            .expect("compiled artifact");
    let code = from_hex(artifact["deployedBytecode"].as_str().expect("deployedBytecode"));
    let supply = U256::from(10).pow(U256::from(24));
    let balance_slot = |owner: Address| {
        let mut key = [0u8; 64];
        key[12..32].copy_from_slice(owner.as_slice());
        U256::from_be_bytes(keccak256(key).0)
    };
    let to = address!("00000000000000000000000000000000000b0b00");
    let amount = U256::from(7) * U256::from(10).pow(U256::from(18));
    let mut input = hex!("a9059cbb").to_vec();
    input.extend_from_slice(to.into_word().as_slice());
    input.extend_from_slice(&amount.to_be_bytes::<32>());
    Call {
        storage: vec![(balance_slot(pair::CALLER), supply), (U256::from(2), supply)],
        ..Call::new(&code, &input.into(), GAS)
    }
}
