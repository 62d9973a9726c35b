//! The norms over HTTP: what versions exist, what each asks, the checklist for a location, and
//! a stateless evaluation of facts. Norms are public documents: reading them needs no login.

use std::collections::BTreeMap;

use actix_web::{get, post, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::extract::{ValidJson, ValidQuery};
use crate::auth::{Caller, Role};
use crate::error::{AppError, AppResult, Problem};
use crate::norm::model::{Derived, FactType, Scope};
use crate::norm::{
    Applicability, Checklist, Evidence, InspectionKind, LocationProfile, NormVersion, Param,
    Repair, SelectError, Severity, Text, Verdict,
};
use crate::register::store;
use crate::server::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct SchemeSummary {
    pub scheme: String,
    pub name: Text,
    pub owner: String,
    /// Oldest first.
    pub versions: Vec<VersionSummary>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionSummary {
    pub version: String,
    pub title: Text,
    pub valid_from: NaiveDate,
    /// The last day in force; none while it is the current version.
    pub valid_to: Option<NaiveDate>,
    pub supersedes: Option<String>,
    /// SHA-256 of the version's content, pinned by verdicts and certificates.
    pub hash: String,
    pub changes: String,
    pub items: usize,
}

fn summary(v: &NormVersion) -> VersionSummary {
    VersionSummary {
        version: v.version.clone(),
        title: v.title.clone(),
        valid_from: v.valid_from,
        valid_to: v.valid_to,
        supersedes: v.supersedes.clone(),
        hash: v.hash.clone(),
        changes: v.changes.clone(),
        items: v.items.len(),
    }
}

/// Every scheme and its versions, with their validity windows and content hashes. Public.
#[utoipa::path(tag = "norms", responses((status = 200, body = Vec<SchemeSummary>)))]
#[get("/norms")]
pub async fn list_norms(state: web::Data<AppState>) -> web::Json<Vec<SchemeSummary>> {
    web::Json(
        state
            .norms
            .schemes()
            .map(|s| SchemeSummary {
                scheme: s.id.clone(),
                name: s.name.clone(),
                owner: s.owner.clone(),
                versions: s.versions.iter().map(summary).collect(),
            })
            .collect(),
    )
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionDetail {
    pub scheme: String,
    #[serde(flatten)]
    pub summary: VersionSummary,
    /// The facts the checks read: per location, and lists per room or resident.
    pub facts: BTreeMap<String, FactView>,
    pub items: Vec<ItemView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FactView {
    pub scope: Scope,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub fact_type: Option<FactType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    pub help: Text,
    /// For a list: its fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(no_recursion)]
    pub fields: Option<BTreeMap<String, FactView>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VariantView {
    pub when: Applicability,
    pub note: String,
    #[schema(value_type = Object)]
    pub params: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemView {
    pub id: String,
    pub article: String,
    pub title: Text,
    pub severity: Severity,
    pub inspection: InspectionKind,
    pub source: String,
    pub applies_when: Applicability,
    pub repair: Repair,
    pub evidence: Vec<Evidence>,
    pub params: BTreeMap<String, Param>,
    pub variants: Vec<VariantView>,
    /// The list the check runs over, element by element.
    pub per: Option<String>,
    pub derive: Vec<Derived>,
    /// The requirement, in the Common Expression Language.
    pub check: String,
    pub explain: String,
}

/// One version: every item with its article, thresholds, applicability, repair term and check.
/// Public.
#[utoipa::path(
    tag = "norms",
    responses((status = 200, body = VersionDetail), (status = 404, body = Problem))
)]
#[get("/norms/{scheme}/{version}")]
pub async fn get_norm(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> AppResult<web::Json<VersionDetail>> {
    let (scheme, version) = path.into_inner();
    let v = state
        .norms
        .version(&scheme, &version)
        .ok_or_else(|| AppError::not_found("norm version"))?;
    let facts = v
        .facts
        .facts
        .iter()
        .map(|(name, decl)| {
            (
                name.clone(),
                FactView {
                    scope: Scope::Location,
                    fact_type: Some(decl.fact_type),
                    unit: decl.unit.clone(),
                    help: decl.help.clone(),
                    fields: None,
                },
            )
        })
        .chain(v.facts.collections.iter().map(|(name, c)| {
            let fields = c
                .facts
                .iter()
                .map(|(field, decl)| {
                    (
                        field.clone(),
                        FactView {
                            scope: c.scope,
                            fact_type: Some(decl.fact_type),
                            unit: decl.unit.clone(),
                            help: decl.help.clone(),
                            fields: None,
                        },
                    )
                })
                .collect();
            (
                name.clone(),
                FactView {
                    scope: c.scope,
                    fact_type: None,
                    unit: None,
                    help: c.help.clone(),
                    fields: Some(fields),
                },
            )
        }))
        .collect();
    let items = v
        .items
        .iter()
        .map(|i| ItemView {
            id: i.id.to_string(),
            article: i.article.to_string(),
            title: i.title.clone(),
            severity: i.severity,
            inspection: i.inspection,
            source: i.source.clone(),
            applies_when: i.applies_when.clone(),
            repair: i.repair.clone(),
            evidence: i.evidence.clone(),
            params: i.params.clone(),
            variants: i
                .variants
                .iter()
                .map(|variant| VariantView {
                    when: variant.when.clone(),
                    note: variant.note.clone(),
                    params: serde_json::to_value(&variant.params).unwrap_or_default(),
                })
                .collect(),
            per: i.per.clone(),
            derive: i.derive_source.clone(),
            check: i.check_source.clone(),
            explain: i.explain.clone(),
        })
        .collect();
    Ok(web::Json(VersionDetail {
        scheme: v.scheme.clone(),
        summary: summary(v),
        facts,
        items,
    }))
}

fn select_error(err: SelectError) -> AppError {
    match err {
        SelectError::UnknownScheme(_) => AppError::not_found("norm scheme"),
        other => AppError::invalid_field("date", other.code(), other.to_string()),
    }
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChecklistQuery {
    /// The location in the register.
    pub location_id: String,
    /// The inspection date (default today): which items of the version apply depends on it.
    pub date: Option<NaiveDate>,
    /// `location` (default) or `administrative`.
    pub inspection: Option<InspectionKind>,
}

/// The questions of an inspection of a location, derived from the items of `version` that
/// apply to it, with what the register knows filled in. Roles: admin, inspector, the provider of
/// the location.
#[utoipa::path(
    tag = "norms",
    params(ChecklistQuery),
    responses((status = 200, body = Checklist), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/norms/{scheme}/{version}/checklist")]
pub async fn checklist(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    query: ValidQuery<ChecklistQuery>,
) -> AppResult<web::Json<Checklist>> {
    caller.require(&[Role::Admin, Role::Inspector, Role::Provider])?;
    let (scheme, version) = path.into_inner();
    let query = query.0;
    let location_id = query.location_id.clone();
    let location = state
        .db
        .read(move |c| store::location(c, &location_id))
        .await?;
    caller.require_own(Role::Provider, &location.provider_id, "location")?;
    let v = state
        .norms
        .version(&scheme, &version)
        .ok_or_else(|| AppError::not_found("norm version"))?;
    let date = query.date.unwrap_or_else(|| state.clock.today());
    let kind = query.inspection.unwrap_or_default();
    Ok(web::Json(v.checklist(&location.profile(), date, kind)))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluateRequest {
    /// The inspection date; the version in force then is used.
    pub date: NaiveDate,
    pub location: LocationProfile,
    /// `location` (default) or `administrative`.
    #[serde(default)]
    pub inspection: InspectionKind,
    /// Fact name → value; room and resident facts as lists of objects.
    #[schema(value_type = Object)]
    pub facts: serde_json::Value,
}

/// Judges facts under the version in force on `date`, storing nothing. Roles: any user or
/// agency key.
#[utoipa::path(
    tag = "norms",
    request_body = EvaluateRequest,
    responses(
        (status = 200, body = Verdict),
        (status = 404, description = "no such scheme", body = Problem),
        (status = 422, description = "a fact of the wrong type or out of bounds, or no version in force on the date", body = Problem),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/norms/{scheme}/evaluate")]
pub async fn evaluate(
    state: web::Data<AppState>,
    _caller: Caller,
    scheme: web::Path<String>,
    body: ValidJson<EvaluateRequest>,
) -> AppResult<web::Json<Verdict>> {
    let request = body.into_inner();
    let version = state
        .norms
        .select(&scheme, request.date, &request.location)
        .map_err(select_error)?;
    let facts = version
        .validate_facts(&request.facts)
        .map_err(AppError::from)?;
    Ok(web::Json(version.evaluate(
        &request.location,
        request.date,
        request.inspection,
        &facts,
    )))
}
