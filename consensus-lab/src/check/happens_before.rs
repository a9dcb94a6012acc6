//! Happens-before and the clock condition (Lamport, "Time, Clocks, and the Ordering of Events in
//! a Distributed System", CACM 21(7), 1978):
//!
//! - **Happens before** (§2): the smallest relation → such that (1) if a and b are events of the
//!   same process and a comes before b, then a → b; (2) if a is the sending of a message and b its
//!   receipt, then a → b; (3) it is transitive. Computed here with one vector clock per event
//!   (Fidge 1988 / Mattern 1989): a → b iff VC(a) ≤ VC(b) entry by entry and a ≠ b.
//! - **Clock condition** (§3, safety): for any events a, b: if a → b then C(a) < C(b). Because →
//!   is the transitive closure of rules (1) and (2) and < is transitive, checking every pair
//!   related by (1) or (2) directly is enough; the witness names that pair.
//! - **No creation** (safety): every receipt is of a message some event sent.
//!
//! The converse of the clock condition does not hold (C(a) < C(b) for concurrent a ∥ b is
//! allowed, §3); [`HappensBefore::concurrent`] tells such pairs apart.

use std::collections::BTreeMap;

use super::Verdict;
use crate::protocol::NodeId;

/// A message's identity: `(sender, sender's sequence number)`.
pub type MessageId = (NodeId, u64);

/// What an event of a process was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// An internal event.
    Local,
    /// The sending of message `MessageId`.
    Send(MessageId),
    /// The receipt of message `MessageId` (a duplicated copy may be received twice).
    Receive(MessageId),
}

/// One event as a process recorded it, with its logical clock value C(e).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockEvent {
    /// The process Pᵢ the event belongs to.
    pub node: NodeId,
    /// What happened.
    pub kind: EventKind,
    /// Cᵢ(e), the process's logical clock at the event.
    pub clock: u64,
}

/// The happens-before relation of a history: events in run order (each process's events in its
/// own order) and one vector clock per event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HappensBefore {
    /// The events, in run order.
    pub events: Vec<ClockEvent>,
    /// `vc[i][p]`: how many events of process p happen before event i, event i included.
    vc: Vec<Vec<u64>>,
    /// For each event, the index of the previous event of the same process (rule 1).
    previous: Vec<Option<usize>>,
    /// For each receipt, the index of its sending event (rule 2); `None` for an unsent message.
    sent_by: Vec<Option<usize>>,
}

impl HappensBefore {
    /// The relation over `events` of `n` processes (`node < n` for every event).
    ///
    /// # Panics
    /// If an event's `node` is not below `n`.
    pub fn new(n: usize, events: Vec<ClockEvent>) -> Self {
        let mut vc: Vec<Vec<u64>> = Vec::with_capacity(events.len());
        let mut last: Vec<Option<usize>> = vec![None; n];
        let mut send_index: BTreeMap<MessageId, usize> = BTreeMap::new();
        let (mut previous, mut sent_by) = (Vec::new(), Vec::new());
        for (i, e) in events.iter().enumerate() {
            let mut clock = last[e.node].map_or_else(|| vec![0; n], |j| vc[j].clone());
            let sender = match e.kind {
                EventKind::Receive(id) => send_index.get(&id).copied(),
                _ => None,
            };
            if let Some(s) = sender {
                for (mine, theirs) in clock.iter_mut().zip(&vc[s]) {
                    *mine = (*mine).max(*theirs);
                }
            }
            clock[e.node] += 1;
            if let EventKind::Send(id) = e.kind {
                send_index.insert(id, i);
            }
            previous.push(last[e.node]);
            sent_by.push(sender);
            last[e.node] = Some(i);
            vc.push(clock);
        }
        HappensBefore { events, vc, previous, sent_by }
    }

    /// a → b: event `a` happens before event `b` (indices into [`HappensBefore::events`]).
    pub fn precedes(&self, a: usize, b: usize) -> bool {
        a != b && self.vc[a].iter().zip(&self.vc[b]).all(|(x, y)| x <= y)
    }

    /// a ∥ b: neither happens before the other.
    pub fn concurrent(&self, a: usize, b: usize) -> bool {
        a != b && !self.precedes(a, b) && !self.precedes(b, a)
    }

    /// The first pair a → b (by rule 1 or 2) with C(a) ≥ C(b), described.
    fn clock_condition(&self) -> Option<String> {
        (0..self.events.len()).find_map(|b| {
            let eb = &self.events[b];
            let mut direct = self.previous[b].into_iter().chain(self.sent_by[b]);
            direct.find(|&a| self.events[a].clock >= eb.clock).map(|a| {
                let ea = &self.events[a];
                format!(
                    "{:?} at process {} (C = {}) happens before {:?} at process {} (C = {})",
                    ea.kind, ea.node, ea.clock, eb.kind, eb.node, eb.clock
                )
            })
        })
    }

    /// The first receipt of a message no event sent.
    fn creation(&self) -> Option<String> {
        self.events.iter().zip(&self.sent_by).find_map(|(e, sender)| match (e.kind, sender) {
            (EventKind::Receive(id), None) => {
                Some(format!("process {} received {id:?}, which was never sent", e.node))
            }
            _ => None,
        })
    }
}

/// Check the clock condition and no creation over `events` of `n` processes; one verdict each.
///
/// # Panics
/// If an event's `node` is not below `n`.
pub fn check(n: usize, events: Vec<ClockEvent>) -> Vec<Verdict> {
    let hb = HappensBefore::new(n, events);
    vec![
        Verdict::safety("clock condition", hb.clock_condition()),
        Verdict::safety("no creation", hb.creation()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::find;
    use EventKind::{Local, Receive, Send};

    fn e(node: NodeId, kind: EventKind, clock: u64) -> ClockEvent {
        ClockEvent { node, kind, clock }
    }

    /// P0 sends m to P1 (clock 1 → 2), P1 then acts locally; P2 acts alone.
    fn message_chain(receive_clock: u64) -> Vec<ClockEvent> {
        vec![
            e(0, Send((0, 0)), 1),
            e(2, Local, 1),
            e(1, Receive((0, 0)), receive_clock),
            e(1, Local, receive_clock + 1),
        ]
    }

    #[test]
    fn a_message_orders_its_send_before_everything_after_its_receipt() {
        let hb = HappensBefore::new(3, message_chain(2));
        assert!(hb.precedes(0, 2) && hb.precedes(0, 3) && hb.precedes(2, 3));
        assert!(!hb.precedes(3, 0));
        assert!(hb.concurrent(1, 0) && hb.concurrent(1, 3));
        assert!(check(3, message_chain(2)).iter().all(Verdict::holds));
    }

    #[test]
    fn lower_clocks_on_concurrent_events_are_allowed() {
        // P2's local event has C = 1 < C = 3 of P1's event, yet they are concurrent.
        let hb = HappensBefore::new(3, message_chain(2));
        assert!(hb.events[1].clock < hb.events[3].clock && hb.concurrent(1, 3));
    }

    #[test]
    fn a_receipt_whose_clock_does_not_exceed_the_send_violates_the_clock_condition() {
        let verdicts = check(3, message_chain(1));
        let witness = find(&verdicts, "clock condition").violation.clone().expect("violated");
        assert!(witness.contains("Send((0, 0)) at process 0 (C = 1)"), "{witness}");
    }

    #[test]
    fn a_clock_that_goes_backwards_within_a_process_violates_the_clock_condition() {
        let events = vec![e(0, Local, 5), e(0, Local, 5)];
        assert!(!find(&check(1, events), "clock condition").holds());
    }

    #[test]
    fn receiving_a_message_nobody_sent_is_creation() {
        let events = vec![e(1, Receive((0, 9)), 1)];
        assert!(!find(&check(2, events), "no creation").holds());
    }
}
