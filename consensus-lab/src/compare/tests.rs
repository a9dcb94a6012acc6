//! The comparison harness: scenarios apply by fault class, cells replay from their seed, and
//! the bound columns show what the protocols' fault models predict.

use super::*;

fn by_name(name: &str) -> &'static Comparison {
    compared().into_iter().find(|c| c.name.starts_with(name)).expect("registered")
}

#[test]
fn every_built_in_scenario_exists_and_byzantine_minority_skips_crash_protocols() {
    for name in ["steady", "crash-minority", "partition-heal", "byzantine-minority", "beyond-bound"]
    {
        assert!(scenario(name).is_some(), "{name}");
    }
    let byz = scenario("byzantine-minority").unwrap();
    for c in compared() {
        let applies = (byz.trial)(c, 1, 1).is_some();
        assert_eq!(applies, c.class != FaultClass::Crash, "{}", c.name);
    }
}

#[test]
fn a_cell_replays_from_its_seed() {
    let steady = scenario("steady").unwrap();
    let a = run_cell(by_name("Multi-Paxos"), steady, 1, 3, 2, None).unwrap();
    let b = run_cell(by_name("Multi-Paxos"), steady, 1, 3, 2, None).unwrap();
    assert_eq!(
        (a.decisions, a.latency, a.messages_per_decision),
        (b.decisions, b.latency, b.messages_per_decision)
    );
    assert_eq!(a.n, 3);
    assert_eq!(a.decisions, 80, "two runs of 40 commands, all committed");
    assert!(a.latency.median > 0 && a.latency.p99 >= a.latency.median);
}

#[test]
fn beyond_the_bound_crash_protocols_stall_safely_and_nakamoto_loses_finality() {
    let beyond = scenario("beyond-bound").unwrap();
    for name in ["Multi-Paxos", "Zab"] {
        let cell = run_cell(by_name(name), beyond, 1, 1, 2, None).unwrap();
        assert!(cell.safety_violations.is_empty(), "{name}: {cell:?}");
        assert!(!cell.liveness_failures.is_empty(), "{name}: a majority crashed, yet live");
    }
    let cell = run_cell(by_name("Nakamoto"), beyond, 1, 1, 2, None).unwrap();
    assert!(cell.safety_violations.iter().any(|(p, _)| p == "k-finality"), "{cell:?}");
}

#[test]
fn a_load_override_sets_the_workload_size() {
    let steady = scenario("steady").unwrap();
    let cell = run_cell(by_name("Zab"), steady, 1, 1, 1, Some((1_000, 100))).unwrap();
    assert_eq!((cell.requests, cell.decisions), (100, 100));
}

#[test]
fn byzantine_protocols_run_3f_plus_1_and_decide_every_request_with_f_corrupted() {
    let byz = scenario("byzantine-minority").unwrap();
    for name in ["PBFT", "HotStuff"] {
        let cell = run_cell(by_name(name), byz, 1, 1, 2, None).unwrap();
        assert_eq!(cell.n, 4, "{name}");
        assert!(cell.safety_violations.is_empty(), "{name}: {cell:?}");
        assert_eq!(cell.decisions, 2 * DEFAULT_LOAD.1 as u64, "{name}: {cell:?}");
    }
}

/// PBFT forks with f + 1 equivocators in every seed; HotStuff in about a quarter of them
/// (seeds 10..15 hold forks; `quarry-lab sweep hotstuff --byzantine 2`: 239 of 1,000).
#[test]
fn beyond_the_bound_byzantine_protocols_fork() {
    let beyond = scenario("beyond-bound").unwrap();
    let pbft = run_cell(by_name("PBFT"), beyond, 1, 1, 2, None).unwrap();
    assert!(pbft.safety_violations.iter().any(|(p, _)| p == "log agreement"), "{pbft:?}");
    let hotstuff = run_cell(by_name("HotStuff"), beyond, 1, 10, 5, None).unwrap();
    assert!(hotstuff.safety_violations.iter().any(|(p, _)| p == "log agreement"), "{hotstuff:?}");
}
