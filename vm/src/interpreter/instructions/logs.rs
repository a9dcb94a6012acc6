//! LOG0–LOG4 (Yellow Paper appendix H.2): 375 + 375 per topic + 8 per data byte, plus memory.

use alloy_primitives::B256;

use crate::gas;
use crate::interpreter::{Host, Interpreter};
use crate::result::Log;

/// LOGn: emits a log with `N` topics and memory `[offset, offset+len)` as data.
pub fn log<const N: usize, H: Host>(i: &mut Interpreter, h: &mut H) {
    require_non_static!(i);
    pop!(i, offset, len);
    let (offset, len) = memory_range!(i, offset, len);
    gas!(i, gas::LOG_DATA.saturating_mul(len as u64));
    // SAFETY: the run loop checked N + 2 items (STACK_IO); two were popped above.
    let topics = unsafe { i.stack.popn::<N>() };
    let data = i.memory.slice(offset, len).to_vec().into();
    h.log(Log { address: i.address, topics: topics.into_iter().map(B256::from).collect(), data });
}
