//! Sessions on Redis.

use super::{SessionRecord, SessionStore};
use crate::authn::StoreError;
use crate::backend::redis_conn::{KeySpace, RedisConnection};
use crate::model::BoxFuture;
use std::time::Duration;

/// Sessions on Redis: `<prefix>session:<id hash>` holds the JSON record and expires at the
/// absolute timeout; creation is `SET … NX`.
///
/// **Fails closed.** When Redis is down, stalled or failing over, every call answers
/// [`StoreError::Unavailable`] within the connection's timeouts: the cookie strategy refuses
/// the request with a 503 (`Retry-After`), logged at WARN on `portcullis::authn` with reason
/// `store_unavailable`, and a login answers 503 too. No session is trusted without being
/// read. The connection is re-established on its own once Redis answers again (see
/// [`RedisConnection`]). Sessions live in Redis memory: without persistence a Redis restart
/// logs everyone out.
///
/// ```no_run
/// use portcullis::authn::session::{RedisSessionStore, SessionConfig, SessionManager};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
/// let store = RedisSessionStore::connect("redis://127.0.0.1:6379", "myapp:").await?;
/// let sessions = SessionManager::new(store, SessionConfig::default());
/// let s = sessions.login("user-1", None).await?; // key `myapp:session:<sha256 of id>`
/// # let _ = s; Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisSessionStore {
    space: KeySpace,
}

impl std::fmt::Debug for RedisSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.space
            .debug_struct(f, "RedisSessionStore")
            .finish_non_exhaustive()
    }
}

impl RedisSessionStore {
    /// Connects to `url` with the default timeouts (1 s to connect, 500 ms per command) and
    /// checks that it answers: an unreachable server is an error here, naming it (password
    /// redacted). Keys start with `prefix`.
    ///
    /// ```no_run
    /// use portcullis::authn::session::RedisSessionStore;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
    /// let store = RedisSessionStore::connect("redis://127.0.0.1:6379", "myapp:").await?;
    /// # let _ = store; Ok(()) }
    /// ```
    pub async fn connect(url: &str, prefix: impl Into<String>) -> Result<Self, StoreError> {
        Ok(Self::new(RedisConnection::connect(url).await?, prefix))
    }

    /// A store on a [`RedisConnection`] (shared with the other stores, other timeouts, or
    /// [lazy](crate::backend::redis_conn::RedisConnectionBuilder::lazy) to start while Redis is down).
    ///
    /// ```no_run
    /// use portcullis::authn::session::RedisSessionStore;
    /// use portcullis::redis_conn::RedisConnection;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let redis = RedisConnection::connect("redis://127.0.0.1:6379").await?; // shared with the rest of the app
    /// let store = RedisSessionStore::new(redis, "myapp:");
    /// # let _ = store; Ok(()) }
    /// ```
    pub fn new(conn: RedisConnection, prefix: impl Into<String>) -> Self {
        Self {
            space: KeySpace::new(conn, prefix),
        }
    }

    fn key(&self, id_hash: &str) -> String {
        self.space.key(&["session:", id_hash])
    }
}

fn encode(r: &SessionRecord) -> Result<String, StoreError> {
    serde_json::to_string(r).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl SessionStore for RedisSessionStore {
    fn create<'a>(
        &'a self,
        id_hash: &'a str,
        record: &'a SessionRecord,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let ok: Option<String> = self
                .space
                .conn()
                .query(
                    redis::cmd("SET")
                        .arg(self.key(id_hash))
                        .arg(encode(record)?)
                        .arg("NX")
                        .arg("EX")
                        .arg(ttl.as_secs().max(1)),
                )
                .await?;
            Ok(ok.is_some())
        })
    }

    fn get<'a>(
        &'a self,
        id_hash: &'a str,
    ) -> BoxFuture<'a, Result<Option<SessionRecord>, StoreError>> {
        Box::pin(async move {
            let v: Option<String> = self
                .space
                .conn()
                .query(redis::cmd("GET").arg(self.key(id_hash)))
                .await?;
            v.map(|s| serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(e.to_string())))
                .transpose()
        })
    }

    fn touch<'a>(
        &'a self,
        id_hash: &'a str,
        last_seen: i64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let Some(mut r) = self.get(id_hash).await? else {
                return Ok(());
            };
            r.last_seen = last_seen;
            // XX: never resurrect a session deleted meanwhile; KEEPTTL: keep the absolute expiry.
            self.space
                .conn()
                .query::<Option<String>>(
                    redis::cmd("SET")
                        .arg(self.key(id_hash))
                        .arg(encode(&r)?)
                        .arg("XX")
                        .arg("KEEPTTL"),
                )
                .await?;
            Ok(())
        })
    }

    fn delete<'a>(&'a self, id_hash: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            self.space
                .conn()
                .query::<i64>(redis::cmd("DEL").arg(self.key(id_hash)))
                .await?;
            Ok(())
        })
    }

    fn purge_expired(
        &self,
        _idle_before: i64,
        _created_before: i64,
    ) -> BoxFuture<'_, Result<u64, StoreError>> {
        // Keys expire at the absolute timeout; idle sessions are refused on load and deleted.
        Box::pin(async { Ok(0) })
    }
}
