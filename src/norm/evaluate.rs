//! Evaluation: every applicable item gets a status and a sentence a person can follow, built from
//! the facts and thresholds it used. Nothing stops at the first failure, and nothing panics:
//! an expression that cannot be evaluated leaves its item unanswered, with the reason.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use cel::common::types::{CelBool, CelDouble, CelInt};
use cel::common::value::{CowVal, Val};
use cel::context::VariableResolver;

use super::facts::{Element, FactValue, Facts};
use super::location::LocationProfile;
use super::model::{InspectionKind, Severity, Text};
use super::{Item, NormVersion, Param};

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
    #[schema(value_type = String)]
    pub id: Arc<str>,
    pub status: ItemStatus,
    pub severity: Severity,
    #[schema(value_type = String)]
    pub article: Arc<str>,
    pub title: Text,
    pub explanation: String,
    /// The facts the item read, as given.
    #[schema(value_type = Object)]
    pub facts_used: BTreeMap<String, serde_json::Value>,
    /// The thresholds it applied.
    pub thresholds: BTreeMap<String, Param>,
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
pub(super) fn render(template: &str, value_of: impl Fn(&str) -> Option<cel::Value>) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                let name = &after[..end];
                match value_of(name) {
                    Some(v) => out.push_str(&show(&v)),
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

/// A fact as CEL reads it, held in place rather than boxed.
#[derive(Clone, Copy)]
enum Scalar {
    Int(CelInt),
    Double(CelDouble),
    Bool(CelBool),
}

impl Scalar {
    fn of(value: &FactValue) -> Self {
        match *value {
            FactValue::Integer(v) => Self::Int(CelInt::from(v)),
            FactValue::Number(v) => Self::Double(CelDouble::from(v)),
            FactValue::Boolean(v) => Self::Bool(CelBool::from(v)),
        }
    }

    fn val(&self) -> &dyn Val {
        match self {
            Self::Int(v) => v,
            Self::Double(v) => v,
            Self::Bool(v) => v,
        }
    }
}

/// Variables for the expressions, found by name without copying: CEL asks a resolver before
/// its own maps, so binding a room's fields takes no allocation and no map inserts. A name not
/// bound here (or bound without a value: not given) is looked up in the enclosing variables:
/// an element's fields, then the item's thresholds, then the location's facts. One resolver
/// answers for all three, so CEL never walks its scopes to find a fact.
struct Vars<'a> {
    /// Sorted by length, then name: most comparisons end at the length.
    entries: Vec<(&'a str, Option<Scalar>)>,
    outer: Option<&'a Vars<'a>>,
}

impl<'a> Vars<'a> {
    fn new(mut entries: Vec<(&'a str, Option<Scalar>)>) -> Self {
        entries.sort_by(|a, b| by_length(a.0, b.0));
        Self {
            entries,
            outer: None,
        }
    }

    fn within(self, outer: &'a Vars<'a>) -> Self {
        Self {
            outer: Some(outer),
            ..self
        }
    }

    fn of<'v>(values: impl Iterator<Item = (&'a str, &'v FactValue)>) -> Self {
        Self::new(
            values
                .map(|(name, v)| (name, Some(Scalar::of(v))))
                .collect(),
        )
    }

    /// Identifies the values bound, so that identical rooms or residents (the same furniture
    /// in every sleeping place, say) are judged once. `None` when more are bound than a key
    /// holds: such elements are simply judged each.
    fn key(&self) -> Option<ElementKey> {
        let mut key = [(0, 0); 6];
        if self.entries.len() > key.len() {
            return None;
        }
        for (slot, (_, value)) in key.iter_mut().zip(&self.entries) {
            *slot = match value {
                None => (0, 0),
                Some(Scalar::Int(v)) => (1, **v as u64),
                Some(Scalar::Double(v)) => (2, v.to_bits()),
                Some(Scalar::Bool(v)) => (3, u64::from(**v)),
            };
        }
        Some(key)
    }
}

fn by_length(a: &str, b: &str) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

impl VariableResolver for Vars<'_> {
    fn resolve<'b>(&'b self, variable: &str) -> Option<CowVal<'b, 'b>> {
        let own = self
            .entries
            .binary_search_by(|(name, _)| by_length(name, variable))
            .ok()
            .and_then(|i| self.entries[i].1.as_ref());
        match own {
            Some(value) => Some(CowVal::Borrowed(value.val())),
            None => self.outer?.resolve(variable),
        }
    }
}

/// Derived values by name, as computed for one evaluation.
type Derived<'a> = Vec<(&'a str, cel::Value)>;

/// Runs an item's derived values and check in a child of `root` (CEL's functions) that sees
/// `vars`. `Ok` with whether it is met and the derived values (for the explanation), or why the
/// check could not run.
fn judge<'a>(
    item: &'a Item,
    root: &cel::Context<'_, '_>,
    vars: &Vars<'_>,
) -> Result<(bool, Derived<'a>), String> {
    let mut scope = root.new_inner_scope();
    scope.set_variable_resolver(vars);
    let mut derived = Vec::with_capacity(item.derived.len());
    for (name, program) in &item.derived {
        let value = program
            .execute(&scope)
            .map_err(|e| format!("{name} could not be computed: {e}"))?;
        scope.add_variable_from_value(name.as_str(), value.clone());
        derived.push((name.as_str(), value));
    }
    match item.check.execute(&scope) {
        Ok(cel::Value::Bool(met)) => Ok((met, derived)),
        Ok(other) => Err(format!("the check gave {other:?}, not true or false")),
        Err(e) => Err(format!("the check could not be evaluated: {e}")),
    }
}

/// Location facts as the checks see them: the register's, overridden by what was answered.
type Known<'f> = BTreeMap<&'f str, &'f FactValue>;

/// Finds what an explanation shows, innermost first: derived values, an element's fields, the
/// item's thresholds, the location's facts.
fn lookup(
    name: &str,
    derived: &[(&str, cel::Value)],
    element: Option<&Element>,
    params: &[(&str, &FactValue)],
    known: &Known<'_>,
) -> Option<cel::Value> {
    if let Some((_, v)) = derived.iter().find(|(n, _)| *n == name) {
        return Some(v.clone());
    }
    element
        .and_then(|e| e.get(name))
        .or_else(|| params.iter().find(|(n, _)| *n == name).map(|(_, v)| *v))
        .or_else(|| known.get(name).copied())
        .map(to_cel)
}

/// The values an item reads of an element, by kind and bits.
type ElementKey = [(u8, u64); 6];

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
        let mut known: Known<'_> = register.iter().map(|(k, v)| (k.as_str(), v)).collect();
        known.extend(facts.values.iter().map(|(k, v)| (k.as_str(), v)));
        // The location's facts are bound once; each item binds its thresholds within them.
        let location_vars = Vars::of(known.iter().map(|(k, v)| (*k, *v)));
        let root = cel::Context::with_env(self.env.clone());
        let bound = Bound {
            root: &root,
            location: &location_vars,
            known: &known,
        };
        let items: Vec<ItemVerdict> = self
            .items
            .iter()
            .filter(|item| item.inspection == kind)
            .map(|item| self.evaluate_item(item, location, date, facts, &bound))
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
        bound: &Bound<'_, '_>,
    ) -> ItemVerdict {
        let known = bound.known;
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
            .find(|v| v.when.applies(location, date));
        let mut params = Vec::with_capacity(item.params.len());
        for (name, param) in &item.params {
            let value = variant
                .and_then(|v| v.params.get(name))
                .unwrap_or(&param.value);
            params.push((name.as_str(), value));
            verdict.thresholds.insert(
                name.clone(),
                Param {
                    value: value.clone(),
                    ..param.clone()
                },
            );
        }
        let param_vars = Vars::of(params.iter().copied()).within(bound.location);

        // Facts that are not given stay unbound: a check that does not need them (one behind a
        // condition, such as the service date of gas appliances where there are none) still
        // gives its answer; one that does need them is not answered.
        let mut missing = Vec::new();
        for name in &item.reads {
            match known.get(name.as_str()) {
                Some(value) => {
                    verdict.facts_used.insert(name.clone(), value.to_json());
                }
                None => missing.push(name.clone()),
            }
        }

        let outcome = match &item.per {
            None => match judge(item, bound.root, &param_vars) {
                Ok((met, derived)) => Ok((
                    met,
                    render(&item.explain, |n| lookup(n, &derived, None, &params, known)),
                )),
                Err(_) if !missing.is_empty() => {
                    verdict.missing.append(&mut missing);
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
                    let each = Each {
                        item,
                        collection,
                        elements,
                        root: bound.root,
                        vars: &param_vars,
                        params: &params,
                        known,
                    };
                    match self.evaluate_each(&each, &mut verdict) {
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
                let mut explanation = sentence;
                explanation.push_str(if met { ": pass" } else { ": fail" });
                verdict.explanation = explanation;
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
        each: &Each<'_, '_>,
        verdict: &mut ItemVerdict,
    ) -> Result<(bool, String), String> {
        let Each {
            item,
            collection,
            elements,
            root,
            vars,
            params,
            known,
        } = *each;
        let label = self
            .facts
            .collections
            .get(collection)
            .map_or("element", |c| &*c.element.en);
        let mut short = Vec::new();
        // The item's fields of the element at hand, bound for the expressions.
        let mut own =
            Vars::new(item.reads_each.iter().map(|f| (f.as_str(), None)).collect()).within(vars);
        // The values used, a column per field: {"area_m2": [10.5, 11.0, …], …}.
        let mut used: Vec<Vec<serde_json::Value>> = item
            .reads_each
            .iter()
            .map(|_| Vec::with_capacity(elements.len()))
            .collect();
        let mut judged: BTreeMap<ElementKey, (bool, Derived<'_>)> = BTreeMap::new();
        for (index, element) in elements.iter().enumerate() {
            for ((field, slot), column) in own.entries.iter_mut().zip(&mut used) {
                let value = element.get(*field);
                column.push(value.map_or(serde_json::Value::Null, FactValue::to_json));
                *slot = value.map(Scalar::of);
            }
            let key = own.key();
            let (met, derived) = match key.and_then(|k| judged.get(&k)) {
                Some((met, derived)) => (*met, derived.clone()),
                None => {
                    if let Some(inline) = &item.check_inline {
                        let mut quick = root.new_inner_scope();
                        quick.set_variable_resolver(&own);
                        if let Ok(cel::Value::Bool(true)) = inline.execute(&quick) {
                            if let Some(k) = key {
                                judged.insert(k, (true, Vec::new()));
                            }
                            continue;
                        }
                    }
                    match judge(item, root, &own) {
                        Ok((met, derived)) => {
                            if let Some(k) = key {
                                judged.insert(k, (met, derived.clone()));
                            }
                            (met, derived)
                        }
                        // A field it needs is not answered, or the norm file is at fault.
                        Err(reason) => {
                            let mut missing: Vec<String> = own
                                .entries
                                .iter()
                                .filter(|(_, value)| value.is_none())
                                .map(|(f, _)| format!("{collection}[{index}].{f}"))
                                .collect();
                            if missing.is_empty() {
                                return Err(reason);
                            }
                            missing.sort();
                            verdict.missing.append(&mut missing);
                            continue;
                        }
                    }
                }
            };
            if !met {
                let number = cel::Value::Int(i64::try_from(index).unwrap_or(i64::MAX) + 1);
                short.push(render(&item.explain, |n| match n {
                    "n" => Some(number.clone()),
                    "element" => Some(cel::Value::from(label)),
                    _ => lookup(n, &derived, Some(element), params, known),
                }));
            }
        }
        let columns = own
            .entries
            .iter()
            .map(|(field, _)| (*field).to_owned())
            .zip(used.into_iter().map(serde_json::Value::Array))
            .collect();
        verdict
            .facts_used
            .insert(collection.to_owned(), serde_json::Value::Object(columns));
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

/// What `evaluate_each` works with.
struct Each<'a, 'f> {
    item: &'a Item,
    collection: &'a str,
    elements: &'a [Element],
    root: &'a cel::Context<'a, 'a>,
    /// The item's thresholds, within the location's facts.
    vars: &'a Vars<'a>,
    params: &'a [(&'a str, &'a FactValue)],
    known: &'a Known<'f>,
}

/// What every item of one evaluation reads: CEL's functions, and the location's facts both as
/// the expressions see them and as given.
struct Bound<'a, 'f> {
    root: &'a cel::Context<'a, 'a>,
    location: &'a Vars<'a>,
    known: &'a Known<'f>,
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
                |n| values.iter().find(|(k, _)| *k == n).map(|(_, v)| v.clone())
            ),
            "7 share 7 m² (3.46 each), ok: yes; (not given) {"
        );
    }
}
