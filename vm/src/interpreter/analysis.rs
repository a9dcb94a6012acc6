//! Code analysis done once per code hash: the JUMPDEST bitmap (Yellow Paper §9.4.3) and the
//! code padded so that PUSH never reads past the end.

use alloy_primitives::Bytes;

/// Code ready to run: the original bytes, a padded copy and the valid jump destinations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnalyzedCode {
    /// The code followed by 33 zero bytes (a PUSH32 at the end reads zeros, then STOP).
    padded: Bytes,
    /// Length of the original code.
    len: usize,
    /// Bit `i` is set when byte `i` is a JUMPDEST that is not PUSH data.
    jumpdests: Vec<u64>,
}

impl AnalyzedCode {
    /// Analyses `code`: marks every 0x5b that is an instruction, not PUSH data.
    pub fn new(code: &[u8]) -> Self {
        let mut jumpdests = vec![0u64; code.len().div_ceil(64)];
        let mut i = 0;
        while i < code.len() {
            let op = code[i];
            if op == 0x5b {
                jumpdests[i / 64] |= 1 << (i % 64);
            } else if (0x60..=0x7f).contains(&op) {
                i += (op - 0x5f) as usize;
            }
            i += 1;
        }
        let mut padded = Vec::with_capacity(code.len() + 33);
        padded.extend_from_slice(code);
        padded.resize(code.len() + 33, 0);
        Self { padded: padded.into(), len: code.len(), jumpdests }
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
}
