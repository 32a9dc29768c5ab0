//! Refresh tokens on every store: rotation, reuse revokes the family, logout, expiry, and 32
//! concurrent rotations of one token with exactly one winner.

mod authn_common;

use portcullis::authn::FailureReason;
use portcullis::authn::refresh::{
    DieselRefreshStore, MemoryRefreshStore, RefreshError, RefreshService, RefreshStore,
};
use std::sync::Arc;
use std::time::Duration;

fn reason(r: Result<impl std::fmt::Debug, RefreshError>) -> FailureReason {
    match r {
        Err(RefreshError::Rejected(f)) => f,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

async fn lifecycle<S: RefreshStore>(svc: RefreshService<S>) {
    let a1 = svc.issue("alice").await.unwrap();
    assert_eq!(a1.token.len(), 43, "256-bit token");
    let a2 = svc.rotate(&a1.token).await.unwrap();
    assert_eq!(
        (a2.user_id.as_str(), &a2.family_id),
        ("alice", &a1.family_id)
    );
    assert_ne!(a2.token, a1.token);
    let a3 = svc.rotate(&a2.token).await.unwrap();

    // Reuse of a rotated token revokes the whole family, including the newest token.
    assert_eq!(reason(svc.rotate(&a1.token).await), FailureReason::Reused);
    assert_eq!(reason(svc.rotate(&a3.token).await), FailureReason::Revoked);

    // Other users' families are untouched; logout revokes.
    let b1 = svc.issue("bob").await.unwrap();
    let b2 = svc.rotate(&b1.token).await.unwrap();
    svc.logout(&b2.token).await.unwrap();
    assert_eq!(reason(svc.rotate(&b2.token).await), FailureReason::Revoked);
    svc.logout("not-a-token").await.unwrap();

    // Unknown and malformed tokens.
    assert_eq!(
        reason(
            svc.rotate("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
                .await
        ),
        FailureReason::InvalidCredentials
    );
    assert_eq!(
        reason(svc.rotate("../../etc/passwd").await),
        FailureReason::Malformed
    );

    // revoke_user ends every family of the user.
    let c1 = svc.issue("carol").await.unwrap();
    let c2 = svc.issue("carol").await.unwrap();
    assert_eq!(svc.revoke_user("carol").await.unwrap(), 2);
    assert_eq!(reason(svc.rotate(&c1.token).await), FailureReason::Revoked);
    assert_eq!(reason(svc.rotate(&c2.token).await), FailureReason::Revoked);
}

async fn expiry<S: RefreshStore>(store: S) {
    let svc = RefreshService::new(store).ttl(Duration::ZERO);
    let t = svc.issue("dave").await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(reason(svc.rotate(&t.token).await), FailureReason::Expired);
    assert!(svc.store().purge_expired().await.unwrap() >= 1);
}

/// A family (one login) ends at its maximum age however often it is rotated.
async fn family_lifetime<S: RefreshStore>(store: S, other: S) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let svc = RefreshService::new(store)
        .ttl(Duration::from_secs(30 * 24 * 3600))
        .max_lifetime(Duration::from_secs(3600));
    let first = svc.issue("frank").await.unwrap();
    assert!(
        first.expires_at <= now + 3600 + 1,
        "the first token is capped too"
    );
    let mut token = first.token;
    for _ in 0..3 {
        let next = svc.rotate(&token).await.unwrap();
        assert!(
            next.expires_at <= now + 3600 + 1,
            "rotation extended the family: {} > {}",
            next.expires_at,
            now + 3600
        );
        token = next.token;
    }
    // A family already at its maximum age: refused as expired, and nothing was issued.
    let done = RefreshService::new(other).max_lifetime(Duration::ZERO);
    let t = done.issue("gina").await.unwrap();
    assert_eq!(reason(done.rotate(&t.token).await), FailureReason::Expired);
}

async fn concurrent<S: RefreshStore>(store: S) {
    let svc = Arc::new(RefreshService::new(store));
    let first = svc.issue("erin").await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let svc = svc.clone();
        let token = first.token.clone();
        tasks.push(tokio::spawn(async move { svc.rotate(&token).await }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(RefreshError::Rejected(FailureReason::Reused | FailureReason::Revoked)) => {}
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert_eq!(ok, 1, "exactly one concurrent rotation wins");
    // The losers presented a token that had just been rotated: by the reuse rule the family is
    // revoked, so even the winner's new token is dead (documented in `refresh`).
    let again = svc.issue("erin").await.unwrap();
    assert!(
        svc.rotate(&again.token).await.is_ok(),
        "other families are untouched"
    );
}

#[tokio::test]
async fn memory_store() {
    lifecycle(RefreshService::new(MemoryRefreshStore::new())).await;
    expiry(MemoryRefreshStore::new()).await;
    family_lifetime(MemoryRefreshStore::new(), MemoryRefreshStore::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_concurrent_rotation_has_one_winner() {
    concurrent(MemoryRefreshStore::new()).await;
}

#[tokio::test]
async fn sqlite_store() {
    let db = authn_common::sqlite("refresh").await;
    lifecycle(RefreshService::new(DieselRefreshStore::new(
        db.pool.clone(),
    )))
    .await;
    expiry(DieselRefreshStore::new(db.pool.clone())).await;
    family_lifetime(
        DieselRefreshStore::new(db.pool.clone()),
        DieselRefreshStore::new(db.pool.clone()),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_concurrent_rotation_has_one_winner() {
    let db = authn_common::sqlite("refresh_conc").await;
    concurrent(DieselRefreshStore::new(db.pool.clone())).await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_store() {
    if !authn_common::services() {
        return;
    }
    let pg = authn_common::postgres("refresh").await;
    lifecycle(RefreshService::new(DieselRefreshStore::new(
        pg.pool.clone(),
    )))
    .await;
    expiry(DieselRefreshStore::new(pg.pool.clone())).await;
    family_lifetime(
        DieselRefreshStore::new(pg.pool.clone()),
        DieselRefreshStore::new(pg.pool.clone()),
    )
    .await;
    concurrent(DieselRefreshStore::new(pg.pool.clone())).await;
    pg.drop_schema().await;
}
