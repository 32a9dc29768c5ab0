//! The in-memory revocation, session and refresh stores hold a bounded number of entries.
//! Full after dropping expired entries, each fails closed: a revocation is never dropped
//! (logout reports the error), and no live session or refresh token is evicted to make room
//! for a new one (the new one is refused).

use portcullis::authn::StoreError;
use portcullis::authn::refresh::{MemoryRefreshStore, RefreshError, RefreshService, RefreshStore};
use portcullis::authn::revocation::{MemoryRevocationStore, RevocationStore};
#[cfg(feature = "session")]
use portcullis::authn::session::{
    MemorySessionStore, SessionConfig, SessionManager, SessionRecord, SessionStore,
};
use std::time::Duration;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn is_full(e: &StoreError) -> bool {
    matches!(e, StoreError::Full { .. })
}

#[test]
fn default_capacities_are_documented_values() {
    assert_eq!(MemoryRevocationStore::DEFAULT_CAPACITY, 100_000);
    #[cfg(feature = "session")]
    assert_eq!(MemorySessionStore::DEFAULT_CAPACITY, 100_000);
    assert_eq!(MemoryRefreshStore::DEFAULT_CAPACITY, 100_000);
}

#[tokio::test]
async fn a_full_revocation_store_never_drops_a_live_revocation() {
    let store = MemoryRevocationStore::with_capacity(3);
    // Long past its expiry (and any leeway): may make room.
    store.revoke("old", now() - 3_600).await.unwrap();
    store.revoke("a", now() + 600).await.unwrap();
    store.revoke("b", now() + 600).await.unwrap();
    store.revoke("c", now() + 600).await.unwrap(); // `old` goes
    let err = store.revoke("d", now() + 600).await.unwrap_err();
    assert!(is_full(&err), "{err}");
    assert_eq!(
        portcullis::Problem::from(err).status(),
        http::StatusCode::SERVICE_UNAVAILABLE
    );
    for jti in ["a", "b", "c"] {
        assert!(store.is_revoked(jti).await.unwrap(), "{jti} still revoked");
    }
    assert!(!store.is_revoked("d").await.unwrap());
    store.revoke("a", now() + 900).await.unwrap(); // an update needs no room
    assert_eq!(store.len(), 3);
}

#[cfg(feature = "session")]
#[tokio::test]
async fn a_full_session_store_refuses_new_sessions() {
    let sessions = SessionManager::new(
        MemorySessionStore::with_capacity(2),
        SessionConfig::default(),
    );
    // A session past its absolute timeout may make room.
    let stale = SessionRecord {
        user_id: "gone".into(),
        csrf_token: "t".into(),
        created_at: now() - 7_200,
        last_seen: now() - 7_200,
    };
    assert!(
        sessions
            .store()
            .create("stale-hash", &stale, Duration::from_secs(3_600))
            .await
            .unwrap()
    );
    let a = sessions.login("u1", None).await.unwrap();
    let b = sessions.login("u2", None).await.unwrap(); // the stale one goes
    let err = sessions.login("u3", None).await.unwrap_err();
    assert!(is_full(&err), "{err}");
    assert_eq!(sessions.load(&a.id).await.unwrap().unwrap().user_id, "u1");
    assert_eq!(sessions.load(&b.id).await.unwrap().unwrap().user_id, "u2");
    // Logout makes room.
    sessions.logout(&a.id).await.unwrap();
    assert!(sessions.login("u3", None).await.is_ok());
    assert_eq!(sessions.store().len(), 2);
}

#[tokio::test]
async fn a_full_refresh_store_refuses_new_tokens_and_keeps_live_ones() {
    let store = MemoryRefreshStore::with_capacity(3);
    // An expired token makes room; this one expires in a second.
    store
        .create_family("short-fam", "u0", "short-hash", now() + 1)
        .await
        .unwrap();
    let refresh = RefreshService::new(store);
    let a = refresh.issue("u1").await.unwrap();
    let b = refresh.issue("u2").await.unwrap();
    let full = |e: RefreshError| matches!(e, RefreshError::Store(ref s) if is_full(s));
    assert!(full(refresh.issue("u3").await.unwrap_err()));
    // A rotation needs a new token too: refused, and the presented token is left unused.
    assert!(full(refresh.rotate(&a.token).await.unwrap_err()));
    assert_eq!(refresh.store().len(), 3);
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let a2 = refresh.rotate(&a.token).await.unwrap(); // the expired token went
    assert_eq!(a2.user_id, "u1");
    // The live tokens were all kept.
    assert_eq!(
        refresh.rotate(&b.token).await.map(|t| t.user_id).ok(),
        None,
        "full again"
    );
    assert!(
        refresh.rotate(&a.token).await.is_err(),
        "a spent token stays known: reuse"
    );
}
