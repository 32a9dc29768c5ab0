//! Sessions (feature `session`) on every store: cookie attributes, fixation, timeouts, logout,
//! CSRF on unsafe methods, and the session-cookie strategy.
#![cfg(feature = "session")]

mod authn_common;

use http::Request;
use portcullis::authn::session::{
    DieselSessionStore, MemorySessionStore, SessionConfig, SessionCookie, SessionManager,
    SessionRecord, SessionStore,
};
use portcullis::authn::{Authenticator, FailureReason};
use std::sync::Arc;
use std::time::Duration;

fn parts(method: &str, headers: &[(&str, &str)]) -> http::request::Parts {
    let mut b = Request::builder().method(method).uri("/x");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(()).unwrap().into_parts().0
}

async fn exercise<S: SessionStore>(store: S) {
    let sessions = Arc::new(SessionManager::new(
        store,
        SessionConfig::default().cookie_name("sid"),
    ));
    let s = sessions.login("alice", None).await.unwrap();
    assert_eq!(s.id.len(), 43, "256-bit id");
    assert!(s.set_cookie.starts_with(&format!("sid={};", s.id)));
    let mut attrs: Vec<&str> = s.set_cookie.split("; ").skip(1).collect();
    attrs.sort_unstable();
    assert_eq!(
        attrs,
        [
            "HttpOnly",
            "Max-Age=43200",
            "Path=/",
            "SameSite=Lax",
            "Secure"
        ]
    );
    let r = sessions.load(&s.id).await.unwrap().unwrap();
    assert_eq!(
        (r.user_id.as_str(), r.csrf_token.as_str()),
        ("alice", s.csrf_token.as_str())
    );

    // Fixation: logging in again (or rotating) yields a new id; the old one dies.
    let s2 = sessions.login("alice", Some(&s.id)).await.unwrap();
    assert_ne!(s2.id, s.id);
    assert!(sessions.load(&s.id).await.unwrap().is_none());
    let s3 = sessions.rotate(&s2.id).await.unwrap().unwrap();
    assert_ne!(s3.csrf_token, s2.csrf_token);
    assert!(sessions.load(&s2.id).await.unwrap().is_none());
    assert_eq!(
        sessions.load(&s3.id).await.unwrap().unwrap().user_id,
        "alice"
    );
    assert!(sessions.rotate(&s2.id).await.unwrap().is_none());

    // The strategy: cookie → principal; CSRF on unsafe methods.
    let auth = SessionCookie::new(sessions.clone(), |r: &SessionRecord| Ok(r.user_id.clone()));
    let cookie = format!("theme=dark; sid={}; other=1", s3.id);
    let mut p = parts("GET", &[("cookie", &cookie)]);
    assert_eq!(auth.authenticate(&mut p).await.unwrap(), "alice");
    assert!(p.extensions.get::<SessionRecord>().is_some());
    let mut p = parts("POST", &[("cookie", &cookie)]);
    assert_eq!(
        auth.authenticate(&mut p).await.unwrap_err().reason,
        FailureReason::CsrfMismatch
    );
    let mut p = parts("DELETE", &[("cookie", &cookie), ("x-csrf-token", "wrong")]);
    assert_eq!(
        auth.authenticate(&mut p).await.unwrap_err().reason,
        FailureReason::CsrfMismatch
    );
    let mut p = parts(
        "POST",
        &[("cookie", &cookie), ("x-csrf-token", &s3.csrf_token)],
    );
    assert_eq!(auth.authenticate(&mut p).await.unwrap(), "alice");
    let mut p = parts("GET", &[]);
    assert!(auth.authenticate(&mut p).await.unwrap_err().is_missing());
    let mut p = parts("GET", &[("cookie", "sid=../../etc/passwd")]);
    assert_eq!(
        auth.authenticate(&mut p).await.unwrap_err().reason,
        FailureReason::Revoked
    );

    // The cookie twice (a sibling subdomain planting one): refused, not one picked.
    for dup in [
        format!("sid={0}; sid={0}", s3.id),
        format!("sid={}; theme=dark; sid=planted-0123456789abcdef", s3.id),
        format!("sid=planted-0123456789abcdef; sid={}", s3.id),
    ] {
        let mut p = parts("GET", &[("cookie", &dup)]);
        assert_eq!(
            auth.authenticate(&mut p).await.unwrap_err().reason,
            FailureReason::DuplicateCookie,
            "{dup}"
        );
    }
    // Unsafe methods from another site are refused even with the CSRF token; reads are not.
    for (k, v) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
    ] {
        let mut p = parts(
            "POST",
            &[
                ("cookie", &cookie),
                ("x-csrf-token", &s3.csrf_token),
                (k, v),
            ],
        );
        let r = auth.authenticate(&mut p).await.unwrap_err();
        assert_eq!(r.reason, FailureReason::CrossSite, "{k}: {v}");
        assert_eq!(portcullis::Problem::from(r).status(), 403);
        let mut p = parts("GET", &[("cookie", &cookie), (k, v)]);
        assert_eq!(auth.authenticate(&mut p).await.unwrap(), "alice");
    }
    let mut p = parts(
        "POST",
        &[
            ("cookie", &cookie),
            ("x-csrf-token", &s3.csrf_token),
            ("host", "api.example"),
            ("origin", "https://api.example"),
            ("sec-fetch-site", "same-origin"),
        ],
    );
    assert_eq!(auth.authenticate(&mut p).await.unwrap(), "alice");

    // Logout deletes server-side and clears the cookie.
    let clear = sessions.logout(&s3.id).await.unwrap();
    assert!(
        clear.starts_with("sid=;") && clear.contains("; Max-Age=0"),
        "{clear}"
    );
    let mut p = parts("GET", &[("cookie", &cookie)]);
    assert_eq!(
        auth.authenticate(&mut p).await.unwrap_err().reason,
        FailureReason::Revoked
    );
}

async fn timeouts<S: SessionStore>(store: S) {
    let sessions = Arc::new(SessionManager::new(
        store,
        SessionConfig::default()
            .idle_timeout(Duration::ZERO)
            .absolute_timeout(Duration::from_secs(3600)),
    ));
    let s = sessions.login("bob", None).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let auth = SessionCookie::new(sessions.clone(), |r: &SessionRecord| Ok(r.user_id.clone()));
    let mut p = parts("GET", &[("cookie", &format!("__Host-id={}", s.id))]);
    assert_eq!(
        auth.authenticate(&mut p).await.unwrap_err().reason,
        FailureReason::SessionExpired
    );
    // Expired sessions are deleted on sight.
    assert!(sessions.load(&s.id).await.unwrap().is_none());
    let absolute = SessionManager::new(
        MemorySessionStore::new(),
        SessionConfig::default().absolute_timeout(Duration::ZERO),
    );
    let s = absolute.login("bob", None).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(absolute.load(&s.id).await.unwrap().is_none());
}

#[tokio::test]
async fn memory_store() {
    exercise(MemorySessionStore::new()).await;
    timeouts(MemorySessionStore::new()).await;
}

#[tokio::test]
async fn conditional_create_never_overwrites() {
    let store = MemorySessionStore::new();
    let rec = SessionRecord {
        user_id: "a".into(),
        csrf_token: "t".into(),
        created_at: 1,
        last_seen: 1,
    };
    assert!(
        store
            .create("h", &rec, Duration::from_secs(60))
            .await
            .unwrap()
    );
    let other = SessionRecord {
        user_id: "b".into(),
        ..rec.clone()
    };
    assert!(
        !store
            .create("h", &other, Duration::from_secs(60))
            .await
            .unwrap()
    );
    assert_eq!(store.get("h").await.unwrap().unwrap().user_id, "a");
}

#[tokio::test]
async fn insecure_cookie_must_be_asked_for() {
    let sessions = SessionManager::new(
        MemorySessionStore::new(),
        SessionConfig::default().insecure_cookie(),
    );
    let s = sessions.login("a", None).await.unwrap();
    assert!(!s.set_cookie.contains("Secure"));
    assert!(s.set_cookie.contains("HttpOnly"));
    // Browsers refuse a `__Host-` cookie without `Secure`: the prefix goes too, both ways.
    assert!(s.set_cookie.starts_with("id="), "{}", s.set_cookie);
    let mut headers = http::HeaderMap::new();
    headers.insert(
        http::header::COOKIE,
        format!("id={}", s.id).parse().unwrap(),
    );
    assert_eq!(sessions.cookie_value(&headers), Some(s.id.as_str()));
}

#[tokio::test]
async fn sqlite_store() {
    let db = authn_common::sqlite("session").await;
    exercise(DieselSessionStore::new(db.pool.clone())).await;
    timeouts(DieselSessionStore::new(db.pool.clone())).await;
    let store = DieselSessionStore::new(db.pool.clone());
    let rec = SessionRecord {
        user_id: "a".into(),
        csrf_token: "t".into(),
        created_at: 1,
        last_seen: 1,
    };
    assert!(
        store
            .create("h", &rec, Duration::from_secs(60))
            .await
            .unwrap()
    );
    assert!(
        !store
            .create("h", &rec, Duration::from_secs(60))
            .await
            .unwrap()
    );
    assert_eq!(store.purge_expired(10, 0).await.unwrap(), 1);
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_store() {
    if !authn_common::services() {
        return;
    }
    let pg = authn_common::postgres("session").await;
    exercise(DieselSessionStore::new(pg.pool.clone())).await;
    timeouts(DieselSessionStore::new(pg.pool.clone())).await;
    pg.drop_schema().await;
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn redis_store() {
    use portcullis::authn::session::RedisSessionStore;
    if !authn_common::services() {
        return;
    }
    let prefix = authn_common::redis_prefix("session");
    let store = RedisSessionStore::connect(authn_common::REDIS_URL, prefix.clone())
        .await
        .unwrap_or_else(|e| authn_common::redis_unreachable(e));
    exercise(store.clone()).await;
    timeouts(store.clone()).await;
    let rec = SessionRecord {
        user_id: "a".into(),
        csrf_token: "t".into(),
        created_at: 1,
        last_seen: 1,
    };
    assert!(
        store
            .create("h", &rec, Duration::from_secs(60))
            .await
            .unwrap()
    );
    assert!(
        !store
            .create("h", &rec, Duration::from_secs(60))
            .await
            .unwrap()
    );
    store.touch("h", 5).await.unwrap();
    assert_eq!(store.get("h").await.unwrap().unwrap().last_seen, 5);
    store.delete("h").await.unwrap();
    assert!(store.get("h").await.unwrap().is_none());
}

/// Sessions that cannot be read: Redis down.
struct DownStore;

fn down() -> portcullis::authn::StoreError {
    portcullis::authn::StoreError::Unavailable("redis timed out".into())
}

impl SessionStore for DownStore {
    fn create<'a>(
        &'a self,
        _: &'a str,
        _: &'a SessionRecord,
        _: Duration,
    ) -> portcullis::authn::BoxFuture<'a, Result<bool, portcullis::authn::StoreError>> {
        Box::pin(async { Err(down()) })
    }
    fn get<'a>(
        &'a self,
        _: &'a str,
    ) -> portcullis::authn::BoxFuture<
        'a,
        Result<Option<SessionRecord>, portcullis::authn::StoreError>,
    > {
        Box::pin(async { Err(down()) })
    }
    fn touch<'a>(
        &'a self,
        _: &'a str,
        _: i64,
    ) -> portcullis::authn::BoxFuture<'a, Result<(), portcullis::authn::StoreError>> {
        Box::pin(async { Err(down()) })
    }
    fn delete<'a>(
        &'a self,
        _: &'a str,
    ) -> portcullis::authn::BoxFuture<'a, Result<(), portcullis::authn::StoreError>> {
        Box::pin(async { Err(down()) })
    }
    fn purge_expired(
        &self,
        _: i64,
        _: i64,
    ) -> portcullis::authn::BoxFuture<'_, Result<u64, portcullis::authn::StoreError>> {
        Box::pin(async { Err(down()) })
    }
}

/// Fail closed: a cookie whose session cannot be loaded is refused with a 503 (`Retry-After`),
/// not trusted and not a 500.
#[tokio::test]
async fn unavailable_session_store_refuses_with_503() {
    use axum::response::IntoResponse;
    let sessions = Arc::new(SessionManager::new(DownStore, SessionConfig::default()));
    let auth = SessionCookie::new(sessions, |r: &SessionRecord| Ok(r.user_id.clone()));
    let id = "A".repeat(43);
    let mut p = parts("GET", &[("cookie", &format!("__Host-id={id}"))]);
    let r = auth.authenticate(&mut p).await.unwrap_err();
    assert_eq!(r.reason, FailureReason::Unavailable);
    let res = r.into_response();
    assert_eq!(res.status(), http::StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers()["retry-after"], "1");
}
