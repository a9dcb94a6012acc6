//! Lenient parsing of request parameters, the way real clients send them: checksummed or
//! lower-case addresses, quantities as `0x` hex, decimal strings or JSON numbers, block ids as
//! tags (`latest`, `pending`, `earliest`, `safe`, `finalized`), numbers, hashes or EIP-1898
//! objects (`{"blockNumber": …}` / `{"blockHash": …}`), call objects with `input` or `data`.
//! Every failure is a `-32602` error naming the argument and the value.

use alloy_primitives::{Address, Bytes, B256, U256};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::RpcError;
use quarry_primitives::transaction::AccessListItem;

/// A block named by tag, number or hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockId {
    /// The tip.
    Latest,
    /// The tip, with the mempool for nonces.
    Pending,
    /// Genesis.
    Earliest,
    /// `confirmations` blocks behind the tip.
    Safe,
    /// `confirmations` blocks behind the tip (Quarry has no separate finality).
    Finalized,
    /// A canonical block number.
    Number(u64),
    /// A block hash (any known branch).
    Hash(B256),
}

/// The argument at `index`, `None` when missing or `null`.
///
/// # Errors
/// `-32602` naming the argument when it does not decode as `T`.
pub fn opt<T: DeserializeOwned>(
    args: &[Value],
    index: usize,
    name: &str,
) -> Result<Option<T>, RpcError> {
    match args.get(index) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => serde_json::from_value(v.clone())
            .map(Some)
            .map_err(|e| RpcError::invalid_params(format!("invalid {name} {v}: {e}"))),
    }
}

/// The required argument at `index`.
///
/// # Errors
/// `-32602` when missing or malformed.
pub fn req<T: DeserializeOwned>(args: &[Value], index: usize, name: &str) -> Result<T, RpcError> {
    opt(args, index, name)?
        .ok_or_else(|| RpcError::invalid_params(format!("missing {name} (argument {index})")))
}

/// An address, any letter case (the EIP-55 checksum is not enforced, as geth).
///
/// # Errors
/// `-32602`.
pub fn address(args: &[Value], index: usize, name: &str) -> Result<Address, RpcError> {
    let text: String = req(args, index, name)?;
    parse_address(&text, name)
}

fn parse_address(text: &str, name: &str) -> Result<Address, RpcError> {
    let hex = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")).unwrap_or(text);
    if hex.len() != 40 {
        return Err(RpcError::invalid_params(format!(
            "invalid {name} {text:?}: expected 20 bytes of hex"
        )));
    }
    hex.to_ascii_lowercase()
        .parse::<Address>()
        .map_err(|e| RpcError::invalid_params(format!("invalid {name} {text:?}: {e}")))
}

/// A 32-byte hash.
///
/// # Errors
/// `-32602`.
pub fn hash(args: &[Value], index: usize, name: &str) -> Result<B256, RpcError> {
    let text: String = req(args, index, name)?;
    parse_hash(&text, name)
}

fn parse_hash(text: &str, name: &str) -> Result<B256, RpcError> {
    text.parse::<B256>()
        .map_err(|e| RpcError::invalid_params(format!("invalid {name} {text:?}: {e}")))
}

/// A quantity from a JSON value: `0x` hex, a decimal string or a non-negative integer.
///
/// # Errors
/// `-32602`.
pub fn quantity_of(value: &Value, name: &str) -> Result<U256, RpcError> {
    let bad = |why: &str| RpcError::invalid_params(format!("invalid {name} {value}: {why}"));
    match value {
        Value::Number(n) => {
            n.as_u64().map(U256::from).ok_or_else(|| bad("not a non-negative integer"))
        }
        Value::String(s) => {
            if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                if hex.is_empty() || hex.len() > 64 {
                    return Err(bad("expected 1 to 64 hex digits"));
                }
                U256::from_str_radix(hex, 16).map_err(|_| bad("not hex"))
            } else {
                U256::from_str_radix(s, 10).map_err(|_| bad("expected 0x hex or a decimal number"))
            }
        }
        _ => Err(bad("expected a quantity")),
    }
}

/// A quantity that must fit 64 bits.
///
/// # Errors
/// `-32602`.
pub fn u64_of(value: &Value, name: &str) -> Result<u64, RpcError> {
    let q = quantity_of(value, name)?;
    u64::try_from(q)
        .map_err(|_| RpcError::invalid_params(format!("invalid {name} {value}: above 2^64 - 1")))
}

/// Optional 64-bit quantity argument.
///
/// # Errors
/// `-32602`.
pub fn opt_u64(args: &[Value], index: usize, name: &str) -> Result<Option<u64>, RpcError> {
    match args.get(index) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => u64_of(v, name).map(Some),
    }
}

/// A block id; missing or `null` is `latest`.
///
/// # Errors
/// `-32602`.
pub fn block_id(args: &[Value], index: usize) -> Result<BlockId, RpcError> {
    match args.get(index) {
        None | Some(Value::Null) => Ok(BlockId::Latest),
        Some(v) => block_id_of(v),
    }
}

/// A block id from a JSON value.
///
/// # Errors
/// `-32602`.
pub fn block_id_of(value: &Value) -> Result<BlockId, RpcError> {
    match value {
        Value::String(s) => match s.as_str() {
            "latest" => Ok(BlockId::Latest),
            "pending" => Ok(BlockId::Pending),
            "earliest" => Ok(BlockId::Earliest),
            "safe" => Ok(BlockId::Safe),
            "finalized" => Ok(BlockId::Finalized),
            _ if s.len() == 66 => parse_hash(s, "block hash").map(BlockId::Hash),
            _ => u64_of(value, "block number").map(BlockId::Number),
        },
        Value::Number(_) => u64_of(value, "block number").map(BlockId::Number),
        Value::Object(map) => {
            if let Some(h) = map.get("blockHash") {
                let text = h.as_str().ok_or_else(|| RpcError::invalid_params("blockHash must be a string"))?;
                return parse_hash(text, "blockHash").map(BlockId::Hash);
            }
            if let Some(n) = map.get("blockNumber") {
                return block_id_of(n);
            }
            Err(RpcError::invalid_params(format!("invalid block id {value}: expected blockNumber or blockHash")))
        }
        _ => Err(RpcError::invalid_params(format!(
            "invalid block id {value}: expected a tag (latest, pending, earliest, safe, finalized), a number or a hash"
        ))),
    }
}

/// The transaction object of `eth_call` and `eth_estimateGas` (execution-apis
/// `GenericTransaction`). Every field is optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallRequest {
    /// Sender (default: the zero address, as geth).
    pub from: Option<Address>,
    /// Recipient; `None` deploys `input`.
    pub to: Option<Address>,
    /// Gas limit.
    pub gas: Option<u64>,
    /// Legacy gas price.
    pub gas_price: Option<U256>,
    /// EIP-1559 fee cap.
    pub max_fee_per_gas: Option<U256>,
    /// EIP-1559 tip cap.
    pub max_priority_fee_per_gas: Option<U256>,
    /// Wei sent.
    pub value: U256,
    /// Call data (`input`, or `data` as older clients send it).
    pub input: Bytes,
    /// Nonce (ignored: calls use the state's).
    pub nonce: Option<u64>,
    /// EIP-2930 access list.
    pub access_list: Vec<AccessListItem>,
}

/// The call object at `index`.
///
/// # Errors
/// `-32602` naming the bad field.
pub fn call_request(args: &[Value], index: usize) -> Result<CallRequest, RpcError> {
    let Some(Value::Object(map)) = args.get(index) else {
        return Err(RpcError::invalid_params(format!(
            "argument {index} must be a transaction object, got {}",
            args.get(index).map_or("nothing".to_string(), Value::to_string)
        )));
    };
    let field = |key: &str| map.get(key).filter(|v| !v.is_null());
    let addr = |key: &str| -> Result<Option<Address>, RpcError> {
        field(key)
            .map(|v| {
                let text = v
                    .as_str()
                    .ok_or_else(|| RpcError::invalid_params(format!("{key} must be a string")))?;
                parse_address(text, key)
            })
            .transpose()
    };
    let qty = |key: &str| field(key).map(|v| quantity_of(v, key)).transpose();
    let bytes = |key: &str| -> Result<Option<Bytes>, RpcError> {
        field(key)
            .map(|v| {
                let text = v.as_str().ok_or_else(|| {
                    RpcError::invalid_params(format!("{key} must be a hex string"))
                })?;
                text.parse::<Bytes>()
                    .map_err(|e| RpcError::invalid_params(format!("invalid {key}: {e}")))
            })
            .transpose()
    };
    let input = bytes("input")?;
    let data = bytes("data")?;
    if let (Some(i), Some(d)) = (&input, &data) {
        if i != d {
            return Err(RpcError::invalid_params(
                "both \"data\" and \"input\" are set and not equal; specify one of them",
            ));
        }
    }
    let access_list = match field("accessList") {
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|e| RpcError::invalid_params(format!("invalid accessList: {e}")))?,
        None => Vec::new(),
    };
    Ok(CallRequest {
        from: addr("from")?,
        to: addr("to")?,
        gas: field("gas").map(|v| u64_of(v, "gas")).transpose()?,
        gas_price: qty("gasPrice")?,
        max_fee_per_gas: qty("maxFeePerGas")?,
        max_priority_fee_per_gas: qty("maxPriorityFeePerGas")?,
        value: qty("value")?.unwrap_or_default(),
        input: input.or(data).unwrap_or_default(),
        nonce: field("nonce").map(|v| u64_of(v, "nonce")).transpose()?,
        access_list,
    })
}

/// `eth_getLogs` / `logs` subscription filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogFilter {
    /// First block (default latest).
    pub from_block: Option<BlockId>,
    /// Last block (default latest).
    pub to_block: Option<BlockId>,
    /// One block by hash (excludes the range).
    pub block_hash: Option<B256>,
    /// Emitting contracts; empty matches any.
    pub addresses: Vec<Address>,
    /// Per position: the topics allowed there; an empty set matches any.
    pub topics: Vec<Vec<B256>>,
}

impl LogFilter {
    /// `true` when `log` passes the address and topic filters.
    pub fn matches(&self, log: &quarry_primitives::Log) -> bool {
        if !self.addresses.is_empty() && !self.addresses.contains(&log.address) {
            return false;
        }
        self.topics.iter().enumerate().all(|(i, allowed)| {
            allowed.is_empty() || log.topics.get(i).is_some_and(|t| allowed.contains(t))
        })
    }

    /// `true` when a block with `bloom` may hold a matching log.
    pub fn may_match(&self, bloom: &alloy_primitives::Bloom) -> bool {
        use alloy_primitives::BloomInput;
        let address_ok = self.addresses.is_empty()
            || self.addresses.iter().any(|a| bloom.contains_input(BloomInput::Raw(a.as_slice())));
        address_ok
            && self.topics.iter().all(|allowed| {
                allowed.is_empty()
                    || allowed.iter().any(|t| bloom.contains_input(BloomInput::Raw(t.as_slice())))
            })
    }
}

/// The filter object at `index` (missing: everything in the latest block).
///
/// # Errors
/// `-32602` naming the bad field.
pub fn log_filter(args: &[Value], index: usize) -> Result<LogFilter, RpcError> {
    let map = match args.get(index) {
        None | Some(Value::Null) => return Ok(LogFilter::default()),
        Some(Value::Object(map)) => map,
        Some(other) => {
            return Err(RpcError::invalid_params(format!("filter must be an object, got {other}")))
        }
    };
    let field = |key: &str| map.get(key).filter(|v| !v.is_null());
    let mut filter = LogFilter {
        from_block: field("fromBlock").map(block_id_of).transpose()?,
        to_block: field("toBlock").map(block_id_of).transpose()?,
        ..LogFilter::default()
    };
    if let Some(h) = field("blockHash") {
        let text =
            h.as_str().ok_or_else(|| RpcError::invalid_params("blockHash must be a string"))?;
        filter.block_hash = Some(parse_hash(text, "blockHash")?);
        if filter.from_block.is_some() || filter.to_block.is_some() {
            return Err(RpcError::invalid_params("blockHash excludes fromBlock and toBlock"));
        }
    }
    match field("address") {
        None => {}
        Some(Value::String(s)) => filter.addresses.push(parse_address(s, "address")?),
        Some(Value::Array(list)) => {
            for a in list {
                let s = a
                    .as_str()
                    .ok_or_else(|| RpcError::invalid_params(format!("invalid address {a}")))?;
                filter.addresses.push(parse_address(s, "address")?);
            }
        }
        Some(other) => return Err(RpcError::invalid_params(format!("invalid address {other}"))),
    }
    match field("topics") {
        None => {}
        Some(Value::Array(positions)) => {
            if positions.len() > 4 {
                return Err(RpcError::invalid_params("at most 4 topic positions"));
            }
            for position in positions {
                let allowed = match position {
                    Value::Null => Vec::new(),
                    Value::String(s) => vec![parse_hash(s, "topic")?],
                    Value::Array(options) => options
                        .iter()
                        .filter(|t| !t.is_null())
                        .map(|t| {
                            t.as_str()
                                .ok_or_else(|| {
                                    RpcError::invalid_params(format!("invalid topic {t}"))
                                })
                                .and_then(|s| parse_hash(s, "topic"))
                        })
                        .collect::<Result<_, _>>()?,
                    other => {
                        return Err(RpcError::invalid_params(format!("invalid topic {other}")))
                    }
                };
                filter.topics.push(allowed);
            }
        }
        Some(other) => {
            return Err(RpcError::invalid_params(format!("topics must be an array, got {other}")))
        }
    }
    Ok(filter)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn block_ids_accept_tags_numbers_hashes_and_eip1898_objects() {
        assert_eq!(block_id(&[], 0).unwrap(), BlockId::Latest);
        assert_eq!(block_id(&[json!("safe")], 0).unwrap(), BlockId::Safe);
        assert_eq!(block_id(&[json!("0x1f")], 0).unwrap(), BlockId::Number(31));
        assert_eq!(block_id(&[json!(7)], 0).unwrap(), BlockId::Number(7));
        let h = format!("0x{}", "ab".repeat(32));
        assert_eq!(block_id(&[json!(h)], 0).unwrap(), BlockId::Hash(h.parse().unwrap()));
        assert_eq!(block_id(&[json!({"blockNumber": "0x2"})], 0).unwrap(), BlockId::Number(2));
        let err = block_id(&[json!("newest")], 0).unwrap_err();
        assert_eq!(err.code, -32602);
        assert!(block_id(&[json!(true)], 0).is_err());
    }

    #[test]
    fn addresses_parse_in_any_case_and_reject_wrong_lengths() {
        let lower = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";
        let checksummed = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
        let a = address(&[json!(lower)], 0, "address").unwrap();
        assert_eq!(a, address(&[json!(checksummed)], 0, "address").unwrap());
        assert!(address(&[json!("0x1234")], 0, "address").is_err());
        assert!(address(&[json!(12)], 0, "address").is_err());
        assert!(address(&[], 0, "address").unwrap_err().message.contains("missing"));
    }

    #[test]
    fn call_objects_take_input_or_data_and_refuse_both_when_different() {
        let call = call_request(
            &[json!({"to": "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266", "data": "0x01"})],
            0,
        )
        .unwrap();
        assert_eq!(call.input, Bytes::from(vec![1]));
        let call =
            call_request(&[json!({"input": "0x02", "data": "0x02", "value": 5})], 0).unwrap();
        assert_eq!((call.input, call.value), (Bytes::from(vec![2]), U256::from(5)));
        assert!(call_request(&[json!({"input": "0x02", "data": "0x03"})], 0).is_err());
        assert!(call_request(&[json!({"gas": "lots"})], 0).is_err());
        assert!(call_request(&[json!("0x")], 0).is_err());
    }

    #[test]
    fn log_filters_match_addresses_and_topic_positions() {
        let t0 = B256::repeat_byte(1);
        let t1 = B256::repeat_byte(2);
        let a = Address::repeat_byte(9);
        let filter = log_filter(&[json!({"address": [a.to_string()], "topics": [t0.to_string(), null, [t1.to_string()]]})], 0)
            .unwrap();
        let log =
            |topics: Vec<B256>| quarry_primitives::Log { address: a, topics, data: Bytes::new() };
        assert!(filter.matches(&log(vec![t0, t0, t1])));
        assert!(!filter.matches(&log(vec![t0, t0])));
        assert!(!filter.matches(&log(vec![t1, t0, t1])));
        assert!(log_filter(&[json!({"topics": "x"})], 0).is_err());
    }
}
