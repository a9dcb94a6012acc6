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
pub fn check<M: Model>(
    model: &M,
    history: &[Operation<M::Input, M::Output>],
    budget: u64,
) -> Linearizability {
    let mut keys: BTreeMap<u64, Vec<&OperationOf<M>>> = BTreeMap::new();
    for op in history {
        keys.entry(model.key(&op.input)).or_default().push(op);
    }
    let mut unknown = false;
    for (key, ops) in keys {
        match check_partition(model, &ops, budget) {
            Some(true) => {}
            Some(false) => return Linearizability::NotLinearizable { key },
            None => unknown = true,
        }
    }
    if unknown {
        Linearizability::Unknown
    } else {
        Linearizability::Linearizable
    }
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

/// `Some(true)` linearizable, `Some(false)` not, `None` budget exhausted.
fn check_partition<M: Model>(
    model: &M,
    ops: &[&Operation<M::Input, M::Output>],
    budget: u64,
) -> Option<bool> {
    let mut list = Entries::new(ops);
    let words = ops.len().div_ceil(64);
    let mut linearized = vec![0u64; words];
    let mut cache: HashSet<(Vec<u64>, M::State)> = HashSet::new();
    let mut stack: Vec<(usize, M::State)> = Vec::new();
    let mut state = model.init();
    let mut entry = list.next[HEAD];
    let mut steps = 0u64;
    while list.next[HEAD] != list.nil() {
        steps += 1;
        if steps > budget {
            return None;
        }
        let Entry { op, is_call, .. } = list.entries[entry];
        if is_call {
            let operation = ops[op];
            if let Some(next_state) = model.step(&state, &operation.input, &operation.output) {
                let mut key = linearized.clone();
                key[op / 64] |= 1 << (op % 64);
                if cache.insert((key.clone(), next_state.clone())) {
                    stack.push((entry, std::mem::replace(&mut state, next_state)));
                    linearized = key;
                    list.lift(entry);
                    entry = list.next[HEAD];
                    continue;
                }
            }
            entry = list.next[entry];
        } else {
            // A return whose call is not linearized: backtrack.
            let Some((call, previous)) = stack.pop() else { return Some(false) };
            let op = list.entries[call].op;
            linearized[op / 64] &= !(1 << (op % 64));
            state = previous;
            list.unlift(call);
            entry = list.next[call];
        }
    }
    Some(true)
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
    fn an_exhausted_budget_answers_unknown_rather_than_guessing() {
        let h: Vec<_> =
            (0..12).map(|i| op(i, Write(i as i64), Out::Written, 0, Some(100))).collect();
        assert_eq!(check(&RegisterModel, &h, 3), Linearizability::Unknown);
        assert_eq!(check(&RegisterModel, &h, BUDGET), Linearizability::Linearizable);
    }
}
