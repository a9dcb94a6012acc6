//! What the wallet prints: a text form for people and one stable JSON object for scripts.

use std::process::ExitCode;

use alloy_primitives::Address;
use quarry_wallet::rpc::TransactionReceipt;
use quarry_wallet::tx::{quantity, Submitted};
use serde_json::{json, Value};

/// A command's result in both forms, and its exit code.
#[derive(Debug)]
pub struct Report {
    /// Text for people (stdout without `--json`).
    pub text: String,
    /// One JSON object (stdout with `--json`).
    pub json: Value,
    /// Process exit code (0 unless the command says otherwise).
    pub exit: u8,
}

impl Report {
    /// A successful report.
    pub fn new(text: impl Into<String>, json: Value) -> Self {
        Self { text: text.into(), json, exit: 0 }
    }

    /// The same report with another exit code.
    pub fn exit(mut self, code: u8) -> Self {
        self.exit = code;
        self
    }

    /// Prints the report and returns its exit code.
    pub fn print(&self, json: bool) -> ExitCode {
        if json {
            println!("{}", self.json);
        } else if !self.text.is_empty() {
            println!("{}", self.text);
        }
        ExitCode::from(self.exit)
    }
}

/// Prints an error (stderr; with `--json` also `{"error": …}` on stdout) and returns its code.
pub fn fail(json: bool, error: &anyhow::Error) -> ExitCode {
    let code = super::exit_code(error);
    let message = format!("{error:#}");
    eprintln!("error: {message}");
    if json {
        let mut object = json!({"error": message, "exitCode": code});
        for cause in error.chain() {
            let rpc = cause.downcast_ref::<quarry_wallet::rpc::RpcError>().or_else(|| {
                match cause.downcast_ref::<quarry_wallet::tx::TxError>() {
                    Some(quarry_wallet::tx::TxError::Rpc(e)) => Some(e),
                    _ => None,
                }
            });
            if let Some(rpc) = rpc {
                object["rpcCode"] = json!(rpc.code());
                object["revertReason"] = json!(rpc.revert_reason());
                object["revertData"] = json!(rpc.revert_data());
                break;
            }
        }
        println!("{object}");
    }
    ExitCode::from(code)
}

/// An address in JSON: EIP-55 mixed-case checksum form.
pub fn addr(address: Address) -> Value {
    Value::String(address.to_checksum(None))
}

/// The JSON summary of an accepted transaction (before its receipt).
pub fn submitted_json(submitted: &Submitted) -> Value {
    let tx = submitted.signed.transaction();
    json!({
        "hash": submitted.hash,
        "from": addr(submitted.from),
        "to": tx.to().to().copied().map(addr),
        "nonce": tx.nonce(),
        "type": tx.tx_type() as u8,
        "gasLimit": tx.gas_limit(),
        "value": tx.value().to_string(),
        "contractAddress": submitted.contract_address().map(addr),
        "receipt": null,
    })
}

/// A receipt as text and JSON; exit code 3 if its status is 0 (reverted, EIP-658).
///
/// JSON: `transactionHash`, `status` (1/0), `blockNumber`, `blockHash`, `transactionIndex`,
/// `from`, `to`, `contractAddress`, `gasUsed`, `cumulativeGasUsed` (numbers),
/// `effectiveGasPrice` (decimal wei string), `logs` (`address`, `topics`, `data`).
pub fn receipt_report(receipt: &TransactionReceipt) -> Report {
    let status = u8::from(receipt.succeeded());
    let json = json!({
        "transactionHash": receipt.transaction_hash,
        "status": status,
        "blockNumber": quantity(receipt.block_number),
        "blockHash": receipt.block_hash,
        "transactionIndex": quantity(receipt.transaction_index),
        "from": addr(receipt.from),
        "to": receipt.to.map(addr),
        "contractAddress": receipt.contract_address.map(addr),
        "gasUsed": quantity(receipt.gas_used),
        "cumulativeGasUsed": quantity(receipt.cumulative_gas_used),
        "effectiveGasPrice": receipt.effective_gas_price.map(|p| p.to_string()),
        "logs": receipt.logs.iter().map(|l| json!({"address": addr(l.address), "topics": l.topics,
                                                   "data": l.data})).collect::<Vec<_>>(),
    });
    let mut lines = vec![
        format!("transaction  {}", receipt.transaction_hash),
        format!("status       {}", if status == 1 { "success (1)" } else { "reverted (0)" }),
        format!("block        {} {}", quantity(receipt.block_number), receipt.block_hash),
        format!("from         {}", receipt.from),
    ];
    if let Some(to) = receipt.to {
        lines.push(format!("to           {to}"));
    }
    if let Some(created) = receipt.contract_address {
        lines.push(format!("contract     {created}"));
    }
    lines.push(format!("gas used     {}", quantity(receipt.gas_used)));
    if let Some(price) = receipt.effective_gas_price {
        lines.push(format!("gas price    {price} wei"));
    }
    lines.push(format!("logs         {}", receipt.logs.len()));
    let report = Report::new(lines.join("\n"), json);
    if status == 1 {
        report
    } else {
        report.exit(super::EXIT_REVERTED)
    }
}
