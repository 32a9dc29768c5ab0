//! Guards: what `#[guarded(..)]` declares about a handler, and the checks that run before any of
//! the handler's extractors — authentication, roles, a coarse `can`, throttling.
//!
//! A handler becomes routable only through `#[guarded]`, which implements the sealed
//! [`Guarded`] trait; [`Router`] and [`routing`]'s `get`/`post`/.. accept nothing else.
//!
//! ```
//! use portcullis::{Problem, Read, Shaped, guarded};
//! # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
//!
//! // Authenticated, with a role, a coarse policy check and a per-user rate limit.
//! #[guarded(auth, roles(admin), can(Read, Document), throttle = "10/min per user")]
//! async fn export(docs: portcullis::Scoped<Document, Read>, db: portcullis::Db) -> Result<Shaped<Vec<Document>>, Problem> {
//!     let rows = docs.query().load(&db).await?;
//!     Ok(docs.shape(rows))
//! }
//!
//! // Anyone may call it; it may not take a principal.
//! #[guarded(public)]
//! async fn version() -> &'static str {
//!     env!("CARGO_PKG_VERSION")
//! }
//! ```

pub mod bind;
pub mod extract;
mod router;
pub mod routing;
pub mod write;

pub use extract::{Db, JsonBody, NO_EXTRA_CAP, Principal, Scoped};
pub use router::{App, BuildError, Posture, RouteAfterBuild, RouteInfo, Router};

use crate::authn::strategy::{AuthRejection, Authenticator};
use crate::http::problem::Problem;
pub use crate::model::BoxFuture;
#[cfg(feature = "throttle")]
use crate::throttle::{Decision, RouteThrottle};
use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::request::Parts;
#[cfg(not(feature = "throttle"))]
use no_throttle::{Decision, RouteThrottle};
use std::sync::{Arc, OnceLock};

/// What a principal tells the guards: an id for logs and throttle keys, and its roles.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a principal",
    label = "the authenticator's principal type must implement `portcullis::guard::Identity`",
    note = "implement `Identity` for `{Self}`: `fn id(&self) -> String` (and `has_role` for `roles(..)`)"
)]
///
/// # Examples
///
/// ```
/// use portcullis::guard::Identity;
///
/// #[derive(Clone)]
/// struct Member {
///     id: u64,
///     admin: bool,
/// }
///
/// impl Identity for Member {
///     fn id(&self) -> String {
///         self.id.to_string()
///     }
///     fn has_role(&self, role: &str) -> bool {
///         role == "admin" && self.admin
///     }
/// }
///
/// let m = Member { id: 7, admin: true };
/// assert_eq!((m.id(), m.has_role("admin"), m.has_role("auditor")), ("7".to_owned(), true, false));
/// ```
pub trait Identity: Clone + Send + Sync + 'static {
    /// A stable id for logs and per-user throttling (never a secret).
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::guard::Identity;
    ///
    /// assert_eq!(alice().id(), "1");
    /// ```
    fn id(&self) -> String;
    /// Whether the principal has `role` (for `#[guarded(roles(..))]`). None by default.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::guard::Identity;
    ///
    /// assert!(bob().has_role("admin") && !alice().has_role("admin"));
    /// ```
    fn has_role(&self, role: &str) -> bool {
        let _ = role;
        false
    }
}

/// The principal type of an application: implemented for the router's state, it ties the
/// authenticator, `Principal<U>`, `Scoped<E, A>` and `Bind<E, A>` to one type at compile time
/// (a policy written for another subject does not compile into this app's routes).
#[diagnostic::on_unimplemented(
    message = "the state `{Self}` declares no principal type",
    label = "routes that need a principal need the state to name its type",
    note = "add `impl portcullis::guard::HasPrincipal for {Self} {{ type Principal = YourUser; }}` (the type your authenticator produces)"
)]
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// use portcullis::guard::HasPrincipal;
///
/// #[derive(Clone)]
/// struct State {
///     pool: portcullis::db::Pool,
/// }
///
/// impl HasPrincipal for State {
///     type Principal = User; // what the authenticator produces and the policies take
/// }
/// ```
pub trait HasPrincipal {
    /// What the authenticator produces and policies take as their subject.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
    /// use portcullis::guard::HasPrincipal;
    ///
    /// let user: <AppState as HasPrincipal>::Principal = alice();
    /// # let _ = user;
    /// ```
    type Principal: Identity;
}

/// A coarse `can(Action, Entity)` check: does the principal have any grant of the action.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
/// let guard = <list as portcullis::guard::Guarded<AppState, _>>::GUARD;
/// assert!(guard.can.is_none()); // `#[guarded(auth)]` declares no `can(..)`
/// ```
pub struct CanCheck {
    /// The action's name.
    pub action: &'static str,
    /// The entity's name.
    pub entity: &'static str,
    /// `None` when the request carries no principal of the policy's subject type.
    pub check: fn(&http::Extensions) -> Option<bool>,
}

/// The requirements `#[guarded(..)]` declares for one handler.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
/// use portcullis::guard::{Guard, Guarded};
///
/// fn guard_of<H: Guarded<AppState, M>, M>(_: H) -> &'static Guard {
///     H::GUARD
/// }
/// let g = guard_of(health);
/// assert_eq!((g.handler, g.public, g.throttle), ("health", true, None));
/// assert!(!guard_of(list).public && (guard_of(show).binds_path)());
/// ```
pub struct Guard {
    /// The handler's name.
    pub handler: &'static str,
    /// `public`: no authentication.
    pub public: bool,
    /// `roles(..)`: the principal needs at least one of them.
    pub roles: &'static [&'static str],
    /// `can(Action, Entity)`.
    pub can: Option<CanCheck>,
    /// `throttle = ".."`, validated when the router is built (a [`ThrottleSpecText`]: the
    /// spec with the `throttle` feature, a type no string converts to without it).
    pub throttle: Option<ThrottleSpecText>,
    /// `conceal`: denials answer 404 instead of 403.
    pub conceal: bool,
    /// `bind = ".."`: the path parameter a `Bind` argument loads. Without it a `Bind` loads
    /// the route's only parameter; a route with several is refused by [`Router::build`].
    pub bind: Option<&'static str>,
    /// Whether the handler takes a `Bind` argument.
    pub binds_path: fn() -> bool,
    /// Whether an argument needs a principal (`Principal`, `Scoped`, `Bind`, `Patch`,
    /// `Insert`, or an `Option`/`Result` of one).
    pub takes_principal: fn() -> bool,
}

/// What a [`Guard`] holds for `#[guarded(throttle = "..")]`: the spec as written.
#[cfg(feature = "throttle")]
pub type ThrottleSpecText = &'static str;

/// What a [`Guard`] holds for `#[guarded(throttle = "..")]` in a build without the `throttle`
/// feature: nothing, so `throttle = "60/min"` fails to compile at the spec with "expected
/// `ThrottleSpecText`, found `&str`". Enable portcullis's `throttle` feature to throttle a route.
#[cfg(not(feature = "throttle"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleSpecText {}

/// The spec a guard declares, as written.
fn throttle_spec(guard: &Guard) -> Option<&'static str> {
    #[cfg(feature = "throttle")]
    return guard.throttle;
    #[cfg(not(feature = "throttle"))]
    return guard.throttle.map(|never| match never {});
}

/// Without the `throttle` feature no route has a limit: these stand in for the throttle's route
/// limit and its decision, and are never constructed.
#[cfg(not(feature = "throttle"))]
mod no_throttle {
    use crate::http::problem::Problem;
    use http::request::Parts;

    pub(crate) enum RouteThrottle {}

    impl RouteThrottle {
        pub(crate) fn per_user(&self) -> bool {
            match *self {}
        }

        pub(crate) async fn check(&self, _: &Parts, _: Option<&str>) -> Result<Decision, Problem> {
            match *self {}
        }
    }

    pub(crate) enum Decision {}

    impl Decision {
        pub(crate) fn apply_headers(&self, _: &mut http::HeaderMap) {
            match *self {}
        }
    }
}

/// The path parameter `Bind` loads on this route (`#[guarded(bind = "..")]`), in request
/// extensions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BindParam(pub(crate) &'static str);

#[doc(hidden)]
pub struct BindProbe<T>(std::marker::PhantomData<fn() -> T>);

impl<T> BindProbe<T> {
    #[doc(hidden)]
    pub const NEW: Self = BindProbe(std::marker::PhantomData);
}

#[doc(hidden)]
pub trait BindProbeYes {
    fn binds_path(&self) -> bool {
        true
    }
}

impl<E: crate::model::action::Governs<A>, A: crate::model::action::Action> BindProbeYes
    for BindProbe<crate::guard::bind::Bind<E, A>>
{
}

#[doc(hidden)]
pub trait BindProbeNo {
    fn binds_path(&self) -> bool {
        false
    }
}

impl<T> BindProbeNo for &BindProbe<T> {}

/// A handler made by `#[guarded(..)]`. Sealed: only the macro implements it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a guarded handler",
    label = "portcullis routes take only `#[guarded(..)]` handlers",
    note = "add `#[guarded(auth)]` (or `#[guarded(public)]` for an endpoint anyone may call) above the handler function"
)]
/// `M` is axum's marker for how the last argument is extracted (from parts or the whole
/// request); it is inferred.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
/// use portcullis::guard::Guarded;
///
/// fn routable<H: Guarded<AppState, M>, M>(_: H) {}
/// routable(list); // `#[guarded(auth)] async fn list(..)`
/// ```
///
/// A plain `async fn` is not a guarded handler:
///
/// ```compile_fail
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
/// async fn unguarded() -> &'static str { "open" }
/// let _ = portcullis::Router::<AppState>::new().route("/", portcullis::routing::get(unguarded));
/// ```
pub trait Guarded<S, M>: GuardedSeal + Clone + Send + Sync + Sized + 'static {
    /// The handler's declared requirements.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
    /// use portcullis::guard::Guarded;
    ///
    /// assert_eq!(<show as Guarded<AppState, _>>::GUARD.handler, "show");
    /// ```
    const GUARD: &'static Guard;
    /// Runs the handler's extractors and body (the guard has already passed).
    #[doc(hidden)]
    fn __call(self, parts: Parts, body: Body, state: S) -> BoxFuture<'static, Response>;
}

/// The seal of [`Guarded`]: implemented by `#[guarded]` only, so a hand-written `Guarded` impl
/// (a route without a declared guard) does not compile.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a guarded handler: `Guarded` is implemented only by `#[guarded(..)]`",
    label = "a hand-written `Guarded` impl would be a route without a declared guard",
    note = "remove the impl and put `#[guarded(auth)]` (or `#[guarded(public)]`) on the handler function"
)]
pub trait GuardedSeal {}

/// Extractors that need an authenticated principal: a `public` handler taking one (directly,
/// through an alias, or in an `Option`/`Result`) is refused by [`Router::build`].
#[doc(hidden)]
pub trait RequiresPrincipal {}

impl<U> RequiresPrincipal for Principal<U> {}
impl<E: crate::model::action::Governs<A>, A: crate::model::action::Action> RequiresPrincipal
    for Scoped<E, A>
{
}
impl<E: crate::model::action::Governs<A>, A: crate::model::action::Action> RequiresPrincipal
    for crate::guard::bind::Bind<E, A>
{
}
impl<E: crate::model::resource::Resource> RequiresPrincipal for crate::guard::write::Patch<E> {}
impl<E: crate::model::resource::Resource> RequiresPrincipal for crate::guard::write::Insert<E> {}
impl<T: RequiresPrincipal> RequiresPrincipal for Option<T> {}
impl<T: RequiresPrincipal, X> RequiresPrincipal for Result<T, X> {}

#[doc(hidden)]
pub struct PrincipalProbe<T>(std::marker::PhantomData<fn() -> T>);

impl<T> PrincipalProbe<T> {
    #[doc(hidden)]
    pub const NEW: Self = PrincipalProbe(std::marker::PhantomData);
}

#[doc(hidden)]
pub trait PrincipalProbeYes {
    fn requires_principal(&self) -> bool {
        true
    }
}

impl<T: RequiresPrincipal> PrincipalProbeYes for PrincipalProbe<T> {}

#[doc(hidden)]
pub trait PrincipalProbeNo {
    fn requires_principal(&self) -> bool {
        false
    }
}

impl<T> PrincipalProbeNo for &PrincipalProbe<T> {}

/// `(router's principal, Entity)`: `Entity`'s policy is for the router's principal type, what a
/// handler's `can(Action, Entity)` needs. Stated on the entity rather than on
/// `<Entity as Policy>::Subject`, so that an entity without a policy is not reported here (as
/// an ill-formed bound) besides `CanTarget`'s one error at `Entity`.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`can(..)` checks a policy for another principal type: (router's principal, entity) = `{Self}`",
    label = "this handler's `can(Action, Entity)` names a policy whose subject is not the app's principal",
    note = "name an entity whose `#[policy(.., subject = ..)]` is the app's principal type, or fix the state's `impl HasPrincipal`"
)]
pub trait PrincipalIsSubject {}

impl<P, E: crate::policy::Policy<Subject = P>> PrincipalIsSubject for (P, E) {}

/// The authenticator a router runs for `auth` routes, with its principal type erased.
pub(crate) trait ErasedAuth: Send + Sync + 'static {
    fn authenticate<'a>(
        &'a self,
        parts: &'a mut Parts,
    ) -> BoxFuture<'a, Result<Box<dyn IdentityObj>, AuthRejection>>;
}

/// [`Identity`] as an object.
pub(crate) trait IdentityObj: Send + Sync {
    fn id(&self) -> String;
    fn has_role(&self, role: &str) -> bool;
}

impl<P: Identity> IdentityObj for P {
    fn id(&self) -> String {
        Identity::id(self)
    }
    fn has_role(&self, role: &str) -> bool {
        Identity::has_role(self, role)
    }
}

pub(crate) struct Erased<P, A> {
    pub(crate) auth: A,
    pub(crate) _p: std::marker::PhantomData<fn() -> P>,
}

impl<P: Identity, A: Authenticator<P>> ErasedAuth for Erased<P, A> {
    fn authenticate<'a>(
        &'a self,
        parts: &'a mut Parts,
    ) -> BoxFuture<'a, Result<Box<dyn IdentityObj>, AuthRejection>> {
        Box::pin(async move {
            let principal = self.auth.authenticate(parts).await?;
            parts.extensions.insert(principal.clone());
            Ok(Box::new(principal) as Box<dyn IdentityObj>)
        })
    }
}

/// The id of the authenticated principal, in request extensions for logs.
///
/// # Examples
///
/// ```
/// use portcullis::guard::PrincipalId;
///
/// // Middleware after the guard can read who it let in.
/// fn who(request: &http::Request<axum::body::Body>) -> Option<&str> {
///     request.extensions().get::<PrincipalId>().map(|p| p.0.as_str())
/// }
/// assert_eq!(who(&http::Request::new(axum::body::Body::empty())), None);
/// ```
#[derive(Debug, Clone)]
pub struct PrincipalId(pub String);

/// Per-route state the router attaches to each guarded handler.
pub(crate) struct RouteContext {
    pub(crate) route: String,
    pub(crate) guard: &'static Guard,
    pub(crate) throttle: OnceLock<RouteThrottle>,
    pub(crate) auth: OnceLock<Arc<dyn ErasedAuth>>,
}

/// A guard denial; `rule` is the guard's deciding requirement (`roles(..)` or `can(..)`).
fn deny(ctx: &RouteContext, who: &str, reason: &str, rule: &str) -> Response {
    tracing::warn!(target: "portcullis::authz", route = %ctx.route, handler = ctx.guard.handler,
        principal = who, reason, rule, "denied");
    if ctx.guard.conceal {
        Problem::not_found()
    } else {
        Problem::forbidden()
    }
    .into_response()
}

/// Whether the route's limit counts per user.
#[cfg(feature = "throttle")]
fn per_user(t: &RouteThrottle) -> bool {
    t.spec().per == crate::throttle::Per::User
}

#[cfg(not(feature = "throttle"))]
fn per_user(t: &RouteThrottle) -> bool {
    t.per_user()
}

/// Counts the request against the route's limit; `Err` is the 429 (or 503) response.
async fn throttle(
    t: &RouteThrottle,
    parts: &Parts,
    who: Option<&str>,
) -> Result<Decision, Response> {
    t.check(parts, who)
        .await
        .map_err(IntoResponse::into_response)
}

/// Runs the guard; on success returns the throttle decision whose headers go on the response.
///
/// The throttle runs before authentication, so a flood of bad credentials spends the budget
/// and is answered 429 without reaching the authenticator: `per ip` and `per route` limits
/// are counted first, always. A `per user` limit cannot know the user before authentication;
/// there, a request whose authentication fails is counted against its client IP (trusted
/// proxies honoured) under the same limit, and once that budget is spent it is answered 429
/// instead of 401, as are further failures.
pub(crate) async fn enforce(
    ctx: &RouteContext,
    parts: &mut Parts,
) -> Result<Option<Decision>, Response> {
    let guard = ctx.guard;
    let limit = ctx.throttle.get();
    let per_user = limit.is_some_and(per_user);
    let mut decision = None;
    if let Some(t) = limit
        && (guard.public || !per_user)
    {
        decision = Some(throttle(t, parts, None).await?);
    }
    if guard.public {
        return Ok(decision);
    }
    let Some(auth) = ctx.auth.get() else {
        // `Router::build` refuses auth routes without an authenticator; reaching this means
        // the handler was mounted some other way.
        tracing::error!(target: "portcullis::authz", route = %ctx.route, "auth route without an authenticator");
        return Err(Problem::internal().into_response());
    };
    let principal = match auth.authenticate(parts).await {
        Ok(p) => p,
        Err(rejection) => {
            if let Some(t) = limit
                && per_user
            {
                // Unauthenticated: counted by client IP, so guessing is bounded too.
                throttle(t, parts, None).await?;
            }
            tracing::warn!(target: "portcullis::authz", route = %ctx.route, handler = guard.handler,
                reason = if rejection.reason == crate::authn::strategy::FailureReason::Missing { "anonymous" } else { "unauthenticated" },
                "denied");
            return Err(Problem::from(rejection).into_response());
        }
    };
    let id = principal.id();
    if !guard.roles.is_empty() && !guard.roles.iter().any(|r| principal.has_role(r)) {
        return Err(deny(
            ctx,
            &id,
            "missing_role",
            &format!("roles({})", guard.roles.join(", ")),
        ));
    }
    if let Some(can) = &guard.can {
        match (can.check)(&parts.extensions) {
            Some(true) => {}
            Some(false) => {
                return Err(deny(
                    ctx,
                    &id,
                    "no_grant",
                    &format!("can({}, {})", can.action, can.entity),
                ));
            }
            None => {
                tracing::error!(target: "portcullis::authz", route = %ctx.route, entity = can.entity,
                    "the principal is not the subject type of the policy named in can(..)");
                return Err(Problem::internal().into_response());
            }
        }
    }
    tracing::debug!(target: "portcullis::authz", route = %ctx.route, handler = guard.handler, principal = %id, "granted");
    parts.extensions.insert(PrincipalId(id.clone()));
    if let Some(t) = limit
        && per_user
    {
        decision = Some(throttle(t, parts, Some(&id)).await?);
    }
    Ok(decision)
}

/// An axum handler: the guard, then the guarded handler.
pub(crate) struct GuardedHandler<H, M> {
    pub(crate) inner: H,
    pub(crate) ctx: Arc<RouteContext>,
    pub(crate) _m: std::marker::PhantomData<fn() -> M>,
}

impl<H: Clone, M> Clone for GuardedHandler<H, M> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            ctx: self.ctx.clone(),
            _m: std::marker::PhantomData,
        }
    }
}

impl<H, M, S> axum::handler::Handler<((),), S> for GuardedHandler<H, M>
where
    H: Guarded<S, M>,
    M: 'static,
    S: Clone + Send + Sync + 'static,
{
    type Future = BoxFuture<'static, Response>;

    fn call(self, req: http::Request<Body>, state: S) -> Self::Future {
        Box::pin(async move {
            let (mut parts, body) = req.into_parts();
            let decision = match enforce(&self.ctx, &mut parts).await {
                Ok(d) => d,
                Err(response) => return response,
            };
            if let Some(param) = self.ctx.guard.bind {
                parts.extensions.insert(BindParam(param));
            }
            // Every event inside the handler (scope denials, database errors) carries the route
            // and the principal through this span.
            let principal = parts.extensions.get::<PrincipalId>().map(|p| p.0.clone());
            let span = tracing::info_span!(target: "portcullis::authz", "guarded",
                route = %self.ctx.route, principal = principal.as_deref().unwrap_or("-"));
            let mut response =
                tracing::Instrument::instrument(self.inner.__call(parts, body, state), span).await;
            if let Some(d) = decision {
                d.apply_headers(response.headers_mut());
            }
            response
        })
    }
}

/// What `can(Action, Entity)` needs of `Entity`: a policy that mentions `Action`. One bound, so
/// an entity without a policy, or a policy without the action, is one error at `Entity`.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no policy with a rule for the action `{A}`",
    label = "`can(..)` needs a policy for this resource that mentions the action",
    note = "write a function with `#[portcullis::policy({Self}, subject = YourUser)]` (if `{Self}` has no policy yet) with a rule such as `allow!(<action> where ...)` for the action, or name an action the policy already mentions"
)]
pub trait CanTarget<A: crate::model::action::Action>:
    crate::policy::Policy + crate::model::action::Governs<A>
{
}

#[diagnostic::do_not_recommend]
impl<E, A> CanTarget<A> for E
where
    E: crate::policy::Policy + crate::model::action::Governs<A>,
    A: crate::model::action::Action,
{
}

/// `can(Action, Entity)`: whether the policy collected any allow for the action for `subject`.
#[doc(hidden)]
pub fn coarse_can<E, A>(extensions: &http::Extensions) -> Option<bool>
where
    E: CanTarget<A>,
    A: crate::model::action::Action,
    E::Subject: Clone,
{
    let subject = extensions.get::<E::Subject>()?;
    let ability = E::ability(subject);
    let mut pins = Vec::new();
    crate::policy::rules::RuleSet::pins(
        ability.rules(),
        <E as crate::model::action::Governs<A>>::BIT,
        &mut pins,
    );
    Some(!pins.is_empty())
}
