//! The Nakamoto longest-chain model (Nakamoto, *Bitcoin: A Peer-to-Peer Electronic Cash
//! System*, 2008, §4–§5 and §11): miners with hash-power shares find blocks as Poisson events at
//! a target interval, blocks propagate over the simulated network, every node follows the
//! most-work chain kept in the node's own block tree (`quarry_consensus::BlockTree`, with the
//! node's difficulty rule around it: [`chain`]), a block is final at a node once it has k
//! confirmations, and attackers play selfish mining or the private-chain double spend
//! ([`miner`]).
//!
//! What is measured, each next to its closed form where one exists ([`analytic`]):
//!
//! | metric | simulated by | closed form |
//! |---|---|---|
//! | double-spend success | [`race::simulate_double_spend`] | Nakamoto 2008 §11; exact race (Rosenfeld 2014) |
//! | stale-block rate | [`run_nakamoto`] with constant delay d | 1 − e^{−d/T} |
//! | selfish revenue share | [`run_nakamoto`] with a selfish attacker | Eyal & Sirer 2014 eq. 8 |
//! | time to k confirmations, reorg depths | [`run_nakamoto`] | — |
//!
//! Registry entries: `nakamoto` (honest miners), `nakamoto-selfish` (a 40 % selfish pool) and
//! `nakamoto-majority-attack` (a 60 % private-chain attacker: beyond the bound, the
//! k-finality checker must fail).

pub mod analytic;
pub mod chain;
pub mod miner;
pub mod race;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Serialize;

use crate::check::Verdict;
use crate::harness::{
    ms, Comparison, FaultClass, Outcome, ProtocolEntry, RunConfig, RunReport, Trial,
};
use crate::protocol::{NodeId, Time};
use crate::sim::{HistoryEvent, Simulation, Streams, Workload};
use chain::{BlockId, DifficultyRule, TxId};
use miner::{Miner, NakamotoOutput, NakamotoParams, Strategy};

/// A Nakamoto run's knobs beyond the [`RunConfig`] (which gives n, seed, network and faults).
#[derive(Debug, Clone, PartialEq)]
pub struct NakamotoSetup {
    /// Mean block interval T at genesis difficulty, µs.
    pub interval: Time,
    /// k confirmations for finality.
    pub confirmations: u64,
    /// Fixed difficulty or ASERT.
    pub difficulty: DifficultyRule,
    /// Total hash power relative to the genesis design (1.0).
    pub hash_multiplier: f64,
    /// Process 0 attacks with this share and strategy, if set.
    pub attacker: Option<(f64, Strategy)>,
    /// Relay announcements (`Inv`) of accepted blocks ([`NakamotoParams::relay`]).
    pub relay: bool,
    /// Transactions in the workload (open loop, to random processes).
    pub txs: usize,
    /// Mean gap between transactions, µs.
    pub tx_gap: Time,
}

impl Default for NakamotoSetup {
    /// T = 1 s, k = 6, fixed difficulty, no attacker, 40 transactions 3 ms apart on average.
    fn default() -> Self {
        NakamotoSetup {
            interval: 1_000_000,
            confirmations: 6,
            difficulty: DifficultyRule::Fixed,
            hash_multiplier: 1.0,
            attacker: None,
            relay: true,
            txs: 40,
            tx_gap: 3_000,
        }
    }
}

/// Chain-level figures of one run, read at the first honest process up at the end.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NakamotoStats {
    /// Height of that process's best chain at the end.
    pub final_height: u64,
    /// Heights 1..=settled count (the last k are still open).
    pub settled_height: u64,
    /// Blocks mined (withheld ones included) at heights 1..=settled.
    pub mined_settled: u64,
    /// Those not on the best chain.
    pub stale: u64,
    /// stale / mined_settled.
    pub stale_rate: f64,
    /// Depth → number of reorgs seen by honest processes.
    pub reorg_depths: BTreeMap<u64, u64>,
    /// Best-chain blocks (1..=settled) mined by the attacker, over settled.
    pub attacker_revenue: f64,
    /// Mean interval between best-chain blocks, µs (from their mining times).
    pub mean_interval: f64,
    /// Mining time → k-th confirmation at each honest process, µs, sorted.
    pub block_finality: Vec<Time>,
}

/// The report and chain figures of one run.
#[derive(Debug, Clone)]
pub struct NakamotoRun {
    /// Metrics and verdicts (decisions = transactions k-confirmed at their origin).
    pub report: RunReport,
    /// Chain-level figures.
    pub stats: NakamotoStats,
}

/// Simulate `setup` under `config` (process 0 is the attacker if there is one; the config's
/// `requests` and `request_gap` override the setup's transactions) and check:
/// **k-finality** (safety: no honest process reorgs below a height it declared final),
/// **final agreement** (safety: honest processes never declare different blocks final at one
/// height), **common prefix** (safety, at the end: the correct honest processes' chains without
/// their last k blocks are prefixes of one another) and **confirmation** (liveness: every transaction submitted at a correct honest
/// process reaches k confirmations there).
pub fn run_nakamoto(config: &RunConfig, setup: &NakamotoSetup) -> NakamotoRun {
    let n = config.n;
    let mut params = NakamotoParams::equal(n, setup.interval, setup.confirmations, config.seed);
    params.difficulty = setup.difficulty;
    params.hash_multiplier = setup.hash_multiplier;
    params.relay = setup.relay;
    if let Some((q, strategy)) = setup.attacker {
        params = params.with_attacker(0, q, strategy);
    }
    let attacker = params.attacker.map(|(node, _)| node);
    let params = Arc::new(params);
    let mut rng = Streams::new(config.seed).workload;
    let (gap, count) = (
        config.workload.request_gap.unwrap_or(setup.tx_gap),
        config.workload.requests.unwrap_or(setup.txs),
    );
    let workload: Workload<TxId> =
        Workload::open_loop(&mut rng, n, 1_000, gap, count, |i, _| i as TxId);
    let factory = {
        let params = params.clone();
        move |me: NodeId, _n: usize| Miner::new(params.clone(), me)
    };
    let mut sim = Simulation::new(config.sim_config(), factory)
        .with_workload(workload)
        .with_faults(config.fault_plan());
    sim.run();
    let history = sim.history();
    let correct = config.correct(&history);
    let honest = |node: &NodeId| Some(*node) != attacker;
    let observer = correct.iter().copied().find(honest).or_else(|| (0..n).find(honest));
    let main: Vec<BlockId> =
        observer.and_then(|o| sim.node(o)).map(|m| m.main_chain().to_vec()).unwrap_or_default();

    // Per-block facts from the outputs.
    let mut mined: HashMap<BlockId, (Time, u64, NodeId)> = HashMap::new();
    let mut submitted: HashMap<(NodeId, TxId), Time> = HashMap::new();
    let mut confirmed: BTreeMap<TxId, (Time, Time)> = BTreeMap::new();
    let mut finality: Vec<Time> = Vec::new();
    let mut reorg_depths: BTreeMap<u64, u64> = BTreeMap::new();
    let mut last_final: HashMap<NodeId, u64> = HashMap::new();
    let mut final_at: BTreeMap<u64, (NodeId, BlockId)> = BTreeMap::new();
    let (mut k_finality, mut agreement) = (None, None);
    for event in &history.events {
        match event {
            HistoryEvent::Request { time, node, request, accepted: true } => {
                submitted.insert((*node, *request), *time);
            }
            HistoryEvent::Recover { node, .. } => {
                last_final.remove(node);
            }
            HistoryEvent::Output { time, node, output } => match output {
                NakamotoOutput::Mined { block, height, .. } => {
                    mined.insert(*block, (*time, *height, *node));
                }
                NakamotoOutput::Reorg { depth, fork_height, new_tip } if honest(node) => {
                    *reorg_depths.entry(*depth).or_default() += 1;
                    let fin = last_final.get(node).copied().unwrap_or(0);
                    if *fork_height < fin && k_finality.is_none() {
                        k_finality = Some(format!(
                            "process {node} reorged {depth} blocks to {new_tip:#x} from height \
                             {fork_height}, below its final height {fin}, at {}",
                            ms(*time)
                        ));
                    }
                }
                NakamotoOutput::Final { height, block } if honest(node) => {
                    last_final.insert(*node, *height);
                    if let Some((t0, ..)) = mined.get(block) {
                        finality.push(time - t0);
                    }
                    match final_at.get(height) {
                        Some((other, b)) if b != block && agreement.is_none() => {
                            agreement = Some(format!(
                                "processes {other} and {node} declared {b:#x} and {block:#x} \
                                 final at height {height}"
                            ));
                        }
                        Some(_) => {}
                        None => {
                            final_at.insert(*height, (*node, *block));
                        }
                    }
                }
                NakamotoOutput::TxConfirmed { tx, .. } => {
                    if let Some(t0) = submitted.get(&(*node, *tx)) {
                        confirmed.entry(*tx).or_insert((*t0, *time));
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }
    // Common prefix (Garay, Kiayias, Leonardos, Eurocrypt 2015, §3): the best chains of the
    // correct honest processes, each with its last k blocks cut off, are prefixes of one another.
    let chains: Vec<(NodeId, Vec<BlockId>)> = correct
        .iter()
        .filter(|node| honest(node))
        .filter_map(|&node| sim.node(node).map(|m| (node, m.main_chain().to_vec())))
        .collect();
    let cut = |c: &[BlockId]| c.len().saturating_sub(setup.confirmations as usize);
    let common_prefix = chains.iter().zip(chains.iter().skip(1)).find_map(|((a, ca), (b, cb))| {
        let len = cut(ca).min(cut(cb));
        (ca[..len] != cb[..len]).then(|| {
            let h = (0..len).find(|&h| ca[h] != cb[h]).unwrap_or(0);
            format!(
                "at the end processes {a} and {b} hold {:#x} and {:#x} at height {h}, more than k \
                 blocks below their tips",
                ca[h], cb[h]
            )
        })
    });
    let unconfirmed = submitted
        .iter()
        .filter(|((node, tx), _)| {
            correct.contains(node) && honest(node) && !confirmed.contains_key(tx)
        })
        .map(|((node, tx), _)| (*node, *tx))
        .min();
    let verdicts = vec![
        Verdict::safety("k-finality", k_finality),
        Verdict::safety("final agreement", agreement),
        Verdict::safety("common prefix", common_prefix),
        Verdict::liveness(
            "confirmation",
            unconfirmed.map(|(node, tx)| {
                format!("tx {tx} submitted at correct process {node} never reached k confirmations")
            }),
        ),
    ];

    // Chain figures over the settled heights.
    let final_height = main.len().saturating_sub(1) as u64;
    let settled = final_height.saturating_sub(setup.confirmations);
    let mined_settled = mined.values().filter(|(_, h, _)| (1..=settled).contains(h)).count() as u64;
    let stale = mined_settled.saturating_sub(settled);
    let on_main = &main[1..=settled as usize];
    let by_attacker =
        on_main.iter().filter(|b| mined.get(b).is_some_and(|m| Some(m.2) == attacker)).count();
    let times: Vec<Time> = on_main.iter().filter_map(|b| mined.get(b).map(|m| m.0)).collect();
    let mean_interval = match (times.first(), times.last()) {
        (Some(a), Some(b)) if times.len() > 1 => (b - a) as f64 / (times.len() - 1) as f64,
        _ => 0.0,
    };
    finality.sort_unstable();
    let stats = NakamotoStats {
        final_height,
        settled_height: settled,
        mined_settled,
        stale,
        stale_rate: if mined_settled == 0 { 0.0 } else { stale as f64 / mined_settled as f64 },
        reorg_depths,
        attacker_revenue: if settled == 0 { 0.0 } else { by_attacker as f64 / settled as f64 },
        mean_interval,
        block_finality: finality,
    };

    let mut outcomes = vec![
        Outcome::Summary(format!(
            "best chain height {final_height}; {mined_settled} blocks mined at settled heights \
             1..={settled}, {stale} stale (rate {:.4}); mean interval {}",
            stats.stale_rate,
            ms(mean_interval as Time)
        )),
        Outcome::Summary(format!("reorg depths (depth: count) {:?}", stats.reorg_depths)),
    ];
    if attacker.is_some() {
        outcomes.push(Outcome::Summary(format!(
            "attacker's share of settled best-chain blocks {:.4}",
            stats.attacker_revenue
        )));
    }
    outcomes.extend(confirmed.iter().take(20).map(|(tx, (t0, t1))| {
        Outcome::Summary(format!("tx {tx} submitted at {} k-confirmed at {}", ms(*t0), ms(*t1)))
    }));
    let pairs: Vec<(Time, Time)> = confirmed.values().copied().collect();
    let report = RunReport::from_pairs(
        config.seed,
        outcomes,
        &pairs,
        sim.metrics(),
        sim.now(),
        verdicts,
        sim.trace().to_vec(),
    );
    NakamotoRun { report, stats }
}

/// Stale-rate experiment: `miners` equal miners, constant propagation `delay` µs, block interval
/// `interval` µs, about `blocks` blocks, no transactions, no relay (the miner's own push reaches
/// every other miner on the loss-free full mesh, so relaying would change nothing but the cost).
pub fn stale_run(
    miners: usize,
    interval: Time,
    delay: Time,
    blocks: u64,
    seed: u64,
) -> NakamotoStats {
    let mut config = RunConfig::new(miners, seed);
    config.network.latency = crate::sim::LatencyModel::Constant(delay);
    config.time_limit = interval.saturating_mul(blocks);
    let setup = NakamotoSetup { interval, txs: 0, relay: false, ..NakamotoSetup::default() };
    run_nakamoto(&config, &setup).stats
}

/// The fault model of the honest Nakamoto experiments.
pub const NAKAMOTO_FAULTS: &str = "hash power: safe with k-confirmation finality while the \
     attacker's share q < 1/2 (failure probability per Nakamoto 2008 §11); crash-stop or \
     crash-recovery of any number of miners; loss, partitions that heal";

/// `nakamoto`: 10 honest miners, T = 1 s, k = 6.
pub static NAKAMOTO: ProtocolEntry = ProtocolEntry {
    name: "nakamoto",
    description: "longest-chain PoW with k-confirmation finality",
    source: "Nakamoto 2008 §4-§5, §11",
    fault_model: NAKAMOTO_FAULTS,
    default_n: 10,
    byzantine: false,
    run: |config| run_nakamoto(config, &NakamotoSetup::default()).report,
    comparison: Some(Comparison {
        name: "Nakamoto (k = 6)",
        source: "Nakamoto 2008 §4-§5, §11",
        row: 50,
        class: FaultClass::HashPower,
        bound: "any n; attacker hash share q < 1/2, failure probability P(q, k)",
        nodes_for: |f| 2 * f + 1,
        run: run_nakamoto_trial,
    }),
};

/// `nakamoto-selfish`: process 0 is a 40 % selfish pool (Eyal & Sirer 2014).
pub static NAKAMOTO_SELFISH: ProtocolEntry = ProtocolEntry {
    name: "nakamoto-selfish",
    description: "longest-chain PoW with a 40 % selfish-mining pool",
    source: "Eyal & Sirer, FC 2014, Alg. 1",
    fault_model: NAKAMOTO_FAULTS,
    default_n: 10,
    byzantine: false,
    run: run_nakamoto_selfish,
    comparison: None,
};

fn run_nakamoto_selfish(config: &RunConfig) -> RunReport {
    let setup =
        NakamotoSetup { attacker: Some((0.4, Strategy::Selfish)), ..NakamotoSetup::default() };
    run_nakamoto(config, &setup).report
}

/// `nakamoto-majority-attack`: process 0 holds 60 % and runs the private-chain double spend.
pub static NAKAMOTO_MAJORITY_ATTACK: ProtocolEntry = ProtocolEntry {
    name: "nakamoto-majority-attack",
    description: "BEYOND THE BOUND on purpose: a 60 % private-chain double spender",
    source: "Nakamoto 2008 §11",
    fault_model: NAKAMOTO_FAULTS,
    default_n: 10,
    byzantine: false,
    run: run_nakamoto_majority_attack,
    comparison: None,
};

fn run_nakamoto_majority_attack(config: &RunConfig) -> RunReport {
    let strategy = Strategy::PrivateChain { wait_for: 6, give_up_behind: 20 };
    let setup = NakamotoSetup { attacker: Some((0.6, strategy)), ..NakamotoSetup::default() };
    run_nakamoto(config, &setup).report
}

/// Nakamoto under a `compare` trial: honest miners, or process 0 running the private-chain
/// double spend against the merchants' k = 6 with the trial's attacker share.
fn run_nakamoto_trial(trial: &Trial) -> RunReport {
    let strategy = Strategy::PrivateChain { wait_for: 6, give_up_behind: 20 };
    let setup = NakamotoSetup {
        attacker: trial.attacker_share.map(|q| (q, strategy)),
        ..NakamotoSetup::default()
    };
    run_nakamoto(&trial.config, &setup).report
}

#[cfg(test)]
mod tests;
