//! The one door: every path the generated code names goes through here
//! (`::portcullis::__private::…`). Not part of the public API.

pub use crate::backend::ops::{BackendOps, QuerySpec};
pub use crate::backend::page::{CursorProbe, CursorSupported, CursorUnsupported, KeyOp};
pub use crate::backend::sql::{BoxedFilter, CountOf, SqlCond, leaf, literal, two_valued};
pub use crate::guard::HasPrincipal;
pub use crate::guard::{
    BindProbe, BindProbeNo, BindProbeYes, CanCheck, CanTarget, Guard, Guarded, GuardedSeal,
    PrincipalIsSubject, PrincipalProbe, PrincipalProbeNo, PrincipalProbeYes, coarse_can,
};
pub use crate::model::BoxFuture;
pub use crate::model::action::{Action, Governs};
pub use crate::model::cond::{Cond, LeafOp};
pub use crate::model::resource::{
    Captured, Col, Field, FieldAt, FieldSet, FieldType, ListFor, Resource, SerializeThroughShaped,
    SetField, ValueFor, cond_field,
};
pub use crate::policy::Policy;
pub use crate::policy::ability::Ability;
pub use crate::policy::rules::{Effect, Rule, RuleSite};
pub use crate::{__if_postgres as if_postgres, __if_sqlite as if_sqlite};
// The one backend `cfg` outside `backend/`: these names exist only in a build with the backend,
// and this door must name them for generated code (which is itself feature-independent and
// reaches them only through `if_sqlite!`/`if_postgres!`).
#[cfg(feature = "postgres")]
pub use crate::backend::{db::PgConnection, sql::Pg};
#[cfg(feature = "sqlite")]
pub use crate::backend::{db::SqliteConnection, sql::Sqlite};
pub use axum;
pub use diesel;
pub use diesel_async;
pub use http;

/// The future a guarded handler's body runs as.
pub type GuardFuture = crate::model::BoxFuture<'static, axum::response::Response>;
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

// The public items generated code names, reached through this door like everything else.
pub use crate::model::action::{Create as CreateAction, Delete, Read, Update};
pub use crate::policy::rules::RuleSet;

/// The version marker: every expansion of `portcullis-macros` 0.1 names it, so pairing those
/// macros with a runtime of another version fails with an error that names the mismatch
/// ("cannot find value `VERSION_0_1` in module `__private`") beside whatever else of the
/// generated code no longer fits. A runtime that changes what the macros generate renames it.
pub const VERSION_0_1: () = ();
