//! Database pools: one [`Pool`] type over every backend enabled in this build, chosen at start-up
//! from the database URL, so the same binary serves SQLite and PostgreSQL.

use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, bb8};
use futures_util::FutureExt;
use std::time::Duration;

/// The SQLite connection type portcullis uses (diesel's sync connection on the blocking pool).
#[cfg(feature = "sqlite")]
pub type SqliteConnection =
    diesel_async::sync_connection_wrapper::SyncConnectionWrapper<diesel::SqliteConnection>;

/// The PostgreSQL connection type portcullis uses.
#[cfg(feature = "postgres")]
pub type PgConnection = diesel_async::AsyncPgConnection;

/// A pooled connection of backend `C`.
pub type PooledConnection<'a, C> = bb8::PooledConnection<'a, AsyncDieselConnectionManager<C>>;

/// Errors from setting up or using a pool. Start-up errors name the setting at fault.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database URL names no backend enabled in this build.
    #[error(
        "{setting}: unsupported database URL {url:?}; expected {expected} (enable the matching portcullis feature)"
    )]
    UnsupportedUrl {
        /// The setting the URL came from (for example `DATABASE_URL`).
        setting: String,
        /// The URL with any password removed.
        url: String,
        /// The URL forms this build accepts.
        expected: &'static str,
    },
    /// A schema name that is not a plain SQL identifier.
    #[error(
        "database schema {0:?} is not a plain identifier (letters, digits, `_`; not starting with a digit)"
    )]
    InvalidSchema(String),
    /// The pool could not open its first connection.
    #[error("{setting}: cannot connect to {url}: {source}")]
    Connect {
        /// The setting the URL came from.
        setting: String,
        /// The URL with any password removed.
        url: String,
        /// The driver's error.
        source: diesel_async::pooled_connection::PoolError,
    },
    /// No connection became free in time, or a pooled connection failed.
    #[error("database pool: {0}")]
    Pool(#[from] bb8::RunError),
    /// A query failed.
    #[error("database query: {0}")]
    Query(#[from] diesel::result::Error),
}

impl From<DbError> for crate::Problem {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Query(diesel::result::Error::NotFound) => crate::Problem::not_found(),
            other => {
                tracing::error!(target: "portcullis::scope", error = %other, "database error");
                crate::Problem::internal()
            }
        }
    }
}

/// What scoped operations run on: a [`Pool`], or the `Db` extractor of a guarded handler (which
/// hands the raw pool out only through `db.unscoped("reason")`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a portcullis database handle",
    note = "pass a `portcullis::db::Pool` or the handler's `Db` extractor"
)]
pub trait Database: Send + Sync {
    #[doc(hidden)]
    fn __pool(&self) -> &Pool;
}

impl Database for Pool {
    fn __pool(&self) -> &Pool {
        self
    }
}

/// Lets handlers use `?` on diesel results: `NotFound` is a 404, anything else a generic 500
/// whose cause is logged.
impl From<diesel::result::Error> for crate::Problem {
    fn from(e: diesel::result::Error) -> Self {
        DbError::Query(e).into()
    }
}

/// Pool settings. Defaults are conservative: 10 connections, 5 s to get one, SQLite with
/// foreign keys on, WAL and a 5 s busy timeout.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    url: String,
    setting: String,
    max_size: u32,
    connection_timeout: Duration,
    schema: Option<String>,
}

impl PoolConfig {
    /// Settings for `url`; errors will name `DATABASE_URL` as the setting.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            setting: "DATABASE_URL".to_owned(),
            max_size: 10,
            connection_timeout: Duration::from_secs(5),
            schema: None,
        }
    }

    /// The name of the setting the URL came from, used in start-up errors.
    pub fn setting(mut self, name: impl Into<String>) -> Self {
        self.setting = name.into();
        self
    }

    /// Maximum number of open connections.
    pub fn max_size(mut self, n: u32) -> Self {
        self.max_size = n.max(1);
        self
    }

    /// How long a request waits for a free connection before failing.
    pub fn connection_timeout(mut self, t: Duration) -> Self {
        self.connection_timeout = t;
        self
    }

    /// PostgreSQL only: every connection runs `SET search_path TO <schema>` (tests use one schema
    /// each so runs never collide). Ignored for SQLite.
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }

    fn redacted_url(&self) -> String {
        // user:password@host → user:***@host
        match (self.url.find("://"), self.url.rfind('@')) {
            (Some(scheme_end), Some(at)) if at > scheme_end => {
                let creds = &self.url[scheme_end + 3..at];
                match creds.find(':') {
                    Some(colon) => format!(
                        "{}{}:***{}",
                        &self.url[..scheme_end + 3],
                        &creds[..colon],
                        &self.url[at..]
                    ),
                    None => self.url.clone(),
                }
            }
            _ => self.url.clone(),
        }
    }
}

/// Which backend a pool talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite (bundled).
    #[cfg(feature = "sqlite")]
    Sqlite,
    /// PostgreSQL.
    #[cfg(feature = "postgres")]
    Postgres,
}

/// A connection pool over one of the enabled backends. Cheap to clone.
#[derive(Clone)]
#[non_exhaustive]
pub enum Pool {
    /// A SQLite pool.
    #[cfg(feature = "sqlite")]
    Sqlite(bb8::Pool<SqliteConnection>),
    /// A PostgreSQL pool.
    #[cfg(feature = "postgres")]
    Postgres(bb8::Pool<PgConnection>),
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pool({:?})", self.backend())
    }
}

fn expected_urls() -> &'static str {
    match (cfg!(feature = "sqlite"), cfg!(feature = "postgres")) {
        (true, true) => "sqlite://<path>, a file path, or postgres://…",
        (true, false) => "sqlite://<path> or a file path",
        (false, true) => "postgres://…",
        (false, false) => "nothing: enable the `sqlite` or `postgres` feature",
    }
}

// The pool builder is the same for every backend; diesel-async's generic bounds for it are not
// worth spelling out, so it is written once here and instantiated per concrete connection type.
macro_rules! build_pool {
    ($config:expr, $manager:expr) => {
        bb8::Pool::builder()
            .max_size($config.max_size)
            .connection_timeout($config.connection_timeout)
            .build($manager)
            .await
            .map_err(|source| DbError::Connect {
                setting: $config.setting.clone(),
                url: $config.redacted_url(),
                source,
            })?
    };
}

impl Pool {
    /// Opens a pool for `url` with default settings (see [`PoolConfig`]).
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        Self::connect_with(PoolConfig::new(url)).await
    }

    /// Opens a pool and checks that one connection can be made, so a bad URL fails at start-up.
    pub async fn connect_with(config: PoolConfig) -> Result<Self, DbError> {
        if let Some(schema) = &config.schema {
            let ok = schema
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && schema
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !ok {
                return Err(DbError::InvalidSchema(schema.clone()));
            }
        }
        let url = config.url.as_str();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            #[cfg(feature = "postgres")]
            return Self::connect_postgres(&config).await;
        } else if !url.contains("://") || url.starts_with("sqlite://") || url.starts_with("file:") {
            #[cfg(feature = "sqlite")]
            return Self::connect_sqlite(&config).await;
        }
        Err(DbError::UnsupportedUrl {
            setting: config.setting.clone(),
            url: config.redacted_url(),
            expected: expected_urls(),
        })
    }

    #[cfg(feature = "sqlite")]
    async fn connect_sqlite(config: &PoolConfig) -> Result<Self, DbError> {
        use diesel_async::{AsyncConnection, SimpleAsyncConnection};
        let path = config
            .url
            .strip_prefix("sqlite://")
            .unwrap_or(&config.url)
            .to_owned();
        let mut manager_config = ManagerConfig::<SqliteConnection>::default();
        manager_config.custom_setup = Box::new(|url| {
            let url = url.to_owned();
            async move {
                let mut conn = SqliteConnection::establish(&url).await?;
                // Foreign keys are off by default in SQLite; WAL lets readers run beside a writer;
                // the busy timeout turns lock contention into a short wait instead of an error.
                conn.batch_execute(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL;",
                )
                .await
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(conn)
            }
            .boxed()
        });
        let manager = AsyncDieselConnectionManager::new_with_config(path, manager_config);
        let pool = build_pool!(config, manager);
        Ok(Pool::Sqlite(pool))
    }

    #[cfg(feature = "postgres")]
    async fn connect_postgres(config: &PoolConfig) -> Result<Self, DbError> {
        use diesel_async::{AsyncConnection, SimpleAsyncConnection};
        let schema = config.schema.clone();
        let mut manager_config = ManagerConfig::<PgConnection>::default();
        manager_config.custom_setup = Box::new(move |url| {
            let url = url.to_owned();
            let schema = schema.clone();
            async move {
                let mut conn = PgConnection::establish(&url).await?;
                if let Some(schema) = schema {
                    // The schema was checked to be a plain identifier in `connect_with`.
                    conn.batch_execute(&format!("SET search_path TO \"{schema}\""))
                        .await
                        .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                }
                Ok(conn)
            }
            .boxed()
        });
        let manager = AsyncDieselConnectionManager::new_with_config(&config.url, manager_config);
        let pool = build_pool!(config, manager);
        Ok(Pool::Postgres(pool))
    }

    /// The backend this pool talks to.
    pub fn backend(&self) -> Backend {
        match self {
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(_) => Backend::Sqlite,
            #[cfg(feature = "postgres")]
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Runs SQL statements separated by `;` (migrations, schema set-up). Not for user input.
    pub async fn batch_execute(&self, sql: &str) -> Result<(), DbError> {
        use diesel_async::SimpleAsyncConnection;
        match self {
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(p) => Ok(p.get().await?.batch_execute(sql).await?),
            #[cfg(feature = "postgres")]
            Pool::Postgres(p) => Ok(p.get().await?.batch_execute(sql).await?),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_in_urls() {
        let c = PoolConfig::new("postgres://app:s3cret@db:5432/x");
        assert_eq!(c.redacted_url(), "postgres://app:***@db:5432/x");
        assert_eq!(
            PoolConfig::new("postgres://db/x").redacted_url(),
            "postgres://db/x"
        );
    }

    #[tokio::test]
    async fn unknown_scheme_names_the_setting() {
        let err = Pool::connect_with(PoolConfig::new("mysql://u:p@h/db").setting("APP_DB"))
            .await
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("APP_DB: unsupported database URL"), "{msg}");
        assert!(!msg.contains(":p@"), "password leaked: {msg}");
    }

    #[tokio::test]
    async fn schema_must_be_an_identifier() {
        let err = Pool::connect_with(PoolConfig::new("postgres://h/db").schema("x\"; drop"))
            .await
            .unwrap_err();
        assert!(matches!(err, DbError::InvalidSchema(_)));
    }

    #[cfg(feature = "sqlite")]
    #[tokio::test]
    async fn sqlite_pool_runs_statements() {
        let dir = std::env::temp_dir().join(format!("portcullis-db-{}.sqlite", std::process::id()));
        let pool = Pool::connect(dir.to_str().unwrap()).await.unwrap();
        assert_eq!(pool.backend(), Backend::Sqlite);
        pool.batch_execute("CREATE TABLE IF NOT EXISTS t (x INTEGER); INSERT INTO t VALUES (1);")
            .await
            .unwrap();
        let _ = std::fs::remove_file(&dir);
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod sqlite_pragmas {
    use super::*;

    #[tokio::test]
    async fn every_pooled_sqlite_connection_enforces_foreign_keys() {
        let path =
            std::env::temp_dir().join(format!("portcullis-fk-{}.sqlite", std::process::id()));
        let pool = Pool::connect_with(PoolConfig::new(path.to_str().unwrap()).max_size(3))
            .await
            .unwrap();
        pool.batch_execute(
            "CREATE TABLE IF NOT EXISTS parent (id INTEGER PRIMARY KEY);
             CREATE TABLE IF NOT EXISTS child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent(id));",
        )
        .await
        .unwrap();
        // Several connections: each must have run the set-up pragmas.
        for _ in 0..3 {
            let err = pool
                .batch_execute("INSERT INTO child (parent_id) VALUES (42)")
                .await;
            assert!(err.is_err(), "a dangling foreign key was accepted");
        }
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
