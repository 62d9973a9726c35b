//! Norm engine figures: loading and checking every norm file, and judging a full SNF checklist of
//! a location with 20 bedrooms and 60 residents.
//!
//! `cargo bench --bench norm`

use std::path::Path;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use flexkeur::norm::{
    HousingForm, InspectionKind, ItemStatus, LocationProfile, MunicipalDesignation, Outcome,
    Registry,
};
use serde_json::json;

fn bench(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("norms");
    c.bench_function("load and check all norm files", |b| {
        b.iter(|| Registry::load_dir(&dir).expect("norms load"))
    });

    let registry = Registry::load_dir(&dir).expect("norms load");
    let on = NaiveDate::from_ymd_opt(2025, 9, 1).expect("date");
    let location = LocationProfile {
        housing_form: HousingForm::BuildingComplexUnits,
        municipal_designation: Some(MunicipalDesignation::Logies),
        permit_applied_on: None,
        max_beds: Some(60),
    };
    let version = registry.select("snf", on, &location).expect("in force");
    // Rooms of a few layouts and furniture of a few kinds, as in a real building.
    let bedrooms: Vec<_> = (0..20)
        .map(|i| {
            let area = [10.5, 11.0, 12.25, 14.0][i % 4] + f64::from(i as u32) * 0.01;
            json!({"area_m2": area, "occupants": 3, "written_consent": true, "wall_sockets": 3 + i % 2, "window_area_m2": 1.5 + f64::from(i as u32) * 0.02})
        })
        .collect();
    let residents: Vec<_> = (0..60)
        .map(|i| {
            let (width, length) = [(90.0, 200.0), (80.0, 200.0), (90.0, 210.0)][i % 3];
            let wardrobe = [0.4, 0.5][i % 2];
            json!({"bed_width_cm": width, "bed_length_cm": length, "wardrobe_m3": wardrobe, "chair": true})
        })
        .collect();
    let facts = json!({
        "residents": 60, "floor_area_m2": 950.0, "under_one_roof": true, "toilets": 8, "showers": 8,
        "wet_room_electrics_splash_proof": true, "fridge_freezer_litres": 1900.0, "cooking_burners": 16,
        "electrical_overload_visible": false, "gas_appliances": true, "gas_appliances_months_since_service": 10,
        "extinguisher_valid": true, "extinguisher_distance_m": 3.0, "fire_blanket_at_cooking": true,
        "smoke_detectors_working": true, "co_detector_required": true, "co_detectors_working": true,
        "fire_alarm_installation": true, "fire_alarm_maintained": true, "laundry_facility": true,
        "drying_outside_bedrooms": true, "information_card_present": true, "information_card_complete": true,
        "maintenance_adequate": true, "neighbours_informed": true, "manager_available": true,
        "bedrooms": bedrooms, "sleeping_places": residents
    });
    let checked = version.validate_facts(&facts).expect("facts valid");
    let verdict = version.evaluate(&location, on, InspectionKind::Location, &checked);
    let open: Vec<_> = verdict
        .items
        .iter()
        .filter(|i| !matches!(i.status, ItemStatus::Pass | ItemStatus::NotApplicable))
        .map(|i| (&i.id, &i.explanation))
        .collect();
    assert_eq!(
        verdict.result,
        Outcome::Pass,
        "a location that meets every item: {open:#?}"
    );
    c.bench_function(
        "evaluate SNF 2025 checklist, 20 bedrooms and 60 residents",
        |b| b.iter(|| version.evaluate(&location, on, InspectionKind::Location, &checked)),
    );
    c.bench_function("validate the facts of 20 bedrooms and 60 residents", |b| {
        b.iter(|| version.validate_facts(&facts).expect("valid"))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
