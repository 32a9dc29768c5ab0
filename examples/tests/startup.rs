//! The example binary stops on a bad start-up setting with one line on stderr naming the
//! setting and the cause, and a non-zero exit: no panic, no backtrace, no 5 s wait.

use std::process::Command;
use std::time::{Duration, Instant};

/// Runs the example binary with `env` (on a port the OS picks) and returns its exit code,
/// stderr and run time.
fn run_example(env: &[(&str, &str)]) -> (Option<i32>, String, Duration) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_portcullis-example"));
    cmd.env("PORT", "0")
        .env("RUST_BACKTRACE", "1")
        .env_remove("PORTCULLIS_REDIS_URL")
        .env_remove("DATABASE_SCHEMA");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let out = cmd.output().expect("run the example binary");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        started.elapsed(),
    )
}

#[test]
fn a_database_url_that_cannot_open_exits_non_zero_with_one_line() {
    let (code, stderr, elapsed) = run_example(&[("DATABASE_URL", "/nonexistent/dir/x.db")]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(
        stderr,
        "error: database: DATABASE_URL: cannot connect to /nonexistent/dir/x.db: \
         unable to open database file\n"
    );
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
}

#[test]
fn a_refused_postgres_url_exits_non_zero_without_the_password() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let url = format!("postgres://app:secret@127.0.0.1:{port}/app");
    let (code, stderr, elapsed) = run_example(&[("DATABASE_URL", &url)]);
    assert_eq!(code, Some(1), "{stderr}");
    let prefix = format!(
        "error: database: DATABASE_URL: cannot connect to postgres://app:***@127.0.0.1:{port}/app: "
    );
    assert!(stderr.starts_with(&prefix), "{stderr}");
    assert!(!stderr.contains("secret"), "password leaked: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
}

#[test]
fn an_unreachable_redis_url_exits_non_zero_naming_the_setting() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let db = std::env::temp_dir().join(format!("pc_example_startup_{}.db", std::process::id()));
    let redis = format!("redis://:secret@127.0.0.1:{port}");
    let (code, stderr, elapsed) = run_example(&[
        ("DATABASE_URL", db.to_str().expect("UTF-8 temp path")),
        ("PORTCULLIS_REDIS_URL", &redis),
    ]);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    assert_eq!(code, Some(1), "{stderr}");
    let prefix =
        format!("error: PORTCULLIS_REDIS_URL: cannot connect to redis://:***@127.0.0.1:{port}: ");
    assert!(stderr.starts_with(&prefix), "{stderr}");
    assert!(!stderr.contains("secret"), "password leaked: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
}
