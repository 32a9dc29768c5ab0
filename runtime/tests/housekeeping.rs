//! Expiry housekeeping: the schedule on Tokio's paused (fake) clock, and one pass over the
//! SQLite stores deleting exactly what has expired.

mod authn_common;

use portcullis::authn::StoreError;
use portcullis::authn::housekeeping::Housekeeping;
#[cfg(feature = "session")]
use portcullis::authn::refresh::{DieselRefreshStore, RefreshService, RefreshStore};
#[cfg(feature = "session")]
use portcullis::authn::revocation::DieselRevocationStore;
use portcullis::authn::revocation::{MemoryRevocationStore, REVOCATION_GRACE, RevocationStore};
#[cfg(feature = "session")]
use portcullis::authn::session::{
    DieselSessionStore, SessionConfig, SessionManager, SessionRecord, SessionStore,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A job counting its runs.
fn counting(
    runs: &Arc<AtomicU64>,
) -> impl Fn() -> portcullis::authn::BoxFuture<'static, Result<u64, StoreError>> + Send + Sync + 'static
{
    let runs = runs.clone();
    move || {
        runs.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Ok(0) })
    }
}

#[tokio::test(start_paused = true)]
async fn purges_once_per_period_from_one_period_after_start_until_dropped() {
    let revoked = Arc::new(MemoryRevocationStore::new());
    let grace = REVOCATION_GRACE.as_secs() as i64;
    revoked.revoke("expired", now() - grace - 10).await.unwrap();
    revoked.revoke("live", now() + 3600).await.unwrap();
    let runs = Arc::new(AtomicU64::new(0));
    let task = Housekeeping::new()
        .every(Duration::from_secs(60))
        .revocations(revoked.clone())
        .job("count", counting(&runs))
        .spawn()
        .unwrap();

    // Nothing at start-up: the first purge is one period in.
    tokio::time::sleep(Duration::from_secs(59)).await;
    assert_eq!(runs.load(Ordering::SeqCst), 0);
    assert_eq!(revoked.len(), 2);

    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(
        revoked.len(),
        1,
        "the expired revocation is purged, the live one kept"
    );
    assert!(revoked.is_revoked("live").await.unwrap());

    tokio::time::sleep(Duration::from_secs(120)).await;
    assert_eq!(runs.load(Ordering::SeqCst), 3, "one purge per period");

    drop(task);
    tokio::time::sleep(Duration::from_secs(600)).await;
    assert_eq!(
        runs.load(Ordering::SeqCst),
        3,
        "a dropped task purges no more"
    );
}

#[tokio::test(start_paused = true)]
async fn a_failing_purge_is_retried_and_does_not_stop_the_others() {
    let failures = Arc::new(AtomicU64::new(0));
    let runs = Arc::new(AtomicU64::new(0));
    let f = failures.clone();
    let _task = Housekeeping::new()
        .every(Duration::from_secs(10))
        .job("down", move || {
            f.fetch_add(1, Ordering::SeqCst);
            Box::pin(async { Err(StoreError::Unavailable("redis timed out".into())) })
        })
        .job("count", counting(&runs))
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_secs(35)).await;
    assert_eq!(failures.load(Ordering::SeqCst), 3);
    assert_eq!(runs.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_period_under_a_second_is_a_start_up_error() {
    for period in [Duration::ZERO, Duration::from_millis(999)] {
        let err = Housekeeping::new().every(period).spawn().unwrap_err();
        assert!(
            err.to_string()
                .starts_with("housekeeping period must be at least 1 s"),
            "{err}"
        );
    }
}

// Sessions are the `session` feature's (on in `cargo test --workspace`, through the example).
#[cfg(feature = "session")]
#[tokio::test]
async fn one_pass_deletes_exactly_the_expired_rows_of_the_sqlite_stores() {
    let db = authn_common::sqlite("housekeeping").await;
    let revoked = Arc::new(DieselRevocationStore::new(db.pool.clone()));
    let grace = REVOCATION_GRACE.as_secs() as i64;
    revoked.revoke("old-1", now() - grace - 10).await.unwrap();
    revoked.revoke("old-2", now() - grace - 3600).await.unwrap();
    revoked.revoke("live", now() + 600).await.unwrap();

    let refresh = Arc::new(RefreshService::new(DieselRefreshStore::new(
        db.pool.clone(),
    )));
    refresh
        .store()
        .create_family("fam-old", "u1", "hash-old", 0)
        .await
        .unwrap();
    let live = refresh.issue("u2").await.unwrap();

    let config = SessionConfig::default();
    let sessions = Arc::new(SessionManager::new(
        DieselSessionStore::new(db.pool.clone()),
        config,
    ));
    let stale = SessionRecord {
        user_id: "u3".into(),
        csrf_token: "t".into(),
        created_at: now() - 48 * 3600,
        last_seen: now() - 48 * 3600,
    };
    sessions
        .store()
        .create("stale-hash", &stale, Duration::from_secs(3600))
        .await
        .unwrap();
    let fresh = sessions.login("u4", None).await.unwrap();

    let housekeeping = Housekeeping::new()
        .revocations(revoked.clone())
        .refresh_tokens(refresh.clone())
        .sessions(sessions.clone());
    assert_eq!(
        housekeeping.run_once().await,
        [
            ("revocations", Some(2)),
            ("refresh tokens", Some(1)),
            ("sessions", Some(1))
        ]
    );
    // What is live survives, and a second pass finds nothing.
    assert!(revoked.is_revoked("live").await.unwrap());
    refresh.rotate(&live.token).await.unwrap();
    assert!(sessions.store().get("stale-hash").await.unwrap().is_none());
    assert!(sessions.load(&fresh.id).await.unwrap().is_some());
    assert_eq!(
        housekeeping.run_once().await,
        [
            ("revocations", Some(0)),
            ("refresh tokens", Some(0)),
            ("sessions", Some(0))
        ]
    );
}
