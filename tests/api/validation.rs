//! Bad input: every validation rule, malformed JSON, unknown fields, oversized bodies. Each is a
//! clear 4xx naming the fields, and nothing is stored.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Auth, Backend, PASSWORD, TestApp, location_body};

crate::on_both_backends!(
    provider_rules,
    location_rules,
    user_rules,
    body_and_agency_rules,
    malformed_requests,
);

/// Posts each body and checks that it is refused with 422 naming exactly `fields`.
async fn refused(app: &TestApp, auth: &Auth, path: &str, cases: Vec<(Value, Vec<&str>)>) {
    for (body, fields) in cases {
        let reply = app.post(path, auth, body.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            reply.body
        );
        assert_eq!(reply.code(), "validation_failed");
        assert_eq!(reply.fields(), fields, "{body}");
        for error in reply.body["errors"].as_array().unwrap() {
            assert!(!error["message"].as_str().unwrap().is_empty());
            assert!(!error["code"].as_str().unwrap().is_empty());
        }
    }
}

async fn provider_rules(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let good = json!({"kvk_number": "12345678", "name": "Flex", "contact_email": "a@b.nl"});
    let with = |key: &str, value: Value| {
        let mut body = good.clone();
        body[key] = value;
        body
    };
    refused(
        &app,
        &admin,
        "/api/v1/providers",
        vec![
            (with("kvk_number", json!("1234567")), vec!["kvk_number"]),
            (with("kvk_number", json!("123456789")), vec!["kvk_number"]),
            (with("kvk_number", json!("1234567a")), vec!["kvk_number"]),
            (with("kvk_number", json!(12345678)), vec!["kvk_number"]),
            (with("name", json!("")), vec!["name"]),
            (with("name", json!("x".repeat(201))), vec!["name"]),
            (
                with("contact_email", json!("not-an-address")),
                vec!["contact_email"],
            ),
            (
                json!({"kvk_number": "1", "name": "", "contact_email": "x"}),
                vec!["contact_email", "kvk_number", "name"],
            ),
            (
                json!({"name": "Flex", "contact_email": "a@b.nl"}),
                vec!["kvk_number"],
            ),
            (with("website", json!("https://x.nl")), vec!["website"]),
        ],
    )
    .await;
    let list = app.get("/api/v1/providers", &admin).await;
    assert_eq!(list.body["total"], 0, "nothing was stored");
}

async fn location_rules(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let provider = app.provider("12345678").await;
    let path = format!("/api/v1/providers/{provider}/locations");
    let with = |pointer: &str, value: Value| {
        let mut body = location_body();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        body.pointer_mut(parent).unwrap()[key] = value;
        body
    };
    refused(
        &app,
        &admin,
        &path,
        vec![
            (
                with("/address/postcode", json!("123 AB")),
                vec!["address.postcode"],
            ),
            (
                with("/address/postcode", json!("0123 AB")),
                vec!["address.postcode"],
            ),
            (
                with("/address/postcode", json!("1234 SS")),
                vec!["address.postcode"],
            ),
            (
                with("/address/house_number", json!("A12")),
                vec!["address.house_number"],
            ),
            (
                with("/address/house_number", json!("0")),
                vec!["address.house_number"],
            ),
            (with("/address/street", json!("")), vec!["address.street"]),
            (with("/address/city", json!("")), vec!["address.city"]),
            (with("/bag_id", json!("12345")), vec!["bag_id"]),
            (with("/housing_form", json!("castle")), vec!["housing_form"]),
            (
                with("/municipal_designation", json!("industrie")),
                vec!["municipal_designation"],
            ),
            (
                with("/permit_applied_on", json!("2019-02-30")),
                vec!["permit_applied_on"],
            ),
            (with("/max_beds", json!(0)), vec!["max_beds"]),
            (with("/max_beds", json!(5001)), vec!["max_beds"]),
            (with("/max_beds", json!(-1)), vec!["max_beds"]),
            (
                with("/responsibility", json!("partly")),
                vec!["responsibility"],
            ),
            (
                with("/address/country", json!("NL")),
                vec!["address.country"],
            ),
            (
                {
                    let mut b = with("/address/postcode", json!("x"));
                    b["max_beds"] = json!(0);
                    b["bag_id"] = json!("1");
                    b
                },
                vec!["address.postcode", "bag_id", "max_beds"],
            ),
        ],
    )
    .await;
    // The same rules hold when a location is changed.
    let location = app.location(&provider).await;
    let patched = app
        .patch(
            &format!("/api/v1/locations/{location}"),
            &admin,
            json!({"address": {"street": "S", "house_number": "1", "postcode": "99 ZZ", "city": "C"}, "max_beds": 0}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(patched.fields(), vec!["address.postcode", "max_beds"]);
    let list = app
        .get(&format!("/api/v1/providers/{provider}/locations"), &admin)
        .await;
    assert_eq!(list.body["total"], 1);
    assert_eq!(
        list.body["items"][0]["max_beds"], 8,
        "the refused change left no trace"
    );
}

async fn user_rules(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let provider = app.provider("12345678").await;
    let body = app.inspection_body("I 1").await;
    let user = |role: &str, org: Option<&str>| json!({"email": "u@flexkeur.test", "name": "U", "role": role, "password": PASSWORD, "organisation_id": org});
    let mut short = user("admin", None);
    short["password"] = json!("short");
    let mut bad_email = user("admin", None);
    bad_email["email"] = json!("u@");
    refused(
        &app,
        &admin,
        "/api/v1/users",
        vec![
            (short, vec!["password"]),
            (bad_email, vec!["email"]),
            (user("superuser", None), vec!["role"]),
            (user("provider", None), vec!["organisation_id"]),
            (user("provider", Some(&body)), vec!["organisation_id"]),
            (user("inspector", Some(&provider)), vec!["organisation_id"]),
            (
                user("agency", Some("no-such-agency")),
                vec!["organisation_id"],
            ),
            (user("admin", Some(&provider)), vec!["organisation_id"]),
        ],
    )
    .await;
    let list = app.get("/api/v1/users", &admin).await;
    assert_eq!(list.body["total"], 1, "only the bootstrap admin");
    let codes: Vec<String> = {
        let reply = app
            .post("/api/v1/users", &admin, user("provider", None))
            .await;
        reply.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["code"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(codes, vec!["organisation_required"]);
}

async fn body_and_agency_rules(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    refused(
        &app,
        &admin,
        "/api/v1/inspection-bodies",
        vec![
            (
                json!({"name": "", "accreditation_number": "I 1"}),
                vec!["name"],
            ),
            (
                json!({"name": "B", "accreditation_number": ""}),
                vec!["accreditation_number"],
            ),
            (
                json!({"name": "B", "accreditation_number": "x".repeat(51)}),
                vec!["accreditation_number"],
            ),
        ],
    )
    .await;
    refused(
        &app,
        &admin,
        "/api/v1/agencies",
        vec![
            (json!({"kvk_number": "1", "name": "A", "contact_email": "a@b.nl"}), vec!["kvk_number"]),
            (json!({"kvk_number": "12345678", "name": "A", "contact_email": "a"}), vec!["contact_email"]),
            (json!({"kvk_number": "12345678", "name": "A", "contact_email": "a@b.nl", "abu_member": "yes"}), vec!["abu_member"]),
        ],
    )
    .await;
    let agency = app.agency("12345678").await;
    refused(
        &app,
        &admin,
        &format!("/api/v1/agencies/{agency}/api-keys"),
        vec![(json!({"label": ""}), vec!["label"])],
    )
    .await;
    assert_eq!(
        app.get("/api/v1/inspection-bodies", &admin).await.body["total"],
        0
    );
}

async fn malformed_requests(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let Auth::Bearer(token) = app.admin().await else {
        unreachable!()
    };
    let send = |body: Vec<u8>, content_type: &'static str| {
        app.client
            .post(format!("{}/api/v1/providers", app.address))
            .bearer_auth(&token)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    for body in ["{", "", "{\"kvk_number\": }", "{\"kvk_number\" 1}", "nul"] {
        let reply = TestApp::reply(send(body.into(), "application/json").await.unwrap()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body:?}");
        assert_eq!(reply.code(), "malformed_json", "{body:?}");
    }
    // NUL in text (which PostgreSQL cannot store) is refused alike on both backends, in a body
    // and in a query string.
    let nul = br#"{"kvk_number":"12345678","name":"Nul\u0000 B.V.","contact_email":"a@b.nl"}"#;
    let reply = TestApp::reply(send(nul.to_vec(), "application/json").await.unwrap()).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.code(), "nul_character");
    let searched = app
        .get("/api/v1/providers?q=a%00b", &Auth::Bearer(token.clone()))
        .await;
    assert_eq!(searched.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(searched.code(), "nul_character");
    let wrong_type = TestApp::reply(
        send(b"kvk=1".to_vec(), "application/x-www-form-urlencoded")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(wrong_type.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(wrong_type.code(), "unsupported_media_type");

    let huge = format!(
        r#"{{"kvk_number":"12345678","name":"{}","contact_email":"a@b.nl"}}"#,
        "x".repeat(300 * 1024)
    );
    let too_large = TestApp::reply(send(huge.into(), "application/json").await.unwrap()).await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_large.code(), "payload_too_large");

    let auth = Auth::Bearer(token.clone());
    for query in [
        "per_page=0",
        "per_page=201",
        "page=0",
        "page=abc",
        "per_page=-1",
    ] {
        let reply = app.get(&format!("/api/v1/providers?{query}"), &auth).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(reply.code(), "validation_failed", "{query}");
    }
    let bad_kvk_filter = app.get("/api/v1/providers?kvk_number=12", &auth).await;
    assert_eq!(bad_kvk_filter.fields(), vec!["kvk_number"]);
    assert_eq!(app.get("/api/v1/providers", &auth).await.body["total"], 0);
}
