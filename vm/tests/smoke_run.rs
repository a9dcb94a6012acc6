//! Smoke tests of `run_code`: bytecode in, status/gas/output out.

use alloy_primitives::U256;
use quarry_vm::{run_code, HaltReason, Status};

fn hex(s: &str) -> Vec<u8> {
    alloy_primitives::hex::decode(s).expect("valid hex")
}

#[test]
fn add_and_return_a_word() {
    // PUSH1 2 PUSH1 3 ADD PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN
    let out = run_code(&hex("6002600301600052602060006000f3"), &[], 100_000, None);
    assert_eq!(out.status, Status::Success, "{out:?}");
    let _ = U256::ZERO;
}

#[test]
fn invalid_opcode_halts() {
    let out = run_code(&hex("fe"), &[], 100_000, None);
    assert_eq!(out.status, Status::Halt(HaltReason::InvalidOpcode));
    assert_eq!(out.gas_used, 100_000);
}
