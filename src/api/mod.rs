//! The HTTP API under `/api/v1`: thin handlers that check the caller, parse the input, call the
//! domain and the store, and answer JSON. The OpenAPI document is collected from the handlers.

pub mod auth;
pub mod certificates;
pub mod extract;
pub mod findings;
pub mod health;
pub mod inspections;
pub mod limit;
pub mod norms;
pub mod pagination;
pub mod register;
pub mod verify;

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::service_config::ServiceConfig;

/// The OpenAPI document, collected from the handlers' annotations.
pub fn openapi() -> utoipa::openapi::OpenApi {
    use utoipa_actix_web::AppExt;
    let (_, doc) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .service(health::health)
        .service(verify::jwks)
        .service(utoipa_actix_web::scope("/api/v1").configure(routes))
        .split_for_parts();
    doc
}

/// Every route under `/api/v1`.
pub fn routes(cfg: &mut ServiceConfig) {
    // Routes are tried in this order: the public verification, the busiest, comes first.
    cfg.service(verify::bulk)
        .service(verify::by_number)
        .service(verify::by_token)
        .service(verify::register)
        .service(verify::provider)
        .service(auth::login)
        .service(auth::me)
        .service(auth::create_user)
        .service(auth::list_users)
        .service(auth::get_user)
        .service(auth::update_user)
        .service(register::create_provider)
        .service(register::list_providers)
        .service(register::get_provider)
        .service(register::update_provider)
        .service(register::create_location)
        .service(register::list_locations)
        .service(register::get_location)
        .service(register::update_location)
        .service(register::create_inspection_body)
        .service(register::list_inspection_bodies)
        .service(register::get_inspection_body)
        .service(register::update_inspection_body)
        .service(register::create_agency)
        .service(register::list_agencies)
        .service(register::get_agency)
        .service(register::update_agency)
        .service(register::create_api_key)
        .service(register::list_api_keys)
        .service(register::revoke_api_key)
        .service(norms::list_norms)
        .service(norms::evaluate)
        .service(norms::checklist)
        .service(norms::get_norm)
        .service(inspections::plan)
        .service(inspections::list)
        .service(inspections::get_one)
        .service(inspections::start)
        .service(inspections::save_answers)
        .service(inspections::add_photo)
        .service(inspections::photo_file)
        .service(inspections::submit)
        .service(inspections::correct)
        .service(inspections::audit_trail)
        .service(findings::list)
        .service(findings::get_one)
        .service(findings::submit_repair)
        .service(findings::decide)
        .service(certificates::eligibility)
        .service(certificates::issue_certificate)
        .service(certificates::of_provider)
        .service(certificates::get_one)
        .service(certificates::certificate_pdf)
        .service(certificates::suspend)
        .service(certificates::reinstate)
        .service(certificates::withdraw);
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "flexkeur",
        description = "Certification of housing for labour migrants under the SNF norm: the \
                       register, inspections, certificates and their verification. Errors are \
                       application/problem+json with a stable `code`."
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "auth", description = "Logging in and user accounts"),
        (name = "register", description = "Providers, locations, inspection bodies, agencies"),
        (name = "norms", description = "The norm versions, their checklists, and evaluation"),
        (name = "inspections", description = "Planning, answering, photos, submitting, corrections, audit"),
        (name = "findings", description = "Findings, repair letters and decisions"),
        (name = "certificates", description = "Eligibility, issuing, the PDF, suspending, reinstating, withdrawing"),
        (name = "verification", description = "Public, no login: verify certificates and providers, the register, the signing keys. Rate-limited per client; an agency's API key gets a higher limit"),
        (name = "operations", description = "Health"),
    )
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("The access_token from POST /api/v1/auth/login"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Api-Key",
                "An agency's API key",
            ))),
        );
    }
}
