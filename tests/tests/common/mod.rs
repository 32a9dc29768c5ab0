//! Shared fixtures: the documents schema, entity and policy, and one database per backend
//! (SQLite always; PostgreSQL in its own schema when `PORTCULLIS_TEST_SERVICES=1`).
#![allow(dead_code)]

use portcullis::db::{Pool, PoolConfig};
use portcullis::{Action, Resource, policy};
use std::sync::atomic::{AtomicU32, Ordering};

pub mod app;
pub mod tasks;

diesel::table! {
    documents (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        owner_id -> BigInt,
        title -> Text,
        body -> Text,
        archived -> Bool,
        internal_notes -> Nullable<Text>,
        reviewer_id -> Nullable<BigInt>,
    }
}

#[derive(Debug, Clone, PartialEq, Resource, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = documents)]
#[resource(rename_all = "camelCase")]
pub struct Document {
    #[expose]
    pub id: i64,
    #[expose]
    pub tenant_id: i64,
    #[expose]
    pub owner_id: i64,
    #[expose]
    pub title: String,
    #[expose]
    pub body: String,
    #[resource(default)]
    pub archived: bool,
    pub internal_notes: Option<String>,
    #[expose(skip_if_none)]
    pub reviewer_id: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub tenant_id: i64,
    pub admin: bool,
}

impl User {
    pub fn is_admin(&self) -> bool {
        self.admin
    }
}

#[derive(Action)]
pub struct Archive;

#[policy(Document, subject = User)]
pub fn documents(user: &User) {
    allow!(read where tenant_id == user.tenant_id && !archived);
    allow!(read(id, title) where tenant_id == user.tenant_id && archived);
    allow!(create(title, body) where tenant_id == user.tenant_id && owner_id == user.id);
    allow!(update(title, body) where tenant_id == user.tenant_id && owner_id == user.id);
    allow!(Archive where tenant_id == user.tenant_id && owner_id == user.id);
    if user.is_admin() {
        allow!(delete where tenant_id == user.tenant_id);
        allow!(update(title, body, internal_notes) where tenant_id == user.tenant_id);
    }
    deny!(update where archived);
}

pub const SQLITE_SCHEMA: &str = "
CREATE TABLE documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL,
    owner_id BIGINT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    archived BOOLEAN NOT NULL DEFAULT FALSE,
    internal_notes TEXT,
    reviewer_id BIGINT
);";

pub const PG_SCHEMA: &str = "
CREATE TABLE documents (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL,
    owner_id BIGINT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    archived BOOLEAN NOT NULL DEFAULT FALSE,
    internal_notes TEXT,
    reviewer_id BIGINT
);";

pub fn services_enabled() -> bool {
    std::env::var("PORTCULLIS_TEST_SERVICES").is_ok_and(|v| v == "1")
}

pub const PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "pc_{}_{}_{}_{}",
        tag,
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

/// A database for one test; `cleanup` drops it (PostgreSQL schema / SQLite file).
pub struct TestDb {
    pub name: &'static str,
    pub pool: Pool,
    cleanup: Cleanup,
}

enum Cleanup {
    File(std::path::PathBuf),
    Schema(String),
}

impl TestDb {
    pub async fn cleanup(self) {
        match self.cleanup {
            Cleanup::File(path) => {
                drop(self.pool);
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Schema(schema) => {
                let admin = Pool::connect(PG_URL).await.expect("PostgreSQL for cleanup");
                admin
                    .unscoped("test fixture")
                    .batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                    .await
                    .expect("drop test schema");
            }
        }
    }
}

/// SQLite always; PostgreSQL too when services are enabled (and then it must be reachable).
pub async fn databases(tag: &str, sqlite_ddl: &str, pg_ddl: &str) -> Vec<TestDb> {
    let mut out = Vec::new();
    let path = std::env::temp_dir().join(format!("{}.sqlite", unique(tag)));
    let pool = Pool::connect(path.to_str().expect("temp path is UTF-8"))
        .await
        .expect("open SQLite test database");
    pool.unscoped("test fixture")
        .batch_execute(sqlite_ddl)
        .await
        .expect("create SQLite tables");
    out.push(TestDb {
        name: "sqlite",
        pool,
        cleanup: Cleanup::File(path),
    });

    if services_enabled() {
        let schema = unique(tag);
        let admin = Pool::connect(PG_URL).await.unwrap_or_else(|e| {
            panic!("PORTCULLIS_TEST_SERVICES=1 but PostgreSQL at {PG_URL} is unreachable: {e}")
        });
        admin
            .unscoped("test fixture")
            .batch_execute(&format!("CREATE SCHEMA \"{schema}\""))
            .await
            .expect("create test schema");
        let pool = Pool::connect_with(PoolConfig::new(PG_URL).schema(schema.clone()))
            .await
            .expect("connect to the test schema");
        pool.unscoped("test fixture")
            .batch_execute(pg_ddl)
            .await
            .expect("create PostgreSQL tables");
        out.push(TestDb {
            name: "postgres",
            pool,
            cleanup: Cleanup::Schema(schema),
        });
    }
    out
}

pub fn alice() -> User {
    User {
        id: 1,
        tenant_id: 10,
        admin: false,
    }
}
pub fn bob_admin() -> User {
    User {
        id: 2,
        tenant_id: 10,
        admin: true,
    }
}
pub fn mallory_other_tenant() -> User {
    User {
        id: 3,
        tenant_id: 20,
        admin: true,
    }
}

/// Seeds: 1 alice's doc (tenant 10), 2 bob's doc (tenant 10), 3 archived alice doc,
/// 4 other tenant's doc.
pub const SEED: &str = "
INSERT INTO documents (tenant_id, owner_id, title, body, archived, internal_notes, reviewer_id) VALUES
 (10, 1, 'alice doc', 'a', FALSE, 'secret-a', NULL),
 (10, 2, 'bob doc', 'b', FALSE, NULL, 1),
 (10, 1, 'old doc', 'c', TRUE, 'secret-c', NULL),
 (20, 3, 'other tenant', 'd', FALSE, 'secret-d', NULL);";

/// The same table seen through a resource that conceals existence: out of scope is 404.
#[derive(Debug, Clone, Resource, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = documents)]
#[resource(conceal)]
pub struct HiddenDocument {
    #[expose]
    pub id: i64,
    pub tenant_id: i64,
    pub owner_id: i64,
    #[expose]
    pub title: String,
    pub body: String,
    pub archived: bool,
    pub internal_notes: Option<String>,
    pub reviewer_id: Option<i64>,
}

#[policy(HiddenDocument, subject = User)]
pub fn hidden_documents(user: &User) {
    allow!(read where tenant_id == user.tenant_id);
}
