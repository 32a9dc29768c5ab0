//! Refresh tokens in SQL (SQLite or PostgreSQL through [`Pool`]); tables from
//! [`migrate`](crate::authn::migrate).

use super::{RefreshStore, RotateOutcome};
use crate::authn::StoreError;
use crate::authn::sql::with_conn;
use crate::authn::util::now;
use crate::backend::db::Pool;
use crate::model::BoxFuture;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel_async::{AsyncConnection, RunQueryDsl};

/// Refresh tokens in the `portcullis_refresh_*` tables. Rotation is one conditional
/// `UPDATE … WHERE used_at IS NULL AND <family live> RETURNING …`, so concurrent rotations
/// have one winner.
///
/// ```no_run
/// use portcullis::authn::refresh::{DieselRefreshStore, RefreshService};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let pool = portcullis::db::Pool::connect("sqlite://app.db").await?;
/// portcullis::authn::migrate(&pool).await?;
/// let refresh = RefreshService::new(DieselRefreshStore::new(pool));
/// let issued = refresh.issue("user-1").await?;
/// # let _ = issued; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct DieselRefreshStore {
    pool: Pool,
}

impl DieselRefreshStore {
    /// A store on `pool`.
    ///
    /// ```no_run
    /// use portcullis::authn::refresh::DieselRefreshStore;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = portcullis::db::Pool::connect("postgres://app@localhost/app").await?;
    /// let store = DieselRefreshStore::new(pool.clone());
    /// # let _ = store; Ok(()) }
    /// ```
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }
}

#[derive(diesel::QueryableByName)]
struct Used {
    #[diesel(sql_type = Text)]
    family_id: String,
    #[diesel(sql_type = Text)]
    user_id: String,
    #[diesel(sql_type = BigInt)]
    expires_at: i64,
}

#[derive(diesel::QueryableByName)]
struct Family {
    #[diesel(sql_type = Text)]
    family_id: String,
}

#[derive(diesel::QueryableByName)]
struct Lost {
    #[diesel(sql_type = Text)]
    family_id: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    used_at: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    revoked_at: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    created_at: Option<i64>,
}

#[derive(diesel::QueryableByName)]
struct Born {
    #[diesel(sql_type = BigInt)]
    created_at: i64,
}

impl DieselRefreshStore {
    async fn revoke_family(&self, family_id: &str) -> Result<(), StoreError> {
        let q = diesel::sql_query(
            "UPDATE portcullis_refresh_families SET revoked_at = $1 \
             WHERE family_id = $2 AND revoked_at IS NULL",
        )
        .bind::<BigInt, _>(now())
        .bind::<Text, _>(family_id);
        with_conn!(&self.pool, c => q.execute(c).await?);
        Ok(())
    }
}

impl RefreshStore for DieselRefreshStore {
    fn create_family<'a>(
        &'a self,
        family_id: &'a str,
        user_id: &'a str,
        token_hash: &'a str,
        expires_at: i64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let t = now();
            let fam = diesel::sql_query(
                "INSERT INTO portcullis_refresh_families (family_id, user_id, created_at) \
                 VALUES ($1, $2, $3)",
            )
            .bind::<Text, _>(family_id)
            .bind::<Text, _>(user_id)
            .bind::<BigInt, _>(t);
            let tok = diesel::sql_query(
                "INSERT INTO portcullis_refresh_tokens \
                 (token_hash, family_id, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind::<Text, _>(token_hash)
            .bind::<Text, _>(family_id)
            .bind::<Text, _>(user_id)
            .bind::<BigInt, _>(t)
            .bind::<BigInt, _>(expires_at);
            // One transaction: a family never exists without its first token.
            with_conn!(&self.pool, c => {
                c.transaction::<(), diesel::result::Error, _>(async |c| {
                    fam.execute(&mut *c).await?;
                    tok.execute(c).await?;
                    Ok(())
                })
                .await?;
            });
            Ok(())
        })
    }

    fn rotate<'a>(
        &'a self,
        old_hash: &'a str,
        new_hash: &'a str,
        new_expires_at: i64,
        max_family_age: i64,
    ) -> BoxFuture<'a, Result<RotateOutcome, StoreError>> {
        Box::pin(async move {
            let t = now();
            let born_after = t.saturating_sub(max_family_age);
            // The conditional update: of concurrent callers, exactly one sees a row. The family's
            // revocation and age are checked in the same statement: checked afterwards, a loser's
            // reuse-revocation could land between the claim and the check and leave no winner.
            let claim = diesel::sql_query(
                "UPDATE portcullis_refresh_tokens SET used_at = $1 \
                 WHERE token_hash = $2 AND used_at IS NULL AND family_id IN \
                 (SELECT family_id FROM portcullis_refresh_families \
                  WHERE revoked_at IS NULL AND created_at > $3) \
                 RETURNING family_id, user_id, expires_at",
            )
            .bind::<BigInt, _>(t)
            .bind::<Text, _>(old_hash)
            .bind::<BigInt, _>(born_after);
            let won: Vec<Used> = with_conn!(&self.pool, c => claim.load(c).await?);
            let Some(used) = won.into_iter().next() else {
                let q = diesel::sql_query(
                    "SELECT t.family_id, t.used_at, f.revoked_at, f.created_at \
                     FROM portcullis_refresh_tokens t \
                     LEFT JOIN portcullis_refresh_families f ON f.family_id = t.family_id \
                     WHERE t.token_hash = $1",
                )
                .bind::<Text, _>(old_hash);
                let found: Vec<Lost> = with_conn!(&self.pool, c => q.load(c).await?);
                return match found.into_iter().next() {
                    None => Ok(RotateOutcome::Unknown),
                    Some(lost) if lost.used_at.is_some() => {
                        self.revoke_family(&lost.family_id).await?;
                        Ok(RotateOutcome::Reused {
                            family_id: lost.family_id,
                        })
                    }
                    // Unused, in a live family that is too old.
                    Some(Lost {
                        revoked_at: None,
                        created_at: Some(_),
                        ..
                    }) => Ok(RotateOutcome::Expired),
                    // Unused but its family is revoked (or gone).
                    Some(_) => Ok(RotateOutcome::Revoked),
                };
            };
            if used.expires_at < t {
                return Ok(RotateOutcome::Expired);
            }
            let q = diesel::sql_query(
                "SELECT created_at FROM portcullis_refresh_families WHERE family_id = $1",
            )
            .bind::<Text, _>(&used.family_id);
            let born: Vec<Born> = with_conn!(&self.pool, c => q.load(c).await?);
            let family_end = born
                .into_iter()
                .next()
                .map_or(t, |b| b.created_at.saturating_add(max_family_age));
            let expires_at = new_expires_at.min(family_end);
            let ins = diesel::sql_query(
                "INSERT INTO portcullis_refresh_tokens \
                 (token_hash, family_id, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind::<Text, _>(new_hash)
            .bind::<Text, _>(&used.family_id)
            .bind::<Text, _>(&used.user_id)
            .bind::<BigInt, _>(t)
            .bind::<BigInt, _>(expires_at);
            with_conn!(&self.pool, c => ins.execute(c).await?);
            Ok(RotateOutcome::Rotated {
                user_id: used.user_id,
                family_id: used.family_id,
                expires_at,
            })
        })
    }

    fn revoke_family_of<'a>(
        &'a self,
        token_hash: &'a str,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let q = diesel::sql_query(
                "SELECT family_id FROM portcullis_refresh_tokens WHERE token_hash = $1",
            )
            .bind::<Text, _>(token_hash);
            let fam: Vec<Family> = with_conn!(&self.pool, c => q.load(c).await?);
            match fam.into_iter().next() {
                Some(f) => {
                    self.revoke_family(&f.family_id).await?;
                    Ok(true)
                }
                None => Ok(false),
            }
        })
    }

    fn revoke_user<'a>(&'a self, user_id: &'a str) -> BoxFuture<'a, Result<u64, StoreError>> {
        Box::pin(async move {
            let q = diesel::sql_query(
                "UPDATE portcullis_refresh_families SET revoked_at = $1 \
                 WHERE user_id = $2 AND revoked_at IS NULL",
            )
            .bind::<BigInt, _>(now())
            .bind::<Text, _>(user_id);
            let n = with_conn!(&self.pool, c => q.execute(c).await?);
            Ok(n as u64)
        })
    }

    fn purge_expired(&self) -> BoxFuture<'_, Result<u64, StoreError>> {
        Box::pin(async move {
            let t = now();
            let del =
                diesel::sql_query("DELETE FROM portcullis_refresh_tokens WHERE expires_at < $1")
                    .bind::<BigInt, _>(t);
            let orphans = diesel::sql_query(
                "DELETE FROM portcullis_refresh_families WHERE NOT EXISTS \
                 (SELECT 1 FROM portcullis_refresh_tokens t \
                  WHERE t.family_id = portcullis_refresh_families.family_id)",
            );
            let n = with_conn!(&self.pool, c => {
                let n = del.execute(&mut *c).await?;
                orphans.execute(c).await?;
                n
            });
            Ok(n as u64)
        })
    }
}
