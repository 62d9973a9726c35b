//! HTTP load benchmark with `wrk`: reads through the whole stack (auth, pool, database, JSON)
//! next to a bare actix-web handler that answers a constant, in the same server and the same run.
//!
//! `cargo bench --bench http` (needs `wrk` on the PATH). SQLite always; PostgreSQL too when
//! `FLEXKEUR_BENCH_POSTGRES_URL` names a server (a scratch database is created and dropped).
//! `FLEXKEUR_BENCH_SECONDS` sets the length of each run (default 10).

mod support;

use std::process::Command;

use actix_web::web;
use serde_json::json;
use support::{ADMIN, Node, databases};

const CONNECTIONS: &str = "64";

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
    for db in databases("flexkeur_bench_http") {
        let node = Node::start(&db.url, |cfg| {
            cfg.route("/bench/bare", web::get().to(|| async { "ok" }));
        });
        let token = node.login(ADMIN);
        let provider = node.post(
            Some(&token),
            "/api/v1/providers",
            &json!({"kvk_number": "12345678", "name": "Flexwonen Benchmark B.V.", "contact_email": "bench@flexwonen.test"}),
        );
        let provider_url = format!(
            "{}/api/v1/providers/{}",
            node.base,
            provider["id"].as_str().expect("id")
        );
        let auth = format!("Authorization: Bearer {token}");
        runs.push(wrk(
            &format!("bare actix handler ({} run)", db.label),
            &format!("{}/bench/bare", node.base),
            None,
            &seconds,
        ));
        runs.push(wrk(
            &format!("GET /api/v1/providers/{{id}} ({})", db.label),
            &provider_url,
            Some(&auth),
            &seconds,
        ));
        node.stop();
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
