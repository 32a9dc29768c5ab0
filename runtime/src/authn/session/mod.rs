//! Server-side sessions (feature `session`): 256-bit ids from the OS RNG, stored only as
//! SHA-256 hashes; a cookie named `__Host-id` with `Secure; HttpOnly; SameSite=Lax; Path=/` and
//! no `Domain` (the `__Host-` prefix makes browsers refuse one planted by a sibling subdomain
//! or over plain HTTP), refused when sent twice; idle and absolute timeouts; a new id on login
//! and on privilege change (CWE-384); on unsafe methods, an origin check and a synchronizer
//! CSRF token.
//!
//! ```
//! use portcullis::authn::session::{MemorySessionStore, SessionConfig, SessionManager};
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
//! let sessions = SessionManager::new(MemorySessionStore::new(), SessionConfig::default());
//! let s = sessions.login("user-7", None).await?;
//! assert!(s.set_cookie.starts_with("__Host-id="));
//! for attr in ["; Secure", "; HttpOnly", "; SameSite=Lax", "; Path=/"] {
//!     assert!(s.set_cookie.contains(attr));
//! }
//! assert!(!s.set_cookie.contains("Domain"));
//! assert_eq!(sessions.load(&s.id).await?.map(|r| r.user_id), Some("user-7".to_owned()));
//! sessions.logout(&s.id).await?;
//! assert!(sessions.load(&s.id).await?.is_none());
//! # Ok(()) }
//! ```

mod cookie;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod diesel_store;
#[cfg(feature = "redis")]
mod redis_store;
mod stores;

pub use cookie::SessionCookie;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use diesel_store::DieselSessionStore;
#[cfg(feature = "redis")]
pub use redis_store::RedisSessionStore;
pub use stores::MemorySessionStore;

use crate::authn::StoreError;
use crate::authn::util::{self, now};
use crate::model::BoxFuture;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What the server keeps per session.
///
/// ```
/// use portcullis::authn::session::{MemorySessionStore, SessionConfig, SessionManager, SessionRecord};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
/// let sessions = SessionManager::new(MemorySessionStore::new(), SessionConfig::default());
/// let s = sessions.login("u1", None).await?;
/// let record: SessionRecord = sessions.load(&s.id).await?.unwrap();
/// assert_eq!(record.user_id, "u1");
/// assert_eq!(record.csrf_token, s.csrf_token);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// The principal's id.
    pub user_id: String,
    /// The synchronizer CSRF token the client must echo on unsafe methods.
    pub csrf_token: String,
    /// Creation time (seconds since the epoch): the absolute timeout runs from here.
    pub created_at: i64,
    /// Last use (seconds since the epoch): the idle timeout runs from here.
    pub last_seen: i64,
}

/// Persistence for sessions, keyed by the SHA-256 hash of the session id. Object-safe.
///
/// ```
/// use portcullis::authn::session::{MemorySessionStore, SessionConfig, SessionManager, SessionStore};
/// use std::time::Duration;
///
/// fn sessions<S: SessionStore>(store: S) -> SessionManager<S> {
///     SessionManager::new(store, SessionConfig::default().idle_timeout(Duration::from_secs(600)))
/// }
/// let sessions = sessions(MemorySessionStore::new());
/// # let _ = sessions;
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a session store",
    note = "use `MemorySessionStore`, `DieselSessionStore` or `RedisSessionStore` (feature `redis`), or implement `portcullis::authn::session::SessionStore` with a conditional `create`"
)]
pub trait SessionStore: Send + Sync + 'static {
    /// Inserts `record` unless `id_hash` exists (conditional insert); false on a collision.
    /// `ttl` is the absolute timeout, for stores that expire keys themselves.
    ///
    /// ```
    /// use portcullis::authn::session::{MemorySessionStore, SessionRecord, SessionStore};
    /// use std::time::Duration;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
    /// let store = MemorySessionStore::new();
    /// let r = SessionRecord { user_id: "u1".into(), csrf_token: "t".into(), created_at: 0, last_seen: 0 };
    /// assert!(store.create("hash-1", &r, Duration::from_secs(3600)).await?);
    /// assert!(!store.create("hash-1", &r, Duration::from_secs(3600)).await?); // never overwrites
    /// # Ok(()) }
    /// ```
    fn create<'a>(
        &'a self,
        id_hash: &'a str,
        record: &'a SessionRecord,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;
    /// The session, if stored.
    ///
    /// ```
    /// use portcullis::authn::session::{MemorySessionStore, SessionRecord, SessionStore};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
    /// # let store = MemorySessionStore::new();
    /// # let r = SessionRecord { user_id: "u1".into(), csrf_token: "t".into(), created_at: 0, last_seen: 0 };
    /// store.create("hash-1", &r, std::time::Duration::from_secs(3600)).await?;
    /// assert_eq!(store.get("hash-1").await?, Some(r));
    /// assert_eq!(store.get("hash-2").await?, None);
    /// # Ok(()) }
    /// ```
    fn get<'a>(
        &'a self,
        id_hash: &'a str,
    ) -> BoxFuture<'a, Result<Option<SessionRecord>, StoreError>>;
    /// Updates `last_seen`.
    ///
    /// ```
    /// use portcullis::authn::session::{MemorySessionStore, SessionRecord, SessionStore};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
    /// # let store = MemorySessionStore::new();
    /// # let r = SessionRecord { user_id: "u1".into(), csrf_token: "t".into(), created_at: 0, last_seen: 0 };
    /// store.create("hash-1", &r, std::time::Duration::from_secs(3600)).await?;
    /// store.touch("hash-1", 42).await?;
    /// assert_eq!(store.get("hash-1").await?.unwrap().last_seen, 42);
    /// # Ok(()) }
    /// ```
    fn touch<'a>(
        &'a self,
        id_hash: &'a str,
        last_seen: i64,
    ) -> BoxFuture<'a, Result<(), StoreError>>;
    /// Deletes the session.
    ///
    /// ```
    /// use portcullis::authn::session::{MemorySessionStore, SessionRecord, SessionStore};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
    /// # let store = MemorySessionStore::new();
    /// # let r = SessionRecord { user_id: "u1".into(), csrf_token: "t".into(), created_at: 0, last_seen: 0 };
    /// store.create("hash-1", &r, std::time::Duration::from_secs(3600)).await?;
    /// store.delete("hash-1").await?;
    /// assert_eq!(store.get("hash-1").await?, None);
    /// # Ok(()) }
    /// ```
    fn delete<'a>(&'a self, id_hash: &'a str) -> BoxFuture<'a, Result<(), StoreError>>;
    /// Deletes sessions idle since before `idle_before` or created before `created_before`.
    ///
    /// ```
    /// use portcullis::authn::session::{MemorySessionStore, SessionRecord, SessionStore};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
    /// # let store = MemorySessionStore::new();
    /// let old = SessionRecord { user_id: "u1".into(), csrf_token: "t".into(), created_at: 10, last_seen: 10 };
    /// store.create("hash-1", &old, std::time::Duration::from_secs(3600)).await?;
    /// assert_eq!(store.purge_expired(100, 0).await?, 1); // idle since before 100
    /// # Ok(()) }
    /// ```
    fn purge_expired(
        &self,
        idle_before: i64,
        created_before: i64,
    ) -> BoxFuture<'_, Result<u64, StoreError>>;
}

/// Session settings. Defaults: cookie `__Host-id`, 30 min idle, 12 h absolute, `Secure` on,
/// CSRF header `x-csrf-token`.
///
/// ```
/// use portcullis::authn::session::{MemorySessionStore, SessionConfig, SessionManager};
/// use std::time::Duration;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
/// let config = SessionConfig::default().cookie_name("sid").idle_timeout(Duration::from_secs(15 * 60));
/// let sessions = SessionManager::new(MemorySessionStore::new(), config);
/// let s = sessions.login("u1", None).await?;
/// assert!(s.set_cookie.starts_with("sid="));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SessionConfig {
    cookie_name: String,
    idle: Duration,
    absolute: Duration,
    secure: bool,
    csrf_header: http::HeaderName,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            cookie_name: DEFAULT_COOKIE_NAME.to_owned(),
            idle: Duration::from_secs(30 * 60),
            absolute: Duration::from_secs(12 * 3600),
            secure: true,
            csrf_header: http::HeaderName::from_static("x-csrf-token"),
        }
    }
}

static INSECURE_WARNED: std::sync::Once = std::sync::Once::new();

/// The default session cookie name: generic, and `__Host-` so that only this host, over
/// HTTPS, with `Path=/`, can set it.
pub const DEFAULT_COOKIE_NAME: &str = "__Host-id";

/// Cookie name prefixes browsers honour only on `Secure` cookies.
const SECURE_PREFIXES: [&str; 2] = ["__Host-", "__Secure-"];

impl SessionConfig {
    /// The cookie name (keep it generic: it should not reveal the framework; keep the
    /// `__Host-` prefix so no other host can set it). Only letters, digits, `-` and `_` are
    /// kept.
    ///
    /// ```
    /// use portcullis::authn::session::{MemorySessionStore, SessionConfig, SessionManager};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
    /// let config = SessionConfig::default().cookie_name("s id;"); // unsafe characters are dropped
    /// let s = SessionManager::new(MemorySessionStore::new(), config).login("u1", None).await?;
    /// assert!(s.set_cookie.starts_with("sid="));
    /// # Ok(()) }
    /// ```
    pub fn cookie_name(mut self, name: &str) -> Self {
        let clean: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        if !clean.is_empty() {
            self.cookie_name = clean;
        }
        self
    }

    /// The idle timeout.
    ///
    /// ```
    /// use portcullis::authn::session::SessionConfig;
    /// use std::time::Duration;
    /// let config = SessionConfig::default().idle_timeout(Duration::from_secs(5 * 60));
    /// # let _ = config;
    /// ```
    pub fn idle_timeout(mut self, d: Duration) -> Self {
        self.idle = d;
        self
    }

    /// The absolute timeout.
    ///
    /// ```
    /// use portcullis::authn::session::{MemorySessionStore, SessionConfig, SessionManager};
    /// use std::time::Duration;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
    /// let config = SessionConfig::default().absolute_timeout(Duration::from_secs(3600));
    /// let s = SessionManager::new(MemorySessionStore::new(), config).login("u1", None).await?;
    /// assert!(s.set_cookie.contains("Max-Age=3600"));
    /// # Ok(()) }
    /// ```
    pub fn absolute_timeout(mut self, d: Duration) -> Self {
        self.absolute = d;
        self
    }

    /// The request header carrying the CSRF token.
    ///
    /// ```
    /// use portcullis::authn::session::SessionConfig;
    /// let config = SessionConfig::default().csrf_header(http::HeaderName::from_static("x-xsrf-token"));
    /// # let _ = config;
    /// ```
    pub fn csrf_header(mut self, name: http::HeaderName) -> Self {
        self.csrf_header = name;
        self
    }

    /// Drops `Secure` from the cookie, for plain-HTTP local development only. Logged once at
    /// WARN. A `__Host-` or `__Secure-` prefix is then dropped from the name too: browsers
    /// refuse such a cookie without `Secure`.
    ///
    /// ```
    /// use portcullis::authn::session::{MemorySessionStore, SessionConfig, SessionManager};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
    /// let dev = cfg!(debug_assertions);
    /// let config = if dev { SessionConfig::default().insecure_cookie() } else { SessionConfig::default() };
    /// let s = SessionManager::new(MemorySessionStore::new(), config).login("u1", None).await?;
    /// assert_eq!(s.set_cookie.contains("Secure"), !dev);
    /// assert_eq!(s.set_cookie.starts_with("__Host-id="), !dev);
    /// # Ok(()) }
    /// ```
    pub fn insecure_cookie(mut self) -> Self {
        INSECURE_WARNED.call_once(|| {
            tracing::warn!(target: "portcullis::authn", reason = "insecure_cookie", "session cookie without `Secure`: for local development only");
        });
        self.secure = false;
        self
    }
}

/// A session just created: send `set_cookie` as `Set-Cookie` and `csrf_token` to the page.
///
/// ```
/// use portcullis::authn::session::{MemorySessionStore, SessionConfig, SessionManager};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let sessions = SessionManager::new(MemorySessionStore::new(), SessionConfig::default());
/// let s = sessions.login("u1", None).await?;
/// let res = http::Response::builder().header(http::header::SET_COOKIE, &s.set_cookie).body(s.csrf_token.clone())?;
/// assert_eq!(format!("{s:?}"), "NewSession(<redacted>)");
/// # let _ = res; Ok(()) }
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct NewSession {
    /// The session id (the cookie value).
    pub id: String,
    /// The CSRF token.
    pub csrf_token: String,
    /// The `Set-Cookie` header value.
    pub set_cookie: String,
}

impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewSession(<redacted>)")
    }
}

/// Why a session cookie did not yield a live session.
///
/// ```
/// use portcullis::authn::session::{MemorySessionStore, SessionConfig, SessionManager, SessionState};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
/// let sessions = SessionManager::new(MemorySessionStore::new(), SessionConfig::default());
/// let state = sessions.load_state("no-such-session-0123456789").await?;
/// assert_eq!(state, Err(SessionState::Unknown));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// No such session (never existed, logged out, rotated away, purged).
    Unknown,
    /// Past its idle or absolute timeout (now deleted).
    Expired,
}

/// Creates, loads, rotates and ends sessions on a [`SessionStore`].
///
/// ```
/// use portcullis::authn::session::{MemorySessionStore, SessionConfig, SessionManager};
/// use std::sync::Arc;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
/// let sessions = Arc::new(SessionManager::new(MemorySessionStore::new(), SessionConfig::default()));
/// let s = sessions.login("u1", None).await?;
/// assert!(sessions.load(&s.id).await?.is_some());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SessionManager<S> {
    store: S,
    config: SessionConfig,
}

fn rng(e: getrandom::Error) -> StoreError {
    StoreError::Rng(e)
}

impl<S: SessionStore> SessionManager<S> {
    /// A manager over `store`.
    ///
    /// ```
    /// use portcullis::authn::session::{MemorySessionStore, SessionConfig, SessionManager};
    /// let sessions = SessionManager::new(MemorySessionStore::new(), SessionConfig::default());
    /// # let _ = sessions;
    /// ```
    pub fn new(store: S, config: SessionConfig) -> Self {
        Self { store, config }
    }

    /// The settings.
    ///
    /// ```
    /// use portcullis::authn::session::{MemorySessionStore, SessionConfig, SessionManager};
    /// let sessions = SessionManager::new(MemorySessionStore::new(), SessionConfig::default().cookie_name("sid"));
    /// // a second manager with the same settings, e.g. over another store
    /// let other = SessionManager::new(MemorySessionStore::new(), sessions.config().clone());
    /// # let _ = other;
    /// ```
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// The store.
    ///
    /// ```
    /// use portcullis::authn::session::{MemorySessionStore, SessionConfig, SessionManager, SessionStore};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
    /// let sessions = SessionManager::new(MemorySessionStore::new(), SessionConfig::default());
    /// assert_eq!(sessions.store().get("no-such-hash").await?, None);
    /// # Ok(()) }
    /// ```
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Starts a session for `user_id` with a fresh id (never the one the client sent: session
    /// fixation). The `previous` session, if any, is deleted.
    ///
    /// ```
    /// use portcullis::authn::session::{MemorySessionStore, SessionConfig, SessionManager};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
    /// let sessions = SessionManager::new(MemorySessionStore::new(), SessionConfig::default());
    /// let guest = sessions.login("guest", None).await?;
    /// let user = sessions.login("u1", Some(&guest.id)).await?; // fresh id, the old one is gone
    /// assert_ne!(user.id, guest.id);
    /// assert!(sessions.load(&guest.id).await?.is_none());
    /// # Ok(()) }
    /// ```
    pub async fn login(
        &self,
        user_id: &str,
        previous: Option<&str>,
    ) -> Result<NewSession, StoreError> {
        if let Some(old) = previous.filter(|o| util::is_token_shaped(o)) {
            self.store.delete(&util::sha256_hex(old)).await?;
        }
        let t = now();
        let record = SessionRecord {
            user_id: user_id.to_owned(),
            csrf_token: util::random_token().map_err(rng)?,
            created_at: t,
            last_seen: t,
        };
        // A collision of 256-bit random ids does not happen; the conditional insert makes
        // sure one could never overwrite another user's session.
        for _ in 0..3 {
            let id = util::random_token().map_err(rng)?;
            if self
                .store
                .create(&util::sha256_hex(&id), &record, self.config.absolute)
                .await?
            {
                return Ok(NewSession {
                    set_cookie: self.cookie(&id, self.config.absolute.as_secs()),
                    id,
                    csrf_token: record.csrf_token,
                });
            }
        }
        Err(StoreError::Corrupt(
            "session id collided three times".to_owned(),
        ))
    }

    /// A new id (and CSRF token) for the same user, e.g. after a privilege change; the old
    /// id stops working. `None` if `id` is not a live session.
    ///
    /// ```
    /// use portcullis::authn::session::{MemorySessionStore, SessionConfig, SessionManager};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
    /// let sessions = SessionManager::new(MemorySessionStore::new(), SessionConfig::default());
    /// let s = sessions.login("u1", None).await?;
    /// let elevated = sessions.rotate(&s.id).await?.unwrap(); // e.g. after re-entering the password
    /// assert!(sessions.load(&s.id).await?.is_none());
    /// assert_eq!(sessions.load(&elevated.id).await?.unwrap().user_id, "u1");
    /// # Ok(()) }
    /// ```
    pub async fn rotate(&self, id: &str) -> Result<Option<NewSession>, StoreError> {
        match self.load(id).await? {
            Some(r) => Ok(Some(self.login(&r.user_id, Some(id)).await?)),
            None => Ok(None),
        }
    }

    /// The live session for `id`, refreshing its idle timer; `None` if unknown or expired.
    ///
    /// ```
    /// use portcullis::authn::session::{MemorySessionStore, SessionConfig, SessionManager};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
    /// let sessions = SessionManager::new(MemorySessionStore::new(), SessionConfig::default());
    /// let s = sessions.login("u1", None).await?;
    /// assert_eq!(sessions.load(&s.id).await?.unwrap().user_id, "u1");
    /// assert!(sessions.load("forged").await?.is_none());
    /// # Ok(()) }
    /// ```
    pub async fn load(&self, id: &str) -> Result<Option<SessionRecord>, StoreError> {
        self.load_state(id).await.map(Result::ok)
    }

    /// Like [`load`](Self::load), saying why there is no session.
    ///
    /// ```
    /// use portcullis::authn::session::{MemorySessionStore, SessionConfig, SessionManager, SessionState};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
    /// let sessions = SessionManager::new(MemorySessionStore::new(), SessionConfig::default());
    /// let s = sessions.login("u1", None).await?;
    /// assert!(sessions.load_state(&s.id).await?.is_ok());
    /// sessions.logout(&s.id).await?;
    /// assert_eq!(sessions.load_state(&s.id).await?, Err(SessionState::Unknown));
    /// # Ok(()) }
    /// ```
    pub async fn load_state(
        &self,
        id: &str,
    ) -> Result<Result<SessionRecord, SessionState>, StoreError> {
        if !util::is_token_shaped(id) {
            return Ok(Err(SessionState::Unknown));
        }
        let hash = util::sha256_hex(id);
        let Some(mut r) = self.store.get(&hash).await? else {
            return Ok(Err(SessionState::Unknown));
        };
        let t = now();
        let idle = i64::try_from(self.config.idle.as_secs()).unwrap_or(i64::MAX);
        let absolute = i64::try_from(self.config.absolute.as_secs()).unwrap_or(i64::MAX);
        if t.saturating_sub(r.last_seen) > idle || t.saturating_sub(r.created_at) > absolute {
            self.store.delete(&hash).await?;
            return Ok(Err(SessionState::Expired));
        }
        if r.last_seen != t {
            self.store.touch(&hash, t).await?;
            r.last_seen = t;
        }
        Ok(Ok(r))
    }

    /// Deletes the session server-side; returns the `Set-Cookie` value that clears the cookie.
    ///
    /// ```
    /// use portcullis::authn::session::{MemorySessionStore, SessionConfig, SessionManager};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
    /// let sessions = SessionManager::new(MemorySessionStore::new(), SessionConfig::default());
    /// let s = sessions.login("u1", None).await?;
    /// let clear = sessions.logout(&s.id).await?; // send as `Set-Cookie`
    /// assert!(clear.starts_with("__Host-id=;") && clear.contains("Max-Age=0"));
    /// # Ok(()) }
    /// ```
    pub async fn logout(&self, id: &str) -> Result<String, StoreError> {
        if util::is_token_shaped(id) {
            self.store.delete(&util::sha256_hex(id)).await?;
        }
        Ok(self.cookie("", 0))
    }

    /// Deletes sessions past either timeout.
    ///
    /// ```
    /// use portcullis::authn::session::{MemorySessionStore, SessionConfig, SessionManager};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
    /// let sessions = SessionManager::new(MemorySessionStore::new(), SessionConfig::default());
    /// sessions.login("u1", None).await?;
    /// assert_eq!(sessions.purge_expired().await?, 0); // the new session is live
    /// # Ok(()) }
    /// ```
    pub async fn purge_expired(&self) -> Result<u64, StoreError> {
        let t = now();
        let idle = i64::try_from(self.config.idle.as_secs()).unwrap_or(i64::MAX);
        let absolute = i64::try_from(self.config.absolute.as_secs()).unwrap_or(i64::MAX);
        self.store
            .purge_expired(t.saturating_sub(idle), t.saturating_sub(absolute))
            .await
    }

    /// The name the cookie is set and read under (see [`SessionConfig::insecure_cookie`]).
    fn cookie_name(&self) -> &str {
        let name = self.config.cookie_name.as_str();
        if self.config.secure {
            return name;
        }
        SECURE_PREFIXES
            .iter()
            .find_map(|p| name.strip_prefix(p))
            .filter(|rest| !rest.is_empty())
            .unwrap_or(name)
    }

    fn cookie(&self, value: &str, max_age: u64) -> String {
        let max_age = i64::try_from(max_age).unwrap_or(i64::MAX);
        ::cookie::Cookie::build((self.cookie_name(), value))
            .path("/")
            .max_age(::cookie::time::Duration::seconds(max_age))
            .secure(self.config.secure)
            .http_only(true)
            .same_site(::cookie::SameSite::Lax)
            .to_string()
    }

    /// The session id from the request's `Cookie` headers, if sent exactly once (`None` when
    /// the cookie is sent twice: which one is genuine cannot be told).
    ///
    /// ```
    /// use portcullis::authn::session::{MemorySessionStore, SessionConfig, SessionManager};
    /// let sessions = SessionManager::new(MemorySessionStore::new(), SessionConfig::default());
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert(http::header::COOKIE, "theme=dark; __Host-id=abc".parse().unwrap());
    /// assert_eq!(sessions.cookie_value(&headers), Some("abc"));
    /// headers.append(http::header::COOKIE, "__Host-id=planted".parse().unwrap());
    /// assert_eq!(sessions.cookie_value(&headers), None);
    /// ```
    pub fn cookie_value<'p>(&self, headers: &'p http::HeaderMap) -> Option<&'p str> {
        match self.lookup(headers) {
            crate::http::cookies::Lookup::One(v) => Some(v),
            _ => None,
        }
    }

    pub(crate) fn lookup<'p>(
        &self,
        headers: &'p http::HeaderMap,
    ) -> crate::http::cookies::Lookup<'p> {
        crate::http::cookies::lookup(headers, self.cookie_name())
    }
}
