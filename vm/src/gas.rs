//! Gas constants and cost formulas (Cancun). Names follow the Yellow Paper's appendix G and the
//! EIPs that changed them; each constant says where it comes from.

use alloy_primitives::U256;

/// `G_base`: 2.
pub const BASE: u64 = 2;
/// `G_verylow`: 3.
pub const VERYLOW: u64 = 3;
/// `G_low`: 5.
pub const LOW: u64 = 5;
/// `G_mid`: 8.
pub const MID: u64 = 8;
/// `G_high`: 10.
pub const HIGH: u64 = 10;
/// `G_jumpdest`: 1.
pub const JUMPDEST: u64 = 1;
/// `G_exp`: 10, plus [`EXP_BYTE`] per byte of the exponent.
pub const EXP: u64 = 10;
/// `G_expbyte` (EIP-160): 50.
pub const EXP_BYTE: u64 = 50;
/// `G_keccak256`: 30, plus [`KECCAK256_WORD`] per word.
pub const KECCAK256: u64 = 30;
/// `G_keccak256word`: 6.
pub const KECCAK256_WORD: u64 = 6;
/// `G_copy`: 3 per word copied.
pub const COPY: u64 = 3;
/// `G_blockhash`: 20.
pub const BLOCKHASH: u64 = 20;
/// `G_log`: 375.
pub const LOG: u64 = 375;
/// `G_logdata`: 8 per byte.
pub const LOG_DATA: u64 = 8;
/// `G_logtopic`: 375 per topic.
pub const LOG_TOPIC: u64 = 375;
/// `G_create`: 32 000.
pub const CREATE: u64 = 32_000;
/// `G_codedeposit`: 200 per byte of deployed code.
pub const CODE_DEPOSIT: u64 = 200;
/// `G_callvalue`: 9 000 for a non-zero value transfer.
pub const CALL_VALUE: u64 = 9_000;
/// `G_callstipend`: 2 300 given to the callee of a value transfer.
pub const CALL_STIPEND: u64 = 2_300;
/// `G_newaccount`: 25 000 for sending value to a dead account (EIP-161).
pub const NEW_ACCOUNT: u64 = 25_000;
/// `G_selfdestruct` (EIP-150): 5 000.
pub const SELFDESTRUCT: u64 = 5_000;
/// EIP-2929 `WARM_STORAGE_READ_COST`: 100.
pub const WARM_ACCESS: u64 = 100;
/// EIP-2929 `COLD_ACCOUNT_ACCESS_COST`: 2 600.
pub const COLD_ACCOUNT_ACCESS: u64 = 2_600;
/// EIP-2929 `COLD_SLOAD_COST`: 2 100.
pub const COLD_SLOAD: u64 = 2_100;
/// EIP-2200 `SSTORE_SET_GAS`: 20 000.
pub const SSTORE_SET: u64 = 20_000;
/// EIP-2929 `SSTORE_RESET_GAS` (5 000 − COLD_SLOAD_COST): 2 900.
pub const SSTORE_RESET: u64 = 2_900;
/// EIP-3529 `SSTORE_CLEARS_SCHEDULE` (SSTORE_RESET_GAS + ACCESS_LIST_STORAGE_KEY_COST): 4 800.
pub const SSTORE_CLEARS_SCHEDULE: i64 = 4_800;
/// EIP-2200: SSTORE fails unless more than this much gas is left (the call stipend).
pub const SSTORE_SENTRY: u64 = 2_300;
/// EIP-3860: 2 per 32-byte word of initcode.
pub const INITCODE_WORD: u64 = 2;
/// EIP-4844 `BLOB_BASE_FEE_UPDATE_FRACTION` (Cancun).
pub const BLOB_BASE_FEE_UPDATE_FRACTION: u64 = 3_338_477;
/// EIP-4844 `MIN_BASE_FEE_PER_BLOB_GAS`.
pub const MIN_BLOB_BASE_FEE: u64 = 1;
/// EIP-3529: the refund is capped at gas used / this.
pub const MAX_REFUND_QUOTIENT: u64 = 5;

/// EIP-170: longest deployable code, 24 576 bytes.
pub const MAX_CODE_SIZE: usize = 24_576;
/// EIP-3860: longest initcode, 2 × [`MAX_CODE_SIZE`] = 49 152 bytes.
pub const MAX_INITCODE_SIZE: usize = 2 * MAX_CODE_SIZE;
/// Yellow Paper §9.4.2: deepest call stack (frames at depth 0..=1024).
pub const CALL_DEPTH_LIMIT: usize = 1024;

/// Number of 32-byte words covering `len` bytes: ⌈len / 32⌉.
#[inline]
pub fn words(len: usize) -> u64 {
    (len as u64).div_ceil(32)
}

/// Total cost of `words` words of memory (Yellow Paper eq. 326): `3·w + w²/512`.
#[inline]
pub fn memory_cost(words: u64) -> u64 {
    VERYLOW.saturating_mul(words).saturating_add(words.saturating_mul(words) / 512)
}

/// Cost of copying `len` bytes: [`COPY`] per word (CALLDATACOPY, CODECOPY, MCOPY, …).
#[inline]
pub fn copy_cost(len: usize) -> u64 {
    COPY.saturating_mul(words(len))
}

/// Dynamic part of EXP: [`EXP_BYTE`] per significant byte of the exponent (EIP-160).
#[inline]
pub fn exp_cost(exponent: U256) -> u64 {
    EXP_BYTE * (exponent.bit_len() as u64).div_ceil(8)
}

/// All but one 64th of `gas` (EIP-150): the most a CALL or CREATE may pass on.
#[inline]
pub fn all_but_one_64th(gas: u64) -> u64 {
    gas - gas / 64
}

/// SSTORE cost and refund delta for a write of `new` over `present`, where the slot held
/// `original` at the start of the transaction (EIP-2200 with EIP-2929 and EIP-3529 values).
/// `is_cold` adds [`COLD_SLOAD`]. Returns `(gas, refund_delta)`.
#[inline]
pub fn sstore_cost(original: U256, present: U256, new: U256, is_cold: bool) -> (u64, i64) {
    let cold = if is_cold { COLD_SLOAD } else { 0 };
    if present == new {
        return (cold + WARM_ACCESS, 0);
    }
    if original == present {
        if original.is_zero() {
            return (cold + SSTORE_SET, 0);
        }
        let refund = if new.is_zero() { SSTORE_CLEARS_SCHEDULE } else { 0 };
        return (cold + SSTORE_RESET, refund);
    }
    let mut refund = 0i64;
    if !original.is_zero() {
        if present.is_zero() {
            refund -= SSTORE_CLEARS_SCHEDULE;
        } else if new.is_zero() {
            refund += SSTORE_CLEARS_SCHEDULE;
        }
    }
    if original == new {
        refund += if original.is_zero() {
            (SSTORE_SET - WARM_ACCESS) as i64
        } else {
            (SSTORE_RESET - WARM_ACCESS) as i64
        };
    }
    (cold + WARM_ACCESS, refund)
}

/// EIP-4844 `fake_exponential(factor, numerator, denominator)`: an integer approximation of
/// `factor · e^(numerator / denominator)`.
pub fn fake_exponential(factor: u64, numerator: u64, denominator: u64) -> U256 {
    let factor = U256::from(factor);
    let numerator = U256::from(numerator);
    let denominator = U256::from(denominator);
    let mut i = U256::from(1);
    let mut output = U256::ZERO;
    let mut accum = factor * denominator;
    while !accum.is_zero() {
        output = output.saturating_add(accum);
        accum = accum.saturating_mul(numerator) / (denominator * i);
        i += U256::from(1);
    }
    output / denominator
}

/// BLOBBASEFEE (EIP-7516) for a block with `excess_blob_gas` (EIP-4844).
pub fn blob_base_fee(excess_blob_gas: u64) -> U256 {
    fake_exponential(MIN_BLOB_BASE_FEE, excess_blob_gas, BLOB_BASE_FEE_UPDATE_FRACTION)
}

/// Gas accounting of one frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Gas {
    /// Gas the frame started with.
    pub limit: u64,
    /// Gas left.
    pub remaining: u64,
    /// Refund counter accumulated by this frame (may be negative, EIP-2200).
    pub refunded: i64,
}

impl Gas {
    /// A fresh meter with `limit` gas.
    pub fn new(limit: u64) -> Self {
        Self { limit, remaining: limit, refunded: 0 }
    }

    /// Takes `cost`; `false` (and nothing taken) if not enough is left.
    #[inline(always)]
    pub fn charge(&mut self, cost: u64) -> bool {
        match self.remaining.checked_sub(cost) {
            Some(left) => {
                self.remaining = left;
                true
            }
            None => false,
        }
    }

    /// Gas used so far.
    pub fn used(&self) -> u64 {
        self.limit - self.remaining
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Replays SSTOREs of `values` on a warm slot holding `original`; returns the gas of the
    /// code (4 pushes of 3 gas per SSTORE… as in EIP-3529's table: 2 PUSH1 per SSTORE) and the
    /// refund.
    fn replay(original: u64, values: &[u64]) -> (u64, i64) {
        let original = U256::from(original);
        let mut present = original;
        let (mut gas, mut refund) = (0, 0);
        for &v in values {
            let new = U256::from(v);
            let (g, r) = sstore_cost(original, present, new, false);
            gas += g + 2 * VERYLOW;
            refund += r;
            present = new;
        }
        (gas, refund)
    }

    #[test]
    fn sstore_costs_match_the_eip_3529_table() {
        // (original, writes, used gas, refund) from EIP-3529 §"Test Cases".
        let table: [(u64, &[u64], u64, i64); 17] = [
            (0, &[0, 0], 212, 0),
            (0, &[0, 1], 20_112, 0),
            (0, &[1, 0], 20_112, 19_900),
            (0, &[1, 2], 20_112, 0),
            (0, &[1, 1], 20_112, 0),
            (1, &[0, 0], 3_012, 4_800),
            (1, &[0, 1], 3_012, 2_800),
            (1, &[0, 2], 3_012, 0),
            (1, &[2, 0], 3_012, 4_800),
            (1, &[2, 3], 3_012, 0),
            (1, &[2, 1], 3_012, 2_800),
            (1, &[2, 2], 3_012, 0),
            (1, &[1, 0], 3_012, 4_800),
            (1, &[1, 2], 3_012, 0),
            (1, &[1, 1], 212, 0),
            (0, &[1, 0, 1], 40_118, 19_900),
            (1, &[0, 1, 0], 5_918, 7_600),
        ];
        for (original, writes, gas, refund) in table {
            assert_eq!(replay(original, writes), (gas, refund), "{original} {writes:?}");
        }
    }

    #[test]
    fn memory_cost_is_quadratic() {
        assert_eq!(memory_cost(0), 0);
        assert_eq!(memory_cost(1), 3);
        assert_eq!(memory_cost(1024), 3 * 1024 + 2048);
    }

    #[test]
    fn blob_base_fee_is_one_without_excess_and_grows_exponentially() {
        assert_eq!(blob_base_fee(0), U256::from(1));
        // e^(3338477/3338477) ≈ 2.718 → floor 2.
        assert_eq!(blob_base_fee(BLOB_BASE_FEE_UPDATE_FRACTION), U256::from(2));
    }

    #[test]
    fn calls_keep_one_64th() {
        assert_eq!(all_but_one_64th(6400), 6300);
        assert_eq!(all_but_one_64th(63), 63);
    }
}
