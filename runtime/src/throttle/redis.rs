//! The Redis limiter (feature `redis`): GCRA in one atomic Lua script per check, on the Redis
//! server's clock (so app instances with skewed clocks agree), each key expiring when its
//! budget is full again so nothing accumulates. Every call is bounded by a timeout; an
//! unreachable server is handled by the [`FailPolicy`]. Connecting, reconnecting and the
//! timeouts are the shared [`RedisConnection`]'s.

use futures_util::future::{BoxFuture, FutureExt};
use std::sync::Arc;
use std::time::Duration;

use super::{Decision, FailPolicy, LimitError, Limiter, LimiterFactory, Rate, TARGET, unmetered};
use crate::backend::redis_conn::{
    KeySpace, RedisConnError, RedisConnection, RedisConnectionBuilder,
};

/// KEYS[1] = key; ARGV[1] = emission interval T (µs); ARGV[2] = burst.
/// Returns {allowed, remaining, retry_after_us, reset_us}.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local T = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tau = T * (burst - 1)
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
if tat - now > tau then
  return {0, 0, tat - tau - now, tat - now}
end
local new_tat = tat + T
local ttl_ms = math.ceil((new_tat - now) / 1000)
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', ttl_ms)
return {1, math.floor((now + tau + T - new_tat) / T), 0, new_tat - now}
";

/// Builds [`RedisLimiter`]s that share one connection; also the [`LimiterFactory`] for
/// per-route limits on Redis.
#[derive(Clone)]
pub struct RedisLimiterBuilder {
    space: KeySpace,
    /// Set when the builder opened the connection itself: [`timeout`](Self::timeout) then
    /// also bounds connecting and each answer.
    own: Option<RedisConnectionBuilder>,
    timeout: Duration,
    policy: FailPolicy,
}

impl std::fmt::Debug for RedisLimiterBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.space
            .debug_struct(f, "RedisLimiterBuilder")
            .field("timeout", &self.timeout)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl RedisLimiterBuilder {
    const DEFAULT_TIMEOUT: Duration = Duration::from_millis(250);

    /// Limiters on the Redis at `url` (`redis://127.0.0.1:6379`), key prefix
    /// `portcullis:throttle:`, timeout 250 ms, fail closed. A malformed URL is an error at
    /// start-up; the server is first contacted on the first check (a
    /// [lazy](RedisConnectionBuilder::lazy) connection, so a limiter never stops start-up:
    /// its [`FailPolicy`] covers an unreachable server).
    ///
    /// ```
    /// use portcullis::throttle::RedisLimiterBuilder;
    /// assert!(RedisLimiterBuilder::new("redis://127.0.0.1:6379").is_ok());
    /// assert!(RedisLimiterBuilder::new("not a url").is_err());
    /// ```
    pub fn new(url: &str) -> Result<Self, RedisConnError> {
        let own = RedisConnection::builder(url)?
            .connect_timeout(Self::DEFAULT_TIMEOUT)
            .response_timeout(Self::DEFAULT_TIMEOUT);
        let mut builder = Self::with_connection(own.clone().lazy());
        builder.own = Some(own);
        builder.timeout = Self::DEFAULT_TIMEOUT;
        Ok(builder)
    }

    /// Limiters on an existing [`RedisConnection`], e.g. the one the revocation and session
    /// stores use. A check waits at most the connection's [bound](RedisConnection::bound)
    /// unless [`timeout`](Self::timeout) sets a shorter one.
    ///
    /// ```no_run
    /// use portcullis::redis_conn::RedisConnection;
    /// use portcullis::throttle::RedisLimiterBuilder;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let redis = RedisConnection::connect("redis://127.0.0.1:6379").await?;
    /// let limits = RedisLimiterBuilder::with_connection(redis.clone()).prefix("myapp:throttle:");
    /// # let _ = limits; Ok(()) }
    /// ```
    pub fn with_connection(conn: RedisConnection) -> Self {
        Self {
            timeout: conn.bound(),
            space: KeySpace::new(conn, "portcullis:throttle:"),
            own: None,
            policy: FailPolicy::Closed,
        }
    }

    /// The prefix of every Redis key.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.space.set_prefix(prefix);
        self
    }

    /// The bound on one check, connecting included. With [`new`](Self::new) it is also the
    /// connection's connect and response timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        if let Some(own) = self.own.take() {
            let own = own.connect_timeout(timeout).response_timeout(timeout);
            self.space.set_conn(own.clone().lazy());
            self.own = Some(own);
        }
        self
    }

    /// What to do when Redis cannot be reached. `FailPolicy::Open` is logged at WARN here.
    pub fn fail_policy(mut self, policy: FailPolicy) -> Self {
        if policy == FailPolicy::Open {
            tracing::warn!(target: TARGET, reason = "fail_open", "redis limiter configured fail_open: requests are unmetered while redis is unreachable");
        }
        self.policy = policy;
        self
    }

    /// A limiter at `rate`.
    pub fn build(&self, rate: Rate) -> RedisLimiter {
        RedisLimiter {
            shared: self.clone(),
            rate,
            script: redis::Script::new(GCRA),
        }
    }
}

impl LimiterFactory for RedisLimiterBuilder {
    fn limiter(&self, rate: Rate) -> Arc<dyn Limiter> {
        Arc::new(self.build(rate))
    }
}

/// A GCRA limiter on Redis, shared by every app instance using the same server and prefix.
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use portcullis::throttle::{FailPolicy, Limiter, RedisLimiterBuilder};
/// let limiter = RedisLimiterBuilder::new("redis://127.0.0.1:6379")?
///     .prefix("myapp:throttle:")
///     .fail_policy(FailPolicy::Closed)
///     .build("100/min".parse()?);
/// let decision = limiter.check("ip:192.0.2.1").await?;
/// # let _ = decision; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct RedisLimiter {
    shared: RedisLimiterBuilder,
    rate: Rate,
    script: redis::Script,
}

impl RedisLimiter {
    async fn run(&self, key: &str) -> Result<Decision, RedisConnError> {
        let t_us = u64::try_from(self.rate.emission_interval().as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        let (allowed, remaining, retry_us, reset_us): (i64, i64, i64, i64) = self
            .shared
            .space
            .conn()
            .invoke(
                self.script
                    .key(self.shared.space.key(&[key]))
                    .arg(t_us)
                    .arg(self.rate.burst()),
            )
            .await?;
        let us = |v: i64| Duration::from_micros(u64::try_from(v).unwrap_or(0));
        Ok(Decision {
            allowed: allowed == 1,
            limit: self.rate.burst(),
            remaining: u32::try_from(remaining).unwrap_or(0).min(self.rate.burst()),
            reset: us(reset_us),
            retry_after: (allowed != 1).then(|| us(retry_us).max(Duration::from_micros(1))),
        })
    }
}

impl Limiter for RedisLimiter {
    fn rate(&self) -> Rate {
        self.rate
    }

    fn check<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Decision, LimitError>> {
        async move {
            let outcome = tokio::time::timeout(self.shared.timeout, self.run(key)).await;
            let err = match outcome {
                Ok(Ok(d)) => return Ok(d),
                Ok(Err(e)) => e.to_string(),
                Err(_) => "timed out".to_owned(),
            };
            match self.shared.policy {
                FailPolicy::Open => {
                    tracing::warn!(target: TARGET, error = %err, policy = "fail_open", reason = "store_unavailable", "redis limiter unavailable; request admitted unmetered");
                    Ok(unmetered(self.rate))
                }
                FailPolicy::Closed => {
                    tracing::warn!(target: TARGET, error = %err, policy = "fail_closed", reason = "store_unavailable", "redis limiter unavailable; request rejected");
                    Err(LimitError::Unavailable(err))
                }
            }
        }
        .boxed()
    }
}
