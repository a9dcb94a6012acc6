//! Scripted tests of Vertical Paxos I: one ballot, a reconfiguration from one acceptor set to
//! a disjoint one while ballot 1 is deciding, the master's activation bookkeeping, failure-driven
//! reconfiguration, the faults it must survive, and the broken variant that skips phase 1.

use super::*;
use crate::check::find;
use crate::protocol::Action;
use crate::protocols::test_support::{all_hold, one_ms_network, SEEDS};
use crate::sim::{parse_partitions, FaultPlan};
use crate::sweep::sweep;

fn proposals(n: usize) -> Workload<Value> {
    Workload::scripted((1..n).map(|p| (0, p, 100 + p as Value)))
}

fn config(members: &[NodeId]) -> Config {
    members.iter().copied().collect()
}

#[test]
fn without_faults_ballot_1_decides_the_first_leaders_value_everywhere() {
    let mut sim =
        Simulation::new(one_ms_network(7, 1), |_, _| VerticalPaxos::new(Flaw::None, None))
            .with_workload(proposals(7));
    sim.run();
    assert!((0..7).all(|p| sim.node(p).unwrap().decided() == Some(101)));
    let master = sim.node(MASTER).unwrap();
    assert_eq!(master.configurations().len(), 1);
    assert_eq!(master.complete_ballot(), 1, "the leader reported ballot 1 complete");
    assert!(sim.is_quiescent());
}

/// Ballot 1 runs on {1,2,3}; at 2.5 ms — its 2b messages are in flight — the master starts
/// ballot 2 on the disjoint {4,5,6}. Ballot 2's leader reads config(1) and carries 101 over.
#[test]
fn reconfiguring_to_a_disjoint_acceptor_set_while_deciding_keeps_the_chosen_value() {
    let mut sim =
        Simulation::new(one_ms_network(7, 2), |_, _| VerticalPaxos::new(Flaw::None, Some(2_500)))
            .with_workload(proposals(7));
    sim.run();
    assert!((0..7).all(|p| sim.node(p).unwrap().decided() == Some(101)));
    let master = sim.node(MASTER).unwrap();
    let expected = BTreeMap::from([(1, config(&[1, 2, 3])), (2, config(&[4, 5, 6]))]);
    assert_eq!(master.configurations(), &expected);
    assert_eq!(master.complete_ballot(), 2, "ballot 2 was activated: the old set can retire");
    // The new acceptors hold the value themselves.
    assert!((4..7).all(|p| sim.node(p).unwrap().vval == Some(101)));
}

#[test]
fn a_new_ballot_reads_every_configuration_from_the_complete_one_on() {
    let mut master = VerticalPaxos::new(Flaw::None, None);
    master.master.configs =
        BTreeMap::from([(1, config(&[1, 2, 3])), (2, config(&[4, 5, 6])), (3, config(&[1, 5, 6]))]);
    master.master.complete_bal = 2;
    let (mut storage, mut actions) = (Default::default(), Vec::new());
    let mut ctx = Context::new(MASTER, 7, 0, &mut storage, &mut actions);
    master.start_ballot(&mut ctx, config(&[2, 3, 4]));
    let Some(Action::Send { to: 2, msg: Msg::NewBallot { ballot, prev, old, .. } }) =
        actions.first()
    else {
        panic!("{actions:?}")
    };
    assert_eq!((*ballot, *prev), (4, 2));
    assert_eq!(old, &vec![(2, config(&[4, 5, 6])), (3, config(&[1, 5, 6]))], "not ballot 1");
}

/// Ballot 1's 2b messages cannot reach {4,5,6} for 100 ms (one-way partition), and the master
/// moves to ballot 2 on {4,5,6} at 2.5 ms. Without phase 1 on config(1), ballot 2's leader
/// proposes its own 104 and {4,5,6} learn it while {0,1,2,3} learned 101.
#[test]
fn without_the_read_phase_the_new_configuration_chooses_a_second_value() {
    let run = |flaw| {
        let plan = FaultPlan {
            partitions: parse_partitions("1,2,3>4,5,6@0-100", 7).unwrap(),
            ..FaultPlan::default()
        };
        let mut sim = Simulation::new(one_ms_network(7, 2), move |_, _| {
            VerticalPaxos::new(flaw, Some(2_500))
        })
        .with_workload(proposals(7))
        .with_faults(plan);
        sim.run();
        let history = sim.history();
        history.outputs().map(|(_, _, Decide(v))| *v).collect::<BTreeSet<Value>>()
    };
    assert_eq!(run(Flaw::SkipOldConfigs), BTreeSet::from([101, 104]));
    assert_eq!(run(Flaw::None), BTreeSet::from([101]), "reading config(1) carries 101 over");
}

#[test]
fn a_crashed_acceptor_in_the_configuration_makes_the_master_reconfigure_around_it() {
    let plan = FaultPlan { crashes: vec![(0, 2)], ..FaultPlan::default() };
    let mut sim =
        Simulation::new(one_ms_network(7, 3), |_, _| VerticalPaxos::new(Flaw::None, None))
            .with_workload(proposals(7))
            .with_faults(plan);
    sim.run();
    let decided: Vec<_> =
        (0..7).filter(|&p| p != 2).map(|p| sim.node(p).unwrap().decided()).collect();
    assert!(decided.iter().all(|d| d.is_some() && *d == decided[0]), "{decided:?}");
    let master = sim.node(MASTER).unwrap();
    let (last, members) = master.configurations().iter().next_back().unwrap();
    assert!(*last >= 2 && !members.contains(&2), "ballot {last} on {members:?}");
}

#[test]
fn loss_duplication_and_reordering_delay_but_do_not_break_vertical_paxos() {
    for seed in 0..20 {
        let mut config = RunConfig::new(7, seed);
        config.network.loss = 0.2;
        config.network.duplication = 0.2;
        config.network.reorder = 0.3;
        let report = VERTICAL_PAXOS.run(&config);
        assert!(all_hold(&report), "seed {seed}: {:?}", report.verdicts);
    }
}

#[test]
fn a_partition_that_isolates_the_master_only_delays_the_decision() {
    let mut config = RunConfig::new(7, 4);
    config.faults.partitions = parse_partitions("0|1,2,3,4,5,6@0-300", 7).unwrap();
    let report = VERTICAL_PAXOS.run(&config);
    assert!(all_hold(&report), "{:?}", report.verdicts);
    assert_eq!(report.decisions, 7);
}

fn vp_fault_model(n: usize, recover: bool) -> RunConfig {
    let mut c = RunConfig::new(n, 0);
    c.faults.crash = config_size(n) - 1;
    c.faults.recover_after = recover.then_some(100_000);
    c.network.loss = 0.1;
    c.network.duplication = 0.1;
    c.network.reorder = 0.2;
    c.faults.partitions = parse_partitions("0|1,2,3,4,5,6@0-200", n).unwrap();
    c
}

/// `SEEDS` seeds (1,000 in release) under the whole fault model, crash-recovery and crash-stop.
#[test]
fn vertical_paxos_is_safe_and_live_on_every_seed_under_its_fault_model() {
    for recover in [true, false] {
        let summary = sweep(&VERTICAL_PAXOS, &vp_fault_model(7, recover), 0..SEEDS, || {});
        assert!(summary.violations.is_empty(), "recover {recover}: {summary:?}");
        assert_eq!(summary.liveness_failures, 0, "recover {recover}: {summary:?}");
    }
}

#[test]
fn the_sweep_catches_a_ballot_that_skips_the_old_configurations_and_the_seed_replays() {
    let base = RunConfig::new(7, 0);
    let summary = sweep(&BROKEN_VERTICAL_PAXOS_SKIP_OLD_CONFIG, &base, 0..SEEDS, || {});
    assert!(summary.violations.contains_key("uniform agreement"), "{summary:?}");
    let seed = summary.first_failing_seed.expect("violation found");
    let replay = BROKEN_VERTICAL_PAXOS_SKIP_OLD_CONFIG.run(&RunConfig { seed, ..base.clone() });
    assert!(!find(&replay.verdicts, "uniform agreement").holds(), "seed {seed} replays");
    assert!(all_hold(&VERTICAL_PAXOS.run(&RunConfig { seed, ..base })));
}
