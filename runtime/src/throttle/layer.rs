//! The tower layer: counts each request against its key, answers 429 problem+json when the
//! budget is spent, and puts the `RateLimit-*` headers on every response it lets through.

use axum::response::{IntoResponse, Response};
use futures_util::future::BoxFuture;
use http::Request;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower::{Layer, Service};

use super::key::KeyExtractor;
use super::{Limiter, TARGET, bounded_key};

/// Throttles every request of the wrapped service with one limiter and one key extractor.
///
/// A request whose extractor yields no key (no principal, no socket address) is counted under
/// its client IP, and when even that is unknown under the shared key `unknown`, so it is never
/// left unmetered.
#[derive(Clone)]
pub struct ThrottleLayer {
    shared: Arc<Shared>,
}

#[derive(Clone)]
struct Shared {
    limiter: Arc<dyn Limiter>,
    key: Arc<dyn KeyExtractor>,
    fallback_ip: super::key::ClientIp,
    prefix: String,
}

impl std::fmt::Debug for ThrottleLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThrottleLayer")
            .field("rate", &self.shared.limiter.rate())
            .finish_non_exhaustive()
    }
}

impl ThrottleLayer {
    /// A layer counting requests with `limiter` under the keys `key` derives. Anonymous
    /// fall-back keys use the socket peer as client IP; use [`ThrottleLayer::fallback_ip`] to
    /// trust proxies for it too.
    pub fn new(limiter: impl Limiter, key: impl KeyExtractor) -> Self {
        Self {
            shared: Arc::new(Shared {
                limiter: Arc::new(limiter),
                key: Arc::new(key),
                fallback_ip: super::key::ClientIp::default(),
                prefix: String::new(),
            }),
        }
    }

    /// The client-IP extractor used when the main extractor yields no key.
    pub fn fallback_ip(mut self, ip: super::key::ClientIp) -> Self {
        Arc::make_mut(&mut self.shared).fallback_ip = ip;
        self
    }

    /// A prefix for every key, so two layers on one limiter store keep separate budgets.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.shared).prefix = prefix.into();
        self
    }
}

impl<S> Layer<S> for ThrottleLayer {
    type Service = ThrottleService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ThrottleService {
            inner,
            shared: self.shared.clone(),
        }
    }
}

/// The service [`ThrottleLayer`] makes.
#[derive(Clone)]
pub struct ThrottleService<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> std::fmt::Debug for ThrottleService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThrottleService").finish_non_exhaustive()
    }
}

impl<S, B> Service<Request<B>> for ThrottleService<S>
where
    S: Service<Request<B>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        // Take the service that was driven to readiness, leave a fresh clone behind.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let shared = self.shared.clone();
        Box::pin(async move {
            let (parts, body) = req.into_parts();
            let key = shared
                .key
                .extract(&parts)
                .or_else(|| shared.fallback_ip.extract(&parts))
                .unwrap_or_else(|| "unknown".to_owned());
            let key = format!("{}{key}", shared.prefix);
            let decision = match shared.limiter.check(bounded_key(&key)).await {
                Ok(d) => d,
                Err(e) => return Ok(e.to_problem().into_response()),
            };
            if !decision.allowed {
                tracing::warn!(target: TARGET, route = %parts.uri.path(), reason = "throttled",
                    "request rejected by rate limit");
                return Ok(decision.to_problem().into_response());
            }
            let mut res = inner.call(Request::from_parts(parts, body)).await?;
            decision.apply_headers(res.headers_mut());
            Ok(res)
        })
    }
}
