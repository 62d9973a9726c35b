//! The norm engine against the shipped norm files: the cases they carry, version selection, every
//! threshold at and around its boundary per version, explanations, fact checking, the checklist,
//! and evaluation that is total for any input.

use std::path::Path;
use std::sync::LazyLock;

use chrono::NaiveDate;
use flexkeur::norm::facts::{FactDecl, FactValue};
use flexkeur::norm::model::FactType;
use flexkeur::norm::{
    HousingForm, InspectionKind, ItemStatus, LocationProfile, MunicipalDesignation, Outcome,
    Registry, SelectError, cases,
};
use proptest::prelude::*;
use serde_json::{Value, json};

static NORMS: LazyLock<Registry> = LazyLock::new(|| {
    Registry::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("norms"))
        .unwrap_or_else(|e| panic!("{e}"))
});

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn location(form: HousingForm) -> LocationProfile {
    LocationProfile {
        housing_form: form,
        municipal_designation: None,
        permit_applied_on: None,
        max_beds: Some(100),
    }
}

/// The status of one item for these facts, under the version in force on `on`.
fn status(scheme: &str, on: &str, loc: &LocationProfile, facts: Value, item: &str) -> ItemStatus {
    let version = NORMS.select(scheme, date(on), loc).unwrap();
    let facts = version.validate_facts(&facts).unwrap();
    let verdict = version.evaluate(loc, date(on), InspectionKind::Location, &facts);
    verdict
        .items
        .iter()
        .find(|i| &*i.id == item)
        .unwrap_or_else(|| panic!("{item} not in {}", version.version))
        .status
}

#[test]
fn every_shipped_case_passes_and_covers_every_item() {
    let (reports, uncovered) = cases::run(&NORMS);
    let failed: Vec<_> = reports.iter().filter(|r| !r.failures.is_empty()).collect();
    assert!(failed.is_empty(), "{failed:#?}");
    assert!(uncovered.is_empty(), "{uncovered:#?}");
    assert!(reports.len() > 50);
}

#[test]
fn the_version_in_force_is_chosen_by_date() {
    let loc = location(HousingForm::RegularDwelling);
    let in_force = |on: &str| {
        NORMS
            .select("snf", date(on), &loc)
            .map(|v| v.version.clone())
    };
    assert_eq!(in_force("2017-05-01").unwrap(), "7.0");
    assert_eq!(in_force("2018-09-14").unwrap(), "7.0");
    // The transition month: both are in force, the newer is chosen.
    assert_eq!(in_force("2018-09-15").unwrap(), "7.3");
    assert_eq!(in_force("2018-10-15").unwrap(), "7.3");
    assert_eq!(in_force("2021-05-31").unwrap(), "7.3");
    assert_eq!(in_force("2021-06-01").unwrap(), "2021-06-01");
    assert_eq!(in_force("2021-08-31").unwrap(), "2021-06-01");
    assert_eq!(in_force("2021-09-01").unwrap(), "2021-09-01");
    assert_eq!(in_force("2023-12-31").unwrap(), "2021-09-01");
    assert_eq!(in_force("2024-01-01").unwrap(), "2024-01-01");
    assert_eq!(in_force("2025-06-30").unwrap(), "2024-01-01");
    assert_eq!(in_force("2025-07-01").unwrap(), "2025-07-01");
    assert_eq!(in_force("2030-01-01").unwrap(), "2025-07-01");
    assert!(matches!(
        in_force("2017-04-30"),
        Err(SelectError::BeforeFirst { first, .. }) if first == date("2017-05-01")
    ));
    assert_eq!(
        NORMS.select("nope", date("2020-01-01"), &loc).unwrap_err(),
        SelectError::UnknownScheme("nope".into())
    );
    let akf = |on: &str| NORMS.select("akf", date(on), &loc).unwrap().version.clone();
    assert_eq!(akf("2019-12-01"), "1.1");
    assert_eq!(akf("2024-08-15"), "2024-08-15");
    assert_eq!(akf("2026-01-01"), "2026-01-01");
}

#[test]
fn a_gap_between_versions_is_a_clear_error() {
    let scheme = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("norms/akf/scheme.toml"),
    )
    .unwrap();
    let old = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("norms/akf/2019-12-01.toml"),
    )
    .unwrap()
    .replace("valid_to = 2024-08-14", "valid_to = 2020-12-31");
    let registry = Registry::from_sources([
        ("n/akf/scheme.toml".to_owned(), scheme),
        ("n/akf/2019-12-01.toml".to_owned(), old),
    ])
    .unwrap();
    let err = registry
        .select(
            "akf",
            date("2021-06-01"),
            &location(HousingForm::ChaletUnits),
        )
        .unwrap_err();
    assert_eq!(err.code(), "no_version_in_force");
    assert!(err.to_string().contains("2021-06-01"));
}

/// Toilets and showers: one per 8 residents, rounded up, in every SNF version.
#[test]
fn sanitary_at_every_boundary_in_every_version() {
    let loc = location(HousingForm::RegularDwelling);
    for (on, toilets, showers) in [
        ("2018-01-15", "3.1", "3.2"),
        ("2019-06-01", "3.1", "3.2"),
        ("2021-07-01", "B3.1", "B3.2"),
        ("2022-03-01", "B3.1", "B3.2"),
        ("2024-06-01", "B3.1", "B3.2"),
        ("2025-09-01", "B3.1", "B3.2"),
    ] {
        for residents in 1..=41_i64 {
            let needed = (residents + 7) / 8;
            for (given, want) in [
                (needed - 1, ItemStatus::Fail),
                (needed, ItemStatus::Pass),
                (needed + 1, ItemStatus::Pass),
            ] {
                let facts = json!({"residents": residents, "toilets": given, "showers": given});
                assert_eq!(
                    status("snf", on, &loc, facts.clone(), toilets),
                    want,
                    "{on} {residents} residents, {given} toilets"
                );
                assert_eq!(
                    status("snf", on, &loc, facts, showers),
                    want,
                    "{on} {residents} residents, {given} showers"
                );
            }
        }
    }
}

/// Date, item, form, designation, permit date, m2 per person.
type FloorCase = (
    &'static str,
    &'static str,
    HousingForm,
    Option<MunicipalDesignation>,
    Option<NaiveDate>,
    f64,
);

/// Floor area per person by housing form, designation, permit date and version.
#[test]
fn floor_area_at_its_boundary_per_form_and_version() {
    use HousingForm::*;
    use MunicipalDesignation::*;
    let new_build = Some(date("2025-07-02"));
    let cases: &[FloorCase] = &[
        ("2018-01-15", "2.1", RegularDwelling, None, None, 12.0),
        ("2018-01-15", "2.1", HotelPension, None, None, 10.0),
        ("2018-01-15", "2.1", BuildingComplexUnits, None, None, 12.0),
        ("2018-01-15", "2.1", ChaletUnits, Some(Wonen), None, 12.0),
        ("2018-01-15", "2.1", ChaletUnits, Some(Logies), None, 10.0),
        ("2018-01-15", "2.1", ChaletUnits, None, None, 10.0),
        (
            "2021-07-01",
            "B2.2",
            RegularDwelling,
            Some(Logies),
            None,
            10.0,
        ),
        (
            "2021-07-01",
            "B2.2",
            RegularDwelling,
            Some(Wonen),
            None,
            12.0,
        ),
        ("2021-07-01", "B2.2", HotelPension, None, None, 10.0),
        ("2024-06-01", "B2.2", HotelPension, None, None, 10.0),
        ("2024-06-01", "B2.2", HotelPension, Some(Wonen), None, 12.0),
        // 12 m2 vs 15 m2 for a hotel before and after 2025-07-01.
        ("2025-06-30", "B2.2", HotelPension, None, None, 10.0),
        ("2025-07-01", "B2.2", HotelPension, None, None, 15.0),
        ("2025-07-01", "B2.2", HotelPension, Some(Logies), None, 15.0),
        (
            "2025-09-01",
            "B2.2",
            RegularDwelling,
            Some(Wonen),
            new_build,
            15.0,
        ),
        (
            "2025-09-01",
            "B2.2",
            RegularDwelling,
            Some(Wonen),
            Some(date("2025-07-01")),
            12.0,
        ),
        (
            "2025-09-01",
            "B2.2",
            BuildingComplexUnits,
            Some(Logies),
            None,
            10.0,
        ),
    ];
    for &(on, item, form, designation, permit, per_person) in cases {
        let loc = LocationProfile {
            housing_form: form,
            municipal_designation: designation,
            permit_applied_on: permit,
            max_beds: Some(100),
        };
        let residents = 7;
        let at = per_person * f64::from(residents);
        for (area, want) in [
            (at - 0.01, ItemStatus::Fail),
            (at, ItemStatus::Pass),
            (at + 0.01, ItemStatus::Pass),
        ] {
            let facts = json!({"residents": residents, "floor_area_m2": area});
            assert_eq!(
                status("snf", on, &loc, facts, item),
                want,
                "{on} {form:?} {designation:?} {permit:?}: {area} m2 for {residents}"
            );
        }
    }
}

#[test]
fn bedroom_space_and_the_recreation_park_exception() {
    let park = location(HousingForm::HolidayPark);
    let dwelling = location(HousingForm::RegularDwelling);
    let room = |area: f64, occupants: i64| json!({"bedrooms": [{"area_m2": area, "occupants": occupants}]});
    for (on, item, loc, per) in [
        ("2018-01-15", "2.3", &park, 2.7),
        ("2018-01-15", "2.3", &dwelling, 3.5),
        ("2023-12-31", "B2.1", &park, 2.7),
        ("2024-01-01", "B2.1", &park, 3.5),
        ("2025-09-01", "B2.1", &dwelling, 3.5),
    ] {
        let at = per * 2.0;
        assert_eq!(
            status("snf", on, loc, room(at - 0.01, 2), item),
            ItemStatus::Fail,
            "{on} {per}"
        );
        assert_eq!(
            status("snf", on, loc, room(at, 2), item),
            ItemStatus::Pass,
            "{on} {per}"
        );
        assert_eq!(
            status("snf", on, loc, room(at + 0.01, 2), item),
            ItemStatus::Pass,
            "{on} {per}"
        );
    }
    // Two per room on a park until the exception ends; the item is gone after.
    assert_eq!(
        status("snf", "2023-12-31", &park, room(9.0, 2), "B2.3"),
        ItemStatus::Pass
    );
    assert_eq!(
        status("snf", "2023-12-31", &park, room(9.0, 3), "B2.3"),
        ItemStatus::Fail
    );
    let after = NORMS.select("snf", date("2024-01-01"), &park).unwrap();
    assert!(after.item("B2.3").is_none());
}

#[test]
fn cooking_burners_around_8_and_30_residents() {
    let loc = location(HousingForm::RegularDwelling);
    for (residents, needed) in [
        (1, 4),
        (8, 4),
        (9, 5),
        (10, 5),
        (11, 6),
        (29, 15),
        (30, 15),
        (31, 16),
        (60, 16),
    ] {
        for on in ["2018-01-15", "2025-09-01"] {
            let item = if on.starts_with("2018") {
                "4.2"
            } else {
                "B4.2"
            };
            let facts = |b: i64| json!({"residents": residents, "cooking_burners": b});
            assert_eq!(
                status("snf", on, &loc, facts(needed - 1), item),
                ItemStatus::Fail,
                "{residents}"
            );
            assert_eq!(
                status("snf", on, &loc, facts(needed), item),
                ItemStatus::Pass,
                "{residents}"
            );
        }
    }
}

#[test]
fn single_bedrooms_for_hotels_and_new_builds_from_2025() {
    let hotel = location(HousingForm::HotelPension);
    let new_build = LocationProfile {
        permit_applied_on: Some(date("2025-08-01")),
        ..location(HousingForm::RegularDwelling)
    };
    let old_dwelling = location(HousingForm::RegularDwelling);
    let room = |occupants: i64, consent: bool| json!({"bedrooms": [{"occupants": occupants, "written_consent": consent}]});
    for loc in [&hotel, &new_build] {
        assert_eq!(
            status("snf", "2025-09-01", loc, room(1, false), "B2.3"),
            ItemStatus::Pass
        );
        assert_eq!(
            status("snf", "2025-09-01", loc, room(2, true), "B2.3"),
            ItemStatus::Pass
        );
        assert_eq!(
            status("snf", "2025-09-01", loc, room(2, false), "B2.3"),
            ItemStatus::Fail
        );
        assert_eq!(
            status("snf", "2025-09-01", loc, room(3, true), "B2.3"),
            ItemStatus::Fail
        );
    }
    assert_eq!(
        status("snf", "2025-09-01", &old_dwelling, room(3, false), "B2.3"),
        ItemStatus::NotApplicable
    );
}

#[test]
fn other_thresholds_at_their_boundaries() {
    let loc = location(HousingForm::RegularDwelling);
    let on = "2025-09-01";
    let check = |facts: Value, item: &str, want: ItemStatus| {
        assert_eq!(
            status("snf", on, &loc, facts.clone(), item),
            want,
            "{item} {facts}"
        );
    };
    // 30 l of fridge and freezer per person.
    check(
        json!({"residents": 4, "fridge_freezer_litres": 120.0}),
        "B4.1",
        ItemStatus::Pass,
    );
    check(
        json!({"residents": 4, "fridge_freezer_litres": 119.99}),
        "B4.1",
        ItemStatus::Fail,
    );
    // Extinguisher within 5 m.
    let ext = |d: f64| json!({"extinguisher_valid": true, "extinguisher_distance_m": d, "fire_blanket_at_cooking": true});
    check(ext(5.0), "B5.3", ItemStatus::Pass);
    check(ext(5.01), "B5.3", ItemStatus::Fail);
    // Gas appliances serviced within 24 months; none present needs no date.
    check(
        json!({"gas_appliances": true, "gas_appliances_months_since_service": 24}),
        "B5.2",
        ItemStatus::Pass,
    );
    check(
        json!({"gas_appliances": true, "gas_appliances_months_since_service": 25}),
        "B5.2",
        ItemStatus::Fail,
    );
    check(json!({"gas_appliances": false}), "B5.2", ItemStatus::Pass);
    check(
        json!({"gas_appliances": true}),
        "B5.2",
        ItemStatus::NotAnswered,
    );
    // Bed 80x200, wardrobe 0.36 m3, a chair.
    let place = |w: f64, l: f64, m3: f64, chair: bool| json!({"sleeping_places": [{"bed_width_cm": w, "bed_length_cm": l, "wardrobe_m3": m3, "chair": chair}]});
    check(place(80.0, 200.0, 0.36, true), "B2.4", ItemStatus::Pass);
    check(place(79.9, 200.0, 0.36, true), "B2.4", ItemStatus::Fail);
    check(place(80.0, 199.9, 0.36, true), "B2.4", ItemStatus::Fail);
    check(place(80.0, 200.0, 0.35, true), "B2.4", ItemStatus::Fail);
    check(place(80.0, 200.0, 0.36, false), "B2.4", ItemStatus::Fail);
    // A wall socket per resident.
    check(
        json!({"bedrooms": [{"wall_sockets": 2, "occupants": 2}]}),
        "B4.5",
        ItemStatus::Pass,
    );
    check(
        json!({"bedrooms": [{"wall_sockets": 1, "occupants": 2}]}),
        "B4.5",
        ItemStatus::Fail,
    );
    // Occupancy: no more residents than beds (100 in the register).
    check(json!({"residents": 100}), "B1.1", ItemStatus::Pass);
    check(json!({"residents": 101}), "B1.1", ItemStatus::Fail);
    // A manager above 50 residents.
    check(
        json!({"residents": 50, "manager_available": false}),
        "B6.3",
        ItemStatus::Pass,
    );
    check(
        json!({"residents": 51, "manager_available": false}),
        "B6.3",
        ItemStatus::Fail,
    );
    check(
        json!({"residents": 51, "manager_available": true}),
        "B6.3",
        ItemStatus::Pass,
    );
}

#[test]
fn the_administrative_part_is_its_own_inspection() {
    let loc = location(HousingForm::RegularDwelling);
    let version = NORMS.select("snf", date("2025-09-01"), &loc).unwrap();
    let facts = version
        .validate_facts(
            &json!({"location_list_complete": true, "location_list_days_since_update": 32,
                               "occupancy_matches_records": true, "staffing_agency_client": false,
                               "agricultural_employer": false}),
        )
        .unwrap();
    let verdict = version.evaluate(
        &loc,
        date("2025-09-01"),
        InspectionKind::Administrative,
        &facts,
    );
    let ids: Vec<_> = verdict.items.iter().map(|i| &*i.id).collect();
    assert_eq!(ids, ["A1.1", "A1.2", "A1.3", "A2.1"]);
    assert_eq!(verdict.result, Outcome::Fail);
    let late = verdict.items.iter().find(|i| &*i.id == "A1.2").unwrap();
    assert_eq!(late.status, ItemStatus::Fail);
    assert_eq!(
        late.explanation,
        "the list was last updated 32 days ago; at most 31 days are allowed: fail"
    );
}

#[test]
fn explanations_give_facts_threshold_and_article() {
    let loc = location(HousingForm::RegularDwelling);
    let version = NORMS.select("snf", date("2025-09-01"), &loc).unwrap();
    let facts = version
        .validate_facts(&json!({"residents": 7, "toilets": 1, "bedrooms": [
            {"area_m2": 7.0, "occupants": 2}, {"area_m2": 6.9, "occupants": 2}]}))
        .unwrap();
    let verdict = version.evaluate(&loc, date("2025-09-01"), InspectionKind::Location, &facts);
    let item = |id: &str| verdict.items.iter().find(|i| &*i.id == id).unwrap();
    let toilets = item("B3.1");
    assert_eq!(
        toilets.explanation,
        "7 residents share 1 toilets; the norm asks 1 per 8 persons, so 1 needed: pass"
    );
    assert_eq!(&*toilets.article, "B3.1 Toiletten");
    assert_eq!(toilets.facts_used["residents"], json!(7));
    assert_eq!(
        toilets.thresholds["persons_per_toilet"].value,
        FactValue::Integer(8)
    );
    assert!(toilets.thresholds["persons_per_toilet"].confirmed);
    let bedrooms = item("B2.1");
    assert_eq!(bedrooms.status, ItemStatus::Fail);
    assert_eq!(
        bedrooms.explanation,
        "1 of 2 bedrooms fall short: bedroom 2: 6.9 m² for 2 persons, 7 m² needed at 3.5 m² each: fail"
    );
    // Unanswered items say what they still need; the verdict is incomplete, never cut short.
    let showers = item("B3.2");
    assert_eq!(showers.status, ItemStatus::NotAnswered);
    assert_eq!(showers.missing, vec!["showers"]);
    assert_eq!(verdict.result, Outcome::Incomplete);
    assert!(verdict.missing.contains(&"showers".to_owned()));
    assert_eq!(verdict.norm_hash, version.hash);
    assert_eq!(
        verdict.items.len(),
        version
            .items
            .iter()
            .filter(|i| i.inspection == InspectionKind::Location)
            .count()
    );
    // An unconfirmed value is flagged as such.
    assert!(!item("B4.1").thresholds["litres_per_person"].confirmed);
}

#[test]
fn facts_are_checked_one_by_one() {
    let loc = location(HousingForm::RegularDwelling);
    let version = NORMS.select("snf", date("2025-09-01"), &loc).unwrap();
    let errors = version
        .validate_facts(&json!({
            "residents": "seven", "toilets": -1, "showers": 1.5, "colour": "red",
            "floor_area_m2": 1e9, "under_one_roof": 1,
            "bedrooms": [{"area_m2": 10.0, "occupants": 2}, {"area_m2": -3.0, "beds": 2}, 7],
            "sleeping_places": {"bed_width_cm": 80}
        }))
        .unwrap_err();
    let found: Vec<(String, String)> = errors
        .iter()
        .map(|e| (e.fact.clone(), e.code.clone()))
        .collect();
    for expected in [
        ("residents", "wrong_type"),
        ("toilets", "below_minimum"),
        ("showers", "wrong_type"),
        ("colour", "unknown_fact"),
        ("floor_area_m2", "above_maximum"),
        ("under_one_roof", "wrong_type"),
        ("bedrooms[1].area_m2", "below_minimum"),
        ("bedrooms[1].beds", "unknown_fact"),
        ("bedrooms[2]", "not_an_object_of_facts"),
        ("sleeping_places", "not_a_list"),
    ] {
        assert!(
            found.contains(&(expected.0.into(), expected.1.into())),
            "{expected:?} in {found:?}"
        );
    }
    assert_eq!(found.len(), 10, "{found:?}");
    assert!(version.validate_facts(&json!([1, 2])).is_err());
    // null is "not answered", not an error.
    assert!(
        version
            .validate_facts(&json!({"toilets": null}))
            .unwrap()
            .values
            .is_empty()
    );
}

#[test]
fn the_checklist_comes_from_the_items_that_apply() {
    let hotel = LocationProfile {
        max_beds: Some(24),
        ..location(HousingForm::HotelPension)
    };
    let version = NORMS.select("snf", date("2025-09-01"), &hotel).unwrap();
    let list = version.checklist(&hotel, date("2025-09-01"), InspectionKind::Location);
    let ids: Vec<&str> = list.question_ids().collect();
    assert!(ids.contains(&"residents") && ids.contains(&"toilets") && ids.contains(&"bedrooms"));
    assert!(
        !ids.contains(&"location_list_complete"),
        "administrative facts are not asked here"
    );
    let beds = list.questions.iter().find(|q| q.id == "max_beds").unwrap();
    assert_eq!(
        beds.prefilled,
        Some(json!(24)),
        "the register fills in the beds"
    );
    let bedrooms = list.questions.iter().find(|q| q.id == "bedrooms").unwrap();
    let fields: Vec<&str> = bedrooms.fields.iter().map(|f| f.id.as_str()).collect();
    for field in [
        "area_m2",
        "occupants",
        "written_consent",
        "window_area_m2",
        "wall_sockets",
    ] {
        assert!(fields.contains(&field), "{field} in {fields:?}");
    }
    assert!(bedrooms.items.contains(&"B2.3".to_owned()));
    let residents = list.questions.iter().find(|q| q.id == "residents").unwrap();
    assert!(
        residents.items.contains(&"B3.1".to_owned())
            && residents.items.contains(&"B2.2".to_owned())
    );
    // A regular dwelling before 2025 is not asked for written consent.
    let dwelling = location(HousingForm::RegularDwelling);
    let older = NORMS.select("snf", date("2024-06-01"), &dwelling).unwrap();
    let older_list = older.checklist(&dwelling, date("2024-06-01"), InspectionKind::Location);
    let older_rooms = older_list
        .questions
        .iter()
        .find(|q| q.id == "bedrooms")
        .unwrap();
    assert!(!older_rooms.fields.iter().any(|f| f.id == "written_consent"));
    let admin = older.checklist(
        &dwelling,
        date("2024-06-01"),
        InspectionKind::Administrative,
    );
    assert!(admin.question_ids().any(|q| q == "location_list_complete"));
    assert!(!admin.question_ids().any(|q| q == "toilets"));
}

#[test]
fn every_version_has_its_own_hash_and_a_changed_file_changes_it() {
    let hashes: std::collections::BTreeSet<_> = NORMS
        .schemes()
        .flat_map(|s| s.versions.iter().map(|v| v.hash.clone()))
        .collect();
    assert_eq!(hashes.len(), 9);
    let v = NORMS.version("snf", "2025-07-01").unwrap();
    assert_eq!(
        NORMS.version_by_hash("snf", &v.hash).unwrap().version,
        "2025-07-01"
    );
    // A version that inherits from a base pins the base too: changing 2024-01-01 changes the
    // hash of 2025-07-01.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("norms/snf");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| {
            (
                format!("snf/{}", p.file_name().unwrap().to_str().unwrap()),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    for (name, text) in &mut files {
        if name.ends_with("2024-01-01.toml") {
            text.push_str("\n# a comment\n");
        }
    }
    let changed = Registry::from_sources(files).unwrap();
    assert_ne!(changed.version("snf", "2025-07-01").unwrap().hash, v.hash);
    assert_eq!(
        changed.version("snf", "2021-09-01").unwrap().hash,
        NORMS.version("snf", "2021-09-01").unwrap().hash
    );
}

fn any_location() -> impl Strategy<Value = LocationProfile> {
    (
        prop_oneof![
            Just(HousingForm::RegularDwelling),
            Just(HousingForm::HotelPension),
            Just(HousingForm::BuildingComplexUnits),
            Just(HousingForm::ChaletUnits),
            Just(HousingForm::HolidayPark),
        ],
        prop_oneof![
            Just(None),
            Just(Some(MunicipalDesignation::Wonen)),
            Just(Some(MunicipalDesignation::Logies))
        ],
        proptest::option::of(0i64..20_000),
        proptest::option::of(0u32..10_000),
    )
        .prop_map(
            |(housing_form, municipal_designation, permit, max_beds)| LocationProfile {
                housing_form,
                municipal_designation,
                permit_applied_on: permit.map(|d| date("2000-01-01") + chrono::Duration::days(d)),
                max_beds,
            },
        )
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "[a-z_]{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 40, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            proptest::collection::btree_map("[a-z_]{1,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn typed_value(decl: &FactDecl) -> BoxedStrategy<Value> {
    let low = decl.min.unwrap_or(0.0);
    let high = decl.max.unwrap_or(1000.0).min(low + 150.0);
    match decl.fact_type {
        FactType::Boolean => any::<bool>().prop_map(Value::from).boxed(),
        FactType::Integer => ((low as i64)..=(high as i64)).prop_map(Value::from).boxed(),
        FactType::Number => (low..=high).prop_map(Value::from).boxed(),
    }
}

/// Each declared fact of the right type and in bounds, or left out: facts that pass validation,
/// in any combination, so that evaluation itself is what gets exercised.
fn plausible_facts() -> impl Strategy<Value = Value> {
    let catalog = &NORMS.scheme("snf").unwrap().facts;
    let scalars: Vec<_> = catalog
        .facts
        .iter()
        .map(|(name, decl)| (Just(name.clone()), proptest::option::of(typed_value(decl))))
        .collect();
    let lists: Vec<_> = catalog
        .collections
        .iter()
        .map(|(name, collection)| {
            let fields: Vec<_> = collection
                .facts
                .iter()
                .map(|(field, decl)| (Just(field.clone()), proptest::option::of(typed_value(decl))))
                .collect();
            let element = fields.prop_map(|fields| {
                Value::Object(
                    fields
                        .into_iter()
                        .filter_map(|(k, v)| v.map(|v| (k, v)))
                        .collect(),
                )
            });
            (
                Just(name.clone()),
                proptest::option::of(proptest::collection::vec(element, 0..25)),
            )
        })
        .collect();
    (scalars, lists).prop_map(|(scalars, lists)| {
        let mut object: serde_json::Map<String, Value> = scalars
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect();
        object.extend(
            lists
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k, Value::from(v)))),
        );
        Value::Object(object)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn evaluation_is_total_for_any_facts(facts in any_json(), loc in any_location(), days in 0i64..6000) {
        let on = date("2017-05-01") + chrono::Duration::days(days);
        if let Ok(version) = NORMS.select("snf", on, &loc)
            && let Ok(checked) = version.validate_facts(&facts)
        {
            let verdict = version.evaluate(&loc, on, InspectionKind::Location, &checked);
            prop_assert!(!verdict.items.is_empty());
        }
    }

    #[test]
    fn evaluation_is_total_for_plausible_facts(facts in plausible_facts(), loc in any_location(), days in 0i64..6000) {
        let on = date("2017-05-01") + chrono::Duration::days(days);
        let version = NORMS.select("snf", on, &loc).unwrap();
        let checked = version.validate_facts(&facts).unwrap();
        {
            for kind in [InspectionKind::Location, InspectionKind::Administrative] {
                let verdict = version.evaluate(&loc, on, kind, &checked);
                // Every item is judged; none is left out because another failed.
                let expected = version.items.iter().filter(|i| i.inspection == kind).count();
                prop_assert_eq!(verdict.items.len(), expected);
                for item in &verdict.items {
                    prop_assert!(!item.explanation.is_empty());
                    prop_assert!(!item.explanation.contains("could not be evaluated"), "{}", item.explanation);
                }
            }
        }
    }
}

mod command_line {
    use std::process::ExitCode;

    use clap::Parser;
    use flexkeur::norm::cli::{EvaluateArgs, NormsArgs};

    #[derive(Parser)]
    enum Tool {
        Norms(NormsArgs),
        Evaluate(EvaluateArgs),
    }

    fn run(args: &[&str]) -> (ExitCode, String) {
        let mut out = Vec::new();
        let code =
            match Tool::try_parse_from(std::iter::once("flexkeur").chain(args.iter().copied()))
                .unwrap()
            {
                Tool::Norms(a) => a.run(&mut out),
                Tool::Evaluate(a) => a.run(&mut out),
            }
            .unwrap();
        (code, String::from_utf8(out).unwrap())
    }

    const NORMS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/norms");

    #[test]
    fn norms_check_passes_on_the_shipped_norms() {
        let (code, out) = run(&["norms", "check", "--dir", NORMS]);
        assert_eq!(code, ExitCode::SUCCESS, "{out}");
        assert!(out.contains("snf: 6 version(s)"), "{out}");
        assert!(out.contains("0 failed; 0 item(s) without a case"), "{out}");
    }

    #[test]
    fn norms_check_names_the_file_and_line_of_a_broken_norm() {
        let dir = tempfile::tempdir().unwrap();
        let akf = dir.path().join("akf");
        std::fs::create_dir(&akf).unwrap();
        for file in ["scheme.toml", "2019-12-01.toml"] {
            std::fs::copy(format!("{NORMS}/akf/{file}"), akf.join(file)).unwrap();
        }
        let broken = std::fs::read_to_string(akf.join("2019-12-01.toml"))
            .unwrap()
            .replace("severity = \"major\"", "severity = \"grave\"");
        std::fs::write(akf.join("2019-12-01.toml"), broken).unwrap();
        let (code, out) = run(&["norms", "check", "--dir", dir.path().to_str().unwrap()]);
        assert_eq!(code, ExitCode::FAILURE);
        assert!(
            out.contains("2019-12-01.toml:14: unknown variant `grave`"),
            "{out}"
        );
    }

    #[test]
    fn norms_check_fails_on_an_item_without_a_case() {
        let dir = tempfile::tempdir().unwrap();
        let akf = dir.path().join("akf");
        std::fs::create_dir(&akf).unwrap();
        for file in ["scheme.toml", "2019-12-01.toml"] {
            std::fs::copy(format!("{NORMS}/akf/{file}"), akf.join(file)).unwrap();
        }
        let (code, out) = run(&["norms", "check", "--dir", dir.path().to_str().unwrap()]);
        assert_eq!(code, ExitCode::FAILURE);
        assert!(out.contains("UNCOVERED akf 1.1 item 1"), "{out}");
    }

    #[test]
    fn evaluate_a_facts_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("facts.json");
        std::fs::write(
            &file,
            r#"{"location": {"housing_form": "regular_dwelling", "max_beds": 10},
                "facts": {"residents": 9, "toilets": 1}}"#,
        )
        .unwrap();
        let (code, out) = run(&[
            "evaluate",
            "--dir",
            NORMS,
            "--date",
            "2025-09-01",
            file.to_str().unwrap(),
        ]);
        assert_eq!(code, ExitCode::FAILURE, "incomplete is not a pass");
        assert!(out.contains("B3.1     fail"), "{out}");
        assert!(
            out.contains(
                "9 residents share 1 toilets; the norm asks 1 per 8 persons, so 2 needed: fail"
            ),
            "{out}"
        );
        assert!(out.contains("result: incomplete"), "{out}");
        let (_, json) = run(&[
            "evaluate",
            "--dir",
            NORMS,
            "--date",
            "2025-09-01",
            "--json",
            file.to_str().unwrap(),
        ]);
        let verdict: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(verdict["version"], "2025-07-01");
    }
}
