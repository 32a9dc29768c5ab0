//! The hand-written twin answers exactly like the example (the premise of every benchmark in
//! this crate): same status, content type, challenge and body for keyset and offset pages in
//! every ordering, every malformed parameter, single documents in and out of the caller's
//! tenant, archived ones, and missing or forged tokens; on the benchmarks' data (SQLite, 10,000
//! documents; with `PORTCULLIS_TEST_SERVICES=1` also PostgreSQL, 100,000 documents).

use portcullis::unscoped::RawConnection;
use portcullis_bench::fixture::{self, Db, Pair, compared_uris};

/// The first page, every compared URI, the two unauthenticated requests, pages 2 to 80 by
/// cursor, the deep offset page, and 3 pages in title order.
const fn expected_requests(uris: usize) -> usize {
    1 + uris + 2 + (fixture::DEEP_PAGE - 1) + 1 + 3
}

#[test]
fn twin_answers_like_the_example_on_sqlite() {
    // `Pair::start` compares the twin with the example and fails with every difference listed.
    let (_rt, pair) =
        Pair::start_blocking(|_| Ok(Db::sqlite("twin_test"))).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        pair.compared.requests,
        expected_requests(compared_uris(1).len())
    );
}

#[test]
fn twin_answers_like_the_example_on_postgres() {
    if !fixture::services() {
        eprintln!(
            "skipped: set PORTCULLIS_TEST_SERVICES=1 to run against PostgreSQL at 127.0.0.1:5432"
        );
        return;
    }
    let (_rt, pair) = Pair::start_blocking(|rt| rt.block_on(Db::postgres("twin_test")))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        pair.compared.requests,
        expected_requests(compared_uris(1).len())
    );
}

/// The twin's SQLite connections run with the example's settings (pool size comes from the
/// example's `PoolConfig::from_env`, see `portcullis_bench::plain::config`).
#[test]
fn twin_pool_has_the_example_settings() {
    let (rt, pair) =
        Pair::start_blocking(|_| Ok(Db::sqlite("twin_pool"))).unwrap_or_else(|e| panic!("{e}"));
    let config = portcullis_bench::plain::config(pair.db(), &pair.state.jwt.jwks_json())
        .unwrap_or_else(|e| panic!("{e}"));
    let settings = rt.block_on(async {
        let raw = pair.state.pool.unscoped("test: read the SQLite settings");
        let RawConnection::Sqlite(mut ours) = raw.connection().await.expect("connection") else {
            panic!("the example runs on SQLite here")
        };
        let portcullis_plain_twin::Pool::Sqlite(twin_pool) =
            portcullis_plain_twin::connect(&config)
                .await
                .expect("twin pool")
        else {
            panic!("the twin runs on SQLite here")
        };
        let mut theirs = twin_pool.get().await.expect("twin connection");
        (
            fixture::sqlite_settings(&mut ours)
                .await
                .expect("example settings"),
            fixture::sqlite_settings(&mut theirs)
                .await
                .expect("twin settings"),
        )
    });
    assert_eq!(settings.0, settings.1);
    assert!(settings.0.contains("journal_mode=wal"), "{}", settings.0);
}
