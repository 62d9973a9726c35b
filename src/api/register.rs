//! The register over HTTP: providers, locations, inspection bodies, agencies and their API keys.
//!
//! Every handler first names the roles that may call it; providers, inspectors and agencies then
//! see only their own organisation (anything else answers 404).

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::extract::{ValidJson, ValidQuery};
use crate::api::pagination::{Page, Paginated};
use crate::auth::api_key::{self, ApiKey, NewApiKey};
use crate::auth::{Caller, Role};
use crate::error::{AppError, AppResult, Problem};
use crate::register::store::{self, ProviderFilter};
use crate::register::*;
use crate::server::AppState;

fn created<T: serde::Serialize>(location: String, body: &T) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((actix_web::http::header::LOCATION, location))
        .json(body)
}

// ---- providers ---------------------------------------------------------------------------------

/// Register a housing provider. Roles: admin.
#[utoipa::path(
    tag = "register",
    request_body = NewProvider,
    responses(
        (status = 201, body = Provider),
        (status = 409, description = "KvK number registered already", body = Problem),
        (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/providers")]
pub async fn create_provider(
    state: web::Data<AppState>,
    caller: Caller,
    body: ValidJson<NewProvider>,
) -> AppResult<HttpResponse> {
    caller.require(&[Role::Admin])?;
    let now = state.now();
    let new = body.into_inner();
    let provider = state
        .db
        .write(move |c| store::create_provider(c, new, now))
        .await?;
    Ok(created(
        format!("/api/v1/providers/{}", provider.id),
        &provider,
    ))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProviderQuery {
    /// Part of the name, in any case.
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    pub q: Option<String>,
    #[validate(custom(function = "validate_kvk"))]
    pub kvk_number: Option<String>,
}

/// List providers, by name. Roles: admin, inspector; a provider sees only itself.
#[utoipa::path(
    tag = "register",
    params(ProviderQuery, Page),
    responses((status = 200, body = Paginated<Provider>)),
    security(("bearer" = []))
)]
#[get("/providers")]
pub async fn list_providers(
    state: web::Data<AppState>,
    caller: Caller,
    query: ValidQuery<ProviderQuery>,
    page: ValidQuery<Page>,
) -> AppResult<web::Json<Paginated<Provider>>> {
    caller.require(&[Role::Admin, Role::Inspector, Role::Provider])?;
    let filter = ProviderFilter {
        name: query.0.q,
        kvk_number: query.0.kvk_number,
        only: caller
            .is(Role::Provider)
            .then(|| caller.organisation_id.clone().unwrap_or_default()),
    };
    let page = page.0;
    Ok(web::Json(
        state
            .db
            .read(move |c| store::providers(c, &filter, page))
            .await?,
    ))
}

/// One provider. Roles: admin, inspector, the provider itself.
#[utoipa::path(
    tag = "register",
    responses((status = 200, body = Provider), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/providers/{id}")]
pub async fn get_provider(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<web::Json<Provider>> {
    caller.require(&[Role::Admin, Role::Inspector, Role::Provider])?;
    caller.require_own(Role::Provider, &id, "provider")?;
    let id = id.into_inner();
    Ok(web::Json(
        state.db.read(move |c| store::provider(c, &id)).await?,
    ))
}

/// Change a provider. Roles: admin; the provider itself for its name and contact address.
#[utoipa::path(
    tag = "register",
    request_body = ProviderChanges,
    responses(
        (status = 200, body = Provider),
        (status = 404, body = Problem),
        (status = 409, body = Problem),
        (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[patch("/providers/{id}")]
pub async fn update_provider(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<ProviderChanges>,
) -> AppResult<web::Json<Provider>> {
    caller.require(&[Role::Admin, Role::Provider])?;
    caller.require_own(Role::Provider, &id, "provider")?;
    let changes = body.into_inner();
    if caller.is(Role::Provider) && changes.kvk_number.is_some() {
        return Err(AppError::forbidden(
            "only the scheme owner can correct a KvK number",
        ));
    }
    let id = id.into_inner();
    let now = state.now();
    Ok(web::Json(
        state
            .db
            .write(move |c| store::update_provider(c, &id, changes, now))
            .await?,
    ))
}

// ---- locations ---------------------------------------------------------------------------------

/// Add a location to a provider. Roles: admin, the provider itself.
#[utoipa::path(
    tag = "register",
    request_body = NewLocation,
    responses((status = 201, body = Location), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[post("/providers/{id}/locations")]
pub async fn create_location(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<NewLocation>,
) -> AppResult<HttpResponse> {
    caller.require(&[Role::Admin, Role::Provider])?;
    caller.require_own(Role::Provider, &id, "provider")?;
    let (id, new, now) = (id.into_inner(), body.into_inner(), state.now());
    let location = state
        .db
        .write(move |c| store::create_location(c, &id, new, now))
        .await?;
    Ok(created(
        format!("/api/v1/locations/{}", location.id),
        &location,
    ))
}

/// A provider's locations. Roles: admin, inspector, the provider itself.
#[utoipa::path(
    tag = "register",
    params(Page),
    responses((status = 200, body = Paginated<Location>), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/providers/{id}/locations")]
pub async fn list_locations(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    page: ValidQuery<Page>,
) -> AppResult<web::Json<Paginated<Location>>> {
    caller.require(&[Role::Admin, Role::Inspector, Role::Provider])?;
    caller.require_own(Role::Provider, &id, "provider")?;
    let (id, page) = (id.into_inner(), page.0);
    Ok(web::Json(
        state
            .db
            .read(move |c| store::locations_of(c, &id, page))
            .await?,
    ))
}

/// One location. Roles: admin, inspector, its provider.
#[utoipa::path(
    tag = "register",
    responses((status = 200, body = Location), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/locations/{id}")]
pub async fn get_location(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<web::Json<Location>> {
    caller.require(&[Role::Admin, Role::Inspector, Role::Provider])?;
    let id = id.into_inner();
    let location = state.db.read(move |c| store::location(c, &id)).await?;
    caller.require_own(Role::Provider, &location.provider_id, "location")?;
    Ok(web::Json(location))
}

/// Change a location. Roles: admin, its provider.
#[utoipa::path(
    tag = "register",
    request_body = LocationChanges,
    responses((status = 200, body = Location), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[patch("/locations/{id}")]
pub async fn update_location(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<LocationChanges>,
) -> AppResult<web::Json<Location>> {
    caller.require(&[Role::Admin, Role::Provider])?;
    let (id, changes, now) = (id.into_inner(), body.into_inner(), state.now());
    let location = state
        .db
        .write(move |c| {
            let current = store::location(c, &id)?;
            caller.require_own(Role::Provider, &current.provider_id, "location")?;
            store::update_location(c, &id, changes, now)
        })
        .await?;
    Ok(web::Json(location))
}

// ---- inspection bodies -------------------------------------------------------------------------

/// Register an inspection body. Roles: admin.
#[utoipa::path(
    tag = "register",
    request_body = NewInspectionBody,
    responses((status = 201, body = InspectionBody), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[post("/inspection-bodies")]
pub async fn create_inspection_body(
    state: web::Data<AppState>,
    caller: Caller,
    body: ValidJson<NewInspectionBody>,
) -> AppResult<HttpResponse> {
    caller.require(&[Role::Admin])?;
    let (new, now) = (body.into_inner(), state.now());
    let created_body = state
        .db
        .write(move |c| store::create_inspection_body(c, new, now))
        .await?;
    Ok(created(
        format!("/api/v1/inspection-bodies/{}", created_body.id),
        &created_body,
    ))
}

/// All inspection bodies. Roles: admin.
#[utoipa::path(
    tag = "register",
    params(Page),
    responses((status = 200, body = Paginated<InspectionBody>)),
    security(("bearer" = []))
)]
#[get("/inspection-bodies")]
pub async fn list_inspection_bodies(
    state: web::Data<AppState>,
    caller: Caller,
    page: ValidQuery<Page>,
) -> AppResult<web::Json<Paginated<InspectionBody>>> {
    caller.require(&[Role::Admin])?;
    let page = page.0;
    Ok(web::Json(
        state
            .db
            .read(move |c| store::inspection_bodies(c, page))
            .await?,
    ))
}

/// One inspection body. Roles: admin, its own inspectors.
#[utoipa::path(
    tag = "register",
    responses((status = 200, body = InspectionBody), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/inspection-bodies/{id}")]
pub async fn get_inspection_body(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<web::Json<InspectionBody>> {
    caller.require(&[Role::Admin, Role::Inspector])?;
    caller.require_own(Role::Inspector, &id, "inspection body")?;
    let id = id.into_inner();
    Ok(web::Json(
        state
            .db
            .read(move |c| store::inspection_body(c, &id))
            .await?,
    ))
}

/// Change an inspection body. Roles: admin.
#[utoipa::path(
    tag = "register",
    request_body = InspectionBodyChanges,
    responses((status = 200, body = InspectionBody), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = []))
)]
#[patch("/inspection-bodies/{id}")]
pub async fn update_inspection_body(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<InspectionBodyChanges>,
) -> AppResult<web::Json<InspectionBody>> {
    caller.require(&[Role::Admin])?;
    let (id, changes, now) = (id.into_inner(), body.into_inner(), state.now());
    Ok(web::Json(
        state
            .db
            .write(move |c| store::update_inspection_body(c, &id, changes, now))
            .await?,
    ))
}

// ---- agencies ----------------------------------------------------------------------------------

/// Register an agency. Roles: admin.
#[utoipa::path(
    tag = "register",
    request_body = NewAgency,
    responses((status = 201, body = Agency), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[post("/agencies")]
pub async fn create_agency(
    state: web::Data<AppState>,
    caller: Caller,
    body: ValidJson<NewAgency>,
) -> AppResult<HttpResponse> {
    caller.require(&[Role::Admin])?;
    let (new, now) = (body.into_inner(), state.now());
    let agency = state
        .db
        .write(move |c| store::create_agency(c, new, now))
        .await?;
    Ok(created(format!("/api/v1/agencies/{}", agency.id), &agency))
}

/// All agencies. Roles: admin.
#[utoipa::path(
    tag = "register",
    params(Page),
    responses((status = 200, body = Paginated<Agency>)),
    security(("bearer" = []))
)]
#[get("/agencies")]
pub async fn list_agencies(
    state: web::Data<AppState>,
    caller: Caller,
    page: ValidQuery<Page>,
) -> AppResult<web::Json<Paginated<Agency>>> {
    caller.require(&[Role::Admin])?;
    let page = page.0;
    Ok(web::Json(
        state.db.read(move |c| store::agencies(c, page)).await?,
    ))
}

/// One agency. Roles: admin, the agency itself.
#[utoipa::path(
    tag = "register",
    responses((status = 200, body = Agency), (status = 404, body = Problem)),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/agencies/{id}")]
pub async fn get_agency(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<web::Json<Agency>> {
    caller.require(&[Role::Admin, Role::Agency])?;
    caller.require_own(Role::Agency, &id, "agency")?;
    let id = id.into_inner();
    Ok(web::Json(
        state.db.read(move |c| store::agency(c, &id)).await?,
    ))
}

/// Change an agency. Roles: admin.
#[utoipa::path(
    tag = "register",
    request_body = AgencyChanges,
    responses((status = 200, body = Agency), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[patch("/agencies/{id}")]
pub async fn update_agency(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<AgencyChanges>,
) -> AppResult<web::Json<Agency>> {
    caller.require(&[Role::Admin])?;
    let (id, changes, now) = (id.into_inner(), body.into_inner(), state.now());
    Ok(web::Json(
        state
            .db
            .write(move |c| store::update_agency(c, &id, changes, now))
            .await?,
    ))
}

// ---- API keys ----------------------------------------------------------------------------------

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKeyRequest {
    /// What the key is for, e.g. "payroll system".
    #[validate(length(min = 1, max = 100, message = "must be 1 to 100 characters"))]
    pub label: String,
}

/// Key management needs a person: a logged-in admin or a user of the agency, not a key itself.
fn require_key_manager(caller: &Caller, agency_id: &str) -> AppResult<()> {
    caller.require(&[Role::Admin, Role::Agency])?;
    caller.require_own(Role::Agency, agency_id, "agency")?;
    if caller.user_id().is_none() {
        return Err(AppError::forbidden(
            "API keys are managed by a logged-in user, not with an API key",
        ));
    }
    Ok(())
}

/// Create an API key for an agency's system; the key is in this answer only.
/// Roles: admin, the agency's users.
#[utoipa::path(
    tag = "register",
    request_body = NewApiKeyRequest,
    responses((status = 201, body = NewApiKey), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[post("/agencies/{id}/api-keys")]
pub async fn create_api_key(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<NewApiKeyRequest>,
) -> AppResult<HttpResponse> {
    require_key_manager(&caller, &id)?;
    let (id, label, now) = (id.into_inner(), body.into_inner().label, state.now());
    let key = state
        .db
        .write(move |c| {
            store::agency(c, &id)?;
            api_key::create(c, &id, label.trim(), now)
        })
        .await?;
    Ok(HttpResponse::Created().json(key))
}

/// An agency's API keys (without their secrets). Roles: admin, the agency's users.
#[utoipa::path(
    tag = "register",
    responses((status = 200, body = Vec<ApiKey>), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/agencies/{id}/api-keys")]
pub async fn list_api_keys(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<web::Json<Vec<ApiKey>>> {
    require_key_manager(&caller, &id)?;
    let id = id.into_inner();
    Ok(web::Json(
        state
            .db
            .read(move |c| {
                store::agency(c, &id)?;
                api_key::list(c, &id)
            })
            .await?,
    ))
}

/// Revoke an API key at once. Roles: admin, the agency's users.
#[utoipa::path(
    tag = "register",
    responses((status = 204), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[delete("/agencies/{id}/api-keys/{key_id}")]
pub async fn revoke_api_key(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (id, key_id) = path.into_inner();
    require_key_manager(&caller, &id)?;
    let now = state.now();
    state
        .db
        .write(move |c| api_key::revoke(c, &id, &key_id, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
