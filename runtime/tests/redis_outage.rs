//! Every Redis-backed piece (revocation deny-list, session store, rate limiter, all on one
//! shared `RedisConnection`) on a throwaway `redis-server` that is killed, restarted on the
//! same port and stalled with SIGSTOP: calls fail as "unavailable" within the timeouts (never
//! hang), and work again once the server is back, on the same objects. Only with
//! `PORTCULLIS_TEST_SERVICES=1`.
#![cfg(all(feature = "redis", feature = "session"))]

mod authn_common;
mod redis_server;

use portcullis::authn::revocation::{RedisRevocationStore, RevocationStore};
use portcullis::authn::session::{RedisSessionStore, SessionConfig, SessionManager};
use portcullis::redis_conn::RedisConnection;
use portcullis::throttle::{FailPolicy, Limiter, RedisLimiterBuilder};
use redis_server::RedisServer;
use std::future::Future;
use std::time::{Duration, Instant};

const CONNECT: Duration = Duration::from_millis(300);
const RESPONSE: Duration = Duration::from_millis(200);

fn in_an_hour() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    i64::try_from(now).unwrap() + 3600
}

struct Stack {
    revoked: RedisRevocationStore,
    sessions: SessionManager<RedisSessionStore>,
    limiter: portcullis::throttle::RedisLimiter,
}

async fn stack(redis: &RedisServer) -> Stack {
    let conn = RedisConnection::builder(&redis.url())
        .unwrap()
        .connect_timeout(CONNECT)
        .response_timeout(RESPONSE)
        .connect()
        .await
        .expect("throwaway redis answers");
    let prefix = authn_common::redis_prefix("outage");
    Stack {
        revoked: RedisRevocationStore::new(conn.clone(), prefix.clone()),
        sessions: SessionManager::new(
            RedisSessionStore::new(conn.clone(), prefix.clone()),
            SessionConfig::default(),
        ),
        limiter: RedisLimiterBuilder::with_connection(conn)
            .prefix(format!("{prefix}throttle:"))
            .fail_policy(FailPolicy::Closed)
            .build("1000/min".parse().unwrap()),
    }
}

/// Runs `f`, failing the test if it takes longer than the connection's bound (plus slack for
/// a loaded machine) instead of hanging.
async fn bounded<T>(what: &str, f: impl Future<Output = T>) -> (T, Duration) {
    let start = Instant::now();
    let out = tokio::time::timeout(Duration::from_secs(10), f)
        .await
        .unwrap_or_else(|_| panic!("{what} hung for 10 s"));
    let took = start.elapsed();
    assert!(
        took < CONNECT + RESPONSE + Duration::from_millis(500),
        "{what} took {took:?}"
    );
    (out, took)
}

/// Every store call fails as unavailable (503 material), within the bound.
async fn all_unavailable(s: &Stack, session_id: &str) {
    let (r, took) = bounded("is_revoked", s.revoked.is_revoked("jti-1")).await;
    let e = r.expect_err("is_revoked while redis is gone");
    assert!(e.is_unavailable(), "{e}");
    eprintln!("is_revoked: {e} in {took:?}");
    let (r, _) = bounded("revoke", s.revoked.revoke("jti-2", in_an_hour())).await;
    assert!(r.expect_err("revoke").is_unavailable());
    let (r, _) = bounded("session load", s.sessions.load(session_id)).await;
    assert!(r.expect_err("session load").is_unavailable());
    let (r, _) = bounded("session login", s.sessions.login("u2", None)).await;
    assert!(r.expect_err("session login").is_unavailable());
    let (r, _) = bounded("limiter", s.limiter.check("ip:192.0.2.1")).await;
    let e = r.expect_err("limiter fails closed");
    let problem = e.to_problem();
    assert_eq!(problem.status(), http::StatusCode::SERVICE_UNAVAILABLE);
}

/// Polls until every store works again (each attempt bounded), within `within`.
async fn all_recover(s: &Stack, within: Duration) -> Duration {
    let start = Instant::now();
    loop {
        let (r, _) = bounded("is_revoked", s.revoked.is_revoked("jti-1")).await;
        if r.is_ok() {
            break;
        }
        assert!(start.elapsed() < within, "no recovery after {within:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let took = start.elapsed();
    let (r, _) = bounded("limiter", s.limiter.check("ip:192.0.2.1")).await;
    assert!(r.expect("limiter works again").allowed);
    let (r, _) = bounded("session login", s.sessions.login("u3", None)).await;
    let new = r.expect("sessions work again");
    let (r, _) = bounded("session load", s.sessions.load(&new.id)).await;
    assert_eq!(r.unwrap().unwrap().user_id, "u3");
    took
}

#[tokio::test]
async fn stores_and_limiter_survive_a_redis_restart() {
    if !authn_common::services() {
        eprintln!("skipped: set PORTCULLIS_TEST_SERVICES=1 (needs the redis-server binary)");
        return;
    }
    let mut redis = RedisServer::start();
    let s = stack(&redis).await;
    s.revoked.revoke("jti-1", in_an_hour()).await.unwrap();
    assert!(s.revoked.is_revoked("jti-1").await.unwrap());
    let session = s.sessions.login("u1", None).await.unwrap();
    assert!(s.limiter.check("ip:192.0.2.1").await.unwrap().allowed);

    redis.kill();
    all_unavailable(&s, &session.id).await;

    redis.restart();
    let took = all_recover(&s, Duration::from_secs(5)).await;
    eprintln!("recovered {took:?} after the restart");
    // Without persistence the deny-list and the sessions were in memory only.
    assert!(!s.revoked.is_revoked("jti-1").await.unwrap());
    assert!(s.sessions.load(&session.id).await.unwrap().is_none());
}

#[tokio::test]
async fn stores_and_limiter_survive_a_stalled_redis() {
    if !authn_common::services() {
        eprintln!("skipped: set PORTCULLIS_TEST_SERVICES=1 (needs the redis-server binary)");
        return;
    }
    let redis = RedisServer::start();
    let s = stack(&redis).await;
    s.revoked.revoke("jti-1", in_an_hour()).await.unwrap();
    let session = s.sessions.login("u1", None).await.unwrap();

    redis.stall();
    all_unavailable(&s, &session.id).await;
    // Twice: the first round times out on the open connection, the second on connecting.
    all_unavailable(&s, &session.id).await;

    redis.resume();
    let took = all_recover(&s, Duration::from_secs(5)).await;
    eprintln!("recovered {took:?} after SIGCONT");
    // Paused, not restarted: nothing was lost.
    assert!(s.revoked.is_revoked("jti-1").await.unwrap());
    assert_eq!(
        s.sessions.load(&session.id).await.unwrap().unwrap().user_id,
        "u1"
    );
}

/// A lazy connection lets the stores be built while Redis is down; they work once it is up.
#[tokio::test]
async fn lazy_connection_starts_while_redis_is_down() {
    if !authn_common::services() {
        eprintln!("skipped: set PORTCULLIS_TEST_SERVICES=1 (needs the redis-server binary)");
        return;
    }
    let mut redis = RedisServer::start();
    let url = redis.url();
    redis.kill();
    let builder = RedisConnection::builder(&url)
        .unwrap()
        .connect_timeout(CONNECT)
        .response_timeout(RESPONSE);
    let (eager, _) = bounded("eager connect", builder.clone().connect()).await;
    let e = eager.expect_err("connect checks the server");
    assert!(e.is_unavailable());
    assert!(e.to_string().contains(&url), "{e}");
    let store = RedisRevocationStore::new(builder.lazy(), "lazy:");
    let (r, _) = bounded("is_revoked", store.is_revoked("x")).await;
    assert!(r.unwrap_err().is_unavailable());
    redis.restart();
    let (r, _) = bounded("is_revoked", store.is_revoked("x")).await;
    assert!(!r.expect("works once redis is up"));
}

/// A restart between two requests (Redis back before the next one) costs no request: the
/// command that meets the dead connection is sent again once on the new one.
#[tokio::test]
async fn a_quick_restart_costs_no_request() {
    if !authn_common::services() {
        eprintln!("skipped: set PORTCULLIS_TEST_SERVICES=1 (needs the redis-server binary)");
        return;
    }
    let mut redis = RedisServer::start();
    let s = stack(&redis).await;
    s.revoked.revoke("jti-1", in_an_hour()).await.unwrap();
    let session = s.sessions.login("u1", None).await.unwrap();
    for round in 0..3 {
        redis.kill();
        redis.restart();
        let (r, took) = bounded("is_revoked", s.revoked.is_revoked("jti-1")).await;
        assert!(!r.unwrap_or_else(|e| panic!("round {round}: {e}")));
        eprintln!("first call after restart {round}: {took:?}");
        redis.kill();
        redis.restart();
        let (r, _) = bounded("session load", s.sessions.load(&session.id)).await;
        assert!(r.unwrap_or_else(|e| panic!("round {round}: {e}")).is_none());
        redis.kill();
        redis.restart();
        let (r, _) = bounded("limiter", s.limiter.check("ip:192.0.2.1")).await;
        assert!(r.unwrap_or_else(|e| panic!("round {round}: {e}")).allowed);
    }
}
