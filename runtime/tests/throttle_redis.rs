//! Redis throttling against the real server at 127.0.0.1:6379 (only with
//! `PORTCULLIS_TEST_SERVICES=1`; then an unreachable server fails the test), and the fail
//! policies against a closed port.
#![cfg(feature = "redis")]

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::routing::get;
use http::{Request, StatusCode};
use portcullis::throttle::{
    FailPolicy, Limiter, RedisLimiterBuilder, ThrottleLayer, TrustedProxies, key,
};
use std::hash::{BuildHasher, RandomState};
use std::net::SocketAddr;
use std::time::Duration;
use tower::ServiceExt;

const URL: &str = "redis://127.0.0.1:6379";

fn services() -> bool {
    let on = std::env::var("PORTCULLIS_TEST_SERVICES").is_ok_and(|v| v == "1");
    if !on {
        eprintln!("skipped: set PORTCULLIS_TEST_SERVICES=1 to run against Redis at 127.0.0.1:6379");
    }
    on
}

fn random_prefix() -> String {
    let n = RandomState::new().hash_one(std::time::SystemTime::now());
    format!("portcullis-test:{n:016x}:")
}

async fn redis_conn() -> redis::aio::MultiplexedConnection {
    redis::Client::open(URL)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .expect("PORTCULLIS_TEST_SERVICES=1 but Redis at 127.0.0.1:6379 is unreachable")
}

async fn cleanup(prefix: &str) {
    let mut c = redis_conn().await;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut c)
        .await
        .unwrap();
    if !keys.is_empty() {
        let _: i64 = redis::cmd("DEL")
            .arg(keys)
            .query_async(&mut c)
            .await
            .unwrap();
    }
}

fn app(builder: &RedisLimiterBuilder) -> Router {
    Router::new()
        .route("/", get(|| async { "ok" }))
        .layer(ThrottleLayer::new(
            builder.build("10/h".parse().unwrap()),
            key::ClientIp::new(TrustedProxies::none()),
        ))
}

fn req() -> Request<Body> {
    let mut r = Request::new(Body::empty());
    r.extensions_mut()
        .insert(ConnectInfo("192.0.2.1:4000".parse::<SocketAddr>().unwrap()));
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_never_admit_more_than_the_limit_together() {
    if !services() {
        return;
    }
    let prefix = random_prefix();
    // two independent builders: separate connections, as two app instances would have
    let a = app(&RedisLimiterBuilder::new(URL)
        .unwrap()
        .prefix(&prefix)
        .timeout(Duration::from_secs(2)));
    let b = app(&RedisLimiterBuilder::new(URL)
        .unwrap()
        .prefix(&prefix)
        .timeout(Duration::from_secs(2)));
    let mut tasks = Vec::new();
    for i in 0..100 {
        let app = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(
            async move { app.oneshot(req()).await.unwrap() },
        ));
    }
    let mut ok = 0;
    let mut limited = 0;
    for t in tasks {
        let res = t.await.unwrap();
        match res.status() {
            StatusCode::OK => ok += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                limited += 1;
                assert_eq!(res.headers()["ratelimit-remaining"], "0");
                assert_eq!(res.headers()["ratelimit-limit"], "10");
                let retry: u64 = res.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!((1..=360).contains(&retry), "retry-after {retry}");
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(
        ok, 10,
        "exactly the burst is admitted across both instances"
    );
    assert_eq!(limited, 90);
    // the key expires when the budget is full again: nothing accumulates
    let mut c = redis_conn().await;
    let ttl: i64 = redis::cmd("PTTL")
        .arg(format!("{prefix}ip:192.0.2.1"))
        .query_async(&mut c)
        .await
        .unwrap();
    assert!(ttl > 0 && ttl <= 3_600_000, "pttl {ttl}");
    cleanup(&prefix).await;
}

#[tokio::test]
async fn redis_decisions_match_gcra() {
    if !services() {
        return;
    }
    let prefix = random_prefix();
    let l = RedisLimiterBuilder::new(URL)
        .unwrap()
        .prefix(&prefix)
        .build("5/min burst 3".parse().unwrap());
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let d = l
            .check("k")
            .await
            .expect("PORTCULLIS_TEST_SERVICES=1 but Redis is unreachable");
        assert!(d.allowed);
        remaining.push(d.remaining);
    }
    assert_eq!(remaining, [2, 1, 0]);
    let d = l.check("k").await.unwrap();
    assert!(!d.allowed);
    let retry = d.retry_after.unwrap();
    assert!(
        retry <= Duration::from_secs(12) && retry > Duration::from_secs(11),
        "{retry:?}"
    );
    assert!(d.reset <= Duration::from_secs(36) && d.reset > Duration::from_secs(35));
    assert!(l.check("other").await.unwrap().allowed);
    cleanup(&prefix).await;
}

async fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("redis://127.0.0.1:{port}")
}

#[tokio::test]
async fn unreachable_redis_fails_closed_by_default_without_hanging() {
    let builder = RedisLimiterBuilder::new(&closed_port().await)
        .unwrap()
        .timeout(Duration::from_millis(300));
    let limiter = builder.build("10/min".parse().unwrap());
    let outcome = tokio::time::timeout(Duration::from_secs(10), limiter.check("k"))
        .await
        .expect("check hung");
    assert!(outcome.is_err());
    let app = app(&builder);
    let res = tokio::time::timeout(Duration::from_secs(10), app.oneshot(req()))
        .await
        .expect("layer hung")
        .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers()["retry-after"], "1");
    assert_eq!(res.headers()["content-type"], "application/problem+json");
}

#[tokio::test]
async fn unreachable_redis_fails_open_when_configured() {
    let builder = RedisLimiterBuilder::new(&closed_port().await)
        .unwrap()
        .timeout(Duration::from_millis(300))
        .fail_policy(FailPolicy::Open);
    let app = app(&builder);
    for _ in 0..3 {
        let res = tokio::time::timeout(Duration::from_secs(10), app.clone().oneshot(req()))
            .await
            .expect("layer hung")
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
}

#[test]
fn malformed_url_is_a_start_up_error() {
    assert!(RedisLimiterBuilder::new("not a url").is_err());
}
