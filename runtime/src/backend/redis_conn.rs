//! The one Redis connection every Redis-backed piece uses (feature `redis`): the revocation
//! deny-list, the session store and the rate limiter.
//!
//! A [`RedisConnection`] is cheap to clone and shared; it
//!
//! - **reconnects**: it wraps the redis crate's `aio::ConnectionManager`, which replaces a
//!   dropped connection (server restart, failover); the command that met the dead connection
//!   is sent once more on the new one. A command that times out or meets a read-only replica
//!   discards the connection, so a stalled or black-holed server is not waited on forever
//!   and DNS is resolved again;
//! - **bounds every call**: connecting is bounded by the connect timeout (default 1 s), each
//!   command by the response timeout (default 500 ms), and no call ever waits longer than the
//!   two added up;
//! - **says what failed**: [`RedisConnError::Unavailable`] (unreachable, timed out, loading,
//!   read-only: the caller refuses the request with a 503 or applies its fail policy) is kept
//!   apart from [`RedisConnError::Command`] (the server answered with an error: a bug).
//!
//! [`RedisConnection::connect`] checks at start-up that the server answers (an unreachable
//! server is a start-up error naming the URL, password redacted);
//! [`RedisConnectionBuilder::lazy`] lets the application start while Redis is briefly down and
//! connects on first use.
//!
//! ```no_run
//! use portcullis::authn::revocation::RedisRevocationStore;
//! use portcullis::authn::session::RedisSessionStore;
//! use portcullis::redis_conn::RedisConnection;
//! use portcullis::throttle::RedisLimiterBuilder;
//! use std::time::{Duration, Instant};
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let redis = RedisConnection::builder("redis://127.0.0.1:6379")?
//!     .connect_timeout(Duration::from_millis(500))
//!     .response_timeout(Duration::from_millis(250))
//!     .connect()
//!     .await?; // Err names `redis://127.0.0.1:6379/0` when the server does not answer
//! let revoked = RedisRevocationStore::new(redis.clone(), "myapp:");
//! let sessions = RedisSessionStore::new(redis.clone(), "myapp:");
//! let limits = RedisLimiterBuilder::with_connection(redis).prefix("myapp:throttle:");
//! # let _ = (revoked, sessions, limits); Ok(()) }
//! ```

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{ConnectionAddr, ErrorKind, FromRedisValue, RedisError};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The `tracing` target of connection events.
const TARGET: &str = "portcullis::redis";

/// Why a Redis call failed.
///
/// ```
/// use portcullis::redis_conn::RedisConnection;
/// let err = RedisConnection::builder("not a url").unwrap_err();
/// assert!(!err.is_unavailable()); // a configuration error, not an outage
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RedisConnError {
    /// The URL does not parse (its text is not repeated: it may hold a password).
    #[error("invalid redis URL: {0}")]
    InvalidUrl(#[source] RedisError),
    /// Redis could not be reached or did not answer in time (or is loading, or read-only
    /// after a failover). Transient: refuse the request (503) or apply a fail policy.
    #[error("redis at {target} unavailable ({reason}): {detail}")]
    Unavailable {
        /// The server, without credentials (`redis://host:port/db`).
        target: String,
        /// A stable code: `timeout`, `connection_refused`, `connection_dropped`, `io`,
        /// `not_ready`, `read_only`.
        reason: &'static str,
        /// What the client library said.
        detail: String,
    },
    /// The server answered with an error (wrong type, script error, authentication): not an
    /// outage, retrying will not help.
    #[error("redis at {target}: {source}")]
    Command {
        /// The server, without credentials.
        target: String,
        /// The error.
        #[source]
        source: RedisError,
    },
}

impl RedisConnError {
    /// Whether this is a transient outage ([`RedisConnError::Unavailable`]).
    ///
    /// ```
    /// use portcullis::redis_conn::RedisConnError;
    /// let e = RedisConnError::Unavailable { target: "redis://127.0.0.1:6379/0".into(), reason: "timeout", detail: "no answer".into() };
    /// assert!(e.is_unavailable());
    /// assert_eq!(e.to_string(), "redis at redis://127.0.0.1:6379/0 unavailable (timeout): no answer");
    /// ```
    pub fn is_unavailable(&self) -> bool {
        matches!(self, RedisConnError::Unavailable { .. })
    }
}

/// Settings of a [`RedisConnection`]; [`connect`](Self::connect) or [`lazy`](Self::lazy)
/// makes it.
///
/// ```no_run
/// use portcullis::redis_conn::RedisConnection;
/// use std::time::Duration;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::redis_conn::RedisConnError> {
/// let redis = RedisConnection::builder("redis://:s3cret@127.0.0.1:6379/2")?
///     .response_timeout(Duration::from_millis(200))
///     .connect()
///     .await?;
/// assert_eq!(redis.target(), "redis://***@127.0.0.1:6379/2");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisConnectionBuilder {
    client: redis::Client,
    target: String,
    connect_timeout: Duration,
    response_timeout: Duration,
}

impl std::fmt::Debug for RedisConnectionBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisConnectionBuilder")
            .field("target", &self.target)
            .field("connect_timeout", &self.connect_timeout)
            .field("response_timeout", &self.response_timeout)
            .finish()
    }
}

impl RedisConnectionBuilder {
    /// The bound on opening a connection (TCP, TLS and handshake). Default 1 s.
    ///
    /// ```
    /// use portcullis::redis_conn::RedisConnection;
    /// let b = RedisConnection::builder("redis://127.0.0.1:6379").unwrap()
    ///     .connect_timeout(std::time::Duration::from_millis(300));
    /// # let _ = b;
    /// ```
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The bound on one command's answer. Default 500 ms.
    ///
    /// ```
    /// use portcullis::redis_conn::RedisConnection;
    /// let b = RedisConnection::builder("redis://127.0.0.1:6379").unwrap()
    ///     .response_timeout(std::time::Duration::from_millis(100));
    /// # let _ = b;
    /// ```
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// Connects and checks that the server answers `PING`: an unreachable server is an error
    /// here, at start-up, naming the server (password redacted).
    ///
    /// ```no_run
    /// use portcullis::redis_conn::RedisConnection;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// match RedisConnection::builder("redis://127.0.0.1:6379").unwrap().connect().await {
    ///     Ok(redis) => { let _ = redis; }
    ///     Err(e) => eprintln!("{e}"), // redis at redis://127.0.0.1:6379/0 unavailable (connection_refused): …
    /// }
    /// # }
    /// ```
    pub async fn connect(self) -> Result<RedisConnection, RedisConnError> {
        let conn = self.lazy();
        conn.query::<String>(&redis::cmd("PING")).await?;
        Ok(conn)
    }

    /// A connection opened on first use: the application starts even while Redis is down,
    /// and calls fail as [`RedisConnError::Unavailable`] until it answers. Nothing is checked
    /// here, so a wrong host shows up only on the first request: prefer
    /// [`connect`](Self::connect) unless Redis may legitimately be down at start-up.
    ///
    /// ```
    /// use portcullis::redis_conn::RedisConnection;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// // Port 1 is closed: the lazy connection is made all the same, the call fails quickly.
    /// let redis = RedisConnection::builder("redis://127.0.0.1:1").unwrap().lazy();
    /// let err = redis.query::<String>(&redis::cmd("PING")).await.unwrap_err();
    /// assert!(err.is_unavailable());
    /// # }
    /// ```
    pub fn lazy(self) -> RedisConnection {
        RedisConnection {
            inner: Arc::new(Inner {
                client: self.client,
                target: self.target,
                connect_timeout: self.connect_timeout,
                response_timeout: self.response_timeout,
                state: Mutex::new(State::default()),
                connecting: tokio::sync::Mutex::new(()),
            }),
        }
    }
}

/// A shared, reconnecting, time-bounded Redis connection (see the [module](self) docs).
///
/// ```no_run
/// use portcullis::redis_conn::RedisConnection;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::redis_conn::RedisConnError> {
/// let redis = RedisConnection::connect("redis://127.0.0.1:6379").await?;
/// let n: i64 = redis.query(redis::cmd("EXISTS").arg("myapp:revoked:jti-1")).await?;
/// # let _ = n; Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisConnection {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    target: String,
    connect_timeout: Duration,
    response_timeout: Duration,
    state: Mutex<State>,
    /// Held while a connection is being opened, so a burst of requests opens one, not many.
    connecting: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct State {
    /// The live manager and the attempt number that made it.
    manager: Option<(u64, ConnectionManager)>,
    /// Connection attempts so far.
    attempts: u64,
    /// Why the last attempt failed.
    last_failure: Option<(&'static str, String)>,
}

impl std::fmt::Debug for RedisConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisConnection")
            .field("target", &self.inner.target)
            .field("connect_timeout", &self.inner.connect_timeout)
            .field("response_timeout", &self.inner.response_timeout)
            .finish_non_exhaustive()
    }
}

impl RedisConnection {
    /// The default bound on opening a connection.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
    /// The default bound on one command's answer.
    pub const DEFAULT_RESPONSE_TIMEOUT: Duration = Duration::from_millis(500);

    /// Settings for the server at `url` (`redis://[[user]:password@]host[:port][/db]`,
    /// `rediss://` for TLS when the redis crate has a TLS feature, `redis+unix:///path`). A
    /// malformed URL is an error here.
    ///
    /// ```
    /// use portcullis::redis_conn::RedisConnection;
    /// assert!(RedisConnection::builder("redis://127.0.0.1:6379").is_ok());
    /// assert!(RedisConnection::builder("http://example.com").is_err());
    /// ```
    pub fn builder(url: &str) -> Result<RedisConnectionBuilder, RedisConnError> {
        let client = redis::Client::open(url).map_err(RedisConnError::InvalidUrl)?;
        let target = redacted(client.get_connection_info());
        Ok(RedisConnectionBuilder {
            client,
            target,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            response_timeout: Self::DEFAULT_RESPONSE_TIMEOUT,
        })
    }

    /// Connects with the default timeouts and checks that the server answers
    /// ([`RedisConnectionBuilder::connect`]).
    ///
    /// ```no_run
    /// use portcullis::redis_conn::RedisConnection;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::redis_conn::RedisConnError> {
    /// let redis = RedisConnection::connect("redis://127.0.0.1:6379").await?;
    /// # let _ = redis; Ok(()) }
    /// ```
    pub async fn connect(url: &str) -> Result<Self, RedisConnError> {
        Self::builder(url)?.connect().await
    }

    /// The server, without credentials: `redis://host:port/db` (`***@` when the URL has
    /// credentials). Safe to log.
    ///
    /// ```
    /// use portcullis::redis_conn::RedisConnection;
    /// let redis = RedisConnection::builder("redis://app:hunter2@cache.internal:6380/1").unwrap().lazy();
    /// assert_eq!(redis.target(), "redis://***@cache.internal:6380/1");
    /// ```
    pub fn target(&self) -> &str {
        &self.inner.target
    }

    /// Runs one command, bounded by the timeouts. A command whose connection dropped under
    /// it is sent once more on the new connection, so it must be safe to repeat (`GET`,
    /// `SET`, `DEL`, `EXISTS`, `SET … NX` are; `INCR` is not).
    ///
    /// ```no_run
    /// use portcullis::redis_conn::RedisConnection;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::redis_conn::RedisConnError> {
    /// let redis = RedisConnection::connect("redis://127.0.0.1:6379").await?;
    /// let v: Option<String> = redis.query(redis::cmd("GET").arg("myapp:key")).await?;
    /// # let _ = v; Ok(()) }
    /// ```
    pub async fn query<T: FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, RedisConnError> {
        self.call(|mut conn| async move { cmd.query_async(&mut conn).await })
            .await
    }

    /// Runs a Lua script (`EVALSHA`, loading it first when the server does not know it, e.g.
    /// after a restart), bounded by the timeouts and repeated once like [`query`](Self::query).
    ///
    /// ```no_run
    /// use portcullis::redis_conn::RedisConnection;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), portcullis::redis_conn::RedisConnError> {
    /// let redis = RedisConnection::connect("redis://127.0.0.1:6379").await?;
    /// let script = redis::Script::new("return redis.call('GET', KEYS[1])");
    /// let v: Option<String> = redis.invoke(&script.key("myapp:key")).await?;
    /// # let _ = v; Ok(()) }
    /// ```
    pub async fn invoke<T: FromRedisValue>(
        &self,
        script: &redis::ScriptInvocation<'_>,
    ) -> Result<T, RedisConnError> {
        self.call(|mut conn| async move { script.invoke_async(&mut conn).await })
            .await
    }

    async fn call<T, F, Fut>(&self, op: F) -> Result<T, RedisConnError>
    where
        F: Fn(ConnectionManager) -> Fut,
        Fut: Future<Output = Result<T, RedisError>>,
    {
        // The manager's own timeouts bound each connection attempt and each answer; this
        // bounds the rest (waiting for a reconnection in flight, or for the connect lock).
        let bound = self.bound();
        let mut flight = InFlight {
            conn: self,
            started: Instant::now(),
            id: None,
            done: false,
        };
        let attempt = async {
            let (id, conn) = self.manager().await?;
            flight.id = Some(id);
            match op(conn.clone()).await {
                // The connection died under this command (server restarted, failover): the
                // manager is already reconnecting, and the command goes once more on the new
                // connection, so a quick restart costs no request. Every command portcullis
                // sends is safe to repeat (at worst a GCRA check counts twice, which errs on
                // the strict side).
                Err(e) if e.is_connection_dropped() => op(conn).await,
                other => other,
            }
            .map_err(|e| self.classify(e))
        };
        let outcome = tokio::time::timeout(bound, attempt)
            .await
            .unwrap_or_else(|_| {
                Err(self.unavailable("timeout", format!("no answer within {bound:?}")))
            });
        flight.done = true;
        if let (Some(id), Err(RedisConnError::Unavailable { reason, .. })) = (flight.id, &outcome)
            && matches!(*reason, "timeout" | "read_only")
        {
            // A dropped connection is replaced by the manager itself; a silent one (stalled,
            // black-holed) or one to a replica (demoted by a failover) is not: start afresh.
            self.discard(id);
        }
        outcome
    }

    /// The live manager, opening one when there is none. Concurrent callers share one
    /// attempt: those who waited for an attempt that failed get its error at once.
    async fn manager(&self) -> Result<(u64, ConnectionManager), RedisConnError> {
        let seen = {
            let s = self.state();
            if let Some((id, m)) = &s.manager {
                return Ok((*id, m.clone()));
            }
            s.attempts
        };
        let _flight = self.inner.connecting.lock().await;
        {
            let s = self.state();
            if let Some((id, m)) = &s.manager {
                return Ok((*id, m.clone()));
            }
            if s.attempts != seen
                && let Some((reason, detail)) = s.last_failure.clone()
            {
                return Err(self.unavailable(reason, format!("connecting failed: {detail}")));
            }
        }
        let inner = &self.inner;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(inner.connect_timeout)
            .set_response_timeout(inner.response_timeout)
            // No background retry loop: the next command after a failed reconnection starts
            // the next attempt, so a request never waits through a backoff schedule.
            .set_number_of_retries(0);
        let opened = tokio::time::timeout(
            inner.connect_timeout,
            ConnectionManager::new_with_config(inner.client.clone(), config),
        )
        .await
        .unwrap_or_else(|_| Err(std::io::Error::from(std::io::ErrorKind::TimedOut).into()));
        let mut s = self.state();
        s.attempts += 1;
        let id = s.attempts;
        match opened {
            Ok(m) => {
                if s.last_failure.take().is_some() {
                    tracing::info!(target: TARGET, redis = %inner.target, "redis reachable again");
                }
                s.manager = Some((id, m.clone()));
                Ok((id, m))
            }
            Err(e) => {
                let e = self.classify(e);
                if let RedisConnError::Unavailable { reason, detail, .. } = &e {
                    tracing::warn!(target: TARGET, redis = %inner.target, reason, error = %detail, "redis connection failed");
                    s.last_failure = Some((reason, detail.clone()));
                } else {
                    s.last_failure = None;
                }
                Err(e)
            }
        }
    }

    /// The longest any call waits: the connect timeout plus the response timeout.
    ///
    /// ```
    /// use portcullis::redis_conn::RedisConnection;
    /// let redis = RedisConnection::builder("redis://127.0.0.1:6379").unwrap().lazy();
    /// assert_eq!(redis.bound(), std::time::Duration::from_millis(1500));
    /// ```
    pub fn bound(&self) -> Duration {
        self.inner.connect_timeout + self.inner.response_timeout
    }

    fn discard(&self, id: u64) {
        let mut s = self.state();
        if s.manager.as_ref().is_some_and(|(live, _)| *live == id) {
            tracing::warn!(target: TARGET, redis = %self.inner.target, reason = "connection_discarded", "redis connection discarded (timed out or read-only); the next call reconnects");
            s.manager = None;
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The state is replaced whole under the lock: a panic elsewhere cannot leave it torn.
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn unavailable(&self, reason: &'static str, detail: String) -> RedisConnError {
        RedisConnError::Unavailable {
            target: self.inner.target.clone(),
            reason,
            detail,
        }
    }

    fn classify(&self, e: RedisError) -> RedisConnError {
        match reason(&e) {
            Some(reason) => self.unavailable(reason, e.to_string()),
            None => RedisConnError::Command {
                target: self.inner.target.clone(),
                source: e,
            },
        }
    }
}

/// A [`RedisConnection`] and the prefix every key of one store starts with: the key space of
/// the revocation deny-list, the session store and the limiter. Each store names its keys
/// `<prefix><kind>:<id>` (the limiter `<prefix><key>`), so stores sharing a server and a
/// prefix never meet. Used by the `authn` stores and the `throttle` limiter only.
#[cfg(any(feature = "authn", feature = "throttle"))]
#[derive(Clone)]
pub(crate) struct KeySpace {
    conn: RedisConnection,
    prefix: String,
}

#[cfg(any(feature = "authn", feature = "throttle"))]
impl KeySpace {
    pub(crate) fn new(conn: RedisConnection, prefix: impl Into<String>) -> Self {
        Self {
            conn,
            prefix: prefix.into(),
        }
    }

    pub(crate) fn conn(&self) -> &RedisConnection {
        &self.conn
    }

    /// Replaces the connection, keeping the prefix.
    pub(crate) fn set_conn(&mut self, conn: RedisConnection) {
        self.conn = conn;
    }

    /// Replaces the prefix, keeping the connection.
    pub(crate) fn set_prefix(&mut self, prefix: impl Into<String>) {
        self.prefix = prefix.into();
    }

    /// The key `<prefix><part><part>…`.
    pub(crate) fn key(&self, parts: &[&str]) -> String {
        let len = self.prefix.len() + parts.iter().map(|p| p.len()).sum::<usize>();
        let mut key = String::with_capacity(len);
        key.push_str(&self.prefix);
        parts.iter().for_each(|p| key.push_str(p));
        key
    }

    /// `name { redis: <target>, prefix: <prefix>` for a store's `Debug`: the target carries no
    /// password.
    pub(crate) fn debug_struct<'a, 'b>(
        &self,
        f: &'a mut std::fmt::Formatter<'b>,
        name: &str,
    ) -> std::fmt::DebugStruct<'a, 'b> {
        let mut d = f.debug_struct(name);
        d.field("redis", &self.conn.target())
            .field("prefix", &self.prefix);
        d
    }
}

/// The outage class of `e`, or `None` when the server answered with a real error.
fn reason(e: &RedisError) -> Option<&'static str> {
    if e.is_timeout() {
        Some("timeout")
    } else if e.is_connection_refusal() {
        Some("connection_refused")
    } else if e.is_connection_dropped() {
        Some("connection_dropped")
    } else if e.is_io_error() {
        Some("io")
    } else {
        match e.kind() {
            ErrorKind::BusyLoadingError
            | ErrorKind::TryAgain
            | ErrorKind::MasterDown
            | ErrorKind::ClusterDown => Some("not_ready"),
            ErrorKind::ReadOnly => Some("read_only"),
            _ => None,
        }
    }
}

/// A call in flight. A caller may give up on a call before its response timeout fires (the
/// limiter bounds each check with its own timeout): a call dropped after waiting at least the
/// response timeout on a connection counts as a timeout of that connection all the same.
struct InFlight<'a> {
    conn: &'a RedisConnection,
    started: Instant,
    id: Option<u64>,
    done: bool,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if !self.done
            && let Some(id) = self.id
            && self.started.elapsed() >= self.conn.inner.response_timeout
        {
            self.conn.discard(id);
        }
    }
}

/// `redis://host:port/db` without user name or password.
fn redacted(info: &redis::ConnectionInfo) -> String {
    let creds = if info.redis.username.is_some() || info.redis.password.is_some() {
        "***@"
    } else {
        ""
    };
    match &info.addr {
        ConnectionAddr::Tcp(..) => format!("redis://{creds}{}/{}", info.addr, info.redis.db),
        ConnectionAddr::Unix(path) => {
            format!(
                "redis+unix://{creds}{}?db={}",
                path.display(),
                info.redis.db
            )
        }
        _ => format!("rediss://{creds}{}/{}", info.addr, info.redis.db),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_never_shows_credentials() {
        for (url, want) in [
            ("redis://127.0.0.1:6379", "redis://127.0.0.1:6379/0"),
            ("redis://localhost", "redis://localhost:6379/0"),
            ("redis://:pw@h:1/3", "redis://***@h:1/3"),
            ("redis://user:pw@h:1", "redis://***@h:1/0"),
            (
                "redis+unix:///tmp/r.sock?db=2",
                "redis+unix:///tmp/r.sock?db=2",
            ),
        ] {
            let b = RedisConnection::builder(url).unwrap();
            assert_eq!(b.target, want, "{url}");
            assert!(!format!("{b:?}").contains("pw"));
        }
    }

    #[test]
    fn invalid_url_does_not_echo_it() {
        let e = RedisConnection::builder("redis://u:secret@[::1").unwrap_err();
        assert!(!e.to_string().contains("secret"));
        assert!(!e.is_unavailable());
    }

    #[tokio::test]
    async fn closed_port_is_unavailable_and_bounded() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let redis = RedisConnection::builder(&format!("redis://127.0.0.1:{port}"))
            .unwrap()
            .connect_timeout(Duration::from_millis(200))
            .response_timeout(Duration::from_millis(200));
        let start = std::time::Instant::now();
        let err = redis.clone().connect().await.unwrap_err();
        assert!(start.elapsed() < Duration::from_secs(1));
        assert!(err.is_unavailable(), "{err}");
        assert!(
            err.to_string()
                .contains(&format!("redis://127.0.0.1:{port}/0")),
            "{err}"
        );
        let lazy = redis.lazy();
        let err = lazy.query::<String>(&redis::cmd("PING")).await.unwrap_err();
        assert!(err.is_unavailable(), "{err}");
    }
}
