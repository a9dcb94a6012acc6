//! Byte-addressed frame memory, grown in 32-byte words with the quadratic expansion cost of
//! Yellow Paper §9.4.1 (eq. 326).

use crate::gas::{memory_cost, Gas};

/// Memory of one frame. Its length is always a multiple of 32.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Memory {
    data: Vec<u8>,
}

/// Largest memory Quarry will price: beyond this the cost exceeds any gas limit anyway.
const MAX_MEMORY: u64 = u32::MAX as u64;

impl Memory {
    /// Empty memory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Length in bytes (MSIZE).
    #[inline]
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// `true` when nothing was touched yet.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The whole memory.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// Grows memory to cover `[offset, offset + len)`, charging the expansion to `gas`.
    /// A zero `len` never expands. `false` when out of gas or the range is absurd (the caller
    /// halts with out of gas).
    #[inline]
    pub fn expand(&mut self, gas: &mut Gas, offset: usize, len: usize) -> bool {
        if len == 0 {
            return true;
        }
        let end = offset as u64 + len as u64;
        if end <= self.data.len() as u64 {
            return true;
        }
        if end > MAX_MEMORY {
            return false;
        }
        let new_words = end.div_ceil(32);
        let old_words = self.data.len() as u64 / 32;
        let cost = memory_cost(new_words) - memory_cost(old_words);
        if !gas.charge(cost) {
            return false;
        }
        self.data.resize(new_words as usize * 32, 0);
        true
    }

    /// Bytes `[offset, offset + len)`; must already be expanded.
    #[inline]
    pub fn slice(&self, offset: usize, len: usize) -> &[u8] {
        if len == 0 {
            return &[];
        }
        &self.data[offset..offset + len]
    }

    /// The 32-byte word at `offset`; must already be expanded.
    #[inline]
    pub fn word(&self, offset: usize) -> [u8; 32] {
        let mut w = [0u8; 32];
        w.copy_from_slice(&self.data[offset..offset + 32]);
        w
    }

    /// Writes `bytes` at `offset`; must already be expanded.
    #[inline]
    pub fn set(&mut self, offset: usize, bytes: &[u8]) {
        if !bytes.is_empty() {
            self.data[offset..offset + bytes.len()].copy_from_slice(bytes);
        }
    }

    /// Writes `len` bytes at `offset` taken from `source` starting at `source_offset`,
    /// zero-filling past the end of `source` (CALLDATACOPY, CODECOPY, EXTCODECOPY semantics).
    #[inline]
    pub fn set_padded(&mut self, offset: usize, source: &[u8], source_offset: usize, len: usize) {
        if len == 0 {
            return;
        }
        let dest = &mut self.data[offset..offset + len];
        let available = source.len().saturating_sub(source_offset).min(len);
        if available > 0 {
            dest[..available].copy_from_slice(&source[source_offset..source_offset + available]);
        }
        dest[available..].fill(0);
    }

    /// MCOPY (EIP-5656): copies `len` bytes from `src` to `dst` within memory (overlap allowed);
    /// both ranges must already be expanded.
    #[inline]
    pub fn copy_within(&mut self, dst: usize, src: usize, len: usize) {
        if len > 0 {
            self.data.copy_within(src..src + len, dst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansion_charges_quadratic_cost_per_new_word() {
        let mut gas = Gas::new(1_000_000);
        let mut m = Memory::new();
        assert!(m.expand(&mut gas, 0, 1));
        assert_eq!(gas.used(), 3);
        assert_eq!(m.len(), 32);
        // 1024 words: 3·1024 + 1024²/512 = 3072 + 2048.
        assert!(m.expand(&mut gas, 1023 * 32, 32));
        assert_eq!(gas.used(), 3072 + 2048);
        // Already covered: free.
        assert!(m.expand(&mut gas, 0, 32 * 1024));
        assert_eq!(gas.used(), 3072 + 2048);
    }

    #[test]
    fn zero_length_never_expands_and_huge_offsets_fail() {
        let mut gas = Gas::new(10);
        let mut m = Memory::new();
        assert!(m.expand(&mut gas, usize::MAX / 2, 0));
        assert!(m.is_empty());
        assert!(!m.expand(&mut gas, 1 << 40, 1));
        assert!(!m.expand(&mut gas, 0, 32 * 10));
    }
}
