//! Most-work fork choice (Nakamoto 2008 §4 "the longest chain", counted in work as Bitcoin
//! does): the tip is the block with the greatest cumulative work; on equal work the block seen
//! first stays.

use alloy_primitives::U256;

/// `true` when a block with cumulative work `candidate` should replace the tip whose
/// cumulative work is `tip`: strictly more work wins, ties keep the first seen.
pub fn fork_choice(tip: U256, candidate: U256) -> bool {
    candidate > tip
}

/// Cumulative work of a block: its parent's plus its own (saturating; 2^256 is far away).
pub fn chain_work(parent_chain_work: U256, block_work: U256) -> U256 {
    parent_chain_work.saturating_add(block_work)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_work_replaces_the_tip_and_equal_work_keeps_the_first_seen() {
        assert!(fork_choice(U256::from(10), U256::from(11)));
        assert!(!fork_choice(U256::from(10), U256::from(10)));
        assert!(!fork_choice(U256::from(10), U256::from(9)));
    }

    #[test]
    fn chain_work_adds_and_saturates() {
        assert_eq!(chain_work(U256::from(3), U256::from(4)), U256::from(7));
        assert_eq!(chain_work(U256::MAX, U256::from(1)), U256::MAX);
    }
}
