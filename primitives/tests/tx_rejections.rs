//! Bad transaction bytes and rule breaks get a typed error that names the field or value.

use alloy_primitives::{hex, Bytes, TxKind, B256, U256};
use alloy_rlp::Error as RlpError;
use quarry_primitives::crypto::{CryptoError, SecretKey, SECP256K1N};
use quarry_primitives::transaction::{
    SignedTransaction, Transaction, TxEip1559, TxError, TxLegacy, MAX_INITCODE_SIZE,
};

fn key() -> SecretKey {
    SecretKey::from_bytes(&B256::repeat_byte(0x11)).unwrap()
}

fn eip1559() -> TxEip1559 {
    TxEip1559 {
        chain_id: 1337,
        nonce: 5,
        max_priority_fee_per_gas: U256::from(2),
        max_fee_per_gas: U256::from(100),
        gas_limit: 21_000,
        to: TxKind::Call(alloy_primitives::Address::repeat_byte(9)),
        value: U256::from(1),
        input: Bytes::new(),
        access_list: vec![],
    }
}

fn signed(tx: TxEip1559) -> SignedTransaction {
    SignedTransaction::sign(Transaction::Eip1559(tx), &key())
}

#[test]
fn blob_and_unknown_types_are_refused_by_type() {
    let mut bytes = signed(eip1559()).encoded();
    bytes[0] = 3;
    assert_eq!(SignedTransaction::decode(&bytes), Err(TxError::BlobUnsupported));
    bytes[0] = 4;
    assert_eq!(SignedTransaction::decode(&bytes), Err(TxError::UnsupportedType(4)));
    assert_eq!(SignedTransaction::decode(&[]), Err(TxError::Empty));
}

#[test]
fn trailing_bytes_are_counted() {
    let mut bytes = signed(eip1559()).encoded();
    bytes.extend_from_slice(&[0, 0]);
    assert_eq!(SignedTransaction::decode(&bytes), Err(TxError::TrailingBytes { count: 2 }));
}

#[test]
fn a_truncated_transaction_names_the_envelope() {
    let bytes = signed(eip1559()).encoded();
    let err = SignedTransaction::decode(&bytes[..bytes.len() - 1]).unwrap_err();
    assert!(matches!(err, TxError::Rlp { field: "envelope", .. }), "{err}");
}

#[test]
fn a_leading_zero_in_the_nonce_names_the_nonce() {
    // 0x02 ‖ rlp([chainId=1, nonce=0x0005 (non-canonical), …]).
    let bytes = hex::decode("02c8018200050203825208").unwrap();
    assert_eq!(
        SignedTransaction::decode(&bytes),
        Err(TxError::Rlp { field: "nonce", source: RlpError::LeadingZero })
    );
}

#[test]
fn a_value_over_2_256_names_the_value() {
    // Legacy list [nonce 0, gasPrice 1, gas 21000, to <empty>, value = 33 bytes, …].
    let mut payload = hex::decode("000182520880").unwrap();
    payload[0] = 0x80;
    payload.extend_from_slice(&[0xa1, 1]);
    payload.extend_from_slice(&[0; 32]);
    let mut bytes = vec![0xc0 + payload.len() as u8];
    bytes.extend_from_slice(&payload);
    assert_eq!(
        SignedTransaction::decode(&bytes),
        Err(TxError::Rlp { field: "value", source: RlpError::Overflow })
    );
}

#[test]
fn high_s_signatures_are_refused_when_recovering() {
    let good = signed(eip1559());
    let sig = *good.signature();
    let high = quarry_primitives::crypto::Signature {
        y_parity: !sig.y_parity,
        r: sig.r,
        s: SECP256K1N - sig.s,
    };
    let bad = SignedTransaction::new(good.transaction().clone(), high);
    assert_eq!(bad.recover_sender(), Err(TxError::Signature(CryptoError::HighS(high.s))));
}

#[test]
fn legacy_v_must_be_27_28_or_eip155() {
    let tx = TxLegacy {
        chain_id: None,
        nonce: 0,
        gas_price: U256::from(1),
        gas_limit: 21_000,
        to: TxKind::Create,
        value: U256::ZERO,
        input: Bytes::new(),
    };
    let mut bytes = SignedTransaction::sign(Transaction::Legacy(tx), &key()).encoded();
    // v sits right after the empty data (0x80); set it to 29.
    let v_at = bytes.iter().rposition(|&b| b == 0x80).unwrap() + 1;
    assert!(bytes[v_at] == 27 || bytes[v_at] == 28);
    bytes[v_at] = 29;
    assert_eq!(SignedTransaction::decode(&bytes), Err(TxError::InvalidV(U256::from(29))));
}

#[test]
fn stateless_rules_name_the_values() {
    let wrong_chain = signed(eip1559()).validate_stateless(1, false);
    assert_eq!(wrong_chain, Err(TxError::ChainIdMismatch { expected: 1, got: Some(1337) }));

    let tip_above = signed(TxEip1559 { max_priority_fee_per_gas: U256::from(101), ..eip1559() });
    assert_eq!(
        tip_above.validate_stateless(1337, false),
        Err(TxError::TipAboveFeeCap { tip: U256::from(101), fee_cap: U256::from(100) })
    );

    let low_gas = signed(TxEip1559 { gas_limit: 20_999, ..eip1559() });
    assert_eq!(
        low_gas.validate_stateless(1337, false),
        Err(TxError::IntrinsicGasTooLow { have: 20_999, want: 21_000 })
    );

    let max_nonce = signed(TxEip1559 { nonce: u64::MAX, ..eip1559() });
    assert_eq!(max_nonce.validate_stateless(1337, false), Err(TxError::NonceOverflow(u64::MAX)));

    let huge_initcode = signed(TxEip1559 {
        to: TxKind::Create,
        gas_limit: 30_000_000,
        input: vec![0; MAX_INITCODE_SIZE + 1].into(),
        ..eip1559()
    });
    assert_eq!(
        huge_initcode.validate_stateless(1337, false),
        Err(TxError::InitcodeTooLarge { size: MAX_INITCODE_SIZE + 1, limit: MAX_INITCODE_SIZE })
    );

    let overflow = signed(TxEip1559 {
        max_fee_per_gas: U256::MAX,
        max_priority_fee_per_gas: U256::ZERO,
        ..eip1559()
    });
    assert!(matches!(
        overflow.validate_stateless(1337, false),
        Err(TxError::GasFeeOverflow { gas_limit: 21_000, .. })
    ));

    assert_eq!(signed(eip1559()).validate_stateless(1337, false), Ok(()));
}

#[test]
fn unprotected_legacy_transactions_need_the_chain_to_allow_them() {
    let tx = TxLegacy {
        chain_id: None,
        nonce: 0,
        gas_price: U256::from(1),
        gas_limit: 53_000,
        to: TxKind::Create,
        value: U256::ZERO,
        input: Bytes::new(),
    };
    let tx = SignedTransaction::sign(Transaction::Legacy(tx), &key());
    assert_eq!(tx.validate_stateless(1337, false), Err(TxError::UnprotectedNotAllowed));
    assert_eq!(tx.validate_stateless(1337, true), Ok(()));
}
