// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "oracle/contracts/src/AggregatorV3Interface.sol";

/// @title PricePayout: pays a beneficiary once a price feed reaches a strike price
/// @notice A consumer written only against Chainlink's AggregatorV3Interface, so it reads a Quarry
/// feed (QuarryAggregator) and a Chainlink feed alike. It refuses stale answers: an answer whose
/// `updatedAt` is more than `maxAge` seconds old (for example because too few reporters are live to
/// close new rounds) is not used.
contract PricePayout {
    AggregatorV3Interface public immutable feed;
    /// Strike price, in the feed's decimals.
    int256 public immutable strike;
    /// Oldest acceptable answer, seconds.
    uint256 public immutable maxAge;
    address payable public immutable beneficiary;
    bool public settled;

    /// The feed's latest answer is older than `maxAge`.
    error StalePrice(uint256 updatedAt, uint256 now_, uint256 maxAge);
    /// The price is below the strike.
    error BelowStrike(int256 price, int256 strike);
    /// Already paid out.
    error AlreadySettled();

    event Settled(int256 price, uint80 roundId, uint256 amount);

    constructor(AggregatorV3Interface feed_, int256 strike_, uint256 maxAge_, address payable beneficiary_) payable {
        feed = feed_;
        strike = strike_;
        maxAge = maxAge_;
        beneficiary = beneficiary_;
    }

    /// The feed's latest answer and its round, refusing a stale one (reverts StalePrice).
    function latestPrice() public view returns (int256 price, uint80 roundId, uint256 updatedAt) {
        (uint80 id, int256 answer,, uint256 updated,) = feed.latestRoundData();
        if (block.timestamp > updated + maxAge) revert StalePrice(updated, block.timestamp, maxAge);
        return (answer, id, updated);
    }

    /// Pays the whole balance to the beneficiary if the fresh price is at or above the strike.
    function settle() external {
        if (settled) revert AlreadySettled();
        (int256 price, uint80 roundId,) = latestPrice();
        if (price < strike) revert BelowStrike(price, strike);
        settled = true;
        uint256 amount = address(this).balance;
        emit Settled(price, roundId, amount);
        (bool ok,) = beneficiary.call{value: amount}("");
        require(ok, "transfer failed");
    }
}
