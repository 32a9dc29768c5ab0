//! # portcullis
//!
//! Declarative, compiler-checked access control for axum + diesel APIs. See the README for the
//! quick start and `DESIGN.md` for the model: resources are shaped by `#[derive(Resource)]`,
//! policies are stated with `#[policy]`, and routes are guarded with `#[guarded]`.

#![deny(unsafe_code)] // one audited exception: `db::sqlite_process_setup` (sqlite3_config)
#![warn(missing_docs)]

pub mod ability;
pub mod action;
pub mod authn;
pub mod bind;
pub mod cond;
pub mod db;
pub mod escape;
pub mod guard;
pub mod http;
pub mod ops;
pub mod page;
pub mod problem;
#[cfg(feature = "redis")]
pub mod redis_conn;
pub mod resource;
pub mod scope;
pub mod shaped;
pub mod sql;
pub mod testing;
pub mod throttle;
pub mod unscoped;
pub mod write;

pub use ability::{Ability, Explanation, Policy, Reason, RuleSet};
pub use action::{Action, Create as CreateAction, Delete, Governs, Manage, Read, Update};
pub use bind::Bind;
pub use guard::{App, Db, Principal, Router, Scoped};
pub use problem::{FieldError, Problem};
pub use resource::{Field, FieldSet, Resource};
pub use scope::{Query, Scope};
pub use shaped::{Page, Shaped};
pub use write::{Create, Patch};

/// `#[derive(Action)]`: a custom action for policies.
pub use portcullis_macros::Action;
/// `#[derive(Resource)]`: see [`resource::Resource`].
pub use portcullis_macros::Resource;
/// `#[guarded(auth | public, roles(..), can(Action, Entity), throttle = "..", conceal)]`: see
/// [`guard`].
pub use portcullis_macros::guarded;
/// `#[policy(Entity, subject = Subject)]`: see [`ability::Policy`].
pub use portcullis_macros::policy;

/// Guarded method routers: `get`, `post`, `put`, `patch`, `delete`.
pub mod routing {
    pub use crate::guard::routing::{MethodRouter, delete, get, patch, post, put};
}

/// Items the generated code reaches through absolute paths. Not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::ability::{Ability, Effect, Policy, Rule, RuleSite};
    pub use crate::action::{Action, Governs};
    pub use crate::cond::{Cond, LeafOp};
    pub use crate::guard::HasPrincipal;
    pub use crate::guard::{
        BindProbe, BindProbeNo, BindProbeYes, CanCheck, Guard, Guarded, GuardedSeal,
        PrincipalIsSubject, PrincipalProbe, PrincipalProbeNo, PrincipalProbeYes, coarse_can,
    };
    pub use crate::ops::{BackendOps, BoxFuture, QuerySpec};
    pub use crate::page::{CursorProbe, CursorSupported, CursorUnsupported, KeyOp};
    pub use crate::resource::{
        Captured, Col, Field, FieldAt, FieldSet, FieldType, ListFor, Resource,
        SerializeThroughShaped, SetField, ValueFor,
    };
    pub use crate::sql::{BoxedFilter, CountOf, SqlCond, leaf, literal, two_valued};
    pub use crate::{__if_postgres as if_postgres, __if_sqlite as if_sqlite};
    #[cfg(feature = "postgres")]
    pub use crate::{db::PgConnection, sql::Pg};
    #[cfg(feature = "sqlite")]
    pub use crate::{db::SqliteConnection, sql::Sqlite};
    pub use axum;
    pub use diesel;
    pub use diesel_async;
    pub use http;

    /// The future a guarded handler's body runs as.
    pub type GuardFuture = crate::guard::BoxFuture<'static, axum::response::Response>;
    pub use serde;
    pub use serde_json;

    /// Runs a rule's condition in the Rust predicate: `Some(a) == Some(b)`; NULL never matches
    /// (nor NaN: `Col::of` and `Col::captured` give `None` for it).
    #[inline(always)]
    pub fn cmp<T: PartialOrd>(field: Option<&T>, value: Option<&T>, op: CmpOp) -> bool {
        match (field, value) {
            (Some(a), Some(b)) => match op {
                CmpOp::Eq => a == b,
                CmpOp::Ne => a != b,
                CmpOp::Lt => a < b,
                CmpOp::Le => a <= b,
                CmpOp::Gt => a > b,
                CmpOp::Ge => a >= b,
            },
            _ => false,
        }
    }

    /// `field in list` in the Rust predicate.
    #[inline(always)]
    pub fn in_list<T: PartialEq>(field: Option<&T>, list: &[T]) -> bool {
        match field {
            Some(a) => list.iter().any(|b| a == b),
            None => false,
        }
    }

    /// A comparison operator.
    #[derive(Clone, Copy)]
    pub enum CmpOp {
        /// `==`
        Eq,
        /// `!=`
        Ne,
        /// `<`
        Lt,
        /// `<=`
        Le,
        /// `>`
        Gt,
        /// `>=`
        Ge,
    }
}

// The README's examples are compiled as doctests, so the quick start cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
