//! Method routers that accept only guarded handlers: `get(list).post(create)`.
//!
//! A plain `async fn` passed here does not compile: [`Guarded`] is implemented
//! only by `#[guarded(..)]`, and its diagnostic says which attribute to add.
//!
//! ```
//! # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
//! use portcullis::routing::get;
//!
//! let router = portcullis::Router::<AppState>::new().route("/docs", get(list).post(health));
//! let posture = router.posture();
//! let methods: Vec<&str> = posture.routes.iter().map(|r| r.method.as_str()).collect();
//! assert_eq!(methods, ["GET", "POST"]);
//! ```

use crate::guard::{Guard, Guarded, GuardedHandler, RouteContext};
use axum::routing::MethodFilter;
use http::Method;
use std::sync::{Arc, OnceLock};

type Mount<S> = Box<
    dyn FnOnce(axum::routing::MethodRouter<S>, Arc<RouteContext>) -> axum::routing::MethodRouter<S>
        + Send,
>;

pub(crate) struct Entry<S> {
    pub(crate) method: Method,
    pub(crate) guard: &'static Guard,
    pub(crate) mount: Mount<S>,
}

/// The guarded handlers of one path, by method.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
/// use portcullis::routing::{MethodRouter, get};
///
/// let methods: MethodRouter<AppState> = get(list).delete(health);
/// assert_eq!(format!("{methods:?}"), r#"[(GET, "list"), (DELETE, "health")]"#);
/// ```
pub struct MethodRouter<S = ()> {
    pub(crate) entries: Vec<Entry<S>>,
}

impl<S> std::fmt::Debug for MethodRouter<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.entries.iter().map(|e| (&e.method, e.guard.handler)))
            .finish()
    }
}

impl<S: Clone + Send + Sync + 'static> MethodRouter<S> {
    fn with<H: Guarded<S, M>, M: 'static>(
        mut self,
        method: Method,
        filter: MethodFilter,
        handler: H,
    ) -> Self {
        self.entries.push(Entry {
            method,
            guard: H::GUARD,
            mount: Box::new(move |router, ctx| {
                router.on(
                    filter,
                    GuardedHandler {
                        inner: handler,
                        ctx,
                        _m: std::marker::PhantomData,
                    },
                )
            }),
        });
        self
    }

    /// Adds a `GET` handler.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
    /// use portcullis::routing::post;
    ///
    /// let methods = post(list).get(health);
    /// # let _: portcullis::routing::MethodRouter<AppState> = methods;
    /// ```
    pub fn get<H: Guarded<S, M>, M: 'static>(self, handler: H) -> Self {
        self.with(Method::GET, MethodFilter::GET, handler)
    }
    /// Adds a `POST` handler.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
    /// use portcullis::routing::get;
    ///
    /// let methods = get(list).post(health);
    /// # let _: portcullis::routing::MethodRouter<AppState> = methods;
    /// ```
    pub fn post<H: Guarded<S, M>, M: 'static>(self, handler: H) -> Self {
        self.with(Method::POST, MethodFilter::POST, handler)
    }
    /// Adds a `PUT` handler.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
    /// use portcullis::routing::get;
    ///
    /// let methods = get(list).put(health);
    /// # let _: portcullis::routing::MethodRouter<AppState> = methods;
    /// ```
    pub fn put<H: Guarded<S, M>, M: 'static>(self, handler: H) -> Self {
        self.with(Method::PUT, MethodFilter::PUT, handler)
    }
    /// Adds a `PATCH` handler.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
    /// use portcullis::routing::get;
    ///
    /// let methods = get(list).patch(health);
    /// # let _: portcullis::routing::MethodRouter<AppState> = methods;
    /// ```
    pub fn patch<H: Guarded<S, M>, M: 'static>(self, handler: H) -> Self {
        self.with(Method::PATCH, MethodFilter::PATCH, handler)
    }
    /// Adds a `DELETE` handler.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
    /// use portcullis::routing::get;
    ///
    /// let methods = get(list).delete(health);
    /// # let _: portcullis::routing::MethodRouter<AppState> = methods;
    /// ```
    pub fn delete<H: Guarded<S, M>, M: 'static>(self, handler: H) -> Self {
        self.with(Method::DELETE, MethodFilter::DELETE, handler)
    }

    pub(crate) fn mount(
        self,
        path: &str,
    ) -> (axum::routing::MethodRouter<S>, Vec<Arc<RouteContext>>) {
        let mut router = axum::routing::MethodRouter::new();
        let mut contexts = Vec::new();
        for entry in self.entries {
            let ctx = Arc::new(RouteContext {
                route: format!("{} {path}", entry.method),
                guard: entry.guard,
                throttle: OnceLock::new(),
                auth: OnceLock::new(),
            });
            contexts.push(ctx.clone());
            router = (entry.mount)(router, ctx);
        }
        (router, contexts)
    }
}

fn empty<S>() -> MethodRouter<S> {
    MethodRouter {
        entries: Vec::new(),
    }
}

/// A `GET` route.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
/// use portcullis::routing::get;
///
/// let router = portcullis::Router::<AppState>::new().route("/x", get(health));
/// assert_eq!(router.posture().routes[0].method, "GET");
/// ```
pub fn get<H: Guarded<S, M>, M: 'static, S: Clone + Send + Sync + 'static>(
    handler: H,
) -> MethodRouter<S> {
    empty().get(handler)
}
/// A `POST` route.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
/// use portcullis::routing::post;
///
/// let router = portcullis::Router::<AppState>::new().route("/x", post(health));
/// assert_eq!(router.posture().routes[0].method, "POST");
/// ```
pub fn post<H: Guarded<S, M>, M: 'static, S: Clone + Send + Sync + 'static>(
    handler: H,
) -> MethodRouter<S> {
    empty().post(handler)
}
/// A `PUT` route.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
/// use portcullis::routing::put;
///
/// let router = portcullis::Router::<AppState>::new().route("/x", put(health));
/// assert_eq!(router.posture().routes[0].method, "PUT");
/// ```
pub fn put<H: Guarded<S, M>, M: 'static, S: Clone + Send + Sync + 'static>(
    handler: H,
) -> MethodRouter<S> {
    empty().put(handler)
}
/// A `PATCH` route.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
/// use portcullis::routing::patch;
///
/// let router = portcullis::Router::<AppState>::new().route("/x", patch(health));
/// assert_eq!(router.posture().routes[0].method, "PATCH");
/// ```
pub fn patch<H: Guarded<S, M>, M: 'static, S: Clone + Send + Sync + 'static>(
    handler: H,
) -> MethodRouter<S> {
    empty().patch(handler)
}
/// A `DELETE` route.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
/// use portcullis::routing::delete;
///
/// let router = portcullis::Router::<AppState>::new().route("/x", delete(health));
/// assert_eq!(router.posture().routes[0].method, "DELETE");
/// ```
pub fn delete<H: Guarded<S, M>, M: 'static, S: Clone + Send + Sync + 'static>(
    handler: H,
) -> MethodRouter<S> {
    empty().delete(handler)
}
