//! Which browser origins may send state-changing requests: the check behind cookie-session
//! CSRF protection and the [`SameOrigin`] extractor (login CSRF).
//!
//! Browsers say where a request comes from in `Origin` and `Sec-Fetch-Site`, headers a page
//! cannot set. A request with neither comes from a non-browser client, which carries no
//! ambient cookies to abuse, and passes.

use crate::http::problem::Problem;
use axum::extract::FromRequestParts;
use http::request::Parts;
use http::{HeaderMap, HeaderName, header};
use std::sync::Arc;

static SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");

/// Why a request was judged cross-site (logged with the reason code `cross_site`, never sent).
///
/// ```
/// use portcullis::http::{CrossSite, OriginPolicy};
/// let req = http::Request::post("http://api.example/x")
///     .header("origin", "https://evil.example")
///     .body(()).unwrap();
/// let (parts, ()) = req.into_parts();
/// assert_eq!(OriginPolicy::default().check(&parts), Err(CrossSite::ForeignOrigin));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CrossSite {
    /// `Origin` is neither an allowed origin nor the request's own host.
    #[error("the Origin header names another origin")]
    ForeignOrigin,
    /// `Origin` is `null`, not an origin, or sent twice.
    #[error("the Origin header is opaque or malformed")]
    BadOrigin,
    /// `Sec-Fetch-Site: cross-site` (or a value that is not one of the four defined).
    #[error("Sec-Fetch-Site says cross-site")]
    CrossSiteFetch,
    /// `Sec-Fetch-Site: same-site` and same-site requests are not allowed.
    #[error("Sec-Fetch-Site says same-site, which is not allowed")]
    SameSiteFetch,
}

/// An allowed origin that does not parse as `scheme://host[:port]`.
///
/// ```
/// use portcullis::http::OriginPolicy;
/// assert!(OriginPolicy::new().allow_origin("not an origin").is_err());
/// ```
#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not an origin (scheme://host[:port])")]
pub struct OriginError(String);

#[derive(Debug, Clone, Default)]
struct Inner {
    allowed: Vec<url::Origin>,
    same_site: bool,
}

/// The origins allowed to send unsafe requests. Default: only the request's own host
/// (`Origin` must name the `Host`/`:authority` the request was sent to, on the origin's
/// scheme), and `Sec-Fetch-Site` must be `same-origin` or `none`.
///
/// Behind a proxy that rewrites `Host`, list the public origin with
/// [`allow_origin`](Self::allow_origin). Configure it on [`Hardening`](super::Hardening),
/// which hands it to the session-cookie strategy and to [`SameOrigin`].
///
/// ```
/// use portcullis::http::{Hardening, OriginPolicy};
/// # fn main() -> Result<(), portcullis::http::OriginError> {
/// let origins = OriginPolicy::new().allow_origin("https://app.example.com")?;
/// let hardening = Hardening::new().origins(origins);
/// # let _ = hardening; Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct OriginPolicy(Arc<Inner>);

impl OriginPolicy {
    /// Same origin only.
    ///
    /// ```
    /// let policy = portcullis::http::OriginPolicy::new();
    /// # let _ = policy;
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Also allows `origin` (`https://app.example.com`, a port if not the default one). Paths,
    /// queries and credentials are refused, not ignored.
    ///
    /// ```
    /// use portcullis::http::OriginPolicy;
    /// # fn main() -> Result<(), portcullis::http::OriginError> {
    /// let policy = OriginPolicy::new().allow_origin("https://app.example.com:8443")?;
    /// let (parts, ()) = http::Request::post("http://api.internal/docs")
    ///     .header("origin", "https://app.example.com:8443")
    ///     .header("sec-fetch-site", "cross-site")
    ///     .body(()).unwrap().into_parts();
    /// assert!(policy.check(&parts).is_ok());
    /// # Ok(()) }
    /// ```
    pub fn allow_origin(mut self, origin: &str) -> Result<Self, OriginError> {
        let bad = || OriginError(origin.to_owned());
        let url = url::Url::parse(origin).map_err(|_| bad())?;
        let bare = url.path() == "/"
            && url.query().is_none()
            && url.fragment().is_none()
            && url.username().is_empty()
            && url.password().is_none()
            && !origin.trim_end_matches('/').ends_with(':');
        let parsed = url.origin();
        if !bare || !parsed.is_tuple() {
            return Err(bad());
        }
        Arc::make_mut(&mut self.0).allowed.push(parsed);
        Ok(self)
    }

    /// Also allows requests the browser marks `Sec-Fetch-Site: same-site` (another subdomain
    /// of the same registrable domain). Off by default: a sibling subdomain is often less
    /// trusted than the API.
    ///
    /// ```
    /// use portcullis::http::OriginPolicy;
    /// let policy = OriginPolicy::new().allow_same_site();
    /// let (parts, ()) = http::Request::post("http://api.example.com/docs")
    ///     .header("sec-fetch-site", "same-site")
    ///     .header("origin", "https://www.example.com")
    ///     .body(()).unwrap().into_parts();
    /// assert!(policy.check(&parts).is_ok());
    /// ```
    pub fn allow_same_site(mut self) -> Self {
        Arc::make_mut(&mut self.0).same_site = true;
        self
    }

    /// Whether the request may change state: refused when `Sec-Fetch-Site` is `cross-site`
    /// (or `same-site` unless allowed), or when `Origin` is present and neither allowed nor
    /// the request's own host. A request with neither header passes.
    ///
    /// ```
    /// use portcullis::http::{CrossSite, OriginPolicy};
    /// let policy = OriginPolicy::default();
    /// let check = |headers: &[(&str, &str)]| {
    ///     let mut b = http::Request::post("/docs").header("host", "api.example.com");
    ///     for (k, v) in headers { b = b.header(*k, *v); }
    ///     policy.check(&b.body(()).unwrap().into_parts().0)
    /// };
    /// assert_eq!(check(&[]), Ok(())); // curl, a server, a mobile app
    /// assert_eq!(check(&[("origin", "https://api.example.com"), ("sec-fetch-site", "same-origin")]), Ok(()));
    /// assert_eq!(check(&[("sec-fetch-site", "cross-site")]), Err(CrossSite::CrossSiteFetch));
    /// assert_eq!(check(&[("origin", "https://evil.example")]), Err(CrossSite::ForeignOrigin));
    /// assert_eq!(check(&[("origin", "null")]), Err(CrossSite::BadOrigin));
    /// ```
    pub fn check(&self, parts: &Parts) -> Result<(), CrossSite> {
        let origin = match single(&parts.headers, &header::ORIGIN) {
            Single::Absent => None,
            Single::Many => return Err(CrossSite::BadOrigin),
            Single::One(v) => {
                let url = v
                    .to_str()
                    .ok()
                    .and_then(|s| url::Url::parse(s).ok())
                    .filter(|u| u.origin().is_tuple())
                    .ok_or(CrossSite::BadOrigin)?;
                if self.0.allowed.contains(&url.origin()) {
                    return Ok(());
                }
                Some(url)
            }
        };
        match single(&parts.headers, &SEC_FETCH_SITE) {
            Single::Absent => {}
            Single::Many => return Err(CrossSite::CrossSiteFetch),
            Single::One(v) => match v.as_bytes() {
                b"same-origin" | b"none" => {}
                // The browser computed "same site" with the public suffix list; the origin
                // cannot equal our host then, so it is not compared.
                b"same-site" if self.0.same_site => return Ok(()),
                b"same-site" => return Err(CrossSite::SameSiteFetch),
                _ => return Err(CrossSite::CrossSiteFetch),
            },
        }
        match origin {
            Some(url) if !same_as_host(&url, parts) => Err(CrossSite::ForeignOrigin),
            _ => Ok(()),
        }
    }

    /// [`check`](Self::check) as a 403 problem, the refusal logged at WARN on
    /// `portcullis::http` with reason `cross_site`.
    pub(crate) fn enforce(&self, parts: &Parts) -> Result<(), Problem> {
        self.check(parts).map_err(|why| {
            tracing::warn!(target: "portcullis::http", reason = "cross_site", detail = %why,
                method = %parts.method, path = parts.uri.path(), "cross-site request refused");
            Problem::forbidden()
        })
    }

    /// The policy [`Hardening`](super::Hardening) put on the request, else the default.
    pub(crate) fn of(parts: &Parts) -> OriginPolicy {
        parts
            .extensions
            .get::<OriginPolicy>()
            .cloned()
            .unwrap_or_default()
    }
}

enum Single<'h> {
    Absent,
    One(&'h http::HeaderValue),
    Many,
}

fn single<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Single<'h> {
    let mut it = headers.get_all(name).iter();
    match (it.next(), it.next()) {
        (None, _) => Single::Absent,
        (Some(v), None) => Single::One(v),
        (Some(_), Some(_)) => Single::Many,
    }
}

/// Whether `origin` names the host the request was sent to: the URI's authority (HTTP/2) or
/// `Host`. Without a port in `Host` the origin must use its scheme's default port; the scheme
/// itself is not known behind a TLS-terminating proxy and is not compared.
fn same_as_host(origin: &url::Url, parts: &Parts) -> bool {
    let authority = match parts.uri.authority() {
        Some(a) => Some(a.clone()),
        None => parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.parse::<http::uri::Authority>().ok()),
    };
    let Some(authority) = authority else {
        return false;
    };
    let Some(host) = origin.host_str() else {
        return false;
    };
    let port_matches = match authority.port_u16() {
        None => origin.port().is_none(),
        Some(p) => origin.port_or_known_default() == Some(p),
    };
    port_matches && host.eq_ignore_ascii_case(authority.host())
}

/// An extractor that refuses (403 problem) a cross-site browser request under the
/// [`OriginPolicy`] of [`Hardening`](super::Hardening) (same origin by default). Take it on
/// public routes that start a session or create an account: a cookie-session strategy checks
/// authenticated requests itself, but a login has no session yet (login CSRF signs the victim
/// into the attacker's account).
///
/// ```
/// use portcullis::http::SameOrigin;
/// use portcullis::{Problem, guarded};
///
/// #[guarded(public)]
/// async fn session_login(_: SameOrigin) -> Result<&'static str, Problem> {
///     Ok("signed in")
/// }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct SameOrigin;

impl<S: Send + Sync> FromRequestParts<S> for SameOrigin {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        OriginPolicy::of(parts).enforce(parts).map(|()| SameOrigin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(uri: &str, headers: &[(&str, &str)]) -> Parts {
        let mut b = http::Request::post(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn host_comparison_uses_ports_and_hosts_not_prefixes() {
        let p = OriginPolicy::new();
        let host = |h: &str, o: &str| p.check(&parts("/x", &[("host", h), ("origin", o)]));
        assert_eq!(host("api.example", "https://api.example"), Ok(()));
        assert_eq!(host("api.example", "http://API.example"), Ok(()));
        assert_eq!(host("api.example:443", "https://api.example"), Ok(()));
        assert_eq!(host("127.0.0.1:3000", "http://127.0.0.1:3000"), Ok(()));
        assert_eq!(host("[::1]:3000", "http://[::1]:3000"), Ok(()));
        let foreign = Err(CrossSite::ForeignOrigin);
        assert_eq!(host("api.example", "https://api.example:8443"), foreign);
        assert_eq!(host("127.0.0.1:3000", "http://127.0.0.1:3001"), foreign);
        assert_eq!(host("api.example", "https://api.example.evil"), foreign);
        assert_eq!(host("api.example", "https://evil-api.example"), foreign);
        // No Host at all: the origin cannot be shown to be ours.
        assert_eq!(p.check(&parts("/x", &[("origin", "https://a.b")])), foreign);
        // HTTP/2 carries the authority in the URI.
        assert_eq!(
            p.check(&parts(
                "https://api.example/x",
                &[("origin", "https://api.example")]
            )),
            Ok(())
        );
    }

    #[test]
    fn sec_fetch_site_and_malformed_origins() {
        let p = OriginPolicy::new();
        let sfs = |v: &str| p.check(&parts("/x", &[("sec-fetch-site", v)]));
        assert_eq!(sfs("same-origin"), Ok(()));
        assert_eq!(sfs("none"), Ok(()));
        assert_eq!(sfs("same-site"), Err(CrossSite::SameSiteFetch));
        assert_eq!(sfs("cross-site"), Err(CrossSite::CrossSiteFetch));
        assert_eq!(sfs("CROSS-SITE"), Err(CrossSite::CrossSiteFetch));
        assert_eq!(sfs("whatever"), Err(CrossSite::CrossSiteFetch));
        assert_eq!(
            OriginPolicy::new()
                .allow_same_site()
                .check(&parts("/x", &[("sec-fetch-site", "same-site")])),
            Ok(())
        );
        for origin in ["null", "file:///etc", "not a url", "data:text/plain,x"] {
            assert_eq!(
                p.check(&parts("/x", &[("host", "a.b"), ("origin", origin)])),
                Err(CrossSite::BadOrigin),
                "{origin}"
            );
        }
        let twice = parts("/x", &[("origin", "http://a.b"), ("origin", "http://a.b")]);
        assert_eq!(p.check(&twice), Err(CrossSite::BadOrigin));
        // Same-origin Sec-Fetch-Site with a foreign Origin: the Origin still counts.
        assert_eq!(
            p.check(&parts(
                "/x",
                &[
                    ("host", "a.b"),
                    ("origin", "https://evil.example"),
                    ("sec-fetch-site", "same-origin")
                ]
            )),
            Err(CrossSite::ForeignOrigin)
        );
    }

    #[test]
    fn allowed_origins_parse_strictly_and_win() {
        for bad in [
            "app.example.com",
            "https://app.example.com/path",
            "https://u:p@app.example.com",
            "https://app.example.com?q",
            "null",
        ] {
            assert!(OriginPolicy::new().allow_origin(bad).is_err(), "{bad}");
        }
        let p = OriginPolicy::new()
            .allow_origin("https://app.example.com")
            .unwrap();
        let shared = p.clone().allow_same_site();
        assert!(!p.0.same_site && shared.0.same_site, "copy on write");
        let from = |o: &str| {
            p.check(&parts(
                "/x",
                &[
                    ("host", "api.example.com"),
                    ("origin", o),
                    ("sec-fetch-site", "same-site"),
                ],
            ))
        };
        assert_eq!(from("https://app.example.com"), Ok(()));
        assert_eq!(from("https://app.example.com:443"), Ok(()));
        assert_eq!(
            from("http://app.example.com"),
            Err(CrossSite::SameSiteFetch)
        );
    }
}
