//! Precompiled contracts 0x01–0x0a (Cancun). Under construction (see issue 3).

use alloy_primitives::{Address, Bytes};

/// What a successful precompile call returns: the gas it used and its output bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrecompileOutput {
    /// Gas consumed, ≤ the gas limit passed in.
    pub gas_used: u64,
    /// Returned bytes.
    pub output: Bytes,
}

/// Why a precompile call failed. A failed call consumes all the gas it was given.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PrecompileError {
    /// The call's gas limit is below the precompile's cost.
    #[error("out of gas: need {needed}, have {limit}")]
    OutOfGas {
        /// Gas the call would cost.
        needed: u64,
        /// Gas the caller provided.
        limit: u64,
    },
    /// The input is malformed for this precompile (names what was wrong).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The precompile exists but Quarry does not implement it (0x0a, KZG point evaluation).
    #[error("unsupported precompile {0}")]
    Unsupported(Address),
}

/// `true` if `address` is a Cancun precompile (0x01..=0x0a).
pub fn is_precompile(address: Address) -> bool {
    let b = address.as_slice();
    b[..19].iter().all(|&x| x == 0) && (1..=0x0a).contains(&b[19])
}

/// Runs the precompile at `address` on `input` with `gas_limit`; `None` if `address` is not a
/// precompile.
pub fn run(
    address: Address,
    input: &[u8],
    gas_limit: u64,
) -> Option<Result<PrecompileOutput, PrecompileError>> {
    if !is_precompile(address) {
        return None;
    }
    let _ = (input, gas_limit);
    Some(Err(PrecompileError::Unsupported(address)))
}
