//! The register: create, read, update and list, with pagination and duplicates.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, TestApp, location_body};

crate::on_both_backends!(
    providers_are_created_read_updated_and_listed,
    locations_belong_to_their_provider,
    lists_are_paginated,
    duplicates_are_conflicts,
    inspection_bodies_and_agencies,
    unknown_ids_are_not_found,
);

async fn providers_are_created_read_updated_and_listed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let created = app
        .post(
            "/api/v1/providers",
            &admin,
            json!({"kvk_number": "12345678", "name": "  Flexwonen Noord B.V. ", "contact_email": "info@flexwonen.test"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let id = created.id();
    assert_eq!(
        created.headers["location"],
        format!("/api/v1/providers/{id}").as_str()
    );
    assert_eq!(created.body["name"], "Flexwonen Noord B.V.");
    assert!(created.body["created_at"].as_str().unwrap().ends_with('Z'));

    let read = app.get(&format!("/api/v1/providers/{id}"), &admin).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.body, created.body);

    let updated = app
        .patch(
            &format!("/api/v1/providers/{id}"),
            &admin,
            json!({"contact_email": "planning@flexwonen.test"}),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK);
    assert_eq!(updated.body["contact_email"], "planning@flexwonen.test");
    assert_eq!(updated.body["name"], "Flexwonen Noord B.V.");

    app.provider("87654321").await;
    let search = app.get("/api/v1/providers?q=NOORD", &admin).await;
    assert_eq!(search.body["total"], 1);
    assert_eq!(search.body["items"][0]["id"], id.as_str());
    let by_kvk = app
        .get("/api/v1/providers?kvk_number=87654321", &admin)
        .await;
    assert_eq!(by_kvk.body["total"], 1);
    assert_eq!(by_kvk.body["items"][0]["kvk_number"], "87654321");
    // A LIKE wildcard in the search is taken literally.
    let wildcard = app.get("/api/v1/providers?q=%25", &admin).await;
    assert_eq!(wildcard.body["total"], 0);
}

async fn locations_belong_to_their_provider(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let provider = app.provider("12345678").await;
    let created = app
        .post(
            &format!("/api/v1/providers/{provider}/locations"),
            &admin,
            location_body(),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id = created.id();
    assert_eq!(created.body["provider_id"], provider.as_str());
    // The postcode is stored in its standard form; Dutch characters are kept.
    assert_eq!(created.body["address"]["postcode"], "1234 AB");
    assert_eq!(created.body["address"]["city"], "Zoëterwoude");
    assert_eq!(created.body["responsibility"], "first_responsible");
    assert_eq!(created.body["max_beds"], 8);

    let changed = app
        .patch(
            &format!("/api/v1/locations/{id}"),
            &admin,
            json!({"housing_form": "hotel_pension", "municipal_designation": null, "bag_id": null, "max_beds": 20}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert_eq!(changed.body["housing_form"], "hotel_pension");
    assert!(changed.body["municipal_designation"].is_null());
    assert!(changed.body["bag_id"].is_null());
    assert_eq!(changed.body["permit_applied_on"], "2019-03-01");
    assert_eq!(changed.body["max_beds"], 20);

    let list = app
        .get(&format!("/api/v1/providers/{provider}/locations"), &admin)
        .await;
    assert_eq!(list.body["total"], 1);
    assert_eq!(list.body["items"][0], changed.body);

    let other = app.provider("87654321").await;
    let none = app
        .get(&format!("/api/v1/providers/{other}/locations"), &admin)
        .await;
    assert_eq!(none.body["total"], 0);
}

async fn lists_are_paginated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    for n in 0..5 {
        app.provider(&format!("1000000{n}")).await;
    }
    let first = app.get("/api/v1/providers?per_page=2", &admin).await;
    assert_eq!(first.body["total"], 5);
    assert_eq!(first.body["page"], 1);
    assert_eq!(first.body["per_page"], 2);
    assert_eq!(first.body["items"].as_array().unwrap().len(), 2);
    let third = app.get("/api/v1/providers?per_page=2&page=3", &admin).await;
    assert_eq!(third.body["items"].as_array().unwrap().len(), 1);
    let beyond = app.get("/api/v1/providers?per_page=2&page=4", &admin).await;
    assert_eq!(beyond.body["items"].as_array().unwrap().len(), 0);

    let mut seen: Vec<String> = Vec::new();
    for page in 1..=3 {
        let reply = app
            .get(&format!("/api/v1/providers?per_page=2&page={page}"), &admin)
            .await;
        for item in reply.body["items"].as_array().unwrap() {
            seen.push(item["kvk_number"].as_str().unwrap().into());
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 5, "every provider exactly once over the pages");
}

async fn duplicates_are_conflicts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let first = app.provider("12345678").await;
    let again = app
        .post(
            "/api/v1/providers",
            &admin,
            json!({"kvk_number": "12345678", "name": "Other", "contact_email": "a@b.test"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.code(), "kvk_number_taken");

    // Changing another provider's KvK number to a taken one is a conflict too.
    let second = app.provider("87654321").await;
    let clash = app
        .patch(
            &format!("/api/v1/providers/{second}"),
            &admin,
            json!({"kvk_number": "12345678"}),
        )
        .await;
    assert_eq!(clash.status, StatusCode::CONFLICT);
    assert_eq!(clash.code(), "kvk_number_taken");
    assert_eq!(
        app.get(&format!("/api/v1/providers/{first}"), &admin)
            .await
            .body["kvk_number"],
        "12345678"
    );

    app.inspection_body("I 001").await;
    let body = app
        .post(
            "/api/v1/inspection-bodies",
            &admin,
            json!({"name": "Other", "accreditation_number": "I 001"}),
        )
        .await;
    assert_eq!(body.status, StatusCode::CONFLICT);
    assert_eq!(body.code(), "accreditation_number_taken");

    app.agency("55556666").await;
    let agency = app
        .post(
            "/api/v1/agencies",
            &admin,
            json!({"kvk_number": "55556666", "name": "Other", "contact_email": "a@b.test"}),
        )
        .await;
    assert_eq!(agency.status, StatusCode::CONFLICT);

    let user = json!({"email": "Twice@Flexkeur.test", "name": "Twice", "role": "admin",
                      "password": crate::helpers::PASSWORD});
    assert_eq!(
        app.post("/api/v1/users", &admin, user.clone()).await.status,
        StatusCode::CREATED
    );
    let mut lower = user;
    lower["email"] = json!("twice@flexkeur.test");
    let clash = app.post("/api/v1/users", &admin, lower).await;
    assert_eq!(clash.status, StatusCode::CONFLICT);
    assert_eq!(clash.code(), "email_taken");
}

async fn inspection_bodies_and_agencies(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let body = app.inspection_body("I 042").await;
    let renamed = app
        .patch(
            &format!("/api/v1/inspection-bodies/{body}"),
            &admin,
            json!({"name": "Keurmeesters"}),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK);
    assert_eq!(renamed.body["name"], "Keurmeesters");
    assert_eq!(renamed.body["accreditation_number"], "I 042");
    let bodies = app.get("/api/v1/inspection-bodies", &admin).await;
    assert_eq!(bodies.body["total"], 1);

    let agency = app.agency("55556666").await;
    let changed = app
        .patch(
            &format!("/api/v1/agencies/{agency}"),
            &admin,
            json!({"abu_member": false}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_eq!(changed.body["abu_member"], false);
    let agencies = app.get("/api/v1/agencies", &admin).await;
    assert_eq!(agencies.body["items"][0]["id"], agency.as_str());
}

async fn unknown_ids_are_not_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    for path in [
        "/api/v1/providers/nope",
        "/api/v1/providers/nope/locations",
        "/api/v1/locations/nope",
        "/api/v1/inspection-bodies/nope",
        "/api/v1/agencies/nope",
        "/api/v1/users/nope",
    ] {
        let reply = app.get(path, &admin).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(reply.code(), "not_found", "{path}");
    }
    let reply = app
        .post("/api/v1/providers/nope/locations", &admin, location_body())
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reply = app
        .patch("/api/v1/locations/nope", &admin, json!({"max_beds": 3}))
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}
