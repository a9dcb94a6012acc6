//! Property tests: every encoder round-trips, decoders never panic on arbitrary bytes, and
//! compact `bits` behave like Bitcoin's.

use alloy_primitives::{Address, Bloom, Bytes, TxKind, B256, U256};
use proptest::prelude::*;
use quarry_primitives::codec::{self, Record};
use quarry_primitives::crypto::SecretKey;
use quarry_primitives::pow::{bits_from_target, target_from_bits};
use quarry_primitives::transaction::{
    AccessListItem, SignedTransaction, Transaction, TxEip1559, TxEip2930, TxLegacy,
};
use quarry_primitives::{Block, Header};

fn u256() -> impl Strategy<Value = U256> {
    prop_oneof![
        any::<u64>().prop_map(U256::from),
        any::<[u8; 32]>().prop_map(U256::from_be_bytes),
        Just(U256::ZERO),
        Just(U256::MAX),
    ]
}

fn b256() -> impl Strategy<Value = B256> {
    any::<[u8; 32]>().prop_map(B256::from)
}

fn address() -> impl Strategy<Value = Address> {
    any::<[u8; 20]>().prop_map(Address::from)
}

fn to() -> impl Strategy<Value = TxKind> {
    prop_oneof![Just(TxKind::Create), address().prop_map(TxKind::Call)]
}

fn input() -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..200).prop_map(Bytes::from)
}

fn access_list() -> impl Strategy<Value = Vec<AccessListItem>> {
    proptest::collection::vec(
        (address(), proptest::collection::vec(b256(), 0..3))
            .prop_map(|(address, storage_keys)| AccessListItem { address, storage_keys }),
        0..3,
    )
}

fn transaction() -> impl Strategy<Value = Transaction> {
    let legacy = (
        proptest::option::of(0u64..u64::MAX / 4),
        any::<u64>(),
        u256(),
        any::<u64>(),
        to(),
        u256(),
        input(),
    )
        .prop_map(|(chain_id, nonce, gas_price, gas_limit, to, value, input)| {
            Transaction::Legacy(TxLegacy {
                chain_id,
                nonce,
                gas_price,
                gas_limit,
                to,
                value,
                input,
            })
        });
    let eip2930 =
        (any::<u64>(), any::<u64>(), u256(), any::<u64>(), to(), u256(), input(), access_list())
            .prop_map(|(chain_id, nonce, gas_price, gas_limit, to, value, input, access_list)| {
                Transaction::Eip2930(TxEip2930 {
                    chain_id,
                    nonce,
                    gas_price,
                    gas_limit,
                    to,
                    value,
                    input,
                    access_list,
                })
            });
    let eip1559 = (
        (any::<u64>(), any::<u64>(), u256(), u256(), any::<u64>()),
        (to(), u256(), input(), access_list()),
    )
        .prop_map(
            |((chain_id, nonce, tip, fee_cap, gas_limit), (to, value, input, access_list))| {
                Transaction::Eip1559(TxEip1559 {
                    chain_id,
                    nonce,
                    max_priority_fee_per_gas: tip,
                    max_fee_per_gas: fee_cap,
                    gas_limit,
                    to,
                    value,
                    input,
                    access_list,
                })
            },
        );
    prop_oneof![legacy, eip2930, eip1559]
}

fn header() -> impl Strategy<Value = Header> {
    (
        (b256(), address(), b256(), b256(), b256(), any::<[u8; 32]>()),
        (any::<u64>(), any::<u64>(), any::<u64>(), any::<u64>()),
        (proptest::collection::vec(any::<u8>(), 0..33), any::<u64>(), any::<u32>(), any::<u64>()),
    )
        .prop_map(|(roots, numbers, rest)| {
            let (parent_hash, beneficiary, state_root, transactions_root, receipts_root, bloom) =
                roots;
            let (number, gas_limit, gas_used, timestamp) = numbers;
            let (extra, base_fee_per_gas, bits, nonce) = rest;
            let mut logs_bloom = Bloom::ZERO;
            logs_bloom.0[..32].copy_from_slice(&bloom);
            Header {
                parent_hash,
                beneficiary,
                state_root,
                transactions_root,
                receipts_root,
                logs_bloom,
                number,
                gas_limit,
                gas_used,
                timestamp,
                extra_data: extra.into(),
                base_fee_per_gas,
                bits,
                nonce,
            }
        })
}

fn key() -> SecretKey {
    SecretKey::from_bytes(&B256::repeat_byte(0x42)).unwrap()
}

#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct StoredHeader {
    header: Header,
    chain_work: U256,
}

impl Record for StoredHeader {
    const MAX_SIZE: u64 = 4096;
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn every_transaction_type_round_trips_through_its_wire_encoding(tx in transaction()) {
        let signed = SignedTransaction::sign(tx, &key());
        let decoded = SignedTransaction::decode(&signed.encoded()).unwrap();
        prop_assert_eq!(&decoded, &signed);
        prop_assert_eq!(decoded.recover_sender().unwrap(), key().address());
    }

    #[test]
    fn blocks_and_headers_round_trip_through_rlp(
        header in header(),
        txs in proptest::collection::vec(transaction(), 0..4),
    ) {
        prop_assert_eq!(Header::decode_exact(&header.encoded()).unwrap(), header.clone());
        let transactions = txs.into_iter().map(|tx| SignedTransaction::sign(tx, &key())).collect();
        let block = Block { header, transactions };
        prop_assert_eq!(Block::decode_exact(&block.encoded()).unwrap(), block);
    }

    #[test]
    fn codec_records_round_trip(header in header(), work in u256()) {
        let record = StoredHeader { header, chain_work: work };
        let bytes = codec::encode(&record).unwrap();
        prop_assert_eq!(codec::decode::<StoredHeader>(&bytes).unwrap(), record);
    }

    #[test]
    fn normalised_bits_round_trip_through_the_target(exponent in 4u32..=32, mantissa in 0x8000u32..0x80_0000) {
        let bits = (exponent << 24) | mantissa;
        let target = target_from_bits(bits).unwrap();
        prop_assert_eq!(bits_from_target(target), bits);
    }

    #[test]
    fn encoding_a_target_rounds_down_and_is_stable(raw in any::<[u8; 32]>()) {
        let target = U256::from_be_bytes(raw);
        prop_assume!(!target.is_zero());
        let bits = bits_from_target(target);
        let rounded = target_from_bits(bits).unwrap();
        prop_assert!(rounded <= target);
        prop_assert_eq!(bits_from_target(rounded), bits);
    }

    #[test]
    fn decoders_never_panic_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = SignedTransaction::decode(&bytes);
        let _ = Header::decode_exact(&bytes);
        let _ = Block::decode_exact(&bytes);
        let _ = codec::decode::<StoredHeader>(&bytes);
    }

    #[test]
    fn a_corrupted_transaction_never_decodes_to_the_original(
        tx in transaction(), index in any::<prop::sample::Index>(), flip in 1u8..=255,
    ) {
        let signed = SignedTransaction::sign(tx, &key());
        let mut bytes = signed.encoded();
        let i = index.index(bytes.len());
        bytes[i] ^= flip;
        if let Ok(decoded) = SignedTransaction::decode(&bytes) {
            prop_assert_ne!(decoded.hash(), signed.hash());
        }
    }
}
