//! Code analysis done once per code hash: the JUMPDEST bitmap (Yellow Paper §9.4.3), the code
//! padded so that PUSH never reads past the end, and the checks of each basic block.
//!
//! A basic block starts at the first byte, at each JUMPDEST and after each instruction that
//! ends one ([`ends_block`]); execution enters it only at its start and, short of an
//! exceptional halt, runs it to its end. The untraced run loop therefore charges a block's
//! static gas and checks its stack needs once, on entry ([`BlockCheck`]), and not in its
//! dispatch: a block is entered by its JUMPDEST, or, when it does not start with one, by the
//! instruction that falls into it (JUMPI, GAS, SSTORE) or by the loop itself at the frame's
//! start and after a child frame ([`super::table::Table::BLOCKS`]). An entry check that
//! fails halts the frame where per-instruction checks would have halted it a few instructions
//! later; the outcome is the same, since an exceptional halt burns the frame's gas and undoes
//! its changes, and nothing inside a block reaches outside the frame or reads the gas left
//! (the instructions that do end their block).

use alloy_primitives::Bytes;

use super::table::{STACK_IO, STATIC_GAS};
use super::STACK_LIMIT;

/// Code ready to run: the original bytes, a padded copy and the valid jump destinations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnalyzedCode {
    /// The code followed by 33 zero bytes (a PUSH32 at the end reads zeros, then STOP).
    padded: Bytes,
    /// Length of the original code.
    len: usize,
    /// Bit `i` is set when byte `i` is a JUMPDEST that is not PUSH data.
    jumpdests: Vec<u64>,
    /// For each byte of the padded code, the index in `checks` of the basic block starting
    /// there, 0 where none starts. `u32`: code that never went through EIP-170/EIP-3860 (a
    /// genesis or test account, `quarry-evm run`) may hold more than 65 535 blocks.
    block_at: Vec<u32>,
    /// The check of each basic block, from index 1 (index 0 is a placeholder).
    checks: Vec<BlockCheck>,
}

/// What the untraced run loop checks on entering a basic block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BlockCheck {
    /// Sum of the static gas of the block's instructions.
    pub gas: u32,
    /// Stack items needed on entry so that no instruction of the block underflows it.
    pub min_items: u16,
    /// Most stack items allowed on entry so that no instruction of the block overflows it;
    /// −1 for a block that pushes more than [`STACK_LIMIT`] items in all.
    pub max_items: i32,
}

/// The JUMPDEST opcode, which starts a basic block wherever it is an instruction.
pub const JUMPDEST: u8 = 0x5b;

/// `true` for the instructions after which a new basic block starts: those that leave the
/// straight line (JUMP, JUMPI, the frame's endings), read the gas left (GAS, SSTORE's
/// EIP-2200 sentry, the CALL and CREATE families) or hand over to a child frame.
pub const fn ends_block(op: u8) -> bool {
    matches!(op, 0x00 | 0x55 | 0x56 | 0x57 | 0x5a | 0xf0..=0xf5 | 0xfa | 0xfd | 0xfe | 0xff)
}

/// Builds one block's check from its instructions, in order.
struct BlockBuilder {
    gas: u64,
    /// Net stack change so far, from the block's entry.
    depth: i64,
    min_items: i64,
    peak: i64,
}

impl BlockBuilder {
    fn new() -> Self {
        Self { gas: 0, depth: 0, min_items: 0, peak: 0 }
    }

    fn add(&mut self, op: u8) {
        let (inputs, outputs) = STACK_IO[op as usize];
        self.gas += STATIC_GAS[op as usize] as u64;
        self.min_items = self.min_items.max(inputs as i64 - self.depth);
        self.depth += outputs as i64 - inputs as i64;
        self.peak = self.peak.max(self.depth);
    }

    fn finish(&self) -> BlockCheck {
        let limit = STACK_LIMIT as i64;
        BlockCheck {
            gas: self.gas.min(u32::MAX as u64) as u32,
            min_items: self.min_items.min(limit + 1) as u16,
            // Past the limit the block overflows from any height: no stack passes −1.
            max_items: (limit - self.peak).max(-1) as i32,
        }
    }
}

impl AnalyzedCode {
    /// Analyses `code`: marks every 0x5b that is an instruction, not PUSH data, and computes
    /// the check of each basic block.
    pub fn new(code: &[u8]) -> Self {
        let mut jumpdests = vec![0u64; code.len().div_ceil(64)];
        let mut block_at = vec![0u32; code.len() + 33];
        let mut checks = vec![BlockCheck::default()];
        let mut block_start = 0;
        let mut block = BlockBuilder::new();
        let mut end_block = |start: usize, block: &BlockBuilder| {
            block_at[start] = u32::try_from(checks.len()).expect("fewer blocks than code bytes");
            checks.push(block.finish());
        };
        let mut i = 0;
        while i < code.len() {
            let op = code[i];
            if op == JUMPDEST {
                jumpdests[i / 64] |= 1 << (i % 64);
                if i != block_start {
                    end_block(block_start, &block);
                    block_start = i;
                    block = BlockBuilder::new();
                }
            }
            block.add(op);
            if (0x60..=0x7f).contains(&op) {
                i += (op - 0x5f) as usize;
            }
            i += 1;
            if ends_block(op) {
                end_block(block_start, &block);
                block_start = i;
                block = BlockBuilder::new();
            }
        }
        // The last block runs into the padding's STOP, which needs nothing more.
        end_block(block_start, &block);
        let mut padded = Vec::with_capacity(code.len() + 33);
        padded.extend_from_slice(code);
        padded.resize(code.len() + 33, 0);
        Self { padded: padded.into(), len: code.len(), jumpdests, block_at, checks }
    }

    /// The index of the basic block starting at `pc` (for [`Self::block_check`]), 0 when none
    /// starts there. `pc` may be anywhere in the padded code.
    ///
    /// # Safety
    /// `pc` is below the padded code's length.
    #[inline(always)]
    pub unsafe fn block_at(&self, pc: usize) -> u32 {
        debug_assert!(pc < self.block_at.len());
        // SAFETY: `block_at` has one entry per byte of the padded code.
        unsafe { *self.block_at.get_unchecked(pc) }
    }

    /// The check of block `index`, a non-zero value of [`Self::block_at`].
    ///
    /// # Safety
    /// `index` came from [`Self::block_at`] on this code.
    #[inline(always)]
    pub unsafe fn block_check(&self, index: u32) -> BlockCheck {
        debug_assert!((index as usize) < self.checks.len());
        // SAFETY: every index in `block_at` was the length of `checks` before a push.
        unsafe { *self.checks.get_unchecked(index as usize) }
    }

    /// The original code.
    #[inline]
    pub fn original(&self) -> &[u8] {
        &self.padded[..self.len]
    }

    /// The padded code (original plus 33 zero bytes).
    #[inline]
    pub fn padded(&self) -> &[u8] {
        &self.padded
    }

    /// Length of the original code in bytes (CODESIZE).
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// `true` for empty code.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `true` if `pc` is a valid JUMP/JUMPI destination.
    #[inline]
    pub fn is_jumpdest(&self, pc: usize) -> bool {
        pc < self.len && self.jumpdests[pc / 64] & (1 << (pc % 64)) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jumpdest_inside_push_data_is_not_a_destination() {
        // PUSH2 0x5b5b, JUMPDEST
        let code = AnalyzedCode::new(&[0x61, 0x5b, 0x5b, 0x5b]);
        assert!(!code.is_jumpdest(1));
        assert!(!code.is_jumpdest(2));
        assert!(code.is_jumpdest(3));
        assert!(!code.is_jumpdest(4));
        assert_eq!(code.padded().len(), 4 + 33);
    }

    #[test]
    fn blocks_start_at_jumpdests_and_after_terminators_with_summed_gas_and_stack_needs() {
        // PUSH1 1, PUSH1 2, ADD | JUMPDEST, POP, STOP | (end)
        let code = AnalyzedCode::new(&[0x60, 0x01, 0x60, 0x02, 0x01, 0x5b, 0x50, 0x00]);
        // SAFETY: every pc is inside the padded code and indexes come from `block_at`.
        let at = |pc| unsafe { code.block_check(code.block_at(pc)) };
        assert_eq!(at(0), BlockCheck { gas: 9, min_items: 0, max_items: 1022 });
        assert_eq!(at(5), BlockCheck { gas: 3, min_items: 1, max_items: 1024 });
        for pc in [1, 2, 3, 4, 6, 7] {
            assert_eq!(unsafe { code.block_at(pc) }, 0, "no block starts at {pc}");
        }
    }

    #[test]
    fn a_block_that_needs_items_below_its_entry_asks_for_them() {
        // SWAP2 needs three items; DUP1 then ADD: needs 3 on entry, peaks at +1.
        let code = AnalyzedCode::new(&[0x91, 0x80, 0x01, 0x00]);
        // SAFETY: pc 0 is inside the padded code.
        let check = unsafe { code.block_check(code.block_at(0)) };
        assert_eq!(check, BlockCheck { gas: 9, min_items: 3, max_items: 1023 });
    }

    #[test]
    fn code_with_more_than_65535_blocks_indexes_every_one() {
        // 70 000 STOPs: each ends a block, so every byte starts one.
        let code = AnalyzedCode::new(&[0x00; 70_000]);
        // SAFETY: pcs inside the padded code; indexes from `block_at`.
        let (first, last) = unsafe { (code.block_at(0), code.block_at(69_999)) };
        assert_eq!((first, last), (1, 70_000));
        assert_eq!(unsafe { code.block_check(last) }.max_items, 1024);
    }
}
