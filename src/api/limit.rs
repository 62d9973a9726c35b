//! Rate limits of the public endpoints, per client: an agency's API key has a limit of its own
//! (higher), anyone else is counted by network address. The counts live in the node's memory;
//! each node counts what it serves, and losing them on a restart costs nothing.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::auth::{Caller, api_key};
use crate::error::{AppError, AppResult};
use crate::server::AppState;

/// How often the counts of clients that have gone quiet are dropped, in checks.
const PRUNE_EVERY: u64 = 10_000;

pub struct Limits {
    by_address: DefaultKeyedRateLimiter<IpAddr>,
    by_api_key: DefaultKeyedRateLimiter<String>,
    checks: AtomicU64,
    /// Take the client's address from `Forwarded`/`X-Forwarded-For` (behind a trusted proxy).
    trust_forwarded: bool,
}

/// Who is counted.
#[derive(Debug, Clone)]
pub enum Client {
    Address(IpAddr),
    ApiKey(String),
}

impl Limits {
    /// Limits per minute for anonymous clients and for API keys (at least 1 each).
    pub fn new(per_minute: u32, per_minute_api_key: u32, trust_forwarded: bool) -> Self {
        let quota = |n: u32| Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        Self {
            by_address: DefaultKeyedRateLimiter::keyed(quota(per_minute)),
            by_api_key: DefaultKeyedRateLimiter::keyed(quota(per_minute_api_key)),
            checks: AtomicU64::new(0),
            trust_forwarded,
        }
    }

    /// Counts `cost` requests of `client`; refuses with 429 and how long to wait when that is
    /// over its limit.
    pub fn charge(&self, client: &Client, cost: u32) -> AppResult<()> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.by_address.retain_recent();
            self.by_api_key.retain_recent();
        }
        let cost = NonZeroU32::new(cost).unwrap_or(NonZeroU32::MIN);
        let outcome = match client {
            Client::Address(ip) => self.by_address.check_key_n(ip, cost),
            Client::ApiKey(id) => self.by_api_key.check_key_n(id, cost),
        };
        match outcome {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                Err(AppError::rate_limited(
                    u32::try_from(wait.as_secs()).unwrap_or(u32::MAX).max(1),
                ))
            }
            // More than the whole burst at once: it can never pass.
            Err(_) => Err(AppError::rate_limited(60)),
        }
    }

    fn address(&self, req: &HttpRequest) -> Option<IpAddr> {
        if !self.trust_forwarded {
            return req.peer_addr().map(|a| a.ip());
        }
        let info = req.connection_info();
        let text = info.realip_remote_addr()?;
        text.parse()
            .ok()
            .or_else(|| text.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
    }
}

/// The caller of a public endpoint, let through by its limit: anyone, or an agency that sent
/// its API key.
pub struct Public {
    pub client: Client,
    pub agency: Option<Caller>,
}

impl FromRequest for Public {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, AppResult<Public>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let key = req
            .headers()
            .get("x-api-key")
            .map(|k| k.to_str().unwrap_or_default().trim().to_owned());
        let address = state.as_ref().and_then(|s| s.limits.address(req));
        Box::pin(async move {
            let state = state
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("application state missing")))?;
            let public = match key {
                // A key that is sent must be good: a bad one is an error, not a quiet fall
                // back to the lower limit.
                Some(key) => {
                    let caller = state
                        .db
                        .read(move |conn| api_key::authenticate(conn, &key))
                        .await?;
                    let id = match &caller.credential {
                        crate::auth::Credential::ApiKey(id) => id.clone(),
                        crate::auth::Credential::User(id) => id.clone(),
                    };
                    Public {
                        client: Client::ApiKey(id),
                        agency: Some(caller),
                    }
                }
                None => Public {
                    client: Client::Address(
                        address.unwrap_or(IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED)),
                    ),
                    agency: None,
                },
            };
            state.limits.charge(&public.client, 1)?;
            Ok(public)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_client_has_its_own_limit() {
        let limits = Limits::new(3, 5, false);
        let a = Client::Address("192.0.2.1".parse().unwrap());
        let b = Client::Address("192.0.2.2".parse().unwrap());
        let key = Client::ApiKey("k1".into());
        for _ in 0..3 {
            limits.charge(&a, 1).unwrap();
        }
        let refused = limits.charge(&a, 1).unwrap_err();
        assert_eq!(refused.code(), "rate_limited");
        limits.charge(&b, 1).unwrap();
        for _ in 0..5 {
            limits.charge(&key, 1).unwrap();
        }
        assert!(limits.charge(&key, 1).is_err());
        assert!(
            limits.charge(&b, 3).is_err(),
            "a cost of 3 exceeds what b has left"
        );
        assert!(
            limits.charge(&b, 10).is_err(),
            "more than the burst never passes"
        );
    }
}
