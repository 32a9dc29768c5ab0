//! SQL filters: boxed diesel expressions per enabled backend, the two-valued (NULL-safe) mapping
//! of conditions, and the `if_<backend>!` callbacks that keep generated code independent of the
//! user's cargo features.

use diesel::expression::BoxableExpression;
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
    DB: diesel::backend::Backend,
    diesel::expression::SqlLiteral<Bool>: BoxableExpression<T, DB, SqlType = Bool>,
{
    Box::new(diesel::dsl::sql::<Bool>("TRUE"))
}

/// `FALSE` as a filter: what an empty rule set compiles to.
pub fn false_<T, DB>() -> BoxedFilter<T, DB>
where
    DB: diesel::backend::Backend,
    diesel::expression::SqlLiteral<Bool>: BoxableExpression<T, DB, SqlType = Bool>,
{
    Box::new(diesel::dsl::sql::<Bool>("FALSE"))
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
    coalesce<X, bool>: BoxableExpression<T, DB, SqlType = Bool> + Send + 'static,
{
    #[inline]
    fn two_valued(x: X) -> BoxedFilter<T, DB> {
        Box::new(coalesce(x, false))
    }
}

/// `a AND b`.
pub fn and<T: 'static, DB: diesel::backend::Backend + 'static>(
    a: BoxedFilter<T, DB>,
    b: BoxedFilter<T, DB>,
) -> BoxedFilter<T, DB>
where
    BoxedFilter<T, DB>: diesel::expression::ValidGrouping<()>,
    diesel::dsl::And<BoxedFilter<T, DB>, BoxedFilter<T, DB>>:
        BoxableExpression<T, DB, SqlType = Bool> + Send,
{
    use diesel::BoolExpressionMethods;
    Box::new(a.and(b))
}

/// `a OR b`.
pub fn or<T: 'static, DB: diesel::backend::Backend + 'static>(
    a: BoxedFilter<T, DB>,
    b: BoxedFilter<T, DB>,
) -> BoxedFilter<T, DB>
where
    diesel::dsl::Or<BoxedFilter<T, DB>, BoxedFilter<T, DB>>:
        BoxableExpression<T, DB, SqlType = Bool> + Send,
{
    use diesel::BoolExpressionMethods;
    Box::new(a.or(b))
}

/// `NOT a`.
pub fn not<T: 'static, DB: diesel::backend::Backend + 'static>(
    a: BoxedFilter<T, DB>,
) -> BoxedFilter<T, DB>
where
    diesel::helper_types::not<BoxedFilter<T, DB>>: BoxableExpression<T, DB, SqlType = Bool> + Send,
{
    Box::new(diesel::dsl::not(a))
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
