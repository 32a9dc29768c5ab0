//! The SQL deny-list (SQLite or PostgreSQL through [`Pool`]).

use super::{GRACE_SECS, RevocationStore};
use crate::authn::StoreError;
use crate::authn::sql::with_conn;
use crate::authn::util::now;
use crate::backend::db::Pool;
use crate::model::BoxFuture;
use diesel::sql_types::{BigInt, Text};
use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::RunQueryDsl;

// The deny-list as diesel sees it, for the per-request lookup: a query built with the DSL has
// static SQL, so diesel keeps it as a prepared statement per connection (a `sql_query` would
// be parsed again on every request).
diesel::table! {
    portcullis_revoked_jti (jti) {
        jti -> Text,
        expires_at -> BigInt,
    }
}

/// A deny-list in the `portcullis_revoked_jti` table (run [`migrate`](crate::authn::migrate)).
/// The `expires_at` column holds the token's `exp`; a row counts (and is kept) until
/// [`REVOCATION_GRACE`](super::REVOCATION_GRACE) after it.
///
/// ```no_run
/// use portcullis::authn::jwt::{Claims, JwtService};
/// use portcullis::authn::revocation::DieselRevocationStore;
/// use portcullis::authn::strategy::Bearer;
/// use std::sync::Arc;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let pool = portcullis::db::Pool::connect("sqlite://app.db").await?;
/// portcullis::authn::migrate(&pool).await?;
/// let jwt = Arc::new(JwtService::from_env()?);
/// let bearer = Bearer::new(jwt, |c: Claims<()>| Ok(c.sub))
///     .with_revocation(Arc::new(DieselRevocationStore::new(pool)));
/// # let _: &dyn portcullis::authn::Authenticator<String> = &bearer; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct DieselRevocationStore {
    pool: Pool,
}

impl DieselRevocationStore {
    /// A store on `pool`.
    ///
    /// ```no_run
    /// use portcullis::authn::revocation::{DieselRevocationStore, RevocationStore};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = portcullis::db::Pool::connect("postgres://app@localhost/app").await?;
    /// let store = DieselRevocationStore::new(pool);
    /// store.revoke("jti-1", i64::MAX).await?;
    /// # Ok(()) }
    /// ```
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }
}

impl RevocationStore for DieselRevocationStore {
    fn revoke<'a>(
        &'a self,
        jti: &'a str,
        expires_at: i64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let q = diesel::sql_query(
                "INSERT INTO portcullis_revoked_jti (jti, expires_at) VALUES ($1, $2) \
                 ON CONFLICT (jti) DO UPDATE SET expires_at = excluded.expires_at",
            )
            .bind::<Text, _>(jti)
            .bind::<BigInt, _>(expires_at);
            with_conn!(&self.pool, c => q.execute(c).await?);
            Ok(())
        })
    }

    fn is_revoked<'a>(&'a self, jti: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            use portcullis_revoked_jti as t;
            let q = t::table
                .filter(t::jti.eq(jti))
                // `exp >= now - grace` is `deny_until(exp) >= now`, on the indexed column.
                .filter(t::expires_at.ge(now().saturating_sub(GRACE_SECS)))
                .count();
            let n: i64 = with_conn!(&self.pool, c => q.get_result(c).await?);
            Ok(n > 0)
        })
    }

    fn purge_expired(&self) -> BoxFuture<'_, Result<u64, StoreError>> {
        Box::pin(async move {
            let q = diesel::sql_query("DELETE FROM portcullis_revoked_jti WHERE expires_at < $1")
                .bind::<BigInt, _>(now().saturating_sub(GRACE_SECS));
            let n = with_conn!(&self.pool, c => q.execute(c).await?);
            Ok(n as u64)
        })
    }
}
