//! Throttling: a GCRA [`Limiter`] in memory ([`MemoryLimiter`], on `governor`) or on Redis
//! (`RedisLimiter`, feature `redis`, shared by every app instance), keys by client IP,
//! principal, route or login account ([`key`]), a tower [`ThrottleLayer`] that answers 429
//! `application/problem+json` with `Retry-After` and puts `RateLimit-Limit`,
//! `RateLimit-Remaining` and `RateLimit-Reset` on every response, per-route limits for the
//! guard option `throttle = ".."` ([`RouteThrottle`]) and the login defence ([`LoginGuard`]).
//!
//! ```
//! use portcullis::throttle::{key, MemoryLimiter, ThrottleLayer, TrustedProxies};
//! use axum::{routing::get, Router};
//!
//! let limiter = MemoryLimiter::new("100/min".parse().unwrap());
//! let app: Router = Router::new()
//!     .route("/", get(|| async { "hi" }))
//!     .layer(ThrottleLayer::new(limiter, key::ClientIp::new(TrustedProxies::none())));
//! // serve with `app.into_make_service_with_connect_info::<std::net::SocketAddr>()`
//! ```

use futures_util::future::BoxFuture;
use http::{HeaderMap, HeaderName, HeaderValue};
use std::sync::Arc;
use std::time::Duration;

use crate::http::problem::Problem;

mod ip;
pub mod key;
mod layer;
mod login;
mod memory;
mod rate;
#[cfg(feature = "redis")]
mod redis;
mod route;

pub use ip::{
    Cidr, CidrParseError, DEFAULT_IPV6_PREFIX, ForwardedHeader, TrustedProxies, client_network,
};
pub use layer::{ThrottleLayer, ThrottleService};
pub use login::{LoginAttempt, LoginGuard, LoginPolicy};
pub use memory::MemoryLimiter;
pub use rate::{Per, Rate, RateParseError, ThrottleSpec};
#[cfg(feature = "redis")]
pub use redis::{RedisLimiter, RedisLimiterBuilder};
pub use route::{LimiterFactory, MemoryBackend, RouteThrottle};

/// The tracing target of every throttle event.
pub const TARGET: &str = "portcullis::throttle";

/// `RateLimit-Limit`.
pub const RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
/// `RateLimit-Remaining`.
pub const RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
/// `RateLimit-Reset`.
pub const RATELIMIT_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

/// Keys longer than this are cut (at a character boundary) so a client cannot make the store
/// hold arbitrarily large keys. Cutting only merges budgets, which errs on the strict side.
pub const MAX_KEY_LEN: usize = 256;

/// What a limiter does when its store cannot be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailPolicy {
    /// Reject the request (503 with `Retry-After`). The default.
    #[default]
    Closed,
    /// Admit the request unmetered. Logged at WARN when configured and on every failure.
    Open,
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may proceed.
    pub allowed: bool,
    /// The burst size: how many requests a full budget admits at once.
    pub limit: u32,
    /// Requests admitted right now after this one.
    pub remaining: u32,
    /// Time until the budget is full again.
    pub reset: Duration,
    /// For a rejected request, the time until one request is admitted again.
    pub retry_after: Option<Duration>,
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

impl Decision {
    /// Sets `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (whole seconds,
    /// rounded up) and, when rejected, `Retry-After`.
    pub fn apply_headers(&self, headers: &mut HeaderMap) {
        headers.insert(RATELIMIT_LIMIT, HeaderValue::from(self.limit));
        headers.insert(RATELIMIT_REMAINING, HeaderValue::from(self.remaining));
        headers.insert(RATELIMIT_RESET, HeaderValue::from(ceil_secs(self.reset)));
        if let Some(retry) = self.retry_after {
            headers.insert(
                http::header::RETRY_AFTER,
                HeaderValue::from(ceil_secs(retry).max(1)),
            );
        }
    }

    /// The 429 problem for a rejected request, with all rate-limit headers.
    pub fn to_problem(&self) -> Problem {
        let retry = ceil_secs(self.retry_after.unwrap_or(Duration::from_secs(1)));
        Problem::too_many_requests(retry)
            .with_detail("Too many requests; retry later.")
            .with_header(RATELIMIT_LIMIT, self.limit.to_string())
            .with_header(RATELIMIT_REMAINING, self.remaining.to_string())
            .with_header(RATELIMIT_RESET, ceil_secs(self.reset).to_string())
    }
}

/// Why a limiter could not decide.
#[derive(Debug, thiserror::Error)]
pub enum LimitError {
    /// The store (Redis) did not answer in time or answered with an error.
    #[error("rate-limit store unavailable: {0}")]
    Unavailable(String),
}

impl LimitError {
    /// The 503 problem a fail-closed limiter answers with.
    pub fn to_problem(&self) -> Problem {
        Problem::service_unavailable(1)
    }
}

/// A GCRA limiter: one budget per key at one [`Rate`].
///
/// Implemented by [`MemoryLimiter`] and `RedisLimiter`; wrap another store by implementing it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a rate limiter",
    note = "use `portcullis::throttle::MemoryLimiter` or `RedisLimiter` (feature `redis`), or implement `Limiter`"
)]
pub trait Limiter: Send + Sync + 'static {
    /// The rate every key is limited to.
    fn rate(&self) -> Rate;

    /// Counts one request against `key` and says whether it is admitted. A limiter whose
    /// fail policy is open answers `Ok` (admitted) when its store is unreachable.
    fn check<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Decision, LimitError>>;
}

impl<L: Limiter + ?Sized> Limiter for Arc<L> {
    fn rate(&self) -> Rate {
        (**self).rate()
    }

    fn check<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Decision, LimitError>> {
        (**self).check(key)
    }
}

/// Cuts a key to [`MAX_KEY_LEN`] bytes at a character boundary.
pub(crate) fn bounded_key(key: &str) -> &str {
    if key.len() <= MAX_KEY_LEN {
        return key;
    }
    let mut end = MAX_KEY_LEN;
    while !key.is_char_boundary(end) {
        end -= 1;
    }
    &key[..end]
}

#[cfg_attr(not(feature = "redis"), allow(dead_code))]
/// The decision of a fail-open limiter whose store failed: admitted, full budget reported.
pub(crate) fn unmetered(rate: Rate) -> Decision {
    Decision {
        allowed: true,
        limit: rate.burst(),
        remaining: rate.burst(),
        reset: Duration::ZERO,
        retry_after: None,
    }
}
