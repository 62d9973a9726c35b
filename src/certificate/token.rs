//! The certificate token in the QR code: a JWT signed with EdDSA (Ed25519), `kid` in its header.
//! It proves that flexkeur issued the certificate; the status API says whether it still holds.
//! Any JWT library can check it against `/.well-known/jwks.json`.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{NaiveDate, NaiveDateTime};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::keys::SigningKey;
use crate::error::{AppError, AppResult};

/// The claims of a certificate token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The issuing service: its public address.
    pub iss: String,
    /// The certificate number.
    pub sub: String,
    /// The provider's KvK number.
    pub kvk: String,
    pub scheme: String,
    pub norm_version: String,
    pub iat: i64,
    /// The first day of validity, 00:00 UTC.
    pub nbf: i64,
    /// The day after the last day of validity, 00:00 UTC.
    pub exp: i64,
}

/// The validity window of a certificate as token times: from 00:00 UTC of the first day to
/// 00:00 UTC of the day after the last.
pub fn window(valid_from: NaiveDate, valid_until: NaiveDate) -> (i64, i64) {
    let midnight = |d: NaiveDate| d.and_time(chrono::NaiveTime::MIN).and_utc().timestamp();
    (
        midnight(valid_from),
        valid_until.succ_opt().map_or(i64::MAX, midnight),
    )
}

/// Signs the claims with `key`.
pub fn sign(key: &SigningKey, claims: &Claims) -> AppResult<String> {
    let encoding = EncodingKey::from_ed_pem(key.private_key.as_bytes())
        .map_err(|e| AppError::internal(anyhow::anyhow!("signing key {}: {e}", key.kid)))?;
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&header, claims, &encoding).map_err(AppError::internal)
}

/// Why a token is refused.
fn refused(code: &'static str, detail: &str) -> AppError {
    AppError::invalid_field("token", code, detail)
}

/// Checks tokens. The public keys it has looked up are kept, since a key never changes once
/// made; a key it has not seen (made by another node, or by `flexkeur keys rotate`) is looked up
/// when a token names it.
pub struct Checker {
    validation: Validation,
    keys: RwLock<HashMap<String, Arc<DecodingKey>>>,
}

impl Default for Checker {
    fn default() -> Self {
        // EdDSA only: a token that names `none`, HS256 or anything else is refused. The
        // issuer is not compared with today's public address: a certificate stays good when
        // the service moves, and a token of another deployment names a key this one never
        // published. The dates are checked against the service's clock, below.
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_required_spec_claims(&["iss", "sub", "nbf", "exp"]);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        Self {
            validation,
            keys: RwLock::default(),
        }
    }
}

impl Checker {
    /// The claims of a token whose signature holds and which is in its validity window at
    /// `now`. `lookup` finds a public key (raw 32 bytes) by `kid`.
    pub fn check(
        &self,
        token: &str,
        now: NaiveDateTime,
        lookup: impl FnOnce(&str) -> AppResult<Option<Vec<u8>>>,
    ) -> AppResult<Claims> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| {
            refused(
                "token_malformed",
                "this is not a certificate token (a JWT signed with EdDSA)",
            )
        })?;
        if header.alg != Algorithm::EdDSA {
            return Err(refused(
                "token_malformed",
                "a certificate token is signed with EdDSA",
            ));
        }
        let kid = header
            .kid
            .ok_or_else(|| refused("token_malformed", "the token does not name its key (kid)"))?;
        let key = self.key(&kid, lookup)?;
        let data = jsonwebtoken::decode::<Claims>(token, &key, &self.validation).map_err(|e| {
            match e.kind() {
                ErrorKind::InvalidSignature => refused(
                    "token_signature_invalid",
                    "the signature does not match: the token was changed or not issued by flexkeur",
                ),
                _ => refused(
                    "token_malformed",
                    "the token's claims are not those of a certificate",
                ),
            }
        })?;
        let claims = data.claims;
        let now = now.and_utc().timestamp();
        if now >= claims.exp {
            return Err(refused(
                "token_expired",
                "the certificate this token stands for has expired",
            ));
        }
        if now < claims.nbf {
            return Err(refused(
                "token_not_yet_valid",
                "the certificate this token stands for is not valid yet",
            ));
        }
        Ok(claims)
    }

    fn key(
        &self,
        kid: &str,
        lookup: impl FnOnce(&str) -> AppResult<Option<Vec<u8>>>,
    ) -> AppResult<Arc<DecodingKey>> {
        if let Some(key) = self.keys.read().ok().and_then(|k| k.get(kid).cloned()) {
            return Ok(key);
        }
        let raw = lookup(kid)?.ok_or_else(|| {
            refused(
                "token_unknown_key",
                "the token names a key flexkeur never published",
            )
        })?;
        let key = Arc::new(DecodingKey::from_ed_der(&raw));
        if let Ok(mut keys) = self.keys.write() {
            keys.insert(kid.to_owned(), key.clone());
        }
        Ok(key)
    }
}
