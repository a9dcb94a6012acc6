//! [`Context`]: the [`Host`] behind every frame of one transaction — the database, the
//! journal, the environment and the cache of analysed code.

use std::sync::{Arc, LazyLock};

use alloy_primitives::map::B256Map;
use alloy_primitives::{Address, Bytes, B256, U256};

use crate::database::{Database, KECCAK_EMPTY};
use crate::env::{BlockEnv, TxEnv};
use crate::interpreter::{AnalyzedCode, Host, SelfDestructResult};
use crate::journal::{Journal, SStoreResult};
use crate::result::Log;

/// Everything a transaction's frames share.
pub struct Context<'a, DB: Database> {
    /// State reads.
    pub db: &'a mut DB,
    /// Changes made so far.
    pub journal: Journal,
    /// The block.
    pub block: &'a BlockEnv,
    /// The transaction.
    pub tx: &'a TxEnv,
    /// Effective gas price (GASPRICE).
    pub gas_price: U256,
    /// First database error met; execution stops when set.
    pub error: Option<DB::Error>,
    /// The beneficiary and the wei moved by the last SELFDESTRUCT, until the frame that ran it
    /// returns; tracers report it as a frame (see [`crate::FrameKind::SelfDestruct`]).
    pub selfdestructed: Option<(Address, U256)>,
    /// Jump-destination analysis per code hash.
    analyses: &'a mut CodeCache,
}

/// Analysed code (padded bytes and JUMPDEST bitmap) by code hash. Code never changes for a
/// given hash, so one cache can serve many transactions; it forgets everything once it holds
/// [`CodeCache::CAPACITY`] entries, to bound memory.
#[derive(Clone, Debug, Default)]
pub struct CodeCache {
    map: B256Map<Arc<AnalyzedCode>>,
}

impl CodeCache {
    /// Most entries kept before the cache is cleared.
    pub const CAPACITY: usize = 4096;

    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of cached analyses.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// `true` when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    fn get(&self, hash: &B256) -> Option<Arc<AnalyzedCode>> {
        self.map.get(hash).cloned()
    }

    fn insert(&mut self, hash: B256, code: Arc<AnalyzedCode>) {
        if self.map.len() >= Self::CAPACITY {
            self.map.clear();
        }
        self.map.insert(hash, code);
    }
}

impl<'a, DB: Database> Context<'a, DB> {
    /// A context for executing `tx` in `block` over `db`, reusing analyses from `cache`.
    pub fn new(
        db: &'a mut DB,
        block: &'a BlockEnv,
        tx: &'a TxEnv,
        cache: &'a mut CodeCache,
    ) -> Self {
        let gas_price = tx.effective_gas_price(block.base_fee);
        Self {
            db,
            journal: Journal::new(),
            block,
            tx,
            gas_price,
            error: None,
            selfdestructed: None,
            analyses: cache,
        }
    }

    /// Turns a database result into an `Option`, keeping the first error.
    pub fn ok<T>(&mut self, r: Result<T, DB::Error>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                if self.error.is_none() {
                    self.error = Some(e);
                }
                None
            }
        }
    }

    /// The analysed code of `address` (cached by code hash; no code is one shared analysis).
    pub fn analyzed_code(&mut self, address: Address) -> Option<Arc<AnalyzedCode>> {
        static NO_CODE: LazyLock<Arc<AnalyzedCode>> =
            LazyLock::new(|| Arc::new(AnalyzedCode::new(&[])));
        let r = self.journal.account(self.db, address).map(|a| a.info.code_hash);
        let hash = self.ok(r)?;
        if is_empty_code_hash(hash) {
            return Some(Arc::clone(&NO_CODE));
        }
        if let Some(a) = self.analyses.get(&hash) {
            return Some(a);
        }
        let r = self.journal.code(self.db, address);
        let code = self.ok(r)?;
        let analysed = Arc::new(AnalyzedCode::new(&code));
        self.analyses.insert(hash, analysed.clone());
        Some(analysed)
    }
}

impl<DB: Database> Host for Context<'_, DB> {
    fn block(&self) -> &BlockEnv {
        self.block
    }

    fn tx(&self) -> &TxEnv {
        self.tx
    }

    fn effective_gas_price(&self) -> U256 {
        self.gas_price
    }

    fn balance(&mut self, address: Address) -> Option<(U256, bool)> {
        let r =
            self.journal.access_account(self.db, address).map(|(a, cold)| (a.info.balance, cold));
        self.ok(r)
    }

    fn code(&mut self, address: Address) -> Option<(Bytes, bool)> {
        let r = self.journal.access_account(self.db, address).map(|(_, cold)| cold);
        let cold = self.ok(r)?;
        let r = self.journal.code(self.db, address);
        Some((self.ok(r)?, cold))
    }

    fn code_hash(&mut self, address: Address) -> Option<(B256, bool)> {
        let r = self.journal.access_account(self.db, address).map(|(a, cold)| {
            let hash = if a.is_empty() { B256::ZERO } else { a.info.code_hash };
            (hash, cold)
        });
        self.ok(r)
    }

    fn block_hash(&mut self, number: U256) -> Option<B256> {
        let current = self.block.number;
        let Ok(n) = u64::try_from(number) else { return Some(B256::ZERO) };
        if n >= current || current - n > 256 {
            return Some(B256::ZERO);
        }
        let r = self.db.block_hash(n);
        self.ok(r)
    }

    fn sload(&mut self, address: Address, slot: U256) -> Option<(U256, bool)> {
        let r = self.journal.sload(self.db, address, slot);
        self.ok(r)
    }

    fn sstore(&mut self, address: Address, slot: U256, value: U256) -> Option<SStoreResult> {
        let r = self.journal.sstore(self.db, address, slot, value);
        self.ok(r)
    }

    fn tload(&mut self, address: Address, slot: U256) -> U256 {
        self.journal.tload(address, slot)
    }

    fn tstore(&mut self, address: Address, slot: U256, value: U256) {
        self.journal.tstore(address, slot, value)
    }

    fn log(&mut self, log: Log) {
        self.journal.log(log)
    }

    fn selfdestruct(&mut self, address: Address, target: Address) -> Option<SelfDestructResult> {
        let r = self.journal.access_account(self.db, target).map(|(a, cold)| (a.is_empty(), cold));
        let (target_dead, target_cold) = self.ok(r)?;
        let r = self.journal.account(self.db, address).map(|a| (a.info.balance, a.created));
        let (balance, created) = self.ok(r)?;
        if created {
            // EIP-6780: the account goes away at the end of the transaction, its balance with
            // the beneficiary (burned when the beneficiary is itself).
            let r = self.journal.set_balance(self.db, address, U256::ZERO);
            self.ok(r)?;
            if target != address {
                let r = self.add_balance(target, balance);
                self.ok(r)?;
            }
            self.journal.mark_destroyed(address);
        } else if target != address {
            let r = self.journal.transfer(self.db, address, target, balance);
            self.ok(r)?;
        } else {
            let r = self.journal.touch(self.db, address);
            self.ok(r)?;
        }
        self.selfdestructed = Some((target, balance));
        Some(SelfDestructResult { had_value: !balance.is_zero(), target_dead, target_cold })
    }

    fn access_account(&mut self, address: Address) -> Option<(bool, bool)> {
        let r = self.journal.access_account(self.db, address).map(|(a, cold)| (cold, a.is_empty()));
        self.ok(r)
    }
}

impl<DB: Database> Context<'_, DB> {
    /// Adds `value` wei to `address` (touching it).
    pub fn add_balance(&mut self, address: Address, value: U256) -> Result<(), DB::Error> {
        let balance = self.journal.account(self.db, address)?.info.balance;
        self.journal.set_balance(self.db, address, balance.saturating_add(value))
    }
}

/// `true` if `hash` is the hash of no code (empty or the zero placeholder).
pub fn is_empty_code_hash(hash: B256) -> bool {
    hash == KECCAK_EMPTY || hash == B256::ZERO
}
