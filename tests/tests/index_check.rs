//! `portcullis::testing::IndexCheck` on real plans: a missing index fails with the `CREATE
//! INDEX` that fixes it (the test runs the suggestion and checks again), a sort for the `ORDER
//! BY` is caught, narrowed queries are checked with their filters, lists of every row are not
//! full-scan failures, and an OR of rules with nothing in common gets no suggestion but can be
//! accepted. On SQLite, and on PostgreSQL (own schema, 6,000 rows, ANALYZE) with
//! `PORTCULLIS_TEST_SERVICES=1`. Depends only on the public API and `Scope::*_filter`.

mod common;

use common::{TestDb, databases};
use diesel::{ExpressionMethods, QueryDsl, SelectableHelper};
use portcullis::testing::{IndexCheck, IndexReport, PlanIssue};
use portcullis::{Policy, Read, Resource, policy};

diesel::table! {
    ledger (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        owner_id -> BigInt,
        title -> Text,
        archived -> Bool,
    }
}

#[derive(Debug, Clone, Resource, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = ledger)]
pub struct Entry {
    #[expose]
    pub id: i64,
    #[expose]
    pub tenant_id: i64,
    #[expose]
    pub owner_id: i64,
    #[expose]
    pub title: String,
    #[resource(default)]
    pub archived: bool,
}

pub enum Role {
    Member,
    /// Reads every row of every tenant: a scope with no condition.
    Auditor,
    /// Own entries, or the tenant's archived ones: an OR with no column in common.
    Archivist,
}

pub struct Viewer {
    pub id: i64,
    pub tenant_id: i64,
    pub role: Role,
}

impl Viewer {
    fn is_auditor(&self) -> bool {
        matches!(self.role, Role::Auditor)
    }
    fn is_archivist(&self) -> bool {
        matches!(self.role, Role::Archivist)
    }
}

#[policy(Entry, subject = Viewer)]
pub fn entries(v: &Viewer) {
    if v.is_auditor() {
        allow!(read);
    } else if v.is_archivist() {
        allow!(read where owner_id == v.id);
        allow!(read where tenant_id == v.tenant_id && archived);
    } else {
        allow!(read where tenant_id == v.tenant_id);
    }
}

fn member() -> Viewer {
    Viewer {
        id: 5,
        tenant_id: 3,
        role: Role::Member,
    }
}

const SQLITE_DDL: &str = "
CREATE TABLE ledger (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL,
    owner_id BIGINT NOT NULL,
    title TEXT NOT NULL,
    archived BOOLEAN NOT NULL DEFAULT FALSE
);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6000)
INSERT INTO ledger (tenant_id, owner_id, title, archived)
SELECT i % 20, i % 97, 'entry ' || i, i % 10 = 0 FROM n;";

const PG_DDL: &str = "
CREATE TABLE ledger (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL,
    owner_id BIGINT NOT NULL,
    title TEXT NOT NULL,
    archived BOOLEAN NOT NULL DEFAULT FALSE
);
INSERT INTO ledger (tenant_id, owner_id, title, archived)
SELECT i % 20, i % 97, 'entry ' || i, i % 10 = 0 FROM generate_series(1, 6000) AS i;
ANALYZE ledger;";

/// Creates an index (and refreshes PostgreSQL's statistics).
async fn index(db: &TestDb, create: &str) {
    db.pool
        .unscoped("test fixture")
        .batch_execute(create)
        .await
        .expect(create);
    if db.name == "postgres" {
        db.pool
            .unscoped("test fixture")
            .batch_execute("ANALYZE ledger")
            .await
            .unwrap();
    }
}

fn failures(result: Result<(), IndexReport>, db: &TestDb) -> IndexReport {
    match result {
        Err(report) => report,
        Ok(()) => panic!("{}: the index check passed", db.name),
    }
}

fn passes(result: Result<(), IndexReport>, db: &TestDb) {
    if let Err(report) = result {
        panic!("{}: {report}", db.name);
    }
}

#[tokio::test]
async fn a_missing_index_fails_with_the_create_index_that_fixes_it() {
    for db in databases("idx_missing", SQLITE_DDL, PG_DDL).await {
        let scope = Entry::scope_for::<Read>(&member());
        let check =
            || IndexCheck::new(&db.pool).scope("member of tenant 3", &scope, |f| f.id.desc());
        let report = failures(check().run().await, &db);
        assert_eq!((report.total, report.failures.len()), (1, 1), "{report}");
        let failure = &report.failures[0];
        let text = report.to_string();
        assert_eq!(
            (failure.entity, failure.action, failure.label.as_str()),
            ("Entry", "read", "member of tenant 3")
        );
        assert!(text.contains("Entry / read — member of tenant 3"), "{text}");
        assert_eq!(failure.issues[0].0, PlanIssue::FullScan, "{text}");
        let offending = &failure.issues[0].1;
        match db.name {
            "sqlite" => assert_eq!(offending, "SCAN ledger", "{text}"),
            _ => assert!(
                offending.starts_with("Seq Scan on ledger")
                    || (offending.contains("on ledger") && !offending.contains("Index Cond")),
                "{text}"
            ),
        }
        assert!(text.contains(offending.as_str()), "{text}");
        assert!(text.contains("SELECT "), "the SQL is missing: {text}");
        assert!(text.contains("binds: [3, 50]"), "{text}");
        let fix = "CREATE INDEX ledger_tenant_id_id_idx ON ledger (tenant_id, id);";
        assert_eq!(failure.suggestion.as_deref(), Some(fix), "{text}");
        assert!(text.contains(fix), "{text}");

        // The suggestion is the fix.
        index(&db, fix).await;
        passes(check().run().await, &db);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_sort_for_the_order_by_fails_until_the_index_has_the_order_column() {
    for db in databases("idx_sort", SQLITE_DDL, PG_DDL).await {
        index(&db, "CREATE INDEX ledger_tenant ON ledger (tenant_id)").await;
        let scope = Entry::scope_for::<Read>(&member());
        let by_title = || {
            IndexCheck::new(&db.pool)
                .scope("member, by title", &scope, |f| [f.title.asc(), f.id.asc()])
        };
        let report = failures(by_title().run().await, &db);
        let failure = &report.failures[0];
        assert_eq!(
            failure
                .issues
                .iter()
                .map(|(issue, _)| *issue)
                .collect::<Vec<_>>(),
            [PlanIssue::SortForOrderBy],
            "{report}"
        );
        if db.name == "sqlite" {
            assert_eq!(failure.issues[0].1, "USE TEMP B-TREE FOR ORDER BY");
        }
        let fix = "CREATE INDEX ledger_tenant_id_title_id_idx ON ledger (tenant_id, title, id);";
        assert_eq!(failure.suggestion.as_deref(), Some(fix), "{report}");

        // Newest first: SQLite's (tenant_id) index ends with the rowid, so it is already in id
        // order; PostgreSQL needs the id in the index.
        let by_id = IndexCheck::new(&db.pool)
            .scope("member, newest first", &scope, |f| f.id.desc())
            .run()
            .await;
        match db.name {
            "sqlite" => passes(by_id, &db),
            _ => {
                let report = failures(by_id, &db);
                assert_eq!(
                    report.failures[0].suggestion.as_deref(),
                    Some("CREATE INDEX ledger_tenant_id_id_idx ON ledger (tenant_id, id);"),
                    "{report}"
                );
            }
        }

        index(&db, fix).await;
        passes(by_title().run().await, &db);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn narrowed_queries_are_checked_with_their_filters() {
    for db in databases("idx_narrow", SQLITE_DDL, PG_DDL).await {
        let scope = Entry::scope_for::<Read>(&member());
        let mine = scope.query().filter(ledger::owner_id.eq(5));
        let check = || IndexCheck::new(&db.pool).scope("own entries", &mine, |f| f.id.desc());
        let report = failures(check().run().await, &db);
        let fix =
            "CREATE INDEX ledger_tenant_id_owner_id_id_idx ON ledger (tenant_id, owner_id, id);";
        assert_eq!(
            report.failures[0].suggestion.as_deref(),
            Some(fix),
            "{report}"
        );
        assert!(report.to_string().contains("binds: [3, 5, 50]"), "{report}");
        index(&db, fix).await;
        passes(check().run().await, &db);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_list_of_every_row_is_no_full_scan_failure_but_its_sort_is() {
    for db in databases("idx_all", SQLITE_DDL, PG_DDL).await {
        let auditor = Viewer {
            id: 1,
            tenant_id: 1,
            role: Role::Auditor,
        };
        let scope = Entry::scope_for::<Read>(&auditor);
        passes(
            IndexCheck::new(&db.pool)
                .scope("auditor, newest first", &scope, |f| f.id.desc())
                .run()
                .await,
            &db,
        );
        let report = failures(
            IndexCheck::new(&db.pool)
                .scope("auditor, by title", &scope, |f| f.title.desc())
                .run()
                .await,
            &db,
        );
        let failure = &report.failures[0];
        assert!(
            failure
                .issues
                .iter()
                .all(|(i, _)| *i == PlanIssue::SortForOrderBy),
            "{report}"
        );
        assert_eq!(
            failure.suggestion.as_deref(),
            Some("CREATE INDEX ledger_title_idx ON ledger (title);"),
            "{report}"
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn an_or_with_nothing_in_common_gets_no_suggestion_and_can_be_accepted() {
    for db in databases("idx_or", SQLITE_DDL, PG_DDL).await {
        index(
            &db,
            "CREATE INDEX ledger_owner ON ledger (owner_id); \
             CREATE INDEX ledger_tenant_id_id ON ledger (tenant_id, id);",
        )
        .await;
        let archivist = Viewer {
            id: 5,
            tenant_id: 3,
            role: Role::Archivist,
        };
        let scope = Entry::scope_for::<Read>(&archivist);
        let report = failures(
            IndexCheck::new(&db.pool)
                .scope("archivist", &scope, |f| f.id.desc())
                .run()
                .await,
            &db,
        );
        let failure = &report.failures[0];
        assert_eq!(failure.suggestion, None, "{report}");
        assert!(
            failure
                .note
                .as_deref()
                .is_some_and(|n| n.contains("OR whose branches pin no column in common")),
            "{report}"
        );
        assert!(
            failure
                .issues
                .iter()
                .all(|(i, _)| *i == PlanIssue::SortForOrderBy),
            "{report}"
        );
        passes(
            IndexCheck::new(&db.pool)
                .scope("archivist", &scope, |f| f.id.desc())
                .allow(
                    PlanIssue::SortForOrderBy,
                    "own entries plus the tenant's archive: a few hundred rows",
                )
                .run()
                .await,
            &db,
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn the_checked_statement_is_the_one_a_scoped_list_runs() {
    for db in databases("idx_sql", SQLITE_DDL, PG_DDL).await {
        let scope = Entry::scope_for::<Read>(&member());
        let report = failures(
            IndexCheck::new(&db.pool)
                .limit(20)
                .scope("member", &scope, |f| [f.title.desc(), f.id.asc()])
                .run()
                .await,
            &db,
        );
        // What `Query::load` builds: the entity's select list, the scope as WHERE, the order,
        // the limit, as a boxed diesel query.
        let diesel_sql = match db.name {
            "sqlite" => diesel::debug_query::<diesel::sqlite::Sqlite, _>(
                &ledger::table
                    .select(Entry::as_select())
                    .into_boxed()
                    .filter(scope.sqlite_filter())
                    .then_order_by(ledger::title.desc())
                    .then_order_by(ledger::id.asc())
                    .limit(20),
            )
            .to_string(),
            _ => diesel::debug_query::<diesel::pg::Pg, _>(
                &ledger::table
                    .select(Entry::as_select())
                    .into_boxed()
                    .filter(scope.postgres_filter())
                    .then_order_by(ledger::title.desc())
                    .then_order_by(ledger::id.asc())
                    .limit(20),
            )
            .to_string(),
        };
        assert_eq!(report.failures[0].sql, diesel_sql);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn misuse_of_allow_is_a_failure_not_a_silent_pass() {
    for db in databases("idx_misuse", SQLITE_DDL, PG_DDL).await {
        index(
            &db,
            "CREATE INDEX ledger_tenant_id_id ON ledger (tenant_id, id)",
        )
        .await;
        let scope = Entry::scope_for::<Read>(&member());
        let report = failures(
            IndexCheck::new(&db.pool)
                .allow(PlanIssue::FullScan, "before any case")
                .scope("member", &scope, |f| f.id.desc())
                .allow(PlanIssue::SortForOrderBy, " ")
                .run()
                .await,
            &db,
        );
        let text = report.to_string();
        assert_eq!(report.failures.len(), 2, "{text}");
        assert!(text.contains("before any case was added"), "{text}");
        assert!(text.contains("needs a reason"), "{text}");
        db.cleanup().await;
    }
}

#[tokio::test]
async fn an_index_created_on_another_sqlite_connection_is_in_the_plan() {
    // SQLite plans EXPLAIN with the schema a connection has cached; a connection that read the
    // schema before another one created the index must still see it.
    let path = std::env::temp_dir().join(format!(
        "portcullis-idx-stale-{}.sqlite",
        std::process::id()
    ));
    let pool = portcullis::db::Pool::connect_with(
        portcullis::db::PoolConfig::new(path.to_str().unwrap()).max_size(2),
    )
    .await
    .unwrap();
    pool.unscoped("test fixture")
        .batch_execute(SQLITE_DDL)
        .await
        .unwrap();
    use diesel_async::SimpleAsyncConnection;
    let (
        portcullis::db::RawConnection::Sqlite(mut a),
        portcullis::db::RawConnection::Sqlite(mut b),
    ) = (
        pool.unscoped("test: two connections")
            .connection()
            .await
            .unwrap(),
        pool.unscoped("test: two connections")
            .connection()
            .await
            .unwrap(),
    )
    else {
        unreachable!("a SQLite path")
    };
    for conn in [&mut a, &mut b] {
        conn.batch_execute("SELECT * FROM ledger LIMIT 1")
            .await
            .unwrap();
    }
    drop(b);
    a.batch_execute("CREATE INDEX ledger_tenant_id_id ON ledger (tenant_id, id)")
        .await
        .unwrap();
    // `a` is held, so the check runs on `b`, whose cached schema has no index.
    let scope = Entry::scope_for::<Read>(&member());
    let result = IndexCheck::new(&pool)
        .scope("member", &scope, |f| f.id.desc())
        .run()
        .await;
    drop(a);
    drop(pool);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    if let Err(report) = result {
        panic!("{report}");
    }
}
