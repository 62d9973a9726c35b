//! The inspection workflow: planning, answering in batches, submitting, correcting, and following
//! findings to their repair. Every step checks who may take it, changes the store within the
//! caller's transaction, and records itself in the audit trail.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::evidence::sha256_hex;
use super::finding::{ClosedHow, FindingStatus, due_on};
use super::store::{self, AnswerChange, Finding, FindingRow, InspectionRow, Remembered, Repair};
use super::{Kind, Status, conflicts};
use crate::audit::Change;
use crate::auth::{Caller, Credential, Role, users};
use crate::db::{DbConnection, new_id};
use crate::error::{AppError, AppResult};
use crate::norm::{
    ClosedBy, Evidence, HousingForm, InspectionKind, ItemStatus, LocationProfile, NormVersion,
    Outcome, Registry, Verdict,
};
use crate::register::{Responsibility, store as register};

/// Who did it, for the audit trail.
pub fn actor(caller: &Caller) -> String {
    match &caller.credential {
        Credential::User(id) => id.clone(),
        Credential::ApiKey(id) => format!("api-key:{id}"),
    }
}

fn audit<'a>(
    inspection: &'a str,
    entity: &'a str,
    id: &'a str,
    action: &'a str,
    by: &'a str,
    at: NaiveDateTime,
) -> Change<'a> {
    Change {
        inspection_id: Some(inspection),
        entity,
        entity_id: id,
        action,
        actor: by,
        at,
    }
}

// ---- who may do what --------------------------------------------------------------------------

/// Reading an inspection: the scheme owner; inspectors of the body doing it; the provider once
/// it may know of it.
pub fn may_read(caller: &Caller, row: &InspectionRow) -> AppResult<()> {
    let hidden = || AppError::not_found("inspection");
    match caller.role {
        Role::Admin => Ok(()),
        Role::Inspector if caller.belongs_to(&row.inspection_body_id) => Ok(()),
        Role::Provider
            if caller.belongs_to(&row.provider_id)
                && super::visible_to_provider(row.kind()?, row.status()?) =>
        {
            Ok(())
        }
        Role::Agency => Err(AppError::forbidden("agencies do not read inspections")),
        _ => Err(hidden()),
    }
}

/// Changing an inspection: only its assigned inspector.
fn must_be_assigned(caller: &Caller, row: &InspectionRow) -> AppResult<()> {
    if caller.user_id() == Some(row.inspector_id.as_str()) {
        return Ok(());
    }
    if caller.is(Role::Inspector) && caller.belongs_to(&row.inspection_body_id) {
        return Err(AppError::forbidden(
            "only the inspector assigned to this inspection may change it",
        ));
    }
    may_read(caller, row)?;
    Err(AppError::forbidden(
        "only the assigned inspector may change an inspection",
    ))
}

// ---- planning ---------------------------------------------------------------------------------

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInspection {
    /// The location to inspect; not for an administrative inspection.
    pub location_id: Option<String>,
    /// The provider, for an administrative inspection (otherwise taken from the location).
    pub provider_id: Option<String>,
    /// The inspector who will do it; a user of an inspection body.
    pub inspector_id: String,
    pub kind: Kind,
    pub scheduled_for: NaiveDate,
    /// The scheme to inspect by (default `snf`).
    #[validate(length(min = 1, max = 40))]
    pub scheme: Option<String>,
    /// A submitted inspection whose open findings this one checks again.
    pub reinspection_of: Option<String>,
}

pub fn plan(
    conn: &mut DbConnection,
    norms: &Registry,
    caller: &Caller,
    new: NewInspection,
    now: NaiveDateTime,
) -> AppResult<InspectionRow> {
    let inspector = users::find(conn, &new.inspector_id).map_err(|_| {
        AppError::invalid_field("inspector_id", "inspector_not_found", "no user has this id")
    })?;
    let body = match (inspector.role, inspector.organisation_id.clone()) {
        (Role::Inspector, Some(body)) if inspector.active => body,
        _ => {
            return Err(AppError::invalid_field(
                "inspector_id",
                "not_an_inspector",
                "this user is not an active inspector of an inspection body",
            ));
        }
    };
    if caller.is(Role::Inspector) && !caller.belongs_to(&body) {
        return Err(AppError::forbidden(
            "an inspector plans inspections for inspectors of its own body",
        ));
    }
    let scheme = new.scheme.unwrap_or_else(|| "snf".to_owned());
    if norms.scheme(&scheme).is_none() {
        return Err(AppError::invalid_field(
            "scheme",
            "unknown_scheme",
            "there is no such norm scheme",
        ));
    }
    let (provider_id, location_id) = match (new.kind, new.location_id, new.provider_id) {
        (Kind::Administrative, None, Some(provider)) => {
            register::provider(conn, &provider).map_err(|_| {
                AppError::invalid_field(
                    "provider_id",
                    "provider_not_found",
                    "no provider has this id",
                )
            })?;
            (provider, None)
        }
        (Kind::Administrative, _, _) => {
            return Err(AppError::invalid_field(
                "provider_id",
                "administrative_needs_provider",
                "an administrative inspection concerns a provider: give provider_id and no location_id",
            ));
        }
        (kind, Some(location_id), provider) => {
            let location = register::location(conn, &location_id).map_err(|_| {
                AppError::invalid_field(
                    "location_id",
                    "location_not_found",
                    "no location has this id",
                )
            })?;
            if provider.is_some_and(|p| p != location.provider_id) {
                return Err(AppError::invalid_field(
                    "provider_id",
                    "provider_mismatch",
                    "the location belongs to another provider",
                ));
            }
            if kind == Kind::Periodic && location.responsibility == Responsibility::CoInterested {
                return Err(AppError::invalid_field(
                    "location_id",
                    "location_not_inspected",
                    "a location where the provider is only co-interested is reported, not inspected periodically",
                ));
            }
            (location.provider_id, Some(location_id))
        }
        (_, None, _) => {
            return Err(AppError::invalid_field(
                "location_id",
                "location_required",
                "a location inspection needs location_id",
            ));
        }
    };
    if let Some(original) = &new.reinspection_of {
        let earlier = store::get(conn, original).map_err(|_| {
            AppError::invalid_field(
                "reinspection_of",
                "inspection_not_found",
                "no inspection has this id",
            )
        })?;
        if earlier.location_id != location_id || earlier.provider_id != provider_id {
            return Err(AppError::invalid_field(
                "reinspection_of",
                "other_location",
                "a re-inspection is of the same location as the inspection it follows",
            ));
        }
        if store::open_findings_of(conn, original)?.is_empty() {
            return Err(AppError::conflict(
                "nothing_to_reinspect",
                "that inspection has no open findings to check again",
            ));
        }
    }
    let row = InspectionRow {
        id: new_id(),
        provider_id,
        location_id,
        inspection_body_id: body,
        inspector_id: new.inspector_id,
        kind: <&str>::from(new.kind).to_owned(),
        scheduled_for: new.scheduled_for,
        status: <&str>::from(Status::Planned).to_owned(),
        scheme,
        norm_version: None,
        norm_hash: None,
        inspected_on: None,
        started_at: None,
        submitted_at: None,
        result: None,
        verdict: None,
        version: 1,
        corrects_id: None,
        correction_reason: None,
        reinspection_of: new.reinspection_of,
        created_by: actor(caller),
        created_at: now,
        updated_at: now,
    };
    store::insert(conn, &row)?;
    let by = actor(caller);
    audit(&row.id, "inspection", &row.id, "planned", &by, now).record(
        conn,
        None::<&()>,
        Some(&row.to_api()?),
    )?;
    Ok(row)
}

// ---- the norm an inspection is judged by -----------------------------------------------------

/// The location attributes the norm needs. An administrative inspection concerns the
/// organisation; its items depend on no location, so a plain dwelling stands in.
pub fn profile(conn: &mut DbConnection, row: &InspectionRow) -> AppResult<LocationProfile> {
    match &row.location_id {
        Some(id) => Ok(register::location(conn, id)?.profile()),
        None => Ok(LocationProfile {
            housing_form: HousingForm::RegularDwelling,
            municipal_designation: None,
            permit_applied_on: None,
            max_beds: None,
        }),
    }
}

pub fn inspection_kind(row: &InspectionRow) -> AppResult<InspectionKind> {
    Ok(match row.kind()? {
        Kind::Administrative => InspectionKind::Administrative,
        _ => InspectionKind::Location,
    })
}

/// The version an inspection is pinned to, or, before it starts, the one in force on `date`.
pub fn version_of<'n>(
    norms: &'n Registry,
    row: &InspectionRow,
    location: &LocationProfile,
    date: NaiveDate,
) -> AppResult<&'n NormVersion> {
    match &row.norm_hash {
        Some(hash) => pinned(norms, row, hash),
        None => norms
            .select(&row.scheme, date, location)
            .map_err(|e| AppError::conflict(e.code(), e.to_string())),
    }
}

fn pinned<'n>(norms: &'n Registry, row: &InspectionRow, hash: &str) -> AppResult<&'n NormVersion> {
    norms.version_by_hash(&row.scheme, hash).ok_or_else(|| {
        AppError::conflict(
            "norm_version_unavailable",
            format!(
                "this inspection is pinned to {} {} (hash {hash}), which this node no longer has",
                row.scheme,
                row.norm_version.as_deref().unwrap_or("?")
            ),
        )
    })
}

/// Starts the inspection: the checklist is pinned to the version in force on `today` (for a
/// re-inspection: the version the findings were made under). Starting twice changes nothing.
pub fn start(
    conn: &mut DbConnection,
    norms: &Registry,
    caller: &Caller,
    row: &mut InspectionRow,
    today: NaiveDate,
    now: NaiveDateTime,
) -> AppResult<()> {
    must_be_assigned(caller, row)?;
    match row.status()? {
        Status::Planned => {}
        Status::InProgress => return Ok(()),
        Status::Submitted | Status::Superseded => {
            return Err(AppError::conflict(
                "inspection_locked",
                "this inspection was submitted and is locked",
            ));
        }
    }
    let pinned = match &row.reinspection_of {
        Some(original) => {
            let earlier = store::get(conn, original)?;
            (earlier.norm_version, earlier.norm_hash)
        }
        None => {
            let location = profile(conn, row)?;
            let version = version_of(norms, row, &location, today)?;
            (Some(version.version.clone()), Some(version.hash.clone()))
        }
    };
    let before = row.to_api()?;
    (row.norm_version, row.norm_hash) = pinned;
    row.status = <&str>::from(Status::InProgress).to_owned();
    row.inspected_on = Some(today);
    row.started_at = Some(now);
    row.updated_at = now;
    store::update(conn, row)?;
    let by = actor(caller);
    audit(&row.id, "inspection", &row.id, "started", &by, now).record(
        conn,
        Some(&before),
        Some(&row.to_api()?),
    )
}

/// The version a started inspection is pinned to, found without reading its location.
fn started<'n>(
    conn: &mut DbConnection,
    norms: &'n Registry,
    row: &InspectionRow,
    today: NaiveDate,
) -> AppResult<&'n NormVersion> {
    match &row.norm_hash {
        Some(hash) => pinned(norms, row, hash),
        None => version_of(norms, row, &profile(conn, row)?, today),
    }
}

// ---- answers ----------------------------------------------------------------------------------

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBatch {
    /// Question (fact name, or list name for rooms and residents) → value; `null` clears it.
    #[schema(value_type = Object)]
    pub answers: BTreeMap<String, serde_json::Value>,
    /// When the tablet recorded these answers (RFC 3339), if it knows.
    #[serde(default, with = "optional_rfc3339")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub device_time: Option<NaiveDateTime>,
}

mod optional_rfc3339 {
    use chrono::NaiveDateTime;
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDateTime>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|t| {
                chrono::DateTime::parse_from_rfc3339(&t)
                    .map(|t| t.naive_utc())
                    .map_err(serde::de::Error::custom)
            })
            .transpose()
    }
}

/// The answer to a batch, kept under its idempotency key so that a retry is answered the same.
#[derive(Debug, Serialize, ToSchema)]
pub struct Saved {
    /// The inspection's version after this batch: the next `If-Match`.
    pub version: i32,
    /// The answers to this batch's questions as they now stand (a cleared one is absent). The
    /// whole set is in `GET /inspections/{id}`.
    pub answers: BTreeMap<String, super::Answer>,
}

/// What a batch request carries besides its body.
pub struct BatchRequest<'a> {
    pub inspection_id: &'a str,
    pub idempotency_key: &'a str,
    /// The version the tablet's answers are based on (from `If-Match`).
    pub base_version: i32,
    /// SHA-256 of the request body, to refuse a key reused for another batch.
    pub body_hash: String,
}

/// Saves a batch of answers, exactly once per idempotency key.
pub fn save_answers(
    conn: &mut DbConnection,
    norms: &Registry,
    caller: &Caller,
    batch: AnswerBatch,
    request: &BatchRequest<'_>,
    today: NaiveDate,
    now: NaiveDateTime,
) -> AppResult<Remembered> {
    let id = request.inspection_id;
    let mut row = store::get_for_update(conn, id)?;
    may_read(caller, &row)?;
    // Only the assigned inspector's batches are answered, replays included.
    must_be_assigned(caller, &row)?;
    let scope = format!("answers:{id}");
    if let Some(earlier) = store::remembered(conn, &scope, request.idempotency_key)? {
        if earlier.request_hash != request.body_hash {
            return Err(AppError::invalid_field(
                "Idempotency-Key",
                "idempotency_key_reused",
                "this key was used for another batch; send a new key with a new batch",
            ));
        }
        return Ok(earlier);
    }
    if !row.status()?.accepts_answers() {
        return Err(AppError::conflict(
            "inspection_locked",
            "this inspection was submitted and is locked",
        ));
    }
    if request.base_version > row.version {
        return Err(AppError::invalid_field(
            "If-Match",
            "unknown_version",
            format!(
                "the inspection is at version {}; there is no version {} yet",
                row.version, request.base_version
            ),
        ));
    }
    start(conn, norms, caller, &mut row, today, now)?;

    let stored = store::answers_of(conn, id)?;
    let found = conflicts(request.base_version, &batch.answers, &stored);
    if !found.is_empty() {
        let problem = AppError::conflict(
            "answer_conflict",
            format!(
                "{} question(s) were changed by someone else since version {}; reload them and decide",
                found.len(),
                request.base_version
            ),
        )
        .with_extra("conflicts", serde_json::to_value(&found).map_err(AppError::internal)?)
        .with_extra("version", row.version.into());
        let answer = Remembered {
            request_hash: request.body_hash.clone(),
            status: 409,
            body: serde_json::to_string(&problem.problem()).map_err(AppError::internal)?,
        };
        store::remember(conn, &scope, request.idempotency_key, &answer, now)?;
        return Ok(answer);
    }

    let version = started(conn, norms, &row, today)?;
    let given: serde_json::Map<String, serde_json::Value> = batch
        .answers
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    version
        .validate_facts(&serde_json::Value::Object(given))
        .map_err(AppError::from)?;

    let new_version = row.version + 1;
    let by = actor(caller);
    let mut changes = Vec::new();
    // The batch is one change to the trail, whatever it holds: the questions it changed, each
    // with its value before and after (null where there was none, or it was cleared).
    let (mut before_batch, mut after_batch) = (BTreeMap::new(), BTreeMap::new());
    let mut answers = stored.clone();
    for (question, value) in &batch.answers {
        let before = stored.get(question).map(|a| &a.value);
        let after = (!value.is_null()).then_some(value);
        if before == after {
            continue;
        }
        changes.push(AnswerChange {
            inspection_id: id,
            question,
            value: after,
            set_by: &by,
            device_time: batch.device_time,
            server_time: now,
            version: new_version,
        });
        before_batch.insert(question.as_str(), before);
        after_batch.insert(question.as_str(), after);
        match after {
            Some(value) => {
                answers.insert(
                    question.clone(),
                    super::Answer {
                        value: value.clone(),
                        set_by: by.clone(),
                        set_in_version: new_version,
                        server_time: store::rfc3339(now),
                        device_time: batch.device_time.map(store::rfc3339),
                    },
                );
            }
            None => {
                answers.remove(question);
            }
        }
    }
    store::replace_answers(conn, &changes)?;
    if !changes.is_empty() {
        audit(id, "answers", id, "answered", &by, now).record(
            conn,
            Some(&before_batch),
            Some(&after_batch),
        )?;
    }
    store::set_version(conn, id, new_version, now)?;
    let saved = Saved {
        version: new_version,
        answers: answers
            .into_iter()
            .filter(|(q, _)| batch.answers.contains_key(q))
            .collect(),
    };
    let answer = Remembered {
        request_hash: request.body_hash.clone(),
        status: 200,
        body: serde_json::to_string(&saved).map_err(AppError::internal)?,
    };
    store::remember(conn, &scope, request.idempotency_key, &answer, now)?;
    Ok(answer)
}

// ---- photos -----------------------------------------------------------------------------------

/// A photo to keep with an inspection.
pub struct NewEvidence<'a> {
    /// The question (a fact or list name) or the norm item it documents.
    pub question: &'a str,
    pub kind: super::evidence::FileKind,
    pub data: &'a [u8],
}

/// Keeps a photo for a question or an item of the inspection. The same photo for the same
/// question is kept once; the answer says whether it was new.
pub fn add_photo(
    conn: &mut DbConnection,
    norms: &Registry,
    caller: &Caller,
    id: &str,
    photo: NewEvidence<'_>,
    today: NaiveDate,
    now: NaiveDateTime,
) -> AppResult<(store::Photo, bool)> {
    let NewEvidence {
        question,
        kind,
        data,
    } = photo;
    let mut row = store::get_for_update(conn, id)?;
    must_be_assigned(caller, &row)?;
    if !row.status()?.accepts_answers() {
        return Err(AppError::conflict(
            "inspection_locked",
            "this inspection was submitted and is locked",
        ));
    }
    start(conn, norms, caller, &mut row, today, now)?;
    let version = started(conn, norms, &row, today)?;
    let known = version.facts.facts.contains_key(question)
        || version.facts.collections.contains_key(question)
        || version.item(question).is_some();
    if !known {
        return Err(AppError::invalid_field(
            "question",
            "unknown_question",
            format!(
                "{question:?} is no question or item of {} {}",
                version.scheme, version.version
            ),
        ));
    }
    let digest = sha256_hex(data);
    if let Some(existing) = store::same_photo(conn, id, question, &digest)? {
        return Ok((existing, false));
    }
    let by = actor(caller);
    let photo = store::insert_photo(
        conn,
        store::NewPhoto {
            inspection_id: Some(id),
            finding_id: None,
            question,
            content_type: kind.content_type(),
            sha256: &digest,
            data,
            uploaded_by: &by,
            now,
        },
    )?;
    audit(id, "photo", &photo.id, "added", &by, now).record(conn, None::<&()>, Some(&photo))?;
    Ok((photo, true))
}

// ---- submitting -------------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct Submitted {
    pub inspection: store::Inspection,
    pub verdict: Verdict,
    /// The findings this inspection opened.
    pub findings: Vec<Finding>,
    /// Findings of the inspection it re-inspects that are now closed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub closed: Vec<Finding>,
    /// Certificates suspended because this urgent inspection found a major failure.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suspended_certificates: Vec<String>,
}

/// The facts of an inspection: its answers as one object.
fn facts_of(conn: &mut DbConnection, id: &str) -> AppResult<serde_json::Value> {
    Ok(serde_json::Value::Object(
        store::answers_of(conn, id)?
            .into_iter()
            .map(|(q, a)| (q, a.value))
            .collect(),
    ))
}

/// Judges the inspection, locks it, and opens a finding for every failed item. An incomplete
/// checklist, or a failure the norm wants evidence of without a photo, is refused and changes
/// nothing.
pub fn submit(
    conn: &mut DbConnection,
    norms: &Registry,
    caller: &Caller,
    id: &str,
    today: NaiveDate,
    now: NaiveDateTime,
) -> AppResult<Submitted> {
    let mut row = store::get_for_update(conn, id)?;
    must_be_assigned(caller, &row)?;
    match row.status()? {
        Status::InProgress => {}
        Status::Planned => {
            return Err(AppError::conflict(
                "not_started",
                "nothing has been answered yet",
            ));
        }
        Status::Submitted | Status::Superseded => {
            return Err(AppError::conflict(
                "already_submitted",
                "this inspection was submitted already",
            ));
        }
    }
    let location = profile(conn, &row)?;
    let version = version_of(norms, &row, &location, today)?;
    let inspected_on = row.inspected_on.unwrap_or(today);
    let facts = version
        .validate_facts(&facts_of(conn, id)?)
        .map_err(AppError::from)?;
    let mut verdict = version.evaluate(&location, inspected_on, inspection_kind(&row)?, &facts);

    // A re-inspection checks the items of the open findings it follows, and nothing else.
    let reinspected = match &row.reinspection_of {
        Some(original) => Some(store::open_findings_of(conn, original)?),
        None => None,
    };
    let scope: Option<Vec<String>> = reinspected
        .as_ref()
        .map(|open| open.iter().map(|f| f.item_id.clone()).collect());
    let in_scope = |item: &str| {
        scope
            .as_ref()
            .is_none_or(|ids| ids.iter().any(|i| i == item))
    };
    let missing: Vec<&str> = verdict
        .items
        .iter()
        .filter(|i| i.status == ItemStatus::NotAnswered && in_scope(&i.id))
        .flat_map(|i| i.missing.iter().map(String::as_str))
        .collect();
    if !missing.is_empty() {
        return Err(AppError::unprocessable(
            "checklist_incomplete",
            format!(
                "the checklist is not complete: {} still needed",
                missing.join(", ")
            ),
        )
        .with_extra("missing", serde_json::json!(missing)));
    }
    let photos = store::photos_of(conn, id)?;
    let without_evidence: Vec<String> = verdict
        .failed()
        .filter(|i| in_scope(&i.id))
        .filter_map(|failed| version.item(&failed.id))
        .filter(|item| item.evidence.contains(&Evidence::Photo))
        .filter(|item| {
            !photos.iter().any(|p| {
                p.question.as_deref().is_some_and(|q| {
                    q == &*item.id
                        || item.reads.iter().any(|r| r == q)
                        || item.per.as_deref() == Some(q)
                })
            })
        })
        .map(|item| item.id.to_string())
        .collect();
    if !without_evidence.is_empty() {
        return Err(AppError::unprocessable(
            "evidence_required",
            format!(
                "these failed items need a photo as evidence before the inspection can be submitted: {}",
                without_evidence.join(", ")
            ),
        )
        .with_extra("items", serde_json::json!(without_evidence)));
    }

    let by = actor(caller);
    let mut opened = Vec::new();
    let mut closed = Vec::new();
    match reinspected {
        Some(open) => {
            for mut finding in open {
                let now_passes = verdict
                    .items
                    .iter()
                    .any(|i| *i.id == *finding.item_id && i.status == ItemStatus::Pass);
                if now_passes {
                    let before = finding.clone();
                    close_finding(&mut finding, ClosedHow::Reinspection, Some(id), today, now);
                    store::update_finding(conn, &finding)?;
                    audit(
                        &finding.inspection_id,
                        "finding",
                        &finding.id,
                        "closed",
                        &by,
                        now,
                    )
                    .record(conn, Some(&before), Some(&finding))?;
                    closed.push(finding.to_api(today)?);
                }
            }
            // Judged on what it came to check.
            verdict.result = if verdict
                .items
                .iter()
                .any(|i| i.status == ItemStatus::Fail && in_scope(&i.id))
            {
                Outcome::Fail
            } else {
                Outcome::Pass
            };
        }
        None => {
            for failed in verdict.failed() {
                let Some(item) = version.item(&failed.id) else {
                    continue;
                };
                let finding = FindingRow {
                    id: new_id(),
                    inspection_id: id.to_owned(),
                    provider_id: row.provider_id.clone(),
                    location_id: row.location_id.clone(),
                    item_id: item.id.to_string(),
                    title: item.title.en.to_string(),
                    article: item.article.to_string(),
                    severity: serde_json::to_value(item.severity)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    explanation: failed.explanation.clone(),
                    closable_by: match item.repair.closed_by {
                        ClosedBy::RepairLetter => "repair_letter",
                        ClosedBy::Reinspection => "reinspection",
                    }
                    .to_owned(),
                    found_on: inspected_on,
                    due_on: due_on(inspected_on, item.repair.term_days),
                    status: <&str>::from(FindingStatus::Open).to_owned(),
                    closed_on: None,
                    closed_by: None,
                    closed_by_inspection_id: None,
                    created_at: now,
                    updated_at: now,
                };
                store::insert_finding(conn, &finding)?;
                audit(id, "finding", &finding.id, "opened", &by, now).record(
                    conn,
                    None::<&()>,
                    Some(&finding),
                )?;
                opened.push(finding.to_api(today)?);
            }
        }
    }

    if let Some(corrected) = row.corrects_id.clone() {
        supersede(conn, &corrected, id, &by, today, now)?;
    }

    let before = row.to_api()?;
    row.status = <&str>::from(Status::Submitted).to_owned();
    row.submitted_at = Some(now);
    row.result = Some(
        match verdict.result {
            Outcome::Pass => "pass",
            _ => "fail",
        }
        .to_owned(),
    );
    row.verdict = Some(serde_json::to_string(&verdict).map_err(AppError::internal)?);
    row.version += 1;
    row.updated_at = now;
    store::update(conn, &row)?;
    let inspection = row.to_api()?;
    audit(id, "inspection", id, "submitted", &by, now).record(
        conn,
        Some(&before),
        Some(&inspection),
    )?;
    let suspended_certificates = suspend_after_urgent(conn, &row, &opened, &by, today, now)?;
    Ok(Submitted {
        inspection,
        verdict,
        findings: opened,
        closed,
        suspended_certificates,
    })
}

/// A major finding at an urgent inspection suspends the certificates covering the location at
/// once, in the same transaction as the submission: verification shows it from that moment.
fn suspend_after_urgent(
    conn: &mut DbConnection,
    row: &InspectionRow,
    opened: &[Finding],
    by: &str,
    today: NaiveDate,
    now: NaiveDateTime,
) -> AppResult<Vec<String>> {
    let majors: Vec<&str> = opened
        .iter()
        .filter(|f| f.severity == "major")
        .map(|f| f.item_id.as_str())
        .collect();
    let (Kind::Urgent, Some(location_id), false) =
        (row.kind()?, row.location_id.as_deref(), majors.is_empty())
    else {
        return Ok(Vec::new());
    };
    let location = register::location(conn, location_id)?;
    let a = &location.address;
    let address = format!("{} {}, {}", a.street, a.house_number, a.city);
    crate::certificate::issue::suspend_for_urgent_finding(
        conn,
        &crate::certificate::issue::UrgentInspection {
            id: &row.id,
            provider_id: &row.provider_id,
            location_id,
            address: &address,
            scheme: &row.scheme,
            inspected_on: row.inspected_on.unwrap_or(today),
            major_items: majors,
        },
        by,
        today,
        now,
    )
}

fn close_finding(
    finding: &mut FindingRow,
    how: ClosedHow,
    by_inspection: Option<&str>,
    today: NaiveDate,
    now: NaiveDateTime,
) {
    finding.status = <&str>::from(FindingStatus::Closed).to_owned();
    finding.closed_by = Some(<&str>::from(how).to_owned());
    finding.closed_on = Some(today);
    finding.closed_by_inspection_id = by_inspection.map(str::to_owned);
    finding.updated_at = now;
}

/// A submitted correction replaces the inspection it corrects: that one is kept, marked
/// superseded, and its open findings are closed in favour of the correction's.
fn supersede(
    conn: &mut DbConnection,
    corrected: &str,
    correction: &str,
    by: &str,
    today: NaiveDate,
    now: NaiveDateTime,
) -> AppResult<()> {
    let mut old = store::get_for_update(conn, corrected)?;
    let before = old.to_api()?;
    old.status = <&str>::from(Status::Superseded).to_owned();
    old.updated_at = now;
    store::update(conn, &old)?;
    audit(corrected, "inspection", corrected, "superseded", by, now).record(
        conn,
        Some(&before),
        Some(&old.to_api()?),
    )?;
    for mut finding in store::open_findings_of(conn, corrected)? {
        let before = finding.clone();
        close_finding(
            &mut finding,
            ClosedHow::Correction,
            Some(correction),
            today,
            now,
        );
        store::update_finding(conn, &finding)?;
        audit(corrected, "finding", &finding.id, "closed", by, now).record(
            conn,
            Some(&before),
            Some(&finding),
        )?;
    }
    Ok(())
}

// ---- corrections ------------------------------------------------------------------------------

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionRequest {
    /// Why the submitted inspection is corrected; kept with both.
    #[validate(length(min = 3, max = 2000, message = "must be 3 to 2000 characters"))]
    pub reason: String,
}

/// Opens a correction of a submitted inspection: a new inspection with the same answers and
/// norm version, to change and submit in its place. The original stays as it is until then.
pub fn correct(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    reason: String,
    now: NaiveDateTime,
) -> AppResult<InspectionRow> {
    let original = store::get_for_update(conn, id)?;
    may_read(caller, &original)?;
    if !(caller.is(Role::Admin) || caller.user_id() == Some(original.inspector_id.as_str())) {
        return Err(AppError::forbidden(
            "only the inspector who did it, or the scheme owner, corrects an inspection",
        ));
    }
    if original.status()? != Status::Submitted {
        return Err(AppError::conflict(
            "not_submitted",
            "only a submitted inspection (not yet superseded) can be corrected",
        ));
    }
    let row = InspectionRow {
        id: new_id(),
        status: <&str>::from(Status::InProgress).to_owned(),
        submitted_at: None,
        result: None,
        verdict: None,
        version: 1,
        corrects_id: Some(id.to_owned()),
        correction_reason: Some(reason),
        started_at: Some(now),
        created_by: actor(caller),
        created_at: now,
        updated_at: now,
        ..original.clone()
    };
    store::insert(conn, &row)?;
    let by = actor(caller);
    for (question, answer) in store::answers_of(conn, id)? {
        store::set_answer(
            conn,
            AnswerChange {
                inspection_id: &row.id,
                question: &question,
                value: Some(&answer.value),
                set_by: &by,
                device_time: None,
                server_time: now,
                version: 1,
            },
        )?;
    }
    audit(
        &row.id,
        "inspection",
        &row.id,
        "correction_opened",
        &by,
        now,
    )
    .record(conn, Some(&original.to_api()?), Some(&row.to_api()?))?;
    audit(id, "inspection", id, "correction_opened", &by, now).record(
        conn,
        None::<&()>,
        Some(&row.to_api()?),
    )?;
    Ok(row)
}

// ---- repairs ----------------------------------------------------------------------------------

/// Reading a finding: as for its inspection, and providers only once it is submitted.
pub fn may_read_finding(
    conn: &mut DbConnection,
    caller: &Caller,
    finding: &FindingRow,
) -> AppResult<InspectionRow> {
    let inspection = store::get(conn, &finding.inspection_id)?;
    may_read(caller, &inspection).map_err(|_| AppError::not_found("finding"))?;
    Ok(inspection)
}

/// A provider sends a repair letter with evidence (photos, invoices as PDF).
pub fn submit_repair(
    conn: &mut DbConnection,
    caller: &Caller,
    finding_id: &str,
    note: String,
    files: &[(super::evidence::FileKind, Vec<u8>)],
    now: NaiveDateTime,
) -> AppResult<Repair> {
    let mut finding = store::finding(conn, finding_id)?;
    let inspection = may_read_finding(conn, caller, &finding)?;
    if !(caller.is(Role::Admin) || caller.is(Role::Provider)) {
        return Err(AppError::forbidden("repairs are reported by the provider"));
    }
    if finding.closable_by == "reinspection" {
        return Err(AppError::conflict(
            "reinspection_required",
            "the norm closes this finding only by a re-inspection, not by a repair letter",
        ));
    }
    match finding.stored_status()? {
        FindingStatus::Open => {}
        FindingStatus::RepairSubmitted => {
            return Err(AppError::conflict(
                "repair_pending",
                "a repair letter for this finding is waiting for the inspection body's decision",
            ));
        }
        _ => {
            return Err(AppError::conflict(
                "finding_closed",
                "this finding is closed",
            ));
        }
    }
    if files.is_empty() {
        return Err(AppError::invalid_field(
            "file",
            "evidence_required",
            "a repair letter needs evidence: at least one photo or invoice",
        ));
    }
    let by = actor(caller);
    let repair = Repair {
        id: new_id(),
        finding_id: finding_id.to_owned(),
        note,
        submitted_by: by.clone(),
        submitted_at: now,
        decision: None,
        decision_note: None,
        decided_by: None,
        decided_at: None,
    };
    store::insert_repair(conn, &repair)?;
    for (kind, data) in files {
        store::insert_photo(
            conn,
            store::NewPhoto {
                inspection_id: None,
                finding_id: Some(finding_id),
                question: &repair.id,
                content_type: kind.content_type(),
                sha256: &sha256_hex(data),
                data,
                uploaded_by: &by,
                now,
            },
        )?;
    }
    let before = finding.clone();
    finding.status = <&str>::from(FindingStatus::RepairSubmitted).to_owned();
    finding.updated_at = now;
    store::update_finding(conn, &finding)?;
    audit(&inspection.id, "repair", &repair.id, "submitted", &by, now).record(
        conn,
        None::<&()>,
        Some(&repair),
    )?;
    audit(
        &inspection.id,
        "finding",
        finding_id,
        "repair_submitted",
        &by,
        now,
    )
    .record(conn, Some(&before), Some(&finding))?;
    Ok(repair)
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RepairDecision {
    /// True to accept the repair (closing the finding), false to send it back.
    pub accept: bool,
    #[validate(length(max = 2000, message = "at most 2000 characters"))]
    pub note: Option<String>,
}

/// The inspection body accepts a repair letter (closing the finding) or rejects it (reopening
/// the finding, whose deadline stands).
pub fn decide_repair(
    conn: &mut DbConnection,
    caller: &Caller,
    finding_id: &str,
    repair_id: &str,
    decision: RepairDecision,
    today: NaiveDate,
    now: NaiveDateTime,
) -> AppResult<(Repair, Finding)> {
    let mut finding = store::finding(conn, finding_id)?;
    let inspection = may_read_finding(conn, caller, &finding)?;
    let body_decides =
        caller.is(Role::Inspector) && caller.belongs_to(&inspection.inspection_body_id);
    if !(caller.is(Role::Admin) || body_decides) {
        return Err(AppError::forbidden(
            "the inspection body that found it decides on a repair",
        ));
    }
    let mut repair = store::repair(conn, finding_id, repair_id)?;
    if repair.decision.is_some() {
        return Err(AppError::conflict(
            "already_decided",
            "this repair letter was decided on already",
        ));
    }
    // A re-inspection may have closed the finding while the letter waited: a decision on the
    // letter must not reopen it.
    if finding.stored_status()? == FindingStatus::Closed {
        return Err(AppError::conflict(
            "finding_closed",
            "this finding was closed already; the repair letter needs no decision",
        ));
    }
    let by = actor(caller);
    let before_repair = repair.clone();
    repair.decision = Some(
        if decision.accept {
            "accepted"
        } else {
            "rejected"
        }
        .to_owned(),
    );
    repair.decision_note = decision.note;
    repair.decided_by = Some(by.clone());
    repair.decided_at = Some(now);
    store::update_repair(conn, &repair)?;
    let before = finding.clone();
    if decision.accept {
        close_finding(&mut finding, ClosedHow::RepairLetter, None, today, now);
    } else {
        finding.status = <&str>::from(FindingStatus::Open).to_owned();
        finding.updated_at = now;
    }
    store::update_finding(conn, &finding)?;
    audit(&inspection.id, "repair", repair_id, "decided", &by, now).record(
        conn,
        Some(&before_repair),
        Some(&repair),
    )?;
    let action = if decision.accept {
        "closed"
    } else {
        "reopened"
    };
    audit(&inspection.id, "finding", finding_id, action, &by, now).record(
        conn,
        Some(&before),
        Some(&finding),
    )?;
    Ok((repair, finding.to_api(today)?))
}
