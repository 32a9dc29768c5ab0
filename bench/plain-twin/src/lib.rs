//! The example's document reads, `GET /docs` and `GET /docs/{id}`, written by hand in plain
//! axum + diesel with no portcullis: the baseline the benchmarks in `portcullis-bench` compare
//! the guarded example against.
//!
//! Per request it does by hand what the example's guard, scope and shaper do: verifies the
//! bearer JWT with the example's public keys (its JWKS), refuses a `jti` in the example's
//! deny-list table, counts the request against a per-user limit, and reads the caller's
//! tenant's documents (`WHERE tenant_id = ?`), leaving `body` out of archived ones. It answers
//! the same JSON, including the same 400s for malformed list parameters: keyset pages
//! (`?limit=&after=&order=&total=`, the default) and offset pages (`?page=&per_page=`). On
//! SQLite or PostgreSQL, like the example.
//!
//! ```no_run
//! # async fn run(jwks: String) -> Result<(), portcullis_plain_twin::Error> {
//! let app: axum::Router = portcullis_plain_twin::app(
//!     portcullis_plain_twin::Config::new(
//!         "portcullis-example.db",
//!         jwks,
//!         "portcullis-example",
//!         "portcullis-example-api",
//!     ),
//! )
//! .await?;
//! # let _ = app; Ok(()) }
//! ```

mod auth;
mod docs;
mod params;

/// The twin's steps, for benchmarks that time them one by one.
pub use auth::{Claims, Keys, is_revoked};
pub use docs::{CursorPageOut, Seek, Viewer, cursor_page};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, bb8};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use governor::{DefaultKeyedRateLimiter, Quota};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

/// A SQLite connection usable from async code (diesel-async's wrapper).
pub type SqliteConn = SyncConnectionWrapper<diesel::SqliteConnection>;
/// A PostgreSQL connection.
pub type PgConn = diesel_async::AsyncPgConnection;

/// A connection pool on SQLite or PostgreSQL.
#[derive(Clone)]
pub enum Pool {
    Sqlite(bb8::Pool<SqliteConn>),
    Postgres(bb8::Pool<PgConn>),
}

/// Runs `$body` with `$conn` bound to a pooled connection of whichever backend `$pool` uses
/// (the body is compiled once per backend); a failed checkout is a [`DbFail`].
macro_rules! with_conn {
    ($pool:expr, |$conn:ident| $body:expr) => {
        match $pool {
            $crate::Pool::Sqlite(p) => {
                let mut $conn = p.get().await.map_err(|_| $crate::DbFail)?;
                $body
            }
            $crate::Pool::Postgres(p) => {
                let mut $conn = p.get().await.map_err(|_| $crate::DbFail)?;
                $body
            }
        }
    };
}
pub(crate) use with_conn;

/// A database failure (the cause is not reported: the client gets a 500).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DbFail;

impl From<diesel::result::Error> for DbFail {
    fn from(_: diesel::result::Error) -> Self {
        DbFail
    }
}

/// The example's limit on `GET /docs` (`throttle = "120/min per user"`).
pub const LIST_DOCS_PER_MINUTE: NonZeroU32 = NonZeroU32::new(120).unwrap();

/// What every SQLite connection runs when it opens: the example's pool settings
/// (`portcullis::db::PoolConfig`'s defaults: 5 s busy timeout, WAL, `synchronous = NORMAL`,
/// foreign keys, a 16 MiB page cache, a 256 MiB memory map, temporary tables in memory).
pub const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -16384; \
     PRAGMA mmap_size = 268435456; PRAGMA temp_store = MEMORY;";

/// What the twin needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// The example's database: a SQLite file (a path or `sqlite://path`) or `postgres://…`.
    pub database_url: String,
    /// PostgreSQL only: the schema the example's tables are in (`SET search_path`).
    pub schema: Option<String>,
    /// The example's public keys as a JWKS document (`GET /.well-known/jwks.json`).
    pub jwks_json: String,
    /// The `iss` tokens must carry.
    pub issuer: String,
    /// The `aud` tokens must carry.
    pub audience: String,
    /// Requests a minute per user; the example's `list_docs` allows 120.
    pub per_user_per_minute: NonZeroU32,
    /// Connections in the pool (default 10).
    pub pool_size: u32,
}

impl Config {
    /// The twin on `database_url`, verifying with `jwks_json`, at the example's 120/min per user.
    pub fn new(
        database_url: impl Into<String>,
        jwks_json: impl Into<String>,
        issuer: impl Into<String>,
        audience: impl Into<String>,
    ) -> Self {
        Self {
            database_url: database_url.into(),
            schema: None,
            jwks_json: jwks_json.into(),
            issuer: issuer.into(),
            audience: audience.into(),
            per_user_per_minute: LIST_DOCS_PER_MINUTE,
            pool_size: 10,
        }
    }
}

/// A start-up failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("JWKS: {0}")]
    Jwks(String),
    #[error("database: {0}")]
    Db(String),
}

#[derive(Clone)]
struct AppState {
    pool: Pool,
    keys: Arc<auth::Keys>,
    limiter: Arc<DefaultKeyedRateLimiter<i64>>,
}

/// Opens the pool and returns the router with both routes.
pub async fn app(config: Config) -> Result<axum::Router, Error> {
    let keys = auth::Keys::from_jwks(&config.jwks_json, &config.issuer, &config.audience)?;
    let pool = connect(&config).await?;
    let state = AppState {
        pool,
        keys: Arc::new(keys),
        limiter: Arc::new(DefaultKeyedRateLimiter::keyed(Quota::per_minute(
            config.per_user_per_minute,
        ))),
    };
    Ok(axum::Router::new()
        .route("/docs", axum::routing::get(docs::list))
        .route("/docs/{id}", axum::routing::get(docs::show))
        .with_state(state))
}

/// The pool, set up as the example's: `pool_size` connections, 5 s to get one; on SQLite
/// [`SQLITE_PRAGMAS`] on each connection, on PostgreSQL the `search_path` of `schema`.
pub async fn connect(config: &Config) -> Result<Pool, Error> {
    use diesel_async::{AsyncConnection, SimpleAsyncConnection};
    let url = config.database_url.as_str();
    let (size, timeout) = (config.pool_size, Duration::from_secs(5));
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let set_path = match &config.schema {
            Some(s)
                if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                Some(format!("SET search_path TO \"{s}\""))
            }
            Some(s) => return Err(Error::Db(format!("schema {s:?} is not a plain identifier"))),
            None => None,
        };
        let mut setup = ManagerConfig::<PgConn>::default();
        setup.custom_setup = Box::new(move |url| {
            let url = url.to_owned();
            let set_path = set_path.clone();
            Box::pin(async move {
                let mut conn = PgConn::establish(&url).await?;
                if let Some(sql) = set_path {
                    conn.batch_execute(&sql)
                        .await
                        .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                }
                Ok(conn)
            })
        });
        let pool = bb8::Pool::builder()
            .max_size(size)
            .connection_timeout(timeout)
            .build(AsyncDieselConnectionManager::new_with_config(url, setup))
            .await
            .map_err(|e| Error::Db(e.to_string()))?;
        return Ok(Pool::Postgres(pool));
    }
    sqlite_memstatus_off();
    let path = url.strip_prefix("sqlite://").unwrap_or(url);
    let mut setup = ManagerConfig::<SqliteConn>::default();
    setup.custom_setup = Box::new(|url| {
        let url = url.to_owned();
        Box::pin(async move {
            let mut conn = SqliteConn::establish(&url).await?;
            conn.batch_execute(SQLITE_PRAGMAS)
                .await
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            Ok(conn)
        })
    });
    let pool = bb8::Pool::builder()
        .max_size(size)
        .connection_timeout(timeout)
        .build(AsyncDieselConnectionManager::new_with_config(path, setup))
        .await
        .map_err(|e| Error::Db(e.to_string()))?;
    Ok(Pool::Sqlite(pool))
}

/// SQLite's process-wide memory statistics off (`SQLITE_CONFIG_MEMSTATUS = 0`) before the first
/// connection, as the example's pool does: with them on, every allocation inside SQLite takes
/// one global mutex. Refused (and harmless) when SQLite is already initialized.
#[allow(unsafe_code)]
fn sqlite_memstatus_off() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: MEMSTATUS takes one C `int`; SQLite refuses the call with SQLITE_MISUSE once
        // initialized, and this crate opens no SQLite connection before it.
        let _ = unsafe {
            libsqlite3_sys::sqlite3_config(
                libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS,
                0 as std::ffi::c_int,
            )
        };
    });
}

/// One entry of a problem's `errors` member, as the example writes it.
#[derive(serde::Serialize)]
struct FieldError<'a> {
    field: &'a str,
    code: &'static str,
    message: &'a str,
}

/// The members of an RFC 9457 problem, in the example's order.
#[derive(serde::Serialize)]
struct ProblemBody<'a> {
    #[serde(rename = "type")]
    type_uri: &'static str,
    title: &'static str,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    errors: &'a [FieldError<'a>],
}

/// An RFC 9457 problem as the example writes it (`application/problem+json`).
fn problem_with(status: StatusCode, detail: Option<&str>, errors: &[FieldError<'_>]) -> Response {
    let body = ProblemBody {
        type_uri: "about:blank",
        title: status.canonical_reason().unwrap_or("Error"),
        status: status.as_u16(),
        detail,
        errors,
    };
    let mut res = (status, axum::Json(body)).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    res
}

fn problem(status: StatusCode, detail: Option<&str>) -> Response {
    problem_with(status, detail, &[])
}

/// A 500 whose cause stays in the server.
fn internal() -> Response {
    problem(StatusCode::INTERNAL_SERVER_ERROR, None)
}
