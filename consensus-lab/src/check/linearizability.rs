//! Linearizability checking of a recorded history (Herlihy & Wing 1990).
//!
//! The search is Wing & Gong's ("Testing and Verifying Concurrent Objects", JPDC 1993): take the
//! history as a list of call/return entries in time order; repeatedly try to *linearize* a call
//! that is minimal (no return precedes it in the remaining list) by applying it to the model;
//! backtrack when a return is reached whose call has not been linearized. With Lowe's
//! memoization ("Testing for linearizability", CCPE 2017, §4) a configuration — the set of
//! linearized operations plus the model state — is explored at most once. Histories are split
//! per key first (P-compositionality, Horn & Kroening 2015; linearizability is local, Herlihy &
//! Wing §3.3), which is what makes multi-key histories tractable. This is also the structure of
//! Porcupine (Athalye 2017), whose Jepsen etcd histories the CLI checks.
//!
//! An operation that never returned (Jepsen `:info`) returns "at infinity": it may be linearized
//! anywhere after its call, including after everything else (i.e. it may never take effect).

use std::collections::{BTreeMap, HashSet};
use std::fmt::Debug;
use std::hash::Hash;

/// A sequential specification: the object's state machine.
pub trait Model {
    /// The object's state (hashed for memoization).
    type State: Clone + Eq + Hash + Debug;
    /// An operation's input (e.g. `Write(3)`).
    type Input: Clone + Debug;
    /// An operation's observed output (e.g. `ReadOk(Some(3))`).
    type Output: Clone + Debug;
    /// The initial state.
    fn init(&self) -> Self::State;
    /// Applying `input` in `state` can produce `output`: the next state, or `None` if not.
    fn step(
        &self,
        state: &Self::State,
        input: &Self::Input,
        output: &Self::Output,
    ) -> Option<Self::State>;
    /// The partition (key) an operation belongs to; operations on different keys are checked
    /// independently. Default: one partition.
    fn key(&self, _input: &Self::Input) -> u64 {
        0
    }
    /// A short human label for one operation, e.g. `write(4)` or `read → 4`; used by the HTML
    /// visualisation ([`super::lincheck_html`]). Default: the `Debug` forms.
    fn describe(&self, input: &Self::Input, output: &Self::Output) -> String {
        format!("{input:?} → {output:?}")
    }
    /// A short human label for a state. Default: its `Debug` form.
    fn describe_state(&self, state: &Self::State) -> String {
        format!("{state:?}")
    }
}

/// One operation of a history. Times are any monotone clock (µs, or line numbers).
#[derive(Debug, Clone, PartialEq)]
pub struct Operation<I, O> {
    /// The client (process) that issued it.
    pub client: u64,
    /// What was asked.
    pub input: I,
    /// What came back (for a pending operation, whatever the model treats as "unknown").
    pub output: O,
    /// Invocation time.
    pub call: u64,
    /// Return time; `None` if it never returned.
    pub ret: Option<u64>,
}

/// An operation on model `M`.
pub type OperationOf<M> = Operation<<M as Model>::Input, <M as Model>::Output>;

/// The answer of the checker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Linearizability {
    /// A linearization exists for every key.
    Linearizable,
    /// Some key has no linearization.
    NotLinearizable {
        /// The first key found without one.
        key: u64,
    },
    /// The search budget ran out before an answer (never a guess).
    Unknown,
}

/// Check `history` against `model`, spending at most `budget` search steps per key.
///
/// Shape: operations in any order (the search sorts them by time); the answer names the first
/// key (in key order) that has no linearization. Never errs: an exhausted budget is
/// [`Linearizability::Unknown`], never a guess.
pub fn check<M: Model>(
    model: &M,
    history: &[Operation<M::Input, M::Output>],
    budget: u64,
) -> Linearizability {
    verdict(&search_all(model, history, budget, false))
}

/// The verdict of a whole history from the per-key results of [`analyze`]: not linearizable
/// if some key is (the first such key), else unknown if some key is undecided.
pub fn verdict<M: Model>(partitions: &[PartitionReport<M>]) -> Linearizability {
    if let Some(bad) = partitions.iter().find(|p| p.outcome == PartitionOutcome::NotLinearizable) {
        return Linearizability::NotLinearizable { key: bad.key };
    }
    if partitions.iter().any(|p| p.outcome == PartitionOutcome::Unknown) {
        Linearizability::Unknown
    } else {
        Linearizability::Linearizable
    }
}

/// The answer for one key (partition) of a history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartitionOutcome {
    /// A linearization of this key's operations exists.
    Linearizable,
    /// None exists.
    NotLinearizable,
    /// The search budget ran out first.
    Unknown,
}

/// What the search learned about one key: the answer, and Porcupine's "longest linearizable
/// prefix" (Athalye 2017, the visualisation's partial linearizations) — the deepest sequence of
/// operations the search managed to linearize — with the operation it got stuck on.
#[derive(Debug, Clone)]
pub struct PartitionReport<M: Model> {
    /// The key ([`Model::key`]).
    pub key: u64,
    /// Indices into the checked history of this key's operations, in history order.
    pub ops: Vec<usize>,
    /// The answer for this key.
    pub outcome: PartitionOutcome,
    /// The longest linearization found: history indices in linearization order, each with the
    /// model state right after it. For a linearizable key, a whole linearization.
    pub longest: Vec<(usize, M::State)>,
    /// For a key that is not linearizable (or undecided): the operation whose return the search
    /// reached, right after `longest`, without being able to linearize it or anything else
    /// that could still precede it — where the history stops being explainable.
    pub stuck: Option<usize>,
}

/// Check `history` key by key like [`check`], and also report for each key the longest
/// linearizable prefix and where it fails (for [`super::lincheck_html`]). Keys come in
/// ascending order. Costs up to O(n²) extra copying per key over [`check`].
pub fn analyze<M: Model>(
    model: &M,
    history: &[Operation<M::Input, M::Output>],
    budget: u64,
) -> Vec<PartitionReport<M>> {
    search_all(model, history, budget, true)
}

fn search_all<M: Model>(
    model: &M,
    history: &[Operation<M::Input, M::Output>],
    budget: u64,
    track: bool,
) -> Vec<PartitionReport<M>> {
    let mut keys: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (i, op) in history.iter().enumerate() {
        keys.entry(model.key(&op.input)).or_default().push(i);
    }
    let mut reports = Vec::with_capacity(keys.len());
    for (key, indices) in keys {
        let ops: Vec<&OperationOf<M>> = indices.iter().map(|&i| &history[i]).collect();
        let search = check_partition(model, &ops, budget, track);
        let outcome = match search.outcome {
            Some(true) => PartitionOutcome::Linearizable,
            Some(false) => PartitionOutcome::NotLinearizable,
            None => PartitionOutcome::Unknown,
        };
        let longest = search.longest.into_iter().map(|(op, s)| (indices[op], s)).collect();
        let stuck = search.stuck.map(|op| indices[op]);
        let failed = outcome == PartitionOutcome::NotLinearizable;
        reports.push(PartitionReport { key, ops: indices, outcome, longest, stuck });
        if failed && !track {
            break; // `check` only needs the first bad key
        }
    }
    reports
}

/// One call or return in the time-ordered list.
#[derive(Debug, Clone, Copy)]
struct Entry {
    op: usize,
    is_call: bool,
    /// For a call: index of its return entry.
    partner: usize,
}

/// The doubly linked list of entries with O(1) lift/unlift (Knuth's dancing links).
struct Entries {
    entries: Vec<Entry>,
    next: Vec<usize>,
    prev: Vec<usize>,
}

const HEAD: usize = 0;

impl Entries {
    fn new<I, O>(ops: &[&Operation<I, O>]) -> Self {
        // (time, calls before returns at equal times, op) — index 0 is the head sentinel.
        let mut order: Vec<(u64, u8, usize)> = Vec::with_capacity(2 * ops.len());
        for (i, op) in ops.iter().enumerate() {
            order.push((op.call, 0, i));
            order.push((op.ret.unwrap_or(u64::MAX), 1, i));
        }
        order.sort_unstable();
        let mut entries = vec![Entry { op: usize::MAX, is_call: false, partner: 0 }];
        let mut call_at = vec![0; ops.len()];
        for &(_, kind, op) in &order {
            let index = entries.len();
            if kind == 0 {
                call_at[op] = index;
                entries.push(Entry { op, is_call: true, partner: 0 });
            } else {
                entries[call_at[op]].partner = index;
                entries.push(Entry { op, is_call: false, partner: call_at[op] });
            }
        }
        let len = entries.len();
        // `len` doubles as the nil pointer.
        let next = (0..len).map(|i| i + 1).collect();
        let prev = (0..len).map(|i| i.wrapping_sub(1)).collect();
        Entries { entries, next, prev }
    }

    fn nil(&self) -> usize {
        self.entries.len()
    }

    fn unlink(&mut self, i: usize) {
        let (p, n) = (self.prev[i], self.next[i]);
        self.next[p] = n;
        if n != self.nil() {
            self.prev[n] = p;
        }
    }

    fn relink(&mut self, i: usize) {
        let (p, n) = (self.prev[i], self.next[i]);
        self.next[p] = i;
        if n != self.nil() {
            self.prev[n] = i;
        }
    }

    /// Remove a call and its return from the list.
    fn lift(&mut self, call: usize) {
        self.unlink(call);
        self.unlink(self.entries[call].partner);
    }

    /// Undo [`Self::lift`] (must be the most recent lift not yet undone).
    fn unlift(&mut self, call: usize) {
        self.relink(self.entries[call].partner);
        self.relink(call);
    }
}

/// The result of searching one partition.
struct Search<S> {
    /// `Some(true)` linearizable, `Some(false)` not, `None` budget exhausted.
    outcome: Option<bool>,
    /// Partition-local op indices in linearization order with the state after each (only when
    /// tracking).
    longest: Vec<(usize, S)>,
    /// The op whose return ended the longest prefix (only when tracking).
    stuck: Option<usize>,
}

fn check_partition<M: Model>(
    model: &M,
    ops: &[&Operation<M::Input, M::Output>],
    budget: u64,
    track: bool,
) -> Search<M::State> {
    let mut list = Entries::new(ops);
    let words = ops.len().div_ceil(64);
    let mut linearized = vec![0u64; words];
    let mut cache: HashSet<(Vec<u64>, M::State)> = HashSet::new();
    let mut stack: Vec<(usize, M::State)> = Vec::new();
    let mut state = model.init();
    let mut entry = list.next[HEAD];
    let mut steps = 0u64;
    // Tracking: the deepest stack seen, and whether the stack still equals it (no pop since).
    let (mut longest, mut stuck, mut at_longest) = (Vec::new(), None, track);
    let result = |outcome, longest, stuck| Search { outcome, longest, stuck };
    while list.next[HEAD] != list.nil() {
        steps += 1;
        if steps > budget {
            return result(None, longest, stuck);
        }
        let Entry { op, is_call, .. } = list.entries[entry];
        if is_call {
            let operation = ops[op];
            if let Some(next_state) = model.step(&state, &operation.input, &operation.output) {
                linearized[op / 64] |= 1 << (op % 64);
                if cache.insert((linearized.clone(), next_state.clone())) {
                    stack.push((entry, std::mem::replace(&mut state, next_state)));
                    list.lift(entry);
                    if track && stack.len() > longest.len() {
                        longest = linearization(&list, &stack, &state);
                        (stuck, at_longest) = (None, true);
                    }
                    entry = list.next[HEAD];
                    continue;
                }
                linearized[op / 64] &= !(1 << (op % 64)); // seen before: undo
            }
            entry = list.next[entry];
        } else {
            // A return whose call is not linearized: backtrack.
            if at_longest {
                (stuck, at_longest) = (Some(op), false);
            }
            let Some((call, previous)) = stack.pop() else {
                return result(Some(false), longest, stuck);
            };
            let op = list.entries[call].op;
            linearized[op / 64] &= !(1 << (op % 64));
            state = previous;
            list.unlift(call);
            entry = list.next[call];
        }
    }
    if track {
        longest = linearization(&list, &stack, &state);
    }
    result(Some(true), longest, None)
}

/// The stack as (op, state after op) pairs: each entry holds the state *before* its op.
fn linearization<S: Clone>(list: &Entries, stack: &[(usize, S)], state: &S) -> Vec<(usize, S)> {
    let after = stack.iter().skip(1).map(|(_, before)| before).chain(std::iter::once(state));
    stack.iter().zip(after).map(|((call, _), s)| (list.entries[*call].op, s.clone())).collect()
}

/// A read/write/compare-and-set register per key, starting absent (`None`): the model of the
/// Jepsen etcd histories and of the lab's (N,N) atomic registers.
#[derive(Debug, Clone, Copy, Default)]
pub struct RegisterModel;

/// An operation on register `key`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegisterInput {
    /// Which register.
    pub key: u64,
    /// What to do.
    pub op: RegisterOp,
}

/// Register operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisterOp {
    /// Read the value.
    Read,
    /// Write a value.
    Write(i64),
    /// Compare-and-set: if the value is `from`, make it `to`.
    Cas {
        /// Expected value.
        from: i64,
        /// New value.
        to: i64,
    },
}

/// What a register operation returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisterOutput {
    /// The value read (`None` = absent).
    Read(Option<i64>),
    /// The write completed.
    Written,
    /// The compare-and-set swapped (`true`) or found another value (`false`).
    Cas(bool),
    /// Never returned (Jepsen `:info`): any outcome is possible.
    Unknown,
}

impl Model for RegisterModel {
    type State = Option<i64>;
    type Input = RegisterInput;
    type Output = RegisterOutput;

    fn init(&self) -> Option<i64> {
        None
    }

    fn step(
        &self,
        state: &Option<i64>,
        input: &RegisterInput,
        output: &RegisterOutput,
    ) -> Option<Option<i64>> {
        use RegisterOutput as Out;
        match (input.op, output) {
            (RegisterOp::Read, Out::Read(v)) => (v == state).then_some(*state),
            (RegisterOp::Read, Out::Unknown) => Some(*state),
            (RegisterOp::Write(v), Out::Written | Out::Unknown) => Some(Some(v)),
            (RegisterOp::Cas { from, to }, Out::Cas(true)) => {
                (*state == Some(from)).then_some(Some(to))
            }
            (RegisterOp::Cas { from, .. }, Out::Cas(false)) => {
                (*state != Some(from)).then_some(*state)
            }
            (RegisterOp::Cas { from, to }, Out::Unknown) => {
                Some(if *state == Some(from) { Some(to) } else { *state })
            }
            _ => None,
        }
    }

    fn key(&self, input: &RegisterInput) -> u64 {
        input.key
    }

    fn describe(&self, input: &RegisterInput, output: &RegisterOutput) -> String {
        let value = |v: Option<i64>| v.map_or("nil".to_owned(), |v| v.to_string());
        match (input.op, output) {
            (RegisterOp::Read, RegisterOutput::Read(v)) => format!("read → {}", value(*v)),
            (RegisterOp::Read, _) => "read → ?".to_owned(),
            (RegisterOp::Write(v), _) => format!("write({v})"),
            (RegisterOp::Cas { from, to }, out) => {
                let result = match out {
                    RegisterOutput::Cas(true) => "ok",
                    RegisterOutput::Cas(false) => "failed",
                    _ => "?",
                };
                format!("cas({from}→{to}) {result}")
            }
        }
    }

    fn describe_state(&self, state: &Option<i64>) -> String {
        state.map_or("nil".to_owned(), |v| v.to_string())
    }
}

/// Porcupine's key-value model (Athalye 2017, `porcupine/kv_test.go`): per key a string that
/// starts empty; `get` returns it, `put` replaces it, `append` concatenates to it. Histories are
/// partitioned per key (each key is an independent object, Herlihy & Wing 1990 §3.3), so each
/// key's sub-history is checked on its own. A missing key reads as the empty string, as in
/// Porcupine (Jepsen's `nil` on a get is read as `""`).
#[derive(Debug, Clone, Copy, Default)]
pub struct KvModel;

/// An operation on key `key` of a [`KvModel`] store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvInput {
    /// Which key (an index; the readers keep the names).
    pub key: u64,
    /// What to do.
    pub op: KvRequest,
}

/// Key-value operations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KvRequest {
    /// Read the value.
    Get,
    /// Replace the value.
    Put(String),
    /// Append to the value.
    Append(String),
}

/// What a key-value operation returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KvOutput {
    /// A get returned this value.
    Value(String),
    /// A put or append completed.
    Done,
    /// Never returned (Jepsen `:info`): any outcome is possible.
    Unknown,
}

impl Model for KvModel {
    type State = String;
    type Input = KvInput;
    type Output = KvOutput;

    fn init(&self) -> String {
        String::new()
    }

    fn step(&self, state: &String, input: &KvInput, output: &KvOutput) -> Option<String> {
        match (&input.op, output) {
            (KvRequest::Get, KvOutput::Value(v)) => (v == state).then(|| state.clone()),
            (KvRequest::Get, KvOutput::Unknown) => Some(state.clone()),
            (KvRequest::Put(v), KvOutput::Done | KvOutput::Unknown) => Some(v.clone()),
            (KvRequest::Append(v), KvOutput::Done | KvOutput::Unknown) => {
                Some(format!("{state}{v}"))
            }
            _ => None,
        }
    }

    fn key(&self, input: &KvInput) -> u64 {
        input.key
    }

    fn describe(&self, input: &KvInput, output: &KvOutput) -> String {
        match (&input.op, output) {
            (KvRequest::Get, KvOutput::Value(v)) => format!("get → {v:?}"),
            (KvRequest::Get, _) => "get → ?".to_owned(),
            (KvRequest::Put(v), _) => format!("put({v:?})"),
            (KvRequest::Append(v), _) => format!("append({v:?})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RegisterOp::{Read, Write};
    use RegisterOutput as Out;

    fn op(
        client: u64,
        op: RegisterOp,
        output: Out,
        call: u64,
        ret: Option<u64>,
    ) -> Operation<RegisterInput, Out> {
        Operation { client, input: RegisterInput { key: 0, op }, output, call, ret }
    }

    const BUDGET: u64 = 1_000_000;

    #[test]
    fn a_read_concurrent_with_a_write_may_return_either_value() {
        let h = vec![
            op(0, Write(1), Out::Written, 0, Some(10)),
            op(1, Read, Out::Read(Some(1)), 5, Some(6)),
        ];
        assert_eq!(check(&RegisterModel, &h, BUDGET), Linearizability::Linearizable);
        let h = vec![
            op(0, Write(1), Out::Written, 0, Some(10)),
            op(1, Read, Out::Read(None), 5, Some(6)),
        ];
        assert_eq!(check(&RegisterModel, &h, BUDGET), Linearizability::Linearizable);
    }

    #[test]
    fn a_stale_read_after_a_completed_write_is_not_linearizable() {
        let h = vec![
            op(0, Write(1), Out::Written, 0, Some(10)),
            op(1, Read, Out::Read(None), 11, Some(12)),
        ];
        assert_eq!(check(&RegisterModel, &h, BUDGET), Linearizability::NotLinearizable { key: 0 });
    }

    #[test]
    fn a_new_old_inversion_between_two_readers_is_not_linearizable() {
        let h = vec![
            op(0, Write(1), Out::Written, 0, Some(100)),
            op(1, Read, Out::Read(Some(1)), 10, Some(20)),
            op(2, Read, Out::Read(None), 30, Some(40)),
        ];
        assert_eq!(check(&RegisterModel, &h, BUDGET), Linearizability::NotLinearizable { key: 0 });
    }

    #[test]
    fn a_pending_write_may_or_may_not_take_effect() {
        let pending = op(0, Write(7), Out::Unknown, 0, None);
        let saw_it = vec![pending.clone(), op(1, Read, Out::Read(Some(7)), 5, Some(6))];
        let missed_it = vec![pending, op(1, Read, Out::Read(None), 5, Some(6))];
        assert_eq!(check(&RegisterModel, &saw_it, BUDGET), Linearizability::Linearizable);
        assert_eq!(check(&RegisterModel, &missed_it, BUDGET), Linearizability::Linearizable);
    }

    #[test]
    fn a_failed_cas_must_have_seen_another_value() {
        let cas = |ok| op(1, RegisterOp::Cas { from: 1, to: 2 }, Out::Cas(ok), 20, Some(30));
        let h = vec![op(0, Write(1), Out::Written, 0, Some(10)), cas(false)];
        assert_eq!(check(&RegisterModel, &h, BUDGET), Linearizability::NotLinearizable { key: 0 });
        let h = vec![
            op(0, Write(1), Out::Written, 0, Some(10)),
            cas(true),
            op(2, Read, Out::Read(Some(2)), 40, Some(50)),
        ];
        assert_eq!(check(&RegisterModel, &h, BUDGET), Linearizability::Linearizable);
    }

    #[test]
    fn keys_are_checked_separately_and_the_bad_key_is_named() {
        let mut h = vec![
            op(0, Write(1), Out::Written, 0, Some(10)),
            op(1, Read, Out::Read(Some(1)), 11, Some(12)),
        ];
        let mut bad = op(2, Read, Out::Read(Some(5)), 13, Some(14));
        bad.input.key = 9;
        h.push(bad);
        assert_eq!(check(&RegisterModel, &h, BUDGET), Linearizability::NotLinearizable { key: 9 });
    }

    #[test]
    fn analyze_reports_a_whole_linearization_or_the_longest_prefix_and_the_stuck_op() {
        let h = vec![
            op(0, Write(1), Out::Written, 0, Some(10)),
            op(1, Read, Out::Read(Some(1)), 11, Some(12)),
            op(2, Read, Out::Read(Some(5)), 13, Some(14)),
        ];
        let report = &analyze(&RegisterModel, &h[..2], BUDGET)[0];
        assert_eq!(report.outcome, PartitionOutcome::Linearizable);
        assert_eq!(report.longest, vec![(0, Some(1)), (1, Some(1))]);
        assert_eq!(report.stuck, None);
        let report = &analyze(&RegisterModel, &h, BUDGET)[0];
        assert_eq!(report.outcome, PartitionOutcome::NotLinearizable);
        assert_eq!(report.longest, vec![(0, Some(1)), (1, Some(1))]);
        assert_eq!(report.stuck, Some(2), "the read of 5 is where it fails");
        assert_eq!(
            verdict(std::slice::from_ref(report)),
            Linearizability::NotLinearizable { key: 0 }
        );
    }

    fn kv(
        client: u64,
        key: u64,
        op: KvRequest,
        out: KvOutput,
        call: u64,
        ret: u64,
    ) -> OperationOf<KvModel> {
        Operation { client, input: KvInput { key, op }, output: out, call, ret: Some(ret) }
    }

    #[test]
    fn the_kv_model_appends_and_checks_each_key_on_its_own() {
        use KvRequest::{Append, Get, Put};
        let value = |v: &str| KvOutput::Value(v.to_owned());
        let mut h = vec![
            kv(0, 0, Put("a".into()), KvOutput::Done, 0, 1),
            kv(1, 0, Append("b".into()), KvOutput::Done, 2, 10),
            kv(2, 0, Append("c".into()), KvOutput::Done, 3, 10),
            kv(3, 0, Get, value("acb"), 11, 12),
            kv(3, 1, Get, value(""), 13, 14),
        ];
        assert_eq!(check(&KvModel, &h, BUDGET), Linearizability::Linearizable);
        h.push(kv(4, 1, Get, value("x"), 15, 16));
        assert_eq!(check(&KvModel, &h, BUDGET), Linearizability::NotLinearizable { key: 1 });
        h.pop();
        h[3].output = value("bc");
        assert_eq!(check(&KvModel, &h, BUDGET), Linearizability::NotLinearizable { key: 0 });
    }

    #[test]
    fn an_exhausted_budget_answers_unknown_rather_than_guessing() {
        let h: Vec<_> =
            (0..12).map(|i| op(i, Write(i as i64), Out::Written, 0, Some(100))).collect();
        assert_eq!(check(&RegisterModel, &h, 3), Linearizability::Unknown);
        assert_eq!(check(&RegisterModel, &h, BUDGET), Linearizability::Linearizable);
    }
}
