//! Storage: SLOAD, SSTORE (EIP-2200, EIP-2929, EIP-3529) and transient storage TLOAD, TSTORE
//! (EIP-1153).

use crate::gas;
use crate::interpreter::{Host, Interpreter};
use crate::result::HaltReason;

/// SLOAD: reads a slot; 100 warm / 2100 cold (EIP-2929).
pub fn sload<H: Host>(i: &mut Interpreter, h: &mut H) {
    pop_top!(i, ; top);
    let (value, cold) = host!(i, h.sload(i.address, *top));
    gas!(i, if cold { gas::COLD_SLOAD } else { gas::WARM_ACCESS });
    *top = value;
}

/// SSTORE: writes a slot. Fails with at most 2300 gas left (EIP-2200 sentry); cost and refund
/// from [`gas::sstore_cost`].
pub fn sstore<H: Host>(i: &mut Interpreter, h: &mut H) {
    require_non_static!(i);
    pop!(i, slot, value);
    if i.gas.remaining <= gas::SSTORE_SENTRY {
        i.halt(HaltReason::ReentrancySentryOutOfGas);
        return;
    }
    let r = host!(i, h.sstore(i.address, slot, value));
    let (cost, refund) = gas::sstore_cost(r.original, r.present, r.new, r.is_cold);
    gas!(i, cost);
    i.gas.refunded += refund;
}

/// SSTORE in the untraced run loop: then enters the next basic block
/// ([`Interpreter::fall_into_block`]).
pub fn sstore_then_enter_block<H: Host>(i: &mut Interpreter, h: &mut H, pc: usize) -> usize {
    sstore(i, h);
    i.fall_into_block(pc);
    pc
}

/// TLOAD (EIP-1153): reads a transient slot.
pub fn tload<H: Host>(i: &mut Interpreter, h: &mut H) {
    pop_top!(i, ; top);
    *top = h.tload(i.address, *top);
}

/// TSTORE (EIP-1153): writes a transient slot; forbidden in a static context.
pub fn tstore<H: Host>(i: &mut Interpreter, h: &mut H) {
    require_non_static!(i);
    pop!(i, slot, value);
    h.tstore(i.address, slot, value);
}
