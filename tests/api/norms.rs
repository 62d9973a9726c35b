//! The norms over HTTP: listing, reading, the checklist of a location, stateless evaluation.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Auth, Backend, TestApp};

crate::on_both_backends!(
    norms_are_public_documents,
    evaluation_explains_and_refuses_bad_facts,
    checklist_of_a_location
);

async fn norms_are_public_documents(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let list = app.get("/api/v1/norms", &Auth::None).await;
    assert_eq!(list.status, StatusCode::OK);
    let snf = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["scheme"] == "snf")
        .unwrap();
    let versions: Vec<&str> = snf["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(
        versions,
        [
            "7.0",
            "7.3",
            "2021-06-01",
            "2021-09-01",
            "2024-01-01",
            "2025-07-01"
        ]
    );
    assert_eq!(snf["versions"][5]["valid_from"], "2025-07-01");
    assert!(snf["versions"][5]["valid_to"].is_null());
    assert_eq!(snf["versions"][0]["valid_to"], "2018-10-14");
    assert_eq!(snf["versions"][5]["hash"].as_str().unwrap().len(), 64);
    assert!(
        list.body
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["scheme"] == "akf")
    );

    let detail = app.get("/api/v1/norms/snf/2025-07-01", &Auth::None).await;
    assert_eq!(detail.status, StatusCode::OK);
    let floor = detail.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "B2.2")
        .unwrap();
    assert_eq!(floor["check"], "floor_area_m2 >= area_needed_m2");
    assert_eq!(floor["severity"], "major");
    assert_eq!(floor["params"]["area_per_person_m2"]["value"], 12.0);
    assert_eq!(floor["variants"][0]["params"]["area_per_person_m2"], 15.0);
    assert_eq!(floor["repair"]["confirmed"], false);
    assert_eq!(detail.body["facts"]["bedrooms"]["scope"], "room");
    assert_eq!(detail.body["facts"]["toilets"]["type"], "integer");

    let missing = app.get("/api/v1/norms/snf/9.9", &Auth::None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

async fn evaluation_explains_and_refuses_bad_facts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let body = |date: &str, facts: serde_json::Value| json!({"date": date, "location": {"housing_form": "hotel_pension", "max_beds": 10}, "facts": facts});
    let anonymous = app
        .post(
            "/api/v1/norms/snf/evaluate",
            &Auth::None,
            body("2025-09-01", json!({})),
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    let verdict = app
        .post(
            "/api/v1/norms/snf/evaluate",
            &admin,
            body(
                "2025-09-01",
                json!({"residents": 7, "toilets": 1, "floor_area_m2": 100.0}),
            ),
        )
        .await;
    assert_eq!(verdict.status, StatusCode::OK, "{:?}", verdict.body);
    assert_eq!(verdict.body["version"], "2025-07-01");
    assert_eq!(verdict.body["result"], "incomplete");
    let item = |id: &str| {
        verdict.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(
        item("B3.1")["explanation"],
        "7 residents share 1 toilets; the norm asks 1 per 8 persons, so 1 needed: pass"
    );
    let floor = item("B2.2");
    assert_eq!(floor["status"], "fail");
    assert_eq!(floor["thresholds"]["area_per_person_m2"]["value"], 15.0);
    assert_eq!(floor["facts_used"]["floor_area_m2"], 100.0);
    assert_eq!(floor["article"], "B2.2 Ruimte per persoon");
    // The same facts before the amendment: the hotel needs 10 m2, so 70 will do.
    let before = app
        .post(
            "/api/v1/norms/snf/evaluate",
            &admin,
            body(
                "2025-06-30",
                json!({"residents": 7, "floor_area_m2": 100.0}),
            ),
        )
        .await;
    let floor = before.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "B2.2")
        .unwrap()
        .clone();
    assert_eq!(floor["status"], "pass");

    let bad = app
        .post(
            "/api/v1/norms/snf/evaluate",
            &admin,
            body("2025-09-01", json!({"residents": "many", "toilets": -2, "colour": "red", "bedrooms": [{"area_m2": 2000.0}]})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut fields = bad.fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "facts.bedrooms[0].area_m2",
            "facts.colour",
            "facts.residents",
            "facts.toilets"
        ]
    );

    let early = app
        .post(
            "/api/v1/norms/snf/evaluate",
            &admin,
            body("2016-01-01", json!({})),
        )
        .await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(early.fields(), ["date"]);
    assert_eq!(early.body["errors"][0]["code"], "before_first_version");

    let unknown = app
        .post(
            "/api/v1/norms/xyz/evaluate",
            &admin,
            body("2025-09-01", json!({})),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    let form = app
        .post(
            "/api/v1/norms/snf/evaluate",
            &admin,
            json!({"date": "2025-09-01", "location": {"housing_form": "tent"}, "facts": {}}),
        )
        .await;
    assert_eq!(form.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(form.fields(), ["location.housing_form"]);
}

async fn checklist_of_a_location(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let own = app.provider("11111111").await;
    let other = app.provider("22222222").await;
    let location = app.location(&own).await;
    let other_location = app.location(&other).await;
    let provider = app.user("provider", Some(&own)).await;

    let list = app
        .get(
            &format!(
                "/api/v1/norms/snf/2025-07-01/checklist?location_id={location}&date=2025-09-01"
            ),
            &provider,
        )
        .await;
    assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
    let questions = list.body["questions"].as_array().unwrap();
    let beds = questions.iter().find(|q| q["id"] == "max_beds").unwrap();
    assert_eq!(beds["prefilled"], 8, "from the register");
    assert!(
        questions
            .iter()
            .any(|q| q["id"] == "bedrooms" && q["scope"] == "room")
    );

    let admin_part = app
        .get(&format!("/api/v1/norms/snf/2025-07-01/checklist?location_id={location}&inspection=administrative"), &provider)
        .await;
    assert!(
        admin_part.body["questions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|q| q["id"] == "location_list_complete")
    );

    let foreign = app
        .get(
            &format!("/api/v1/norms/snf/2025-07-01/checklist?location_id={other_location}"),
            &provider,
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    let agency = app
        .user("agency", Some(&app.agency("33333333").await))
        .await;
    let denied = app
        .get(
            &format!("/api/v1/norms/snf/2025-07-01/checklist?location_id={location}"),
            &agency,
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
}
