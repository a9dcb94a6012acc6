//! Scripted tests of single-decree Paxos: normal case, the faults it must survive, the bound
//! it must not cross, and the two broken variants the checkers must catch.

use super::*;
use crate::check::find;
use crate::protocols::test_support::all_hold;
use crate::sim::{parse_partitions, FaultPlan, SimConfig, Simulation};

#[test]
fn three_processes_without_faults_all_decide_one_of_the_proposals() {
    let mut sim = Simulation::new(SimConfig::new(3, 1), |_, _| Paxos::new(Flaw::None))
        .with_workload(Workload::scripted([(0, 0, 100), (0, 1, 101), (0, 2, 102)]));
    sim.run();
    let decided: Vec<_> = (0..3).map(|i| sim.node(i).unwrap().decided()).collect();
    assert!(decided[0].is_some());
    assert!(decided.iter().all(|d| *d == decided[0]), "{decided:?}");
    assert!((100..=102).contains(&decided[0].unwrap()));
    assert!(sim.is_quiescent(), "decided processes stop their timers");
}

#[test]
fn a_lone_proposer_decides_its_own_value_in_two_round_trips() {
    let mut config = SimConfig::new(3, 2);
    config.network.latency = crate::sim::LatencyModel::Constant(1_000);
    config.record_trace = true;
    let mut sim = Simulation::new(config, |_, _| Paxos::new(Flaw::None))
        .with_workload(Workload::scripted([(0, 1, 7)]));
    sim.run();
    let outputs: Vec<_> = sim.history().outputs().map(|(t, node, d)| (t, node, *d)).collect();
    // Prepare → Promise → Accept → Accepted: four one-way delays of 1 ms each.
    assert!(outputs.iter().all(|&(t, _, d)| d == Decide(7) && t <= 4_000), "{outputs:?}");
    assert_eq!(outputs.len(), 3);
}

#[test]
fn a_minority_crashed_from_the_start_does_not_stop_the_majority() {
    let plan = FaultPlan { crashes: vec![(0, 0), (0, 4)], ..FaultPlan::default() };
    let mut sim = Simulation::new(SimConfig::new(5, 3), |_, _| Paxos::new(Flaw::None))
        .with_workload(Workload::scripted((0..5).map(|i| (10, i, 100 + i as u64))))
        .with_faults(plan);
    sim.run();
    let decided: Vec<_> = (1..4).map(|i| sim.node(i).unwrap().decided()).collect();
    assert!(decided.iter().all(|d| d.is_some() && *d == decided[0]), "{decided:?}");
}

#[test]
fn a_majority_crashed_stalls_paxos_but_keeps_it_safe() {
    for seed in 0..10 {
        let mut config = RunConfig::new(5, seed);
        config.faults.crash = 3;
        config.faults.crash_window = 1; // crash at t = 0, before anything can be decided
        config.time_limit = 5_000_000;
        let report = SINGLE_DECREE_PAXOS.run(&config);
        assert_eq!(report.decisions, 0, "seed {seed}");
        assert!(!find(&report.verdicts, "termination").holds());
        assert_eq!(report.safety_violations().count(), 0);
    }
}

#[test]
fn loss_duplication_and_reordering_delay_but_do_not_break_paxos() {
    for seed in 0..20 {
        let mut config = RunConfig::new(5, seed);
        config.network.loss = 0.2;
        config.network.duplication = 0.2;
        config.network.reorder = 0.3;
        let report = SINGLE_DECREE_PAXOS.run(&config);
        assert!(all_hold(&report), "seed {seed}: {:?}", report.verdicts);
    }
}

#[test]
fn a_partition_that_heals_lets_the_minority_side_learn_the_decision() {
    let mut config = RunConfig::new(5, 4);
    config.faults.partitions = parse_partitions("0,1|2,3,4@0-300", 5).unwrap();
    let report = SINGLE_DECREE_PAXOS.run(&config);
    assert!(all_hold(&report), "{:?}", report.verdicts);
    assert_eq!(report.decisions, 5);
}

#[test]
fn crashed_acceptors_that_recover_keep_their_promises_and_everyone_decides() {
    for seed in 0..20 {
        let mut config = RunConfig::new(5, seed);
        config.faults.crash = 2;
        config.faults.crash_window = 20_000;
        config.faults.recover_after = Some(30_000);
        let report = SINGLE_DECREE_PAXOS.run(&config);
        assert!(all_hold(&report), "seed {seed}: {:?}", report.verdicts);
        assert_eq!(report.decisions, 5, "seed {seed}");
    }
}

#[test]
fn quorums_of_n_over_2_let_two_values_be_decided_for_some_seed() {
    let config = |seed| {
        let mut c = RunConfig::new(4, seed);
        c.network.loss = 0.3;
        c
    };
    let violation = (0..300).find(|&seed| {
        !find(&BROKEN_PAXOS_MINORITY_QUORUM.run(&config(seed)).verdicts, "uniform agreement")
            .holds()
    });
    let seed = violation.expect("the broken quorum is caught within 300 seeds");
    eprintln!("minority quorum caught at seed {seed}");
    let again = BROKEN_PAXOS_MINORITY_QUORUM.run(&config(seed));
    assert!(!find(&again.verdicts, "uniform agreement").holds(), "seed {seed} replays");
}

#[test]
fn acceptors_that_forget_their_promise_let_two_values_be_decided_for_some_seed() {
    let config = |seed| {
        let mut c = RunConfig::new(5, seed);
        c.network.loss = 0.3;
        c
    };
    let violation = (0..300).find(|&seed| {
        !find(&BROKEN_PAXOS_FORGETFUL_ACCEPTOR.run(&config(seed)).verdicts, "uniform agreement")
            .holds()
    });
    let seed = violation.expect("the forgetful acceptor is caught within 300 seeds");
    eprintln!("forgetful acceptor caught at seed {seed}");
    let again = BROKEN_PAXOS_FORGETFUL_ACCEPTOR.run(&config(seed));
    assert!(!find(&again.verdicts, "uniform agreement").holds(), "seed {seed} replays");
}

#[test]
fn quorums_of_n_over_2_on_both_sides_of_a_partition_decide_two_values() {
    let mut config = RunConfig::new(4, 1);
    config.faults.partitions = parse_partitions("0,1|2,3@0-1000", 4).unwrap();
    let report = BROKEN_PAXOS_MINORITY_QUORUM.run(&config);
    assert!(!find(&report.verdicts, "agreement").holds(), "{:?}", report.outcomes);
    // Correct Paxos under the same partition: neither side has a majority until it heals.
    let report = SINGLE_DECREE_PAXOS.run(&RunConfig { n: 4, ..config });
    assert!(all_hold(&report), "{:?}", report.verdicts);
}
