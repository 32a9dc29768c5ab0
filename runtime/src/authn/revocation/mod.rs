//! Token revocation: a deny-list of JWT ids (`jti`) kept until the token would have stopped
//! verifying anyway: its `exp` plus [`REVOCATION_GRACE`] (the largest leeway a
//! [`JwtService`](crate::authn::jwt::JwtService) accepts), so a token past `exp` but still
//! inside the leeway is refused too.
//! [`Bearer::with_revocation`](crate::authn::strategy::Bearer::with_revocation) checks it.
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

use crate::authn::StoreError;
use crate::authn::bounded::ExpiringMap;
use crate::authn::util::now;
use crate::model::BoxFuture;
use std::sync::Mutex;
use std::time::Duration;

/// How long past a token's `exp` its revocation is kept: [`MAX_LEEWAY`], since a token verifies
/// until `exp` plus the service's leeway and the builder refuses a longer leeway.
///
/// [`MAX_LEEWAY`]: crate::authn::jwt::MAX_LEEWAY
///
/// ```
/// use portcullis::authn::jwt::MAX_LEEWAY;
/// use portcullis::authn::revocation::REVOCATION_GRACE;
/// assert_eq!(REVOCATION_GRACE, MAX_LEEWAY); // 5 minutes
/// ```
pub const REVOCATION_GRACE: Duration = crate::authn::jwt::MAX_LEEWAY;

/// [`REVOCATION_GRACE`] in seconds (300: the cast is exact).
pub(crate) const GRACE_SECS: i64 = REVOCATION_GRACE.as_secs() as i64;

/// The last second at which a token with this `exp` may still verify.
pub(crate) fn deny_until(expires_at: i64) -> i64 {
    expires_at.saturating_add(GRACE_SECS)
}

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
    /// Denies `jti` until `expires_at` (seconds since the epoch; the token's `exp`) plus
    /// [`REVOCATION_GRACE`]: a store keeps the entry at least that long. An error means the
    /// revocation was not recorded (report the logout as failed).
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
    /// Whether `jti` is denied (entries more than [`REVOCATION_GRACE`] past their expiry no
    /// longer count).
    ///
    /// ```
    /// use portcullis::authn::revocation::{MemoryRevocationStore, RevocationStore};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
    /// let store = MemoryRevocationStore::new();
    /// assert!(!store.is_revoked("jti-1").await?);
    /// store.revoke("jti-old", 0).await?; // long past its expiry
    /// assert!(!store.is_revoked("jti-old").await?);
    /// # Ok(()) }
    /// ```
    fn is_revoked<'a>(&'a self, jti: &'a str) -> BoxFuture<'a, Result<bool, StoreError>>;
    /// Drops entries more than [`REVOCATION_GRACE`] past their expiry; returns how many went
    /// (0 where the backend expires keys itself).
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

/// An in-process deny-list (single instance, lost on restart), holding at most
/// [`DEFAULT_CAPACITY`](Self::DEFAULT_CAPACITY) (100,000) live revocations unless built
/// [`with_capacity`](Self::with_capacity).
///
/// When full, entries past their expiry (and the grace) make room; a live revocation is never
/// dropped: `revoke` returns [`StoreError::Full`] instead, so the logout reports failure (a
/// 503) rather than silently leaving the token usable.
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
#[derive(Debug)]
pub struct MemoryRevocationStore {
    entries: Mutex<ExpiringMap<()>>,
}

impl Default for MemoryRevocationStore {
    fn default() -> Self {
        Self::new()
    }
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
        Self::with_capacity(Self::DEFAULT_CAPACITY)
    }

    /// The bound [`new`](Self::new) uses: 100,000 revocations.
    pub const DEFAULT_CAPACITY: usize = 100_000;

    /// An empty store holding at most `capacity` live revocations (at least 1).
    ///
    /// ```
    /// use portcullis::authn::StoreError;
    /// use portcullis::authn::revocation::{MemoryRevocationStore, RevocationStore};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), StoreError> {
    /// let store = MemoryRevocationStore::with_capacity(1);
    /// store.revoke("jti-1", i64::MAX).await?;
    /// let err = store.revoke("jti-2", i64::MAX).await.unwrap_err(); // never drops jti-1
    /// assert!(matches!(err, StoreError::Full { .. }));
    /// assert!(store.is_revoked("jti-1").await?);
    /// # Ok(()) }
    /// ```
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(ExpiringMap::new(capacity)),
        }
    }

    /// Revocations held (expired ones included until purged or pushed out).
    ///
    /// ```
    /// use portcullis::authn::revocation::{MemoryRevocationStore, RevocationStore};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
    /// let store = MemoryRevocationStore::new();
    /// store.revoke("jti-1", i64::MAX).await?;
    /// assert_eq!(store.len(), 1);
    /// # Ok(()) }
    /// ```
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no revocation is held.
    ///
    /// ```
    /// use portcullis::authn::revocation::MemoryRevocationStore;
    /// assert!(MemoryRevocationStore::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ExpiringMap<()>> {
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
        let until = deny_until(expires_at);
        let mut map = self.lock();
        let result = match map.make_room(jti, now()) {
            (true, _) => {
                // A second revocation of one jti never shortens the first.
                let until = map.get(jti).map_or(until, |(old, ())| old.max(until));
                map.insert(jti.to_owned(), until, ());
                Ok(())
            }
            (false, _) => Err(StoreError::Full {
                store: "MemoryRevocationStore",
                capacity: map.capacity(),
            }),
        };
        Box::pin(async move { result })
    }

    fn is_revoked<'a>(&'a self, jti: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        let hit = self
            .lock()
            .get(jti)
            .is_some_and(|(until, ())| until >= now());
        Box::pin(async move { Ok(hit) })
    }

    fn purge_expired(&self) -> BoxFuture<'_, Result<u64, StoreError>> {
        let n = self.lock().pop_expired(now()).len() as u64;
        Box::pin(async move { Ok(n) })
    }
}
