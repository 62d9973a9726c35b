//! The audit trail: who changed what, when, with the state before and after. Append-only: rows
//! are inserted in the same transaction as the change they describe, and never updated.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::schema::audit_log;
use crate::db::{DbConnection, new_id};
use crate::error::{AppError, AppResult};
use crate::time::utc;

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_log)]
struct AuditRow {
    id: String,
    inspection_id: Option<String>,
    entity: String,
    entity_id: String,
    action: String,
    actor: String,
    at: NaiveDateTime,
    before: Option<String>,
    after: Option<String>,
}

/// One recorded change.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: String,
    /// What kind of record changed: `inspection`, `answer`, `photo`, `finding`, `repair`.
    pub entity: String,
    pub entity_id: String,
    /// What happened, e.g. `planned`, `answered`, `submitted`, `closed`.
    pub action: String,
    /// The user who did it.
    pub actor: String,
    #[serde(with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub at: NaiveDateTime,
    #[schema(value_type = Object)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Object)]
    pub after: Option<serde_json::Value>,
}

/// A change to record.
pub struct Change<'a> {
    pub inspection_id: Option<&'a str>,
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub action: &'a str,
    pub actor: &'a str,
    pub at: NaiveDateTime,
}

fn to_json<T: Serialize>(value: Option<&T>) -> AppResult<Option<String>> {
    value
        .map(|v| serde_json::to_string(v).map_err(AppError::internal))
        .transpose()
}

impl Change<'_> {
    /// Records the change with the state before and after it (either may be absent).
    pub fn record<B: Serialize, A: Serialize>(
        self,
        conn: &mut DbConnection,
        before: Option<&B>,
        after: Option<&A>,
    ) -> AppResult<()> {
        let row = AuditRow {
            id: new_id(),
            inspection_id: self.inspection_id.map(str::to_owned),
            entity: self.entity.to_owned(),
            entity_id: self.entity_id.to_owned(),
            action: self.action.to_owned(),
            actor: self.actor.to_owned(),
            at: self.at,
            before: to_json(before)?,
            after: to_json(after)?,
        };
        diesel::insert_into(audit_log::table)
            .values(row)
            .execute(conn)?;
        Ok(())
    }
}

/// Every change that concerns one inspection (its answers, photos and findings included), oldest
/// first.
pub fn of_inspection(conn: &mut DbConnection, inspection_id: &str) -> AppResult<Vec<AuditEntry>> {
    entries(
        audit_log::table
            .filter(audit_log::inspection_id.eq(inspection_id))
            .order(audit_log::id)
            .select(AuditRow::as_select())
            .load(conn)?,
    )
}

/// Every change to one record (e.g. `certificate`, its id), oldest first.
pub fn of_entity(
    conn: &mut DbConnection,
    entity: &str,
    entity_id: &str,
) -> AppResult<Vec<AuditEntry>> {
    entries(
        audit_log::table
            .filter(audit_log::entity.eq(entity))
            .filter(audit_log::entity_id.eq(entity_id))
            .order(audit_log::id)
            .select(AuditRow::as_select())
            .load(conn)?,
    )
}

fn entries(rows: Vec<AuditRow>) -> AppResult<Vec<AuditEntry>> {
    rows.into_iter()
        .map(|row| {
            let parse = |text: Option<String>| {
                text.map(|t| serde_json::from_str(&t))
                    .transpose()
                    .map_err(AppError::internal)
            };
            Ok(AuditEntry {
                before: parse(row.before)?,
                after: parse(row.after)?,
                id: row.id,
                entity: row.entity,
                entity_id: row.entity_id,
                action: row.action,
                actor: row.actor,
                at: row.at,
            })
        })
        .collect()
}
