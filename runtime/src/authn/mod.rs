//! Authentication: turning a request into a principal (JWT, sessions, passwords, refresh tokens).
//!
//! - [`jwt`]: [`JwtService`](jwt::JwtService) signs and verifies access tokens (EdDSA by default).
//! - [`strategy`]: the [`Authenticator`] trait with bearer, session-cookie
//!   and HTTP Basic strategies, and a [`Chain`] that tries them in order.
//! - [`password`]: argon2id hashing on the blocking pool, `burn_verify`, and a NIST SP 800-63B
//!   password policy with a shipped blocklist.
//! - [`refresh`]: opaque, rotated refresh tokens with reuse (theft) detection.
//! - [`revocation`]: a `jti` deny-list checked by the bearer strategy.
//! - `session` (feature `session`): server-side sessions with CSRF tokens.
//! - [`housekeeping`]: a background task purging what has expired from those stores.
//! - `oauth2` (feature `oauth2`): the authorization-code + PKCE client; `oidc` (feature
//!   `oidc`): OpenID Connect sign-in on it, with verified ID tokens.
//!
//! Every failed authentication is logged at WARN under the target `portcullis::authn` with a
//! [`FailureReason`] and never with the token, password or cookie value.

// Without the `authn` feature only `strategy`'s core stays: the `Authenticator` trait the guard
// runs, `Chain`, and the rejection types, for an application's own authenticator.
#[cfg(feature = "authn")]
pub mod housekeeping;
#[cfg(feature = "authn")]
pub mod jwt;
#[cfg(feature = "authn")]
pub mod password;
#[cfg(feature = "authn")]
pub mod refresh;
#[cfg(feature = "authn")]
pub mod revocation;
#[cfg(feature = "session")]
pub mod session;
pub mod strategy;

#[cfg(feature = "authn")]
mod bounded;

#[cfg(all(feature = "authn", any(feature = "sqlite", feature = "postgres")))]
mod migrate;
#[cfg(all(feature = "authn", any(feature = "sqlite", feature = "postgres")))]
mod sql;
#[cfg(feature = "authn")]
mod util;

#[cfg(all(feature = "authn", any(feature = "sqlite", feature = "postgres")))]
pub use migrate::migrate;
pub use strategy::{AuthRejection, Authenticator, Chain, FailureReason};

/// A boxed, `Send` future: what the object-safe store and authenticator traits return.
///
/// ```
/// use portcullis::authn::BoxFuture;
///
/// fn next<'a>(n: &'a u32) -> BoxFuture<'a, u32> {
///     Box::pin(async move { *n + 1 })
/// }
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// assert_eq!(next(&41).await, 42);
/// # });
/// ```
pub use crate::model::BoxFuture;

/// An error from a token, revocation or session store.
#[cfg(feature = "authn")]
///
/// ```
/// use portcullis::authn::StoreError;
///
/// let e = StoreError::Corrupt("session JSON".to_owned());
/// assert_eq!(e.to_string(), "corrupt stored value: session JSON");
/// // In a handler, `?` turns it into a logged, opaque 500.
/// let problem = portcullis::Problem::from(e);
/// assert_eq!(problem.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
/// // A store that is down or too slow is refused with a 503 the client may retry.
/// let problem = portcullis::Problem::from(StoreError::Unavailable("redis timed out".to_owned()));
/// assert_eq!(problem.status(), http::StatusCode::SERVICE_UNAVAILABLE);
/// assert_eq!(problem.headers()["retry-after"], "1");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] crate::backend::db::DbError),
    /// Redis answered with an error (a bug or a misconfiguration, not an outage: an
    /// unreachable or slow Redis is [`StoreError::Unavailable`]).
    #[cfg(feature = "redis")]
    #[error(transparent)]
    Redis(crate::backend::redis_conn::RedisConnError),
    /// The store could not be reached or did not answer in time (Redis down, stalled or
    /// failing over). Transient: the request is refused with a 503 and `Retry-After`, never
    /// let through (every store fails closed).
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A stored value could not be read back.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// The operating system's random number generator failed (no id or token was made).
    #[error("OS random number generator: {0}")]
    Rng(#[from] getrandom::Error),
    /// An in-memory store is at its capacity of live entries, and nothing was stored: the
    /// stores refuse rather than drop a live revocation, session or refresh token. A 503.
    #[error("{store} is full ({capacity} live entries); raise its capacity")]
    Full {
        /// The store's type name.
        store: &'static str,
        /// Its capacity.
        capacity: usize,
    },
}

#[cfg(feature = "authn")]
impl StoreError {
    /// Whether the store is unavailable (transient), as opposed to broken.
    ///
    /// ```
    /// use portcullis::authn::StoreError;
    /// assert!(StoreError::Unavailable("timed out".into()).is_unavailable());
    /// assert!(!StoreError::Corrupt("bad JSON".into()).is_unavailable());
    /// ```
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

#[cfg(all(feature = "authn", feature = "redis"))]
impl From<crate::backend::redis_conn::RedisConnError> for StoreError {
    fn from(e: crate::backend::redis_conn::RedisConnError) -> Self {
        if e.is_unavailable() {
            StoreError::Unavailable(e.to_string())
        } else {
            StoreError::Redis(e)
        }
    }
}

#[cfg(feature = "authn")]
impl From<diesel::result::Error> for StoreError {
    fn from(e: diesel::result::Error) -> Self {
        StoreError::Db(crate::backend::db::DbError::Query(e))
    }
}

#[cfg(feature = "authn")]
impl From<diesel_async::pooled_connection::bb8::RunError> for StoreError {
    fn from(e: diesel_async::pooled_connection::bb8::RunError) -> Self {
        StoreError::Db(crate::backend::db::DbError::Pool(e))
    }
}

#[cfg(feature = "authn")]
impl From<StoreError> for crate::http::problem::Problem {
    fn from(e: StoreError) -> Self {
        if e.is_unavailable() {
            tracing::warn!(target: "portcullis::authn", reason = FailureReason::Unavailable.as_str(), error = %e, "authentication store unavailable; request refused");
            return crate::http::problem::Problem::service_unavailable(1);
        }
        tracing::error!(target: "portcullis::authn", error = %e, "authentication store error");
        match e {
            // Capacity, not a fault: the client may retry later.
            StoreError::Full { .. } => {
                crate::http::problem::Problem::new(http::StatusCode::SERVICE_UNAVAILABLE)
            }
            _ => crate::http::problem::Problem::internal(),
        }
    }
}

#[cfg(feature = "oauth2")]
pub mod oauth2;
#[cfg(feature = "oidc")]
pub mod oidc;
