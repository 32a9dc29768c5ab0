//! Token revocation: a deny-list of JWT ids (`jti`) kept until the token would have expired
//! anyway. [`Bearer::with_revocation`](crate::authn::strategy::Bearer::with_revocation) checks it.
//!
//! ```
//! use portcullis::authn::revocation::{MemoryRevocationStore, RevocationStore};
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
//! let store = MemoryRevocationStore::new();
//! store.revoke("token-id", i64::MAX).await?;
//! assert!(store.is_revoked("token-id").await?);
//! # Ok(()) }
//! ```

#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod diesel_store;
#[cfg(feature = "redis")]
mod redis_store;

#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use diesel_store::DieselRevocationStore;
#[cfg(feature = "redis")]
pub use redis_store::RedisRevocationStore;

use crate::authn::util::now;
use crate::authn::{BoxFuture, StoreError};
use std::collections::HashMap;
use std::sync::Mutex;

/// A `jti` deny-list. Object-safe: share it as `Arc<dyn RevocationStore>`.
///
/// ```
/// use portcullis::authn::revocation::{MemoryRevocationStore, RevocationStore};
/// use std::sync::Arc;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
/// let store: Arc<dyn RevocationStore> = Arc::new(MemoryRevocationStore::new());
/// store.revoke("jti-1", i64::MAX).await?;
/// assert!(store.is_revoked("jti-1").await?);
/// # Ok(()) }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a revocation store",
    note = "use `MemoryRevocationStore`, `DieselRevocationStore` or `RedisRevocationStore` (feature `redis`), or implement `portcullis::authn::revocation::RevocationStore`"
)]
pub trait RevocationStore: Send + Sync + 'static {
    /// Denies `jti` until `expires_at` (seconds since the epoch; the token's `exp`).
    ///
    /// ```
    /// use portcullis::authn::jwt::JwtService;
    /// use portcullis::authn::revocation::{MemoryRevocationStore, RevocationStore};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let jwt = JwtService::builder().hmac_secret("k1", &[7u8; 32]).build()?;
    /// # let token = jwt.sign("u1", ())?;
    /// let store = MemoryRevocationStore::new();
    /// // At logout: deny this access token until it would have expired anyway.
    /// let claims = jwt.verify::<()>(&token)?;
    /// store.revoke(claims.jti.as_deref().unwrap(), claims.exp).await?;
    /// assert!(store.is_revoked(claims.jti.as_deref().unwrap()).await?);
    /// # Ok(()) }
    /// ```
    fn revoke<'a>(&'a self, jti: &'a str, expires_at: i64)
    -> BoxFuture<'a, Result<(), StoreError>>;
    /// Whether `jti` is denied (entries past their expiry no longer count).
    ///
    /// ```
    /// use portcullis::authn::revocation::{MemoryRevocationStore, RevocationStore};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
    /// let store = MemoryRevocationStore::new();
    /// assert!(!store.is_revoked("jti-1").await?);
    /// store.revoke("jti-old", 0).await?; // already past its expiry
    /// assert!(!store.is_revoked("jti-old").await?);
    /// # Ok(()) }
    /// ```
    fn is_revoked<'a>(&'a self, jti: &'a str) -> BoxFuture<'a, Result<bool, StoreError>>;
    /// Drops expired entries; returns how many went (0 where the backend expires keys itself).
    ///
    /// ```
    /// use portcullis::authn::revocation::{MemoryRevocationStore, RevocationStore};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
    /// let store = MemoryRevocationStore::new();
    /// store.revoke("jti-old", 0).await?;
    /// store.revoke("jti-live", i64::MAX).await?;
    /// assert_eq!(store.purge_expired().await?, 1);
    /// # Ok(()) }
    /// ```
    fn purge_expired(&self) -> BoxFuture<'_, Result<u64, StoreError>>;
}

/// An in-process deny-list (single instance, lost on restart).
///
/// ```
/// use portcullis::authn::jwt::{Claims, JwtService};
/// use portcullis::authn::revocation::MemoryRevocationStore;
/// use portcullis::authn::strategy::Bearer;
/// use std::sync::Arc;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let jwt = Arc::new(JwtService::builder().hmac_secret("k1", &[7u8; 32]).build()?);
/// let bearer = Bearer::new(jwt, |c: Claims<()>| Ok(c.sub))
///     .with_revocation(Arc::new(MemoryRevocationStore::new()));
/// # let _: &dyn portcullis::authn::Authenticator<String> = &bearer; Ok(()) }
/// ```
#[derive(Debug, Default)]
pub struct MemoryRevocationStore {
    entries: Mutex<HashMap<String, i64>>,
}

impl MemoryRevocationStore {
    /// An empty store.
    ///
    /// ```
    /// use portcullis::authn::revocation::{MemoryRevocationStore, RevocationStore};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
    /// let store = MemoryRevocationStore::new();
    /// assert_eq!(store.purge_expired().await?, 0);
    /// # Ok(()) }
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, i64>> {
        // A panic while holding this lock cannot leave the map inconsistent (single inserts).
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl RevocationStore for MemoryRevocationStore {
    fn revoke<'a>(
        &'a self,
        jti: &'a str,
        expires_at: i64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.lock().insert(jti.to_owned(), expires_at);
        Box::pin(async { Ok(()) })
    }

    fn is_revoked<'a>(&'a self, jti: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        let hit = self.lock().get(jti).is_some_and(|&exp| exp >= now());
        Box::pin(async move { Ok(hit) })
    }

    fn purge_expired(&self) -> BoxFuture<'_, Result<u64, StoreError>> {
        let t = now();
        let mut map = self.lock();
        let before = map.len();
        map.retain(|_, exp| *exp >= t);
        let n = (before - map.len()) as u64;
        Box::pin(async move { Ok(n) })
    }
}
