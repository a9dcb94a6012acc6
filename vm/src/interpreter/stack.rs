//! The EVM word stack: at most 1024 items of 256 bits (Yellow Paper §9.1).
//!
//! The run loop checks each instruction's stack needs against [`table::STACK_IO`] before the
//! instruction runs ([`Stack::check`]); the instructions then pop, push, dup and swap without
//! checking again, through the `unsafe` methods here, whose one precondition is that check.
//!
//! [`table::STACK_IO`]: super::table::STACK_IO

use alloy_primitives::U256;

use crate::result::HaltReason;

/// Most items the stack may hold.
pub const STACK_LIMIT: usize = 1024;

/// A stack of 256-bit words; the top is the last element. Its buffer holds [`STACK_LIMIT`]
/// items from the start, so pushes never reallocate.
#[derive(Debug, PartialEq, Eq)]
pub struct Stack {
    data: Vec<U256>,
}

impl Default for Stack {
    fn default() -> Self {
        Self::new()
    }
}

impl Clone for Stack {
    fn clone(&self) -> Self {
        let mut data = Vec::with_capacity(STACK_LIMIT);
        data.extend_from_slice(&self.data);
        Self { data }
    }
}

impl Stack {
    /// An empty stack with room for [`STACK_LIMIT`] items.
    pub fn new() -> Self {
        Self { data: Vec::with_capacity(STACK_LIMIT) }
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

    /// Whether an instruction that needs `inputs` items and leaves at most `most_after_pops`
    /// items once they are popped (see [`table::STACK_BOUNDS`]) can run: stack underflow or
    /// overflow otherwise. After `Ok`, the instruction may use the unchecked methods below for
    /// those items.
    ///
    /// [`table::STACK_BOUNDS`]: super::table::STACK_BOUNDS
    #[inline(always)]
    pub fn check(&self, inputs: u16, most_after_pops: u16) -> Result<(), HaltReason> {
        // One comparison on the hot path: `len - inputs` wraps to a huge number on underflow.
        if self.data.len().wrapping_sub(inputs as usize) <= most_after_pops as usize {
            return Ok(());
        }
        if self.data.len() < inputs as usize {
            Err(HaltReason::StackUnderflow)
        } else {
            Err(HaltReason::StackOverflow)
        }
    }

    /// Pushes `value`; `false` on overflow (stack unchanged).
    #[must_use]
    pub fn push(&mut self, value: U256) -> bool {
        if self.data.len() == STACK_LIMIT {
            return false;
        }
        // SAFETY: fewer than STACK_LIMIT items, checked just above.
        unsafe { self.push_unchecked(value) };
        true
    }

    /// Pushes `value`.
    ///
    /// # Safety
    /// The stack holds fewer than [`STACK_LIMIT`] items.
    #[inline(always)]
    pub unsafe fn push_unchecked(&mut self, value: U256) {
        let len = self.data.len();
        debug_assert!(len < STACK_LIMIT);
        // SAFETY: the buffer has room for STACK_LIMIT items and `len < STACK_LIMIT`.
        unsafe {
            self.data.as_mut_ptr().add(len).write(value);
            self.data.set_len(len + 1);
        }
    }

    /// Pops `N` items, top first.
    ///
    /// # Safety
    /// The stack holds at least `N` items.
    #[inline(always)]
    pub unsafe fn popn<const N: usize>(&mut self) -> [U256; N] {
        let len = self.data.len();
        debug_assert!(len >= N);
        // SAFETY: items `len - N .. len` are initialised; the caller guarantees `len >= N`.
        unsafe {
            let top = self.data.as_ptr().add(len);
            let out = std::array::from_fn(|i| *top.sub(i + 1));
            self.data.set_len(len - N);
            out
        }
    }

    /// Pops `N` items (top first) and returns them with a mutable reference to the new top,
    /// which the instruction overwrites with its result.
    ///
    /// # Safety
    /// The stack holds more than `N` items.
    #[inline(always)]
    pub unsafe fn popn_top<const N: usize>(&mut self) -> ([U256; N], &mut U256) {
        debug_assert!(self.data.len() > N);
        // SAFETY: the caller guarantees more than N items, so one is left after popping.
        unsafe {
            let popped = self.popn::<N>();
            let len = self.data.len();
            (popped, &mut *self.data.as_mut_ptr().add(len - 1))
        }
    }

    /// DUPn (1-based `n`): pushes a copy of the n-th item from the top.
    ///
    /// # Safety
    /// The stack holds at least `n` and fewer than [`STACK_LIMIT`] items.
    #[inline(always)]
    pub unsafe fn dup(&mut self, n: usize) {
        let len = self.data.len();
        debug_assert!(n >= 1 && len >= n && len < STACK_LIMIT);
        // SAFETY: item `len - n` exists and there is room for one more.
        unsafe {
            let value = *self.data.as_ptr().add(len - n);
            self.push_unchecked(value);
        }
    }

    /// SWAPn (1-based `n`): exchanges the top with the (n+1)-th item.
    ///
    /// # Safety
    /// The stack holds more than `n` items.
    #[inline(always)]
    pub unsafe fn swap(&mut self, n: usize) {
        let len = self.data.len();
        debug_assert!(n >= 1 && len > n);
        // SAFETY: both positions are below `len`, and distinct since `n >= 1`. Non-overlapping
        // lets both words sit in registers; `ptr::swap`, which allows overlap, went through a
        // copy on the machine stack, a store and reload on the dependency chain of every SWAP.
        unsafe {
            let p = self.data.as_mut_ptr();
            std::ptr::swap_nonoverlapping(p.add(len - 1), p.add(len - 1 - n), 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_fails_past_1024_items_and_check_reports_overflow() {
        let mut s = Stack::new();
        for _ in 0..STACK_LIMIT {
            assert!(s.push(U256::ZERO));
        }
        assert!(!s.push(U256::ZERO));
        // DUP1 (1 in, 2 out) on a full stack; ADD (2 in, 1 out) fits.
        assert_eq!(s.check(1, 1022), Err(HaltReason::StackOverflow));
        assert_eq!(s.check(2, 1023), Ok(()));
    }

    #[test]
    fn check_reports_underflow_before_anything_is_popped() {
        let mut s = Stack::new();
        assert!(s.push(U256::from(1)));
        assert_eq!(s.check(2, 1023), Err(HaltReason::StackUnderflow));
        assert_eq!(s.check(1, 1023), Ok(()));
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn swap_and_dup_address_items_from_the_top() {
        let mut s = Stack::new();
        for v in 1..=3u64 {
            assert!(s.push(U256::from(v)));
        }
        // SAFETY: three items, room for more.
        unsafe {
            s.swap(2);
            assert_eq!(s.data(), &[U256::from(3), U256::from(2), U256::from(1)]);
            s.dup(3);
            assert_eq!(s.popn::<1>(), [U256::from(3)]);
            let ([a], top) = s.popn_top::<1>();
            assert_eq!((a, *top), (U256::from(1), U256::from(2)));
        }
    }

    #[test]
    fn a_cloned_stack_keeps_its_full_buffer() {
        let mut s = Stack::new();
        assert!(s.push(U256::from(7)));
        let c = s.clone();
        assert_eq!(c.data(), s.data());
        assert!(c.data.capacity() >= STACK_LIMIT);
    }
}
