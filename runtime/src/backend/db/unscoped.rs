//! The one escape from scoped queries: [`Pool::unscoped`](crate::backend::db::Pool::unscoped) and
//! [`Db::unscoped`](crate::guard::Db::unscoped) hand out raw connections for what no policy
//! covers (migrations, account look-ups before anyone is authenticated, maintenance). Each use
//! names its reason, is logged on `portcullis::scope` and is counted
//! ([`crate::model::escape::uses`]); the posture table prints the counts.

use crate::backend::db::{Backend, DbError, Pool, PoolInner, PooledConnection};

/// Raw access to a pool, granted for a stated reason (see [`Pool::unscoped`]).
///
/// # Examples
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use portcullis::db::{Pool, PoolConfig};
///
/// let pool = Pool::connect_with(PoolConfig::new(":memory:").max_size(1)).await?;
/// let raw = pool.unscoped("create the schema at start-up");
/// raw.batch_execute("CREATE TABLE notes (id INTEGER PRIMARY KEY)").await?;
/// assert_eq!(raw.reason(), "create the schema at start-up");
/// # Ok::<(), portcullis::db::DbError>(()) }).unwrap();
/// ```
#[derive(Debug)]
pub struct Unscoped<'p> {
    pool: &'p Pool,
    reason: &'static str,
}

impl<'p> Unscoped<'p> {
    pub(crate) fn new(pool: &'p Pool, reason: &'static str) -> Self {
        let reason = if reason.trim().is_empty() {
            tracing::warn!(target: "portcullis::scope", reason = "no_reason", "unscoped database access without a reason");
            "(no reason given)"
        } else {
            reason
        };
        tracing::info!(target: "portcullis::scope", reason, "unscoped database access");
        crate::model::escape::record(crate::model::escape::Hatch::UnscopedDatabase, reason);
        Self { pool, reason }
    }

    /// The reason given; an empty one is logged as a warning and reads `(no reason given)`.
    ///
    /// # Examples
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use portcullis::db::{Pool, PoolConfig};
    ///
    /// let pool = Pool::connect_with(PoolConfig::new(":memory:").max_size(1)).await?;
    /// assert_eq!(pool.unscoped("  ").reason(), "(no reason given)");
    /// # Ok::<(), portcullis::db::DbError>(()) }).unwrap();
    /// ```
    pub fn reason(&self) -> &'static str {
        self.reason
    }

    /// The backend of the pool.
    ///
    /// # Examples
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use portcullis::db::{Pool, PoolConfig};
    ///
    /// let pool = Pool::connect_with(PoolConfig::new(":memory:").max_size(1)).await?;
    /// use portcullis::db::Backend;
    ///
    /// assert_eq!(pool.unscoped("pick the dialect").backend(), Backend::Sqlite);
    /// # Ok::<(), portcullis::db::DbError>(()) }).unwrap();
    /// ```
    pub fn backend(&self) -> Backend {
        self.pool.backend()
    }

    /// Runs SQL statements separated by `;` (migrations, schema set-up). Not for user input.
    ///
    /// # Examples
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use portcullis::db::{Pool, PoolConfig};
    ///
    /// let pool = Pool::connect_with(PoolConfig::new(":memory:").max_size(1)).await?;
    /// pool.unscoped("schema")
    ///     .batch_execute("CREATE TABLE a (id INTEGER PRIMARY KEY); CREATE TABLE b (id INTEGER PRIMARY KEY);")
    ///     .await?;
    /// # Ok::<(), portcullis::db::DbError>(()) }).unwrap();
    /// ```
    pub async fn batch_execute(&self, sql: &str) -> Result<(), DbError> {
        self.pool.batch_execute(sql).await
    }

    /// A pooled connection of whichever backend the pool talks to, for diesel-async queries.
    ///
    /// # Examples
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use portcullis::db::{Pool, PoolConfig};
    ///
    /// let pool = Pool::connect_with(PoolConfig::new(":memory:").max_size(1)).await?;
    /// use diesel::sql_types::BigInt;
    /// use diesel_async::RunQueryDsl;
    /// use portcullis::db::RawConnection;
    ///
    /// #[derive(diesel::QueryableByName)]
    /// struct Answer {
    ///     #[diesel(sql_type = BigInt)]
    ///     n: i64,
    /// }
    ///
    /// match pool.unscoped("health check").connection().await? {
    ///     RawConnection::Sqlite(mut conn) => {
    ///         let answer: Answer = diesel::sql_query("SELECT 42 AS n").get_result(&mut conn).await?;
    ///         assert_eq!(answer.n, 42);
    ///     }
    ///     _ => unreachable!("an in-memory SQLite pool"),
    /// }
    /// # Ok::<(), portcullis::db::DbError>(()) }).unwrap();
    /// ```
    pub async fn connection(&self) -> Result<RawConnection<'p>, DbError> {
        Ok(match &self.pool.0 {
            #[cfg(feature = "sqlite")]
            PoolInner::Sqlite(p) => RawConnection::Sqlite(p.get().await?),
            #[cfg(feature = "postgres")]
            PoolInner::Postgres(p) => RawConnection::Postgres(p.get().await?),
        })
    }
}

/// A pooled connection handed out by [`Unscoped::connection`]: one variant per backend
/// portcullis was built with. Match on it (with a `_` arm: more variants come with features).
///
/// # Examples
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use portcullis::db::{Pool, PoolConfig};
///
/// let pool = Pool::connect_with(PoolConfig::new(":memory:").max_size(1)).await?;
/// use portcullis::db::RawConnection;
///
/// let conn = pool.unscoped("maintenance").connection().await?;
/// assert!(matches!(conn, RawConnection::Sqlite(_)));
/// assert_eq!(format!("{conn:?}"), "RawConnection::Sqlite");
/// # Ok::<(), portcullis::db::DbError>(()) }).unwrap();
/// ```
// The PostgreSQL connection is large; boxing it would make every user write `&mut **conn`,
// and the value lives on the stack of one query.
#[allow(clippy::large_enum_variant)]
#[non_exhaustive]
pub enum RawConnection<'p> {
    /// A SQLite connection.
    #[cfg(feature = "sqlite")]
    Sqlite(PooledConnection<'p, crate::backend::db::SqliteConnection>),
    /// A PostgreSQL connection.
    #[cfg(feature = "postgres")]
    Postgres(PooledConnection<'p, crate::backend::db::PgConnection>),
}

impl std::fmt::Debug for RawConnection<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            #[cfg(feature = "sqlite")]
            RawConnection::Sqlite(_) => f.write_str("RawConnection::Sqlite"),
            #[cfg(feature = "postgres")]
            RawConnection::Postgres(_) => f.write_str("RawConnection::Postgres"),
        }
    }
}
