//! Actions a policy grants: the built-in `read create update delete` (and `manage`, which means
//! all of them) plus custom ones declared with `#[derive(Action)]`.

use crate::model::resource::Resource;

/// An action a policy can allow or deny. Built-ins are [`Read`], [`Create`], [`Update`],
/// [`Delete`] and [`Manage`]; custom ones come from `#[derive(Action)]`.
///
/// # Examples
///
/// ```
/// use portcullis::{Action, Read};
///
/// #[derive(Action)]
/// struct Publish;
///
/// assert_eq!(Publish::NAME, "publish");
/// assert_eq!(Read::NAME, "read");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a portcullis action",
    label = "not an action",
    note = "use `read`, `create`, `update`, `delete`, `manage`, or a unit struct with `#[derive(portcullis::Action)]`"
)]
pub trait Action: Send + Sync + 'static {
    /// The action's name in logs and explanations (`read`, `publish`, …).
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::{Action, Create};
    ///
    /// assert_eq!(Create::NAME, "create");
    /// ```
    const NAME: &'static str;
}

/// Implemented by `#[policy]` for every action its rules mention: `E: Governs<A>` is what lets
/// `Scope<E, A>`, `Bind<E, A>` and `ability.can::<A>(..)` compile.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// use portcullis::{Governs, Read};
///
/// // The fixture's policy mentions `read` and the custom `Archive`:
/// fn governed<A: portcullis::Action>() -> u32 where Document: Governs<A> {
///     <Document as Governs<A>>::BIT
/// }
/// assert_ne!(governed::<Read>(), governed::<Archive>());
/// assert!(documents(&alice()).can::<Archive>(&doc(1, 1, 1, "Plan")));
/// ```
#[diagnostic::on_unimplemented(
    message = "the policy for `{Self}` has no rule for the action `{A}`",
    label = "no `allow!` for this action in the policy of `{Self}`",
    note = "add a rule such as `allow!(<action> where ...)` to the `#[policy({Self}, subject = ..)]` function (write that function if `{Self}` has no policy yet), or use an action it already mentions"
)]
pub trait Governs<A: Action>: Resource {
    /// The action's bit in this policy's action masks: 0 to 3 for `read`, `create`,
    /// `update`, `delete`, then the custom actions in the order the policy names them.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::{Governs, Read, Update};
    ///
    /// assert_eq!(<Document as Governs<Read>>::BIT, 0);
    /// assert_eq!(<Document as Governs<Update>>::BIT, 2);
    /// assert_eq!(<Document as Governs<Archive>>::BIT, 4);
    /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::{Action, Read};
    ///
    /// assert_eq!(Read::NAME, "read");
    /// ```
    Read = "read";
    /// Create rows (`Insert<E>`).
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::{Action, Create};
    ///
    /// // The write input is `Insert<E>`.
    /// assert_eq!(Create::NAME, "create");
    /// ```
    Create = "create";
    /// Update rows (`Patch<E>`, `bind.update(..)`).
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::{Action, Update};
    ///
    /// assert_eq!(Update::NAME, "update");
    /// ```
    Update = "update";
    /// Delete rows (`bind.delete(..)`).
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::{Action, Delete};
    ///
    /// assert_eq!(Delete::NAME, "delete");
    /// ```
    Delete = "delete";
    /// Every action; in rules only (`allow!(manage where ..)`).
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::{Action, Manage};
    ///
    /// assert_eq!(Manage::NAME, "manage");
    /// ```
    Manage = "manage";
}

/// A tuple of actions whose per-row answers a response carries:
/// `ability.shape_with_capabilities(rows, (Update, Delete, Archive))` adds to each row an
/// object `"_can": {"update": true, "delete": false, "archive": true}`, decided by the same rules
/// as [`Ability::can`](crate::policy::ability::Ability::can), so a UI shows an "Edit" button
/// exactly when the edit would be allowed without asking per row.
///
/// Implemented for tuples of up to 8 actions the policy of `E` governs.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// use portcullis::action::Capabilities;
/// use portcullis::{Governs, Update};
///
/// type Caps = (Update, Archive);
/// assert_eq!(<Caps as Capabilities<Document>>::NAMES, ["update", "archive"]);
/// assert_eq!(<Caps as Capabilities<Document>>::BITS[1], <Document as Governs<Archive>>::BIT);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a tuple of actions the policy of `{E}` governs",
    label = "expected a tuple of actions with rules in the policy of `{E}`",
    note = "name up to 8 actions the policy of `{E}` has rules for, as a tuple: `shape_with_capabilities(rows, (Update, Delete))` (one action is `(Update,)`)"
)]
pub trait Capabilities<E: Resource>: 'static {
    /// The actions' names, the keys of the `"_can"` object, in tuple order.
    const NAMES: &'static [&'static str];
    /// The actions' bits in `E`'s policy (see [`Governs::BIT`]), in tuple order.
    const BITS: &'static [u32];
}

macro_rules! capability_tuples {
    ($($name:ident)+) => {
        impl<E: Resource, $($name: Action),+> Capabilities<E> for ($($name,)+)
        where
            $(E: Governs<$name>,)+
        {
            const NAMES: &'static [&'static str] = &[$($name::NAME),+];
            const BITS: &'static [u32] = &[$(<E as Governs<$name>>::BIT),+];
        }
    };
}

capability_tuples!(A);
capability_tuples!(A B);
capability_tuples!(A B C);
capability_tuples!(A B C D);
capability_tuples!(A B C D F);
capability_tuples!(A B C D F G);
capability_tuples!(A B C D F G H);
capability_tuples!(A B C D F G H I);
