//! Property: no bytecode and no input panics the interpreter; gas used never exceeds the limit
//! and a halt always burns the whole limit.

use proptest::prelude::*;
use quarry_vm::{run_code, Status};

/// Bytecode biased toward defined opcodes and small PUSH arguments, so programs get past
/// their first instruction often enough to reach calls, creates and memory.
fn bytecode() -> impl Strategy<Value = Vec<u8>> {
    let op = prop_oneof![
        4 => any::<u8>(),
        2 => prop::sample::select(vec![0x60u8, 0x00, 0x01, 0x20, 0x30]),
        2 => prop::sample::select(vec![
            0x01u8, 0x02, 0x03, 0x04, 0x0a, 0x10, 0x14, 0x1b, 0x20, 0x30, 0x31, 0x35, 0x37, 0x39,
            0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x59, 0x5a,
            0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x80, 0x90, 0xa1, 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5,
            0xfa, 0xfd, 0xff,
        ]),
    ];
    prop::collection::vec(op, 0..200)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_bytecode_never_panics_and_respects_gas(
        code in bytecode(),
        input in prop::collection::vec(any::<u8>(), 0..64),
        gas in 0u64..2_000_000,
    ) {
        let out = run_code(&code, &input, gas, None);
        prop_assert!(out.gas_used <= gas);
        if let Status::Halt(_) = out.status {
            prop_assert_eq!(out.gas_used, gas);
        }
    }
}
