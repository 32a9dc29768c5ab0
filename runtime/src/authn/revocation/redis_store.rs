//! The Redis-backed deny-list: one key per `jti` that Redis expires at the token's `exp`.

use super::RevocationStore;
use crate::authn::{BoxFuture, StoreError};
use redis::aio::MultiplexedConnection;

/// A deny-list on Redis, shared by every instance of the application. Keys are
/// `<prefix>revoked:<jti>` and expire with the token (`SET … EXAT`).
///
/// ```no_run
/// use portcullis::authn::revocation::{RedisRevocationStore, RevocationStore};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
/// let store = RedisRevocationStore::connect("redis://127.0.0.1:6379", "myapp:").await?;
/// store.revoke("jti-1", i64::MAX).await?; // key `myapp:revoked:jti-1`
/// assert!(store.is_revoked("jti-1").await?);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisRevocationStore {
    conn: MultiplexedConnection,
    prefix: String,
}

impl std::fmt::Debug for RedisRevocationStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisRevocationStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisRevocationStore {
    /// Connects to `url` (e.g. `redis://127.0.0.1:6379`); keys start with `prefix`.
    ///
    /// ```no_run
    /// use portcullis::authn::revocation::RedisRevocationStore;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
    /// let store = RedisRevocationStore::connect("redis://127.0.0.1:6379", "myapp:").await?;
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
    /// use portcullis::authn::revocation::RedisRevocationStore;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = redis::Client::open("redis://127.0.0.1:6379")?;
    /// let conn = client.get_multiplexed_async_connection().await?; // shared with the rest of the app
    /// let store = RedisRevocationStore::new(conn, "myapp:");
    /// # let _ = store; Ok(()) }
    /// ```
    pub fn new(conn: MultiplexedConnection, prefix: impl Into<String>) -> Self {
        Self {
            conn,
            prefix: prefix.into(),
        }
    }

    fn key(&self, jti: &str) -> String {
        format!("{}revoked:{jti}", self.prefix)
    }
}

impl RevocationStore for RedisRevocationStore {
    fn revoke<'a>(
        &'a self,
        jti: &'a str,
        expires_at: i64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            redis::cmd("SET")
                .arg(self.key(jti))
                .arg(1)
                .arg("EXAT")
                .arg(super::deny_until(expires_at).max(1))
                .query_async::<()>(&mut conn)
                .await?;
            Ok(())
        })
    }

    fn is_revoked<'a>(&'a self, jti: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let n: i64 = redis::cmd("EXISTS")
                .arg(self.key(jti))
                .query_async(&mut conn)
                .await?;
            Ok(n > 0)
        })
    }

    fn purge_expired(&self) -> BoxFuture<'_, Result<u64, StoreError>> {
        // Redis drops each key at its EXAT itself.
        Box::pin(async { Ok(0) })
    }
}
