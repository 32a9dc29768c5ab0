//! `PoolConfig`: every SQLite pragma is in effect on every pooled connection, the pool opens as
//! many connections as configured (by default from the core count), and malformed or
//! out-of-range settings are start-up errors that name the setting. PostgreSQL pool size with
//! `PORTCULLIS_TEST_SERVICES=1`.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Integer, Text};
use diesel_async::RunQueryDsl;
use portcullis::db::{Backend, DbError, Pool, PoolConfig, RawConnection, Synchronous};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A fresh SQLite file; removed (with its WAL files) when dropped.
struct TempDb(std::path::PathBuf);

impl TempDb {
    fn new(tag: &str) -> Self {
        Self(std::env::temp_dir().join(format!(
            "portcullis-pool-{tag}-{}-{}.sqlite",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        )))
    }
    fn url(&self) -> &str {
        self.0.to_str().expect("temp path is UTF-8")
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

#[derive(QueryableByName)]
struct JournalMode {
    #[diesel(sql_type = Text)]
    journal_mode: String,
}
#[derive(QueryableByName)]
struct SynchronousRow {
    #[diesel(sql_type = Integer)]
    synchronous: i32,
}
#[derive(QueryableByName)]
struct ForeignKeys {
    #[diesel(sql_type = Integer)]
    foreign_keys: i32,
}
#[derive(QueryableByName)]
struct CacheSize {
    #[diesel(sql_type = BigInt)]
    cache_size: i64,
}
#[derive(QueryableByName)]
struct MmapSize {
    #[diesel(sql_type = BigInt)]
    mmap_size: i64,
}
#[derive(QueryableByName)]
struct TempStore {
    #[diesel(sql_type = Integer)]
    temp_store: i32,
}
#[derive(QueryableByName)]
struct BusyTimeout {
    #[diesel(sql_type = BigInt)]
    timeout: i64,
}

/// The pragmas one connection reports.
#[derive(Debug, PartialEq)]
struct Pragmas {
    journal_mode: String,
    synchronous: i32,
    foreign_keys: i32,
    cache_size: i64,
    mmap_size: i64,
    temp_store: i32,
    busy_timeout: i64,
}

async fn pragmas(conn: &mut portcullis::db::SqliteConnection) -> Pragmas {
    macro_rules! one {
        ($sql:literal, $row:ty, $field:ident) => {
            diesel::sql_query($sql)
                .get_result::<$row>(conn)
                .await
                .expect($sql)
                .$field
        };
    }
    Pragmas {
        journal_mode: one!("PRAGMA journal_mode", JournalMode, journal_mode),
        synchronous: one!("PRAGMA synchronous", SynchronousRow, synchronous),
        foreign_keys: one!("PRAGMA foreign_keys", ForeignKeys, foreign_keys),
        cache_size: one!("PRAGMA cache_size", CacheSize, cache_size),
        mmap_size: one!("PRAGMA mmap_size", MmapSize, mmap_size),
        temp_store: one!("PRAGMA temp_store", TempStore, temp_store),
        busy_timeout: one!("PRAGMA busy_timeout", BusyTimeout, timeout),
    }
}

/// A pooled connection of either backend, through the pool's escape hatch.
async fn raw(pool: &Pool) -> Result<RawConnection<'_>, portcullis::db::DbError> {
    pool.unscoped("test: hold pooled connections")
        .connection()
        .await
}

/// Holds `n` connections at once (so they are `n` different connections) and reads each one's
/// pragmas.
async fn pragmas_of_every_connection(pool: &Pool, n: usize) -> Vec<Pragmas> {
    let mut held = Vec::new();
    for _ in 0..n {
        match raw(pool).await.expect("a pooled connection") {
            RawConnection::Sqlite(conn) => held.push(conn),
            other => panic!("expected a SQLite pool, got {other:?}"),
        }
    }
    let mut out = Vec::new();
    for conn in &mut held {
        out.push(pragmas(conn).await);
    }
    out
}

#[tokio::test]
async fn default_pragmas_are_in_effect_on_every_pooled_connection() {
    let db = TempDb::new("defaults");
    let pool = Pool::connect_with(PoolConfig::new(db.url()).max_size(3))
        .await
        .unwrap();
    let expected = Pragmas {
        journal_mode: "wal".into(),
        synchronous: 1,               // NORMAL
        foreign_keys: 1,              // ON
        cache_size: -16 * 1024,       // 16 MiB, in KiB
        mmap_size: 256 * 1024 * 1024, // 256 MiB
        temp_store: 2,                // MEMORY
        busy_timeout: 5000,
    };
    let seen = pragmas_of_every_connection(&pool, 3).await;
    assert_eq!(seen.len(), 3);
    for p in seen {
        assert_eq!(p, expected);
    }
}

#[tokio::test]
async fn configured_pragmas_are_in_effect_on_every_pooled_connection() {
    let db = TempDb::new("configured");
    let config = PoolConfig::new(db.url())
        .max_size(4)
        .busy_timeout(Duration::from_millis(1234))
        .sqlite_synchronous(Synchronous::Full)
        .sqlite_cache_mib(48)
        .sqlite_mmap_mib(0);
    let pool = Pool::connect_with(config).await.unwrap();
    for p in pragmas_of_every_connection(&pool, 4).await {
        assert_eq!(
            p,
            Pragmas {
                journal_mode: "wal".into(),
                synchronous: 2,
                foreign_keys: 1,
                cache_size: -48 * 1024,
                mmap_size: 0,
                temp_store: 2,
                busy_timeout: 1234,
            }
        );
    }
}

#[tokio::test]
async fn settings_from_the_environment_reach_the_connections() {
    let db = TempDb::new("env");
    let vars = [
        ("PORTCULLIS_DB__MAX_SIZE", "2"),
        ("PORTCULLIS_DB__SQLITE_CACHE_MIB", "20"),
        ("PORTCULLIS_DB__SQLITE_MMAP_MIB", "64"),
        ("PORTCULLIS_DB__SQLITE_SYNCHRONOUS", "FULL"),
        ("PORTCULLIS_DB__BUSY_TIMEOUT_MS", "250"),
        ("PORTCULLIS_DB__CONNECTION_TIMEOUT_MS", "300"),
    ];
    let lookup = |name: &str| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    };
    let config = PoolConfig::from_lookup(db.url(), lookup).unwrap();
    assert_eq!(config.effective_max_size(Backend::Sqlite), 2);
    let pool = Pool::connect_with(config).await.unwrap();
    for p in pragmas_of_every_connection(&pool, 2).await {
        assert_eq!(
            (p.cache_size, p.mmap_size, p.synchronous, p.busy_timeout),
            (-20 * 1024, 64 * 1024 * 1024, 2, 250)
        );
    }
    // Two connections, 300 ms to wait for one: the third request times out.
    let _a = raw(&pool).await.unwrap();
    let _b = raw(&pool).await.unwrap();
    let started = std::time::Instant::now();
    assert!(
        raw(&pool).await.is_err(),
        "a third connection was handed out"
    );
    assert!(started.elapsed() >= Duration::from_millis(250));
}

#[tokio::test]
async fn the_default_pool_size_comes_from_the_core_count() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as u32;
    let expected = (2 * cores).clamp(4, 64);
    assert_eq!(PoolConfig::default_max_size(Backend::Sqlite), expected);
    #[cfg(feature = "postgres")]
    assert_eq!(
        PoolConfig::default_max_size(Backend::Postgres),
        (2 * cores + 1).min(32)
    );

    let db = TempDb::new("size");
    let pool = Pool::connect_with(
        PoolConfig::new(db.url()).connection_timeout(Duration::from_millis(200)),
    )
    .await
    .unwrap();
    let mut held = Vec::new();
    for _ in 0..expected {
        held.push(raw(&pool).await.expect("within the default size"));
    }
    assert!(
        raw(&pool).await.is_err(),
        "more than {expected} connections were opened"
    );
}

#[tokio::test]
async fn malformed_or_out_of_range_environment_values_name_the_setting() {
    let cases = [
        ("PORTCULLIS_DB__MAX_SIZE", "0", "from 1 to 1024"),
        ("PORTCULLIS_DB__MAX_SIZE", "ten", "from 1 to 1024"),
        ("PORTCULLIS_DB__MAX_SIZE", "-1", "from 1 to 1024"),
        ("PORTCULLIS_DB__SQLITE_CACHE_MIB", "0", "MiB from 1 to 4096"),
        (
            "PORTCULLIS_DB__SQLITE_CACHE_MIB",
            "16MiB",
            "MiB from 1 to 4096",
        ),
        (
            "PORTCULLIS_DB__SQLITE_MMAP_MIB",
            "4096",
            "MiB from 0 to 2047",
        ),
        (
            "PORTCULLIS_DB__SQLITE_SYNCHRONOUS",
            "fast",
            "one of off, normal, full",
        ),
        (
            "PORTCULLIS_DB__BUSY_TIMEOUT_MS",
            "600001",
            "milliseconds from 0 to 600000",
        ),
        (
            "PORTCULLIS_DB__CONNECTION_TIMEOUT_MS",
            "0",
            "milliseconds from 1 to 600000",
        ),
        (
            "PORTCULLIS_DB__CONNECTION_TIMEOUT_MS",
            "1.5",
            "milliseconds from 1 to 600000",
        ),
    ];
    for (name, value, expected) in cases {
        let err = PoolConfig::from_lookup("app.db", |n| (n == name).then(|| value.to_owned()))
            .unwrap_err();
        assert!(
            matches!(&err, DbError::InvalidSetting { setting, .. } if setting == name),
            "{name}={value}: {err:?}"
        );
        let msg = err.to_string();
        assert!(
            msg.starts_with(name) && msg.contains(value) && msg.contains(expected),
            "{name}={value}: {msg}"
        );
    }
    // Blank means unset; case does not matter for the synchronous mode.
    let ok = PoolConfig::from_lookup("app.db", |n| match n {
        "PORTCULLIS_DB__MAX_SIZE" => Some("  ".into()),
        "PORTCULLIS_DB__SQLITE_SYNCHRONOUS" => Some(" Off ".into()),
        _ => None,
    });
    assert!(ok.is_ok(), "{ok:?}");
}

#[tokio::test]
async fn bad_values_set_in_code_fail_at_start_up_without_a_panic() {
    let cases: [(PoolConfig, &str); 5] = [
        (
            PoolConfig::new("unused.db").max_size(0),
            "PoolConfig::max_size (PORTCULLIS_DB__MAX_SIZE)",
        ),
        (
            PoolConfig::new("unused.db").connection_timeout(Duration::ZERO),
            "PoolConfig::connection_timeout (PORTCULLIS_DB__CONNECTION_TIMEOUT_MS)",
        ),
        (
            PoolConfig::new("unused.db").busy_timeout(Duration::from_secs(3600)),
            "PoolConfig::busy_timeout (PORTCULLIS_DB__BUSY_TIMEOUT_MS)",
        ),
        (
            PoolConfig::new("unused.db").sqlite_cache_mib(0),
            "PoolConfig::sqlite_cache_mib (PORTCULLIS_DB__SQLITE_CACHE_MIB)",
        ),
        (
            PoolConfig::new("unused.db").sqlite_mmap_mib(2048),
            "PoolConfig::sqlite_mmap_mib (PORTCULLIS_DB__SQLITE_MMAP_MIB)",
        ),
    ];
    for (config, setting) in cases {
        let err = Pool::connect_with(config).await.unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with(setting), "{msg}");
        assert!(msg.contains("expected a whole number"), "{msg}");
    }
    assert!(
        !std::path::Path::new("unused.db").exists(),
        "a rejected configuration opened its database"
    );
}

#[cfg(feature = "postgres")]
fn services_enabled() -> bool {
    std::env::var("PORTCULLIS_TEST_SERVICES").is_ok_and(|v| v == "1")
}

#[cfg(feature = "postgres")]
const PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_pool_size_defaults_from_the_core_count() {
    if !services_enabled() {
        return;
    }
    let pool =
        Pool::connect_with(PoolConfig::new(PG_URL).connection_timeout(Duration::from_millis(300)))
            .await
            .unwrap_or_else(|e| {
                panic!("PORTCULLIS_TEST_SERVICES=1 but PostgreSQL at {PG_URL} is unreachable: {e}")
            });
    let expected = PoolConfig::default_max_size(Backend::Postgres);
    let mut held = Vec::new();
    for _ in 0..expected {
        held.push(raw(&pool).await.expect("within the default size"));
    }
    assert!(
        raw(&pool).await.is_err(),
        "more than {expected} connections were opened"
    );
    // The SQLite settings do not apply, and do not break a PostgreSQL pool.
    drop(held);
    let pool = Pool::connect_with(
        PoolConfig::new(PG_URL)
            .max_size(2)
            .sqlite_synchronous(Synchronous::Off),
    )
    .await
    .unwrap();
    pool.unscoped("test fixture")
        .batch_execute("SELECT 1")
        .await
        .unwrap();
}

#[tokio::test]
async fn an_unopenable_database_fails_at_start_up_naming_the_setting() {
    let dir = std::env::temp_dir().join(format!("portcullis-missing-dir-{}", std::process::id()));
    let url = dir.join("app.db");
    let err = Pool::connect_with(
        PoolConfig::new(url.to_str().unwrap())
            .setting("APP_DATABASE")
            .connection_timeout(Duration::from_millis(300)),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, DbError::Connect { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("APP_DATABASE: cannot connect to"),
        "{err}"
    );
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn an_unreachable_postgres_server_fails_at_start_up() {
    // Port 1: nothing listens there; the pool gives up after its connection timeout.
    let started = std::time::Instant::now();
    let err = Pool::connect_with(
        PoolConfig::new("postgres://app:s3cret@127.0.0.1:1/x")
            .connection_timeout(Duration::from_millis(300)),
    )
    .await
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with("DATABASE_URL: cannot connect to postgres://app:***@127.0.0.1:1/x"),
        "{msg}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

/// Several pools (instances) opening the same new database file at the same moment all start:
/// the losers of the switch to WAL wait for the lock like any other, instead of failing with
/// `database is locked`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pools_opening_one_new_file_at_once_all_start() {
    for round in 0..5 {
        let db = TempDb::new("race");
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(8));
        let mut opens = tokio::task::JoinSet::new();
        for i in 0..8 {
            let (url, barrier) = (db.url().to_owned(), barrier.clone());
            opens.spawn(async move {
                barrier.wait().await;
                let pool = Pool::connect(&url).await?;
                // Each instance also writes at once, as a starting application migrates.
                pool.unscoped("test: write while other pools open")
                    .batch_execute(&format!(
                        "CREATE TABLE IF NOT EXISTS t{i} (id INTEGER PRIMARY KEY, v TEXT);
                         INSERT INTO t{i} (v) VALUES ('x');"
                    ))
                    .await?;
                Ok::<_, DbError>(pool)
            });
        }
        while let Some(opened) = opens.join_next().await {
            if let Err(e) = opened.expect("task") {
                panic!("round {round}: a pool failed to open or write: {e}");
            }
        }
    }
}
