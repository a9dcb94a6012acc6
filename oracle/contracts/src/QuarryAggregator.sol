// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "./AggregatorV3Interface.sol";

/// @title QuarryAggregator: a Byzantine-tolerant median data feed
/// @notice A fixed set of n reporters, of which at most f may be faulty (n >= 3f + 1), push
/// signed observations (the transaction signature authenticates the reporter). Rounds are
/// numbered 1, 2, 3, ...; exactly one round is open at a time: `latestRound + 1`. A round closes
/// when 2f + 1 distinct reporters have reported; its answer is the median of those 2f + 1
/// values, `updatedAt` is the closing block's timestamp and `answeredInRound` the round itself.
///
/// Why the median is safe (the Byzantine bound): of the 2f + 1 reports at most f come from faulty
/// reporters, so at least f + 1 are honest. The median is the (f + 1)-th smallest value: at least
/// f + 1 values are <= it and f + 1 are >= it, so on each side at least one of them is honest.
/// The answer therefore lies between the smallest and the largest honest value, whatever the f
/// faulty reporters send (Chainlink's FluxAggregator and OCR use the same median rule; see
/// Breidenbach et al., "Chainlink 2.0", 2021, section 5, and the OCR paper's report rule).
///
/// Liveness needs 2f + 1 live reporters: with more than f offline a round stays open and
/// `latestRoundData` keeps returning the previous round, whose `updatedAt` ages; consumers detect
/// staleness by comparing `updatedAt` with `block.timestamp`.
///
/// Behaviour before the first round closes: `latestRoundData` reverts with `NoDataPresent`
/// (Chainlink's FluxAggregator reverts with "No data present"); `getRoundData` of a round that
/// has not closed reverts the same way.
contract QuarryAggregator is AggregatorV3Interface {
    /// A closed round, as `getRoundData` returns it.
    struct Round {
        int256 answer;
        uint64 startedAt;
        uint64 updatedAt;
    }

    /// A reporter's most recent accepted report.
    struct LastReport {
        uint80 roundId;
        int256 answer;
        uint64 timestamp;
    }

    /// The reporter set and f cannot satisfy n >= 3f + 1, or f is 0 with no reporter.
    error InvalidReporterSet(uint256 n, uint256 f);
    /// The same address appears twice in the reporter set, or the zero address appears.
    error InvalidReporter(address reporter);
    /// The sender is not one of the reporters.
    error NotReporter(address sender);
    /// The report names a round that has already closed (or round 0).
    error RoundClosed(uint80 roundId, uint80 latestRoundId);
    /// The report names a round that is not open yet.
    error RoundNotOpen(uint80 roundId, uint80 openRoundId);
    /// This reporter has already reported in this round.
    error AlreadyReported(uint80 roundId, address reporter);
    /// No round has closed yet, or the asked round has not closed.
    error NoDataPresent(uint80 roundId);

    /// A reporter's observation was accepted into `roundId`.
    event AnswerSubmitted(uint80 indexed roundId, address indexed reporter, int256 answer);
    /// Chainlink's AggregatorInterface event: `roundId` closed with `current` at `updatedAt`.
    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);
    /// Chainlink's AggregatorInterface event: the first report of `roundId` arrived.
    event NewRound(uint256 indexed roundId, address indexed startedBy, uint256 startedAt);

    /// Interface version (Chainlink feeds answer 4 for OCR, 3 for FluxAggregator).
    uint256 public constant override version = 1;

    uint8 public immutable override decimals;
    /// Faulty reporters tolerated.
    uint256 public immutable f;
    /// Reports needed to close a round: 2f + 1.
    uint256 public immutable quorum;
    string public override description;

    address[] private _reporters;
    mapping(address => bool) public isReporter;

    /// The last closed round (0 before any).
    uint80 public latestRound;
    mapping(uint80 => Round) private _rounds;
    /// `reported[roundId][reporter]`: has this reporter reported in this round?
    mapping(uint80 => mapping(address => bool)) public reported;
    /// Values reported so far in the open round (cleared when it closes).
    int256[] private _openAnswers;
    /// Start time of the open round (first report), 0 while it has no report.
    uint64 private _openStartedAt;
    mapping(address => LastReport) private _lastReport;

    /// @param reporters_ the n reporters (distinct, non-zero); n >= 3 * f_ + 1
    /// @param f_ the number of faulty reporters tolerated
    /// @param decimals_ digits after the decimal point in every answer (Chainlink USD feeds use 8)
    /// @param description_ e.g. "ETH / USD"
    constructor(address[] memory reporters_, uint256 f_, uint8 decimals_, string memory description_) {
        if (reporters_.length == 0 || reporters_.length < 3 * f_ + 1) {
            revert InvalidReporterSet(reporters_.length, f_);
        }
        for (uint256 i = 0; i < reporters_.length; i++) {
            address r = reporters_[i];
            if (r == address(0) || isReporter[r]) revert InvalidReporter(r);
            isReporter[r] = true;
        }
        _reporters = reporters_;
        f = f_;
        quorum = 2 * f_ + 1;
        decimals = decimals_;
        description = description_;
    }

    /// The reporter set, in deployment order.
    function reporters() external view returns (address[] memory) {
        return _reporters;
    }

    /// The round that accepts reports now: `latestRound + 1`.
    function openRound() public view returns (uint80) {
        return latestRound + 1;
    }

    /// The open round, how many reports it holds and when its first report arrived (0 if none).
    function openRoundState() external view returns (uint80 roundId, uint256 reports, uint256 startedAt) {
        return (latestRound + 1, _openAnswers.length, _openStartedAt);
    }

    /// A reporter's most recent accepted report (all zero if it never reported).
    function lastReport(address reporter) external view returns (uint80 roundId, int256 answer, uint256 timestamp) {
        LastReport memory r = _lastReport[reporter];
        return (r.roundId, r.answer, r.timestamp);
    }

    /// Submits the sender's observation for `roundId`, which must be the open round.
    /// @dev Reverts NotReporter, RoundClosed (old or closed round), RoundNotOpen (future round),
    /// AlreadyReported (duplicate). The report that brings the round to 2f + 1 closes it.
    function submit(uint80 roundId, int256 answer) external {
        if (!isReporter[msg.sender]) revert NotReporter(msg.sender);
        uint80 open = latestRound + 1;
        if (roundId < open) revert RoundClosed(roundId, latestRound);
        if (roundId > open) revert RoundNotOpen(roundId, open);
        if (reported[roundId][msg.sender]) revert AlreadyReported(roundId, msg.sender);

        reported[roundId][msg.sender] = true;
        _lastReport[msg.sender] = LastReport(roundId, answer, uint64(block.timestamp));
        if (_openAnswers.length == 0) {
            _openStartedAt = uint64(block.timestamp);
            emit NewRound(roundId, msg.sender, block.timestamp);
        }
        _openAnswers.push(answer);
        emit AnswerSubmitted(roundId, msg.sender, answer);

        if (_openAnswers.length == quorum) {
            int256 median = _median(_openAnswers);
            _rounds[roundId] = Round(median, _openStartedAt, uint64(block.timestamp));
            latestRound = roundId;
            delete _openAnswers;
            _openStartedAt = 0;
            emit AnswerUpdated(median, roundId, block.timestamp);
        }
    }

    /// @inheritdoc AggregatorV3Interface
    /// @dev Reverts NoDataPresent for a round that has not closed.
    function getRoundData(uint80 roundId_)
        public
        view
        override
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        if (roundId_ == 0 || roundId_ > latestRound) revert NoDataPresent(roundId_);
        Round memory r = _rounds[roundId_];
        return (roundId_, r.answer, r.startedAt, r.updatedAt, roundId_);
    }

    /// @inheritdoc AggregatorV3Interface
    /// @dev Reverts NoDataPresent before the first round closes.
    function latestRoundData()
        external
        view
        override
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        return getRoundData(latestRound);
    }

    /// The median of an odd-length list: sort a memory copy (insertion sort; the list has
    /// 2f + 1 entries, small) and take the middle.
    function _median(int256[] storage values) private view returns (int256) {
        uint256 n = values.length;
        int256[] memory a = new int256[](n);
        for (uint256 i = 0; i < n; i++) {
            int256 v = values[i];
            uint256 j = i;
            while (j > 0 && a[j - 1] > v) {
                a[j] = a[j - 1];
                j--;
            }
            a[j] = v;
        }
        return a[n / 2];
    }
}
