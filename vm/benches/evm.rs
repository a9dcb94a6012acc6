//! quarry-vm against revm (Cancun) on the same bytecode, one transaction per iteration.
//!
//! The programs (four written here, three of revm's own, an OpenZeppelin ERC-20 transfer) are
//! listed in `programs/mod.rs`.
//!
//! Setup (fresh state; for revm also the context) is outside the timing; `transact` is inside.
//! Both VMs find the code already analysed, as a node running its second transaction on a
//! contract would: revm analyses it when the state is built (`Bytecode::new_raw`), quarry-vm
//! keeps one [`quarry_vm::CodeCache`] across iterations (`transact_with`). Before timing, each program is run once on both VMs and the
//! observations (status, gas, output, logs, storage) must agree.
//!
//! Run: `cargo bench -p quarry-vm --bench evm`; results go to `docs/benchmarks.md`.

#[path = "../tests/pair/mod.rs"]
mod pair;
mod programs;

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use pair::Call;
use revm::ExecuteEvm;

/// Checks that both VMs agree and succeed on `call`, then times each.
fn bench_call(c: &mut Criterion, name: &str, call: Call) {
    let ours = pair::run_quarry(&call);
    let theirs = pair::run_revm(&call);
    assert_eq!(ours, theirs, "{name}: quarry-vm and revm disagree");
    assert_eq!(ours.ending, pair::Ending::Success, "{name}: did not succeed: {ours:?}");
    eprintln!("{name}: {} bytes of code, {} gas", call.code.len(), ours.gas_used);

    let mut group = c.benchmark_group(name);
    let block = pair::block();
    let tx = pair::quarry_tx(&call);
    let mut cache = quarry_vm::CodeCache::new();
    group.bench_function("quarry", |b| {
        b.iter_batched(
            || pair::quarry_state(&call),
            |mut db| {
                quarry_vm::transact_with(&mut db, &block, &tx, &mut cache, None).expect("valid tx")
            },
            BatchSize::SmallInput,
        )
    });
    let revm_tx = pair::revm_tx(&call);
    group.bench_function("revm", |b| {
        b.iter_batched(
            || pair::revm_evm(&call),
            |mut evm| evm.transact(revm_tx.clone()).expect("valid tx"),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    for (name, call) in programs::all() {
        bench_call(c, name, call);
    }
}

criterion_group! {
    name = evm;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = benches
}
criterion_main!(evm);
