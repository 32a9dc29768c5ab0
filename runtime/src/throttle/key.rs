//! What a budget is counted against: the client IP, the principal, the route, a login account,
//! or a combination (a tuple of extractors joins their keys).
//!
//! ```
//! use portcullis::throttle::{key, TrustedProxies};
//! // one budget per client IP and route
//! let k = (key::ClientIp::new(TrustedProxies::none()), key::Route::new("/login"));
//! # let _ = k;
//! ```

use http::request::Parts;

use super::TrustedProxies;

/// Derives the throttle key of a request from its head.
///
/// `None` means the extractor does not apply (e.g. no principal on an anonymous request); the
/// layer then counts the request under its client IP.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot derive a throttle key from a request",
    note = "use `portcullis::throttle::key::{{ClientIp, Route, Path, ByPrincipal}}`, a tuple of them, or a closure `Fn(&http::request::Parts) -> Option<String>`"
)]
pub trait KeyExtractor: Send + Sync + 'static {
    /// The key, or `None` when this extractor does not apply to the request.
    fn extract(&self, parts: &Parts) -> Option<String>;
}

impl<F> KeyExtractor for F
where
    F: Fn(&Parts) -> Option<String> + Send + Sync + 'static,
{
    fn extract(&self, parts: &Parts) -> Option<String> {
        self(parts)
    }
}

/// The client IP (`ip:<addr>`), from the socket peer unless it is a trusted proxy.
///
/// Needs the server to be started with
/// `into_make_service_with_connect_info::<std::net::SocketAddr>()`; without the socket address
/// it returns `None`.
#[derive(Debug, Clone, Default)]
pub struct ClientIp {
    proxies: TrustedProxies,
}

impl ClientIp {
    /// Client IPs behind the given trusted proxies.
    pub fn new(proxies: TrustedProxies) -> Self {
        Self { proxies }
    }

    /// The trusted proxies.
    pub fn proxies(&self) -> &TrustedProxies {
        &self.proxies
    }
}

impl KeyExtractor for ClientIp {
    fn extract(&self, parts: &Parts) -> Option<String> {
        self.proxies
            .client_ip_of(parts)
            .map(|ip| format!("ip:{}", self.proxies.client_key(ip)))
    }
}

/// A fixed route name (`route:<name>`): the layer's requests share one budget per client
/// when combined with [`ClientIp`], or one budget in total alone. Add the layer with
/// `route_layer` on the routes it names.
#[derive(Debug, Clone)]
pub struct Route(pub std::borrow::Cow<'static, str>);

impl Route {
    /// The route named `name` (e.g. its path pattern `/docs/{id}`).
    pub fn new(name: impl Into<std::borrow::Cow<'static, str>>) -> Self {
        Self(name.into())
    }
}

impl KeyExtractor for Route {
    fn extract(&self, _parts: &Parts) -> Option<String> {
        Some(format!("route:{}", self.0))
    }
}

/// The request path (`path:<path>`). Every distinct path, path parameters included, gets its
/// own budget; prefer [`Route`] unless that is what you want.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path;

impl KeyExtractor for Path {
    fn extract(&self, parts: &Parts) -> Option<String> {
        Some(format!("path:{}", parts.uri.path()))
    }
}

/// The principal id (`user:<id>`), read by a function from the request head (typically from
/// the extension the authentication layer inserted).
///
/// ```
/// use portcullis::throttle::key::ByPrincipal;
/// #[derive(Clone)]
/// struct User { id: i64 }
/// let k = ByPrincipal::new(|p: &http::request::Parts| p.extensions.get::<User>().map(|u| u.id.to_string()));
/// # let _ = k;
/// ```
pub struct ByPrincipal<F> {
    id: F,
}

impl<F> ByPrincipal<F>
where
    F: Fn(&Parts) -> Option<String> + Send + Sync + 'static,
{
    /// A principal key read by `id`.
    pub fn new(id: F) -> Self {
        Self { id }
    }
}

impl<F> KeyExtractor for ByPrincipal<F>
where
    F: Fn(&Parts) -> Option<String> + Send + Sync + 'static,
{
    fn extract(&self, parts: &Parts) -> Option<String> {
        (self.id)(parts).map(|id| format!("user:{id}"))
    }
}

/// The login account key (`account:<normalised name>`) for a name the client submitted,
/// whether or not such an account exists. Normalised by trimming and lower-casing, so
/// `Alice` and `alice ` share one budget.
pub fn account(name: &str) -> String {
    format!("account:{}", name.trim().to_lowercase())
}

macro_rules! tuple_extractor {
    ($($t:ident),+) => {
        impl<$($t: KeyExtractor),+> KeyExtractor for ($($t,)+) {
            #[allow(non_snake_case)]
            fn extract(&self, parts: &Parts) -> Option<String> {
                let ($($t,)+) = self;
                let keys = [$($t.extract(parts)?),+];
                Some(keys.join("|"))
            }
        }
    };
}

tuple_extractor!(A, B);
tuple_extractor!(A, B, C);
tuple_extractor!(A, B, C, D);
