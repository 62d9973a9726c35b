//! User accounts: people who log in with an e-mail address and a password.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::Role;
use crate::api::pagination::{Page, Paginated};
use crate::db::schema::{agencies, inspection_bodies, providers, users};
use crate::db::{DbConnection, new_id};
use crate::error::{AppError, AppResult, duplicate_as};
use crate::time::utc;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub organisation_id: Option<String>,
    pub password_hash: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub organisation_id: Option<String>,
    pub active: bool,
    #[serde(with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
}

impl UserRow {
    pub fn role(&self) -> AppResult<Role> {
        self.role.parse().map_err(|_| {
            AppError::internal(anyhow::anyhow!(
                "user {} has unknown role {:?}",
                self.id,
                self.role
            ))
        })
    }

    pub fn into_user(self) -> AppResult<User> {
        Ok(User {
            role: self.role()?,
            id: self.id,
            email: self.email,
            name: self.name,
            organisation_id: self.organisation_id,
            active: self.active,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    #[validate(email(message = "is not an e-mail address"), length(max = 254))]
    pub email: String,
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    pub name: String,
    pub role: Role,
    #[validate(length(min = 12, max = 128, message = "must be 12 to 128 characters"))]
    pub password: String,
    /// The provider, inspection body or agency the user works for; none for an admin.
    pub organisation_id: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChanges {
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    pub name: Option<String>,
    #[validate(length(min = 12, max = 128, message = "must be 12 to 128 characters"))]
    pub password: Option<String>,
    /// An inactive user cannot log in.
    pub active: Option<bool>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    #[validate(length(min = 1, max = 254, message = "is required"))]
    pub email: String,
    #[validate(length(min = 1, max = 128, message = "is required"))]
    pub password: String,
}

/// E-mail addresses are compared without regard to case.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Checks that a user of `role` names an organisation of the matching kind, and that it exists.
fn check_organisation(
    conn: &mut DbConnection,
    role: Role,
    organisation_id: Option<&str>,
) -> AppResult<()> {
    const FIELD: &str = "organisation_id";
    let Some(id) = organisation_id else {
        return match role {
            Role::Admin => Ok(()),
            _ => Err(AppError::invalid_field(
                FIELD,
                "organisation_required",
                format!("a user with role {role} must belong to an organisation"),
            )),
        };
    };
    let (exists, kind) = match role {
        Role::Admin => {
            return Err(AppError::invalid_field(
                FIELD,
                "organisation_not_allowed",
                "an admin belongs to no organisation",
            ));
        }
        Role::Provider => (
            diesel::select(diesel::dsl::exists(providers::table.find(id))).get_result(conn)?,
            "provider",
        ),
        Role::Inspector => (
            diesel::select(diesel::dsl::exists(inspection_bodies::table.find(id)))
                .get_result(conn)?,
            "inspection body",
        ),
        Role::Agency => (
            diesel::select(diesel::dsl::exists(agencies::table.find(id))).get_result(conn)?,
            "agency",
        ),
    };
    if exists {
        Ok(())
    } else {
        Err(AppError::invalid_field(
            FIELD,
            "organisation_not_found",
            format!("no {kind} has this id"),
        ))
    }
}

/// Creates a user; `password_hash` is computed by the caller, outside the transaction.
pub fn create(
    conn: &mut DbConnection,
    new: NewUser,
    password_hash: String,
    now: NaiveDateTime,
) -> AppResult<User> {
    check_organisation(conn, new.role, new.organisation_id.as_deref())?;
    let row = UserRow {
        id: new_id(),
        email: normalise_email(&new.email),
        name: new.name,
        role: new.role.as_str().to_owned(),
        organisation_id: new.organisation_id,
        password_hash,
        active: true,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(users::table)
        .values(&row)
        .execute(conn)
        .map_err(duplicate_as(
            "email_taken",
            "a user with this e-mail address exists already",
        ))?;
    row.into_user()
}

pub fn find(conn: &mut DbConnection, id: &str) -> AppResult<User> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("user"))?
        .into_user()
}

pub fn find_by_email(conn: &mut DbConnection, email: &str) -> AppResult<Option<UserRow>> {
    Ok(users::table
        .filter(users::email.eq(normalise_email(email)))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn list(conn: &mut DbConnection, page: Page) -> AppResult<Paginated<User>> {
    let total: i64 = users::table.count().get_result(conn)?;
    let rows = users::table
        .order(users::id)
        .limit(page.limit())
        .offset(page.offset())
        .select(UserRow::as_select())
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(UserRow::into_user)
        .collect::<AppResult<_>>()?;
    Ok(page.wrap(items, total))
}

pub fn update(
    conn: &mut DbConnection,
    id: &str,
    changes: UserChanges,
    password_hash: Option<String>,
    now: NaiveDateTime,
) -> AppResult<User> {
    find(conn, id)?;
    diesel::update(users::table.find(id))
        .set((
            changes.name.map(|n| users::name.eq(n)),
            password_hash.map(|h| users::password_hash.eq(h)),
            changes.active.map(|a| users::active.eq(a)),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    find(conn, id)
}

/// Creates the bootstrap admin from the configuration when no admin exists yet.
/// Returns true when it was created.
pub fn ensure_admin(
    conn: &mut DbConnection,
    email: &str,
    password_hash: String,
    now: NaiveDateTime,
) -> AppResult<bool> {
    let admins: i64 = users::table
        .filter(users::role.eq(Role::Admin.as_str()))
        .count()
        .get_result(conn)?;
    if admins > 0 {
        return Ok(false);
    }
    create(
        conn,
        NewUser {
            email: email.to_owned(),
            name: "Administrator".into(),
            role: Role::Admin,
            password: String::new(),
            organisation_id: None,
        },
        password_hash,
        now,
    )?;
    Ok(true)
}
