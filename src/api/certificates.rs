//! Certificates over HTTP, for the scheme owner and the provider: eligibility, issuing, reading,
//! the PDF, and suspending, reinstating and withdrawing.

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::extract::{ValidJson, ValidQuery};
use crate::api::pagination::{Page, Paginated};
use crate::audit::AuditEntry;
use crate::auth::{Caller, Role};
use crate::certificate::issue::{self, Eligibility, Issuer};
use crate::certificate::pdf::{self, Lang, Printed};
use crate::certificate::store::{self, Certificate, CertificateRow};
use crate::certificate::{Action, normalise_number};
use crate::error::{AppError, AppResult, Problem};
use crate::inspection::workflow::actor;
use crate::server::AppState;

#[derive(Debug, Deserialize, Validate, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SchemeChoice {
    /// The scheme (default `snf`).
    #[validate(length(min = 1, max = 40, message = "must be 1 to 40 characters"))]
    pub scheme: Option<String>,
}

impl SchemeChoice {
    fn scheme(self) -> String {
        self.scheme.unwrap_or_else(|| "snf".to_owned())
    }
}

/// Only the scheme owner, and the provider for its own certificates.
fn may_read(caller: &Caller, provider_id: &str) -> AppResult<()> {
    caller.require(&[Role::Admin, Role::Provider])?;
    caller.require_own(Role::Provider, provider_id, "certificate")
}

/// Whether the provider may have a certificate now, and if not, every reason. Roles: admin,
/// the provider itself.
#[utoipa::path(
    tag = "certificates",
    params(SchemeChoice),
    responses((status = 200, body = Eligibility), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/providers/{id}/certificates/eligibility")]
pub async fn eligibility(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    query: ValidQuery<SchemeChoice>,
) -> AppResult<web::Json<Eligibility>> {
    may_read(&caller, &id)?;
    let (id, scheme, today, app) = (
        id.into_inner(),
        query.0.scheme(),
        state.clock.today(),
        state.clone(),
    );
    Ok(web::Json(
        state
            .db
            .read(move |c| issue::eligibility(c, &app.norms, &id, &scheme, today))
            .await?,
    ))
}

/// Issue a certificate: when the provider's administrative inspection and the latest
/// inspection of every location it is first responsible for were submitted within the cycle
/// and no major finding is open. Otherwise 409 `not_eligible` with every reason. Role: admin.
#[utoipa::path(
    tag = "certificates",
    request_body = SchemeChoice,
    responses(
        (status = 201, body = Certificate),
        (status = 409, description = "not eligible; `reasons` lists why", body = Problem),
        (status = 404, body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/providers/{id}/certificates")]
pub async fn issue_certificate(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<SchemeChoice>,
) -> AppResult<HttpResponse> {
    caller.require(&[Role::Admin])?;
    let (id, scheme, app) = (id.into_inner(), body.into_inner().scheme(), state.clone());
    let (today, now) = (state.clock.today(), state.now());
    let row = state
        .db
        .write(move |c| {
            let by = actor(&caller);
            let issuer = Issuer {
                actor: &by,
                public_url: &app.config.public_url,
            };
            issue::issue(c, &app.norms, &issuer, &id, &scheme, today, now)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/certificates/{}", row.number),
        ))
        .json(row.to_api(today, &state.config.public_url)?))
}

/// The provider's certificates, newest first. Roles: admin, the provider itself.
#[utoipa::path(
    tag = "certificates",
    params(Page),
    responses((status = 200, body = Paginated<Certificate>), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/providers/{id}/certificates")]
pub async fn of_provider(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    page: ValidQuery<Page>,
) -> AppResult<web::Json<Paginated<Certificate>>> {
    may_read(&caller, &id)?;
    let (id, page, today) = (id.into_inner(), page.0, state.clock.today());
    let rows = state
        .db
        .read(move |c| {
            crate::register::store::provider(c, &id)?;
            store::of_provider(c, &id, None)
        })
        .await?;
    let total = i64::try_from(rows.len()).unwrap_or(i64::MAX);
    let items = rows
        .iter()
        .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
        .take(usize::try_from(page.limit()).unwrap_or(0))
        .map(|row| row.to_api(today, &state.config.public_url))
        .collect::<AppResult<_>>()?;
    Ok(web::Json(page.wrap(items, total)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateDetail {
    #[serde(flatten)]
    pub certificate: Certificate,
    /// Every change: issued, suspended, reinstated, withdrawn; oldest first.
    pub history: Vec<AuditEntry>,
}

/// Reads a certificate the caller may see.
async fn readable(state: &AppState, caller: &Caller, number: &str) -> AppResult<CertificateRow> {
    caller.require(&[Role::Admin, Role::Provider])?;
    let number = normalise_number(number).ok_or_else(|| AppError::not_found("certificate"))?;
    let row = state
        .db
        .read(move |c| store::by_number(c, &number))
        .await?
        .ok_or_else(|| AppError::not_found("certificate"))?;
    may_read(caller, &row.provider_id)?;
    Ok(row)
}

/// One certificate with its history. Roles: admin, the provider it was issued to.
#[utoipa::path(
    tag = "certificates",
    responses((status = 200, body = CertificateDetail), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/certificates/{number}")]
pub async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    number: web::Path<String>,
) -> AppResult<web::Json<CertificateDetail>> {
    let row = readable(&state, &caller, &number).await?;
    let id = row.id.clone();
    let history = state.db.read(move |c| issue::history(c, &id)).await?;
    Ok(web::Json(CertificateDetail {
        certificate: row.to_api(state.clock.today(), &state.config.public_url)?,
        history,
    }))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PdfQuery {
    /// `nl` (default) or `en`.
    pub lang: Option<Lang>,
}

/// The certificate as a PDF, with the QR code that carries its token. Roles: admin, the
/// provider it was issued to.
#[utoipa::path(
    tag = "certificates",
    params(PdfQuery),
    responses(
        (status = 200, content_type = "application/pdf", description = "the certificate"),
        (status = 404, body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/certificates/{number}/pdf")]
pub async fn certificate_pdf(
    state: web::Data<AppState>,
    caller: Caller,
    number: web::Path<String>,
    query: ValidQuery<PdfQuery>,
) -> AppResult<HttpResponse> {
    let row = readable(&state, &caller, &number).await?;
    let lang = query.0.lang.unwrap_or(Lang::Nl);
    let scheme = state.norms.scheme(&row.scheme).ok_or_else(|| {
        AppError::internal(anyhow::anyhow!("scheme {} is not loaded", row.scheme))
    })?;
    let printed = Printed {
        locations: row.covered()?,
        verify_url: store::verify_url(&state.config.public_url, &row.token),
        number: row.number.clone(),
        provider_name: row.provider_name.clone(),
        kvk_number: row.kvk_number.clone(),
        scheme: row.scheme.clone(),
        scheme_name: scheme.name.clone(),
        norm_version: row.norm_version.clone(),
        norm_hash: row.norm_hash.clone(),
        valid_from: row.valid_from,
        valid_until: row.valid_until,
        issued_on: row.issued_at.date(),
    };
    // Drawing takes a few milliseconds of CPU: off the async worker.
    let bytes = web::block(move || pdf::render(&printed, lang)).await??;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{}.pdf\"", row.number),
        ))
        .body(bytes))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    /// Why; shown with the status to everyone who verifies the certificate.
    #[validate(length(min = 3, max = 2000, message = "must be 3 to 2000 characters"))]
    pub reason: String,
}

async fn change(
    state: web::Data<AppState>,
    caller: Caller,
    number: String,
    action: Action,
    body: StatusChange,
) -> AppResult<web::Json<Certificate>> {
    caller.require(&[Role::Admin])?;
    let number = normalise_number(&number).ok_or_else(|| AppError::not_found("certificate"))?;
    let (today, now) = (state.clock.today(), state.now());
    let row = state
        .verified
        .write_status(&state.db, move |c| {
            issue::change_status(
                c,
                &number,
                action,
                body.reason.trim(),
                &actor(&caller),
                today,
                now,
            )
        })
        .await?;
    Ok(web::Json(row.to_api(today, &state.config.public_url)?))
}

/// Suspend a valid certificate, with the reason verification shows. Role: admin.
#[utoipa::path(
    tag = "certificates",
    request_body = StatusChange,
    responses((status = 200, body = Certificate), (status = 409, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[post("/certificates/{number}/suspend")]
pub async fn suspend(
    state: web::Data<AppState>,
    caller: Caller,
    number: web::Path<String>,
    body: ValidJson<StatusChange>,
) -> AppResult<web::Json<Certificate>> {
    change(
        state,
        caller,
        number.into_inner(),
        Action::Suspend,
        body.into_inner(),
    )
    .await
}

/// Reinstate a suspended certificate. Role: admin.
#[utoipa::path(
    tag = "certificates",
    request_body = StatusChange,
    responses((status = 200, body = Certificate), (status = 409, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[post("/certificates/{number}/reinstate")]
pub async fn reinstate(
    state: web::Data<AppState>,
    caller: Caller,
    number: web::Path<String>,
    body: ValidJson<StatusChange>,
) -> AppResult<web::Json<Certificate>> {
    change(
        state,
        caller,
        number.into_inner(),
        Action::Reinstate,
        body.into_inner(),
    )
    .await
}

/// Withdraw a certificate for good. Role: admin.
#[utoipa::path(
    tag = "certificates",
    request_body = StatusChange,
    responses((status = 200, body = Certificate), (status = 409, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[post("/certificates/{number}/withdraw")]
pub async fn withdraw(
    state: web::Data<AppState>,
    caller: Caller,
    number: web::Path<String>,
    body: ValidJson<StatusChange>,
) -> AppResult<web::Json<Certificate>> {
    change(
        state,
        caller,
        number.into_inner(),
        Action::Withdraw,
        body.into_inner(),
    )
    .await
}
