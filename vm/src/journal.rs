//! The journaled state: accounts and storage loaded from the [`Database`] during one
//! transaction, every change recorded so a failed frame can be undone.
//!
//! Habit taken from geth's `journal.go` and revm's `JournaledState`: each mutation pushes an
//! [`Entry`] holding the previous value; [`Journal::checkpoint`] remembers the journal length and
//! [`Journal::revert`] pops entries back to it. Warm sets (EIP-2929), transient storage
//! (EIP-1153), logs, touches (EIP-161), creations and self-destructs (EIP-6780) are journaled
//! too, so a reverted frame leaves no trace.

use std::collections::BTreeMap;

use alloy_primitives::map::{AddressMap, Entry as MapEntry, HashMap, U256Map};
use alloy_primitives::{Address, Bytes, B256, U256};

use crate::database::{AccountInfo, Database, KECCAK_EMPTY};
use crate::precompiles::is_precompile;
use crate::result::{AccountChange, Log, StateChanges};

/// One storage slot as seen in this transaction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Slot {
    /// Value at the start of the transaction (EIP-2200 "original value").
    pub original: U256,
    /// Current value.
    pub present: U256,
    /// Accessed in this transaction (EIP-2929).
    pub warm: bool,
}

/// One account as seen in this transaction.
#[derive(Clone, Debug, Default)]
pub struct Account {
    /// Balance, nonce and code hash, current.
    pub info: AccountInfo,
    /// The code, once loaded (empty for [`KECCAK_EMPTY`]).
    pub code: Option<Bytes>,
    /// Slots read or written so far.
    pub storage: U256Map<Slot>,
    /// Accessed in this transaction (EIP-2929).
    pub warm: bool,
    /// Touched in the EIP-161 sense (a candidate for empty-account clearing).
    pub touched: bool,
    /// Created in this transaction (EIP-6780 lets only such accounts self-destruct).
    pub created: bool,
    /// Pre-transaction storage is void: reads return zero without asking the database.
    pub storage_cleared: bool,
    /// SELFDESTRUCT ran on it in the transaction that created it: deleted at the end.
    pub destroyed: bool,
    /// Code was deployed in this transaction.
    pub code_changed: bool,
    /// The database had this account before the transaction.
    pub existed: bool,
}

impl Account {
    /// EIP-161 "dead": does not exist or is empty.
    pub fn is_empty(&self) -> bool {
        self.info.is_empty()
    }
}

/// A reversible change (the value before it).
#[derive(Clone, Debug)]
enum Entry {
    Warmed(Address),
    Touched(Address),
    Balance(Address, U256),
    Nonce(Address, u64),
    Code(Address),
    Storage(Address, U256, U256),
    SlotWarmed(Address, U256),
    Transient(Address, U256, U256),
    Created { address: Address, storage_cleared: bool },
    Destroyed(Address),
}

/// A point to revert to: journal and log lengths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    entries: usize,
    logs: usize,
}

/// Outcome of an SSTORE, enough to price it (EIP-2200, EIP-2929, EIP-3529).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SStoreResult {
    /// Value at the start of the transaction.
    pub original: U256,
    /// Value before this SSTORE.
    pub present: U256,
    /// Value written.
    pub new: U256,
    /// The slot was cold before this access.
    pub is_cold: bool,
}

/// The per-transaction state overlay. Its maps hash with foldhash (keys are addresses and
/// slots chosen by contracts, but a transaction's journal lives too briefly to be worth
/// flooding, and the hasher is seeded per map).
#[derive(Debug, Default)]
pub struct Journal {
    accounts: AddressMap<Account>,
    entries: Vec<Entry>,
    logs: Vec<Log>,
    transient: HashMap<(Address, U256), U256>,
}

impl Journal {
    /// An empty journal for a new transaction, with room for what a typical one touches.
    pub fn new() -> Self {
        Self {
            accounts: AddressMap::with_capacity_and_hasher(16, Default::default()),
            entries: Vec::with_capacity(64),
            ..Self::default()
        }
    }

    /// Remembers the current point so [`Self::revert`] can return to it.
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint { entries: self.entries.len(), logs: self.logs.len() }
    }

    /// Undoes every change made since `checkpoint`.
    pub fn revert(&mut self, checkpoint: Checkpoint) {
        self.logs.truncate(checkpoint.logs);
        while self.entries.len() > checkpoint.entries {
            let Some(entry) = self.entries.pop() else { break };
            self.undo(entry);
        }
    }

    fn undo(&mut self, entry: Entry) {
        match entry {
            Entry::Transient(a, k, old) => {
                if old.is_zero() {
                    self.transient.remove(&(a, k));
                } else {
                    self.transient.insert((a, k), old);
                }
            }
            entry => {
                let address = match &entry {
                    Entry::Warmed(a)
                    | Entry::Touched(a)
                    | Entry::Balance(a, _)
                    | Entry::Nonce(a, _)
                    | Entry::Code(a)
                    | Entry::Storage(a, _, _)
                    | Entry::SlotWarmed(a, _)
                    | Entry::Created { address: a, .. }
                    | Entry::Destroyed(a)
                    | Entry::Transient(a, _, _) => *a,
                };
                let Some(acc) = self.accounts.get_mut(&address) else { return };
                match entry {
                    Entry::Warmed(_) => acc.warm = false,
                    Entry::Touched(_) => acc.touched = false,
                    Entry::Balance(_, old) => acc.info.balance = old,
                    Entry::Nonce(_, old) => acc.info.nonce = old,
                    Entry::Code(_) => {
                        acc.info.code_hash = KECCAK_EMPTY;
                        acc.code = Some(Bytes::new());
                        acc.code_changed = false;
                    }
                    Entry::Storage(_, k, old) => {
                        if let Some(s) = acc.storage.get_mut(&k) {
                            s.present = old;
                        }
                    }
                    Entry::SlotWarmed(_, k) => {
                        if let Some(s) = acc.storage.get_mut(&k) {
                            s.warm = false;
                        }
                    }
                    Entry::Created { storage_cleared, .. } => {
                        acc.created = false;
                        acc.storage_cleared = storage_cleared;
                    }
                    Entry::Destroyed(_) => acc.destroyed = false,
                    Entry::Transient(..) => {}
                }
            }
        }
    }

    /// Loads `address` (from the database on first use) without warming it.
    pub fn account<DB: Database>(
        &mut self,
        db: &mut DB,
        address: Address,
    ) -> Result<&mut Account, DB::Error> {
        Self::load(&mut self.accounts, db, address)
    }

    /// [`Self::account`] on the map alone, so callers can hold the account and push to
    /// `entries` at the same time.
    fn load<'m, DB: Database>(
        accounts: &'m mut AddressMap<Account>,
        db: &mut DB,
        address: Address,
    ) -> Result<&'m mut Account, DB::Error> {
        Ok(match accounts.entry(address) {
            MapEntry::Occupied(e) => e.into_mut(),
            MapEntry::Vacant(e) => {
                let loaded = db.account(address)?;
                let existed = loaded.is_some();
                e.insert(Account {
                    info: loaded.unwrap_or_default(),
                    existed,
                    // Precompiles are warm from the start of every transaction (EIP-2929), so
                    // they are loaded on first use, already warm, instead of up front.
                    warm: is_precompile(address),
                    ..Account::default()
                })
            }
        })
    }

    /// Loads and warms `address`; returns the account and whether it was cold (EIP-2929).
    pub fn access_account<DB: Database>(
        &mut self,
        db: &mut DB,
        address: Address,
    ) -> Result<(&mut Account, bool), DB::Error> {
        let acc = Self::load(&mut self.accounts, db, address)?;
        let cold = !acc.warm;
        if cold {
            acc.warm = true;
            self.entries.push(Entry::Warmed(address));
        }
        Ok((acc, cold))
    }

    /// The code of a loaded account, loading it by hash on first use.
    pub fn code<DB: Database>(
        &mut self,
        db: &mut DB,
        address: Address,
    ) -> Result<Bytes, DB::Error> {
        let acc = self.account(db, address)?;
        if let Some(code) = &acc.code {
            return Ok(code.clone());
        }
        let code = if acc.info.code_hash == KECCAK_EMPTY || acc.info.code_hash == B256::ZERO {
            Bytes::new()
        } else {
            db.code_by_hash(acc.info.code_hash)?
        };
        let acc = self.accounts.get_mut(&address).expect("loaded above");
        acc.code = Some(code.clone());
        Ok(code)
    }

    /// Marks `address` as touched (EIP-161).
    pub fn touch<DB: Database>(&mut self, db: &mut DB, address: Address) -> Result<(), DB::Error> {
        let acc = self.account(db, address)?;
        if !acc.touched {
            acc.touched = true;
            self.entries.push(Entry::Touched(address));
        }
        Ok(())
    }

    /// Sets the balance of `address` (touching it).
    pub fn set_balance<DB: Database>(
        &mut self,
        db: &mut DB,
        address: Address,
        balance: U256,
    ) -> Result<(), DB::Error> {
        self.touch(db, address)?;
        let acc = self.accounts.get_mut(&address).expect("touched above");
        self.entries.push(Entry::Balance(address, acc.info.balance));
        acc.info.balance = balance;
        Ok(())
    }

    /// Moves `value` wei from `from` to `to`, touching both. Returns `false` (and changes
    /// nothing) when `from` cannot afford it.
    pub fn transfer<DB: Database>(
        &mut self,
        db: &mut DB,
        from: Address,
        to: Address,
        value: U256,
    ) -> Result<bool, DB::Error> {
        let from_balance = self.account(db, from)?.info.balance;
        let Some(left) = from_balance.checked_sub(value) else { return Ok(false) };
        self.touch(db, to)?;
        self.set_balance(db, from, left)?;
        let to_balance = self.account(db, to)?.info.balance;
        self.set_balance(db, to, to_balance.saturating_add(value))?;
        Ok(true)
    }

    /// Sets the nonce of an already loaded `address`.
    pub fn set_nonce<DB: Database>(
        &mut self,
        db: &mut DB,
        address: Address,
        nonce: u64,
    ) -> Result<(), DB::Error> {
        self.touch(db, address)?;
        let acc = self.accounts.get_mut(&address).expect("touched above");
        self.entries.push(Entry::Nonce(address, acc.info.nonce));
        acc.info.nonce = nonce;
        Ok(())
    }

    /// Installs deployed `code` on `address` (which had none).
    pub fn set_code(&mut self, address: Address, code: Bytes) {
        if let Some(acc) = self.accounts.get_mut(&address) {
            self.entries.push(Entry::Code(address));
            acc.info.code_hash = AccountInfo::code_hash_of(&code);
            acc.code = Some(code);
            acc.code_changed = true;
        }
    }

    /// Marks a loaded `address` as created in this transaction: storage void, nonce set by the
    /// caller (EIP-161 sets it to 1).
    pub fn mark_created(&mut self, address: Address) {
        if let Some(acc) = self.accounts.get_mut(&address) {
            self.entries.push(Entry::Created { address, storage_cleared: acc.storage_cleared });
            acc.created = true;
            acc.storage_cleared = true;
        }
    }

    /// Marks a loaded `address` as self-destructed (deleted at the end of the transaction).
    pub fn mark_destroyed(&mut self, address: Address) {
        if let Some(acc) = self.accounts.get_mut(&address) {
            if !acc.destroyed {
                acc.destroyed = true;
                self.entries.push(Entry::Destroyed(address));
            }
        }
    }

    /// Warms storage slot `slot` of `address` without reading it (EIP-2930 access lists).
    pub fn warm_slot<DB: Database>(
        &mut self,
        db: &mut DB,
        address: Address,
        slot: U256,
    ) -> Result<(), DB::Error> {
        self.sload(db, address, slot).map(|_| ())
    }

    /// Reads slot `slot` of `address` and warms it; returns the value and whether it was cold.
    pub fn sload<DB: Database>(
        &mut self,
        db: &mut DB,
        address: Address,
        slot: U256,
    ) -> Result<(U256, bool), DB::Error> {
        let s = self.warm_slot_entry(db, address, slot)?;
        Ok((s.0.present, s.1))
    }

    /// Loads slot `slot` of `address` (from the database on first use) and warms it, with one
    /// lookup of the account and one of the slot; returns the slot and whether it was cold.
    fn warm_slot_entry<DB: Database>(
        &mut self,
        db: &mut DB,
        address: Address,
        slot: U256,
    ) -> Result<(&mut Slot, bool), DB::Error> {
        let acc = Self::load(&mut self.accounts, db, address)?;
        let s = match acc.storage.entry(slot) {
            MapEntry::Occupied(e) => e.into_mut(),
            MapEntry::Vacant(e) => {
                let value =
                    if acc.storage_cleared { U256::ZERO } else { db.storage(address, slot)? };
                e.insert(Slot { original: value, present: value, warm: false })
            }
        };
        let cold = !s.warm;
        if cold {
            s.warm = true;
            self.entries.push(Entry::SlotWarmed(address, slot));
        }
        Ok((s, cold))
    }

    /// Writes `value` to slot `slot` of `address` (warming it).
    pub fn sstore<DB: Database>(
        &mut self,
        db: &mut DB,
        address: Address,
        slot: U256,
        value: U256,
    ) -> Result<SStoreResult, DB::Error> {
        let (s, is_cold) = self.warm_slot_entry(db, address, slot)?;
        let (original, present) = (s.original, s.present);
        if present != value {
            s.present = value;
            self.entries.push(Entry::Storage(address, slot, present));
        }
        Ok(SStoreResult { original, present, new: value, is_cold })
    }

    /// TLOAD (EIP-1153): transient slot value, zero when unset.
    pub fn tload(&self, address: Address, slot: U256) -> U256 {
        self.transient.get(&(address, slot)).copied().unwrap_or_default()
    }

    /// TSTORE (EIP-1153).
    pub fn tstore(&mut self, address: Address, slot: U256, value: U256) {
        let old = if value.is_zero() {
            self.transient.remove(&(address, slot))
        } else {
            self.transient.insert((address, slot), value)
        }
        .unwrap_or_default();
        if old != value {
            self.entries.push(Entry::Transient(address, slot, old));
        }
    }

    /// Appends a log (dropped again if the frame reverts).
    pub fn log(&mut self, log: Log) {
        self.logs.push(log);
    }

    /// Logs emitted so far.
    pub fn logs(&self) -> &[Log] {
        &self.logs
    }

    /// Ends the transaction: applies EIP-6780 deletions and EIP-161 clearing and lists the
    /// changes, in address order. Consumes the journal.
    pub fn finalize(self) -> (StateChanges, Vec<Log>) {
        let mut changes = BTreeMap::new();
        for (address, acc) in self.accounts {
            let storage: BTreeMap<U256, U256> = acc
                .storage
                .iter()
                .filter(|(_, s)| s.present != s.original)
                .map(|(k, s)| (*k, s.present))
                .collect();
            if acc.destroyed || (acc.touched && acc.is_empty()) {
                if !acc.existed {
                    continue; // deleting what never existed changes nothing
                }
                changes.insert(
                    address,
                    AccountChange {
                        info: None,
                        code: None,
                        storage: BTreeMap::new(),
                        storage_cleared: true,
                    },
                );
                continue;
            }
            if !acc.touched && storage.is_empty() && !acc.created {
                continue;
            }
            changes.insert(
                address,
                AccountChange {
                    code: if acc.code_changed { acc.code.clone() } else { None },
                    info: Some(acc.info),
                    storage,
                    storage_cleared: acc.created,
                },
            );
        }
        (StateChanges { accounts: changes }, self.logs)
    }
}
