// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title QuarryOracle: request-response (pull model) oracle
/// @notice Chainlink's basic request model (the Oracle/Operator contract of Chainlink 1.0,
/// Ellis, Juels and Nazarov 2017, section 3): a consumer calls `request` with a job spec (an
/// HTTP(S) URL, an RFC 6901 JSON pointer into its JSON answer, the decimals to scale it to and a
/// callback); this contract emits `OracleRequest`; reporter daemons watch the log, fetch the
/// value and call `fulfill`, which forwards it to the callback. Only an authorised reporter may
/// fulfil, and each request id is fulfilled at most once: the first valid fulfilment wins.
///
/// Trust: one authorised reporter answers a request, so the answer is as good as that reporter
/// (there is no aggregation here, as in Chainlink's basic model; use QuarryAggregator feeds when a
/// faulty minority must not matter).
contract QuarryOracle {
    /// A pending request's callback.
    struct Pending {
        address callbackAddress;
        bytes4 callbackFunctionId;
    }

    /// The sender is not an authorised reporter.
    error NotReporter(address sender);
    /// The request id is unknown or already fulfilled.
    error UnknownRequest(bytes32 requestId);
    /// Only the owner may change the reporter set.
    error NotOwner(address sender);

    /// A consumer asks for `url`'s JSON value at `path`, scaled to `decimals` digits, to be
    /// delivered as `callbackAddress.callbackFunctionId(requestId, int256 value)`.
    event OracleRequest(
        bytes32 indexed requestId,
        address indexed requester,
        string url,
        string path,
        uint8 decimals,
        address callbackAddress,
        bytes4 callbackFunctionId
    );
    /// `requestId` was fulfilled by `reporter` with `value`; `callbackSucceeded` says whether the
    /// consumer's callback returned without reverting (a reverting callback does not reopen it).
    event OracleResponse(bytes32 indexed requestId, address indexed reporter, int256 value, bool callbackSucceeded);

    address public immutable owner;
    mapping(address => bool) public isReporter;
    mapping(bytes32 => Pending) private _pending;
    /// Requests made so far; part of each request id.
    uint256 public requestCount;

    /// @param reporters_ the addresses allowed to fulfil
    constructor(address[] memory reporters_) {
        owner = msg.sender;
        for (uint256 i = 0; i < reporters_.length; i++) {
            isReporter[reporters_[i]] = true;
        }
    }

    /// Adds or removes a reporter (owner only).
    function setReporter(address reporter, bool allowed) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        isReporter[reporter] = allowed;
    }

    /// Registers a request and emits `OracleRequest`; returns its id,
    /// `keccak256(this, requester, requestCount)`.
    function request(
        string calldata url,
        string calldata path,
        uint8 decimals,
        bytes4 callbackFunctionId
    ) external returns (bytes32 requestId) {
        requestId = keccak256(abi.encodePacked(address(this), msg.sender, requestCount));
        requestCount += 1;
        _pending[requestId] = Pending(msg.sender, callbackFunctionId);
        emit OracleRequest(requestId, msg.sender, url, path, decimals, msg.sender, callbackFunctionId);
    }

    /// Whether `requestId` is waiting for its answer.
    function isPending(bytes32 requestId) external view returns (bool) {
        return _pending[requestId].callbackAddress != address(0);
    }

    /// Delivers `value` for `requestId` to its callback. Reverts NotReporter for anyone but an
    /// authorised reporter, UnknownRequest for an unknown or already fulfilled id. The request is
    /// deleted before the callback runs (checks-effects-interactions), so a re-entering or second
    /// fulfilment reverts.
    function fulfill(bytes32 requestId, int256 value) external returns (bool callbackSucceeded) {
        if (!isReporter[msg.sender]) revert NotReporter(msg.sender);
        Pending memory p = _pending[requestId];
        if (p.callbackAddress == address(0)) revert UnknownRequest(requestId);
        delete _pending[requestId];
        (callbackSucceeded,) = p.callbackAddress.call(abi.encodeWithSelector(p.callbackFunctionId, requestId, value));
        emit OracleResponse(requestId, msg.sender, value, callbackSucceeded);
    }
}
