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
pub type PooledConnection<'a, C> = bb8::PooledConnection<'a, C>;

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
    /// A pool setting is malformed or out of range (from the environment or the builder).
    ///
    /// ```
    /// let err = portcullis::db::PoolConfig::from_lookup("app.db", |name| {
    ///     (name == "PORTCULLIS_DB__SQLITE_SYNCHRONOUS").then(|| "fast".to_owned())
    /// })
    /// .unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "PORTCULLIS_DB__SQLITE_SYNCHRONOUS: \"fast\" is not valid; expected one of off, normal, full"
    /// );
    /// ```
    #[error("{setting}: {value:?} is not valid; expected {expected}")]
    InvalidSetting {
        /// The environment variable, or `PoolConfig::<method> (<variable>)` for a value set in
        /// code.
        setting: String,
        /// The value as given.
        value: String,
        /// What the setting accepts, for example `a whole number of MiB from 0 to 2047`.
        expected: String,
    },
    /// The pool could not open its first connection: the message is the database's own (for
    /// example `database "app" does not exist`), on one line.
    ///
    /// ```
    /// # #[cfg(feature = "sqlite")]
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use portcullis::db::{Pool, PoolConfig};
    /// let err = Pool::connect_with(PoolConfig::new("/nonexistent/dir/app.db").setting("APP_DB"))
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "APP_DB: cannot connect to /nonexistent/dir/app.db: unable to open database file"
    /// );
    /// # });
    /// ```
    #[error("{setting}: cannot connect to {url}: {}", one_line(source))]
    Connect {
        /// The setting the URL came from.
        setting: String,
        /// The URL with any password removed.
        url: String,
        /// The driver's error.
        source: diesel_async::pooled_connection::PoolError,
    },
    /// The database server did not answer within the connection timeout when the pool opened
    /// its first connection (a firewall dropping packets, a wrong host).
    #[error(
        "{setting}: cannot connect to {url}: no answer within {timeout_ms} ms \
         (PORTCULLIS_DB__CONNECTION_TIMEOUT_MS)"
    )]
    ConnectTimeout {
        /// The setting the URL came from.
        setting: String,
        /// The URL with any password removed.
        url: String,
        /// The connection timeout that ran out.
        timeout_ms: u64,
    },
    /// No connection became free in time, or a pooled connection failed.
    #[error("database pool: {0}")]
    Pool(#[from] bb8::RunError),
    /// A query failed.
    #[error("database query: {0}")]
    Query(#[from] diesel::result::Error),
}

/// A driver message on one line: PostgreSQL's span several (`FATAL: ...`, `DETAIL: ...`) and end
/// with a newline, which would break the one-line start-up error.
fn one_line(e: &impl std::fmt::Display) -> String {
    e.to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
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

/// SQLite's `PRAGMA synchronous`: how often SQLite waits for the disk.
///
/// In WAL mode (which every portcullis SQLite pool uses), [`Synchronous::Normal`] never corrupts
/// the database; a power loss or OS crash may roll back the last transactions committed before
/// it. [`Synchronous::Full`] also keeps those, at the cost of an `fsync` per commit.
/// [`Synchronous::Off`] hands every write to the OS without waiting: fastest, but a power loss or
/// OS crash can corrupt the database, so a pool opened with it logs a warning.
///
/// ```
/// use portcullis::db::{PoolConfig, Synchronous};
/// assert_eq!(Synchronous::default(), Synchronous::Normal);
/// let config = PoolConfig::new("app.db").sqlite_synchronous(Synchronous::Full);
/// # let _ = config;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    /// `OFF`: no `fsync` at all. Unsafe against power loss; logged at WARN when a pool opens.
    Off,
    /// `NORMAL` (the default): `fsync` at checkpoints only. Safe in WAL mode.
    #[default]
    Normal,
    /// `FULL`: `fsync` on every commit.
    Full,
}

impl Synchronous {
    /// The pragma value: `OFF`, `NORMAL` or `FULL`.
    ///
    /// ```
    /// assert_eq!(portcullis::db::Synchronous::Normal.as_sql(), "NORMAL");
    /// ```
    pub fn as_sql(self) -> &'static str {
        match self {
            Synchronous::Off => "OFF",
            Synchronous::Normal => "NORMAL",
            Synchronous::Full => "FULL",
        }
    }

    /// The number `PRAGMA synchronous` reports for this setting (0, 1 or 2).
    ///
    /// ```
    /// assert_eq!(portcullis::db::Synchronous::Full.pragma_value(), 2);
    /// ```
    pub fn pragma_value(self) -> i32 {
        match self {
            Synchronous::Off => 0,
            Synchronous::Normal => 1,
            Synchronous::Full => 2,
        }
    }

    fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "off" => Some(Synchronous::Off),
            "normal" => Some(Synchronous::Normal),
            "full" => Some(Synchronous::Full),
            _ => None,
        }
    }
}

/// One numeric pool setting: its environment variable, its builder method and what it accepts.
struct Numeric {
    env: &'static str,
    method: &'static str,
    min: u64,
    max: u64,
    unit: &'static str,
}

impl Numeric {
    fn expected(&self) -> String {
        format!(
            "a whole number of {} from {} to {}",
            self.unit, self.min, self.max
        )
    }

    /// Parses an environment value; the error names the variable and the accepted range.
    fn parse(&self, value: &str) -> Result<u64, DbError> {
        match value.trim().parse::<u64>() {
            Ok(n) if (self.min..=self.max).contains(&n) => Ok(n),
            _ => Err(DbError::InvalidSetting {
                setting: self.env.to_owned(),
                value: value.to_owned(),
                expected: self.expected(),
            }),
        }
    }

    /// Checks a value set through the builder; the error names the method and the variable.
    fn check(&self, value: u64) -> Result<(), DbError> {
        if (self.min..=self.max).contains(&value) {
            Ok(())
        } else {
            Err(DbError::InvalidSetting {
                setting: format!("PoolConfig::{} ({})", self.method, self.env),
                value: value.to_string(),
                expected: self.expected(),
            })
        }
    }
}

const MAX_SIZE: Numeric = Numeric {
    env: PoolConfig::ENV_MAX_SIZE,
    method: "max_size",
    min: 1,
    max: 1024,
    unit: "connections",
};
const CONNECTION_TIMEOUT: Numeric = Numeric {
    env: PoolConfig::ENV_CONNECTION_TIMEOUT_MS,
    method: "connection_timeout",
    min: 1,
    max: 600_000,
    unit: "milliseconds",
};
const BUSY_TIMEOUT: Numeric = Numeric {
    env: PoolConfig::ENV_BUSY_TIMEOUT_MS,
    method: "busy_timeout",
    min: 0,
    max: 600_000,
    unit: "milliseconds",
};
const SQLITE_CACHE: Numeric = Numeric {
    env: PoolConfig::ENV_SQLITE_CACHE_MIB,
    method: "sqlite_cache_mib",
    min: 1,
    max: 4096,
    unit: "MiB",
};
// SQLite caps `mmap_size` at its compile-time SQLITE_MAX_MMAP_SIZE (0x7fff0000 bytes, just under
// 2 GiB, in the bundled build); a larger value would be silently lowered, so it is refused.
const SQLITE_MMAP: Numeric = Numeric {
    env: PoolConfig::ENV_SQLITE_MMAP_MIB,
    method: "sqlite_mmap_mib",
    min: 0,
    max: 2047,
    unit: "MiB",
};

/// The number of CPUs this process may use (cgroup quotas included), at least 1.
fn available_cores() -> u32 {
    std::thread::available_parallelism()
        .map(|n| u32::try_from(n.get()).unwrap_or(u32::MAX))
        .unwrap_or(1)
}

/// Pool settings. Every setting has a default chosen for a server process, a builder method,
/// and an environment variable read by [`PoolConfig::from_env`]; all are checked when the pool
/// opens ([`Pool::connect_with`]), so a bad value stops start-up with a
/// [`DbError::InvalidSetting`] naming the setting and the accepted range.
///
/// | setting | default | environment variable | backend |
/// |---|---|---|---|
/// | [`max_size`](Self::max_size) | SQLite: 2 × cores, 4 to 64; PostgreSQL: 2 × cores + 1, at most 32 | `PORTCULLIS_DB__MAX_SIZE` (1–1024) | both |
/// | [`connection_timeout`](Self::connection_timeout) | 5 s | `PORTCULLIS_DB__CONNECTION_TIMEOUT_MS` (1–600 000) | both |
/// | [`busy_timeout`](Self::busy_timeout) | 5 s | `PORTCULLIS_DB__BUSY_TIMEOUT_MS` (0–600 000) | SQLite |
/// | [`sqlite_synchronous`](Self::sqlite_synchronous) | `NORMAL` | `PORTCULLIS_DB__SQLITE_SYNCHRONOUS` (`off`, `normal`, `full`) | SQLite |
/// | [`sqlite_cache_mib`](Self::sqlite_cache_mib) | 16 MiB per connection | `PORTCULLIS_DB__SQLITE_CACHE_MIB` (1–4096) | SQLite |
/// | [`sqlite_mmap_mib`](Self::sqlite_mmap_mib) | 256 MiB | `PORTCULLIS_DB__SQLITE_MMAP_MIB` (0–2047; 0 = off) | SQLite |
///
/// The first SQLite pool of the process also turns off SQLite's process-wide memory statistics
/// (`sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0)`): with them on, every allocation inside SQLite
/// takes one global mutex, and a pool's connections, each on its own blocking thread, queue on
/// it under load. SQLite accepts this only before it initializes, so if your program also uses
/// SQLite outside portcullis, open the portcullis pool first (or build with
/// `LIBSQLITE3_FLAGS=SQLITE_DEFAULT_MEMSTATUS=0`); `sqlite3_memory_used` and the heap limits
/// stop working, nothing else changes.
///
/// Every SQLite connection also runs `PRAGMA journal_mode = WAL` (readers never wait for the
/// writer), `PRAGMA foreign_keys = ON` (off by default in SQLite) and `PRAGMA temp_store =
/// MEMORY` (sorts and temporary indexes in memory rather than in temporary files). These are not
/// settings: portcullis' queries assume them.
///
/// Why these defaults:
///
/// - **Pool size from the core count** ([`std::thread::available_parallelism`]). A SQLite query
///   runs on tokio's blocking pool and holds its connection only while it runs; in WAL mode
///   readers do not block each other, so one connection per core plus one per core waiting on
///   I/O or on the write lock keeps the CPUs busy; at least 4 so a writer and a few readers fit
///   on small machines, at most 64 because each connection has its own page cache. A PostgreSQL
///   connection is a server process: the usual sizing is 2 × the server's cores + 1 (the
///   PostgreSQL wiki's `cores × 2 + spindles`); this process' cores stand in for the server's,
///   capped at 32 so a few instances stay under the server's default `max_connections = 100`.
/// - **Connection timeout 5 s**: longer than any healthy wait for a connection, short enough that
///   an exhausted pool answers 500 instead of hanging the client.
/// - **Busy timeout 5 s**: SQLite allows one writer at a time; a second one waits up to this long
///   for the lock instead of failing at once with `database is locked`.
/// - **`synchronous = NORMAL`**: see [`Synchronous`]; in WAL mode it cannot corrupt the database
///   and saves an `fsync` per commit.
/// - **Page cache 16 MiB per connection** (`PRAGMA cache_size = -16384`, SQLite's default is
///   2 MiB): enough for the hot pages and indexes of a database of a few GiB. It is per
///   connection, so the worst case is `max_size` × 16 MiB; reads beyond it come from the memory
///   map, which all connections share.
/// - **Memory map 256 MiB** (`PRAGMA mmap_size`, off by default): reads of the first 256 MiB of
///   the file go straight to the OS page cache without a copy, shared by every connection. Set
///   it to 0 on file systems where memory-mapped I/O is unreliable (network file systems).
///
/// ```no_run
/// use portcullis::db::{Pool, PoolConfig, Synchronous};
/// use std::time::Duration;
///
/// # async fn run() -> Result<(), portcullis::db::DbError> {
/// // Defaults, then PORTCULLIS_DB__* from the environment, then code wins.
/// let config = PoolConfig::from_env("app.db")?
///     .busy_timeout(Duration::from_secs(2))
///     .sqlite_synchronous(Synchronous::Full);
/// let pool = Pool::connect_with(config).await?;
/// # let _ = pool; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct PoolConfig {
    url: String,
    setting: String,
    max_size: Option<u32>,
    connection_timeout: Duration,
    schema: Option<String>,
    busy_timeout: Duration,
    sqlite_synchronous: Synchronous,
    sqlite_cache_mib: u32,
    sqlite_mmap_mib: u32,
}

impl PoolConfig {
    /// Environment variable for [`PoolConfig::max_size`].
    pub const ENV_MAX_SIZE: &'static str = "PORTCULLIS_DB__MAX_SIZE";
    /// Environment variable for [`PoolConfig::connection_timeout`], in milliseconds.
    pub const ENV_CONNECTION_TIMEOUT_MS: &'static str = "PORTCULLIS_DB__CONNECTION_TIMEOUT_MS";
    /// Environment variable for [`PoolConfig::busy_timeout`], in milliseconds.
    pub const ENV_BUSY_TIMEOUT_MS: &'static str = "PORTCULLIS_DB__BUSY_TIMEOUT_MS";
    /// Environment variable for [`PoolConfig::sqlite_synchronous`]: `off`, `normal` or `full`.
    pub const ENV_SQLITE_SYNCHRONOUS: &'static str = "PORTCULLIS_DB__SQLITE_SYNCHRONOUS";
    /// Environment variable for [`PoolConfig::sqlite_cache_mib`].
    pub const ENV_SQLITE_CACHE_MIB: &'static str = "PORTCULLIS_DB__SQLITE_CACHE_MIB";
    /// Environment variable for [`PoolConfig::sqlite_mmap_mib`].
    pub const ENV_SQLITE_MMAP_MIB: &'static str = "PORTCULLIS_DB__SQLITE_MMAP_MIB";

    /// Every environment variable [`PoolConfig::from_env`] reads.
    ///
    /// ```
    /// use portcullis::db::PoolConfig;
    /// assert!(PoolConfig::ENV_VARS.contains(&PoolConfig::ENV_SQLITE_MMAP_MIB));
    /// assert!(PoolConfig::ENV_VARS.iter().all(|v| v.starts_with("PORTCULLIS_DB__")));
    /// ```
    pub const ENV_VARS: [&'static str; 6] = [
        Self::ENV_MAX_SIZE,
        Self::ENV_CONNECTION_TIMEOUT_MS,
        Self::ENV_BUSY_TIMEOUT_MS,
        Self::ENV_SQLITE_SYNCHRONOUS,
        Self::ENV_SQLITE_CACHE_MIB,
        Self::ENV_SQLITE_MMAP_MIB,
    ];

    /// The default page cache of each SQLite connection, in MiB.
    ///
    /// ```
    /// assert_eq!(portcullis::db::PoolConfig::DEFAULT_SQLITE_CACHE_MIB, 16);
    /// ```
    pub const DEFAULT_SQLITE_CACHE_MIB: u32 = 16;
    /// The default SQLite memory map, in MiB.
    ///
    /// ```
    /// assert_eq!(portcullis::db::PoolConfig::DEFAULT_SQLITE_MMAP_MIB, 256);
    /// ```
    pub const DEFAULT_SQLITE_MMAP_MIB: u32 = 256;

    /// Settings for `url` with every default (see the table above); errors will name
    /// `DATABASE_URL` as the setting the URL came from.
    ///
    /// ```
    /// let config = portcullis::db::PoolConfig::new("sqlite://app.db").max_size(8);
    /// # let _ = config;
    /// ```
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            setting: "DATABASE_URL".to_owned(),
            max_size: None,
            connection_timeout: Duration::from_secs(5),
            schema: None,
            busy_timeout: Duration::from_secs(5),
            sqlite_synchronous: Synchronous::Normal,
            sqlite_cache_mib: Self::DEFAULT_SQLITE_CACHE_MIB,
            sqlite_mmap_mib: Self::DEFAULT_SQLITE_MMAP_MIB,
        }
    }

    /// Settings for `url`: the defaults, overridden by every `PORTCULLIS_DB__*` variable that is
    /// set and not blank ([`PoolConfig::ENV_VARS`]). A malformed or out-of-range value is an
    /// error naming the variable and what it accepts; `PORTCULLIS_DB__SQLITE_SYNCHRONOUS=off` is
    /// accepted and logged at WARN when the pool opens.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), portcullis::db::DbError> {
    /// let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "app.db".into());
    /// let pool = portcullis::db::Pool::connect_with(portcullis::db::PoolConfig::from_env(url)?).await?;
    /// # let _ = pool; Ok(()) }
    /// ```
    pub fn from_env(url: impl Into<String>) -> Result<Self, DbError> {
        Self::from_lookup(url, |name| match std::env::var(name) {
            Ok(value) => Some(value),
            Err(std::env::VarError::NotPresent) => None,
            // Not UTF-8: keep it (lossily) so it fails validation with the variable's name.
            Err(std::env::VarError::NotUnicode(raw)) => Some(raw.to_string_lossy().into_owned()),
        })
    }

    /// [`PoolConfig::from_env`] with the values looked up by `lookup` (given each variable name)
    /// instead of the process environment: for applications with their own configuration source,
    /// and for tests.
    ///
    /// ```
    /// use portcullis::db::PoolConfig;
    ///
    /// let vars = [("PORTCULLIS_DB__SQLITE_CACHE_MIB", "64")];
    /// let lookup = |name: &str| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string());
    /// assert!(PoolConfig::from_lookup("app.db", lookup).is_ok());
    ///
    /// let bad = PoolConfig::from_lookup("app.db", |_| Some("lots".to_owned())).unwrap_err();
    /// assert!(bad.to_string().starts_with("PORTCULLIS_DB__MAX_SIZE"));
    /// ```
    pub fn from_lookup(
        url: impl Into<String>,
        mut lookup: impl FnMut(&str) -> Option<String>,
    ) -> Result<Self, DbError> {
        let mut config = Self::new(url);
        let mut get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        if let Some(v) = get(Self::ENV_MAX_SIZE) {
            config.max_size = Some(MAX_SIZE.parse(&v)? as u32);
        }
        if let Some(v) = get(Self::ENV_CONNECTION_TIMEOUT_MS) {
            config.connection_timeout = Duration::from_millis(CONNECTION_TIMEOUT.parse(&v)?);
        }
        if let Some(v) = get(Self::ENV_BUSY_TIMEOUT_MS) {
            config.busy_timeout = Duration::from_millis(BUSY_TIMEOUT.parse(&v)?);
        }
        if let Some(v) = get(Self::ENV_SQLITE_SYNCHRONOUS) {
            config.sqlite_synchronous =
                Synchronous::parse(&v).ok_or_else(|| DbError::InvalidSetting {
                    setting: Self::ENV_SQLITE_SYNCHRONOUS.to_owned(),
                    value: v.clone(),
                    expected: "one of off, normal, full".to_owned(),
                })?;
        }
        if let Some(v) = get(Self::ENV_SQLITE_CACHE_MIB) {
            config.sqlite_cache_mib = SQLITE_CACHE.parse(&v)? as u32;
        }
        if let Some(v) = get(Self::ENV_SQLITE_MMAP_MIB) {
            config.sqlite_mmap_mib = SQLITE_MMAP.parse(&v)? as u32;
        }
        Ok(config)
    }

    /// The name of the setting the URL came from, used in start-up errors.
    ///
    /// ```
    /// let config = portcullis::db::PoolConfig::new("app.db").setting("APP_DATABASE");
    /// # let _ = config;
    /// ```
    pub fn setting(mut self, name: impl Into<String>) -> Self {
        self.setting = name.into();
        self
    }

    /// Maximum number of open connections (1–1024). Default: [`PoolConfig::default_max_size`].
    ///
    /// ```
    /// # #[cfg(feature = "sqlite")] {
    /// use portcullis::db::{Backend, PoolConfig};
    /// let config = PoolConfig::new("app.db").max_size(8);
    /// assert_eq!(config.effective_max_size(Backend::Sqlite), 8);
    /// # }
    /// ```
    pub fn max_size(mut self, n: u32) -> Self {
        self.max_size = Some(n);
        self
    }

    /// How long a request waits for a free connection before failing (1 ms–10 min; default 5 s).
    /// Also how long opening the pool waits for a server that does not answer.
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = portcullis::db::PoolConfig::new("app.db").connection_timeout(Duration::from_secs(2));
    /// # let _ = config;
    /// ```
    pub fn connection_timeout(mut self, t: Duration) -> Self {
        self.connection_timeout = t;
        self
    }

    /// SQLite only: how long a connection waits for another connection's lock before failing
    /// with `database is locked` (`PRAGMA busy_timeout`; 0–10 min, 0 = fail at once; default
    /// 5 s).
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = portcullis::db::PoolConfig::new("app.db").busy_timeout(Duration::from_millis(500));
    /// # let _ = config;
    /// ```
    pub fn busy_timeout(mut self, t: Duration) -> Self {
        self.busy_timeout = t;
        self
    }

    /// SQLite only: `PRAGMA synchronous` (default [`Synchronous::Normal`]).
    ///
    /// ```
    /// use portcullis::db::{PoolConfig, Synchronous};
    /// let config = PoolConfig::new("app.db").sqlite_synchronous(Synchronous::Full);
    /// # let _ = config;
    /// ```
    pub fn sqlite_synchronous(mut self, mode: Synchronous) -> Self {
        self.sqlite_synchronous = mode;
        self
    }

    /// SQLite only: the page cache of each connection in MiB (`PRAGMA cache_size`; 1–4096;
    /// default 16).
    ///
    /// ```
    /// let config = portcullis::db::PoolConfig::new("app.db").sqlite_cache_mib(64);
    /// assert!(config.validate().is_ok());
    /// ```
    pub fn sqlite_cache_mib(mut self, mib: u32) -> Self {
        self.sqlite_cache_mib = mib;
        self
    }

    /// SQLite only: how much of the database file is memory-mapped, in MiB (`PRAGMA mmap_size`;
    /// 0–2047, 0 = no memory map; default 256).
    ///
    /// ```
    /// // A network file system: no memory-mapped I/O.
    /// let config = portcullis::db::PoolConfig::new("/mnt/nfs/app.db").sqlite_mmap_mib(0);
    /// assert!(config.validate().is_ok());
    /// ```
    pub fn sqlite_mmap_mib(mut self, mib: u32) -> Self {
        self.sqlite_mmap_mib = mib;
        self
    }

    /// PostgreSQL only: every connection runs `SET search_path TO <schema>` (tests use one schema
    /// each so runs never collide). Ignored for SQLite.
    ///
    /// ```
    /// let config = portcullis::db::PoolConfig::new("postgres://db/app").schema("tenant_a");
    /// assert!(config.validate().is_ok());
    /// ```
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }

    /// The pool size used for `backend` when [`PoolConfig::max_size`] is not set: SQLite
    /// 2 × cores, at least 4 and at most 64; PostgreSQL 2 × cores + 1, at most 32 (reasons in the
    /// type's documentation). Cores are [`std::thread::available_parallelism`] (1 if unknown).
    ///
    /// ```
    /// # #[cfg(feature = "sqlite")] {
    /// use portcullis::db::{Backend, PoolConfig};
    /// assert!(PoolConfig::default_max_size(Backend::Sqlite) >= 4);
    /// # }
    /// ```
    pub fn default_max_size(backend: Backend) -> u32 {
        let cores = available_cores();
        match backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite => cores.saturating_mul(2).clamp(4, 64),
            #[cfg(feature = "postgres")]
            Backend::Postgres => cores.saturating_mul(2).saturating_add(1).min(32),
        }
    }

    /// The pool size a pool on `backend` opens with these settings.
    ///
    /// ```
    /// # #[cfg(feature = "sqlite")] {
    /// use portcullis::db::{Backend, PoolConfig};
    /// let config = PoolConfig::new("app.db");
    /// assert_eq!(
    ///     config.effective_max_size(Backend::Sqlite),
    ///     PoolConfig::default_max_size(Backend::Sqlite)
    /// );
    /// # }
    /// ```
    pub fn effective_max_size(&self, backend: Backend) -> u32 {
        self.max_size
            .unwrap_or_else(|| Self::default_max_size(backend))
    }

    /// Checks every setting against its range (what [`Pool::connect_with`] does first). The
    /// error names the builder method and the environment variable.
    ///
    /// ```
    /// use portcullis::db::PoolConfig;
    /// let err = PoolConfig::new("app.db").sqlite_mmap_mib(4096).validate().unwrap_err();
    /// assert!(err.to_string().contains("PORTCULLIS_DB__SQLITE_MMAP_MIB"));
    /// ```
    pub fn validate(&self) -> Result<(), DbError> {
        if let Some(n) = self.max_size {
            MAX_SIZE.check(u64::from(n))?;
        }
        CONNECTION_TIMEOUT.check(duration_millis(self.connection_timeout))?;
        BUSY_TIMEOUT.check(duration_millis(self.busy_timeout))?;
        SQLITE_CACHE.check(u64::from(self.sqlite_cache_mib))?;
        SQLITE_MMAP.check(u64::from(self.sqlite_mmap_mib))?;
        if let Some(schema) = &self.schema {
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
        Ok(())
    }

    /// The statements every SQLite connection runs when it opens. The busy timeout comes first
    /// so that switching to WAL waits for a lock held by another connection instead of failing.
    #[cfg(feature = "sqlite")]
    fn sqlite_pragmas(&self) -> String {
        format!(
            "PRAGMA busy_timeout = {busy}; PRAGMA journal_mode = WAL; PRAGMA synchronous = {sync}; \
             PRAGMA foreign_keys = ON; PRAGMA cache_size = -{cache_kib}; \
             PRAGMA mmap_size = {mmap_bytes}; PRAGMA temp_store = MEMORY;",
            busy = duration_millis(self.busy_timeout),
            sync = self.sqlite_synchronous.as_sql(),
            cache_kib = u64::from(self.sqlite_cache_mib) * 1024,
            mmap_bytes = u64::from(self.sqlite_mmap_mib) * 1024 * 1024,
        )
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

/// Opens a PostgreSQL connection as `AsyncPgConnection::establish` does, keeping the whole
/// error: diesel-async keeps only tokio-postgres' top line (`error connecting to server`) and
/// drops its cause (`Connection refused`); a server's refusal is its own message
/// (`FATAL: database "app" does not exist`).
#[cfg(feature = "postgres")]
async fn establish_postgres(url: &str) -> diesel::ConnectionResult<PgConnection> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .map_err(|e| {
            diesel::ConnectionError::BadConnection(match e.as_db_error() {
                Some(db) => db.to_string(),
                None => error_chain(&e),
            })
        })?;
    PgConnection::try_from_client_and_connection(client, connection).await
}

/// `error: cause: cause of the cause`.
#[cfg(feature = "postgres")]
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

fn duration_millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Turns off SQLite's memory statistics for the process (`SQLITE_CONFIG_MEMSTATUS = 0`), once,
/// before portcullis opens its first SQLite connection.
///
/// With statistics on (SQLite's default), every allocation and free inside SQLite takes one
/// process-wide mutex to update the counters. Connections of a pool run on different blocking
/// threads, so under load they queue on that mutex: in a probe with 32 concurrent tasks on a
/// 4-connection pool (2 cores, `SyncConnectionWrapper` as here), turning it off cut futex system
/// calls per query 2.4–10× and raised throughput 1.6× in the median (0.95–2.2× over 9 rounds on
/// a shared machine). What stops working: `sqlite3_memory_used`, `sqlite3_memory_highwater`,
/// `sqlite3_status64` and the soft/hard heap limits, which portcullis does not use.
///
/// SQLite accepts this setting only before it initializes. If the process opened a SQLite
/// database before its first portcullis pool, the call is refused (`SQLITE_MISUSE`, logged at
/// DEBUG) and nothing changes; build with `LIBSQLITE3_FLAGS=SQLITE_DEFAULT_MEMSTATUS=0` to get the
/// same effect at compile time in that case.
#[cfg(feature = "sqlite")]
#[allow(unsafe_code)]
fn sqlite_process_setup() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: `sqlite3_config` takes the option and, for MEMSTATUS, one C `int`, matching the
        // variadic call below. It must not run while another thread uses SQLite. Every SQLite
        // connection portcullis opens is opened after this `Once` has completed (other callers
        // block in `call_once`), and once SQLite is initialized the call only reads its
        // initialized flag and returns SQLITE_MISUSE. What it cannot rule out is code outside
        // portcullis opening SQLite on another thread at this very moment; the rustdoc of
        // `PoolConfig` asks applications that use SQLite elsewhere to open the pool first.
        let rc = unsafe {
            libsqlite3_sys::sqlite3_config(
                libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS,
                0 as std::ffi::c_int,
            )
        };
        if rc == libsqlite3_sys::SQLITE_OK {
            tracing::debug!(target: "portcullis::db", "SQLite memory statistics off");
        } else {
            tracing::debug!(
                target: "portcullis::db",
                code = rc,
                "SQLite was initialized before portcullis: memory statistics stay on"
            );
        }
    });
}

/// Whether [`sqlite_process_setup`] turned SQLite's memory statistics off: with them off,
/// `sqlite3_memory_used` stays 0 however much SQLite allocates.
#[cfg(all(test, feature = "sqlite"))]
#[allow(unsafe_code)]
pub(crate) fn sqlite_memstatus_off() -> bool {
    // SAFETY: a read of SQLite's counter; thread-safe by SQLite's contract.
    unsafe { libsqlite3_sys::sqlite3_memory_used() == 0 }
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
///
/// Its connections are reached only through scopes (`Scoped`, `Bind`, `Insert`, ..) and,
/// for queries no policy covers, through the named escape [`Pool::unscoped`], which takes a
/// reason and is logged and counted: there is no public field or variant to reach past it.
#[derive(Clone)]
pub struct Pool(pub(crate) PoolInner);

/// The backend pools a [`Pool`] wraps.
#[derive(Clone)]
pub(crate) enum PoolInner {
    #[cfg(feature = "sqlite")]
    Sqlite(bb8::Pool<SqliteConnection>),
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

/// SQLite's SQLITE_BUSY, which diesel reports as an unknown database error with SQLite's own
/// message for that code.
#[cfg(feature = "sqlite")]
fn is_sqlite_busy(e: &diesel::result::Error) -> bool {
    matches!(e, diesel::result::Error::DatabaseError(_, info) if info.message() == "database is locked")
}

// The pool builder is the same for every backend; diesel-async's generic bounds for it are not
// worth spelling out, so it is written once here and instantiated per concrete connection type.
//
// The first connection is opened here, once, by the same set-up function the pool uses, and
// handed to the pool: bb8's own start-up check retries a failing connect until the connection
// timeout, so a typo in the URL cost 5 s and its cause surfaced only after that wait. A server
// that does not answer at all is still bounded by the connection timeout.
macro_rules! build_pool {
    ($config:expr, $backend:expr, $manager:expr, $first:expr) => {{
        let config: &PoolConfig = $config;
        let first = match tokio::time::timeout(config.connection_timeout, $first).await {
            Ok(Ok(conn)) => conn,
            Ok(Err(source)) => {
                return Err(DbError::Connect {
                    setting: config.setting.clone(),
                    url: config.redacted_url(),
                    source: diesel_async::pooled_connection::PoolError::ConnectionError(source),
                });
            }
            Err(_) => {
                return Err(DbError::ConnectTimeout {
                    setting: config.setting.clone(),
                    url: config.redacted_url(),
                    timeout_ms: duration_millis(config.connection_timeout),
                });
            }
        };
        let pool = bb8::Pool::builder()
            .max_size(config.effective_max_size($backend))
            .connection_timeout(config.connection_timeout)
            .build_unchecked($manager);
        // `add` fails only when the pool is full, which a new pool of at least one connection
        // is not; were it to fail, the connection is dropped and the pool opens another on
        // demand.
        let _ = pool.add(first);
        pool
    }};
}

impl Pool {
    /// Opens a pool for `url` with default settings (see [`PoolConfig`]).
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        Self::connect_with(PoolConfig::new(url)).await
    }

    /// Opens a pool and its first connection, once, so a bad URL, a missing database, wrong
    /// credentials or a refused port fail at start-up, at once, with [`DbError::Connect`]: the
    /// setting's name ([`PoolConfig::setting`], `DATABASE_URL` by default), the URL without its
    /// password, and the database's own message. A server that does not answer fails with
    /// [`DbError::ConnectTimeout`] after the connection timeout. Every setting is checked first
    /// ([`PoolConfig::validate`]): a bad one is an error, never a panic.
    ///
    /// ```no_run
    /// use portcullis::db::{Pool, PoolConfig};
    /// # async fn run() -> Result<(), portcullis::db::DbError> {
    /// let pool = Pool::connect_with(PoolConfig::from_env("app.db")?.max_size(8)).await?;
    /// # let _ = pool; Ok(()) }
    /// ```
    pub async fn connect_with(config: PoolConfig) -> Result<Self, DbError> {
        config.validate()?;
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
        sqlite_process_setup();
        let path = config
            .url
            .strip_prefix("sqlite://")
            .unwrap_or(&config.url)
            .to_owned();
        if config.sqlite_synchronous == Synchronous::Off {
            tracing::warn!(
                target: "portcullis::db",
                setting = PoolConfig::ENV_SQLITE_SYNCHRONOUS,
                reason = "sqlite_synchronous_off",
                "SQLite runs with PRAGMA synchronous = OFF: a power loss or OS crash can corrupt \
                 the database; use `normal` (safe in WAL mode) unless the data is disposable"
            );
        }
        let max_size = config.effective_max_size(Backend::Sqlite);
        tracing::info!(
            target: "portcullis::db",
            max_size,
            busy_timeout_ms = duration_millis(config.busy_timeout),
            synchronous = config.sqlite_synchronous.as_sql(),
            cache_mib = config.sqlite_cache_mib,
            mmap_mib = config.sqlite_mmap_mib,
            "opening SQLite pool"
        );
        // Foreign keys are off by default in SQLite; WAL lets readers run beside a writer; the
        // busy timeout turns lock contention into a short wait instead of an error; see
        // `PoolConfig` for the rest.
        let pragmas = config.sqlite_pragmas();
        let busy_timeout = config.busy_timeout;
        let open = move |url: String| {
            let pragmas = pragmas.clone();
            async move {
                let mut conn = SqliteConnection::establish(&url).await?;
                // Switching a new file to WAL takes an exclusive lock and SQLite answers
                // SQLITE_BUSY at once, without its busy handler, when another connection (a
                // second pool, another instance) is doing the same: wait for it like any other
                // lock, up to the busy timeout, instead of failing start-up.
                let started = tokio::time::Instant::now();
                loop {
                    match conn.batch_execute(&pragmas).await {
                        Ok(()) => break,
                        Err(e) if is_sqlite_busy(&e) && started.elapsed() < busy_timeout => {
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        }
                        Err(e) => {
                            return Err(diesel::ConnectionError::CouldntSetupConfiguration(e));
                        }
                    }
                }
                Ok(conn)
            }
        };
        let first = open(path.clone());
        let mut manager_config = ManagerConfig::<SqliteConnection>::default();
        manager_config.custom_setup = Box::new(move |url| open(url.to_owned()).boxed());
        let manager = AsyncDieselConnectionManager::new_with_config(path, manager_config);
        let pool = build_pool!(config, Backend::Sqlite, manager, first);
        Ok(Pool(PoolInner::Sqlite(pool)))
    }

    #[cfg(feature = "postgres")]
    async fn connect_postgres(config: &PoolConfig) -> Result<Self, DbError> {
        use diesel_async::SimpleAsyncConnection;
        tracing::info!(
            target: "portcullis::db",
            max_size = config.effective_max_size(Backend::Postgres),
            "opening PostgreSQL pool"
        );
        let schema = config.schema.clone();
        let open = move |url: String| {
            let schema = schema.clone();
            async move {
                let mut conn = establish_postgres(&url).await?;
                if let Some(schema) = schema {
                    // The schema was checked to be a plain identifier in `connect_with`.
                    conn.batch_execute(&format!("SET search_path TO \"{schema}\""))
                        .await
                        .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                }
                Ok(conn)
            }
        };
        let first = open(config.url.clone());
        let mut manager_config = ManagerConfig::<PgConnection>::default();
        manager_config.custom_setup = Box::new(move |url| open(url.to_owned()).boxed());
        let manager = AsyncDieselConnectionManager::new_with_config(&config.url, manager_config);
        let pool = build_pool!(config, Backend::Postgres, manager, first);
        Ok(Pool(PoolInner::Postgres(pool)))
    }

    /// The backend this pool talks to.
    pub fn backend(&self) -> Backend {
        match &self.0 {
            #[cfg(feature = "sqlite")]
            PoolInner::Sqlite(_) => Backend::Sqlite,
            #[cfg(feature = "postgres")]
            PoolInner::Postgres(_) => Backend::Postgres,
        }
    }

    /// Raw access to the database for what no policy covers (migrations, look-ups before
    /// anyone is authenticated, background maintenance): the one escape from scoped queries.
    /// `reason` says why; every use is logged on `portcullis::scope` (inside a guarded
    /// handler the event carries its route and principal) and counted in the posture table.
    ///
    /// ```no_run
    /// use portcullis::db::{Pool, RawConnection};
    /// # async fn run(pool: Pool) -> Result<(), portcullis::db::DbError> {
    /// pool.unscoped("create the schema at start-up")
    ///     .batch_execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY)")
    ///     .await?;
    /// match pool.unscoped("look up the account before login").connection().await? {
    ///     RawConnection::Sqlite(mut conn) => { /* diesel-async queries on `conn` */ }
    ///     // `RawConnection::Postgres(conn)` with the `postgres` feature.
    ///     _ => {}
    /// }
    /// # Ok(()) }
    /// ```
    pub fn unscoped(&self, reason: &'static str) -> crate::backend::db::unscoped::Unscoped<'_> {
        crate::backend::db::unscoped::Unscoped::new(self, reason)
    }

    /// Runs SQL statements separated by `;` for portcullis's own tables (its migrations).
    pub(crate) async fn batch_execute(&self, sql: &str) -> Result<(), DbError> {
        use diesel_async::SimpleAsyncConnection;
        match &self.0 {
            #[cfg(feature = "sqlite")]
            PoolInner::Sqlite(p) => Ok(p.get().await?.batch_execute(sql).await?),
            #[cfg(feature = "postgres")]
            PoolInner::Postgres(p) => Ok(p.get().await?.batch_execute(sql).await?),
        }
    }
}

pub mod unscoped;

pub use unscoped::{RawConnection, Unscoped};

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
    async fn opening_a_sqlite_pool_turns_memory_statistics_off() {
        let path =
            std::env::temp_dir().join(format!("portcullis-mem-{}.sqlite", std::process::id()));
        let pool = Pool::connect(path.to_str().unwrap()).await.unwrap();
        pool.batch_execute(
            "CREATE TABLE IF NOT EXISTS m (x BLOB); INSERT INTO m VALUES (randomblob(100000));",
        )
        .await
        .unwrap();
        // With statistics on, SQLite counts the memory of the open connection and the blob.
        assert!(sqlite_memstatus_off(), "SQLite still tracks its memory use");
        drop(pool);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }

    #[test]
    fn synchronous_off_is_accepted_and_the_pragmas_follow_the_settings() {
        let c = PoolConfig::from_lookup("x.db", |n| {
            (n == PoolConfig::ENV_SQLITE_SYNCHRONOUS).then(|| "off".to_owned())
        })
        .unwrap();
        assert_eq!(c.sqlite_synchronous, Synchronous::Off);
        assert!(c.sqlite_pragmas().contains("PRAGMA synchronous = OFF;"));
        let pragmas = PoolConfig::new("x.db").sqlite_pragmas();
        assert!(
            pragmas.starts_with("PRAGMA busy_timeout = 5000;"),
            "{pragmas}"
        );
        for p in [
            "PRAGMA journal_mode = WAL;",
            "PRAGMA synchronous = NORMAL;",
            "PRAGMA foreign_keys = ON;",
            "PRAGMA cache_size = -16384;",
            "PRAGMA mmap_size = 268435456;",
            "PRAGMA temp_store = MEMORY;",
        ] {
            assert!(pragmas.contains(p), "{p} missing from {pragmas}");
        }
    }

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
