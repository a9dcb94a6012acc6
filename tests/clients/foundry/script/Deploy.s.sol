// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Child} from "../src/Traced.sol";

/// The cheatcodes this script uses, at the address forge answers them on
/// (forge-std's `Vm`, reduced to what is needed so the suite needs no git dependency).
interface Vm {
    function startBroadcast() external;
    function stopBroadcast() external;
}

/// `forge script --broadcast`: a salted deployment, which forge sends through the
/// deterministic CREATE2 deployer at 0x4e59b44847b379578588920cA78FbF26c0B4956C, then a call.
contract Deploy {
    Vm constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    function run() external returns (Child child) {
        vm.startBroadcast();
        child = new Child{salt: bytes32(uint256(0x5157))}(42);
        child.set(43);
        vm.stopBroadcast();
    }
}
