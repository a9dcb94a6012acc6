//! Frame-creating and account-ending instructions: CREATE, CREATE2, CALL, CALLCODE,
//! DELEGATECALL, STATICCALL, SELFDESTRUCT (Yellow Paper §7–8; EIP-150, EIP-1014, EIP-2929,
//! EIP-3860, EIP-6780).
//!
//! These only price the request and stop the frame with an [`Action`]; the frame stack in
//! [`crate::frame`] runs the child.

use alloy_primitives::{Bytes, U256};

use super::to_address;
use crate::gas;
use crate::interpreter::{
    Action, CallInputs, CallKind, CreateInputs, CreateScheme, Host, InstructionResult, Interpreter,
};
use crate::result::HaltReason;

fn create_common(i: &mut Interpreter, scheme: CreateScheme, value: U256, offset: U256, len: U256) {
    let (offset, len) = memory_range!(i, offset, len);
    if len > gas::MAX_INITCODE_SIZE {
        i.halt(HaltReason::InitcodeSizeLimit);
        return;
    }
    let words = gas::words(len);
    gas!(i, gas::INITCODE_WORD * words);
    if let CreateScheme::Create2 { .. } = scheme {
        gas!(i, gas::KECCAK256_WORD * words);
    }
    let init_code: Bytes = i.memory.slice(offset, len).to_vec().into();
    let gas_limit = gas::all_but_one_64th(i.gas.remaining);
    gas!(i, gas_limit);
    i.return_data = Bytes::new();
    i.action = Some(Action::Create(Box::new(CreateInputs {
        caller: i.address,
        value,
        init_code,
        gas_limit,
        scheme,
    })));
    i.result = InstructionResult::CallOrCreate;
}

/// CREATE: deploys a contract at `keccak256(rlp([address, nonce]))`.
pub fn create<H: Host>(i: &mut Interpreter, _: &mut H) {
    require_non_static!(i);
    pop!(i, value, offset, len);
    create_common(i, CreateScheme::Create, value, offset, len);
}

/// CREATE2 (EIP-1014): deploys a contract at an address fixed by salt and initcode hash.
pub fn create2<H: Host>(i: &mut Interpreter, _: &mut H) {
    require_non_static!(i);
    pop!(i, value, offset, len, salt);
    create_common(i, CreateScheme::Create2 { salt }, value, offset, len);
}

/// Shared body of the call family after the operands were popped.
#[allow(clippy::too_many_arguments)]
fn call_common<H: Host>(
    i: &mut Interpreter,
    h: &mut H,
    kind: CallKind,
    gas_arg: U256,
    to: U256,
    value: U256,
    args: (U256, U256),
    ret: (U256, U256),
) {
    let to = to_address(to);
    let (in_offset, in_len) = memory_range!(i, args.0, args.1);
    let (out_offset, out_len) = memory_range!(i, ret.0, ret.1);
    let (cold, dead) = host!(i, h.access_account(to));
    let transfers = matches!(kind, CallKind::Call | CallKind::CallCode) && !value.is_zero();
    let mut cost = if cold { gas::COLD_ACCOUNT_ACCESS } else { gas::WARM_ACCESS };
    if transfers {
        cost += gas::CALL_VALUE;
        if kind == CallKind::Call && dead {
            cost += gas::NEW_ACCOUNT;
        }
    }
    gas!(i, cost);
    let cap = gas::all_but_one_64th(i.gas.remaining);
    let mut gas_limit = u64::try_from(gas_arg).unwrap_or(u64::MAX).min(cap);
    gas!(i, gas_limit);
    if transfers {
        gas_limit += gas::CALL_STIPEND;
    }
    let input: Bytes = i.memory.slice(in_offset, in_len).to_vec().into();
    let (target, caller, call_value, is_static) = match kind {
        CallKind::Call => (to, i.address, value, i.is_static),
        CallKind::CallCode => (i.address, i.address, value, i.is_static),
        CallKind::DelegateCall => (i.address, i.caller, i.value, i.is_static),
        CallKind::StaticCall => (to, i.address, U256::ZERO, true),
    };
    i.action = Some(Action::Call(Box::new(CallInputs {
        kind,
        target,
        code_address: to,
        caller,
        value: call_value,
        transfer: matches!(kind, CallKind::Call | CallKind::CallCode),
        input,
        gas_limit,
        is_static,
        return_memory: (out_offset, out_len),
    })));
    i.result = InstructionResult::CallOrCreate;
}

/// CALL: message call with value transfer; value > 0 is forbidden in a static context.
pub fn call<H: Host>(i: &mut Interpreter, h: &mut H) {
    pop!(i, gas_arg, to, value, in_off, in_len, out_off, out_len);
    if i.is_static && !value.is_zero() {
        i.halt(HaltReason::StateChangeDuringStaticCall);
        return;
    }
    call_common(i, h, CallKind::Call, gas_arg, to, value, (in_off, in_len), (out_off, out_len));
}

/// CALLCODE: runs another account's code in this account's context, with value.
pub fn callcode<H: Host>(i: &mut Interpreter, h: &mut H) {
    pop!(i, gas_arg, to, value, in_off, in_len, out_off, out_len);
    call_common(i, h, CallKind::CallCode, gas_arg, to, value, (in_off, in_len), (out_off, out_len));
}

/// DELEGATECALL (EIP-7): runs another account's code keeping caller and value.
pub fn delegatecall<H: Host>(i: &mut Interpreter, h: &mut H) {
    pop!(i, gas_arg, to, in_off, in_len, out_off, out_len);
    let kind = CallKind::DelegateCall;
    call_common(i, h, kind, gas_arg, to, U256::ZERO, (in_off, in_len), (out_off, out_len));
}

/// STATICCALL (EIP-214): message call in which state changes halt.
pub fn staticcall<H: Host>(i: &mut Interpreter, h: &mut H) {
    pop!(i, gas_arg, to, in_off, in_len, out_off, out_len);
    let kind = CallKind::StaticCall;
    call_common(i, h, kind, gas_arg, to, U256::ZERO, (in_off, in_len), (out_off, out_len));
}

/// SELFDESTRUCT (EIP-6780): sends the balance to the beneficiary; deletes the account only if
/// it was created in this transaction. 5000 gas, +2600 for a cold beneficiary, +25000 when
/// value goes to a dead account.
pub fn selfdestruct<H: Host>(i: &mut Interpreter, h: &mut H) {
    require_non_static!(i);
    pop!(i, target);
    let r = host!(i, h.selfdestruct(i.address, to_address(target)));
    let mut cost = 0;
    if r.target_cold {
        cost += gas::COLD_ACCOUNT_ACCESS;
    }
    if r.had_value && r.target_dead {
        cost += gas::NEW_ACCOUNT;
    }
    gas!(i, cost);
    i.result = InstructionResult::SelfDestruct;
}
