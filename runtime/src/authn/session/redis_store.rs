//! Sessions on Redis.

use super::{SessionRecord, SessionStore};
use crate::authn::{BoxFuture, StoreError};
use redis::aio::MultiplexedConnection;
use std::time::Duration;

/// Sessions on Redis: `<prefix>session:<id hash>` holds the JSON record and expires at the
/// absolute timeout; creation is `SET … NX`.
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
    conn: MultiplexedConnection,
    prefix: String,
}

impl std::fmt::Debug for RedisSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisSessionStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisSessionStore {
    /// Connects to `url`; keys start with `prefix`.
    ///
    /// ```no_run
    /// use portcullis::authn::session::RedisSessionStore;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
    /// let store = RedisSessionStore::connect("redis://127.0.0.1:6379", "myapp:").await?;
    /// # let _ = store; Ok(()) }
    /// ```
    pub async fn connect(url: &str, prefix: impl Into<String>) -> Result<Self, StoreError> {
        let client = redis::Client::open(url)?;
        let conn = client.get_multiplexed_async_connection().await?;
        Ok(Self::new(conn, prefix))
    }

    /// A store on an existing connection.
    ///
    /// ```no_run
    /// use portcullis::authn::session::RedisSessionStore;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = redis::Client::open("redis://127.0.0.1:6379")?;
    /// let conn = client.get_multiplexed_async_connection().await?; // shared with the rest of the app
    /// let store = RedisSessionStore::new(conn, "myapp:");
    /// # let _ = store; Ok(()) }
    /// ```
    pub fn new(conn: MultiplexedConnection, prefix: impl Into<String>) -> Self {
        Self {
            conn,
            prefix: prefix.into(),
        }
    }

    fn key(&self, id_hash: &str) -> String {
        format!("{}session:{id_hash}", self.prefix)
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
            let mut conn = self.conn.clone();
            let ok: Option<String> = redis::cmd("SET")
                .arg(self.key(id_hash))
                .arg(encode(record)?)
                .arg("NX")
                .arg("EX")
                .arg(ttl.as_secs().max(1))
                .query_async(&mut conn)
                .await?;
            Ok(ok.is_some())
        })
    }

    fn get<'a>(
        &'a self,
        id_hash: &'a str,
    ) -> BoxFuture<'a, Result<Option<SessionRecord>, StoreError>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let v: Option<String> = redis::cmd("GET")
                .arg(self.key(id_hash))
                .query_async(&mut conn)
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
            let mut conn = self.conn.clone();
            // XX: never resurrect a session deleted meanwhile; KEEPTTL: keep the absolute expiry.
            redis::cmd("SET")
                .arg(self.key(id_hash))
                .arg(encode(&r)?)
                .arg("XX")
                .arg("KEEPTTL")
                .query_async::<Option<String>>(&mut conn)
                .await?;
            Ok(())
        })
    }

    fn delete<'a>(&'a self, id_hash: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            redis::cmd("DEL")
                .arg(self.key(id_hash))
                .query_async::<i64>(&mut conn)
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
