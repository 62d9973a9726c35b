//! Who is calling: users with roles (login tokens), agencies with API keys, and the checks every
//! endpoint makes before it does anything.

pub mod api_key;
pub mod password;
pub mod token;
pub mod users;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{AppError, AppResult};

/// The roles of flexkeur. Every endpoint names the roles that may call it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Role {
    /// The scheme owner: norms, register decisions, users.
    Admin,
    /// Belongs to an inspection body; inspects locations.
    Inspector,
    /// Staff of a housing provider; sees its own organisation only.
    Provider,
    /// A staffing agency's staff or system (API key); verifies certificates.
    Agency,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// How the caller proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A login token of this user.
    User(String),
    /// An API key with this id.
    ApiKey(String),
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub credential: Credential,
    pub role: Role,
    /// The provider, inspection body or agency the caller belongs to (none for admins).
    pub organisation_id: Option<String>,
}

impl Caller {
    /// Refuses the call unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> AppResult<()> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(AppError::forbidden(format!(
                "the role {} may not do this",
                self.role
            )))
        }
    }

    pub fn is(&self, role: Role) -> bool {
        self.role == role
    }

    /// True when the caller belongs to the organisation `id`.
    pub fn belongs_to(&self, id: &str) -> bool {
        self.organisation_id.as_deref() == Some(id)
    }

    /// Providers and inspection bodies see only their own organisation's records. Outside it the
    /// answer is "not found", so that nobody learns which ids exist.
    pub fn require_own(&self, role: Role, organisation_id: &str, what: &str) -> AppResult<()> {
        if self.role == role && !self.belongs_to(organisation_id) {
            return Err(AppError::not_found(what));
        }
        Ok(())
    }

    pub fn user_id(&self) -> Option<&str> {
        match &self.credential {
            Credential::User(id) => Some(id),
            Credential::ApiKey(_) => None,
        }
    }
}
