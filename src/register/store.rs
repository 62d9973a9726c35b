//! Reading and writing the register.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::*;
use crate::api::pagination::{Page, Paginated};
use crate::db::schema::{agencies, inspection_bodies, locations, providers};
use crate::db::{DbConnection, lower, new_id};
use crate::error::{AppError, AppResult, duplicate_as};

const KVK_TAKEN: &str = "a provider with this KvK number is registered already";

/// Escapes `%`, `_` and the escape character itself for a LIKE pattern.
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

// ---- providers ---------------------------------------------------------------------------------

pub fn create_provider(
    conn: &mut DbConnection,
    new: NewProvider,
    now: NaiveDateTime,
) -> AppResult<Provider> {
    let provider = Provider {
        id: new_id(),
        kvk_number: new.kvk_number,
        name: new.name.trim().to_owned(),
        contact_email: new.contact_email,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(providers::table)
        .values(&provider)
        .execute(conn)
        .map_err(duplicate_as("kvk_number_taken", KVK_TAKEN))?;
    Ok(provider)
}

pub fn provider(conn: &mut DbConnection, id: &str) -> AppResult<Provider> {
    providers::table
        .find(id)
        .select(Provider::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("provider"))
}

/// Which providers a list shows.
#[derive(Debug, Default)]
pub struct ProviderFilter {
    /// Part of the name, any case.
    pub name: Option<String>,
    pub kvk_number: Option<String>,
    /// Only this provider (for a provider's own staff).
    pub only: Option<String>,
}

pub fn providers(
    conn: &mut DbConnection,
    filter: &ProviderFilter,
    page: Page,
) -> AppResult<Paginated<Provider>> {
    let query = || {
        let mut q = providers::table.into_boxed();
        if let Some(name) = &filter.name {
            q = q.filter(
                lower(providers::name)
                    .like(contains_pattern(name))
                    .escape('\\'),
            );
        }
        if let Some(kvk) = &filter.kvk_number {
            q = q.filter(providers::kvk_number.eq(kvk.clone()));
        }
        if let Some(id) = &filter.only {
            q = q.filter(providers::id.eq(id.clone()));
        }
        q
    };
    let total = query().count().get_result(conn)?;
    let items = query()
        .order(providers::name)
        .then_order_by(providers::id)
        .limit(page.limit())
        .offset(page.offset())
        .select(Provider::as_select())
        .load(conn)?;
    Ok(page.wrap(items, total))
}

pub fn update_provider(
    conn: &mut DbConnection,
    id: &str,
    changes: ProviderChanges,
    now: NaiveDateTime,
) -> AppResult<Provider> {
    provider(conn, id)?;
    diesel::update(providers::table.find(id))
        .set((
            changes.kvk_number.map(|v| providers::kvk_number.eq(v)),
            changes
                .name
                .map(|v| providers::name.eq(v.trim().to_owned())),
            changes
                .contact_email
                .map(|v| providers::contact_email.eq(v)),
            providers::updated_at.eq(now),
        ))
        .execute(conn)
        .map_err(duplicate_as("kvk_number_taken", KVK_TAKEN))?;
    provider(conn, id)
}

// ---- locations ---------------------------------------------------------------------------------

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = locations)]
struct LocationRow {
    id: String,
    provider_id: String,
    street: String,
    house_number: String,
    postcode: String,
    city: String,
    bag_id: Option<String>,
    housing_form: String,
    municipal_designation: Option<String>,
    permit_applied_on: Option<NaiveDate>,
    max_beds: i32,
    responsibility: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

fn stored<T: std::str::FromStr>(column: &str, value: &str) -> AppResult<T> {
    value.parse().map_err(|_| {
        AppError::internal(anyhow::anyhow!(
            "unreadable {column} in the database: {value:?}"
        ))
    })
}

impl LocationRow {
    fn into_location(self) -> AppResult<Location> {
        Ok(Location {
            housing_form: stored("housing_form", &self.housing_form)?,
            municipal_designation: self
                .municipal_designation
                .as_deref()
                .map(|d| stored("municipal_designation", d))
                .transpose()?,
            responsibility: stored("responsibility", &self.responsibility)?,
            max_beds: u32::try_from(self.max_beds).unwrap_or_default(),
            id: self.id,
            provider_id: self.provider_id,
            address: Address {
                street: self.street,
                house_number: self.house_number,
                postcode: self.postcode,
                city: self.city,
            },
            bag_id: self.bag_id,
            permit_applied_on: self.permit_applied_on,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// The postcode as it is stored, `1234 AB`; the request was validated before.
fn stored_postcode(postcode: &str) -> String {
    normalise_postcode(postcode).unwrap_or_else(|| postcode.to_owned())
}

fn beds(max_beds: u32) -> i32 {
    i32::try_from(max_beds.min(MAX_BEDS)).unwrap_or(i32::MAX)
}

pub fn create_location(
    conn: &mut DbConnection,
    provider_id: &str,
    new: NewLocation,
    now: NaiveDateTime,
) -> AppResult<Location> {
    provider(conn, provider_id)?;
    let row = LocationRow {
        id: new_id(),
        provider_id: provider_id.to_owned(),
        street: new.address.street.trim().to_owned(),
        house_number: new.address.house_number.trim().to_owned(),
        postcode: stored_postcode(&new.address.postcode),
        city: new.address.city.trim().to_owned(),
        bag_id: new.bag_id,
        housing_form: <&str>::from(new.housing_form).to_owned(),
        municipal_designation: new
            .municipal_designation
            .map(|d| <&str>::from(d).to_owned()),
        permit_applied_on: new.permit_applied_on,
        max_beds: beds(new.max_beds),
        responsibility: <&str>::from(new.responsibility).to_owned(),
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(locations::table)
        .values(&row)
        .execute(conn)?;
    row.into_location()
}

pub fn location(conn: &mut DbConnection, id: &str) -> AppResult<Location> {
    locations::table
        .find(id)
        .select(LocationRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("location"))?
        .into_location()
}

pub fn locations_of(
    conn: &mut DbConnection,
    provider_id: &str,
    page: Page,
) -> AppResult<Paginated<Location>> {
    provider(conn, provider_id)?;
    let of_provider = locations::provider_id.eq(provider_id);
    let total = locations::table
        .filter(of_provider)
        .count()
        .get_result(conn)?;
    let items = locations::table
        .filter(of_provider)
        .order(locations::id)
        .limit(page.limit())
        .offset(page.offset())
        .select(LocationRow::as_select())
        .load(conn)?
        .into_iter()
        .map(LocationRow::into_location)
        .collect::<AppResult<_>>()?;
    Ok(page.wrap(items, total))
}

pub fn update_location(
    conn: &mut DbConnection,
    id: &str,
    changes: LocationChanges,
    now: NaiveDateTime,
) -> AppResult<Location> {
    location(conn, id)?;
    let address = changes.address.map(|a| {
        (
            locations::street.eq(a.street.trim().to_owned()),
            locations::house_number.eq(a.house_number.trim().to_owned()),
            locations::postcode.eq(stored_postcode(&a.postcode)),
            locations::city.eq(a.city.trim().to_owned()),
        )
    });
    diesel::update(locations::table.find(id))
        .set((
            address,
            changes
                .bag_id
                .into_change()
                .map(|v| locations::bag_id.eq(v)),
            changes
                .housing_form
                .map(|v| locations::housing_form.eq(<&str>::from(v))),
            changes
                .municipal_designation
                .into_change()
                .map(|v| locations::municipal_designation.eq(v.map(<&str>::from))),
            changes
                .permit_applied_on
                .into_change()
                .map(|v| locations::permit_applied_on.eq(v)),
            changes.max_beds.map(|v| locations::max_beds.eq(beds(v))),
            changes
                .responsibility
                .map(|v| locations::responsibility.eq(<&str>::from(v))),
            locations::updated_at.eq(now),
        ))
        .execute(conn)?;
    location(conn, id)
}

// ---- inspection bodies -------------------------------------------------------------------------

const ACCREDITATION_TAKEN: &str = "an inspection body with this accreditation number exists";

pub fn create_inspection_body(
    conn: &mut DbConnection,
    new: NewInspectionBody,
    now: NaiveDateTime,
) -> AppResult<InspectionBody> {
    let body = InspectionBody {
        id: new_id(),
        name: new.name.trim().to_owned(),
        accreditation_number: new.accreditation_number.trim().to_owned(),
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(inspection_bodies::table)
        .values(&body)
        .execute(conn)
        .map_err(duplicate_as(
            "accreditation_number_taken",
            ACCREDITATION_TAKEN,
        ))?;
    Ok(body)
}

pub fn inspection_body(conn: &mut DbConnection, id: &str) -> AppResult<InspectionBody> {
    inspection_bodies::table
        .find(id)
        .select(InspectionBody::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("inspection body"))
}

pub fn inspection_bodies(
    conn: &mut DbConnection,
    page: Page,
) -> AppResult<Paginated<InspectionBody>> {
    let total = inspection_bodies::table.count().get_result(conn)?;
    let items = inspection_bodies::table
        .order(inspection_bodies::name)
        .then_order_by(inspection_bodies::id)
        .limit(page.limit())
        .offset(page.offset())
        .select(InspectionBody::as_select())
        .load(conn)?;
    Ok(page.wrap(items, total))
}

pub fn update_inspection_body(
    conn: &mut DbConnection,
    id: &str,
    changes: InspectionBodyChanges,
    now: NaiveDateTime,
) -> AppResult<InspectionBody> {
    inspection_body(conn, id)?;
    diesel::update(inspection_bodies::table.find(id))
        .set((
            changes
                .name
                .map(|v| inspection_bodies::name.eq(v.trim().to_owned())),
            changes
                .accreditation_number
                .map(|v| inspection_bodies::accreditation_number.eq(v.trim().to_owned())),
            inspection_bodies::updated_at.eq(now),
        ))
        .execute(conn)
        .map_err(duplicate_as(
            "accreditation_number_taken",
            ACCREDITATION_TAKEN,
        ))?;
    inspection_body(conn, id)
}

// ---- agencies ----------------------------------------------------------------------------------

pub fn create_agency(
    conn: &mut DbConnection,
    new: NewAgency,
    now: NaiveDateTime,
) -> AppResult<Agency> {
    let agency = Agency {
        id: new_id(),
        kvk_number: new.kvk_number,
        name: new.name.trim().to_owned(),
        contact_email: new.contact_email,
        abu_member: new.abu_member,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(agencies::table)
        .values(&agency)
        .execute(conn)
        .map_err(duplicate_as(
            "kvk_number_taken",
            "an agency with this KvK number is registered already",
        ))?;
    Ok(agency)
}

pub fn agency(conn: &mut DbConnection, id: &str) -> AppResult<Agency> {
    agencies::table
        .find(id)
        .select(Agency::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("agency"))
}

pub fn agencies(conn: &mut DbConnection, page: Page) -> AppResult<Paginated<Agency>> {
    let total = agencies::table.count().get_result(conn)?;
    let items = agencies::table
        .order(agencies::name)
        .then_order_by(agencies::id)
        .limit(page.limit())
        .offset(page.offset())
        .select(Agency::as_select())
        .load(conn)?;
    Ok(page.wrap(items, total))
}

pub fn update_agency(
    conn: &mut DbConnection,
    id: &str,
    changes: AgencyChanges,
    now: NaiveDateTime,
) -> AppResult<Agency> {
    agency(conn, id)?;
    diesel::update(agencies::table.find(id))
        .set((
            changes.name.map(|v| agencies::name.eq(v.trim().to_owned())),
            changes.contact_email.map(|v| agencies::contact_email.eq(v)),
            changes.abu_member.map(|v| agencies::abu_member.eq(v)),
            agencies::updated_at.eq(now),
        ))
        .execute(conn)?;
    agency(conn, id)
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(contains_pattern("Flex"), "%flex%");
        assert_eq!(contains_pattern("50%_a\\"), "%50\\%\\_a\\\\%");
    }
}
