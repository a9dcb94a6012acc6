//! The oracle's contracts: their ABI (as `sol!` bindings), their committed solc artifacts
//! (`oracle/contracts/out/*.json`, rebuilt by `oracle/contracts/build.sh` with the pinned solc)
//! and the small JSON-RPC helpers that call them through `quarry-wallet`.

use std::time::Duration;

use alloy_primitives::{Address, Bytes, TxKind, U256};
use alloy_sol_types::{sol, sol_data, SolCall, SolInterface, SolType};
use quarry_wallet::abi::parse_artifact;
use quarry_wallet::rpc::{BlockId, CallRequest, RpcClient, RpcError, TransactionReceipt};
use quarry_wallet::tx::{Sender, TxError, TxRequest};

sol! {
    /// `QuarryAggregator` (oracle/contracts/src/QuarryAggregator.sol): the parts the daemon uses.
    #[derive(Debug, PartialEq, Eq)]
    interface IQuarryAggregator {
        error InvalidReporterSet(uint256 n, uint256 f);
        error InvalidReporter(address reporter);
        error NotReporter(address sender);
        error RoundClosed(uint80 roundId, uint80 latestRoundId);
        error RoundNotOpen(uint80 roundId, uint80 openRoundId);
        error AlreadyReported(uint80 roundId, address reporter);
        error NoDataPresent(uint80 roundId);

        function decimals() external view returns (uint8);
        function description() external view returns (string memory);
        function version() external view returns (uint256);
        function f() external view returns (uint256);
        function quorum() external view returns (uint256);
        function reporters() external view returns (address[] memory);
        function isReporter(address reporter) external view returns (bool);
        function latestRound() external view returns (uint80);
        function reported(uint80 roundId, address reporter) external view returns (bool);
        function openRoundState() external view returns (uint80 roundId, uint256 reports, uint256 startedAt);
        function lastReport(address reporter) external view returns (uint80 roundId, int256 answer, uint256 timestamp);
        function submit(uint80 roundId, int256 answer) external;
        function getRoundData(uint80 _roundId) external view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
        function latestRoundData() external view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
    }

    /// `QuarryOracle` (oracle/contracts/src/QuarryOracle.sol): request-response.
    #[derive(Debug, PartialEq, Eq)]
    interface IQuarryOracle {
        error NotReporter(address sender);
        error UnknownRequest(bytes32 requestId);
        error NotOwner(address sender);

        event OracleRequest(bytes32 indexed requestId, address indexed requester, string url, string path, uint8 decimals, address callbackAddress, bytes4 callbackFunctionId);
        event OracleResponse(bytes32 indexed requestId, address indexed reporter, int256 value, bool callbackSucceeded);

        function isPending(bytes32 requestId) external view returns (bool);
        function fulfill(bytes32 requestId, int256 value) external returns (bool);
    }
}

/// The compiled `QuarryAggregator` artifact (solc 0.8.28, cancun, optimizer 200 runs).
pub const AGGREGATOR_ARTIFACT: &str = include_str!("../contracts/out/QuarryAggregator.json");
/// The compiled `QuarryOracle` artifact.
pub const ORACLE_ARTIFACT: &str = include_str!("../contracts/out/QuarryOracle.json");

/// Initcode of an artifact with ABI-encoded constructor arguments appended.
fn initcode(artifact: &str, args: Vec<u8>) -> Bytes {
    let json = serde_json::from_str(artifact).expect("committed artifact is JSON");
    let mut code =
        parse_artifact(&json).expect("committed artifact has bytecode").bytecode.to_vec();
    code.extend_from_slice(&args);
    code.into()
}

/// `QuarryAggregator(reporters, f, decimals, description)` initcode.
pub fn aggregator_initcode(
    reporters: &[Address],
    f: u64,
    decimals: u8,
    description: &str,
) -> Bytes {
    initcode(AGGREGATOR_ARTIFACT, aggregator_args(reporters, f, decimals, description))
}

/// ABI-encoded `(address[], uint256, uint8, string)` constructor arguments.
fn aggregator_args(reporters: &[Address], f: u64, decimals: u8, description: &str) -> Vec<u8> {
    type Args = (
        sol_data::Array<sol_data::Address>,
        sol_data::Uint<256>,
        sol_data::Uint<8>,
        sol_data::String,
    );
    Args::abi_encode_params(&(reporters.to_vec(), U256::from(f), decimals, description.to_string()))
}

/// `QuarryOracle(reporters)` initcode.
pub fn oracle_initcode(reporters: &[Address]) -> Bytes {
    type Args = (sol_data::Array<sol_data::Address>,);
    initcode(ORACLE_ARTIFACT, Args::abi_encode_params(&(reporters.to_vec(),)))
}

/// Calls a view function at the latest block and decodes its return.
///
/// # Errors
/// The node's error (a revert carries its data), or an undecodable return as
/// [`RpcError::InvalidResponse`].
pub async fn view<C: SolCall>(
    client: &RpcClient,
    to: Address,
    call: C,
) -> Result<C::Return, RpcError> {
    let request =
        CallRequest { to: Some(to), data: Some(call.abi_encode().into()), ..Default::default() };
    let data = client.call(&request, BlockId::Latest).await?;
    C::abi_decode_returns(&data).map_err(|e| RpcError::InvalidResponse {
        method: format!("eth_call {}", C::SIGNATURE),
        reason: e.to_string(),
    })
}

/// A revert's custom error by name (`AlreadyReported(3, 0x…)`), if the data is one of the
/// oracle contracts' errors; otherwise the wallet's generic decoding.
pub fn revert_name(error: &RpcError) -> Option<String> {
    let data = error.revert_data()?;
    if let Ok(e) = IQuarryAggregator::IQuarryAggregatorErrors::abi_decode(&data) {
        return Some(format!("{e:?}"));
    }
    if let Ok(e) = IQuarryOracle::IQuarryOracleErrors::abi_decode(&data) {
        return Some(format!("{e:?}"));
    }
    error.revert_reason()
}

/// Why a contract transaction did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The node's gas estimate reverted: nothing was sent. `reason` names the custom error.
    #[error("reverts: {reason}")]
    Reverts {
        /// The decoded custom error or reason.
        reason: String,
    },
    /// Sent and mined, but status 0.
    #[error("transaction {hash} reverted on chain")]
    MinedReverted {
        /// The transaction hash.
        hash: alloy_primitives::B256,
    },
    /// Anything else: transport, nonce, fees, receipt timeout.
    #[error(transparent)]
    Tx(#[from] TxError),
}

/// The gas limit sent for an estimate: twice the estimate plus 50 000 gas.
pub fn gas_limit_with_headroom(estimate: u64) -> u64 {
    estimate.saturating_mul(2).saturating_add(50_000)
}

/// Estimates (with headroom, [`gas_limit_with_headroom`]), signs and sends `input` to `to` (or a creation), then waits for the receipt.
/// Nonces come from the node's pending count, so one key's transactions must be sent one after
/// another (the daemon does).
///
/// # Errors
/// [`SendError`]; a reverting estimate sends nothing.
pub async fn send(
    sender: &Sender<'_>,
    to: TxKind,
    input: Bytes,
    receipt_timeout: Duration,
) -> Result<TransactionReceipt, SendError> {
    let mut request = TxRequest { to, input, ..Default::default() };
    // Estimate ourselves and leave headroom: a report estimated while the round still needs
    // others may land as the closing report, which also sorts and stores the round (the gas
    // actually used is what is paid; the limit only caps it).
    let call = quarry_wallet::tx::call_request(Some(sender.address()), &request);
    let estimate = match sender.client.estimate_gas(&call).await {
        Ok(gas) => gas,
        Err(e) if e.is_revert() => {
            let reason = revert_name(&e).unwrap_or_else(|| e.to_string());
            return Err(SendError::Reverts { reason });
        }
        Err(e) => return Err(TxError::Rpc(e).into()),
    };
    request.gas_limit = Some(gas_limit_with_headroom(estimate));
    let tx = match sender.prepare(&request).await {
        Ok(tx) => tx,
        Err(TxError::Rpc(e)) if e.is_revert() => {
            let reason = revert_name(&e).unwrap_or_else(|| e.to_string());
            return Err(SendError::Reverts { reason });
        }
        Err(e) => return Err(e.into()),
    };
    let submitted = sender.send_transaction(tx).await?;
    let receipt = quarry_wallet::tx::wait(
        sender.client,
        submitted.hash,
        Duration::from_millis(250),
        receipt_timeout,
    )
    .await?;
    if !receipt.succeeded() {
        return Err(SendError::MinedReverted { hash: submitted.hash });
    }
    Ok(receipt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bindings_match_the_committed_artifacts_abi() {
        // Every selector the daemon uses exists in the compiled contract's ABI.
        for (artifact, selectors) in [
            (
                AGGREGATOR_ARTIFACT,
                vec![
                    IQuarryAggregator::submitCall::SELECTOR,
                    IQuarryAggregator::openRoundStateCall::SELECTOR,
                    IQuarryAggregator::reportedCall::SELECTOR,
                    IQuarryAggregator::lastReportCall::SELECTOR,
                    IQuarryAggregator::latestRoundDataCall::SELECTOR,
                    IQuarryAggregator::getRoundDataCall::SELECTOR,
                    IQuarryAggregator::reportersCall::SELECTOR,
                    IQuarryAggregator::quorumCall::SELECTOR,
                ],
            ),
            (
                ORACLE_ARTIFACT,
                vec![IQuarryOracle::fulfillCall::SELECTOR, IQuarryOracle::isPendingCall::SELECTOR],
            ),
        ] {
            let json: serde_json::Value = serde_json::from_str(artifact).unwrap();
            let abi: alloy_json_abi::JsonAbi = serde_json::from_value(json["abi"].clone()).unwrap();
            let known: Vec<[u8; 4]> = abi.functions().map(|f| f.selector().0).collect();
            for selector in selectors {
                assert!(known.contains(&selector), "selector {selector:?} not in the artifact");
            }
        }
    }

    #[test]
    fn initcode_ends_with_the_constructor_arguments() {
        let reporters = [Address::repeat_byte(1), Address::repeat_byte(2)];
        let code = aggregator_initcode(&reporters, 0, 8, "X / Y");
        let args = aggregator_args(&reporters, 0, 8, "X / Y");
        assert!(code.ends_with(&args));
        // Head: offset of the array (0x80), f, decimals, offset of the string.
        assert_eq!(args[31], 0x80);
        assert_eq!(args[95], 8);
    }
}
