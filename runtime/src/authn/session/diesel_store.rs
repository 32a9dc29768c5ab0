//! Sessions in SQL (SQLite or PostgreSQL through [`Pool`]).

use super::{SessionRecord, SessionStore};
use crate::authn::StoreError;
use crate::authn::sql::with_conn;
use crate::backend::db::Pool;
use crate::model::BoxFuture;
use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl;
use std::time::Duration;

/// Sessions in the `portcullis_sessions` table (run [`migrate`](crate::authn::migrate)).
///
/// ```no_run
/// use portcullis::authn::session::{DieselSessionStore, SessionConfig, SessionManager};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let pool = portcullis::db::Pool::connect("sqlite://app.db").await?;
/// portcullis::authn::migrate(&pool).await?;
/// let sessions = SessionManager::new(DieselSessionStore::new(pool), SessionConfig::default());
/// let s = sessions.login("user-1", None).await?;
/// # let _ = s; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct DieselSessionStore {
    pool: Pool,
}

impl DieselSessionStore {
    /// A store on `pool`.
    ///
    /// ```no_run
    /// use portcullis::authn::session::DieselSessionStore;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = portcullis::db::Pool::connect("postgres://app@localhost/app").await?;
    /// let store = DieselSessionStore::new(pool);
    /// # let _ = store; Ok(()) }
    /// ```
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }
}

#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    user_id: String,
    #[diesel(sql_type = Text)]
    csrf_token: String,
    #[diesel(sql_type = BigInt)]
    created_at: i64,
    #[diesel(sql_type = BigInt)]
    last_seen: i64,
}

impl SessionStore for DieselSessionStore {
    fn create<'a>(
        &'a self,
        id_hash: &'a str,
        record: &'a SessionRecord,
        _ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let q = diesel::sql_query(
                "INSERT INTO portcullis_sessions (id_hash, user_id, csrf_token, created_at, last_seen) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id_hash) DO NOTHING",
            )
            .bind::<Text, _>(id_hash)
            .bind::<Text, _>(&record.user_id)
            .bind::<Text, _>(&record.csrf_token)
            .bind::<BigInt, _>(record.created_at)
            .bind::<BigInt, _>(record.last_seen);
            let n = with_conn!(&self.pool, c => q.execute(c).await?);
            Ok(n == 1)
        })
    }

    fn get<'a>(
        &'a self,
        id_hash: &'a str,
    ) -> BoxFuture<'a, Result<Option<SessionRecord>, StoreError>> {
        Box::pin(async move {
            let q = diesel::sql_query(
                "SELECT user_id, csrf_token, created_at, last_seen FROM portcullis_sessions WHERE id_hash = $1",
            )
            .bind::<Text, _>(id_hash);
            let rows: Vec<Row> = with_conn!(&self.pool, c => q.load(c).await?);
            Ok(rows.into_iter().next().map(|r| SessionRecord {
                user_id: r.user_id,
                csrf_token: r.csrf_token,
                created_at: r.created_at,
                last_seen: r.last_seen,
            }))
        })
    }

    fn touch<'a>(
        &'a self,
        id_hash: &'a str,
        last_seen: i64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let q = diesel::sql_query(
                "UPDATE portcullis_sessions SET last_seen = $1 WHERE id_hash = $2",
            )
            .bind::<BigInt, _>(last_seen)
            .bind::<Text, _>(id_hash);
            with_conn!(&self.pool, c => q.execute(c).await?);
            Ok(())
        })
    }

    fn delete<'a>(&'a self, id_hash: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let q = diesel::sql_query("DELETE FROM portcullis_sessions WHERE id_hash = $1")
                .bind::<Text, _>(id_hash);
            with_conn!(&self.pool, c => q.execute(c).await?);
            Ok(())
        })
    }

    fn purge_expired(
        &self,
        idle_before: i64,
        created_before: i64,
    ) -> BoxFuture<'_, Result<u64, StoreError>> {
        Box::pin(async move {
            let q = diesel::sql_query(
                "DELETE FROM portcullis_sessions WHERE last_seen < $1 OR created_at < $2",
            )
            .bind::<BigInt, _>(idle_before)
            .bind::<BigInt, _>(created_before);
            let n = with_conn!(&self.pool, c => q.execute(c).await?);
            Ok(n as u64)
        })
    }
}
