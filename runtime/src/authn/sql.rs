//! Running raw, parameterised SQL on either backend of a [`Pool`](crate::backend::db::Pool).
//!
//! Statements use `$1, $2, …` placeholders numbered in order of first appearance: PostgreSQL
//! reads them natively and SQLite treats them as named parameters indexed in that same order.

/// Runs `$body` with `$conn` bound to a `&mut` connection of whichever backend the pool holds.
macro_rules! with_conn {
    ($pool:expr, $conn:ident => $body:expr) => {
        match &$pool.0 {
            #[cfg(feature = "sqlite")]
            $crate::backend::db::PoolInner::Sqlite(p) => {
                let mut guard = p.get().await?;
                let $conn = &mut *guard;
                $body
            }
            #[cfg(feature = "postgres")]
            $crate::backend::db::PoolInner::Postgres(p) => {
                let mut guard = p.get().await?;
                let $conn = &mut *guard;
                $body
            }
        }
    };
}
pub(crate) use with_conn;
