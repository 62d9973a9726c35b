//! Findings over HTTP: the provider's list of what to repair and by when, repair letters with
//! evidence, and the inspection body's decision on them.

use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::extract::{ValidJson, ValidQuery, read_form};
use crate::api::pagination::{Page, Paginated};
use crate::auth::{Caller, Role};
use crate::error::{AppError, AppResult, Problem};
use crate::inspection::evidence::FileKind;
use crate::inspection::finding::FindingStatus;
use crate::inspection::store::{self, Finding, FindingFilter, Photo, Repair};
use crate::inspection::workflow::{self, RepairDecision};
use crate::server::AppState;

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FindingQuery {
    pub provider_id: Option<String>,
    pub location_id: Option<String>,
    /// `open`, `overdue` (open past its due date), `repair_submitted` or `closed`.
    pub status: Option<FindingStatus>,
}

/// Findings, soonest due first. Roles: admin (all), inspector (its body's), provider (its own,
/// from submitted inspections).
#[utoipa::path(
    tag = "findings",
    params(FindingQuery, Page),
    responses((status = 200, body = Paginated<Finding>)),
    security(("bearer" = []))
)]
#[get("/findings")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: ValidQuery<FindingQuery>,
    page: ValidQuery<Page>,
) -> AppResult<web::Json<Paginated<Finding>>> {
    caller.require(&[Role::Admin, Role::Inspector, Role::Provider])?;
    let query = query.0;
    let own = caller.organisation_id.clone();
    let filter = FindingFilter {
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
        today: Some(state.clock.today()),
    };
    let page = page.0;
    Ok(web::Json(
        state
            .db
            .read(move |c| store::list_findings(c, &filter, page))
            .await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FindingDetail {
    #[serde(flatten)]
    pub finding: Finding,
    pub repairs: Vec<Repair>,
    /// The evidence sent with the repairs.
    pub evidence: Vec<Photo>,
}

/// One finding with its repair letters and evidence. Roles: as for the list.
#[utoipa::path(
    tag = "findings",
    responses((status = 200, body = FindingDetail), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/findings/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<web::Json<FindingDetail>> {
    caller.require(&[Role::Admin, Role::Inspector, Role::Provider])?;
    let (id, today) = (id.into_inner(), state.clock.today());
    Ok(web::Json(
        state
            .db
            .read(move |c| {
                let finding = store::finding(c, &id)?;
                workflow::may_read_finding(c, &caller, &finding)?;
                Ok(FindingDetail {
                    finding: finding.to_api(today)?,
                    repairs: store::repairs_of(c, &id)?,
                    evidence: store::photos_of_finding(c, &id)?,
                })
            })
            .await?,
    ))
}

/// Send a repair letter: `multipart/form-data` with `note` and one or more `file`s (photos as
/// JPEG or PNG, invoices as PDF, checked by content). Only for findings the norm lets a letter
/// close. Roles: the provider, admin.
#[utoipa::path(
    tag = "findings",
    responses(
        (status = 201, body = Repair),
        (status = 409, description = "a re-inspection is needed, or a letter is pending", body = Problem),
        (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/findings/{id}/repairs")]
pub async fn submit_repair(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    form: actix_multipart::Multipart,
) -> AppResult<HttpResponse> {
    caller.require(&[Role::Admin, Role::Provider])?;
    let form = read_form(form, state.config.max_upload_bytes).await?;
    let note = form
        .text("note")
        .map(str::trim)
        .filter(|n| (1..=5000).contains(&n.len()))
        .ok_or_else(|| {
            AppError::invalid_field(
                "note",
                "note_required",
                "describe the repair (1 to 5000 characters)",
            )
        })?
        .to_owned();
    let allowed = [FileKind::Jpeg, FileKind::Png, FileKind::Pdf];
    let mut files = Vec::with_capacity(form.files.len());
    for (index, (_, data)) in form.files.into_iter().enumerate() {
        let kind = FileKind::sniff(&data, &allowed).ok_or_else(|| {
            AppError::invalid_field(
                &format!("file[{index}]"),
                "unsupported_file",
                "evidence must be a JPEG or PNG photo or a PDF",
            )
        })?;
        files.push((kind, data));
    }
    let (id, now) = (id.into_inner(), state.now());
    let repair = state
        .db
        .write(move |c| workflow::submit_repair(c, &caller, &id, note, &files, now))
        .await?;
    Ok(HttpResponse::Created().json(repair))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Decided {
    pub repair: Repair,
    pub finding: Finding,
}

/// Accept a repair letter (the finding is closed) or reject it (the finding is open again, its
/// due date unchanged). Roles: the inspection body that found it, admin.
#[utoipa::path(
    tag = "findings",
    request_body = RepairDecision,
    responses((status = 200, body = Decided), (status = 403, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = []))
)]
#[post("/findings/{id}/repairs/{repair_id}/decision")]
pub async fn decide(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: ValidJson<RepairDecision>,
) -> AppResult<web::Json<Decided>> {
    caller.require(&[Role::Admin, Role::Inspector])?;
    let ((id, repair_id), decision) = (path.into_inner(), body.into_inner());
    let (today, now) = (state.clock.today(), state.now());
    let (repair, finding) = state
        .db
        .write(move |c| workflow::decide_repair(c, &caller, &id, &repair_id, decision, today, now))
        .await?;
    Ok(web::Json(Decided { repair, finding }))
}
