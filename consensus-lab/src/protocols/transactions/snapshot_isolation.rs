//! Snapshot isolation on a multi-version store, and the anomalies the serializability checker
//! finds on it.
//!
//! Berenson, Bernstein, Gray, Melton, O'Neil, O'Neil, "A Critique of ANSI SQL Isolation
//! Levels", SIGMOD 1995, §4.2: a transaction reads from the snapshot of committed data as of its
//! start timestamp and buffers its writes; at commit it gets a commit timestamp and commits only
//! if no other transaction with a commit timestamp in its `[start, commit]` interval wrote data
//! it also wrote (**first-committer-wins**), so lost updates (P4) cannot happen — but write skew
//! (A5B) can: two transactions read an overlapping snapshot and write disjoint keys.
//!
//! ```text
//! begin T:   start(T) := clock
//! read x:    own buffered write of x if any, else the newest version of x with ts ≤ start(T)
//! write x:   buffer x := v
//! commit T:  if some key T wrote has a version with ts > start(T) then abort   (FCW)
//!            else clock += 1; install T's writes with ts = clock
//! ```
//!
//! The clients (n of them, interleaved one operation at a time by a seeded scheduler) run three
//! programs on keys `x = 0`, `y = 1` (two doctors on call, both initially 1) and `c = 2` (a
//! counter, initially 0):
//! - **leave(x|y)**: read x, read y; if x + y ≥ 2 set own key := 0 (the on-call rule "at least
//!   one doctor stays", x + y ≥ 1 — write skew breaks it);
//! - **join(x|y)**: read own key, set it := 1;
//! - **increment**: read c, set c := c + 1 (lost update loses one).
//!
//! Checked ([`crate::check::serializability`]): serializability (Adya's DSG, naming the
//! anomaly), no lost update, no dirty write, plus two application invariants: **on-call**
//! (x + y ≥ 1 in the final state) and **counter** (c = committed increments).
//!
//! Variants: [`Rule::FirstCommitterWins`] (SI, `si`: the checker finds write skew on some seeds),
//! [`Rule::NoFirstCommitterWins`] (`si-broken-no-fcw`: lost update), and
//! [`Rule::ReadSetValidation`] (`si-serializable`: commit also fails if a key it *read* was
//! overwritten since its start — backward validation, Kung & Robinson, TODS 6(2) 1981 §3 —
//! which makes every history serializable in commit order).

use std::collections::{BTreeMap, BTreeSet};

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::check::serializability::{self, CommittedTxn, Key, TxnHistory, TxnId, INITIAL};
use crate::check::Verdict;
use crate::harness::{Outcome, ProtocolEntry, RunConfig, RunReport};
use crate::protocol::Time;
use crate::sim::{Metrics, Streams};

/// Key of doctor x.
pub const X: Key = 0;
/// Key of doctor y.
pub const Y: Key = 1;
/// Key of the counter.
pub const COUNTER: Key = 2;
/// Transactions each client runs when `--requests` is not given.
pub const TXNS_PER_CLIENT: usize = 6;
/// Simulated time of one scheduler step (one operation of one client), µs.
pub const STEP: Time = 100;

/// The commit rule of the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Snapshot isolation: abort if a key it wrote was committed by another since its start.
    FirstCommitterWins,
    /// BROKEN: commit always (the last writer silently overwrites).
    NoFirstCommitterWins,
    /// Abort if any key it read or wrote was committed by another since its start.
    ReadSetValidation,
}

/// One committed version of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Version {
    ts: u64,
    writer: TxnId,
    value: i64,
}

/// The multi-version store: every key's committed versions, oldest first, and the commit clock.
#[derive(Debug, Clone)]
pub struct MvStore {
    versions: BTreeMap<Key, Vec<Version>>,
    clock: u64,
    rule: Rule,
    /// Writers of each key's versions in install order (the checker's version order).
    order: BTreeMap<Key, Vec<TxnId>>,
}

/// An open transaction's snapshot, reads and buffered writes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Txn {
    /// Its id (≥ 1).
    pub id: TxnId,
    /// Start timestamp: it sees versions with ts ≤ start.
    pub start: u64,
    /// Keys read from the store and the writer of the version seen.
    pub reads: BTreeMap<Key, TxnId>,
    /// Buffered writes.
    pub writes: BTreeMap<Key, i64>,
}

/// Why a commit failed: the first key another transaction committed since this one started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("T{txn} aborted: key {key} was committed by T{by} after its snapshot")]
pub struct Conflict {
    /// The aborted transaction.
    pub txn: TxnId,
    /// The conflicting key.
    pub key: Key,
    /// The transaction that committed it first.
    pub by: TxnId,
}

impl MvStore {
    /// A store holding `initial` (key, value) pairs, each as a version by [`INITIAL`] at ts 0.
    pub fn new(rule: Rule, initial: &[(Key, i64)]) -> Self {
        let versions = initial
            .iter()
            .map(|&(k, value)| (k, vec![Version { ts: 0, writer: INITIAL, value }]))
            .collect();
        MvStore { versions, clock: 0, rule, order: BTreeMap::new() }
    }

    /// Begin transaction `id` on the current snapshot.
    pub fn begin(&self, id: TxnId) -> Txn {
        Txn { id, start: self.clock, ..Txn::default() }
    }

    /// Read `key` in `txn`: its own write, else the newest version with ts ≤ its start (0 for a
    /// key never written).
    pub fn read(&self, txn: &mut Txn, key: Key) -> i64 {
        if let Some(&v) = txn.writes.get(&key) {
            return v;
        }
        let seen = self
            .versions
            .get(&key)
            .and_then(|vs| vs.iter().rev().find(|v| v.ts <= txn.start))
            .copied()
            .unwrap_or(Version { ts: 0, writer: INITIAL, value: 0 });
        txn.reads.insert(key, seen.writer);
        seen.value
    }

    /// Commit `txn` under the store's [`Rule`]; returns its commit timestamp.
    ///
    /// # Errors
    /// [`Conflict`] when the rule aborts it.
    pub fn commit(&mut self, txn: Txn) -> Result<u64, Conflict> {
        let checked: BTreeSet<Key> = match self.rule {
            Rule::FirstCommitterWins => txn.writes.keys().copied().collect(),
            Rule::NoFirstCommitterWins => BTreeSet::new(),
            Rule::ReadSetValidation => txn.writes.keys().chain(txn.reads.keys()).copied().collect(),
        };
        for key in checked {
            if let Some(v) = self.versions.get(&key).and_then(|vs| vs.last()) {
                if v.ts > txn.start {
                    return Err(Conflict { txn: txn.id, key, by: v.writer });
                }
            }
        }
        self.clock += 1;
        for (&key, &value) in &txn.writes {
            self.versions.entry(key).or_default().push(Version {
                ts: self.clock,
                writer: txn.id,
                value,
            });
            self.order.entry(key).or_default().push(txn.id);
        }
        Ok(self.clock)
    }

    /// The newest committed value of `key` (0 if never written).
    pub fn latest(&self, key: Key) -> i64 {
        self.versions.get(&key).and_then(|vs| vs.last()).map_or(0, |v| v.value)
    }

    /// Each key's writers in install order, not counting [`INITIAL`].
    pub fn version_order(&self) -> &BTreeMap<Key, Vec<TxnId>> {
        &self.order
    }
}

/// The programs a client runs (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Program {
    /// Read x and y; if both are on call, take `0` (key X or Y) off.
    Leave(Key),
    /// Read the key and put it back on call.
    Join(Key),
    /// Read the counter and write it plus one.
    Increment,
}

impl Program {
    /// Operation `pc` of the program on `txn` (one per scheduler step); `true` when it has
    /// done everything and wants to commit.
    fn step(self, store: &MvStore, txn: &mut Txn, pc: usize) -> bool {
        match (self, pc) {
            (Program::Leave(_), 0) => {
                store.read(txn, X);
            }
            (Program::Leave(_), 1) => {
                store.read(txn, Y);
            }
            (Program::Join(k), 0) => {
                store.read(txn, k);
            }
            (Program::Leave(k), 2) => {
                let on_call = store.read(txn, X) + store.read(txn, Y);
                if on_call >= 2 {
                    txn.writes.insert(k, 0);
                }
            }
            (Program::Join(k), 1) => {
                txn.writes.insert(k, 1);
            }
            (Program::Increment, 0) => {
                store.read(txn, COUNTER);
            }
            (Program::Increment, 1) => {
                let c = store.read(txn, COUNTER);
                txn.writes.insert(COUNTER, c + 1);
            }
            _ => return true,
        }
        false
    }

    fn draw(rng: &mut ChaCha8Rng) -> Program {
        let side = if rng.random_bool(0.5) { X } else { Y };
        match rng.random_range(0..20) {
            0..9 => Program::Leave(side),
            9..14 => Program::Join(side),
            _ => Program::Increment,
        }
    }
}

/// What one client is doing.
struct Client {
    left: usize,
    open: Option<(Program, Txn, usize, Time)>,
}

/// Run `n` clients of `txns` transactions each against a store with `rule`, interleaved by
/// the seed's workload stream, and check the history.
pub fn run_store(rule: Rule, config: &RunConfig) -> RunReport {
    let mut rng = Streams::new(config.seed).workload;
    let txns = config.workload.requests.unwrap_or(TXNS_PER_CLIENT);
    let mut store = MvStore::new(rule, &[(X, 1), (Y, 1), (COUNTER, 0)]);
    let mut clients: Vec<Client> =
        (0..config.n).map(|_| Client { left: txns, open: None }).collect();
    let (mut next_id, mut now) = (1, 0);
    let (mut committed, mut pairs, mut outcomes) = (Vec::new(), Vec::new(), Vec::new());
    let (mut increments, mut aborts) = (0, 0u64);
    loop {
        let busy: Vec<usize> = (0..clients.len())
            .filter(|&c| clients[c].left > 0 || clients[c].open.is_some())
            .collect();
        if busy.is_empty() {
            break;
        }
        now += STEP;
        let index = busy[rng.random_range(0..busy.len())];
        let client = &mut clients[index];
        let Some((program, mut txn, pc, began)) = client.open.take() else {
            client.left -= 1;
            client.open = Some((Program::draw(&mut rng), store.begin(next_id), 0, now));
            next_id += 1;
            continue;
        };
        if !program.step(&store, &mut txn, pc) {
            client.open = Some((program, txn, pc + 1, began));
            continue;
        }
        let record = CommittedTxn {
            id: txn.id,
            reads: txn.reads.clone(),
            writes: txn.writes.keys().copied().collect(),
        };
        match store.commit(txn) {
            Ok(ts) => {
                increments += u64::from(program == Program::Increment);
                let event = format!("T{} {program:?} committed at ts {ts}", record.id);
                outcomes.push(Outcome::output(now, index, event));
                committed.push(record);
                pairs.push((began, now));
            }
            Err(conflict) => {
                aborts += 1;
                outcomes.push(Outcome::output(now, index, conflict.to_string()));
            }
        }
    }
    let history = TxnHistory { committed, version_order: store.version_order().clone() };
    let mut verdicts = serializability::check(&history);
    let (x, y, c) = (store.latest(X), store.latest(Y), store.latest(COUNTER));
    verdicts.push(Verdict::safety(
        "on-call invariant",
        (x + y < 1).then(|| format!("final x + y = {x} + {y} < 1: nobody on call")),
    ));
    verdicts.push(Verdict::safety(
        "counter invariant",
        (c != increments as i64)
            .then(|| format!("counter = {c}, committed increments = {increments}")),
    ));
    outcomes.push(Outcome::Summary(format!(
        "{} committed, {aborts} aborted; final x = {x}, y = {y}, counter = {c}",
        pairs.len()
    )));
    RunReport::from_pairs(
        config.seed,
        outcomes,
        &pairs,
        Metrics::default(),
        now,
        verdicts,
        Vec::new(),
    )
}

const SI_FAULTS: &str = "no process faults: n clients on one store, one operation at a time in a \
                         seeded interleaving (--requests = transactions per client, default 6)";

macro_rules! si_experiment {
    ($entry:ident, $name:literal, $desc:literal, $source:literal, $rule:expr) => {
        #[doc = concat!("`", $name, "`: ", $desc, ".")]
        pub static $entry: ProtocolEntry = ProtocolEntry {
            name: $name,
            description: $desc,
            source: $source,
            fault_model: SI_FAULTS,
            default_n: 4,
            byzantine: false,
            run: |config| run_store($rule, config),
            comparison: None,
        };
    };
}

si_experiment!(
    SNAPSHOT_ISOLATION,
    "si",
    "snapshot isolation, multi-version store with first-committer-wins; NOT serializable: the \
     checker finds write skew (A5B) on some seeds",
    "Berenson et al. SIGMOD 1995 §4.2",
    Rule::FirstCommitterWins
);
si_experiment!(
    BROKEN_SI_NO_FIRST_COMMITTER_WINS,
    "si-broken-no-fcw",
    "BROKEN on purpose: snapshot reads without first-committer-wins: lost update (P4)",
    "",
    Rule::NoFirstCommitterWins
);
si_experiment!(
    SERIALIZABLE_SNAPSHOT,
    "si-serializable",
    "snapshot reads with read-set validation at commit: serializable (Adya 1999 PL-3)",
    "Kung & Robinson TODS 1981 §3",
    Rule::ReadSetValidation
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::find;
    use crate::harness::WorkloadConfig;
    use crate::protocols::test_support::{assert_clean_sweep, assert_sweep_catches, SEEDS};
    use crate::sweep::sweep;

    #[test]
    fn first_committer_wins_aborts_the_second_writer_of_a_key() {
        let mut store = MvStore::new(Rule::FirstCommitterWins, &[(COUNTER, 0)]);
        let (mut t1, mut t2) = (store.begin(1), store.begin(2));
        for t in [&mut t1, &mut t2] {
            let c = store.read(t, COUNTER);
            t.writes.insert(COUNTER, c + 1);
        }
        assert_eq!(store.commit(t1), Ok(1));
        assert_eq!(store.commit(t2), Err(Conflict { txn: 2, key: COUNTER, by: 1 }));
        assert_eq!(store.latest(COUNTER), 1);
    }

    #[test]
    fn a_snapshot_does_not_see_later_commits_but_sees_its_own_writes() {
        let mut store = MvStore::new(Rule::FirstCommitterWins, &[(X, 1)]);
        let mut reader = store.begin(1);
        let mut writer = store.begin(2);
        writer.writes.insert(X, 5);
        store.commit(writer).unwrap();
        assert_eq!(store.read(&mut reader, X), 1);
        reader.writes.insert(X, 9);
        assert_eq!(store.read(&mut reader, X), 9);
        assert_eq!(store.read(&mut store.begin(3), X), 5);
    }

    #[test]
    fn snapshot_isolation_shows_write_skew_on_a_replayable_seed_and_never_a_lost_update() {
        let base = RunConfig::new(4, 0);
        let seed = assert_sweep_catches(&SNAPSHOT_ISOLATION, &base, "serializability");
        let replay = SNAPSHOT_ISOLATION.run(&RunConfig { seed, ..base.clone() });
        let found = find(&replay.verdicts, "serializability").violation.clone().unwrap();
        assert!(found.starts_with("write skew"), "seed {seed}: {found}");
        let summary = sweep(&SNAPSHOT_ISOLATION, &base, 0..SEEDS, || {});
        for property in ["no lost update", "no dirty write", "counter invariant"] {
            assert!(!summary.violations.contains_key(property), "{property}: {summary:?}");
        }
        assert!(summary.violations.contains_key("on-call invariant"), "{summary:?}");
    }

    #[test]
    fn without_first_committer_wins_the_checker_finds_a_lost_update() {
        let base = RunConfig::new(4, 0);
        let seed =
            assert_sweep_catches(&BROKEN_SI_NO_FIRST_COMMITTER_WINS, &base, "no lost update");
        let replay = BROKEN_SI_NO_FIRST_COMMITTER_WINS.run(&RunConfig { seed, ..base.clone() });
        assert!(!find(&replay.verdicts, "counter invariant").holds(), "seed {seed}");
    }

    #[test]
    fn read_set_validation_is_serializable_on_every_seed() {
        assert_clean_sweep(&SERIALIZABLE_SNAPSHOT, &RunConfig::new(4, 0));
        assert_clean_sweep(
            &SERIALIZABLE_SNAPSHOT,
            &RunConfig {
                workload: WorkloadConfig { requests: Some(20), request_gap: None },
                ..RunConfig::new(8, 0)
            },
        );
    }
}
