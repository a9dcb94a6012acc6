//! Running one state test: build the pre-state, the block and each `post.Cancun` transaction,
//! execute with [`crate::transact`], and compare the state root and the logs hash.

use std::panic::{catch_unwind, AssertUnwindSafe};

use alloy_primitives::{keccak256, Address, B256, U256};
use quarry_primitives::crypto::SecretKey;

use super::db::MemDb;
use super::fixture::{
    parse_address, parse_b256, parse_bytes, parse_u256, parse_u64, FixtureError, PostEntry,
    StateTest,
};
use crate::env::{AccessListItem, BlockEnv, TxEnv};
use crate::result::{ExecutionOutcome, Log, TransactError};

/// The fork whose `post` entries Quarry checks.
pub const FORK: &str = "Cancun";

/// The chain id the fixtures are signed for.
pub const CHAIN_ID: u64 = 1;

/// What became of one `post.Cancun` entry: `None` when it passed, else why it failed.
pub type EntryVerdict = Option<String>;

/// The pre-state of `test` as a [`MemDb`].
///
/// # Errors
/// The first malformed account field.
pub fn pre_state(test: &StateTest) -> Result<MemDb, FixtureError> {
    let mut db = MemDb::new();
    for (address, account) in &test.pre {
        let storage = account
            .storage
            .iter()
            .map(|(k, v)| Ok((parse_u256("storage key", k)?, parse_u256("storage value", v)?)))
            .collect::<Result<Vec<_>, FixtureError>>()?;
        db.insert_account(
            parse_address("pre address", address)?,
            parse_u256("balance", &account.balance)?,
            parse_u64("nonce", &account.nonce)?,
            parse_bytes("code", &account.code)?,
            storage,
        );
    }
    Ok(db)
}

/// The block of `test` (`env`); PREVRANDAO falls back to `currentDifficulty` when
/// `currentRandom` is absent.
///
/// # Errors
/// The first malformed `env` field.
pub fn block_env(test: &StateTest) -> Result<BlockEnv, FixtureError> {
    let env = &test.env;
    let opt_u256 =
        |field, v: &Option<String>| v.as_deref().map_or(Ok(U256::ZERO), |s| parse_u256(field, s));
    let random = env.current_random.as_ref().or(env.current_difficulty.as_ref());
    Ok(BlockEnv {
        number: parse_u64("currentNumber", &env.current_number)?,
        coinbase: parse_address("currentCoinbase", &env.current_coinbase)?,
        timestamp: parse_u64("currentTimestamp", &env.current_timestamp)?,
        gas_limit: parse_u64("currentGasLimit", &env.current_gas_limit)?,
        base_fee: opt_u256("currentBaseFee", &env.current_base_fee)?,
        prevrandao: random.map_or(Ok(B256::ZERO), |s| parse_b256("currentRandom", s))?,
        excess_blob_gas: opt_u256("currentExcessBlobGas", &env.current_excess_blob_gas)?
            .try_into()
            .map_err(|_| FixtureError {
                field: "currentExcessBlobGas",
                value: format!("{:?}", env.current_excess_blob_gas),
                why: "exceeds 2^64 - 1",
            })?,
        chain_id: CHAIN_ID,
    })
}

/// The sender, from `transaction.secretKey`.
///
/// # Errors
/// A malformed or invalid secret key.
pub fn sender(test: &StateTest) -> Result<Address, FixtureError> {
    let bad =
        |why| FixtureError { field: "secretKey", value: test.transaction.secret_key.clone(), why };
    let key = parse_b256("secretKey", &test.transaction.secret_key)?;
    Ok(SecretKey::from_bytes(&key).map_err(|_| bad("not a valid secp256k1 key"))?.address())
}

/// The transaction of `entry`: `data[d]`, `gasLimit[g]`, `value[v]` and `accessLists[d]`; the
/// type is 3 with `blobVersionedHashes`, 2 with `maxFeePerGas`, 1 with `accessLists`, else 0;
/// an empty `to` creates a contract.
///
/// # Errors
/// A malformed field or an index out of range (the > 2^256 value of `ValueOverflowParis`
/// lands here).
pub fn tx_env(test: &StateTest, entry: &PostEntry, caller: Address) -> Result<TxEnv, FixtureError> {
    let tx = &test.transaction;
    let idx = entry.indexes;
    let pick = |field: &'static str, list: &[String], i: usize| {
        list.get(i).cloned().ok_or(FixtureError {
            field,
            value: i.to_string(),
            why: "index out of range",
        })
    };
    let (tx_type, gas_price, max_priority_fee_per_gas) = if let Some(max_fee) = &tx.max_fee_per_gas
    {
        let tip = tx.max_priority_fee_per_gas.as_deref().unwrap_or("0x00");
        let tip = parse_u256("maxPriorityFeePerGas", tip)?;
        let ty = if tx.blob_versioned_hashes.is_some() { 3 } else { 2 };
        (ty, parse_u256("maxFeePerGas", max_fee)?, Some(tip))
    } else {
        let price = parse_u256("gasPrice", tx.gas_price.as_deref().unwrap_or("0x00"))?;
        (if tx.access_lists.is_some() { 1 } else { 0 }, price, None)
    };
    let access_list = match tx.access_lists.as_ref().and_then(|lists| lists.get(idx.data)) {
        Some(Some(list)) => list
            .iter()
            .map(|item| {
                Ok(AccessListItem {
                    address: parse_address("accessLists.address", &item.address)?,
                    storage_keys: item
                        .storage_keys
                        .iter()
                        .map(|k| parse_b256("accessLists.storageKeys", k))
                        .collect::<Result<_, _>>()?,
                })
            })
            .collect::<Result<Vec<_>, FixtureError>>()?,
        _ => Vec::new(),
    };
    let to = tx.to.trim();
    Ok(TxEnv {
        tx_type,
        caller,
        gas_limit: parse_u64("gasLimit", &pick("gasLimit", &tx.gas_limit, idx.gas)?)?,
        gas_price,
        max_priority_fee_per_gas,
        to: if to.is_empty() { None } else { Some(parse_address("to", to)?) },
        value: parse_u256("value", &pick("value", &tx.value, idx.value)?)?,
        data: parse_bytes("data", &pick("data", &tx.data, idx.data)?)?,
        nonce: parse_u64("nonce", &tx.nonce)?,
        chain_id: (tx_type > 0).then_some(CHAIN_ID),
        access_list,
        skip_eoa_check: false,
    })
}

/// keccak256 of the RLP list of `logs` (the `logs` field of a state test).
pub fn logs_hash(logs: &[Log]) -> B256 {
    let mut out = Vec::new();
    alloy_rlp::encode_list::<Log, Log>(logs, &mut out);
    keccak256(out)
}

/// Checks every `post.Cancun` entry of `test`, in order; an empty list when the test has no
/// Cancun entries.
pub fn run_test(test: &StateTest) -> Vec<(PostEntry, EntryVerdict)> {
    let Some(entries) = test.post.get(FORK) else { return Vec::new() };
    let setup = pre_state(test).and_then(|db| Ok((db, block_env(test)?, sender(test)?)));
    entries
        .iter()
        .map(|entry| {
            let verdict = match &setup {
                Ok((db, block, caller)) => check_entry(test, entry, db, block, *caller),
                Err(e) => Some(format!("malformed fixture: {e}")),
            };
            (entry.clone(), verdict)
        })
        .collect()
}

/// Runs one entry against a copy of `pre`.
fn check_entry(
    test: &StateTest,
    entry: &PostEntry,
    pre: &MemDb,
    block: &BlockEnv,
    caller: Address,
) -> EntryVerdict {
    let expected_root = match parse_b256("hash", &entry.hash) {
        Ok(root) => root,
        Err(e) => return Some(format!("malformed fixture: {e}")),
    };
    let expected_logs = parse_b256("logs", &entry.logs).unwrap_or_default();
    let rejected_as_expected = |reason: &dyn std::fmt::Display| match &entry.expect_exception {
        Some(_) => root_verdict(expected_root, pre.state_root(), "rejected"),
        None => Some(format!("unexpected rejection: {reason}")),
    };
    let tx = match tx_env(test, entry, caller) {
        Ok(tx) => tx,
        Err(e) => return rejected_as_expected(&e),
    };
    let mut db = pre.clone();
    let run = catch_unwind(AssertUnwindSafe(|| crate::transact(&mut db, block, &tx)));
    match run {
        Err(panic) => Some(format!("panicked: {}", panic_message(&panic))),
        Ok(Err(TransactError::Invalid(reason))) => rejected_as_expected(&reason),
        Ok(Err(TransactError::Database(never))) => match never {},
        Ok(Ok(outcome)) => {
            if let Some(exception) = &entry.expect_exception {
                return Some(format!(
                    "expected exception {exception}, but the transaction executed ({})",
                    describe(&outcome)
                ));
            }
            db.commit(&outcome.state);
            let got_logs = logs_hash(&outcome.logs);
            root_verdict(expected_root, db.state_root(), &describe(&outcome)).or_else(|| {
                (got_logs != expected_logs).then(|| {
                    format!(
                        "expected logs {expected_logs}, got {got_logs} ({})",
                        describe(&outcome)
                    )
                })
            })
        }
    }
}

/// `None` when the roots agree, else `expected root …, got … (note)`.
fn root_verdict(expected: B256, got: B256, note: &str) -> EntryVerdict {
    (expected != got).then(|| format!("expected root {expected}, got {got} ({note})"))
}

/// A short account of an outcome for failure lines: status, gas used, log count.
fn describe(outcome: &ExecutionOutcome) -> String {
    format!(
        "status {:?}, gas used {}, {} logs",
        outcome.status,
        outcome.gas_used,
        outcome.logs.len()
    )
}

/// The text of a caught panic.
fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_logs_hash_matches_the_fixtures_constant() {
        let empty = "1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347";
        assert_eq!(logs_hash(&[]), empty.parse::<B256>().unwrap());
    }
}
