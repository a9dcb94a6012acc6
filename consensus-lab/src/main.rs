//! `quarry-lab`: the consensus laboratory's command line (work in progress: `list` only).

use quarry_lab::protocols::REGISTRY;

fn main() {
    for e in REGISTRY {
        println!("{:<24} {}\n{:<24} faults: {}", e.name(), e.description(), "", e.fault_model());
    }
}
