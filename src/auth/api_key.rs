//! API keys of agencies' systems: `fk_<prefix>_<secret>`. The prefix finds the key; only the
//! SHA-256 of the secret is stored, so the key is shown once, at creation. A plain hash suffices
//! because the secret is 256 random bits, not a password a person chose.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::{Caller, Credential, Role};
use crate::db::schema::api_keys;
use crate::db::{DbConnection, new_id};
use crate::error::{AppError, AppResult};
use crate::time::utc;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, ToSchema)]
#[diesel(table_name = api_keys)]
pub struct ApiKey {
    pub id: String,
    pub agency_id: String,
    /// The public part of the key, to recognise it in lists and logs.
    pub prefix: String,
    #[serde(skip)]
    pub secret_hash: Vec<u8>,
    pub label: String,
    #[serde(with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "utc::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<NaiveDateTime>,
}

/// A new key, with its secret: the only time the secret is seen.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewApiKey {
    #[serde(flatten)]
    pub key: ApiKey,
    /// Send it as the `X-Api-Key` header. It cannot be shown again.
    pub api_key: String,
}

fn digest(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

pub fn create(
    conn: &mut DbConnection,
    agency_id: &str,
    label: &str,
    now: NaiveDateTime,
) -> AppResult<NewApiKey> {
    let mut prefix = [0u8; 6];
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut prefix);
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let prefix = hex::encode(prefix);
    let secret = URL_SAFE_NO_PAD.encode(secret);
    let key = ApiKey {
        id: new_id(),
        agency_id: agency_id.to_owned(),
        prefix: prefix.clone(),
        secret_hash: digest(&secret),
        label: label.to_owned(),
        created_at: now,
        revoked_at: None,
    };
    diesel::insert_into(api_keys::table)
        .values(&key)
        .execute(conn)?;
    Ok(NewApiKey {
        key,
        api_key: format!("fk_{prefix}_{secret}"),
    })
}

pub fn list(conn: &mut DbConnection, agency_id: &str) -> AppResult<Vec<ApiKey>> {
    Ok(api_keys::table
        .filter(api_keys::agency_id.eq(agency_id))
        .order(api_keys::id)
        .select(ApiKey::as_select())
        .load(conn)?)
}

/// Revokes a key of the agency; revoking twice is harmless.
pub fn revoke(
    conn: &mut DbConnection,
    agency_id: &str,
    key_id: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    let found = api_keys::table
        .filter(
            api_keys::id
                .eq(key_id)
                .and(api_keys::agency_id.eq(agency_id)),
        )
        .select(api_keys::revoked_at)
        .first::<Option<NaiveDateTime>>(conn)
        .optional()?;
    match found {
        None => Err(AppError::not_found("API key")),
        Some(Some(_)) => Ok(()),
        Some(None) => {
            diesel::update(api_keys::table.find(key_id))
                .set(api_keys::revoked_at.eq(now))
                .execute(conn)?;
            Ok(())
        }
    }
}

/// The agency behind a presented key, or 401.
pub fn authenticate(conn: &mut DbConnection, presented: &str) -> AppResult<Caller> {
    let invalid = || AppError::unauthenticated("invalid_api_key", "the API key is not valid");
    let (prefix, secret) = presented
        .strip_prefix("fk_")
        .and_then(|rest| rest.split_once('_'))
        .ok_or_else(invalid)?;
    let key = api_keys::table
        .filter(api_keys::prefix.eq(prefix))
        .select(ApiKey::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(invalid)?;
    if key.revoked_at.is_some() || key.secret_hash != digest(secret) {
        return Err(invalid());
    }
    Ok(Caller {
        credential: Credential::ApiKey(key.id),
        role: Role::Agency,
        organisation_id: Some(key.agency_id),
    })
}
