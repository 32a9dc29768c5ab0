//! Arbitrary `Authorization` and `Cookie` header bytes through the bearer, Basic and
//! session-cookie strategies: always a rejection, never a panic.
#![no_main]

use futures_util::FutureExt;
use libfuzzer_sys::fuzz_target;
use portcullis::authn::jwt::{Claims, JwtService};
use portcullis::authn::session::{
    MemorySessionStore, SessionConfig, SessionCookie, SessionManager,
};
use portcullis::authn::strategy::{Authenticator, Bearer};
use std::sync::{Arc, LazyLock};

static BEARER: LazyLock<Bearer<(), String>> = LazyLock::new(|| {
    let jwt = JwtService::builder()
        .private_key_pem(include_bytes!("../../tests/fixtures/authn/ed25519_a.pem"))
        .build()
        .expect("fixture key");
    Bearer::new(Arc::new(jwt), |c: Claims<()>| Ok(c.sub))
});

static COOKIE: LazyLock<SessionCookie<MemorySessionStore, String>> = LazyLock::new(|| {
    let sessions = SessionManager::new(MemorySessionStore::new(), SessionConfig::default());
    SessionCookie::new(Arc::new(sessions), |r| Ok(r.user_id.clone()))
});

fuzz_target!(|data: &[u8]| {
    let Ok(value) = http::HeaderValue::from_bytes(data) else {
        return;
    };
    let mut req = http::Request::new(());
    req.headers_mut()
        .insert(http::header::AUTHORIZATION, value.clone());
    req.headers_mut().insert(http::header::COOKIE, value);
    let (mut parts, ()) = req.into_parts();
    // Neither strategy awaits anything here (no revocation store, in-memory sessions).
    if let Some(r) = BEARER.authenticate(&mut parts).now_or_never() {
        assert!(r.is_err());
    }
    if let Some(r) = COOKIE.authenticate(&mut parts).now_or_never() {
        assert!(r.is_err());
    }
});
