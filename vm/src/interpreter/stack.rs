//! The EVM word stack: at most 1024 items of 256 bits (Yellow Paper §9.1).

use alloy_primitives::U256;

/// Most items the stack may hold.
pub const STACK_LIMIT: usize = 1024;

/// A stack of 256-bit words; the top is the last element.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stack {
    data: Vec<U256>,
}

impl Stack {
    /// An empty stack.
    pub fn new() -> Self {
        Self { data: Vec::with_capacity(32) }
    }

    /// Items, bottom first.
    pub fn data(&self) -> &[U256] {
        &self.data
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// `true` if empty.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Pushes `value`; `false` on overflow (stack unchanged).
    #[inline(always)]
    #[must_use]
    pub fn push(&mut self, value: U256) -> bool {
        if self.data.len() == STACK_LIMIT {
            return false;
        }
        self.data.push(value);
        true
    }

    /// Pops `N` items, top first; `None` on underflow (stack unchanged).
    #[inline(always)]
    pub fn popn<const N: usize>(&mut self) -> Option<[U256; N]> {
        let len = self.data.len();
        if len < N {
            return None;
        }
        let mut out = [U256::ZERO; N];
        for (i, slot) in out.iter_mut().enumerate() {
            *slot = self.data[len - 1 - i];
        }
        self.data.truncate(len - N);
        Some(out)
    }

    /// Pops `N` items (top first) and returns them with a mutable reference to the new top,
    /// which the instruction overwrites with its result; `None` on underflow.
    #[inline(always)]
    pub fn popn_top<const N: usize>(&mut self) -> Option<([U256; N], &mut U256)> {
        if self.data.len() <= N {
            return None;
        }
        let popped = self.popn::<N>()?;
        let top = self.data.last_mut()?;
        Some((popped, top))
    }

    /// DUPn (1-based `n`): pushes a copy of the n-th item from the top. `false` on underflow or
    /// overflow.
    #[inline(always)]
    pub fn dup(&mut self, n: usize) -> Result<(), bool> {
        let len = self.data.len();
        if len < n {
            return Err(false);
        }
        if len == STACK_LIMIT {
            return Err(true);
        }
        self.data.push(self.data[len - n]);
        Ok(())
    }

    /// SWAPn (1-based `n`): exchanges the top with the (n+1)-th item. `false` on underflow.
    #[inline(always)]
    #[must_use]
    pub fn swap(&mut self, n: usize) -> bool {
        let len = self.data.len();
        if len <= n {
            return false;
        }
        self.data.swap(len - 1, len - 1 - n);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_fails_past_1024_items() {
        let mut s = Stack::new();
        for _ in 0..STACK_LIMIT {
            assert!(s.push(U256::ZERO));
        }
        assert!(!s.push(U256::ZERO));
        assert_eq!(s.dup(1), Err(true));
    }

    #[test]
    fn pop_fails_on_underflow_and_leaves_stack_unchanged() {
        let mut s = Stack::new();
        assert!(s.push(U256::from(1)));
        assert!(s.popn::<2>().is_none());
        assert_eq!(s.len(), 1);
        assert!(s.popn_top::<1>().is_none());
    }

    #[test]
    fn swap_and_dup_address_items_from_the_top() {
        let mut s = Stack::new();
        for v in 1..=3u64 {
            assert!(s.push(U256::from(v)));
        }
        assert!(s.swap(2));
        assert_eq!(s.data(), &[U256::from(3), U256::from(2), U256::from(1)]);
        assert_eq!(s.dup(3), Ok(()));
        assert_eq!(s.popn::<1>(), Some([U256::from(3)]));
        assert!(!s.swap(3));
    }
}
