//! The Ed25519 keys that sign certificate tokens. The current key signs; retired keys stay
//! published, so that a certificate signed before a rotation still verifies. They live in the
//! database, so every node signs with the same key and publishes the same set.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::db::DbConnection;
use crate::db::schema::signing_keys;
use crate::error::{AppError, AppResult};
use crate::time::utc;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = signing_keys)]
pub struct SigningKey {
    pub kid: String,
    /// PKCS#8 PEM: what jsonwebtoken signs with.
    pub private_key: String,
    /// The raw 32-byte public key.
    pub public_key: Vec<u8>,
    pub created_at: NaiveDateTime,
    pub retired_at: Option<NaiveDateTime>,
}

/// A public key as JWKS publishes it (RFC 8037).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Jwk {
    pub kty: &'static str,
    pub crv: &'static str,
    /// The public key, base64url.
    pub x: String,
    pub kid: String,
    pub alg: &'static str,
    #[serde(rename = "use")]
    pub use_: &'static str,
}

/// `/.well-known/jwks.json`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// A key as the `flexkeur keys` command lists it.
#[derive(Debug, Serialize)]
pub struct KeyInfo {
    pub kid: String,
    #[serde(with = "utc")]
    pub created_at: NaiveDateTime,
    #[serde(with = "utc::option")]
    pub retired_at: Option<NaiveDateTime>,
}

impl SigningKey {
    /// A fresh key pair, named by its RFC 7638 thumbprint.
    fn generate(now: NaiveDateTime) -> AppResult<SigningKey> {
        let pair = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
        let private_key = pair
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| AppError::internal(anyhow::anyhow!("encoding a signing key: {e}")))?
            .to_string();
        let public_key = pair.verifying_key().to_bytes().to_vec();
        Ok(SigningKey {
            kid: thumbprint(&public_key),
            private_key,
            public_key,
            created_at: now,
            retired_at: None,
        })
    }

    pub fn jwk(&self) -> Jwk {
        Jwk {
            kty: "OKP",
            crv: "Ed25519",
            x: URL_SAFE_NO_PAD.encode(&self.public_key),
            kid: self.kid.clone(),
            alg: "EdDSA",
            use_: "sig",
        }
    }

    pub fn info(&self) -> KeyInfo {
        KeyInfo {
            kid: self.kid.clone(),
            created_at: self.created_at,
            retired_at: self.retired_at,
        }
    }
}

/// The JWK thumbprint (RFC 7638) of an Ed25519 public key: the SHA-256 of its canonical JWK.
fn thumbprint(public_key: &[u8]) -> String {
    let canonical = format!(
        r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
        URL_SAFE_NO_PAD.encode(public_key)
    );
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// The key that signs now.
pub fn current(conn: &mut DbConnection) -> AppResult<SigningKey> {
    signing_keys::table
        .filter(signing_keys::retired_at.is_null())
        .select(SigningKey::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            AppError::internal(anyhow::anyhow!(
                "no current signing key; run `flexkeur keys rotate`"
            ))
        })
}

/// A key by its id, current or retired.
pub fn find(conn: &mut DbConnection, kid: &str) -> AppResult<Option<SigningKey>> {
    Ok(signing_keys::table
        .find(kid)
        .select(SigningKey::as_select())
        .first(conn)
        .optional()?)
}

/// Every key, oldest first.
pub fn all(conn: &mut DbConnection) -> AppResult<Vec<SigningKey>> {
    Ok(signing_keys::table
        .order(signing_keys::created_at)
        .select(SigningKey::as_select())
        .load(conn)?)
}

/// Creates the first key when there is none. Two nodes starting together may both try; the
/// index that allows one current key lets one of them win, and the other finds its key.
pub fn ensure(conn: &mut DbConnection, now: NaiveDateTime) -> AppResult<Option<SigningKey>> {
    let exists = signing_keys::table
        .filter(signing_keys::retired_at.is_null())
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if exists {
        return Ok(None);
    }
    let key = SigningKey::generate(now)?;
    let inserted = crate::db::write_transaction(conn, |c| {
        Ok(diesel::insert_into(signing_keys::table)
            .values(&key)
            .execute(c)?)
    });
    match inserted {
        Ok(_) => Ok(Some(key)),
        Err(err) if err.code() == "duplicate" => Ok(None),
        Err(err) => Err(err),
    }
}

/// Retires the current key and makes a new one current, in the caller's transaction. The
/// retired key stays published.
pub fn rotate(conn: &mut DbConnection, now: NaiveDateTime) -> AppResult<SigningKey> {
    diesel::update(signing_keys::table.filter(signing_keys::retired_at.is_null()))
        .set(signing_keys::retired_at.eq(Some(now)))
        .execute(conn)?;
    let key = SigningKey::generate(now)?;
    diesel::insert_into(signing_keys::table)
        .values(&key)
        .execute(conn)?;
    Ok(key)
}

/// The published set: every key, current and retired.
pub fn jwks(conn: &mut DbConnection) -> AppResult<Jwks> {
    Ok(Jwks {
        keys: all(conn)?.iter().map(SigningKey::jwk).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprint_of_the_rfc_8037_example_key() {
        // RFC 8037, appendix A.3: the thumbprint of the example Ed25519 key.
        let x = URL_SAFE_NO_PAD
            .decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
            .unwrap();
        assert_eq!(
            thumbprint(&x),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
    }
}
