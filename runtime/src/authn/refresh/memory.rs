//! Refresh tokens in process memory.

use super::{RefreshStore, RotateOutcome};
use crate::authn::StoreError;
use crate::authn::bounded::ExpiringMap;
use crate::authn::util::now;
use crate::model::BoxFuture;
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Debug, Clone)]
struct MemToken {
    family_id: String,
    user_id: String,
    expires_at: i64,
    used: bool,
}

#[derive(Debug, Clone)]
struct MemFamily {
    user_id: String,
    revoked: bool,
    created_at: i64,
    /// Tokens of the family still held: the family goes with its last token.
    tokens: usize,
}

#[derive(Debug)]
struct MemState {
    tokens: ExpiringMap<MemToken>,
    families: HashMap<String, MemFamily>,
}

impl MemState {
    /// Room for one more token (expired tokens, and families left without one, go first).
    fn make_room(&mut self, token_hash: &str, t: i64) -> Result<(), StoreError> {
        let (room, gone) = self.tokens.make_room(token_hash, t);
        self.forget(gone);
        if room {
            Ok(())
        } else {
            Err(StoreError::Full {
                store: "MemoryRefreshStore",
                capacity: self.tokens.capacity(),
            })
        }
    }

    fn forget(&mut self, gone: Vec<(String, MemToken)>) {
        for (_, tok) in gone {
            if let Some(f) = self.families.get_mut(&tok.family_id) {
                f.tokens = f.tokens.saturating_sub(1);
                if f.tokens == 0 {
                    self.families.remove(&tok.family_id);
                }
            }
        }
    }

    fn add_token(&mut self, hash: &str, tok: MemToken) {
        if let Some(f) = self.families.get_mut(&tok.family_id) {
            f.tokens += 1;
        }
        self.tokens.insert(hash.to_owned(), tok.expires_at, tok);
    }
}

/// Refresh tokens in process memory (one instance; lost on restart). Rotation holds one lock,
/// so it is atomic.
///
/// Holds at most [`DEFAULT_CAPACITY`](Self::DEFAULT_CAPACITY) (100,000) tokens unless built
/// [`with_capacity`](Self::with_capacity); spent tokens count until they expire, since
/// presenting one again must revoke its family. When full, expired tokens make room; a live
/// token is never evicted: issuing or rotating returns [`StoreError::Full`] (a 503) instead,
/// and the presented token stays unused.
///
/// ```
/// use portcullis::authn::refresh::{MemoryRefreshStore, RefreshService};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::refresh::RefreshError> {
/// let refresh = RefreshService::new(MemoryRefreshStore::default());
/// assert_eq!(refresh.issue("u1").await?.user_id, "u1");
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct MemoryRefreshStore {
    state: Mutex<MemState>,
}

impl Default for MemoryRefreshStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryRefreshStore {
    /// The bound [`new`](Self::new) uses: 100,000 tokens.
    pub const DEFAULT_CAPACITY: usize = 100_000;

    /// An empty store.
    ///
    /// ```
    /// use portcullis::authn::refresh::{MemoryRefreshStore, RefreshService};
    /// let refresh = RefreshService::new(MemoryRefreshStore::new());
    /// # let _ = refresh;
    /// ```
    pub fn new() -> Self {
        Self::with_capacity(Self::DEFAULT_CAPACITY)
    }

    /// An empty store holding at most `capacity` tokens (at least 1).
    ///
    /// ```
    /// use portcullis::authn::StoreError;
    /// use portcullis::authn::refresh::{MemoryRefreshStore, RefreshError, RefreshService};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), RefreshError> {
    /// let refresh = RefreshService::new(MemoryRefreshStore::with_capacity(1));
    /// let first = refresh.issue("u1").await?;
    /// let err = refresh.issue("u2").await.unwrap_err(); // u1's token is never evicted
    /// assert!(matches!(err, RefreshError::Store(StoreError::Full { .. })));
    /// # let _ = first; Ok(()) }
    /// ```
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            state: Mutex::new(MemState {
                tokens: ExpiringMap::new(capacity),
                families: HashMap::new(),
            }),
        }
    }

    /// Tokens held, spent ones included (until they expire and are purged).
    ///
    /// ```
    /// use portcullis::authn::refresh::{MemoryRefreshStore, RefreshService};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::refresh::RefreshError> {
    /// let refresh = RefreshService::new(MemoryRefreshStore::new());
    /// let first = refresh.issue("u1").await?;
    /// refresh.rotate(&first.token).await?;
    /// assert_eq!(refresh.store().len(), 2); // the spent token stays, for reuse detection
    /// # Ok(()) }
    /// ```
    pub fn len(&self) -> usize {
        self.lock().tokens.len()
    }

    /// Whether no token is held.
    ///
    /// ```
    /// use portcullis::authn::refresh::MemoryRefreshStore;
    /// assert!(MemoryRefreshStore::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemState> {
        // Every critical section leaves the state consistent before anything can panic.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl RefreshStore for MemoryRefreshStore {
    fn create_family<'a>(
        &'a self,
        family_id: &'a str,
        user_id: &'a str,
        token_hash: &'a str,
        expires_at: i64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let t = now();
        let mut s = self.lock();
        let result = s.make_room(token_hash, t).map(|()| {
            s.families.insert(
                family_id.to_owned(),
                MemFamily {
                    user_id: user_id.to_owned(),
                    revoked: false,
                    created_at: t,
                    tokens: 0,
                },
            );
            s.add_token(
                token_hash,
                MemToken {
                    family_id: family_id.to_owned(),
                    user_id: user_id.to_owned(),
                    expires_at,
                    used: false,
                },
            );
        });
        Box::pin(async move { result })
    }

    fn rotate<'a>(
        &'a self,
        old_hash: &'a str,
        new_hash: &'a str,
        new_expires_at: i64,
        max_family_age: i64,
    ) -> BoxFuture<'a, Result<RotateOutcome, StoreError>> {
        let t = now();
        let mut s = self.lock();
        let outcome = match s.tokens.get(old_hash).map(|(_, tok)| tok.clone()) {
            None => Ok(RotateOutcome::Unknown),
            Some(tok) if tok.used => {
                if let Some(f) = s.families.get_mut(&tok.family_id) {
                    f.revoked = true;
                }
                Ok(RotateOutcome::Reused {
                    family_id: tok.family_id,
                })
            }
            Some(tok) => {
                let outcome = match s.families.get(&tok.family_id).cloned() {
                    None => Ok(RotateOutcome::Revoked),
                    Some(f) if f.revoked => Ok(RotateOutcome::Revoked),
                    Some(f)
                        if tok.expires_at < t
                            || f.created_at <= t.saturating_sub(max_family_age) =>
                    {
                        Ok(RotateOutcome::Expired)
                    }
                    // Room first: a refused rotation leaves the presented token unused.
                    Some(f) => s.make_room(new_hash, t).map(|()| {
                        let expires_at =
                            new_expires_at.min(f.created_at.saturating_add(max_family_age));
                        s.add_token(
                            new_hash,
                            MemToken {
                                family_id: tok.family_id.clone(),
                                user_id: tok.user_id.clone(),
                                expires_at,
                                used: false,
                            },
                        );
                        RotateOutcome::Rotated {
                            user_id: tok.user_id.clone(),
                            family_id: tok.family_id.clone(),
                            expires_at,
                        }
                    }),
                };
                if outcome.is_ok()
                    && let Some(old) = s.tokens.get_mut(old_hash)
                {
                    old.used = true;
                }
                outcome
            }
        };
        Box::pin(async move { outcome })
    }

    fn revoke_family_of<'a>(
        &'a self,
        token_hash: &'a str,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let mut s = self.lock();
        let found = match s.tokens.get(token_hash).map(|(_, t)| t.family_id.clone()) {
            Some(fam) => {
                if let Some(f) = s.families.get_mut(&fam) {
                    f.revoked = true;
                }
                true
            }
            None => false,
        };
        Box::pin(async move { Ok(found) })
    }

    fn revoke_user<'a>(&'a self, user_id: &'a str) -> BoxFuture<'a, Result<u64, StoreError>> {
        let mut s = self.lock();
        let mut n = 0;
        for f in s.families.values_mut() {
            if f.user_id == user_id && !f.revoked {
                f.revoked = true;
                n += 1;
            }
        }
        Box::pin(async move { Ok(n) })
    }

    fn purge_expired(&self) -> BoxFuture<'_, Result<u64, StoreError>> {
        let mut s = self.lock();
        let gone = s.tokens.pop_expired(now());
        let n = gone.len() as u64;
        s.forget(gone);
        Box::pin(async move { Ok(n) })
    }
}
