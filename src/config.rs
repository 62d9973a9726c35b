//! Configuration: defaults, then an optional `flexkeur.toml` (or the file named by
//! `FLEXKEUR_CONFIG`), then environment variables `FLEXKEUR_<KEY>` (and `DATABASE_URL`).

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on.
    pub bind: String,
    /// `sqlite://path` (default `sqlite://flexkeur.db`) or `postgres://…`.
    pub database_url: String,
    /// Connections kept per node.
    pub database_pool_size: u32,
    /// The bootstrap admin, created at start when no admin exists.
    pub admin_email: Option<String>,
    pub admin_password: Option<String>,
    /// Lifetime of a login token.
    pub access_token_ttl_seconds: u32,
    /// Largest JSON body accepted.
    pub max_body_bytes: usize,
    /// Largest photo or document accepted as evidence.
    pub max_upload_bytes: usize,
    /// `text` for people, `json` for log collectors.
    pub log_format: LogFormat,
    /// Folder with the norm rule files.
    pub norms_dir: PathBuf,
    /// The address the service is reached at from outside (used in links and QR codes).
    pub public_url: String,
    /// HTTP worker threads; default one per CPU core.
    pub workers: Option<usize>,
    /// How long a shutdown waits for requests in flight.
    pub shutdown_timeout_seconds: u64,
    /// Requests per minute to the public verification endpoints, per client address.
    pub verify_rate_per_minute: u32,
    /// The same for an agency that sends its API key.
    pub verify_rate_per_minute_api_key: u32,
    /// Count clients by the address in `Forwarded`/`X-Forwarded-For`: only behind a proxy that
    /// sets it, since clients can write it themselves.
    pub trust_forwarded_for: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            database_url: "sqlite://flexkeur.db".into(),
            database_pool_size: 8,
            admin_email: None,
            admin_password: None,
            access_token_ttl_seconds: 900,
            max_body_bytes: 256 * 1024,
            max_upload_bytes: 10 * 1024 * 1024,
            log_format: LogFormat::Text,
            norms_dir: PathBuf::from("norms"),
            public_url: "http://127.0.0.1:8080".into(),
            workers: None,
            shutdown_timeout_seconds: 30,
            verify_rate_per_minute: 60,
            verify_rate_per_minute_api_key: 6000,
            trust_forwarded_for: false,
        }
    }
}

/// Keys that may come from the environment; other `FLEXKEUR_*` variables are left alone.
const KEYS: &[&str] = &[
    "bind",
    "database_url",
    "database_pool_size",
    "admin_email",
    "admin_password",
    "access_token_ttl_seconds",
    "max_body_bytes",
    "max_upload_bytes",
    "log_format",
    "norms_dir",
    "public_url",
    "workers",
    "shutdown_timeout_seconds",
    "verify_rate_per_minute",
    "verify_rate_per_minute_api_key",
    "trust_forwarded_for",
];

impl Config {
    /// Reads `FLEXKEUR_CONFIG` (must exist when set) or `./flexkeur.toml` (optional), then the
    /// environment.
    pub fn load() -> Result<Self, Box<figment::Error>> {
        let figment = match std::env::var_os("FLEXKEUR_CONFIG") {
            Some(path) => {
                let path = PathBuf::from(path);
                if !path.is_file() {
                    return Err(Box::new(figment::Error::from(format!(
                        "FLEXKEUR_CONFIG names {}, which is not a file",
                        path.display()
                    ))));
                }
                Self::figment(Some(&path))
            }
            None => Self::figment(Some(Path::new("flexkeur.toml"))),
        };
        figment.extract().map_err(Box::new)
    }

    fn figment(file: Option<&Path>) -> Figment {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file.filter(|f| f.is_file()) {
            figment = figment.merge(Toml::file_exact(file));
        }
        figment
            .merge(Env::prefixed("FLEXKEUR_").only(KEYS))
            .merge(Env::raw().only(&["database_url"]))
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment's Jail takes closures returning its own error
mod tests {
    use super::*;

    #[test]
    fn file_then_environment() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "flexkeur.toml",
                "bind = \"0.0.0.0:9000\"\ndatabase_pool_size = 3\n",
            )?;
            jail.set_env("FLEXKEUR_DATABASE_POOL_SIZE", "5");
            jail.set_env("DATABASE_URL", "postgres://db/flexkeur");
            jail.set_env("FLEXKEUR_SOMETHING_ELSE", "ignored");
            let config: Config = Config::figment(Some(Path::new("flexkeur.toml"))).extract()?;
            assert_eq!(config.bind, "0.0.0.0:9000");
            assert_eq!(config.database_pool_size, 5);
            assert_eq!(config.database_url, "postgres://db/flexkeur");
            assert_eq!(config.log_format, LogFormat::Text);
            Ok(())
        });
    }

    #[test]
    fn unknown_key_in_file_is_an_error() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("flexkeur.toml", "bnid = \"0.0.0.0:9000\"\n")?;
            let err = Config::figment(Some(Path::new("flexkeur.toml")))
                .extract::<Config>()
                .unwrap_err();
            assert!(err.to_string().contains("bnid"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn missing_default_file_is_fine() {
        figment::Jail::expect_with(|_| {
            let config: Config = Config::figment(Some(Path::new("flexkeur.toml"))).extract()?;
            assert_eq!(config.database_url, "sqlite://flexkeur.db");
            Ok(())
        });
    }
}
