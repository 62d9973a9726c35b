//! Logging in, tokens and API keys.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use flexkeur::auth::Role;
use flexkeur::auth::token::TokenKeys;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{ADMIN_EMAIL, Auth, Backend, PASSWORD, TestApp, create_database};

crate::on_both_backends!(
    login_answers_a_bearer_token,
    wrong_credentials_are_refused_alike,
    bad_tokens_are_refused,
    disabled_users_cannot_log_in,
    api_keys_are_shown_once_and_can_be_revoked,
    bootstrap_admin_is_created_once,
);

async fn login_answers_a_bearer_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let reply = app.login(ADMIN_EMAIL, PASSWORD).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["token_type"], "Bearer");
    assert_eq!(reply.body["expires_in"], 900);
    assert_eq!(reply.body["role"], "admin");
    // E-mail addresses are matched without regard to case.
    let upper = app.login(&ADMIN_EMAIL.to_uppercase(), PASSWORD).await;
    assert_eq!(upper.status, StatusCode::OK);

    let token = Auth::Bearer(reply.body["access_token"].as_str().unwrap().into());
    let me = app.get("/api/v1/users/me", &token).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["email"], ADMIN_EMAIL);
    assert!(me.body.get("password_hash").is_none());
}

async fn wrong_credentials_are_refused_alike(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let wrong_password = app.login(ADMIN_EMAIL, "not the password at all").await;
    let unknown_user = app.login("nobody@flexkeur.test", PASSWORD).await;
    for reply in [&wrong_password, &unknown_user] {
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(reply.code(), "invalid_credentials");
        assert_eq!(reply.headers["content-type"], "application/problem+json");
    }
    assert_eq!(wrong_password.body["detail"], unknown_user.body["detail"]);
}

async fn bad_tokens_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let Auth::Bearer(good) = &admin else {
        unreachable!()
    };
    let now = chrono::Utc::now().timestamp();
    let me = app.get("/api/v1/users/me", &admin).await;
    let user_id = me.body["id"].as_str().unwrap();

    // Expired: signed with the service's own key, but an hour old.
    let expired = app
        .tokens
        .issue(user_id, Role::Admin, None, now - 3600)
        .unwrap();
    // Signed with a key that is not the service's.
    let foreign = TokenKeys::new(b"some other secret of 32 bytes!!!", 900)
        .issue(user_id, Role::Admin, None, now)
        .unwrap();
    // The service's claims, re-labelled `alg: none` without a signature.
    let payload = good.split('.').nth(1).unwrap();
    let none = format!(
        "{}.{payload}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#)
    );
    // A claim changed after signing (role raised), the signature kept.
    let mut claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["role"] = json!("admin");
    claims["sub"] = json!("someone-else");
    let signature = good.split('.').nth(2).unwrap();
    let header = good.split('.').next().unwrap();
    let tampered = format!(
        "{header}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );

    for (token, code) in [
        (expired, "token_expired"),
        (foreign, "invalid_token"),
        (none, "invalid_token"),
        (tampered, "invalid_token"),
        ("not.a.token".to_owned(), "invalid_token"),
    ] {
        let reply = app
            .get("/api/v1/users/me", &Auth::Bearer(token.clone()))
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{token}");
        assert_eq!(reply.code(), code, "{token}");
    }

    let basic = app
        .client
        .get(format!("{}/api/v1/users/me", app.address))
        .header("authorization", "Basic YWRtaW46YWRtaW4=")
        .send()
        .await
        .unwrap();
    let reply = TestApp::reply(basic).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.code(), "invalid_token");

    let anonymous = app.get("/api/v1/users/me", &Auth::None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.code(), "authentication_required");
}

async fn disabled_users_cannot_log_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let provider = app.provider("11112222").await;
    let created = app
        .post(
            "/api/v1/users",
            &admin,
            json!({"email": "staff@provider.test", "name": "Staff", "role": "provider",
                   "password": PASSWORD, "organisation_id": provider}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(
        app.login("staff@provider.test", PASSWORD).await.status,
        StatusCode::OK
    );

    let disabled = app
        .patch(
            &format!("/api/v1/users/{}", created.id()),
            &admin,
            json!({"active": false}),
        )
        .await;
    assert_eq!(disabled.status, StatusCode::OK);
    assert_eq!(disabled.body["active"], false);
    let refused = app.login("staff@provider.test", PASSWORD).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // A new password works once the account is active again.
    let changed = app
        .patch(
            &format!("/api/v1/users/{}", created.id()),
            &admin,
            json!({"active": true, "password": "another long password"}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_eq!(
        app.login("staff@provider.test", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("staff@provider.test", "another long password")
            .await
            .status,
        StatusCode::OK
    );
}

async fn api_keys_are_shown_once_and_can_be_revoked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let agency = app.agency("55556666").await;
    let staff = app.user("agency", Some(&agency)).await;
    let created = app
        .post(
            &format!("/api/v1/agencies/{agency}/api-keys"),
            &staff,
            json!({"label": "payroll system"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let key = created.body["api_key"].as_str().unwrap().to_owned();
    assert!(key.starts_with(&format!("fk_{}_", created.body["prefix"].as_str().unwrap())));

    // The key works, and identifies the agency.
    let own = app
        .get(
            &format!("/api/v1/agencies/{agency}"),
            &Auth::ApiKey(key.clone()),
        )
        .await;
    assert_eq!(own.status, StatusCode::OK);
    assert_eq!(own.body["id"], agency.as_str());

    // The list shows the key without its secret.
    let list = app
        .get(&format!("/api/v1/agencies/{agency}/api-keys"), &staff)
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    assert!(!list.body.to_string().contains(&key[12..]));
    assert!(list.body[0].get("api_key").is_none());

    // A key cannot manage keys; a wrong secret with a real prefix is refused.
    let by_key = app
        .post(
            &format!("/api/v1/agencies/{agency}/api-keys"),
            &Auth::ApiKey(key.clone()),
            json!({"label": "x"}),
        )
        .await;
    assert_eq!(by_key.status, StatusCode::FORBIDDEN);
    let forged = format!("{}AAAA", &key[..key.len() - 4]);
    let reply = app
        .get(&format!("/api/v1/agencies/{agency}"), &Auth::ApiKey(forged))
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.code(), "invalid_api_key");

    let revoked = app
        .delete(
            &format!("/api/v1/agencies/{agency}/api-keys/{}", created.id()),
            &staff,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    let after = app
        .get(&format!("/api/v1/agencies/{agency}"), &Auth::ApiKey(key))
        .await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert_eq!(after.code(), "invalid_api_key");
}

async fn bootstrap_admin_is_created_once(backend: Backend) {
    let (database, url) = create_database(&backend);
    let node = |admin: &str| {
        flexkeur::server::prepare(flexkeur::config::Config {
            database_url: url.clone(),
            admin_email: Some(admin.into()),
            admin_password: Some(PASSWORD.into()),
            ..Default::default()
        })
        .expect("node starts")
    };
    // The first start creates the admin of its configuration. A later start with another admin
    // configured (a restart; on PostgreSQL it may be a second node beside the first, while a
    // SQLite file serves one node at a time) creates no second admin.
    let first = node(ADMIN_EMAIL);
    let first_tokens = first.tokens.clone();
    drop(first);
    drop(node("second@flexkeur.test"));
    let app = TestApp::start(database, url.clone(), |_| {});
    let users = app.get("/api/v1/users", &app.admin().await).await;
    assert_eq!(users.body["total"], 1);
    assert_eq!(
        app.login("second@flexkeur.test", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Every start shares the login-token key: a token of one is good at the other.
    let Auth::Bearer(token) = app.admin().await else {
        unreachable!()
    };
    assert!(first_tokens.verify(&token).is_ok());
}
