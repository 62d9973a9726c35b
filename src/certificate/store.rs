//! Certificates in the database, and the forms they are shown in: the whole record for the
//! scheme owner and the provider, the public part for everyone else.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Status;
use crate::api::pagination::{Page, Paginated};
use crate::db::DbConnection;
use crate::db::schema::certificates;
use crate::error::{AppError, AppResult};
use crate::time::utc;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = certificates)]
pub struct CertificateRow {
    pub id: String,
    pub number: String,
    pub provider_id: String,
    pub kvk_number: String,
    pub provider_name: String,
    pub scheme: String,
    pub norm_version: String,
    pub norm_hash: String,
    /// JSON of `Vec<CoveredLocation>`.
    pub locations: String,
    /// JSON of the inspection ids.
    pub inspections: String,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub status: String,
    pub status_reason: Option<String>,
    pub status_changed_at: NaiveDateTime,
    pub kid: String,
    pub token: String,
    pub issued_by: String,
    pub issued_at: NaiveDateTime,
}

/// A location covered, as the register described it when the certificate was issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CoveredLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub street: String,
    pub house_number: String,
    pub postcode: String,
    pub city: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bag_id: Option<String>,
}

impl CoveredLocation {
    /// "Dorpsstraat 12A, 1234 AB Zoëterwoude".
    pub fn address(&self) -> String {
        format!(
            "{} {}, {} {}",
            self.street, self.house_number, self.postcode, self.city
        )
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderRef {
    pub kvk_number: String,
    pub name: String,
}

/// What anyone may know of a certificate.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicCertificate {
    pub number: String,
    pub status: Status,
    /// Why it is suspended or withdrawn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// Since when the status holds.
    #[serde(with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub status_since: NaiveDateTime,
    pub provider: ProviderRef,
    pub scheme: String,
    pub norm_version: String,
    /// SHA-256 of the norm version the inspections were judged by.
    pub norm_hash: String,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    /// The addresses covered.
    pub locations: Vec<CoveredLocation>,
}

/// The whole record, for the scheme owner and the provider.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Certificate {
    pub id: String,
    #[serde(flatten)]
    pub public: PublicCertificate,
    pub provider_id: String,
    /// The inspections it rests on.
    pub inspection_ids: Vec<String>,
    /// The signed token in the QR code.
    pub token: String,
    /// The key that signed it.
    pub kid: String,
    /// The address the QR code carries.
    pub verify_url: String,
    pub issued_by: String,
    #[serde(with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub issued_at: NaiveDateTime,
}

fn stored<T: serde::de::DeserializeOwned>(column: &str, text: &str) -> AppResult<T> {
    serde_json::from_str(text)
        .map_err(|e| AppError::internal(anyhow::anyhow!("certificates.{column}: {e}")))
}

impl CertificateRow {
    /// The stored status: valid, suspended or withdrawn.
    pub fn stored_status(&self) -> AppResult<Status> {
        self.status.parse().map_err(|_| {
            AppError::internal(anyhow::anyhow!(
                "certificates.status: {:?} is not a status",
                self.status
            ))
        })
    }

    /// The status as it reads on `today`.
    pub fn status_on(&self, today: NaiveDate) -> AppResult<Status> {
        Ok(self.stored_status()?.on(self.valid_until, today))
    }

    pub fn covered(&self) -> AppResult<Vec<CoveredLocation>> {
        stored("locations", &self.locations)
    }

    /// What anyone may know, with the addresses but not the register's ids.
    pub fn public(&self, today: NaiveDate) -> AppResult<PublicCertificate> {
        self.public_with(today, self.public_locations()?)
    }

    /// The addresses covered, without the register's ids.
    pub(super) fn public_locations(&self) -> AppResult<Vec<CoveredLocation>> {
        Ok(self
            .covered()?
            .into_iter()
            .map(|l| CoveredLocation { id: None, ..l })
            .collect())
    }

    pub(super) fn public_with(
        &self,
        today: NaiveDate,
        locations: Vec<CoveredLocation>,
    ) -> AppResult<PublicCertificate> {
        let status = self.status_on(today)?;
        let status_since = match status {
            Status::Expired => self
                .valid_until
                .succ_opt()
                .map_or(self.status_changed_at, |d| {
                    d.and_time(chrono::NaiveTime::MIN)
                }),
            _ => self.status_changed_at,
        };
        Ok(PublicCertificate {
            number: self.number.clone(),
            status,
            status_reason: matches!(status, Status::Suspended | Status::Withdrawn)
                .then(|| self.status_reason.clone())
                .flatten(),
            status_since,
            provider: ProviderRef {
                kvk_number: self.kvk_number.clone(),
                name: self.provider_name.clone(),
            },
            scheme: self.scheme.clone(),
            norm_version: self.norm_version.clone(),
            norm_hash: self.norm_hash.clone(),
            valid_from: self.valid_from,
            valid_until: self.valid_until,
            locations,
        })
    }

    pub fn to_api(&self, today: NaiveDate, public_url: &str) -> AppResult<Certificate> {
        Ok(Certificate {
            id: self.id.clone(),
            public: self.public_with(today, self.covered()?)?,
            provider_id: self.provider_id.clone(),
            inspection_ids: stored("inspections", &self.inspections)?,
            token: self.token.clone(),
            kid: self.kid.clone(),
            verify_url: verify_url(public_url, &self.token),
            issued_by: self.issued_by.clone(),
            issued_at: self.issued_at,
        })
    }
}

/// The address a QR code carries: the public page that checks the token.
pub fn verify_url(public_url: &str, token: &str) -> String {
    format!("{}/verify?token={token}", public_url.trim_end_matches('/'))
}

pub fn insert(conn: &mut DbConnection, row: &CertificateRow) -> AppResult<()> {
    diesel::insert_into(certificates::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn by_number(conn: &mut DbConnection, number: &str) -> AppResult<Option<CertificateRow>> {
    Ok(certificates::table
        .filter(certificates::number.eq(number))
        .select(CertificateRow::as_select())
        .first(conn)
        .optional()?)
}

/// The certificate, locked against other changes until the transaction ends.
pub fn by_number_for_update(conn: &mut DbConnection, number: &str) -> AppResult<CertificateRow> {
    crate::first_for_update!(
        conn,
        certificates::table
            .filter(certificates::number.eq(number))
            .select(CertificateRow::as_select())
    )?
    .ok_or_else(|| AppError::not_found("certificate"))
}

/// Every certificate with one of these numbers, in no particular order.
pub fn by_numbers(conn: &mut DbConnection, numbers: &[String]) -> AppResult<Vec<CertificateRow>> {
    Ok(certificates::table
        .filter(certificates::number.eq_any(numbers))
        .select(CertificateRow::as_select())
        .load(conn)?)
}

/// Certificates of a provider, newest first; of one scheme if given.
pub fn of_provider(
    conn: &mut DbConnection,
    provider_id: &str,
    scheme: Option<&str>,
) -> AppResult<Vec<CertificateRow>> {
    let mut query = certificates::table
        .filter(certificates::provider_id.eq(provider_id))
        .order((certificates::valid_until.desc(), certificates::id.desc()))
        .select(CertificateRow::as_select())
        .into_boxed();
    if let Some(scheme) = scheme {
        query = query.filter(certificates::scheme.eq(scheme.to_owned()));
    }
    Ok(query.load(conn)?)
}

/// Whose certificates to look up.
pub enum Holder<'a> {
    Provider(&'a str),
    KvkNumbers(&'a [String]),
}

/// The certificates of the holder that have not ended on `today`: not withdrawn, and not past
/// their last day.
pub fn standing(
    conn: &mut DbConnection,
    holder: Holder<'_>,
    today: NaiveDate,
) -> AppResult<Vec<CertificateRow>> {
    let query = certificates::table
        .filter(certificates::status.ne(<&str>::from(Status::Withdrawn)))
        .filter(certificates::valid_until.ge(today))
        .select(CertificateRow::as_select())
        .into_boxed();
    let query = match holder {
        Holder::Provider(id) => query.filter(certificates::provider_id.eq(id.to_owned())),
        Holder::KvkNumbers(numbers) => {
            query.filter(certificates::kvk_number.eq_any(numbers.to_vec()))
        }
    };
    Ok(query.load(conn)?)
}

pub fn set_status(conn: &mut DbConnection, row: &CertificateRow) -> AppResult<()> {
    diesel::update(certificates::table.find(&row.id))
        .set((
            certificates::status.eq(&row.status),
            certificates::status_reason.eq(&row.status_reason),
            certificates::status_changed_at.eq(row.status_changed_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The public register: certificates in force or suspended on `today`, by provider name; a
/// certificate followed by a renewal is left out for it. `q` matches part of the provider's
/// name, its KvK number or the certificate number, in any case.
pub fn register(
    conn: &mut DbConnection,
    q: Option<&str>,
    today: NaiveDate,
    page: Page,
) -> AppResult<Paginated<CertificateRow>> {
    let later = diesel::alias!(certificates as later);
    let standing = certificates::status
        .ne(<&str>::from(Status::Withdrawn))
        .and(certificates::valid_until.ge(today));
    let renewed = diesel::dsl::exists(
        later
            .filter(
                later
                    .field(certificates::provider_id)
                    .eq(certificates::provider_id),
            )
            .filter(later.field(certificates::scheme).eq(certificates::scheme))
            .filter(
                later
                    .field(certificates::status)
                    .ne(<&str>::from(Status::Withdrawn)),
            )
            .filter(
                later
                    .field(certificates::valid_until)
                    .gt(certificates::valid_until),
            ),
    );
    let listed = || {
        let mut query = certificates::table
            .filter(standing)
            .filter(diesel::dsl::not(renewed))
            .into_boxed();
        if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
            let pattern = format!("%{}%", q.to_lowercase().replace(['%', '_'], ""));
            query = query.filter(
                crate::db::lower(certificates::provider_name)
                    .like(pattern.clone())
                    .or(certificates::kvk_number.like(pattern.clone()))
                    .or(crate::db::lower(certificates::number).like(pattern)),
            );
        }
        query
    };
    let total = listed().count().get_result(conn)?;
    let items = listed()
        .order((certificates::provider_name, certificates::number))
        .limit(page.limit())
        .offset(page.offset())
        .select(CertificateRow::as_select())
        .load(conn)?;
    Ok(page.wrap(items, total))
}

/// What eligibility reads of a provider under a scheme.
pub struct Gathered {
    pub locations: Vec<(super::LocationRef, CoveredLocation)>,
    pub inspections: Vec<super::InspectionRef>,
    pub open_majors: Vec<super::MajorFinding>,
    pub held: Vec<CertificateRow>,
}

pub fn gather(conn: &mut DbConnection, provider_id: &str, scheme: &str) -> AppResult<Gathered> {
    use crate::db::schema::{findings, inspections, locations};
    use crate::inspection::finding::FindingStatus;
    use crate::register::Responsibility;

    type LocationColumns = (
        String,
        String,
        String,
        String,
        String,
        Option<String>,
        String,
    );
    let locations = locations::table
        .filter(locations::provider_id.eq(provider_id))
        .order(locations::id)
        .select((
            locations::id,
            locations::street,
            locations::house_number,
            locations::postcode,
            locations::city,
            locations::bag_id,
            locations::responsibility,
        ))
        .load::<LocationColumns>(conn)?
        .into_iter()
        .map(
            |(id, street, house_number, postcode, city, bag_id, responsibility)| {
                let covered = CoveredLocation {
                    id: Some(id.clone()),
                    street,
                    house_number,
                    postcode,
                    city,
                    bag_id,
                };
                let reference = super::LocationRef {
                    id,
                    label: covered.address(),
                    first_responsible: responsibility
                        == <&str>::from(Responsibility::FirstResponsible),
                };
                (reference, covered)
            },
        )
        .collect();

    type InspectionColumns = (
        String,
        String,
        Option<String>,
        Option<NaiveDate>,
        Option<String>,
        Option<String>,
    );
    let inspections = inspections::table
        .filter(inspections::provider_id.eq(provider_id))
        .filter(inspections::scheme.eq(scheme))
        .filter(inspections::status.eq(<&str>::from(crate::inspection::Status::Submitted)))
        .select((
            inspections::id,
            inspections::kind,
            inspections::location_id,
            inspections::inspected_on,
            inspections::norm_version,
            inspections::norm_hash,
        ))
        .load::<InspectionColumns>(conn)?
        .into_iter()
        .filter_map(|(id, kind, location_id, inspected_on, version, hash)| {
            Some(super::InspectionRef {
                kind: kind.parse().ok()?,
                inspected_on: inspected_on?,
                norm_version: version?,
                norm_hash: hash?,
                id,
                location_id,
            })
        })
        .collect();

    let open_majors = findings::table
        .inner_join(inspections::table)
        .filter(findings::provider_id.eq(provider_id))
        .filter(inspections::scheme.eq(scheme))
        .filter(findings::severity.eq("major"))
        .filter(findings::status.ne(<&str>::from(FindingStatus::Closed)))
        .order(findings::id)
        .select((
            findings::id,
            findings::inspection_id,
            findings::location_id,
            findings::item_id,
            findings::title,
        ))
        .load::<(String, String, Option<String>, String, String)>(conn)?
        .into_iter()
        .map(
            |(id, inspection_id, location_id, item_id, title)| super::MajorFinding {
                id,
                inspection_id,
                location_id,
                item_id,
                title,
            },
        )
        .collect();

    Ok(Gathered {
        locations,
        inspections,
        open_majors,
        held: of_provider(conn, provider_id, Some(scheme))?,
    })
}
