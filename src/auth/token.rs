//! Short-lived login tokens: JWTs signed with HS256 under a secret that every node shares
//! through the database. They are a different kind from certificate tokens (other key, other
//! audience), so one can never pass for the other.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::prelude::*;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::{Caller, Credential, Role};
use crate::db::DbConnection;
use crate::db::schema::settings;
use crate::error::{AppError, AppResult};

const ISSUER: &str = "flexkeur";
const AUDIENCE: &str = "flexkeur-api";
const SECRET_SETTING: &str = "login_token_secret";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    aud: String,
    sub: String,
    role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    org: Option<String>,
    iat: i64,
    exp: i64,
}

/// The keys of login tokens and their lifetime.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub ttl_seconds: i64,
}

impl TokenKeys {
    pub fn new(secret: &[u8], ttl_seconds: i64) -> Self {
        // Only HS256 is accepted: a token claiming `none` or any other algorithm is refused.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl_seconds,
        }
    }

    /// Reads the shared secret, or creates it when this is the first node to start.
    pub fn load_or_create(conn: &mut DbConnection, ttl_seconds: i64) -> AppResult<Self> {
        let mut fresh = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut fresh);
        // Insert-if-absent without ON CONFLICT (not available through MultiConnection): a second
        // node racing us hits the primary key and then reads the winner's secret.
        let inserted = diesel::insert_into(settings::table)
            .values((
                settings::name.eq(SECRET_SETTING),
                settings::value.eq(URL_SAFE_NO_PAD.encode(fresh)),
            ))
            .execute(conn);
        match inserted {
            Ok(_)
            | Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => {}
            Err(e) => return Err(e.into()),
        }
        let stored: String = settings::table
            .find(SECRET_SETTING)
            .select(settings::value)
            .first(conn)?;
        let secret = URL_SAFE_NO_PAD
            .decode(stored)
            .map_err(|e| AppError::internal(anyhow::anyhow!("stored token secret: {e}")))?;
        Ok(Self::new(&secret, ttl_seconds))
    }

    /// A token for the user, valid from `now` (unix seconds) for the configured lifetime.
    pub fn issue(
        &self,
        user_id: &str,
        role: Role,
        organisation_id: Option<&str>,
        now: i64,
    ) -> AppResult<String> {
        let claims = Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: user_id.into(),
            role,
            org: organisation_id.map(str::to_owned),
            iat: now,
            exp: now + self.ttl_seconds,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(AppError::internal)
    }

    /// The caller a token stands for; refuses expired, foreign and malformed tokens.
    pub fn verify(&self, token: &str) -> AppResult<Caller> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => AppError::unauthenticated(
                    "token_expired",
                    "the login token has expired; log in again",
                ),
                _ => AppError::unauthenticated("invalid_token", "the login token is not valid"),
            })?;
        Ok(Caller {
            credential: Credential::User(data.claims.sub),
            role: data.claims.role,
            organisation_id: data.claims.org,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    #[test]
    fn round_trip() {
        let keys = TokenKeys::new(b"0123456789abcdef0123456789abcdef", 900);
        let token = keys.issue("u1", Role::Provider, Some("p1"), now()).unwrap();
        let caller = keys.verify(&token).unwrap();
        assert_eq!(caller.credential, Credential::User("u1".into()));
        assert_eq!(caller.role, Role::Provider);
        assert_eq!(caller.organisation_id.as_deref(), Some("p1"));
    }

    #[test]
    fn refuses_expired_foreign_and_unsigned_tokens() {
        let keys = TokenKeys::new(b"0123456789abcdef0123456789abcdef", 900);
        let old = keys.issue("u1", Role::Admin, None, now() - 3600).unwrap();
        assert_eq!(keys.verify(&old).unwrap_err().code(), "token_expired");

        let other = TokenKeys::new(b"another secret of thirty-two b..", 900);
        let foreign = other.issue("u1", Role::Admin, None, now()).unwrap();
        assert_eq!(keys.verify(&foreign).unwrap_err().code(), "invalid_token");

        // The same claims with `alg: none` and no signature.
        let payload = foreign.split('.').nth(1).unwrap();
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let unsigned = format!("{header}.{payload}.");
        assert_eq!(keys.verify(&unsigned).unwrap_err().code(), "invalid_token");
        assert_eq!(keys.verify("garbage").unwrap_err().code(), "invalid_token");
    }
}
