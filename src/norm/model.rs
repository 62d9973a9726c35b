//! The rule files as written: what serde reads from `norms/<scheme>/…`. Every table refuses keys
//! it does not know, so a typo in a norm file is an error, not a silently ignored rule.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::location::{HousingForm, MunicipalDesignation};

/// Dates written as TOML dates (`2025-07-01`) or as strings (`"2025-07-01"`, as JSON has them).
pub mod date {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        Text(String),
        Toml(toml::value::Datetime),
    }

    fn parse<E: serde::de::Error>(written: Written) -> Result<NaiveDate, E> {
        let text = match written {
            Written::Text(t) => t,
            Written::Toml(d) => d.to_string(),
        };
        NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .map_err(|e| E::custom(format!("{text:?} is not a date (YYYY-MM-DD): {e}")))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        parse(Written::deserialize(d)?)
    }

    pub mod option {
        use super::*;

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
            Option::<Written>::deserialize(d)?.map(parse).transpose()
        }
    }
}

/// A text in Dutch and English. Shared, not copied, into every verdict that shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Text {
    #[schema(value_type = String)]
    pub nl: std::sync::Arc<str>,
    #[schema(value_type = String)]
    pub en: std::sync::Arc<str>,
}

/// `norms/<scheme>/scheme.toml`: the scheme and every fact its checks may read.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemeFile {
    pub scheme: String,
    pub name: Text,
    /// Who publishes it.
    pub owner: String,
    /// Sources, by key (`S14 = "normecgroup.com …"`), referred to from parameters and items.
    #[serde(default)]
    pub sources: BTreeMap<String, String>,
    #[serde(default)]
    pub fact: BTreeMap<String, FactFile>,
    #[serde(default)]
    pub collection: BTreeMap<String, CollectionFile>,
    /// How certificates under the scheme are issued.
    pub certificate: CertificateTerms,
}

/// The terms of a scheme's certificates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificateTerms {
    /// How long a certificate is valid, in months from its first day.
    pub validity_months: u32,
    /// How many days before the end of a certificate its successor may be issued: the window
    /// of the yearly administrative inspection.
    pub renewal_window_days: u32,
    /// Key of the source the terms come from.
    pub source: String,
    /// False while no readable source confirms the terms.
    pub confirmed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FactType {
    Integer,
    Number,
    Boolean,
}

/// Where a fact is observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Once for the location (or the organisation, at an administrative inspection).
    Location,
    /// For every room of a collection, e.g. every bedroom.
    Room,
    /// For every resident.
    Resident,
}

/// A location attribute the register already knows, used to pre-fill a fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RegisterField {
    MaxBeds,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactFile {
    #[serde(rename = "type")]
    pub fact_type: FactType,
    pub unit: Option<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub help: Text,
    /// Pre-filled from the register rather than asked.
    pub register: Option<RegisterField>,
}

/// Facts observed per room or per resident, answered as a list of objects.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectionFile {
    pub scope: Scope,
    /// What one element is called in explanations ("bedroom", "resident").
    pub element: Text,
    pub help: Text,
    /// At most this many elements.
    pub max_len: usize,
    pub fact: BTreeMap<String, FactFile>,
}

/// `norms/<scheme>/<valid_from>.toml`: one version of the scheme.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionFile {
    pub scheme: String,
    pub version: String,
    pub title: Text,
    #[serde(with = "date")]
    pub valid_from: NaiveDate,
    /// The last day it is in force; open when absent.
    #[serde(default, deserialize_with = "date::option::deserialize")]
    pub valid_to: Option<NaiveDate>,
    pub supersedes: Option<String>,
    /// What changed from the version it supersedes, with its sources.
    pub changes: String,
    /// Locations this version is for (e.g. year-round housing); all when absent.
    pub applies_when: Option<Applicability>,
    /// Start from the items of this (earlier) version: an item here with the same id replaces
    /// one there, a new id is added, and `removed` drops items. Without it the file is whole.
    pub base: Option<String>,
    #[serde(default)]
    pub removed: Vec<String>,
    #[serde(default, rename = "item")]
    pub items: Vec<ItemFile>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InspectionKind {
    /// Items checked at a location.
    #[default]
    Location,
    /// Items checked at the organisation's yearly administrative inspection.
    Administrative,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Major,
    Minor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClosedBy {
    /// A repair letter with evidence (photos, invoices), accepted by the inspection body.
    RepairLetter,
    /// Only a re-inspection that finds it repaired.
    Reinspection,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    Photo,
    Measurement,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Repair {
    /// Days from the inspection to repair a failure.
    pub term_days: u32,
    pub closed_by: ClosedBy,
    pub source: String,
    pub confirmed: bool,
}

/// When an item (or a variant of it) applies. Every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Applicability {
    /// The location has one of these housing forms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub housing_forms: Option<Vec<HousingForm>>,
    /// The municipality designates the location so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub designations: Option<Vec<MunicipalDesignation>>,
    /// The first building permit was applied for after this date.
    #[serde(
        default,
        deserialize_with = "date::option::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub permit_applied_after: Option<NaiveDate>,
    /// The first building permit was applied for on or before this date (or is unknown).
    #[serde(
        default,
        deserialize_with = "date::option::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub permit_applied_on_or_before: Option<NaiveDate>,
    /// The inspection takes place on or after this date.
    #[serde(
        default,
        deserialize_with = "date::option::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub inspected_from: Option<NaiveDate>,
    /// The inspection takes place on or before this date.
    #[serde(
        default,
        deserialize_with = "date::option::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub inspected_until: Option<NaiveDate>,
    /// At least one of these holds (besides every condition above).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(no_recursion)]
    pub any_of: Option<Vec<Applicability>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Param {
    /// A number (integers are written without a decimal point).
    pub value: toml::Value,
    pub unit: String,
    pub source: String,
    pub confirmed: bool,
}

/// Other parameter values where a condition holds; the first variant that applies wins.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantFile {
    pub when: Applicability,
    pub note: String,
    pub params: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemFile {
    /// The norm's own number.
    pub id: String,
    pub article: String,
    pub title: Text,
    pub severity: Severity,
    #[serde(default)]
    pub inspection: InspectionKind,
    pub source: String,
    #[serde(default)]
    pub applies_when: Applicability,
    pub repair: Repair,
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    #[serde(default)]
    pub params: BTreeMap<String, Param>,
    #[serde(default, rename = "variant")]
    pub variants: Vec<VariantFile>,
    /// Evaluate the check for every element of this collection (every bedroom, every resident).
    pub per: Option<String>,
    /// Named intermediate values (CEL), in order; each may use the ones before it.
    #[serde(default)]
    pub derive: Vec<Derived>,
    /// The requirement (CEL), true when met.
    pub check: String,
    /// The explanation, with `{name}` for any fact, parameter or derived value.
    pub explain: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Derived {
    pub name: String,
    pub expr: String,
}

/// `norms/<scheme>/cases/*.toml`: test cases shipped with the norm.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CasesFile {
    #[serde(rename = "case")]
    pub cases: Vec<CaseFile>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    pub name: String,
    #[serde(deserialize_with = "date::deserialize")]
    pub date: NaiveDate,
    #[serde(default)]
    pub inspection: InspectionKind,
    pub location: super::location::LocationProfile,
    pub facts: toml::Table,
    /// Expected status per item id.
    pub expect: BTreeMap<String, String>,
    /// Expected overall result, when the case states it.
    pub result: Option<String>,
}
