//! Properties of token and header parsing: arbitrary input is refused without panicking, and
//! any single-character change to a valid token is refused.

use base64::Engine;
use portcullis::authn::jwt::JwtService;
use portcullis::authn::strategy::Bearer;
use portcullis::authn::{Authenticator, FailureReason};
use proptest::prelude::*;
use std::sync::{Arc, LazyLock};

static JWT: LazyLock<Arc<JwtService>> = LazyLock::new(|| {
    Arc::new(
        JwtService::builder()
            .private_key_pem(include_bytes!("fixtures/authn/ed25519_a.pem"))
            .build()
            .unwrap(),
    )
});
static TOKEN: LazyLock<String> = LazyLock::new(|| JWT.sign("alice", ()).unwrap());

proptest! {
    #[test]
    fn arbitrary_strings_are_refused(s in ".{0,600}") {
        prop_assert!(JWT.verify::<serde_json::Value>(&s).is_err());
    }

    #[test]
    fn arbitrary_three_segment_tokens_are_refused(
        h in proptest::collection::vec(any::<u8>(), 0..200),
        p in proptest::collection::vec(any::<u8>(), 0..200),
        s in proptest::collection::vec(any::<u8>(), 0..80),
    ) {
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let t = format!("{}.{}.{}", e.encode(h), e.encode(p), e.encode(s));
        prop_assert!(JWT.verify::<serde_json::Value>(&t).is_err());
    }

    #[test]
    fn any_single_character_change_is_refused(
        pos in 0usize..10_000,
        c in prop::sample::select(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ".to_vec()),
    ) {
        let mut bytes = TOKEN.clone().into_bytes();
        let pos = pos % bytes.len();
        prop_assume!(bytes[pos] != c);
        bytes[pos] = c;
        let t = String::from_utf8(bytes).unwrap();
        prop_assert!(JWT.verify::<serde_json::Value>(&t).is_err(), "accepted {t}");
    }

    #[test]
    fn arbitrary_authorization_headers_never_authenticate(v in "[ -~]{0,300}") {
        let bearer = Bearer::new(JWT.clone(), |c: portcullis::authn::jwt::Claims<()>| Ok::<_, FailureReason>(c.sub));
        let Ok(req) = http::Request::builder().header("authorization", &v).body(()) else {
            return Ok(());
        };
        let (mut parts, ()) = req.into_parts();
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        prop_assert!(rt.block_on(bearer.authenticate(&mut parts)).is_err());
    }
}

#[test]
fn the_unmodified_token_is_accepted() {
    assert_eq!(JWT.verify::<()>(&TOKEN).unwrap().sub, "alice");
}
