//! The wallet binary's commands: argument checking, key loading, and output (text or JSON).
//!
//! Exit codes: 0 success; 1 error (bad input, keystore, node error); 2 usage (clap);
//! 3 reverted (a mined transaction with status 0, or a call/estimate the node reverted);
//! 4 not mined (`receipt` of a pending transaction, `wait`/`send` timeout).

mod output;
mod secrets;

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use alloy_primitives::{Address, Bytes, TxKind, B256, U256};
use anyhow::{anyhow, bail, Context};
use quarry_wallet::abi;
use quarry_wallet::dev;
use quarry_wallet::keydir::KeyDir;
use quarry_wallet::keystore::{random_secret_key, KdfChoice, Keystore, ScryptParams};
use quarry_wallet::rpc::{BlockId, CallRequest, RpcClient, RpcError};
use quarry_wallet::tx::{self, FeeOverrides, Sender, TxError, TxRequest};
use quarry_wallet::units::{format_amount, parse_amount, DisplayUnit};
use serde_json::{json, Value};

use crate::{
    CallArgs, Cli, Command, DeployArgs, GasArgs, KdfArgs, SendArgs, TransactArgs, WaitArgs,
};
use output::addr;
pub use output::Report;

/// Exit code: a transaction or call reverted.
pub const EXIT_REVERTED: u8 = 3;
/// Exit code: a transaction is not (yet) in a block.
pub const EXIT_NOT_MINED: u8 = 4;

/// Runs the command and prints its report; returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    let json = cli.json;
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return output::fail(json, &anyhow!("cannot start the async runtime: {e}")),
    };
    match runtime.block_on(dispatch(&cli)) {
        Ok(report) => report.print(json),
        Err(error) => output::fail(json, &error),
    }
}

/// The exit code an error deserves (see the module doc).
pub fn exit_code(error: &anyhow::Error) -> u8 {
    for cause in error.chain() {
        if let Some(TxError::Timeout { .. }) = cause.downcast_ref::<TxError>() {
            return EXIT_NOT_MINED;
        }
        let rpc =
            cause.downcast_ref::<RpcError>().or_else(|| match cause.downcast_ref::<TxError>() {
                Some(TxError::Rpc(e)) => Some(e),
                _ => None,
            });
        if rpc.is_some_and(RpcError::is_revert) {
            return EXIT_REVERTED;
        }
    }
    1
}

async fn dispatch(cli: &Cli) -> anyhow::Result<Report> {
    let keydir = KeyDir::new(cli.keystore.clone().unwrap_or_else(KeyDir::default_dir));
    match &cli.command {
        Command::New(kdf) => {
            let password = secrets::new_password(cli.password_file.as_deref())?;
            store_key(&keydir, &random_secret_key(), &password, kdf)
        }
        Command::Import(args) => {
            let key = secrets::import_key(&args.source)?;
            let password = secrets::new_password(cli.password_file.as_deref())?;
            store_key(&keydir, &key, &password, &args.kdf)
        }
        Command::Export { address } => {
            let address = parse_address("address", address)?;
            let key = secrets::unlock(&keydir, address, cli.password_file.as_deref())?;
            eprintln!("warning: anyone who sees this private key controls {address}");
            Ok(Report::new(
                format!("{}", key.to_bytes()),
                json!({"address": addr(address), "privateKey": key.to_bytes()}),
            ))
        }
        Command::List { dev: true } => {
            let accounts: Vec<Value> = (0..dev::DEV_ACCOUNT_COUNT)
                .map(|i| {
                    let key = dev::dev_key(i);
                    json!({"index": i, "path": dev::derivation_path(i), "address": addr(key.address()),
                           "privateKey": key.to_bytes()})
                })
                .collect();
            let text = accounts
                .iter()
                .map(|a| format!("{} {}", a["index"], a["address"].as_str().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join("\n");
            Ok(Report::new(text, json!({"mnemonic": dev::DEV_MNEMONIC, "accounts": accounts})))
        }
        Command::List { dev: false } => {
            let (keys, bad) = keydir.scan()?;
            for problem in &bad {
                eprintln!("warning: skipped {problem}");
            }
            let accounts: Vec<Value> = keys
                .iter()
                .map(|k| json!({"address": k.keystore.address.map(addr), "path": k.path}))
                .collect();
            let text = keys
                .iter()
                .map(|k| {
                    let address = k.keystore.address.map(|a| a.to_string());
                    format!("{} {}", address.as_deref().unwrap_or("(no address)"), k.path.display())
                })
                .collect::<Vec<_>>()
                .join("\n");
            Ok(Report::new(text, json!({"keystore": keydir.path(), "accounts": accounts})))
        }
        Command::Balance { address, block, unit } => {
            let address = parse_address("address", address)?;
            let block = parse_block(block)?;
            let unit: DisplayUnit = unit.parse()?;
            let wei = client(cli)?.balance(address, block).await?;
            Ok(Report::new(
                format_amount(wei, unit),
                json!({"address": addr(address), "block": block_text(block), "wei": wei.to_string(),
                       "ether": format_amount(wei, DisplayUnit::Ether)}),
            ))
        }
        Command::Nonce { address, block } => {
            let address = parse_address("address", address)?;
            let block = parse_block(block)?;
            let nonce = client(cli)?.transaction_count(address, block).await?;
            Ok(Report::new(
                nonce.to_string(),
                json!({"address": addr(address), "block": block_text(block), "nonce": nonce}),
            ))
        }
        Command::Send(args) => send(cli, &keydir, args).await,
        Command::Deploy(args) => deploy(cli, &keydir, args).await,
        Command::Call(args) => call(cli, args).await,
        Command::Receipt { hash } => {
            let hash = parse_hash(hash)?;
            match client(cli)?.transaction_receipt(hash).await? {
                Some(receipt) => Ok(output::receipt_report(&receipt)),
                None => Ok(Report::new(
                    format!("transaction {hash} is not in a block (pending or unknown)"),
                    json!({"transactionHash": hash, "receipt": null}),
                )
                .exit(EXIT_NOT_MINED)),
            }
        }
        Command::Wait { hash, wait } => {
            let hash = parse_hash(hash)?;
            let (interval, timeout) = wait_durations(wait)?;
            let receipt = tx::wait(&client(cli)?, hash, interval, timeout).await?;
            Ok(output::receipt_report(&receipt))
        }
    }
}

fn store_key(
    keydir: &KeyDir,
    key: &quarry_primitives::crypto::SecretKey,
    password: &str,
    kdf: &KdfArgs,
) -> anyhow::Result<Report> {
    let params = if kdf.light_kdf { ScryptParams::LIGHT } else { ScryptParams::STANDARD };
    let keystore = Keystore::encrypt(key, password.as_bytes(), KdfChoice::Scrypt(params))?;
    let path = keydir.save(&keystore)?;
    Ok(Report::new(
        format!("{}\n{}", key.address(), path.display()),
        json!({"address": addr(key.address()), "path": path}),
    ))
}

fn client(cli: &Cli) -> anyhow::Result<RpcClient> {
    Ok(RpcClient::new(&cli.rpc_url, Duration::from_secs(30))?)
}

/// Parses an address argument; `what` names it in the error.
pub fn parse_address(what: &str, text: &str) -> anyhow::Result<Address> {
    text.trim()
        .parse::<Address>()
        .map_err(|e| anyhow!("invalid {what} {text:?}: {e} (expected 0x and 40 hex digits)"))
}

fn parse_hash(text: &str) -> anyhow::Result<B256> {
    text.trim().parse::<B256>().map_err(|e| {
        anyhow!("invalid transaction hash {text:?}: {e} (expected 0x and 64 hex digits)")
    })
}

fn parse_block(text: &str) -> anyhow::Result<BlockId> {
    text.parse::<BlockId>().map_err(|e| anyhow!(e))
}

fn block_text(block: BlockId) -> Value {
    match block {
        BlockId::Number(n) => json!(n),
        other => serde_json::to_value(other).unwrap_or(Value::Null),
    }
}

fn parse_optional_amount(text: Option<&String>) -> anyhow::Result<Option<U256>> {
    text.map(|t| parse_amount(t)).transpose().map_err(Into::into)
}

fn wait_durations(wait: &WaitArgs) -> anyhow::Result<(Duration, Duration)> {
    let parse = |flag: &str, text: &str| {
        humantime::parse_duration(text)
            .map_err(|e| anyhow!("invalid --{flag} {text:?}: {e} (examples: 500ms, 90s, 5m)"))
    };
    Ok((parse("interval", &wait.interval)?, parse("timeout", &wait.timeout)?))
}

fn fee_overrides(gas: &GasArgs) -> anyhow::Result<FeeOverrides> {
    Ok(FeeOverrides {
        legacy: gas.legacy,
        gas_price: parse_optional_amount(gas.gas_price.as_ref()).context("--gas-price")?,
        max_fee_per_gas: parse_optional_amount(gas.max_fee.as_ref()).context("--max-fee")?,
        max_priority_fee_per_gas: parse_optional_amount(gas.priority_fee.as_ref())
            .context("--priority-fee")?,
    })
}

async fn send(cli: &Cli, keydir: &KeyDir, args: &SendArgs) -> anyhow::Result<Report> {
    let mut positional = args.positional.iter();
    let to_text = match &args.to {
        Some(to) => to.clone(),
        None => positional
            .next()
            .cloned()
            .ok_or_else(|| anyhow!("send needs a recipient: --to ADDR or a first argument"))?,
    };
    let to = parse_address("recipient", &to_text)?;
    let signature = positional.next();
    let rest: Vec<String> = positional.cloned().collect();
    let input = match (signature, &args.data) {
        (Some(_), Some(_)) => bail!("give either a function signature or --data, not both"),
        (Some(sig), None) => abi::encode_call(&abi::parse_function(sig)?, &rest)?,
        (None, Some(hex)) => {
            hex.parse::<Bytes>().map_err(|e| anyhow!("invalid --data {hex:?}: {e}"))?
        }
        (None, None) => Bytes::new(),
    };
    let value = parse_optional_amount(args.value.as_ref()).context("--value")?.unwrap_or_default();
    submit(cli, keydir, TxKind::Call(to), value, input, &args.transact).await
}

async fn deploy(cli: &Cli, keydir: &KeyDir, args: &DeployArgs) -> anyhow::Result<Report> {
    let artifact = read_code(&args.code)?;
    let constructor = match &args.constructor {
        Some(sig) => Some(abi::parse_constructor(sig)?),
        None => artifact.abi.constructor.clone(),
    };
    let initcode = abi::encode_deploy(&artifact.bytecode, constructor.as_ref(), &args.args)?;
    let value = parse_optional_amount(args.value.as_ref()).context("--value")?.unwrap_or_default();
    submit(cli, keydir, TxKind::Create, value, initcode, &args.transact).await
}

/// An artifact file, a file of hex, or literal hex.
fn read_code(code: &str) -> anyhow::Result<abi::Artifact> {
    let path = Path::new(code);
    if !code.starts_with("0x") && path.exists() {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        if let Ok(json) = serde_json::from_str::<Value>(&text) {
            return abi::parse_artifact(&json).with_context(|| path.display().to_string());
        }
        let bytecode = abi::parse_hex_code(&text)
            .map_err(|e| anyhow!("{}: neither artifact JSON nor hex: {e}", path.display()))?;
        return Ok(abi::Artifact { abi: Default::default(), bytecode });
    }
    if !code.starts_with("0x") {
        bail!("{code:?} is neither an existing file nor 0x-prefixed hex bytecode");
    }
    let bytecode = abi::parse_hex_code(code).map_err(|e| anyhow!(e))?;
    Ok(abi::Artifact { abi: Default::default(), bytecode })
}

/// Signs and sends a transaction to `to` with `value` wei and `input`, with the gas, fees and
/// signer of `transact`, then waits for its receipt unless `--async`.
async fn submit(
    cli: &Cli,
    keydir: &KeyDir,
    to: TxKind,
    value: U256,
    input: Bytes,
    transact: &TransactArgs,
) -> anyhow::Result<Report> {
    let request = TxRequest {
        to,
        value,
        input,
        gas_limit: transact.gas.gas_limit,
        nonce: transact.gas.nonce,
        fees: fee_overrides(&transact.gas)?,
    };
    let (interval, timeout) = wait_durations(&transact.wait)?;
    let key = secrets::signer_key(keydir, &transact.signer, cli.password_file.as_deref())?;
    let client = client(cli)?;
    let sender = Sender { client: &client, key: &key };
    let submitted = sender.send(&request).await?;
    let mut summary = output::submitted_json(&submitted);
    if transact.no_wait {
        return Ok(Report::new(submitted.hash.to_string(), summary));
    }
    eprintln!("sent {}; waiting for its receipt", submitted.hash);
    let receipt = tx::wait(&client, submitted.hash, interval, timeout).await?;
    let receipt_report = output::receipt_report(&receipt);
    summary["receipt"] = receipt_report.json.clone();
    Ok(Report { text: receipt_report.text, json: summary, exit: receipt_report.exit })
}

async fn call(cli: &Cli, args: &CallArgs) -> anyhow::Result<Report> {
    let to = parse_address("contract address", &args.to)?;
    let function = abi::parse_function(&args.signature)?;
    let input = abi::encode_call(&function, &args.args)?;
    let from = args.from.as_deref().map(|f| parse_address("--from", f)).transpose()?;
    let block = parse_block(&args.block)?;
    let request = CallRequest {
        from,
        to: Some(to),
        value: parse_optional_amount(args.value.as_ref()).context("--value")?,
        data: Some(input),
        ..Default::default()
    };
    let out = client(cli)?.call(&request, block).await?;
    if function.outputs.is_empty() {
        return Ok(Report::new(
            out.to_string(),
            json!({"to": addr(to), "raw": out, "values": null}),
        ));
    }
    let values = abi::decode_output(&function, &out)?;
    Ok(Report::new(
        values.iter().map(abi::format_value).collect::<Vec<_>>().join("\n"),
        json!({"to": addr(to), "raw": out, "values": values.iter().map(abi::value_to_json).collect::<Vec<_>>()}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("quarry-wallet").chain(args.iter().copied()))
    }

    #[test]
    fn both_send_forms_parse() {
        let cli = parse(&[
            "send",
            "--to",
            "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
            "--value",
            "1.5ether",
            "--dev-account",
            "0",
        ])
        .unwrap();
        let Command::Send(args) = cli.command else { panic!() };
        assert!(args.positional.is_empty());
        assert_eq!(args.value.as_deref(), Some("1.5ether"));
        let cli = parse(&[
            "send",
            "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
            "transfer(address,uint256)",
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
            "-5",
        ])
        .unwrap();
        let Command::Send(args) = cli.command else { panic!() };
        assert_eq!(args.positional.len(), 4, "negative numbers are arguments, not flags");
        let cli = parse(&[
            "deploy",
            "out/T.json",
            "Quarry Token",
            "QRY",
            "1000ether",
            "--dev-account",
            "0",
        ])
        .unwrap();
        let Command::Deploy(args) = cli.command else { panic!() };
        assert_eq!(
            args.args,
            ["Quarry Token", "QRY", "1000ether"],
            "flags after arguments are flags"
        );
        assert_eq!(args.transact.signer.dev_account, Some(0));
    }

    #[test]
    fn import_takes_exactly_one_source() {
        assert!(parse(&["import"]).is_err());
        assert!(parse(&["import", "--dev-account", "1", "--private-key", "0x01"]).is_err());
        assert!(parse(&["import", "--dev-account", "1"]).is_ok());
    }

    #[test]
    fn bad_cli_values_are_named_in_errors() {
        let err = parse_address("recipient", "0xabc").unwrap_err().to_string();
        assert!(err.contains("invalid recipient \"0xabc\""), "{err}");
        let err = parse_hash("0x12").unwrap_err().to_string();
        assert!(err.contains("\"0x12\""), "{err}");
        let err = parse_block("tomorrow").unwrap_err().to_string();
        assert!(err.contains("\"tomorrow\""), "{err}");
        let wait = WaitArgs { timeout: "forever".into(), interval: "1s".into() };
        let err = wait_durations(&wait).unwrap_err().to_string();
        assert!(err.contains("--timeout \"forever\""), "{err}");
        let gas = GasArgs {
            legacy: false,
            gas_price: None,
            max_fee: Some("lots".into()),
            priority_fee: None,
            gas_limit: None,
            nonce: None,
        };
        let err = format!("{:#}", fee_overrides(&gas).unwrap_err());
        assert!(err.contains("--max-fee") && err.contains("\"lots\""), "{err}");
        let err = read_code("no-such-file.json").unwrap_err().to_string();
        assert!(err.contains("no-such-file.json"), "{err}");
    }

    #[test]
    fn reverts_and_timeouts_get_their_exit_codes() {
        let revert = RpcError::Node {
            method: "eth_estimateGas".into(),
            code: 3,
            message: "execution reverted".into(),
            data: None,
        };
        assert_eq!(exit_code(&anyhow::Error::from(TxError::Rpc(revert))), EXIT_REVERTED);
        let timeout = TxError::Timeout { hash: B256::ZERO, timeout: Duration::from_secs(1) };
        assert_eq!(exit_code(&anyhow::Error::from(timeout)), EXIT_NOT_MINED);
        assert_eq!(exit_code(&anyhow!("bad input")), 1);
    }
}
