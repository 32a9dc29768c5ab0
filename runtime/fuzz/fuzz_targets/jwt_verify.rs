//! Any byte string given to `JwtService::verify` is refused with a reason, never a panic, and
//! never accepted (the fuzzer cannot forge an Ed25519 signature).
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::authn::jwt::JwtService;
use std::sync::LazyLock;

static JWT: LazyLock<JwtService> = LazyLock::new(|| {
    JwtService::builder()
        .private_key_pem(include_bytes!("../../tests/fixtures/authn/ed25519_a.pem"))
        .hmac_secret("hs", &[7; 32])
        .build()
        .expect("fixture key")
});

fuzz_target!(|data: &[u8]| {
    if let Ok(token) = std::str::from_utf8(data) {
        assert!(JWT.verify::<serde_json::Value>(token).is_err());
    }
});
