//! The [`Hardening`] tower layer.

use crate::http::errors;
use crate::http::origin::OriginPolicy;
use axum::extract::Request;
use axum::response::Response;
use http::header::{self, HeaderName, HeaderValue};
use std::convert::Infallible;
use std::task::{Context, Poll};
use std::time::Duration;
use tower::{Layer, Service};

static COOP: HeaderName = HeaderName::from_static("cross-origin-opener-policy");
static CORP: HeaderName = HeaderName::from_static("cross-origin-resource-policy");

/// Security headers on every response, `Cache-Control: no-store` and `Vary` on responses to
/// requests that carry credentials, and every error body as RFC 9457 problem+json.
///
/// On every response (a value the handler set itself is kept):
/// `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`, `X-Frame-Options: DENY`,
/// `Content-Security-Policy: frame-ancestors 'none'`, `Cross-Origin-Opener-Policy:
/// same-origin`, `Cross-Origin-Resource-Policy: same-origin`.
///
/// When the request carries `Authorization` or any cookie (the layer does not know which
/// cookie is a session, so it assumes any may be): `Cache-Control: no-store` unless the
/// handler set a `Cache-Control`, and `Vary: Authorization, Cookie` appended to any `Vary`.
///
/// Error responses (4xx, 5xx) that are empty or plain text, as axum's extractor rejections,
/// 404 and 405 are, become problems with the same status and headers (`Allow` on a 405); the
/// original text is logged on `portcullis::http`, never sent.
///
/// It also hands its [`OriginPolicy`] (same origin by default) to the session-cookie
/// strategy and to [`SameOrigin`](super::SameOrigin) through the request extensions.
///
/// HSTS is off unless [`hsts`](Self::hsts) is called: the header is only honoured over TLS,
/// and a server reached over plain HTTP (local development, behind a TLS-terminating proxy
/// that sets it itself) should not send it.
///
/// ```no_run
/// use portcullis::http::Hardening;
/// use std::time::Duration;
/// # fn app(router: portcullis::Router) -> Result<portcullis::App, portcullis::guard::BuildError> {
/// // Served over TLS: browsers remember for a year to use only HTTPS.
/// let app = router
///     .layer(Hardening::new().hsts(Duration::from_secs(365 * 24 * 3600)))
///     .build()?;
/// # Ok(app) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Hardening {
    hsts: Option<HeaderValue>,
    origins: OriginPolicy,
}

impl Hardening {
    /// Every header above, no HSTS, same-origin unsafe requests only.
    ///
    /// ```
    /// use portcullis::http::Hardening;
    /// use tower::ServiceExt;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let svc = tower::Layer::layer(&Hardening::new(), tower::service_fn(|_req: axum::extract::Request| async {
    ///     Ok::<_, std::convert::Infallible>(axum::response::Response::new(axum::body::Body::empty()))
    /// }));
    /// let res = svc.oneshot(http::Request::get("/").body(axum::body::Body::empty()).unwrap()).await.unwrap();
    /// assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    /// assert!(res.headers().get("strict-transport-security").is_none());
    /// # }
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends `Strict-Transport-Security: max-age=<secs>; includeSubDomains`. Only when the
    /// application is reached over HTTPS: every subdomain must serve HTTPS too, for `max_age`.
    ///
    /// ```
    /// use portcullis::http::Hardening;
    /// use std::time::Duration;
    /// let hardening = Hardening::new().hsts(Duration::from_secs(180 * 24 * 3600));
    /// # let _ = hardening;
    /// ```
    pub fn hsts(mut self, max_age: Duration) -> Self {
        let value = format!("max-age={}; includeSubDomains", max_age.as_secs());
        // Digits and ASCII letters only: always a valid header value.
        self.hsts = HeaderValue::from_str(&value).ok();
        self
    }

    /// The origins allowed to send unsafe requests with a session cookie or to routes taking
    /// [`SameOrigin`](super::SameOrigin) (default: the request's own host).
    ///
    /// ```
    /// use portcullis::http::{Hardening, OriginPolicy};
    /// # fn main() -> Result<(), portcullis::http::OriginError> {
    /// let hardening = Hardening::new().origins(OriginPolicy::new().allow_origin("https://app.example.com")?);
    /// # let _ = hardening; Ok(()) }
    /// ```
    pub fn origins(mut self, policy: OriginPolicy) -> Self {
        self.origins = policy;
        self
    }
}

impl<S> Layer<S> for Hardening {
    type Service = HardeningService<S>;

    fn layer(&self, inner: S) -> HardeningService<S> {
        HardeningService {
            inner,
            config: self.clone(),
        }
    }
}

/// The service [`Hardening`] wraps around routes.
#[derive(Debug, Clone)]
pub struct HardeningService<S> {
    inner: S,
    config: Hardening,
}

impl<S> Service<Request> for HardeningService<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = crate::model::BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        let credentials = req.headers().contains_key(header::AUTHORIZATION)
            || req.headers().contains_key(header::COOKIE);
        req.extensions_mut().insert(self.config.origins.clone());
        // The instance that was polled ready serves this request; the clone waits for the next.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let hsts = self.config.hsts.clone();
        Box::pin(async move {
            let Ok(mut res) = inner.call(req).await;
            if errors::needs_problem(&res) {
                res = errors::into_problem(res).await;
            }
            let h = res.headers_mut();
            h.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            for (name, value) in [
                (&header::REFERRER_POLICY, "no-referrer"),
                (&header::X_FRAME_OPTIONS, "DENY"),
                (&header::CONTENT_SECURITY_POLICY, "frame-ancestors 'none'"),
                (&COOP, "same-origin"),
                (&CORP, "same-origin"),
            ] {
                h.entry(name).or_insert(HeaderValue::from_static(value));
            }
            if let Some(v) = hsts {
                h.entry(header::STRICT_TRANSPORT_SECURITY).or_insert(v);
            }
            if credentials {
                h.entry(header::CACHE_CONTROL)
                    .or_insert(HeaderValue::from_static("no-store"));
                h.append(
                    header::VARY,
                    HeaderValue::from_static("Authorization, Cookie"),
                );
            }
            Ok(res)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use http::StatusCode;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    async fn run(layer: Hardening, req: Request, res: fn() -> Response) -> (Response, String) {
        let svc = layer.layer(tower::service_fn(move |_req: Request| async move {
            Ok::<_, Infallible>(res())
        }));
        let res = svc.oneshot(req).await.unwrap();
        let (parts, body) = res.into_parts();
        let body = body.collect().await.unwrap().to_bytes();
        (
            Response::from_parts(parts, Body::empty()),
            String::from_utf8(body.to_vec()).unwrap(),
        )
    }

    fn get(headers: &[(&str, &str)]) -> Request {
        let mut b = http::Request::get("/");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(Body::empty()).unwrap()
    }

    #[tokio::test]
    async fn handler_values_are_kept_and_vary_is_appended() {
        let (res, _) = run(Hardening::new(), get(&[("cookie", "a=b")]), || {
            http::Response::builder()
                .header("content-security-policy", "default-src 'self'")
                .header("cache-control", "private, max-age=60")
                .header("vary", "Accept-Encoding")
                .body(Body::empty())
                .unwrap()
        })
        .await;
        let h = res.headers();
        assert_eq!(h["content-security-policy"], "default-src 'self'");
        assert_eq!(h["cache-control"], "private, max-age=60");
        let vary: Vec<_> = h.get_all("vary").iter().collect();
        assert_eq!(vary, ["Accept-Encoding", "Authorization, Cookie"]);
        assert_eq!(h["x-frame-options"], "DENY");
    }

    #[tokio::test]
    async fn anonymous_responses_are_cacheable_and_hsts_only_when_configured() {
        let ok = || Response::new(Body::from("hi"));
        let (res, body) = run(Hardening::new(), get(&[]), ok).await;
        assert_eq!(body, "hi");
        assert!(res.headers().get("cache-control").is_none());
        assert!(res.headers().get("vary").is_none());
        assert!(res.headers().get("strict-transport-security").is_none());
        let (res, _) = run(
            Hardening::new().hsts(Duration::from_secs(31_536_000)),
            get(&[("authorization", "Bearer x")]),
            ok,
        )
        .await;
        assert_eq!(
            res.headers()["strict-transport-security"],
            "max-age=31536000; includeSubDomains"
        );
        assert_eq!(res.headers()["cache-control"], "no-store");
    }

    #[tokio::test]
    async fn plain_errors_become_problems_and_json_errors_are_left_alone() {
        let (res, body) = run(Hardening::new(), get(&[]), || {
            http::Response::builder()
                .status(StatusCode::METHOD_NOT_ALLOWED)
                .header("allow", "GET,HEAD")
                .header("content-type", "text/plain; charset=utf-8")
                .header("content-length", "18")
                .body(Body::from("internal rejection"))
                .unwrap()
        })
        .await;
        assert_eq!(res.status(), 405);
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        assert_eq!(res.headers()["allow"], "GET,HEAD");
        assert!(res.headers().get("content-length").is_none());
        assert_eq!(
            body,
            r#"{"type":"about:blank","title":"Method Not Allowed","status":405}"#
        );
        let (res, body) = run(Hardening::new(), get(&[]), || {
            http::Response::builder()
                .status(StatusCode::CONFLICT)
                .header("content-type", "application/json")
                .body(Body::from(r#"{"mine":true}"#))
                .unwrap()
        })
        .await;
        assert_eq!(res.headers()["content-type"], "application/json");
        assert_eq!(body, r#"{"mine":true}"#);
    }
}
