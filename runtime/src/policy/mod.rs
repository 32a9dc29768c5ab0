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
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no policy",
    label = "no `#[policy({Self}, subject = ..)]` for this resource",
    note = "write a function with `#[portcullis::policy({Self}, subject = YourUser)]` that states its rules with `allow!`/`deny!`"
)]
pub trait Policy: Resource {
    /// The subject the rules are written for (the principal type).
    type Subject: Send + Sync + 'static;

    /// Collects the rules for `subject`.
    fn ability(subject: &Self::Subject) -> Ability<Self>;

    /// The scope of `A` for `subject`, for code outside a request (background jobs): the same
    /// filter a handler's `Scoped<E, A>` gets, never an unfiltered query.
    fn scope_for<A: Action>(subject: &Self::Subject) -> Scope<Self, A>
    where
        Self: Governs<A>,
    {
        Self::ability(subject).scope::<A>()
    }
}
