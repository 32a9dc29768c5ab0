//! Authentication strategies: the object-safe [`Authenticator`] trait, its typed
//! [`AuthRejection`], and a [`Chain`] that tries strategies in order.
//!
//! A strategy answers one of three ways: a principal; "no credentials of my kind"
//! ([`FailureReason::Missing`], the chain tries the next strategy); or "credentials of my kind
//! that do not authenticate" (any other reason: the chain stops, it never falls back to a weaker
//! strategy after a bad token).
//!
//! ```
//! use portcullis::authn::jwt::JwtService;
//! use portcullis::authn::strategy::{Authenticator, Bearer, Chain};
//! use std::sync::Arc;
//!
//! #[derive(Debug)]
//! struct User { id: String }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/authn/ed25519_a.pem"));
//! let jwt = Arc::new(JwtService::builder().private_key_pem(pem.as_bytes()).build()?);
//! let bearer = Bearer::new(jwt.clone(), |c: portcullis::authn::jwt::Claims<()>| Ok(User { id: c.sub }));
//! let auth: Arc<dyn Authenticator<User>> = Arc::new(Chain::new().with(bearer));
//! # let _ = auth; Ok(()) }
//! ```

#[cfg(feature = "authn")]
mod basic;
#[cfg(feature = "authn")]
mod bearer;

#[cfg(feature = "authn")]
pub use basic::{Basic, BasicVerifier};
#[cfg(feature = "authn")]
pub use bearer::Bearer;

use crate::http::problem::Problem;
use crate::model::BoxFuture;
use http::request::Parts;
use std::sync::Arc;

/// Why an authentication failed: a stable class for logs and metrics. Never carries the
/// credential itself.
///
/// ```
/// use portcullis::authn::FailureReason;
/// use portcullis::authn::jwt::JwtService;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let jwt = JwtService::builder().hmac_secret("k1", &[7u8; 32]).build()?;
/// let reason = jwt.verify::<()>("a.b").unwrap_err().reason();
/// assert_eq!(reason, Some(FailureReason::Malformed));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureReason {
    /// No credentials of this kind were sent.
    Missing,
    /// The credential is not well-formed (segments, base64, JSON, duplicate keys, headers).
    Malformed,
    /// The credential exceeds the size limit (8 KiB for tokens).
    TooLarge,
    /// The token's `alg` is `none` or not supported.
    UnsupportedAlgorithm,
    /// The token's `alg` differs from the algorithm bound to the selected key.
    AlgorithmMismatch,
    /// No configured key has the token's `kid`.
    UnknownKid,
    /// The signature does not verify.
    BadSignature,
    /// `exp` is past.
    Expired,
    /// `nbf` (or `iat`) is in the future.
    NotYetValid,
    /// `iss` is not the configured issuer.
    WrongIssuer,
    /// `aud` names none of the configured audiences.
    WrongAudience,
    /// A required claim (`exp`, `iat`, `sub`, and `iss`/`aud` when configured) is missing.
    MissingClaim,
    /// A token of another type (refresh, ID, state) presented as an access token.
    WrongTokenType,
    /// The token, session or refresh family was revoked.
    Revoked,
    /// An already-rotated refresh token was presented again: the family is now revoked.
    Reused,
    /// Unknown account or wrong password (never says which).
    InvalidCredentials,
    /// The session is past its idle or absolute timeout.
    SessionExpired,
    /// An unsafe method without a valid CSRF token.
    CsrfMismatch,
    /// An unsafe method authenticated by cookie from another site (`Origin` or
    /// `Sec-Fetch-Site`, see [`OriginPolicy`](crate::http::OriginPolicy)).
    CrossSite,
    /// The session cookie was sent more than once: which one is genuine cannot be told.
    DuplicateCookie,
    /// The credential verified but the principal could not be built from it.
    UnknownPrincipal,
    /// A store or the OS RNG failed.
    Internal,
    /// A store (revocation deny-list, sessions) could not be reached or did not answer in
    /// time: the request is refused (fail closed) with a 503 and `Retry-After`.
    Unavailable,
}

impl FailureReason {
    /// The stable snake_case code used in logs (`expired_token`, `bad_signature`, …).
    ///
    /// ```
    /// use portcullis::authn::FailureReason;
    /// assert_eq!(FailureReason::Expired.as_str(), "expired_token");
    /// assert_eq!(FailureReason::Reused.to_string(), "refresh_reuse");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            FailureReason::Missing => "anonymous",
            FailureReason::Malformed => "malformed",
            FailureReason::TooLarge => "too_large",
            FailureReason::UnsupportedAlgorithm => "unsupported_algorithm",
            FailureReason::AlgorithmMismatch => "algorithm_mismatch",
            FailureReason::UnknownKid => "unknown_kid",
            FailureReason::BadSignature => "bad_signature",
            FailureReason::Expired => "expired_token",
            FailureReason::NotYetValid => "not_yet_valid",
            FailureReason::WrongIssuer => "wrong_issuer",
            FailureReason::WrongAudience => "wrong_audience",
            FailureReason::MissingClaim => "missing_claim",
            FailureReason::WrongTokenType => "wrong_token_type",
            FailureReason::Revoked => "revoked",
            FailureReason::Reused => "refresh_reuse",
            FailureReason::InvalidCredentials => "invalid_credentials",
            FailureReason::SessionExpired => "session_expired",
            FailureReason::CsrfMismatch => "csrf_mismatch",
            FailureReason::CrossSite => "cross_site",
            FailureReason::DuplicateCookie => "duplicate_cookie",
            FailureReason::UnknownPrincipal => "unknown_principal",
            FailureReason::Internal => "internal",
            FailureReason::Unavailable => "store_unavailable",
        }
    }
}

impl std::fmt::Display for FailureReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The challenge a 401 carries (`WWW-Authenticate`).
///
/// ```
/// use axum::response::IntoResponse;
/// use portcullis::authn::strategy::Challenge;
/// use portcullis::authn::{AuthRejection, FailureReason};
/// let res = AuthRejection::new(FailureReason::Missing, Challenge::Basic).into_response();
/// assert_eq!(res.status(), 401);
/// assert!(res.headers()["www-authenticate"].to_str().unwrap().starts_with("Basic realm="));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Challenge {
    /// `Bearer` (RFC 6750).
    Bearer,
    /// `Basic realm="portcullis", charset="UTF-8"` (RFC 7617).
    Basic,
    /// Cookie sessions have no standard challenge; `Bearer` is sent.
    Cookie,
}

/// A failed authentication: the reason class and the challenge to send. Converts into a
/// [`Problem`]: 401 with `WWW-Authenticate: Bearer` when nothing was sent,
/// `Bearer error="invalid_token"` for bad credentials, 403 for a CSRF or cross-site failure,
/// 503 with `Retry-After` for an unavailable store, 500 for an internal error. The client never
/// learns the reason.
///
/// ```
/// use axum::response::IntoResponse;
/// use portcullis::authn::strategy::Challenge;
/// use portcullis::authn::{AuthRejection, FailureReason};
/// let res = AuthRejection::new(FailureReason::Expired, Challenge::Bearer).into_response();
/// assert_eq!(res.status(), 401); // the client is not told the token expired
/// let res = AuthRejection::new(FailureReason::CsrfMismatch, Challenge::Cookie).into_response();
/// assert_eq!(res.status(), 403);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthRejection {
    /// The reason class.
    pub reason: FailureReason,
    /// The challenge scheme of the strategy that rejected.
    pub challenge: Challenge,
}

impl AuthRejection {
    /// A rejection with a reason and challenge.
    ///
    /// ```
    /// use portcullis::authn::strategy::Challenge;
    /// use portcullis::authn::{AuthRejection, FailureReason};
    /// let r = AuthRejection::new(FailureReason::InvalidCredentials, Challenge::Basic);
    /// assert_eq!(portcullis::Problem::from(r).status(), http::StatusCode::UNAUTHORIZED);
    /// ```
    pub fn new(reason: FailureReason, challenge: Challenge) -> Self {
        Self { reason, challenge }
    }

    /// "No credentials" for the bearer scheme.
    ///
    /// ```
    /// use portcullis::authn::AuthRejection;
    /// use portcullis::authn::strategy::Challenge;
    /// let r = AuthRejection::missing();
    /// assert!(r.is_missing());
    /// assert_eq!(r.challenge, Challenge::Bearer);
    /// ```
    pub fn missing() -> Self {
        Self::new(FailureReason::Missing, Challenge::Bearer)
    }

    /// Whether no credentials of the strategy's kind were sent.
    ///
    /// ```
    /// use portcullis::authn::strategy::Challenge;
    /// use portcullis::authn::{AuthRejection, FailureReason};
    /// assert!(AuthRejection::missing().is_missing());
    /// assert!(!AuthRejection::new(FailureReason::BadSignature, Challenge::Bearer).is_missing());
    /// ```
    pub fn is_missing(&self) -> bool {
        self.reason == FailureReason::Missing
    }

    /// Logs this rejection at WARN under `portcullis::authn` (reason class and scheme only).
    #[cfg(feature = "authn")]
    pub(crate) fn logged(self) -> Self {
        if !self.is_missing() {
            tracing::warn!(
                target: "portcullis::authn",
                reason = self.reason.as_str(),
                scheme = ?self.challenge,
                "authentication failed"
            );
        }
        self
    }
}

/// The rejection when `store` failed during authentication, logged with its cause: an
/// unavailable store refuses the request (fail closed, 503), any other failure is a 500.
#[cfg(feature = "authn")]
pub(crate) fn store_failed(
    store: &'static str,
    e: &crate::authn::StoreError,
    challenge: Challenge,
) -> AuthRejection {
    let reason = if e.is_unavailable() {
        tracing::warn!(target: "portcullis::authn", reason = FailureReason::Unavailable.as_str(), store, error = %e, "store unavailable; request refused (fail closed)");
        FailureReason::Unavailable
    } else {
        tracing::error!(target: "portcullis::authn", store, error = %e, "store failed");
        FailureReason::Internal
    };
    AuthRejection::new(reason, challenge).logged()
}

impl From<AuthRejection> for Problem {
    fn from(r: AuthRejection) -> Self {
        use http::header::WWW_AUTHENTICATE;
        match (r.reason, r.challenge) {
            (FailureReason::Internal, _) => Problem::internal(),
            (FailureReason::Unavailable, _) => Problem::service_unavailable(1),
            (FailureReason::CsrfMismatch | FailureReason::CrossSite, _) => Problem::forbidden(),
            (FailureReason::Missing, Challenge::Basic) => Problem::unauthorized().with_header(
                WWW_AUTHENTICATE,
                r#"Basic realm="portcullis", charset="UTF-8""#,
            ),
            (FailureReason::Missing, _) => Problem::unauthorized(),
            (_, Challenge::Basic) => Problem::invalid_token().with_header(
                WWW_AUTHENTICATE,
                r#"Basic realm="portcullis", charset="UTF-8""#,
            ),
            _ => Problem::invalid_token(),
        }
    }
}

impl axum::response::IntoResponse for AuthRejection {
    fn into_response(self) -> axum::response::Response {
        Problem::from(self).into_response()
    }
}

/// Turns request parts into a principal `P`. Object-safe: store it as
/// `Arc<dyn Authenticator<P>>` in router state.
///
/// ```
/// use http::request::Parts;
/// use portcullis::authn::strategy::Challenge;
/// use portcullis::authn::{AuthRejection, Authenticator, BoxFuture, FailureReason};
///
/// /// A fixed service key (an illustration: compare real secrets in constant time).
/// struct ServiceKey;
///
/// impl Authenticator<String> for ServiceKey {
///     fn authenticate<'a>(&'a self, parts: &'a mut Parts) -> BoxFuture<'a, Result<String, AuthRejection>> {
///         Box::pin(async move {
///             match parts.headers.get("x-service-key") {
///                 None => Err(AuthRejection::missing()),
///                 Some(k) if k == "s3cret" => Ok("billing".to_owned()),
///                 Some(_) => Err(AuthRejection::new(FailureReason::InvalidCredentials, Challenge::Bearer)),
///             }
///         })
///     }
/// }
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let req = http::Request::get("/").header("x-service-key", "s3cret").body(()).unwrap();
/// let (mut parts, ()) = req.into_parts();
/// assert_eq!(ServiceKey.authenticate(&mut parts).await.unwrap(), "billing");
/// # });
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an authenticator of principal `{P}`",
    note = "use `portcullis::authn::strategy::{{Bearer, Basic, Chain}}` (or `SessionCookie` with feature `session`), or implement `Authenticator<{P}>`; its principal type must be the policy subject type"
)]
pub trait Authenticator<P>: Send + Sync + 'static {
    /// Authenticates the request. `parts` is mutable so a strategy may record what it found
    /// (e.g. the session) in the extensions.
    ///
    /// ```
    /// use portcullis::authn::jwt::{Claims, JwtService};
    /// use portcullis::authn::strategy::{Authenticator, Bearer};
    /// use std::sync::Arc;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let jwt = Arc::new(JwtService::builder().hmac_secret("k1", &[7u8; 32]).build()?);
    /// let bearer = Bearer::new(jwt.clone(), |c: Claims<()>| Ok(c.sub));
    /// let auth = format!("Bearer {}", jwt.sign("u1", ())?);
    /// let (mut parts, ()) = http::Request::get("/").header("authorization", auth).body(())?.into_parts();
    /// let rt = tokio::runtime::Runtime::new()?;
    /// assert_eq!(rt.block_on(bearer.authenticate(&mut parts)).unwrap(), "u1");
    /// # Ok(()) }
    /// ```
    fn authenticate<'a>(&'a self, parts: &'a mut Parts) -> BoxFuture<'a, Result<P, AuthRejection>>;
}

impl<P, A: Authenticator<P> + ?Sized> Authenticator<P> for Arc<A> {
    fn authenticate<'a>(&'a self, parts: &'a mut Parts) -> BoxFuture<'a, Result<P, AuthRejection>> {
        (**self).authenticate(parts)
    }
}

/// Tries strategies in order: the first principal wins; the first rejection other than
/// "missing" stops the chain; if all are missing, the first strategy's "missing" is returned.
///
/// ```
/// use portcullis::authn::jwt::{Claims, JwtService};
/// use portcullis::authn::strategy::{Authenticator, Bearer, Chain};
/// use std::sync::Arc;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let jwt = Arc::new(JwtService::builder().hmac_secret("k1", &[7u8; 32]).build()?);
/// let chain = Chain::new().with(Bearer::new(jwt, |c: Claims<()>| Ok(c.sub)));
/// let (mut parts, ()) = http::Request::get("/").body(())?.into_parts();
/// let rt = tokio::runtime::Runtime::new()?;
/// assert!(rt.block_on(chain.authenticate(&mut parts)).unwrap_err().is_missing());
/// # Ok(()) }
/// ```
pub struct Chain<P> {
    strategies: Vec<Arc<dyn Authenticator<P>>>,
}

impl<P> Default for Chain<P> {
    fn default() -> Self {
        Self {
            strategies: Vec::new(),
        }
    }
}

impl<P: 'static> Chain<P> {
    /// An empty chain (rejects everything as missing).
    ///
    /// ```
    /// use portcullis::authn::Chain;
    /// let chain: Chain<String> = Chain::new();
    /// assert!(chain.is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a strategy.
    ///
    /// ```
    /// use portcullis::authn::jwt::{Claims, JwtService};
    /// use portcullis::authn::strategy::{Bearer, Chain};
    /// use std::sync::Arc;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let jwt = Arc::new(JwtService::builder().hmac_secret("k1", &[7u8; 32]).build()?);
    /// let chain = Chain::new().with(Bearer::new(jwt, |c: Claims<()>| Ok(c.sub)));
    /// assert_eq!(chain.len(), 1);
    /// # Ok(()) }
    /// ```
    pub fn with(mut self, a: impl Authenticator<P>) -> Self {
        self.strategies.push(Arc::new(a));
        self
    }

    /// Appends a shared strategy.
    ///
    /// ```
    /// use portcullis::authn::jwt::{Claims, JwtService};
    /// use portcullis::authn::strategy::{Authenticator, Bearer, Chain};
    /// use std::sync::Arc;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let jwt = Arc::new(JwtService::builder().hmac_secret("k1", &[7u8; 32]).build()?);
    /// let bearer: Arc<dyn Authenticator<String>> = Arc::new(Bearer::new(jwt, |c: Claims<()>| Ok(c.sub)));
    /// let api = Chain::new().with_shared(bearer.clone());
    /// let admin = Chain::new().with_shared(bearer);
    /// assert_eq!(api.len() + admin.len(), 2);
    /// # Ok(()) }
    /// ```
    pub fn with_shared(mut self, a: Arc<dyn Authenticator<P>>) -> Self {
        self.strategies.push(a);
        self
    }

    /// The number of strategies.
    ///
    /// ```
    /// use portcullis::authn::Chain;
    /// assert_eq!(Chain::<String>::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.strategies.len()
    }

    /// Whether the chain has no strategy.
    ///
    /// ```
    /// use portcullis::authn::Chain;
    /// assert!(Chain::<String>::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.strategies.is_empty()
    }
}

impl<P: Send + 'static> Authenticator<P> for Chain<P> {
    fn authenticate<'a>(&'a self, parts: &'a mut Parts) -> BoxFuture<'a, Result<P, AuthRejection>> {
        Box::pin(async move {
            let mut first_missing = None;
            for s in &self.strategies {
                match s.authenticate(parts).await {
                    Ok(p) => return Ok(p),
                    Err(r) if r.is_missing() => {
                        first_missing.get_or_insert(r);
                    }
                    Err(r) => return Err(r),
                }
            }
            Err(first_missing.unwrap_or_else(AuthRejection::missing))
        })
    }
}

/// The credentials of an `Authorization: <scheme> <credentials>` header, if that scheme is used.
/// `Err` when the header is present but unreadable for this scheme.
#[cfg(feature = "authn")]
pub(crate) fn authorization<'p>(parts: &'p Parts, scheme: &str) -> Result<Option<&'p str>, ()> {
    authorization_in(&parts.headers, scheme)
}

/// The token of an `Authorization: Bearer <token>` header, read exactly as the [`Bearer`]
/// strategy reads it (the scheme in any case, one header, one token): for handlers that need
/// the token the guard verified, e.g. to revoke it at logout. `None` when there is no bearer
/// token or the header is malformed.
///
/// ```
/// use portcullis::authn::strategy::bearer_token;
/// let mut headers = http::HeaderMap::new();
/// headers.insert("authorization", "bearer abc.def.ghi".parse().unwrap());
/// assert_eq!(bearer_token(&headers), Some("abc.def.ghi"));
/// headers.insert("authorization", "Basic dTpw".parse().unwrap());
/// assert_eq!(bearer_token(&headers), None);
/// ```
pub fn bearer_token(headers: &http::HeaderMap) -> Option<&str> {
    authorization_in(headers, "Bearer").ok().flatten()
}

fn authorization_in<'h>(headers: &'h http::HeaderMap, scheme: &str) -> Result<Option<&'h str>, ()> {
    let mut values = headers.get_all(http::header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    let Ok(value) = value.to_str() else {
        return Err(());
    };
    let (s, rest) = value.split_once(' ').unwrap_or((value, ""));
    if !s.eq_ignore_ascii_case(scheme) {
        return Ok(None);
    }
    // Two Authorization headers are ambiguous (RFC 9110 §11.6.2 allows one).
    if values.next().is_some() {
        return Err(());
    }
    let creds = rest.trim_matches(' ');
    if creds.is_empty() || creds.contains(' ') {
        return Err(());
    }
    Ok(Some(creds))
}
