//! The jti deny-list on every store: revoke, check, expiry-based purge.

mod authn_common;

use portcullis::authn::revocation::{
    DieselRevocationStore, MemoryRevocationStore, RevocationStore,
};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

async fn exercise(store: &dyn RevocationStore, purges: bool) {
    assert!(!store.is_revoked("a").await.unwrap());
    store.revoke("a", now() + 600).await.unwrap();
    store.revoke("a", now() + 900).await.unwrap(); // idempotent
    assert!(store.is_revoked("a").await.unwrap());
    assert!(!store.is_revoked("b").await.unwrap());
    // An entry past its expiry and the revocation grace no longer counts and is purged.
    let grace = portcullis::authn::revocation::REVOCATION_GRACE.as_secs() as i64;
    store.revoke("old", now() - grace - 10).await.unwrap();
    assert!(!store.is_revoked("old").await.unwrap());
    let purged = store.purge_expired().await.unwrap();
    if purges {
        assert_eq!(purged, 1);
    }
    assert!(store.is_revoked("a").await.unwrap());
    // Odd ids are data, never syntax.
    store
        .revoke("x'; DROP TABLE portcullis_revoked_jti; --", now() + 60)
        .await
        .unwrap();
    assert!(
        store
            .is_revoked("x'; DROP TABLE portcullis_revoked_jti; --")
            .await
            .unwrap()
    );
    assert!(store.is_revoked("a").await.unwrap());
}

#[tokio::test]
async fn memory_store() {
    exercise(&MemoryRevocationStore::new(), true).await;
}

#[tokio::test]
async fn sqlite_store() {
    let db = authn_common::sqlite("revocation").await;
    exercise(&DieselRevocationStore::new(db.pool.clone()), true).await;
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_store() {
    if !authn_common::services() {
        return;
    }
    let pg = authn_common::postgres("revocation").await;
    exercise(&DieselRevocationStore::new(pg.pool.clone()), true).await;
    pg.drop_schema().await;
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn redis_store() {
    use portcullis::authn::revocation::RedisRevocationStore;
    if !authn_common::services() {
        return;
    }
    let prefix = authn_common::redis_prefix("revocation");
    let store = RedisRevocationStore::connect(authn_common::REDIS_URL, prefix.clone())
        .await
        .unwrap_or_else(|e| authn_common::redis_unreachable(e));
    exercise(&store, false).await;
    // Keys carry the prefix and an expiry: the token's, plus the revocation grace.
    let client = redis::Client::open(authn_common::REDIS_URL).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let ttl: i64 = redis::cmd("TTL")
        .arg(format!("{prefix}revoked:a"))
        .query_async(&mut conn)
        .await
        .unwrap();
    let grace = portcullis::authn::revocation::REVOCATION_GRACE.as_secs() as i64;
    assert!((grace + 1..=grace + 900).contains(&ttl), "ttl {ttl}");
    let _: i64 = redis::cmd("DEL")
        .arg(format!("{prefix}revoked:a"))
        .arg(format!(
            "{prefix}revoked:x'; DROP TABLE portcullis_revoked_jti; --"
        ))
        .query_async(&mut conn)
        .await
        .unwrap();
}
