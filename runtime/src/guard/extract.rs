//! Extractors for guarded handlers: the principal, a scope for it, a bound row, write bodies,
//! and the database. Rejections are problem+json.
//!
//! ```
//! # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
//! use portcullis::{Bind, Db, Principal, Problem, Read, Scoped, Shaped, Update, Patch, guarded};
//!
//! #[guarded(auth)]
//! async fn whoami(Principal(user): Principal<User>) -> String {
//!     user.id.to_string()
//! }
//!
//! #[guarded(auth)]
//! async fn list(docs: Scoped<Document, Read>, db: Db) -> Result<Shaped<Vec<Document>>, Problem> {
//!     Ok(docs.shape(docs.query().load(&db).await?))
//! }
//!
//! #[guarded(auth)]
//! async fn rename(doc: Bind<Document, Update>, db: Db, patch: Patch<Document>) -> Result<Shaped<Document>, Problem> {
//!     Ok(doc.update(patch, &db).await?.shape())
//! }
//! ```

use crate::backend::db::Pool;
use crate::backend::ops::Stored;
use crate::guard::bind::Bind;
use crate::guard::write::{Insert, Patch};
use crate::http::problem::Problem;
use crate::model::action::{Action, Governs};
use crate::model::resource::Resource;
use crate::policy::Policy;
use crate::policy::ability::Ability;
use crate::policy::scope::Scope;
use axum::extract::{FromRef, FromRequest, FromRequestParts, RawPathParams, Request};
use http::request::Parts;

/// The authenticated principal of an `auth` route.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
/// # block_on(async {
/// use portcullis::{Principal, guarded};
/// use portcullis::routing::get;
///
/// #[guarded(auth)]
/// async fn whoami(Principal(user): Principal<User>) -> String {
///     format!("user {}", user.id)
/// }
///
/// let app = portcullis::Router::new()
///     .route("/me", get(whoami))
///     .authenticator(UserHeader)
///     .with_state(AppState { pool: pool().await })
///     .build()?;
/// assert_eq!(call(&app, "/me", Some("1")).await, (200, "user 1".to_owned()));
/// assert_eq!(call(&app, "/me", None).await.0, 401);
/// # Ok::<(), Box<dyn std::error::Error>>(()) }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct Principal<U>(pub U);

fn no_principal(type_name: &str) -> Problem {
    // Guarded `auth` routes always insert the principal before extractors run; its absence
    // means a public route or a principal type other than the authenticator's.
    tracing::error!(target: "portcullis::authz", wanted = type_name,
        "no principal of this type on the request: is the route #[guarded(auth)] and the authenticator's principal this type?");
    Problem::unauthorized()
}

impl<U, S> FromRequestParts<S> for Principal<U>
where
    U: Clone + Send + Sync + 'static,
    S: Send + Sync + super::HasPrincipal<Principal = U>,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        parts
            .extensions
            .get::<U>()
            .cloned()
            .map(Principal)
            .ok_or_else(|| no_principal(std::any::type_name::<U>()))
    }
}

/// The scope of `A` on `E` for the request's principal (the policy's subject).
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;
/// # block_on(async {
/// // `router` serves `GET /docs` with
/// // `async fn list(docs: Scoped<Document, Read>, db: Db) -> Result<Shaped<Vec<Document>>, Problem>`.
/// let app = router(pool().await).build()?;
/// let (status, body) = call(&app, "/docs", Some("1")).await;
/// assert_eq!(status, 200);
/// assert_eq!(body, r#"[{"id":1,"owner_id":1,"title":"Plan"},{"id":2,"owner_id":2,"title":"Budget"}]"#);
/// # Ok::<(), Box<dyn std::error::Error>>(()) }).unwrap();
/// ```
pub struct Scoped<E: Governs<A>, A: Action>(pub Scope<E, A>);

impl<E: Governs<A>, A: Action> std::fmt::Debug for Scoped<E, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<E: Governs<A>, A: Action> std::ops::Deref for Scoped<E, A> {
    type Target = Scope<E, A>;
    fn deref(&self) -> &Scope<E, A> {
        &self.0
    }
}

impl<E, A, S> FromRequestParts<S> for Scoped<E, A>
where
    E: Policy + Governs<A>,
    A: Action,
    S: Send + Sync + super::HasPrincipal<Principal = E::Subject>,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        let subject = parts
            .extensions
            .get::<E::Subject>()
            .ok_or_else(|| no_principal(std::any::type_name::<E::Subject>()))?;
        Ok(Scoped(E::scope_for::<A>(subject)))
    }
}

/// The application's database pool, taken from state (`Pool: FromRef<State>`). Scoped APIs
/// take it as `&db`; using the pool outside a scope is `db.unscoped("why")`, explicit and logged.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// use portcullis::{Db, Problem, guarded};
///
/// #[guarded(auth)]
/// async fn titles(db: Db) -> Result<String, Problem> {
///     let count = documents(&alice()).scope::<portcullis::Read>().query().count(&db).await?;
///     Ok(count.to_string())
/// }
/// ```
#[derive(Clone, Debug)]
pub struct Db(Pool);

impl Db {
    /// Raw database access for work no policy covers: see [`Pool::unscoped`]. Logged on
    /// `portcullis::scope` with the reason (and, from a guarded handler, its route and
    /// principal) and counted in the posture table.
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::{Db, Problem, guarded};
    ///
    /// #[guarded(public)]
    /// async fn vacuum(db: Db) -> Result<(), Problem> {
    ///     db.unscoped("nightly VACUUM").batch_execute("VACUUM").await?;
    ///     Ok(())
    /// }
    /// ```
    pub fn unscoped(&self, reason: &'static str) -> crate::backend::db::unscoped::Unscoped<'_> {
        self.0.unscoped(reason)
    }

    /// The pool, for functions that take one: it offers scoped operations and the same
    /// named escape, nothing more.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::{Db, Problem, Read, guarded};
    /// use portcullis::db::Pool;
    ///
    /// async fn count_for(user: &User, pool: &Pool) -> Result<i64, Problem> {
    ///     Ok(documents(user).scope::<Read>().query().count(pool).await?)
    /// }
    ///
    /// #[guarded(auth)]
    /// async fn count(portcullis::Principal(user): portcullis::Principal<User>, db: Db) -> Result<String, Problem> {
    ///     Ok(count_for(&user, db.pool()).await?.to_string())
    /// }
    /// ```
    pub fn pool(&self) -> &Pool {
        &self.0
    }
}

impl crate::backend::db::Database for Db {
    fn __pool(&self) -> &Pool {
        &self.0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Db
where
    Pool: FromRef<S>,
{
    type Rejection = Problem;

    async fn from_request_parts(_: &mut Parts, state: &S) -> Result<Self, Problem> {
        Ok(Db(Pool::from_ref(state)))
    }
}

/// `Bind<E, A>` as an extractor: the row named by the route's path parameter (the one named by
/// `#[guarded(bind = "..")]`, else the only one), loaded in one query with the scope of `A` for
/// the request's principal.
impl<E, A, S> FromRequestParts<S> for Bind<E, A>
where
    E: Policy + Governs<A> + Stored,
    A: Action,
    S: Send + Sync + super::HasPrincipal<Principal = E::Subject>,
    Pool: FromRef<S>,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| {
                Problem::bad_request().with_detail("The resource id is missing from the path.")
            })?;
        // By name with `#[guarded(bind = "..")]`, else the route's only parameter; a route
        // with several and no name is refused when the router is built.
        let id = match parts.extensions.get::<super::BindParam>() {
            Some(super::BindParam(wanted)) => params
                .iter()
                .find(|(name, _)| name == wanted)
                .map(|(_, value)| value.to_owned()),
            None => {
                let mut it = params.iter();
                match (it.next(), it.next()) {
                    (Some((_, value)), None) => Some(value.to_owned()),
                    (None, _) => None,
                    (Some(_), Some(_)) => {
                        tracing::error!(target: "portcullis::authz", entity = E::NAME,
                            "Bind on a route with several path parameters and no `bind = \"..\"`");
                        return Err(Problem::internal());
                    }
                }
            }
        };
        let Some(id) = id else {
            return Err(
                Problem::bad_request().with_detail("The resource id is missing from the path.")
            );
        };
        let subject = parts
            .extensions
            .get::<E::Subject>()
            .ok_or_else(|| no_principal(std::any::type_name::<E::Subject>()))?;
        let ability: Ability<E> = E::ability(subject);
        Bind::load_str(&ability, &Pool::from_ref(state), &id).await
    }
}

/// A request body that declares itself JSON (`Content-Type: application/json` or
/// `application/*+json`); anything else is a 415 problem, a body over the limit
/// (`axum::extract::DefaultBodyLimit`, 2 MiB by default) a 413 problem. Use it instead of `Bytes` or
/// `String` for JSON endpoints: a cross-site `<form enctype="text/plain">` can send a body
/// that parses as JSON, but not with a JSON content type, which browsers only send with CORS.
///
/// `JsonBody<MAX>` also caps the body at `MAX` bytes (413 beyond it, refused before it is read
/// when `Content-Length` says so, cut off while reading otherwise). Credential endpoints want a
/// small cap: their handlers hold the body while they wait for the password-hashing bound, so
/// without it a flood of 2 MiB logins holds 2 MiB each.
///
/// ```
/// use portcullis::guard::JsonBody;
/// use portcullis::{Problem, guarded};
///
/// #[guarded(public)]
/// async fn login(JsonBody(body): JsonBody<{ 8 * 1024 }>) -> Result<String, Problem> {
///     Ok(format!("{} bytes", body.len()))
/// }
/// ```
///
/// ```
/// use portcullis::guard::JsonBody;
/// use portcullis::{Problem, guarded};
///
/// #[guarded(public)]
/// async fn echo(JsonBody(body): JsonBody) -> Result<String, Problem> {
///     let value: serde_json::Value = serde_json::from_slice(&body)
///         .map_err(|_| Problem::bad_request().with_detail("The body is not valid JSON."))?;
///     Ok(value.to_string())
/// }
/// ```
#[derive(Debug, Clone)]
pub struct JsonBody<const MAX: usize = NO_EXTRA_CAP>(pub bytes::Bytes);

/// The `MAX` of a plain [`JsonBody`]: no cap beyond `axum::extract::DefaultBodyLimit`.
///
/// # Examples
///
/// ```
/// use portcullis::guard::{JsonBody, NO_EXTRA_CAP};
///
/// fn same(_: JsonBody) -> JsonBody<NO_EXTRA_CAP> {
///     JsonBody(bytes::Bytes::new())
/// }
/// assert_eq!(NO_EXTRA_CAP, usize::MAX);
/// ```
pub const NO_EXTRA_CAP: usize = usize::MAX;

impl<S: Send + Sync, const MAX: usize> FromRequest<S> for JsonBody<MAX> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        if MAX == NO_EXTRA_CAP {
            return json_body(req, state).await.map(JsonBody);
        }
        let declared = req
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > MAX as u64) {
            return Err(too_large());
        }
        // `Limited` fails the read past MAX; axum reports that as 413 like its own limit.
        let req = req.map(|b| axum::body::Body::new(http_body_util::Limited::new(b, MAX)));
        json_body(req, state).await.map(JsonBody)
    }
}

fn too_large() -> Problem {
    Problem::new(http::StatusCode::PAYLOAD_TOO_LARGE).with_detail("The request body is too large.")
}

async fn json_body<S: Send + Sync>(req: Request, state: &S) -> Result<bytes::Bytes, Problem> {
    let is_json = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| {
            let m = m.trim().to_ascii_lowercase();
            m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
        })
        .unwrap_or(false);
    if !is_json {
        return Err(Problem::new(http::StatusCode::UNSUPPORTED_MEDIA_TYPE)
            .with_detail("The request body must be JSON (Content-Type: application/json)."));
    }
    bytes::Bytes::from_request(req, state).await.map_err(|e| {
        if e.status() == http::StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            tracing::debug!(target: "portcullis::http", error = %e, "request body unreadable");
            Problem::bad_request().with_detail("The request body could not be read.")
        }
    })
}

impl<E: Resource, S: Send + Sync> FromRequest<S> for Patch<E> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        Patch::from_json(&json_body(req, state).await?)
    }
}

impl<E: Resource, S: Send + Sync> FromRequest<S> for Insert<E> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        Insert::from_json(&json_body(req, state).await?)
    }
}
