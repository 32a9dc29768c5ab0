//! The in-memory session store.

use super::{SessionRecord, SessionStore};
use crate::authn::StoreError;
use crate::authn::bounded::ExpiringMap;
use crate::authn::util::now;
use crate::model::BoxFuture;
use std::sync::Mutex;
use std::time::Duration;

/// Sessions in process memory (one instance; lost on restart), at most
/// [`DEFAULT_CAPACITY`](Self::DEFAULT_CAPACITY) (100,000) unless built
/// [`with_capacity`](Self::with_capacity).
///
/// When full, sessions past their absolute timeout make room; a live session is never evicted
/// for a new one: `create` (so [`SessionManager::login`](super::SessionManager::login)) returns
/// [`StoreError::Full`] (a 503) instead. Sessions that are only idle go on sight or with
/// [`SessionManager::purge_expired`](super::SessionManager::purge_expired): run it periodically.
///
/// ```
/// use portcullis::authn::session::{MemorySessionStore, SessionConfig, SessionManager};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
/// let sessions = SessionManager::new(MemorySessionStore::default(), SessionConfig::default());
/// assert!(sessions.login("u1", None).await.is_ok());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct MemorySessionStore {
    map: Mutex<ExpiringMap<SessionRecord>>,
}

impl Default for MemorySessionStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemorySessionStore {
    /// The bound [`new`](Self::new) uses: 100,000 sessions.
    pub const DEFAULT_CAPACITY: usize = 100_000;

    /// An empty store.
    ///
    /// ```
    /// use portcullis::authn::session::MemorySessionStore;
    /// let store = MemorySessionStore::new();
    /// # let _ = store;
    /// ```
    pub fn new() -> Self {
        Self::with_capacity(Self::DEFAULT_CAPACITY)
    }

    /// An empty store holding at most `capacity` sessions (at least 1).
    ///
    /// ```
    /// use portcullis::authn::StoreError;
    /// use portcullis::authn::session::{MemorySessionStore, SessionConfig, SessionManager};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), StoreError> {
    /// let sessions = SessionManager::new(MemorySessionStore::with_capacity(1), SessionConfig::default());
    /// let first = sessions.login("u1", None).await?;
    /// let err = sessions.login("u2", None).await.unwrap_err(); // u1 is never evicted
    /// assert!(matches!(err, StoreError::Full { .. }));
    /// assert!(sessions.load(&first.id).await?.is_some());
    /// # Ok(()) }
    /// ```
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            map: Mutex::new(ExpiringMap::new(capacity)),
        }
    }

    /// Sessions held (expired ones included until purged).
    ///
    /// ```
    /// use portcullis::authn::session::{MemorySessionStore, SessionConfig, SessionManager};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
    /// let sessions = SessionManager::new(MemorySessionStore::new(), SessionConfig::default());
    /// sessions.login("u1", None).await?;
    /// assert_eq!(sessions.store().len(), 1);
    /// # Ok(()) }
    /// ```
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no session is held.
    ///
    /// ```
    /// use portcullis::authn::session::MemorySessionStore;
    /// assert!(MemorySessionStore::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ExpiringMap<SessionRecord>> {
        // Single map operations: a poisoned lock still guards a consistent map.
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl SessionStore for MemorySessionStore {
    fn create<'a>(
        &'a self,
        id_hash: &'a str,
        record: &'a SessionRecord,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        // The absolute timeout: past it the session is dead whatever its use.
        let ttl = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
        let deadline = record.created_at.saturating_add(ttl);
        let mut m = self.lock();
        let result = if m.contains_key(id_hash) {
            Ok(false)
        } else if m.make_room(id_hash, now()).0 {
            m.insert(id_hash.to_owned(), deadline, record.clone());
            Ok(true)
        } else {
            Err(StoreError::Full {
                store: "MemorySessionStore",
                capacity: m.capacity(),
            })
        };
        Box::pin(async move { result })
    }

    fn get<'a>(
        &'a self,
        id_hash: &'a str,
    ) -> BoxFuture<'a, Result<Option<SessionRecord>, StoreError>> {
        let r = self.lock().get(id_hash).map(|(_, r)| r.clone());
        Box::pin(async move { Ok(r) })
    }

    fn touch<'a>(
        &'a self,
        id_hash: &'a str,
        last_seen: i64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        if let Some(r) = self.lock().get_mut(id_hash) {
            r.last_seen = last_seen;
        }
        Box::pin(async { Ok(()) })
    }

    fn delete<'a>(&'a self, id_hash: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        self.lock().remove(id_hash);
        Box::pin(async { Ok(()) })
    }

    fn purge_expired(
        &self,
        idle_before: i64,
        created_before: i64,
    ) -> BoxFuture<'_, Result<u64, StoreError>> {
        let n = self
            .lock()
            .retain(|_, _, r| r.last_seen >= idle_before && r.created_at >= created_before)
            as u64;
        Box::pin(async move { Ok(n) })
    }
}
