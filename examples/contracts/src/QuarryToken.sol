// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title QuarryToken
/// @notice A plain OpenZeppelin ERC-20 (EIP-20): the deployer receives the whole initial supply.
/// @dev 18 decimals. Deploy: `quarry-wallet deploy out/QuarryToken.json "Quarry Token" QRY 1000000ether`.
contract QuarryToken is ERC20 {
    /// @param name_ Token name, e.g. "Quarry Token".
    /// @param symbol_ Ticker, e.g. "QRY".
    /// @param initialSupply Amount minted to the deployer, in the token's smallest unit.
    constructor(string memory name_, string memory symbol_, uint256 initialSupply) ERC20(name_, symbol_) {
        _mint(msg.sender, initialSupply);
    }
}
