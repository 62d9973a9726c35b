//! The norm as data: every scheme version loaded from `norms/`, checked, its expressions compiled
//! once; the version in force chosen by date; the checklist derived from it; and a pure evaluator
//! that explains every verdict. No HTTP, no database, no clock: dates are inputs.

pub mod cases;
pub mod checklist;
pub mod cli;
pub mod evaluate;
pub mod facts;
mod loader;
pub mod location;
pub mod model;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use checklist::{Checklist, Question};
pub use evaluate::{ItemStatus, ItemVerdict, Outcome, Verdict};
pub use facts::{FactCatalog, FactError, Facts};
pub use loader::{LoadError, Problem};
pub use location::{HousingForm, LocationProfile, MunicipalDesignation};
pub use model::{Applicability, ClosedBy, Evidence, InspectionKind, Repair, Severity, Text};

/// Every scheme, each with its versions.
#[derive(Debug)]
pub struct Registry {
    schemes: BTreeMap<String, Scheme>,
}

#[derive(Debug)]
pub struct Scheme {
    pub id: String,
    pub name: Text,
    pub owner: String,
    pub sources: BTreeMap<String, String>,
    pub certificate: model::CertificateTerms,
    pub facts: Arc<FactCatalog>,
    /// Oldest first.
    pub versions: Vec<NormVersion>,
    /// The test cases shipped with the scheme: (file, case).
    pub cases: Vec<(String, model::CaseFile)>,
}

/// One version of a scheme, ready to evaluate.
pub struct NormVersion {
    pub scheme: String,
    pub version: String,
    pub title: Text,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub supersedes: Option<String>,
    pub changes: String,
    /// SHA-256 (hex) of the version file and the scheme's fact declarations: what a verdict and a
    /// certificate pin.
    pub hash: String,
    pub applies_when: Option<Applicability>,
    pub items: Vec<Item>,
    pub facts: Arc<FactCatalog>,
    env: Arc<cel::Env>,
}

impl std::fmt::Debug for NormVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NormVersion")
            .field("scheme", &self.scheme)
            .field("version", &self.version)
            .field("hash", &self.hash)
            .field("items", &self.items.len())
            .finish_non_exhaustive()
    }
}

/// A threshold of an item. Unit and source are shared, not copied, into every verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Param {
    #[schema(value_type = f64)]
    pub value: facts::FactValue,
    #[schema(value_type = String)]
    pub unit: Arc<str>,
    #[schema(value_type = String)]
    pub source: Arc<str>,
    pub confirmed: bool,
}

#[derive(Debug)]
pub struct Variant {
    pub when: Applicability,
    pub note: String,
    pub params: BTreeMap<String, facts::FactValue>,
}

/// One requirement of a version.
#[derive(Debug)]
pub struct Item {
    pub id: Arc<str>,
    pub article: Arc<str>,
    pub title: Text,
    pub severity: Severity,
    pub inspection: InspectionKind,
    pub source: String,
    pub applies_when: Applicability,
    pub repair: Repair,
    pub evidence: Vec<Evidence>,
    pub params: BTreeMap<String, Param>,
    pub variants: Vec<Variant>,
    /// The collection the check runs over, element by element.
    pub per: Option<String>,
    derived: Vec<(String, cel::Program)>,
    check: cel::Program,
    /// For an item checked per element that has derived values: the check with those values
    /// written out in it, so that an element that passes takes one evaluation, not several. The
    /// derived values are computed only to explain an element that falls short.
    check_inline: Option<cel::Program>,
    /// The expressions as written in the norm file, for people to read.
    pub derive_source: Vec<model::Derived>,
    pub check_source: String,
    /// The explanation template.
    pub explain: String,
    /// Location facts the item reads.
    pub reads: Vec<String>,
    /// Fields of the `per` collection the item reads.
    pub reads_each: Vec<String>,
}

/// Why no version could be chosen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    #[error("there is no scheme {0:?}")]
    UnknownScheme(String),
    #[error("no version of {scheme} was in force on {date}: the first starts on {first}")]
    BeforeFirst {
        scheme: String,
        date: NaiveDate,
        first: NaiveDate,
    },
    #[error("no version of {scheme} was in force on {date} for this location")]
    Gap { scheme: String, date: NaiveDate },
}

impl SelectError {
    pub fn code(&self) -> &'static str {
        match self {
            SelectError::UnknownScheme(_) => "unknown_scheme",
            SelectError::BeforeFirst { .. } => "before_first_version",
            SelectError::Gap { .. } => "no_version_in_force",
        }
    }
}

impl Registry {
    pub fn schemes(&self) -> impl Iterator<Item = &Scheme> {
        self.schemes.values()
    }

    pub fn scheme(&self, id: &str) -> Option<&Scheme> {
        self.schemes.get(id)
    }

    pub fn version(&self, scheme: &str, version: &str) -> Option<&NormVersion> {
        self.scheme(scheme)?
            .versions
            .iter()
            .find(|v| v.version == version)
    }

    pub fn version_by_hash(&self, scheme: &str, hash: &str) -> Option<&NormVersion> {
        self.scheme(scheme)?
            .versions
            .iter()
            .find(|v| v.hash == hash)
    }

    /// The version in force on `date` for `location`: of those whose window holds the date (and
    /// that apply to the location), the one that started last. During a transition, when an
    /// old version's window and a new one's overlap, that is the new one.
    pub fn select(
        &self,
        scheme: &str,
        date: NaiveDate,
        location: &LocationProfile,
    ) -> Result<&NormVersion, SelectError> {
        let found = self
            .scheme(scheme)
            .ok_or_else(|| SelectError::UnknownScheme(scheme.to_owned()))?;
        let in_force = found
            .versions
            .iter()
            .filter(|v| v.in_force_on(date))
            .filter(|v| {
                v.applies_when
                    .as_ref()
                    .is_none_or(|a| a.applies(location, date))
            })
            .max_by_key(|v| v.valid_from);
        match (in_force, found.versions.first()) {
            (Some(v), _) => Ok(v),
            (None, Some(first)) if date < first.valid_from => Err(SelectError::BeforeFirst {
                scheme: scheme.to_owned(),
                date,
                first: first.valid_from,
            }),
            _ => Err(SelectError::Gap {
                scheme: scheme.to_owned(),
                date,
            }),
        }
    }
}

impl NormVersion {
    pub fn in_force_on(&self, date: NaiveDate) -> bool {
        self.valid_from <= date && self.valid_to.is_none_or(|to| date <= to)
    }

    pub fn item(&self, id: &str) -> Option<&Item> {
        self.items.iter().find(|i| &*i.id == id)
    }

    /// Checks facts against the declarations: unknown facts, wrong types, out of bounds.
    pub fn validate_facts(&self, facts: &serde_json::Value) -> Result<Facts, Vec<FactError>> {
        self.facts.validate(facts)
    }
}

impl Applicability {
    /// Whether every condition holds.
    pub fn applies(&self, location: &LocationProfile, date: NaiveDate) -> bool {
        let in_list =
            |list: &Option<Vec<_>>, value| list.as_ref().is_none_or(|l| l.contains(&value));
        in_list(&self.housing_forms, location.housing_form)
            && self.designations.as_ref().is_none_or(|l| {
                location
                    .municipal_designation
                    .is_some_and(|d| l.contains(&d))
            })
            && self
                .permit_applied_after
                .is_none_or(|after| location.permit_applied_on.is_some_and(|on| on > after))
            && self
                .permit_applied_on_or_before
                .is_none_or(|until| location.permit_applied_on.is_none_or(|on| on <= until))
            && self.inspected_from.is_none_or(|from| date >= from)
            && self.inspected_until.is_none_or(|until| date <= until)
            && self
                .any_of
                .as_ref()
                .is_none_or(|alternatives| alternatives.iter().any(|a| a.applies(location, date)))
    }

    /// `Ok` when every condition holds, else the first that does not, for a person to read.
    pub fn holds(&self, location: &LocationProfile, date: NaiveDate) -> Result<(), String> {
        if self.applies(location, date) {
            return Ok(());
        }
        if let Some(forms) = &self.housing_forms
            && !forms.contains(&location.housing_form)
        {
            return Err(format!(
                "applies to {}, not to {}",
                join(forms.iter().map(|f| f.to_string())),
                location.housing_form
            ));
        }
        if let Some(designations) = &self.designations {
            match location.municipal_designation {
                Some(d) if designations.contains(&d) => {}
                Some(d) => {
                    return Err(format!(
                        "applies where the municipality designates {}, not {d}",
                        join(designations.iter().map(|d| d.to_string()))
                    ));
                }
                None => {
                    return Err(format!(
                        "applies where the municipality designates {}, and the designation is not known",
                        join(designations.iter().map(|d| d.to_string()))
                    ));
                }
            }
        }
        if let Some(after) = self.permit_applied_after {
            match location.permit_applied_on {
                Some(on) if on > after => {}
                Some(on) => {
                    return Err(format!(
                        "applies to permits applied for after {after}; this one was applied for on {on}"
                    ));
                }
                None => {
                    return Err(format!(
                        "applies to permits applied for after {after}; the permit date is not known"
                    ));
                }
            }
        }
        if let (Some(until), Some(on)) =
            (self.permit_applied_on_or_before, location.permit_applied_on)
            && on > until
        {
            return Err(format!(
                "applies to permits applied for on or before {until}; this one was applied for on {on}"
            ));
        }
        if let Some(from) = self.inspected_from
            && date < from
        {
            return Err(format!("applies from {from}"));
        }
        if let Some(until) = self.inspected_until
            && date > until
        {
            return Err(format!("applied until {until}"));
        }
        if let Some(alternatives) = &self.any_of {
            let reasons: Vec<String> = alternatives
                .iter()
                .filter_map(|a| a.holds(location, date).err())
                .collect();
            if reasons.len() == alternatives.len() {
                return Err(reasons.join("; nor does it meet: "));
            }
        }
        Ok(())
    }
}

fn join(parts: impl Iterator<Item = String>) -> String {
    parts.collect::<Vec<_>>().join(" or ")
}
