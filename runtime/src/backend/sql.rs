//! SQL filters: boxed diesel expressions per enabled backend, the two-valued (NULL-safe) mapping
//! of conditions, and the `if_<backend>!` callbacks that keep generated code independent of the
//! user's cargo features.

use crate::model::cond::{Cond, Keyed, LeafKey, LeafOp};
use crate::model::resource::{Col, FieldAt, FieldType};
use diesel::backend::Backend;
use diesel::expression::BoxableExpression;
use diesel::query_builder::QueryFragment;
use diesel::sql_types::{Bool, Nullable};

/// A boxed boolean filter on table `T` for backend `DB`.
pub type BoxedFilter<T, DB> = Box<dyn BoxableExpression<T, DB, SqlType = Bool> + 'static>;

#[cfg(feature = "sqlite")]
pub use diesel::sqlite::Sqlite;

#[cfg(feature = "postgres")]
pub use diesel::pg::Pg;

diesel::define_sql_function! {
    /// `COALESCE(x, y)` on booleans: maps SQL's UNKNOWN to a definite value.
    fn coalesce(x: Nullable<Bool>, y: Bool) -> Bool;
}

/// `TRUE` as a filter.
pub fn true_<T, DB>() -> BoxedFilter<T, DB>
where
    DB: Backend,
    Literal<Bool>: BoxableExpression<T, DB, SqlType = Bool>,
{
    Box::new(Literal::<Bool>::new("TRUE"))
}

/// `FALSE` as a filter: what an empty rule set compiles to.
pub fn false_<T, DB>() -> BoxedFilter<T, DB>
where
    DB: Backend,
    Literal<Bool>: BoxableExpression<T, DB, SqlType = Bool>,
{
    Box::new(Literal::<Bool>::new("FALSE"))
}

/// SQL text known when the program compiles, of SQL type `ST`. Unlike diesel's `sql()`, it
/// keeps the statement cacheable as a prepared statement: the text cannot change between runs.
pub struct Literal<ST> {
    sql: &'static str,
    _st: std::marker::PhantomData<fn() -> ST>,
}

impl<ST> Literal<ST> {
    /// The literal `sql` (a constant: `TRUE`, `42`, `'open'`).
    pub const fn new(sql: &'static str) -> Self {
        Self {
            sql,
            _st: std::marker::PhantomData,
        }
    }
}

impl<ST> Clone for Literal<ST> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<ST> Copy for Literal<ST> {}

impl<ST: diesel::sql_types::SqlType + diesel::expression::TypedExpressionType> diesel::Expression
    for Literal<ST>
{
    type SqlType = ST;
}

impl<ST, QS> diesel::AppearsOnTable<QS> for Literal<ST> where Self: diesel::Expression {}

impl<ST, QS> diesel::SelectableExpression<QS> for Literal<ST> where Self: diesel::Expression {}

impl<ST, GB> diesel::expression::ValidGrouping<GB> for Literal<ST> {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

impl<ST: 'static> diesel::query_builder::QueryId for Literal<ST> {
    type QueryId = Self;
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<ST, DB: Backend> diesel::query_builder::QueryFragment<DB> for Literal<ST> {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
    ) -> diesel::QueryResult<()> {
        out.push_sql(self.sql);
        Ok(())
    }
}

/// Boxes a comparison, keeping SQL two-valued: a comparison on a nullable column (SQL type
/// `Nullable<Bool>`) becomes `COALESCE(cmp, FALSE)`, so NULL never turns `NOT (..)` into a match
/// the Rust predicate would reject.
#[inline]
pub fn two_valued<X, T, DB>(x: X) -> BoxedFilter<T, DB>
where
    X: diesel::Expression,
    X::SqlType: TwoValued<X, T, DB>,
{
    <X::SqlType as TwoValued<X, T, DB>>::two_valued(x)
}

/// Dispatch of [`two_valued`] on the comparison's SQL type.
pub trait TwoValued<X, T, DB> {
    /// The comparison as a `Bool` filter.
    fn two_valued(x: X) -> BoxedFilter<T, DB>;
}

impl<X, T, DB> TwoValued<X, T, DB> for Bool
where
    DB: diesel::backend::Backend,
    X: BoxableExpression<T, DB, SqlType = Bool> + Send + 'static,
{
    #[inline]
    fn two_valued(x: X) -> BoxedFilter<T, DB> {
        Box::new(x)
    }
}

impl<X, T, DB> TwoValued<X, T, DB> for Nullable<Bool>
where
    DB: diesel::backend::Backend,
    X: diesel::Expression<SqlType = Nullable<Bool>>,
    coalesce<X, Literal<Bool>>: BoxableExpression<T, DB, SqlType = Bool> + Send + 'static,
{
    #[inline]
    fn two_valued(x: X) -> BoxedFilter<T, DB> {
        Box::new(coalesce(x, Literal::<Bool>::new("FALSE")))
    }
}

/// A leaf of a rule's condition: its identity for the simplifier and its SQL.
pub struct SqlLeaf<T, DB> {
    /// What the leaf tests; equal keys select equal rows.
    pub key: LeafKey,
    /// The leaf's two-valued SQL.
    pub sql: BoxedFilter<T, DB>,
}

impl<T, DB> Keyed for SqlLeaf<T, DB> {
    fn key(&self) -> Option<&LeafKey> {
        Some(&self.key)
    }
}

/// A rule condition on table `T` for backend `DB`, before simplification.
pub type SqlCond<T, DB> = Cond<SqlLeaf<T, DB>>;

/// A leaf condition.
#[inline]
pub fn leaf<T, DB>(key: LeafKey, sql: BoxedFilter<T, DB>) -> SqlCond<T, DB> {
    Cond::Leaf(SqlLeaf { key, sql })
}

/// Renders a condition tree as one filter, every operand parenthesized.
pub fn render<T: 'static, DB: Backend + 'static>(cond: SqlCond<T, DB>) -> BoxedFilter<T, DB>
where
    Literal<Bool>: BoxableExpression<T, DB, SqlType = Bool>,
{
    match cond {
        Cond::True => true_(),
        Cond::False => false_(),
        Cond::Leaf(l) => l.sql,
        Cond::Not(c) => Box::new(Junction::new(JunctionOp::Not, vec![render(*c)])),
        Cond::And(cs) if cs.is_empty() => true_(),
        Cond::Or(cs) if cs.is_empty() => false_(),
        Cond::And(cs) => Box::new(Junction::new(
            JunctionOp::And,
            cs.into_iter().map(render).collect(),
        )),
        Cond::Or(cs) => Box::new(Junction::new(
            JunctionOp::Or,
            cs.into_iter().map(render).collect(),
        )),
    }
}

/// `(a) AND (b) AND ..`: every operand in its own parentheses, so an operand that is raw SQL
/// with an `OR` inside (`sql("1 = 1 OR 1 = 1")`) cannot escape the conjunction.
pub fn and_all<T: 'static, DB: Backend + 'static>(
    parts: Vec<BoxedFilter<T, DB>>,
) -> BoxedFilter<T, DB>
where
    Literal<Bool>: BoxableExpression<T, DB, SqlType = Bool>,
{
    if parts.is_empty() {
        return true_();
    }
    Box::new(Junction::new(JunctionOp::And, parts))
}

/// `(a) OR (b) OR ..`, every operand parenthesized; `FALSE` for none.
pub fn or_all<T: 'static, DB: Backend + 'static>(
    parts: Vec<BoxedFilter<T, DB>>,
) -> BoxedFilter<T, DB>
where
    Literal<Bool>: BoxableExpression<T, DB, SqlType = Bool>,
{
    if parts.is_empty() {
        return false_();
    }
    Box::new(Junction::new(JunctionOp::Or, parts))
}

/// `SELECT COUNT(*) FROM (<query>) AS __portcullis_capped`: counts the rows of a query (with
/// its `LIMIT`), which diesel's DSL cannot say without an alias of the same table.
#[doc(hidden)]
pub struct CountOf<Q>(pub Q);

impl<Q> diesel::query_builder::Query for CountOf<Q> {
    type SqlType = diesel::sql_types::BigInt;
}

impl<Q> diesel::query_builder::QueryId for CountOf<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: diesel::query_builder::QueryFragment<DB>, DB: Backend>
    diesel::query_builder::QueryFragment<DB> for CountOf<Q>
{
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
    ) -> diesel::QueryResult<()> {
        out.push_sql("SELECT COUNT(*) FROM (");
        self.0.walk_ast(out.reborrow())?;
        out.push_sql(") AS __portcullis_capped");
        Ok(())
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum JunctionOp {
    And,
    Or,
    Not,
}

/// `AND`/`OR` over any number of boxed filters, or `NOT` over one; renders
/// `((a) AND (b))`. diesel's own `and` does not group its operands, which let a raw-SQL
/// narrowing filter widen a scope.
struct Junction<T, DB> {
    op: JunctionOp,
    parts: Vec<BoxedFilter<T, DB>>,
}

impl<T, DB> Junction<T, DB> {
    fn new(op: JunctionOp, parts: Vec<BoxedFilter<T, DB>>) -> Self {
        Self { op, parts }
    }
}

impl<T, DB> diesel::Expression for Junction<T, DB> {
    type SqlType = Bool;
}

impl<T, DB> diesel::AppearsOnTable<T> for Junction<T, DB> {}

impl<T, DB> diesel::SelectableExpression<T> for Junction<T, DB> {}

impl<T, DB> diesel::expression::ValidGrouping<()> for Junction<T, DB> {
    type IsAggregate = diesel::expression::is_aggregate::No;
}

impl<T, DB> diesel::query_builder::QueryId for Junction<T, DB> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<T, DB: Backend> diesel::query_builder::QueryFragment<DB> for Junction<T, DB> {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
    ) -> diesel::QueryResult<()> {
        let sep = match self.op {
            JunctionOp::And => " AND ",
            JunctionOp::Or => " OR ",
            JunctionOp::Not => {
                out.push_sql("NOT ");
                ""
            }
        };
        out.push_sql("(");
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                out.push_sql(sep);
            }
            out.push_sql("(");
            part.walk_ast(out.reborrow())?;
            out.push_sql(")");
        }
        out.push_sql(")");
        Ok(())
    }
}

/// A literal known when the policy compiles, written into the SQL text rather than bound
/// (`archived = TRUE`, `status = 'open'`), typed like `column`: the planner sees it, so
/// partial indexes and selectivity estimates work. Subject values stay bound parameters.
#[inline]
pub fn literal<C: diesel::Expression>(_column: &C, sql: &'static str) -> Literal<C::SqlType> {
    Literal::new(sql)
}

// ---- backend differences the condition SQL works around -----------------------------------

/// What a backend needs for condition leaves to mean what the Rust predicate means: NaN
/// handling for float columns, and how an `in` list of any length is bound. Implemented for
/// the backends portcullis supports; generated code reaches it through
/// `Col::cmp_sql` and `Col::in_sql`.
#[doc(hidden)]
pub trait Dialect: Backend + Sized + 'static {
    /// Whether `in` lists are bound as one JSON array (SQLite, whose limit of bound variables a
    /// list of one parameter per value can exceed).
    const JSON_LISTS: bool;

    /// `cmp` on a float `column`, false where the column holds NaN. The predicate treats NaN
    /// like NULL; PostgreSQL stores NaN, orders it above every number and makes `NaN = NaN`
    /// true, so `>`, `>=` and `!=` need the guard. SQLite cannot store NaN (it becomes NULL).
    fn exclude_nan<Tbl: 'static, C: QueryFragment<Self> + Send + 'static>(
        column: C,
        cmp: BoxedFilter<Tbl, Self>,
    ) -> BoxedFilter<Tbl, Self>;

    /// `column IN (<values of the JSON array json>)`, two-valued (`FALSE` for a NULL column),
    /// or `None` where lists are bound otherwise.
    fn in_json<Tbl: 'static, C: QueryFragment<Self> + Send + 'static>(
        column: C,
        json: String,
        nullable: bool,
    ) -> Option<BoxedFilter<Tbl, Self>>;
}

#[cfg(feature = "sqlite")]
impl Dialect for Sqlite {
    const JSON_LISTS: bool = true;

    #[inline]
    fn exclude_nan<Tbl: 'static, C: QueryFragment<Self> + Send + 'static>(
        _column: C,
        cmp: BoxedFilter<Tbl, Self>,
    ) -> BoxedFilter<Tbl, Self> {
        // SQLite stores NaN as NULL, which the comparison already rejects; a NaN subject value
        // never reaches SQL (the leaf is `FALSE`).
        cmp
    }

    fn in_json<Tbl: 'static, C: QueryFragment<Self> + Send + 'static>(
        column: C,
        json: String,
        nullable: bool,
    ) -> Option<BoxedFilter<Tbl, Self>> {
        Some(Box::new(InJson {
            column,
            json,
            nullable,
        }))
    }
}

#[cfg(feature = "postgres")]
impl Dialect for Pg {
    const JSON_LISTS: bool = false;

    #[inline]
    fn exclude_nan<Tbl: 'static, C: QueryFragment<Self> + Send + 'static>(
        column: C,
        cmp: BoxedFilter<Tbl, Self>,
    ) -> BoxedFilter<Tbl, Self> {
        Box::new(ExcludeNan { column, cmp })
    }

    #[inline]
    fn in_json<Tbl: 'static, C: QueryFragment<Self> + Send + 'static>(
        _column: C,
        _json: String,
        _nullable: bool,
    ) -> Option<BoxedFilter<Tbl, Self>> {
        // `eq_any` binds the list as one array: `= ANY($1)`.
        None
    }
}

/// Implements the expression traits of a filter node that is `Bool`, on any table.
// The SQL side of a field handle: kept here, with the dialects, so the model layer renders no
// SQL. Generated rule code calls these through `Col`.
impl<C: Default, T: 'static, E: FieldAt<I, Ty = T>, const I: usize> Col<C, T, E, I> {
    /// The SQL of a comparison leaf `column op value`, made to agree with the predicate on
    /// NaN: for float columns on a backend that stores NaN (PostgreSQL orders it above every
    /// number and makes `NaN = NaN` true), `>`, `>=` and `!=` also require the column not to be
    /// NaN. Other types and operators keep the comparison as it is (index-friendly).
    #[doc(hidden)]
    #[inline]
    pub fn cmp_sql<Tbl, DB>(&self, op: LeafOp, cmp: BoxedFilter<Tbl, DB>) -> BoxedFilter<Tbl, DB>
    where
        T: FieldType,
        DB: Dialect,
        C: diesel::query_builder::QueryFragment<DB> + Send + 'static,
        Tbl: 'static,
    {
        if T::UNORDERED_IN_SQL && matches!(op, LeafOp::Gt | LeafOp::Ge | LeafOp::Ne) {
            DB::exclude_nan(self.column(), cmp)
        } else {
            cmp
        }
    }

    /// The SQL of `field in list`: on SQLite one bound JSON array read by `json_each` (any
    /// length; one parameter per value would stop at SQLite's limit of bound variables), else
    /// what `bound` builds from the list (`= ANY($1)` with one array on PostgreSQL).
    #[doc(hidden)]
    #[inline]
    pub fn in_sql<Tbl, DB>(
        &self,
        list: &[T::Value],
        bound: impl FnOnce(Vec<T::Value>) -> BoxedFilter<Tbl, DB>,
    ) -> BoxedFilter<Tbl, DB>
    where
        T: FieldType,
        DB: Dialect,
        C: diesel::query_builder::QueryFragment<DB> + Send + 'static,
        Tbl: 'static,
    {
        if DB::JSON_LISTS
            && let Some(json) = T::json_list(list)
            && let Some(filter) = DB::in_json(self.column(), json, T::NULLABLE)
        {
            return filter;
        }
        bound(list.to_vec())
    }
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
macro_rules! bool_filter_node {
    ($name:ident<$($p:ident),*>) => {
        impl<$($p),*> diesel::Expression for $name<$($p),*> {
            type SqlType = Bool;
        }
        impl<QS, $($p),*> diesel::AppearsOnTable<QS> for $name<$($p),*> {}
        impl<QS, $($p),*> diesel::SelectableExpression<QS> for $name<$($p),*> {}
        impl<$($p),*> diesel::expression::ValidGrouping<()> for $name<$($p),*> {
            type IsAggregate = diesel::expression::is_aggregate::No;
        }
        impl<$($p),*> diesel::query_builder::QueryId for $name<$($p),*> {
            type QueryId = ();
            const HAS_STATIC_QUERY_ID: bool = false;
        }
    };
}

/// `((cmp) AND (column <> 'NaN'))`: two-valued when `cmp` is (`FALSE AND NULL` is `FALSE`,
/// and a `TRUE` comparison implies a non-NULL column).
#[cfg(feature = "postgres")]
struct ExcludeNan<C, Tbl> {
    column: C,
    cmp: BoxedFilter<Tbl, Pg>,
}

#[cfg(feature = "postgres")]
bool_filter_node!(ExcludeNan<C, Tbl>);

#[cfg(feature = "postgres")]
impl<C: QueryFragment<Pg>, Tbl> QueryFragment<Pg> for ExcludeNan<C, Tbl> {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, Pg>,
    ) -> diesel::QueryResult<()> {
        out.push_sql("((");
        self.cmp.walk_ast(out.reborrow())?;
        out.push_sql(") AND (");
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" <> 'NaN'))");
        Ok(())
    }
}

/// `column IN (SELECT value FROM json_each(?))` with the list bound as one JSON text, so its
/// length is not bounded by SQLite's limit on bound variables; SQLite still searches the
/// column's index once per value. A nullable column is tested for NULL first (`NULL IN (..)`
/// is NULL, which `NOT` would keep NULL).
#[cfg(feature = "sqlite")]
struct InJson<C> {
    column: C,
    json: String,
    nullable: bool,
}

#[cfg(feature = "sqlite")]
bool_filter_node!(InJson<C>);

#[cfg(feature = "sqlite")]
impl<C: QueryFragment<Sqlite>> QueryFragment<Sqlite> for InJson<C> {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, Sqlite>,
    ) -> diesel::QueryResult<()> {
        if self.nullable {
            out.push_sql("(");
            self.column.walk_ast(out.reborrow())?;
            out.push_sql(" IS NOT NULL AND ");
        }
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" IN (SELECT value FROM json_each(");
        out.push_bind_param::<diesel::sql_types::Text, String>(&self.json)?;
        out.push_sql("))");
        if self.nullable {
            out.push_sql(")");
        }
        Ok(())
    }
}

// ---- callbacks for generated code -------------------------------------------------------------
// `#[derive(Resource)]` and `#[policy]` emit one block per backend portcullis knows, wrapped in
// these macros; whether a block survives is decided by *portcullis's* features, never the user's.

#[cfg(feature = "sqlite")]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_sqlite {
    ({$($yes:tt)*} else {$($no:tt)*}) => { $($yes)* };
}
#[cfg(not(feature = "sqlite"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_sqlite {
    ({$($yes:tt)*} else {$($no:tt)*}) => { $($no)* };
}
#[cfg(feature = "postgres")]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_postgres {
    ({$($yes:tt)*} else {$($no:tt)*}) => { $($yes)* };
}
#[cfg(not(feature = "postgres"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_postgres {
    ({$($yes:tt)*} else {$($no:tt)*}) => { $($no)* };
}
