//! `../shared/vectors/signed-tx-vectors.json` (made with eth-account): signing each vector's
//! fields with its key gives byte-identical `rawTx`, the same signing hash, `(v, r, s)`, tx hash
//! and recovered sender; decoding `rawTx` gives back the same fields.

mod common;

use alloy_primitives::{hex, Address, Bytes, TxKind, B256, U256};
use quarry_primitives::crypto::SecretKey;
use quarry_primitives::transaction::{
    AccessListItem, SignedTransaction, Transaction, TxEip1559, TxEip2930, TxLegacy,
};
use serde_json::Value;

/// A number given as a JSON number or a decimal string ("integers above 2^53 are strings").
fn num(v: &Value) -> U256 {
    match v {
        Value::Number(n) => U256::from(n.as_u64().expect("u64")),
        Value::String(s) => U256::from_str_radix(s, 10).expect("decimal"),
        other => panic!("not a number: {other}"),
    }
}

fn u64_of(v: &Value) -> u64 {
    num(v).to::<u64>()
}

fn bytes(v: &Value) -> Bytes {
    hex::decode(v.as_str().unwrap()).unwrap().into()
}

fn to(v: &Value) -> TxKind {
    match v.as_str() {
        None | Some("") => TxKind::Create,
        Some(s) => TxKind::Call(s.parse().unwrap()),
    }
}

fn access_list(v: &Value) -> Vec<AccessListItem> {
    let Some(items) = v.as_array() else { return vec![] };
    items
        .iter()
        .map(|item| AccessListItem {
            address: item["address"].as_str().unwrap().parse().unwrap(),
            storage_keys: item["storageKeys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k.as_str().unwrap().parse().unwrap())
                .collect(),
        })
        .collect()
}

fn transaction(vector: &Value) -> Transaction {
    let f = &vector["fields"];
    match vector["type"].as_u64().unwrap() {
        0 => Transaction::Legacy(TxLegacy {
            chain_id: f.get("chainId").filter(|v| !v.is_null()).map(u64_of),
            nonce: u64_of(&f["nonce"]),
            gas_price: num(&f["gasPrice"]),
            gas_limit: u64_of(&f["gas"]),
            to: to(&f["to"]),
            value: num(&f["value"]),
            input: bytes(&f["data"]),
        }),
        1 => Transaction::Eip2930(TxEip2930 {
            chain_id: u64_of(&f["chainId"]),
            nonce: u64_of(&f["nonce"]),
            gas_price: num(&f["gasPrice"]),
            gas_limit: u64_of(&f["gas"]),
            to: to(&f["to"]),
            value: num(&f["value"]),
            input: bytes(&f["data"]),
            access_list: access_list(&f["accessList"]),
        }),
        2 => Transaction::Eip1559(TxEip1559 {
            chain_id: u64_of(&f["chainId"]),
            nonce: u64_of(&f["nonce"]),
            max_priority_fee_per_gas: num(&f["maxPriorityFeePerGas"]),
            max_fee_per_gas: num(&f["maxFeePerGas"]),
            gas_limit: u64_of(&f["gas"]),
            to: to(&f["to"]),
            value: num(&f["value"]),
            input: bytes(&f["data"]),
            access_list: access_list(&f["accessList"]),
        }),
        other => panic!("unexpected type {other}"),
    }
}

#[test]
fn signing_each_vector_reproduces_eth_account_byte_for_byte() {
    let Some(path) = common::shared("vectors/signed-tx-vectors.json") else { return };
    let file = common::read_json(&path);
    let vectors = file["vectors"].as_array().expect("vectors");
    assert!(vectors.len() >= 11, "expected every vector, found {}", vectors.len());
    for vector in vectors {
        let name = vector["name"].as_str().unwrap();
        let key: B256 = vector["privateKey"].as_str().unwrap().parse().unwrap();
        let key = SecretKey::from_bytes(&key).unwrap();
        let tx = transaction(vector);
        let signing_hash: B256 = vector["signingHash"].as_str().unwrap().parse().unwrap();
        assert_eq!(tx.signature_hash(), signing_hash, "{name}: signing hash");

        let signed = SignedTransaction::sign(tx.clone(), &key);
        let raw = bytes(&vector["rawTx"]);
        assert_eq!(hex::encode(signed.encoded()), hex::encode(&raw), "{name}: rawTx");
        assert_eq!(signed.v(), num(&vector["v"]), "{name}: v");
        assert_eq!(signed.signature().r, vector["r"].as_str().unwrap().parse::<U256>().unwrap());
        assert_eq!(signed.signature().s, vector["s"].as_str().unwrap().parse::<U256>().unwrap());
        let tx_hash: B256 = vector["txHash"].as_str().unwrap().parse().unwrap();
        assert_eq!(signed.hash(), tx_hash, "{name}: tx hash");
        let sender: Address = vector["sender"].as_str().unwrap().parse().unwrap();
        assert_eq!(signed.recover_sender().unwrap(), sender, "{name}: sender");

        let decoded = SignedTransaction::decode(&raw).unwrap();
        assert_eq!(decoded, signed, "{name}: decode(rawTx)");
    }
}
