//! Facts: what an inspector observed, checked against the scheme's declarations before anything
//! is evaluated. Location facts are top-level keys; room and resident facts are lists of objects
//! under a collection's name.

use std::collections::BTreeMap;

use serde::Serialize;

use super::location::LocationProfile;
use super::model::{FactType, RegisterField, Scope, Text};

/// A declared fact.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FactDecl {
    #[serde(rename = "type")]
    pub fact_type: FactType,
    pub unit: Option<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub help: Text,
    /// Pre-filled from the register.
    pub register: Option<RegisterField>,
}

/// Facts observed per room or per resident.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Collection {
    pub scope: Scope,
    pub element: Text,
    pub help: Text,
    pub max_len: usize,
    pub facts: BTreeMap<String, FactDecl>,
}

/// Every fact a scheme's checks may read.
#[derive(Debug, Default)]
pub struct FactCatalog {
    pub facts: BTreeMap<String, FactDecl>,
    pub collections: BTreeMap<String, Collection>,
}

/// A checked fact value.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum FactValue {
    Integer(i64),
    Number(f64),
    Boolean(bool),
}

impl FactValue {
    pub fn to_json(&self) -> serde_json::Value {
        match *self {
            FactValue::Integer(v) => v.into(),
            FactValue::Number(v) => {
                serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, Into::into)
            }
            FactValue::Boolean(v) => v.into(),
        }
    }
}

/// One room or resident.
pub type Element = BTreeMap<String, FactValue>;

/// Facts that passed their declarations: every value has its declared type and lies in bounds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    pub values: BTreeMap<String, FactValue>,
    pub lists: BTreeMap<String, Vec<Element>>,
}

/// What is wrong with one fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FactError {
    /// Path of the fact, e.g. `toilets` or `bedrooms[2].area_m2`.
    pub fact: String,
    /// `unknown_fact`, `wrong_type`, `below_minimum`, `above_maximum`, `not_a_list`,
    /// `too_many`, `not_an_object` or `not_an_object_of_facts`.
    pub code: String,
    pub message: String,
}

impl FactError {
    fn new(fact: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Self {
            fact: fact.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}

fn type_name(t: FactType) -> &'static str {
    match t {
        FactType::Integer => "a whole number",
        FactType::Number => "a number",
        FactType::Boolean => "true or false",
    }
}

/// Checks one value against its declaration.
fn check_value(
    path: &str,
    decl: &FactDecl,
    value: &serde_json::Value,
) -> Result<FactValue, FactError> {
    let wrong = || {
        FactError::new(
            path,
            "wrong_type",
            format!("must be {}, not {value}", type_name(decl.fact_type)),
        )
    };
    let checked = match decl.fact_type {
        FactType::Boolean => FactValue::Boolean(value.as_bool().ok_or_else(wrong)?),
        FactType::Integer => FactValue::Integer(value.as_i64().ok_or_else(wrong)?),
        FactType::Number => {
            let number = value.as_f64().filter(|n| n.is_finite()).ok_or_else(wrong)?;
            FactValue::Number(number)
        }
    };
    let numeric = match checked {
        FactValue::Integer(v) => Some(v as f64),
        FactValue::Number(v) => Some(v),
        FactValue::Boolean(_) => None,
    };
    if let Some(n) = numeric {
        let unit = decl
            .unit
            .as_deref()
            .map_or(String::new(), |u| format!(" {u}"));
        if let Some(min) = decl.min.filter(|min| n < *min) {
            return Err(FactError::new(
                path,
                "below_minimum",
                format!("must be at least {min}{unit}, not {n}"),
            ));
        }
        if let Some(max) = decl.max.filter(|max| n > *max) {
            return Err(FactError::new(
                path,
                "above_maximum",
                format!("must be at most {max}{unit}, not {n}"),
            ));
        }
    }
    Ok(checked)
}

impl FactCatalog {
    /// Checks every fact, collecting every problem. `null` means "not answered" and is left out.
    pub fn validate(&self, facts: &serde_json::Value) -> Result<Facts, Vec<FactError>> {
        let mut errors = Vec::new();
        let mut checked = Facts::default();
        let Some(object) = facts.as_object() else {
            return Err(vec![FactError::new(
                "facts",
                "not_an_object",
                "facts must be a JSON object of fact names and values",
            )]);
        };
        for (name, value) in object {
            if value.is_null() {
                continue;
            }
            if let Some(decl) = self.facts.get(name) {
                match check_value(name, decl, value) {
                    Ok(v) => {
                        checked.values.insert(name.clone(), v);
                    }
                    Err(e) => errors.push(e),
                }
            } else if let Some(collection) = self.collections.get(name) {
                match self.validate_list(name, collection, value) {
                    Ok(list) => {
                        checked.lists.insert(name.clone(), list);
                    }
                    Err(mut e) => errors.append(&mut e),
                }
            } else {
                errors.push(FactError::new(
                    name,
                    "unknown_fact",
                    "this norm asks no such fact",
                ));
            }
        }
        if errors.is_empty() {
            Ok(checked)
        } else {
            Err(errors)
        }
    }

    fn validate_list(
        &self,
        name: &str,
        collection: &Collection,
        value: &serde_json::Value,
    ) -> Result<Vec<Element>, Vec<FactError>> {
        let Some(items) = value.as_array() else {
            return Err(vec![FactError::new(
                name,
                "not_a_list",
                format!("must be a list, one entry per {}", collection.element.en),
            )]);
        };
        if items.len() > collection.max_len {
            return Err(vec![FactError::new(
                name,
                "too_many",
                format!("at most {} entries", collection.max_len),
            )]);
        }
        let mut errors = Vec::new();
        let mut list = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let Some(fields) = item.as_object() else {
                errors.push(FactError::new(
                    format!("{name}[{index}]"),
                    "not_an_object_of_facts",
                    format!("each {} is an object of facts", collection.element.en),
                ));
                continue;
            };
            let mut element = Element::new();
            for (field, value) in fields {
                let path = format!("{name}[{index}].{field}");
                if value.is_null() {
                    continue;
                }
                match collection.facts.get(field) {
                    Some(decl) => match check_value(&path, decl, value) {
                        Ok(v) => {
                            element.insert(field.clone(), v);
                        }
                        Err(e) => errors.push(e),
                    },
                    None => errors.push(FactError::new(
                        path,
                        "unknown_fact",
                        "this norm asks no such fact",
                    )),
                }
            }
            list.push(element);
        }
        if errors.is_empty() {
            Ok(list)
        } else {
            Err(errors)
        }
    }

    /// The facts the register already knows for this location.
    pub fn from_register(&self, location: &LocationProfile) -> BTreeMap<String, FactValue> {
        self.facts
            .iter()
            .filter_map(|(name, decl)| {
                let value = match decl.register? {
                    RegisterField::MaxBeds => FactValue::Integer(i64::from(location.max_beds?)),
                };
                Some((name.clone(), value))
            })
            .collect()
    }
}
