// SPDX-License-Identifier: MIT
pragma solidity ^0.8.0;

/// @title Chainlink's AggregatorV3Interface, unchanged
/// @notice The read interface of Chainlink data feeds (smartcontractkit/chainlink,
/// `contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol`). A consumer written against
/// it reads a Quarry feed without changes.
interface AggregatorV3Interface {
    function decimals() external view returns (uint8);

    function description() external view returns (string memory);

    function version() external view returns (uint256);

    function getRoundData(uint80 _roundId)
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);

    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
}
