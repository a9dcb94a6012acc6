//! Data-driven Paxos scenarios in the style of etcd's `rafttest`: each file in
//! `testdata/paxos/` says what happens (above `----`) and what must come out (below it).
//!
//! Directives (times in ms of simulated time):
//! - `n N`, `seed S`, `latency MS` (constant) or `latency MIN-MAX` (uniform), `loss P`, `dup P`,
//!   `reorder P`, `limit MS` (time limit)
//! - `propose NODE AT VALUE`, `crash NODE AT`, `recover NODE AT`, `partition SPEC` (as the CLI)
//!
//! Expected output: one line per process, `node I decided V at MS`, `node I undecided`, or
//! `node I down`. On a mismatch the test prints the actual block, ready to paste.

use std::path::Path;

use quarry_lab::protocols::consensus::paxos::{Flaw, Paxos};
use quarry_lab::sim::{parse_partitions, FaultPlan, LatencyModel, SimConfig, Simulation, Workload};

fn ms(text: &str) -> u64 {
    (text.parse::<f64>().unwrap_or_else(|_| panic!("bad time {text:?}")) * 1000.0) as u64
}

fn run_script(script: &str) -> String {
    let mut config = SimConfig::new(3, 1);
    let mut plan = FaultPlan::default();
    let mut proposals = Vec::new();
    let mut partitions = Vec::new();
    for line in script.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words[..] {
            ["n", n] => config.n = n.parse().unwrap(),
            ["seed", s] => config.seed = s.parse().unwrap(),
            ["latency", l] => {
                config.network.latency = match l.split_once('-') {
                    Some((a, b)) => LatencyModel::Uniform { min: ms(a), max: ms(b) },
                    None => LatencyModel::Constant(ms(l)),
                }
            }
            ["loss", p] => config.network.loss = p.parse().unwrap(),
            ["dup", p] => config.network.duplication = p.parse().unwrap(),
            ["reorder", p] => config.network.reorder = p.parse().unwrap(),
            ["limit", t] => config.time_limit = ms(t),
            ["propose", node, at, value] => {
                proposals.push((ms(at), node.parse().unwrap(), value.parse().unwrap()))
            }
            ["crash", node, at] => plan.crashes.push((ms(at), node.parse().unwrap())),
            ["recover", node, at] => plan.recoveries.push((ms(at), node.parse().unwrap())),
            ["partition", spec] => partitions.push(spec.to_owned()),
            _ => panic!("unknown directive {line:?}"),
        }
    }
    for spec in partitions {
        plan.partitions.extend(parse_partitions(&spec, config.n).unwrap());
    }
    let n = config.n;
    let mut sim = Simulation::new(config, |_, _| Paxos::new(Flaw::None))
        .with_workload(Workload::scripted(proposals))
        .with_faults(plan);
    sim.run();
    let history = sim.history();
    (0..n)
        .map(|i| match sim.node(i) {
            None => format!("node {i} down"),
            Some(p) => match p.decided() {
                None => format!("node {i} undecided"),
                Some(v) => {
                    let at = history.outputs().find(|(_, node, _)| *node == i).map_or(0, |o| o.0);
                    format!("node {i} decided {v} at {:.1}", at as f64 / 1000.0)
                }
            },
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_paxos_script_produces_its_expected_decisions() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/paxos");
    let mut failures = Vec::new();
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("testdata/paxos exists") {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let (script, expected) = text.split_once("\n----\n").expect("a `----` separator");
        let actual = run_script(script);
        if actual.trim() != expected.trim() {
            failures.push(format!(
                "{}: expected\n{}\ngot\n{actual}\n",
                path.display(),
                expected.trim()
            ));
        }
        count += 1;
    }
    assert!(count >= 5, "only {count} scripts");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
