//! Per-route limits for the guard option `throttle = "N/unit [per ip|user|route]"`: a
//! [`RouteThrottle`] is built once per route at start-up from the parsed [`ThrottleSpec`] and
//! a [`LimiterFactory`], and checks each request of that route.

use http::request::Parts;
use std::sync::Arc;

use super::key::KeyExtractor;
use super::{Decision, Limiter, MemoryLimiter, Per, Rate, TARGET, ThrottleSpec, TrustedProxies};
use crate::http::problem::Problem;

/// Makes a limiter for a rate: the store all per-route limits share.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot make rate limiters",
    note = "use `portcullis::throttle::MemoryBackend` or `RedisLimiterBuilder` (feature `redis`), or implement `portcullis::throttle::LimiterFactory`"
)]
pub trait LimiterFactory: Send + Sync {
    /// A limiter at `rate`.
    fn limiter(&self, rate: Rate) -> Arc<dyn Limiter>;
}

/// Per-route limiters in this process's memory.
#[derive(Debug, Clone, Copy)]
pub struct MemoryBackend {
    /// Bound on distinct keys per route limiter.
    pub max_keys_per_route: usize,
}

impl Default for MemoryBackend {
    fn default() -> Self {
        Self {
            max_keys_per_route: super::memory::DEFAULT_MAX_KEYS,
        }
    }
}

impl LimiterFactory for MemoryBackend {
    fn limiter(&self, rate: Rate) -> Arc<dyn Limiter> {
        Arc::new(MemoryLimiter::with_max_keys(rate, self.max_keys_per_route))
    }
}

/// One route's limit.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use portcullis::throttle::{MemoryBackend, RouteThrottle, TrustedProxies};
/// let t = RouteThrottle::new("1/min per route".parse().unwrap(), "/login", &MemoryBackend::default(), TrustedProxies::none());
/// let (parts, ()) = http::Request::new(()).into_parts();
/// assert!(t.check(&parts, None).await.is_ok());
/// assert_eq!(t.check(&parts, None).await.unwrap_err().status(), 429);
/// # });
/// ```
#[derive(Clone)]
pub struct RouteThrottle {
    spec: ThrottleSpec,
    route: Arc<str>,
    limiter: Arc<dyn Limiter>,
    proxies: TrustedProxies,
}

impl std::fmt::Debug for RouteThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouteThrottle")
            .field("spec", &self.spec)
            .field("route", &self.route)
            .finish_non_exhaustive()
    }
}

impl RouteThrottle {
    /// The limit `spec` on `route` (its name in keys and logs), stored where `backend` says.
    pub fn new(
        spec: ThrottleSpec,
        route: impl Into<Arc<str>>,
        backend: &dyn LimiterFactory,
        proxies: TrustedProxies,
    ) -> Self {
        Self {
            spec,
            route: route.into(),
            limiter: backend.limiter(spec.rate),
            proxies,
        }
    }

    /// The spec.
    pub fn spec(&self) -> &ThrottleSpec {
        &self.spec
    }

    /// The key a request is counted under. `principal_id` is the authenticated principal's id.
    pub fn key(&self, parts: &Parts, principal_id: Option<&str>) -> String {
        let who = match (self.spec.per, principal_id) {
            (Per::Route, _) => "all".to_owned(),
            (Per::User, Some(id)) => format!("user:{id}"),
            (Per::User | Per::Ip, _) => super::key::ClientIp::new(self.proxies.clone())
                .extract(parts)
                .unwrap_or_else(|| "ip:unknown".to_owned()),
        };
        format!("route:{}|{who}", self.route)
    }

    /// Counts the request. `Ok` carries the decision whose headers belong on the response;
    /// `Err` is the 429 (or, for an unreachable fail-closed store, 503) to answer with.
    pub async fn check(
        &self,
        parts: &Parts,
        principal_id: Option<&str>,
    ) -> Result<Decision, Problem> {
        let key = self.key(parts, principal_id);
        match self.limiter.check(super::bounded_key(&key)).await {
            Ok(d) if d.allowed => Ok(d),
            Ok(d) => {
                tracing::warn!(target: TARGET, route = %self.route, path = %parts.uri.path(),
                    principal = principal_id.unwrap_or("-"), reason = "throttled", "request rejected by rate limit");
                Err(d.to_problem())
            }
            Err(e) => Err(e.to_problem()),
        }
    }
}
