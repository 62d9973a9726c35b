//! The checklist of an inspection, derived from the items that apply: one question per fact
//! those items read, in the order the items come, with what the register already knows filled in.

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::NormVersion;
use super::facts::FactDecl;
use super::location::LocationProfile;
use super::model::{FactType, InspectionKind, Scope, Text};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Checklist {
    pub scheme: String,
    pub version: String,
    pub norm_hash: String,
    pub inspection: InspectionKind,
    pub date: NaiveDate,
    pub questions: Vec<Question>,
}

/// One question: a location fact, or a list of rooms or residents with their fields.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Question {
    /// The key of the answer: a fact name, or a collection name for a list.
    pub id: String,
    pub scope: Scope,
    pub help: Text,
    /// For a location fact: its type, unit and bounds.
    #[serde(flatten)]
    pub field: Option<Field>,
    /// For a list: what one element is, and its fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub element: Option<Text>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<NamedField>,
    /// The items that read it.
    pub items: Vec<String>,
    /// What the register already knows.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    pub prefilled: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Field {
    #[serde(rename = "type")]
    pub fact_type: FactType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NamedField {
    pub id: String,
    #[serde(flatten)]
    pub field: Field,
    pub help: Text,
}

fn field(decl: &FactDecl) -> Field {
    Field {
        fact_type: decl.fact_type,
        unit: decl.unit.clone(),
        min: decl.min,
        max: decl.max,
    }
}

impl Checklist {
    /// Every question id, in order.
    pub fn question_ids(&self) -> impl Iterator<Item = &str> {
        self.questions.iter().map(|q| q.id.as_str())
    }
}

impl NormVersion {
    /// The questions for an inspection of `kind` at `location` on `date`.
    pub fn checklist(
        &self,
        location: &LocationProfile,
        date: NaiveDate,
        kind: InspectionKind,
    ) -> Checklist {
        let register = self.facts.from_register(location);
        let mut questions: Vec<Question> = Vec::new();
        let applicable = self
            .items
            .iter()
            .filter(|i| i.inspection == kind && i.applies_when.applies(location, date));
        for item in applicable {
            let ids = item.reads.iter().chain(item.per.iter());
            for id in ids {
                if let Some(existing) = questions.iter_mut().find(|q| &q.id == id) {
                    existing.items.push(item.id.to_string());
                    if let Some(per) = item.per.as_deref().filter(|p| p == id) {
                        add_fields(self, per, &item.reads_each, existing);
                    }
                    continue;
                }
                let mut question = if let Some(decl) = self.facts.facts.get(id) {
                    Question {
                        id: id.clone(),
                        scope: Scope::Location,
                        help: decl.help.clone(),
                        field: Some(field(decl)),
                        element: None,
                        fields: Vec::new(),
                        items: vec![item.id.to_string()],
                        prefilled: register.get(id).map(|v| v.to_json()),
                    }
                } else if let Some(collection) = self.facts.collections.get(id) {
                    Question {
                        id: id.clone(),
                        scope: collection.scope,
                        help: collection.help.clone(),
                        field: None,
                        element: Some(collection.element.clone()),
                        fields: Vec::new(),
                        items: vec![item.id.to_string()],
                        prefilled: None,
                    }
                } else {
                    continue;
                };
                if item.per.as_deref() == Some(id.as_str()) {
                    add_fields(self, id, &item.reads_each, &mut question);
                }
                questions.push(question);
            }
        }
        Checklist {
            scheme: self.scheme.clone(),
            version: self.version.clone(),
            norm_hash: self.hash.clone(),
            inspection: kind,
            date,
            questions,
        }
    }
}

fn add_fields(version: &NormVersion, collection: &str, reads: &[String], question: &mut Question) {
    let Some(declared) = version.facts.collections.get(collection) else {
        return;
    };
    for name in reads {
        if question.fields.iter().any(|f| &f.id == name) {
            continue;
        }
        if let Some(decl) = declared.facts.get(name) {
            question.fields.push(NamedField {
                id: name.clone(),
                field: field(decl),
                help: decl.help.clone(),
            });
        }
    }
}
