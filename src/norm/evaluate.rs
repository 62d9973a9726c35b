//! Evaluation: every applicable item gets a status and a sentence a person can follow, built from
//! the facts and thresholds it used. Nothing stops at the first failure, and nothing panics:
//! an expression that cannot be evaluated leaves its item unanswered, with the reason.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::facts::{Element, FactValue, Facts};
use super::location::LocationProfile;
use super::model::{InspectionKind, Severity, Text};
use super::{Item, NormVersion};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
    /// Some applicable item is not answered.
    Incomplete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    Pass,
    Fail,
    NotApplicable,
    NotAnswered,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ItemVerdict {
    pub id: String,
    pub status: ItemStatus,
    pub severity: Severity,
    pub article: String,
    pub title: Text,
    pub explanation: String,
    /// The facts the item read, as given.
    #[schema(value_type = Object)]
    pub facts_used: BTreeMap<String, serde_json::Value>,
    /// The thresholds it applied: `{value, unit, confirmed, source}` each.
    #[schema(value_type = Object)]
    pub thresholds: BTreeMap<String, serde_json::Value>,
    /// The facts it still needs, when not answered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
}

/// The judgement of one inspection under one norm version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Verdict {
    pub scheme: String,
    pub version: String,
    pub norm_hash: String,
    pub inspection: InspectionKind,
    pub date: NaiveDate,
    pub result: Outcome,
    pub items: Vec<ItemVerdict>,
    /// Every fact that is still needed, when incomplete.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
}

impl Verdict {
    pub fn failed(&self) -> impl Iterator<Item = &ItemVerdict> {
        self.items.iter().filter(|i| i.status == ItemStatus::Fail)
    }
}

fn to_cel(value: &FactValue) -> cel::Value {
    match *value {
        FactValue::Integer(v) => cel::Value::Int(v),
        FactValue::Number(v) => cel::Value::Float(v),
        FactValue::Boolean(v) => cel::Value::Bool(v),
    }
}

/// A value as it reads in an explanation: `7`, `3.5`, `yes`.
fn show(value: &cel::Value) -> String {
    match value {
        cel::Value::Int(v) => v.to_string(),
        cel::Value::UInt(v) => v.to_string(),
        cel::Value::Float(v) => {
            let rounded = (v * 100.0).round() / 100.0;
            format!("{rounded}")
        }
        cel::Value::Bool(true) => "yes".into(),
        cel::Value::Bool(false) => "no".into(),
        cel::Value::String(s) => s.to_string(),
        other => format!("{other:?}"),
    }
}

/// Fills `{name}` from `values`. A fact the check did not need (one behind a condition that was
/// not met) may be absent: it reads "(not given)". The loader refuses names no check uses.
pub(super) fn render(template: &str, values: &[(&str, cel::Value)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                let name = &after[..end];
                match values.iter().rev().find(|(n, _)| *n == name) {
                    Some((_, v)) => out.push_str(&show(v)),
                    None => out.push_str("(not given)"),
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The values bound for one evaluation of an item (or of one element of it).
struct Bindings<'a> {
    values: Vec<(&'a str, cel::Value)>,
}

impl<'a> Bindings<'a> {
    fn context(&self, env: &std::sync::Arc<cel::Env>) -> cel::Context<'static, 'static> {
        let mut context = cel::Context::with_env(env.clone());
        for (name, value) in &self.values {
            context.add_variable_from_value(*name, value.clone());
        }
        context
    }

    /// Adds the derived values, then runs the check: `Ok(met)` or why it could not run.
    fn run(&mut self, item: &'a Item, env: &std::sync::Arc<cel::Env>) -> Result<bool, String> {
        let mut context = self.context(env);
        for (name, program) in &item.derived {
            let value = program
                .execute(&context)
                .map_err(|e| format!("{name} could not be computed: {e}"))?;
            context.add_variable_from_value(name.as_str(), value.clone());
            self.values.push((name.as_str(), value));
        }
        match item.check.execute(&context) {
            Ok(cel::Value::Bool(met)) => Ok(met),
            Ok(other) => Err(format!("the check gave {other:?}, not true or false")),
            Err(e) => Err(format!("the check could not be evaluated: {e}")),
        }
    }
}

impl NormVersion {
    /// Judges `facts` for an inspection of `kind` on `date`. Items of the other inspection kind
    /// are left out; every other item gets a status.
    pub fn evaluate(
        &self,
        location: &LocationProfile,
        date: NaiveDate,
        kind: InspectionKind,
        facts: &Facts,
    ) -> Verdict {
        let register = self.facts.from_register(location);
        let items: Vec<ItemVerdict> = self
            .items
            .iter()
            .filter(|item| item.inspection == kind)
            .map(|item| self.evaluate_item(item, location, date, facts, &register))
            .collect();
        let mut missing: Vec<String> = items
            .iter()
            .flat_map(|i| i.missing.iter().cloned())
            .collect();
        missing.sort();
        missing.dedup();
        let result = if items.iter().any(|i| i.status == ItemStatus::NotAnswered) {
            Outcome::Incomplete
        } else if items.iter().any(|i| i.status == ItemStatus::Fail) {
            Outcome::Fail
        } else {
            Outcome::Pass
        };
        Verdict {
            scheme: self.scheme.clone(),
            version: self.version.clone(),
            norm_hash: self.hash.clone(),
            inspection: kind,
            date,
            result,
            items,
            missing,
        }
    }

    fn evaluate_item(
        &self,
        item: &Item,
        location: &LocationProfile,
        date: NaiveDate,
        facts: &Facts,
        register: &BTreeMap<String, FactValue>,
    ) -> ItemVerdict {
        let mut verdict = ItemVerdict {
            id: item.id.clone(),
            status: ItemStatus::NotApplicable,
            severity: item.severity,
            article: item.article.clone(),
            title: item.title.clone(),
            explanation: String::new(),
            facts_used: BTreeMap::new(),
            thresholds: BTreeMap::new(),
            missing: Vec::new(),
        };
        if let Err(reason) = item.applies_when.holds(location, date) {
            verdict.explanation = format!("does not apply: {reason}");
            return verdict;
        }

        let variant = item
            .variants
            .iter()
            .find(|v| v.when.holds(location, date).is_ok());
        let mut bindings = Bindings { values: Vec::new() };
        for (name, param) in &item.params {
            let value = variant
                .and_then(|v| v.params.get(name))
                .unwrap_or(&param.value);
            bindings.values.push((name.as_str(), to_cel(value)));
            verdict.thresholds.insert(
                name.clone(),
                serde_json::json!({
                    "value": value.to_json(),
                    "unit": param.unit,
                    "confirmed": param.confirmed,
                    "source": param.source,
                }),
            );
        }

        // Facts that are not given stay unbound: a check that does not need them (one behind a
        // condition, such as the service date of gas appliances where there are none) still
        // gives its answer; one that does need them is not answered.
        let mut missing = Vec::new();
        for name in &item.reads {
            match facts.values.get(name).or_else(|| register.get(name)) {
                Some(value) => {
                    verdict.facts_used.insert(name.clone(), value.to_json());
                    bindings.values.push((name.as_str(), to_cel(value)));
                }
                None => missing.push(name.clone()),
            }
        }

        let outcome = match &item.per {
            None => match bindings.run(item, &self.env) {
                Ok(met) => Ok((met, render(&item.explain, &bindings.values))),
                Err(_) if !missing.is_empty() => {
                    verdict.missing = missing;
                    Ok((false, String::new()))
                }
                Err(reason) => Err(reason),
            },
            Some(collection) => match facts.lists.get(collection) {
                None => {
                    verdict.missing.push(collection.clone());
                    Ok((false, String::new()))
                }
                Some(elements) => {
                    match self.evaluate_each(item, collection, elements, &bindings, &mut verdict) {
                        Err(_) if !missing.is_empty() => {
                            verdict.missing.append(&mut missing);
                            Ok((false, String::new()))
                        }
                        other => other,
                    }
                }
            },
        };

        match outcome {
            _ if !verdict.missing.is_empty() => {
                verdict.status = ItemStatus::NotAnswered;
                verdict.explanation =
                    format!("not answered: {} still needed", verdict.missing.join(", "));
            }
            Ok((met, sentence)) => {
                verdict.status = if met {
                    ItemStatus::Pass
                } else {
                    ItemStatus::Fail
                };
                verdict.explanation = format!("{sentence}: {}", if met { "pass" } else { "fail" });
            }
            Err(reason) => {
                verdict.status = ItemStatus::NotAnswered;
                verdict.explanation =
                    format!("could not be evaluated ({reason}); the norm file needs correcting");
                verdict.missing.push(format!("{} (norm error)", item.id));
            }
        }
        verdict
    }

    /// Runs the check for every element; the sentence names each one that falls short.
    fn evaluate_each(
        &self,
        item: &Item,
        collection: &str,
        elements: &[Element],
        shared: &Bindings<'_>,
        verdict: &mut ItemVerdict,
    ) -> Result<(bool, String), String> {
        let label = self
            .facts
            .collections
            .get(collection)
            .map_or("element", |c| c.element.en.as_str());
        let mut short = Vec::new();
        let mut used = Vec::with_capacity(elements.len());
        for (index, element) in elements.iter().enumerate() {
            let mut bindings = Bindings {
                values: shared.values.clone(),
            };
            let mut fields = serde_json::Map::new();
            let mut missing = Vec::new();
            for field in &item.reads_each {
                match element.get(field) {
                    Some(value) => {
                        fields.insert(field.clone(), value.to_json());
                        bindings.values.push((field.as_str(), to_cel(value)));
                    }
                    None => missing.push(format!("{collection}[{index}].{field}")),
                }
            }
            used.push(serde_json::Value::Object(fields));
            let met = match bindings.run(item, &self.env) {
                Ok(met) => met,
                Err(_) if !missing.is_empty() => {
                    verdict.missing.append(&mut missing);
                    continue;
                }
                Err(reason) => return Err(reason),
            };
            if !met {
                let number = cel::Value::Int(i64::try_from(index).unwrap_or(i64::MAX) + 1);
                bindings.values.push(("n", number));
                bindings.values.push(("element", cel::Value::from(label)));
                short.push(render(&item.explain, &bindings.values));
            }
        }
        verdict
            .facts_used
            .insert(collection.to_owned(), serde_json::Value::Array(used));
        let count = elements.len();
        let plural = if count == 1 { "" } else { "s" };
        if short.is_empty() {
            return Ok((
                true,
                match count {
                    0 => format!("no {label}s to check"),
                    _ => format!("each of the {count} {label}{plural} meets it"),
                },
            ));
        }
        let mut sentence = format!("{} of {count} {label}{plural} fall short: ", short.len());
        for (i, s) in short.iter().enumerate() {
            if i > 0 {
                sentence.push_str("; ");
            }
            let _ = write!(sentence, "{s}");
        }
        Ok((false, sentence))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_values_plainly() {
        let values = [
            ("residents", cel::Value::Int(7)),
            ("area", cel::Value::Float(7.0)),
            ("per", cel::Value::Float(3.456)),
            ("ok", cel::Value::Bool(true)),
        ];
        assert_eq!(
            render(
                "{residents} share {area} m² ({per} each), ok: {ok}; {unknown} {",
                &values
            ),
            "7 share 7 m² (3.46 each), ok: yes; (not given) {"
        );
    }
}
