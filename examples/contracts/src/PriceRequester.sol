// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {QuarryOracle} from "oracle/contracts/src/QuarryOracle.sol";

/// @title PriceRequester: a request-response (pull model) consumer of QuarryOracle
/// @notice `requestValue(url, path)` asks the oracle for the JSON value at `path` (RFC 6901
/// pointer) of `url`, scaled to 8 decimals; a reporter daemon fetches it and the oracle calls
/// `fulfill` back. Only the oracle may call `fulfill`.
contract PriceRequester {
    QuarryOracle public immutable oracle;
    mapping(bytes32 => int256) public values;
    mapping(bytes32 => bool) public fulfilled;
    bytes32 public lastRequestId;
    /// How many callbacks arrived in total (each request id at most once).
    uint256 public fulfilments;

    /// The caller of `fulfill` is not the oracle.
    error NotOracle(address sender);

    event ValueReceived(bytes32 indexed requestId, int256 value);

    constructor(QuarryOracle oracle_) {
        oracle = oracle_;
    }

    function requestValue(string calldata url, string calldata path) external returns (bytes32 requestId) {
        requestId = oracle.request(url, path, 8, this.fulfill.selector);
        lastRequestId = requestId;
    }

    /// The oracle's callback.
    function fulfill(bytes32 requestId, int256 value) external {
        if (msg.sender != address(oracle)) revert NotOracle(msg.sender);
        values[requestId] = value;
        fulfilled[requestId] = true;
        fulfilments += 1;
        emit ValueReceived(requestId, value);
    }
}
