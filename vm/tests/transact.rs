//! `transact` end to end: validation errors, fees, refunds, creation, EIP-161 and EIP-6780.

mod support;

use alloy_primitives::{address, b256, Address, Bytes, U256};
use quarry_vm::frame::create_address;
use quarry_vm::interpreter::CreateScheme;
use quarry_vm::{transact, BlockEnv, InvalidTransaction, Status, TransactError, TxEnv};
use support::{hex, MemDb};

const SENDER: Address = address!("0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b");
const CONTRACT: Address = address!("0x1000000000000000000000000000000000000000");
const COINBASE: Address = address!("0x2adc25665018aa1fe0e6bc666dac8fc2697ff9ba");

fn eth(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

fn block() -> BlockEnv {
    BlockEnv { coinbase: COINBASE, base_fee: U256::from(10), ..BlockEnv::default() }
}

fn tx(to: Option<Address>, data: &[u8]) -> TxEnv {
    TxEnv {
        tx_type: 2,
        caller: SENDER,
        gas_limit: 1_000_000,
        gas_price: U256::from(20),
        max_priority_fee_per_gas: Some(U256::from(2)),
        to,
        data: Bytes::copy_from_slice(data),
        chain_id: Some(1),
        ..TxEnv::default()
    }
}

fn invalid(db: &mut MemDb, tx: &TxEnv) -> InvalidTransaction {
    match transact(db, &block(), tx) {
        Err(TransactError::Invalid(e)) => e,
        other => panic!("expected an invalid transaction, got {other:?}"),
    }
}

#[test]
fn rejections_name_the_values_in_geths_words() {
    let mut db = MemDb::default().with_account(SENDER, U256::from(1_000), &[]);
    let mut t = tx(Some(CONTRACT), &[]);
    t.nonce = 3;
    let e = invalid(&mut db, &t);
    assert!(matches!(e, InvalidTransaction::NonceTooHigh { tx: 3, state: 0, .. }));
    assert!(e.to_string().starts_with("nonce too high"));

    let e = invalid(&mut db, &tx(Some(CONTRACT), &[]));
    assert!(e.to_string().starts_with("insufficient funds for gas * price + value"), "{e}");

    let mut db = MemDb::default().with_account(SENDER, eth(1), &[]);
    let mut t = tx(Some(CONTRACT), &[]);
    t.gas_limit = 20_999;
    let e = invalid(&mut db, &t);
    assert_eq!(e, InvalidTransaction::IntrinsicGasTooLow { have: 20_999, want: 21_000 });
    assert_eq!(e.to_string(), "intrinsic gas too low: have 20999, want 21000");

    let mut t = tx(Some(CONTRACT), &[]);
    t.gas_price = U256::from(9);
    t.max_priority_fee_per_gas = Some(U256::from(1));
    let e = invalid(&mut db, &t);
    assert!(e.to_string().starts_with("max fee per gas less than block base fee"));

    let mut t = tx(Some(CONTRACT), &[]);
    t.max_priority_fee_per_gas = Some(U256::from(21));
    assert!(matches!(invalid(&mut db, &t), InvalidTransaction::PriorityFeeAboveFeeCap { .. }));

    let t = tx(None, &vec![0u8; 49_153]);
    assert!(matches!(invalid(&mut db, &t), InvalidTransaction::InitcodeTooLarge { .. }));

    let mut t = tx(Some(CONTRACT), &[]);
    t.tx_type = 3;
    assert_eq!(invalid(&mut db, &t), InvalidTransaction::BlobTransactionUnsupported);

    let mut t = tx(Some(CONTRACT), &[]);
    t.chain_id = Some(5);
    assert!(matches!(invalid(&mut db, &t), InvalidTransaction::ChainIdMismatch { .. }));
}

#[test]
fn a_sender_with_code_is_rejected_by_eip_3607() {
    let mut db = MemDb::default().with_account(SENDER, eth(1), &hex("00"));
    let mut t = tx(Some(CONTRACT), &[]);
    t.nonce = 1;
    assert!(matches!(invalid(&mut db, &t), InvalidTransaction::SenderHasCode { .. }));
}

#[test]
fn a_transfer_pays_the_tip_to_the_coinbase_and_burns_the_base_fee() {
    let mut db = MemDb::default().with_account(SENDER, eth(1), &[]);
    let mut t = tx(Some(CONTRACT), &[]);
    t.value = U256::from(5);
    let out = transact(&mut db, &block(), &t).expect("valid");
    assert_eq!(out.status, Status::Success);
    assert_eq!(out.gas_used, 21_000);
    let s = &out.state.accounts;
    let sender = s[&SENDER].info.clone().expect("sender exists");
    // Effective price min(20, 10 + 2) = 12.
    assert_eq!(sender.balance, eth(1) - U256::from(21_000 * 12 + 5));
    assert_eq!(sender.nonce, 1);
    assert_eq!(s[&CONTRACT].info.as_ref().map(|i| i.balance), Some(U256::from(5)));
    assert_eq!(s[&COINBASE].info.as_ref().map(|i| i.balance), Some(U256::from(21_000 * 2)));
}

#[test]
fn a_zero_value_call_to_nothing_leaves_no_empty_account_behind() {
    let mut db = MemDb::default().with_account(SENDER, eth(1), &[]);
    let mut b = block();
    b.base_fee = U256::from(20);
    let mut t = tx(Some(CONTRACT), &[]);
    t.max_priority_fee_per_gas = Some(U256::ZERO);
    let out = transact(&mut db, &b, &t).expect("valid");
    assert!(!out.state.accounts.contains_key(&CONTRACT));
    assert!(!out.state.accounts.contains_key(&COINBASE), "zero tip must not create coinbase");
}

#[test]
fn refund_is_capped_at_one_fifth_of_gas_used() {
    // Clear slot 0 (non-zero originally): refund 4800 against ~26k used.
    let mut db = MemDb::default()
        .with_account(SENDER, eth(1), &[])
        .with_account(CONTRACT, U256::ZERO, &hex("5f5f55"))
        .with_slot(CONTRACT, 0, 1);
    let out = transact(&mut db, &block(), &tx(Some(CONTRACT), &[])).expect("valid");
    assert_eq!(out.status, Status::Success);
    let before_refund = 21_000 + 2 + 2 + 2_100 + 2_900;
    assert_eq!(out.gas_refunded, 4_800);
    assert_eq!(out.gas_used, before_refund - 4_800);
    // Now a refund bigger than a fifth: 0→1→0 gives 19 900 against ~43 k.
    let mut db = MemDb::default().with_account(SENDER, eth(1), &[]).with_account(
        CONTRACT,
        U256::ZERO,
        &hex("60015f555f5f55"),
    );
    let out = transact(&mut db, &block(), &tx(Some(CONTRACT), &[])).expect("valid");
    let before_refund = 21_000 + 3 + 2 + 2_100 + 20_000 + 2 + 2 + 100;
    assert_eq!(out.gas_refunded, before_refund / 5);
    assert_eq!(out.gas_used, before_refund - before_refund / 5);
    assert!(out.state.accounts[&CONTRACT].storage.is_empty());
}

#[test]
fn a_creation_deploys_code_at_the_rlp_address() {
    // Initcode returning one byte 0x00: PUSH1 1 PUSH0 RETURN? needs memory: PUSH1 1 PUSH1 31 RETURN
    let mut db = MemDb::default().with_account(SENDER, eth(1), &[]);
    let out = transact(&mut db, &block(), &tx(None, &hex("6001601ff3"))).expect("valid");
    assert_eq!(out.status, Status::Success);
    let expected = SENDER.create(0);
    assert_eq!(out.contract_address, Some(expected));
    let change = &out.state.accounts[&expected];
    assert_eq!(change.code.as_ref().map(|c| c.to_vec()), Some(vec![0u8]));
    assert_eq!(change.info.as_ref().map(|i| i.nonce), Some(1));
    assert!(change.storage_cleared);
    assert_eq!(out.state.accounts[&SENDER].info.as_ref().map(|i| i.nonce), Some(1));
}

#[test]
fn deployed_code_starting_with_0xef_is_rejected_by_eip_3541() {
    // PUSH1 0xef PUSH0 MSTORE8 PUSH1 1 PUSH0 RETURN
    let mut db = MemDb::default().with_account(SENDER, eth(1), &[]);
    let out = transact(&mut db, &block(), &tx(None, &hex("60ef5f5360015ff3"))).expect("valid");
    assert!(matches!(out.status, Status::Halt(quarry_vm::HaltReason::CodeStartsWithEf)));
    assert_eq!(out.gas_used, 1_000_000);
    assert_eq!(out.contract_address, None);
}

#[test]
fn selfdestruct_of_an_old_contract_only_moves_its_balance() {
    // SELFDESTRUCT to COINBASE-like beneficiary 0xbb…
    let code = hex("73bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbff");
    let mut db = MemDb::default().with_account(SENDER, eth(1), &[]).with_account(
        CONTRACT,
        U256::from(77),
        &code,
    );
    let out = transact(&mut db, &block(), &tx(Some(CONTRACT), &[])).expect("valid");
    assert_eq!(out.status, Status::Success);
    let contract = out.state.accounts[&CONTRACT].info.clone().expect("EIP-6780 keeps it");
    assert_eq!(contract.balance, U256::ZERO);
    let beneficiary = address!("0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    assert_eq!(
        out.state.accounts[&beneficiary].info.as_ref().map(|i| i.balance),
        Some(U256::from(77))
    );
    // 21000 + PUSH20 3 + 5000 + cold 2600 + new account 25000
    assert_eq!(out.gas_used, 21_000 + 3 + 5_000 + 2_600 + 25_000);
}

#[test]
fn create_into_an_address_with_storage_is_a_collision() {
    let target = SENDER.create(0);
    let mut db = MemDb::default().with_account(SENDER, eth(1), &[]).with_slot(target, 1, 1);
    db.accounts.insert(target, quarry_vm::AccountInfo::default());
    let out = transact(&mut db, &block(), &tx(None, &hex("00"))).expect("valid");
    assert_eq!(out.status, Status::Halt(quarry_vm::HaltReason::CreateCollision));
    assert_eq!(out.gas_used, 1_000_000);
}

#[test]
fn create2_addresses_match_eip_1014_examples() {
    let cases: [(Address, &str, &str, Address); 7] = [
        (Address::ZERO, "00", "00", address!("0x4D1A2e2bB4F88F0250f26Ffff098B0b30B26BF38")),
        (
            address!("0xdeadbeef00000000000000000000000000000000"),
            "00",
            "00",
            address!("0xB928f69Bb1D91Cd65274e3c79d8986362984fDA3"),
        ),
        (
            address!("0xdeadbeef00000000000000000000000000000000"),
            "000000000000000000000000feed000000000000000000000000000000000000",
            "00",
            address!("0xD04116cDd17beBE565EB2422F2497E06cC1C9833"),
        ),
        (Address::ZERO, "00", "deadbeef", address!("0x70f2b2914A2a4b783FaEFb75f459A580616Fcb5e")),
        (
            address!("0x00000000000000000000000000000000deadbeef"),
            "cafebabe",
            "deadbeef",
            address!("0x60f3f640a8508fC6a86d45DF051962668E1e8AC7"),
        ),
        (
            address!("0x00000000000000000000000000000000deadbeef"),
            "cafebabe",
            "deadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeef",
            address!("0x1d8bfDC5D46DC4f61D6b6115972536eBE6A8854C"),
        ),
        (Address::ZERO, "00", "", address!("0xE33C0C7F7df4809055C3ebA6c09CFe4BaF1BD9e0")),
    ];
    for (sender, salt, code, expected) in cases {
        let salt = U256::from_be_slice(&hex(salt));
        let got = create_address(sender, 0, CreateScheme::Create2 { salt }, &hex(code));
        assert_eq!(got, expected, "sender {sender} salt {salt:#x} code {code}");
    }
    let _ = b256!("0x0000000000000000000000000000000000000000000000000000000000000000");
}

#[test]
fn create_addresses_follow_rlp_of_sender_and_nonce() {
    let sender = address!("0x6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0");
    let at = |n| create_address(sender, n, CreateScheme::Create, &[]);
    assert_eq!(at(0), address!("0xcd234a471b72ba2f1ccf0a70fcaba648a5eecd8d"));
    assert_eq!(at(1), address!("0x343c43a37d37dff08ae8c4a11544c718abb4fcf8"));
}
