//! Verification, open to everyone without logging in, limited per client (an agency that sends
//! its API key gets a higher limit): a certificate by number, by the token in its QR code, many
//! at once, a provider by KvK number, the public register, and the published keys.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use super::extract::{ValidJson, ValidQuery};
use super::limit::Public;
use crate::api::pagination::{Page, Paginated};
use crate::certificate::Status;
use crate::certificate::keys::{self, Jwks};
use crate::certificate::store::{self, PublicCertificate};
use crate::certificate::verify::{self, MAX_BULK, NumberAnswer, Standing};
use crate::error::{AppError, AppResult, Problem};
use crate::register::validate_kvk;
use crate::server::AppState;

/// A certificate as it stands at `checked_at`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Verification {
    #[serde(flatten)]
    pub certificate: PublicCertificate,
    #[schema(value_type = String, format = DateTime)]
    pub checked_at: DateTime<Utc>,
}

/// Verify a certificate by its number. Public. 404 for a number that was never issued.
#[utoipa::path(
    tag = "verification",
    responses(
        (status = 200, body = Verification),
        (status = 404, body = Problem),
        (status = 429, description = "over the limit; see Retry-After", body = Problem),
    ),
    security((), ("api_key" = []))
)]
#[get("/verify/{number}")]
pub async fn by_number(
    state: web::Data<AppState>,
    _client: Public,
    number: web::Path<String>,
) -> AppResult<web::Json<Verification>> {
    let checked_at = state.clock.now();
    let today = checked_at.date_naive();
    let certificate = state
        .verified
        .by_number(&state.db, &number, today)
        .await?
        .ok_or_else(|| AppError::not_found("certificate"))?;
    Ok(web::Json(Verification {
        certificate,
        checked_at,
    }))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenCheck {
    /// The token from the certificate's QR code (the `token` of its address).
    #[validate(length(min = 1, max = 4096, message = "must be 1 to 4096 characters"))]
    pub token: String,
}

/// Verify the token of a certificate's QR code: its signature, its dates, then the
/// certificate's status. A token that is changed, signed by another key, unsigned (`alg:
/// none`) or past its date is refused with 422 and a code that says which.
#[utoipa::path(
    tag = "verification",
    request_body = TokenCheck,
    responses(
        (status = 200, body = Verification),
        (status = 422, description = "`token_malformed`, `token_signature_invalid`, `token_unknown_key`, `token_expired`, `token_not_yet_valid`, `token_unknown_certificate`", body = Problem),
        (status = 429, body = Problem),
    ),
    security((), ("api_key" = []))
)]
#[post("/verify")]
pub async fn by_token(
    state: web::Data<AppState>,
    _client: Public,
    body: ValidJson<TokenCheck>,
) -> AppResult<web::Json<Verification>> {
    let checked_at = state.clock.now();
    let (token, app) = (body.into_inner().token, state.clone());
    let certificate = state
        .db
        .read(move |c| verify::by_token(c, &app.certificate_tokens, &token, checked_at.naive_utc()))
        .await?;
    Ok(web::Json(Verification {
        certificate,
        checked_at,
    }))
}

fn bulk_size(list: &[String]) -> Result<(), ValidationError> {
    if (1..=MAX_BULK).contains(&list.len()) {
        Ok(())
    } else {
        Err(ValidationError::new("bulk_size").with_message("send 1 to 1000 entries".into()))
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkCheck {
    /// Certificate numbers; or
    #[validate(custom(function = "bulk_size"))]
    pub numbers: Option<Vec<String>>,
    /// KvK numbers of providers.
    #[validate(custom(function = "bulk_size"))]
    pub kvk_numbers: Option<Vec<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum BulkResults {
    Numbers(Vec<NumberAnswer>),
    Providers(Vec<Standing>),
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkAnswer {
    #[schema(value_type = String, format = DateTime)]
    pub checked_at: DateTime<Utc>,
    /// One answer per entry, in the order sent; an entry that names nothing known is answered
    /// with status `unknown`.
    pub results: BulkResults,
}

/// Verify up to 1,000 certificates by number, or providers by KvK number, in one call. Public;
/// a call counts as one request per started hundred entries.
#[utoipa::path(
    tag = "verification",
    request_body = BulkCheck,
    responses((status = 200, body = BulkAnswer), (status = 422, body = Problem), (status = 429, body = Problem)),
    security((), ("api_key" = []))
)]
#[post("/verify/bulk")]
pub async fn bulk(
    state: web::Data<AppState>,
    client: Public,
    body: ValidJson<BulkCheck>,
) -> AppResult<web::Json<BulkAnswer>> {
    let body = body.into_inner();
    let entries = match (&body.numbers, &body.kvk_numbers) {
        (Some(list), None) | (None, Some(list)) => list.len(),
        _ => {
            return Err(AppError::invalid_field(
                "body",
                "numbers_or_kvk_numbers",
                "send either numbers or kvk_numbers",
            ));
        }
    };
    // The extractor counted one request; the rest of the hundreds count too.
    let extra = u32::try_from(entries.div_ceil(100)).unwrap_or(u32::MAX) - 1;
    if extra > 0 {
        state.limits.charge(&client.client, extra)?;
    }
    let checked_at = state.clock.now();
    let today = checked_at.date_naive();
    let results = match (body.numbers, body.kvk_numbers) {
        (Some(numbers), _) => BulkResults::Numbers(
            state
                .verified
                .by_numbers(&state.db, &numbers, today)
                .await?,
        ),
        (_, Some(kvks)) => BulkResults::Providers(
            state
                .db
                .read(move |c| verify::standings(c, &kvks, today))
                .await?,
        ),
        (None, None) => BulkResults::Numbers(Vec::new()),
    };
    Ok(web::Json(BulkAnswer {
        checked_at,
        results,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderCheck {
    #[serde(flatten)]
    pub standing: Standing,
    #[schema(value_type = String, format = DateTime)]
    pub checked_at: DateTime<Utc>,
}

/// Is this provider registered: with which certificate, covering which locations. Public. 404
/// for a KvK number no provider in the register has.
#[utoipa::path(
    tag = "verification",
    responses(
        (status = 200, body = ProviderCheck),
        (status = 404, body = Problem),
        (status = 422, body = Problem),
        (status = 429, body = Problem),
    ),
    security((), ("api_key" = []))
)]
#[get("/register/providers/{kvk_number}")]
pub async fn provider(
    state: web::Data<AppState>,
    _client: Public,
    kvk: web::Path<String>,
) -> AppResult<web::Json<ProviderCheck>> {
    let kvk = kvk.into_inner();
    validate_kvk(&kvk).map_err(|_| {
        AppError::invalid_field(
            "kvk_number",
            "kvk_format",
            "a KvK number is exactly 8 digits",
        )
    })?;
    let checked_at = state.clock.now();
    let today = checked_at.date_naive();
    let standing = state
        .db
        .read(move |c| verify::standings(c, &[kvk], today))
        .await?
        .pop()
        .filter(|s| s.status != verify::Registration::Unknown)
        .ok_or_else(|| AppError::not_found("provider with this KvK number"))?;
    Ok(web::Json(ProviderCheck {
        standing,
        checked_at,
    }))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegisterQuery {
    /// Part of the provider's name, its KvK number, or a certificate number.
    #[validate(length(max = 100, message = "at most 100 characters"))]
    pub q: Option<String>,
}

/// A provider in the public register.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisterEntry {
    pub name: String,
    pub kvk_number: String,
    /// The places of the locations covered.
    pub places: Vec<String>,
    pub certificate_number: String,
    pub scheme: String,
    /// `valid` or `suspended`.
    pub status: Status,
    pub valid_until: chrono::NaiveDate,
}

/// The public register: providers with a certificate in force or suspended, by name. Public.
pub async fn register_page(
    state: &AppState,
    q: Option<String>,
    page: Page,
) -> AppResult<Paginated<RegisterEntry>> {
    let today = state.clock.today();
    let rows = state
        .db
        .read(move |c| store::register(c, q.as_deref(), today, page))
        .await?;
    let items = rows
        .items
        .iter()
        .map(|row| {
            let mut places: Vec<String> = row.covered()?.into_iter().map(|l| l.city).collect();
            places.sort();
            places.dedup();
            Ok(RegisterEntry {
                name: row.provider_name.clone(),
                kvk_number: row.kvk_number.clone(),
                places,
                certificate_number: row.number.clone(),
                scheme: row.scheme.clone(),
                status: row.status_on(today)?,
                valid_until: row.valid_until,
            })
        })
        .collect::<AppResult<_>>()?;
    Ok(Paginated {
        items,
        page: rows.page,
        per_page: rows.per_page,
        total: rows.total,
    })
}

/// The public register as JSON, searchable and paginated. Public.
#[utoipa::path(
    tag = "verification",
    params(RegisterQuery, Page),
    responses((status = 200, body = Paginated<RegisterEntry>), (status = 429, body = Problem)),
    security((), ("api_key" = []))
)]
#[get("/register/providers")]
pub async fn register(
    state: web::Data<AppState>,
    _client: Public,
    query: ValidQuery<RegisterQuery>,
    page: ValidQuery<Page>,
) -> AppResult<web::Json<Paginated<RegisterEntry>>> {
    Ok(web::Json(register_page(&state, query.0.q, page.0).await?))
}

/// Every key that signs certificate tokens, current and retired (RFC 7517), so that a token can
/// be checked without calling flexkeur. Public, not limited.
#[utoipa::path(
    tag = "verification",
    responses((status = 200, body = Jwks)),
    security(())
)]
#[get("/.well-known/jwks.json")]
pub async fn jwks(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let keys = state.db.read(keys::jwks).await?;
    Ok(HttpResponse::Ok()
        // Keys change only on rotation; caches may keep them a while.
        .insert_header(("cache-control", "public, max-age=300"))
        .json(keys))
}
