//! Shared set-up for the authn integration tests: SQLite temp files, PostgreSQL schemas and
//! Redis prefixes, one per test. Service-backed helpers panic loudly when the service is down.
#![allow(dead_code)]

use portcullis::db::{Pool, PoolConfig};
use std::sync::atomic::{AtomicU64, Ordering};

pub const PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
pub const REDIS_URL: &str = "redis://127.0.0.1:6379";

/// Whether service-backed tests should run (`PORTCULLIS_TEST_SERVICES=1`).
pub fn services() -> bool {
    std::env::var("PORTCULLIS_TEST_SERVICES").is_ok_and(|v| v == "1")
}

fn unique(tag: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{tag}_{}_{}_{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A migrated SQLite database in a temp file unique to the test; deleted on drop.
pub struct SqliteDb {
    pub pool: Pool,
    path: std::path::PathBuf,
}

impl Drop for SqliteDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.path.display()));
        }
    }
}

pub async fn sqlite(tag: &str) -> SqliteDb {
    let path = std::env::temp_dir().join(format!("{}.sqlite", unique(tag)));
    let pool = Pool::connect_with(PoolConfig::new(path.to_str().unwrap()).max_size(8))
        .await
        .expect("open SQLite temp file");
    portcullis::authn::migrate(&pool).await.expect("migrate");
    SqliteDb { pool, path }
}

/// A migrated PostgreSQL schema unique to the test. Call `drop_schema` at the end.
#[cfg(feature = "postgres")]
pub struct PgSchema {
    pub pool: Pool,
    admin: Pool,
    name: String,
}

#[cfg(feature = "postgres")]
pub async fn postgres(tag: &str) -> PgSchema {
    let admin = Pool::connect_with(PoolConfig::new(PG_URL).max_size(1))
        .await
        .unwrap_or_else(|e| {
            panic!("PORTCULLIS_TEST_SERVICES=1 but PostgreSQL at {PG_URL} is unreachable: {e}")
        });
    let name = unique(tag).to_lowercase();
    admin
        .unscoped("test fixture")
        .batch_execute(&format!("CREATE SCHEMA \"{name}\""))
        .await
        .expect("create schema");
    let pool = Pool::connect_with(PoolConfig::new(PG_URL).schema(&name).max_size(8))
        .await
        .expect("connect to the test schema");
    portcullis::authn::migrate(&pool).await.expect("migrate");
    PgSchema { pool, admin, name }
}

#[cfg(feature = "postgres")]
impl PgSchema {
    pub async fn drop_schema(self) {
        drop(self.pool);
        self.admin
            .unscoped("test fixture")
            .batch_execute(&format!("DROP SCHEMA \"{}\" CASCADE", self.name))
            .await
            .expect("drop schema");
    }
}

/// A random Redis key prefix for one test.
pub fn redis_prefix(tag: &str) -> String {
    format!("portcullis-test:{}:", unique(tag))
}

/// Panics with a clear message when Redis is down.
#[cfg(feature = "redis")]
pub fn redis_unreachable(e: impl std::fmt::Display) -> ! {
    panic!("PORTCULLIS_TEST_SERVICES=1 but Redis at {REDIS_URL} is unreachable: {e}")
}
