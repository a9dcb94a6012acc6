//! Opcode-family tests through `run_code`: bytecode in, status, gas and output out.

mod support;

use alloy_primitives::{Address, U256};
use quarry_vm::{run_code, HaltReason, Status};
use support::hex;

fn word(out: &[u8]) -> U256 {
    U256::from_be_slice(out)
}

/// Wraps `body` (which leaves one word on the stack) with `PUSH0 MSTORE PUSH1 32 PUSH0 RETURN`.
fn returning(body: &str) -> Vec<u8> {
    hex(&format!("{body}5f5260205ff3"))
}

#[test]
fn add_wraps_modulo_2_pow_256() {
    // PUSH32 MAX, PUSH1 2, ADD
    let code = returning(&format!("7f{}600201", "ff".repeat(32)));
    let out = run_code(&code, &[], 100_000, None);
    assert_eq!(out.status, Status::Success);
    assert_eq!(word(&out.output), U256::from(1));
}

#[test]
fn sdiv_of_min_by_minus_one_is_min() {
    // PUSH32 -1, PUSH32 MIN, SDIV
    let min = format!("80{}", "00".repeat(31));
    let code = returning(&format!("7f{}7f{}05", "ff".repeat(32), min));
    let out = run_code(&code, &[], 100_000, None);
    assert_eq!(word(&out.output), U256::from(1) << 255);
}

#[test]
fn signextend_copies_the_sign_bit_of_the_chosen_byte() {
    // PUSH1 0xff PUSH1 0 SIGNEXTEND → -1
    let out = run_code(&returning("60ff60000b"), &[], 100_000, None);
    assert_eq!(word(&out.output), U256::MAX);
    // PUSH1 0x7f PUSH1 0 SIGNEXTEND → 0x7f
    let out = run_code(&returning("607f60000b"), &[], 100_000, None);
    assert_eq!(word(&out.output), U256::from(0x7f));
}

#[test]
fn exp_charges_50_per_exponent_byte() {
    // PUSH2 0x0101 PUSH1 2 EXP STOP: 3 + 3 + 10 + 2·50
    let out = run_code(&hex("61010160020a00"), &[], 100_000, None);
    assert_eq!(out.status, Status::Success);
    assert_eq!(out.gas_used, 3 + 3 + 10 + 100);
}

#[test]
fn sar_of_negative_by_300_is_minus_one() {
    let code = returning(&format!("7f{}61012c1d", "ff".repeat(32)));
    assert_eq!(word(&run_code(&code, &[], 100_000, None).output), U256::MAX);
}

#[test]
fn add_on_empty_stack_is_a_stack_underflow_and_burns_all_gas() {
    let out = run_code(&hex("01"), &[], 50_000, None);
    assert_eq!(out.status, Status::Halt(HaltReason::StackUnderflow));
    assert_eq!(out.gas_used, 50_000);
}

#[test]
fn the_1025th_push_overflows_the_stack() {
    let ok = run_code(&hex(&"5f".repeat(1024)), &[], 100_000, None);
    assert_eq!(ok.status, Status::Success);
    let out = run_code(&hex(&"5f".repeat(1025)), &[], 100_000, None);
    assert_eq!(out.status, Status::Halt(HaltReason::StackOverflow));
}

#[test]
fn invalid_opcode_and_undefined_bytes_halt() {
    for code in ["fe", "0c", "ef", "f6"] {
        let out = run_code(&hex(code), &[], 100_000, None);
        assert_eq!(out.status, Status::Halt(HaltReason::InvalidOpcode), "{code}");
        assert_eq!(out.gas_used, 100_000);
    }
}

#[test]
fn jump_into_push_data_is_invalid() {
    // PUSH1 3 JUMP PUSH1 0x5b  (byte 3 is a 0x5b inside PUSH data... at index 4)
    let out = run_code(&hex("6004566000605b"), &[], 100_000, None);
    assert_eq!(out.status, Status::Halt(HaltReason::InvalidJump));
    // PUSH1 4 JUMP INVALID JUMPDEST STOP
    let out = run_code(&hex("600456fe5b00"), &[], 100_000, None);
    assert_eq!(out.status, Status::Success);
}

#[test]
fn truncated_push_at_end_of_code_reads_zeros() {
    let out = run_code(&hex("61ff"), &[], 100_000, None);
    assert_eq!(out.status, Status::Success);
}

#[test]
fn memory_expansion_costs_3_per_word_plus_square_over_512() {
    // PUSH1 1 PUSH0 MSTORE: 3 + 2 + 3 + memory(1 word) = 3
    let out = run_code(&hex("60015f52"), &[], 100_000, None);
    assert_eq!(out.gas_used, 3 + 2 + 3 + 3);
    // PUSH1 1 PUSH2 0x7fe0 MSTORE: memory to 0x8000 = 1024 words: 3·1024 + 1024²/512 = 5120
    let out = run_code(&hex("6001617fe052"), &[], 100_000, None);
    assert_eq!(out.gas_used, 3 + 3 + 3 + 5120);
    // An offset of 2^64 is out of gas, not a panic.
    let out = run_code(&hex("60016801000000000000000052"), &[], 100_000, None);
    assert!(matches!(out.status, Status::Halt(_)));
}

#[test]
fn mcopy_copies_overlapping_ranges() {
    // MSTORE 0x0102 at 0 (bytes 30, 31); MCOPY dst=29 src=30 len=2; MLOAD 0
    let code = returning("6101025f526002601e601d5e5f51");
    let out = run_code(&code, &[], 100_000, None);
    assert_eq!(out.status, Status::Success);
    assert_eq!(word(&out.output), U256::from(0x010202));
}

#[test]
fn sstore_zero_to_one_to_zero_costs_cold_plus_20112_and_refunds_19900() {
    // PUSH1 1 PUSH0 SSTORE PUSH0 PUSH0 SSTORE
    let out = run_code(&hex("60015f555f5f55"), &[], 100_000, None);
    assert_eq!(out.status, Status::Success);
    assert_eq!(out.gas_used, 2100 + 20_000 + 100 + 3 + 2 + 2 + 2);
    assert_eq!(out.gas_refunded, 19_900);
}

#[test]
fn sstore_with_2300_gas_left_fails_the_sentry() {
    let out = run_code(&hex("60015f55"), &[], 2305, None);
    assert_eq!(out.status, Status::Halt(HaltReason::ReentrancySentryOutOfGas));
    assert_eq!(
        HaltReason::ReentrancySentryOutOfGas.to_string(),
        "out of gas: not enough gas for reentrancy sentry",
        "geth's words"
    );
}

#[test]
fn transient_storage_round_trips_and_costs_100() {
    // PUSH1 7 PUSH0 TSTORE PUSH0 TLOAD
    let out = run_code(&returning("60075f5d5f5c"), &[], 100_000, None);
    assert_eq!(word(&out.output), U256::from(7));
}

#[test]
fn returndatacopy_past_the_end_halts() {
    let out = run_code(&hex("60015f5f3e"), &[], 100_000, None);
    assert_eq!(out.status, Status::Halt(HaltReason::ReturnDataOutOfBounds));
}

#[test]
fn revert_returns_data_and_unused_gas() {
    // PUSH1 0xaa PUSH0 MSTORE8 PUSH1 1 PUSH0 REVERT
    let out = run_code(&hex("60aa5f5360015ffd"), &[], 100_000, None);
    assert_eq!(out.status, Status::Revert);
    assert_eq!(out.output.as_ref(), &[0xaa]);
    assert!(out.gas_used < 100);
}

#[test]
fn call_depth_stops_at_1024_nested_frames() {
    // Each frame: slot0 += 1, then CALL itself with all gas.
    // PUSH0 SLOAD PUSH1 1 ADD PUSH0 SSTORE PUSH0 PUSH0 PUSH0 PUSH0 PUSH0 ADDRESS GAS CALL STOP
    let code = hex("5f546001015f555f5f5f5f5f305af100");
    let out = run_code(&code, &[], u64::MAX / 2, None);
    assert_eq!(out.status, Status::Success);
    let change = &out.state.accounts[&quarry_vm::run::RUN_CONTRACT];
    // Frames at depth 0..=1024 each incremented the counter.
    assert_eq!(change.storage[&U256::ZERO], U256::from(1025));
}

#[test]
fn staticcall_to_code_that_writes_fails_with_zero() {
    // STATICCALL(gas, self, …) where self writes when called with calldata, returns result.
    // CALLDATASIZE PUSH1 0x0f JUMPI (outer) ; outer: STATICCALL self with 1 byte input
    // inner (at 0x0f): JUMPDEST PUSH1 1 PUSH0 SSTORE STOP
    // Simpler layout:
    // 0: CALLDATASIZE 1: PUSH1 0x16 3: JUMPI
    // 4: PUSH0 PUSH0 PUSH1 1 PUSH0 ADDRESS GAS STATICCALL  (retLen retOff argLen argOff addr gas)
    // then PUSH0 MSTORE PUSH1 32 PUSH0 RETURN
    let code = "36601257 5f5f60015f305afa 5f5260205ff3 5b60015f5500".replace(' ', "");
    let code = hex(&code);
    assert_eq!(code[0x12], 0x5b, "jumpdest position");
    let out = run_code(&code, &[], 1_000_000, None);
    assert_eq!(out.status, Status::Success);
    assert_eq!(word(&out.output), U256::ZERO);
}

#[test]
fn call_passes_all_but_one_64th_of_the_gas() {
    // Callee 0x…c0de0 is self: when called with data, it returns GAS.
    // 0: CALLDATASIZE PUSH1 0x19 JUMPI
    // 4: PUSH1 32 PUSH0 PUSH1 1 PUSH0 PUSH0 ADDRESS PUSH4 ffffffff CALL POP PUSH0 MLOAD ... return
    let code = "36601b57 60205f60015f5f3063ffffffff f1 50 5f51 5f5260205ff3 5b 5a 5f5260205ff3"
        .replace(' ', "");
    let code = hex(&code);
    assert_eq!(code[0x1b], 0x5b, "jumpdest position");
    let gas = 100_000u64;
    let out = run_code(&code, &[], gas, None);
    assert_eq!(out.status, Status::Success);
    // CALLDATASIZE PUSH1 JUMPI, then the seven operand pushes.
    let before_call = 2 + 3 + 10 + 3 + 2 + 3 + 2 + 2 + 2 + 3;
    let mem = 3; // one word for the return area
    let remaining = gas - before_call - mem - 100;
    let passed = remaining - remaining / 64;
    // The callee ran CALLDATASIZE, PUSH1, JUMPI, JUMPDEST, then GAS.
    let callee_seen = passed - (2 + 3 + 10 + 1 + 2);
    assert_eq!(word(&out.output), U256::from(callee_seen));
    let _ = Address::ZERO;
}

#[test]
fn json_tracer_writes_one_eip_3155_line_per_step() {
    let mut tracer = quarry_vm::JsonTracer::new(Vec::new());
    // PUSH1 2 PUSH1 3 ADD STOP
    let out = run_code(&hex("600260030100"), &[], 1000, Some(&mut tracer));
    assert_eq!(out.status, Status::Success);
    let text = String::from_utf8(tracer.into_inner()).expect("utf-8");
    let lines: Vec<serde_json::Value> =
        text.lines().map(|l| serde_json::from_str(l).expect("json line")).collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[2]["opName"], "ADD");
    assert_eq!(lines[2]["pc"], 4);
    assert_eq!(lines[2]["gas"], "0x3e2");
    assert_eq!(lines[2]["gasCost"], "0x3");
    assert_eq!(lines[2]["stack"], serde_json::json!(["0x2", "0x3"]));
    assert_eq!(lines[2]["depth"], 1);
}
