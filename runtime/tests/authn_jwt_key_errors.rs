//! Start-up key errors: a key pasted without PEM armour is never echoed back, and two keys
//! with one `kid` are refused instead of one silently replacing the other.

use portcullis::authn::jwt::{JwtService, PRIVATE_KEY_SETTING, PUBLIC_KEYS_SETTING};

const ED_A: &str = include_str!("fixtures/authn/ed25519_a.pem");
const ED_A_PUB: &str = include_str!("fixtures/authn/ed25519_a.pub.pem");
const ED_B: &str = include_str!("fixtures/authn/ed25519_b.pem");
const ED_B_PUB: &str = include_str!("fixtures/authn/ed25519_b.pub.pem");
const RSA: &str = include_str!("fixtures/authn/rsa.pem");

/// The base64 body of a PEM document, without its armour lines.
fn body(pem: &str) -> String {
    pem.lines().filter(|l| !l.starts_with("-----")).collect()
}

/// Whether `haystack` contains any 12-character window of `secret`.
fn leaks(haystack: &str, secret: &str) -> bool {
    let s = secret.as_bytes();
    s.windows(12.min(s.len()))
        .any(|w| haystack.contains(std::str::from_utf8(w).unwrap()))
}

#[test]
fn a_key_without_armour_is_never_echoed() {
    for (setting, pem) in [
        (PRIVATE_KEY_SETTING, ED_A),
        (PRIVATE_KEY_SETTING, RSA),
        (PUBLIC_KEYS_SETTING, ED_A_PUB),
    ] {
        let secret = body(pem);
        // Pasted bare, on one line or several (as a `.env` value would keep it).
        for value in [
            secret.clone(),
            format!("{secret}\n"),
            pem.lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<Vec<_>>()
                .join("\\n"),
        ] {
            let err = JwtService::builder()
                .from_settings(|k| (k == setting).then(|| value.clone()))
                .build()
                .unwrap_err();
            let (display, debug) = (err.to_string(), format!("{err:?}"));
            assert!(
                !leaks(&display, &secret),
                "key material in Display: {display}"
            );
            assert!(!leaks(&debug, &secret), "key material in Debug: {debug}");
            assert!(display.starts_with(&format!("{setting}: ")), "{display}");
            let armour = if setting == PRIVATE_KEY_SETTING {
                "-----BEGIN PRIVATE KEY-----"
            } else {
                "-----BEGIN PUBLIC KEY-----"
            };
            assert!(
                display.contains(armour),
                "says what was expected: {display}"
            );
        }
    }
}

#[test]
fn a_missing_key_file_is_still_named() {
    let err = JwtService::builder()
        .from_settings(|k| {
            (k == PRIVATE_KEY_SETTING).then(|| "/run/secrets/no-such-jwt.pem".to_owned())
        })
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.starts_with(PRIVATE_KEY_SETTING), "{err}");
    assert!(err.contains("-----BEGIN PRIVATE KEY-----"), "{err}");
}

#[test]
fn a_duplicate_kid_stops_start_up_naming_it() {
    // Two different keys under one explicit kid.
    let err = JwtService::builder()
        .private_key_pem_with_kid("2024-06", ED_A.as_bytes())
        .public_key_pem_with_kid("2024-06", ED_B_PUB.as_bytes())
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("2024-06"), "names the kid: {err}");
    assert!(err.contains("duplicate"), "{err}");
    // Two HMAC secrets under one kid.
    let err = JwtService::builder()
        .hmac_secret("k1", &[7u8; 32])
        .hmac_secret("k1", &[8u8; 32])
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("\"k1\""), "names the kid: {err}");
    // Two public keys under one kid, from the settings.
    let both = format!("{ED_A_PUB}{ED_B_PUB}");
    let ok = JwtService::builder()
        .from_settings(|k| (k == PUBLIC_KEYS_SETTING).then(|| both.clone()))
        .build();
    assert!(ok.is_ok(), "distinct thumbprints are distinct kids");
    let err = JwtService::builder()
        .public_key_pem_with_kid("same", ED_A_PUB.as_bytes())
        .public_key_pem_with_kid("same", ED_B_PUB.as_bytes())
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("\"same\""), "{err}");
}

#[test]
fn the_same_key_listed_twice_is_not_a_conflict() {
    // The signing key's public half also listed among the public keys: one key, one kid.
    let jwt = JwtService::builder()
        .from_settings(|k| match k {
            PRIVATE_KEY_SETTING => Some(ED_B.to_owned()),
            PUBLIC_KEYS_SETTING => Some(format!("{ED_A_PUB}{ED_B_PUB}")),
            _ => None,
        })
        .build()
        .unwrap();
    assert_eq!(jwt.jwks().keys.len(), 2);
}
