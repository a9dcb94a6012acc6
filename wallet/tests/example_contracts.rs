//! The committed artifacts in `examples/contracts/out/` work with the wallet's encoding and
//! Quarry's EVM: deploying QuarryToken and TokenSale with constructor arguments encoded from
//! their ABIs, buying and selling through the sale (calls from the sale into the token), and
//! reading results and revert reasons back with signature strings, exactly as
//! `quarry-wallet deploy/send/call` would. Every transaction is built and signed by the
//! wallet's code, decoded from its raw bytes and its sender recovered, as a node does.

use std::path::PathBuf;

use alloy_primitives::{keccak256, Address, Bytes, TxKind, U256};
use quarry_primitives::SignedTransaction;
use quarry_vm::statetest::MemDb;
use quarry_vm::{transact, BlockEnv, ExecutionOutcome, Status, TxEnv};
use quarry_wallet::abi::{self, Artifact};
use quarry_wallet::dev::dev_key;
use quarry_wallet::tx::{build_transaction, Fees, TxRequest};
use quarry_wallet::units::parse_amount;

const CHAIN_ID: u64 = 1337;

fn artifact(name: &str) -> Artifact {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/contracts/out")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    abi::parse_artifact(&serde_json::from_str(&text).unwrap()).unwrap()
}

fn amount(text: &str) -> U256 {
    parse_amount(text).unwrap()
}

/// A one-account-per-key chain state with a block environment.
struct Chain {
    db: MemDb,
    block: BlockEnv,
}

impl Chain {
    fn new() -> Self {
        let mut db = MemDb::new();
        for i in 0..3 {
            db.insert_account(dev_key(i).address(), amount("100ether"), 0, Bytes::new(), []);
        }
        let block = BlockEnv {
            number: 1,
            base_fee: amount("1gwei"),
            chain_id: CHAIN_ID,
            ..BlockEnv::default()
        };
        Self { db, block }
    }

    /// Builds, signs, decodes and executes a transaction from dev account `signer`.
    fn send(&mut self, signer: u32, to: TxKind, value: U256, input: Bytes) -> ExecutionOutcome {
        let key = dev_key(signer);
        let nonce = self.db.accounts[&key.address()].info.nonce;
        let request = TxRequest { to, value, input, ..Default::default() };
        let fees = Fees::Eip1559 {
            max_fee_per_gas: amount("3gwei"),
            max_priority_fee_per_gas: amount("1gwei"),
        };
        let tx = build_transaction(&request, CHAIN_ID, nonce, 3_000_000, fees);
        let raw = SignedTransaction::sign(tx, &key).encoded();
        let decoded = SignedTransaction::decode(&raw).unwrap();
        let caller = decoded.recover_sender().unwrap();
        assert_eq!(caller, key.address());
        let env = TxEnv {
            tx_type: 2,
            caller,
            gas_limit: decoded.gas_limit(),
            gas_price: decoded.max_fee_per_gas(),
            max_priority_fee_per_gas: Some(decoded.max_priority_fee_per_gas()),
            to: decoded.to().to().copied(),
            value: decoded.value(),
            data: decoded.input().clone(),
            nonce: decoded.nonce(),
            chain_id: decoded.chain_id(),
            ..TxEnv::default()
        };
        let outcome = transact(&mut self.db, &self.block, &env).unwrap();
        self.db.commit(&outcome.state);
        outcome
    }

    fn deploy(&mut self, signer: u32, artifact: &Artifact, args: &[&str]) -> Address {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let initcode =
            abi::encode_deploy(&artifact.bytecode, artifact.abi.constructor.as_ref(), &args)
                .unwrap();
        let outcome = self.send(signer, TxKind::Create, U256::ZERO, initcode);
        assert_eq!(
            outcome.status,
            Status::Success,
            "deploy: {:?}",
            abi::decode_revert(&outcome.output)
        );
        outcome.contract_address.unwrap()
    }

    fn call_tx(
        &mut self,
        signer: u32,
        to: Address,
        sig: &str,
        args: &[&str],
        value: &str,
    ) -> ExecutionOutcome {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let data = abi::encode_call(&abi::parse_function(sig).unwrap(), &args).unwrap();
        self.send(signer, TxKind::Call(to), amount(value), data)
    }

    /// A read-only call (executed, then thrown away), decoded as `sig`'s outputs.
    fn read(&mut self, to: Address, sig: &str, args: &[&str]) -> Vec<String> {
        let function = abi::parse_function(sig).unwrap();
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let env = TxEnv {
            tx_type: 2,
            caller: dev_key(2).address(),
            gas_limit: 1_000_000,
            gas_price: amount("1gwei"),
            max_priority_fee_per_gas: Some(U256::ZERO),
            to: Some(to),
            data: abi::encode_call(&function, &args).unwrap(),
            nonce: self.db.accounts[&dev_key(2).address()].info.nonce,
            chain_id: Some(CHAIN_ID),
            ..TxEnv::default()
        };
        let outcome = transact(&mut self.db, &self.block, &env).unwrap();
        assert_eq!(outcome.status, Status::Success);
        abi::decode_output(&function, &outcome.output)
            .unwrap()
            .iter()
            .map(abi::format_value)
            .collect()
    }
}

#[test]
fn token_and_sale_deploy_trade_and_revert_with_readable_reasons() {
    let (token_artifact, sale_artifact) = (artifact("QuarryToken"), artifact("TokenSale"));
    let mut chain = Chain::new();
    let owner = dev_key(0).address();
    let buyer = dev_key(1).address();

    let token = chain.deploy(0, &token_artifact, &["Quarry Token", "QRY", "1000000ether"]);
    assert_eq!(token, owner.create(0), "the address the wallet predicts");
    assert_eq!(chain.read(token, "name()(string)", &[]), ["\"Quarry Token\""]);
    assert_eq!(chain.read(token, "decimals()(uint8)", &[]), ["18"]);
    let owner_text = owner.to_string();
    assert_eq!(
        chain.read(token, "balanceOf(address)(uint256)", &[&owner_text]),
        [amount("1000000ether").to_string()]
    );

    let token_text = token.to_string();
    let sale = chain.deploy(0, &sale_artifact, &[&token_text, "1000"]);
    assert_eq!(chain.read(sale, "token()(address)", &[]), [token.to_checksum(None)]);
    let sale_text = sale.to_string();
    let stocked =
        chain.call_tx(0, token, "transfer(address,uint256)", &[&sale_text, "50000ether"], "0");
    assert!(stocked.is_success());
    assert_eq!(chain.read(sale, "available()(uint256)", &[]), [amount("50000ether").to_string()]);

    // buy(): the sale calls token.transfer(buyer, 1000 × msg.value).
    let bought = chain.call_tx(1, sale, "buy()", &[], "1ether");
    assert!(bought.is_success(), "{:?}", abi::decode_revert(&bought.output));
    let bought_topic = keccak256("Bought(address,uint256,uint256)");
    assert!(bought.logs.iter().any(|l| l.address == sale && l.topics[0] == bought_topic));
    let buyer_text = buyer.to_string();
    assert_eq!(
        chain.read(token, "balanceOf(address)(uint256)", &[&buyer_text]),
        [amount("1000ether").to_string()]
    );

    // sell(): approve, then the sale pulls the tokens with transferFrom and refunds ether.
    assert!(chain
        .call_tx(1, token, "approve(address,uint256)", &[&sale_text, "500ether"], "0")
        .is_success());
    let before = chain.db.accounts[&buyer].info.balance;
    let sold = chain.call_tx(1, sale, "sell(uint256)", &["500ether"], "0");
    assert!(sold.is_success(), "{:?}", abi::decode_revert(&sold.output));
    let after = chain.db.accounts[&buyer].info.balance;
    let fee = U256::from(sold.gas_used) * amount("2gwei");
    assert_eq!(after + fee - before, amount("0.5ether"), "refund of 500 tokens at 1000 per wei");

    // Reverts decode the way `quarry-wallet` reports them.
    let stranger = chain.call_tx(1, sale, "withdraw()", &[], "0");
    assert_eq!(stranger.status, Status::Revert);
    assert_eq!(abi::decode_revert(&stranger.output).unwrap(), "revert: TokenSale: not the owner");
    // 60 ether buys 60,000 tokens; the sale holds 50,000 − 1,000 + 500.
    let too_much = chain.call_tx(2, sale, "buy()", &[], "60ether");
    assert_eq!(
        abi::decode_revert(&too_much.output).unwrap(),
        "revert: TokenSale: not enough tokens for sale"
    );
    // OpenZeppelin 5 reverts with custom errors: ERC20InsufficientBalance(sender, balance, needed).
    let overdraw = chain.call_tx(2, token, "transfer(address,uint256)", &[&owner_text, "1"], "0");
    let reason = abi::decode_revert(&overdraw.output).unwrap();
    assert!(reason.starts_with("custom error 0xe450d38c"), "{reason}");

    // The owner collects the ether: 1 paid − 0.5 refunded (the 60 ether purchase reverted).
    let sale_balance = chain.db.accounts[&sale].info.balance;
    assert_eq!(sale_balance, amount("0.5ether"));
    assert!(chain.call_tx(0, sale, "withdraw()", &[], "0").is_success());
    assert!(chain.db.accounts.get(&sale).is_none_or(|a| a.info.balance.is_zero()));
}
