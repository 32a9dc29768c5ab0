//! # portcullis
//!
//! Declarative, compiler-checked access control for axum + diesel APIs. You annotate entities
//! and handlers; the macros generate typed query scopes, field shapers and guard wiring, and
//! the compiler holds you to three promises:
//!
//! 1. **A route without a guard does not compile.** Every handler in a [`Router`] carries
//!    `#[guarded(..)]` (authentication, roles, a `can(Action, Entity)` check, a throttle), and
//!    [`Router::build`](guard::Router::build) refuses a guard whose parameters do not match
//!    its route. [`App::posture`](guard::App::posture) prints what each route requires.
//! 2. **A query can only see what the policy allows.** A `#[policy]` states `allow!`/`deny!`
//!    rules once; they compile both to a SQL filter and to an in-memory predicate that agree.
//!    Handlers get a [`Scoped`] query that can be narrowed, never widened, or a [`Bind`] row
//!    loaded and checked in one query.
//! 3. **A response can only contain what was exposed.** Entities have no `Serialize`; they
//!    leave through [`Shaped`]: the `#[expose]` fields intersected with the fields the policy
//!    permits for that row.
//!
//! Every escape hatch is named, takes a reason, is logged and is counted in the posture
//! ([`model::escape`]): raw database access ([`backend::db::Pool::unscoped`]) and an unguarded
//! router.
//!
//! ## Quick start
//!
//! One entity, one policy, two guarded routes (the README's "Use it in your own crate" has the
//! `Cargo.toml` lines and a `main` that serves this):
//!
//! ```
//! use axum::extract::FromRef;
//! use portcullis::authn::jwt::{Claims, JwtService};
//! use portcullis::authn::strategy::{Bearer, FailureReason};
//! use portcullis::db::Pool;
//! use portcullis::guard::{BuildError, HasPrincipal, Identity};
//! use portcullis::routing::get;
//! use portcullis::{App, Bind, Db, Problem, Read, Resource, Router, Scoped, Shaped, guarded, policy};
//! use std::sync::Arc;
//!
//! diesel::table! {
//!     notes (id) {
//!         id -> BigInt,
//!         owner_id -> BigInt,
//!         title -> Text,
//!     }
//! }
//!
//! /// A row of `notes`. Only `#[expose]` fields can reach a response.
//! #[derive(Resource, diesel::Queryable, diesel::Selectable)]
//! #[diesel(table_name = notes)]
//! pub struct Note {
//!     #[expose]
//!     pub id: i64,
//!     pub owner_id: i64,
//!     #[expose]
//!     pub title: String,
//! }
//!
//! #[derive(Clone)]
//! pub struct User {
//!     pub id: i64,
//! }
//!
//! impl Identity for User {
//!     fn id(&self) -> String {
//!         self.id.to_string()
//!     }
//! }
//!
//! // Everyone reads their own notes, nobody else's.
//! #[policy(Note, subject = User)]
//! fn notes(user: &User) {
//!     allow!(read where owner_id == user.id);
//! }
//!
//! #[guarded(auth)]
//! async fn list(notes: Scoped<Note, Read>, db: Db) -> Result<Shaped<Vec<Note>>, Problem> {
//!     let rows = notes.query().order_by(|f| f.id.asc()).load(&db).await?;
//!     Ok(notes.shape(rows))
//! }
//!
//! #[guarded(auth)]
//! async fn show(note: Bind<Note, Read>) -> Shaped<Note> {
//!     note.shape()
//! }
//!
//! #[derive(Clone)]
//! struct AppState {
//!     pool: Pool,
//! }
//!
//! impl FromRef<AppState> for Pool {
//!     fn from_ref(state: &AppState) -> Self {
//!         state.pool.clone()
//!     }
//! }
//!
//! impl HasPrincipal for AppState {
//!     type Principal = User;
//! }
//!
//! fn app(pool: Pool, jwt: Arc<JwtService>) -> Result<App, BuildError> {
//!     let bearer = Bearer::new(jwt, |claims: Claims<()>| {
//!         let id = claims.sub.parse().map_err(|_| FailureReason::Malformed)?;
//!         Ok(User { id })
//!     });
//!     Router::new()
//!         .route("/notes", get(list))
//!         .route("/notes/{id}", get(show))
//!         .authenticator(bearer)
//!         .with_state(AppState { pool })
//!         .build()
//! }
//! # fn main() {}
//! ```
//!
//! ## Modules
//!
//! The runtime is in layers, lowest first; each imports only the ones below it (ARCHITECTURE.md
//! in the repository has the rules and a request's path through them):
//!
//! - [`model`]: entities and what leaves them — [`model::resource`] (`#[derive(Resource)]`,
//!   `#[expose]`), [`model::action`] (read, create, update, delete and your own),
//!   [`model::cond`] (conditions), [`model::shaped`] (responses), [`model::escape`] (the
//!   hatches in the posture).
//! - [`backend`]: the database — [`backend::db`] (the pool and its settings, and
//!   [`backend::db::unscoped`], the raw escape hatch), [`backend::sql`] (how rules become SQL),
//!   [`backend::ops`], [`backend::page`] (cursor pages), and `backend::redis_conn` (feature
//!   `redis`: the reconnecting Redis connection the Redis stores and limiter share).
//! - [`policy`](mod@policy): [`Policy`] (`#[policy]`), [`policy::ability`] ([`Ability`], `explain`),
//!   [`policy::rules`], [`policy::scope`] ([`Scope`], [`Query`]).
//! - [`http`]: [`http::problem`] (RFC 9457 errors), the hardening layer, origin checks.
//! - [`authn`] (JWT, passwords, refresh tokens, revocation, sessions, strategies, OAuth2;
//!   feature `authn`) and `throttle` (rate limits, the login guard, client IPs; feature
//!   `throttle`).
//! - [`guard`]: `#[guarded]`, [`Router`], [`App`], extractors ([`Scoped`], [`Principal`]),
//!   [`guard::bind`] ([`Bind`]: one row by id), [`guard::write`] ([`Patch`], [`Insert`]);
//!   [`routing`] (the guarded `get`, `post`, ..).
//! - [`testing`]: index checks on your scoped queries, for your own tests.
//!
//! ## Features
//!
//! | feature | default | what it adds | optional dependencies |
//! |---|---|---|---|
//! | `sqlite` | yes | [`db::Pool`] on SQLite (bundled) | `libsqlite3-sys` |
//! | `postgres` | no | [`db::Pool`] on PostgreSQL | `tokio-postgres` |
//! | `authn` | yes | `authn::jwt`, `authn::password`, `authn::refresh`, `authn::revocation`, the `Bearer` and `Basic` strategies, `authn::StoreError`, `authn::migrate` | `jsonwebtoken`, `argon2`, `sha2`, `subtle`, `hex`, `getrandom`, `unicode-normalization` |
//! | `throttle` | yes | `throttle`, `#[guarded(throttle = "..")]`, `Router::throttle_backend`, `Router::trusted_proxies` | `governor`, `ipnet`, `portcullis-throttle-spec` |
//! | `redis` | no | `backend::redis_conn`; the Redis limiter (with `throttle`) and stores (with `authn`, `session`) | `redis` |
//! | `session` | no | `authn::session` (turns on `authn`) | — |
//! | `oauth2` | no | `authn::oauth2` (turns on `authn`) | `oauth2`, `reqwest`, `hmac` |
//!
//! Without `authn`, [`authn::strategy`] keeps the [`Authenticator`](authn::strategy::Authenticator)
//! trait, `Chain` and the rejection types, for an authenticator of your own. Without
//! `throttle`, `#[guarded(throttle = "..")]` does not compile: the error names
//! [`guard::ThrottleSpecText`] at the spec.
//!
//! The 0.1 module paths (`portcullis::db`, `portcullis::scope`, `portcullis::problem`, ..) are
//! kept as re-exports of the same modules.

#![deny(unsafe_code)] // one audited exception: `backend::db::sqlite_process_setup` (sqlite3_config)
#![deny(missing_docs)]

// The layers (ARCHITECTURE.md), lowest first: model, backend, policy, http, then the features
// authn and throttle, then guard and testing; each imports only the ones below it
// (tests/layers.rs holds it).
pub mod authn;
pub mod backend;
pub mod guard;
pub mod http;
pub mod model;
pub mod policy;
pub mod testing;
#[cfg(feature = "throttle")]
pub mod throttle;

// Module paths from before the layers (0.1): the same modules, now defined in a layer.
pub use backend::db::unscoped;
#[cfg(feature = "redis")]
pub use backend::redis_conn;
pub use backend::{db, ops, page, sql};
pub use guard::{bind, write};
pub use http::problem;
pub use model::{action, cond, escape, resource, shaped};
pub use policy::{ability, scope};

pub use guard::bind::Bind;
pub use guard::write::{Insert, Patch};
pub use guard::{App, Db, Principal, Router, Scoped};
pub use http::problem::{FieldError, Problem};
pub use model::action::{Action, Create, Delete, Governs, Manage, Read, Update};
pub use model::resource::{Field, FieldSet, Resource};
pub use model::shaped::{Page, Shaped};
pub use policy::Policy;
pub use policy::ability::{Ability, Explanation, Reason};
pub use policy::rules::RuleSet;
pub use policy::scope::{Query, Scope};

/// `#[derive(Action)]`: a custom action for policies, named in rules by its type
/// (`allow!(Publish where ..)`) and in logs by its snake-case name.
///
/// # Examples
///
/// ```
/// use portcullis::Action;
///
/// #[derive(Action)]
/// pub struct PublishDraft;
///
/// assert_eq!(PublishDraft::NAME, "publish_draft");
/// ```
pub use portcullis_macros::Action;
/// `#[derive(Resource)]`: see [`resource::Resource`].
///
/// # Examples
///
/// ```
/// use portcullis::Resource;
///
/// diesel::table! {
///     notes (id) {
///         id -> BigInt,
///         owner_id -> BigInt,
///         body -> Text,
///     }
/// }
///
/// #[derive(Resource, diesel::Queryable, diesel::Selectable)]
/// #[diesel(table_name = notes)]
/// pub struct Note {
///     #[expose]
///     pub id: i64,
///     pub owner_id: i64, // usable in policies, never serialized
///     #[expose]
///     pub body: String,
/// }
///
/// assert_eq!(Note::EXPOSED, Note::FIELDS.id | Note::FIELDS.body);
/// ```
pub use portcullis_macros::Resource;
/// `#[guarded(auth | public, roles(..), can(Action, Entity), throttle = "..", conceal)]`: see
/// [`guard`].
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// use portcullis::{Bind, Problem, Read, Shaped, guarded};
///
/// #[guarded(auth, can(Read, Document))]
/// async fn show(doc: Bind<Document, Read>) -> Shaped<Document> {
///     doc.shape()
/// }
///
/// #[guarded(public, throttle = "60/min per ip")]
/// async fn health() -> Result<&'static str, Problem> {
///     Ok("ok")
/// }
/// ```
pub use portcullis_macros::guarded;
/// `#[policy(Entity, subject = Subject)]`: see [`Policy`]. The function returns the
/// subject's [`Ability`]; the macro also implements [`Policy`] for the entity.
///
/// # Examples
///
/// ```
/// use portcullis::{Read, Resource, Update, policy};
///
/// diesel::table! {
///     notes (id) {
///         id -> BigInt,
///         owner_id -> BigInt,
///         body -> Text,
///         locked -> Bool,
///     }
/// }
///
/// #[derive(Resource, diesel::Queryable, diesel::Selectable)]
/// #[diesel(table_name = notes)]
/// pub struct Note {
///     #[expose]
///     pub id: i64,
///     pub owner_id: i64,
///     #[expose]
///     pub body: String,
///     pub locked: bool,
/// }
///
/// pub struct User {
///     pub id: i64,
/// }
///
/// #[policy(Note, subject = User)]
/// fn notes(user: &User) {
///     allow!(read, update(body) where owner_id == user.id);
///     deny!(update where locked);
/// }
///
/// let note = Note { id: 1, owner_id: 7, body: "hi".into(), locked: true };
/// let ability = notes(&User { id: 7 });
/// assert!(ability.can::<Read>(&note) && !ability.can::<Update>(&note));
/// ```
pub use portcullis_macros::policy;

/// Guarded method routers: `get`, `post`, `put`, `patch`, `delete`.
pub mod routing {
    pub use crate::guard::routing::{MethodRouter, delete, get, patch, post, put};
}

/// Items the generated code reaches through absolute paths. Not part of the public API.
#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

// The README's examples are compiled as doctests, so the quick start cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
