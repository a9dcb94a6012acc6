// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title TokenSale
/// @notice Sells an ERC-20 for ether at a fixed rate, and buys it back at the same rate: every
///         purchase and refund is a call from this contract into the token contract.
/// @dev Flow: deploy the token, deploy the sale with the token's address, transfer tokens to
///      the sale (its inventory), then anyone calls `buy()` with ether. To sell back, a holder
///      first `approve`s the sale on the token, then calls `sell(amount)`.
contract TokenSale {
    using SafeERC20 for IERC20;

    /// The token on sale.
    IERC20 public immutable token;
    /// Token units (smallest unit) per wei paid.
    uint256 public immutable rate;
    /// Who may withdraw the ether collected.
    address public immutable owner;

    /// A purchase: `buyer` paid `paid` wei for `amount` token units.
    event Bought(address indexed buyer, uint256 paid, uint256 amount);
    /// A refund: `seller` returned `amount` token units for `refund` wei.
    event Sold(address indexed seller, uint256 amount, uint256 refund);

    constructor(IERC20 token_, uint256 rate_) {
        require(address(token_).code.length > 0, "TokenSale: token is not a contract");
        require(rate_ > 0, "TokenSale: rate is zero");
        token = token_;
        rate = rate_;
        owner = msg.sender;
    }

    /// Units left for sale: the sale contract's own token balance.
    function available() public view returns (uint256) {
        return token.balanceOf(address(this));
    }

    /// Buys `msg.value * rate` token units; reverts if the inventory is short.
    function buy() external payable returns (uint256 amount) {
        require(msg.value > 0, "TokenSale: send ether to buy");
        amount = msg.value * rate;
        require(amount <= available(), "TokenSale: not enough tokens for sale");
        token.safeTransfer(msg.sender, amount);
        emit Bought(msg.sender, msg.value, amount);
    }

    /// Sells `amount` token units back for `amount / rate` wei (needs a prior `approve`).
    function sell(uint256 amount) external returns (uint256 refund) {
        refund = amount / rate;
        require(refund > 0, "TokenSale: amount below one wei");
        require(refund <= address(this).balance, "TokenSale: not enough ether");
        token.safeTransferFrom(msg.sender, address(this), refund * rate);
        emit Sold(msg.sender, refund * rate, refund);
        (bool ok,) = msg.sender.call{value: refund}("");
        require(ok, "TokenSale: refund failed");
    }

    /// Sends the collected ether to the owner.
    function withdraw() external {
        require(msg.sender == owner, "TokenSale: not the owner");
        (bool ok,) = owner.call{value: address(this).balance}("");
        require(ok, "TokenSale: withdraw failed");
    }
}
