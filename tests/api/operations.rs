//! Running the service: health, documentation, request ids, concurrent writers, several nodes
//! on one database, and a graceful shutdown of the real binary.

use std::process::{Command, Stdio};
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::json;

use flexkeur::config::Config;
use flexkeur::server;

use crate::helpers::{ADMIN_EMAIL, Auth, Backend, PASSWORD, TestApp};

crate::on_both_backends!(
    health_docs_and_unknown_paths,
    two_nodes_share_one_database,
    concurrent_writers_all_succeed,
);

async fn health_docs_and_unknown_paths(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let health = app.get("/health", &Auth::None).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body, json!({"status": "ok"}));
    let id = health.headers["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 36, "a request id on every answer: {id}");

    let doc = app.get("/api/v1/openapi.json", &Auth::None).await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/auth/login",
        "/api/v1/providers",
        "/api/v1/providers/{id}",
        "/api/v1/providers/{id}/locations",
        "/api/v1/inspection-bodies",
        "/api/v1/agencies/{id}/api-keys",
        "/api/v1/users",
        "/health",
    ] {
        assert!(doc.body["paths"].get(path).is_some(), "{path} documented");
    }
    assert!(doc.body["components"]["securitySchemes"]["bearer"].is_object());
    assert!(doc.body["components"]["schemas"]["Problem"].is_object());

    let page = app
        .client
        .get(format!("{}/docs", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("swagger-ui"));

    let missing = app.get("/api/v1/nothing-here", &Auth::None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.code(), "not_found");
    assert_eq!(missing.headers["content-type"], "application/problem+json");
}

/// Several nodes share one PostgreSQL database; a SQLite file serves one node, and a second
/// node on it refuses to start.
async fn two_nodes_share_one_database(backend: Backend) {
    let sqlite = matches!(backend, Backend::Sqlite);
    let first = TestApp::spawn(backend).await;
    let url = first.database_url.clone();
    if sqlite {
        let config = Config {
            database_url: url.clone(),
            ..Config::default()
        };
        let refused = server::prepare(config)
            .err()
            .expect("a second node is refused");
        let message = format!("{refused:#}");
        assert!(
            message.contains("another flexkeur node serves"),
            "{message}"
        );
        assert!(message.contains("PostgreSQL"), "{message}");
        // The first node serves on.
        assert_eq!(
            first.get("/health", &Auth::None).await.status,
            StatusCode::OK
        );
        return;
    }
    let second = TestApp::spawn_on(&url).await;
    // A token from one node is honoured by the other, and data written through one is read
    // through the other: what a node keeps in memory on PostgreSQL, another node never needs.
    let token = first.admin().await;
    let created = second
        .post(
            "/api/v1/providers",
            &token,
            json!({"kvk_number": "12345678", "name": "Shared", "contact_email": "a@b.nl"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let read = first
        .get(&format!("/api/v1/providers/{}", created.id()), &token)
        .await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.body["name"], "Shared");
}

/// Two clients, each with many writes in flight at once, all succeed (SQLite waits for its
/// single writer instead of failing).
async fn concurrent_writers_all_succeed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let provider = app.provider("12345678").await;
    let client = |n: u32| {
        let app = &app;
        let admin = admin.clone();
        let provider = provider.clone();
        async move {
            let requests = (0..20).map(|i| {
                let admin = admin.clone();
                let path = format!("/api/v1/providers/{provider}/locations");
                async move {
                    let mut body = crate::helpers::location_body();
                    body["max_beds"] = json!(n * 100 + i + 1);
                    app.post(&path, &admin, body).await.status
                }
            });
            futures_util::future::join_all(requests).await
        }
    };
    let (a, b) = futures_util::future::join(client(1), client(2)).await;
    for status in a.iter().chain(b.iter()) {
        assert_eq!(*status, StatusCode::CREATED);
    }
    let list = app
        .get(
            &format!("/api/v1/providers/{provider}/locations?per_page=100"),
            &admin,
        )
        .await;
    assert_eq!(list.body["total"], 40);
}

/// The real binary: it serves, and on SIGTERM it finishes the requests in flight before it exits.
#[actix_web::test]
async fn graceful_shutdown_finishes_requests_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_flexkeur"))
        .current_dir(dir.path())
        .env("FLEXKEUR_BIND", format!("127.0.0.1:{port}"))
        .env("FLEXKEUR_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("FLEXKEUR_ADMIN_PASSWORD", PASSWORD)
        .env(
            "FLEXKEUR_NORMS_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/norms"),
        )
        .env_remove("DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..200 {
        if let Ok(r) = client.get(format!("{base}/health")).send().await
            && r.status() == StatusCode::OK
        {
            up = true;
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "the binary answers /health");
    assert!(
        dir.path().join("flexkeur.db").exists(),
        "SQLite file in the working folder"
    );

    // Sixteen connections, each accepted by the service before it is asked to stop: a login
    // below that had to open its own might still be knocking when the service stops listening.
    let opened = (0..16).map(|_| client.get(format!("{base}/health")).send());
    for reply in futures_util::future::join_all(opened).await {
        assert_eq!(reply.expect("health").status(), StatusCode::OK);
    }
    // Logins take a while (Argon2, a few at a time): start a batch on those connections, and
    // once the first is answered (so the rest are with the service, waiting their turn) ask
    // the service to stop.
    let mut in_flight: futures_util::stream::FuturesUnordered<_> = (0..16)
        .map(|_| {
            client
                .post(format!("{base}/api/v1/auth/login"))
                .json(&json!({"email": ADMIN_EMAIL, "password": PASSWORD}))
                .send()
        })
        .collect();
    let first = in_flight.next().await.expect("a login").expect("answered");
    assert_eq!(first.status(), StatusCode::OK);
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut answered = 1;
    while let Some(answer) = in_flight.next().await {
        assert_eq!(
            answer.expect("answered, not cut off").status(),
            StatusCode::OK
        );
        answered += 1;
    }
    assert_eq!(answered, 16);
    let exit = child.wait().unwrap();
    assert!(exit.success(), "clean exit: {exit:?}");
    assert!(
        client.get(format!("{base}/health")).send().await.is_err(),
        "no longer listening"
    );
}
