//! Issuing certificates and changing their status. Every step checks the record, changes the
//! store within the caller's transaction, and records itself in the audit trail.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use serde::Serialize;
use utoipa::ToSchema;

use super::store::{self, CertificateRow, CoveredLocation, Gathered, Holder};
use super::token::{self, Claims};
use super::{Action, Basis, Held, Reason, Record, Status, keys};
use crate::audit::{self, AuditEntry, Change};
use crate::db::{DbConnection, new_id, next_in_sequence};
use crate::error::{AppError, AppResult};
use crate::norm::Registry;
use crate::norm::model::CertificateTerms;
use crate::register::Provider;
use crate::register::store as register;

fn terms<'n>(norms: &'n Registry, scheme: &str) -> AppResult<&'n CertificateTerms> {
    norms.scheme(scheme).map(|s| &s.certificate).ok_or_else(|| {
        AppError::invalid_field("scheme", "unknown_scheme", "there is no such norm scheme")
    })
}

/// Whether a provider may have a certificate under `scheme` today, and on what it would rest.
fn assess(
    conn: &mut DbConnection,
    norms: &Registry,
    provider_id: &str,
    scheme: &str,
    today: NaiveDate,
) -> AppResult<(Provider, Gathered, Result<Basis, Vec<Reason>>)> {
    let terms = terms(norms, scheme)?;
    let provider = register::provider(conn, provider_id)?;
    let gathered = store::gather(conn, provider_id, scheme)?;
    let locations: Vec<_> = gathered.locations.iter().map(|(r, _)| r.clone()).collect();
    let held = gathered
        .held
        .iter()
        .map(|c| {
            Ok(Held {
                number: c.number.clone(),
                status: c.status_on(today)?,
                valid_until: c.valid_until,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let outcome = super::eligibility(&Record {
        today,
        terms,
        locations: &locations,
        inspections: &gathered.inspections,
        open_majors: &gathered.open_majors,
        held: &held,
    });
    Ok((provider, gathered, outcome))
}

/// The answer to "may this provider have a certificate now?".
#[derive(Debug, Serialize, ToSchema)]
pub struct Eligibility {
    pub scheme: String,
    pub eligible: bool,
    /// Everything that stands in the way; empty when eligible.
    pub reasons: Vec<Reason>,
    /// The locations a certificate would cover.
    pub locations: Vec<CoveredLocation>,
    /// The inspections it would rest on.
    pub inspection_ids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<NaiveDate>,
}

pub fn eligibility(
    conn: &mut DbConnection,
    norms: &Registry,
    provider_id: &str,
    scheme: &str,
    today: NaiveDate,
) -> AppResult<Eligibility> {
    let (_, gathered, outcome) = assess(conn, norms, provider_id, scheme, today)?;
    Ok(match outcome {
        Ok(basis) => Eligibility {
            scheme: scheme.to_owned(),
            eligible: true,
            reasons: Vec::new(),
            locations: covered(&gathered, &basis),
            inspection_ids: basis.inspection_ids,
            valid_from: Some(basis.term.valid_from),
            valid_until: Some(basis.term.valid_until),
        },
        Err(reasons) => Eligibility {
            scheme: scheme.to_owned(),
            eligible: false,
            reasons,
            locations: Vec::new(),
            inspection_ids: Vec::new(),
            valid_from: None,
            valid_until: None,
        },
    })
}

fn covered(gathered: &Gathered, basis: &Basis) -> Vec<CoveredLocation> {
    gathered
        .locations
        .iter()
        .filter(|(r, _)| basis.location_ids.contains(&r.id))
        .map(|(_, c)| c.clone())
        .collect()
}

/// Who is issuing, and where the service is reached (the token's issuer and the QR's address).
pub struct Issuer<'a> {
    pub actor: &'a str,
    pub public_url: &'a str,
}

/// Issues a certificate when the provider is eligible; otherwise a 409 that lists every reason.
pub fn issue(
    conn: &mut DbConnection,
    norms: &Registry,
    issuer: &Issuer<'_>,
    provider_id: &str,
    scheme: &str,
    today: NaiveDate,
    now: NaiveDateTime,
) -> AppResult<CertificateRow> {
    let (provider, gathered, outcome) = assess(conn, norms, provider_id, scheme, today)?;
    let basis = outcome.map_err(|reasons| {
        let detail = match reasons.as_slice() {
            [one] => format!("the provider cannot be certified: {}", one.message),
            many => format!(
                "the provider cannot be certified, for {} reasons",
                many.len()
            ),
        };
        AppError::conflict("not_eligible", detail).with_extra("reasons", serde_json::json!(reasons))
    })?;
    let number = super::number(
        scheme,
        today.year(),
        next_in_sequence(conn, &super::sequence_name(scheme, today.year()))?,
    );
    let key = keys::current(conn)?;
    let (nbf, exp) = token::window(basis.term.valid_from, basis.term.valid_until);
    let claims = Claims {
        iss: issuer.public_url.to_owned(),
        sub: number.clone(),
        kvk: provider.kvk_number.clone(),
        scheme: scheme.to_owned(),
        norm_version: basis.norm_version.clone(),
        iat: now.and_utc().timestamp(),
        nbf,
        exp,
    };
    let row = CertificateRow {
        id: new_id(),
        number,
        provider_id: provider.id.clone(),
        kvk_number: provider.kvk_number,
        provider_name: provider.name,
        scheme: scheme.to_owned(),
        norm_version: basis.norm_version.clone(),
        norm_hash: basis.norm_hash.clone(),
        locations: json(&covered(&gathered, &basis))?,
        inspections: json(&basis.inspection_ids)?,
        valid_from: basis.term.valid_from,
        valid_until: basis.term.valid_until,
        status: Status::Valid.as_str().to_owned(),
        status_reason: None,
        status_changed_at: now,
        kid: key.kid.clone(),
        token: token::sign(&key, &claims)?,
        issued_by: issuer.actor.to_owned(),
        issued_at: now,
    };
    store::insert(conn, &row)?;
    trail(&row, None, "issued", issuer.actor, now).record(
        conn,
        None::<&()>,
        Some(&row.public(today)?),
    )?;
    Ok(row)
}

/// A JSON column's text.
fn json<T: Serialize>(value: &T) -> AppResult<String> {
    serde_json::to_string(value).map_err(AppError::internal)
}

fn trail<'a>(
    row: &'a CertificateRow,
    inspection_id: Option<&'a str>,
    action: &'a str,
    actor: &'a str,
    at: NaiveDateTime,
) -> Change<'a> {
    Change {
        inspection_id,
        entity: "certificate",
        entity_id: &row.id,
        action,
        actor,
        at,
    }
}

/// Suspends, reinstates or withdraws a certificate, with the reason that verification shows.
pub fn change_status(
    conn: &mut DbConnection,
    number: &str,
    action: Action,
    reason: &str,
    actor: &str,
    today: NaiveDate,
    now: NaiveDateTime,
) -> AppResult<CertificateRow> {
    let mut row = store::by_number_for_update(conn, number)?;
    let next = action.apply(row.status_on(today)?)?;
    let before = row.public(today)?;
    row.status = next.as_str().to_owned();
    row.status_reason = Some(reason.to_owned());
    row.status_changed_at = now;
    store::set_status(conn, &row)?;
    trail(&row, None, action.recorded_as(), actor, now).record(
        conn,
        Some(&before),
        Some(&row.public(today)?),
    )?;
    Ok(row)
}

/// A major finding at an urgent inspection suspends at once every certificate in force that
/// covers the location; the scheme owner reinstates it once the finding is repaired.
/// Answers the numbers suspended.
pub fn suspend_for_urgent_finding(
    conn: &mut DbConnection,
    inspection: &UrgentInspection<'_>,
    actor: &str,
    today: NaiveDate,
    now: NaiveDateTime,
) -> AppResult<Vec<String>> {
    let mut suspended = Vec::new();
    for mut row in store::standing(conn, Holder::Provider(inspection.provider_id), today)? {
        let covers = row
            .covered()?
            .iter()
            .any(|l| l.id.as_deref() == Some(inspection.location_id));
        if row.scheme != inspection.scheme || !covers || row.status_on(today)? != Status::Valid {
            continue;
        }
        let before = row.public(today)?;
        row.status = Status::Suspended.as_str().to_owned();
        row.status_reason = Some(format!(
            "major finding {} at an urgent inspection of {} on {}",
            inspection.major_items.join(", "),
            inspection.address,
            inspection.inspected_on
        ));
        row.status_changed_at = now;
        store::set_status(conn, &row)?;
        trail(&row, Some(inspection.id), "suspended", actor, now).record(
            conn,
            Some(&before),
            Some(&row.public(today)?),
        )?;
        suspended.push(row.number);
    }
    Ok(suspended)
}

/// What the suspension after an urgent inspection needs to know of it.
pub struct UrgentInspection<'a> {
    pub id: &'a str,
    pub provider_id: &'a str,
    pub location_id: &'a str,
    pub address: &'a str,
    pub scheme: &'a str,
    pub inspected_on: NaiveDate,
    /// The items of the major findings.
    pub major_items: Vec<&'a str>,
}

/// Every change to a certificate, oldest first.
pub fn history(conn: &mut DbConnection, certificate_id: &str) -> AppResult<Vec<AuditEntry>> {
    audit::of_entity(conn, "certificate", certificate_id)
}
