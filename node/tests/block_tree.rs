//! `quarry_blockTree` after a reorganisation: the blocks the heavier branch replaced stay
//! visible as stale (`canonical: false`) beside the new canonical ones, which a block explorer
//! needs to draw the tree; bad ranges are refused with messages naming them.

mod common;
mod support;

use alloy_primitives::Address;
use common::RpcNode;
use quarry_node::engine::{HistoryMode, Imported};
use serde_json::{json, Value};
use support::*;

#[test]
fn stale_blocks_of_a_reorganisation_stay_in_the_tree_beside_the_canonical_ones() {
    let mut b = ChainBuilder::new();
    let node = RpcNode::start(&b.genesis, HistoryMode::Archive);
    let genesis = b.genesis_hash();
    let a1 = b.block_with(&genesis, Vec::new(), Address::repeat_byte(0xa));
    assert!(matches!(node.import(&a1), Imported::NewTip { .. }));
    let branch = b.branch(&genesis, 2, 0xb);
    for block in &branch {
        node.import(block);
    }

    let tree = node.call("quarry_blockTree", json!(["0x0"]));
    assert_eq!(tree["tip"]["hash"], json!(branch[1].header.hash()), "{tree}");
    assert_eq!(tree["tip"]["number"], "0x2");
    let blocks = tree["blocks"].as_array().expect("blocks");
    let summary: Vec<(String, String, bool)> = blocks
        .iter()
        .map(|b| {
            let number = b["number"].as_str().expect("number").to_string();
            let hash = b["hash"].as_str().expect("hash").to_string();
            (number, hash, b["canonical"].as_bool().expect("canonical"))
        })
        .collect();
    let hash = |block: &quarry_primitives::Block| format!("{}", block.header.hash());
    let mut at_one =
        vec![("0x1".to_string(), hash(&a1), false), ("0x1".to_string(), hash(&branch[0]), true)];
    at_one.sort();
    let mut expected = vec![("0x0".to_string(), format!("{genesis}"), true)];
    expected.extend(at_one);
    expected.push(("0x2".to_string(), hash(&branch[1]), true));
    assert_eq!(summary, expected, "{tree}");

    let stale = &blocks[1 + usize::from(summary[1].2)];
    assert_eq!(stale["hash"], json!(a1.header.hash()));
    assert_eq!(stale["parentHash"], json!(genesis));
    assert_eq!(stale["miner"], json!(Address::repeat_byte(0xa)));
    assert_eq!(stale["transactionCount"], "0x0");
    for field in ["timestamp", "difficulty", "totalDifficulty", "bits", "nonce"] {
        assert!(stale[field].is_string(), "{field} in {stale}");
    }

    // One height only, and the range's end defaults to the tip.
    let one = node.call("quarry_blockTree", json!([2, 2]));
    assert_eq!(one["blocks"].as_array().map(Vec::len), Some(1), "{one}");
    let above = node.call("quarry_blockTree", json!(["0x5"]));
    assert_eq!(above["blocks"], json!([]), "{above}");
}

#[test]
fn bad_ranges_are_refused_with_the_range_named() {
    let b = ChainBuilder::new();
    let node = RpcNode::start(&b.genesis, HistoryMode::Archive);
    let message = |params: Value| {
        let error = node.try_call("quarry_blockTree", params).expect_err("refused");
        assert_eq!(error["code"], -32602, "{error}");
        error["message"].as_str().expect("a message").to_string()
    };
    assert!(message(json!([])).contains("missing fromHeight"));
    assert!(message(json!(["0x5", "0x2"])).contains("fromHeight 5 is above toHeight 2"));
    assert!(message(json!([0, 256])).contains("spans 257 heights; at most 256"));
    assert!(message(json!(["0xzz"])).contains("fromHeight"));
    assert!(message(json!(["0x10000000000000000"])).contains("above 2^64 - 1"));
}
