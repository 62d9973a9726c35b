//! Certificates over HTTP: eligibility and issue, the status lifecycle as verification sees
//! it, the signed token (tampering, rotation, an independent JWT library), the PDF (parsed,
//! text extracted, QR decoded), bulk and KvK checks, the public register, limits and roles.

use std::process::Command;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Auth, Backend, Reply, TestApp, location_body};

crate::on_both_backends!(
    verification_follows_every_step_of_the_lifecycle,
    eligibility_refusals_name_each_reason,
    a_major_finding_at_an_urgent_inspection_suspends_at_once,
    tampered_tokens_are_refused_and_rotated_keys_still_verify,
    the_pdf_carries_name_addresses_and_a_qr_code_with_the_token,
    bulk_kvk_and_register_answer_every_entry,
    public_checks_are_limited_per_client,
    only_the_scheme_owner_and_the_provider_see_certificates,
);

/// A provider with an inspector who can inspect it.
struct Provider {
    admin: Auth,
    id: String,
    inspector_id: String,
    inspector: Auth,
}

async fn provider(app: &TestApp, kvk: &str, body: &str) -> Provider {
    let admin = app.admin().await;
    let id = app.provider(kvk).await;
    let inspector = app.user("inspector", Some(body)).await;
    let inspector_id = app.get("/api/v1/users/me", &inspector).await.id();
    Provider {
        admin,
        id,
        inspector_id,
        inspector,
    }
}

/// Every answer of a location that meets the norm: eight residents in a dwelling of 8 beds.
fn passing_location() -> Value {
    let place =
        json!({"bed_width_cm": 90.0, "bed_length_cm": 200.0, "wardrobe_m3": 0.5, "chair": true});
    json!({"residents": 8, "floor_area_m2": 100.0, "under_one_roof": true, "toilets": 1, "showers": 1,
           "wet_room_electrics_splash_proof": true, "fridge_freezer_litres": 240.0, "cooking_burners": 4,
           "electrical_overload_visible": false, "gas_appliances": false, "extinguisher_valid": true,
           "extinguisher_distance_m": 3.0, "fire_blanket_at_cooking": true, "smoke_detectors_working": true,
           "co_detector_required": false, "fire_alarm_installation": false, "laundry_facility": true,
           "drying_outside_bedrooms": true, "information_card_present": true, "information_card_complete": true,
           "maintenance_adequate": true, "neighbours_informed": true, "manager_available": false,
           "bedrooms": [{"area_m2": 12.0, "occupants": 3, "wall_sockets": 3, "window_area_m2": 1.5},
                        {"area_m2": 18.0, "occupants": 5, "wall_sockets": 5, "window_area_m2": 2.0}],
           "sleeping_places": vec![place; 8]})
}

/// Every answer of an administration in order.
fn passing_administration() -> Value {
    json!({"location_list_complete": true, "location_list_days_since_update": 10,
           "occupancy_matches_records": true, "staffing_agency_client": true,
           "agencies_sna_registered": true, "agricultural_employer": false,
           "collective_agreement_declaration": true})
}

/// Plans an inspection, answers it in one batch and submits it; answers the submission.
async fn inspect(app: &TestApp, p: &Provider, kind: &str, place: Value, answers: Value) -> Reply {
    let mut plan = json!({"inspector_id": p.inspector_id, "kind": kind,
                          "scheduled_for": app.clock.today().to_string()});
    plan.as_object_mut()
        .unwrap()
        .extend(place.as_object().unwrap().clone());
    let planned = app.post("/api/v1/inspections", &p.admin, plan).await;
    assert_eq!(planned.status, StatusCode::CREATED, "{:?}", planned.body);
    let id = planned.id();
    let answered = app.answer(&p.inspector, &id, "all", 1, answers).await;
    assert_eq!(answered.status, StatusCode::OK, "{:?}", answered.body);
    let submitted = app
        .post(
            &format!("/api/v1/inspections/{id}/submit"),
            &p.inspector,
            json!(null),
        )
        .await;
    assert_eq!(submitted.status, StatusCode::OK, "{:?}", submitted.body);
    submitted
}

/// A location of the provider with every inspection passed, and its administration.
async fn passed(app: &TestApp, p: &Provider) -> String {
    let location = app.location(&p.id).await;
    let inspected = inspect(
        app,
        p,
        "periodic",
        json!({"location_id": location}),
        passing_location(),
    )
    .await;
    assert_eq!(inspected.body["verdict"]["result"], "pass");
    let administration = inspect(
        app,
        p,
        "administrative",
        json!({"provider_id": p.id}),
        passing_administration(),
    )
    .await;
    assert_eq!(
        administration.body["verdict"]["result"], "pass",
        "{:?}",
        administration.body["verdict"]["items"]
    );
    location
}

async fn issue(app: &TestApp, p: &Provider) -> Reply {
    app.post(
        &format!("/api/v1/providers/{}/certificates", p.id),
        &p.admin,
        json!({}),
    )
    .await
}

/// A provider with a certificate: the provider and the certificate as issued.
async fn certified(app: &TestApp, kvk: &str, body: &str) -> (Provider, Value) {
    let p = provider(app, kvk, body).await;
    passed(app, &p).await;
    let issued = issue(app, &p).await;
    assert_eq!(issued.status, StatusCode::CREATED, "{:?}", issued.body);
    (p, issued.body)
}

async fn verify(app: &TestApp, number: &str) -> Reply {
    app.get(&format!("/api/v1/verify/{number}"), &Auth::None)
        .await
}

/// The answers of a bulk check by number, in the order sent.
async fn bulk_results(app: &TestApp, numbers: Value) -> Vec<Value> {
    let reply = app
        .post(
            "/api/v1/verify/bulk",
            &Auth::None,
            json!({ "numbers": numbers }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert!(reply.body["checked_at"].is_string());
    reply.body["results"].as_array().unwrap().clone()
}

fn statuses(results: &[Value]) -> Vec<&str> {
    results
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect()
}

async fn verify_token(app: &TestApp, token: &str) -> Reply {
    app.post("/api/v1/verify", &Auth::None, json!({"token": token}))
        .await
}

async fn change(app: &TestApp, admin: &Auth, number: &str, action: &str, reason: &str) -> Reply {
    app.post(
        &format!("/api/v1/certificates/{number}/{action}"),
        admin,
        json!({"reason": reason}),
    )
    .await
}

async fn verification_follows_every_step_of_the_lifecycle(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let body = app.inspection_body("I 1").await;
    let (p, cert) = certified(&app, "12345678", &body).await;
    let number = cert["number"].as_str().unwrap().to_owned();
    let token = cert["token"].as_str().unwrap().to_owned();
    let year = app.clock.today().format("%Y").to_string();
    assert_eq!(number, format!("SNF-{year}-00001"));
    assert_eq!(cert["provider"]["kvk_number"], "12345678");
    assert_eq!(cert["scheme"], "snf");
    assert_eq!(cert["norm_version"], "2025-07-01");
    assert_eq!(cert["norm_hash"].as_str().unwrap().len(), 64);
    assert_eq!(cert["inspection_ids"].as_array().unwrap().len(), 2);
    assert_eq!(cert["locations"][0]["city"], "Zoëterwoude");
    let today = app.clock.today();
    assert_eq!(cert["valid_from"], today.to_string());
    // One year: from 2 December to 1 December of the next year, both days included.
    let expected_until = chrono::NaiveDate::from_ymd_opt(
        chrono::Datelike::year(&today) + 1,
        chrono::Datelike::month(&today),
        chrono::Datelike::day(&today),
    )
    .unwrap()
    .pred_opt()
    .unwrap();
    assert_eq!(cert["valid_until"], expected_until.to_string());

    let step = |reply: &Reply, status: &str| {
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        assert_eq!(reply.body["status"], status, "{:?}", reply.body);
    };
    let valid = verify(&app, &number).await;
    step(&valid, "valid");
    assert!(valid.body["checked_at"].is_string());
    assert_eq!(valid.body["provider"]["name"], "Provider 12345678");
    assert_eq!(
        valid.body["locations"][0]["street"], "Dorpsstraat",
        "the addresses covered"
    );
    assert!(
        valid.body["locations"][0]["id"].is_null(),
        "no internal ids in public"
    );
    assert!(valid.body["token"].is_null(), "the token is not public");
    step(&verify(&app, &number.to_lowercase()).await, "valid");
    step(&verify_token(&app, &token).await, "valid");
    // A second certificate while one is in force is refused, with the reason.
    let twice = issue(&app, &p).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    assert_eq!(twice.body["reasons"][0]["code"], "certificate_in_force");

    let suspended = change(&app, &p.admin, &number, "suspend", "fire escape blocked").await;
    step(&suspended, "suspended");
    let seen = verify(&app, &number).await;
    step(&seen, "suspended");
    assert_eq!(seen.body["status_reason"], "fire escape blocked");
    step(&verify_token(&app, &token).await, "suspended");
    assert_eq!(
        statuses(&bulk_results(&app, json!([number, "SNF-2000-00009"])).await),
        ["suspended", "unknown"]
    );
    let again = change(&app, &p.admin, &number, "suspend", "again").await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.code(), "certificate_already_suspended");

    step(
        &change(&app, &p.admin, &number, "reinstate", "escape cleared").await,
        "valid",
    );
    let reinstated = verify(&app, &number).await;
    step(&reinstated, "valid");
    assert!(reinstated.body["status_reason"].is_null());

    // A second provider's certificate will expire; the first is withdrawn.
    let (_, other) = certified(&app, "87654321", &body).await;
    let other_number = other["number"].as_str().unwrap().to_owned();
    assert_eq!(other_number, format!("SNF-{year}-00002"));
    let withdrawn = change(&app, &p.admin, &number, "withdraw", "provider stopped").await;
    step(&withdrawn, "withdrawn");
    step(&verify(&app, &number).await, "withdrawn");
    step(&verify_token(&app, &token).await, "withdrawn");
    for action in ["suspend", "reinstate", "withdraw"] {
        let refused = change(&app, &p.admin, &number, action, "once more").await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{action}");
        assert_eq!(refused.code(), "certificate_withdrawn");
    }

    // The last day of validity, then the day after.
    let days_left = (expected_until - app.clock.today()).num_days();
    app.clock.advance(Duration::days(days_left));
    step(&verify(&app, &other_number).await, "valid");
    app.clock.advance(Duration::days(1));
    let expired = verify(&app, &other_number).await;
    step(&expired, "expired");
    let refused = change(&app, &p.admin, &other_number, "suspend", "too late").await;
    assert_eq!(refused.code(), "certificate_expired");
    step(&verify(&app, &number).await, "withdrawn");
    assert_eq!(
        statuses(&bulk_results(&app, json!([other_number, number, other_number])).await),
        ["expired", "withdrawn", "expired"]
    );

    // The history of every change, read back.
    let detail = app
        .get(&format!("/api/v1/certificates/{number}"), &p.admin)
        .await;
    assert_eq!(detail.status, StatusCode::OK, "{:?}", detail.body);
    let actions: Vec<&str> = detail.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["issued", "suspended", "reinstated", "withdrawn"]);
    assert_eq!(
        detail.body["history"][1]["after"]["status_reason"],
        "fire escape blocked"
    );

    assert_eq!(
        verify(&app, "SNF-2026-99999").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        verify(&app, "no such thing").await.status,
        StatusCode::NOT_FOUND
    );
    let bad = change(&app, &p.admin, &other_number, "suspend", "").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.fields(), ["reason"]);
}

async fn eligibility_refusals_name_each_reason(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let body = app.inspection_body("I 1").await;
    let p = provider(&app, "12345678", &body).await;
    let eligibility = format!("/api/v1/providers/{}/certificates/eligibility", p.id);

    let nothing = issue(&app, &p).await;
    assert_eq!(nothing.status, StatusCode::CONFLICT);
    assert_eq!(nothing.code(), "not_eligible");
    let codes = |reply: &Reply| -> Vec<String> {
        reply.body["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["code"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        codes(&nothing),
        ["administrative_inspection_missing", "no_locations"]
    );

    // Two locations; one inspected with a major finding (no toilet), the other not at all.
    let failing = app.location(&p.id).await;
    let mut second = location_body();
    second["address"]["house_number"] = json!("14");
    let untouched = app
        .post(
            &format!("/api/v1/providers/{}/locations", p.id),
            &p.admin,
            second,
        )
        .await
        .id();
    let mut no_toilet = passing_location();
    no_toilet["toilets"] = json!(0);
    let judged = inspect(
        &app,
        &p,
        "periodic",
        json!({"location_id": failing}),
        no_toilet,
    )
    .await;
    assert_eq!(judged.body["verdict"]["result"], "fail");
    let finding = judged.body["findings"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let refused = issue(&app, &p).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(
        codes(&refused),
        [
            "administrative_inspection_missing",
            "location_not_inspected",
            "major_finding_open"
        ]
    );
    let reasons = &refused.body["reasons"];
    assert_eq!(reasons[1]["location_id"], untouched.as_str());
    assert!(
        reasons[1]["message"]
            .as_str()
            .unwrap()
            .contains("Dorpsstraat 14"),
        "{}",
        reasons[1]["message"]
    );
    assert_eq!(reasons[2]["finding_id"], finding.as_str());
    assert!(reasons[2]["message"].as_str().unwrap().contains("B3.1"));
    let read = app.get(&eligibility, &p.admin).await;
    assert_eq!(read.body["eligible"], false);
    assert_eq!(codes(&read), codes(&refused));

    // A scheme the service does not know.
    let unknown = app
        .post(
            &format!("/api/v1/providers/{}/certificates", p.id),
            &p.admin,
            json!({"scheme": "xyz"}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.fields(), ["scheme"]);
    let nobody = app
        .post("/api/v1/providers/nobody/certificates", &p.admin, json!({}))
        .await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/api/v1/providers/nobody/certificates", &p.admin)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let extra = app
        .post(
            &format!("/api/v1/providers/{}/certificates", p.id),
            &p.admin,
            json!({"valid_until": "2099-01-01"}),
        )
        .await;
    assert_eq!(extra.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The administration passes and the second location too; the finding stays open.
    inspect(
        &app,
        &p,
        "administrative",
        json!({"provider_id": p.id}),
        passing_administration(),
    )
    .await;
    inspect(
        &app,
        &p,
        "periodic",
        json!({"location_id": untouched}),
        passing_location(),
    )
    .await;
    assert_eq!(codes(&issue(&app, &p).await), ["major_finding_open"]);

    // A year and a day later the inspections are out of the cycle.
    app.clock.advance(Duration::days(367));
    let stale = app.get(&eligibility, &p.admin).await;
    assert_eq!(
        codes(&stale),
        [
            "administrative_inspection_missing",
            "location_not_inspected",
            "location_not_inspected",
            "major_finding_open"
        ]
    );
    assert!(
        app.get(
            &format!("/api/v1/providers/{}/certificates", p.id),
            &p.admin
        )
        .await
        .body["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

async fn a_major_finding_at_an_urgent_inspection_suspends_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let body = app.inspection_body("I 1").await;
    let (p, cert) = certified(&app, "12345678", &body).await;
    let number = cert["number"].as_str().unwrap();
    let location = cert["locations"][0]["id"].as_str().unwrap().to_owned();

    // A targeted inspection with a major finding suspends nothing.
    let mut no_toilet = passing_location();
    no_toilet["toilets"] = json!(0);
    let targeted = inspect(
        &app,
        &p,
        "targeted",
        json!({"location_id": location}),
        no_toilet.clone(),
    )
    .await;
    assert!(targeted.body["suspended_certificates"].is_null());
    assert_eq!(verify(&app, number).await.body["status"], "valid");

    let urgent = inspect(
        &app,
        &p,
        "urgent",
        json!({"location_id": location}),
        no_toilet,
    )
    .await;
    assert_eq!(urgent.body["suspended_certificates"], json!([number]));
    let seen = verify(&app, number).await;
    assert_eq!(seen.body["status"], "suspended");
    let reason = seen.body["status_reason"].as_str().unwrap();
    assert!(
        reason.contains("B3.1") && reason.contains("urgent") && reason.contains("Dorpsstraat 12A"),
        "{reason}"
    );
    let detail = app
        .get(&format!("/api/v1/certificates/{number}"), &p.admin)
        .await;
    let last = detail.body["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["action"], "suspended");
    assert_eq!(last["before"]["status"], "valid");
    assert_eq!(last["after"]["status"], "suspended");
}

/// A token with its payload replaced, keeping header and signature.
fn with_payload(token: &str, change: impl FnOnce(&mut Value)) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    change(&mut claims);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    format!("{}.{payload}.{}", parts[0], parts[2])
}

fn header_of(token: &str) -> Value {
    let header = token.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap()
}

/// Checks a token with jwt-simple, an independent library, knowing only the JWKS.
fn verifies_from_jwks(jwks: &Value, token: &str) -> bool {
    use jwt_simple::prelude::*;
    let kid = header_of(token)["kid"].as_str().unwrap().to_owned();
    let Some(jwk) = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
    else {
        return false;
    };
    assert_eq!(jwk["kty"], "OKP");
    assert_eq!(jwk["crv"], "Ed25519");
    let raw = URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap();
    let key = Ed25519PublicKey::from_bytes(&raw).unwrap();
    key.verify_token::<JWTClaims<Value>>(token, None).is_ok()
}

async fn tampered_tokens_are_refused_and_rotated_keys_still_verify(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let body = app.inspection_body("I 1").await;
    let (_, cert) = certified(&app, "12345678", &body).await;
    let token = cert["token"].as_str().unwrap().to_owned();
    assert_eq!(header_of(&token)["alg"], "EdDSA");
    assert_eq!(header_of(&token)["kid"], cert["kid"]);
    let refused = |reply: Reply, code: &str| {
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{:?}",
            reply.body
        );
        assert_eq!(reply.fields(), ["token"]);
        assert_eq!(reply.body["errors"][0]["code"], code, "{:?}", reply.body);
    };

    // A changed claim: another certificate number, a longer validity.
    refused(
        verify_token(
            &app,
            &with_payload(&token, |c| c["sub"] = json!("SNF-2026-00002")),
        )
        .await,
        "token_signature_invalid",
    );
    refused(
        verify_token(
            &app,
            &with_payload(&token, |c| c["exp"] = json!(4_102_444_800i64)),
        )
        .await,
        "token_signature_invalid",
    );
    // Signed with another key under the same kid.
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    let forged = {
        use jwt_simple::prelude::*;
        let key = Ed25519KeyPair::generate().with_key_id(cert["kid"].as_str().unwrap());
        let custom = Claims::with_custom_claims(
            claims.clone(),
            jwt_simple::prelude::Duration::from_days(30),
        );
        key.sign(custom).unwrap()
    };
    refused(verify_token(&app, &forged).await, "token_signature_invalid");
    // Unsigned: alg none, with and without a kid.
    let none = |header: Value| {
        format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            token.split('.').nth(1).unwrap()
        )
    };
    refused(
        verify_token(&app, &none(json!({"alg": "none", "typ": "JWT"}))).await,
        "token_malformed",
    );
    refused(
        verify_token(&app, &none(json!({"alg": "none", "kid": cert["kid"]}))).await,
        "token_malformed",
    );
    // HS256 with the public key as secret (the classic confusion).
    refused(
        verify_token(&app, &none(json!({"alg": "HS256", "kid": cert["kid"]}))).await,
        "token_malformed",
    );
    // A kid nobody published, and plain rubbish.
    let mut stranger = token.clone();
    let header = URL_SAFE_NO_PAD.encode(json!({"alg": "EdDSA", "kid": "nope"}).to_string());
    stranger.replace_range(..token.find('.').unwrap(), &header);
    refused(verify_token(&app, &stranger).await, "token_unknown_key");
    refused(verify_token(&app, "not.a.token").await, "token_malformed");
    refused(verify_token(&app, "").await, "length");
    let page = app.get("/verify?token=garbage", &Auth::None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .as_str()
            .unwrap()
            .contains("not a certificate token")
    );

    // An independent library verifies the token from the published keys alone.
    let jwks = app.get("/.well-known/jwks.json", &Auth::None).await.body;
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    assert!(verifies_from_jwks(&jwks, &token));
    assert!(!verifies_from_jwks(&jwks, &forged));

    // Rotate the key with the command an operator uses; sign a new certificate with the new key.
    let rotated = Command::new(env!("CARGO_BIN_EXE_flexkeur"))
        .args(["keys", "rotate"])
        .env("DATABASE_URL", &app.database_url)
        .output()
        .expect("flexkeur keys rotate runs");
    assert!(
        rotated.status.success(),
        "{}",
        String::from_utf8_lossy(&rotated.stderr)
    );
    let listing = String::from_utf8_lossy(&rotated.stdout);
    assert!(listing.contains("retired"), "{listing}");
    let (_, newer) = certified(&app, "87654321", &body).await;
    let new_token = newer["token"].as_str().unwrap().to_owned();
    assert_ne!(newer["kid"], cert["kid"], "signed with the new key");
    let jwks = app.get("/.well-known/jwks.json", &Auth::None).await.body;
    assert_eq!(
        jwks["keys"].as_array().unwrap().len(),
        2,
        "old and new keys published"
    );
    for t in [&token, &new_token] {
        assert!(verifies_from_jwks(&jwks, t));
        let ok = verify_token(&app, t).await;
        assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
        assert_eq!(ok.body["status"], "valid");
    }

    // After the last day the token itself is expired.
    let until: chrono::NaiveDate = cert["valid_until"].as_str().unwrap().parse().unwrap();
    app.clock
        .advance(Duration::days((until - app.clock.today()).num_days() + 1));
    refused(verify_token(&app, &token).await, "token_expired");
}

/// The rectangles (x0, y0, x1, y1) a PDF page draws with `re`: how the certificate draws
/// its QR code, one per run of dark modules.
fn rectangles(content: &[u8]) -> Vec<(f32, f32, f32, f32)> {
    lopdf::content::Content::decode(content)
        .unwrap()
        .operations
        .iter()
        .filter(|op| op.operator == "re")
        .map(|op| {
            let at = |i: usize| op.operands[i].as_float().unwrap();
            (at(0), at(1), at(0) + at(2), at(1) + at(3))
        })
        .collect()
}

/// Draws the rectangles black on white, 4 pixels per module with a quiet zone, and decodes the
/// QR code they make.
fn decode_qr(rects: &[(f32, f32, f32, f32)]) -> String {
    let module = rects.iter().map(|r| r.3 - r.1).fold(f32::MAX, f32::min);
    let (left, bottom) = (
        rects.iter().map(|r| r.0).fold(f32::MAX, f32::min),
        rects.iter().map(|r| r.1).fold(f32::MAX, f32::min),
    );
    let top = rects.iter().map(|r| r.3).fold(f32::MIN, f32::max);
    let modules = ((top - bottom) / module).round() as usize;
    let (scale, quiet) = (4, 4);
    let size = (modules + 2 * quiet) * scale;
    let mut dark = vec![false; size * size];
    for r in rects {
        let col0 = ((r.0 - left) / module).round() as usize;
        let col1 = ((r.2 - left) / module).round() as usize;
        let row = ((top - r.3) / module).round() as usize;
        for col in col0..col1 {
            for dy in 0..scale {
                for dx in 0..scale {
                    let (x, y) = ((col + quiet) * scale + dx, (row + quiet) * scale + dy);
                    dark[y * size + x] = true;
                }
            }
        }
    }
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(size, size, |x, y| {
        if dark[y * size + x] { 0 } else { 255 }
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    grids[0].decode().expect("the QR code decodes").1
}

async fn the_pdf_carries_name_addresses_and_a_qr_code_with_the_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let body = app.inspection_body("I 1").await;
    let p = provider(&app, "12345678", &body).await;
    let renamed = app
        .patch(
            &format!("/api/v1/providers/{}", p.id),
            &p.admin,
            json!({"name": "Huisvesting Zoë & Bĳlsma B.V."}),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{:?}", renamed.body);
    passed(&app, &p).await;
    let cert = issue(&app, &p).await.body;
    let number = cert["number"].as_str().unwrap();

    for (lang, phrases) in [
        (
            "nl",
            &[
                "Certificaat huisvesting arbeidsmigranten",
                "Geldig tot en met",
                "Zoëterwoude",
            ][..],
        ),
        (
            "en",
            &[
                "Certificate of housing for labour migrants",
                "Valid until",
                "Zoëterwoude",
            ][..],
        ),
    ] {
        let response = app
            .client
            .get(format!(
                "{}/api/v1/certificates/{number}/pdf?lang={lang}",
                app.address
            ))
            .bearer_auth(match &p.admin {
                Auth::Bearer(t) => t.clone(),
                _ => unreachable!(),
            })
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "application/pdf");
        let bytes = response.bytes().await.unwrap().to_vec();
        assert!(bytes.len() < 100_000, "{} bytes", bytes.len());

        let doc = lopdf::Document::load_mem(&bytes).expect("a PDF lopdf parses");
        let text = doc.extract_text(&[1]).expect("text extracts");
        for phrase in phrases.iter().chain(&[
            number,
            "Huisvesting Zoë & Bĳlsma B.V.",
            "12345678",
            "Dorpsstraat 12A, 1234 AB",
        ]) {
            assert!(text.contains(phrase), "{lang}: {phrase:?} not in {text:?}");
        }
        // The fonts are embedded, as subsets.
        let fonts: Vec<String> = doc
            .objects
            .values()
            .filter_map(|o| o.as_dict().ok())
            .filter(|d| d.has(b"FontFile2"))
            .map(|d| {
                String::from_utf8_lossy(d.get(b"FontName").unwrap().as_name().unwrap()).into_owned()
            })
            .collect();
        assert_eq!(fonts.len(), 2, "{fonts:?}");

        let page = *doc.get_pages().get(&1).unwrap();
        let content = doc.get_page_content(page);
        let url = decode_qr(&rectangles(&content));
        assert_eq!(url, cert["verify_url"].as_str().unwrap());
        let token = url.split_once("token=").unwrap().1;
        assert_eq!(token, cert["token"].as_str().unwrap());
        let checked = verify_token(&app, token).await;
        assert_eq!(checked.body["number"], number);

        // qpdf checks the structure where it is installed (CI requires it).
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), &bytes).unwrap();
        match Command::new("qpdf")
            .arg("--check")
            .arg(file.path())
            .output()
        {
            Ok(out) => assert!(
                out.status.success(),
                "qpdf --check: {}",
                String::from_utf8_lossy(&out.stdout)
            ),
            Err(_) if std::env::var_os("FLEXKEUR_TEST_REQUIRE_QPDF").is_none() => {
                eprintln!("notice: qpdf is not installed; skipping qpdf --check");
            }
            Err(e) => panic!("qpdf is required here: {e}"),
        }
    }
    let bad_lang = app
        .get(
            &format!("/api/v1/certificates/{number}/pdf?lang=de"),
            &p.admin,
        )
        .await;
    assert_eq!(bad_lang.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_lang.fields(), ["lang"]);
}

async fn bulk_kvk_and_register_answer_every_entry(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let body = app.inspection_body("I 1").await;
    let (a, first) = certified(&app, "12345678", &body).await;
    let (_, second) = certified(&app, "23456789", &body).await;
    let uncertified = app.provider("34567890").await;
    let (one, two) = (
        first["number"].as_str().unwrap(),
        second["number"].as_str().unwrap(),
    );
    change(&app, &a.admin, two, "suspend", "under review").await;

    let results = bulk_results(
        &app,
        json!([two, "nonsense!", one.to_lowercase(), "SNF-2020-00001", one]),
    )
    .await;
    assert_eq!(
        statuses(&results),
        ["suspended", "unknown", "valid", "unknown", "valid"]
    );
    assert_eq!(
        results[1]["number"], "nonsense!",
        "the entry as it was sent"
    );
    assert_eq!(results[2]["number"], one);

    let thousand: Vec<String> = (0..1000).map(|i| format!("SNF-2026-{i:05}")).collect();
    let full = bulk_results(&app, json!(thousand)).await;
    assert_eq!(full.len(), 1000);
    assert_eq!(full[1]["status"], "valid");
    let mut too_many = thousand.clone();
    too_many.push("one more".into());
    let refused = app
        .post(
            "/api/v1/verify/bulk",
            &Auth::None,
            json!({"numbers": too_many}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.fields(), ["numbers"]);
    for wrong in [
        json!({}),
        json!({"numbers": [one], "kvk_numbers": ["12345678"]}),
        json!({"numbers": []}),
    ] {
        let reply = app.post("/api/v1/verify/bulk", &Auth::None, wrong).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{:?}",
            reply.body
        );
    }

    let by_kvk = app
        .post(
            "/api/v1/verify/bulk",
            &Auth::None,
            json!({"kvk_numbers": ["12345678", "23456789", "34567890", "99999999", "abc"]}),
        )
        .await;
    let results = by_kvk.body["results"].as_array().unwrap();
    let statuses: Vec<&str> = results
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [
            "registered",
            "suspended",
            "not_registered",
            "unknown",
            "unknown"
        ]
    );
    assert_eq!(results[0]["registered"], true);
    assert_eq!(results[0]["certificate"]["number"], one);
    assert_eq!(results[1]["registered"], false);
    assert_eq!(results[4]["kvk_number"], "abc");

    let single = app
        .get("/api/v1/register/providers/12345678", &Auth::None)
        .await;
    assert_eq!(single.status, StatusCode::OK);
    assert_eq!(single.body["registered"], true);
    assert_eq!(
        single.body["certificate"]["locations"][0]["postcode"],
        "1234 AB"
    );
    assert!(single.body["checked_at"].is_string());
    let not_registered = app
        .get("/api/v1/register/providers/34567890", &Auth::None)
        .await;
    assert_eq!(not_registered.body["status"], "not_registered");
    assert_eq!(
        app.get("/api/v1/register/providers/99999999", &Auth::None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let malformed = app
        .get("/api/v1/register/providers/1234", &Auth::None)
        .await;
    assert_eq!(malformed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(malformed.fields(), ["kvk_number"]);

    // The public register: certified providers only, searchable, without personal data.
    let register = app.get("/api/v1/register/providers", &Auth::None).await;
    assert_eq!(register.status, StatusCode::OK);
    assert_eq!(register.body["total"], 2);
    let listed = register.body["items"][0].clone();
    assert_eq!(listed["name"], "Provider 12345678");
    assert_eq!(listed["places"], json!(["Zoëterwoude"]));
    assert_eq!(listed["certificate_number"], one);
    assert_eq!(register.body["items"][1]["status"], "suspended");
    assert!(
        !register.body.to_string().contains("provider.test"),
        "no e-mail addresses"
    );
    assert!(!register.body.to_string().contains(&uncertified));
    let searched = app
        .get(
            "/api/v1/register/providers?q=2345678&per_page=1",
            &Auth::None,
        )
        .await;
    assert_eq!(searched.body["total"], 2, "both KvK numbers contain it");
    assert_eq!(searched.body["items"].as_array().unwrap().len(), 1);
    let by_name = app
        .get("/api/v1/register/providers?q=PROVIDER%2023", &Auth::None)
        .await;
    assert_eq!(by_name.body["total"], 1);
    let page = app.get("/register?q=provider", &Auth::None).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.body.as_str().unwrap();
    assert!(
        html.contains("Provider 12345678") && html.contains(one),
        "{html}"
    );
    let shown = app
        .get(
            &format!("/verify?number={}", one.to_lowercase()),
            &Auth::None,
        )
        .await;
    assert!(shown.body.as_str().unwrap().contains("Geldig"));
}

async fn public_checks_are_limited_per_client(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| {
        config.verify_rate_per_minute = 3;
        config.verify_rate_per_minute_api_key = 6;
    })
    .await;
    let agency = app.agency("33333333").await;
    let user = app.user("agency", Some(&agency)).await;
    let key = app
        .post(
            &format!("/api/v1/agencies/{agency}/api-keys"),
            &user,
            json!({"label": "verification"}),
        )
        .await;
    let key = Auth::ApiKey(key.body["api_key"].as_str().unwrap().into());

    for _ in 0..3 {
        assert_eq!(
            app.get("/api/v1/verify/SNF-2026-00001", &Auth::None)
                .await
                .status,
            StatusCode::NOT_FOUND
        );
    }
    let limited = app.get("/api/v1/verify/SNF-2026-00001", &Auth::None).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.code(), "rate_limited");
    let wait: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // The agency's key has a limit of its own, and a higher one.
    for _ in 0..6 {
        let reply = app.get("/api/v1/verify/SNF-2026-00001", &key).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
    }
    assert_eq!(
        app.get("/api/v1/verify/SNF-2026-00001", &key).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // A key that is sent must be good.
    let forged = Auth::ApiKey("fk_not_a_key".into());
    assert_eq!(
        app.get("/api/v1/verify/SNF-2026-00001", &forged)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // The published keys are not limited.
    assert_eq!(
        app.get("/.well-known/jwks.json", &Auth::None).await.status,
        StatusCode::OK
    );
}

async fn only_the_scheme_owner_and_the_provider_see_certificates(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let body = app.inspection_body("I 1").await;
    let (p, cert) = certified(&app, "12345678", &body).await;
    let number = cert["number"].as_str().unwrap();
    let own = app.user("provider", Some(&p.id)).await;
    let other = app
        .user("provider", Some(&app.provider("87654321").await))
        .await;
    let agency = app
        .user("agency", Some(&app.agency("33333333").await))
        .await;

    let read = format!("/api/v1/certificates/{number}");
    let pdf = format!("/api/v1/certificates/{number}/pdf");
    let list = format!("/api/v1/providers/{}/certificates", p.id);
    assert_eq!(app.get(&read, &own).await.status, StatusCode::OK);
    assert_eq!(
        app.get(&list, &own).await.body["items"][0]["number"],
        number
    );
    let own_pdf = app.client.get(format!("{}{pdf}", app.address));
    let own_pdf = match &own {
        Auth::Bearer(t) => own_pdf.bearer_auth(t),
        _ => unreachable!(),
    };
    assert_eq!(own_pdf.send().await.unwrap().status(), StatusCode::OK);
    for path in [&read, &pdf, &list] {
        // Another provider's records are not found, so that numbers cannot be probed.
        assert_eq!(
            app.get(path, &other).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
        assert_eq!(
            app.get(path, &p.inspector).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
        assert_eq!(
            app.get(path, &agency).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
        assert_eq!(
            app.get(path, &Auth::None).await.status,
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
    }
    for caller in [&own, &p.inspector, &agency] {
        let issued = app.post(&list, caller, json!({})).await;
        assert_eq!(issued.status, StatusCode::FORBIDDEN);
        assert_eq!(
            change(&app, caller, number, "suspend", "not yours")
                .await
                .status,
            StatusCode::FORBIDDEN
        );
    }
    assert_eq!(
        verify(&app, number).await.body["status"],
        "valid",
        "nothing changed"
    );
}
