//! Logging in, and the user accounts.

use actix_web::{HttpResponse, get, patch, post, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{ValidJson, ValidQuery};
use crate::api::pagination::{Page, Paginated};
use crate::auth::users::{self, Login, NewUser, User, UserChanges};
use crate::auth::{Caller, Role, password};
use crate::error::{AppError, AppResult, Problem};
use crate::server::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct AccessToken {
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the token expires.
    pub expires_in: i64,
    pub role: Role,
}

/// Log in with e-mail address and password; answers a short-lived bearer token.
#[utoipa::path(
    tag = "auth",
    request_body = Login,
    responses(
        (status = 200, body = AccessToken),
        (status = 401, description = "wrong e-mail address or password", body = Problem),
        (status = 403, description = "the account is disabled", body = Problem),
    )
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    body: ValidJson<Login>,
) -> AppResult<web::Json<AccessToken>> {
    let Login { email, password } = body.into_inner();
    let user = state
        .db
        .read(move |conn| users::find_by_email(conn, &email))
        .await?;
    // Argon2 is deliberately slow: keep it off the async workers and off the pooled connection.
    let (user, matches) = web::block(move || match user {
        Some(user) => {
            let ok = password::verify(&password, &user.password_hash);
            (Some(user), ok)
        }
        None => {
            password::verify_nobody(&password);
            (None, false)
        }
    })
    .await?;
    let user = match user {
        Some(user) if matches => user,
        _ => {
            return Err(AppError::unauthenticated(
                "invalid_credentials",
                "the e-mail address or the password is wrong",
            ));
        }
    };
    if !user.active {
        return Err(AppError::forbidden("this account is disabled"));
    }
    let role = user.role()?;
    let token = state.tokens.issue(
        &user.id,
        role,
        user.organisation_id.as_deref(),
        chrono::Utc::now().timestamp(),
    )?;
    Ok(web::Json(AccessToken {
        access_token: token,
        token_type: "Bearer",
        expires_in: state.tokens.ttl_seconds,
        role,
    }))
}

/// The logged-in user. Roles: any user.
#[utoipa::path(
    tag = "auth",
    responses((status = 200, body = User), (status = 401, body = Problem)),
    security(("bearer" = []))
)]
#[get("/users/me")]
pub async fn me(state: web::Data<AppState>, caller: Caller) -> AppResult<web::Json<User>> {
    let id = caller
        .user_id()
        .ok_or_else(|| AppError::forbidden("an API key is not a user"))?
        .to_owned();
    Ok(web::Json(
        state.db.read(move |c| users::find(c, &id)).await?,
    ))
}

/// Create a user. Roles: admin.
#[utoipa::path(
    tag = "auth",
    request_body = NewUser,
    responses(
        (status = 201, body = User),
        (status = 409, description = "e-mail address taken", body = Problem),
        (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    caller: Caller,
    body: ValidJson<NewUser>,
) -> AppResult<HttpResponse> {
    caller.require(&[Role::Admin])?;
    let new = body.into_inner();
    let secret = new.password.clone();
    let hash = web::block(move || password::hash(&secret)).await??;
    let now = state.now();
    let user = state
        .db
        .write(move |c| users::create(c, new, hash, now))
        .await?;
    Ok(HttpResponse::Created().json(user))
}

/// All users. Roles: admin.
#[utoipa::path(
    tag = "auth",
    params(Page),
    responses((status = 200, body = Paginated<User>)),
    security(("bearer" = []))
)]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    caller: Caller,
    page: ValidQuery<Page>,
) -> AppResult<web::Json<Paginated<User>>> {
    caller.require(&[Role::Admin])?;
    let page = page.0;
    Ok(web::Json(
        state.db.read(move |c| users::list(c, page)).await?,
    ))
}

/// One user. Roles: admin, or the user itself.
#[utoipa::path(
    tag = "auth",
    responses((status = 200, body = User), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<web::Json<User>> {
    let id = id.into_inner();
    if caller.user_id() != Some(id.as_str()) {
        caller.require(&[Role::Admin])?;
    }
    Ok(web::Json(
        state.db.read(move |c| users::find(c, &id)).await?,
    ))
}

/// Change a user's name or password, or disable the account. Roles: admin.
#[utoipa::path(
    tag = "auth",
    request_body = UserChanges,
    responses((status = 200, body = User), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[patch("/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<UserChanges>,
) -> AppResult<web::Json<User>> {
    caller.require(&[Role::Admin])?;
    let changes = body.into_inner();
    let hash = match changes.password.clone() {
        Some(secret) => Some(web::block(move || password::hash(&secret)).await??),
        None => None,
    };
    let id = id.into_inner();
    let now = state.now();
    Ok(web::Json(
        state
            .db
            .write(move |c| users::update(c, &id, changes, hash, now))
            .await?,
    ))
}
