//! A chain builder for tests: makes valid blocks on any parent (so forks on demand), each
//! executed against its own in-memory state ([`MemDb`]) and committed with a state root
//! computed by full rehash — independent of the node's incremental tries, which the imports
//! then check.

#![allow(dead_code)]

use std::collections::HashMap;

use alloy_primitives::{Address, Bytes, B256, U256};
use quarry_consensus::body::{receipts_root, transactions_root};
use quarry_consensus::ChainRules;
use quarry_consensus::{check_pow, next_base_fee};
use quarry_node::execution::block::execute_block;
use quarry_node::execution::genesis::genesis_block;
use quarry_primitives::crypto::SecretKey;
use quarry_primitives::dev::DEV_ACCOUNTS;
use quarry_primitives::genesis::{ChainConfig, Genesis, GenesisAccount, PowParams};
use quarry_primitives::transaction::{Transaction, TxEip1559};
use quarry_primitives::{Block, Header, SignedTransaction};
use quarry_vm::statetest::MemDb;

/// Chain id of test chains.
pub const CHAIN_ID: u64 = 1337;
/// Genesis timestamp of test chains.
pub const GENESIS_TIME: u64 = 1_700_000_000;
/// Seconds between built blocks (the target block time, so ASERT keeps the target).
pub const BLOCK_TIME: u64 = 10;
/// A clock far enough ahead that no built block is "in the future".
pub const NOW: u64 = GENESIS_TIME + 10_000_000;

/// One ether in wei.
pub fn ether(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

/// A test chain spec: regtest-easy target (one hash in two), the first four dev accounts funded
/// with 100 ether, a 2-ether subsidy.
pub fn test_genesis() -> Genesis {
    let alloc = DEV_ACCOUNTS[..4]
        .iter()
        .map(|a| (a.address, GenesisAccount { balance: ether(100), ..GenesisAccount::default() }))
        .collect();
    Genesis {
        config: ChainConfig {
            chain_id: CHAIN_ID,
            quarry: PowParams {
                initial_bits: 0x207f_ffff,
                target_block_time: BLOCK_TIME,
                asert_half_life: 3600,
                block_subsidy: ether(2),
                pow_limit_bits: None,
                allow_unprotected_txs: false,
            },
        },
        gas_limit: 30_000_000,
        base_fee_per_gas: 1_000_000_000,
        timestamp: GENESIS_TIME,
        extra_data: Bytes::new(),
        coinbase: Address::ZERO,
        alloc,
    }
}

/// The dev key `i`.
pub fn key(i: usize) -> SecretKey {
    SecretKey::from_bytes(&DEV_ACCOUNTS[i].secret).expect("dev key")
}

/// A signed EIP-1559 transfer of `value` wei from dev account `from` with `nonce`.
pub fn transfer(from: usize, to: Address, value: U256, nonce: u64) -> SignedTransaction {
    let tx = Transaction::Eip1559(TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        max_priority_fee_per_gas: U256::from(2_000_000_000u64),
        max_fee_per_gas: U256::from(100_000_000_000u64),
        gas_limit: 21_000,
        to: alloy_primitives::TxKind::Call(to),
        value,
        input: Bytes::new(),
        access_list: Vec::new(),
    });
    SignedTransaction::sign(tx, &key(from))
}

/// Searches nonces until `header` meets its target.
pub fn seal(mut header: Header) -> Header {
    header.nonce = 0;
    while check_pow(&header).is_err() {
        header.nonce += 1;
    }
    header
}

/// Builds valid blocks on any known parent.
pub struct ChainBuilder {
    pub genesis: Genesis,
    pub rules: ChainRules,
    pub genesis_header: Header,
    headers: HashMap<B256, Header>,
    states: HashMap<B256, MemDb>,
}

impl ChainBuilder {
    /// A builder for [`test_genesis`].
    pub fn new() -> Self {
        Self::with_genesis(test_genesis())
    }

    /// A builder for `genesis`.
    pub fn with_genesis(genesis: Genesis) -> Self {
        let rules = ChainRules::from_genesis(&genesis).expect("valid genesis");
        let (header, changes) = genesis_block(&genesis);
        let mut state = MemDb::new();
        state.commit(&changes);
        for (address, change) in &changes.accounts {
            if let Some(code) = &change.code {
                state.codes.insert(change.info.as_ref().unwrap().code_hash, code.clone());
            }
            let _ = address;
        }
        assert_eq!(state.state_root(), header.state_root);
        let hash = header.hash();
        ChainBuilder {
            genesis,
            rules,
            genesis_header: header.clone(),
            headers: HashMap::from([(hash, header)]),
            states: HashMap::from([(hash, state)]),
        }
    }

    /// The genesis hash.
    pub fn genesis_hash(&self) -> B256 {
        self.genesis_header.hash()
    }

    /// The state after block `hash`.
    pub fn state(&self, hash: &B256) -> &MemDb {
        &self.states[hash]
    }

    /// An unsealed, fully committed header for `transactions` on `parent` with `beneficiary`
    /// (before sealing, so a test can break one field and then seal).
    pub fn header_for(
        &self,
        parent: &B256,
        transactions: &[SignedTransaction],
        beneficiary: Address,
    ) -> (Header, MemDb) {
        let parent = &self.headers[parent];
        let mut header = Header {
            parent_hash: parent.hash(),
            beneficiary,
            number: parent.number + 1,
            gas_limit: parent.gas_limit,
            timestamp: parent.timestamp + BLOCK_TIME,
            extra_data: Bytes::new(),
            base_fee_per_gas: next_base_fee(parent),
            bits: self.rules.next_bits(parent),
            ..Header::default()
        };
        let mut state = self.states[&parent.hash()].clone();
        let senders: Vec<Address> =
            transactions.iter().map(|tx| tx.recover_sender().expect("signed")).collect();
        let outcome = execute_block(&mut state, &self.rules, &header, transactions, &senders)
            .expect("builder transactions are valid");
        for change in outcome.changes.accounts.values() {
            if let (Some(code), Some(info)) = (&change.code, &change.info) {
                state.codes.insert(info.code_hash, code.clone());
            }
        }
        state.commit(&outcome.changes);
        header.state_root = state.state_root();
        header.transactions_root = transactions_root(transactions);
        header.receipts_root = receipts_root(&outcome.receipts);
        header.logs_bloom = outcome.logs_bloom;
        header.gas_used = outcome.gas_used;
        (header, state)
    }

    /// Seals and records `header` (with `state` as its post-state) and returns the block.
    pub fn finish(
        &mut self,
        header: Header,
        state: MemDb,
        transactions: Vec<SignedTransaction>,
    ) -> Block {
        let header = seal(header);
        let hash = header.hash();
        self.headers.insert(hash, header.clone());
        self.states.insert(hash, state);
        Block { header, transactions }
    }

    /// A valid block on `parent` with `transactions`, mined by `beneficiary`.
    pub fn block_with(
        &mut self,
        parent: &B256,
        transactions: Vec<SignedTransaction>,
        beneficiary: Address,
    ) -> Block {
        let (header, state) = self.header_for(parent, &transactions, beneficiary);
        self.finish(header, state, transactions)
    }

    /// A valid empty block on `parent`.
    pub fn block(&mut self, parent: &B256) -> Block {
        self.block_with(parent, Vec::new(), Address::repeat_byte(0xbe))
    }

    /// `n` empty blocks on `parent`, each with a distinct beneficiary tag so that branches
    /// never share hashes.
    pub fn branch(&mut self, parent: &B256, n: usize, tag: u8) -> Vec<Block> {
        let mut blocks = Vec::new();
        let mut parent = *parent;
        for _ in 0..n {
            let block = self.block_with(&parent, Vec::new(), Address::repeat_byte(tag));
            parent = block.header.hash();
            blocks.push(block);
        }
        blocks
    }
}
