//! The policy layer: what a subject may do. [`ability`] holds the rules a `#[policy]`
//! collected for one subject and the decisions and field sets they give, [`rules`] the rule
//! machinery under it (rule sets, the SQL accumulated over them), [`scope`] the SQL-backed,
//! narrow-only [`scope::Scope`] and [`scope::Query`] built from an ability, and
//! this module the [`Policy`] trait that ties a resource to its rules. The rule for what
//! belongs here: code that turns a subject and a resource into a decision or a filter. It may
//! import the model and the backend layers, never `http`, `authn`, `throttle` or `guard`;
//! inside it, `rules` is below `ability`, which is below `scope`.

pub mod ability;
pub mod rules;
pub mod scope;

use crate::model::action::{Action, Governs};
use crate::model::resource::Resource;
use crate::policy::ability::Ability;
use crate::policy::scope::Scope;

/// The policy of a resource: implemented by `#[policy(Entity, subject = Subject)]`.
///
/// # Examples
///
/// ```
/// use portcullis::{Policy, Read, Resource, policy};
///
/// diesel::table! {
///     notes (id) {
///         id -> BigInt,
///         owner_id -> BigInt,
///     }
/// }
///
/// #[derive(Resource, diesel::Queryable, diesel::Selectable)]
/// #[diesel(table_name = notes)]
/// pub struct Note {
///     #[expose]
///     pub id: i64,
///     pub owner_id: i64,
/// }
///
/// pub struct User {
///     pub id: i64,
/// }
///
/// #[policy(Note, subject = User)]
/// fn notes(user: &User) {
///     allow!(read where owner_id == user.id);
/// }
///
/// let ability = Note::ability(&User { id: 7 });
/// assert!(ability.can::<Read>(&Note { id: 1, owner_id: 7 }));
/// assert!(!ability.can::<Read>(&Note { id: 2, owner_id: 8 }));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no policy",
    label = "no `#[policy({Self}, subject = ..)]` for this resource",
    note = "write a function with `#[portcullis::policy({Self}, subject = YourUser)]` that states its rules with `allow!`/`deny!`"
)]
pub trait Policy: Resource {
    /// The subject the rules are written for (the principal type).
    type Subject: Send + Sync + 'static;

    /// Collects the rules for `subject`: the `#[policy]` function's ability, erased.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::{Policy, Read};
    ///
    /// let ability = Document::ability(&alice());
    /// assert!(ability.can::<Read>(&doc(1, 1, 1, "Plan")));
    /// ```
    fn ability(subject: &Self::Subject) -> Ability<Self>;

    /// The scope of `A` for `subject`, for code outside a request (background jobs): the same
    /// filter a handler's `Scoped<E, A>` gets, never an unfiltered query.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::{Policy, Read};
    ///
    /// # block_on(async {
    /// let pool = pool().await;
    /// // A nightly job on behalf of a user of tenant 2.
    /// let other = User { id: 3, tenant_id: 2, admin: false };
    /// let count = Document::scope_for::<Read>(&other).query().count(&pool).await?;
    /// assert_eq!(count, 1);
    /// # Ok::<(), portcullis::db::DbError>(()) }).unwrap();
    /// ```
    fn scope_for<A: Action>(subject: &Self::Subject) -> Scope<Self, A>
    where
        Self: Governs<A>,
    {
        Self::ability(subject).scope::<A>()
    }
}
