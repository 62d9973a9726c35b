//! What the norm needs to know of a location, all of it kept in the register.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
/// The housing forms the SNF norm distinguishes (its table of forms a to e).
pub enum HousingForm {
    RegularDwelling,
    HotelPension,
    BuildingComplexUnits,
    ChaletUnits,
    HolidayPark,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
/// What the municipality's zoning calls the use: living (`wonen`) or lodging (`logies`).
pub enum MunicipalDesignation {
    Wonen,
    Logies,
}

/// The location attributes that decide which rules apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationProfile {
    pub housing_form: HousingForm,
    #[serde(default)]
    pub municipal_designation: Option<MunicipalDesignation>,
    /// When the first building permit was applied for.
    #[serde(default, deserialize_with = "super::model::date::option::deserialize")]
    pub permit_applied_on: Option<NaiveDate>,
    /// Beds on the information card.
    #[serde(default)]
    pub max_beds: Option<u32>,
}
