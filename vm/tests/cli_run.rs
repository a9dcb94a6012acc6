//! `quarry-evm run`: runs bytecode, traces steps in EIP-3155 form, and refuses bad hex by name.

use std::process::Command;

fn quarry_evm(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_quarry-evm")).args(args).output().expect("run quarry-evm")
}

#[test]
fn run_returns_the_output_and_gas_of_the_code() {
    // PUSH1 1 PUSH1 2 ADD PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN
    let out = quarry_evm(&["run", "--code", "0x600160020160005260206000f3"]);
    assert!(out.status.success());
    let result: serde_json::Value =
        serde_json::from_slice(out.stdout.trim_ascii_end()).expect("one JSON object");
    assert_eq!(result["status"], "Success");
    assert_eq!(result["gasUsed"], 24);
    assert_eq!(
        result["output"],
        "0x0000000000000000000000000000000000000000000000000000000000000003"
    );
}

#[test]
fn trace_prints_one_eip3155_line_per_step() {
    let out = quarry_evm(&["run", "--trace", "--code", "600160020160005260206000f3"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> =
        text.lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect();
    // Eight steps, then the result line.
    assert_eq!(lines.len(), 9);
    assert_eq!(lines[2]["opName"], "ADD");
    assert_eq!(lines[2]["stack"], serde_json::json!(["0x1", "0x2"]));
    assert_eq!(lines[4]["gasCost"], "0x6", "MSTORE pays 3 + 3 for one word of memory");
}

#[test]
fn a_reverting_program_exits_non_zero_and_bad_hex_is_named() {
    // PUSH1 0 PUSH1 0 REVERT
    let out = quarry_evm(&["run", "--code", "60006000fd"]);
    assert_eq!(out.status.code(), Some(1));
    let out = quarry_evm(&["run", "--code", "0xzz"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--code is not hex"));
}
