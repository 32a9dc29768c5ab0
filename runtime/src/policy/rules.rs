//! The rule machinery behind an [`Ability`](crate::policy::ability::Ability): one collected rule, rule sets
//! (slots, tuples, the boxed form) and the SQL accumulated over them.

use crate::backend::enabled::{ForBackend, OnBackend, PerBackend, PgSide, SqlBackend, SqliteSide};
use crate::backend::sql::{BoxedFilter, SqlCond};
use crate::model::cond::Cond;
use crate::model::resource::{FieldSet, Resource};
use std::sync::Arc;

/// Whether a rule allows or denies.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// use portcullis::Update;
/// use portcullis::policy::rules::Effect;
///
/// let mut plan = doc(1, 1, 1, "Plan");
/// plan.archived = true;
/// let why = documents(&alice()).explain::<Update>(&plan);
/// assert_eq!(why.rules[0].effect, Effect::Deny);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// `allow!`
    Allow,
    /// `deny!`
    Deny,
}

/// Where a rule was written, captured at compile time for explanations and denial logs.
/// `Display` is `<rule> at <file>:<line>`.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// use portcullis::Read;
///
/// let why = documents(&alice()).explain::<Read>(&doc(1, 1, 1, "Plan"));
/// let site = why.rules[0];
/// assert_eq!(site.text, "allow!(read where tenant_id == user.tenant_id)");
/// assert!(!site.has_fields);
/// assert_eq!(site.to_string(), format!("{} at {}:{}", site.text, site.file, site.line));
/// ```
#[derive(Debug)]
pub struct RuleSite {
    /// Allow or deny.
    pub effect: Effect,
    /// The rule as written, e.g. `allow!(read where tenant_id == user.tenant_id)`.
    pub text: &'static str,
    /// The source file of the policy.
    pub file: &'static str,
    /// The line of the rule.
    pub line: u32,
    /// Whether the rule carries a field list (a deny with one removes fields, not the action).
    pub has_fields: bool,
}

impl std::fmt::Display for RuleSite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at {}:{}", self.text, self.file, self.line)
    }
}

/// One collected rule: `ACTIONS` is the compile-time mask of action bits it covers, `P` its Rust
/// predicate, `S` its SQL builders (one per enabled backend), `N` its create-pinning function;
/// `DENY` and `FIELDS` (whether it has a field list) are constants so decisions fold them away.
///
/// Built by `allow!`/`deny!` inside `#[policy]`; not written by hand. The rule set of an
/// ability nests them in tuples, which is why decisions compile to straight-line code:
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// use portcullis::{Read, RuleSet};
///
/// fn decide<R: RuleSet<Document>>(rules: &R, row: &Document) -> bool {
///     rules.allows(<Document as portcullis::Governs<Read>>::BIT, row)
/// }
/// assert!(decide(documents(&alice()).rules(), &doc(1, 1, 1, "Plan")));
/// ```
pub struct Rule<E: Resource, P, S, N, const ACTIONS: u64, const DENY: bool, const FIELDS: bool> {
    #[doc(hidden)]
    pub site: &'static RuleSite,
    #[doc(hidden)]
    pub fields: Option<FieldSet<E>>,
    #[doc(hidden)]
    pub pred: P,
    #[doc(hidden)]
    pub sql: S,
    #[doc(hidden)]
    pub pin: N,
}

impl<E: Resource, P: Clone, S: Clone, N: Clone, const A: u64, const D: bool, const F: bool> Clone
    for Rule<E, P, S, N, A, D, F>
{
    fn clone(&self) -> Self {
        Self {
            site: self.site,
            fields: self.fields,
            pred: self.pred.clone(),
            sql: self.sql.clone(),
            pin: self.pin.clone(),
        }
    }
}

/// Running result of evaluating rules on one row (see [`RuleSet::eval`]). Its parts are
/// private: read decisions through [`Ability`](super::Ability).
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// use portcullis::policy::rules::Eval;
/// use portcullis::{Governs, Read, RuleSet};
///
/// let mut acc = Eval::default();
/// let bit = <Document as Governs<Read>>::BIT;
/// documents(&alice()).rules().eval(bit, &doc(1, 1, 1, "Plan"), &mut acc);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Eval {
    pub(crate) allowed: bool,
    pub(crate) denied: bool,
    pub(crate) fields: u64,
    pub(crate) removed: u64,
}

/// SQL conditions accumulated over rules for one action and backend.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// use diesel::{QueryDsl, debug_query};
/// use portcullis::policy::rules::SqlAcc;
/// use portcullis::sql::Sqlite;
/// use portcullis::{Governs, Read, RuleSet};
///
/// let mut acc = SqlAcc::default();
/// documents(&alice()).rules().sql::<Sqlite>(<Document as Governs<Read>>::BIT, &mut acc);
/// let query = documents::table.filter(acc.finish());
/// let sql = debug_query::<Sqlite, _>(&query).to_string();
/// assert!(sql.ends_with("WHERE (`documents`.`tenant_id` = ?) -- binds: [1]"), "{sql}");
/// ```
pub struct SqlAcc<T, DB> {
    allow: Vec<SqlCond<T, DB>>,
    deny: Vec<SqlCond<T, DB>>,
    /// For a write: the fields written, and per written field (in index order) the allows
    /// that permit it and the field-list denies that remove it.
    written: u64,
    field_allow: Vec<Vec<SqlCond<T, DB>>>,
    field_deny: Vec<Vec<SqlCond<T, DB>>>,
}

impl<T, DB> Default for SqlAcc<T, DB> {
    fn default() -> Self {
        Self {
            allow: Vec::new(),
            deny: Vec::new(),
            written: 0,
            field_allow: Vec::new(),
            field_deny: Vec::new(),
        }
    }
}

impl<T, DB> SqlAcc<T, DB> {
    /// An accumulator for a write of the fields in `written` (bit `i` = field `i`): besides the
    /// scope, the condition requires, for each written field, an allow that permits it and no
    /// field-list deny that removes it, so the `UPDATE` re-checks field-level rules on the row
    /// as it is when written.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::policy::rules::SqlAcc;
    /// use portcullis::sql::Sqlite;
    /// use portcullis::{Governs, Resource, RuleSet, Update};
    ///
    /// let mut acc = SqlAcc::for_write(Document::FIELDS.title.set().bits());
    /// documents(&alice()).rules().sql::<Sqlite>(<Document as Governs<Update>>::BIT, &mut acc);
    /// // The scope, then an allow and no removing deny for `title`.
    /// assert_eq!(acc.into_cond().leaves(), 5);
    /// ```
    pub fn for_write(written: u64) -> Self {
        let n = written.count_ones() as usize;
        Self {
            written,
            field_allow: (0..n).map(|_| Vec::new()).collect(),
            field_deny: (0..n).map(|_| Vec::new()).collect(),
            ..Self::default()
        }
    }
}

/// A rule's SQL builders for each backend portcullis was built with. `#[policy]` builds a pair
/// of a [`SqliteSide`] and a [`PgSide`] for each rule; the backend picks its own
/// ([`SqlBackend`]).
///
/// # Examples
///
/// ```
/// use portcullis::backend::enabled::SqlBackend;
/// use portcullis::policy::rules::SqlSides;
/// use portcullis::sql::{Sqlite, SqlCond};
///
/// fn on<DB: SqlBackend, T, S: SqlSides<T>>(sides: &S) -> SqlCond<T, DB> {
///     sides.build::<DB>()
/// }
/// // A rule that matches every row, as `#[policy]` writes it (with the default features: SQLite
/// // only, so the PostgreSQL side is `()`).
/// # #[cfg(not(feature = "postgres"))]
/// let sides = (|| -> SqlCond<(), Sqlite> { portcullis::cond::Cond::True }, ());
/// # #[cfg(not(feature = "postgres"))]
/// assert!(matches!(on::<Sqlite, (), _>(&sides), portcullis::cond::Cond::True));
/// ```
pub trait SqlSides<T>: Send + Sync + 'static {
    /// The condition on backend `DB`.
    fn build<DB: SqlBackend>(&self) -> SqlCond<T, DB>;
}

impl<T, A: SqliteSide<T>, B: PgSide<T>> SqlSides<T> for (A, B) {
    #[inline(always)]
    fn build<DB: SqlBackend>(&self) -> SqlCond<T, DB> {
        DB::build_side(&self.0, &self.1)
    }
}

/// [`SqlAcc`] on each backend: what [`RuleSet::sql_on`] takes as a [`ForBackend`].
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// use portcullis::backend::enabled::SqlBackend;
/// use portcullis::policy::rules::{SqlAcc, SqlAccs};
/// use portcullis::sql::Sqlite;
/// use portcullis::{Governs, Read, RuleSet};
///
/// let mut acc = SqlAcc::default();
/// let each = <Sqlite as SqlBackend>::for_backend::<SqlAccs<documents::table>>(&mut acc);
/// documents(&alice()).rules().sql_on(<Document as Governs<Read>>::BIT, each);
/// assert_eq!(acc.into_cond().leaves(), 1);
/// ```
pub struct SqlAccs<T>(std::marker::PhantomData<fn() -> T>);

impl<T> PerBackend for SqlAccs<T> {
    type Of<DB: SqlBackend> = SqlAcc<T, DB>;
}

/// Adds one rule's condition to an accumulator of whichever backend it is for.
struct AddRule<'r, S> {
    deny: bool,
    fields: Option<u64>,
    sides: &'r S,
}

impl<T: 'static, S: SqlSides<T>> OnBackend<SqlAccs<T>> for AddRule<'_, S> {
    type Output = ();
    #[inline(always)]
    fn on<DB: SqlBackend>(self, acc: &mut SqlAcc<T, DB>) {
        acc.add(self.deny, self.fields, &|| self.sides.build::<DB>());
    }
}

/// A rule's create-pinning function, borrowed from its rule set: it fills the create-input
/// fields the rule pins to the subject (`tenant_id == user.tenant_id`).
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// use portcullis::policy::rules::PinFn;
/// use portcullis::{Create, Governs, RuleSet};
///
/// let ability = documents(&alice());
/// let mut pins: Vec<PinFn<'_, Document>> = Vec::new();
/// ability.rules().pins(<Document as Governs<Create>>::BIT, &mut pins);
/// assert_eq!(pins.len(), 1); // `allow!(create(title) where ..)`
/// ```
pub type PinFn<'a, E> = &'a (dyn Fn(&mut <E as Resource>::Create, bool) + Send + Sync);

/// A set of collected rules. Implemented for a rule slot (`Option<Rule<..>>`), for tuples of
/// rule sets (what `#[policy]` builds, without allocating per rule) and for the boxed form.
///
/// [`Ability`](super::Ability) is the interface to decisions; the methods here take the
/// action's bit (`<E as Governs<A>>::BIT`) and serve generated code, explanations and tools.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// use portcullis::{Governs, RuleSet, Update};
///
/// let rules = documents(&alice()).rules().clone();
/// let bit = <Document as Governs<Update>>::BIT;
/// let mut plan = doc(1, 1, 1, "Plan");
/// assert!(rules.allows(bit, &plan) && !rules.denies(bit, &plan));
/// plan.archived = true;
/// assert!(rules.denies(bit, &plan)); // `deny!(update where archived)`
/// ```
pub trait RuleSet<E: Resource>: Send + Sync + 'static {
    /// Whether some allow (with or without a field list) covering `bit` matches `row`;
    /// stops at the first.
    fn allows(&self, bit: u32, row: &E) -> bool;
    /// Whether some field-less deny covering `bit` matches `row`; stops at the first.
    fn denies(&self, bit: u32, row: &E) -> bool;
    /// Folds the rules covering action `bit` that match `row` into `acc`.
    fn eval(&self, bit: u32, row: &E, acc: &mut Eval);
    /// Adds the conditions on backend `DB` of the rules covering `bit`.
    #[inline(always)]
    fn sql<DB: SqlBackend>(&self, bit: u32, acc: &mut SqlAcc<E::Table, DB>)
    where
        Self: Sized,
    {
        self.sql_on(bit, DB::for_backend::<SqlAccs<E::Table>>(acc))
    }
    /// [`RuleSet::sql`] on the backend of `acc`: the form a `dyn RuleSet` has (a generic
    /// method would not be callable through `dyn`). Implementations pass `acc.reborrow()` on
    /// and end in [`ForBackend::run`], monomorphised per backend.
    fn sql_on(&self, bit: u32, acc: ForBackend<'_, SqlAccs<E::Table>>);
    /// Lists the rules covering `bit` with whether each matches `row`.
    fn sites(&self, bit: u32, row: &E, out: &mut Vec<(&'static RuleSite, bool)>);
    /// Lists the create-pinning functions of the allow rules covering `bit`, in rule order.
    fn pins<'a>(&'a self, bit: u32, out: &mut Vec<PinFn<'a, E>>);
}

impl<E, P, S, N, const A: u64, const D: bool, const F: bool> RuleSet<E>
    for Rule<E, P, S, N, A, D, F>
where
    E: Resource,
    P: Fn(&E) -> bool + Send + Sync + 'static,
    S: SqlSides<E::Table>,
    N: Fn(&mut E::Create, bool) + Send + Sync + 'static,
{
    // `A` and `D` are constants, so the action and effect tests fold away at compile time.
    #[inline(always)]
    fn allows(&self, bit: u32, row: &E) -> bool {
        !D && A & (1u64 << bit) != 0 && (self.pred)(row)
    }

    #[inline(always)]
    fn denies(&self, bit: u32, row: &E) -> bool {
        D && !F && A & (1u64 << bit) != 0 && (self.pred)(row)
    }

    #[inline(always)]
    fn eval(&self, bit: u32, row: &E, acc: &mut Eval) {
        if A & (1u64 << bit) == 0 || !(self.pred)(row) {
            return;
        }
        match (D, self.fields) {
            (false, None) => {
                acc.allowed = true;
                acc.fields = u64::MAX;
            }
            (false, Some(f)) => {
                acc.allowed = true;
                acc.fields |= f.bits();
            }
            (true, None) => acc.denied = true,
            (true, Some(f)) => acc.removed |= f.bits(),
        }
    }

    fn sql_on(&self, bit: u32, acc: ForBackend<'_, SqlAccs<E::Table>>) {
        if A & (1u64 << bit) != 0 {
            acc.run(AddRule {
                deny: D,
                fields: self.fields.map(|f| f.bits()),
                sides: &self.sql,
            });
        }
    }

    fn sites(&self, bit: u32, row: &E, out: &mut Vec<(&'static RuleSite, bool)>) {
        if A & (1u64 << bit) != 0 {
            out.push((self.site, (self.pred)(row)));
        }
    }

    fn pins<'a>(&'a self, bit: u32, out: &mut Vec<PinFn<'a, E>>) {
        if !D && A & (1u64 << bit) != 0 {
            out.push(&self.pin);
        }
    }
}

/// A rule collected only on some paths of the policy body (inside `if`, `match`, ..).
impl<E: Resource, R: RuleSet<E>> RuleSet<E> for Option<R> {
    #[inline(always)]
    fn allows(&self, bit: u32, row: &E) -> bool {
        self.as_ref().is_some_and(|r| r.allows(bit, row))
    }
    #[inline(always)]
    fn denies(&self, bit: u32, row: &E) -> bool {
        self.as_ref().is_some_and(|r| r.denies(bit, row))
    }
    #[inline(always)]
    fn eval(&self, bit: u32, row: &E, acc: &mut Eval) {
        if let Some(r) = self {
            r.eval(bit, row, acc)
        }
    }
    fn sql_on(&self, bit: u32, acc: ForBackend<'_, SqlAccs<E::Table>>) {
        if let Some(r) = self {
            r.sql_on(bit, acc)
        }
    }
    fn sites(&self, bit: u32, row: &E, out: &mut Vec<(&'static RuleSite, bool)>) {
        if let Some(r) = self {
            r.sites(bit, row, out)
        }
    }
    fn pins<'a>(&'a self, bit: u32, out: &mut Vec<PinFn<'a, E>>) {
        if let Some(r) = self {
            r.pins(bit, out)
        }
    }
}

macro_rules! tuple_rule_sets {
    ($($name:ident)+) => {
        impl<E: Resource, $($name: RuleSet<E>),+> RuleSet<E> for ($($name,)+) {
            #[inline(always)]
            fn allows(&self, bit: u32, row: &E) -> bool {
                #[allow(non_snake_case)]
                let ($($name,)+) = self;
                $($name.allows(bit, row))||+
            }
            #[inline(always)]
            fn denies(&self, bit: u32, row: &E) -> bool {
                #[allow(non_snake_case)]
                let ($($name,)+) = self;
                $($name.denies(bit, row))||+
            }
            #[inline(always)]
            fn eval(&self, bit: u32, row: &E, acc: &mut Eval) {
                #[allow(non_snake_case)]
                let ($($name,)+) = self;
                $($name.eval(bit, row, acc);)+
            }
            fn sql_on(&self, bit: u32, mut acc: ForBackend<'_, SqlAccs<E::Table>>) {
                #[allow(non_snake_case)]
                let ($($name,)+) = self;
                $($name.sql_on(bit, acc.reborrow());)+
            }
            fn sites(&self, bit: u32, row: &E, out: &mut Vec<(&'static RuleSite, bool)>) {
                #[allow(non_snake_case)]
                let ($($name,)+) = self;
                $($name.sites(bit, row, out);)+
            }
            fn pins<'a>(&'a self, bit: u32, out: &mut Vec<PinFn<'a, E>>) {
                #[allow(non_snake_case)]
                let ($($name,)+) = self;
                $($name.pins(bit, out);)+
            }
        }
    };
}

// `#[policy]` nests rules in tuples of at most 8, so any number of rules fits.
tuple_rule_sets!(A);
tuple_rule_sets!(A B);
tuple_rule_sets!(A B C);
tuple_rule_sets!(A B C D);
tuple_rule_sets!(A B C D F);
tuple_rule_sets!(A B C D F G);
tuple_rule_sets!(A B C D F G H);
tuple_rule_sets!(A B C D F G H I);

impl<E: Resource> RuleSet<E> for () {
    fn allows(&self, _: u32, _: &E) -> bool {
        false
    }
    fn denies(&self, _: u32, _: &E) -> bool {
        false
    }
    fn eval(&self, _: u32, _: &E, _: &mut Eval) {}
    fn sql_on(&self, _: u32, _: ForBackend<'_, SqlAccs<E::Table>>) {}
    fn sites(&self, _: u32, _: &E, _: &mut Vec<(&'static RuleSite, bool)>) {}
    fn pins<'a>(&'a self, _: u32, _: &mut Vec<PinFn<'a, E>>) {}
}

/// The type-erased rule set a [`Policy`](super::Policy) hands out.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// use portcullis::policy::rules::DynRules;
/// use portcullis::{Governs, Read, RuleSet};
///
/// let rules: DynRules<Document> = std::sync::Arc::new(documents(&alice()).rules().clone());
/// assert!(rules.allows(<Document as Governs<Read>>::BIT, &doc(1, 1, 1, "Plan")));
/// ```
pub type DynRules<E> = Arc<dyn RuleSet<E>>;

impl<E: Resource> RuleSet<E> for DynRules<E> {
    #[inline]
    fn allows(&self, bit: u32, row: &E) -> bool {
        (**self).allows(bit, row)
    }
    #[inline]
    fn denies(&self, bit: u32, row: &E) -> bool {
        (**self).denies(bit, row)
    }
    #[inline]
    fn eval(&self, bit: u32, row: &E, acc: &mut Eval) {
        (**self).eval(bit, row, acc)
    }
    #[inline]
    fn sql_on(&self, bit: u32, acc: ForBackend<'_, SqlAccs<E::Table>>) {
        (**self).sql_on(bit, acc)
    }
    fn sites(&self, bit: u32, row: &E, out: &mut Vec<(&'static RuleSite, bool)>) {
        (**self).sites(bit, row, out)
    }
    fn pins<'a>(&'a self, bit: u32, out: &mut Vec<PinFn<'a, E>>) {
        (**self).pins(bit, out)
    }
}

impl<T: 'static, DB: diesel::backend::Backend + 'static> SqlAcc<T, DB> {
    fn add(&mut self, deny: bool, fields: Option<u64>, build: &dyn Fn() -> SqlCond<T, DB>) {
        match (deny, fields) {
            (false, _) => self.allow.push(build()),
            (true, None) => self.deny.push(build()),
            // A deny with a field list removes fields, not rows: no SQL for a read.
            (true, Some(_)) => {}
        }
        if self.written == 0 {
            return;
        }
        let written = (0..64).filter(|i| self.written & (1u64 << i) != 0);
        for (slot, field) in written.enumerate() {
            let bit = 1u64 << field;
            match (deny, fields) {
                (false, None) => self.field_allow[slot].push(build()),
                (false, Some(f)) if f & bit != 0 => self.field_allow[slot].push(build()),
                (true, Some(f)) if f & bit != 0 => self.field_deny[slot].push(build()),
                _ => {}
            }
        }
    }

    /// `(any allow) AND NOT (any field-less deny)`, simplified (see [`crate::model::cond`]);
    /// `FALSE` without allows.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use diesel::{QueryDsl, debug_query};
    /// use portcullis::policy::rules::SqlAcc;
    /// use portcullis::sql::Sqlite;
    /// use portcullis::{Delete, Governs, RuleSet};
    ///
    /// // Alice is no admin: no `allow!(delete ..)` was collected for her.
    /// let mut acc = SqlAcc::default();
    /// documents(&alice()).rules().sql::<Sqlite>(<Document as Governs<Delete>>::BIT, &mut acc);
    /// let sql = debug_query::<Sqlite, _>(&documents::table.filter(acc.finish())).to_string();
    /// assert!(sql.contains("WHERE FALSE"), "{sql}");
    /// ```
    pub fn finish(self) -> BoxedFilter<T, DB>
    where
        crate::backend::sql::Literal<diesel::sql_types::Bool>:
            diesel::expression::BoxableExpression<T, DB, SqlType = diesel::sql_types::Bool>,
    {
        crate::backend::sql::render(self.into_cond().simplify())
    }

    /// The unsimplified condition `finish` starts from.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::policy::rules::SqlAcc;
    /// use portcullis::sql::Sqlite;
    /// use portcullis::{Governs, Read, RuleSet};
    ///
    /// let mut acc = SqlAcc::default();
    /// documents(&alice()).rules().sql::<Sqlite>(<Document as Governs<Read>>::BIT, &mut acc);
    /// let cond = acc.into_cond(); // `(tenant_id = ?) AND NOT (no deny)`
    /// assert_eq!(cond.leaves(), 1);
    /// ```
    pub fn into_cond(self) -> SqlCond<T, DB> {
        let mut parts = vec![
            Cond::Or(self.allow),
            Cond::Not(Box::new(Cond::Or(self.deny))),
        ];
        for (allow, deny) in self.field_allow.into_iter().zip(self.field_deny) {
            parts.push(Cond::Or(allow));
            parts.push(Cond::Not(Box::new(Cond::Or(deny))));
        }
        Cond::And(parts)
    }
}
