//! Table-driven policy tests: subjects × rows × actions → the verdict you expect (and, for an
//! allow, optionally the fields it permits). [`policy_table!`](crate::policy_table) is the
//! readable form; [`PolicyTable`] is what it drives.
//!
//! Every subject × row pair must have a line, and a mismatch is reported with the deciding
//! rules from [`Ability::explain`], so a failing table says which rule to look at.

use crate::model::action::{Action, Governs};
use crate::model::resource::FieldSet;
use crate::policy::Policy;
use crate::policy::ability::{Ability, Explanation};

/// A subject of a [`PolicyTable`], by position (what the macro binds each subject name to).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubjectId(usize);

/// A row of a [`PolicyTable`], by position (what the macro binds each row name to).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowId(usize);

/// The expected outcome of one action on one row for one subject.
pub enum Verdict<E> {
    /// Allowed; with `Some`, exactly these fields are permitted.
    Allow(Option<FieldSet<E>>),
    /// Not allowed.
    Deny,
}

impl<E: crate::model::resource::Resource> std::fmt::Display for Verdict<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Verdict::Allow(None) => f.write_str("allow"),
            Verdict::Allow(Some(fields)) => {
                write!(f, "allow(")?;
                for (i, name) in fields.names().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(name)?;
                }
                f.write_str(")")
            }
            Verdict::Deny => f.write_str("deny"),
        }
    }
}

/// What one action answers for one row: the explanation and the permitted fields.
type Check<E> = fn(&Ability<E>, &E) -> (Explanation, FieldSet<E>);

fn check<E: Policy + Governs<A>, A: Action>(
    ability: &Ability<E>,
    row: &E,
) -> (Explanation, FieldSet<E>) {
    (
        ability.explain::<A>(row),
        ability.permitted_fields::<A>(row),
    )
}

/// A policy test table for the entity `E`. Add subjects, rows and actions, state one line of
/// verdicts per subject × row with [`PolicyTable::expect`], then call [`PolicyTable::finish`],
/// which panics with every mismatch and every missing or repeated line.
///
/// # Examples
///
/// ```
/// use portcullis::testing::{PolicyTable, Verdict};
/// use portcullis::{Read, Resource, Update, policy};
///
/// diesel::table! { notes (id) { id -> BigInt, owner_id -> BigInt, body -> Text } }
///
/// #[derive(Clone, Resource, diesel::Queryable, diesel::Selectable)]
/// #[diesel(table_name = notes)]
/// pub struct Note { #[expose] pub id: i64, pub owner_id: i64, #[expose] pub body: String }
///
/// pub struct User { pub id: i64 }
///
/// #[policy(Note, subject = User)]
/// pub fn notes(user: &User) {
///     allow!(read, update(body) where owner_id == user.id);
/// }
///
/// let mut table = PolicyTable::<Note>::new();
/// let alice = table.subject("alice", &User { id: 1 });
/// let hers = table.row("hers", Note { id: 1, owner_id: 1, body: "b".into() });
/// let other = table.row("other", Note { id: 2, owner_id: 2, body: "b".into() });
/// table.action::<Read>().action::<Update>();
/// let body = Note::FIELDS.body.set();
/// table.expect(alice, hers, vec![Verdict::Allow(None), Verdict::Allow(Some(body))], line!());
/// table.expect(alice, other, vec![Verdict::Deny, Verdict::Deny], line!());
/// table.finish();
/// ```
pub struct PolicyTable<E: Policy> {
    subjects: Vec<(&'static str, Ability<E>)>,
    rows: Vec<(&'static str, E)>,
    actions: Vec<(&'static str, Check<E>)>,
    lines: Vec<(SubjectId, RowId, u32)>,
    failures: Vec<String>,
}

impl<E: Policy> Default for PolicyTable<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Policy> PolicyTable<E> {
    /// An empty table.
    pub fn new() -> Self {
        Self {
            subjects: Vec::new(),
            rows: Vec::new(),
            actions: Vec::new(),
            lines: Vec::new(),
            failures: Vec::new(),
        }
    }

    /// Adds a subject; its ability is built once, by the entity's policy.
    pub fn subject(&mut self, name: &'static str, subject: &E::Subject) -> SubjectId {
        self.subjects.push((name, E::ability(subject)));
        SubjectId(self.subjects.len() - 1)
    }

    /// Adds a row.
    pub fn row(&mut self, name: &'static str, row: E) -> RowId {
        self.rows.push((name, row));
        RowId(self.rows.len() - 1)
    }

    /// Adds an action: each line states one verdict per action, in the order they were added.
    pub fn action<A: Action>(&mut self) -> &mut Self
    where
        E: Governs<A>,
    {
        self.actions.push((A::NAME, check::<E, A>));
        self
    }

    /// States what `subject` may do with `row`, one verdict per action; `line` (the caller's
    /// `line!()`) locates the line in a failure report. Mismatches are collected, not raised.
    pub fn expect(&mut self, subject: SubjectId, row: RowId, verdicts: Vec<Verdict<E>>, line: u32) {
        self.lines.push((subject, row, line));
        let (who, ability) = &self.subjects[subject.0];
        let (what, entity) = &self.rows[row.0];
        if verdicts.len() != self.actions.len() {
            self.failures.push(format!(
                "line {line}: {who} {what}: {} verdicts for {} actions ({})",
                verdicts.len(),
                self.actions.len(),
                self.actions
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            return;
        }
        for ((action, check), want) in self.actions.iter().zip(&verdicts) {
            let (explanation, fields) = check(ability, entity);
            let agrees = match want {
                Verdict::Deny => !explanation.allowed,
                Verdict::Allow(None) => explanation.allowed,
                Verdict::Allow(Some(expected)) => explanation.allowed && fields == *expected,
            };
            if !agrees {
                let got = if explanation.allowed {
                    Verdict::Allow(Some(fields))
                } else {
                    Verdict::Deny
                };
                self.failures.push(format!(
                    "line {line}: {who} {what} {action}: expected {want}, got {got}\n      {explanation}"
                ));
            }
        }
    }

    /// Panics with every mismatch, every subject × row pair without a line, and every pair
    /// with more than one; returns quietly when the table holds.
    pub fn finish(self) {
        let mut failures = self.failures;
        for (s, (who, _)) in self.subjects.iter().enumerate() {
            for (r, (what, _)) in self.rows.iter().enumerate() {
                let lines: Vec<u32> = self
                    .lines
                    .iter()
                    .filter(|(ls, lr, _)| ls.0 == s && lr.0 == r)
                    .map(|(_, _, line)| *line)
                    .collect();
                match lines.len() {
                    1 => {}
                    0 => failures.push(format!("no line for {who} {what}")),
                    _ => failures.push(format!("{who} {what} has several lines: {lines:?}")),
                }
            }
        }
        if !failures.is_empty() {
            panic!(
                "policy table for {}: {} problem(s)\n  {}",
                E::NAME,
                failures.len(),
                failures.join("\n  ")
            );
        }
    }
}

/// A table-driven policy test: every subject × row pair gets one line with a verdict per
/// action (`allow`, `allow(field, ..)` for exactly those permitted fields, or `deny`). Names of
/// subjects, rows and fields are checked at compile time. On a mismatch it panics with the
/// deciding rules (see [`PolicyTable`]).
///
/// # Examples
///
/// ```
/// use portcullis::{Read, Resource, Update, policy, policy_table};
///
/// diesel::table! { notes (id) { id -> BigInt, owner_id -> BigInt, body -> Text } }
///
/// #[derive(Clone, Resource, diesel::Queryable, diesel::Selectable)]
/// #[diesel(table_name = notes)]
/// pub struct Note { #[expose] pub id: i64, pub owner_id: i64, #[expose] pub body: String }
///
/// pub struct User { pub id: i64, pub admin: bool }
///
/// #[policy(Note, subject = User)]
/// pub fn notes(user: &User) {
///     allow!(read, update(body) where owner_id == user.id);
///     if user.admin {
///         allow!(read);
///     }
/// }
///
/// let note = |id, owner_id| Note { id, owner_id, body: "text".into() };
/// policy_table! {
///     Note;
///     subjects { alice: User { id: 1, admin: false }, root: User { id: 9, admin: true } }
///     rows { hers: note(1, 1), bobs: note(2, 2) }
///     actions [Read, Update];
///     alice hers => allow, allow(body);
///     alice bobs => deny, deny;
///     root  hers => allow, deny;
///     root  bobs => allow, deny;
/// }
/// ```
#[macro_export]
macro_rules! policy_table {
    (
        $entity:ty;
        subjects { $($subject:ident : $subject_value:expr),+ $(,)? }
        rows { $($row:ident : $row_value:expr),+ $(,)? }
        actions [ $($action:ty),+ $(,)? ];
        $( $s:ident $r:ident => $( $verdict:ident $( ( $($field:ident),* $(,)? ) )? ),+ ; )+
    ) => {{
        let mut __table = $crate::testing::PolicyTable::<$entity>::new();
        $( let $subject = __table.subject(::core::stringify!($subject), &$subject_value); )+
        $( let $row = __table.row(::core::stringify!($row), $row_value); )+
        $( __table.action::<$action>(); )+
        $(
            __table.expect(
                $s,
                $r,
                ::std::vec![$( $crate::__policy_table_verdict!($entity; $verdict $( ( $($field),* ) )?) ),+],
                ::core::line!(),
            );
        )+
        __table.finish();
    }};
}

/// One verdict of a [`policy_table!`] line.
#[doc(hidden)]
#[macro_export]
macro_rules! __policy_table_verdict {
    ($entity:ty; allow) => {
        $crate::testing::Verdict::<$entity>::Allow(::core::option::Option::None)
    };
    ($entity:ty; allow ( $($field:ident),* )) => {
        $crate::testing::Verdict::<$entity>::Allow(::core::option::Option::Some(
            $crate::model::resource::FieldSet::<$entity>::EMPTY
                $( .union(<$entity as $crate::model::resource::Resource>::FIELDS.$field.set()) )*
        ))
    };
    ($entity:ty; deny) => {
        $crate::testing::Verdict::<$entity>::Deny
    };
    ($entity:ty; $other:ident $($rest:tt)*) => {
        ::core::compile_error!(::core::concat!(
            "a policy table verdict is `allow`, `allow(field, ..)` or `deny`, not `",
            ::core::stringify!($other),
            "`"
        ))
    };
}
