//! Pages for people, rendered on the server from `templates/`: the public register, and the
//! page a certificate's QR code opens, which checks the token and shows the status.

use actix_web::{HttpResponse, get, web};
use askama::Template;
use serde::Deserialize;

use crate::api::limit::Public;
use crate::api::pagination::Page;
use crate::api::verify::register_page;
use crate::certificate::Status;
use crate::certificate::store::PublicCertificate;
use crate::certificate::verify;
use crate::error::{AppError, AppResult};
use crate::server::AppState;

/// A certificate as the page shows it.
struct Shown {
    status: &'static str,
    status_nl: &'static str,
    reason: Option<String>,
    number: String,
    provider_name: String,
    kvk_number: String,
    scheme: String,
    norm_version: String,
    valid_from: String,
    valid_until: String,
    locations: Vec<String>,
    /// Reached through a token whose signature held.
    signed: bool,
}

impl Shown {
    fn new(c: PublicCertificate, signed: bool) -> Self {
        let status_nl = match c.status {
            Status::Valid => "Geldig",
            Status::Suspended => "Geschorst",
            Status::Withdrawn => "Ingetrokken",
            Status::Expired => "Verlopen",
        };
        Self {
            status: c.status.as_str(),
            status_nl,
            reason: c.status_reason,
            number: c.number,
            provider_name: c.provider.name,
            kvk_number: c.provider.kvk_number,
            scheme: c.scheme.to_uppercase(),
            norm_version: c.norm_version,
            valid_from: c.valid_from.to_string(),
            valid_until: c.valid_until.to_string(),
            locations: c.locations.iter().map(|l| l.address()).collect(),
            signed,
        }
    }
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    lang: &'static str,
    number: String,
    problem: Option<String>,
    certificate: Option<Shown>,
    checked_at: String,
}

#[derive(Debug, Deserialize)]
pub struct VerifyQuery {
    token: Option<String>,
    number: Option<String>,
}

fn html(page: &impl Template) -> AppResult<HttpResponse> {
    let body = page.render().map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body))
}

/// The page a QR code opens (`?token=`), or that looks up a number (`?number=`).
#[get("/verify")]
pub async fn verify_page(
    state: web::Data<AppState>,
    _client: Public,
    query: web::Query<VerifyQuery>,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    let now = state.clock.now();
    let today = now.date_naive();
    let app = state.clone();
    let number = query.number.clone().unwrap_or_default();
    let found: AppResult<Option<Shown>> = match (query.token, query.number) {
        (Some(token), _) => {
            state
                .db
                .read(move |c| {
                    verify::by_token(c, &app.certificate_tokens, &token, now.naive_utc())
                        .map(|cert| Some(Shown::new(cert, true)))
                })
                .await
        }
        (None, Some(number)) => state
            .verified
            .by_number(&state.db, &number, today)
            .await
            .map(|found| found.map(|cert| Shown::new(cert, false))),
        (None, None) => Ok(None),
    };
    let (certificate, problem) = match found {
        Ok(Some(shown)) => (Some(shown), None),
        Ok(None) if number.is_empty() => (None, None),
        Ok(None) => (
            None,
            Some(
                "Dit nummer staat niet in het register. · This number is not in the register."
                    .into(),
            ),
        ),
        Err(err) if err.problem().status < 500 => (None, Some(err.problem().detail)),
        Err(err) => return Err(err),
    };
    html(&VerifyPage {
        lang: "nl",
        number,
        problem,
        certificate,
        checked_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}

/// A line of the register as the page shows it.
struct Entry {
    name: String,
    kvk_number: String,
    places: String,
    number: String,
    status: &'static str,
    valid_until: String,
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    lang: &'static str,
    q: String,
    total: u64,
    entries: Vec<Entry>,
    previous: Option<u32>,
    next: Option<u32>,
}

#[derive(Debug, Deserialize)]
pub struct RegisterQuery {
    q: Option<String>,
    page: Option<u32>,
}

/// The public register: certified providers, searchable.
#[get("/register")]
pub async fn register(
    state: web::Data<AppState>,
    _client: Public,
    query: web::Query<RegisterQuery>,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    let page = Page {
        page: Some(query.page.unwrap_or(1).clamp(1, 1_000_000)),
        per_page: Some(50),
    };
    let q = query
        .q
        .unwrap_or_default()
        .chars()
        .take(100)
        .collect::<String>();
    let list = register_page(&state, Some(q.clone()), page).await?;
    let shown = u64::from(list.page) * u64::from(list.per_page);
    html(&RegisterPage {
        lang: "nl",
        total: list.total,
        previous: (list.page > 1).then(|| list.page - 1),
        next: (shown < list.total).then(|| list.page + 1),
        entries: list
            .items
            .into_iter()
            .map(|e| Entry {
                name: e.name,
                kvk_number: e.kvk_number,
                places: e.places.join(", "),
                number: e.certificate_number,
                status: e.status.as_str(),
                valid_until: e.valid_until.to_string(),
            })
            .collect(),
        q,
    })
}
