//! Findings: every failed item of a submitted inspection, followed until it is repaired.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The state a finding is kept in.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    ToSchema,
    strum::EnumString,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum FindingStatus {
    /// Waiting for repair.
    Open,
    /// The provider sent a repair letter; the inspection body has not decided yet.
    RepairSubmitted,
    /// Repaired (or replaced by a correction of the inspection).
    Closed,
    /// Open past its due date. Never stored: it is how an open finding reads once late.
    Overdue,
}

impl FindingStatus {
    /// How a finding reads on `today`: an open one past its due date is overdue.
    pub fn on(self, due_on: NaiveDate, today: NaiveDate) -> FindingStatus {
        match self {
            FindingStatus::Open if today > due_on => FindingStatus::Overdue,
            other => other,
        }
    }

    pub fn is_open(self) -> bool {
        !matches!(self, FindingStatus::Closed)
    }
}

/// How a finding was closed.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    ToSchema,
    strum::EnumString,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ClosedHow {
    /// A repair letter with evidence, accepted by the inspection body.
    RepairLetter,
    /// A re-inspection found it repaired.
    Reinspection,
    /// A correction of the inspection replaced it.
    Correction,
}

/// The last day to repair: the day of the inspection plus the norm's term.
pub fn due_on(found_on: NaiveDate, term_days: u32) -> NaiveDate {
    found_on + chrono::Days::new(u64::from(term_days))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn due_date_and_overdue() {
        let due = due_on(day("2026-01-20"), 28);
        assert_eq!(due, day("2026-02-17"));
        assert_eq!(
            FindingStatus::Open.on(due, day("2026-02-17")),
            FindingStatus::Open
        );
        assert_eq!(
            FindingStatus::Open.on(due, day("2026-02-18")),
            FindingStatus::Overdue
        );
        assert_eq!(
            FindingStatus::RepairSubmitted.on(due, day("2026-03-01")),
            FindingStatus::RepairSubmitted
        );
        assert_eq!(
            FindingStatus::Closed.on(due, day("2026-03-01")),
            FindingStatus::Closed
        );
    }
}
