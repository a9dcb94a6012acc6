//! Environment and block information: KECCAK256, 0x30–0x3f and 0x40–0x4a (Yellow Paper
//! appendix H.2; EIP-211, EIP-1052, EIP-1344, EIP-1884, EIP-2929, EIP-3198, EIP-4399,
//! EIP-4844, EIP-7516).

use alloy_primitives::{keccak256, B256, U256};

use super::{saturating_usize, to_address};
use crate::gas;
use crate::interpreter::{Host, Interpreter};
use crate::result::HaltReason;

fn access_cost(cold: bool) -> u64 {
    if cold {
        gas::COLD_ACCOUNT_ACCESS
    } else {
        gas::WARM_ACCESS
    }
}

/// KECCAK256: hash of memory `[offset, offset+len)`; 6 gas per word.
pub fn keccak<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop_top!(i, offset; top);
    let len = *top;
    let (offset, len) = memory_range!(i, offset, len);
    gas!(i, gas::KECCAK256_WORD * gas::words(len));
    *top = keccak256(i.memory.slice(offset, len)).into();
}

/// ADDRESS: the executing account.
pub fn address<H: Host>(i: &mut Interpreter, _: &mut H) {
    push!(i, i.address.into_word().into());
}

/// BALANCE: balance of an account; 100 warm / 2600 cold (EIP-2929).
pub fn balance<H: Host>(i: &mut Interpreter, h: &mut H) {
    pop_top!(i, ; top);
    let (balance, cold) = host!(i, h.balance(to_address(*top)));
    gas!(i, access_cost(cold));
    *top = balance;
}

/// ORIGIN: the transaction's sender.
pub fn origin<H: Host>(i: &mut Interpreter, h: &mut H) {
    push!(i, h.tx().caller.into_word().into());
}

/// CALLER: the frame's caller.
pub fn caller<H: Host>(i: &mut Interpreter, _: &mut H) {
    push!(i, i.caller.into_word().into());
}

/// CALLVALUE: wei sent with the call.
pub fn callvalue<H: Host>(i: &mut Interpreter, _: &mut H) {
    push!(i, i.value);
}

/// CALLDATALOAD: 32 bytes of call data from `offset`, zero-padded.
pub fn calldataload<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop_top!(i, ; top);
    let offset = saturating_usize(*top);
    let mut word = [0u8; 32];
    if offset < i.input.len() {
        let n = (i.input.len() - offset).min(32);
        word[..n].copy_from_slice(&i.input[offset..offset + n]);
    }
    *top = U256::from_be_bytes(word);
}

/// CALLDATASIZE: length of the call data.
pub fn calldatasize<H: Host>(i: &mut Interpreter, _: &mut H) {
    push!(i, U256::from(i.input.len()));
}

/// Shared body of the *COPY instructions: pops `dest, src, len`, charges copy and memory gas,
/// copies from `source` zero-padded.
fn copy_to_memory(i: &mut Interpreter, source: &[u8], dest: U256, src: U256, len: U256) {
    let (dest, len) = memory_range!(i, dest, len);
    gas!(i, gas::copy_cost(len));
    i.memory.set_padded(dest, source, saturating_usize(src), len);
}

/// CALLDATACOPY: copies call data to memory.
pub fn calldatacopy<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop!(i, dest, src, len);
    let input = i.input.clone();
    copy_to_memory(i, &input, dest, src, len);
}

/// CODESIZE: length of the executing code.
pub fn codesize<H: Host>(i: &mut Interpreter, _: &mut H) {
    push!(i, U256::from(i.code.len()));
}

/// CODECOPY: copies the executing code to memory.
pub fn codecopy<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop!(i, dest, src, len);
    let code = i.code.clone();
    copy_to_memory(i, code.original(), dest, src, len);
}

/// GASPRICE: the effective gas price (EIP-1559).
pub fn gasprice<H: Host>(i: &mut Interpreter, h: &mut H) {
    push!(i, h.effective_gas_price());
}

/// EXTCODESIZE: code length of an account; 100 warm / 2600 cold.
pub fn extcodesize<H: Host>(i: &mut Interpreter, h: &mut H) {
    pop_top!(i, ; top);
    let (code, cold) = host!(i, h.code(to_address(*top)));
    gas!(i, access_cost(cold));
    *top = U256::from(code.len());
}

/// EXTCODECOPY: copies an account's code to memory; access cost plus copy and memory gas.
pub fn extcodecopy<H: Host>(i: &mut Interpreter, h: &mut H) {
    pop!(i, address, dest, src, len);
    let (code, cold) = host!(i, h.code(to_address(address)));
    gas!(i, access_cost(cold));
    copy_to_memory(i, &code, dest, src, len);
}

/// RETURNDATASIZE (EIP-211): length of the last child's output.
pub fn returndatasize<H: Host>(i: &mut Interpreter, _: &mut H) {
    push!(i, U256::from(i.return_data.len()));
}

/// RETURNDATACOPY (EIP-211): copies return data to memory; reading past its end halts.
pub fn returndatacopy<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop!(i, dest, src, len);
    let end = src.checked_add(len);
    if end.is_none_or(|e| e > U256::from(i.return_data.len())) {
        i.halt(HaltReason::ReturnDataOutOfBounds);
        return;
    }
    let data = i.return_data.clone();
    copy_to_memory(i, &data, dest, src, len);
}

/// EXTCODEHASH (EIP-1052): code hash, zero for dead accounts; 100 warm / 2600 cold.
pub fn extcodehash<H: Host>(i: &mut Interpreter, h: &mut H) {
    pop_top!(i, ; top);
    let (hash, cold) = host!(i, h.code_hash(to_address(*top)));
    gas!(i, access_cost(cold));
    *top = hash.into();
}

/// BLOCKHASH: hash of one of the 256 most recent blocks, zero otherwise.
pub fn blockhash<H: Host>(i: &mut Interpreter, h: &mut H) {
    pop_top!(i, ; top);
    *top = host!(i, h.block_hash(*top)).into();
}

/// COINBASE: the block's beneficiary.
pub fn coinbase<H: Host>(i: &mut Interpreter, h: &mut H) {
    push!(i, h.block().coinbase.into_word().into());
}

/// TIMESTAMP: the block's timestamp in seconds.
pub fn timestamp<H: Host>(i: &mut Interpreter, h: &mut H) {
    push!(i, U256::from(h.block().timestamp));
}

/// NUMBER: the block number.
pub fn number<H: Host>(i: &mut Interpreter, h: &mut H) {
    push!(i, U256::from(h.block().number));
}

/// PREVRANDAO (0x44, EIP-4399): the block's `prevrandao`.
pub fn prevrandao<H: Host>(i: &mut Interpreter, h: &mut H) {
    push!(i, h.block().prevrandao.into());
}

/// GASLIMIT: the block gas limit.
pub fn gaslimit<H: Host>(i: &mut Interpreter, h: &mut H) {
    push!(i, U256::from(h.block().gas_limit));
}

/// CHAINID (EIP-1344).
pub fn chainid<H: Host>(i: &mut Interpreter, h: &mut H) {
    push!(i, U256::from(h.block().chain_id));
}

/// SELFBALANCE (EIP-1884): balance of the executing account, always warm.
pub fn selfbalance<H: Host>(i: &mut Interpreter, h: &mut H) {
    let (balance, _) = host!(i, h.balance(i.address));
    push!(i, balance);
}

/// BASEFEE (EIP-3198).
pub fn basefee<H: Host>(i: &mut Interpreter, h: &mut H) {
    push!(i, h.block().base_fee);
}

/// BLOBHASH (EIP-4844): always zero, since Quarry has no blob transactions.
pub fn blobhash<H: Host>(i: &mut Interpreter, _: &mut H) {
    pop_top!(i, ; top);
    *top = B256::ZERO.into();
}

/// BLOBBASEFEE (EIP-7516): derived from the block's `excess_blob_gas`.
pub fn blobbasefee<H: Host>(i: &mut Interpreter, h: &mut H) {
    push!(i, gas::blob_base_fee(h.block().excess_blob_gas));
}
