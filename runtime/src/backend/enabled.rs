//! The backends this build of portcullis has, as types. [`SqlBackend`] is implemented once per
//! enabled backend (`Sqlite`, `Pg`), and is the only place the layers above learn which
//! backends exist: code above is written once, generic over `DB: SqlBackend`, and each backend
//! picks its own part here (its builder of a rule's pair, its half of a narrowing filter).
//!
//! Where a backend-generic value must cross a `dyn` boundary (a `dyn RuleSet` has no generic
//! methods), [`ForBackend`] carries it as one variant per enabled backend, and
//! [`ForBackend::run`] hands it back to generic code ([`OnBackend`]), monomorphised per backend:
//! a `match` on the variant, no virtual call.

use crate::backend::ops::NarrowFilter;
use crate::backend::sql::{BoxedFilter, Dialect, SqlCond};
use std::marker::PhantomData;

#[cfg(feature = "postgres")]
use crate::backend::sql::Pg;
#[cfg(feature = "sqlite")]
use crate::backend::sql::Sqlite;

/// A backend this build of portcullis has: implemented for `Sqlite` with the `sqlite` feature
/// and for `Pg` with `postgres`, and nowhere else. Code above the backend layer is generic over
/// it instead of carrying one method per backend.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// use diesel::{QueryDsl, debug_query};
/// use portcullis::backend::enabled::SqlBackend;
/// use portcullis::sql::Sqlite;
/// use portcullis::{Read, Scope};
///
/// // One function for every backend the build has.
/// fn where_sql<DB: SqlBackend>(scope: &Scope<Document, Read>) -> portcullis::sql::BoxedFilter<documents::table, DB> {
///     scope.filter_for::<DB>()
/// }
/// let filter = where_sql::<Sqlite>(&documents(&alice()).scope());
/// let sql = debug_query::<Sqlite, _>(&documents::table.filter(filter)).to_string();
/// assert!(sql.contains("`documents`.`tenant_id` = ?"), "{sql}");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a backend this build of portcullis has",
    note = "the backends are `portcullis::sql::Sqlite` (feature `sqlite`) and `portcullis::sql::Pg` (feature `postgres`)"
)]
pub trait SqlBackend: Dialect {
    /// This backend's condition out of the builder pair `#[policy]` emits for a rule.
    #[doc(hidden)]
    fn build_side<T, S: SqliteSide<T>, P: PgSide<T>>(sqlite: &S, pg: &P) -> SqlCond<T, Self>;

    /// This backend's half of a caller's narrowing filter.
    #[doc(hidden)]
    fn narrowed<T>(filter: &NarrowFilter<T>) -> BoxedFilter<T, Self>;

    /// `x`, for this backend, as the variant of [`ForBackend`] that a `dyn` method can take.
    fn for_backend<F: PerBackend>(x: &mut F::Of<Self>) -> ForBackend<'_, F>;
}

#[cfg(feature = "sqlite")]
impl SqlBackend for Sqlite {
    #[inline(always)]
    fn build_side<T, S: SqliteSide<T>, P: PgSide<T>>(sqlite: &S, _: &P) -> SqlCond<T, Self> {
        sqlite.build()
    }

    #[inline(always)]
    fn narrowed<T>(filter: &NarrowFilter<T>) -> BoxedFilter<T, Self> {
        (filter.sqlite)()
    }

    #[inline(always)]
    fn for_backend<F: PerBackend>(x: &mut F::Of<Self>) -> ForBackend<'_, F> {
        ForBackend::Sqlite(x)
    }
}

#[cfg(feature = "postgres")]
impl SqlBackend for Pg {
    #[inline(always)]
    fn build_side<T, S: SqliteSide<T>, P: PgSide<T>>(_: &S, pg: &P) -> SqlCond<T, Self> {
        pg.build()
    }

    #[inline(always)]
    fn narrowed<T>(filter: &NarrowFilter<T>) -> BoxedFilter<T, Self> {
        (filter.postgres)()
    }

    #[inline(always)]
    fn for_backend<F: PerBackend>(x: &mut F::Of<Self>) -> ForBackend<'_, F> {
        ForBackend::Pg(x)
    }
}

/// A family of types with one member per backend (`SqlAcc<T, DB>` for every `DB`), so that a
/// member can cross a `dyn` boundary as a [`ForBackend`].
///
/// # Examples
///
/// ```
/// use portcullis::backend::enabled::{PerBackend, SqlBackend};
///
/// struct Counts;
/// impl PerBackend for Counts {
///     type Of<DB: SqlBackend> = Vec<u32>;
/// }
/// ```
pub trait PerBackend {
    /// The member for backend `DB`.
    type Of<DB: SqlBackend>;
}

/// `&mut F::Of<DB>` for whichever enabled backend `DB` is: one variant per backend. A method
/// of a `dyn` trait takes it where a generic method would take `&mut F::Of<DB>`.
///
/// # Examples
///
/// ```
/// use portcullis::backend::enabled::{ForBackend, OnBackend, PerBackend, SqlBackend};
/// use portcullis::sql::Sqlite;
///
/// struct Names;
/// impl PerBackend for Names {
///     type Of<DB: SqlBackend> = Vec<&'static str>;
/// }
/// struct PushName;
/// impl OnBackend<Names> for PushName {
///     type Output = ();
///     fn on<DB: SqlBackend>(self, names: &mut Vec<&'static str>) {
///         names.push(std::any::type_name::<DB>());
///     }
/// }
/// let mut names = Vec::new();
/// <Sqlite as SqlBackend>::for_backend::<Names>(&mut names).run(PushName);
/// assert!(names.len() == 1 && names[0].ends_with("Sqlite"), "{names:?}");
/// ```
pub enum ForBackend<'a, F: PerBackend> {
    /// On SQLite.
    #[cfg(feature = "sqlite")]
    Sqlite(&'a mut F::Of<Sqlite>),
    /// On PostgreSQL.
    #[cfg(feature = "postgres")]
    Pg(&'a mut F::Of<Pg>),
    /// Never built: keeps `'a` and `F` used in a build without any backend.
    #[doc(hidden)]
    __None(std::convert::Infallible, PhantomData<(&'a (), F)>),
}

/// Code generic over the backend, run by [`ForBackend::run`] on the backend of its value (a
/// closure cannot be generic, so this is a trait with a generic method).
///
/// # Examples
///
/// See [`ForBackend`].
pub trait OnBackend<F: PerBackend> {
    /// What the code returns.
    type Output;
    /// Runs on `x`, the member of `F` for backend `DB`.
    fn on<DB: SqlBackend>(self, x: &mut F::Of<DB>) -> Self::Output;
}

impl<F: PerBackend> ForBackend<'_, F> {
    /// Runs `code` monomorphised for this value's backend.
    ///
    /// # Examples
    ///
    /// See [`ForBackend`].
    #[inline(always)]
    pub fn run<V: OnBackend<F>>(self, code: V) -> V::Output {
        match self {
            #[cfg(feature = "sqlite")]
            ForBackend::Sqlite(x) => code.on::<Sqlite>(x),
            #[cfg(feature = "postgres")]
            ForBackend::Pg(x) => code.on::<Pg>(x),
            ForBackend::__None(never, _) => match never {},
        }
    }

    /// The same value for a shorter borrow, to pass on while keeping this one.
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::backend::enabled::{ForBackend, OnBackend, PerBackend, SqlBackend};
    /// use portcullis::sql::Sqlite;
    ///
    /// struct Count;
    /// impl PerBackend for Count {
    ///     type Of<DB: SqlBackend> = u32;
    /// }
    /// struct Add;
    /// impl OnBackend<Count> for Add {
    ///     type Output = ();
    ///     fn on<DB: SqlBackend>(self, n: &mut u32) {
    ///         *n += 1;
    ///     }
    /// }
    /// let mut n = 0;
    /// let mut each = <Sqlite as SqlBackend>::for_backend::<Count>(&mut n);
    /// each.reborrow().run(Add);
    /// each.run(Add);
    /// assert_eq!(n, 2);
    /// ```
    #[inline(always)]
    pub fn reborrow(&mut self) -> ForBackend<'_, F> {
        match self {
            #[cfg(feature = "sqlite")]
            ForBackend::Sqlite(x) => ForBackend::Sqlite(&mut **x),
            #[cfg(feature = "postgres")]
            ForBackend::Pg(x) => ForBackend::Pg(&mut **x),
            ForBackend::__None(never, _) => match *never {},
        }
    }
}

/// The SQLite builder of a rule's condition: a closure when the backend is enabled, `()`
/// otherwise. `#[policy]` writes one beside a [`PgSide`] for each rule.
///
/// # Examples
///
/// ```
/// use portcullis::backend::enabled::SqliteSide;
/// use portcullis::sql::{Sqlite, SqlCond};
///
/// fn is_side<T, S: SqliteSide<T>>(_: &S) {}
/// // The closure `#[policy]` writes for a rule that matches every row.
/// is_side::<(), _>(&|| -> SqlCond<(), Sqlite> { portcullis::cond::Cond::True });
/// ```
pub trait SqliteSide<T>: Send + Sync + 'static {
    #[cfg(feature = "sqlite")]
    #[doc(hidden)]
    fn build(&self) -> SqlCond<T, Sqlite>;
}
#[cfg(feature = "sqlite")]
impl<T, F: Fn() -> SqlCond<T, Sqlite> + Send + Sync + 'static> SqliteSide<T> for F {
    #[inline(always)]
    fn build(&self) -> SqlCond<T, Sqlite> {
        self()
    }
}
#[cfg(not(feature = "sqlite"))]
impl<T> SqliteSide<T> for () {}

/// The PostgreSQL builder of a rule's condition: a closure with the `postgres` feature, `()`
/// otherwise.
///
/// # Examples
///
/// ```
/// use portcullis::backend::enabled::PgSide;
///
/// fn is_side<T, S: PgSide<T>>(_: &S) {}
/// # #[cfg(not(feature = "postgres"))]
/// is_side::<(), _>(&()); // without the `postgres` feature there is nothing to build
/// ```
pub trait PgSide<T>: Send + Sync + 'static {
    #[cfg(feature = "postgres")]
    #[doc(hidden)]
    fn build(&self) -> SqlCond<T, Pg>;
}
#[cfg(feature = "postgres")]
impl<T, F: Fn() -> SqlCond<T, Pg> + Send + Sync + 'static> PgSide<T> for F {
    #[inline(always)]
    fn build(&self) -> SqlCond<T, Pg> {
        self()
    }
}
#[cfg(not(feature = "postgres"))]
impl<T> PgSide<T> for () {}
