//! Certificates: issued to a provider whose inspections passed, signed so that anyone can check
//! them, printed with a QR code, and kept in a status that verification reports at once.
//!
//! This file holds the rules, free of HTTP, SQL and clock (dates are inputs): the status and its
//! lifecycle, eligibility, numbers and validity. `keys` and `token` sign and check, `pdf`
//! prints, `store` keeps, `issue` and `verify` tie them together, `cache` keeps what verification
//! looked up.

pub mod cache;
pub mod issue;
pub mod keys;
pub mod pdf;
pub mod store;
pub mod token;
pub mod verify;

use chrono::{Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{AppError, AppResult};
use crate::inspection::Kind;
use crate::norm::model::CertificateTerms;

/// Where a certificate stands, as verification reports it.
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
    /// In force.
    Valid,
    /// Temporarily not in force, with a reason (e.g. a major finding at an urgent inspection);
    /// can be reinstated.
    Suspended,
    /// Ended for good, with a reason.
    Withdrawn,
    /// Past its last day. Never stored: it is how a valid or suspended certificate reads once
    /// its term is over.
    Expired,
}

impl Status {
    /// How a certificate stored as `self` reads on `today`.
    pub fn on(self, valid_until: NaiveDate, today: NaiveDate) -> Status {
        match self {
            Status::Withdrawn => Status::Withdrawn,
            _ if today > valid_until => Status::Expired,
            other => other,
        }
    }

    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A change of status that a person decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum Action {
    Suspend,
    Reinstate,
    Withdraw,
}

impl Action {
    /// The status after the action on a certificate that reads `current` today, or why the
    /// action does not apply.
    pub fn apply(self, current: Status) -> AppResult<Status> {
        let refuse = |code, detail: &str| Err(AppError::conflict(code, detail));
        match (self, current) {
            (_, Status::Withdrawn) => refuse(
                "certificate_withdrawn",
                "this certificate was withdrawn; that is final",
            ),
            (_, Status::Expired) => refuse(
                "certificate_expired",
                "this certificate has expired; its status no longer changes",
            ),
            (Action::Suspend, Status::Valid) => Ok(Status::Suspended),
            (Action::Suspend, _) => refuse(
                "certificate_already_suspended",
                "this certificate is suspended already",
            ),
            (Action::Reinstate, Status::Suspended) => Ok(Status::Valid),
            (Action::Reinstate, _) => refuse(
                "certificate_not_suspended",
                "only a suspended certificate can be reinstated",
            ),
            (Action::Withdraw, _) => Ok(Status::Withdrawn),
        }
    }

    /// The word the audit trail records.
    pub fn recorded_as(self) -> &'static str {
        match self {
            Action::Suspend => "suspended",
            Action::Reinstate => "reinstated",
            Action::Withdraw => "withdrawn",
        }
    }
}

/// A certificate number as people read and type it: `SNF-2026-00042`.
pub fn number(scheme: &str, year: i32, sequence: i64) -> String {
    format!("{}-{year}-{sequence:05}", scheme.to_ascii_uppercase())
}

/// The name of the sequence numbers of `scheme` in `year` are drawn from.
pub fn sequence_name(scheme: &str, year: i32) -> String {
    format!("certificate:{scheme}:{year}")
}

/// A number as typed (spaces, lower case) in the form it is stored in, or `None` when it cannot
/// be one.
pub fn normalise_number(typed: &str) -> Option<String> {
    let number = typed.trim().to_ascii_uppercase();
    let ok = (1..=40).contains(&number.len())
        && number
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    ok.then_some(number)
}

/// The term of a new certificate issued on `today`, following one that ends on `starts_after`.
pub fn term(terms: &CertificateTerms, starts_after: Option<NaiveDate>, today: NaiveDate) -> Term {
    // A renewal continues the term of the certificate it follows, so the provider loses none
    // of it by renewing early; it is in force from the day it is issued.
    // Counted from the day before the first, so that a term from 29 February ends on 28
    // February, not a day short of it.
    let eve = starts_after
        .filter(|last| *last >= today)
        .or_else(|| today.pred_opt())
        .unwrap_or(today);
    let valid_until = eve
        .checked_add_months(Months::new(terms.validity_months))
        .unwrap_or(NaiveDate::MAX);
    Term {
        valid_from: today,
        valid_until,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term {
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
}

// ---- eligibility -------------------------------------------------------------------------------

/// A location of the provider, as eligibility sees it.
#[derive(Debug, Clone)]
pub struct LocationRef {
    pub id: String,
    /// The address, for the reasons a person reads.
    pub label: String,
    /// Only locations the provider is first responsible for are inspected and covered.
    pub first_responsible: bool,
}

/// A submitted inspection of the provider under the scheme (corrected ones left out).
#[derive(Debug, Clone)]
pub struct InspectionRef {
    pub id: String,
    pub kind: Kind,
    pub location_id: Option<String>,
    pub inspected_on: NaiveDate,
    pub norm_version: String,
    pub norm_hash: String,
}

/// An open major finding of the provider.
#[derive(Debug, Clone)]
pub struct MajorFinding {
    pub id: String,
    pub inspection_id: String,
    pub location_id: Option<String>,
    pub item_id: String,
    pub title: String,
}

/// A certificate the provider holds under the scheme.
#[derive(Debug, Clone)]
pub struct Held {
    pub number: String,
    /// As it reads on the day of the request.
    pub status: Status,
    pub valid_until: NaiveDate,
}

/// Everything eligibility looks at.
pub struct Record<'a> {
    pub today: NaiveDate,
    pub terms: &'a CertificateTerms,
    pub locations: &'a [LocationRef],
    pub inspections: &'a [InspectionRef],
    pub open_majors: &'a [MajorFinding],
    pub held: &'a [Held],
}

/// Why a provider cannot have a certificate now: one entry per thing to put right.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Reason {
    /// Stable: `no_locations`, `administrative_inspection_missing`, `location_not_inspected`,
    /// `major_finding_open`, `certificate_in_force`, `certificate_suspended`.
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inspection_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finding_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_number: Option<String>,
}

impl Reason {
    fn new(code: &'static str, message: String) -> Self {
        Self {
            code,
            message,
            location_id: None,
            inspection_id: None,
            finding_id: None,
            certificate_number: None,
        }
    }
}

/// What a certificate rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Basis {
    /// The locations covered, in the order given.
    pub location_ids: Vec<String>,
    /// The administrative inspection first, then each location's latest.
    pub inspection_ids: Vec<String>,
    /// The norm of the latest of those inspections.
    pub norm_version: String,
    pub norm_hash: String,
    pub term: Term,
}

/// Whether the provider may have a certificate on `today`: its administrative inspection and
/// the latest inspection of every location it is first responsible for fall within the cycle
/// (one term back from today), no major finding is open, and no certificate stands in the way.
/// Every reason is given, not just the first.
pub fn eligibility(record: &Record<'_>) -> Result<Basis, Vec<Reason>> {
    let today = record.today;
    let cycle_start = today
        .checked_sub_months(Months::new(record.terms.validity_months))
        .unwrap_or(NaiveDate::MIN);
    let in_cycle = |i: &&InspectionRef| (cycle_start..=today).contains(&i.inspected_on);
    let latest = |of: &dyn Fn(&InspectionRef) -> bool| {
        record
            .inspections
            .iter()
            .filter(in_cycle)
            .filter(|i| of(i))
            .max_by_key(|i| (i.inspected_on, i.id.clone()))
    };
    let mut reasons = Vec::new();

    let mut renews = None;
    for held in record.held {
        match held.status {
            Status::Suspended => reasons.push(Reason {
                certificate_number: Some(held.number.clone()),
                ..Reason::new(
                    "certificate_suspended",
                    format!(
                        "certificate {} is suspended: reinstate or withdraw it first",
                        held.number
                    ),
                )
            }),
            Status::Valid => {
                let window_opens = held
                    .valid_until
                    .checked_sub_days(Days::new(u64::from(record.terms.renewal_window_days)))
                    .unwrap_or(NaiveDate::MIN);
                if today < window_opens {
                    reasons.push(Reason {
                        certificate_number: Some(held.number.clone()),
                        ..Reason::new(
                            "certificate_in_force",
                            format!(
                                "certificate {} is in force until {}; a successor can be issued from {window_opens}",
                                held.number, held.valid_until
                            ),
                        )
                    });
                } else {
                    renews = renews.max(Some(held.valid_until));
                }
            }
            Status::Withdrawn | Status::Expired => {}
        }
    }

    let administrative = latest(&|i| i.kind == Kind::Administrative);
    if administrative.is_none() {
        reasons.push(Reason::new(
            "administrative_inspection_missing",
            format!("no administrative inspection was submitted since {cycle_start}"),
        ));
    }

    let covered: Vec<&LocationRef> = record
        .locations
        .iter()
        .filter(|l| l.first_responsible)
        .collect();
    if covered.is_empty() {
        reasons.push(Reason::new(
            "no_locations",
            "the provider has no location it is first responsible for".into(),
        ));
    }
    let mut inspections: Vec<&InspectionRef> = administrative.into_iter().collect();
    for location in &covered {
        match latest(&|i| i.location_id.as_deref() == Some(location.id.as_str())) {
            Some(inspection) => inspections.push(inspection),
            None => reasons.push(Reason {
                location_id: Some(location.id.clone()),
                ..Reason::new(
                    "location_not_inspected",
                    format!(
                        "{} has no inspection submitted since {cycle_start}",
                        location.label
                    ),
                )
            }),
        }
    }

    for finding in record.open_majors {
        let place = finding
            .location_id
            .as_deref()
            .and_then(|id| record.locations.iter().find(|l| l.id == id))
            .map_or_else(|| "the organisation".to_owned(), |l| l.label.clone());
        reasons.push(Reason {
            location_id: finding.location_id.clone(),
            inspection_id: Some(finding.inspection_id.clone()),
            finding_id: Some(finding.id.clone()),
            ..Reason::new(
                "major_finding_open",
                format!(
                    "major finding {} ({}) at {place} is open",
                    finding.item_id, finding.title
                ),
            )
        });
    }

    if !reasons.is_empty() {
        return Err(reasons);
    }
    let newest = inspections
        .iter()
        .max_by_key(|i| (i.inspected_on, i.id.clone()))
        .ok_or_else(Vec::new)?;
    Ok(Basis {
        location_ids: covered.iter().map(|l| l.id.clone()).collect(),
        inspection_ids: inspections.iter().map(|i| i.id.clone()).collect(),
        norm_version: newest.norm_version.clone(),
        norm_hash: newest.norm_hash.clone(),
        term: term(record.terms, renews, today),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn terms() -> CertificateTerms {
        CertificateTerms {
            validity_months: 12,
            renewal_window_days: 42,
            source: "S22".into(),
            confirmed: false,
        }
    }

    #[test]
    fn status_reads_by_date() {
        let until = day("2027-06-30");
        assert_eq!(Status::Valid.on(until, day("2027-06-30")), Status::Valid);
        assert_eq!(Status::Valid.on(until, day("2027-07-01")), Status::Expired);
        assert_eq!(
            Status::Suspended.on(until, day("2027-07-01")),
            Status::Expired
        );
        assert_eq!(
            Status::Withdrawn.on(until, day("2027-07-01")),
            Status::Withdrawn
        );
    }

    #[test]
    fn lifecycle() {
        use Action::*;
        assert_eq!(Suspend.apply(Status::Valid).unwrap(), Status::Suspended);
        assert_eq!(Reinstate.apply(Status::Suspended).unwrap(), Status::Valid);
        assert_eq!(Withdraw.apply(Status::Valid).unwrap(), Status::Withdrawn);
        assert_eq!(
            Withdraw.apply(Status::Suspended).unwrap(),
            Status::Withdrawn
        );
        let code = |r: AppResult<Status>| r.unwrap_err().code();
        assert_eq!(
            code(Suspend.apply(Status::Suspended)),
            "certificate_already_suspended"
        );
        assert_eq!(
            code(Reinstate.apply(Status::Valid)),
            "certificate_not_suspended"
        );
        for action in [Suspend, Reinstate, Withdraw] {
            assert_eq!(
                code(action.apply(Status::Withdrawn)),
                "certificate_withdrawn"
            );
            assert_eq!(code(action.apply(Status::Expired)), "certificate_expired");
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(number("snf", 2026, 42), "SNF-2026-00042");
        assert_eq!(number("akf", 2027, 123_456), "AKF-2027-123456");
        assert_eq!(
            normalise_number(" snf-2026-00042 ").as_deref(),
            Some("SNF-2026-00042")
        );
        assert_eq!(normalise_number("SNF 2026"), None);
        assert_eq!(normalise_number(""), None);
        assert_eq!(normalise_number("ä"), None);
    }

    #[test]
    fn a_term_is_a_year_and_a_renewal_continues_the_last() {
        let fresh = term(&terms(), None, day("2026-12-01"));
        assert_eq!(fresh.valid_from, day("2026-12-01"));
        assert_eq!(fresh.valid_until, day("2027-11-30"));
        let leap = term(&terms(), None, day("2028-02-29"));
        assert_eq!(leap.valid_until, day("2029-02-28"));
        let renewal = term(&terms(), Some(day("2027-01-05")), day("2026-12-01"));
        assert_eq!(renewal.valid_from, day("2026-12-01"));
        assert_eq!(renewal.valid_until, day("2028-01-05"));
    }

    fn location(id: &str, first_responsible: bool) -> LocationRef {
        LocationRef {
            id: id.into(),
            label: format!("Straat {id}"),
            first_responsible,
        }
    }

    fn inspection(id: &str, kind: Kind, location: Option<&str>, on: &str) -> InspectionRef {
        InspectionRef {
            id: id.into(),
            kind,
            location_id: location.map(Into::into),
            inspected_on: day(on),
            norm_version: format!("v-{id}"),
            norm_hash: format!("h-{id}"),
        }
    }

    #[test]
    fn eligible_when_everything_passed_within_the_cycle() {
        let terms = terms();
        let locations = [
            location("a", true),
            location("b", true),
            location("c", false),
        ];
        let inspections = [
            inspection("adm", Kind::Administrative, None, "2026-11-01"),
            inspection("a-old", Kind::Periodic, Some("a"), "2026-01-10"),
            inspection("a-new", Kind::Periodic, Some("a"), "2026-10-10"),
            inspection("b1", Kind::Urgent, Some("b"), "2026-11-20"),
        ];
        let record = Record {
            today: day("2026-12-01"),
            terms: &terms,
            locations: &locations,
            inspections: &inspections,
            open_majors: &[],
            held: &[],
        };
        let basis = eligibility(&record).unwrap();
        assert_eq!(
            basis.location_ids,
            ["a", "b"],
            "co-interested c is not covered"
        );
        assert_eq!(basis.inspection_ids, ["adm", "a-new", "b1"]);
        assert_eq!(
            basis.norm_version, "v-b1",
            "the norm of the latest inspection"
        );
        assert_eq!(basis.term.valid_until, day("2027-11-30"));
    }

    #[test]
    fn every_reason_is_named() {
        let terms = terms();
        let locations = [location("a", true), location("b", true)];
        let inspections = [
            // A day before the cycle: too old.
            inspection("adm", Kind::Administrative, None, "2025-11-30"),
            inspection("a1", Kind::Periodic, Some("a"), "2025-12-01"),
        ];
        let majors = [MajorFinding {
            id: "f1".into(),
            inspection_id: "a1".into(),
            location_id: Some("a".into()),
            item_id: "2.2".into(),
            title: "Floor area".into(),
        }];
        let held = [
            Held {
                number: "SNF-2026-00001".into(),
                status: Status::Valid,
                valid_until: day("2027-01-13"),
            },
            Held {
                number: "SNF-2026-00002".into(),
                status: Status::Suspended,
                valid_until: day("2027-05-01"),
            },
        ];
        let record = Record {
            today: day("2026-12-01"),
            terms: &terms,
            locations: &locations,
            inspections: &inspections,
            open_majors: &majors,
            held: &held,
        };
        let reasons = eligibility(&record).unwrap_err();
        let codes: Vec<_> = reasons.iter().map(|r| r.code).collect();
        assert_eq!(
            codes,
            [
                "certificate_in_force",
                "certificate_suspended",
                "administrative_inspection_missing",
                "location_not_inspected",
                "major_finding_open",
            ]
        );
        assert_eq!(reasons[3].location_id.as_deref(), Some("b"));
        assert_eq!(reasons[4].finding_id.as_deref(), Some("f1"));
        assert!(
            reasons[0].message.contains("from 2026-12-02"),
            "{}",
            reasons[0].message
        );
    }

    #[test]
    fn renewal_opens_six_weeks_before_the_end() {
        let terms = terms();
        let locations = [location("a", true)];
        let inspections = [
            inspection("adm", Kind::Administrative, None, "2026-11-01"),
            inspection("a1", Kind::Periodic, Some("a"), "2026-11-02"),
        ];
        let held = |until: &str| {
            [Held {
                number: "SNF-2025-00001".into(),
                status: Status::Valid,
                valid_until: day(until),
            }]
        };
        let on_day = held("2027-01-12"); // the window opens 42 days before: on 2026-12-01
        let record = Record {
            today: day("2026-12-01"),
            terms: &terms,
            locations: &locations,
            inspections: &inspections,
            open_majors: &[],
            held: &on_day,
        };
        let basis = eligibility(&record).unwrap();
        assert_eq!(basis.term.valid_from, day("2026-12-01"));
        assert_eq!(basis.term.valid_until, day("2028-01-12"));
        let day_early = held("2027-01-13");
        let record = Record {
            held: &day_early,
            ..record
        };
        assert_eq!(
            eligibility(&record).unwrap_err()[0].code,
            "certificate_in_force"
        );
        for gone in [Status::Withdrawn, Status::Expired] {
            let old = [Held {
                status: gone,
                ..day_early[0].clone()
            }];
            let record = Record {
                held: &old,
                ..record
            };
            let basis = eligibility(&record).unwrap();
            assert_eq!(basis.term.valid_until, day("2027-11-30"));
        }
    }
}
