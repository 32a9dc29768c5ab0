//! Refresh tokens: opaque 256-bit random strings, stored only as SHA-256 hashes with their user,
//! family and expiry, rotated on every use.
//!
//! Each login starts a *family*. Rotating a token marks it used (a conditional update, so of
//! concurrent rotations exactly one wins) and issues the next token of the family. Presenting a
//! token that was already rotated means two parties hold it — the family is revoked, and every
//! token of it stops working (theft detection, RFC 9700 §4.14.2). Logout revokes the family.
//!
//! Concurrent rotations of one token follow the same rule: one caller wins the conditional
//! update, the others present a token that is now rotated, and the family is revoked. A client
//! must therefore serialise its refreshes (one in flight at a time); two parallel refreshes
//! with the same token log the user out, which is the safe reading of "two holders".
//!
//! ```
//! use portcullis::authn::refresh::{MemoryRefreshStore, RefreshService};
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::refresh::RefreshError> {
//! let refresh = RefreshService::new(MemoryRefreshStore::new());
//! let first = refresh.issue("user-1").await?;
//! let second = refresh.rotate(&first.token).await?;
//! assert_eq!(second.user_id, "user-1");
//! assert!(refresh.rotate(&first.token).await.is_err()); // reuse: the family is revoked
//! assert!(refresh.rotate(&second.token).await.is_err());
//! # Ok(()) }
//! ```

#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod diesel_store;

#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use diesel_store::DieselRefreshStore;

mod memory;

pub use memory::MemoryRefreshStore;

use crate::authn::StoreError;
use crate::authn::strategy::FailureReason;
use crate::authn::util::{self, now};
use crate::http::problem::Problem;
use crate::model::BoxFuture;
use std::time::Duration;

/// What a store found when asked to rotate a token.
///
/// ```
/// use portcullis::authn::refresh::{MemoryRefreshStore, RefreshStore, RotateOutcome};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
/// let store = MemoryRefreshStore::new();
/// store.create_family("fam-1", "u1", "hash-a", i64::MAX).await?;
/// let first = store.rotate("hash-a", "hash-b", 4_000_000_000, i64::MAX).await?;
/// assert_eq!(first, RotateOutcome::Rotated {
///     user_id: "u1".into(),
///     family_id: "fam-1".into(),
///     expires_at: 4_000_000_000,
/// });
/// let again = store.rotate("hash-a", "hash-c", 4_000_000_000, i64::MAX).await?;
/// assert_eq!(again, RotateOutcome::Reused { family_id: "fam-1".into() });
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RotateOutcome {
    /// The token was live and is now used; the new token was stored in the same family.
    Rotated {
        /// The token's user.
        user_id: String,
        /// The token's family.
        family_id: String,
        /// The new token's expiry: the one asked for, or the family's end if that is earlier.
        expires_at: i64,
    },
    /// The token had been rotated before: its family has now been revoked.
    Reused {
        /// The revoked family.
        family_id: String,
    },
    /// The token's family was revoked (logout or earlier reuse).
    Revoked,
    /// The token is past its expiry, or its family past its maximum age.
    Expired,
    /// No such token.
    Unknown,
}

/// Persistence for refresh tokens. Object-safe. `rotate` must be atomic with respect to
/// concurrent calls for the same token: exactly one of them may see `Rotated`.
///
/// ```
/// use portcullis::authn::refresh::{MemoryRefreshStore, RefreshService, RefreshStore};
///
/// async fn login<S: RefreshStore>(refresh: &RefreshService<S>, user: &str) -> String {
///     refresh.issue(user).await.unwrap().token
/// }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let token = login(&RefreshService::new(MemoryRefreshStore::new()), "u1").await;
/// assert_eq!(token.len(), 43);
/// # }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a refresh-token store",
    note = "use `MemoryRefreshStore` or `DieselRefreshStore`, or implement `portcullis::authn::refresh::RefreshStore` with an atomic (conditional) `rotate`"
)]
pub trait RefreshStore: Send + Sync + 'static {
    /// Starts a family for `user_id` holding its first token.
    ///
    /// ```
    /// use portcullis::authn::refresh::{MemoryRefreshStore, RefreshStore};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
    /// let store = MemoryRefreshStore::new();
    /// store.create_family("fam-1", "u1", "sha256-of-token", i64::MAX).await?;
    /// assert!(store.revoke_family_of("sha256-of-token").await?);
    /// # Ok(()) }
    /// ```
    fn create_family<'a>(
        &'a self,
        family_id: &'a str,
        user_id: &'a str,
        token_hash: &'a str,
        expires_at: i64,
    ) -> BoxFuture<'a, Result<(), StoreError>>;
    /// Marks `old_hash` used if it is unused and its family live (conditionally), and stores
    /// `new_hash` in its family, expiring at `new_expires_at` or when the family turns
    /// `max_family_age` seconds old, whichever comes first. A family that old is `Expired`.
    ///
    /// ```
    /// use portcullis::authn::refresh::{MemoryRefreshStore, RefreshStore, RotateOutcome};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
    /// let store = MemoryRefreshStore::new();
    /// store.create_family("fam-1", "u1", "a", i64::MAX).await?;
    /// assert!(matches!(store.rotate("a", "b", i64::MAX, 3600).await?, RotateOutcome::Rotated { .. }));
    /// assert_eq!(store.rotate("unknown", "c", i64::MAX, 3600).await?, RotateOutcome::Unknown);
    /// // A family may not outlive its maximum age, however often it is rotated.
    /// store.create_family("fam-2", "u1", "x", i64::MAX).await?;
    /// assert_eq!(store.rotate("x", "y", i64::MAX, 0).await?, RotateOutcome::Expired);
    /// # Ok(()) }
    /// ```
    fn rotate<'a>(
        &'a self,
        old_hash: &'a str,
        new_hash: &'a str,
        new_expires_at: i64,
        max_family_age: i64,
    ) -> BoxFuture<'a, Result<RotateOutcome, StoreError>>;
    /// Revokes the family holding `token_hash`; false when there is no such token.
    ///
    /// ```
    /// use portcullis::authn::refresh::{MemoryRefreshStore, RefreshStore, RotateOutcome};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
    /// let store = MemoryRefreshStore::new();
    /// store.create_family("fam-1", "u1", "a", i64::MAX).await?;
    /// assert!(store.revoke_family_of("a").await?);
    /// assert_eq!(store.rotate("a", "b", i64::MAX, 3600).await?, RotateOutcome::Revoked);
    /// assert!(!store.revoke_family_of("unknown").await?);
    /// # Ok(()) }
    /// ```
    fn revoke_family_of<'a>(
        &'a self,
        token_hash: &'a str,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;
    /// Revokes every family of `user_id` (e.g. after a password change); returns how many.
    ///
    /// ```
    /// use portcullis::authn::refresh::{MemoryRefreshStore, RefreshStore};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
    /// let store = MemoryRefreshStore::new();
    /// store.create_family("laptop", "u1", "a", i64::MAX).await?;
    /// store.create_family("phone", "u1", "b", i64::MAX).await?;
    /// assert_eq!(store.revoke_user("u1").await?, 2);
    /// # Ok(()) }
    /// ```
    fn revoke_user<'a>(&'a self, user_id: &'a str) -> BoxFuture<'a, Result<u64, StoreError>>;
    /// Deletes tokens past their expiry, and families left without tokens.
    ///
    /// ```
    /// use portcullis::authn::refresh::{MemoryRefreshStore, RefreshStore};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
    /// let store = MemoryRefreshStore::new();
    /// store.create_family("fam-1", "u1", "old", 0).await?; // expired in 1970
    /// store.create_family("fam-2", "u1", "new", i64::MAX).await?;
    /// assert_eq!(store.purge_expired().await?, 1);
    /// # Ok(()) }
    /// ```
    fn purge_expired(&self) -> BoxFuture<'_, Result<u64, StoreError>>;
}

/// A refresh failure.
///
/// ```
/// use portcullis::authn::FailureReason;
/// use portcullis::authn::refresh::{MemoryRefreshStore, RefreshError, RefreshService};
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let refresh = RefreshService::new(MemoryRefreshStore::new());
/// let err = refresh.rotate("no-such-token-0123456789").await.unwrap_err();
/// assert!(matches!(err, RefreshError::Rejected(FailureReason::InvalidCredentials)));
/// let problem = portcullis::Problem::from(err);
/// assert_eq!(problem.status(), http::StatusCode::UNAUTHORIZED);
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RefreshError {
    /// The token was refused (unknown, expired, revoked, reused, malformed).
    #[error("refresh token rejected: {0}")]
    Rejected(FailureReason),
    /// The store or the OS RNG failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<RefreshError> for Problem {
    fn from(e: RefreshError) -> Self {
        match e {
            RefreshError::Rejected(_) => Problem::invalid_token(),
            RefreshError::Store(s) => s.into(),
        }
    }
}

/// A newly issued refresh token. `token` is the only copy of the secret: send it to the client.
///
/// ```
/// use portcullis::authn::refresh::{MemoryRefreshStore, RefreshService};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::refresh::RefreshError> {
/// let refresh = RefreshService::new(MemoryRefreshStore::new());
/// let issued = refresh.issue("u1").await?;
/// assert_eq!(issued.token.len(), 43);
/// assert!(format!("{issued:?}").contains("<redacted>")); // the secret never reaches logs
/// # Ok(()) }
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedRefresh {
    /// The opaque token (43 URL-safe characters, 256 bits).
    pub token: String,
    /// Its user.
    pub user_id: String,
    /// Its family.
    pub family_id: String,
    /// Its expiry, seconds since the epoch.
    pub expires_at: i64,
}

impl std::fmt::Debug for IssuedRefresh {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedRefresh")
            .field("token", &"<redacted>")
            .field("user_id", &self.user_id)
            .field("family_id", &self.family_id)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Issues, rotates and revokes refresh tokens on a [`RefreshStore`].
///
/// ```
/// use portcullis::authn::refresh::{MemoryRefreshStore, RefreshService};
/// use std::time::Duration;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::refresh::RefreshError> {
/// let refresh = RefreshService::new(MemoryRefreshStore::new()).ttl(Duration::from_secs(7 * 24 * 3600));
/// let first = refresh.issue("u1").await?;
/// let next = refresh.rotate(&first.token).await?;
/// assert_eq!(next.family_id, first.family_id);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct RefreshService<S> {
    store: S,
    ttl: Duration,
    max_lifetime: Duration,
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

fn rng_error(e: getrandom::Error) -> RefreshError {
    RefreshError::Store(StoreError::Rng(e))
}

fn rejected(reason: FailureReason) -> RefreshError {
    tracing::warn!(target: "portcullis::authn", reason = reason.as_str(), "refresh token rejected");
    RefreshError::Rejected(reason)
}

impl<S: RefreshStore> RefreshService<S> {
    /// A service with a 30-day token lifetime and a 90-day family lifetime.
    ///
    /// ```
    /// use portcullis::authn::refresh::{MemoryRefreshStore, RefreshService};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::refresh::RefreshError> {
    /// let refresh = RefreshService::new(MemoryRefreshStore::new());
    /// let issued = refresh.issue("u1").await?;
    /// let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    /// assert!(issued.expires_at >= now + 30 * 24 * 3600 - 5); // 30 days
    /// # Ok(()) }
    /// ```
    pub fn new(store: S) -> Self {
        Self {
            store,
            ttl: Duration::from_secs(30 * 24 * 3600),
            max_lifetime: Duration::from_secs(90 * 24 * 3600),
        }
    }

    /// Sets the lifetime of each token (each rotation starts a new lifetime).
    ///
    /// ```
    /// use portcullis::authn::refresh::{MemoryRefreshStore, RefreshService};
    /// use std::time::Duration;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::refresh::RefreshError> {
    /// let refresh = RefreshService::new(MemoryRefreshStore::new()).ttl(Duration::from_secs(3600));
    /// let issued = refresh.issue("u1").await?;
    /// let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    /// assert!(issued.expires_at <= now + 3600);
    /// # Ok(()) }
    /// ```
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Sets the absolute lifetime of a family (a login): rotation never extends a token past
    /// it, so a stolen refresh token cannot keep a session alive forever (ASVS 7.3.2).
    ///
    /// ```
    /// use portcullis::authn::refresh::{MemoryRefreshStore, RefreshService};
    /// use std::time::Duration;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::refresh::RefreshError> {
    /// let refresh = RefreshService::new(MemoryRefreshStore::new())
    ///     .ttl(Duration::from_secs(30 * 24 * 3600))
    ///     .max_lifetime(Duration::from_secs(24 * 3600));
    /// let first = refresh.issue("u1").await?;
    /// let next = refresh.rotate(&first.token).await?;
    /// assert!(next.expires_at <= first.expires_at); // capped at the family's end
    /// # Ok(()) }
    /// ```
    pub fn max_lifetime(mut self, max_lifetime: Duration) -> Self {
        self.max_lifetime = max_lifetime;
        self
    }

    /// The store.
    ///
    /// ```
    /// use portcullis::authn::refresh::{MemoryRefreshStore, RefreshService, RefreshStore};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
    /// let refresh = RefreshService::new(MemoryRefreshStore::new());
    /// // e.g. from a periodic cleanup task
    /// assert_eq!(refresh.store().purge_expired().await?, 0);
    /// # Ok(()) }
    /// ```
    pub fn store(&self) -> &S {
        &self.store
    }

    fn expiry(&self) -> i64 {
        now().saturating_add(secs(self.ttl.min(self.max_lifetime)))
    }

    /// Starts a new family for `user_id` (at login) and returns its first token.
    ///
    /// ```
    /// use portcullis::authn::refresh::{MemoryRefreshStore, RefreshService};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::refresh::RefreshError> {
    /// let refresh = RefreshService::new(MemoryRefreshStore::new());
    /// let laptop = refresh.issue("u1").await?;
    /// let phone = refresh.issue("u1").await?;
    /// assert_ne!(laptop.family_id, phone.family_id); // one family per login
    /// # Ok(()) }
    /// ```
    pub async fn issue(&self, user_id: &str) -> Result<IssuedRefresh, RefreshError> {
        let token = util::random_token().map_err(rng_error)?;
        let family_id = util::random_token().map_err(rng_error)?;
        let expires_at = self.expiry();
        self.store
            .create_family(&family_id, user_id, &util::sha256_hex(&token), expires_at)
            .await?;
        Ok(IssuedRefresh {
            token,
            user_id: user_id.to_owned(),
            family_id,
            expires_at,
        })
    }

    /// Exchanges `token` for the next token of its family. A reused token revokes the family.
    ///
    /// ```
    /// use portcullis::authn::refresh::{MemoryRefreshStore, RefreshService};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::refresh::RefreshError> {
    /// let refresh = RefreshService::new(MemoryRefreshStore::new());
    /// let first = refresh.issue("u1").await?;
    /// let second = refresh.rotate(&first.token).await?;
    /// assert_ne!(second.token, first.token);
    /// assert!(refresh.rotate(&first.token).await.is_err()); // reuse revokes the family
    /// # Ok(()) }
    /// ```
    pub async fn rotate(&self, token: &str) -> Result<IssuedRefresh, RefreshError> {
        if !util::is_token_shaped(token) {
            return Err(rejected(FailureReason::Malformed));
        }
        let next = util::random_token().map_err(rng_error)?;
        let expires_at = self.expiry();
        let outcome = self
            .store
            .rotate(
                &util::sha256_hex(token),
                &util::sha256_hex(&next),
                expires_at,
                secs(self.max_lifetime),
            )
            .await?;
        match outcome {
            RotateOutcome::Rotated {
                user_id,
                family_id,
                expires_at,
            } => Ok(IssuedRefresh {
                token: next,
                user_id,
                family_id,
                expires_at,
            }),
            RotateOutcome::Reused { family_id } => {
                tracing::warn!(target: "portcullis::authn", family = %family_id, reason = "family_revoked", "refresh token reused: family revoked");
                Err(rejected(FailureReason::Reused))
            }
            RotateOutcome::Revoked => Err(rejected(FailureReason::Revoked)),
            RotateOutcome::Expired => Err(rejected(FailureReason::Expired)),
            RotateOutcome::Unknown => Err(rejected(FailureReason::InvalidCredentials)),
        }
    }

    /// Logout: revokes the family of `token`. Unknown or malformed tokens are ignored (logout
    /// always succeeds for the client).
    ///
    /// ```
    /// use portcullis::authn::refresh::{MemoryRefreshStore, RefreshService};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::refresh::RefreshError> {
    /// let refresh = RefreshService::new(MemoryRefreshStore::new());
    /// let issued = refresh.issue("u1").await?;
    /// refresh.logout(&issued.token).await?;
    /// assert!(refresh.rotate(&issued.token).await.is_err());
    /// refresh.logout("garbage").await?; // always succeeds
    /// # Ok(()) }
    /// ```
    pub async fn logout(&self, token: &str) -> Result<(), RefreshError> {
        if util::is_token_shaped(token) {
            self.store
                .revoke_family_of(&util::sha256_hex(token))
                .await?;
        }
        Ok(())
    }

    /// Revokes every family of `user_id`; returns how many were live.
    ///
    /// ```
    /// use portcullis::authn::refresh::{MemoryRefreshStore, RefreshService};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::refresh::RefreshError> {
    /// let refresh = RefreshService::new(MemoryRefreshStore::new());
    /// let laptop = refresh.issue("u1").await?;
    /// let _phone = refresh.issue("u1").await?;
    /// assert_eq!(refresh.revoke_user("u1").await?, 2); // e.g. after a password change
    /// assert!(refresh.rotate(&laptop.token).await.is_err());
    /// # Ok(()) }
    /// ```
    pub async fn revoke_user(&self, user_id: &str) -> Result<u64, RefreshError> {
        Ok(self.store.revoke_user(user_id).await?)
    }
}
