//! The state-transition function: validate a transaction against the state, execute it,
//! settle gas and fees (Yellow Paper §6; EIP-1559, EIP-2929/2930, EIP-3529, EIP-3607,
//! EIP-3651, EIP-3860). Block rewards are the node's business, not the VM's.

use alloy_primitives::U256;
use quarry_primitives::transaction::intrinsic_gas;

use crate::context::{is_empty_code_hash, CodeCache, Context};
use crate::database::Database;
use crate::env::{BlockEnv, TxEnv};
use crate::frame::{execute, FirstFrame};
use crate::gas::{MAX_INITCODE_SIZE, MAX_REFUND_QUOTIENT};
use crate::interpreter::{
    CallInputs, CallKind, CreateInputs, CreateScheme, InstructionResult, Tracer,
};
use crate::result::{ExecutionOutcome, InvalidTransaction, Status, TransactError};

/// Executes `tx` in `block` on top of `db` and returns what changed.
///
/// Pre-checks run in geth's order (nonce, EIP-3607 sender code, EIP-1559 fee fields, balance
/// for `gas_limit × max_fee + value`, block gas limit, intrinsic gas, EIP-3860 initcode size);
/// a failing check returns [`TransactError::Invalid`] and nothing changes. Otherwise the sender
/// buys gas, its nonce is incremented, sender/recipient/coinbase/precompiles/access list are
/// warmed, the message runs, the refund (capped at gas used / 5) and unused gas go back to the
/// sender, the priority fee goes to the coinbase and the base fee is burned.
///
/// # Errors
/// [`TransactError::Invalid`] for an invalid transaction, [`TransactError::Database`] when a
/// state read failed.
pub fn transact<DB: Database>(
    db: &mut DB,
    block: &BlockEnv,
    tx: &TxEnv,
) -> Result<ExecutionOutcome, TransactError<DB::Error>> {
    transact_with(db, block, tx, &mut CodeCache::new(), None)
}

/// [`transact`] with a [`Tracer`] called after every executed instruction.
///
/// # Errors
/// As [`transact`].
pub fn transact_with_tracer<DB: Database>(
    db: &mut DB,
    block: &BlockEnv,
    tx: &TxEnv,
    tracer: Option<&mut dyn Tracer>,
) -> Result<ExecutionOutcome, TransactError<DB::Error>> {
    transact_with(db, block, tx, &mut CodeCache::new(), tracer)
}

/// [`transact`] reusing jump-destination analyses from `cache` (keep one per block or per
/// node to skip re-analysing hot contracts) and with an optional [`Tracer`].
///
/// # Errors
/// As [`transact`].
pub fn transact_with<DB: Database>(
    db: &mut DB,
    block: &BlockEnv,
    tx: &TxEnv,
    cache: &mut CodeCache,
    tracer: Option<&mut dyn Tracer>,
) -> Result<ExecutionOutcome, TransactError<DB::Error>> {
    check_type(tx, block)?;
    let mut ctx = Context::new(db, block, tx, cache);
    let intrinsic = validate(&mut ctx, tx, block)?;
    let gas_price = ctx.gas_price;

    // Buy gas and bump the nonce (a creation bumps it when the creation starts).
    let sender = tx.caller;
    let prepaid = U256::from(tx.gas_limit) * gas_price;
    let balance = db_ok(ctx.journal.account(ctx.db, sender))?.info.balance;
    db_ok(ctx.journal.set_balance(ctx.db, sender, balance - prepaid))?;
    if tx.to.is_some() {
        db_ok(ctx.journal.set_nonce(ctx.db, sender, tx.nonce + 1))?;
    }
    warm_up(&mut ctx, tx, block)?;

    let gas = tx.gas_limit - intrinsic;
    let first = match tx.to {
        Some(to) => FirstFrame::Call(CallInputs {
            kind: CallKind::Call,
            target: to,
            code_address: to,
            caller: sender,
            value: tx.value,
            transfer: true,
            input: tx.data.clone(),
            gas_limit: gas,
            is_static: false,
            return_memory: (0, 0),
        }),
        None => FirstFrame::Create(CreateInputs {
            caller: sender,
            value: tx.value,
            init_code: tx.data.clone(),
            gas_limit: gas,
            scheme: CreateScheme::Create,
        }),
    };
    let (result, address) = execute(&mut ctx, first, tracer);
    if let Some(e) = ctx.error.take() {
        return Err(TransactError::Database(e));
    }

    // Refund (EIP-3529) and fees (EIP-1559).
    let status = match result.result {
        r if r.is_success() => Status::Success,
        InstructionResult::Revert => Status::Revert,
        InstructionResult::Halt(reason) => Status::Halt(reason),
        _ => Status::Halt(crate::result::HaltReason::InvalidOpcode),
    };
    let gas_used_before_refund = tx.gas_limit - result.gas.remaining;
    let refund_counter =
        if status == Status::Success { result.gas.refunded.max(0) as u64 } else { 0 };
    let gas_refunded = refund_counter.min(gas_used_before_refund / MAX_REFUND_QUOTIENT);
    let gas_used = gas_used_before_refund - gas_refunded;
    let returned = U256::from(tx.gas_limit - gas_used) * gas_price;
    db_ok(ctx.add_balance(sender, returned))?;
    let tip = gas_price.saturating_sub(block.base_fee);
    db_ok(ctx.add_balance(block.coinbase, U256::from(gas_used) * tip))?;

    let (state, logs) = ctx.journal.finalize();
    Ok(ExecutionOutcome {
        status,
        gas_used,
        gas_refunded,
        output: result.output,
        logs: if status == Status::Success { logs } else { Vec::new() },
        contract_address: if tx.to.is_none() && status == Status::Success { address } else { None },
        state,
    })
}

fn db_ok<T, E>(r: Result<T, E>) -> Result<T, TransactError<E>> {
    r.map_err(TransactError::Database)
}

/// Type-level checks that need no state: supported type, fields matching it, chain id.
fn check_type(tx: &TxEnv, block: &BlockEnv) -> Result<(), InvalidTransaction> {
    match tx.tx_type {
        0..=2 => {}
        3 => return Err(InvalidTransaction::BlobTransactionUnsupported),
        t => return Err(InvalidTransaction::TypeNotSupported(t)),
    }
    if (tx.tx_type < 2 && tx.max_priority_fee_per_gas.is_some())
        || (tx.tx_type == 2 && tx.max_priority_fee_per_gas.is_none())
        || (tx.tx_type == 0 && !tx.access_list.is_empty())
    {
        return Err(InvalidTransaction::FieldsDoNotMatchType(tx.tx_type));
    }
    if let Some(id) = tx.chain_id {
        if id != block.chain_id {
            return Err(InvalidTransaction::ChainIdMismatch { tx: id, chain: block.chain_id });
        }
    }
    Ok(())
}

/// The state-dependent pre-checks, in geth's order (`core/state_transition.go` `preCheck`,
/// `buyGas`, then intrinsic gas and initcode size). Returns the intrinsic gas.
fn validate<DB: Database>(
    ctx: &mut Context<'_, DB>,
    tx: &TxEnv,
    block: &BlockEnv,
) -> Result<u64, TransactError<DB::Error>> {
    let address = tx.caller;
    let info = db_ok(ctx.journal.account(ctx.db, address))?.info.clone();
    let invalid = |e| Err(TransactError::Invalid(e));
    if info.nonce < tx.nonce {
        return invalid(InvalidTransaction::NonceTooHigh {
            address,
            tx: tx.nonce,
            state: info.nonce,
        });
    }
    if info.nonce > tx.nonce {
        return invalid(InvalidTransaction::NonceTooLow {
            address,
            tx: tx.nonce,
            state: info.nonce,
        });
    }
    if info.nonce == u64::MAX {
        return invalid(InvalidTransaction::NonceOverflow { address, nonce: info.nonce });
    }
    if !tx.skip_eoa_check && !is_empty_code_hash(info.code_hash) {
        return invalid(InvalidTransaction::SenderHasCode { address, code_hash: info.code_hash });
    }
    if let Some(priority_fee) = tx.max_priority_fee_per_gas {
        if priority_fee > tx.gas_price {
            return invalid(InvalidTransaction::PriorityFeeAboveFeeCap {
                priority_fee,
                fee_cap: tx.gas_price,
            });
        }
    }
    if tx.gas_price < block.base_fee {
        return invalid(InvalidTransaction::FeeCapBelowBaseFee {
            fee_cap: tx.gas_price,
            base_fee: block.base_fee,
        });
    }
    let want = U256::from(tx.gas_limit)
        .checked_mul(tx.gas_price)
        .and_then(|fee| fee.checked_add(tx.value));
    match want {
        Some(want) if info.balance >= want => {}
        _ => {
            let want = want.unwrap_or(U256::MAX);
            return invalid(InvalidTransaction::InsufficientFunds {
                address,
                have: info.balance,
                want,
            });
        }
    }
    if tx.gas_limit > block.gas_limit {
        return invalid(InvalidTransaction::GasLimitAboveBlock {
            tx: tx.gas_limit,
            block: block.gas_limit,
        });
    }
    let intrinsic = intrinsic_gas(&tx.data, tx.to.is_none(), &tx.access_list);
    if tx.gas_limit < intrinsic {
        return invalid(InvalidTransaction::IntrinsicGasTooLow {
            have: tx.gas_limit,
            want: intrinsic,
        });
    }
    if tx.to.is_none() && tx.data.len() > MAX_INITCODE_SIZE {
        return invalid(InvalidTransaction::InitcodeTooLarge {
            size: tx.data.len(),
            limit: MAX_INITCODE_SIZE,
        });
    }
    Ok(intrinsic)
}

/// Pre-warms the sender, the recipient, the coinbase (EIP-3651) and the access list (EIP-2929,
/// EIP-2930). The precompiles need nothing here: the journal loads them already warm.
fn warm_up<DB: Database>(
    ctx: &mut Context<'_, DB>,
    tx: &TxEnv,
    block: &BlockEnv,
) -> Result<(), TransactError<DB::Error>> {
    for address in [tx.caller, block.coinbase].into_iter().chain(tx.to) {
        db_ok(ctx.journal.access_account(ctx.db, address))?;
    }
    for item in &tx.access_list {
        db_ok(ctx.journal.access_account(ctx.db, item.address))?;
        for key in &item.storage_keys {
            db_ok(ctx.journal.warm_slot(ctx.db, item.address, (*key).into()))?;
        }
    }
    Ok(())
}
