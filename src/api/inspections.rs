//! Inspections over HTTP: planning, the checklist, answers from the tablet, photos, submitting,
//! corrections and the audit trail.

use std::collections::BTreeMap;

use actix_web::http::header::{self, HeaderMap};
use actix_web::{HttpResponse, get, post, put, web};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::extract::{ValidJson, ValidQuery, read_form};
use crate::api::pagination::{Page, Paginated};
use crate::audit::{self, AuditEntry};
use crate::auth::{Caller, Role};
use crate::error::{AppError, AppResult, Problem};
use crate::inspection::evidence::FileKind;
use crate::inspection::store::{self, Finding, Inspection, InspectionFilter, Photo};
use crate::inspection::workflow::{
    self, AnswerBatch, BatchRequest, CorrectionRequest, NewEvidence, NewInspection, Saved,
    Submitted,
};
use crate::inspection::{Answer, Status, answers_visible_to_provider};
use crate::norm::{Checklist, Verdict};
use crate::server::AppState;

fn etag(version: i32) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{version}\""))
}

/// Plan an inspection. Roles: admin; an inspector, for inspectors of its own body.
#[utoipa::path(
    tag = "inspections",
    request_body = NewInspection,
    responses((status = 201, body = Inspection), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[post("/inspections")]
pub async fn plan(
    state: web::Data<AppState>,
    caller: Caller,
    body: ValidJson<NewInspection>,
) -> AppResult<HttpResponse> {
    caller.require(&[Role::Admin, Role::Inspector])?;
    let (new, now, app) = (body.into_inner(), state.now(), state.clone());
    let row = state
        .db
        .write(move |c| workflow::plan(c, &app.norms, &caller, new, now))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/inspections/{}", row.id)))
        .insert_header(etag(row.version))
        .json(row.to_api()?))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InspectionQuery {
    pub provider_id: Option<String>,
    pub location_id: Option<String>,
    pub status: Option<Status>,
}

/// Inspections, most recent first. Roles: admin (all), inspector (its body's), provider (its
/// own, announced ones from planning on, unannounced ones once started).
#[utoipa::path(
    tag = "inspections",
    params(InspectionQuery, Page),
    responses((status = 200, body = Paginated<Inspection>)),
    security(("bearer" = []))
)]
#[get("/inspections")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: ValidQuery<InspectionQuery>,
    page: ValidQuery<Page>,
) -> AppResult<web::Json<Paginated<Inspection>>> {
    caller.require(&[Role::Admin, Role::Inspector, Role::Provider])?;
    let query = query.0;
    let own = caller.organisation_id.clone();
    let filter = InspectionFilter {
        provider_id: if caller.is(Role::Provider) {
            own.clone()
        } else {
            query.provider_id
        },
        location_id: query.location_id,
        inspection_body_id: if caller.is(Role::Inspector) {
            own
        } else {
            None
        },
        status: query.status,
        visible_to_provider: caller.is(Role::Provider),
    };
    let page = page.0;
    Ok(web::Json(
        state
            .db
            .read(move |c| store::list(c, &filter, page))
            .await?,
    ))
}

/// An inspection with its checklist, answers, photos, verdict and findings.
#[derive(Debug, Serialize, ToSchema)]
pub struct InspectionDetail {
    #[serde(flatten)]
    pub inspection: Inspection,
    /// The questions, from the norm version pinned (or, before the start, in force).
    pub checklist: Option<Checklist>,
    pub answers: Option<BTreeMap<String, Answer>>,
    pub photos: Option<Vec<Photo>>,
    pub verdict: Option<Verdict>,
    pub findings: Option<Vec<Finding>>,
}

fn detail(
    conn: &mut crate::db::DbConnection,
    state: &AppState,
    caller: &Caller,
    row: &store::InspectionRow,
) -> AppResult<InspectionDetail> {
    let inspection = row.to_api()?;
    // A provider sees what was found once it is judged, not the work in progress.
    let full = !caller.is(Role::Provider) || answers_visible_to_provider(inspection.status);
    if !full {
        return Ok(InspectionDetail {
            inspection,
            checklist: None,
            answers: None,
            photos: None,
            verdict: None,
            findings: None,
        });
    }
    let today = state.clock.today();
    let location = workflow::profile(conn, row)?;
    let date = row.inspected_on.unwrap_or(row.scheduled_for);
    let checklist = workflow::version_of(&state.norms, row, &location, date)
        .ok()
        .map(|v| {
            v.checklist(
                &location,
                date,
                workflow::inspection_kind(row).unwrap_or_default(),
            )
        });
    let verdict = row
        .verdict
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(AppError::internal)?;
    let findings = store::findings_of(conn, &row.id)?
        .iter()
        .map(|f| f.to_api(today))
        .collect::<AppResult<_>>()?;
    Ok(InspectionDetail {
        inspection,
        checklist,
        answers: Some(store::answers_of(conn, &row.id)?),
        photos: Some(store::photos_of(conn, &row.id)?),
        verdict,
        findings: Some(findings),
    })
}

/// One inspection; its `ETag` is the version to send back as `If-Match`. Roles: admin, the
/// inspection body's inspectors, the provider (answers and verdict once submitted).
#[utoipa::path(
    tag = "inspections",
    responses((status = 200, body = InspectionDetail), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/inspections/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    caller.require(&[Role::Admin, Role::Inspector, Role::Provider])?;
    let (id, app) = (id.into_inner(), state.clone());
    let detail = state
        .db
        .read(move |c| {
            let row = store::get(c, &id)?;
            workflow::may_read(&caller, &row)?;
            detail(c, &app, &caller, &row)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(detail.inspection.version))
        .json(detail))
}

/// Start the inspection: pins the checklist to the norm version in force today. Starting a
/// started inspection changes nothing. Roles: the assigned inspector.
#[utoipa::path(
    tag = "inspections",
    responses((status = 200, body = InspectionDetail), (status = 403, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = []))
)]
#[post("/inspections/{id}/start")]
pub async fn start(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    caller.require(&[Role::Inspector])?;
    let (id, app, today, now) = (
        id.into_inner(),
        state.clone(),
        state.clock.today(),
        state.now(),
    );
    let detail = state
        .db
        .write(move |c| {
            let mut row = store::get_for_update(c, &id)?;
            workflow::may_read(&caller, &row)?;
            workflow::start(c, &app.norms, &caller, &mut row, today, now)?;
            detail(c, &app, &caller, &row)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(detail.inspection.version))
        .json(detail))
}

/// The version a batch is based on, from `If-Match: "3"` (a weak tag or a bare number will do).
fn base_version(headers: &HeaderMap) -> AppResult<i32> {
    let value = headers
        .get(header::IF_MATCH)
        .ok_or_else(|| {
            AppError::invalid_field(
                "If-Match",
                "if_match_required",
                "send the version your answers are based on as If-Match (the ETag of the inspection)",
            )
        })?
        .to_str()
        .unwrap_or_default()
        .trim();
    value
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse()
        .map_err(|_| {
            AppError::invalid_field(
                "If-Match",
                "if_match_format",
                "If-Match must be a version such as \"3\"",
            )
        })
}

fn idempotency_key(headers: &HeaderMap) -> AppResult<String> {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or_default();
    if key.is_empty() || key.len() > 200 {
        return Err(AppError::invalid_field(
            "Idempotency-Key",
            "idempotency_key_required",
            "send a unique Idempotency-Key (up to 200 characters) with every batch, and the same one when you retry it",
        ));
    }
    Ok(key.to_owned())
}

/// Save a batch of answers. Send `Idempotency-Key` (a retry with the same key is stored once and
/// answered the same) and `If-Match` (the version the batch is based on: questions changed since
/// are refused with 409 and listed, the others merged). Roles: the assigned inspector.
#[utoipa::path(
    tag = "inspections",
    request_body = AnswerBatch,
    params(
        ("Idempotency-Key" = String, Header, description = "unique per batch, the same on a retry"),
        ("If-Match" = String, Header, description = "the inspection version the batch is based on"),
    ),
    responses(
        (status = 200, body = Saved),
        (status = 403, body = Problem),
        (status = 409, description = "questions changed by someone else, or the inspection is locked", body = Problem),
        (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[put("/inspections/{id}/answers")]
pub async fn save_answers(
    state: web::Data<AppState>,
    caller: Caller,
    request: actix_web::HttpRequest,
    id: web::Path<String>,
    body: ValidJson<AnswerBatch>,
) -> AppResult<HttpResponse> {
    caller.require(&[Role::Inspector])?;
    let headers = request.headers();
    let key = idempotency_key(headers)?;
    let base = base_version(headers)?;
    let batch = body.into_inner();
    let body_hash = hex::encode(Sha256::digest(
        serde_json::to_vec(&(&batch.answers, batch.device_time.map(|t| t.to_string())))
            .map_err(AppError::internal)?,
    ));
    let (id, app, today, now) = (
        id.into_inner(),
        state.clone(),
        state.clock.today(),
        state.now(),
    );
    let answer = state
        .db
        .write(move |c| {
            let request = BatchRequest {
                inspection_id: &id,
                idempotency_key: &key,
                base_version: base,
                body_hash,
            };
            workflow::save_answers(c, &app.norms, &caller, batch, &request, today, now)
        })
        .await?;
    let status =
        actix_web::http::StatusCode::from_u16(answer.status).map_err(AppError::internal)?;
    let version = serde_json::from_str::<serde_json::Value>(&answer.body)
        .ok()
        .and_then(|b| b["version"].as_i64())
        .and_then(|v| i32::try_from(v).ok());
    let mut response = HttpResponse::build(status);
    response.content_type(if status.is_success() {
        "application/json"
    } else {
        "application/problem+json"
    });
    if let Some(version) = version {
        response.insert_header(etag(version));
    }
    Ok(response.body(answer.body))
}

/// Add a photo (JPEG or PNG, checked by its content) as `multipart/form-data` with the fields
/// `question` (a fact, list or item id) and `file`. The same photo for the same question is kept
/// once (200); a new one answers 201. Roles: the assigned inspector.
#[utoipa::path(
    tag = "inspections",
    responses(
        (status = 201, body = Photo),
        (status = 200, description = "this photo was kept already", body = Photo),
        (status = 413, body = Problem),
        (status = 422, description = "not a JPEG or PNG image, or no such question", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/inspections/{id}/photos")]
pub async fn add_photo(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    form: actix_multipart::Multipart,
) -> AppResult<HttpResponse> {
    caller.require(&[Role::Inspector])?;
    let form = read_form(form, state.config.max_upload_bytes).await?;
    let question = form
        .text("question")
        .map(str::trim)
        .filter(|q| !q.is_empty() && q.len() <= 100)
        .ok_or_else(|| {
            AppError::invalid_field(
                "question",
                "question_required",
                "name the question or item the photo documents",
            )
        })?
        .to_owned();
    let data = match form.files.as_slice() {
        [(_, data)] => data.clone(),
        [] => {
            return Err(AppError::invalid_field(
                "file",
                "file_required",
                "send the photo in a file field",
            ));
        }
        _ => {
            return Err(AppError::invalid_field(
                "file",
                "one_file",
                "send one photo per request",
            ));
        }
    };
    let kind = FileKind::sniff(&data, &[FileKind::Jpeg, FileKind::Png]).ok_or_else(|| {
        AppError::invalid_field(
            "file",
            "not_an_image",
            "the file is not a JPEG or PNG image",
        )
    })?;
    let (id, app, today, now) = (
        id.into_inner(),
        state.clone(),
        state.clock.today(),
        state.now(),
    );
    let (kept, new) = state
        .db
        .write(move |c| {
            let evidence = NewEvidence {
                question: &question,
                kind,
                data: &data,
            };
            workflow::add_photo(c, &app.norms, &caller, &id, evidence, today, now)
        })
        .await?;
    Ok(if new {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    }
    .json(kept))
}

/// The bytes of a photo or document. Roles: whoever may read its inspection or finding.
#[utoipa::path(
    tag = "inspections",
    responses((status = 200, description = "the file", content_type = "application/octet-stream"), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/photos/{id}")]
pub async fn photo_file(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    caller.require(&[Role::Admin, Role::Inspector, Role::Provider])?;
    let id = id.into_inner();
    let (photo, data) = state
        .db
        .read(move |c| {
            let photo = store::photo(c, &id)?;
            let inspection = match (&photo.inspection_id, &photo.finding_id) {
                (Some(inspection), _) => store::get(c, inspection)?,
                (None, Some(finding)) => {
                    let finding = store::finding(c, finding)?;
                    workflow::may_read_finding(c, &caller, &finding)?
                }
                (None, None) => return Err(AppError::not_found("photo")),
            };
            workflow::may_read(&caller, &inspection).map_err(|_| AppError::not_found("photo"))?;
            if caller.is(Role::Provider)
                && photo.inspection_id.is_some()
                && !answers_visible_to_provider(inspection.status()?)
            {
                return Err(AppError::not_found("photo"));
            }
            let data = store::photo_data(c, &photo.id)?;
            Ok((photo, data))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type(photo.content_type)
        .insert_header(("x-content-sha256", photo.sha256))
        .body(data))
}

/// Judge the inspection and lock it: every failed item becomes a finding with its due date. An
/// incomplete checklist (422 `checklist_incomplete`, listing what is missing) or a failed item
/// without the photo the norm asks (422 `evidence_required`) changes nothing. Roles: the
/// assigned inspector.
#[utoipa::path(
    tag = "inspections",
    responses(
        (status = 200, body = Submitted),
        (status = 409, body = Problem),
        (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/inspections/{id}/submit")]
pub async fn submit(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    caller.require(&[Role::Inspector])?;
    let (id, app, today, now) = (
        id.into_inner(),
        state.clone(),
        state.clock.today(),
        state.now(),
    );
    // A major finding at an urgent inspection suspends certificates.
    let submitted = state
        .verified
        .write_status(&state.db, move |c| {
            workflow::submit(c, &app.norms, &caller, &id, today, now)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(submitted.inspection.version))
        .json(submitted))
}

/// Open a correction of a submitted inspection: a new inspection with the same answers, kept
/// beside the original, which it replaces once submitted. Roles: the inspector who did it, admin.
#[utoipa::path(
    tag = "inspections",
    request_body = CorrectionRequest,
    responses((status = 201, body = Inspection), (status = 409, body = Problem)),
    security(("bearer" = []))
)]
#[post("/inspections/{id}/corrections")]
pub async fn correct(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<CorrectionRequest>,
) -> AppResult<HttpResponse> {
    caller.require(&[Role::Admin, Role::Inspector])?;
    let (id, reason, now) = (id.into_inner(), body.into_inner().reason, state.now());
    let row = state
        .db
        .write(move |c| workflow::correct(c, &caller, &id, reason, now))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/inspections/{}", row.id)))
        .insert_header(etag(row.version))
        .json(row.to_api()?))
}

/// Every change to the inspection, its answers, photos and findings: who, what, when, before
/// and after, oldest first. Roles: admin, the inspection body's inspectors.
#[utoipa::path(
    tag = "inspections",
    responses((status = 200, body = Vec<AuditEntry>), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/inspections/{id}/audit")]
pub async fn audit_trail(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<web::Json<Vec<AuditEntry>>> {
    caller.require(&[Role::Admin, Role::Inspector])?;
    let id = id.into_inner();
    Ok(web::Json(
        state
            .db
            .read(move |c| {
                let row = store::get(c, &id)?;
                workflow::may_read(&caller, &row)?;
                audit::of_inspection(c, &id)
            })
            .await?,
    ))
}
