// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// A contract for each thing a tracer must get right, called by flow.mjs on Quarry and on
/// anvil, whose `debug_traceTransaction` answers the flow compares: nested calls, a revert
/// caught inside and one that ends the transaction, CREATE and CREATE2 with value,
/// SELFDESTRUCT (EIP-6780: only in the creating transaction does it delete the account),
/// the precompiles, and running out of gas inside a call and at the top.
contract Child {
    uint256 public value;

    event Born(uint256 value, uint256 balance);

    constructor(uint256 initial) payable {
        value = initial;
        emit Born(initial, msg.value);
    }

    function set(uint256 next) external returns (uint256 previous) {
        previous = value;
        value = next;
    }

    function fail(uint256 code) external pure {
        revert Refused(code);
    }

    function burn() external {
        for (uint256 i = 0; ; i++) {
            value = uint256(keccak256(abi.encode(value, i)));
        }
    }

    function destroy(address payable beneficiary) external {
        selfdestruct(beneficiary);
    }

    error Refused(uint256 code);
}

contract Traced {
    Child public child;
    uint256 public count;

    event Counted(address indexed by, uint256 count);

    constructor() payable {
        child = new Child{value: 1000}(7);
    }

    /// A call into the child (SLOAD/SSTORE there) and a log here.
    function relay(uint256 next) external returns (uint256 previous) {
        previous = child.set(next);
        count += 1;
        emit Counted(msg.sender, count);
    }

    /// The child reverts with a custom error; the revert is caught and the transaction succeeds.
    function tryFail(uint256 code) external returns (bool failed) {
        try child.fail(code) {
            failed = false;
        } catch {
            failed = true;
        }
        count += 1;
    }

    /// The whole transaction reverts with a reason string after a write.
    function failHere() external {
        count += 100;
        require(count == 0, "Traced: refused");
    }

    /// CREATE and CREATE2 with value, from a contract.
    function make(uint256 initial, bytes32 salt) external payable returns (Child made, Child salted) {
        made = new Child{value: msg.value / 2}(initial);
        salted = new Child{value: msg.value / 2, salt: salt}(initial + 1);
    }

    /// SELFDESTRUCT of an account made in an earlier transaction (EIP-6780: its balance moves,
    /// the account stays) and of one made in this transaction (deleted).
    function destroy(Child old) external payable {
        old.destroy(payable(msg.sender));
        Child fresh = new Child{value: msg.value}(1);
        fresh.destroy(payable(address(this)));
    }

    /// ecrecover, SHA-256, RIPEMD-160, identity, modexp, alt_bn128 add and BLAKE2 F.
    function precompiles() external returns (bytes32 digest) {
        bytes32 hash = keccak256("quarry");
        address signer = ecrecover(hash, 27, bytes32(uint256(1)), bytes32(uint256(2)));
        digest = sha256(abi.encodePacked(signer, hash));
        digest ^= bytes32(ripemd160(abi.encodePacked(digest)));
        bytes memory copy = precompile(4, abi.encodePacked(digest));
        bytes memory power =
            precompile(5, abi.encode(uint256(32), uint256(32), uint256(32), digest, uint256(3), uint256(1000003)));
        bytes memory sum = precompile(6, abi.encode(uint256(1), uint256(2), uint256(1), uint256(2)));
        bytes memory blakeInput = new bytes(213);
        blakeInput[3] = 0x0c; // 12 rounds
        bytes memory blake = precompile(9, blakeInput);
        digest = keccak256(abi.encodePacked(digest, copy, power, sum, blake));
        count += 1;
    }

    function precompile(uint160 at, bytes memory input) private view returns (bytes memory output) {
        bool ok;
        (ok, output) = address(at).staticcall(input);
        require(ok, "Traced: precompile failed");
    }

    /// The child runs out of the gas it was given; the caller goes on.
    function starve() external returns (bool ok) {
        (ok,) = address(child).call{gas: 30000}(abi.encodeCall(Child.burn, ()));
        count += 1;
    }

    /// Runs out of gas at the top level.
    function exhaust() external {
        child.burn();
    }
}
