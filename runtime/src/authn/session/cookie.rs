//! The session-cookie [`Authenticator`]: cookie → live session → principal, with the CSRF check
//! on unsafe methods.

use super::{SessionManager, SessionRecord, SessionState, SessionStore};
use crate::authn::BoxFuture;
use crate::authn::strategy::{AuthRejection, Authenticator, Challenge, FailureReason};
use http::request::Parts;
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// Longest `Cookie` header value read.
const MAX_COOKIE_HEADER: usize = 8 * 1024;

/// Finds cookie `name` in the request's `Cookie` headers (RFC 6265 §5.4).
pub(crate) fn find_cookie<'h>(headers: &'h http::HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter(|v| v.len() <= MAX_COOKIE_HEADER)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"'))
}

type Mapper<P> = dyn Fn(&SessionRecord) -> Result<P, FailureReason> + Send + Sync;

/// Authenticates by session cookie. On unsafe methods (anything but GET, HEAD, OPTIONS, TRACE)
/// the CSRF header must equal the session's token (compared in constant time). On success the
/// [`SessionRecord`] is also put into the request extensions.
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
///     .header("cookie", format!("id={}", s.id))
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
            let Some(id) = self.sessions.cookie_value(&parts.headers) else {
                return Err(AuthRejection::new(
                    FailureReason::Missing,
                    Challenge::Cookie,
                ));
            };
            if id.is_empty() {
                return Err(AuthRejection::new(
                    FailureReason::Missing,
                    Challenge::Cookie,
                ));
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
