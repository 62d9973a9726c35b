//! Inspections: planned, filled in on a tablet in batches, submitted and judged; findings
//! followed to their repair.
//!
//! This file holds the rules (kinds, states, who sees what, how batches merge); `store` keeps
//! them, `evidence` checks uploaded files.

pub mod evidence;
pub mod finding;
pub mod store;
pub mod workflow;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What kind of inspection, which decides whether the provider is told in advance.
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
pub enum Kind {
    /// Yearly, of the organisation, before the certificate expires.
    Administrative,
    /// Every location the provider is first responsible for, each cycle.
    Periodic,
    /// Ordered by the scheme owner for quality assurance.
    AdHoc,
    /// On concrete signals from third parties; the location is not disclosed in advance.
    Targeted,
    /// On complaints; unannounced.
    Urgent,
}

impl Kind {
    /// Announced inspections are shown to the provider while planned; the others only once they
    /// have started.
    pub fn announced(self) -> bool {
        !matches!(self, Kind::Targeted | Kind::Urgent)
    }
}

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
pub enum Status {
    /// Scheduled; no answers yet.
    Planned,
    /// Answers are being given; the norm version is pinned.
    InProgress,
    /// Judged and locked.
    Submitted,
    /// Replaced by a submitted correction, kept for the record.
    Superseded,
}

impl Status {
    pub fn accepts_answers(self) -> bool {
        matches!(self, Status::Planned | Status::InProgress)
    }
}

/// Whether the provider may see this inspection at all.
pub fn visible_to_provider(kind: Kind, status: Status) -> bool {
    kind.announced() || status != Status::Planned
}

/// Whether the provider may see the answers and the verdict: only once judged.
pub fn answers_visible_to_provider(status: Status) -> bool {
    matches!(status, Status::Submitted | Status::Superseded)
}

/// An answer as it stands, with when it was last set.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Answer {
    #[schema(value_type = Object)]
    pub value: serde_json::Value,
    /// The user who set it.
    pub set_by: String,
    /// The inspection version in which it was set.
    pub set_in_version: i32,
    /// When the server stored it (RFC 3339).
    pub server_time: String,
    /// When the device says it was given, if it said.
    pub device_time: Option<String>,
}

/// A question in a batch that someone else changed after the version the batch was based on.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Conflict {
    pub question: String,
    /// The value you sent.
    #[schema(value_type = Object)]
    pub yours: serde_json::Value,
    /// The answer as it stands now.
    pub current: Answer,
}

/// Checks a batch based on `base_version` against the stored answers. A question that changed
/// after `base_version` conflicts, unless the batch sets it to the value it has now (a retry
/// or two devices agreeing); other questions merge.
pub fn conflicts(
    base_version: i32,
    batch: &BTreeMap<String, serde_json::Value>,
    stored: &BTreeMap<String, Answer>,
) -> Vec<Conflict> {
    batch
        .iter()
        .filter_map(|(question, value)| {
            let current = stored.get(question)?;
            (current.set_in_version > base_version && current.value != *value).then(|| Conflict {
                question: question.clone(),
                yours: value.clone(),
                current: current.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn answer(value: serde_json::Value, version: i32) -> Answer {
        Answer {
            value,
            set_by: "u".into(),
            set_in_version: version,
            server_time: "2026-11-23T10:00:00Z".into(),
            device_time: None,
        }
    }

    #[test]
    fn only_changes_after_the_base_conflict() {
        let stored = BTreeMap::from([
            ("toilets".to_owned(), answer(json!(2), 2)),
            ("showers".to_owned(), answer(json!(1), 4)),
            ("residents".to_owned(), answer(json!(9), 4)),
        ]);
        let batch = BTreeMap::from([
            ("toilets".to_owned(), json!(3)), // changed in 2, batch based on 3: merges
            ("showers".to_owned(), json!(2)), // changed in 4 to another value: conflict
            ("residents".to_owned(), json!(9)), // changed in 4 to the same value: no conflict
            ("kitchens".to_owned(), json!(1)), // new: merges
        ]);
        let found = conflicts(3, &batch, &stored);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].question, "showers");
        assert_eq!(found[0].yours, json!(2));
        assert_eq!(found[0].current.value, json!(1));
        assert!(conflicts(4, &batch, &stored).is_empty());
    }

    #[test]
    fn who_sees_what() {
        assert!(visible_to_provider(Kind::Periodic, Status::Planned));
        assert!(visible_to_provider(Kind::Administrative, Status::Planned));
        assert!(!visible_to_provider(Kind::Urgent, Status::Planned));
        assert!(!visible_to_provider(Kind::Targeted, Status::Planned));
        assert!(visible_to_provider(Kind::Targeted, Status::InProgress));
        assert!(!answers_visible_to_provider(Status::InProgress));
        assert!(answers_visible_to_provider(Status::Submitted));
    }
}
