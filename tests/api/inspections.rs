//! The inspector's and the provider's daily work, over HTTP: plan, fill in in batches, conflict,
//! retry, photo, submit, findings, repair, re-inspection, closed; and every refusal on the way.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Auth, Backend, PNG, Reply, TestApp};

crate::on_both_backends!(
    the_whole_path_from_plan_to_closed_findings,
    bad_input_is_refused_and_nothing_is_stored,
    unannounced_inspections_stay_hidden_until_they_start,
    a_correction_replaces_the_inspection_it_corrects,
    findings_become_overdue,
    a_letter_waiting_when_a_reinspection_closes_the_finding_is_not_decided,
    a_batch_sets_changes_and_clears_answers_together,
);

/// The register and the people of one test.
struct World {
    admin: Auth,
    provider_id: String,
    location_id: String,
    inspector_id: String,
    inspector: Auth,
    colleague: Auth,
    outsider: Auth,
    provider: Auth,
    other_provider: Auth,
}

async fn world(app: &TestApp) -> World {
    let admin = app.admin().await;
    let provider_id = app.provider("12345678").await;
    let location_id = app.location(&provider_id).await;
    let body = app.inspection_body("I 100").await;
    let other_body = app.inspection_body("I 200").await;
    let inspector = app.user("inspector", Some(&body)).await;
    let inspector_id = app.get("/api/v1/users/me", &inspector).await.id();
    World {
        colleague: app.user("inspector", Some(&body)).await,
        outsider: app.user("inspector", Some(&other_body)).await,
        provider: app.user("provider", Some(&provider_id)).await,
        other_provider: app
            .user("provider", Some(&app.provider("87654321").await))
            .await,
        admin,
        provider_id,
        location_id,
        inspector_id,
        inspector,
    }
}

async fn plan(app: &TestApp, w: &World, kind: &str, extra: Value) -> Reply {
    let mut body = json!({"location_id": w.location_id, "inspector_id": w.inspector_id, "kind": kind,
                          "scheduled_for": app.clock.today().to_string()});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    app.post("/api/v1/inspections", &w.admin, body).await
}

/// Eight residents in a dwelling of 8 beds (from the register), meeting every item but two:
/// no toilet (B3.1) and a visibly overloaded installation (B5.1, which wants a photo and a
/// re-inspection).
fn first_batch() -> Value {
    json!({"residents": 8, "floor_area_m2": 100.0, "under_one_roof": true, "toilets": 0, "showers": 1,
           "wet_room_electrics_splash_proof": true, "fridge_freezer_litres": 240.0, "cooking_burners": 4})
}

fn second_batch() -> Value {
    json!({"electrical_overload_visible": true, "gas_appliances": false, "extinguisher_valid": true,
           "extinguisher_distance_m": 3.0, "fire_blanket_at_cooking": true, "smoke_detectors_working": true,
           "co_detector_required": false, "fire_alarm_installation": false, "laundry_facility": true,
           "drying_outside_bedrooms": true, "information_card_present": true, "information_card_complete": true,
           "maintenance_adequate": true, "neighbours_informed": true, "manager_available": false})
}

fn rooms_batch() -> Value {
    let place =
        json!({"bed_width_cm": 90.0, "bed_length_cm": 200.0, "wardrobe_m3": 0.5, "chair": true});
    json!({"bedrooms": [{"area_m2": 12.0, "occupants": 3, "wall_sockets": 3, "window_area_m2": 1.5},
                        {"area_m2": 18.0, "occupants": 5, "wall_sockets": 5, "window_area_m2": 2.0}],
           "sleeping_places": vec![place; 8]})
}

/// An inspection with every answer given, meeting every item but the toilet (B3.1); answers
/// its id.
async fn without_a_toilet(app: &TestApp, w: &World) -> String {
    let id = plan(app, w, "periodic", json!({})).await.id();
    let mut all = first_batch();
    for more in [second_batch(), rooms_batch()] {
        all.as_object_mut()
            .unwrap()
            .extend(more.as_object().unwrap().clone());
    }
    all["electrical_overload_visible"] = json!(false);
    assert_eq!(
        app.answer(&w.inspector, &id, "all", 1, all).await.status,
        StatusCode::OK
    );
    id
}

fn version(reply: &Reply) -> i64 {
    reply.headers["etag"]
        .to_str()
        .unwrap()
        .trim_matches('"')
        .parse()
        .unwrap()
}

/// One batch may set new answers, change given ones and clear others (`null`); each question
/// then holds exactly what the last batch said of it.
async fn a_batch_sets_changes_and_clears_answers_together(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let w = world(&app).await;
    let id = plan(&app, &w, "periodic", json!({})).await.id();
    let first = app.answer(&w.inspector, &id, "b1", 1, first_batch()).await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);

    let mixed = app
        .answer(
            &w.inspector,
            &id,
            "b2",
            2,
            json!({"toilets": 2, "showers": null, "gas_appliances": false}),
        )
        .await;
    assert_eq!(mixed.status, StatusCode::OK, "{:?}", mixed.body);
    assert_eq!(mixed.body["version"], 3);
    let answered = &mixed.body["answers"];
    assert_eq!(answered["toilets"]["value"], 2);
    assert_eq!(answered["toilets"]["set_in_version"], 3);
    assert_eq!(answered["gas_appliances"]["value"], false);
    assert!(answered.get("showers").is_none(), "{answered}");

    let all = app
        .get(&format!("/api/v1/inspections/{id}"), &w.inspector)
        .await;
    let answers = all.body["answers"].as_object().unwrap();
    assert!(!answers.contains_key("showers"), "cleared");
    assert_eq!(answers["toilets"]["value"], 2);
    assert_eq!(answers["residents"]["value"], 8);
    assert_eq!(answers["residents"]["set_in_version"], 2, "untouched");
    assert_eq!(answers.len(), 8, "{answers:?}");

    // A cleared question can be answered again.
    let again = app
        .answer(&w.inspector, &id, "b3", 3, json!({"showers": 3}))
        .await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    assert_eq!(again.body["answers"]["showers"]["value"], 3);
    assert_eq!(again.body["answers"]["showers"]["set_in_version"], 4);
}

async fn the_whole_path_from_plan_to_closed_findings(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let w = world(&app).await;

    // Plan: announced, so the provider sees it coming.
    let planned = plan(&app, &w, "periodic", json!({})).await;
    assert_eq!(planned.status, StatusCode::CREATED, "{:?}", planned.body);
    let id = planned.id();
    assert_eq!(planned.body["status"], "planned");
    let seen = app
        .get(&format!("/api/v1/inspections/{id}"), &w.provider)
        .await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(
        seen.body["answers"].is_null(),
        "no answers shown before it is judged"
    );

    // The checklist comes from the version in force, with the register's beds filled in.
    let detail = app
        .get(&format!("/api/v1/inspections/{id}"), &w.inspector)
        .await;
    assert_eq!(version(&detail), 1);
    let checklist = &detail.body["checklist"];
    assert_eq!(checklist["version"], "2025-07-01");
    let beds = checklist["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == "max_beds")
        .unwrap();
    assert_eq!(beds["prefilled"], 8);

    // First batch: starts the inspection and pins the norm.
    let one = app
        .answer(&w.inspector, &id, "batch-1", 1, first_batch())
        .await;
    assert_eq!(one.status, StatusCode::OK, "{:?}", one.body);
    assert_eq!(one.body["version"], 2);
    assert_eq!(version(&one), 2);
    assert_eq!(one.body["answers"]["toilets"]["value"], 0);
    assert_eq!(one.body["answers"]["toilets"]["set_in_version"], 2);
    // The tablet lost the answer and sends the batch again: stored once, answered the same.
    let again = app
        .answer(&w.inspector, &id, "batch-1", 1, first_batch())
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body, one.body);
    // The same key and batch from a colleague is not answered from the store.
    let replayed = app
        .answer(&w.colleague, &id, "batch-1", 1, first_batch())
        .await;
    assert_eq!(replayed.status, StatusCode::FORBIDDEN);
    let now = app
        .get(&format!("/api/v1/inspections/{id}"), &w.inspector)
        .await;
    assert_eq!(version(&now), 2);
    assert_eq!(now.body["status"], "in_progress");
    assert_eq!(now.body["norm_version"], "2025-07-01");
    assert_eq!(now.body["norm_hash"].as_str().unwrap().len(), 64);

    // A second device, still at version 1, changes toilets: someone changed it since.
    let stale = app
        .answer(
            &w.inspector,
            &id,
            "batch-x",
            1,
            json!({"toilets": 2, "showers": 2}),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{:?}", stale.body);
    assert_eq!(stale.code(), "answer_conflict");
    let conflicts = stale.body["conflicts"].as_array().unwrap();
    let questions: Vec<&str> = conflicts
        .iter()
        .map(|c| c["question"].as_str().unwrap())
        .collect();
    assert_eq!(questions, ["showers", "toilets"]);
    assert_eq!(conflicts[1]["current"]["value"], 0);
    assert_eq!(conflicts[1]["yours"], 2);
    // ... and nothing of that batch was stored, not even its other questions.
    let unchanged = app
        .get(&format!("/api/v1/inspections/{id}"), &w.inspector)
        .await;
    assert_eq!(version(&unchanged), 2);
    assert_eq!(unchanged.body["answers"]["showers"]["value"], 1);
    // Its retry gets the same refusal.
    let retried = app
        .answer(
            &w.inspector,
            &id,
            "batch-x",
            1,
            json!({"toilets": 2, "showers": 2}),
        )
        .await;
    assert_eq!(retried.status, StatusCode::CONFLICT);
    assert_eq!(retried.body, stale.body);
    // A stale batch that touches only other questions merges.
    let merged = app
        .answer(&w.inspector, &id, "batch-2", 1, second_batch())
        .await;
    assert_eq!(merged.status, StatusCode::OK, "{:?}", merged.body);
    assert_eq!(merged.body["version"], 3);
    assert!(
        merged.body["answers"].get("toilets").is_none(),
        "the reply holds this batch's answers"
    );
    assert_eq!(merged.body["answers"]["gas_appliances"]["value"], false);
    let all = app
        .get(&format!("/api/v1/inspections/{id}"), &w.inspector)
        .await;
    assert_eq!(
        all.body["answers"]["toilets"]["value"], 0,
        "the earlier answers stay"
    );

    // Submitting now: the rooms are missing.
    let incomplete = app
        .post(
            &format!("/api/v1/inspections/{id}/submit"),
            &w.inspector,
            json!(null),
        )
        .await;
    assert_eq!(
        incomplete.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        incomplete.body
    );
    assert_eq!(incomplete.code(), "checklist_incomplete");
    let missing: Vec<&str> = incomplete.body["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert!(
        missing.contains(&"bedrooms") && missing.contains(&"sleeping_places"),
        "{missing:?}"
    );

    let rooms = app
        .answer(&w.inspector, &id, "batch-3", 3, rooms_batch())
        .await;
    assert_eq!(rooms.status, StatusCode::OK, "{:?}", rooms.body);

    // The overloaded installation failed and the norm wants a photo of it.
    let no_photo = app
        .post(
            &format!("/api/v1/inspections/{id}/submit"),
            &w.inspector,
            json!(null),
        )
        .await;
    assert_eq!(no_photo.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_photo.code(), "evidence_required");
    assert_eq!(no_photo.body["items"], json!(["B5.1"]));

    let photo_path = format!("/api/v1/inspections/{id}/photos");
    let photo = app
        .upload(
            &photo_path,
            &w.inspector,
            &[("question", "electrical_overload_visible")],
            &[("file", "meterkast.png", PNG)],
        )
        .await;
    assert_eq!(photo.status, StatusCode::CREATED, "{:?}", photo.body);
    assert_eq!(photo.body["content_type"], "image/png");
    assert_eq!(photo.body["byte_size"], PNG.len());
    assert_eq!(photo.body["sha256"].as_str().unwrap().len(), 64);
    let same = app
        .upload(
            &photo_path,
            &w.inspector,
            &[("question", "electrical_overload_visible")],
            &[("file", "again.png", PNG)],
        )
        .await;
    assert_eq!(same.status, StatusCode::OK, "the same photo is kept once");
    assert_eq!(same.body["id"], photo.body["id"]);

    // Submit: judged, locked, a finding per failed item with its due date.
    let submitted = app
        .post(
            &format!("/api/v1/inspections/{id}/submit"),
            &w.inspector,
            json!(null),
        )
        .await;
    assert_eq!(submitted.status, StatusCode::OK, "{:?}", submitted.body);
    assert_eq!(submitted.body["verdict"]["result"], "fail");
    assert_eq!(submitted.body["inspection"]["status"], "submitted");
    assert_eq!(submitted.body["inspection"]["result"], "fail");
    let findings = submitted.body["findings"].as_array().unwrap();
    let ids: Vec<&str> = findings
        .iter()
        .map(|f| f["item_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["B3.1", "B5.1"]);
    let today = app.clock.today();
    assert_eq!(
        findings[0]["due_on"],
        (today + chrono::Days::new(28)).to_string()
    );
    assert_eq!(findings[0]["severity"], "major");
    assert_eq!(findings[0]["status"], "open");
    assert_eq!(
        findings[0]["explanation"],
        "8 residents share 0 toilets; the norm asks 1 per 8 persons, so 1 needed: fail"
    );
    assert_eq!(findings[1]["closable_by"], "reinspection");

    // Locked: no more answers, photos or submits.
    let late = app
        .answer(&w.inspector, &id, "batch-4", 5, json!({"toilets": 1}))
        .await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    assert_eq!(late.code(), "inspection_locked");
    let late_photo = app
        .upload(
            &photo_path,
            &w.inspector,
            &[("question", "toilets")],
            &[("file", "t.png", PNG)],
        )
        .await;
    assert_eq!(late_photo.status, StatusCode::CONFLICT);
    let twice = app
        .post(
            &format!("/api/v1/inspections/{id}/submit"),
            &w.inspector,
            json!(null),
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);

    // The provider now sees answers, verdict and findings; not another provider.
    let judged = app
        .get(&format!("/api/v1/inspections/{id}"), &w.provider)
        .await;
    assert_eq!(judged.body["verdict"]["result"], "fail");
    assert_eq!(judged.body["answers"]["toilets"]["value"], 0);
    let photo_id = photo.body["id"].as_str().unwrap();
    let bytes = app
        .client
        .get(format!("{}/api/v1/photos/{photo_id}", app.address))
        .bearer_auth(token(&w.provider))
        .send()
        .await
        .unwrap();
    assert_eq!(bytes.status(), StatusCode::OK);
    assert_eq!(bytes.bytes().await.unwrap().as_ref(), PNG);
    assert_eq!(
        app.get(&format!("/api/v1/inspections/{id}"), &w.other_provider)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let mine = app.get("/api/v1/findings", &w.provider).await;
    assert_eq!(mine.body["total"], 2);
    assert_eq!(
        app.get("/api/v1/findings", &w.other_provider).await.body["total"],
        0
    );
    let toilet = findings[0]["id"].as_str().unwrap().to_owned();
    let wiring = findings[1]["id"].as_str().unwrap().to_owned();

    // Repair letters: not for what needs a re-inspection; with evidence for the toilet.
    let refused = app
        .upload(
            &format!("/api/v1/findings/{wiring}/repairs"),
            &w.provider,
            &[("note", "fixed")],
            &[("file", "f.png", PNG)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.code(), "reinspection_required");
    let no_evidence = app
        .upload(
            &format!("/api/v1/findings/{toilet}/repairs"),
            &w.provider,
            &[("note", "placed a toilet")],
            &[],
        )
        .await;
    assert_eq!(no_evidence.status, StatusCode::UNPROCESSABLE_ENTITY);
    let invoice = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
    let letter = app
        .upload(
            &format!("/api/v1/findings/{toilet}/repairs"),
            &w.provider,
            &[("note", "A second toilet was placed on 3 December.")],
            &[
                ("file", "toilet.png", PNG),
                ("file", "invoice.pdf", invoice),
            ],
        )
        .await;
    assert_eq!(letter.status, StatusCode::CREATED, "{:?}", letter.body);
    let repair = letter.id();
    let pending = app
        .get(&format!("/api/v1/findings/{toilet}"), &w.provider)
        .await;
    assert_eq!(pending.body["status"], "repair_submitted");
    assert_eq!(pending.body["evidence"].as_array().unwrap().len(), 2);
    assert_eq!(
        pending.body["evidence"][1]["content_type"],
        "application/pdf"
    );

    // The provider cannot decide; another body cannot; the body that found it can.
    let decision = format!("/api/v1/findings/{toilet}/repairs/{repair}/decision");
    assert_eq!(
        app.post(&decision, &w.provider, json!({"accept": true}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post(&decision, &w.outsider, json!({"accept": true}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let accepted = app
        .post(
            &decision,
            &w.colleague,
            json!({"accept": true, "note": "photo and invoice match"}),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::OK, "{:?}", accepted.body);
    assert_eq!(accepted.body["finding"]["status"], "closed");
    assert_eq!(accepted.body["finding"]["closed_by"], "repair_letter");
    assert_eq!(
        app.post(&decision, &w.colleague, json!({"accept": true}))
            .await
            .status,
        StatusCode::CONFLICT
    );

    // Re-inspection of what is still open, judged under the version it was found under.
    let again = plan(&app, &w, "ad_hoc", json!({"reinspection_of": id})).await;
    assert_eq!(again.status, StatusCode::CREATED, "{:?}", again.body);
    let re = again.id();
    let started = app
        .post(
            &format!("/api/v1/inspections/{re}/start"),
            &w.inspector,
            json!(null),
        )
        .await;
    assert_eq!(started.status, StatusCode::OK);
    assert_eq!(started.body["norm_hash"], now.body["norm_hash"]);
    let fixed = app
        .answer(
            &w.inspector,
            &re,
            "re-1",
            1,
            json!({"electrical_overload_visible": false}),
        )
        .await;
    assert_eq!(fixed.status, StatusCode::OK, "{:?}", fixed.body);
    let done = app
        .post(
            &format!("/api/v1/inspections/{re}/submit"),
            &w.inspector,
            json!(null),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(done.body["inspection"]["result"], "pass");
    assert_eq!(done.body["closed"][0]["id"], wiring.as_str());
    assert_eq!(done.body["closed"][0]["closed_by"], "reinspection");
    let open = app.get("/api/v1/findings?status=open", &w.provider).await;
    assert_eq!(open.body["total"], 0);
    let closed = app.get("/api/v1/findings?status=closed", &w.provider).await;
    assert_eq!(closed.body["total"], 2);

    // The audit trail tells the story, with before and after.
    let trail = app
        .get(&format!("/api/v1/inspections/{id}/audit"), &w.colleague)
        .await;
    assert_eq!(trail.status, StatusCode::OK);
    let actions: Vec<String> = trail
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["entity"].as_str().unwrap(),
                e["action"].as_str().unwrap()
            )
        })
        .collect();
    for expected in [
        "inspection planned",
        "inspection started",
        "answers answered",
        "photo added",
        "finding opened",
        "inspection submitted",
        "repair submitted",
        "finding repair_submitted",
        "repair decided",
        "finding closed",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} in {actions:?}"
        );
    }
    let toilets_answered = trail
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["entity"] == "answers" && e["after"].get("toilets").is_some())
        .count();
    assert_eq!(toilets_answered, 1, "the retried batch is recorded once");
    assert_eq!(
        app.get(&format!("/api/v1/inspections/{id}/audit"), &w.provider)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

fn token(auth: &Auth) -> &str {
    match auth {
        Auth::Bearer(t) => t,
        _ => "",
    }
}

async fn bad_input_is_refused_and_nothing_is_stored(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let w = world(&app).await;
    let id = plan(&app, &w, "periodic", json!({})).await.id();
    let answers = |v: Value| v;

    for (batch, field, code) in [
        (
            answers(json!({"toilets": "two"})),
            "facts.toilets",
            "wrong_type",
        ),
        (
            answers(json!({"paint_colour": "red"})),
            "facts.paint_colour",
            "unknown_fact",
        ),
        (
            answers(json!({"residents": 6000})),
            "facts.residents",
            "above_maximum",
        ),
        (
            answers(json!({"bedrooms": [{"area_m2": -1.0}]})),
            "facts.bedrooms[0].area_m2",
            "below_minimum",
        ),
    ] {
        let reply = app
            .answer(&w.inspector, &id, &format!("bad-{field}"), 1, batch)
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {:?}",
            reply.body
        );
        assert_eq!(reply.fields(), [field]);
        assert_eq!(reply.body["errors"][0]["code"], code);
    }
    // Without the headers that make a retry safe.
    let no_key = app
        .client
        .put(format!("{}/api/v1/inspections/{id}/answers", app.address))
        .bearer_auth(token(&w.inspector))
        .header("if-match", "\"1\"")
        .json(&json!({"answers": {"toilets": 1}}))
        .send()
        .await
        .unwrap();
    let no_key = TestApp::reply(no_key).await;
    assert_eq!(no_key.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_key.fields(), ["Idempotency-Key"]);
    let no_version = app
        .client
        .put(format!("{}/api/v1/inspections/{id}/answers", app.address))
        .bearer_auth(token(&w.inspector))
        .header("idempotency-key", "k")
        .json(&json!({"answers": {"toilets": 1}}))
        .send()
        .await
        .unwrap();
    assert_eq!(TestApp::reply(no_version).await.fields(), ["If-Match"]);
    let future = app
        .answer(&w.inspector, &id, "future", 9, json!({"toilets": 1}))
        .await;
    assert_eq!(future.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(future.body["errors"][0]["code"], "unknown_version");

    // Someone else's inspection.
    for other in [&w.colleague, &w.outsider] {
        let reply = app
            .answer(other, &id, "theirs", 1, json!({"toilets": 1}))
            .await;
        assert!(
            matches!(reply.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{:?}",
            reply.body
        );
    }
    assert_eq!(
        app.answer(&w.provider, &id, "provider", 1, json!({"toilets": 1}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // Photos that are not images, or for no question.
    let path = format!("/api/v1/inspections/{id}/photos");
    let fake = app
        .upload(
            &path,
            &w.inspector,
            &[("question", "toilets")],
            &[("file", "photo.jpg", b"this is text")],
        )
        .await;
    assert_eq!(fake.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fake.body["errors"][0]["code"], "not_an_image");
    let header_only = app
        .upload(
            &path,
            &w.inspector,
            &[("question", "toilets")],
            &[("file", "p.png", &PNG[..12])],
        )
        .await;
    assert_eq!(header_only.status, StatusCode::UNPROCESSABLE_ENTITY);
    let nowhere = app
        .upload(
            &path,
            &w.inspector,
            &[("question", "the_garden")],
            &[("file", "p.png", PNG)],
        )
        .await;
    assert_eq!(nowhere.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(nowhere.body["errors"][0]["code"], "unknown_question");
    let not_multipart = app
        .post(&path, &w.inspector, json!({"question": "toilets"}))
        .await;
    assert_eq!(not_multipart.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = vec![0u8; 11 * 1024 * 1024];
    let too_big = app
        .upload(
            &path,
            &w.inspector,
            &[("question", "toilets")],
            &[("file", "big.png", &huge)],
        )
        .await;
    assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);

    // Nothing of it was stored.
    let detail = app
        .get(&format!("/api/v1/inspections/{id}"), &w.inspector)
        .await;
    assert!(
        detail.body["answers"].as_object().unwrap().is_empty(),
        "{:?}",
        detail.body["answers"]
    );
    assert!(detail.body["photos"].as_array().unwrap().is_empty());
    assert_eq!(version(&detail), 1);

    // Planning mistakes.
    let wrong_inspector = app
        .post(
            "/api/v1/inspections",
            &w.admin,
            json!({"location_id": w.location_id, "inspector_id": "nobody",
               "kind": "periodic", "scheduled_for": "2026-12-01"}),
        )
        .await;
    assert_eq!(wrong_inspector.fields(), ["inspector_id"]);
    let admin_kind = app
        .post(
            "/api/v1/inspections",
            &w.admin,
            json!({"location_id": w.location_id, "inspector_id": w.inspector_id,
               "kind": "administrative", "scheduled_for": "2026-12-01"}),
        )
        .await;
    assert_eq!(admin_kind.fields(), ["provider_id"]);
    let kind = app
        .post(
            "/api/v1/inspections",
            &w.admin,
            json!({"location_id": w.location_id, "inspector_id": w.inspector_id,
               "kind": "surprise", "scheduled_for": "2026-12-01"}),
        )
        .await;
    assert_eq!(kind.fields(), ["kind"]);
    let by_outsider = app
        .post(
            "/api/v1/inspections",
            &w.outsider,
            json!({"location_id": w.location_id, "inspector_id": w.inspector_id,
               "kind": "periodic", "scheduled_for": "2026-12-01"}),
        )
        .await;
    assert_eq!(by_outsider.status, StatusCode::FORBIDDEN);
    let by_provider = app
        .post(
            "/api/v1/inspections",
            &w.provider,
            json!({"location_id": w.location_id, "inspector_id": w.inspector_id,
               "kind": "periodic", "scheduled_for": "2026-12-01"}),
        )
        .await;
    assert_eq!(by_provider.status, StatusCode::FORBIDDEN);
    let administrative = app
        .post(
            "/api/v1/inspections",
            &w.colleague,
            json!({"provider_id": w.provider_id, "inspector_id": w.inspector_id,
               "kind": "administrative", "scheduled_for": "2026-12-01"}),
        )
        .await;
    assert_eq!(
        administrative.status,
        StatusCode::CREATED,
        "{:?}",
        administrative.body
    );
    assert!(administrative.body["location_id"].is_null());
}

async fn unannounced_inspections_stay_hidden_until_they_start(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let w = world(&app).await;
    let id = plan(&app, &w, "urgent", json!({})).await.id();
    assert_eq!(
        app.get(&format!("/api/v1/inspections/{id}"), &w.provider)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/v1/inspections", &w.provider).await.body["total"],
        0
    );
    assert_eq!(
        app.get("/api/v1/inspections", &w.inspector).await.body["total"],
        1
    );
    assert_eq!(
        app.get("/api/v1/inspections", &w.outsider).await.body["total"],
        0
    );
    app.post(
        &format!("/api/v1/inspections/{id}/start"),
        &w.inspector,
        json!(null),
    )
    .await;
    let started = app
        .get(&format!("/api/v1/inspections/{id}"), &w.provider)
        .await;
    assert_eq!(started.status, StatusCode::OK);
    assert_eq!(started.body["status"], "in_progress");
    assert!(started.body["checklist"].is_null());
    assert_eq!(
        app.get("/api/v1/inspections", &w.provider).await.body["total"],
        1
    );
}

async fn a_correction_replaces_the_inspection_it_corrects(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let w = world(&app).await;
    let id = without_a_toilet(&app, &w).await;
    let first = app
        .post(
            &format!("/api/v1/inspections/{id}/submit"),
            &w.inspector,
            json!(null),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    assert_eq!(
        first.body["findings"].as_array().unwrap().len(),
        1,
        "no toilet"
    );

    // The toilet was there after all: the inspector corrects, with a reason.
    let no_reason = app
        .post(
            &format!("/api/v1/inspections/{id}/corrections"),
            &w.inspector,
            json!({"reason": ""}),
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    let opened = app
        .post(
            &format!("/api/v1/inspections/{id}/corrections"),
            &w.inspector,
            json!({"reason": "the toilet behind the kitchen was missed"}),
        )
        .await;
    assert_eq!(opened.status, StatusCode::CREATED, "{:?}", opened.body);
    let correction = opened.id();
    assert_eq!(opened.body["corrects_id"], id.as_str());
    assert_eq!(opened.body["status"], "in_progress");
    let copy = app
        .get(&format!("/api/v1/inspections/{correction}"), &w.inspector)
        .await;
    assert_eq!(
        copy.body["answers"]["toilets"]["value"], 0,
        "the answers are carried over"
    );
    assert_eq!(
        app.answer(&w.inspector, &correction, "fix", 1, json!({"toilets": 1}))
            .await
            .status,
        StatusCode::OK
    );
    let submitted = app
        .post(
            &format!("/api/v1/inspections/{correction}/submit"),
            &w.inspector,
            json!(null),
        )
        .await;
    assert_eq!(submitted.status, StatusCode::OK, "{:?}", submitted.body);
    assert_eq!(submitted.body["inspection"]["result"], "pass");

    // The original is kept, superseded, its finding closed by the correction.
    let original = app
        .get(&format!("/api/v1/inspections/{id}"), &w.inspector)
        .await;
    assert_eq!(original.body["status"], "superseded");
    assert_eq!(original.body["verdict"]["result"], "fail");
    assert_eq!(original.body["findings"][0]["status"], "closed");
    assert_eq!(original.body["findings"][0]["closed_by"], "correction");
    let again = app
        .post(
            &format!("/api/v1/inspections/{id}/corrections"),
            &w.inspector,
            json!({"reason": "once more"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

async fn findings_become_overdue(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let w = world(&app).await;
    let id = plan(&app, &w, "periodic", json!({})).await.id();
    let mut all = first_batch();
    all.as_object_mut()
        .unwrap()
        .extend(second_batch().as_object().unwrap().clone());
    all.as_object_mut()
        .unwrap()
        .extend(rooms_batch().as_object().unwrap().clone());
    all["electrical_overload_visible"] = json!(false);
    app.answer(&w.inspector, &id, "all", 1, all).await;
    app.post(
        &format!("/api/v1/inspections/{id}/submit"),
        &w.inspector,
        json!(null),
    )
    .await;

    assert_eq!(
        app.get("/api/v1/findings?status=overdue", &w.provider)
            .await
            .body["total"],
        0
    );
    app.clock.advance(chrono::Duration::days(28));
    let on_the_day = app.get("/api/v1/findings", &w.provider).await;
    assert_eq!(on_the_day.body["items"][0]["status"], "open");
    app.clock.advance(chrono::Duration::days(1));
    let late = app.get("/api/v1/findings", &w.provider).await;
    assert_eq!(late.body["items"][0]["status"], "overdue");
    assert_eq!(
        app.get("/api/v1/findings?status=overdue", &w.provider)
            .await
            .body["total"],
        1
    );
    assert_eq!(
        app.get("/api/v1/findings?status=open", &w.provider)
            .await
            .body["total"],
        0
    );
    assert_eq!(
        app.get("/api/v1/findings?status=overdue", &w.admin)
            .await
            .body["total"],
        1
    );
}

async fn a_letter_waiting_when_a_reinspection_closes_the_finding_is_not_decided(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let w = world(&app).await;
    let id = without_a_toilet(&app, &w).await;
    let submitted = app
        .post(
            &format!("/api/v1/inspections/{id}/submit"),
            &w.inspector,
            json!(null),
        )
        .await;
    let toilet = submitted.body["findings"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let letter = app
        .upload(
            &format!("/api/v1/findings/{toilet}/repairs"),
            &w.provider,
            &[("note", "a toilet was placed")],
            &[("file", "toilet.png", PNG)],
        )
        .await;
    assert_eq!(letter.status, StatusCode::CREATED, "{:?}", letter.body);

    // Before the body decides on the letter, a re-inspection finds the toilet and closes it.
    let re = plan(&app, &w, "ad_hoc", json!({"reinspection_of": id}))
        .await
        .id();
    assert_eq!(
        app.answer(
            &w.inspector,
            &re,
            "re",
            1,
            json!({"residents": 8, "toilets": 1})
        )
        .await
        .status,
        StatusCode::OK
    );
    let done = app
        .post(
            &format!("/api/v1/inspections/{re}/submit"),
            &w.inspector,
            json!(null),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(done.body["closed"][0]["id"], toilet.as_str());

    // Rejecting the letter now would reopen a repaired finding: refused.
    let decision = format!("/api/v1/findings/{toilet}/repairs/{}/decision", letter.id());
    let late = app
        .post(&decision, &w.colleague, json!({"accept": false}))
        .await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    assert_eq!(late.code(), "finding_closed");
    let finding = app
        .get(&format!("/api/v1/findings/{toilet}"), &w.provider)
        .await;
    assert_eq!(finding.body["status"], "closed");
    assert_eq!(finding.body["closed_by"], "reinspection");
}
