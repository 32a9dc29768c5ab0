//! [`IndexCheck`]: fails a test when a scoped list would read a whole table or sort every
//! matching row, and says which index to create.

use super::plan::{self, PlanIssue, Where};
use crate::backend::db::{Backend, Database, Pool, PoolInner};
use crate::backend::enabled::SqlBackend;
use crate::backend::sql::BoxedFilter;
use crate::model::action::{Action, Governs};
use crate::model::resource::{Order, Resource};
use crate::policy::scope::{Query, Scope};
use diesel::QueryResult;
use diesel::backend::Backend as DieselBackend;
use diesel::query_builder::{AstPass, QueryBuilder, QueryFragment, QueryId};
use diesel::sql_types::BigInt;
use std::fmt;

/// The `LIMIT` of the checked `SELECT` unless [`IndexCheck::limit`] says otherwise: one page.
///
/// ```
/// assert_eq!(portcullis::testing::DEFAULT_LIMIT, 50);
/// ```
pub const DEFAULT_LIMIT: i64 = 50;

/// Checks that the `SELECT` each scoped list runs can be served by an index, on the database
/// the pool talks to (SQLite or PostgreSQL), from the plan the database itself chooses.
///
/// For each case the check builds the statement a list runs, in the shape of
/// [`Query::load`](crate::policy::scope::Query::load):
///
/// ```text
/// SELECT <entity's columns> FROM <table> WHERE <scope> ORDER BY <order> LIMIT 50
/// ```
///
/// asks the database for its plan with the scope's real bind values, and reports:
///
/// - [`PlanIssue::FullScan`]: every row of the table is read: SQLite `SCAN documents` (with
///   or without `USING INDEX`), PostgreSQL `Seq Scan on documents`, or an index scan with no
///   `Index Cond` (which walks the whole index). Not reported for a scope with no condition on
///   any column (`allow!(read)` lists everything; there is nothing to search by).
/// - [`PlanIssue::SortForOrderBy`]: every matching row is sorted before the first page comes
///   back: SQLite `USE TEMP B-TREE FOR ORDER BY`, PostgreSQL `Sort`.
///
/// Each failure names the entity, the action, your label, the SQL with its binds, the plan
/// with the offending line, and a `CREATE INDEX` for the columns the `WHERE` pins to one value
/// (in every branch of an `OR`), then the `ORDER BY` columns. When an index with exactly those
/// leading columns already exists, it says so instead: the SQL is what keeps the planner from
/// using it (typically an `OR` of rules that do not all pin the same column).
///
/// **Plans do not depend on how many rows a test database has.** SQLite without `ANALYZE`
/// statistics assumes large tables and uses any index that fits; if your test database has
/// `sqlite_stat1` from an `ANALYZE` on a few rows, SQLite may prefer a scan. PostgreSQL
/// happily scans a table of a few pages, so the check runs `EXPLAIN` in a transaction with
/// `SET LOCAL enable_seqscan = off` and `SET LOCAL enable_sort = off`: these only make scans
/// and sorts look expensive, so a plan that still has one means no index can avoid it. (The
/// other way, reporting a scan only above some row count, would pass every test database.)
///
/// ```no_run
/// # use portcullis::{Resource, Read, policy};
/// # diesel::table! { documents (id) { id -> BigInt, tenant_id -> BigInt, title -> Text } }
/// # #[derive(Resource, diesel::Queryable, diesel::Selectable)]
/// # #[diesel(table_name = documents)]
/// # pub struct Document { #[expose] pub id: i64, pub tenant_id: i64, #[expose] pub title: String }
/// # pub struct User { pub id: i64, pub tenant_id: i64 }
/// # #[policy(Document, subject = User)]
/// # fn documents(user: &User) { allow!(read where tenant_id == user.tenant_id); }
/// use portcullis::Policy;
/// use portcullis::testing::IndexCheck;
///
/// # async fn test(pool: portcullis::db::Pool) {
/// let member = User { id: 1, tenant_id: 1 };
/// let result = IndexCheck::new(&pool)
///     .scope("member of tenant 1", &Document::scope_for::<Read>(&member), |f| f.id.desc())
///     .scope("by title", &Document::scope_for::<Read>(&member), |f| [f.title.asc(), f.id.asc()])
///     .run()
///     .await;
/// if let Err(report) = result {
///     panic!("{report}"); // every failure, with the CREATE INDEX to add
/// }
/// # }
/// ```
#[must_use = "an IndexCheck does nothing until `.run().await` or `.assert().await`"]
pub struct IndexCheck {
    pool: Pool,
    limit: i64,
    cases: Vec<Case>,
    misuse: Vec<String>,
}

impl fmt::Debug for IndexCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IndexCheck")
            .field("pool", &self.pool)
            .field("limit", &self.limit)
            .field(
                "cases",
                &self.cases.iter().map(|c| &c.label).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl IndexCheck {
    /// A check on the database `pool` talks to (a [`Pool`](crate::backend::db::Pool) or a handler's
    /// `Db`), with no cases yet.
    ///
    /// ```no_run
    /// # async fn test(pool: portcullis::db::Pool) {
    /// let check = portcullis::testing::IndexCheck::new(&pool);
    /// # let _ = check; }
    /// ```
    pub fn new(pool: &(impl Database + ?Sized)) -> Self {
        Self {
            pool: pool.__pool().clone(),
            limit: DEFAULT_LIMIT,
            cases: Vec::new(),
            misuse: Vec::new(),
        }
    }

    /// The `LIMIT` of every checked statement (default [`DEFAULT_LIMIT`], a page). PostgreSQL
    /// weighs it when choosing a plan.
    ///
    /// ```no_run
    /// # async fn test(pool: portcullis::db::Pool) {
    /// // The route serves pages of 20.
    /// let check = portcullis::testing::IndexCheck::new(&pool).limit(20);
    /// # let _ = check; }
    /// ```
    pub fn limit(mut self, n: i64) -> Self {
        self.limit = n.max(1);
        self
    }

    /// Adds a case: the list of `rows` (a [`Scope`], or a [`Query`] narrowed from one; a
    /// query's own order and limit are ignored) in the order `order` picks from the entity's
    /// fields, as in [`Query::order_by`]: `|f| f.id.desc()`, `|f| [f.title.asc(), f.id.asc()]`,
    /// or `|_| ()` for no `ORDER BY`. `label` says whose list it is (`"member of tenant 1"`);
    /// failures repeat it.
    ///
    /// ```no_run
    /// # use portcullis::{Resource, Read, Policy, policy};
    /// # diesel::table! { documents (id) { id -> BigInt, tenant_id -> BigInt, title -> Text } }
    /// # #[derive(Resource, diesel::Queryable, diesel::Selectable)]
    /// # #[diesel(table_name = documents)]
    /// # pub struct Document { #[expose] pub id: i64, pub tenant_id: i64, #[expose] pub title: String }
    /// # pub struct User { pub id: i64, pub tenant_id: i64 }
    /// # #[policy(Document, subject = User)]
    /// # fn documents(user: &User) { allow!(read where tenant_id == user.tenant_id); }
    /// use diesel::ExpressionMethods;
    /// use portcullis::testing::IndexCheck;
    ///
    /// # async fn test(pool: portcullis::db::Pool) {
    /// let scope = Document::scope_for::<Read>(&User { id: 1, tenant_id: 1 });
    /// IndexCheck::new(&pool)
    ///     .scope("newest first", &scope, |f| f.id.desc())
    ///     .scope("by title", &scope, |f| [f.title.asc(), f.id.asc()])
    ///     .scope("unordered", &scope, |_| ())
    ///     // a narrowed query: its filter is part of the WHERE
    ///     .scope("next page", &scope.query().filter(documents::id.lt(500)), |f| f.id.desc())
    ///     .assert()
    ///     .await;
    /// # }
    /// ```
    pub fn scope<S, O>(
        mut self,
        label: impl Into<String>,
        rows: &S,
        order: impl FnOnce(&<S::Entity as Resource>::Fields) -> O,
    ) -> Self
    where
        S: ListRows,
        O: ListOrder<S::Entity>,
    {
        let order = order(&<S::Entity as Resource>::FIELDS).into_order();
        self.cases.push(Case::new::<S>(label.into(), rows, &order));
        self
    }

    /// Accepts `issue` in the case added last, for the reason given (kept with the test; say
    /// why the cost is bounded). For example an admin's list of "own account OR the tenant's
    /// accounts" cannot come from one index in id order, and is small.
    ///
    /// ```no_run
    /// # use portcullis::{Resource, Read, Policy, policy};
    /// # diesel::table! { documents (id) { id -> BigInt, tenant_id -> BigInt, title -> Text } }
    /// # #[derive(Resource, diesel::Queryable, diesel::Selectable)]
    /// # #[diesel(table_name = documents)]
    /// # pub struct Document { #[expose] pub id: i64, pub tenant_id: i64, #[expose] pub title: String }
    /// # pub struct User { pub id: i64, pub tenant_id: i64 }
    /// # #[policy(Document, subject = User)]
    /// # fn documents(user: &User) { allow!(read where tenant_id == user.tenant_id); }
    /// use portcullis::testing::{IndexCheck, PlanIssue};
    ///
    /// # async fn test(pool: portcullis::db::Pool) {
    /// let scope = Document::scope_for::<Read>(&User { id: 1, tenant_id: 1 });
    /// IndexCheck::new(&pool)
    ///     .scope("by title", &scope, |f| f.title.asc())
    ///     .allow(PlanIssue::SortForOrderBy, "at most 20 documents per tenant, by contract")
    ///     .assert()
    ///     .await;
    /// # }
    /// ```
    pub fn allow(mut self, issue: PlanIssue, reason: &str) -> Self {
        match self.cases.last_mut() {
            Some(case) if !reason.trim().is_empty() => case.allowed.push(issue),
            Some(case) => self.misuse.push(format!(
                "allow({issue:?}) on case {:?} needs a reason",
                case.label
            )),
            None => self.misuse.push(format!(
                "allow({issue:?}) was called before any case was added"
            )),
        }
        self
    }

    /// Runs every case; `Err` lists each one whose plan has an issue (or that could not be
    /// explained), readable with `{}` (and `{:?}`, so `.unwrap()` prints it too).
    ///
    /// ```no_run
    /// # async fn test(pool: portcullis::db::Pool) {
    /// let result = portcullis::testing::IndexCheck::new(&pool).run().await;
    /// assert!(result.is_ok()); // no cases, nothing to fail
    /// # }
    /// ```
    pub async fn run(self) -> Result<(), IndexReport> {
        let total = self.cases.len();
        let mut failures: Vec<IndexFailure> = self
            .misuse
            .iter()
            .map(|m| IndexFailure::error("IndexCheck", "-", "-", self.pool.backend(), m.clone()))
            .collect();
        for case in self.cases {
            if let Some(failure) = check(&self.pool, self.limit, case).await {
                failures.push(failure);
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(IndexReport { total, failures })
        }
    }

    /// [`IndexCheck::run`], panicking with the report on failure (for tests).
    ///
    /// ```no_run
    /// # async fn test(pool: portcullis::db::Pool) {
    /// portcullis::testing::IndexCheck::new(&pool).assert().await;
    /// # }
    /// ```
    pub async fn assert(self) {
        if let Err(report) = self.run().await {
            panic!("{report}");
        }
    }
}

/// Every failed case of an [`IndexCheck`]. `Display` (and `Debug`) writes them all.
///
/// ```no_run
/// # async fn test(check: portcullis::testing::IndexCheck) {
/// if let Err(report) = check.run().await {
///     for failure in &report.failures {
///         eprintln!("{} / {}: {:?}", failure.entity, failure.label, failure.suggestion);
///     }
///     panic!("{report}");
/// }
/// # }
/// ```
#[non_exhaustive]
pub struct IndexReport {
    /// How many cases were checked.
    pub total: usize,
    /// The cases that failed, in the order they were added.
    pub failures: Vec<IndexFailure>,
}

impl fmt::Display for IndexReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "index check: {} of {} scoped lists cannot be served by an index",
            self.failures.len(),
            self.total
        )?;
        for (i, failure) in self.failures.iter().enumerate() {
            write!(f, "\n{}. {failure}", i + 1)?;
        }
        Ok(())
    }
}

impl fmt::Debug for IndexReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for IndexReport {}

/// One failed case of an [`IndexCheck`].
///
/// ```no_run
/// use portcullis::testing::{IndexFailure, PlanIssue};
///
/// fn only_sorts(failure: &IndexFailure) -> bool {
///     failure.issues.iter().all(|(issue, _line)| *issue == PlanIssue::SortForOrderBy)
/// }
/// ```
#[non_exhaustive]
#[derive(Debug, Clone)]
pub struct IndexFailure {
    /// Your label for the case (`"member of tenant 1"`).
    pub label: String,
    /// The entity (`Document`).
    pub entity: &'static str,
    /// The action of the scope (`read`).
    pub action: &'static str,
    /// The backend the plan came from.
    pub backend: Backend,
    /// The statement, with its bind values (`SELECT .. -- binds: [1, 50]`); empty if it could
    /// not be built.
    pub sql: String,
    /// The plan, one line per node, indented by depth.
    pub plan: Vec<String>,
    /// Each issue and the plan line that shows it.
    pub issues: Vec<(PlanIssue, String)>,
    /// The index to create, if one would serve the statement.
    pub suggestion: Option<String>,
    /// Why no index is suggested, or why an existing one is not used.
    pub note: Option<String>,
    /// The statement could not be built or explained (a database error, an unreadable plan).
    pub error: Option<String>,
}

impl IndexFailure {
    fn error(
        label: impl Into<String>,
        entity: &'static str,
        action: &'static str,
        backend: Backend,
        error: String,
    ) -> Self {
        Self {
            label: label.into(),
            entity,
            action,
            backend,
            sql: String::new(),
            plan: Vec::new(),
            issues: Vec::new(),
            suggestion: None,
            note: None,
            error: Some(error),
        }
    }
}

impl fmt::Display for IndexFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} / {} — {} ({:?})",
            self.entity, self.action, self.label, self.backend
        )?;
        if let Some(e) = &self.error {
            writeln!(f, "   error: {e}")?;
        }
        for (issue, line) in &self.issues {
            writeln!(f, "   {}: {line}", issue.describe())?;
        }
        if !self.sql.is_empty() {
            writeln!(f, "   SQL:   {}", self.sql)?;
        }
        if !self.plan.is_empty() {
            writeln!(f, "   plan:")?;
            for line in &self.plan {
                writeln!(f, "     {line}")?;
            }
        }
        if let Some(s) = &self.suggestion {
            writeln!(f, "   fix:   {s}")?;
        }
        if let Some(n) = &self.note {
            writeln!(f, "   note:  {n}")?;
        }
        Ok(())
    }
}

// ---- what a case is made of -------------------------------------------------------------------

/// The rows of a list an [`IndexCheck`] case explains: a [`Scope`], or a [`Query`] narrowed from
/// one (its filters ANDed with the scope).
///
/// ```no_run
/// use portcullis::testing::{IndexCheck, ListRows};
///
/// // A helper for your tests: a list with no ORDER BY, whatever its entity.
/// fn unordered<S: ListRows>(check: IndexCheck, label: &str, rows: &S) -> IndexCheck {
///     check.scope(label, rows, |_| ())
/// }
/// ```
pub trait ListRows {
    /// The entity listed.
    type Entity: Explainable;
    /// The action's name (`read`).
    fn action_name(&self) -> &'static str;
    /// The `WHERE` on backend `DB`.
    fn where_on<DB: SqlBackend>(&self) -> BoxedFilter<<Self::Entity as Resource>::Table, DB>;
}

impl<E: Governs<A> + Explainable, A: Action> ListRows for Scope<E, A> {
    type Entity = E;
    fn action_name(&self) -> &'static str {
        A::NAME
    }
    fn where_on<DB: SqlBackend>(&self) -> BoxedFilter<E::Table, DB> {
        self.filter_for()
    }
}

impl<E: Governs<A> + Explainable, A: Action> ListRows for Query<E, A> {
    type Entity = E;
    fn action_name(&self) -> &'static str {
        A::NAME
    }
    fn where_on<DB: SqlBackend>(&self) -> BoxedFilter<E::Table, DB> {
        crate::backend::ops::ScopeSql::<E::Table, DB>::sql_filter(self)
    }
}

/// The `ORDER BY` of a case: one [`Order`], an array or `Vec` of them, or `()` for none.
///
/// ```no_run
/// # use portcullis::{Resource, Read, Policy, policy};
/// # diesel::table! { documents (id) { id -> BigInt, tenant_id -> BigInt, title -> Text } }
/// # #[derive(Resource, diesel::Queryable, diesel::Selectable)]
/// # #[diesel(table_name = documents)]
/// # pub struct Document { #[expose] pub id: i64, pub tenant_id: i64, #[expose] pub title: String }
/// # pub struct User { pub id: i64, pub tenant_id: i64 }
/// # #[policy(Document, subject = User)]
/// # fn documents(user: &User) { allow!(read where tenant_id == user.tenant_id); }
/// # async fn test(pool: portcullis::db::Pool, scope: portcullis::Scope<Document, Read>) {
/// portcullis::testing::IndexCheck::new(&pool)
///     .scope("one term", &scope, |f| f.id.desc())
///     .scope("two terms", &scope, |f| [f.title.asc(), f.id.asc()])
///     .scope("built at run time", &scope, |f| vec![f.title.desc()])
///     .scope("no ORDER BY", &scope, |_| ());
/// # }
/// ```
pub trait ListOrder<E> {
    /// The terms, most significant first.
    fn into_order(self) -> Vec<Order<E>>;
}

impl<E> ListOrder<E> for Order<E> {
    fn into_order(self) -> Vec<Order<E>> {
        vec![self]
    }
}

impl<E, const N: usize> ListOrder<E> for [Order<E>; N] {
    fn into_order(self) -> Vec<Order<E>> {
        self.into()
    }
}

impl<E> ListOrder<E> for Vec<Order<E>> {
    fn into_order(self) -> Vec<Order<E>> {
        self
    }
}

impl<E> ListOrder<E> for () {
    fn into_order(self) -> Vec<Order<E>> {
        Vec::new()
    }
}

/// An entity whose list statement the index check can write for every enabled backend: what
/// `#[derive(Resource, diesel::Selectable)]` gives.
///
/// ```
/// fn checkable<E: portcullis::testing::Explainable>() {}
/// # use portcullis::{Resource, policy};
/// # diesel::table! { documents (id) { id -> BigInt, tenant_id -> BigInt } }
/// # #[derive(Resource, diesel::Queryable, diesel::Selectable)]
/// # #[diesel(table_name = documents)]
/// # pub struct Document { #[expose] pub id: i64, pub tenant_id: i64 }
/// checkable::<Document>();
/// ```
pub trait Explainable: Resource + ExplainOnSqlite + ExplainOnPostgres {}
impl<T: Resource + ExplainOnSqlite + ExplainOnPostgres> Explainable for T {}

/// The entity's select list and `FROM` rendered for SQLite (implemented for every
/// `diesel::Selectable` resource).
///
/// ```
/// fn needs<E: portcullis::testing::ExplainOnSqlite>() {}
/// ```
#[cfg(feature = "sqlite")]
pub trait ExplainOnSqlite: Resource {
    /// `(select list, from clause)`.
    #[doc(hidden)]
    fn __sqlite_select() -> QueryResult<(String, String)>;
}

#[cfg(feature = "sqlite")]
impl<E> ExplainOnSqlite for E
where
    E: Resource + diesel::Selectable<crate::backend::sql::Sqlite>,
    <E as diesel::Selectable<crate::backend::sql::Sqlite>>::SelectExpression:
        QueryFragment<crate::backend::sql::Sqlite>,
    <E::Table as diesel::QuerySource>::FromClause: QueryFragment<crate::backend::sql::Sqlite>,
{
    fn __sqlite_select() -> QueryResult<(String, String)> {
        use diesel::QuerySource;
        Ok((
            render::<crate::backend::sql::Sqlite>(&E::construct_selection())?,
            render::<crate::backend::sql::Sqlite>(&E::Table::default().from_clause())?,
        ))
    }
}

/// Without the `sqlite` feature there is nothing to render.
///
/// ```
/// fn needs<E: portcullis::testing::ExplainOnSqlite>() {}
/// ```
#[cfg(not(feature = "sqlite"))]
pub trait ExplainOnSqlite {}
#[cfg(not(feature = "sqlite"))]
impl<T> ExplainOnSqlite for T {}

/// The entity's select list and `FROM` rendered for PostgreSQL (implemented for every
/// `diesel::Selectable` resource).
///
/// ```
/// fn needs<E: portcullis::testing::ExplainOnPostgres>() {}
/// ```
#[cfg(feature = "postgres")]
pub trait ExplainOnPostgres: Resource {
    /// `(select list, from clause)`.
    #[doc(hidden)]
    fn __postgres_select() -> QueryResult<(String, String)>;
}

#[cfg(feature = "postgres")]
impl<E> ExplainOnPostgres for E
where
    E: Resource + diesel::Selectable<crate::backend::sql::Pg>,
    <E as diesel::Selectable<crate::backend::sql::Pg>>::SelectExpression:
        QueryFragment<crate::backend::sql::Pg>,
    <E::Table as diesel::QuerySource>::FromClause: QueryFragment<crate::backend::sql::Pg>,
{
    fn __postgres_select() -> QueryResult<(String, String)> {
        use diesel::QuerySource;
        Ok((
            render::<crate::backend::sql::Pg>(&E::construct_selection())?,
            render::<crate::backend::sql::Pg>(&E::Table::default().from_clause())?,
        ))
    }
}

/// Without the `postgres` feature there is nothing to render.
///
/// ```
/// fn needs<E: portcullis::testing::ExplainOnPostgres>() {}
/// ```
#[cfg(not(feature = "postgres"))]
pub trait ExplainOnPostgres {}
#[cfg(not(feature = "postgres"))]
impl<T> ExplainOnPostgres for T {}

/// A fragment's SQL text (placeholders for binds).
fn render<DB>(fragment: &dyn QueryFragment<DB>) -> QueryResult<String>
where
    DB: DieselBackend + Default,
    DB::QueryBuilder: Default,
{
    let mut qb = DB::QueryBuilder::default();
    fragment.to_sql(&mut qb, &DB::default())?;
    Ok(qb.finish())
}

/// `SELECT <columns> FROM <from> WHERE <filter> [ORDER BY <order>] LIMIT <limit>`: the
/// statement `Query::load` runs, with the scope's filter walked so its values stay bound.
struct Statement<DB: DieselBackend> {
    columns: String,
    from: String,
    filter: Box<dyn QueryFragment<DB> + Send>,
    order: String,
    limit: i64,
}

impl<DB> QueryFragment<DB> for Statement<DB>
where
    DB: DieselBackend + diesel::sql_types::HasSqlType<BigInt>,
    i64: diesel::serialize::ToSql<BigInt, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("SELECT ");
        out.push_sql(&self.columns);
        out.push_sql(" FROM ");
        out.push_sql(&self.from);
        out.push_sql(" WHERE ");
        self.filter.walk_ast(out.reborrow())?;
        if !self.order.is_empty() {
            out.push_sql(" ORDER BY ");
            out.push_sql(&self.order);
        }
        out.push_sql(" LIMIT ");
        out.push_bind_param::<BigInt, i64>(&self.limit)?;
        Ok(())
    }
}

impl<DB: DieselBackend> QueryId for Statement<DB> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

/// The parts of a statement before the filter is attached: select list, `FROM`, plain table
/// name, and the `ORDER BY` as SQL and as `(column, descending)`.
struct Shape {
    columns: String,
    from: String,
    table: String,
    order_sql: String,
    order_cols: Vec<(String, bool)>,
}

fn shape<E: Resource>(
    parts: QueryResult<(String, String)>,
    order: &[Order<E>],
) -> Result<Shape, String> {
    let (columns, from) = parts.map_err(|e| format!("cannot render the statement: {e}"))?;
    let exprs = plan::split_select_list(&columns);
    let mut order_sql = Vec::new();
    let mut order_cols = Vec::new();
    for o in order {
        let i = o.field.index();
        let expr = exprs.get(i).filter(|_| exprs.len() == E::RUST_NAMES.len()).ok_or_else(|| {
            format!(
                "cannot tell which column field `{}` of {} is: its select list has {} expressions for {} fields",
                E::RUST_NAMES.get(i).copied().unwrap_or("?"),
                E::NAME,
                exprs.len(),
                E::RUST_NAMES.len()
            )
        })?;
        order_sql.push(format!(
            "{expr} {}",
            if o.descending { "DESC" } else { "ASC" }
        ));
        order_cols.push((plan::last_ident(expr), o.descending));
    }
    Ok(Shape {
        table: plan::last_ident(&from),
        columns,
        from,
        order_sql: order_sql.join(", "),
        order_cols,
    })
}

impl Shape {
    fn statement<DB: DieselBackend>(
        self,
        filter: Box<dyn QueryFragment<DB> + Send>,
    ) -> (Statement<DB>, String, Vec<(String, bool)>) {
        (
            Statement {
                columns: self.columns,
                from: self.from,
                filter,
                order: self.order_sql,
                limit: DEFAULT_LIMIT,
            },
            self.table,
            self.order_cols,
        )
    }
}

/// One list to explain, prepared for every enabled backend.
struct Case {
    label: String,
    entity: &'static str,
    action: &'static str,
    allowed: Vec<PlanIssue>,
    #[cfg(feature = "sqlite")]
    sqlite: Result<Prepared<crate::backend::sql::Sqlite>, String>,
    /// Twice: PostgreSQL is asked for two plans (see `explain_postgres`).
    #[cfg(feature = "postgres")]
    postgres: Result<
        (
            Prepared<crate::backend::sql::Pg>,
            Statement<crate::backend::sql::Pg>,
        ),
        String,
    >,
}

type Prepared<DB> = (Statement<DB>, String, Vec<(String, bool)>);

impl Case {
    fn new<S: ListRows>(label: String, rows: &S, order: &[Order<S::Entity>]) -> Self {
        Self {
            label,
            entity: <S::Entity as Resource>::NAME,
            action: rows.action_name(),
            allowed: Vec::new(),
            #[cfg(feature = "sqlite")]
            sqlite: shape(<S::Entity as ExplainOnSqlite>::__sqlite_select(), order)
                .map(|s| s.statement::<crate::backend::sql::Sqlite>(Box::new(rows.where_on()))),
            #[cfg(feature = "postgres")]
            postgres: shape(<S::Entity as ExplainOnPostgres>::__postgres_select(), order).map(
                |s| {
                    let again = Statement {
                        columns: s.columns.clone(),
                        from: s.from.clone(),
                        filter: Box::new(rows.where_on()),
                        order: s.order_sql.clone(),
                        limit: DEFAULT_LIMIT,
                    };
                    (
                        s.statement::<crate::backend::sql::Pg>(Box::new(rows.where_on())),
                        again,
                    )
                },
            ),
        }
    }
}

// ---- running a case ---------------------------------------------------------------------------

/// What a backend returned for one case.
struct Explained {
    sql: String,
    filter_sql: String,
    table: String,
    order_cols: Vec<(String, bool)>,
    /// The plan as shown, and its issues with their lines; `Err` if unreadable.
    plan: Result<plan::Analysis, String>,
    existing: Vec<plan::ExistingIndex>,
}

async fn check(pool: &Pool, limit: i64, case: Case) -> Option<IndexFailure> {
    let backend = pool.backend();
    let explained = match &pool.0 {
        #[cfg(feature = "sqlite")]
        PoolInner::Sqlite(p) => match case.sqlite {
            Ok((mut stmt, table, order_cols)) => {
                stmt.limit = limit;
                explain_sqlite(p, stmt, table, order_cols).await
            }
            Err(e) => Err(e),
        },
        #[cfg(feature = "postgres")]
        PoolInner::Postgres(p) => match case.postgres {
            Ok(((mut stmt, table, order_cols), mut again)) => {
                stmt.limit = limit;
                again.limit = limit;
                explain_postgres(p, stmt, again, table, order_cols).await
            }
            Err(e) => Err(e),
        },
    };
    let explained = match explained {
        Ok(x) => x,
        Err(e) => {
            return Some(IndexFailure::error(
                case.label,
                case.entity,
                case.action,
                backend,
                e,
            ));
        }
    };
    let Explained {
        sql,
        filter_sql,
        table,
        order_cols,
        plan,
        existing,
    } = explained;
    let (plan_text, issues) = match plan {
        Ok(plan) => plan,
        Err(e) => {
            let mut f = IndexFailure::error(case.label, case.entity, case.action, backend, e);
            f.sql = sql;
            return Some(f);
        }
    };
    let issues: Vec<(PlanIssue, String)> = issues
        .into_iter()
        .filter(|(i, _)| !case.allowed.contains(i))
        .collect();
    if issues.is_empty() {
        return None;
    }
    let filter = plan::parse_where(&filter_sql);
    let constrained = filter.as_ref().is_none_or(Where::mentions_columns);
    let want = plan::index_columns(filter.as_ref(), &order_cols);
    let filter_columns = want.iter().filter(|(_, dir)| dir.is_none()).count();
    let (suggestion, note) = if want.is_empty() || (constrained && filter_columns == 0) {
        (None, Some(no_index_note(filter.as_ref())))
    } else if let Some(ix) = plan::covering_index(&existing, &want) {
        (None, Some(unusable_index_note(ix, &want, filter.as_ref())))
    } else {
        (Some(plan::create_index(&table, &want)), None)
    };
    Some(IndexFailure {
        label: case.label,
        entity: case.entity,
        action: case.action,
        backend,
        sql,
        plan: plan_text,
        issues,
        suggestion,
        note,
        error: None,
    })
}

fn no_index_note(filter: Option<&Where>) -> String {
    let why = match filter {
        None => "the WHERE could not be read",
        Some(w) if w.is_or() => {
            "the WHERE is an OR whose branches pin no column in common (for example own rows \
             OR the tenant's rows), so one index cannot serve it in order"
        }
        Some(_) => "the WHERE pins no column to a value",
    };
    format!(
        "no index to suggest: {why}; if every such list is small, accept the issue with \
         `.allow(PlanIssue::.., \"why\")`, otherwise narrow the query"
    )
}

fn unusable_index_note(
    ix: &plan::ExistingIndex,
    want: &[(String, Option<bool>)],
    filter: Option<&Where>,
) -> String {
    let cols = want
        .iter()
        .map(|(c, _)| c.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let why = if filter.is_some_and(Where::is_or) {
        "the WHERE is an OR and the planner serves each branch on its own, then sorts or scans; \
         state the condition every branch shares once (rules that all require it), so it \
         stands outside the OR"
    } else {
        "check that the compared values have the column's type and collation, and that \
         statistics (ANALYZE) are current"
    };
    format!(
        "index {} already starts with ({cols}) but this plan does not use it: {why}",
        ix.name
    )
}

fn db_error(what: &str) -> impl Fn(diesel::result::Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

/// `EXPLAIN … <statement>` in the backend's own syntax ([`Explains`]).
struct Explain<DB: DieselBackend>(Statement<DB>);

/// How a backend explains a statement, and the rows it answers with.
trait Explains: DieselBackend {
    const EXPLAIN: &'static str;
    type Rows;
}

/// `EXPLAIN QUERY PLAN`; rows `(id, parent, notused, detail)`.
#[cfg(feature = "sqlite")]
impl Explains for crate::backend::sql::Sqlite {
    const EXPLAIN: &'static str = "EXPLAIN QUERY PLAN ";
    type Rows = (
        diesel::sql_types::Integer,
        diesel::sql_types::Integer,
        diesel::sql_types::Integer,
        diesel::sql_types::Text,
    );
}

/// `EXPLAIN (FORMAT JSON)`; one text row.
#[cfg(feature = "postgres")]
impl Explains for crate::backend::sql::Pg {
    const EXPLAIN: &'static str = "EXPLAIN (FORMAT JSON) ";
    type Rows = diesel::sql_types::Text;
}

impl<DB: Explains> QueryFragment<DB> for Explain<DB>
where
    Statement<DB>: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        out.push_sql(DB::EXPLAIN);
        self.0.walk_ast(out.reborrow())
    }
}

impl<DB: Explains> QueryId for Explain<DB> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<DB: Explains> diesel::query_builder::Query for Explain<DB> {
    type SqlType = DB::Rows;
}

/// One column of one index, in order (`column_name` is NULL for an expression).
#[derive(diesel::QueryableByName)]
struct IndexColumn {
    #[diesel(sql_type = diesel::sql_types::Text)]
    index_name: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    column_name: Option<String>,
}

/// The indexes the listed columns make up.
fn indexes(columns: Vec<IndexColumn>) -> Vec<plan::ExistingIndex> {
    plan::group_indexes(
        columns
            .into_iter()
            .map(|c| (c.index_name, c.column_name))
            .collect(),
    )
}

/// A primary key column and its declared type.
#[cfg(feature = "sqlite")]
#[derive(diesel::QueryableByName)]
struct KeyColumn {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    col_type: String,
}

#[cfg(feature = "sqlite")]
async fn explain_sqlite(
    pool: &diesel_async::pooled_connection::bb8::Pool<crate::backend::db::SqliteConnection>,
    stmt: Statement<crate::backend::sql::Sqlite>,
    table: String,
    order_cols: Vec<(String, bool)>,
) -> Result<Explained, String> {
    use diesel::sql_types::Text;
    use diesel_async::RunQueryDsl;
    let sql = diesel::debug_query::<crate::backend::sql::Sqlite, _>(&stmt).to_string();
    let filter_sql = render(&*stmt.filter).map_err(db_error("rendering the WHERE"))?;
    let mut conn = pool
        .get()
        .await
        .map_err(|e| format!("no database connection: {e}"))?;
    // EXPLAIN QUERY PLAN plans with the schema this connection has cached and, reading no
    // table, never notices that another connection changed it (an index created since would
    // be missing from the plan). A read of the schema table checks the schema cookie and
    // reloads it.
    diesel_async::SimpleAsyncConnection::batch_execute(
        &mut *conn,
        "SELECT 1 FROM sqlite_master LIMIT 1",
    )
    .await
    .map_err(db_error("reading the schema"))?;
    let rows: Vec<(i32, i32, i32, String)> = Explain(stmt)
        .load(&mut *conn)
        .await
        .map_err(db_error("EXPLAIN QUERY PLAN failed"))?;
    let rows: Vec<(i32, i32, String)> = rows.into_iter().map(|(id, p, _, d)| (id, p, d)).collect();
    let columns: Vec<IndexColumn> = diesel::sql_query(
        "SELECT il.name AS index_name, ii.name AS column_name \
         FROM pragma_index_list(?) AS il JOIN pragma_index_info(il.name) AS ii \
         ORDER BY il.name, ii.seqno",
    )
    .bind::<Text, _>(&table)
    .load(&mut *conn)
    .await
    .map_err(db_error("listing the table's indexes"))?;
    let mut existing = indexes(columns);
    // Every index of a rowid table ends with the rowid, which an INTEGER PRIMARY KEY names: an
    // index on (tenant_id) serves `tenant_id = ? ORDER BY id`.
    let keys: Vec<KeyColumn> =
        diesel::sql_query("SELECT name, type AS col_type FROM pragma_table_info(?) WHERE pk > 0")
            .bind::<Text, _>(&table)
            .load(&mut *conn)
            .await
            .map_err(db_error("reading the table's primary key"))?;
    if let [key] = keys.as_slice()
        && key.col_type.eq_ignore_ascii_case("INTEGER")
    {
        for ix in &mut existing {
            ix.columns.push(Some(key.name.clone()));
        }
        existing.push(plan::ExistingIndex {
            name: "(the INTEGER PRIMARY KEY)".to_owned(),
            columns: vec![Some(key.name.clone())],
        });
    }
    let constrained = plan::parse_where(&filter_sql).is_none_or(|w| w.mentions_columns());
    let lines = plan::sqlite_plan(&rows, &table, constrained);
    Ok(Explained {
        plan: Ok(plan::sqlite_issues(&lines)),
        sql,
        filter_sql,
        table,
        order_cols,
        existing,
    })
}

#[cfg(feature = "postgres")]
async fn explain_postgres(
    pool: &diesel_async::pooled_connection::bb8::Pool<crate::backend::db::PgConnection>,
    stmt: Statement<crate::backend::sql::Pg>,
    again: Statement<crate::backend::sql::Pg>,
    table: String,
    order_cols: Vec<(String, bool)>,
) -> Result<Explained, String> {
    use diesel::sql_types::Text;
    use diesel_async::{AsyncConnection, RunQueryDsl, SimpleAsyncConnection};
    let sql = diesel::debug_query::<crate::backend::sql::Pg, _>(&stmt).to_string();
    let filter_sql = render(&*stmt.filter).map_err(db_error("rendering the WHERE"))?;
    let mut conn = pool
        .get()
        .await
        .map_err(|e| format!("no database connection: {e}"))?;
    // Two plans: with sequential scans disabled (does an index serve the WHERE?), then with
    // sorts disabled too (does one serve the WHERE in the ORDER BY's order?). SET LOCAL: the
    // settings end with the transaction and never leak into the pool.
    let (scans_off, sorts_off): (String, String) = conn
        .transaction::<_, diesel::result::Error, _>(async |c| {
            c.batch_execute("SET LOCAL enable_seqscan = off").await?;
            let scans_off: String = Explain(stmt).get_result(c).await?;
            c.batch_execute("SET LOCAL enable_sort = off").await?;
            let sorts_off: String = Explain(again).get_result(c).await?;
            Ok((scans_off, sorts_off))
        })
        .await
        .map_err(db_error("EXPLAIN failed"))?;
    let columns: Vec<IndexColumn> = diesel::sql_query(
        "SELECT ic.relname::text AS index_name, a.attname::text AS column_name \
         FROM pg_index x \
         JOIN pg_class ic ON ic.oid = x.indexrelid \
         JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, n) ON TRUE \
         LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum \
         WHERE x.indrelid = to_regclass($1) AND k.n <= x.indnkeyatts \
         ORDER BY ic.relname, k.n",
    )
    .bind::<Text, _>(plan::ident(&table))
    .load(&mut *conn)
    .await
    .map_err(db_error("listing the table's indexes"))?;
    let existing = indexes(columns);
    let constrained = plan::parse_where(&filter_sql).is_none_or(|w| w.mentions_columns());
    let read = |json: &str| {
        serde_json::from_str::<serde_json::Value>(json)
            .ok()
            .and_then(|v| plan::postgres_plan(&v, &table, constrained))
            .ok_or_else(|| format!("unreadable EXPLAIN output: {json}"))
    };
    let plan =
        read(&scans_off).and_then(|a| read(&sorts_off).map(|b| plan::postgres_issues(&a, &b)));
    Ok(Explained {
        plan,
        sql,
        filter_sql,
        table,
        order_cols,
        existing,
    })
}
