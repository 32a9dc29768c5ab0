//! Actions a policy grants: the built-in `read create update delete` (and `manage`, which means
//! all of them) plus custom ones declared with `#[derive(Action)]`.

use crate::model::resource::Resource;

/// An action a policy can allow or deny. Built-ins are [`Read`], [`Create`], [`Update`],
/// [`Delete`] and [`Manage`]; custom ones come from `#[derive(Action)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a portcullis action",
    label = "not an action",
    note = "use `read`, `create`, `update`, `delete`, `manage`, or a unit struct with `#[derive(portcullis::Action)]`"
)]
pub trait Action: Send + Sync + 'static {
    /// The action's name in logs and explanations (`read`, `publish`, …).
    const NAME: &'static str;
}

/// Implemented by `#[policy]` for every action its rules mention: `E: Governs<A>` is what lets
/// `Scope<E, A>`, `Bind<E, A>` and `ability.can::<A>(..)` compile.
#[diagnostic::on_unimplemented(
    message = "the policy for `{Self}` has no rule for the action `{A}`",
    label = "no `allow!` for this action in the policy of `{Self}`",
    note = "add a rule such as `allow!(<action> where ...)` to the `#[policy({Self}, subject = ..)]` function (write that function if `{Self}` has no policy yet), or use an action it already mentions"
)]
pub trait Governs<A: Action>: Resource {
    /// The action's bit in this policy's action masks.
    const BIT: u32;
}

macro_rules! builtin_actions {
    ($($(#[$doc:meta])* $name:ident = $text:literal;)+) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
        pub struct $name;
        impl Action for $name {
            const NAME: &'static str = $text;
        }
    )+};
}

builtin_actions! {
    /// Read rows (scopes, `Bind`, shaping).
    Read = "read";
    /// Create rows (`Create<E>`).
    Create = "create";
    /// Update rows (`Patch<E>`, `bind.update(..)`).
    Update = "update";
    /// Delete rows (`bind.delete(..)`).
    Delete = "delete";
    /// Every action; in rules only (`allow!(manage where ..)`).
    Manage = "manage";
}
