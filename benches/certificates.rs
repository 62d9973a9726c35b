//! Certificate figures: `GET /api/v1/verify/{number}` under wrk at 64 connections next to a
//! bare actix-web handler in the same server and run; bulk verification of 1,000 numbers over
//! HTTP, one call after another; and the PDF of one certificate, its time and size.
//!
//! `cargo bench --bench certificates` (wrk on the PATH for the load part). SQLite always;
//! PostgreSQL too with `FLEXKEUR_BENCH_POSTGRES_URL`; `FLEXKEUR_BENCH_SECONDS` sets the length
//! of each wrk run (default 10).

mod support;

use std::time::Instant;

use chrono::{Days, Utc};
use flexkeur::certificate::pdf::{self, Lang, Printed};
use flexkeur::certificate::store::{self, CertificateRow, CoveredLocation};
use flexkeur::certificate::{keys, number, token};
use flexkeur::db::{Db, write_transaction};
use flexkeur::norm::Text;
use serde_json::json;
use support::{ADMIN, Node, bare, bare_run, databases, have_wrk, percentile, print_runs, wrk};

const CERTIFICATES: usize = 1000;
const BULK_CALLS: usize = 200;
const PDFS: usize = 200;

fn main() {
    let seconds = std::env::var("FLEXKEUR_BENCH_SECONDS").unwrap_or_else(|_| "10".into());
    let mut runs = Vec::new();
    let mut bulk_lines = Vec::new();
    for db in databases("flexkeur_bench_certificates") {
        let node = Node::start(&db.url, bare);
        let numbers = seed(&node, &db.url);
        if have_wrk() {
            runs.push(bare_run(&node, db.label, &seconds));
            runs.push(wrk(
                &format!("GET /api/v1/verify/{{number}} ({})", db.label),
                &format!("{}/api/v1/verify/{}", node.base, numbers[CERTIFICATES / 2]),
                None,
                &seconds,
            ));
        }
        bulk_lines.push(format!("{:<10} {}", db.label, bulk(&node, &numbers)));
        node.stop();
    }
    print_runs(&runs);
    println!("\nbulk verification of {CERTIFICATES} numbers over HTTP, {BULK_CALLS} calls:");
    for line in bulk_lines {
        println!("{line}");
    }
    println!(
        "\nPDF certificate with 3 locations, {PDFS} renderings:\n{}",
        pdfs()
    );
}

/// A provider and 1,000 certificates, written straight to the store (what issuing writes),
/// signed with the node's key. Answers their numbers.
fn seed(node: &Node, database_url: &str) -> Vec<String> {
    let admin = node.login(ADMIN);
    let provider = node.post(
        Some(&admin),
        "/api/v1/providers",
        &json!({"kvk_number": "12345678", "name": "Flexwonen Benchmark B.V.", "contact_email": "bench@flexwonen.test"}),
    );
    let provider_id = provider["id"].as_str().expect("provider").to_owned();
    let db = Db::connect(database_url, 1).expect("database");
    let mut conn = db.conn().expect("connection");
    let now = Utc::now().naive_utc();
    let today = now.date();
    let until = today.checked_add_days(Days::new(364)).expect("date");
    let locations = serde_json::to_string(&locations()).expect("JSON");
    write_transaction(&mut conn, |c| {
        let key = keys::current(c)?;
        (1..=CERTIFICATES)
            .map(|n| {
                let number = number("snf", 2026, n as i64);
                let (nbf, exp) = token::window(today, until);
                let claims = token::Claims {
                    iss: "http://localhost:8080".into(),
                    sub: number.clone(),
                    kvk: "12345678".into(),
                    scheme: "snf".into(),
                    norm_version: "2025-07-01".into(),
                    iat: now.and_utc().timestamp(),
                    nbf,
                    exp,
                };
                store::insert(
                    c,
                    &CertificateRow {
                        id: format!("bench-{n}"),
                        number: number.clone(),
                        provider_id: provider_id.clone(),
                        kvk_number: "12345678".into(),
                        provider_name: "Flexwonen Benchmark B.V.".into(),
                        scheme: "snf".into(),
                        norm_version: "2025-07-01".into(),
                        norm_hash: "0".repeat(64),
                        locations: locations.clone(),
                        inspections: "[]".into(),
                        valid_from: today,
                        valid_until: until,
                        status: "valid".into(),
                        status_reason: None,
                        status_changed_at: now,
                        kid: key.kid.clone(),
                        token: token::sign(&key, &claims)?,
                        issued_by: "bench".into(),
                        issued_at: now,
                    },
                )?;
                Ok(number)
            })
            .collect()
    })
    .expect("certificates seeded")
}

fn locations() -> Vec<CoveredLocation> {
    ["Dorpsstraat", "Kerkweg", "Zoëterwoudsesingel"]
        .iter()
        .enumerate()
        .map(|(n, street)| CoveredLocation {
            id: Some(format!("loc-{n}")),
            street: (*street).into(),
            house_number: format!("{}", 10 + n),
            postcode: "2381 AB".into(),
            city: "Zoëterwoude".into(),
            bag_id: Some("0363010000123456".into()),
        })
        .collect()
}

/// Sends all numbers in one bulk call, again and again; latency percentiles.
fn bulk(node: &Node, numbers: &[String]) -> String {
    let client = reqwest::blocking::Client::new();
    let body = json!({ "numbers": numbers });
    let url = format!("{}/api/v1/verify/bulk", node.base);
    let mut latencies: Vec<f64> = (0..BULK_CALLS)
        .map(|_| {
            let sent = Instant::now();
            let reply = client.post(&url).json(&body).send().expect("sent");
            assert!(reply.status().is_success(), "bulk: {}", reply.status());
            let bytes = reply.bytes().expect("body");
            let elapsed = sent.elapsed().as_secs_f64() * 1000.0;
            assert!(bytes.len() > 100_000, "1,000 answers");
            elapsed
        })
        .collect();
    latencies.sort_by(f64::total_cmp);
    format!(
        "p50 {:>6.2} ms   p99 {:>6.2} ms   max {:>6.2} ms",
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        latencies.last().copied().unwrap_or(f64::NAN)
    )
}

/// Renders the same certificate repeatedly; the first rendering also parses the fonts.
fn pdfs() -> String {
    let today = Utc::now().date_naive();
    let printed = Printed {
        number: "SNF-2026-00042".into(),
        provider_name: "Huisvesting Zoë & Zonen B.V.".into(),
        kvk_number: "12345678".into(),
        scheme: "snf".into(),
        scheme_name: Text {
            nl: "SNF-norm".into(),
            en: "SNF standard".into(),
        },
        norm_version: "2025-07-01".into(),
        norm_hash: "0".repeat(64),
        valid_from: today,
        valid_until: today.checked_add_days(Days::new(364)).expect("date"),
        issued_on: today,
        locations: locations(),
        verify_url: format!("http://localhost:8080/verify?token={}", "x".repeat(420)),
    };
    let first = Instant::now();
    let bytes = pdf::render(&printed, Lang::Nl).expect("PDF");
    let first_ms = first.elapsed().as_secs_f64() * 1000.0;
    let mut times: Vec<f64> = (0..PDFS)
        .map(|_| {
            let started = Instant::now();
            pdf::render(&printed, Lang::Nl).expect("PDF");
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    format!(
        "first {first_ms:.2} ms (parses the fonts)   then p50 {:.2} ms   p99 {:.2} ms   size {} bytes",
        percentile(&times, 50.0),
        percentile(&times, 99.0),
        bytes.len()
    )
}
