//! Load benchmark of the tablet's main call: 32 inspectors at once, each saving batches of 20
//! answers to its own inspection (every value changed, a new idempotency key, `If-Match` from
//! the previous answer), as fast as the service takes them. Reports requests per second and
//! latency percentiles per backend.
//!
//! `cargo bench --bench answers`; PostgreSQL too with `FLEXKEUR_BENCH_POSTGRES_URL`;
//! `FLEXKEUR_BENCH_SECONDS` sets the length of each run (default 10).

mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{ADMIN, Node, PASSWORD, databases, percentile};

const INSPECTORS: usize = 32;

fn main() {
    let seconds: u64 = std::env::var("FLEXKEUR_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let mut lines = Vec::new();
    for db in databases("flexkeur_bench_answers") {
        let node = Node::start(&db.url, |_| {});
        let inspections = scene(&node);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let (latencies, elapsed) =
            runtime.block_on(load(&node.base, inspections, Duration::from_secs(seconds)));
        let mut sorted = latencies;
        sorted.sort_by(f64::total_cmp);
        lines.push(format!(
            "{:<10} {:>8} batches {:>9.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms   max {:>7.2} ms",
            db.label,
            sorted.len(),
            sorted.len() as f64 / elapsed.as_secs_f64(),
            percentile(&sorted, 50.0),
            percentile(&sorted, 99.0),
            sorted.last().copied().unwrap_or(f64::NAN),
        ));
        node.stop();
    }
    println!("\nsaving a batch of 20 answers, {INSPECTORS} inspectors at once:");
    for line in lines {
        println!("{line}");
    }
}

/// One provider with a location per inspector, and an inspector with an inspection at each.
fn scene(node: &Node) -> Vec<(String, String)> {
    let admin = node.login(ADMIN);
    let provider = node.post(
        Some(&admin),
        "/api/v1/providers",
        &json!({"kvk_number": "12345678", "name": "P", "contact_email": "p@p.nl"}),
    );
    let provider_id = provider["id"].as_str().expect("provider");
    let body = node.post(
        Some(&admin),
        "/api/v1/inspection-bodies",
        &json!({"name": "Body", "accreditation_number": "I 1"}),
    );
    (0..INSPECTORS)
        .map(|n| {
            let location = node.post(
                Some(&admin),
                &format!("/api/v1/providers/{provider_id}/locations"),
                &json!({"address": {"street": "Straat", "house_number": format!("{}", n + 1), "postcode": "1234 AB", "city": "Stad"},
                        "housing_form": "regular_dwelling", "municipal_designation": "wonen", "max_beds": 40}),
            );
            let email = format!("inspector{n}@bench.test");
            let user = node.post(Some(&admin), "/api/v1/users", &json!({"email": email, "name": "I", "role": "inspector",
                "password": PASSWORD, "organisation_id": body["id"]}));
            let inspection = node.post(Some(&admin), "/api/v1/inspections", &json!({"location_id": location["id"],
                "inspector_id": user["id"], "kind": "periodic", "scheduled_for": "2026-12-01"}));
            (node.login(&email), inspection["id"].as_str().expect("inspection").to_owned())
        })
        .collect()
}

/// Twenty answers, every one different from the round before.
fn batch(round: u64) -> Value {
    let r = i64::try_from(round).unwrap_or(0);
    let flip = round.is_multiple_of(2);
    json!({
        "residents": 1 + r % 40, "floor_area_m2": 100.0 + (r % 50) as f64, "toilets": r % 9, "showers": r % 7 + 1,
        "fridge_freezer_litres": 200.0 + (r % 100) as f64, "cooking_burners": r % 12, "extinguisher_distance_m": (r % 6) as f64 + 0.5,
        "under_one_roof": flip, "wet_room_electrics_splash_proof": !flip, "electrical_overload_visible": flip,
        "gas_appliances": !flip, "extinguisher_valid": flip, "fire_blanket_at_cooking": !flip, "smoke_detectors_working": flip,
        "co_detector_required": !flip, "fire_alarm_installation": flip, "laundry_facility": !flip,
        "drying_outside_bedrooms": flip, "information_card_present": !flip, "information_card_complete": flip
    })
}

async fn load(
    base: &str,
    inspections: Vec<(String, String)>,
    length: Duration,
) -> (Vec<f64>, Duration) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(INSPECTORS)
        .build()
        .expect("client");
    let started = Instant::now();
    let tablets = inspections.into_iter().enumerate().map(|(n, (token, id))| {
        let client = client.clone();
        let url = format!("{base}/api/v1/inspections/{id}/answers");
        async move {
            let (mut latencies, mut version, mut round) = (Vec::new(), 1i64, 0u64);
            while started.elapsed() < length {
                round += 1;
                let sent = Instant::now();
                let reply = client
                    .put(&url)
                    .bearer_auth(&token)
                    .header("idempotency-key", format!("{n}-{round}"))
                    .header("if-match", format!("\"{version}\""))
                    .json(&json!({"answers": batch(round)}))
                    .send()
                    .await
                    .expect("sent");
                assert_eq!(reply.status(), 200, "batch {round} of inspector {n}");
                let body: Value = reply.json().await.expect("JSON");
                latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                version = body["version"].as_i64().expect("version");
            }
            latencies
        }
    });
    let all = futures_util::future::join_all(tablets).await;
    (all.into_iter().flatten().collect(), started.elapsed())
}
