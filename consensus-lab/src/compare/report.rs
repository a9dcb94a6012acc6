//! Building a comparison (all runs of one scenario plus the sweeps behind the plots) and
//! writing it as `report.md` and four SVG plots.

use std::fmt::Write as _;
use std::path::Path;

use super::plots::{line_plot, Series};
use super::{compared, run_cell, scenario, Cell, Scenario, SEEDS_PER_CELL};
use crate::harness;
use crate::harness::ms;
use crate::protocols::nakamoto::analytic::{nakamoto_2008, race_exact, SuccessRule};
use crate::protocols::nakamoto::race::{simulate_double_spend, DoubleSpendConfig, RaceModel};

/// One protocol's row: the scenario's cell and the two fault-bound columns.
pub struct Row {
    /// The protocol.
    pub protocol: &'static harness::Comparison,
    /// Under the chosen scenario (`None`: not applicable).
    pub cell: Option<Cell>,
    /// Under `partition-heal`.
    pub partition: Option<Cell>,
    /// Under `beyond-bound`.
    pub beyond: Option<Cell>,
}

/// One double-spend point: share q, confirmations z, the two closed forms, the simulation.
#[derive(Debug, Clone, Copy)]
pub struct DoubleSpendPoint {
    /// Attacker share.
    pub q: f64,
    /// Confirmations.
    pub z: u32,
    /// Nakamoto 2008 §11.
    pub paper: f64,
    /// Exact race.
    pub exact: f64,
    /// Simulated (exact-race model).
    pub simulated: f64,
    /// Its standard error.
    pub std_error: f64,
}

/// Everything a report shows.
pub struct Comparison {
    /// The scenario.
    pub scenario: &'static Scenario,
    /// First seed.
    pub seed: u64,
    /// One row per protocol.
    pub rows: Vec<Row>,
    /// Steady runs at f = 1, 2, 3: per protocol, one cell per f.
    pub vs_n: Vec<(&'static str, Vec<Cell>)>,
    /// Steady runs at rising offered load (requests/s) → throughput, per protocol.
    pub vs_load: Vec<(&'static str, Vec<(f64, f64)>)>,
    /// Double-spend success vs confirmations.
    pub double_spend: Vec<DoubleSpendPoint>,
}

/// Mean request gaps of the load sweep, µs (offered load 125 … 4,000 requests/s).
pub const LOAD_GAPS: [u64; 6] = [8_000, 4_000, 2_000, 1_000, 500, 250];
/// Requests per run in the load sweep.
pub const LOAD_REQUESTS: usize = 200;
/// Races per point of the double-spend plot.
pub const RACE_TRIALS: u64 = 50_000;

/// Run everything a report of `scenario` needs, from `seed` (deterministic).
pub fn compare(scenario_: &'static Scenario, seed: u64) -> Comparison {
    let partition = scenario("partition-heal").expect("built in");
    let beyond = scenario("beyond-bound").expect("built in");
    let steady = scenario("steady").expect("built in");
    let protocols = compared();
    let rows = protocols
        .iter()
        .map(|p| Row {
            protocol: p,
            cell: run_cell(p, scenario_, 1, seed, SEEDS_PER_CELL, None),
            partition: run_cell(p, partition, 1, seed, SEEDS_PER_CELL, None),
            beyond: run_cell(p, beyond, 1, seed, SEEDS_PER_CELL, None),
        })
        .collect();
    let vs_n = protocols
        .iter()
        .map(|p| (p.name, (1..=3).filter_map(|f| run_cell(p, steady, f, seed, 3, None)).collect()))
        .collect();
    let vs_load = protocols
        .iter()
        .map(|p| {
            let points = LOAD_GAPS
                .iter()
                .filter_map(|&gap| {
                    let cell = run_cell(p, steady, 1, seed, 2, Some((gap, LOAD_REQUESTS)))?;
                    Some((1e6 / gap as f64, cell.throughput))
                })
                .collect();
            (p.name, points)
        })
        .collect();
    let mut double_spend = Vec::new();
    for q in [0.1, 0.25, 0.4] {
        for z in 0..=10 {
            let config = DoubleSpendConfig {
                q,
                z,
                trials: RACE_TRIALS,
                seed,
                model: RaceModel::Exact,
                rule: SuccessRule::CatchUp,
            };
            let r = simulate_double_spend(&config).expect("q < 1 and trials > 0");
            double_spend.push(DoubleSpendPoint {
                q,
                z,
                paper: nakamoto_2008(q, z, SuccessRule::CatchUp),
                exact: race_exact(q, z, SuccessRule::CatchUp),
                simulated: r.probability,
                std_error: r.std_error,
            });
        }
    }
    Comparison { scenario: scenario_, seed, rows, vs_n, vs_load, double_spend }
}

fn outcome(cell: &Option<Cell>) -> String {
    let Some(c) = cell else { return "n/a".into() };
    let submitted = c.requests as u64 * c.runs;
    let safety = if c.safety_violations.is_empty() {
        "safe".to_owned()
    } else {
        let v: Vec<String> =
            c.safety_violations.iter().map(|(p, k)| format!("{p} {k}/{}", c.runs)).collect();
        format!("**VIOLATED** {}", v.join(", "))
    };
    let live = if c.liveness_failures.is_empty() {
        String::new()
    } else {
        let v: Vec<String> =
            c.liveness_failures.iter().map(|(p, k)| format!("{p} {k}/{}", c.runs)).collect();
        format!("; not live: {}", v.join(", "))
    };
    format!("{}/{submitted} decided, p99 {}; {safety}{live}", c.decisions, ms(c.latency.p99))
}

/// The markdown report.
pub fn markdown(c: &Comparison) -> String {
    let mut md = String::new();
    let s = c.scenario;
    let _ = writeln!(md, "# Comparison: `{}`\n", s.name);
    let _ = writeln!(
        md,
        "Scenario: {}. Fault bound f = 1; every cell pools seeds {}..{} ({} runs); \
        regenerate with `quarry-lab compare --scenario {} --seed {} --out DIR`.\n",
        s.description,
        c.seed,
        c.seed + SEEDS_PER_CELL - 1,
        SEEDS_PER_CELL,
        s.name,
        c.seed
    );
    let _ = writeln!(md, "| protocol | tolerates | n for f faults | n run | decided | msgs / decision | bytes / decision | latency median | latency p99 | throughput (/s) | safety here | under partition (`partition-heal`) | beyond the bound (`beyond-bound`) |");
    let _ = writeln!(md, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|");
    for r in &c.rows {
        let p = r.protocol;
        let class = format!("{:?}", p.class);
        match &r.cell {
            None => {
                let _ = writeln!(
                    md,
                    "| {} | {class} | {} | – | not applicable | | | | | | | {} | {} |",
                    p.name,
                    p.bound,
                    outcome(&r.partition),
                    outcome(&r.beyond)
                );
            }
            Some(cell) => {
                let safety = if cell.safety_violations.is_empty() {
                    "safe".to_owned()
                } else {
                    cell.safety_violations
                        .iter()
                        .map(|(p, k)| format!("**{p}** {k}/{}", cell.runs))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let _ = writeln!(md, "| {} | {class} | {} | {} | {}/{} | {:.1} | {:.0} | {} | {} | {:.1} | {safety} | {} | {} |",
                    p.name, p.bound, cell.n, cell.decisions, cell.requests as u64 * cell.runs,
                    cell.messages_per_decision, cell.bytes_per_decision,
                    ms(cell.latency.median), ms(cell.latency.p99), cell.throughput,
                    outcome(&r.partition), outcome(&r.beyond));
            }
        }
    }
    let _ = writeln!(
        md,
        "\nSources: {}.\n",
        c.rows
            .iter()
            .map(|r| format!("{} ({})", r.protocol.name, r.protocol.source))
            .collect::<Vec<_>>()
            .join("; ")
    );
    let _ = writeln!(md, "## Plots\n");
    for (file, what) in [
        ("latency_vs_n.svg", "median latency to decision (finality for Nakamoto) against n = nodes needed for f = 1, 2, 3 (`steady`, 3 seeds)"),
        ("messages_vs_n.svg", "messages per decision against n (`steady`, 3 seeds)"),
        ("throughput_vs_load.svg", "decisions per simulated second against offered load (200 requests per run, 2 seeds, f = 1)"),
        ("nakamoto_double_spend.svg", "double-spend success against confirmations: Nakamoto 2008 §11, the exact race, and simulated races (exact model)"),
    ] {
        let _ = writeln!(md, "![{what}]({file})\n\n*{what}*\n");
    }
    let _ = writeln!(md, "## Double spend (Nakamoto 2008 §11)\n");
    let _ = writeln!(md, "Simulated: {RACE_TRIALS} races per point, exact-race model (the merchant waits for the z-th honest block), catch-up rule.\n");
    let _ = writeln!(md, "| q | z | Nakamoto 2008 | exact race | simulated ± σ |");
    let _ = writeln!(md, "|---:|---:|---:|---:|---:|");
    for p in c.double_spend.iter().filter(|p| [1, 2, 4, 6, 10].contains(&p.z)) {
        let _ = writeln!(
            md,
            "| {} | {} | {:.6} | {:.6} | {:.6} ± {:.6} |",
            p.q, p.z, p.paper, p.exact, p.simulated, p.std_error
        );
    }
    md
}

/// Write `report.md` and the four plots into `dir` (created if missing).
///
/// # Errors
/// A message naming the file that could not be written.
pub fn write(c: &Comparison, dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let line = |label: &str, points: Vec<(f64, f64)>| Series {
        label: label.to_owned(),
        points,
        markers: false,
    };
    let by_n = |metric: fn(&Cell) -> f64| -> Vec<Series> {
        c.vs_n
            .iter()
            .map(|(name, cells)| {
                line(name, cells.iter().map(|cell| (cell.n as f64, metric(cell))).collect())
            })
            .collect()
    };
    line_plot(
        &dir.join("latency_vs_n.svg"),
        "Latency to decision vs n (steady)",
        "n (processes for f = 1, 2, 3)",
        "median latency (ms, log10)",
        &by_n(|cell| (cell.latency.median as f64 / 1000.0).max(1e-3).log10()),
    )?;
    line_plot(
        &dir.join("messages_vs_n.svg"),
        "Messages per decision vs n (steady)",
        "n (processes for f = 1, 2, 3)",
        "messages per decision",
        &by_n(|cell| cell.messages_per_decision),
    )?;
    let load: Vec<Series> = c.vs_load.iter().map(|(name, pts)| line(name, pts.clone())).collect();
    line_plot(
        &dir.join("throughput_vs_load.svg"),
        "Throughput vs offered load (f = 1)",
        "offered load (requests per simulated second)",
        "decisions per simulated second",
        &load,
    )?;
    let mut ds = Vec::new();
    for q in [0.1, 0.25, 0.4] {
        let pts: Vec<_> = c.double_spend.iter().filter(|p| p.q == q).collect();
        let log = |v: f64| v.max(1e-7).log10();
        ds.push(line(
            &format!("Nakamoto 2008, q = {q}"),
            pts.iter().map(|p| (f64::from(p.z), log(p.paper))).collect(),
        ));
        ds.push(line(
            &format!("exact race, q = {q}"),
            pts.iter().map(|p| (f64::from(p.z), log(p.exact))).collect(),
        ));
        ds.push(Series {
            label: format!("simulated, q = {q}"),
            points: pts
                .iter()
                .filter(|p| p.simulated > 0.0)
                .map(|p| (f64::from(p.z), log(p.simulated)))
                .collect(),
            markers: true,
        });
    }
    line_plot(
        &dir.join("nakamoto_double_spend.svg"),
        "Double-spend success vs confirmations",
        "confirmations z",
        "log10 P(attacker catches up)",
        &ds,
    )?;
    let path = dir.join("report.md");
    std::fs::write(&path, markdown(c)).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
