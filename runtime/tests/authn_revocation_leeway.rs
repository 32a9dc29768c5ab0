//! A revoked token stays refused for as long as it verifies: until `exp` plus the JWT leeway,
//! not only until `exp` (on every revocation store, and after a purge).

mod authn_common;

use portcullis::authn::FailureReason;
use portcullis::authn::jwt::{Claims, JwtService, TokenType};
use portcullis::authn::revocation::{
    DieselRevocationStore, MemoryRevocationStore, RevocationStore,
};
use portcullis::authn::strategy::Authenticator;
use portcullis::authn::strategy::Bearer;
use std::sync::Arc;
use std::time::Duration;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A token whose `exp` passed 5 s ago: still accepted under the 30 s default leeway.
fn expired_within_leeway(jwt: &JwtService) -> (String, Claims<()>) {
    let mut claims = jwt.claims("alice", ()).unwrap();
    claims.iat = now() - 60;
    claims.exp = now() - 5;
    let token = jwt.sign_claims(TokenType::Access, &claims).unwrap();
    (token, claims)
}

async fn exercise(store: Arc<dyn RevocationStore>) {
    let jwt = Arc::new(
        JwtService::builder()
            .hmac_secret("k1", &[7u8; 32])
            .leeway(Duration::from_secs(30))
            .build()
            .unwrap(),
    );
    let (token, claims) = expired_within_leeway(&jwt);
    assert!(jwt.verify::<()>(&token).is_ok(), "within the leeway");
    let bearer = Bearer::new(jwt.clone(), |c: Claims<()>| Ok(c.sub)).with_revocation(store.clone());
    let header = format!("Bearer {token}");
    let mut req = http::Request::builder()
        .header("authorization", &header)
        .body(())
        .unwrap()
        .into_parts()
        .0;
    assert!(bearer.authenticate(&mut req).await.is_ok());

    // Logout as documented: deny the jti until the token's `exp`.
    let jti = claims.jti.as_deref().unwrap();
    store.revoke(jti, claims.exp).await.unwrap();
    assert!(
        store.is_revoked(jti).await.unwrap(),
        "revoked while it still verifies"
    );
    store.purge_expired().await.unwrap();
    assert!(store.is_revoked(jti).await.unwrap(), "a purge keeps it");
    let refused = bearer.authenticate(&mut req).await.unwrap_err();
    assert_eq!(refused.reason, FailureReason::Revoked);
}

#[tokio::test]
async fn memory_store_refuses_within_leeway() {
    exercise(Arc::new(MemoryRevocationStore::new())).await;
}

#[tokio::test]
async fn sqlite_store_refuses_within_leeway() {
    let db = authn_common::sqlite("revocation_leeway").await;
    exercise(Arc::new(DieselRevocationStore::new(db.pool.clone()))).await;
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_store_refuses_within_leeway() {
    if !authn_common::services() {
        return;
    }
    let pg = authn_common::postgres("revocation_leeway").await;
    exercise(Arc::new(DieselRevocationStore::new(pg.pool.clone()))).await;
    pg.drop_schema().await;
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn redis_store_refuses_within_leeway() {
    use portcullis::authn::revocation::RedisRevocationStore;
    if !authn_common::services() {
        return;
    }
    let prefix = authn_common::redis_prefix("revocation_leeway");
    let store = RedisRevocationStore::connect(authn_common::REDIS_URL, prefix)
        .await
        .unwrap_or_else(|e| authn_common::redis_unreachable(e));
    exercise(Arc::new(store)).await;
}
