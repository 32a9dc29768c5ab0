//! The in-memory session store.

use super::{SessionRecord, SessionStore};
use crate::authn::{BoxFuture, StoreError};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// Sessions in process memory (one instance; lost on restart).
///
/// ```
/// use portcullis::authn::session::{MemorySessionStore, SessionConfig, SessionManager};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::authn::StoreError> {
/// let sessions = SessionManager::new(MemorySessionStore::default(), SessionConfig::default());
/// assert!(sessions.login("u1", None).await.is_ok());
/// # Ok(()) }
/// ```
#[derive(Debug, Default)]
pub struct MemorySessionStore {
    map: Mutex<HashMap<String, SessionRecord>>,
}

impl MemorySessionStore {
    /// An empty store.
    ///
    /// ```
    /// use portcullis::authn::session::MemorySessionStore;
    /// let store = MemorySessionStore::new();
    /// # let _ = store;
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, SessionRecord>> {
        // Single map operations: a poisoned lock still guards a consistent map.
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl SessionStore for MemorySessionStore {
    fn create<'a>(
        &'a self,
        id_hash: &'a str,
        record: &'a SessionRecord,
        _ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let mut m = self.lock();
        let created = !m.contains_key(id_hash);
        if created {
            m.insert(id_hash.to_owned(), record.clone());
        }
        Box::pin(async move { Ok(created) })
    }

    fn get<'a>(
        &'a self,
        id_hash: &'a str,
    ) -> BoxFuture<'a, Result<Option<SessionRecord>, StoreError>> {
        let r = self.lock().get(id_hash).cloned();
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
        let mut m = self.lock();
        let before = m.len();
        m.retain(|_, r| r.last_seen >= idle_before && r.created_at >= created_before);
        let n = (before - m.len()) as u64;
        Box::pin(async move { Ok(n) })
    }
}
