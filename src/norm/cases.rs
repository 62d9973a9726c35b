//! The test cases each scheme ships as data: facts in, the expected status of each item out. The
//! same runner serves `flexkeur norms check` and the test suite.

use std::collections::{BTreeMap, BTreeSet};

use super::{ItemStatus, Registry};

/// The outcome of one case.
#[derive(Debug)]
pub struct CaseReport {
    pub scheme: String,
    pub file: String,
    pub name: String,
    /// The version the case's date selected.
    pub version: Option<String>,
    /// What differed from the expectation; empty when the case passed.
    pub failures: Vec<String>,
}

fn status_name(status: ItemStatus) -> &'static str {
    match status {
        ItemStatus::Pass => "pass",
        ItemStatus::Fail => "fail",
        ItemStatus::NotApplicable => "not_applicable",
        ItemStatus::NotAnswered => "not_answered",
    }
}

/// Runs every shipped case. Also answers, per scheme version, the items no case covers.
pub fn run(registry: &Registry) -> (Vec<CaseReport>, Vec<String>) {
    let mut reports = Vec::new();
    let mut covered: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for scheme in registry.schemes() {
        for (file, case) in &scheme.cases {
            let mut report = CaseReport {
                scheme: scheme.id.clone(),
                file: file.clone(),
                name: case.name.clone(),
                version: None,
                failures: Vec::new(),
            };
            let version = match registry.select(&scheme.id, case.date, &case.location) {
                Ok(v) => v,
                Err(e) => {
                    report.failures.push(e.to_string());
                    reports.push(report);
                    continue;
                }
            };
            report.version = Some(version.version.clone());
            let facts_json = serde_json::to_value(&case.facts).unwrap_or_default();
            let facts = match version.validate_facts(&facts_json) {
                Ok(f) => f,
                Err(errors) => {
                    report.failures.extend(
                        errors
                            .into_iter()
                            .map(|e| format!("fact {}: {}", e.fact, e.message)),
                    );
                    reports.push(report);
                    continue;
                }
            };
            let verdict = version.evaluate(&case.location, case.date, case.inspection, &facts);
            for (id, expected) in &case.expect {
                match verdict.items.iter().find(|i| *i.id == **id) {
                    None => report.failures.push(format!(
                        "item {id} is not in the verdict of {}",
                        version.version
                    )),
                    Some(item) if status_name(item.status) != expected => {
                        report.failures.push(format!(
                            "item {id}: expected {expected}, got {} ({})",
                            status_name(item.status),
                            item.explanation
                        ))
                    }
                    Some(_) => {
                        covered
                            .entry((scheme.id.clone(), version.version.clone()))
                            .or_default()
                            .insert(id.clone());
                    }
                }
            }
            if let Some(expected) = &case.result {
                let got = serde_json::to_value(verdict.result).unwrap_or_default();
                if got.as_str() != Some(expected.as_str()) {
                    report
                        .failures
                        .push(format!("result: expected {expected}, got {got}"));
                }
            }
            reports.push(report);
        }
    }
    let mut uncovered = Vec::new();
    for scheme in registry.schemes() {
        for version in &scheme.versions {
            let seen = covered.get(&(scheme.id.clone(), version.version.clone()));
            for item in &version.items {
                if !seen.is_some_and(|s| s.contains(&*item.id)) {
                    uncovered.push(format!(
                        "{} {} item {}: no passing test case checks it",
                        scheme.id, version.version, item.id
                    ));
                }
            }
        }
    }
    (reports, uncovered)
}
