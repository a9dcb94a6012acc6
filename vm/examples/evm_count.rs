//! Runs one benchmark program of `benches/evm.rs` on one VM, for instruction counts under
//! callgrind, which stay repeatable on a loaded machine where timings do not:
//!
//! ```sh
//! cargo build --release -p quarry-vm --example evm_count
//! valgrind --tool=callgrind --toggle-collect='*evm_count*measured*' \
//!     $CARGO_TARGET_DIR/release/examples/evm_count erc20_transfer_loop quarry 10
//! ```
//!
//! Arguments: the program's name (see `benches/programs/mod.rs`), `quarry` or `revm`, and how
//! many transactions to run (default 1). Fresh state for each is built first, and for quarry-vm
//! the code analysed once (as the benchmark does); only `measured_*`, which executes them, is
//! counted with the `--toggle-collect` above.

#[path = "../tests/pair/mod.rs"]
mod pair;
#[path = "../benches/programs/mod.rs"]
mod programs;

use std::hint::black_box;

use pair::Call;
use revm::ExecuteEvm;

/// Executes each prepared quarry state with `cache` (warmed by the caller, as the benchmark's
/// is after its first iteration).
#[inline(never)]
fn measured_quarry(
    states: Vec<quarry_vm::statetest::MemDb>,
    call: &Call,
    cache: &mut quarry_vm::CodeCache,
) {
    let block = pair::block();
    let tx = pair::quarry_tx(call);
    for mut db in states {
        black_box(quarry_vm::transact_with(&mut db, &block, &tx, cache, None).expect("valid tx"));
    }
}

/// Executes each prepared revm EVM.
#[inline(never)]
fn measured_revm(evms: Vec<pair::RevmEvm>, call: &Call) {
    let tx = pair::revm_tx(call);
    for mut evm in evms {
        black_box(evm.transact(tx.clone()).expect("valid tx"));
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: evm_count <program> <quarry|revm> [runs]";
    let name = args.get(1).expect(usage);
    let vm = args.get(2).expect(usage);
    let runs: usize = args.get(3).map_or(1, |n| n.parse().expect(usage));
    let (_, call) = programs::all()
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no program {name}"));
    match vm.as_str() {
        "quarry" => {
            // One run outside the count warms the analysis cache, as revm's state is built
            // with the code analysed.
            let mut cache = quarry_vm::CodeCache::new();
            let (block, tx) = (pair::block(), pair::quarry_tx(&call));
            quarry_vm::transact_with(&mut pair::quarry_state(&call), &block, &tx, &mut cache, None)
                .expect("valid tx");
            let states = (0..runs).map(|_| pair::quarry_state(&call)).collect();
            measured_quarry(states, &call, &mut cache)
        }
        "revm" => measured_revm((0..runs).map(|_| pair::revm_evm(&call)).collect(), &call),
        _ => panic!("{usage}"),
    }
}
