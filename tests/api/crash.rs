//! Durability: the real binary is killed (SIGKILL) while a tablet saves answers in a loop, then
//! restarted; every batch it acknowledged is there exactly once, and the batch it was sending
//! when the server died is stored once when retried with its key.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_EMAIL, Backend, PASSWORD, create_database};

crate::on_both_backends!(acknowledged_batches_survive_a_kill_exactly_once);

fn start(database_url: &str, port: u16, dir: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_flexkeur"))
        .current_dir(dir)
        .env("DATABASE_URL", database_url)
        .env("FLEXKEUR_BIND", format!("127.0.0.1:{port}"))
        .env("FLEXKEUR_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("FLEXKEUR_ADMIN_PASSWORD", PASSWORD)
        .env(
            "FLEXKEUR_NORMS_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/norms"),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts")
}

async fn wait_until_up(client: &reqwest::Client, base: &str) {
    for _ in 0..300 {
        if let Ok(r) = client.get(format!("{base}/health")).send().await
            && r.status() == StatusCode::OK
        {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the service did not come up");
}

async fn call(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}

async fn acknowledged_batches_survive_a_kill_exactly_once(backend: Backend) {
    let (_database, url) = create_database(&backend);
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut server = start(&url, port, dir.path());
    wait_until_up(&client, &base).await;

    let login = |email: &str| {
        client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"email": email, "password": PASSWORD}))
    };
    let admin = call(login(ADMIN_EMAIL)).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let post = |path: &str, body: Value| {
        client
            .post(format!("{base}{path}"))
            .bearer_auth(&admin)
            .json(&body)
    };
    let provider = call(post(
        "/api/v1/providers",
        json!({"kvk_number": "12345678", "name": "P", "contact_email": "p@p.nl"}),
    ))
    .await;
    let provider_id = provider["id"].as_str().unwrap();
    let location = call(post(
        &format!("/api/v1/providers/{provider_id}/locations"),
        crate::helpers::location_body(),
    ))
    .await;
    let body = call(post(
        "/api/v1/inspection-bodies",
        json!({"name": "B", "accreditation_number": "I 1"}),
    ))
    .await;
    let inspector = call(post(
        "/api/v1/users",
        json!({"email": "i@b.nl", "name": "I", "role": "inspector",
        "password": PASSWORD, "organisation_id": body["id"]}),
    ))
    .await;
    let inspection = call(post(
        "/api/v1/inspections",
        json!({"location_id": location["id"],
        "inspector_id": inspector["id"], "kind": "periodic", "scheduled_for": "2026-12-01"}),
    ))
    .await;
    let id = inspection["id"].as_str().unwrap().to_owned();
    let token = call(login("i@b.nl")).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let send = |n: i64, version: i64| {
        client
            .put(format!("{base}/api/v1/inspections/{id}/answers"))
            .bearer_auth(&token)
            .header("idempotency-key", format!("batch-{n}"))
            .header("if-match", format!("\"{version}\""))
            .json(&json!({"answers": {"residents": n}}))
            .send()
    };

    // The tablet saves batch after batch; the server is killed while it does.
    let killer = async {
        actix_web::rt::time::sleep(Duration::from_millis(400)).await;
        server.kill().expect("SIGKILL");
        server.wait().unwrap();
    };
    let tablet = async {
        let (mut acknowledged, mut version) = (Vec::new(), 1);
        for n in 1..=5000 {
            match send(n, version).await {
                Ok(reply) if reply.status() == StatusCode::OK => {
                    let body: Value = reply.json().await.unwrap();
                    version = body["version"].as_i64().unwrap();
                    acknowledged.push(n);
                }
                Ok(reply) => panic!("batch {n}: {}", reply.status()),
                // The connection died with the server: this batch may or may not be stored.
                Err(_) => return (acknowledged, version, n),
            }
        }
        panic!("the server was never killed");
    };
    let ((acknowledged, version, in_flight), ()) = futures_util::future::join(tablet, killer).await;
    assert!(
        acknowledged.len() > 5,
        "the tablet got going: {}",
        acknowledged.len()
    );

    let mut server = start(&url, port, dir.path());
    wait_until_up(&client, &base).await;
    // The tablet retries the batch it never heard back about, with the same key.
    let retried = send(in_flight, version).await.unwrap();
    assert_eq!(retried.status(), StatusCode::OK);
    let retried: Value = retried.json().await.unwrap();
    assert_eq!(retried["answers"]["residents"]["value"], in_flight);
    let again = send(in_flight, version).await.unwrap();
    assert_eq!(
        again.json::<Value>().await.unwrap(),
        retried,
        "a second retry is answered the same"
    );

    let detail = call(
        client
            .get(format!("{base}/api/v1/inspections/{id}"))
            .bearer_auth(&token),
    )
    .await;
    let batches = acknowledged.len() as i64 + 1;
    assert_eq!(
        detail["version"],
        1 + batches,
        "one version per batch, none lost, none twice"
    );
    let trail = call(
        client
            .get(format!("{base}/api/v1/inspections/{id}/audit"))
            .bearer_auth(&token),
    )
    .await;
    let stored: Vec<i64> = trail
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["after"]["residents"].as_i64())
        .collect();
    let mut expected = acknowledged.clone();
    expected.push(in_flight);
    assert_eq!(
        stored, expected,
        "every acknowledged batch exactly once, in order"
    );
    server.kill().unwrap();
    server.wait().unwrap();
}
