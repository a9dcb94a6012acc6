//! The chain as a whole, without sockets: imports, forks, reorgs, every block rule, restarts.

mod support;

use alloy_primitives::{Address, Bloom, B256, U256};
use quarry_consensus::{BodyError, HeaderError};
use quarry_node::engine::{Chain, ChainError, HistoryMode, Imported};
use quarry_node::execution::block::BlockError;
use quarry_node::miner::Kernel;
use quarry_node::service::{Node, NodeConfig};
use quarry_node::store::Reader;
use quarry_primitives::dev::DEV_ACCOUNTS;
use quarry_primitives::{Block, Bytes};
use support::*;

fn open(dir: &tempfile::TempDir, builder: &ChainBuilder) -> Chain {
    Chain::open(dir.path(), &builder.genesis, HistoryMode::Archive).expect("chain opens")
}

fn import(chain: &mut Chain, block: &Block) -> Result<Imported, ChainError> {
    chain.import_block(block.clone(), NOW)
}

fn balance(chain: &Chain, address: Address) -> U256 {
    reader_balance(chain.store().latest(), address)
}

fn reader_balance(reader: Reader<'_>, address: Address) -> U256 {
    reader.account(&address).unwrap().map_or(U256::ZERO, |a| a.balance)
}

fn node_balance(node: &Node, address: Address) -> U256 {
    reader_balance(node.view().reader(), address)
}

/// The state root recomputed from a node's flat state, after stopping it (the store is then
/// free to open on its own, once nothing holds a view of it).
fn recompute_after_stop(node: Node, dir: &tempfile::TempDir, b: &ChainBuilder) -> (B256, B256) {
    drop(node);
    let chain = open(dir, b);
    (chain.recompute_state_root().unwrap(), chain.tip().header.state_root)
}

#[test]
fn a_linear_chain_connects_and_pays_subsidy_and_tips() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = ChainBuilder::new();
    let mut chain = open(&dir, &b);
    let to = Address::repeat_byte(0x77);
    let miner = Address::repeat_byte(0x99);
    let tx = transfer(0, to, ether(1), 0);
    let block = b.block_with(&b.genesis_hash(), vec![tx.clone()], miner);
    let imported = import(&mut chain, &block).unwrap();
    assert!(
        matches!(imported, Imported::NewTip { ref disconnected, .. } if disconnected.is_empty())
    );
    assert_eq!(chain.tip().hash, block.header.hash());
    assert_eq!(balance(&chain, to), ether(1));
    // Subsidy plus the 2 gwei tip on 21,000 gas; the base fee is burned.
    assert_eq!(balance(&chain, miner), ether(2) + U256::from(21_000u64 * 2_000_000_000));
    assert_eq!(
        chain.store().latest().tx_location(&tx.hash()).unwrap(),
        Some((block.header.hash(), 0))
    );
    assert_eq!(import(&mut chain, &block).unwrap(), Imported::Duplicate);
}

#[test]
fn the_deeper_branch_wins_and_state_follows_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = ChainBuilder::new();
    let mut chain = open(&dir, &b);
    let genesis = b.genesis_hash();
    let to = Address::repeat_byte(0x55);
    let a1 = b.block_with(&genesis, vec![transfer(1, to, ether(3), 0)], Address::repeat_byte(0xa));
    let a2 = b.block(&a1.header.hash());
    for block in [&a1, &a2] {
        import(&mut chain, block).unwrap();
    }
    assert_eq!(balance(&chain, to), ether(3));
    // A longer branch from genesis without the transfer.
    let branch = b.branch(&genesis, 3, 0xb);
    assert_eq!(import(&mut chain, &branch[0]).unwrap(), Imported::SideChain);
    assert_eq!(
        import(&mut chain, &branch[1]).unwrap(),
        Imported::SideChain,
        "equal work keeps the first"
    );
    assert_eq!(chain.tip().hash, a2.header.hash());
    match import(&mut chain, &branch[2]).unwrap() {
        Imported::NewTip { disconnected, connected } => {
            let blocks = |v: &[std::sync::Arc<quarry_node::engine::CommittedBlock>]| {
                v.iter().map(|c| c.block.clone()).collect::<Vec<_>>()
            };
            assert_eq!(blocks(&disconnected), vec![a2.clone(), a1.clone()]);
            assert_eq!(blocks(&connected), branch);
        }
        other => panic!("expected a reorg, got {other:?}"),
    }
    assert_eq!(balance(&chain, to), U256::ZERO, "the transfer was only on the losing branch");
    assert_eq!(chain.store().latest().tx_location(&a1.transactions[0].hash()).unwrap(), None);
    assert_eq!(chain.tip().header.state_root, b.state(&branch[2].header.hash()).state_root());
    assert_eq!(chain.recompute_state_root().unwrap(), chain.tip().header.state_root);
    // And back: extending the first branch past the second moves the tip again.
    let a3 = b.block(&a2.header.hash());
    let a4 = b.block(&a3.header.hash());
    import(&mut chain, &a3).unwrap();
    assert!(matches!(import(&mut chain, &a4).unwrap(), Imported::NewTip { .. }));
    assert_eq!(balance(&chain, to), ether(3));
    assert_eq!(chain.recompute_state_root().unwrap(), a4.header.state_root);
}

#[test]
fn an_orphan_waits_for_its_parent() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = ChainBuilder::new();
    let mut chain = open(&dir, &b);
    let blocks = b.branch(&b.genesis_hash(), 3, 1);
    assert_eq!(import(&mut chain, &blocks[2]).unwrap(), Imported::Orphan);
    assert_eq!(import(&mut chain, &blocks[1]).unwrap(), Imported::Orphan);
    assert_eq!(chain.orphan_count(), 2);
    let imported = import(&mut chain, &blocks[0]).unwrap();
    assert!(matches!(imported, Imported::NewTip { ref connected, .. } if connected.len() == 3));
    assert_eq!(chain.tip().hash, blocks[2].header.hash());
    assert_eq!(chain.orphan_count(), 0);
}

#[test]
fn a_reopened_chain_has_the_same_tip_and_state() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = ChainBuilder::new();
    let tip = {
        let mut chain = open(&dir, &b);
        let tx = transfer(2, Address::repeat_byte(1), ether(5), 0);
        let block = b.block_with(&b.genesis_hash(), vec![tx], Address::repeat_byte(2));
        import(&mut chain, &block).unwrap();
        chain.tip()
    };
    let chain = open(&dir, &b);
    assert_eq!(chain.tip(), tip);
    assert_eq!(balance(&chain, Address::repeat_byte(1)), ether(5));
}

#[test]
fn a_datadir_cannot_be_opened_twice_or_with_another_genesis() {
    let dir = tempfile::tempdir().unwrap();
    let b = ChainBuilder::new();
    let chain = open(&dir, &b);
    let second = Chain::open(dir.path(), &b.genesis, HistoryMode::Archive);
    assert!(
        matches!(second, Err(ChainError::Store(quarry_node::store::StoreError::Locked(_)))),
        "{second:?}"
    );
    drop(chain);
    let mut other = test_genesis();
    other.config.chain_id = 7;
    other.timestamp += 1;
    let err = Chain::open(dir.path(), &other, HistoryMode::Archive).unwrap_err();
    assert!(matches!(err, ChainError::GenesisMismatch { .. }), "{err}");
}

/// Builds a block on genesis whose header `break_it` changes before sealing, imports it and
/// returns the error.
fn import_broken(
    transactions: Vec<quarry_primitives::SignedTransaction>,
    break_it: impl FnOnce(&mut quarry_primitives::Header),
) -> ChainError {
    let dir = tempfile::tempdir().unwrap();
    let b = ChainBuilder::new();
    let mut chain = open(&dir, &b);
    let (mut header, _) = b.header_for(&b.genesis_hash(), &transactions, Address::repeat_byte(3));
    break_it(&mut header);
    let block = Block { header: seal(header), transactions };
    let err = import(&mut chain, &block).unwrap_err();
    assert_eq!(chain.tip().hash, b.genesis_hash(), "a refused block never becomes the tip");
    err
}

fn header_error(err: ChainError) -> HeaderError {
    match err {
        ChainError::Header { error, .. } => error,
        other => panic!("expected a header error, got {other}"),
    }
}

fn block_error(err: ChainError) -> BlockError {
    match err {
        ChainError::Block { error, .. } => error,
        other => panic!("expected a block error, got {other}"),
    }
}

#[test]
fn each_header_rule_has_its_own_error() {
    let e = header_error(import_broken(vec![], |h| h.bits = 0x2000_ffff));
    assert!(matches!(e, HeaderError::WrongBits { got: 0x2000_ffff, .. }), "{e}");
    let e = header_error(import_broken(vec![], |h| h.number = 5));
    assert!(matches!(e, HeaderError::NumberMismatch { parent: 0, got: 5 }), "{e}");
    let e = header_error(import_broken(vec![], |h| h.timestamp = GENESIS_TIME));
    assert!(matches!(e, HeaderError::TimestampTooOld { .. }), "{e}");
    let e = header_error(import_broken(vec![], |h| h.timestamp = NOW + 16));
    assert!(matches!(e, HeaderError::TimestampInFuture { .. }), "{e}");
    let e = header_error(import_broken(vec![], |h| h.gas_limit += h.gas_limit / 1024));
    assert!(matches!(e, HeaderError::GasLimitOutOfBounds { .. }), "{e}");
    let e = header_error(import_broken(vec![], |h| h.base_fee_per_gas += 1));
    assert!(matches!(e, HeaderError::WrongBaseFee { .. }), "{e}");
    let e = header_error(import_broken(vec![], |h| h.extra_data = Bytes::from(vec![0; 33])));
    assert!(matches!(e, HeaderError::ExtraDataTooLong { len: 33 }), "{e}");
}

#[test]
fn insufficient_proof_of_work_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let b = ChainBuilder::new();
    let mut chain = open(&dir, &b);
    let (mut header, _) = b.header_for(&b.genesis_hash(), &[], Address::ZERO);
    // Find a nonce that does NOT meet the target.
    header.nonce = 0;
    while quarry_consensus::check_pow(&header).is_ok() {
        header.nonce += 1;
    }
    let err =
        header_error(import(&mut chain, &Block { header, transactions: vec![] }).unwrap_err());
    assert!(matches!(err, HeaderError::InsufficientWork { .. }), "{err}");
}

#[test]
fn each_body_and_execution_rule_has_its_own_error() {
    let tx = || transfer(0, Address::repeat_byte(9), ether(1), 0);
    let e = block_error(import_broken(vec![tx()], |h| h.transactions_root = B256::repeat_byte(1)));
    assert!(matches!(e, BlockError::Body(BodyError::TransactionsRoot { .. })), "{e}");
    let e = block_error(import_broken(vec![tx()], |h| h.gas_used += 1));
    assert!(matches!(e, BlockError::GasUsed { computed: 21_000, got: 21_001 }), "{e}");
    let e = block_error(import_broken(vec![tx()], |h| h.receipts_root = B256::repeat_byte(2)));
    assert!(matches!(e, BlockError::ReceiptsRoot { .. }), "{e}");
    let e = block_error(import_broken(vec![tx()], |h| h.logs_bloom = Bloom::repeat_byte(1)));
    assert!(matches!(e, BlockError::LogsBloom { .. }), "{e}");
    let e = block_error(import_broken(vec![tx()], |h| h.state_root = B256::repeat_byte(3)));
    assert!(matches!(e, BlockError::StateRoot { .. }), "{e}");
}

#[test]
fn invalid_transactions_make_the_block_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let b = ChainBuilder::new();
    let mut chain = open(&dir, &b);
    // A transaction for another chain id: a stateless rule.
    let mut wrong_chain = test_genesis();
    wrong_chain.config.chain_id = 1;
    let foreign = {
        let tx = quarry_primitives::Transaction::Legacy(quarry_primitives::transaction::TxLegacy {
            chain_id: Some(1),
            nonce: 0,
            gas_price: U256::from(10_000_000_000u64),
            gas_limit: 21_000,
            to: alloy_primitives::TxKind::Call(Address::ZERO),
            value: U256::ZERO,
            input: Bytes::new(),
        });
        quarry_primitives::SignedTransaction::sign(tx, &key(0))
    };
    let (mut header, _) = b.header_for(&b.genesis_hash(), &[], Address::ZERO);
    header.transactions_root =
        quarry_consensus::body::transactions_root(std::slice::from_ref(&foreign));
    let block = Block { header: seal(header), transactions: vec![foreign] };
    let e = block_error(import(&mut chain, &block).unwrap_err());
    assert!(matches!(e, BlockError::Body(BodyError::Transaction { index: 0, .. })), "{e}");
    // A nonce from the future: the state rule, found when executing.
    let future = transfer(0, Address::ZERO, U256::ZERO, 7);
    let (mut header, _) = b.header_for(&b.genesis_hash(), &[], Address::ZERO);
    header.transactions_root =
        quarry_consensus::body::transactions_root(std::slice::from_ref(&future));
    let block = Block { header: seal(header), transactions: vec![future] };
    let hash = block.header.hash();
    let e = block_error(import(&mut chain, &block).unwrap_err());
    assert!(matches!(e, BlockError::Execution { index: 0, .. }), "{e}");
    assert!(
        chain.invalid_reason(&hash).unwrap().contains("nonce too high"),
        "{:?}",
        chain.invalid_reason(&hash)
    );
    // Its descendants are refused without work.
    let mut child = b.header_for(&b.genesis_hash(), &[], Address::ZERO).0;
    child.parent_hash = hash;
    let err = import(&mut chain, &Block { header: child, transactions: vec![] }).unwrap_err();
    assert!(matches!(err, ChainError::KnownInvalid { .. }), "{err}");
}

#[test]
fn an_oversized_block_is_refused_before_anything_else() {
    let dir = tempfile::tempdir().unwrap();
    let b = ChainBuilder::new();
    let mut chain = open(&dir, &b);
    let big = {
        let tx =
            quarry_primitives::Transaction::Eip1559(quarry_primitives::transaction::TxEip1559 {
                chain_id: CHAIN_ID,
                nonce: 0,
                max_priority_fee_per_gas: U256::ZERO,
                max_fee_per_gas: U256::ZERO,
                gas_limit: 0,
                to: alloy_primitives::TxKind::Call(Address::ZERO),
                value: U256::ZERO,
                input: Bytes::from(vec![0u8; 9 << 20]),
                access_list: vec![],
            });
        quarry_primitives::SignedTransaction::sign(tx, &key(0))
    };
    let (header, _) = b.header_for(&b.genesis_hash(), &[], Address::ZERO);
    let e =
        block_error(import(&mut chain, &Block { header, transactions: vec![big] }).unwrap_err());
    assert!(matches!(e, BlockError::Body(BodyError::TooLarge { .. })), "{e}");
}

fn node(dir: &tempfile::TempDir, b: &ChainBuilder) -> Node {
    Node::start(NodeConfig {
        datadir: dir.path().to_path_buf(),
        genesis: b.genesis.clone(),
        etherbase: Address::repeat_byte(0xee),
        mining_threads: 0,
        kernel: Kernel::Portable,
        extra_data: Bytes::new(),
        history: HistoryMode::Archive,
    })
    .expect("node starts")
}

#[test]
fn transactions_of_a_losing_branch_return_to_the_mempool_and_are_mined_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = ChainBuilder::new();
    let node = node(&dir, &b);
    let genesis = b.genesis_hash();
    let tx = transfer(3, Address::repeat_byte(0x42), ether(7), 0);
    let a1 = b.block_with(&genesis, vec![tx.clone()], Address::repeat_byte(0xa));
    node.import_block(a1).unwrap();
    for block in b.branch(&genesis, 2, 0xb) {
        node.import_block(block).unwrap();
    }
    assert!(node.with_pool(|pool| pool.get(&tx.hash()).is_some()), "re-injected after the reorg");
    // The node's own template picks it up again; seal and import it.
    let work = node.block_template(Address::repeat_byte(0xc)).unwrap();
    assert_eq!(work.transactions, vec![tx.clone()]);
    let block = Block { header: seal(work.header), transactions: work.transactions };
    assert!(matches!(node.import_block(block).unwrap(), Imported::NewTip { .. }));
    assert!(node.view().tx_location(&tx.hash()).unwrap().is_some());
    assert_eq!(node_balance(&node, Address::repeat_byte(0x42)), ether(7));
    assert!(node.with_pool(|pool| pool.is_empty()));
    let (computed, expected) = recompute_after_stop(node, &dir, &b);
    assert_eq!(computed, expected);
}

#[test]
fn a_double_spend_survives_on_one_branch_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = ChainBuilder::new();
    let node = node(&dir, &b);
    let genesis = b.genesis_hash();
    let (alice, bob) = (Address::repeat_byte(0xa1), Address::repeat_byte(0xb0));
    let pay_alice = transfer(0, alice, ether(50), 0);
    let pay_bob = transfer(0, bob, ether(50), 0);
    node.import_block(b.block_with(&genesis, vec![pay_alice.clone()], Address::ZERO)).unwrap();
    let mut parent = genesis;
    for i in 0..2 {
        let txs = if i == 0 { vec![pay_bob.clone()] } else { vec![] };
        let block = b.block_with(&parent, txs, Address::repeat_byte(1));
        parent = block.header.hash();
        node.import_block(block).unwrap();
    }
    assert_eq!(node_balance(&node, bob), ether(50));
    assert_eq!(node_balance(&node, alice), U256::ZERO);
    // The losing spend cannot come back: its nonce is used on the winning branch.
    assert!(node.with_pool(|pool| pool.get(&pay_alice.hash()).is_none()));
}

#[test]
fn a_mining_node_seals_blocks_that_pass_its_own_validation() {
    let dir = tempfile::tempdir().unwrap();
    let b = ChainBuilder::new();
    let node = Node::start(NodeConfig {
        datadir: dir.path().to_path_buf(),
        genesis: b.genesis.clone(),
        etherbase: DEV_ACCOUNTS[5].address,
        mining_threads: 2,
        kernel: Kernel::best(),
        extra_data: Bytes::new(),
        history: HistoryMode::Archive,
    })
    .unwrap();
    let mut events = node.subscribe();
    node.submit_transaction(transfer(0, Address::repeat_byte(0x31), ether(1), 0)).unwrap();
    // Wait (bounded) for the transfer to be mined.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let mined = node_balance(&node, Address::repeat_byte(0x31)) == ether(1);
        if mined {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the transfer was not mined within 60 s");
        let _ = events.blocking_recv();
    }
    node.set_mining(None).unwrap();
    // Events hold views of the chain, and views keep the store open.
    drop(events);
    let (computed, expected) = recompute_after_stop(node, &dir, &b);
    assert_eq!(computed, expected);
}

mod bad_input {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Random bytes never panic the block decoder.
        #[test]
        fn random_bytes_never_panic_the_block_decoder(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
            let _ = Block::decode_exact(&bytes);
        }

        /// A valid block with bytes flipped either fails to decode or is refused (or, if the
        /// flip hit nothing that matters, accepted) with a typed error: never a panic, and the
        /// chain keeps its valid tip.
        #[test]
        fn corrupted_blocks_get_typed_errors(flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6)) {
            let dir = tempfile::tempdir().unwrap();
            let mut b = ChainBuilder::new();
            let mut chain = open(&dir, &b);
            let tx = transfer(0, Address::repeat_byte(5), ether(1), 0);
            let block = b.block_with(&b.genesis_hash(), vec![tx], Address::repeat_byte(6));
            let mut bytes = block.encoded();
            for (index, value) in flips {
                let i = index.index(bytes.len());
                bytes[i] ^= value | 1;
            }
            if let Ok(mutated) = Block::decode_exact(&bytes) {
                match import(&mut chain, &mutated) {
                    Ok(_) => prop_assert_eq!(chain.recompute_state_root().unwrap(), chain.tip().header.state_root),
                    Err(e) => prop_assert!(!e.to_string().is_empty()),
                }
            }
            // The valid block still imports afterwards.
            prop_assert!(import(&mut chain, &block).is_ok());
        }
    }
}

#[test]
fn a_reorg_removes_storage_the_losing_branch_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = ChainBuilder::new();
    let mut chain = open(&dir, &b);
    let genesis = b.genesis_hash();
    // Initcode PUSH1 1 PUSH1 0 SSTORE PUSH1 0 PUSH1 0 RETURN: slot 0 = 1, no code.
    let create = {
        let tx =
            quarry_primitives::Transaction::Eip1559(quarry_primitives::transaction::TxEip1559 {
                chain_id: CHAIN_ID,
                nonce: 0,
                max_priority_fee_per_gas: U256::from(1u64),
                max_fee_per_gas: U256::from(100_000_000_000u64),
                gas_limit: 100_000,
                to: alloy_primitives::TxKind::Create,
                value: U256::ZERO,
                input: Bytes::from(vec![0x60, 1, 0x60, 0, 0x55, 0x60, 0, 0x60, 0, 0xf3]),
                access_list: vec![],
            });
        quarry_primitives::SignedTransaction::sign(tx, &key(2))
    };
    let contract = DEV_ACCOUNTS[2].address.create(0);
    let a1 = b.block_with(&genesis, vec![create], Address::repeat_byte(0xa));
    import(&mut chain, &a1).unwrap();
    let slot = chain.store().latest().storage(&contract, &B256::ZERO).unwrap();
    assert_eq!(slot, U256::from(1), "the creation wrote slot 0");
    for block in b.branch(&genesis, 2, 0xb) {
        import(&mut chain, &block).unwrap();
    }
    assert_eq!(chain.store().latest().storage(&contract, &B256::ZERO).unwrap(), U256::ZERO);
    assert_eq!(chain.store().latest().account(&contract).unwrap(), None);
    assert_eq!(chain.recompute_state_root().unwrap(), chain.tip().header.state_root);
    // And forward again: the slot comes back with the branch that wrote it.
    let a2 = b.block(&a1.header.hash());
    let a3 = b.block(&a2.header.hash());
    import(&mut chain, &a2).unwrap();
    import(&mut chain, &a3).unwrap();
    assert_eq!(chain.store().latest().storage(&contract, &B256::ZERO).unwrap(), U256::from(1));
    assert_eq!(chain.recompute_state_root().unwrap(), a3.header.state_root);
}

#[test]
fn address_indexes_follow_the_canonical_chain() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = ChainBuilder::new();
    let mut chain = open(&dir, &b);
    let genesis = b.genesis_hash();
    let (sender, to) = (DEV_ACCOUNTS[0].address, Address::repeat_byte(0x42));
    let pay = transfer(0, to, ether(1), 0);
    let create = quarry_primitives::SignedTransaction::sign(
        quarry_primitives::Transaction::Eip1559(quarry_primitives::transaction::TxEip1559 {
            chain_id: CHAIN_ID,
            nonce: 1,
            max_priority_fee_per_gas: U256::from(2_000_000_000u64),
            max_fee_per_gas: U256::from(100_000_000_000u64),
            gas_limit: 100_000,
            to: alloy_primitives::TxKind::Create,
            value: U256::ZERO,
            // RETURN(0, 0): a contract with no code.
            input: Bytes::from_static(&[0x60, 0x00, 0x60, 0x00, 0xf3]),
            access_list: Vec::new(),
        }),
        &key(0),
    );
    let contract = sender.create(1);
    let a1 = b.block_with(&genesis, vec![pay.clone(), create.clone()], Address::repeat_byte(0xa));
    import(&mut chain, &a1).unwrap();
    let r = chain.store().latest();
    assert_eq!(r.tx_by_sender_nonce(&sender, 0).unwrap(), Some(pay.hash()));
    assert_eq!(r.tx_by_sender_nonce(&sender, 1).unwrap(), Some(create.hash()));
    assert_eq!(r.contract_creator(&contract).unwrap(), Some((create.hash(), sender)));
    assert_eq!(r.address_txs(&sender, 0, false, 10).unwrap(), vec![(1, 0), (1, 1)]);
    assert_eq!(r.address_txs(&sender, u64::MAX, true, 1).unwrap(), vec![(1, 1)]);
    assert_eq!(r.address_txs(&to, 0, false, 10).unwrap(), vec![(1, 0)]);
    assert_eq!(r.address_txs(&contract, 0, false, 10).unwrap(), vec![(1, 1)]);
    assert_eq!(r.address_txs(&to, 2, false, 10).unwrap(), vec![], "nothing from block 2 on");
    // A heavier branch without them takes every entry away.
    for block in b.branch(&genesis, 2, 0xb) {
        import(&mut chain, &block).unwrap();
    }
    let r = chain.store().latest();
    assert_eq!(r.tx_by_sender_nonce(&sender, 0).unwrap(), None);
    assert_eq!(r.contract_creator(&contract).unwrap(), None);
    assert!(r.address_txs(&sender, 0, false, 10).unwrap().is_empty());
    assert!(r.address_txs(&to, 0, false, 10).unwrap().is_empty());
}
