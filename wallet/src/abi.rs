//! Contract ABI encoding and decoding from signature strings and solc artifacts (alloy-dyn-abi).
//!
//! A call is named by a signature as `cast` takes it: `"transfer(address,uint256)"` for a
//! transaction, `"balanceOf(address)(uint256)"` (or `"… returns (uint256)"`) when the outputs
//! should be decoded. Arguments are strings coerced to the parameter types by alloy-dyn-abi's
//! rules (`uint` accepts units like `1.5ether`; `address` needs 40 hex digits; arrays as
//! `[1,2]`, tuples as `(1,true)`). Encoding is the Solidity ABI specification's
//! (docs.soliditylang.org, "Contract ABI Specification"): a 4-byte selector, then the head/tail
//! encoded arguments.

use alloy_dyn_abi::{DynSolType, DynSolValue, FunctionExt, JsonAbiExt, Specifier};
use alloy_json_abi::{Constructor, Function, JsonAbi, Param};
use alloy_primitives::{hex, Bytes};
use serde_json::Value;

use crate::units::one_line;

/// Why a signature, argument, artifact or return value could not be handled.
#[derive(Debug, thiserror::Error)]
pub enum AbiError {
    /// The signature string does not parse.
    #[error("invalid function signature {signature:?}: {reason}")]
    Signature {
        /// The text given.
        signature: String,
        /// The parser's reason.
        reason: String,
    },
    /// Wrong number of arguments for the signature.
    #[error("{name} takes {expected} argument(s) ({types}), {given} given")]
    ArgumentCount {
        /// Function name (or `constructor`).
        name: String,
        /// Number of parameters.
        expected: usize,
        /// Number of arguments given.
        given: usize,
        /// Parameter types, comma-separated.
        types: String,
    },
    /// An argument does not coerce to its parameter's type.
    #[error("argument {index} ({ty}) = {value:?}: {reason}")]
    Argument {
        /// 1-based position.
        index: usize,
        /// The parameter's Solidity type.
        ty: String,
        /// The text given.
        value: String,
        /// The coercion's reason.
        reason: String,
    },
    /// A parameter type in a signature or ABI is not a Solidity type alloy-dyn-abi knows.
    #[error("unsupported parameter type {ty:?}: {reason}")]
    Type {
        /// The type text.
        ty: String,
        /// The reason.
        reason: String,
    },
    /// The returned bytes do not decode as the declared outputs.
    #[error("return data 0x{data} does not decode as ({types}): {reason}")]
    Output {
        /// The raw return data, hex.
        data: String,
        /// Declared output types.
        types: String,
        /// The decoder's reason.
        reason: String,
    },
    /// A solc/Foundry/Hardhat artifact lacks or mangles a field.
    #[error("artifact: {0}")]
    Artifact(String),
}

/// Parses a function signature: `name(types)`, optionally followed by `(outputs)` or
/// `returns (outputs)` (a leading `function` and mutability words are allowed).
///
/// # Errors
/// [`AbiError::Signature`] naming the text.
pub fn parse_function(signature: &str) -> Result<Function, AbiError> {
    let function = Function::parse(signature.trim()).map_err(|e| AbiError::Signature {
        signature: signature.to_string(),
        reason: e.to_string(),
    })?;
    // Resolve every type now so a bad type is reported against the signature, not later.
    for param in function.inputs.iter().chain(&function.outputs) {
        resolve(param)?;
    }
    Ok(function)
}

fn resolve(param: &Param) -> Result<DynSolType, AbiError> {
    param.resolve().map_err(|e| AbiError::Type { ty: param.ty.clone(), reason: e.to_string() })
}

fn type_list(params: &[Param]) -> String {
    params.iter().map(|p| p.selector_type().into_owned()).collect::<Vec<_>>().join(",")
}

/// Coerces `args` to the types of `params` (see the module doc for the syntax).
///
/// # Errors
/// [`AbiError::ArgumentCount`] or [`AbiError::Argument`] naming the bad value.
pub fn coerce_args(
    name: &str,
    params: &[Param],
    args: &[String],
) -> Result<Vec<DynSolValue>, AbiError> {
    if params.len() != args.len() {
        return Err(AbiError::ArgumentCount {
            name: name.to_string(),
            expected: params.len(),
            given: args.len(),
            types: type_list(params),
        });
    }
    params
        .iter()
        .zip(args)
        .enumerate()
        .map(|(i, (param, arg))| {
            let ty = resolve(param)?;
            ty.coerce_str(arg).map_err(|e| AbiError::Argument {
                index: i + 1,
                ty: param.selector_type().into_owned(),
                value: arg.clone(),
                reason: one_line(&e.to_string()),
            })
        })
        .collect()
}

/// Calldata for `function(args…)`: selector ‖ ABI-encoded arguments.
///
/// # Errors
/// As [`coerce_args`].
pub fn encode_call(function: &Function, args: &[String]) -> Result<Bytes, AbiError> {
    let values = coerce_args(&function.name, &function.inputs, args)?;
    let data = function.abi_encode_input(&values).map_err(|e| AbiError::Argument {
        index: 0,
        ty: type_list(&function.inputs),
        value: args.join(" "),
        reason: e.to_string(),
    })?;
    Ok(data.into())
}

/// Decodes a call's return data as `function`'s outputs.
///
/// # Errors
/// [`AbiError::Output`] with the raw data when it does not decode.
pub fn decode_output(function: &Function, data: &[u8]) -> Result<Vec<DynSolValue>, AbiError> {
    function.abi_decode_output(data).map_err(|e| AbiError::Output {
        data: hex::encode(data),
        types: type_list(&function.outputs),
        reason: e.to_string(),
    })
}

/// Initcode for a deployment: `bytecode ‖ abi.encode(constructor args)`. With no constructor
/// in the ABI, `args` must be empty.
///
/// # Errors
/// As [`coerce_args`].
pub fn encode_deploy(
    bytecode: &[u8],
    constructor: Option<&Constructor>,
    args: &[String],
) -> Result<Bytes, AbiError> {
    let mut out = bytecode.to_vec();
    match constructor {
        Some(constructor) => {
            let values = coerce_args("constructor", &constructor.inputs, args)?;
            let encoded =
                constructor.abi_encode_input(&values).map_err(|e| AbiError::Argument {
                    index: 0,
                    ty: type_list(&constructor.inputs),
                    value: args.join(" "),
                    reason: e.to_string(),
                })?;
            out.extend_from_slice(&encoded);
        }
        None if !args.is_empty() => {
            return Err(AbiError::ArgumentCount {
                name: "constructor".into(),
                expected: 0,
                given: args.len(),
                types: String::new(),
            })
        }
        None => {}
    }
    Ok(out.into())
}

/// Parses a constructor signature such as `constructor(string,uint256)`.
///
/// # Errors
/// [`AbiError::Signature`].
pub fn parse_constructor(signature: &str) -> Result<Constructor, AbiError> {
    let text = signature.trim();
    let text = if text.starts_with("constructor") {
        text.to_string()
    } else {
        format!("constructor{text}")
    };
    let constructor = Constructor::parse(&text).map_err(|e| AbiError::Signature {
        signature: signature.to_string(),
        reason: e.to_string(),
    })?;
    for param in &constructor.inputs {
        resolve(param)?;
    }
    Ok(constructor)
}

/// A compiled contract: creation bytecode and, when known, its ABI.
#[derive(Clone, Debug)]
pub struct Artifact {
    /// The contract's ABI (empty when deploying from bare hex).
    pub abi: JsonAbi,
    /// Creation bytecode (initcode without constructor arguments).
    pub bytecode: Bytes,
}

/// Reads a compiled artifact: Quarry's and Hardhat's `{abi, bytecode: "0x…"}`, Foundry's
/// `{abi, bytecode: {object: "0x…"}}`, or solc standard JSON's `{abi, evm: {bytecode: {object}}}`.
///
/// # Errors
/// [`AbiError::Artifact`] naming the missing or malformed field, or unlinked library
/// placeholders (`__$…$__`).
pub fn parse_artifact(json: &Value) -> Result<Artifact, AbiError> {
    let abi_value = json.get("abi").ok_or_else(|| AbiError::Artifact("no \"abi\" field".into()))?;
    let abi: JsonAbi = serde_json::from_value(abi_value.clone())
        .map_err(|e| AbiError::Artifact(format!("\"abi\" is not a JSON ABI: {e}")))?;
    let code = json
        .get("bytecode")
        .and_then(|b| b.as_str().or_else(|| b.get("object").and_then(Value::as_str)))
        .or_else(|| json.pointer("/evm/bytecode/object").and_then(Value::as_str))
        .ok_or_else(|| {
            AbiError::Artifact("no \"bytecode\" (string or {object}) or evm.bytecode.object".into())
        })?;
    let bytecode = parse_hex_code(code).map_err(AbiError::Artifact)?;
    Ok(Artifact { abi, bytecode })
}

/// Decodes contract code written as hex (with or without `0x`, surrounding whitespace allowed).
///
/// # Errors
/// A message naming unlinked library placeholders or the bad hex.
pub fn parse_hex_code(text: &str) -> Result<Bytes, String> {
    let trimmed = text.trim();
    let digits = trimmed.strip_prefix("0x").unwrap_or(trimmed);
    if digits.contains("__") {
        return Err("bytecode has unlinked library placeholders (__$…$__); link it first".into());
    }
    if digits.is_empty() {
        return Err("bytecode is empty".into());
    }
    hex::decode(digits).map(Bytes::from).map_err(|e| {
        let shown: String = trimmed.chars().take(20).collect();
        format!("bytecode {shown:?}… is not hex: {e}")
    })
}

/// A value as `cast` prints it: checksummed addresses, decimal integers, `0x` hex bytes,
/// quoted strings, `[a, b]` arrays and `(a, b)` tuples.
pub fn format_value(value: &DynSolValue) -> String {
    match value {
        DynSolValue::Bool(b) => b.to_string(),
        DynSolValue::Int(i, _) => i.to_string(),
        DynSolValue::Uint(u, _) => u.to_string(),
        DynSolValue::FixedBytes(word, size) => hex::encode_prefixed(&word[..*size]),
        DynSolValue::Address(a) => a.to_checksum(None),
        DynSolValue::Function(f) => hex::encode_prefixed(f.as_slice()),
        DynSolValue::Bytes(b) => hex::encode_prefixed(b),
        DynSolValue::String(s) => format!("{s:?}"),
        DynSolValue::Array(items) | DynSolValue::FixedArray(items) => {
            format!("[{}]", items.iter().map(format_value).collect::<Vec<_>>().join(", "))
        }
        DynSolValue::Tuple(items) => {
            format!("({})", items.iter().map(format_value).collect::<Vec<_>>().join(", "))
        }
        #[allow(unreachable_patterns)]
        other => format!("{other:?}"),
    }
}

/// A value as JSON: integers as decimal strings (they may exceed 2^53), strings and booleans
/// as themselves, addresses checksummed, bytes as `0x` hex, arrays and tuples as JSON arrays.
pub fn value_to_json(value: &DynSolValue) -> Value {
    match value {
        DynSolValue::Bool(b) => Value::Bool(*b),
        DynSolValue::String(s) => Value::String(s.clone()),
        DynSolValue::Array(items) | DynSolValue::FixedArray(items) | DynSolValue::Tuple(items) => {
            Value::Array(items.iter().map(value_to_json).collect())
        }
        other => Value::String(format_value(other)),
    }
}

/// A revert's return data in words: `revert: <reason>` for `Error(string)`, `panic: <kind>
/// (0x11)` for `Panic(uint256)` (Solidity docs, "Panic via assert and Error via require"), the
/// text for a raw UTF-8 revert, else `custom error 0x<selector>…` with the data; `None` for
/// empty data.
pub fn decode_revert(data: &[u8]) -> Option<String> {
    if data.is_empty() {
        return None;
    }
    if let Some(reason) = alloy_sol_types::decode_revert_reason(data) {
        return Some(reason);
    }
    Some(format!("custom error 0x{}", hex::encode(data)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, U256};
    use alloy_sol_types::{Panic, Revert, SolError};

    #[test]
    fn cast_style_signature_with_outputs_parses() {
        let f = parse_function("balanceOf(address)(uint256)").unwrap();
        assert_eq!(f.name, "balanceOf");
        assert_eq!(f.signature(), "balanceOf(address)");
        assert_eq!(f.selector().0, [0x70, 0xa0, 0x82, 0x31]);
        assert_eq!(f.outputs.len(), 1);
        assert_eq!(f.outputs[0].ty, "uint256");
        let g = parse_function("function name() view returns (string)").unwrap();
        assert_eq!(g.outputs[0].ty, "string");
    }

    #[test]
    fn bad_signatures_and_types_name_the_text() {
        let err = parse_function("balanceOf(address").unwrap_err().to_string();
        assert!(err.contains("\"balanceOf(address\""), "{err}");
        let err = parse_function("f(uint257)").unwrap_err().to_string();
        assert!(err.contains("uint257"), "{err}");
    }

    #[test]
    fn transfer_calldata_is_the_selector_then_padded_words() {
        let f = parse_function("transfer(address,uint256)").unwrap();
        let data = encode_call(
            &f,
            &["0x70997970C51812dc3A010C7d01b50e0d17dc79C8".into(), "1.5ether".into()],
        )
        .unwrap();
        assert_eq!(data.len(), 4 + 64);
        assert_eq!(&data[..4], &[0xa9, 0x05, 0x9c, 0xbb]);
        assert_eq!(&data[16..36], address!("70997970C51812dc3A010C7d01b50e0d17dc79C8").as_slice());
        assert_eq!(U256::from_be_slice(&data[36..68]), U256::from(1_500_000_000_000_000_000u64));
    }

    #[test]
    fn argument_errors_name_position_type_and_value() {
        let f = parse_function("transfer(address,uint256)").unwrap();
        let err = encode_call(&f, &["0x1234".into(), "1".into()]).unwrap_err().to_string();
        assert!(err.contains("argument 1 (address)") && err.contains("\"0x1234\""), "{err}");
        let err = encode_call(&f, &["0x1234".into()]).unwrap_err().to_string();
        assert!(err.contains("takes 2 argument(s) (address,uint256), 1 given"), "{err}");
        let err =
            encode_call(&f, &[Address::ZERO.to_string(), "lots".into()]).unwrap_err().to_string();
        assert!(err.contains("argument 2 (uint256)") && err.contains("\"lots\""), "{err}");
    }

    use alloy_primitives::Address;

    #[test]
    fn outputs_decode_and_print_like_cast() {
        let f = parse_function("f()(uint256,address,string,bool,bytes,uint8[])").unwrap();
        let values = vec![
            DynSolValue::Uint(U256::from(42), 256),
            DynSolValue::Address(address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266")),
            DynSolValue::String("Quarry".into()),
            DynSolValue::Bool(true),
            DynSolValue::Bytes(vec![0xde, 0xad]),
            DynSolValue::Array(vec![DynSolValue::Uint(U256::from(1), 8)]),
        ];
        let data = DynSolValue::Tuple(values).abi_encode_params();
        let decoded = decode_output(&f, &data).unwrap();
        let shown: Vec<_> = decoded.iter().map(format_value).collect();
        assert_eq!(
            shown,
            [
                "42",
                "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
                "\"Quarry\"",
                "true",
                "0xdead",
                "[1]"
            ]
        );
        assert_eq!(value_to_json(&decoded[0]), Value::String("42".into()));
        assert_eq!(value_to_json(&decoded[3]), Value::Bool(true));
        let err = decode_output(&f, &[1, 2, 3]).unwrap_err().to_string();
        assert!(err.contains("0x010203"), "{err}");
    }

    #[test]
    fn reverts_decode_as_error_string_panic_or_custom() {
        let revert = Revert::from("ERC20: insufficient balance").abi_encode();
        assert_eq!(decode_revert(&revert).unwrap(), "revert: ERC20: insufficient balance");
        let panic = Panic { code: U256::from(0x11) }.abi_encode();
        assert_eq!(
            decode_revert(&panic).unwrap(),
            "panic: arithmetic underflow or overflow (0x11)"
        );
        let custom = [0xe4, 0x50, 0xd3, 0x8c, 0, 1];
        assert_eq!(decode_revert(&custom).unwrap(), "custom error 0xe450d38c0001");
        assert_eq!(decode_revert(&[]), None);
    }

    #[test]
    fn deploy_appends_encoded_constructor_args() {
        let ctor = parse_constructor("constructor(string,uint256)").unwrap();
        let code = encode_deploy(&[0x60, 0x00], Some(&ctor), &["Q".into(), "7".into()]).unwrap();
        assert_eq!(&code[..2], &[0x60, 0x00]);
        assert_eq!(code.len(), 2 + 4 * 32);
        let err = encode_deploy(&[0x60], None, &["1".into()]).unwrap_err().to_string();
        assert!(err.contains("constructor takes 0 argument(s)"), "{err}");
    }

    #[test]
    fn artifacts_in_the_three_common_shapes_are_read() {
        let abi = serde_json::json!([{"type":"constructor","inputs":[{"name":"x","type":"uint256"}],
                                     "stateMutability":"nonpayable"}]);
        for json in [
            serde_json::json!({"abi": abi, "bytecode": "0x6001"}),
            serde_json::json!({"abi": abi, "bytecode": {"object": "6001"}}),
            serde_json::json!({"abi": abi, "evm": {"bytecode": {"object": "0x6001"}}}),
        ] {
            let artifact = parse_artifact(&json).unwrap();
            assert_eq!(artifact.bytecode.as_ref(), &[0x60, 0x01]);
            assert_eq!(artifact.abi.constructor.unwrap().inputs.len(), 1);
        }
        let err = parse_artifact(&serde_json::json!({"abi": []})).unwrap_err().to_string();
        assert!(err.contains("bytecode"), "{err}");
        let err = parse_artifact(&serde_json::json!({"abi": [], "bytecode": "0x60__$abc$__"}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("unlinked"), "{err}");
    }
}
