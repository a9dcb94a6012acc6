//! Tests of the simulator core with a probe protocol whose every step is visible in its outputs.

use rand_chacha::ChaCha8Rng;

use super::*;

/// What the probe is asked to do.
#[derive(Debug, Clone)]
enum Cmd {
    Send(NodeId, u64),
    Timer(TimerId, Time),
    Cancel(TimerId),
    Store(u64),
}

#[derive(Debug, Clone, Copy)]
struct Ping(u64);

impl WireSize for Ping {
    fn size_bytes(&self) -> usize {
        8
    }
}

/// Everything the probe observed, with its local clock.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Started { stored: Option<u64> },
    Got { from: NodeId, value: u64 },
    Fired { id: TimerId, local: Time },
}

struct Probe;

impl Protocol for Probe {
    type Message = Ping;
    type Request = Cmd;
    type Output = Seen;

    fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
        let stored = ctx.retrieve("x");
        ctx.output(Seen::Started { stored });
    }
    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, Ping(value): Ping) {
        ctx.output(Seen::Got { from, value });
    }
    fn on_timer(&mut self, ctx: &mut Context<'_, Self>, id: TimerId) {
        let local = ctx.now;
        ctx.output(Seen::Fired { id, local });
    }
    fn on_request(&mut self, ctx: &mut Context<'_, Self>, cmd: Cmd) {
        match cmd {
            Cmd::Send(to, v) => ctx.send(to, Ping(v)),
            Cmd::Timer(id, after) => ctx.set_timer(id, after),
            Cmd::Cancel(id) => ctx.cancel_timer(id),
            Cmd::Store(v) => ctx.store("x", &v),
        }
    }
}

fn constant(n: usize, latency: Time) -> SimConfig {
    let mut config = SimConfig::new(n, 1);
    config.network.latency = LatencyModel::Constant(latency);
    config
}

fn outputs(sim: &Simulation<Probe>) -> Vec<(Time, NodeId, Seen)> {
    sim.history().outputs().map(|(t, node, o)| (t, node, o.clone())).collect()
}

fn received(sim: &Simulation<Probe>) -> Vec<(Time, NodeId, Seen)> {
    outputs(sim).into_iter().filter(|(_, _, s)| matches!(s, Seen::Got { .. })).collect()
}

#[test]
fn events_at_the_same_time_run_in_the_order_they_were_scheduled() {
    let script = (0..5).map(|v| (100, 0, Cmd::Send(1, v)));
    let mut sim =
        Simulation::new(constant(2, 10), |_, _| Probe).with_workload(Workload::scripted(script));
    sim.run();
    let values: Vec<_> = received(&sim).iter().map(|(t, _, s)| (*t, s.clone())).collect();
    let expected: Vec<_> = (0..5).map(|value| (110, Seen::Got { from: 0, value })).collect();
    assert_eq!(values, expected);
}

#[test]
fn a_one_way_partition_cuts_one_direction_until_it_heals() {
    let plan = FaultPlan {
        partitions: network::parse_partitions("0>1@0-1", 2).unwrap(),
        ..FaultPlan::default()
    };
    let script = [(10, 0, Cmd::Send(1, 1)), (10, 1, Cmd::Send(0, 2)), (2_000, 0, Cmd::Send(1, 3))];
    let mut sim = Simulation::new(constant(2, 10), |_, _| Probe)
        .with_workload(Workload::scripted(script))
        .with_faults(plan);
    sim.run();
    let got: Vec<_> = received(&sim).into_iter().map(|(_, node, s)| (node, s)).collect();
    assert_eq!(
        got,
        vec![(0, Seen::Got { from: 1, value: 2 }), (1, Seen::Got { from: 0, value: 3 })]
    );
    assert_eq!(sim.metrics().messages_dropped, 1);
}

#[test]
fn a_crashed_process_loses_its_messages_and_timers_but_keeps_its_storage() {
    let plan =
        FaultPlan { crashes: vec![(50, 1)], recoveries: vec![(500, 1)], ..FaultPlan::default() };
    let script = [
        (0, 1, Cmd::Store(9)),
        (0, 1, Cmd::Timer(7, 100)),
        (45, 0, Cmd::Send(1, 1)),  // arrives at 55: recipient down
        (600, 0, Cmd::Send(1, 2)), // arrives at 610: recovered
    ];
    let mut sim = Simulation::new(constant(2, 10), |_, _| Probe)
        .with_workload(Workload::scripted(script))
        .with_faults(plan);
    sim.run();
    let node1: Vec<_> =
        outputs(&sim).into_iter().filter(|(_, n, _)| *n == 1).map(|(t, _, s)| (t, s)).collect();
    assert_eq!(
        node1,
        vec![
            (0, Seen::Started { stored: None }),
            (500, Seen::Started { stored: Some(9) }),
            (610, Seen::Got { from: 0, value: 2 }),
        ]
    );
    let history = sim.history();
    assert_eq!(history.never_crashed, vec![0]);
    assert_eq!(history.up_at_end, vec![0, 1]);
}

#[test]
fn re_arming_a_timer_replaces_it_and_cancelling_disarms_it() {
    let script = [
        (0, 0, Cmd::Timer(1, 100)),
        (50, 0, Cmd::Timer(1, 100)), // replaces: fires at 150, not 100
        (0, 0, Cmd::Timer(2, 100)),
        (10, 0, Cmd::Cancel(2)),
    ];
    let mut sim =
        Simulation::new(constant(1, 10), |_, _| Probe).with_workload(Workload::scripted(script));
    sim.run();
    let fired: Vec<_> =
        outputs(&sim).into_iter().filter(|(_, _, s)| matches!(s, Seen::Fired { .. })).collect();
    assert_eq!(fired, vec![(150, 0, Seen::Fired { id: 1, local: 150 })]);
}

#[test]
fn clock_drift_stretches_timers_and_local_clocks_consistently() {
    let plan = FaultPlan { clock_drift: 0.5, ..FaultPlan::default() };
    let script = (0..4).map(|node| (0, node, Cmd::Timer(1, 1_000_000)));
    let mut sim = Simulation::new(constant(4, 10), |_, _| Probe)
        .with_workload(Workload::scripted(script))
        .with_faults(plan);
    sim.run();
    let fired: Vec<_> =
        outputs(&sim).into_iter().filter(|(_, _, s)| matches!(s, Seen::Fired { .. })).collect();
    assert_eq!(fired.len(), 4);
    assert!(fired.iter().any(|(t, _, _)| *t != 1_000_000), "some clock drifted: {fired:?}");
    for (global, _, seen) in fired {
        let Seen::Fired { local, .. } = seen else { unreachable!() };
        assert!(local.abs_diff(1_000_000) <= 2, "the timer fires when the local clock says so");
        assert!((666_000..=2_000_000).contains(&global));
    }
}

#[test]
fn loss_of_one_drops_everything_and_duplication_of_one_doubles_everything() {
    let script: Vec<_> = (0..10).map(|v| (0, 0, Cmd::Send(1, v))).collect();
    let mut config = constant(2, 10);
    config.network.loss = 1.0;
    let mut lossy = Simulation::new(config.clone(), |_, _| Probe)
        .with_workload(Workload::scripted(script.clone()));
    lossy.run();
    assert_eq!(received(&lossy).len(), 0);
    config.network.loss = 0.0;
    config.network.duplication = 1.0;
    let mut dup = Simulation::new(config, |_, _| Probe).with_workload(Workload::scripted(script));
    dup.run();
    assert_eq!(received(&dup).len(), 20);
}

#[test]
fn reordering_lets_later_messages_overtake_earlier_ones() {
    let script: Vec<_> = (0..50).map(|v| (v, 0, Cmd::Send(1, v))).collect();
    let mut config = constant(2, 10);
    config.network.reorder = 0.5;
    let mut sim = Simulation::new(config, |_, _| Probe).with_workload(Workload::scripted(script));
    sim.run();
    let order: Vec<u64> = received(&sim)
        .into_iter()
        .map(|(_, _, s)| match s {
            Seen::Got { value, .. } => value,
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(order.len(), 50);
    assert!(order.windows(2).any(|w| w[0] > w[1]), "{order:?}");
}

/// Drops every message to process 1 and sends two rewritten copies to everyone else.
struct Rewriter;

impl Adversary<Ping> for Rewriter {
    fn intercept(
        &mut self,
        _from: NodeId,
        to: NodeId,
        Ping(v): Ping,
        _now: Time,
        _rng: &mut ChaCha8Rng,
    ) -> Vec<(Time, Ping)> {
        if to == 1 {
            vec![]
        } else {
            vec![(0, Ping(v + 100)), (5, Ping(v + 200))]
        }
    }
}

#[test]
fn messages_of_corrupted_processes_go_through_the_adversary_per_recipient() {
    let script = [(0, 0, Cmd::Send(1, 1)), (0, 0, Cmd::Send(2, 1)), (0, 2, Cmd::Send(1, 7))];
    let mut sim = Simulation::new(constant(3, 10), |_, _| Probe)
        .with_workload(Workload::scripted(script))
        .with_adversary([0], Box::new(Rewriter));
    sim.run();
    let got = received(&sim);
    assert_eq!(
        got,
        vec![
            (10, 2, Seen::Got { from: 0, value: 101 }), // rewritten
            (10, 1, Seen::Got { from: 2, value: 7 }),   // honest process 2 is untouched
            (15, 2, Seen::Got { from: 0, value: 201 }), // and duplicated with extra delay
        ]
    );
}

#[test]
fn the_time_limit_stops_a_run_that_would_go_on_forever() {
    let mut config = constant(1, 10);
    config.time_limit = 1_000;
    let script = (0..100).map(|i| (i * 100, 0, Cmd::Timer(i, 1)));
    let mut sim = Simulation::new(config, |_, _| Probe).with_workload(Workload::scripted(script));
    sim.run();
    assert!(sim.now() <= 1_000);
    assert!(!sim.is_quiescent());
}
