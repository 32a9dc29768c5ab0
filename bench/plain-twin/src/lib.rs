//! The example's document reads, `GET /docs` and `GET /docs/{id}`, written by hand in plain
//! axum + diesel with no portcullis: the baseline the benchmarks in `portcullis-bench` compare
//! the guarded example against.
//!
//! Per request it does by hand what the example's guard, scope and shaper do: verifies the
//! bearer JWT with the example's public keys (its JWKS), refuses a `jti` in the example's
//! deny-list table, counts the request against a per-user limit, and reads the caller's
//! tenant's documents, leaving `body` out of archived ones. It answers the same JSON.
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

/// The twin's authentication steps, for benchmarks that time them one by one.
pub use auth::{Claims, Keys, is_revoked};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, bb8};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use governor::{DefaultKeyedRateLimiter, Quota};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

/// A SQLite connection usable from async code (diesel-async's wrapper).
pub type Conn = SyncConnectionWrapper<diesel::SqliteConnection>;
/// The connection pool.
pub type Pool = bb8::Pool<Conn>;

/// The example's limit on `GET /docs` (`throttle = "120/min per user"`).
pub const LIST_DOCS_PER_MINUTE: NonZeroU32 = NonZeroU32::new(120).unwrap();

/// What the twin needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// The example's SQLite file (a path or `sqlite://path`).
    pub database_url: String,
    /// The example's public keys as a JWKS document (`GET /.well-known/jwks.json`).
    pub jwks_json: String,
    /// The `iss` tokens must carry.
    pub issuer: String,
    /// The `aud` tokens must carry.
    pub audience: String,
    /// Requests a minute per user; the example's `list_docs` allows 120.
    pub per_user_per_minute: NonZeroU32,
    /// `GET /docs` filters with the `WHERE` the example's two read rules compile to,
    /// `((tenant_id = ?) AND NOT (archived = ?)) OR ((tenant_id = ?) AND (archived = ?))`,
    /// instead of the equivalent `tenant_id = ?` a person writes (default): this tells the
    /// cost of that SQL apart from the cost of the framework.
    pub policy_where: bool,
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
            jwks_json: jwks_json.into(),
            issuer: issuer.into(),
            audience: audience.into(),
            per_user_per_minute: LIST_DOCS_PER_MINUTE,
            policy_where: false,
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
    policy_where: bool,
}

/// Opens the pool and returns the router with both routes.
pub async fn app(config: Config) -> Result<axum::Router, Error> {
    let keys = auth::Keys::from_jwks(&config.jwks_json, &config.issuer, &config.audience)?;
    let pool = connect(&config.database_url).await?;
    let state = AppState {
        pool,
        keys: Arc::new(keys),
        limiter: Arc::new(DefaultKeyedRateLimiter::keyed(Quota::per_minute(
            config.per_user_per_minute,
        ))),
        policy_where: config.policy_where,
    };
    Ok(axum::Router::new()
        .route("/docs", axum::routing::get(docs::list))
        .route("/docs/{id}", axum::routing::get(docs::show))
        .with_state(state))
}

/// The pool the example's `portcullis::db::Pool` opens on SQLite, set up the same way: 10
/// connections, 5 s to get one, foreign keys, a 5 s busy timeout and WAL on each connection.
async fn connect(url: &str) -> Result<Pool, Error> {
    use diesel_async::{AsyncConnection, SimpleAsyncConnection};
    let path = url.strip_prefix("sqlite://").unwrap_or(url);
    let mut setup = ManagerConfig::<Conn>::default();
    setup.custom_setup = Box::new(|url| {
        let url = url.to_owned();
        Box::pin(async move {
            let mut conn = Conn::establish(&url).await?;
            conn.batch_execute(
                "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL;",
            )
            .await
            .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            Ok(conn)
        })
    });
    bb8::Pool::builder()
        .max_size(10)
        .connection_timeout(Duration::from_secs(5))
        .build(AsyncDieselConnectionManager::new_with_config(path, setup))
        .await
        .map_err(|e| Error::Db(e.to_string()))
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
}

/// An RFC 9457 problem as the example writes it (`application/problem+json`).
fn problem(status: StatusCode, detail: Option<&str>) -> Response {
    let body = ProblemBody {
        type_uri: "about:blank",
        title: status.canonical_reason().unwrap_or("Error"),
        status: status.as_u16(),
        detail,
    };
    let mut res = (status, axum::Json(body)).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    res
}

/// A 500 whose cause stays in the server.
fn internal() -> Response {
    problem(StatusCode::INTERNAL_SERVER_ERROR, None)
}
