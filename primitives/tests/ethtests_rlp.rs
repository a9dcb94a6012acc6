//! The Ethereum Foundation's RLPTests (`../shared/ethtests/RLPTests`): every valid case encodes
//! to `out` and `out` decodes back to the same structure; every `INVALID` case fails to decode
//! under canonical-RLP rules; every `VALID` case decodes. (`#digits` values exceed 256 bits, so
//! they are held as 512-bit integers.)

mod common;

use alloy_primitives::U512;
use alloy_rlp::{Encodable, Header};
use serde_json::Value;

/// A decoded RLP item: a byte string or a list of items.
#[derive(Debug, PartialEq)]
enum Item {
    Bytes(Vec<u8>),
    List(Vec<Item>),
}

/// Encodes a test's `in` value with alloy-rlp: strings as bytes, integers as big-endian
/// scalars, `#digits` as 256-bit integers, arrays as lists.
fn encode_input(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::String(s) if s.starts_with('#') => {
            U512::from_str_radix(&s[1..], 10).expect("bigint").encode(out)
        }
        Value::String(s) => s.as_bytes().encode(out),
        Value::Number(n) => n.as_u64().expect("u64").encode(out),
        Value::Array(items) => {
            let mut payload = Vec::new();
            for item in items {
                encode_input(item, &mut payload);
            }
            Header { list: true, payload_length: payload.len() }.encode(out);
            out.extend_from_slice(&payload);
        }
        other => panic!("unexpected RLP test input {other}"),
    }
}

/// Decodes one item with alloy-rlp's canonical header checks (no leading zeros in lengths, no
/// long form for short payloads, single bytes < 0x80 not wrapped).
fn decode_item(buf: &mut &[u8]) -> Result<Item, alloy_rlp::Error> {
    let header = Header::decode(buf)?;
    if header.payload_length > buf.len() {
        return Err(alloy_rlp::Error::InputTooShort);
    }
    let (mut payload, rest) = buf.split_at(header.payload_length);
    *buf = rest;
    if !header.list {
        return Ok(Item::Bytes(payload.to_vec()));
    }
    let mut items = Vec::new();
    while !payload.is_empty() {
        items.push(decode_item(&mut payload)?);
    }
    Ok(Item::List(items))
}

/// Decodes a whole input: exactly one item, no trailing bytes.
fn decode_exact(bytes: &[u8]) -> Result<Item, alloy_rlp::Error> {
    let mut buf = bytes;
    let item = decode_item(&mut buf)?;
    if buf.is_empty() {
        Ok(item)
    } else {
        Err(alloy_rlp::Error::Custom("trailing bytes"))
    }
}

fn hex_out(case: &Value) -> Vec<u8> {
    alloy_primitives::hex::decode(case["out"].as_str().expect("out")).expect("hex out")
}

fn run_file(name: &str) -> usize {
    let Some(path) = common::shared(&format!("ethtests/RLPTests/{name}")) else { return 0 };
    let tests = common::read_json(&path);
    let tests = tests.as_object().expect("object of tests");
    for (test, case) in tests {
        let out = hex_out(case);
        match &case["in"] {
            Value::String(s) if s == "INVALID" => {
                assert!(decode_exact(&out).is_err(), "{name}::{test}: decoded an INVALID input");
            }
            Value::String(s) if s == "VALID" => {
                decode_exact(&out).unwrap_or_else(|e| panic!("{name}::{test}: {e}"));
            }
            input => {
                let mut encoded = Vec::new();
                encode_input(input, &mut encoded);
                assert_eq!(encoded, out, "{name}::{test}: encoding differs");
                let mut expected = Vec::new();
                encode_input(input, &mut expected);
                let decoded = decode_exact(&out).unwrap_or_else(|e| panic!("{name}::{test}: {e}"));
                assert_eq!(decoded, decode_exact(&expected).unwrap(), "{name}::{test}: decoding");
            }
        }
    }
    tests.len()
}

#[test]
fn every_valid_rlp_test_encodes_and_decodes_exactly() {
    let n = run_file("rlptest.json");
    assert!(n == 0 || n >= 28, "expected the full rlptest.json, ran {n}");
}

#[test]
fn every_invalid_rlp_test_fails_to_decode() {
    let n = run_file("invalidRLPTest.json");
    assert!(n == 0 || n >= 26, "expected the full invalidRLPTest.json, ran {n}");
}

#[test]
fn random_valid_rlp_tests_decode() {
    run_file("RandomRLPTests/example.json");
}

#[test]
fn integers_with_leading_zeros_are_refused_as_scalars() {
    // 0x820001 is a canonical 2-byte *string*, but not a canonical integer.
    let mut buf: &[u8] = &[0x82, 0x00, 0x01];
    assert_eq!(<u64 as alloy_rlp::Decodable>::decode(&mut buf), Err(alloy_rlp::Error::LeadingZero));
}
