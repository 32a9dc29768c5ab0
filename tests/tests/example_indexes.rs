//! The example's schema has the indexes its lists need: every entity's read scope, for a member
//! and an admin, in the orders the routes use (GET /docs newest/oldest first and by title, a
//! next page; GET /docs/{id}/comments; GET /admin/users), passes
//! `portcullis::testing::IndexCheck`. On SQLite, and on PostgreSQL with
//! `PORTCULLIS_TEST_SERVICES=1`; both with a few thousand extra rows (and ANALYZE on
//! PostgreSQL) so the plans are those of a database in use.

mod example_app;

use diesel::ExpressionMethods;
use portcullis::db::Backend;
use portcullis::testing::IndexCheck;
use portcullis::{Policy, Read};
use portcullis_example::model::{Account, Comment, Document, User, comments, documents};
use portcullis_example::store::find_by_email;

async fn user(pool: &portcullis::db::Pool, email: &str) -> User {
    let found = find_by_email(pool, email)
        .await
        .expect("user lookup")
        .unwrap_or_else(|| panic!("{email} is seeded"));
    User {
        id: found.id,
        tenant_id: found.tenant_id,
        admin: found.role == "admin",
    }
}

/// 40 more tenants, and 1,000 accounts, 4,000 documents and 4,000 comments spread over all 42:
/// one tenant's rows are a few percent of a table, as in a multi-tenant database in use (with
/// two tenants of half the rows each, walking the primary key and skipping the other tenant's
/// rows is as good as any index, and PostgreSQL rightly does that).
async fn add_rows(pool: &portcullis::db::Pool, author: &User) {
    let series = |n: u32| match pool.backend() {
        Backend::Postgres => format!("SELECT i FROM generate_series(1, {n}) AS i"),
        _ => format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) \
             SELECT i FROM n"
        ),
    };
    // Row i goes to the (i % 42)th tenant.
    let spread = "JOIN (SELECT id, ROW_NUMBER() OVER (ORDER BY id) - 1 AS k FROM tenants) AS t \
                  ON t.k = s.i % 42";
    let author = author.id;
    let sql = format!(
        "INSERT INTO tenants (name) SELECT 'bulk tenant ' || i FROM ({tenants}) AS s; \
         INSERT INTO users (tenant_id, email, password_hash, role) \
           SELECT t.id, 'bulk' || s.i || '@bulk.test', 'x', 'member' FROM ({users}) AS s {spread}; \
         INSERT INTO documents (tenant_id, owner_id, title, body, archived) \
           SELECT t.id, {author}, 'bulk document ' || s.i, 'body', s.i % 10 = 0 \
           FROM ({rows}) AS s {spread}; \
         INSERT INTO comments (tenant_id, document_id, author_id, body) \
           SELECT t.id, (SELECT MIN(id) FROM documents) + s.i % 500, {author}, 'comment' \
           FROM ({rows}) AS s {spread};",
        tenants = series(40),
        users = series(1000),
        rows = series(4000),
    );
    pool.unscoped("test fixture")
        .batch_execute(&sql)
        .await
        .expect("bulk rows");
    if pool.backend() == Backend::Postgres {
        pool.unscoped("test fixture")
            .batch_execute("ANALYZE tenants; ANALYZE users; ANALYZE documents; ANALYZE comments")
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn every_example_list_is_served_by_an_index() {
    for t in example_app::backends("indexes").await {
        if t.backend == "sqlite+redis" {
            t.finish().await; // the same SQLite schema as "sqlite"
            continue;
        }
        let pool = &t.example_pool;
        let member = user(pool, "alice@acme.test").await;
        let admin = user(pool, "amir@acme.test").await;
        assert!(!member.admin && admin.admin);
        add_rows(pool, &member).await;

        let mut check = IndexCheck::new(pool);
        for (who, subject) in [("member", &member), ("admin", &admin)] {
            let docs = Document::scope_for::<Read>(subject);
            let notes = Comment::scope_for::<Read>(subject);
            check = check
                // GET /docs (?order=..): the keyset orders, ties broken by id.
                .scope(format!("{who}: GET /docs newest first"), &docs, |f| {
                    f.id.desc()
                })
                .scope(format!("{who}: GET /docs oldest first"), &docs, |f| {
                    f.id.asc()
                })
                .scope(format!("{who}: GET /docs by title"), &docs, |f| {
                    [f.title.asc(), f.id.asc()]
                })
                .scope(
                    format!("{who}: GET /docs by title, descending"),
                    &docs,
                    |f| [f.title.desc(), f.id.asc()],
                )
                .scope(
                    format!("{who}: GET /docs next page, newest first"),
                    &docs.query().filter(documents::id.lt(1500)),
                    |f| f.id.desc(),
                )
                // GET /docs/{id}/comments, and the tenant's comments.
                .scope(
                    format!("{who}: GET /docs/1/comments"),
                    &notes.query().filter(comments::document_id.eq(1)),
                    |f| f.id.asc(),
                )
                .scope(format!("{who}: the tenant's comments"), &notes, |f| {
                    f.id.asc()
                });
        }
        check = check
            .scope(
                "member: own account",
                &Account::scope_for::<Read>(&member),
                |f| f.id.asc(),
            )
            // GET /admin/users.
            .scope(
                "admin: GET /admin/users",
                &Account::scope_for::<Read>(&admin),
                |f| f.id.asc(),
            );
        if let Err(report) = check.run().await {
            panic!("{}: {report}", t.backend);
        }
        t.finish().await;
    }
}
