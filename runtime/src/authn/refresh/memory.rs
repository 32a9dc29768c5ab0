//! Refresh tokens in process memory.

use super::{RefreshStore, RotateOutcome};
use crate::authn::util::now;
use crate::authn::{BoxFuture, StoreError};
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
}

#[derive(Debug, Default)]
struct MemState {
    tokens: HashMap<String, MemToken>,
    families: HashMap<String, MemFamily>,
}

/// Refresh tokens in process memory (one instance; lost on restart). Rotation holds one lock,
/// so it is atomic.
///
/// ```
/// use portcullis::authn::refresh::{MemoryRefreshStore, RefreshService};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::refresh::RefreshError> {
/// let refresh = RefreshService::new(MemoryRefreshStore::default());
/// assert_eq!(refresh.issue("u1").await?.user_id, "u1");
/// # Ok(()) }
/// ```
#[derive(Debug, Default)]
pub struct MemoryRefreshStore {
    state: Mutex<MemState>,
}

impl MemoryRefreshStore {
    /// An empty store.
    ///
    /// ```
    /// use portcullis::authn::refresh::{MemoryRefreshStore, RefreshService};
    /// let refresh = RefreshService::new(MemoryRefreshStore::new());
    /// # let _ = refresh;
    /// ```
    pub fn new() -> Self {
        Self::default()
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
        let mut s = self.lock();
        s.families.insert(
            family_id.to_owned(),
            MemFamily {
                user_id: user_id.to_owned(),
                revoked: false,
                created_at: now(),
            },
        );
        s.tokens.insert(
            token_hash.to_owned(),
            MemToken {
                family_id: family_id.to_owned(),
                user_id: user_id.to_owned(),
                expires_at,
                used: false,
            },
        );
        Box::pin(async { Ok(()) })
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
        let outcome = match s.tokens.get(old_hash).cloned() {
            None => RotateOutcome::Unknown,
            Some(tok) if tok.used => {
                if let Some(f) = s.families.get_mut(&tok.family_id) {
                    f.revoked = true;
                }
                RotateOutcome::Reused {
                    family_id: tok.family_id,
                }
            }
            Some(tok) => {
                if let Some(tok) = s.tokens.get_mut(old_hash) {
                    tok.used = true;
                }
                match s.families.get(&tok.family_id).cloned() {
                    None => RotateOutcome::Revoked,
                    Some(f) if f.revoked => RotateOutcome::Revoked,
                    Some(f)
                        if tok.expires_at < t
                            || f.created_at <= t.saturating_sub(max_family_age) =>
                    {
                        RotateOutcome::Expired
                    }
                    Some(f) => {
                        let expires_at =
                            new_expires_at.min(f.created_at.saturating_add(max_family_age));
                        s.tokens.insert(
                            new_hash.to_owned(),
                            MemToken {
                                family_id: tok.family_id.clone(),
                                user_id: tok.user_id.clone(),
                                expires_at,
                                used: false,
                            },
                        );
                        RotateOutcome::Rotated {
                            user_id: tok.user_id,
                            family_id: tok.family_id,
                            expires_at,
                        }
                    }
                }
            }
        };
        Box::pin(async move { Ok(outcome) })
    }

    fn revoke_family_of<'a>(
        &'a self,
        token_hash: &'a str,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let mut s = self.lock();
        let found = match s.tokens.get(token_hash).map(|t| t.family_id.clone()) {
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
        let t = now();
        let mut s = self.lock();
        let before = s.tokens.len();
        s.tokens.retain(|_, tok| tok.expires_at >= t);
        let n = (before - s.tokens.len()) as u64;
        let live: std::collections::HashSet<String> =
            s.tokens.values().map(|t| t.family_id.clone()).collect();
        s.families.retain(|id, _| live.contains(id));
        Box::pin(async move { Ok(n) })
    }
}
