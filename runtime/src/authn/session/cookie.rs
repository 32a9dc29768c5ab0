//! The session-cookie [`Authenticator`]: cookie → live session → principal, with the origin
//! and CSRF checks on unsafe methods.

use super::{SessionManager, SessionRecord, SessionState, SessionStore};
use crate::authn::strategy::{AuthRejection, Authenticator, Challenge, FailureReason};
use crate::http::cookies::Lookup;
use crate::http::origin::OriginPolicy;
use crate::model::BoxFuture;
use http::request::Parts;
use std::sync::Arc;
use subtle::ConstantTimeEq;

type Mapper<P> = dyn Fn(&SessionRecord) -> Result<P, FailureReason> + Send + Sync;

/// Authenticates by session cookie. On unsafe methods (anything but GET, HEAD, OPTIONS, TRACE)
/// the request must come from an allowed origin (`Origin` / `Sec-Fetch-Site`, see
/// [`OriginPolicy`]; same origin unless [`Hardening`](crate::http::Hardening) says otherwise),
/// else 403, and the CSRF header must equal the session's token (compared in constant time).
/// A session cookie sent twice is refused (401, reason `duplicate_cookie`) rather than one
/// picked. On success the [`SessionRecord`] is also put into the request extensions.
///
/// ```
/// use portcullis::authn::session::{MemorySessionStore, SessionConfig, SessionCookie, SessionManager, SessionRecord};
/// use portcullis::authn::{Authenticator, FailureReason};
/// use std::sync::Arc;
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let sessions = Arc::new(SessionManager::new(MemorySessionStore::new(), SessionConfig::default()));
/// let auth = SessionCookie::new(sessions.clone(), |r: &SessionRecord| Ok(r.user_id.clone()));
/// let s = sessions.login("alice", None).await.unwrap();
/// let req = http::Request::post("/docs")
///     .header("cookie", format!("__Host-id={}", s.id))
///     .header("x-csrf-token", &s.csrf_token)
///     .body(()).unwrap();
/// let (mut parts, ()) = req.into_parts();
/// assert_eq!(auth.authenticate(&mut parts).await.unwrap(), "alice");
/// # }
/// ```
pub struct SessionCookie<S, P> {
    sessions: Arc<SessionManager<S>>,
    map: Arc<Mapper<P>>,
}

impl<S, P> SessionCookie<S, P> {
    /// A strategy loading sessions with `sessions` and building the principal with `map`.
    ///
    /// ```
    /// use portcullis::authn::FailureReason;
    /// use portcullis::authn::session::{MemorySessionStore, SessionConfig, SessionCookie, SessionManager, SessionRecord};
    /// use std::sync::Arc;
    /// let sessions = Arc::new(SessionManager::new(MemorySessionStore::new(), SessionConfig::default()));
    /// let auth = SessionCookie::new(sessions, |r: &SessionRecord| {
    ///     if r.user_id.is_empty() { Err(FailureReason::UnknownPrincipal) } else { Ok(r.user_id.clone()) }
    /// });
    /// # let _: &dyn portcullis::authn::Authenticator<String> = &auth;
    /// ```
    pub fn new(
        sessions: Arc<SessionManager<S>>,
        map: impl Fn(&SessionRecord) -> Result<P, FailureReason> + Send + Sync + 'static,
    ) -> Self {
        Self {
            sessions,
            map: Arc::new(map),
        }
    }
}

fn reject(reason: FailureReason) -> AuthRejection {
    AuthRejection::new(reason, Challenge::Cookie).logged()
}

fn is_safe(method: &http::Method) -> bool {
    matches!(
        *method,
        http::Method::GET | http::Method::HEAD | http::Method::OPTIONS | http::Method::TRACE
    )
}

impl<S: SessionStore, P: Send + 'static> Authenticator<P> for SessionCookie<S, P> {
    fn authenticate<'a>(&'a self, parts: &'a mut Parts) -> BoxFuture<'a, Result<P, AuthRejection>> {
        Box::pin(async move {
            let id = match self.sessions.lookup(&parts.headers) {
                Lookup::One(id) if !id.is_empty() => id,
                Lookup::Absent | Lookup::One(_) => {
                    return Err(AuthRejection::new(
                        FailureReason::Missing,
                        Challenge::Cookie,
                    ));
                }
                Lookup::Duplicate => return Err(reject(FailureReason::DuplicateCookie)),
            };
            // Before the store is asked: a forged cross-site request costs no lookup.
            if !is_safe(&parts.method) && OriginPolicy::of(parts).check(parts).is_err() {
                return Err(reject(FailureReason::CrossSite));
            }
            let record = match self.sessions.load_state(id).await {
                Ok(Ok(r)) => r,
                Ok(Err(SessionState::Unknown)) => return Err(reject(FailureReason::Revoked)),
                Ok(Err(SessionState::Expired)) => {
                    return Err(reject(FailureReason::SessionExpired));
                }
                // Fail closed: a session that cannot be loaded is not trusted.
                Err(e) => {
                    return Err(crate::authn::strategy::store_failed(
                        "session",
                        &e,
                        Challenge::Cookie,
                    ));
                }
            };
            if !is_safe(&parts.method) {
                let sent = parts
                    .headers
                    .get(&self.sessions.config().csrf_header)
                    .map(|v| v.as_bytes())
                    .unwrap_or_default();
                if !bool::from(sent.ct_eq(record.csrf_token.as_bytes())) {
                    return Err(reject(FailureReason::CsrfMismatch));
                }
            }
            let principal = (self.map)(&record).map_err(reject)?;
            parts.extensions.insert(record);
            Ok(principal)
        })
    }
}
