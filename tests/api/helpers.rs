//! Starts the real service (real HTTP on a random port, a real database) for one test.
//!
//! SQLite: a fresh file in a temporary folder. PostgreSQL: a fresh database on the server named
//! by `FLEXKEUR_TEST_POSTGRES_URL`, dropped at the end; without that variable the PostgreSQL
//! variant of every test prints a notice and passes without running.

use std::net::TcpListener;

use diesel::{Connection, PgConnection, RunQueryDsl};
use flexkeur::auth::token::TokenKeys;
use flexkeur::config::Config;
use flexkeur::server;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub const ADMIN_EMAIL: &str = "admin@flexkeur.test";
pub const PASSWORD: &str = "a long enough password";

/// Runs each named test function once per backend: `sqlite::name` and `postgres::name`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[actix_web::test]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[actix_web::test]
                async fn $name() {
                    if let Some(backend) = $crate::helpers::Backend::postgres() {
                        super::$name(backend).await
                    }
                }
            )*
        }
    };
}

#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite,
    Postgres(String),
}

impl Backend {
    /// The PostgreSQL server for tests, or `None` (with a notice) when none is configured.
    pub fn postgres() -> Option<Backend> {
        match std::env::var("FLEXKEUR_TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => Some(Backend::Postgres(url)),
            _ => {
                eprintln!(
                    "notice: FLEXKEUR_TEST_POSTGRES_URL is not set; skipping the PostgreSQL variant"
                );
                None
            }
        }
    }
}

/// A throwaway database; removed when dropped.
pub enum TestDatabase {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    /// Another test app's database.
    Shared,
    Postgres {
        server: String,
        name: String,
    },
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let TestDatabase::Postgres { server, name } = self
            && let Ok(mut conn) = PgConnection::establish(server)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn);
        }
    }
}

pub fn create_database(backend: &Backend) -> (TestDatabase, String) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("flexkeur.db").display());
            (TestDatabase::Sqlite(dir), url)
        }
        Backend::Postgres(server) => {
            let name = format!("flexkeur_test_{}", uuid_simple());
            let mut conn = PgConnection::establish(server)
                .unwrap_or_else(|e| panic!("FLEXKEUR_TEST_POSTGRES_URL does not answer: {e}"));
            diesel::sql_query(format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .expect("create test database");
            let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
            let url = format!("{base}/{name}");
            (
                TestDatabase::Postgres {
                    server: server.clone(),
                    name,
                },
                url,
            )
        }
    }
}

fn uuid_simple() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub tokens: TokenKeys,
    pub database_url: String,
    /// The service's clock: tests move it forward to see deadlines pass.
    pub clock: flexkeur::time::Clock,
    _database: TestDatabase,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The `code` of a problem answer.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }

    /// The fields named in a validation problem.
    pub fn fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn id(&self) -> String {
        self.body["id"].as_str().expect("an id").to_owned()
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    /// A second node on the database of another test app.
    pub async fn spawn_on(database_url: &str) -> TestApp {
        Self::start(TestDatabase::Shared, database_url.to_owned(), |_| {})
    }

    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let (database, database_url) = create_database(&backend);
        Self::start(database, database_url, adjust)
    }

    /// A node on a database made with [`create_database`].
    pub fn start(
        database: TestDatabase,
        database_url: String,
        adjust: impl FnOnce(&mut Config),
    ) -> TestApp {
        let mut config = Config {
            database_url: database_url.clone(),
            admin_email: Some(ADMIN_EMAIL.into()),
            admin_password: Some(PASSWORD.into()),
            workers: Some(2),
            database_pool_size: 4,
            ..Config::default()
        };
        adjust(&mut config);
        let state = server::prepare(config).expect("service starts");
        let tokens = state.tokens.clone();
        let clock = state.clock.clone();
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let address = format!("http://{}", listener.local_addr().expect("address"));
        let running = server::serve(state, listener, |_| {}).expect("server");
        actix_web::rt::spawn(running);
        TestApp {
            address,
            client: reqwest::Client::new(),
            tokens,
            database_url,
            clock,
            _database: database,
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        auth: &Auth,
        body: Option<&Value>,
    ) -> Reply {
        let mut request = self
            .client
            .request(method, format!("{}{}", self.address, path));
        request = match auth {
            Auth::None => request,
            Auth::Bearer(token) => request.bearer_auth(token),
            Auth::ApiKey(key) => request.header("x-api-key", key),
        };
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.expect("request sent");
        Self::reply(response).await
    }

    pub async fn reply(response: reqwest::Response) -> Reply {
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, auth: &Auth) -> Reply {
        self.call(Method::GET, path, auth, None).await
    }

    pub async fn post(&self, path: &str, auth: &Auth, body: Value) -> Reply {
        self.call(Method::POST, path, auth, Some(&body)).await
    }

    pub async fn patch(&self, path: &str, auth: &Auth, body: Value) -> Reply {
        self.call(Method::PATCH, path, auth, Some(&body)).await
    }

    pub async fn delete(&self, path: &str, auth: &Auth) -> Reply {
        self.call(Method::DELETE, path, auth, None).await
    }

    /// Sends a multipart form: text fields, and files as (field, file name, bytes).
    pub async fn upload(
        &self,
        path: &str,
        auth: &Auth,
        texts: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Reply {
        let mut form = reqwest::multipart::Form::new();
        for (name, value) in texts {
            form = form.text(name.to_string(), value.to_string());
        }
        for (name, file_name, bytes) in files {
            form = form.part(
                name.to_string(),
                reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(file_name.to_string()),
            );
        }
        let mut request = self
            .client
            .post(format!("{}{}", self.address, path))
            .multipart(form);
        if let Auth::Bearer(token) = auth {
            request = request.bearer_auth(token);
        }
        Self::reply(request.send().await.expect("request sent")).await
    }

    /// Sends a batch of answers with its idempotency key and the version it is based on.
    pub async fn answer(
        &self,
        auth: &Auth,
        id: &str,
        key: &str,
        if_match: i64,
        answers: Value,
    ) -> Reply {
        let mut request = self
            .client
            .put(format!("{}/api/v1/inspections/{id}/answers", self.address))
            .header("idempotency-key", key)
            .header("if-match", format!("\"{if_match}\""))
            .json(&json!({ "answers": answers }));
        if let Auth::Bearer(token) = auth {
            request = request.bearer_auth(token);
        }
        Self::reply(request.send().await.expect("request sent")).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Reply {
        self.post(
            "/api/v1/auth/login",
            &Auth::None,
            json!({"email": email, "password": password}),
        )
        .await
    }

    pub async fn token(&self, email: &str) -> Auth {
        let reply = self.login(email, PASSWORD).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "login {email}: {:?}",
            reply.body
        );
        Auth::Bearer(reply.body["access_token"].as_str().unwrap().to_owned())
    }

    pub async fn admin(&self) -> Auth {
        self.token(ADMIN_EMAIL).await
    }

    /// Creates a user (as admin) and logs in as that user.
    pub async fn user(&self, role: &str, organisation_id: Option<&str>) -> Auth {
        let email = format!("{role}-{}@flexkeur.test", uuid_simple());
        let reply = self
            .post(
                "/api/v1/users",
                &self.admin().await,
                json!({"email": email, "name": format!("A {role}"), "role": role,
                       "password": PASSWORD, "organisation_id": organisation_id}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        self.token(&email).await
    }

    pub async fn provider(&self, kvk: &str) -> String {
        let reply = self
            .post(
                "/api/v1/providers",
                &self.admin().await,
                json!({"kvk_number": kvk, "name": format!("Provider {kvk}"),
                       "contact_email": "info@provider.test"}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        reply.id()
    }

    pub async fn location(&self, provider_id: &str) -> String {
        let reply = self
            .post(
                &format!("/api/v1/providers/{provider_id}/locations"),
                &self.admin().await,
                location_body(),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        reply.id()
    }

    pub async fn inspection_body(&self, accreditation: &str) -> String {
        let reply = self
            .post(
                "/api/v1/inspection-bodies",
                &self.admin().await,
                json!({"name": format!("Body {accreditation}"), "accreditation_number": accreditation}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        reply.id()
    }

    pub async fn agency(&self, kvk: &str) -> String {
        let reply = self
            .post(
                "/api/v1/agencies",
                &self.admin().await,
                json!({"kvk_number": kvk, "name": format!("Agency {kvk}"),
                       "contact_email": "ops@agency.test", "abu_member": true}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        reply.id()
    }
}

/// The smallest valid PNG: 1x1 pixel.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

pub fn location_body() -> Value {
    json!({
        "address": {"street": "Dorpsstraat", "house_number": "12A", "postcode": "1234ab", "city": "Zoëterwoude"},
        "bag_id": "0363010000123456",
        "housing_form": "regular_dwelling",
        "municipal_designation": "wonen",
        "permit_applied_on": "2019-03-01",
        "max_beds": 8
    })
}

#[derive(Debug, Clone)]
pub enum Auth {
    None,
    Bearer(String),
    ApiKey(String),
}
