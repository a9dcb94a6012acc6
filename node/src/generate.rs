//! Chain generation for tests and benchmarks: a dev chain of any length, built in seconds
//! instead of mined in real time, through the node's own template, sealing and import path.
//!
//! The trick is the schedule, not a shortcut in the rules: the genesis is dated
//! `blocks × target_block_time` seconds in the past with the easiest target the spec allows
//! (`bits = powLimit`, about two hashes per block), and each block is stamped exactly one
//! target interval after its parent. ASERT (anchored at genesis) then sees a chain exactly on
//! schedule and keeps the target at the limit, and every timestamp is in the past, so each
//! block passes `validate_header` unchanged when a peer later syncs it.

use std::path::Path;
use std::time::Instant;

use alloy_primitives::{Address, Bytes, TxKind, U256};
use quarry_primitives::crypto::SecretKey;
use quarry_primitives::dev::DEV_ACCOUNTS;
use quarry_primitives::genesis::Genesis;
use quarry_primitives::transaction::{Transaction, TxEip1559};
use quarry_primitives::{Block, SignedTransaction};
use serde::Serialize;

use crate::dev::dev_genesis;
use crate::engine::{ChainError, HistoryMode};
use crate::miner::template::TemplateError;
use crate::miner::Kernel;
use crate::service::{unix_now, Node, NodeConfig, NodeError, SubmitError};
use quarry_consensus::check_pow;

/// What [`generate_chain`] built.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Generated {
    /// Blocks after genesis.
    pub blocks: u64,
    /// Transactions in them.
    pub transactions: u64,
    /// Sum of the blocks' RLP encodings in bytes.
    pub bytes: u64,
    /// Hash of the last block.
    pub tip: alloy_primitives::B256,
    /// Wall-clock seconds the generation took.
    pub seconds: f64,
}

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// The node could not start in the datadir.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// A template could not be built or a block was refused (a bug: report it).
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// A block template could not be built.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// A generated transaction was refused by the pool (a bug: report it).
    #[error(transparent)]
    Submit(#[from] SubmitError),
}

/// The genesis [`generate_chain`] builds on for `blocks` blocks starting now: the dev chain
/// (chain id 1337, dev accounts funded) at the easiest target, dated so that `blocks` blocks
/// on schedule end about a minute before now.
pub fn generated_genesis(blocks: u64) -> Genesis {
    let mut genesis = dev_genesis(0);
    let spacing = genesis.config.quarry.target_block_time;
    genesis.timestamp = unix_now().saturating_sub(blocks * spacing + 60);
    genesis.config.quarry.initial_bits =
        genesis.config.quarry.pow_limit_bits.unwrap_or(genesis.config.quarry.initial_bits);
    genesis
}

/// Who receives a generated chain's transfers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Recipients {
    /// The dev accounts themselves (the state stays at ten accounts).
    #[default]
    DevAccounts,
    /// A new address for every transfer (the state grows by one account per transfer: a
    /// large state for start-up and trie benchmarks).
    Fresh,
}

/// Builds `blocks` blocks on the chain in `datadir` (which must hold `genesis`, normally
/// [`generated_genesis`]), each carrying `txs_per_block` transfers from the dev accounts to
/// `recipients` (at most what fits the gas limit). `progress` is called after each block with
/// its number.
///
/// # Errors
/// [`GenerateError`].
pub fn generate_chain(
    datadir: &Path,
    genesis: Genesis,
    blocks: u64,
    txs_per_block: usize,
    recipients: Recipients,
    mut progress: impl FnMut(u64),
) -> Result<Generated, GenerateError> {
    let started = Instant::now();
    let spacing = genesis.config.quarry.target_block_time;
    let chain_id = genesis.config.chain_id;
    let node = Node::start(NodeConfig {
        datadir: datadir.to_path_buf(),
        genesis,
        etherbase: DEV_ACCOUNTS[0].address,
        mining_threads: 0,
        kernel: Kernel::Portable,
        extra_data: Bytes::from_static(b"quarry generate"),
        history: HistoryMode::Archive,
    })?;
    let keys: Vec<SecretKey> = DEV_ACCOUNTS
        .iter()
        .map(|a| SecretKey::from_bytes(&a.secret).expect("dev keys are valid"))
        .collect();
    let mut nonces = vec![0u64; keys.len()];
    let mut report =
        Generated { blocks: 0, transactions: 0, bytes: 0, tip: node.tip().hash, seconds: 0.0 };
    for i in 0..blocks {
        for t in 0..txs_per_block {
            let from = t % keys.len();
            let to = match recipients {
                Recipients::DevAccounts => DEV_ACCOUNTS[(from + 1) % keys.len()].address,
                // 0x…01 00 00 … onwards: clear of precompiles and of every dev account.
                Recipients::Fresh => Address::left_padding_from(
                    &(i * txs_per_block as u64 + t as u64 + (1 << 40)).to_be_bytes(),
                ),
            };
            let tx = transfer(chain_id, &keys[from], to, nonces[from], i);
            nonces[from] += 1;
            node.submit_transaction(tx)?;
        }
        let parent = node.tip();
        let template =
            node.block_template_at(DEV_ACCOUNTS[0].address, parent.header.timestamp + spacing)?;
        let mut header = template.header.clone();
        while check_pow(&header).is_err() {
            header.nonce += 1;
        }
        let block = Block { header, transactions: template.transactions.clone() };
        report.transactions += block.transactions.len() as u64;
        report.bytes += block.encoded().len() as u64;
        report.tip = block.header.hash();
        // The template is executed already: the engine checks its roots, not its execution.
        node.import_sealed_template(&template, block.header)?;
        report.blocks += 1;
        progress(i + 1);
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

fn transfer(
    chain_id: u64,
    key: &SecretKey,
    to: Address,
    nonce: u64,
    salt: u64,
) -> SignedTransaction {
    let tx = Transaction::Eip1559(TxEip1559 {
        chain_id,
        nonce,
        max_priority_fee_per_gas: U256::from(1_000_000_000u64),
        max_fee_per_gas: U256::from(1_000_000_000_000u64),
        gas_limit: 21_000,
        to: TxKind::Call(to),
        // Vary the value so every transfer is a distinct transaction.
        value: U256::from(1 + salt),
        input: Bytes::new(),
        access_list: Vec::new(),
    });
    SignedTransaction::sign(tx, key)
}
