//! Block execution, sans-IO: the state transition of a whole block through `quarry-vm`
//! (transactions in order, then the block subsidy to the beneficiary), and the checks of the
//! header's commitments against what execution produced (gas used, receipts root, logs bloom,
//! state root). The stateless body rules are `quarry_consensus::body`'s.
//!
//! Rewards: the VM already pays each transaction's priority fee to the beneficiary and burns
//! the base fee (EIP-1559); this module adds the chain spec's `blockSubsidy` after the last
//! transaction. State comes in through [`quarry_vm::Database`], so the node's store, the tests'
//! in-memory state and the lab run the same code.

use std::collections::BTreeMap;

use alloy_primitives::{Address, Bloom, Bytes, B256, U256};
use quarry_consensus::body::receipts_root;
use quarry_consensus::{BodyError, ChainRules};
use quarry_primitives::receipt::logs_bloom;
use quarry_primitives::{Header, Receipt, SignedTransaction};
use quarry_vm::result::{AccountChange, StateChanges};
use quarry_vm::{AccountInfo, BlockEnv, Database, InvalidTransaction, TxEnv};

/// Why a block's body or execution was refused.
#[derive(Debug, thiserror::Error)]
pub enum BlockError {
    /// The body breaks a stateless rule (size, transactions root, a transaction's signature,
    /// chain id or intrinsic gas).
    #[error(transparent)]
    Body(#[from] BodyError),
    /// A transaction cannot be executed in this state (nonce, balance, fee cap, gas left).
    #[error("transaction {index} ({hash}) cannot be included: {error}")]
    Execution {
        /// Position in the block.
        index: usize,
        /// Its hash.
        hash: B256,
        /// geth's words for the reason.
        error: Box<InvalidTransaction>,
    },
    /// The transactions use more gas than the header's limit.
    #[error("transaction {index} needs {needed} gas but only {left} is left in the block")]
    GasLimitReached {
        /// Position in the block.
        index: usize,
        /// The transaction's gas limit.
        needed: u64,
        /// Block gas limit minus the gas used before it.
        left: u64,
    },
    /// `gas_used` is not what execution used.
    #[error("header gas used {got} differs from the executed {computed}")]
    GasUsed {
        /// Sum over the receipts.
        computed: u64,
        /// The header's field.
        got: u64,
    },
    /// `receipts_root` does not commit to the receipts execution produced.
    #[error("receipts root {got} differs from the executed {computed}")]
    ReceiptsRoot {
        /// Root of the computed receipts.
        computed: B256,
        /// The header's field.
        got: B256,
    },
    /// `logs_bloom` is not the union of the receipts' blooms.
    #[error("logs bloom differs from the executed one")]
    LogsBloom {
        /// Bloom of every log.
        computed: Box<Bloom>,
        /// The header's field.
        got: Box<Bloom>,
    },
    /// `state_root` is not the root after execution.
    #[error("state root {got} differs from the executed {computed}")]
    StateRoot {
        /// Root after applying the block.
        computed: B256,
        /// The header's field.
        got: B256,
    },
    /// Reading state failed (a disk error); the block is neither valid nor invalid.
    #[error("state read failed: {0}")]
    Database(String),
}

impl BlockError {
    /// `true` when the block itself is at fault (as opposed to a local read failure), so a
    /// node may mark it invalid and penalise whoever sent it.
    pub fn is_consensus_failure(&self) -> bool {
        !matches!(self, BlockError::Database(_))
    }

    /// `true` when the body does not belong to its header ([`BodyError::is_body_mismatch`]):
    /// the message is bad, the block hash may still name a valid block.
    pub fn is_body_mismatch(&self) -> bool {
        matches!(self, BlockError::Body(error) if error.is_body_mismatch())
    }
}

/// The VM's view of the block `header` opens.
pub fn block_env(rules: &ChainRules, header: &Header) -> BlockEnv {
    BlockEnv {
        number: header.number,
        coinbase: header.beneficiary,
        timestamp: header.timestamp,
        gas_limit: header.gas_limit,
        base_fee: U256::from(header.base_fee_per_gas),
        // Opcode 0x44 reads the parent's proof-of-work hash (docs/architecture.md).
        prevrandao: header.parent_hash,
        excess_blob_gas: 0,
        chain_id: rules.chain_id,
    }
}

/// What executing a block produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockOutcome {
    /// One receipt per transaction, in order.
    pub receipts: Vec<Receipt>,
    /// Gas used by all transactions.
    pub gas_used: u64,
    /// Union of the receipts' blooms.
    pub logs_bloom: Bloom,
    /// Every account the block changed, with its final state (transactions merged, subsidy
    /// included).
    pub changes: StateChanges,
    /// Per transaction: the contract it created, if any (for receipts over RPC).
    pub contract_addresses: Vec<Option<Address>>,
    /// Per transaction: its sender.
    pub senders: Vec<Address>,
}

/// Folds a later change of one account into an earlier one.
pub fn merge_change(into: &mut AccountChange, later: AccountChange) {
    into.info = later.info;
    if later.code.is_some() {
        into.code = later.code;
    }
    if later.storage_cleared {
        into.storage_cleared = true;
        into.storage = later.storage;
    } else {
        into.storage.extend(later.storage);
    }
}

/// `base` seen through the changes of the transactions executed so far in the block.
pub struct Overlay<'a, D> {
    base: &'a mut D,
    changes: &'a StateChanges,
    codes: &'a BTreeMap<B256, Bytes>,
}

impl<'a, D: Database> Overlay<'a, D> {
    /// `base` with `changes` applied on top; `codes` holds code deployed by those changes.
    pub fn new(
        base: &'a mut D,
        changes: &'a StateChanges,
        codes: &'a BTreeMap<B256, Bytes>,
    ) -> Self {
        Overlay { base, changes, codes }
    }
}

impl<D: Database> Database for Overlay<'_, D> {
    type Error = D::Error;

    fn account(&mut self, address: Address) -> Result<Option<AccountInfo>, D::Error> {
        match self.changes.accounts.get(&address) {
            Some(change) => Ok(change.info.clone()),
            None => self.base.account(address),
        }
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytes, D::Error> {
        match self.codes.get(&code_hash) {
            Some(code) => Ok(code.clone()),
            None => self.base.code_by_hash(code_hash),
        }
    }

    fn storage(&mut self, address: Address, slot: U256) -> Result<U256, D::Error> {
        match self.changes.accounts.get(&address) {
            Some(change) => match change.storage.get(&slot) {
                Some(value) => Ok(*value),
                None if change.storage_cleared || change.info.is_none() => Ok(U256::ZERO),
                None => self.base.storage(address, slot),
            },
            None => self.base.storage(address, slot),
        }
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, D::Error> {
        self.base.block_hash(number)
    }

    fn has_storage(&mut self, address: Address) -> Result<bool, D::Error> {
        match self.changes.accounts.get(&address) {
            Some(change) if change.storage.values().any(|v| !v.is_zero()) => Ok(true),
            Some(change) if change.storage_cleared || change.info.is_none() => Ok(false),
            _ => self.base.has_storage(address),
        }
    }
}

/// Executes a block one transaction at a time: the node's import path runs every transaction
/// of a received block; the block template offers candidates and keeps those that fit.
pub struct BlockExecutor {
    env: BlockEnv,
    gas_limit: u64,
    outcome: BlockOutcome,
    codes: BTreeMap<B256, Bytes>,
    cache: quarry_vm::CodeCache,
}

impl BlockExecutor {
    /// An executor for the block `header` opens (its gas limit, beneficiary, base fee, …).
    pub fn new(rules: &ChainRules, header: &Header) -> Self {
        BlockExecutor {
            env: block_env(rules, header),
            gas_limit: header.gas_limit,
            outcome: BlockOutcome::default(),
            codes: BTreeMap::new(),
            cache: quarry_vm::CodeCache::new(),
        }
    }

    /// `db` seen through the transactions applied so far: the state the next transaction
    /// runs on (what a tracer replays a transaction on).
    pub fn state<'a, D: Database>(&'a self, db: &'a mut D) -> Overlay<'a, D> {
        Overlay::new(db, &self.outcome.changes, &self.codes)
    }

    /// The environment of the block being executed.
    pub fn env(&self) -> &BlockEnv {
        &self.env
    }

    /// Gas still available in the block.
    pub fn gas_left(&self) -> u64 {
        self.gas_limit - self.outcome.gas_used
    }

    /// Transactions applied so far.
    pub fn len(&self) -> usize {
        self.outcome.receipts.len()
    }

    /// `true` before the first transaction.
    pub fn is_empty(&self) -> bool {
        self.outcome.receipts.is_empty()
    }

    /// Executes `tx` (sent by `sender`) on top of `db` and the transactions applied so far.
    /// On error nothing changes, so a template can skip the transaction.
    ///
    /// # Errors
    /// [`BlockError::GasLimitReached`], [`BlockError::Execution`] (with `index` = its position
    /// if it were included) or [`BlockError::Database`].
    pub fn apply<D: Database>(
        &mut self,
        db: &mut D,
        tx: &SignedTransaction,
        sender: Address,
    ) -> Result<(), BlockError> {
        let index = self.len();
        let needed = tx.transaction().gas_limit();
        if needed > self.gas_left() {
            return Err(BlockError::GasLimitReached { index, needed, left: self.gas_left() });
        }
        let tx_env = TxEnv::from_transaction(tx.transaction(), sender);
        let mut overlay = Overlay::new(db, &self.outcome.changes, &self.codes);
        let result =
            quarry_vm::transact_with(&mut overlay, &self.env, &tx_env, &mut self.cache, None)
                .map_err(|error| match error {
                    quarry_vm::result::TransactError::Invalid(error) => {
                        BlockError::Execution { index, hash: tx.hash(), error: Box::new(error) }
                    }
                    quarry_vm::result::TransactError::Database(e) => {
                        BlockError::Database(e.to_string())
                    }
                })?;
        let outcome = &mut self.outcome;
        outcome.gas_used += result.gas_used;
        for (address, change) in result.state.accounts {
            if let (Some(code), Some(info)) = (&change.code, &change.info) {
                self.codes.insert(info.code_hash, code.clone());
            }
            match outcome.changes.accounts.get_mut(&address) {
                Some(existing) => merge_change(existing, change),
                None => {
                    outcome.changes.accounts.insert(address, change);
                }
            }
        }
        let success = result.status == quarry_vm::result::Status::Success;
        outcome.receipts.push(Receipt::new(
            tx.transaction().tx_type(),
            success,
            outcome.gas_used,
            result.logs,
        ));
        outcome.contract_addresses.push(result.contract_address);
        outcome.senders.push(sender);
        Ok(())
    }

    /// Pays the block subsidy to `beneficiary` and returns the block's outcome.
    ///
    /// # Errors
    /// [`BlockError::Database`].
    pub fn finish<D: Database>(
        mut self,
        db: &mut D,
        rules: &ChainRules,
    ) -> Result<BlockOutcome, BlockError> {
        pay_subsidy(db, rules, self.env.coinbase, &mut self.outcome, &self.codes)?;
        self.outcome.logs_bloom = logs_bloom(self.outcome.receipts.iter().flat_map(|r| &r.logs));
        Ok(self.outcome)
    }
}

/// Executes `transactions` (sent by `senders`, recovered by `quarry_consensus::body::check_transaction`) on top of `db` as block
/// `header` says, then pays `rules.block_subsidy` to the beneficiary. Does not check the
/// header's commitments; see [`check_outcome`].
///
/// # Errors
/// [`BlockError::GasLimitReached`], [`BlockError::Execution`] or [`BlockError::Database`].
pub fn execute_block<D: Database>(
    db: &mut D,
    rules: &ChainRules,
    header: &Header,
    transactions: &[SignedTransaction],
    senders: &[Address],
) -> Result<BlockOutcome, BlockError> {
    let mut executor = BlockExecutor::new(rules, header);
    for (tx, &sender) in transactions.iter().zip(senders) {
        executor.apply(db, tx, sender)?;
    }
    executor.finish(db, rules)
}

fn pay_subsidy<D: Database>(
    db: &mut D,
    rules: &ChainRules,
    beneficiary: Address,
    outcome: &mut BlockOutcome,
    codes: &BTreeMap<B256, Bytes>,
) -> Result<(), BlockError> {
    if rules.block_subsidy.is_zero() {
        return Ok(());
    }
    let mut overlay = Overlay::new(db, &outcome.changes, codes);
    let mut info = overlay
        .account(beneficiary)
        .map_err(|e| BlockError::Database(e.to_string()))?
        .unwrap_or_default();
    info.balance = info.balance.saturating_add(rules.block_subsidy);
    let change = outcome.changes.accounts.entry(beneficiary).or_default();
    change.info = Some(info);
    Ok(())
}

/// Checks the header's commitments against `outcome` and the post-state root `state_root`.
///
/// # Errors
/// The first mismatch: [`BlockError::GasUsed`], [`BlockError::ReceiptsRoot`],
/// [`BlockError::LogsBloom`] or [`BlockError::StateRoot`].
pub fn check_outcome(
    header: &Header,
    outcome: &BlockOutcome,
    state_root: B256,
) -> Result<(), BlockError> {
    if outcome.gas_used != header.gas_used {
        return Err(BlockError::GasUsed { computed: outcome.gas_used, got: header.gas_used });
    }
    let computed = receipts_root(&outcome.receipts);
    if computed != header.receipts_root {
        return Err(BlockError::ReceiptsRoot { computed, got: header.receipts_root });
    }
    if outcome.logs_bloom != header.logs_bloom {
        return Err(BlockError::LogsBloom {
            computed: Box::new(outcome.logs_bloom),
            got: Box::new(header.logs_bloom),
        });
    }
    if state_root != header.state_root {
        return Err(BlockError::StateRoot { computed: state_root, got: header.state_root });
    }
    Ok(())
}

/// Checks a block body against its header and every transaction's stateless rules, and
/// returns each transaction's sender (recovered once here, reused by execution).
///
/// # Errors
/// [`BlockError::Body`].
pub fn validate_body(
    rules: &ChainRules,
    header: &Header,
    transactions: &[SignedTransaction],
) -> Result<Vec<Address>, BlockError> {
    quarry_consensus::body::check_transactions_root(header, transactions)?;
    let senders = transactions
        .iter()
        .enumerate()
        .map(|(index, tx)| quarry_consensus::body::check_transaction(rules, index, tx))
        .collect::<Result<_, _>>()?;
    Ok(senders)
}
