//! HTTP load benchmark with `wrk`: reads through the whole stack (auth, pool, database, JSON)
//! next to a bare actix-web handler that answers a constant, in the same server and the same run.
//!
//! `cargo bench --bench http` (needs `wrk` on the PATH). SQLite always; PostgreSQL too when
//! `FLEXKEUR_BENCH_POSTGRES_URL` names a server (a scratch database is created and dropped).
//! `FLEXKEUR_BENCH_SECONDS` sets the length of each run (default 10).

mod support;

use serde_json::json;
use support::{ADMIN, Node, bare, databases, have_wrk, print_runs, reference_runs, wrk};

fn main() {
    if !have_wrk() {
        return;
    }
    let seconds = std::env::var("FLEXKEUR_BENCH_SECONDS").unwrap_or_else(|_| "10".into());
    let mut runs = Vec::new();
    for db in databases("flexkeur_bench_http") {
        let node = Node::start(&db.url, bare);
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
        runs.extend(reference_runs(&node, db.label, &seconds));
        runs.push(wrk(
            &format!("GET /api/v1/providers/{{id}} ({})", db.label),
            &provider_url,
            Some(&auth),
            &seconds,
        ));
        node.stop();
    }

    print_runs(&runs);
}
