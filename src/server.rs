//! Start-up and the HTTP application: everything a node needs, assembled once.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{App, HttpMessage, HttpServer, web};
use anyhow::Context;
use tracing_actix_web::{RequestId, TracingLogger};
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_swagger_ui::SwaggerUi;

use crate::api;
use crate::api::extract::{self, BodyLimit};
use crate::api::limit::Limits;
use crate::auth::token::TokenKeys;
use crate::auth::{password, users};
use crate::certificate::cache::Verified;
use crate::certificate::{keys, token};
use crate::config::{Config, LogFormat};
use crate::db::{self, Db};
use crate::error::AppError;
use crate::norm::Registry;
use crate::time::Clock;

/// What every request handler can reach. Nothing in it is state another node would need: the
/// database holds that.
pub struct AppState {
    pub db: Db,
    pub tokens: TokenKeys,
    pub config: Arc<Config>,
    /// Built once at start from the handlers' annotations.
    pub openapi: utoipa::openapi::OpenApi,
    /// Every norm version, loaded and checked at start.
    pub norms: Arc<Registry>,
    pub clock: Clock,
    /// Checks certificate tokens; keeps the public keys it has looked up.
    pub certificate_tokens: token::Checker,
    /// Per-client counts of the public endpoints.
    pub limits: Limits,
    /// The certificates verification has looked up (SQLite only; see its module).
    pub verified: Verified,
}

impl AppState {
    /// The current time, as stored.
    pub fn now(&self) -> chrono::NaiveDateTime {
        self.clock.naive_now()
    }
}

pub fn init_tracing(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    // A second initialisation (tests start many apps) keeps the first subscriber.
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Connects, migrates, loads the shared keys and creates the bootstrap admin.
pub fn prepare(config: Config) -> anyhow::Result<AppState> {
    let norms = Registry::load_dir(&config.norms_dir)
        .with_context(|| format!("loading the norms from {}", config.norms_dir.display()))?;
    // A SQLite file serves one node, which then sees every status change and may keep what
    // verification read; PostgreSQL may be shared by several.
    let verified = match db::DatabaseUrl::parse(&config.database_url) {
        Ok(db::DatabaseUrl::Sqlite(path)) => Verified::sole_node_of(&path)?,
        _ => Verified::off(),
    };
    let db = Db::connect(&config.database_url, config.database_pool_size)
        .with_context(|| format!("opening the {} database", db_kind(&config.database_url)))?;
    let ran = db.migrate()?;
    let clock = Clock::default();
    tracing::info!(backend = db.backend(), migrations = ran, "database ready");
    let mut conn = db.conn().map_err(anyhow::Error::new)?;
    let tokens = TokenKeys::load_or_create(&mut conn, i64::from(config.access_token_ttl_seconds))
        .map_err(anyhow::Error::new)?;
    if let Some(key) = keys::ensure(&mut conn, clock.naive_now()).map_err(anyhow::Error::new)? {
        tracing::info!(kid = %key.kid, "certificate signing key created");
    }
    if let (Some(email), Some(secret)) = (&config.admin_email, &config.admin_password) {
        let hash = password::hash(secret).map_err(anyhow::Error::new)?;
        let created = db::write_transaction(&mut conn, |c| {
            users::ensure_admin(c, email, hash, clock.naive_now())
        })
        .map_err(anyhow::Error::new)?;
        if created {
            tracing::info!(%email, "bootstrap admin created");
        }
    }
    Ok(AppState {
        verified,
        db,
        tokens,
        certificate_tokens: token::Checker::default(),
        limits: Limits::new(
            config.verify_rate_per_minute,
            config.verify_rate_per_minute_api_key,
            config.trust_forwarded_for,
        ),
        config: Arc::new(config),
        openapi: api::openapi(),
        norms: Arc::new(norms),
        clock,
    })
}

fn db_kind(url: &str) -> &'static str {
    db::DatabaseUrl::parse(url).map_or("configured", |u| u.backend())
}

/// The application with all routes, the OpenAPI document and the page to try it.
pub fn app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let limit = state.config.max_body_bytes;
    let docs = SwaggerUi::new("/docs/{_:.*}").url("/api/v1/openapi.json", state.openapi.clone());
    App::new()
        // Before the API scope, which would otherwise claim /api/v1/openapi.json.
        .service(docs)
        .service(web::redirect("/docs", "/docs/"))
        .app_data(state)
        .app_data(BodyLimit(limit))
        .app_data(web::PathConfig::default().error_handler(extract::path_error))
        .app_data(web::QueryConfig::default().error_handler(extract::query_config_error))
        .app_data(
            web::JsonConfig::default()
                .limit(limit)
                .error_handler(extract::json_error),
        )
        .service(api::health::health)
        .service(api::verify::jwks)
        .service(crate::web::verify_page)
        .service(crate::web::register)
        .service(web::scope("/api/v1").configure(|cfg| api::routes(&mut ServiceConfig::new(cfg))))
        .default_service(web::to(|| async {
            Err::<actix_web::HttpResponse, _>(AppError::not_found("resource at this path"))
        }))
        .wrap_fn(|req, srv| {
            use actix_web::dev::Service;
            let request_id = req.extensions().get::<RequestId>().copied();
            let response = srv.call(req);
            async move {
                let mut response = response.await?;
                if let Some(id) = request_id
                    && let Ok(value) = HeaderValue::from_str(&id.to_string())
                {
                    response
                        .headers_mut()
                        .insert(HeaderName::from_static("x-request-id"), value);
                }
                Ok(response)
            }
        })
        .wrap(TracingLogger::default())
}

/// The HTTP server on `listener`; SIGINT and SIGTERM stop it after the requests in flight.
/// `extra` adds routes beside the service's own (the load benchmark adds a bare handler).
pub fn serve(
    state: AppState,
    listener: TcpListener,
    extra: fn(&mut web::ServiceConfig),
) -> anyhow::Result<Server> {
    let config = state.config.clone();
    let workers = config
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    // Database work runs on each worker's blocking pool, where hundreds of threads (actix's
    // default) cost more in switching than the queries themselves. SQLite queries are CPU work
    // in this process: two threads per worker keep the cores busy (and one slow job, such as a
    // password hash, from holding up the rest). PostgreSQL queries mostly wait on the network:
    // as many threads as pooled connections.
    let blocking_threads = match state.db.backend() {
        "sqlite" => 2,
        _ => usize::try_from(config.database_pool_size)
            .unwrap_or(1)
            .div_ceil(workers)
            .max(2),
    };
    let state = web::Data::new(state);
    let server = HttpServer::new(move || app(state.clone()).configure(extra))
        .workers(workers)
        .worker_max_blocking_threads(blocking_threads)
        .shutdown_timeout(config.shutdown_timeout_seconds)
        .client_request_timeout(Duration::from_secs(30))
        .listen(listener)?
        .run();
    Ok(server)
}
