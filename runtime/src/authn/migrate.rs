//! The authn tables: refresh tokens, revoked `jti`s and sessions.

use crate::backend::db::{DbError, Pool};

#[cfg(feature = "sqlite")]
const SQLITE: &str = include_str!("../../migrations/authn/sqlite/0001_authn.sql");
#[cfg(feature = "postgres")]
const POSTGRES: &str = include_str!("../../migrations/authn/postgres/0001_authn.sql");

/// Creates the authn tables if they do not exist (`portcullis_refresh_families`,
/// `portcullis_refresh_tokens`, `portcullis_revoked_jti`, `portcullis_sessions`). Idempotent:
/// call it at start-up before using a diesel-backed store.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::db::DbError> {
/// # let path = std::env::temp_dir().join(format!("portcullis-doc-migrate-{}.sqlite", std::process::id()));
/// let pool = portcullis::db::Pool::connect(path.to_str().unwrap()).await?;
/// portcullis::authn::migrate(&pool).await?;
/// portcullis::authn::migrate(&pool).await?; // idempotent
/// # let _ = std::fs::remove_file(&path); Ok(()) }
/// ```
pub async fn migrate(pool: &Pool) -> Result<(), DbError> {
    match pool.backend() {
        #[cfg(feature = "sqlite")]
        crate::backend::db::Backend::Sqlite => pool.batch_execute(SQLITE).await,
        #[cfg(feature = "postgres")]
        crate::backend::db::Backend::Postgres => pool.batch_execute(POSTGRES).await,
    }
}
