//! Unlocked development accounts: `eth_accounts`, `eth_sendTransaction`,
//! `eth_signTransaction`, `eth_sign`, `personal_sign` and `eth_signTypedData_v4`, as anvil and
//! Hardhat serve them on their dev chains. With `--dev` (or `--unlock` on any chain) the node holds the ten well-known dev keys
//! ([`DEV_ACCOUNTS`], the test mnemonic's first ten accounts, whose keys are public) and signs
//! for them; otherwise `eth_accounts` is empty and the signing methods answer geth's
//! `unknown account`. Never unlock accounts on a chain where their ether is worth anything.

use alloy_primitives::{keccak256, Address, Bytes, TxKind, B256, U256};
use jsonrpsee::server::RpcModule;
use quarry_consensus::next_base_fee;
use quarry_primitives::crypto::{SecretKey, Signature};
use quarry_primitives::dev::DEV_ACCOUNTS;
use quarry_primitives::transaction::{TxEip1559, TxEip2930, TxLegacy};
use quarry_primitives::{SignedTransaction, Transaction};
use serde_json::{json, Value};

use super::eth::{call_state, estimate_gas, suggested_tip};
use super::params::{self, BlockId};
use super::{method, Ctx, RpcError};

/// The key of `address` when it is unlocked.
///
/// # Errors
/// geth's `-32000 unknown account` when it is not.
fn key_of(c: &Ctx, address: Address) -> Result<SecretKey, RpcError> {
    if !c.config.unlock_dev_accounts {
        return Err(RpcError::server("unknown account"));
    }
    let account = DEV_ACCOUNTS
        .iter()
        .find(|a| a.address == address)
        .ok_or_else(|| RpcError::server("unknown account"))?;
    SecretKey::from_bytes(&account.secret)
        .map_err(|e| RpcError::internal(format!("dev key of {address}: {e}")))
}

/// A signature as the 65 bytes `r ‖ s ‖ v` with `v` 27 or 28, the shape `eth_sign` answers
/// and `ecrecover` takes.
fn rsv(signature: &Signature) -> Bytes {
    let mut out = Vec::with_capacity(65);
    out.extend_from_slice(&signature.r.to_be_bytes::<32>());
    out.extend_from_slice(&signature.s.to_be_bytes::<32>());
    out.push(27 + u8::from(signature.y_parity));
    Bytes::from(out)
}

/// EIP-191 version `0x45` ("personal message"): keccak256 of
/// `"\x19Ethereum Signed Message:\n" ‖ len(message) ‖ message`, what geth's `accounts.TextHash`
/// computes for `eth_sign`.
pub fn personal_message_hash(message: &[u8]) -> B256 {
    let mut data = format!("\x19Ethereum Signed Message:\n{}", message.len()).into_bytes();
    data.extend_from_slice(message);
    keccak256(data)
}

fn sign_message(c: &Ctx, address: Address, message: &Bytes) -> Result<Value, RpcError> {
    let key = key_of(c, address)?;
    Ok(json!(rsv(&key.sign_prehash(&personal_message_hash(message)))))
}

/// `eth_sendTransaction`: [`sign_request`], then submits to the pool; the transaction hash.
fn send_transaction(c: &Ctx, args: &[Value]) -> Result<Value, RpcError> {
    let signed = sign_request(c, args, "eth_sendTransaction")?;
    let hash = c.node.submit_transaction(signed).map_err(|e| RpcError::server(e.to_string()))?;
    Ok(json!(hash))
}

/// `eth_signTransaction`: [`sign_request`]; the signed transaction's EIP-2718 encoding, as
/// execution-apis specifies it (and anvil and Hardhat answer; geth wraps it as `{raw, tx}`).
/// Nothing is submitted.
fn sign_transaction(c: &Ctx, args: &[Value]) -> Result<Value, RpcError> {
    let signed = sign_request(c, args, "eth_signTransaction")?;
    Ok(json!(Bytes::from(signed.encoded())))
}

/// The transaction request `args[0]` asks for, signed with its sender's unlocked key. What it
/// leaves out is filled in as geth's `TransactionArgs.setDefaults` does: the nonce from the
/// pool, gas by estimation, EIP-1559 fees of tip + 2 × the next base fee unless a legacy
/// `gasPrice` is given.
///
/// # Errors
/// `-32602` without `from` (naming `method`), for a locked or unknown sender, or for
/// `maxFeePerGas` below `maxPriorityFeePerGas`; an estimation's errors.
fn sign_request(c: &Ctx, args: &[Value], method: &str) -> Result<SignedTransaction, RpcError> {
    let call = params::call_request(args, 0)?;
    let from = call
        .from
        .ok_or_else(|| RpcError::invalid_params(format!("{method} needs a \"from\" address")))?;
    let key = key_of(c, from)?;
    let view = c.node.view();
    let chain_id = c.node.config().genesis.config.chain_id;
    let nonce = match call.nonce {
        Some(nonce) => nonce,
        None => c.node.pending_nonce(from),
    };
    let gas_limit = match call.gas {
        Some(gas) => gas,
        None => {
            let (header, mut state) = call_state(&view, c, BlockId::Latest)?;
            estimate_gas(&view, &header, &mut state, &call)?
        }
    };
    let to = call.to.map_or(TxKind::Create, TxKind::Call);
    let legacy = call.gas_price.is_some()
        && call.max_fee_per_gas.is_none()
        && call.max_priority_fee_per_gas.is_none();
    let tx = if legacy {
        let gas_price = call.gas_price.unwrap_or_default();
        if call.access_list.is_empty() {
            Transaction::Legacy(TxLegacy {
                chain_id: Some(chain_id),
                nonce,
                gas_price,
                gas_limit,
                to,
                value: call.value,
                input: call.input,
            })
        } else {
            Transaction::Eip2930(TxEip2930 {
                chain_id,
                nonce,
                gas_price,
                gas_limit,
                to,
                value: call.value,
                input: call.input,
                access_list: call.access_list,
            })
        }
    } else {
        let tip = match call.max_priority_fee_per_gas {
            Some(tip) => tip,
            None => suggested_tip(&view, c.node.with_pool(|pool| pool.config().min_tip))?,
        };
        let base_fee = U256::from(next_base_fee(&view.tip().header));
        let fee_cap = call.max_fee_per_gas.unwrap_or(base_fee * U256::from(2) + tip);
        if fee_cap < tip {
            return Err(RpcError::invalid_params(format!(
                "maxFeePerGas ({fee_cap}) < maxPriorityFeePerGas ({tip})"
            )));
        }
        Transaction::Eip1559(TxEip1559 {
            chain_id,
            nonce,
            max_priority_fee_per_gas: tip,
            max_fee_per_gas: fee_cap,
            gas_limit,
            to,
            value: call.value,
            input: call.input,
            access_list: call.access_list,
        })
    };
    Ok(SignedTransaction::sign(tx, &key))
}

/// EIP-712 `eth_signTypedData_v4`: the typed data (an object, or a JSON string of one, as
/// MetaMask sends it) hashed by `alloy-dyn-abi` and signed with the unlocked key.
fn sign_typed_data(c: &Ctx, args: &[Value]) -> Result<Value, RpcError> {
    let address = params::address(args, 0, "address")?;
    let data = match args.get(1) {
        Some(Value::String(text)) => serde_json::from_str::<Value>(text)
            .map_err(|e| RpcError::invalid_params(format!("typed data is not JSON: {e}")))?,
        Some(value @ Value::Object(_)) => value.clone(),
        Some(other) => {
            return Err(RpcError::invalid_params(format!(
                "typed data must be an object, got {other}"
            )))
        }
        None => return Err(RpcError::invalid_params("missing typed data (argument 1)")),
    };
    let typed: alloy_dyn_abi::TypedData = serde_json::from_value(data)
        .map_err(|e| RpcError::invalid_params(format!("invalid EIP-712 typed data: {e}")))?;
    let hash = typed
        .eip712_signing_hash()
        .map_err(|e| RpcError::invalid_params(format!("invalid EIP-712 typed data: {e}")))?;
    let key = key_of(c, address)?;
    Ok(json!(rsv(&key.sign_prehash(&hash))))
}

pub(super) fn register(m: &mut RpcModule<Ctx>) {
    method(m, "eth_accounts", |c, _| {
        let accounts: Vec<Address> = if c.config.unlock_dev_accounts {
            DEV_ACCOUNTS.iter().map(|a| a.address).collect()
        } else {
            Vec::new()
        };
        Ok(json!(accounts))
    });
    method(m, "eth_sendTransaction", send_transaction);
    method(m, "eth_signTransaction", sign_transaction);
    method(m, "eth_sign", |c, a| {
        let address = params::address(a, 0, "address")?;
        let message: Bytes = params::req(a, 1, "message")?;
        sign_message(c, address, &message)
    });
    method(m, "personal_sign", |c, a| {
        let message: Bytes = params::req(a, 0, "message")?;
        let address = params::address(a, 1, "address")?;
        sign_message(c, address, &message)
    });
    method(m, "eth_signTypedData_v4", sign_typed_data);
}

#[cfg(test)]
mod tests {
    use super::*;
    use quarry_primitives::crypto::recover_signer;

    #[test]
    fn personal_messages_are_hashed_as_eip_191_and_recover_to_the_signer() {
        // keccak256("\x19Ethereum Signed Message:\n5hello"), as eth-account's
        // encode_defunct("hello") hashes it.
        assert_eq!(
            personal_message_hash(b"hello").to_string(),
            "0x50b2c43fd39106bafbba0da34fc430e1f91e3c96ea2acee2bc34119f92b37750"
        );
        let key = SecretKey::from_bytes(&DEV_ACCOUNTS[0].secret).unwrap();
        let hash = personal_message_hash(b"hello");
        let signature = key.sign_prehash(&hash);
        let bytes = rsv(&signature);
        assert_eq!(bytes.len(), 65);
        assert!(bytes[64] == 27 || bytes[64] == 28);
        assert_eq!(recover_signer(&hash, &signature).unwrap(), DEV_ACCOUNTS[0].address);
    }

    /// EIP-712's own example ("Ether Mail", the EIP's `Example.js`): its signing hash and the
    /// signature by the key keccak256("cow") that the EIP lists.
    #[test]
    fn typed_data_hashes_and_signs_as_the_eip_712_example() {
        let mail = json!({
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "version", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                    {"name": "verifyingContract", "type": "address"}
                ],
                "Person": [{"name": "name", "type": "string"}, {"name": "wallet", "type": "address"}],
                "Mail": [
                    {"name": "from", "type": "Person"},
                    {"name": "to", "type": "Person"},
                    {"name": "contents", "type": "string"}
                ]
            },
            "primaryType": "Mail",
            "domain": {
                "name": "Ether Mail",
                "version": "1",
                "chainId": 1,
                "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"
            },
            "message": {
                "from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
                "to": {"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
                "contents": "Hello, Bob!"
            }
        });
        let typed: alloy_dyn_abi::TypedData = serde_json::from_value(mail).unwrap();
        let hash = typed.eip712_signing_hash().unwrap();
        assert_eq!(
            hash.to_string(),
            "0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2"
        );
        let cow = SecretKey::from_bytes(&keccak256(b"cow")).unwrap();
        assert_eq!(cow.address().to_string(), "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826");
        assert_eq!(
            rsv(&cow.sign_prehash(&hash)).to_string(),
            "0x4355c47d63924e8a72e509b65029052eb6c299d53a04e167c5775fd466751c9d\
             07299936d304c153f6443dfa05f40ff007d72911b6f72307f996231605b915621c"
        );
    }
}
