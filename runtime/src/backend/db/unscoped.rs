//! The one escape from scoped queries: [`Pool::unscoped`](crate::backend::db::Pool::unscoped) and
//! [`Db::unscoped`](crate::guard::Db::unscoped) hand out raw connections for what no policy
//! covers (migrations, account look-ups before anyone is authenticated, maintenance). Each use
//! names its reason, is logged on `portcullis::scope` and is counted
//! ([`crate::model::escape::uses`]); the posture table prints the counts.

use crate::backend::db::{Backend, DbError, Pool, PoolInner, PooledConnection};

/// Raw access to a pool, granted for a stated reason (see [`Pool::unscoped`]).
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

    /// The reason given.
    pub fn reason(&self) -> &'static str {
        self.reason
    }

    /// The backend of the pool.
    pub fn backend(&self) -> Backend {
        self.pool.backend()
    }

    /// Runs SQL statements separated by `;` (migrations, schema set-up). Not for user input.
    pub async fn batch_execute(&self, sql: &str) -> Result<(), DbError> {
        self.pool.batch_execute(sql).await
    }

    /// A pooled connection of whichever backend the pool talks to, for diesel-async queries.
    pub async fn connection(&self) -> Result<RawConnection<'p>, DbError> {
        Ok(match &self.pool.0 {
            #[cfg(feature = "sqlite")]
            PoolInner::Sqlite(p) => RawConnection::Sqlite(p.get().await?),
            #[cfg(feature = "postgres")]
            PoolInner::Postgres(p) => RawConnection::Postgres(p.get().await?),
        })
    }
}

/// A pooled connection handed out by [`Unscoped::connection`].
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
