//! `portcullis::Router`: axum's router, restricted to guarded handlers, with a posture table
//! and start-up checks (an `auth` route needs an authenticator, a throttled route a limiter).

use crate::authn::strategy::Authenticator;
use crate::guard::routing::MethodRouter;
use crate::guard::{Erased, ErasedAuth, Guard, Guarded, GuardedHandler, RouteContext};
#[cfg(feature = "throttle")]
use crate::throttle::{LimiterFactory, RouteThrottle, ThrottleSpec, TrustedProxies};
use axum::extract::Request;
use axum::response::IntoResponse;
use axum::routing::Route;
use std::convert::Infallible;
use std::sync::{Arc, OnceLock};
use tower::{Layer, Service};

/// One route of the posture table.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
/// # block_on(async {
/// let pool = pool().await;
/// let app = router(pool).build()?;
/// let route = &app.posture().routes[0];
/// assert_eq!((route.method.as_str(), route.path.as_str(), route.guard.handler), ("GET", "/docs", "list"));
/// # Ok::<(), Box<dyn std::error::Error>>(()) }).unwrap();
/// ```
#[derive(Clone)]
pub struct RouteInfo {
    /// The method (`*` for the fallback).
    pub method: String,
    /// The path pattern.
    pub path: String,
    /// The handler's guard.
    pub guard: &'static Guard,
}

impl std::fmt::Debug for RouteInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} ({})", self.method, self.path, self.guard.handler)
    }
}

/// Every route with its method, access, roles, `can` and throttle, and the layers around
/// them; `Display` is a table followed by the escape hatches taken so far.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
/// # block_on(async {
/// let pool = pool().await;
/// let posture = router(pool).build()?.posture().clone();
/// let table = posture.to_string();
/// let mut lines = table.lines();
/// assert_eq!(lines.next(), Some("METHOD  PATH        ACCESS  ROLES  CAN  THROTTLE"));
/// assert_eq!(lines.next(), Some("GET     /docs       auth    -      -    -"));
/// # Ok::<(), Box<dyn std::error::Error>>(()) }).unwrap();
/// ```
#[derive(Debug, Clone, Default)]
pub struct Posture {
    /// The routes, in the order they were added.
    pub routes: Vec<RouteInfo>,
    /// The type names of the layers applied with `layer`, innermost first.
    pub layers: Vec<&'static str>,
}

impl std::fmt::Display for Posture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rows: Vec<[String; 6]> = self
            .routes
            .iter()
            .map(|r| {
                let g = r.guard;
                [
                    r.method.clone(),
                    r.path.clone(),
                    if g.public { "public" } else { "auth" }.to_owned(),
                    if g.roles.is_empty() {
                        "-".to_owned()
                    } else {
                        g.roles.join(",")
                    },
                    g.can
                        .as_ref()
                        .map_or("-".to_owned(), |c| format!("{}({})", c.action, c.entity)),
                    super::throttle_spec(g).unwrap_or("-").to_owned(),
                ]
            })
            .collect();
        let header = ["METHOD", "PATH", "ACCESS", "ROLES", "CAN", "THROTTLE"].map(str::to_owned);
        let mut widths = header.clone().map(|h| h.len());
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        for row in std::iter::once(&header).chain(&rows) {
            let line: Vec<String> = row
                .iter()
                .zip(widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect();
            writeln!(f, "{}", line.join("  ").trim_end())?;
        }
        for layer in &self.layers {
            writeln!(f, "layer: {layer}")?;
        }
        // The escape hatches taken so far in this process, so a reviewer sees them beside
        // the routes.
        crate::model::escape::write_table(f)
    }
}

/// Why a router could not be built. Reported at start-up, never per request.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
/// # block_on(async {
/// let pool = pool().await;
/// use portcullis::guard::BuildError;
/// use portcullis::routing::get;
///
/// // `auth` routes and no `.authenticator(..)`.
/// let router: portcullis::Router = portcullis::Router::new()
///     .route("/docs", get(list))
///     .with_state(AppState { pool });
/// let err = router.build().unwrap_err();
/// assert!(matches!(err, BuildError::NoAuthenticator(_)));
/// assert!(err.to_string().contains("call `.authenticator(..)`"));
/// # Ok::<(), Box<dyn std::error::Error>>(()) }).unwrap();
/// ```
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// `auth` routes exist but no authenticator was given.
    #[error(
        "routes require authentication but the router has no authenticator (call `.authenticator(..)`): {0}"
    )]
    NoAuthenticator(String),
    /// Throttled routes exist but no limiter backend was given.
    #[error(
        "routes are throttled but the router has no limiter (call `.throttle_backend(..)`): {0}"
    )]
    NoLimiter(String),
    /// A `public` handler takes an extractor that needs a principal (through an alias or a
    /// wrapper the macro could not see).
    #[error(
        "route {route}: `{handler}` is `#[guarded(public)]` but takes an extractor that needs a principal (`Principal`, `Scoped`, `Bind`, `Patch`, `Insert`); use `#[guarded(auth)]` or remove the argument"
    )]
    PublicTakesPrincipal {
        /// The route.
        route: String,
        /// The handler.
        handler: &'static str,
    },
    /// A handler takes `Bind` on a route with several path parameters and does not say which
    /// one names the row.
    #[error(
        "route {route}: `Bind` could load any of the path parameters {params:?}; say which with `#[guarded(bind = \"..\")]` on `{handler}`"
    )]
    AmbiguousBind {
        /// The route.
        route: String,
        /// The handler.
        handler: &'static str,
        /// The route's path parameters.
        params: Vec<String>,
    },
    /// `#[guarded(bind = "..")]` names no parameter of the route, or the handler takes no
    /// `Bind`.
    #[error("route {route}: `bind = {param:?}` on `{handler}`: {why}")]
    BindParam {
        /// The route.
        route: String,
        /// The handler.
        handler: &'static str,
        /// The parameter named.
        param: &'static str,
        /// What is wrong.
        why: String,
    },
    /// A `throttle = ".."` spec does not parse.
    #[error("route {route}: invalid throttle {spec:?}: {error}")]
    Throttle {
        /// The route.
        route: String,
        /// The spec as written.
        spec: String,
        /// What is wrong with it.
        error: String,
    },
}

/// The names of a route pattern's path parameters (`/p/{a}/t/{*rest}` → `a`, `rest`).
fn path_params(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .map(|p| p.trim_start_matches('*').to_owned())
        .collect()
}

/// A `public` handler has no principal: one taking a principal extractor is misconfigured.
fn check_public(r: &RouteInfo) -> Result<(), BuildError> {
    if r.guard.public && (r.guard.takes_principal)() {
        return Err(BuildError::PublicTakesPrincipal {
            route: format!("{} {}", r.method, r.path),
            handler: r.guard.handler,
        });
    }
    Ok(())
}

/// `Bind` must know which path parameter names its row: `bind = ".."` or the only parameter.
fn check_bind(r: &RouteInfo) -> Result<(), BuildError> {
    if r.method == "*" {
        return Ok(());
    }
    let params = path_params(&r.path);
    let route = format!("{} {}", r.method, r.path);
    let binds = (r.guard.binds_path)();
    match r.guard.bind {
        Some(param) if !binds => Err(BuildError::BindParam {
            route,
            handler: r.guard.handler,
            param,
            why: "the handler takes no `Bind`; remove the option".to_owned(),
        }),
        Some(param) if !params.iter().any(|p| p == param) => Err(BuildError::BindParam {
            route,
            handler: r.guard.handler,
            param,
            why: format!("the route's path parameters are {params:?}"),
        }),
        None if binds && params.len() > 1 => Err(BuildError::AmbiguousBind {
            route,
            handler: r.guard.handler,
            params,
        }),
        _ => Ok(()),
    }
}

/// axum's router restricted to `#[guarded]` handlers. Build it into an `axum::Router` with
/// [`Router::build`], which fails (at start-up) on missing authenticator or limiter.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
/// # block_on(async {
/// let pool = pool().await;
/// use portcullis::Router;
/// use portcullis::routing::get;
///
/// let app = Router::new()
///     .route("/docs", get(list))
///     .route("/docs/{id}", get(show))
///     .authenticator(UserHeader)
///     .with_state(AppState { pool })
///     .build()?;
/// assert_eq!(call(&app, "/docs/2", Some("1")).await, (200, r#"{"id":2,"owner_id":2,"title":"Budget"}"#.to_owned()));
/// assert_eq!(call(&app, "/docs/3", Some("1")).await.0, 403); // another tenant's
/// assert_eq!(call(&app, "/docs/2", None).await.0, 401);
/// # Ok::<(), Box<dyn std::error::Error>>(()) }).unwrap();
/// ```
pub struct Router<S = ()> {
    inner: axum::Router<S>,
    routes: Vec<RouteInfo>,
    contexts: Vec<Arc<RouteContext>>,
    auth: Option<Arc<dyn ErasedAuth>>,
    #[cfg(feature = "throttle")]
    limiter: Option<Arc<dyn LimiterFactory>>,
    #[cfg(feature = "throttle")]
    proxies: TrustedProxies,
    layers: Vec<&'static str>,
}

impl<S> Clone for Router<S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            routes: self.routes.clone(),
            contexts: self.contexts.clone(),
            auth: self.auth.clone(),
            #[cfg(feature = "throttle")]
            limiter: self.limiter.clone(),
            #[cfg(feature = "throttle")]
            proxies: self.proxies.clone(),
            layers: self.layers.clone(),
        }
    }
}

impl<S: Clone + Send + Sync + 'static> Default for Router<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S: Clone + Send + Sync + 'static> Router<S> {
    /// An empty router.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
    /// let router: portcullis::Router<AppState> = portcullis::Router::new();
    /// assert!(router.posture().routes.is_empty());
    /// ```
    pub fn new() -> Self {
        Self {
            inner: axum::Router::new(),
            routes: Vec::new(),
            contexts: Vec::new(),
            auth: None,
            #[cfg(feature = "throttle")]
            limiter: None,
            #[cfg(feature = "throttle")]
            proxies: TrustedProxies::none(),
            layers: Vec::new(),
        }
    }

    /// Adds the guarded handlers of `path`.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
    /// use portcullis::routing::get;
    ///
    /// let router = portcullis::Router::<AppState>::new().route("/health", get(health));
    /// assert_eq!(router.posture().routes[0].path, "/health");
    /// ```
    pub fn route(mut self, path: &str, methods: MethodRouter<S>) -> Self {
        for e in &methods.entries {
            self.routes.push(RouteInfo {
                method: e.method.to_string(),
                path: path.to_owned(),
                guard: e.guard,
            });
        }
        let (router, contexts) = methods.mount(path);
        self.contexts.extend(contexts);
        self.inner = self.inner.route(path, router);
        self
    }

    /// Nests `router` under `path`.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
    /// use portcullis::Router;
    /// use portcullis::routing::get;
    ///
    /// let api = Router::<AppState>::new().route("/health", get(health));
    /// let router = Router::new().nest("/api", api);
    /// assert_eq!(router.posture().routes[0].path, "/api/health");
    /// ```
    pub fn nest(mut self, path: &str, router: Router<S>) -> Self {
        let prefix = path.trim_end_matches('/');
        self.routes.extend(router.routes.into_iter().map(|mut r| {
            r.path = format!("{prefix}{}", r.path);
            r
        }));
        self.contexts.extend(router.contexts);
        self.layers.extend(router.layers);
        self.inner = self.inner.nest(path, router.inner);
        self
    }

    /// Merges another router's routes.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
    /// use portcullis::Router;
    /// use portcullis::routing::get;
    ///
    /// let docs = Router::<AppState>::new().route("/docs", get(list));
    /// let ops = Router::new().route("/health", get(health));
    /// assert_eq!(docs.merge(ops).posture().routes.len(), 2);
    /// ```
    pub fn merge(mut self, router: Router<S>) -> Self {
        self.routes.extend(router.routes);
        self.contexts.extend(router.contexts);
        self.layers.extend(router.layers);
        self.inner = self.inner.merge(router.inner);
        self
    }

    /// Applies a tower layer to every route (as `axum::Router::layer`).
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
    /// use portcullis::Router;
    /// use portcullis::routing::get;
    ///
    /// let router = Router::<AppState>::new()
    ///     .route("/health", get(health))
    ///     .layer(axum::middleware::from_fn(|req: axum::extract::Request, next: axum::middleware::Next| next.run(req)));
    /// assert_eq!(router.posture().layers.len(), 1); // listed in the posture
    /// ```
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<Route> + Clone + Send + Sync + 'static,
        L::Service: Service<Request> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Error: Into<Infallible> + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        self.layers.push(std::any::type_name::<L>());
        self.inner = self.inner.layer(layer);
        self
    }

    /// The handler for requests no route matches; guarded like any other.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
    /// # block_on(async {
    /// let pool = pool().await;
    /// use portcullis::{Problem, guarded};
    ///
    /// #[guarded(public)]
    /// async fn not_found() -> Problem {
    ///     Problem::not_found().with_detail("No such endpoint.")
    /// }
    ///
    /// let app = router(pool).fallback(not_found).build()?;
    /// assert_eq!(call(&app, "/nowhere", None).await.0, 404);
    /// # Ok::<(), Box<dyn std::error::Error>>(()) }).unwrap();
    /// ```
    pub fn fallback<H: Guarded<S, M>, M: 'static>(mut self, handler: H) -> Self {
        let ctx = Arc::new(RouteContext {
            route: "fallback".to_owned(),
            guard: H::GUARD,
            throttle: OnceLock::new(),
            auth: OnceLock::new(),
        });
        self.routes.push(RouteInfo {
            method: "*".to_owned(),
            path: "*".to_owned(),
            guard: H::GUARD,
        });
        self.contexts.push(ctx.clone());
        self.inner = self.inner.fallback(GuardedHandler {
            inner: handler,
            ctx,
            _m: std::marker::PhantomData,
        });
        self
    }

    /// The authenticator `auth` routes run (a strategy or a [`Chain`](crate::authn::strategy::Chain)).
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
    /// use portcullis::Router;
    /// use portcullis::routing::get;
    ///
    /// // `UserHeader: Authenticator<User>`, and `AppState: HasPrincipal<Principal = User>`.
    /// let router = Router::<AppState>::new().route("/docs", get(list)).authenticator(UserHeader);
    /// # let _ = router;
    /// ```
    pub fn authenticator<A: Authenticator<S::Principal>>(mut self, authenticator: A) -> Self
    where
        S: super::HasPrincipal,
    {
        self.auth = Some(Arc::new(Erased {
            auth: authenticator,
            _p: std::marker::PhantomData,
        }));
        self
    }

    /// Where per-route throttle limits are kept (memory, or Redis with feature `redis`).
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
    /// # block_on(async {
    /// let pool = pool().await;
    /// use portcullis::throttle::MemoryBackend;
    /// use portcullis::{Router, guarded};
    /// use portcullis::routing::get;
    ///
    /// #[guarded(public, throttle = "2/min per ip")]
    /// async fn ping() -> &'static str {
    ///     "pong"
    /// }
    ///
    /// let router: Router = Router::new()
    ///     .route("/ping", get(ping))
    ///     .throttle_backend(MemoryBackend::default())
    ///     .with_state(AppState { pool });
    /// let app = router.build()?;
    /// assert_eq!(app.posture().routes[0].guard.throttle, Some("2/min per ip"));
    /// # Ok::<(), Box<dyn std::error::Error>>(()) }).unwrap();
    /// ```
    #[cfg(feature = "throttle")]
    pub fn throttle_backend<L: LimiterFactory + 'static>(mut self, backend: L) -> Self {
        self.limiter = Some(Arc::new(backend));
        self
    }

    /// Proxies whose forwarding headers name the client for per-IP throttling (default: none).
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
    /// use portcullis::throttle::TrustedProxies;
    ///
    /// let router = portcullis::Router::<AppState>::new().trusted_proxies(TrustedProxies::none());
    /// # let _ = router;
    /// ```
    #[cfg(feature = "throttle")]
    pub fn trusted_proxies(mut self, proxies: TrustedProxies) -> Self {
        self.proxies = proxies;
        self
    }

    /// Provides the state, as `axum::Router::with_state`.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
    /// # block_on(async {
    /// let pool = pool().await;
    /// let router: portcullis::Router = router(pool); // `.with_state(AppState { pool })` inside
    /// assert!(router.build().is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(()) }).unwrap();
    /// ```
    pub fn with_state<S2>(self, state: S) -> Router<S2> {
        Router {
            inner: self.inner.with_state(state),
            routes: self.routes,
            contexts: self.contexts,
            auth: self.auth,
            #[cfg(feature = "throttle")]
            limiter: self.limiter,
            #[cfg(feature = "throttle")]
            proxies: self.proxies,
            layers: self.layers,
        }
    }

    /// Every route with its guard.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
    /// # block_on(async {
    /// let pool = pool().await;
    /// let posture = router(pool).posture();
    /// let public: Vec<&str> = posture.routes.iter().filter(|r| r.guard.public).map(|r| r.path.as_str()).collect();
    /// assert_eq!(public, ["/health"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(()) }).unwrap();
    /// ```
    pub fn posture(&self) -> Posture {
        Posture {
            routes: self.routes.clone(),
            layers: self.layers.clone(),
        }
    }

    /// Checks the configuration and returns the [`App`] to serve. Fails when an `auth`
    /// route has no authenticator or a throttled route no limiter, a throttle spec is bad, a
    /// `public` handler takes a principal, or a `Bind` cannot tell which path parameter it
    /// loads. The [`App`] can be served and tested but not extended with routes.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
    /// # block_on(async {
    /// let pool = pool().await;
    /// let app = router(pool).build()?;
    /// assert_eq!(call(&app, "/health", None).await, (200, "ok".to_owned()));
    /// # Ok::<(), Box<dyn std::error::Error>>(()) }).unwrap();
    /// ```
    pub fn build(self) -> Result<App<S>, BuildError> {
        for r in &self.routes {
            check_public(r)?;
            check_bind(r)?;
        }
        let needs_auth: Vec<&str> = self
            .contexts
            .iter()
            .filter(|c| !c.guard.public)
            .map(|c| c.route.as_str())
            .collect();
        if self.auth.is_none() && !needs_auth.is_empty() {
            return Err(BuildError::NoAuthenticator(needs_auth.join(", ")));
        }
        for ctx in &self.contexts {
            if let Some(auth) = &self.auth {
                let _ = ctx.auth.set(auth.clone());
            }
            let Some(spec) = ctx.guard.throttle else {
                continue;
            };
            // Without the feature a `throttle = ".."` does not compile: no route has one.
            #[cfg(not(feature = "throttle"))]
            match spec {}
            #[cfg(feature = "throttle")]
            {
                let parsed: ThrottleSpec =
                    spec.parse().map_err(|e: crate::throttle::RateParseError| {
                        BuildError::Throttle {
                            route: ctx.route.clone(),
                            spec: spec.to_owned(),
                            error: e.to_string(),
                        }
                    })?;
                let Some(backend) = &self.limiter else {
                    return Err(BuildError::NoLimiter(ctx.route.clone()));
                };
                let _ = ctx.throttle.set(RouteThrottle::new(
                    parsed,
                    ctx.route.clone(),
                    backend.as_ref(),
                    self.proxies.clone(),
                ));
            }
        }
        Ok(App {
            posture: Posture {
                routes: self.routes,
                layers: self.layers,
            },
            router: self.inner,
        })
    }
}

/// Never implemented: the bound of [`App::route`] and [`App::fallback`], so that extending a
/// built app fails to compile with this message instead of "no method named `route`".
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "routes cannot be added to a built `portcullis::App`: they would skip the guard checks",
    label = "added after `build()`",
    note = "add the route to the `portcullis::Router` before `.build()`, with a `#[guarded(..)]` handler; to mount unguarded routes anyway, take the named escape `app.into_unguarded_router(\"reason\")`"
)]
pub trait RouteAfterBuild {}

/// A built guarded router: what [`Router::build`] returns. It can be served
/// (`axum::serve(listener, app)`, [`App::into_make_service`],
/// [`App::into_make_service_with_connect_info`]) and tested (a tower `Service`, so
/// `app.clone().oneshot(request)`), and layers can wrap it, but no route or fallback can be
/// added: every route it serves went through the guard checks. A plain `axum::Router` is
/// available only through the named escape [`App::into_unguarded_router`].
///
/// ```no_run
/// # async fn run(app: portcullis::App) -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>()).await
/// # }
/// ```
pub struct App<S = ()> {
    router: axum::Router<S>,
    posture: Posture,
}

impl<S> Clone for App<S> {
    fn clone(&self) -> Self {
        Self {
            router: self.router.clone(),
            posture: self.posture.clone(),
        }
    }
}

impl<S> std::fmt::Debug for App<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("routes", &self.posture.routes)
            .field("layers", &self.posture.layers)
            .finish()
    }
}

impl<S: Clone + Send + Sync + 'static> App<S> {
    /// Every route with its guard, and the layers around them.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
    /// # block_on(async {
    /// let pool = pool().await;
    /// let app = router(pool).build()?;
    /// assert_eq!(app.posture().routes.len(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(()) }).unwrap();
    /// ```
    pub fn posture(&self) -> &Posture {
        &self.posture
    }

    /// Wraps every route in a tower layer (as `axum::Router::layer`); listed in the posture.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
    /// # block_on(async {
    /// let pool = pool().await;
    /// let app = router(pool).build()?.layer(tower::layer::util::Identity::new());
    /// assert_eq!(app.posture().layers, ["tower_layer::identity::Identity"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(()) }).unwrap();
    /// ```
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<Route> + Clone + Send + Sync + 'static,
        L::Service: Service<Request> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Error: Into<Infallible> + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        self.posture.layers.push(std::any::type_name::<L>());
        self.router = self.router.layer(layer);
        self
    }

    /// Not available: a route added after [`Router::build`] would skip its checks. Calling it
    /// is a compile error that says what to do instead.
    #[doc(hidden)]
    pub fn route<T: RouteAfterBuild>(self, _path: &str, _route: T) -> Self {
        self
    }

    /// Not available, as [`App::route`].
    #[doc(hidden)]
    pub fn fallback<T: RouteAfterBuild>(self, _handler: T) -> Self {
        self
    }

    /// The escape hatch: a plain `axum::Router` that routes can be added to without guards.
    /// `reason` says why; the call is logged at WARN on `portcullis::authz` and counted in the
    /// posture table of every router printed afterwards.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
    /// # block_on(async {
    /// let pool = pool().await;
    /// let app = router(pool).build()?;
    /// // An axum route that portcullis does not guard: named, logged and counted.
    /// let plain: axum::Router = app
    ///     .into_unguarded_router("static files served by axum")
    ///     .route("/robots.txt", axum::routing::get(|| async { "User-agent: *" }));
    /// # let _ = plain;
    /// # Ok::<(), Box<dyn std::error::Error>>(()) }).unwrap();
    /// ```
    pub fn into_unguarded_router(self, reason: &'static str) -> axum::Router<S> {
        tracing::warn!(target: "portcullis::authz", reason,
            "the guarded router was turned into a plain axum::Router: routes added to it are not guarded");
        crate::model::escape::record(crate::model::escape::Hatch::UnguardedRouter, reason);
        self.router
    }
}

impl App<()> {
    /// For `axum::serve`, as `axum::Router::into_make_service`.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn run(app: portcullis::App) -> std::io::Result<()> {
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    /// axum::serve(listener, app.into_make_service()).await
    /// # }
    /// ```
    pub fn into_make_service(self) -> axum::routing::IntoMakeService<axum::Router> {
        self.router.into_make_service()
    }

    /// For `axum::serve` with the peer address in request extensions (needed for per-IP
    /// throttling), as `axum::Router::into_make_service_with_connect_info`.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::net::SocketAddr;
    ///
    /// # async fn run(app: portcullis::App) -> std::io::Result<()> {
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    /// axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await
    /// # }
    /// ```
    pub fn into_make_service_with_connect_info<C>(
        self,
    ) -> axum::extract::connect_info::IntoMakeServiceWithConnectInfo<axum::Router, C> {
        self.router.into_make_service_with_connect_info::<C>()
    }
}

/// `app.oneshot(request)` in tests, and any tower stack.
impl<B> Service<http::Request<B>> for App<()>
where
    B: axum::body::HttpBody<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = axum::response::Response;
    type Error = Infallible;
    type Future = <axum::Router as Service<http::Request<B>>>::Future;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        <axum::Router as Service<http::Request<B>>>::poll_ready(&mut self.router, cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        self.router.call(req)
    }
}

/// `axum::serve(listener, app)`.
impl<L: axum::serve::Listener> Service<axum::serve::IncomingStream<'_, L>> for App<()> {
    type Response = axum::Router;
    type Error = Infallible;
    type Future = std::future::Ready<Result<axum::Router, Infallible>>;

    fn poll_ready(
        &mut self,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, _stream: axum::serve::IncomingStream<'_, L>) -> Self::Future {
        std::future::ready(Ok(self.router.clone()))
    }
}
