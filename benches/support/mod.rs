//! What the load benchmarks share: scratch databases, a node running in this process, and a
//! small blocking client for setting the scene. Each benchmark uses part of it.
#![allow(dead_code)]

use std::net::TcpListener;
use std::process::Command;
use std::sync::mpsc;

use actix_web::dev::ServerHandle;
use actix_web::error::ErrorInternalServerError;
use actix_web::web;
use diesel::{Connection, PgConnection, RunQueryDsl};
use flexkeur::config::Config;
use flexkeur::server::{self, AppState};
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
            // The limiter still counts every public call; the load generator is one client.
            verify_rate_per_minute: u32::MAX,
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

/// What one `wrk` run measured.
pub struct Run {
    pub label: String,
    pub requests_per_second: f64,
    pub p99_ms: f64,
}

/// Loads `url` with wrk at 64 connections for `seconds`; panics on any answer but 2xx.
pub fn wrk(label: &str, url: &str, header: Option<&str>, seconds: &str) -> Run {
    let mut command = Command::new("wrk");
    command.args(["-t2", "-c", "64", "-d", &format!("{seconds}s"), "--latency"]);
    if let Some(header) = header {
        command.args(["-H", header]);
    }
    let output = command.arg(url).output().expect("wrk runs");
    let text = String::from_utf8_lossy(&output.stdout);
    if text.contains("Non-2xx") {
        panic!("{label}: wrong answers under load:\n{text}");
    }
    let requests_per_second = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no rate in wrk output:\n{text}"));
    let p99_ms = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))
        .map(|v| parse_latency(v.trim()))
        .unwrap_or_else(|| panic!("no p99 in wrk output:\n{text}"));
    Run {
        label: label.to_owned(),
        requests_per_second,
        p99_ms,
    }
}

/// wrk prints latencies as `812.00us`, `3.21ms` or `1.02s`.
fn parse_latency(text: &str) -> f64 {
    let (number, factor) = if let Some(v) = text.strip_suffix("us") {
        (v, 0.001)
    } else if let Some(v) = text.strip_suffix("ms") {
        (v, 1.0)
    } else if let Some(v) = text.strip_suffix('s') {
        (v, 1000.0)
    } else {
        (text, 1.0)
    };
    number.parse::<f64>().unwrap_or(f64::NAN) * factor
}

pub fn print_runs(runs: &[Run]) {
    println!(
        "\n{:<44} {:>12} {:>10}",
        "run (64 connections)", "requests/s", "p99 ms"
    );
    for run in runs {
        println!(
            "{:<44} {:>12.0} {:>10.2}",
            run.label, run.requests_per_second, run.p99_ms
        );
    }
}

/// Whether wrk is on the PATH; says so when it is not.
pub fn have_wrk() -> bool {
    let found = Command::new("wrk").arg("--version").output().is_ok();
    if !found {
        eprintln!("wrk is not installed (Debian: apt-get install wrk); no load measured");
    }
    found
}

/// The bare actix-web handler the load runs are set against: it answers a constant. Beside it,
/// the first steps every database read takes, to show where a read's time goes: the same
/// constant computed on the blocking thread pool, and a `SELECT 1` through the node's pool there
/// (diesel prepares raw SQL afresh on every run, which the service's own queries do not).
pub fn bare(cfg: &mut web::ServiceConfig) {
    cfg.route("/bench/bare", web::get().to(|| async { "ok" }))
        .route(
            "/bench/blocking",
            web::get().to(|| async { web::block(|| "ok").await.map_err(ErrorInternalServerError) }),
        )
        .route(
            "/bench/select",
            web::get().to(|state: web::Data<AppState>| async move {
                state
                    .db
                    .read(|conn| Ok(diesel::sql_query("SELECT 1").execute(conn)?))
                    .await
                    .map(|_| "ok")
            }),
        );
}

/// Loads the bare handler and the two first steps of a read (see [`bare`]).
pub fn reference_runs(node: &Node, label: &str, seconds: &str) -> Vec<Run> {
    let steps = [
        ("the constant on the blocking pool", "blocking"),
        ("SELECT 1 through the pool, prepared each time", "select"),
    ]
    .map(|(what, path)| {
        wrk(
            &format!("{what} ({label})"),
            &format!("{}/bench/{path}", node.base),
            None,
            seconds,
        )
    });
    std::iter::once(bare_run(node, label, seconds))
        .chain(steps)
        .collect()
}

/// Loads the bare handler of `node` (started with [`bare`]).
pub fn bare_run(node: &Node, label: &str, seconds: &str) -> Run {
    wrk(
        &format!("bare actix handler ({label} run)"),
        &format!("{}/bench/bare", node.base),
        None,
        seconds,
    )
}
