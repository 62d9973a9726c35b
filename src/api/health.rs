//! Liveness for load balancers and operators.

use actix_web::{get, web};
use diesel::RunQueryDsl;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{AppResult, Problem};
use crate::server::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// 200 when the service and its database answer, else 503.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = Problem))
)]
#[get("/health")]
pub async fn health(state: web::Data<AppState>) -> AppResult<web::Json<Health>> {
    state
        .db
        .read(|conn| Ok(diesel::sql_query("SELECT 1").execute(conn)?))
        .await
        .map_err(crate::error::AppError::unavailable)?;
    Ok(web::Json(Health { status: "ok" }))
}
