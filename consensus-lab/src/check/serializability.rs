//! Conflict serializability by the direct serialization graph of Adya, *Weak Consistency: A
//! Generalized Theory and Optimistic Implementations for Distributed Transactions*, PhD thesis,
//! MIT 1999, §3.1.4–§4.4 (also Adya, Liskov, O'Neil, ICDE 2000).
//!
//! A history is the committed transactions, what each read (which transaction's version of each
//! key) and wrote, and each key's **version order** (the order in which the store installed the
//! versions). The DSG has one node per committed transaction and an edge Ti → Tj for
//! - **ww** (Tj directly write-depends on Ti): Ti installs a version of x and Tj installs x's
//!   next version;
//! - **wr** (Tj directly read-depends on Ti): Tj reads a version Ti installed;
//! - **rw** (Tj directly anti-depends on Ti): Ti reads a version of x and Tj installs x's next
//!   version.
//!
//! The phenomena, each a cycle (§4.2–§4.4):
//! - **G0** (write cycles): a cycle of ww edges only;
//! - **G1c** (circular information flow): a cycle of ww and wr edges;
//! - **G2** (anti-dependency cycles): a cycle with at least one rw edge.
//!
//! PL-3 (serializability) forbids all three, and G1a/G1b (reads of aborted or intermediate
//! versions, which the histories here cannot express: only committed final versions are
//! recorded). The checker names the anomaly of the shortest cycle it finds, with the names of
//! Berenson et al., "A Critique of ANSI SQL Isolation Levels", SIGMOD 1995, §4: **lost update**
//! (P4: an rw and a ww edge on one key), **write skew** (A5B: two transactions, each anti-depends
//! on the other through a different key), **read skew** (A5A: G-single, exactly one rw edge),
//! otherwise plain G0/G1c/G2.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::Verdict;

/// A transaction id (unique per history). Id 0 is the initial transaction that installed every
/// key's first version; it is not listed among the committed transactions.
pub type TxnId = u64;

/// A key of the store.
pub type Key = u64;

/// The initial transaction: the writer of every key's first version.
pub const INITIAL: TxnId = 0;

/// One committed transaction: what it read and wrote.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommittedTxn {
    /// Its id (not [`INITIAL`]).
    pub id: TxnId,
    /// Each key it read (from the store, not its own write) and the writer of the version it
    /// saw ([`INITIAL`] for the first version).
    pub reads: BTreeMap<Key, TxnId>,
    /// The keys it wrote (one final version each).
    pub writes: BTreeSet<Key>,
}

/// A history for the checker: committed transactions and each key's version order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TxnHistory {
    /// The committed transactions, any order.
    pub committed: Vec<CommittedTxn>,
    /// Per key, the writers of its versions in the order the store installed them, not
    /// counting [`INITIAL`] (which always comes first).
    pub version_order: BTreeMap<Key, Vec<TxnId>>,
}

/// The kind of a DSG edge (Adya 1999 §3.1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dependency {
    /// Write-dependency: the target installs the next version after the source's.
    Ww,
    /// Read-dependency: the target read the source's version.
    Wr,
    /// Anti-dependency: the target overwrote the version the source read.
    Rw,
}

/// One edge of a cycle: `from → to` because of `dependency` on `key`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    /// Source transaction.
    pub from: TxnId,
    /// Target transaction.
    pub to: TxnId,
    /// Why.
    pub dependency: Dependency,
    /// On which key.
    pub key: Key,
}

/// The anomalies the checker names (Adya 1999 §4; Berenson et al. 1995 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anomaly {
    /// G0 cycle (P0 dirty write).
    WriteCycle,
    /// G1c cycle.
    CircularInformationFlow,
    /// P4: a G2 cycle whose rw and ww edges are all on one key.
    LostUpdate,
    /// A5B: two transactions, each anti-depending on the other through a different key.
    WriteSkew,
    /// A5A / G-single: a cycle with exactly one rw edge.
    ReadSkew,
    /// Any other G2 cycle.
    AntiDependencyCycle,
}

impl Anomaly {
    /// The name a report prints, e.g. `write skew (G2)`.
    pub fn name(self) -> &'static str {
        match self {
            Anomaly::WriteCycle => "write cycle (G0)",
            Anomaly::CircularInformationFlow => "circular information flow (G1c)",
            Anomaly::LostUpdate => "lost update (G2)",
            Anomaly::WriteSkew => "write skew (G2)",
            Anomaly::ReadSkew => "read skew (G-single)",
            Anomaly::AntiDependencyCycle => "anti-dependency cycle (G2)",
        }
    }
}

/// A cycle the checker found and the anomaly it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    /// What it is.
    pub anomaly: Anomaly,
    /// Its edges in order; the last edge's target is the first edge's source.
    pub edges: Vec<Edge>,
}

impl std::fmt::Display for Cycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: ", self.anomaly.name())?;
        for e in &self.edges {
            write!(f, "T{} -{:?}(k{})-> ", e.from, e.dependency, e.key)?;
        }
        write!(f, "T{}", self.edges.first().map_or(0, |e| e.from))
    }
}

/// The direct serialization graph's edges of `history` (no self-loops; [`INITIAL`] included
/// as a source).
pub fn dsg(history: &TxnHistory) -> Vec<Edge> {
    let mut edges = Vec::new();
    // Per key: INITIAL then the installed versions; the position of each writer.
    let order: BTreeMap<Key, Vec<TxnId>> = history
        .version_order
        .iter()
        .map(|(k, writers)| (*k, std::iter::once(INITIAL).chain(writers.iter().copied()).collect()))
        .collect();
    for (&key, writers) in &order {
        for pair in writers.windows(2) {
            edges.push(Edge { from: pair[0], to: pair[1], dependency: Dependency::Ww, key });
        }
    }
    for txn in &history.committed {
        for (&key, &writer) in &txn.reads {
            edges.push(Edge { from: writer, to: txn.id, dependency: Dependency::Wr, key });
            let next = order.get(&key).and_then(|w| {
                let at = w.iter().position(|&t| t == writer)?;
                w.get(at + 1).copied()
            });
            if let Some(next) = next {
                edges.push(Edge { from: txn.id, to: next, dependency: Dependency::Rw, key });
            }
        }
    }
    edges.retain(|e| e.from != e.to);
    edges
}

/// The shortest cycle through `edges` restricted to the kinds in `allowed` that uses at least
/// one edge of kind `must` (any edge when `None`), by a BFS from each such edge's target back
/// to its source.
fn shortest_cycle(
    edges: &[Edge],
    allowed: &[Dependency],
    must: Option<Dependency>,
) -> Option<Vec<Edge>> {
    let usable: Vec<&Edge> = edges.iter().filter(|e| allowed.contains(&e.dependency)).collect();
    let mut out: BTreeMap<TxnId, Vec<&Edge>> = BTreeMap::new();
    for e in &usable {
        out.entry(e.from).or_default().push(e);
    }
    let mut best: Option<Vec<Edge>> = None;
    for first in usable.iter().filter(|e| must.is_none_or(|m| e.dependency == m)) {
        // BFS from first.to to first.from.
        let mut parent: BTreeMap<TxnId, &Edge> = BTreeMap::new();
        let mut queue = VecDeque::from([first.to]);
        let mut seen = BTreeSet::from([first.to]);
        while let Some(node) = queue.pop_front() {
            if node == first.from {
                break;
            }
            for e in out.get(&node).into_iter().flatten() {
                if seen.insert(e.to) {
                    parent.insert(e.to, *e);
                    queue.push_back(e.to);
                }
            }
        }
        if first.to != first.from && !parent.contains_key(&first.from) {
            continue;
        }
        let mut path = vec![**first];
        let mut node = first.from;
        let mut back = Vec::new();
        while node != first.to {
            let e = parent[&node];
            back.push(*e);
            node = e.from;
        }
        path.extend(back.into_iter().rev());
        if best.as_ref().is_none_or(|b| path.len() < b.len()) {
            best = Some(path);
        }
    }
    best
}

/// Name a G2 cycle (see the module doc).
fn name_g2(edges: &[Edge]) -> Anomaly {
    let rw = edges.iter().filter(|e| e.dependency == Dependency::Rw).count();
    let keys: BTreeSet<Key> = edges.iter().map(|e| e.key).collect();
    if keys.len() == 1 && edges.iter().any(|e| e.dependency == Dependency::Ww) {
        Anomaly::LostUpdate
    } else if edges.len() == 2 && rw == 2 && keys.len() == 2 {
        Anomaly::WriteSkew
    } else if rw == 1 {
        Anomaly::ReadSkew
    } else {
        Anomaly::AntiDependencyCycle
    }
}

/// The first phenomenon of `history` in the order G0, G1c, G2, with its shortest cycle; `None`
/// when the DSG is acyclic (the history is conflict serializable, Adya 1999 §4.4 PL-3).
pub fn find_cycle(history: &TxnHistory) -> Option<Cycle> {
    use Dependency::{Rw, Wr, Ww};
    let edges = dsg(history);
    if let Some(edges) = shortest_cycle(&edges, &[Ww], None) {
        return Some(Cycle { anomaly: Anomaly::WriteCycle, edges });
    }
    if let Some(edges) = shortest_cycle(&edges, &[Ww, Wr], None) {
        return Some(Cycle { anomaly: Anomaly::CircularInformationFlow, edges });
    }
    let edges = shortest_cycle(&edges, &[Ww, Wr, Rw], Some(Rw))?;
    Some(Cycle { anomaly: name_g2(&edges), edges })
}

/// The lost-update check alone (Berenson et al. 1995 P4, forbidden by snapshot isolation): a
/// G2 cycle whose edges are all on one key.
pub fn find_lost_update(history: &TxnHistory) -> Option<Cycle> {
    use Dependency::{Rw, Wr, Ww};
    let edges = dsg(history);
    let keys: BTreeSet<Key> = edges.iter().map(|e| e.key).collect();
    keys.into_iter().find_map(|key| {
        let on_key: Vec<Edge> = edges.iter().filter(|e| e.key == key).copied().collect();
        let cycle = shortest_cycle(&on_key, &[Ww, Wr, Rw], Some(Rw))?;
        Some(Cycle { anomaly: Anomaly::LostUpdate, edges: cycle })
    })
}

/// Verdicts: `serializability` (no G0, G1c or G2 cycle; names the anomaly), `no lost update`
/// (no single-key G2 cycle), `no dirty write` (no G0 cycle). All safety.
pub fn check(history: &TxnHistory) -> Vec<Verdict> {
    let g0 = shortest_cycle(&dsg(history), &[Dependency::Ww], None)
        .map(|edges| Cycle { anomaly: Anomaly::WriteCycle, edges }.to_string());
    vec![
        Verdict::safety("serializability", find_cycle(history).map(|c| c.to_string())),
        Verdict::safety("no lost update", find_lost_update(history).map(|c| c.to_string())),
        Verdict::safety("no dirty write", g0),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn txn(id: TxnId, reads: &[(Key, TxnId)], writes: &[Key]) -> CommittedTxn {
        CommittedTxn {
            id,
            reads: reads.iter().copied().collect(),
            writes: writes.iter().copied().collect(),
        }
    }

    fn history(committed: Vec<CommittedTxn>, order: &[(Key, &[TxnId])]) -> TxnHistory {
        TxnHistory {
            committed,
            version_order: order.iter().map(|(k, w)| (*k, w.to_vec())).collect(),
        }
    }

    #[test]
    fn a_serial_history_has_an_acyclic_graph() {
        // T1 reads x0, writes x1; T2 reads x1, writes x2.
        let h =
            history(vec![txn(1, &[(0, INITIAL)], &[0]), txn(2, &[(0, 1)], &[0])], &[(0, &[1, 2])]);
        assert_eq!(find_cycle(&h), None);
        assert!(check(&h).iter().all(Verdict::holds));
    }

    #[test]
    fn two_increments_from_the_same_snapshot_are_a_lost_update() {
        // T1 and T2 both read x0 and both write x: x1 (T1) then x2 (T2).
        let h = history(
            vec![txn(1, &[(0, INITIAL)], &[0]), txn(2, &[(0, INITIAL)], &[0])],
            &[(0, &[1, 2])],
        );
        let cycle = find_cycle(&h).unwrap();
        assert_eq!(cycle.anomaly, Anomaly::LostUpdate, "{cycle}");
        assert_eq!(cycle.edges.len(), 2);
        assert!(find_lost_update(&h).is_some());
    }

    #[test]
    fn disjoint_writes_after_reading_both_keys_are_write_skew() {
        // T1 reads x, y and writes x; T2 reads x, y and writes y (Berenson et al. A5B).
        let h = history(
            vec![
                txn(1, &[(0, INITIAL), (1, INITIAL)], &[0]),
                txn(2, &[(0, INITIAL), (1, INITIAL)], &[1]),
            ],
            &[(0, &[1]), (1, &[2])],
        );
        let cycle = find_cycle(&h).unwrap();
        assert_eq!(cycle.anomaly, Anomaly::WriteSkew, "{cycle}");
        assert_eq!(find_lost_update(&h), None);
        let verdicts = check(&h);
        assert!(verdicts[0].violation.as_ref().unwrap().starts_with("write skew"));
        assert!(verdicts[1].holds() && verdicts[2].holds());
    }

    #[test]
    fn write_orders_that_disagree_across_keys_are_a_g0_write_cycle() {
        // x: T1 then T2; y: T2 then T1.
        let h = history(
            vec![txn(1, &[], &[0, 1]), txn(2, &[], &[0, 1])],
            &[(0, &[1, 2]), (1, &[2, 1])],
        );
        assert_eq!(find_cycle(&h).unwrap().anomaly, Anomaly::WriteCycle);
        assert!(!check(&h)[2].holds());
    }

    #[test]
    fn reading_each_others_writes_is_circular_information_flow() {
        // T1 reads y from T2 and writes x; T2 reads x from T1 and writes y.
        let h = history(
            vec![txn(1, &[(1, 2)], &[0]), txn(2, &[(0, 1)], &[1])],
            &[(0, &[1]), (1, &[2])],
        );
        assert_eq!(find_cycle(&h).unwrap().anomaly, Anomaly::CircularInformationFlow);
    }

    #[test]
    fn reading_one_key_before_and_another_after_a_writer_is_read_skew() {
        // T2 writes x and y; T1 reads x0 (before T2) and y2 (after T2).
        let h = history(
            vec![txn(1, &[(0, INITIAL), (1, 2)], &[]), txn(2, &[], &[0, 1])],
            &[(0, &[2]), (1, &[2])],
        );
        assert_eq!(find_cycle(&h).unwrap().anomaly, Anomaly::ReadSkew);
    }
}
