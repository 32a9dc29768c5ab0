//! The Redis-backed deny-list: one key per `jti` that Redis expires at the token's `exp`.

use super::RevocationStore;
use crate::authn::StoreError;
use crate::backend::redis_conn::{KeySpace, RedisConnection};
use crate::model::BoxFuture;

/// A deny-list on Redis, shared by every instance of the application. Keys are
/// `<prefix>revoked:<jti>` and expire with the token (`SET … EXAT`).
///
/// **Fails closed.** When Redis is down, stalled or failing over, [`is_revoked`] answers
/// [`StoreError::Unavailable`] within the connection's timeouts, and the bearer strategy
/// refuses the request with a 503 (`Retry-After`), logged at WARN on `portcullis::authn` with
/// reason `store_unavailable`: a token whose revocation cannot be checked is never accepted.
/// The connection is re-established on its own once Redis answers again (see
/// [`RedisConnection`]).
///
/// **The deny-list lives in Redis memory.** A Redis restarted without persistence (RDB or
/// AOF) has forgotten every revocation: run it with persistence (`appendonly yes`) or keep
/// access tokens short-lived.
///
/// [`is_revoked`]: RevocationStore::is_revoked
///
/// ```no_run
/// use portcullis::authn::revocation::{RedisRevocationStore, RevocationStore};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
/// let store = RedisRevocationStore::connect("redis://127.0.0.1:6379", "myapp:").await?;
/// store.revoke("jti-1", 4_102_444_800).await?; // key `myapp:revoked:jti-1`, gone in 2100
/// assert!(store.is_revoked("jti-1").await?);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisRevocationStore {
    space: KeySpace,
}

impl std::fmt::Debug for RedisRevocationStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.space
            .debug_struct(f, "RedisRevocationStore")
            .finish_non_exhaustive()
    }
}

impl RedisRevocationStore {
    /// Connects to `url` (e.g. `redis://127.0.0.1:6379`) with the default timeouts (1 s to
    /// connect, 500 ms per command) and checks that it answers: an unreachable server is an
    /// error here, naming it (password redacted). Keys start with `prefix`.
    ///
    /// ```no_run
    /// use portcullis::authn::revocation::RedisRevocationStore;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
    /// let store = RedisRevocationStore::connect("redis://127.0.0.1:6379", "myapp:").await?;
    /// # let _ = store; Ok(()) }
    /// ```
    pub async fn connect(url: &str, prefix: impl Into<String>) -> Result<Self, StoreError> {
        Ok(Self::new(RedisConnection::connect(url).await?, prefix))
    }

    /// A store on a [`RedisConnection`] (shared with the other stores, other timeouts, or
    /// [lazy](crate::backend::redis_conn::RedisConnectionBuilder::lazy) to start while Redis is down).
    ///
    /// ```no_run
    /// use portcullis::authn::revocation::RedisRevocationStore;
    /// use portcullis::redis_conn::RedisConnection;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let redis = RedisConnection::builder("redis://127.0.0.1:6379")?
    ///     .response_timeout(std::time::Duration::from_millis(250))
    ///     .connect()
    ///     .await?;
    /// let store = RedisRevocationStore::new(redis, "myapp:");
    /// # let _ = store; Ok(()) }
    /// ```
    pub fn new(conn: RedisConnection, prefix: impl Into<String>) -> Self {
        Self {
            space: KeySpace::new(conn, prefix),
        }
    }

    fn key(&self, jti: &str) -> String {
        self.space.key(&["revoked:", jti])
    }
}

impl RevocationStore for RedisRevocationStore {
    fn revoke<'a>(
        &'a self,
        jti: &'a str,
        expires_at: i64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            self.space
                .conn()
                .query::<()>(
                    redis::cmd("SET")
                        .arg(self.key(jti))
                        .arg(1)
                        .arg("EXAT")
                        .arg(super::deny_until(expires_at).max(1)),
                )
                .await?;
            Ok(())
        })
    }

    fn is_revoked<'a>(&'a self, jti: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let n: i64 = self
                .space
                .conn()
                .query(redis::cmd("EXISTS").arg(self.key(jti)))
                .await?;
            Ok(n > 0)
        })
    }

    fn purge_expired(&self) -> BoxFuture<'_, Result<u64, StoreError>> {
        // Redis drops each key at its EXAT itself.
        Box::pin(async { Ok(0) })
    }
}
