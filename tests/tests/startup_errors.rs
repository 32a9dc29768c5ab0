//! Start-up errors name their cause at once: opening a pool (and the example's Redis stores)
//! reports the setting, the URL without its password and the server's own message, within a
//! second or two, not after the pool's 5 s connection timeout with `Timed out in bb8`.
//!
//! The refused-port cases need no service and always run; the ones that need the PostgreSQL
//! server to answer run with `PORTCULLIS_TEST_SERVICES=1` (and then fail loudly if it is down,
//! since its message would not be the expected one).

mod example_app;

use portcullis::db::{Pool, PoolConfig};
use std::time::{Duration, Instant};

/// An error must come this fast: well under the default 5 s connection timeout.
const PROMPT: Duration = Duration::from_secs(3);

/// A loopback port nobody listens on (bound, then released).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

/// Opens a pool on `config` and returns the error message and how long it took.
async fn connect_error(config: PoolConfig) -> (String, Duration) {
    let started = Instant::now();
    let result = Pool::connect_with(config).await;
    let elapsed = started.elapsed();
    match result {
        Ok(_) => panic!("the pool opened, but it should have failed"),
        Err(e) => (e.to_string(), elapsed),
    }
}

fn assert_one_line(msg: &str) {
    assert!(!msg.contains('\n'), "not one line: {msg:?}");
}

#[tokio::test]
async fn sqlite_path_in_a_missing_directory_names_the_setting_and_the_cause() {
    let (msg, elapsed) = connect_error(PoolConfig::new("/nonexistent/dir/x.db")).await;
    assert_eq!(
        msg,
        "DATABASE_URL: cannot connect to /nonexistent/dir/x.db: unable to open database file"
    );
    assert!(elapsed < PROMPT, "took {elapsed:?}");
}

#[tokio::test]
async fn refused_postgres_port_answers_at_once_without_the_password() {
    let port = free_port();
    let url = format!("postgres://app:secret@127.0.0.1:{port}/test");
    let (msg, elapsed) = connect_error(PoolConfig::new(url).setting("APP_DATABASE_URL")).await;
    let prefix =
        format!("APP_DATABASE_URL: cannot connect to postgres://app:***@127.0.0.1:{port}/test: ");
    assert!(msg.starts_with(&prefix), "{msg}");
    assert!(msg.to_lowercase().contains("connection refused"), "{msg}");
    assert!(!msg.contains("secret"), "password leaked: {msg}");
    assert_one_line(&msg);
    assert!(elapsed < PROMPT, "took {elapsed:?}");
}

#[tokio::test]
async fn from_env_names_database_url() {
    let port = free_port();
    let config = PoolConfig::from_lookup(format!("postgres://127.0.0.1:{port}/x"), |_| None)
        .expect("no PORTCULLIS_DB__* set");
    let (msg, _) = connect_error(config).await;
    assert!(
        msg.starts_with("DATABASE_URL: cannot connect to postgres://127.0.0.1:"),
        "{msg}"
    );
}

#[tokio::test]
async fn missing_postgres_database_says_so() {
    if !example_app::services_enabled() {
        return;
    }
    let (msg, elapsed) = connect_error(PoolConfig::new(
        "postgres://postgres@127.0.0.1:5432/pc_no_such_database",
    ))
    .await;
    assert!(
        msg.starts_with(
            "DATABASE_URL: cannot connect to postgres://postgres@127.0.0.1:5432/pc_no_such_database: "
        ),
        "{msg}"
    );
    assert!(
        msg.contains("database \"pc_no_such_database\" does not exist"),
        "{msg}"
    );
    assert_one_line(&msg);
    assert!(elapsed < PROMPT, "took {elapsed:?}");
}

#[tokio::test]
async fn bad_postgres_credentials_say_so_without_the_password() {
    if !example_app::services_enabled() {
        return;
    }
    let (msg, elapsed) = connect_error(PoolConfig::new(
        "postgres://nosuchuser:secret@127.0.0.1:5432/test",
    ))
    .await;
    assert!(
        msg.starts_with(
            "DATABASE_URL: cannot connect to postgres://nosuchuser:***@127.0.0.1:5432/test: "
        ),
        "{msg}"
    );
    assert!(msg.contains("\"nosuchuser\""), "{msg}");
    assert!(!msg.contains("secret"), "password leaked: {msg}");
    assert_one_line(&msg);
    assert!(elapsed < PROMPT, "took {elapsed:?}");
}

#[tokio::test]
async fn unreachable_redis_names_the_setting_without_the_password() {
    let (mut config, path) = example_app::config("redis_down");
    let port = free_port();
    config.redis_url = Some(format!("redis://:secret@127.0.0.1:{port}/0"));
    let started = Instant::now();
    let result = portcullis_example::example(config).await;
    let elapsed = started.elapsed();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let msg = match result {
        Ok(_) => panic!("the example started without its Redis"),
        Err(e) => e.to_string(),
    };
    let prefix =
        format!("PORTCULLIS_REDIS_URL: cannot connect to redis://:***@127.0.0.1:{port}/0: ");
    assert!(msg.starts_with(&prefix), "{msg}");
    assert!(msg.to_lowercase().contains("refused"), "{msg}");
    assert!(!msg.contains("secret"), "password leaked: {msg}");
    assert_one_line(&msg);
    assert!(elapsed < PROMPT, "took {elapsed:?}");
}

#[tokio::test]
async fn a_redis_that_never_answers_fails_start_up_after_the_connect_timeout() {
    // Accepts connections and never says a word: start-up must not hang on it.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("local address").port();
    let (mut config, path) = example_app::config("redis_silent");
    config.redis_url = Some(format!("redis://:secret@127.0.0.1:{port}/0"));
    let started = Instant::now();
    let result =
        tokio::time::timeout(Duration::from_secs(10), portcullis_example::example(config)).await;
    let elapsed = started.elapsed();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    drop(silent);
    let msg = match result {
        Err(_) => panic!("start-up hung on a silent Redis"),
        Ok(Ok(_)) => panic!("the example started without its Redis"),
        Ok(Err(e)) => e.to_string(),
    };
    assert!(msg.starts_with("PORTCULLIS_REDIS_URL: "), "{msg}");
    assert!(!msg.contains("secret"), "password leaked: {msg}");
    assert_one_line(&msg);
    assert!(elapsed < PROMPT, "took {elapsed:?}");
}

#[tokio::test]
async fn a_server_that_never_answers_fails_after_the_connection_timeout() {
    // Accepts connections (the kernel completes the handshake) and never says a word.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("local address").port();
    let config = PoolConfig::new(format!("postgres://app:secret@127.0.0.1:{port}/app"))
        .connection_timeout(Duration::from_millis(300));
    let started = Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(10), Pool::connect_with(config)).await;
    let elapsed = started.elapsed();
    let msg = match result {
        Err(_) => panic!("opening the pool hung for {elapsed:?}"),
        Ok(Ok(_)) => panic!("the pool opened on a silent server"),
        Ok(Err(e)) => e.to_string(),
    };
    assert_eq!(
        msg,
        format!(
            "DATABASE_URL: cannot connect to postgres://app:***@127.0.0.1:{port}/app: \
             no answer within 300 ms (PORTCULLIS_DB__CONNECTION_TIMEOUT_MS)"
        )
    );
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
    drop(silent);
}
