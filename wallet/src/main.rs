//! `quarry-wallet`: keys, balances, transfers, contract calls and deployments against any
//! Ethereum JSON-RPC node. See `docs/wallet.md` for usage, JSON output and exit codes.

mod cli;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// Quarry's wallet: Web3 Secret Storage v3 keystores and an Ethereum JSON-RPC client.
#[derive(Parser, Debug)]
#[command(name = "quarry-wallet", version, about, long_about = None)]
pub struct Cli {
    /// Keystore directory (default: <user data dir>/quarry/keystore).
    #[arg(long, global = true, env = "QUARRY_KEYSTORE", value_name = "DIR")]
    pub keystore: Option<PathBuf>,
    /// JSON-RPC endpoint of the node.
    #[arg(long, global = true, env = "QUARRY_RPC_URL", default_value = "http://127.0.0.1:8545")]
    pub rpc_url: String,
    /// Print one JSON object on stdout instead of text (errors too: {"error": …}).
    #[arg(long, global = true)]
    pub json: bool,
    /// Read the keystore password from the first line of FILE (else env QUARRY_PASSWORD,
    /// else a prompt on the terminal).
    #[arg(long, global = true, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The wallet's commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a new random key and store it encrypted in the keystore.
    New(KdfArgs),
    /// Import a private key (hex) or a dev mnemonic account into the keystore.
    Import(ImportArgs),
    /// Print a stored key's private key (hex) after checking its password.
    Export {
        /// Address of the key.
        address: String,
    },
    /// List the keystore's addresses (or, with --dev, the dev mnemonic's ten accounts).
    List {
        /// List the dev mnemonic's accounts (m/44'/60'/0'/0/0..9) instead of the keystore.
        #[arg(long)]
        dev: bool,
    },
    /// An account's balance.
    Balance {
        /// The account.
        address: String,
        /// Block: latest, pending, earliest or a number.
        #[arg(long, default_value = "latest")]
        block: String,
        /// Unit for the text output: wei (like cast), gwei or ether.
        #[arg(long, default_value = "wei")]
        unit: String,
    },
    /// An account's nonce (transaction count).
    Nonce {
        /// The account.
        address: String,
        /// Block: latest, pending, earliest or a number.
        #[arg(long, default_value = "latest")]
        block: String,
    },
    /// Send ether (`send --to ADDR --value 1.5ether`) or call a contract in a transaction
    /// (`send ADDR "transfer(address,uint256)" 0x… 10`).
    Send(SendArgs),
    /// Deploy a contract from a solc artifact (JSON with abi and bytecode) or hex bytecode.
    Deploy(DeployArgs),
    /// Read-only contract call: `call ADDR "balanceOf(address)(uint256)" 0x…`.
    Call(CallArgs),
    /// A transaction's receipt (exit code 4 if it is not in a block yet).
    Receipt {
        /// Transaction hash.
        hash: String,
    },
    /// Wait for a transaction's receipt.
    Wait {
        /// Transaction hash.
        hash: String,
        #[command(flatten)]
        wait: WaitArgs,
    },
}

/// How a new keystore file derives its key.
#[derive(Args, Debug, Clone)]
pub struct KdfArgs {
    /// Use geth's light scrypt parameters (n=4096, p=6) instead of the standard
    /// (n=262144, r=8, p=1): fast, for test and dev keys only.
    #[arg(long)]
    pub light_kdf: bool,
}

/// Where the imported key comes from (exactly one).
#[derive(Args, Debug)]
#[group(required = true, multiple = false)]
pub struct ImportSource {
    /// The private key as 64 hex digits (visible to other users in the process list: prefer
    /// --private-key-file or env QUARRY_PRIVATE_KEY).
    #[arg(long, env = "QUARRY_PRIVATE_KEY", hide_env_values = true)]
    pub private_key: Option<String>,
    /// Read the private key (hex) from the first line of FILE.
    #[arg(long, value_name = "FILE")]
    pub private_key_file: Option<PathBuf>,
    /// Account N of the dev mnemonic ("test test … junk", m/44'/60'/0'/0/N).
    #[arg(long, value_name = "N")]
    pub dev_account: Option<u32>,
}

/// Arguments of `import`.
#[derive(Args, Debug)]
pub struct ImportArgs {
    #[command(flatten)]
    pub source: ImportSource,
    #[command(flatten)]
    pub kdf: KdfArgs,
}

/// Which key signs.
#[derive(Args, Debug, Clone)]
pub struct SignerArgs {
    /// Sign with the keystore key of this address (default: the only key in the keystore).
    #[arg(long, value_name = "ADDR", conflicts_with = "dev_account")]
    pub from: Option<String>,
    /// Sign with dev mnemonic account N (no keystore, no password; dev chains only).
    #[arg(long, value_name = "N")]
    pub dev_account: Option<u32>,
}

/// Gas and fee choices.
#[derive(Args, Debug, Clone)]
pub struct GasArgs {
    /// Send a legacy (type 0) transaction priced by eth_gasPrice.
    #[arg(long)]
    pub legacy: bool,
    /// Legacy gas price (implies --legacy), e.g. 2gwei.
    #[arg(long, value_name = "AMOUNT")]
    pub gas_price: Option<String>,
    /// EIP-1559 max fee per gas (default 2 × next base fee + priority fee), e.g. 30gwei.
    #[arg(long, value_name = "AMOUNT")]
    pub max_fee: Option<String>,
    /// EIP-1559 max priority fee per gas (default eth_maxPriorityFeePerGas), e.g. 1gwei.
    #[arg(long, value_name = "AMOUNT")]
    pub priority_fee: Option<String>,
    /// Gas limit (default eth_estimateGas).
    #[arg(long)]
    pub gas_limit: Option<u64>,
    /// Nonce (default eth_getTransactionCount at "pending").
    #[arg(long)]
    pub nonce: Option<u64>,
}

/// Waiting for a receipt.
#[derive(Args, Debug, Clone)]
pub struct WaitArgs {
    /// Give up after this long (e.g. 90s, 5m); exit code 4.
    #[arg(long, default_value = "120s")]
    pub timeout: String,
    /// Poll interval.
    #[arg(long, default_value = "500ms")]
    pub interval: String,
}

/// What every command that sends a transaction shares: the signer, gas and fees, and
/// whether to wait for the receipt.
#[derive(Args, Debug)]
pub struct TransactArgs {
    /// Return after the node accepts the transaction, without waiting for the receipt.
    #[arg(long = "async")]
    pub no_wait: bool,
    #[command(flatten)]
    pub signer: SignerArgs,
    #[command(flatten)]
    pub gas: GasArgs,
    #[command(flatten)]
    pub wait: WaitArgs,
}

/// Arguments of `send`.
#[derive(Args, Debug)]
pub struct SendArgs {
    /// [TO] [SIGNATURE [ARGS…]]: recipient (unless --to), then an optional function
    /// signature and its arguments.
    #[arg(value_name = "TO|SIG|ARGS", allow_negative_numbers = true)]
    pub positional: Vec<String>,
    /// Recipient (instead of the first positional argument).
    #[arg(long, value_name = "ADDR")]
    pub to: Option<String>,
    /// Ether to send, e.g. 1.5ether, 20gwei, 1000 (wei).
    #[arg(long, value_name = "AMOUNT")]
    pub value: Option<String>,
    /// Raw calldata as hex (instead of a signature and arguments).
    #[arg(long, value_name = "HEX")]
    pub data: Option<String>,
    #[command(flatten)]
    pub transact: TransactArgs,
}

/// Arguments of `deploy`.
#[derive(Args, Debug)]
pub struct DeployArgs {
    /// Artifact JSON file ({abi, bytecode}), a file holding hex bytecode, or 0x… hex.
    pub code: String,
    /// Constructor arguments.
    #[arg(allow_negative_numbers = true)]
    pub args: Vec<String>,
    /// Constructor signature for hex bytecode, e.g. "constructor(string,uint256)".
    #[arg(long, value_name = "SIG")]
    pub constructor: Option<String>,
    /// Ether to send to a payable constructor.
    #[arg(long, value_name = "AMOUNT")]
    pub value: Option<String>,
    #[command(flatten)]
    pub transact: TransactArgs,
}

/// Arguments of `call`.
#[derive(Args, Debug)]
pub struct CallArgs {
    /// Contract address.
    pub to: String,
    /// Function signature, with outputs to decode: "balanceOf(address)(uint256)".
    pub signature: String,
    /// Arguments.
    #[arg(allow_negative_numbers = true)]
    pub args: Vec<String>,
    /// Caller (msg.sender) for the call.
    #[arg(long, value_name = "ADDR")]
    pub from: Option<String>,
    /// Ether (msg.value) for the call.
    #[arg(long, value_name = "AMOUNT")]
    pub value: Option<String>,
    /// Block: latest, pending, earliest or a number.
    #[arg(long, default_value = "latest")]
    pub block: String,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    cli::run(cli)
}
