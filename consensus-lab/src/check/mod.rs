//! Checkers that can fail: each takes a recorded history and returns one [`Verdict`] per
//! property, naming the witness of a violation (which process, which value, which message).
//!
//! Safety properties can be violated by a finite prefix; liveness properties ("eventually …")
//! are judged at the end of a finite run and so mean "did not happen within the run".

pub mod broadcast;
pub mod byzantine_broadcast;
pub mod commit;
pub mod conflict_order;
pub mod consensus;
pub mod eventual;
pub mod failure_detection;
pub mod happens_before;
pub mod jepsen;
pub mod jepsen_edn;
pub mod lincheck_html;
pub mod linearizability;
pub mod links;
pub mod register;
pub mod register_safe;
pub mod serializability;
pub mod smr;

use serde::Serialize;

/// Whether a property is about something bad never happening or something good happening.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PropertyKind {
    /// "Nothing bad happens": one counter-example in the history is a violation.
    Safety,
    /// "Something good eventually happens": judged at the end of the run.
    Liveness,
}

/// The outcome of checking one property on one history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Property name as the textbooks spell it, e.g. `uniform agreement`.
    pub property: &'static str,
    /// Safety or liveness.
    pub kind: PropertyKind,
    /// `None` if the property holds; otherwise a sentence naming the counter-example.
    pub violation: Option<String>,
}

impl Verdict {
    /// A safety verdict from the first counter-example, if any.
    pub fn safety(property: &'static str, violation: Option<String>) -> Self {
        Verdict { property, kind: PropertyKind::Safety, violation }
    }

    /// A liveness verdict from the first counter-example, if any.
    pub fn liveness(property: &'static str, violation: Option<String>) -> Self {
        Verdict { property, kind: PropertyKind::Liveness, violation }
    }

    /// `true` if the property holds.
    pub fn holds(&self) -> bool {
        self.violation.is_none()
    }
}

/// The verdict for `property` in `verdicts`, for tests: panics if it was not checked.
pub fn find<'a>(verdicts: &'a [Verdict], property: &str) -> &'a Verdict {
    verdicts
        .iter()
        .find(|v| v.property == property)
        .unwrap_or_else(|| panic!("{property} not checked"))
}
