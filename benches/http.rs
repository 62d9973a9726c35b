//! HTTP load benchmark with `wrk`: reads through the whole stack (auth, pool, database, JSON)
//! next to a bare actix-web handler that answers a constant, in the same server and the same run.
//!
//! `cargo bench --bench http` (needs `wrk` on the PATH). SQLite always; PostgreSQL too when
//! `FLEXKEUR_BENCH_POSTGRES_URL` names a server (a scratch database is created and dropped).
//! `FLEXKEUR_BENCH_SECONDS` sets the length of each run (default 10).

use std::net::TcpListener;
use std::process::Command;
use std::sync::mpsc;

use actix_web::web;
use diesel::{Connection, PgConnection, RunQueryDsl};
use flexkeur::config::Config;
use flexkeur::server;
use serde_json::{Value, json};

const CONNECTIONS: &str = "64";
const PASSWORD: &str = "benchmark password";

struct Run {
    label: String,
    requests_per_second: f64,
    p99_ms: f64,
}

fn main() {
    if Command::new("wrk").arg("--version").output().is_err() {
        eprintln!("wrk is not installed (Debian: apt-get install wrk); nothing measured");
        return;
    }
    let seconds = std::env::var("FLEXKEUR_BENCH_SECONDS").unwrap_or_else(|_| "10".into());
    let mut runs = Vec::new();

    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = format!("sqlite://{}", dir.path().join("bench.db").display());
    runs.extend(bench_backend("sqlite", &sqlite, &seconds));

    if let Ok(server_url) = std::env::var("FLEXKEUR_BENCH_POSTGRES_URL") {
        let name = "flexkeur_bench";
        let mut admin = PgConnection::establish(&server_url).expect("PostgreSQL answers");
        let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        diesel::sql_query(&drop).execute(&mut admin).expect("drop");
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .expect("create");
        let base = server_url
            .rsplit_once('/')
            .map_or(server_url.as_str(), |(b, _)| b);
        runs.extend(bench_backend(
            "postgres",
            &format!("{base}/{name}"),
            &seconds,
        ));
        diesel::sql_query(&drop).execute(&mut admin).expect("drop");
    }

    println!(
        "\n{:<44} {:>12} {:>10}",
        "run (64 connections)", "requests/s", "p99 ms"
    );
    for run in &runs {
        println!(
            "{:<44} {:>12.0} {:>10.2}",
            run.label, run.requests_per_second, run.p99_ms
        );
    }
}

/// Starts a node on `database_url` with an extra `/bench/bare` route, then measures both.
fn bench_backend(backend: &str, database_url: &str, seconds: &str) -> Vec<Run> {
    let config = Config {
        database_url: database_url.into(),
        admin_email: Some("bench@flexkeur.test".into()),
        admin_password: Some(PASSWORD.into()),
        ..Config::default()
    };
    let state = server::prepare(config).expect("service starts");
    let listener = TcpListener::bind("127.0.0.1:0").expect("port");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = server::serve(state, listener, |cfg| {
                cfg.route("/bench/bare", web::get().to(|| async { "ok" }));
            })
            .expect("server");
            tx.send(server.handle()).expect("handle");
            server.await
        })
    });
    let handle = rx.recv().expect("server started");

    let client = reqwest::blocking::Client::new();
    let token = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": "bench@flexkeur.test", "password": PASSWORD}))
        .send()
        .and_then(|r| r.json::<Value>())
        .expect("login")["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let provider: Value = client
        .post(format!("{base}/api/v1/providers"))
        .bearer_auth(&token)
        .json(&json!({"kvk_number": "12345678", "name": "Flexwonen Benchmark B.V.", "contact_email": "bench@flexwonen.test"}))
        .send()
        .and_then(|r| r.json())
        .expect("provider");
    let provider_url = format!(
        "{base}/api/v1/providers/{}",
        provider["id"].as_str().expect("id")
    );

    let auth = format!("Authorization: Bearer {token}");
    let runs = vec![
        wrk(
            &format!("bare actix handler ({backend} run)"),
            &format!("{base}/bench/bare"),
            None,
            seconds,
        ),
        wrk(
            &format!("GET /api/v1/providers/{{id}} ({backend})"),
            &provider_url,
            Some(&auth),
            seconds,
        ),
    ];
    actix_web::rt::System::new().block_on(handle.stop(true));
    runs
}

fn wrk(label: &str, url: &str, header: Option<&str>, seconds: &str) -> Run {
    let mut command = Command::new("wrk");
    command.args([
        "-t2",
        "-c",
        CONNECTIONS,
        "-d",
        &format!("{seconds}s"),
        "--latency",
    ]);
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
