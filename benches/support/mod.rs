//! What the load benchmarks share: scratch databases, a node running in this process, and a
//! small blocking client for setting the scene. Each benchmark uses part of it.
#![allow(dead_code)]

use std::net::TcpListener;
use std::sync::mpsc;

use actix_web::dev::ServerHandle;
use actix_web::web;
use diesel::{Connection, PgConnection, RunQueryDsl};
use flexkeur::config::Config;
use flexkeur::server;
use serde_json::Value;

pub const PASSWORD: &str = "benchmark password";
pub const ADMIN: &str = "bench@flexkeur.test";

/// A scratch database: a SQLite file, or a PostgreSQL database dropped again afterwards.
pub struct Scratch {
    pub label: &'static str,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    drop_from: Option<(String, String)>,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some((server, name)) = &self.drop_from
            && let Ok(mut conn) = PgConnection::establish(server)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn);
        }
    }
}

/// SQLite always; PostgreSQL too when `FLEXKEUR_BENCH_POSTGRES_URL` names a server.
pub fn databases(name: &str) -> Vec<Scratch> {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut all = vec![Scratch {
        label: "sqlite",
        url: format!("sqlite://{}", dir.path().join("bench.db").display()),
        _dir: Some(dir),
        drop_from: None,
    }];
    if let Ok(server) = std::env::var("FLEXKEUR_BENCH_POSTGRES_URL") {
        let mut admin = PgConnection::establish(&server).expect("PostgreSQL answers");
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut admin);
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .expect("create the scratch database");
        let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
        all.push(Scratch {
            label: "postgres",
            url: format!("{base}/{name}"),
            _dir: None,
            drop_from: Some((server.clone(), name.to_owned())),
        });
    }
    all
}

/// A flexkeur node serving in a thread of this process, configured as `flexkeur serve` is.
pub struct Node {
    pub base: String,
    handle: ServerHandle,
}

impl Node {
    pub fn start(database_url: &str, extra: fn(&mut web::ServiceConfig)) -> Node {
        let config = Config {
            database_url: database_url.into(),
            admin_email: Some(ADMIN.into()),
            admin_password: Some(PASSWORD.into()),
            norms_dir: concat!(env!("CARGO_MANIFEST_DIR"), "/norms").into(),
            ..Config::default()
        };
        let state = server::prepare(config).expect("service starts");
        let listener = TcpListener::bind("127.0.0.1:0").expect("port");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let running = server::serve(state, listener, extra).expect("server");
                tx.send(running.handle()).expect("handle");
                running.await
            })
        });
        let handle = rx.recv().expect("server started");
        Node { base, handle }
    }

    pub fn stop(self) {
        actix_web::rt::System::new().block_on(self.handle.stop(true));
    }

    pub fn login(&self, email: &str) -> String {
        let reply = self.post(
            None,
            "/api/v1/auth/login",
            &serde_json::json!({"email": email, "password": PASSWORD}),
        );
        reply["access_token"]
            .as_str()
            .expect("logged in")
            .to_owned()
    }

    /// POSTs JSON and answers the JSON reply; panics on anything but success.
    pub fn post(&self, token: Option<&str>, path: &str, body: &Value) -> Value {
        let client = reqwest::blocking::Client::new();
        let mut request = client.post(format!("{}{path}", self.base)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let reply = request.send().expect("request sent");
        assert!(reply.status().is_success(), "{path}: {}", reply.status());
        reply.json().expect("JSON reply")
    }
}

/// The p-th percentile of sorted latencies.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}
