//! quarry-vm against revm (Cancun) on the same bytecode, one transaction per iteration:
//! - `erc20_transfer_loop`: 100 ERC-20-style transfers (mapping slots by keccak256, balance
//!   check, two SSTOREs, a `Transfer` LOG3 each);
//! - `fibonacci_loop` / `keccak_loop`: 20 000 iterations of pure arithmetic / 5 000 KECCAK256s;
//! - `memory_storage`: 300 words written to fresh memory, read back and stored in 300 fresh slots.
//!
//! Setup (fresh state; for revm also the context, where revm analyses the bytecode) is outside
//! the timing; `transact` is inside. Before timing, each program is run once on both VMs and the
//! observations (status, gas, output, logs, storage) must agree.
//!
//! Run: `cargo bench -p quarry-vm --bench evm`; results go to `docs/benchmarks.md`.

#[path = "../tests/pair/mod.rs"]
mod pair;

use std::time::Duration;

use alloy_primitives::{keccak256, Bytes, U256};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use revm::primitives::hardfork::SpecId;
use revm::{Context, ExecuteEvm, MainBuilder, MainContext};

/// Gas for every benchmark transaction.
const GAS: u64 = 29_000_000;

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
fn erc20_transfer_loop() -> Bytes {
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
fn fibonacci_loop() -> Bytes {
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
fn keccak_loop() -> Bytes {
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
fn memory_storage() -> Bytes {
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

/// Checks that both VMs agree and succeed on `code`, then times each.
fn bench_program(c: &mut Criterion, name: &str, code: Bytes) {
    let input = Bytes::new();
    let ours = pair::run_quarry(&code, &input, GAS);
    let theirs = pair::run_revm(&code, &input, GAS);
    assert_eq!(ours, theirs, "{name}: quarry-vm and revm disagree");
    assert_eq!(ours.ending, pair::Ending::Success, "{name}: did not succeed: {ours:?}");
    eprintln!("{name}: {} bytes of code, {} gas", code.len(), ours.gas_used);

    let mut group = c.benchmark_group(name);
    let block = pair::block();
    let tx = pair::quarry_tx(&input, GAS);
    group.bench_function("quarry", |b| {
        b.iter_batched(
            || pair::quarry_state(&code),
            |mut db| quarry_vm::transact(&mut db, &block, &tx).expect("valid tx"),
            BatchSize::SmallInput,
        )
    });
    let revm_tx = pair::revm_tx(&input, GAS);
    group.bench_function("revm", |b| {
        b.iter_batched(
            || {
                Context::mainnet()
                    .with_db(pair::revm_state(&code))
                    .modify_cfg_chained(|cfg| {
                        cfg.set_spec_and_mainnet_gas_params(SpecId::CANCUN);
                        cfg.chain_id = 1;
                    })
                    .with_block(pair::revm_block())
                    .build_mainnet()
            },
            |mut evm| evm.transact(revm_tx.clone()).expect("valid tx"),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    bench_program(c, "erc20_transfer_loop", erc20_transfer_loop());
    bench_program(c, "fibonacci_loop", fibonacci_loop());
    bench_program(c, "keccak_loop", keccak_loop());
    bench_program(c, "memory_storage", memory_storage());
}

criterion_group! {
    name = evm;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = benches
}
criterion_main!(evm);
