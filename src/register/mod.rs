//! The register: housing providers and their locations, inspection bodies and agencies.
//!
//! This file holds the records and the rules their fields follow; `store` reads and writes them.

pub mod store;

use std::borrow::Cow;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

use crate::db::schema::{agencies, inspection_bodies, providers};
pub use crate::norm::{HousingForm, MunicipalDesignation};
use crate::time::utc;

// ---- field rules -------------------------------------------------------------------------------

fn invalid(code: &'static str, message: &'static str) -> ValidationError {
    ValidationError::new(code).with_message(Cow::Borrowed(message))
}

/// A KvK (Chamber of Commerce) number: exactly eight digits.
pub fn validate_kvk(value: &str) -> Result<(), ValidationError> {
    if value.len() == 8 && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(invalid("kvk_format", "a KvK number is exactly 8 digits"))
    }
}

/// A Dutch postcode, written as `1234 AB`: four digits not starting with 0, two letters, and
/// never SA, SD or SS (not issued). Accepts lower case and a missing space.
pub fn normalise_postcode(value: &str) -> Option<String> {
    let compact: String = value.chars().filter(|c| *c != ' ').collect();
    let bytes = compact.as_bytes();
    if bytes.len() != 6 {
        return None;
    }
    let (digits, letters) = bytes.split_at(4);
    let letters = letters.to_ascii_uppercase();
    let ok = digits[0] != b'0'
        && digits.iter().all(u8::is_ascii_digit)
        && letters.iter().all(u8::is_ascii_uppercase)
        && !matches!(&letters[..], b"SA" | b"SD" | b"SS");
    ok.then(|| format!("{} {}", &compact[..4], String::from_utf8_lossy(&letters)))
}

pub fn validate_postcode(value: &str) -> Result<(), ValidationError> {
    match normalise_postcode(value) {
        Some(_) => Ok(()),
        None => Err(invalid(
            "postcode_format",
            "a Dutch postcode is four digits and two letters, e.g. 1234 AB",
        )),
    }
}

/// A house number as the BAG writes it: a number from 1 to 99999, then an optional letter or
/// addition (`12`, `12A`, `12-3`, `12 bis`).
pub fn validate_house_number(value: &str) -> Result<(), ValidationError> {
    let digits = value.bytes().take_while(u8::is_ascii_digit).count();
    let ok = (1..=5).contains(&digits)
        && !value.starts_with('0')
        && value.len() <= 20
        && value[digits..]
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '/'));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "house_number_format",
            "a house number starts with a number from 1 to 99999, e.g. 12, 12A or 12-3",
        ))
    }
}

/// A BAG identifier (of the dwelling or the address): 16 digits.
pub fn validate_bag_id(value: &str) -> Result<(), ValidationError> {
    if value.len() == 16 && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(invalid("bag_id_format", "a BAG id is 16 digits"))
    }
}

fn validate_bag_patch(value: &Patch<String>) -> Result<(), ValidationError> {
    match value {
        Patch::Set(v) => validate_bag_id(v),
        _ => Ok(()),
    }
}

/// A field of a PATCH body: absent (keep what is there), `null` (clear it) or a value (set it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Patch<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(d)? {
            None => Patch::Clear,
            Some(v) => Patch::Set(v),
        })
    }
}

/// Needed by validator, which quotes the value in its errors.
impl<T: Serialize> Serialize for Patch<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Patch::Set(v) => v.serialize(s),
            Patch::Keep | Patch::Clear => s.serialize_none(),
        }
    }
}

impl<T> Patch<T> {
    /// The new value of a nullable column, or `None` to leave it.
    pub fn into_change(self) -> Option<Option<T>> {
        match self {
            Patch::Keep => None,
            Patch::Clear => Some(None),
            Patch::Set(v) => Some(Some(v)),
        }
    }
}

// ---- providers ---------------------------------------------------------------------------------

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, ToSchema)]
#[diesel(table_name = providers)]
pub struct Provider {
    pub id: String,
    #[schema(example = "12345678")]
    pub kvk_number: String,
    pub name: String,
    pub contact_email: String,
    #[serde(with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProvider {
    #[validate(custom(function = "validate_kvk"))]
    #[schema(example = "12345678")]
    pub kvk_number: String,
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    pub name: String,
    #[validate(email(message = "is not an e-mail address"), length(max = 254))]
    pub contact_email: String,
}

#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderChanges {
    /// Only an admin may correct the KvK number.
    #[validate(custom(function = "validate_kvk"))]
    pub kvk_number: Option<String>,
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    pub name: Option<String>,
    #[validate(email(message = "is not an e-mail address"), length(max = 254))]
    pub contact_email: Option<String>,
}

// ---- locations ---------------------------------------------------------------------------------

/// Whether the provider is first responsible for a location (it is inspected) or only
/// co-interested (it is reported, not inspected again).
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
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
pub enum Responsibility {
    #[default]
    FirstResponsible,
    CoInterested,
}

#[derive(Debug, Clone, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    pub street: String,
    #[validate(custom(function = "validate_house_number"))]
    #[schema(example = "12A")]
    pub house_number: String,
    #[validate(custom(function = "validate_postcode"))]
    #[schema(example = "1234 AB")]
    pub postcode: String,
    #[validate(length(min = 1, max = 100, message = "must be 1 to 100 characters"))]
    pub city: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Location {
    pub id: String,
    pub provider_id: String,
    pub address: Address,
    pub bag_id: Option<String>,
    pub housing_form: HousingForm,
    pub municipal_designation: Option<MunicipalDesignation>,
    pub permit_applied_on: Option<NaiveDate>,
    pub max_beds: u32,
    pub responsibility: Responsibility,
    #[serde(with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
}

impl Location {
    /// What the norm needs to know of this location.
    pub fn profile(&self) -> crate::norm::LocationProfile {
        crate::norm::LocationProfile {
            housing_form: self.housing_form,
            municipal_designation: self.municipal_designation,
            permit_applied_on: self.permit_applied_on,
            max_beds: Some(self.max_beds),
        }
    }
}

pub const MAX_BEDS: u32 = 5000;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLocation {
    #[validate(nested)]
    pub address: Address,
    #[validate(custom(function = "validate_bag_id"))]
    pub bag_id: Option<String>,
    pub housing_form: HousingForm,
    /// What the municipality's zoning calls the use: `wonen` (living) or `logies` (lodging).
    pub municipal_designation: Option<MunicipalDesignation>,
    /// When the first building permit was applied for (decides the rules for new builds).
    pub permit_applied_on: Option<NaiveDate>,
    /// The number of beds on the information card.
    #[validate(range(min = 1, max = 5000, message = "must be 1 to 5000"))]
    pub max_beds: u32,
    #[serde(default)]
    pub responsibility: Responsibility,
}

#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationChanges {
    #[validate(nested)]
    pub address: Option<Address>,
    #[serde(default)]
    #[validate(custom(function = "validate_bag_patch"))]
    #[schema(value_type = Option<String>)]
    pub bag_id: Patch<String>,
    pub housing_form: Option<HousingForm>,
    #[serde(default)]
    #[schema(value_type = Option<MunicipalDesignation>)]
    pub municipal_designation: Patch<MunicipalDesignation>,
    #[serde(default)]
    #[schema(value_type = Option<NaiveDate>)]
    pub permit_applied_on: Patch<NaiveDate>,
    #[validate(range(min = 1, max = 5000, message = "must be 1 to 5000"))]
    pub max_beds: Option<u32>,
    pub responsibility: Option<Responsibility>,
}

// ---- inspection bodies and agencies ----------------------------------------------------------

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, ToSchema)]
#[diesel(table_name = inspection_bodies)]
pub struct InspectionBody {
    pub id: String,
    pub name: String,
    /// The accreditation (ISO/IEC 17020) number given by the accreditation council.
    pub accreditation_number: String,
    #[serde(with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInspectionBody {
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    pub name: String,
    #[validate(length(min = 1, max = 50, message = "must be 1 to 50 characters"))]
    pub accreditation_number: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InspectionBodyChanges {
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    pub name: Option<String>,
    #[validate(length(min = 1, max = 50, message = "must be 1 to 50 characters"))]
    pub accreditation_number: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, ToSchema)]
#[diesel(table_name = agencies)]
pub struct Agency {
    pub id: String,
    pub kvk_number: String,
    pub name: String,
    pub contact_email: String,
    /// Member of the ABU (the staffing agencies' association).
    pub abu_member: bool,
    #[serde(with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgency {
    #[validate(custom(function = "validate_kvk"))]
    pub kvk_number: String,
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    pub name: String,
    #[validate(email(message = "is not an e-mail address"), length(max = 254))]
    pub contact_email: String,
    #[serde(default)]
    pub abu_member: bool,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgencyChanges {
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    pub name: Option<String>,
    #[validate(email(message = "is not an e-mail address"), length(max = 254))]
    pub contact_email: Option<String>,
    pub abu_member: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kvk_numbers() {
        assert!(validate_kvk("12345678").is_ok());
        assert!(validate_kvk("01234567").is_ok());
        for bad in [
            "1234567",
            "123456789",
            "1234567a",
            "",
            "1234 5678",
            "１２３４５６７８",
        ] {
            assert!(validate_kvk(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn postcodes() {
        assert_eq!(normalise_postcode("1234 AB").as_deref(), Some("1234 AB"));
        assert_eq!(normalise_postcode("1234ab").as_deref(), Some("1234 AB"));
        assert_eq!(normalise_postcode("9999 ZZ").as_deref(), Some("9999 ZZ"));
        for bad in [
            "0123 AB", "123 AB", "12345 AB", "1234 A", "1234 A1", "1234 SA", "1234 sd", "1234 SS",
            "", "ABCD 12", "1234 ÄB",
        ] {
            assert_eq!(normalise_postcode(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn house_numbers() {
        for good in ["1", "12", "12A", "12-3", "12 bis", "99999", "7/2"] {
            assert!(validate_house_number(good).is_ok(), "{good:?}");
        }
        for bad in [
            "",
            "0",
            "012",
            "A12",
            "123456",
            "12;drop",
            "1 this is far too long x",
        ] {
            assert!(validate_house_number(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn bag_ids() {
        assert!(validate_bag_id("0363010000123456").is_ok());
        assert!(validate_bag_id("036301000012345").is_err());
        assert!(validate_bag_id("03630100001234567").is_err());
        assert!(validate_bag_id("036301000012345x").is_err());
    }

    #[test]
    fn patch_fields() {
        #[derive(Deserialize)]
        struct Body {
            #[serde(default)]
            bag_id: Patch<String>,
        }
        let keep: Body = serde_json::from_str("{}").unwrap();
        let clear: Body = serde_json::from_str(r#"{"bag_id":null}"#).unwrap();
        let set: Body = serde_json::from_str(r#"{"bag_id":"x"}"#).unwrap();
        assert_eq!(keep.bag_id, Patch::Keep);
        assert_eq!(clear.bag_id, Patch::Clear);
        assert_eq!(set.bag_id, Patch::Set("x".into()));
    }
}
