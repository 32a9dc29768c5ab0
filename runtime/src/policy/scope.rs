//! `Scope<E, A>`: the rows of `E` a subject may `A`, as a SQL filter, and the narrow-only query
//! builder over it. There is no way to widen a scope: every builder method ANDs or limits.
//!
//! ```
//! # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
//! use diesel::{BoolExpressionMethods, ExpressionMethods, TextExpressionMethods};
//! use portcullis::Read;
//!
//! # block_on(async {
//! # let pool = pool().await;
//! let scope = documents(&alice()).scope::<Read>(); // tenant 1: documents 1 and 2
//! let query = scope.query().filter(documents::title.like("B%"));
//! assert_eq!(query.count(&pool).await?, 1);
//! // An `OR` inside a filter is ANDed with the scope as a whole: it cannot reach document 3.
//! let wide = scope.query().filter(documents::title.like("%").or(documents::tenant_id.eq(2)));
//! assert_eq!(wide.count(&pool).await?, 2);
//! # Ok::<(), portcullis::db::DbError>(()) }).unwrap();
//! ```

use crate::backend::db::{Database, DbError, Pool};
use crate::backend::enabled::SqlBackend;
use crate::backend::ops::{
    BackendOps, Filter, NarrowFilter, QuerySpec, ScopeSql, Stored, on_backend,
};
use crate::backend::page::{Cursor, CursorError, CursorPage, KeyOp, PageError, Total};
use crate::backend::sql::BoxedFilter;
use crate::model::BoxFuture;
use crate::model::action::{Action, Capabilities, Governs, Read};
use crate::model::resource::{Order, Resource};
use crate::model::shaped::{Page, Shape, Shaped};
use crate::policy::ability::Ability;
use crate::policy::rules::{DynRules, RuleSet, SqlAcc};
use std::marker::PhantomData;
use std::sync::Arc;

// `Ability::scope` lives here rather than in `ability.rs`: a scope is built from an ability
// and gives one back, and keeping both directions in this file keeps `ability` below `scope`.
impl<E: Resource, R: RuleSet<E>> Ability<E, R> {
    /// The SQL-backed scope of `A` for this subject.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Read;
    ///
    /// # block_on(async {
    /// let pool = pool().await;
    /// let scope = documents(&alice()).scope::<Read>();
    /// let rows = scope.query().order_by(|f| f.id.asc()).load(&pool).await?;
    /// let ids: Vec<i64> = rows.iter().map(|d| d.id).collect();
    /// assert_eq!(ids, [1, 2]); // tenant 1's documents, never document 3
    /// # Ok::<(), portcullis::db::DbError>(()) }).unwrap();
    /// ```
    pub fn scope<A: Action>(&self) -> Scope<E, A>
    where
        E: Governs<A>,
        R: Clone,
    {
        Scope::__new(Arc::new(self.rules().clone()))
    }
}

/// The largest page [`Query::paginate`] returns; larger requests are capped.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// use portcullis::Read;
///
/// # block_on(async {
/// let pool = pool().await;
/// let page = documents(&alice()).scope::<Read>().query().paginate(1, 5000, &pool).await?;
/// assert_eq!(page.per_page, i64::from(portcullis::scope::MAX_PER_PAGE));
/// # Ok::<(), portcullis::db::DbError>(()) }).unwrap();
/// ```
pub const MAX_PER_PAGE: u32 = 1000;

/// The rows of `E` the subject may `A`: `(any allow) AND NOT (any field-less deny)`.
///
/// Made by [`Ability::scope`], [`Policy::scope_for`](crate::Policy::scope_for) or, in a
/// handler, the [`Scoped`](crate::Scoped) extractor. The Rust predicate ([`Scope::contains`])
/// and the SQL filter select the same rows.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// use portcullis::{Read, Scope};
///
/// let scope: Scope<Document, Read> = documents(&alice()).scope();
/// assert!(scope.contains(&doc(2, 1, 2, "Budget")));
/// assert!(!scope.contains(&doc(3, 2, 3, "Other tenant")));
/// assert_eq!(format!("{scope:?}"), "Scope<Document, read>");
/// ```
pub struct Scope<E: Governs<A>, A: Action> {
    rules: DynRules<E>,
    _a: PhantomData<fn() -> A>,
}

impl<E: Governs<A>, A: Action> Clone for Scope<E, A> {
    fn clone(&self) -> Self {
        Self {
            rules: self.rules.clone(),
            _a: PhantomData,
        }
    }
}

impl<E: Governs<A>, A: Action> std::fmt::Debug for Scope<E, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Scope<{}, {}>", E::NAME, A::NAME)
    }
}

impl<E: Governs<A>, A: Action> Scope<E, A> {
    #[doc(hidden)]
    pub fn __new(rules: DynRules<E>) -> Self {
        Self {
            rules,
            _a: PhantomData,
        }
    }

    /// The ability the scope came from.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::{Read, Update};
    ///
    /// let scope = documents(&alice()).scope::<Read>();
    /// assert!(scope.ability().can::<Update>(&doc(1, 1, 1, "Plan")));
    /// ```
    pub fn ability(&self) -> Ability<E> {
        Ability::__new(self.rules.clone())
    }

    /// Whether `row` is in the scope (the Rust predicate; agrees with the SQL filter).
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Update;
    ///
    /// let scope = documents(&alice()).scope::<Update>();
    /// assert!(scope.contains(&doc(1, 1, 1, "Plan")));
    /// assert!(!scope.contains(&doc(2, 1, 2, "Budget"))); // Bob's
    /// ```
    pub fn contains(&self, row: &E) -> bool {
        self.ability().can::<A>(row)
    }

    /// The scope as a filter on backend `DB`, one of the backends this build has
    /// ([`SqlBackend`]).
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use diesel::{QueryDsl, debug_query};
    /// use portcullis::Read;
    /// use portcullis::sql::Sqlite;
    ///
    /// let filter = documents(&alice()).scope::<Read>().filter_for::<Sqlite>();
    /// let sql = debug_query::<Sqlite, _>(&documents::table.filter(filter)).to_string();
    /// assert!(sql.ends_with("WHERE (`documents`.`tenant_id` = ?) -- binds: [1]"), "{sql}");
    /// ```
    pub fn filter_for<DB: SqlBackend>(&self) -> BoxedFilter<E::Table, DB> {
        let mut acc = SqlAcc::default();
        self.rules.sql(<E as Governs<A>>::BIT, &mut acc);
        acc.finish()
    }

    // The two methods below are the backend `cfg`s left outside `backend/`: public names that
    // exist only in a build with their backend (ARCHITECTURE.md, "Layers"). Both are
    // `filter_for` with the backend spelled out.

    /// The scope as a SQLite filter: [`Scope::filter_for::<Sqlite>`](Scope::filter_for).
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use diesel::{QueryDsl, debug_query};
    /// use portcullis::Read;
    /// use portcullis::sql::Sqlite;
    ///
    /// let filter = documents(&alice()).scope::<Read>().sqlite_filter();
    /// let sql = debug_query::<Sqlite, _>(&documents::table.filter(filter)).to_string();
    /// assert!(sql.ends_with("WHERE (`documents`.`tenant_id` = ?) -- binds: [1]"), "{sql}");
    /// ```
    #[cfg(feature = "sqlite")]
    pub fn sqlite_filter(&self) -> BoxedFilter<E::Table, crate::backend::sql::Sqlite> {
        self.filter_for()
    }

    /// The scope as a PostgreSQL filter: [`Scope::filter_for::<Pg>`](Scope::filter_for).
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use diesel::{QueryDsl, debug_query};
    /// use portcullis::Read;
    /// use portcullis::sql::Pg;
    ///
    /// let filter = documents(&alice()).scope::<Read>().postgres_filter();
    /// let sql = debug_query::<Pg, _>(&documents::table.filter(filter)).to_string();
    /// assert!(sql.ends_with(r#"WHERE ("documents"."tenant_id" = $1) -- binds: [1]"#), "{sql}");
    /// ```
    #[cfg(feature = "postgres")]
    pub fn postgres_filter(&self) -> BoxedFilter<E::Table, crate::backend::sql::Pg> {
        self.filter_for()
    }

    /// The filter an `UPDATE` of the fields in `fields` carries on backend `DB` (the scope
    /// and, per field, the rules permitting it); for tests of field-level rules.
    #[doc(hidden)]
    pub fn __write_filter<DB: SqlBackend>(
        &self,
        fields: crate::model::resource::FieldSet<E>,
    ) -> BoxedFilter<E::Table, DB> {
        ScopeSql::sql_filter(&WriteScope {
            scope: self,
            fields: fields.bits(),
        })
    }

    /// A query over the scope, to narrow and run.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Read;
    ///
    /// # block_on(async {
    /// let pool = pool().await;
    /// let rows = documents(&alice()).scope::<Read>().query().load(&pool).await?;
    /// assert_eq!(rows.len(), 2);
    /// # Ok::<(), portcullis::db::DbError>(()) }).unwrap();
    /// ```
    pub fn query(&self) -> Query<E, A> {
        Query {
            scope: self.clone(),
            filters: Vec::new(),
            order: Vec::new(),
            limit: None,
            offset: None,
            total_cap: None,
        }
    }

    /// Shapes rows for a response with the fields this subject may read.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Read;
    ///
    /// # block_on(async {
    /// let pool = pool().await;
    /// let scope = documents(&alice()).scope::<Read>();
    /// let rows = scope.query().order_by(|f| f.id.asc()).limit(1).load(&pool).await?;
    /// let json = serde_json::to_string(&scope.shape(rows)).unwrap();
    /// assert_eq!(json, r#"[{"id":1,"owner_id":1,"title":"Plan"}]"#);
    /// # Ok::<(), portcullis::db::DbError>(()) }).unwrap();
    /// ```
    pub fn shape<T: Shape<Entity = E>>(&self, value: T) -> Shaped<T>
    where
        E: Governs<Read>,
    {
        self.ability().shape(value)
    }

    /// Shapes `value` and adds to each row which of `actions` the subject may take on it (see
    /// [`Ability::shape_with_capabilities`]).
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::{Read, Update};
    ///
    /// # block_on(async {
    /// let pool = pool().await;
    /// let scope = documents(&alice()).scope::<Read>();
    /// let rows = scope.query().order_by(|f| f.id.asc()).limit(1).load(&pool).await?;
    /// let json = serde_json::to_string(&scope.shape_with_capabilities(rows, (Update,))).unwrap();
    /// assert_eq!(json, r#"[{"id":1,"owner_id":1,"title":"Plan","_can":{"update":true}}]"#);
    /// # Ok::<(), portcullis::db::DbError>(()) }).unwrap();
    /// ```
    pub fn shape_with_capabilities<T, C>(&self, value: T, actions: C) -> Shaped<T>
    where
        E: Governs<Read>,
        T: Shape<Entity = E>,
        C: Capabilities<E>,
    {
        self.ability().shape_with_capabilities(value, actions)
    }
}

impl<E: Governs<A>, A: Action, DB: SqlBackend> ScopeSql<E::Table, DB> for Scope<E, A> {
    fn sql_filter(&self) -> BoxedFilter<E::Table, DB> {
        self.filter_for()
    }
}

/// A scope for writing the fields in `fields` (bit `i` = field `i`): the scope, and for each
/// written field an allow that permits it and no field-list deny that removes it. What an
/// `UPDATE` carries in its `WHERE`, so field-level rules are re-checked on the row as written.
pub(crate) struct WriteScope<'a, E: Governs<A>, A: Action> {
    pub(crate) scope: &'a Scope<E, A>,
    pub(crate) fields: u64,
}

impl<E: Governs<A>, A: Action, DB: SqlBackend> ScopeSql<E::Table, DB> for WriteScope<'_, E, A> {
    fn sql_filter(&self) -> BoxedFilter<E::Table, DB> {
        let mut acc = SqlAcc::for_write(self.fields);
        self.scope.rules.sql(<E as Governs<A>>::BIT, &mut acc);
        acc.finish()
    }
}

/// The scope ANDed with every narrowing filter.
impl<E: Governs<A>, A: Action, DB: SqlBackend> ScopeSql<E::Table, DB> for Query<E, A> {
    fn sql_filter(&self) -> BoxedFilter<E::Table, DB> {
        let mut parts = Vec::with_capacity(1 + self.filters.len());
        parts.push(self.scope.filter_for());
        parts.extend(self.filters.iter().map(DB::narrowed));
        crate::backend::sql::and_all(parts)
    }
}

/// A narrow-only query over a [`Scope`]: filters are ANDed with the scope, never ORed.
///
/// Every builder method narrows ([`filter`](Query::filter), [`limit`](Query::limit)) or
/// orders; none removes the scope, so a query cannot see a row its scope excludes.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// use portcullis::{Query, Read};
///
/// # block_on(async {
/// let pool = pool().await;
/// let query: Query<Document, Read> = documents(&alice()).scope().query();
/// let titles: Vec<String> = query
///     .order_by(|f| f.title.asc())
///     .load(&pool)
///     .await?
///     .into_iter()
///     .map(|d| d.title)
///     .collect();
/// assert_eq!(titles, ["Budget", "Plan"]);
/// # Ok::<(), portcullis::db::DbError>(()) }).unwrap();
/// ```
pub struct Query<E: Governs<A>, A: Action> {
    scope: Scope<E, A>,
    filters: Vec<NarrowFilter<E::Table>>,
    order: Vec<Order<E>>,
    limit: Option<i64>,
    offset: Option<i64>,
    total_cap: Option<u32>,
}

impl<E: Governs<A> + Stored, A: Action> Query<E, A> {
    /// Narrows with a diesel expression on the resource's table (ANDed with the scope).
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use diesel::ExpressionMethods;
    /// use portcullis::Read;
    ///
    /// # block_on(async {
    /// let pool = pool().await;
    /// let query = documents(&alice()).scope::<Read>().query();
    /// let bobs = query.filter(documents::owner_id.eq(2)).load(&pool).await?;
    /// assert_eq!(bobs[0].title, "Budget");
    /// // Document 3 matches the filter but not the scope.
    /// let other = documents(&alice()).scope::<Read>().query().filter(documents::id.eq(3));
    /// assert!(!other.exists(&pool).await?);
    /// # Ok::<(), portcullis::db::DbError>(()) }).unwrap();
    /// ```
    pub fn filter<F: Filter<E::Table>>(mut self, f: F) -> Self {
        self.filters.push(f.narrow());
        self
    }

    /// Orders by a field: `.order_by(|f| f.title.asc())`; later calls break ties.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Read;
    ///
    /// # block_on(async {
    /// let pool = pool().await;
    /// let query = documents(&alice()).scope::<Read>().query();
    /// let rows = query.order_by(|f| f.owner_id.desc()).order_by(|f| f.id.asc()).load(&pool).await?;
    /// assert_eq!(rows.iter().map(|d| d.id).collect::<Vec<_>>(), [2, 1]);
    /// # Ok::<(), portcullis::db::DbError>(()) }).unwrap();
    /// ```
    pub fn order_by(mut self, pick: impl FnOnce(&E::Fields) -> Order<E>) -> Self {
        self.order.push(pick(&E::FIELDS));
        self
    }

    /// At most `n` rows.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Read;
    ///
    /// # block_on(async {
    /// let pool = pool().await;
    /// let rows = documents(&alice()).scope::<Read>().query().limit(1).load(&pool).await?;
    /// assert_eq!(rows.len(), 1);
    /// # Ok::<(), portcullis::db::DbError>(()) }).unwrap();
    /// ```
    pub fn limit(mut self, n: i64) -> Self {
        self.limit = Some(n.max(0));
        self
    }

    /// Skips `n` rows.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Read;
    ///
    /// # block_on(async {
    /// let pool = pool().await;
    /// let query = documents(&alice()).scope::<Read>().query().order_by(|f| f.id.asc());
    /// let rows = query.offset(1).load(&pool).await?;
    /// assert_eq!(rows.iter().map(|d| d.id).collect::<Vec<_>>(), [2]);
    /// # Ok::<(), portcullis::db::DbError>(()) }).unwrap();
    /// ```
    pub fn offset(mut self, n: i64) -> Self {
        self.offset = Some(n.max(0));
        self
    }

    fn spec<DB>(&self) -> QuerySpec<E, DB>
    where
        Self: ScopeSql<E::Table, DB>,
    {
        QuerySpec {
            filter: self.sql_filter(),
            order: self.order.clone(),
            limit: self.limit,
            offset: self.offset,
        }
    }

    /// Runs the query.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Read;
    ///
    /// # block_on(async {
    /// let pool = pool().await;
    /// let rows = documents(&bob()).scope::<Read>().query().load(&pool).await?;
    /// assert!(rows.iter().all(|d| d.tenant_id == 1));
    /// # Ok::<(), portcullis::db::DbError>(()) }).unwrap();
    /// ```
    pub fn load<'a>(
        &'a self,
        pool: &'a (impl Database + ?Sized),
    ) -> BoxFuture<'a, Result<Vec<E>, DbError>> {
        Box::pin(self.load_on(pool.__pool()))
    }

    async fn load_on(&self, pool: &Pool) -> Result<Vec<E>, DbError> {
        tracing::debug!(target: "portcullis::scope", entity = E::NAME, action = A::NAME, "scoped load");
        on_backend!(pool, |conn: DB| {
            let spec = self.spec::<DB>();
            Ok(<E as BackendOps<DB>>::load(&mut conn, spec).await?)
        })
    }

    /// The first row, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Read;
    ///
    /// # block_on(async {
    /// let pool = pool().await;
    /// let query = documents(&alice()).scope::<Read>().query().order_by(|f| f.id.desc());
    /// assert_eq!(query.first(&pool).await?.map(|d| d.id), Some(2));
    /// # Ok::<(), portcullis::db::DbError>(()) }).unwrap();
    /// ```
    pub fn first<'a>(
        &'a self,
        pool: &'a (impl Database + ?Sized),
    ) -> BoxFuture<'a, Result<Option<E>, DbError>> {
        Box::pin(self.first_on(pool.__pool()))
    }

    async fn first_on(&self, pool: &Pool) -> Result<Option<E>, DbError> {
        let mut q = self.clone_spec();
        q.limit = Some(1);
        Ok(q.load_on(pool).await?.into_iter().next())
    }

    /// The number of rows (ignoring limit and offset).
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Read;
    ///
    /// # block_on(async {
    /// let pool = pool().await;
    /// let query = documents(&alice()).scope::<Read>().query().limit(1);
    /// assert_eq!(query.count(&pool).await?, 2);
    /// # Ok::<(), portcullis::db::DbError>(()) }).unwrap();
    /// ```
    pub fn count<'a>(
        &'a self,
        pool: &'a (impl Database + ?Sized),
    ) -> BoxFuture<'a, Result<i64, DbError>> {
        Box::pin(self.count_on(pool.__pool()))
    }

    async fn count_on(&self, pool: &Pool) -> Result<i64, DbError> {
        on_backend!(pool, |conn: DB| {
            let filter = ScopeSql::<E::Table, DB>::sql_filter(self);
            Ok(<E as BackendOps<DB>>::count(&mut conn, filter).await?)
        })
    }

    /// Whether any row matches.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use diesel::ExpressionMethods;
    /// use portcullis::Read;
    ///
    /// # block_on(async {
    /// let pool = pool().await;
    /// let scope = documents(&alice()).scope::<Read>();
    /// assert!(scope.query().filter(documents::id.eq(1)).exists(&pool).await?);
    /// assert!(!scope.query().filter(documents::id.eq(3)).exists(&pool).await?);
    /// # Ok::<(), portcullis::db::DbError>(()) }).unwrap();
    /// ```
    pub fn exists<'a>(
        &'a self,
        pool: &'a (impl Database + ?Sized),
    ) -> BoxFuture<'a, Result<bool, DbError>> {
        let pool = pool.__pool();
        Box::pin(async move { Ok(self.first_on(pool).await?.is_some()) })
    }

    /// Page `page` (from 1) of `per_page` rows (capped at [`MAX_PER_PAGE`]) with the total.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Read;
    ///
    /// # block_on(async {
    /// let pool = pool().await;
    /// let query = documents(&alice()).scope::<Read>().query().order_by(|f| f.id.asc());
    /// let page = query.paginate(2, 1, &pool).await?;
    /// assert_eq!((page.items[0].id, page.total, page.pages()), (2, 2, 2));
    /// # Ok::<(), portcullis::db::DbError>(()) }).unwrap();
    /// ```
    pub fn paginate<'a>(
        &'a self,
        page: u32,
        per_page: u32,
        pool: &'a (impl Database + ?Sized),
    ) -> BoxFuture<'a, Result<Page<E>, DbError>> {
        Box::pin(self.paginate_on(page, per_page, pool.__pool()))
    }

    async fn paginate_on(&self, page: u32, per_page: u32, pool: &Pool) -> Result<Page<E>, DbError> {
        let page = i64::from(page.max(1));
        let per_page = i64::from(per_page.clamp(1, MAX_PER_PAGE));
        // The primary key breaks ties, so pages of an ordering with duplicates neither repeat
        // nor skip rows; one pooled connection serves the count and the page.
        let order = self.keyset_order();
        let (total, items) = on_backend!(pool, |conn: DB| {
            let filter = ScopeSql::<E::Table, DB>::sql_filter(self);
            let total = <E as BackendOps<DB>>::count(&mut conn, filter).await?;
            let spec = QuerySpec {
                filter: ScopeSql::<E::Table, DB>::sql_filter(self),
                order,
                limit: Some(per_page),
                offset: Some((page - 1).saturating_mul(per_page)),
            };
            (total, <E as BackendOps<DB>>::load(&mut conn, spec).await?)
        });
        Ok(Page {
            items,
            total,
            page,
            per_page,
        })
    }

    fn clone_spec(&self) -> Self {
        Self {
            scope: self.scope.clone(),
            filters: self.filters.clone(),
            order: self.order.clone(),
            limit: self.limit,
            offset: self.offset,
            total_cap: self.total_cap,
        }
    }

    /// Asks [`page_after`](Self::page_after) for the number of rows in the list, counted up
    /// to [`DEFAULT_TOTAL_CAP`](crate::page::DEFAULT_TOTAL_CAP).
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Read;
    /// use portcullis::page::Total;
    ///
    /// # block_on(async {
    /// let pool = pool().await;
    /// let query = documents(&alice()).scope::<Read>().query().with_total();
    /// let page = query.page_after(None, 1, &pool).await?;
    /// assert_eq!(page.total, Some(Total { count: 2, exact: true }));
    /// # Ok::<(), portcullis::page::PageError>(()) }).unwrap();
    /// ```
    pub fn with_total(self) -> Self {
        self.with_total_up_to(crate::backend::page::DEFAULT_TOTAL_CAP)
    }

    /// Like [`with_total`](Self::with_total), counting at most `cap` rows (at least 1): beyond
    /// it the total is a lower bound (`exact: false`), so one request never counts an
    /// unbounded table.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Read;
    /// use portcullis::page::Total;
    ///
    /// # block_on(async {
    /// let pool = pool().await;
    /// let query = documents(&alice()).scope::<Read>().query().with_total_up_to(1);
    /// let page = query.page_after(None, 10, &pool).await?;
    /// assert_eq!(page.total, Some(Total { count: 1, exact: false })); // "more than 1"
    /// # Ok::<(), portcullis::page::PageError>(()) }).unwrap();
    /// ```
    pub fn with_total_up_to(mut self, cap: u32) -> Self {
        self.total_cap = Some(cap.max(1));
        self
    }

    /// The ordering a keyset page uses: the `order_by` fields, then the primary key (ascending)
    /// unless already ordered by, so every row has a distinct position.
    fn keyset_order(&self) -> Vec<Order<E>> {
        let mut order = self.order.clone();
        if !order.iter().any(|o| o.field == E::PRIMARY_KEY) {
            order.push(E::PRIMARY_KEY.asc());
        }
        order
    }

    /// `id-` / `title+,id+`: what a cursor must have been made for.
    fn order_signature(order: &[Order<E>]) -> String {
        let mut sig = String::new();
        for (i, o) in order.iter().enumerate() {
            if i > 0 {
                sig.push(',');
            }
            sig.push_str(E::JSON_NAMES[o.field.index()]);
            sig.push(if o.descending { '-' } else { '+' });
        }
        sig
    }

    /// `(k0 after v0) OR (k0 = v0 AND k1 after v1) OR ..` for the cursor's row.
    fn keyset_filter<DB>(
        order: &[Order<E>],
        cursor: &Cursor,
    ) -> Result<BoxedFilter<E::Table, DB>, PageError>
    where
        E: BackendOps<DB>,
        DB: diesel::backend::Backend + 'static,
        crate::backend::sql::Literal<diesel::sql_types::Bool>:
            diesel::expression::BoxableExpression<E::Table, DB, SqlType = diesel::sql_types::Bool>,
    {
        let keys = cursor.keys();
        if keys.len() != order.len() {
            return Err(CursorError::mismatch("after").into());
        }
        let key = |i: usize, op: KeyOp| {
            let field = order[i].field;
            <E as BackendOps<DB>>::key_filter(field.index(), op, &keys[i])
                .ok_or(PageError::Cursor(CursorError::mismatch("after")))
        };
        let mut terms = Vec::with_capacity(order.len());
        for (i, o) in order.iter().enumerate() {
            let mut parts = Vec::with_capacity(i + 1);
            for j in 0..i {
                parts.push(key(j, KeyOp::Eq)?);
            }
            parts.push(key(i, if o.descending { KeyOp::Lt } else { KeyOp::Gt })?);
            terms.push(crate::backend::sql::and_all(parts));
        }
        Ok(crate::backend::sql::or_all(terms))
    }

    /// One keyset page of at most `limit` rows (1..=[`MAX_PAGE_SIZE`](crate::backend::page::MAX_PAGE_SIZE),
    /// clamped) after `after` (a cursor from a previous page's `next`; `None` for the first
    /// page), in `order_by` order with the primary key breaking ties. Costs the same on every
    /// page: the cursor becomes a `WHERE` an index on the ordering serves. No count unless
    /// [`with_total`](Self::with_total) asked for one. See [`crate::page`].
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Read;
    /// use portcullis::page::Cursor;
    ///
    /// # block_on(async {
    /// let pool = pool().await;
    /// let query = documents(&alice()).scope::<Read>().query().order_by(|f| f.id.asc());
    /// let first = query.page_after(None, 1, &pool).await?;
    /// assert_eq!(first.items[0].id, 1);
    /// // The client sends `next` back as `?after=..`.
    /// let text = first.next.expect("a second page").to_string();
    /// let after = Cursor::parse("after", &text)?;
    /// let second = query.page_after(Some(&after), 1, &pool).await?;
    /// assert_eq!(second.items[0].id, 2);
    /// assert!(second.next.is_none());
    /// # Ok::<(), portcullis::page::PageError>(()) }).unwrap();
    /// ```
    pub fn page_after<'a>(
        &'a self,
        after: Option<&'a Cursor>,
        limit: u32,
        pool: &'a (impl Database + ?Sized),
    ) -> BoxFuture<'a, Result<CursorPage<E>, PageError>> {
        Box::pin(self.page_after_on(after, limit, pool.__pool()))
    }

    async fn page_after_on(
        &self,
        after: Option<&Cursor>,
        limit: u32,
        pool: &Pool,
    ) -> Result<CursorPage<E>, PageError> {
        let limit = i64::from(limit.clamp(1, crate::backend::page::MAX_PAGE_SIZE));
        let order = self.keyset_order();
        let signature = Self::order_signature(&order);
        if let Some(c) = after
            && c.order() != signature
        {
            return Err(CursorError::mismatch("after").into());
        }
        tracing::debug!(target: "portcullis::scope", entity = E::NAME, action = A::NAME, "scoped keyset page");
        let (mut items, total) = on_backend!(pool, |conn: DB| {
            let total = match self.total_cap {
                None => None,
                Some(cap) => {
                    let counted = <E as BackendOps<DB>>::count_up_to(
                        &mut conn,
                        ScopeSql::<E::Table, DB>::sql_filter(self),
                        i64::from(cap) + 1,
                    )
                    .await
                    .map_err(DbError::from)?;
                    Some(Total {
                        count: counted.min(i64::from(cap)),
                        exact: counted <= i64::from(cap),
                    })
                }
            };
            let mut filter = ScopeSql::<E::Table, DB>::sql_filter(self);
            if let Some(c) = after {
                filter = crate::backend::sql::and_all(vec![
                    filter,
                    Self::keyset_filter::<DB>(&order, c)?,
                ]);
            }
            let spec = QuerySpec {
                filter,
                order: order.clone(),
                limit: Some(limit + 1),
                offset: None,
            };
            let items = <E as BackendOps<DB>>::load(&mut conn, spec)
                .await
                .map_err(DbError::from)?;
            (items, total)
        });
        // One row more than asked tells whether a next page exists without counting.
        let next = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            let last = &items[items.len() - 1];
            let keys = order
                .iter()
                .map(|o| {
                    last.__cursor_value(o.field.index())
                        .ok_or(PageError::UnsupportedField(o.field.name()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Some(Cursor::new(signature, keys))
        } else {
            None
        };
        Ok(CursorPage { items, next, total })
    }
}
