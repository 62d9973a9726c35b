//! Reading and writing inspections, answers, photos, findings, repairs and idempotent results.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::finding::{ClosedHow, FindingStatus};
use super::{Answer, Kind, Status};
use crate::api::pagination::{Page, Paginated};
use crate::db::schema::{answers, findings, idempotency_keys, inspections, photos, repairs};
use crate::db::{DbConnection, new_id};
use crate::error::{AppError, AppResult};
use crate::time::utc;

fn stored<T: std::str::FromStr>(column: &str, value: &str) -> AppResult<T> {
    value.parse().map_err(|_| {
        AppError::internal(anyhow::anyhow!(
            "unreadable {column} in the database: {value:?}"
        ))
    })
}

/// How answer times read: RFC 3339 with milliseconds, in UTC.
pub fn rfc3339(t: NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

// ---- inspections ------------------------------------------------------------------------------

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = inspections, treat_none_as_null = true)]
pub struct InspectionRow {
    pub id: String,
    pub provider_id: String,
    pub location_id: Option<String>,
    pub inspection_body_id: String,
    pub inspector_id: String,
    pub kind: String,
    pub scheduled_for: NaiveDate,
    pub status: String,
    pub scheme: String,
    pub norm_version: Option<String>,
    pub norm_hash: Option<String>,
    pub inspected_on: Option<NaiveDate>,
    pub started_at: Option<NaiveDateTime>,
    pub submitted_at: Option<NaiveDateTime>,
    pub result: Option<String>,
    pub verdict: Option<String>,
    pub version: i32,
    pub corrects_id: Option<String>,
    pub correction_reason: Option<String>,
    pub reinspection_of: Option<String>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// An inspection as clients see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Inspection {
    pub id: String,
    pub provider_id: String,
    /// None for an administrative inspection, which concerns the organisation.
    pub location_id: Option<String>,
    pub inspection_body_id: String,
    pub inspector_id: String,
    pub kind: Kind,
    pub scheduled_for: NaiveDate,
    pub status: Status,
    pub scheme: String,
    /// The norm version the inspection is judged by, pinned when it starts.
    pub norm_version: Option<String>,
    pub norm_hash: Option<String>,
    pub inspected_on: Option<NaiveDate>,
    #[serde(with = "utc::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub started_at: Option<NaiveDateTime>,
    #[serde(with = "utc::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub submitted_at: Option<NaiveDateTime>,
    /// `pass` or `fail`, once submitted.
    pub result: Option<String>,
    /// Raised by every change to the answers; send it back as `If-Match`.
    pub version: i32,
    /// The submitted inspection this one corrects.
    pub corrects_id: Option<String>,
    pub correction_reason: Option<String>,
    /// The inspection whose open findings this one checks again.
    pub reinspection_of: Option<String>,
    #[serde(with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
}

impl InspectionRow {
    pub fn kind(&self) -> AppResult<Kind> {
        stored("kind", &self.kind)
    }

    pub fn status(&self) -> AppResult<Status> {
        stored("status", &self.status)
    }

    pub fn to_api(&self) -> AppResult<Inspection> {
        Ok(Inspection {
            id: self.id.clone(),
            provider_id: self.provider_id.clone(),
            location_id: self.location_id.clone(),
            inspection_body_id: self.inspection_body_id.clone(),
            inspector_id: self.inspector_id.clone(),
            kind: self.kind()?,
            scheduled_for: self.scheduled_for,
            status: self.status()?,
            scheme: self.scheme.clone(),
            norm_version: self.norm_version.clone(),
            norm_hash: self.norm_hash.clone(),
            inspected_on: self.inspected_on,
            started_at: self.started_at,
            submitted_at: self.submitted_at,
            result: self.result.clone(),
            version: self.version,
            corrects_id: self.corrects_id.clone(),
            correction_reason: self.correction_reason.clone(),
            reinspection_of: self.reinspection_of.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

pub fn insert(conn: &mut DbConnection, row: &InspectionRow) -> AppResult<()> {
    diesel::insert_into(inspections::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn get(conn: &mut DbConnection, id: &str) -> AppResult<InspectionRow> {
    inspections::table
        .find(id)
        .select(InspectionRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("inspection"))
}

/// Reads the inspection for a change, holding its row until the transaction ends, so that two
/// batches for one inspection are applied one after the other.
pub fn get_for_update(conn: &mut DbConnection, id: &str) -> AppResult<InspectionRow> {
    crate::first_for_update!(
        conn,
        inspections::table
            .find(id)
            .select(InspectionRow::as_select())
    )?
    .ok_or_else(|| AppError::not_found("inspection"))
}

/// Moves the inspection to `version`, all that a batch of answers changes of it.
pub fn set_version(
    conn: &mut DbConnection,
    id: &str,
    version: i32,
    at: NaiveDateTime,
) -> AppResult<()> {
    diesel::update(inspections::table.find(id))
        .set((
            inspections::version.eq(version),
            inspections::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn update(conn: &mut DbConnection, row: &InspectionRow) -> AppResult<()> {
    diesel::update(inspections::table.find(&row.id))
        .set(row)
        .execute(conn)?;
    Ok(())
}

/// Which inspections a list shows.
#[derive(Debug, Default)]
pub struct InspectionFilter {
    pub provider_id: Option<String>,
    pub location_id: Option<String>,
    pub inspection_body_id: Option<String>,
    pub status: Option<Status>,
    /// For providers: only what they may see (announced ones, and the rest once started).
    pub visible_to_provider: bool,
}

pub fn list(
    conn: &mut DbConnection,
    filter: &InspectionFilter,
    page: Page,
) -> AppResult<Paginated<Inspection>> {
    let query = || {
        let mut q = inspections::table.into_boxed();
        if let Some(id) = &filter.provider_id {
            q = q.filter(inspections::provider_id.eq(id.clone()));
        }
        if let Some(id) = &filter.location_id {
            q = q.filter(inspections::location_id.eq(id.clone()));
        }
        if let Some(id) = &filter.inspection_body_id {
            q = q.filter(inspections::inspection_body_id.eq(id.clone()));
        }
        if let Some(status) = filter.status {
            q = q.filter(inspections::status.eq(<&str>::from(status)));
        }
        if filter.visible_to_provider {
            let unannounced = [<&str>::from(Kind::Targeted), <&str>::from(Kind::Urgent)];
            q = q.filter(
                inspections::kind
                    .ne_all(unannounced)
                    .or(inspections::status.ne(<&str>::from(Status::Planned))),
            );
        }
        q
    };
    let total = query().count().get_result(conn)?;
    let rows = query()
        .order((inspections::scheduled_for.desc(), inspections::id.desc()))
        .limit(page.limit())
        .offset(page.offset())
        .select(InspectionRow::as_select())
        .load(conn)?;
    let items = rows
        .iter()
        .map(InspectionRow::to_api)
        .collect::<AppResult<_>>()?;
    Ok(page.wrap(items, total))
}

// ---- answers ----------------------------------------------------------------------------------

/// `None` is written as NULL rather than as SQL's DEFAULT, which SQLite lacks: diesel then
/// inserts a batch in one statement instead of one per row.
#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = answers, treat_none_as_default_value = false)]
struct AnswerRow {
    inspection_id: String,
    question: String,
    value: String,
    set_by: String,
    device_time: Option<NaiveDateTime>,
    server_time: NaiveDateTime,
    set_in_version: i32,
}

pub fn answers_of(
    conn: &mut DbConnection,
    inspection_id: &str,
) -> AppResult<BTreeMap<String, Answer>> {
    let rows = answers::table
        .filter(answers::inspection_id.eq(inspection_id))
        .select(AnswerRow::as_select())
        .load(conn)?;
    rows.into_iter()
        .map(|row| {
            let value = serde_json::from_str(&row.value).map_err(AppError::internal)?;
            Ok((
                row.question,
                Answer {
                    value,
                    set_by: row.set_by,
                    set_in_version: row.set_in_version,
                    server_time: rfc3339(row.server_time),
                    device_time: row.device_time.map(rfc3339),
                },
            ))
        })
        .collect()
}

/// Applies changed answers of one inspection together: the cleared ones go, the others are set
/// in one statement.
pub fn replace_answers(conn: &mut DbConnection, changes: &[AnswerChange<'_>]) -> AppResult<()> {
    let Some(first) = changes.first() else {
        return Ok(());
    };
    let cleared: Vec<&str> = changes
        .iter()
        .filter(|c| c.value.is_none())
        .map(|c| c.question)
        .collect();
    if !cleared.is_empty() {
        diesel::delete(
            answers::table
                .filter(answers::inspection_id.eq(first.inspection_id))
                .filter(answers::question.eq_any(&cleared)),
        )
        .execute(conn)?;
    }
    let rows = changes
        .iter()
        .filter_map(|c| {
            let value = c.value?;
            Some(serde_json::to_string(value).map(|text| AnswerRow {
                inspection_id: c.inspection_id.to_owned(),
                question: c.question.to_owned(),
                value: text,
                set_by: c.set_by.to_owned(),
                device_time: c.device_time,
                server_time: c.server_time,
                set_in_version: c.version,
            }))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(AppError::internal)?;
    if !rows.is_empty() {
        use diesel::upsert::excluded;
        // An answer given before is changed in place: its key, and so the index, stays.
        crate::insert_all!(
            conn,
            answers::table,
            &rows,
            .on_conflict((answers::inspection_id, answers::question))
            .do_update()
            .set((
                answers::value.eq(excluded(answers::value)),
                answers::set_by.eq(excluded(answers::set_by)),
                answers::device_time.eq(excluded(answers::device_time)),
                answers::server_time.eq(excluded(answers::server_time)),
                answers::set_in_version.eq(excluded(answers::set_in_version)),
            ))
        )?;
    }
    Ok(())
}

/// One change to an answer: a value, or `None` to clear it.
pub struct AnswerChange<'a> {
    pub inspection_id: &'a str,
    pub question: &'a str,
    pub value: Option<&'a serde_json::Value>,
    pub set_by: &'a str,
    pub device_time: Option<NaiveDateTime>,
    pub server_time: NaiveDateTime,
    pub version: i32,
}

/// Sets or clears one answer. (Update, then insert if there was none: the portable upsert.)
pub fn set_answer(conn: &mut DbConnection, change: AnswerChange<'_>) -> AppResult<()> {
    let this = answers::table
        .filter(answers::inspection_id.eq(change.inspection_id))
        .filter(answers::question.eq(change.question));
    let Some(value) = change.value else {
        diesel::delete(this).execute(conn)?;
        return Ok(());
    };
    let text = serde_json::to_string(value).map_err(AppError::internal)?;
    let updated = diesel::update(this)
        .set((
            answers::value.eq(&text),
            answers::set_by.eq(change.set_by),
            answers::device_time.eq(change.device_time),
            answers::server_time.eq(change.server_time),
            answers::set_in_version.eq(change.version),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(answers::table)
            .values(AnswerRow {
                inspection_id: change.inspection_id.to_owned(),
                question: change.question.to_owned(),
                value: text,
                set_by: change.set_by.to_owned(),
                device_time: change.device_time,
                server_time: change.server_time,
                set_in_version: change.version,
            })
            .execute(conn)?;
    }
    Ok(())
}

// ---- idempotency ------------------------------------------------------------------------------

/// The stored answer to a request sent with an `Idempotency-Key`.
pub struct Remembered {
    pub request_hash: String,
    pub status: u16,
    pub body: String,
}

pub fn remembered(
    conn: &mut DbConnection,
    scope: &str,
    key: &str,
) -> AppResult<Option<Remembered>> {
    Ok(idempotency_keys::table
        .find((scope, key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::status,
            idempotency_keys::body,
        ))
        .first::<(String, i32, String)>(conn)
        .optional()?
        .map(|(request_hash, status, body)| Remembered {
            request_hash,
            status: u16::try_from(status).unwrap_or(500),
            body,
        }))
}

pub fn remember(
    conn: &mut DbConnection,
    scope: &str,
    key: &str,
    answer: &Remembered,
    now: NaiveDateTime,
) -> AppResult<()> {
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::scope.eq(scope),
            idempotency_keys::idempotency_key.eq(key),
            idempotency_keys::request_hash.eq(&answer.request_hash),
            idempotency_keys::status.eq(i32::from(answer.status)),
            idempotency_keys::body.eq(&answer.body),
            idempotency_keys::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

// ---- photos -----------------------------------------------------------------------------------

/// A stored file, without its bytes.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = photos)]
pub struct Photo {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inspection_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finding_id: Option<String>,
    /// The question (fact) or item it documents; for repair evidence, the repair.
    pub question: Option<String>,
    pub content_type: String,
    pub byte_size: i32,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    pub uploaded_by: String,
    #[serde(with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

pub struct NewPhoto<'a> {
    pub inspection_id: Option<&'a str>,
    pub finding_id: Option<&'a str>,
    pub question: &'a str,
    pub content_type: &'a str,
    pub sha256: &'a str,
    pub data: &'a [u8],
    pub uploaded_by: &'a str,
    pub now: NaiveDateTime,
}

pub fn insert_photo(conn: &mut DbConnection, new: NewPhoto<'_>) -> AppResult<Photo> {
    let id = new_id();
    diesel::insert_into(photos::table)
        .values((
            photos::id.eq(&id),
            photos::inspection_id.eq(new.inspection_id),
            photos::finding_id.eq(new.finding_id),
            photos::question.eq(new.question),
            photos::content_type.eq(new.content_type),
            photos::byte_size.eq(i32::try_from(new.data.len()).unwrap_or(i32::MAX)),
            photos::sha256.eq(new.sha256),
            photos::data.eq(new.data),
            photos::uploaded_by.eq(new.uploaded_by),
            photos::created_at.eq(new.now),
        ))
        .execute(conn)?;
    photo(conn, &id)
}

pub fn photo(conn: &mut DbConnection, id: &str) -> AppResult<Photo> {
    photos::table
        .find(id)
        .select(Photo::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("photo"))
}

pub fn photo_data(conn: &mut DbConnection, id: &str) -> AppResult<Vec<u8>> {
    Ok(photos::table.find(id).select(photos::data).first(conn)?)
}

/// The same file for the same question of the same inspection, sent before.
pub fn same_photo(
    conn: &mut DbConnection,
    inspection_id: &str,
    question: &str,
    sha256: &str,
) -> AppResult<Option<Photo>> {
    Ok(photos::table
        .filter(photos::inspection_id.eq(inspection_id))
        .filter(photos::question.eq(question))
        .filter(photos::sha256.eq(sha256))
        .select(Photo::as_select())
        .first(conn)
        .optional()?)
}

pub fn photos_of(conn: &mut DbConnection, inspection_id: &str) -> AppResult<Vec<Photo>> {
    Ok(photos::table
        .filter(photos::inspection_id.eq(inspection_id))
        .order(photos::id)
        .select(Photo::as_select())
        .load(conn)?)
}

pub fn photos_of_finding(conn: &mut DbConnection, finding_id: &str) -> AppResult<Vec<Photo>> {
    Ok(photos::table
        .filter(photos::finding_id.eq(finding_id))
        .order(photos::id)
        .select(Photo::as_select())
        .load(conn)?)
}

// ---- findings ---------------------------------------------------------------------------------

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, Serialize)]
#[diesel(table_name = findings, treat_none_as_null = true)]
pub struct FindingRow {
    pub id: String,
    pub inspection_id: String,
    pub provider_id: String,
    pub location_id: Option<String>,
    pub item_id: String,
    pub title: String,
    pub article: String,
    pub severity: String,
    pub explanation: String,
    pub closable_by: String,
    pub found_on: NaiveDate,
    pub due_on: NaiveDate,
    pub status: String,
    pub closed_on: Option<NaiveDate>,
    pub closed_by: Option<String>,
    pub closed_by_inspection_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A finding as clients see it, with its status on the day it is read.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Finding {
    pub id: String,
    pub inspection_id: String,
    pub provider_id: String,
    pub location_id: Option<String>,
    /// The norm item that failed.
    pub item_id: String,
    pub title: String,
    pub article: String,
    /// `major` or `minor`.
    pub severity: String,
    /// Why it failed, with the facts and the threshold.
    pub explanation: String,
    /// `repair_letter` or `reinspection`.
    pub closable_by: String,
    pub found_on: NaiveDate,
    pub due_on: NaiveDate,
    pub status: FindingStatus,
    pub closed_on: Option<NaiveDate>,
    pub closed_by: Option<ClosedHow>,
    pub closed_by_inspection_id: Option<String>,
}

impl FindingRow {
    pub fn stored_status(&self) -> AppResult<FindingStatus> {
        stored("finding status", &self.status)
    }

    pub fn to_api(&self, today: NaiveDate) -> AppResult<Finding> {
        Ok(Finding {
            id: self.id.clone(),
            inspection_id: self.inspection_id.clone(),
            provider_id: self.provider_id.clone(),
            location_id: self.location_id.clone(),
            item_id: self.item_id.clone(),
            title: self.title.clone(),
            article: self.article.clone(),
            severity: self.severity.clone(),
            explanation: self.explanation.clone(),
            closable_by: self.closable_by.clone(),
            found_on: self.found_on,
            due_on: self.due_on,
            status: self.stored_status()?.on(self.due_on, today),
            closed_on: self.closed_on,
            closed_by: self
                .closed_by
                .as_deref()
                .map(|c| stored("closed_by", c))
                .transpose()?,
            closed_by_inspection_id: self.closed_by_inspection_id.clone(),
        })
    }
}

pub fn insert_finding(conn: &mut DbConnection, row: &FindingRow) -> AppResult<()> {
    diesel::insert_into(findings::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn finding(conn: &mut DbConnection, id: &str) -> AppResult<FindingRow> {
    findings::table
        .find(id)
        .select(FindingRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("finding"))
}

pub fn update_finding(conn: &mut DbConnection, row: &FindingRow) -> AppResult<()> {
    diesel::update(findings::table.find(&row.id))
        .set(row)
        .execute(conn)?;
    Ok(())
}

/// Findings of an inspection that are not closed.
pub fn open_findings_of(
    conn: &mut DbConnection,
    inspection_id: &str,
) -> AppResult<Vec<FindingRow>> {
    Ok(findings::table
        .filter(findings::inspection_id.eq(inspection_id))
        .filter(findings::status.ne(<&str>::from(FindingStatus::Closed)))
        .order(findings::id)
        .select(FindingRow::as_select())
        .load(conn)?)
}

pub fn findings_of(conn: &mut DbConnection, inspection_id: &str) -> AppResult<Vec<FindingRow>> {
    Ok(findings::table
        .filter(findings::inspection_id.eq(inspection_id))
        .order(findings::id)
        .select(FindingRow::as_select())
        .load(conn)?)
}

#[derive(Debug, Default)]
pub struct FindingFilter {
    pub provider_id: Option<String>,
    pub location_id: Option<String>,
    pub inspection_body_id: Option<String>,
    /// As read on `today`: `overdue` means open past its due date.
    pub status: Option<FindingStatus>,
    pub today: Option<NaiveDate>,
}

pub fn list_findings(
    conn: &mut DbConnection,
    filter: &FindingFilter,
    page: Page,
) -> AppResult<Paginated<Finding>> {
    let today = filter.today.unwrap_or_default();
    let query = || {
        let mut q = findings::table.into_boxed();
        if let Some(id) = &filter.provider_id {
            q = q.filter(findings::provider_id.eq(id.clone()));
        }
        if let Some(id) = &filter.location_id {
            q = q.filter(findings::location_id.eq(id.clone()));
        }
        if let Some(body) = &filter.inspection_body_id {
            let of_body = inspections::table
                .filter(inspections::inspection_body_id.eq(body.clone()))
                .select(inspections::id);
            q = q.filter(findings::inspection_id.eq_any(of_body));
        }
        let open = <&str>::from(FindingStatus::Open);
        q = match filter.status {
            None => q,
            Some(FindingStatus::Overdue) => q
                .filter(findings::status.eq(open))
                .filter(findings::due_on.lt(today)),
            Some(FindingStatus::Open) => q
                .filter(findings::status.eq(open))
                .filter(findings::due_on.ge(today)),
            Some(other) => q.filter(findings::status.eq(<&str>::from(other))),
        };
        q
    };
    let total = query().count().get_result(conn)?;
    let rows = query()
        .order((findings::due_on, findings::id))
        .limit(page.limit())
        .offset(page.offset())
        .select(FindingRow::as_select())
        .load(conn)?;
    let items = rows
        .iter()
        .map(|r| r.to_api(today))
        .collect::<AppResult<_>>()?;
    Ok(page.wrap(items, total))
}

// ---- repairs ----------------------------------------------------------------------------------

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, Serialize, ToSchema)]
#[diesel(table_name = repairs, treat_none_as_null = true)]
pub struct Repair {
    pub id: String,
    pub finding_id: String,
    /// The provider's account of the repair.
    pub note: String,
    pub submitted_by: String,
    #[serde(with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub submitted_at: NaiveDateTime,
    /// `accepted` or `rejected`, once the inspection body decided.
    pub decision: Option<String>,
    pub decision_note: Option<String>,
    pub decided_by: Option<String>,
    #[serde(with = "utc::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<NaiveDateTime>,
}

pub fn insert_repair(conn: &mut DbConnection, repair: &Repair) -> AppResult<()> {
    diesel::insert_into(repairs::table)
        .values(repair)
        .execute(conn)?;
    Ok(())
}

pub fn repair(conn: &mut DbConnection, finding_id: &str, id: &str) -> AppResult<Repair> {
    repairs::table
        .filter(repairs::id.eq(id).and(repairs::finding_id.eq(finding_id)))
        .select(Repair::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("repair"))
}

pub fn repairs_of(conn: &mut DbConnection, finding_id: &str) -> AppResult<Vec<Repair>> {
    Ok(repairs::table
        .filter(repairs::finding_id.eq(finding_id))
        .order(repairs::id)
        .select(Repair::as_select())
        .load(conn)?)
}

pub fn update_repair(conn: &mut DbConnection, repair: &Repair) -> AppResult<()> {
    diesel::update(repairs::table.find(&repair.id))
        .set(repair)
        .execute(conn)?;
    Ok(())
}
