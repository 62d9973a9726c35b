//! Answers for whoever checks a certificate: by number, by the token in its QR code, many at
//! once, and by the provider's KvK number. An entry that names nothing known is answered as
//! unknown; it never fails the rest.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use utoipa::ToSchema;

use super::Status;
use super::keys;
use super::store::{self, CertificateRow, Holder, PublicCertificate};
use super::token::Checker;
use crate::db::DbConnection;
use crate::db::schema::providers;
use crate::error::{AppError, AppResult};
use crate::register::validate_kvk;

/// The most entries one bulk call may hold.
pub const MAX_BULK: usize = 1000;

/// The certificate a token stands for, once its signature and dates hold.
pub fn by_token(
    conn: &mut DbConnection,
    checker: &Checker,
    token: &str,
    now: NaiveDateTime,
) -> AppResult<PublicCertificate> {
    let claims = checker.check(token.trim(), now, |kid| {
        Ok(keys::find(conn, kid)?.map(|k| k.public_key))
    })?;
    // A good signature on a number this database does not hold: another deployment's token.
    let row = store::by_number(conn, &claims.sub)?.ok_or_else(|| {
        AppError::invalid_field(
            "token",
            "token_unknown_certificate",
            "the token is signed, but names a certificate this register does not hold",
        )
    })?;
    row.public(now.date())
}

/// One entry of a bulk check by number.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum NumberAnswer {
    Known(PublicCertificate),
    Unknown {
        /// The number as it was sent.
        number: String,
        /// Always `unknown`.
        status: &'static str,
    },
}

/// Whether a provider is registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Registration {
    /// A certificate is in force.
    Registered,
    /// Its certificate is suspended.
    Suspended,
    /// The provider is known, but holds no certificate in force.
    NotRegistered,
    /// No provider with this KvK number is known.
    Unknown,
}

/// A provider's standing, by KvK number.
#[derive(Debug, Serialize, ToSchema)]
pub struct Standing {
    pub kvk_number: String,
    /// True only when a certificate is in force.
    pub registered: bool,
    pub status: Registration,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The certificate in force (else the suspended one), with the locations it covers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<PublicCertificate>,
}

/// Every KvK number, answered in the order sent.
pub fn standings(
    conn: &mut DbConnection,
    kvk_numbers: &[String],
    today: NaiveDate,
) -> AppResult<Vec<Standing>> {
    use diesel::prelude::*;
    let wanted: Vec<String> = kvk_numbers
        .iter()
        .map(|k| k.trim().to_owned())
        .filter(|k| validate_kvk(k).is_ok())
        .collect();
    let names: HashMap<String, String> = providers::table
        .filter(providers::kvk_number.eq_any(&wanted))
        .select((providers::kvk_number, providers::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    // The best certificate per provider: one in force over a suspended one, then the one
    // that runs longest.
    let mut best: HashMap<String, (Status, CertificateRow)> = HashMap::new();
    for row in store::standing(conn, Holder::KvkNumbers(&wanted), today)? {
        let status = row.status_on(today)?;
        let rank = |s: Status, r: &CertificateRow| (s == Status::Valid, r.valid_until);
        match best.get(&row.kvk_number) {
            Some((s, r)) if rank(*s, r) >= rank(status, &row) => {}
            _ => {
                best.insert(row.kvk_number.clone(), (status, row));
            }
        }
    }
    kvk_numbers
        .iter()
        .map(|sent| {
            let kvk = sent.trim();
            let name = names.get(kvk).cloned();
            let (status, certificate) = match (&name, best.get(kvk)) {
                (None, _) => (Registration::Unknown, None),
                (Some(_), None) => (Registration::NotRegistered, None),
                (Some(_), Some((status, row))) => (
                    if *status == Status::Valid {
                        Registration::Registered
                    } else {
                        Registration::Suspended
                    },
                    Some(row.public(today)?),
                ),
            };
            Ok(Standing {
                kvk_number: sent.clone(),
                registered: status == Registration::Registered,
                status,
                name,
                certificate,
            })
        })
        .collect()
}
