//! Every endpoint against every kind of caller: each grant and each denial.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Auth, Backend, PASSWORD, TestApp, location_body};

crate::on_both_backends!(every_role_gets_what_it_may_and_nothing_else);

async fn every_role_gets_what_it_may_and_nothing_else(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let (own, other) = (
        app.provider("11111111").await,
        app.provider("22222222").await,
    );
    let (own_loc, other_loc) = (app.location(&own).await, app.location(&other).await);
    let (own_body, other_body) = (
        app.inspection_body("I 1").await,
        app.inspection_body("I 2").await,
    );
    let (own_agency, other_agency) = (app.agency("33333333").await, app.agency("44444444").await);
    let inspector = app.user("inspector", Some(&own_body)).await;
    let provider = app.user("provider", Some(&own)).await;
    let agency_user = app.user("agency", Some(&own_agency)).await;
    let key = app
        .post(
            &format!("/api/v1/agencies/{own_agency}/api-keys"),
            &agency_user,
            json!({"label": "k"}),
        )
        .await;
    let agency_key = Auth::ApiKey(key.body["api_key"].as_str().unwrap().into());
    let some_user = app.get("/api/v1/users/me", &provider).await.id();

    let callers = [
        ("anonymous", Auth::None),
        ("admin", admin),
        ("inspector", inspector),
        ("provider", provider),
        ("agency user", agency_user),
        ("agency key", agency_key),
    ];

    let get = Method::GET;
    let post = Method::POST;
    let patch = Method::PATCH;
    let new_user =
        json!({"email": "new@flexkeur.test", "name": "New", "role": "admin", "password": PASSWORD});
    let rename = json!({"name": "Renamed"});
    // Expected status per caller: anonymous, admin, inspector, provider, agency user, agency key.
    let table: Vec<(Method, String, Option<Value>, [u16; 6])> = vec![
        (
            get.clone(),
            "/api/v1/providers".into(),
            None,
            [401, 200, 200, 200, 403, 403],
        ),
        (
            get.clone(),
            format!("/api/v1/providers/{own}"),
            None,
            [401, 200, 200, 200, 403, 403],
        ),
        (
            get.clone(),
            format!("/api/v1/providers/{other}"),
            None,
            [401, 200, 200, 404, 403, 403],
        ),
        (
            get.clone(),
            format!("/api/v1/providers/{own}/locations"),
            None,
            [401, 200, 200, 200, 403, 403],
        ),
        (
            get.clone(),
            format!("/api/v1/providers/{other}/locations"),
            None,
            [401, 200, 200, 404, 403, 403],
        ),
        (
            get.clone(),
            format!("/api/v1/locations/{own_loc}"),
            None,
            [401, 200, 200, 200, 403, 403],
        ),
        (
            get.clone(),
            format!("/api/v1/locations/{other_loc}"),
            None,
            [401, 200, 200, 404, 403, 403],
        ),
        (
            get.clone(),
            "/api/v1/inspection-bodies".into(),
            None,
            [401, 200, 403, 403, 403, 403],
        ),
        (
            get.clone(),
            format!("/api/v1/inspection-bodies/{own_body}"),
            None,
            [401, 200, 200, 403, 403, 403],
        ),
        (
            get.clone(),
            format!("/api/v1/inspection-bodies/{other_body}"),
            None,
            [401, 200, 404, 403, 403, 403],
        ),
        (
            get.clone(),
            "/api/v1/agencies".into(),
            None,
            [401, 200, 403, 403, 403, 403],
        ),
        (
            get.clone(),
            format!("/api/v1/agencies/{own_agency}"),
            None,
            [401, 200, 403, 403, 200, 200],
        ),
        (
            get.clone(),
            format!("/api/v1/agencies/{other_agency}"),
            None,
            [401, 200, 403, 403, 404, 404],
        ),
        (
            get.clone(),
            format!("/api/v1/agencies/{own_agency}/api-keys"),
            None,
            [401, 200, 403, 403, 200, 403],
        ),
        (
            get.clone(),
            format!("/api/v1/agencies/{other_agency}/api-keys"),
            None,
            [401, 200, 403, 403, 404, 404],
        ),
        (
            get.clone(),
            "/api/v1/users".into(),
            None,
            [401, 200, 403, 403, 403, 403],
        ),
        (
            get.clone(),
            "/api/v1/users/me".into(),
            None,
            [401, 200, 200, 200, 200, 403],
        ),
        (
            get.clone(),
            format!("/api/v1/users/{some_user}"),
            None,
            [401, 200, 403, 200, 403, 403],
        ),
        (
            post.clone(),
            "/api/v1/providers".into(),
            Some(json!({"kvk_number": "99999999", "name": "N", "contact_email": "n@n.test"})),
            [401, 201, 403, 403, 403, 403],
        ),
        (
            patch.clone(),
            format!("/api/v1/providers/{own}"),
            Some(rename.clone()),
            [401, 200, 403, 200, 403, 403],
        ),
        (
            patch.clone(),
            format!("/api/v1/providers/{other}"),
            Some(rename.clone()),
            [401, 200, 403, 404, 403, 403],
        ),
        (
            patch.clone(),
            format!("/api/v1/providers/{own}"),
            Some(json!({"kvk_number": "11111112"})),
            [401, 200, 403, 403, 403, 403],
        ),
        (
            post.clone(),
            format!("/api/v1/providers/{own}/locations"),
            Some(location_body()),
            [401, 201, 403, 201, 403, 403],
        ),
        (
            post.clone(),
            format!("/api/v1/providers/{other}/locations"),
            Some(location_body()),
            [401, 201, 403, 404, 403, 403],
        ),
        (
            patch.clone(),
            format!("/api/v1/locations/{own_loc}"),
            Some(json!({"max_beds": 6})),
            [401, 200, 403, 200, 403, 403],
        ),
        (
            patch.clone(),
            format!("/api/v1/locations/{other_loc}"),
            Some(json!({"max_beds": 6})),
            [401, 200, 403, 404, 403, 403],
        ),
        (
            post.clone(),
            "/api/v1/inspection-bodies".into(),
            Some(json!({"name": "N", "accreditation_number": "I 9"})),
            [401, 201, 403, 403, 403, 403],
        ),
        (
            patch.clone(),
            format!("/api/v1/inspection-bodies/{own_body}"),
            Some(rename.clone()),
            [401, 200, 403, 403, 403, 403],
        ),
        (
            post.clone(),
            "/api/v1/agencies".into(),
            Some(json!({"kvk_number": "88888888", "name": "N", "contact_email": "n@n.test"})),
            [401, 201, 403, 403, 403, 403],
        ),
        (
            patch.clone(),
            format!("/api/v1/agencies/{own_agency}"),
            Some(rename.clone()),
            [401, 200, 403, 403, 403, 403],
        ),
        (
            post.clone(),
            format!("/api/v1/agencies/{own_agency}/api-keys"),
            Some(json!({"label": "k2"})),
            [401, 201, 403, 403, 201, 403],
        ),
        (
            post.clone(),
            format!("/api/v1/agencies/{other_agency}/api-keys"),
            Some(json!({"label": "k3"})),
            [401, 201, 403, 403, 404, 404],
        ),
        (
            post.clone(),
            "/api/v1/users".into(),
            Some(new_user),
            [401, 201, 403, 403, 403, 403],
        ),
        (
            patch.clone(),
            format!("/api/v1/users/{some_user}"),
            Some(rename.clone()),
            [401, 200, 403, 403, 403, 403],
        ),
    ];

    let mut wrong = Vec::new();
    for (method, path, body, expected) in &table {
        for ((who, auth), want) in callers.iter().zip(expected) {
            let reply = app.call(method.clone(), path, auth, body.as_ref()).await;
            if reply.status.as_u16() != *want {
                wrong.push(format!(
                    "{method} {path} as {who}: got {} ({}), want {want}",
                    reply.status,
                    reply.code()
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong answers:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
