//! State overrides: the third argument of `eth_call` and `eth_estimateGas` (geth's
//! `internal/ethapi/override.StateOverride`), an object from address to the account fields to
//! pretend for the call: `balance`, `nonce`, `code`, and either `state` (the whole storage,
//! every other slot zero) or `stateDiff` (these slots changed, the rest as stored). Tools use it
//! to simulate with funds the sender lacks or with code that is not deployed (foundry's
//! `cast call --override-*`, viem's `stateOverride`, Tenderly-style simulations). Overrides
//! change nothing stored.

use std::collections::HashMap;

use alloy_primitives::{Address, Bytes, B256, U256};
use quarry_vm::{AccountInfo, Database, KECCAK_EMPTY};
use serde_json::Value;

use super::params;
use super::RpcError;

/// How one account's storage is pretended.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Storage {
    /// `state`: exactly these slots; every other slot reads zero.
    Replace(HashMap<U256, U256>),
    /// `stateDiff`: these slots changed; the others read what is stored.
    Diff(HashMap<U256, U256>),
}

/// What to pretend for one account.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct AccountOverride {
    balance: Option<U256>,
    nonce: Option<u64>,
    /// The code and its keccak256.
    code: Option<(Bytes, B256)>,
    storage: Option<Storage>,
}

/// A parsed state override (possibly empty).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StateOverride {
    accounts: HashMap<Address, AccountOverride>,
}

fn slots(value: &Value, field: &str, address: &Address) -> Result<HashMap<U256, U256>, RpcError> {
    let Value::Object(map) = value else {
        return Err(RpcError::invalid_params(format!(
            "state override of {address}: {field} must be an object of slot → value, got {value}"
        )));
    };
    map.iter()
        .map(|(slot, v)| {
            let slot = params::quantity_of(&Value::String(slot.clone()), "storage slot")?;
            let v = params::quantity_of(v, "storage value")?;
            Ok((slot, v))
        })
        .collect()
}

/// The state override at argument `index`; empty when absent or `null`.
///
/// # Errors
/// `-32602` naming the account and field: a field of the wrong type, both `state` and
/// `stateDiff` for one account (geth refuses it too), or `movePrecompileToAddress`, which this
/// node does not support.
pub fn state_override(args: &[Value], index: usize) -> Result<StateOverride, RpcError> {
    let map = match args.get(index) {
        None | Some(Value::Null) => return Ok(StateOverride::default()),
        Some(Value::Object(map)) => map,
        Some(other) => {
            return Err(RpcError::invalid_params(format!(
                "state override (argument {index}) must be an object keyed by address, got {other}"
            )))
        }
    };
    let mut accounts = HashMap::new();
    for (key, fields) in map {
        let address: Address = key.parse().map_err(|e| {
            RpcError::invalid_params(format!("state override: bad address {key:?}: {e}"))
        })?;
        let Value::Object(fields) = fields else {
            return Err(RpcError::invalid_params(format!(
                "state override of {address} must be an object, got {fields}"
            )));
        };
        let field = |name: &str| fields.get(name).filter(|v| !v.is_null());
        if field("movePrecompileToAddress").is_some() {
            return Err(RpcError::invalid_params(format!(
                "state override of {address}: movePrecompileToAddress is not supported"
            )));
        }
        let code = field("code")
            .map(|v| -> Result<(Bytes, B256), RpcError> {
                let code: Bytes = serde_json::from_value(v.clone()).map_err(|e| {
                    RpcError::invalid_params(format!("state override of {address}: code: {e}"))
                })?;
                let hash = AccountInfo::code_hash_of(&code);
                Ok((code, hash))
            })
            .transpose()?;
        let storage = match (field("state"), field("stateDiff")) {
            (Some(_), Some(_)) => {
                return Err(RpcError::invalid_params(format!(
                    "state override of {address} has both 'state' and 'stateDiff'"
                )))
            }
            (Some(s), None) => Some(Storage::Replace(slots(s, "state", &address)?)),
            (None, Some(s)) => Some(Storage::Diff(slots(s, "stateDiff", &address)?)),
            (None, None) => None,
        };
        let account = AccountOverride {
            balance: field("balance").map(|v| params::quantity_of(v, "balance")).transpose()?,
            nonce: field("nonce").map(|v| params::u64_of(v, "nonce")).transpose()?,
            code,
            storage,
        };
        accounts.insert(address, account);
    }
    Ok(StateOverride { accounts })
}

/// A [`Database`] that answers with `overrides` applied on top of `inner`.
pub struct Overridden<'a, D> {
    inner: &'a mut D,
    overrides: &'a StateOverride,
}

impl<'a, D> Overridden<'a, D> {
    /// `inner` seen through `overrides`.
    pub fn new(inner: &'a mut D, overrides: &'a StateOverride) -> Self {
        Overridden { inner, overrides }
    }
}

impl<D: Database> Database for Overridden<'_, D> {
    type Error = D::Error;

    fn account(&mut self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        let stored = self.inner.account(address)?;
        let Some(o) = self.overrides.accounts.get(&address) else { return Ok(stored) };
        let mut info = stored.unwrap_or_default();
        if let Some(balance) = o.balance {
            info.balance = balance;
        }
        if let Some(nonce) = o.nonce {
            info.nonce = nonce;
        }
        if let Some((_, hash)) = &o.code {
            info.code_hash = *hash;
        }
        Ok(Some(info))
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytes, Self::Error> {
        if code_hash != KECCAK_EMPTY {
            for o in self.overrides.accounts.values() {
                if let Some((code, hash)) = &o.code {
                    if *hash == code_hash {
                        return Ok(code.clone());
                    }
                }
            }
        }
        self.inner.code_by_hash(code_hash)
    }

    fn storage(&mut self, address: Address, slot: U256) -> Result<U256, Self::Error> {
        match self.overrides.accounts.get(&address).and_then(|o| o.storage.as_ref()) {
            Some(Storage::Replace(slots)) => Ok(slots.get(&slot).copied().unwrap_or_default()),
            Some(Storage::Diff(slots)) => match slots.get(&slot) {
                Some(value) => Ok(*value),
                None => self.inner.storage(address, slot),
            },
            None => self.inner.storage(address, slot),
        }
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, Self::Error> {
        self.inner.block_hash(number)
    }

    fn has_storage(&mut self, address: Address) -> Result<bool, Self::Error> {
        match self.overrides.accounts.get(&address).and_then(|o| o.storage.as_ref()) {
            Some(Storage::Replace(slots)) => Ok(slots.values().any(|v| !v.is_zero())),
            Some(Storage::Diff(slots)) if slots.values().any(|v| !v.is_zero()) => Ok(true),
            _ => self.inner.has_storage(address),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A tiny in-memory state.
    #[derive(Default)]
    struct Memory {
        accounts: HashMap<Address, AccountInfo>,
        storage: HashMap<(Address, U256), U256>,
    }

    impl Database for Memory {
        type Error = std::convert::Infallible;
        fn account(&mut self, a: Address) -> Result<Option<AccountInfo>, Self::Error> {
            Ok(self.accounts.get(&a).cloned())
        }
        fn code_by_hash(&mut self, _: B256) -> Result<Bytes, Self::Error> {
            Ok(Bytes::new())
        }
        fn storage(&mut self, a: Address, s: U256) -> Result<U256, Self::Error> {
            Ok(self.storage.get(&(a, s)).copied().unwrap_or_default())
        }
        fn block_hash(&mut self, _: u64) -> Result<B256, Self::Error> {
            Ok(B256::ZERO)
        }
    }

    #[test]
    fn overrides_replace_fields_and_storage_as_geth_does() {
        let a = Address::repeat_byte(1);
        let b = Address::repeat_byte(2);
        let mut db = Memory::default();
        db.accounts.insert(a, AccountInfo::with_balance(U256::from(5), 3));
        db.storage.insert((a, U256::from(1)), U256::from(11));
        db.storage.insert((a, U256::from(2)), U256::from(22));
        db.storage.insert((b, U256::from(1)), U256::from(33));
        let overrides = state_override(
            &[json!({
                a.to_string(): {"balance": "0x64", "stateDiff": {"0x2": "0x7"}, "code": "0x6001"},
                b.to_string(): {"nonce": "0x9", "state": {"0x5": "0x1"}},
            })],
            0,
        )
        .unwrap();
        let mut seen = Overridden::new(&mut db, &overrides);
        let info_a = seen.account(a).unwrap().unwrap();
        assert_eq!((info_a.balance, info_a.nonce), (U256::from(100), 3));
        assert_eq!(seen.code_by_hash(info_a.code_hash).unwrap(), Bytes::from(vec![0x60, 0x01]));
        assert_eq!(seen.storage(a, U256::from(1)).unwrap(), U256::from(11), "diff keeps the rest");
        assert_eq!(seen.storage(a, U256::from(2)).unwrap(), U256::from(7));
        let info_b = seen.account(b).unwrap().unwrap();
        assert_eq!((info_b.balance, info_b.nonce, info_b.code_hash), (U256::ZERO, 9, KECCAK_EMPTY));
        assert_eq!(seen.storage(b, U256::from(1)).unwrap(), U256::ZERO, "state replaces all");
        assert_eq!(seen.storage(b, U256::from(5)).unwrap(), U256::from(1));
        assert!(seen.account(Address::repeat_byte(3)).unwrap().is_none());
    }

    #[test]
    fn malformed_overrides_name_the_account_and_field() {
        let a = Address::repeat_byte(1).to_string();
        let bad = |v: Value| state_override(&[v], 0).unwrap_err().message;
        assert!(bad(json!({"0x12": {}})).contains("bad address"));
        assert!(bad(json!({a.clone(): {"state": {}, "stateDiff": {}}}))
            .contains("both 'state' and 'stateDiff'"));
        assert!(bad(json!({a.clone(): {"balance": "lots"}})).contains("balance"));
        assert!(bad(json!({a.clone(): {"state": {"0xzz": "0x1"}}})).contains("storage slot"));
        assert!(bad(json!({a.clone(): {"movePrecompileToAddress": a.clone()}}))
            .contains("not supported"));
        assert!(bad(json!([1])).contains("argument 0"));
        assert_eq!(state_override(&[], 0).unwrap(), StateOverride::default());
    }
}
