//! JwtService: the attack corpus (every case rejected, each for its reason class), key loading
//! and its start-up errors, rotation, the resource-server split, JWKS, token types.

use jsonwebtoken::EncodingKey;
use portcullis::authn::FailureReason;
use portcullis::authn::jwt::{
    Claims, JwtError, JwtService, PRIVATE_KEY_SETTING, PUBLIC_KEYS_SETTING, TokenType,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::time::Duration;

mod jwt_corpus;

use jwt_corpus::*;

fn good_claims() -> Value {
    json!({"sub": "user-1", "iat": now(), "exp": now() + 600, "iss": ISS, "aud": AUD, "jti": "j1"})
}

#[test]
fn a_good_token_is_accepted_as_the_control_case() {
    let jwt = service(ED_A);
    let t = sign_raw(
        &header(&jwt, jsonwebtoken::Algorithm::EdDSA),
        &good_claims(),
        &ed_key(ED_A),
    );
    assert_eq!(jwt.verify::<Value>(&t).unwrap().sub, "user-1");
}

#[test]
fn attack_corpus_is_rejected_for_the_right_reason() {
    let jwt = service(ED_A);
    let cases = jwt_corpus::attack_corpus(&jwt, ED_A, ED_A_PUB, &good_claims());
    let mut failures = Vec::new();
    for Case {
        name,
        token,
        expected,
    } in &cases
    {
        match jwt.verify::<Value>(token) {
            Ok(_) => failures.push(format!("{name}: ACCEPTED")),
            Err(e) if e.reason() == Some(*expected) => {}
            Err(e) => failures.push(format!("{name}: expected {expected}, got {e}")),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(cases.len() >= 40, "{}", cases.len());
}

#[test]
fn algorithm_confusion_against_an_rs256_verifier_is_refused() {
    let jwt = service(RSA);
    let mut h = header(&jwt, jsonwebtoken::Algorithm::HS256);
    h.kid = jwt.signing_kid().map(str::to_owned);
    for secret in [RSA_PUB.as_bytes(), RSA_PUB.trim().as_bytes()] {
        let t = sign_raw(&h, &good_claims(), &EncodingKey::from_secret(secret));
        assert_eq!(reason(&jwt, &t), FailureReason::AlgorithmMismatch);
    }
    // RS256 itself works, also on a verifier holding only the public key.
    let t = jwt.sign("user-1", ()).unwrap();
    assert_eq!(jwt.verify::<()>(&t).unwrap().sub, "user-1");
    let rs = JwtService::builder()
        .public_key_pem(RSA_PUB.as_bytes())
        .issuer(ISS)
        .audience([AUD])
        .build()
        .unwrap();
    assert_eq!(rs.verify::<()>(&t).unwrap().sub, "user-1");
    assert_eq!(rs.signing_kid(), None);
    assert_eq!(
        rs.jwks().keys[0].common.key_id.as_deref(),
        jwt.signing_kid()
    );
}

#[test]
fn es256_and_hs256_round_trip() {
    let jwt = service(EC);
    let t = jwt.sign("u", ()).unwrap();
    assert_eq!(jwt.verify::<()>(&t).unwrap().sub, "u");
    let verifier = JwtService::builder()
        .public_key_pem(EC_PUB.as_bytes())
        .issuer(ISS)
        .audience([AUD])
        .build()
        .unwrap();
    assert_eq!(verifier.verify::<()>(&t).unwrap().sub, "u");

    let hs = JwtService::builder()
        .hmac_secret("k1", &[7u8; 32])
        .build()
        .unwrap();
    let t = hs.sign("u", ()).unwrap();
    assert_eq!(hs.verify::<()>(&t).unwrap().sub, "u");
    assert!(
        hs.jwks().keys.is_empty(),
        "HMAC secrets are never published"
    );
    let err = JwtService::builder()
        .hmac_secret("k", b"short")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("at least 32 bytes"), "{err}");
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Custom {
    tenant: u32,
    roles: Vec<String>,
}

#[test]
fn custom_claims_round_trip_and_defaults_apply() {
    let jwt = service(ED_A);
    let t = jwt
        .sign(
            "user-9",
            Custom {
                tenant: 3,
                roles: vec!["admin".into()],
            },
        )
        .unwrap();
    let c: Claims<Custom> = jwt.verify(&t).unwrap();
    assert_eq!(
        c.custom,
        Custom {
            tenant: 3,
            roles: vec!["admin".into()]
        }
    );
    assert_eq!(c.exp - c.iat, 3600, "default lifetime is one hour");
    assert_eq!(c.iss.as_deref(), Some(ISS));
    assert!(c.jti.is_some());
    // A token with the wrong shape of custom claims is refused, not half-read.
    assert!(jwt.verify::<Custom>(&jwt.sign("u", ()).unwrap()).is_err());
}

#[test]
fn leeway_and_expires_in_are_configurable() {
    let jwt = JwtService::builder()
        .private_key_pem(ED_A.as_bytes())
        .expires_in(Duration::from_secs(60))
        .build()
        .unwrap();
    let c = jwt.claims("u", ()).unwrap();
    assert_eq!(c.exp - c.iat, 60);
    let mut late = jwt.claims("u", ()).unwrap();
    late.exp = now() - 10;
    let t = jwt.sign_claims(TokenType::Access, &late).unwrap();
    assert!(
        jwt.verify::<()>(&t).is_ok(),
        "10 s late is inside the 30 s default leeway"
    );
    late.exp = now() - 120;
    let t = jwt.sign_claims(TokenType::Access, &late).unwrap();
    assert_eq!(reason(&jwt, &t), FailureReason::Expired);
    let strict = JwtService::builder()
        .private_key_pem(ED_A.as_bytes())
        .leeway(Duration::ZERO)
        .build()
        .unwrap();
    late.exp = now() - 5;
    let t = strict.sign_claims(TokenType::Access, &late).unwrap();
    assert_eq!(reason(&strict, &t), FailureReason::Expired);
}

#[test]
fn token_types_are_distinct() {
    let jwt = service(ED_A);
    for ty in [TokenType::Refresh, TokenType::Id, TokenType::State] {
        let t = jwt.sign_claims(ty, &jwt.claims("u", ()).unwrap()).unwrap();
        assert_eq!(reason(&jwt, &t), FailureReason::WrongTokenType, "{ty:?}");
        assert!(jwt.verify_as::<()>(&t, ty).is_ok());
    }
    let access = jwt.sign("u", ()).unwrap();
    assert!(jwt.verify_as::<()>(&access, TokenType::Refresh).is_err());
}

#[test]
fn rotation_keeps_old_public_keys_verifying_until_removed() {
    let old = JwtService::builder()
        .private_key_pem(ED_A.as_bytes())
        .build()
        .unwrap();
    let old_token = old.sign("u", ()).unwrap();
    let rotated = JwtService::builder()
        .private_key_pem(ED_B.as_bytes())
        .public_key_pem(ED_A_PUB.as_bytes())
        .build()
        .unwrap();
    assert_ne!(old.signing_kid(), rotated.signing_kid());
    assert!(rotated.verify::<()>(&old_token).is_ok());
    let new_token = rotated.sign("u", ()).unwrap();
    assert!(rotated.verify::<()>(&new_token).is_ok());
    assert_eq!(rotated.jwks().keys.len(), 2);
    let removed = JwtService::builder()
        .private_key_pem(ED_B.as_bytes())
        .build()
        .unwrap();
    assert_eq!(reason(&removed, &old_token), FailureReason::UnknownKid);
}

#[test]
fn resource_server_verifies_with_public_keys_only_and_publishes_jwks() {
    let issuer = service(ED_A);
    let t = issuer.sign("u", ()).unwrap();
    let rs = JwtService::builder()
        .from_settings(|k| (k == PUBLIC_KEYS_SETTING).then(|| format!("{ED_A_PUB}\n{ED_B_PUB}")))
        .issuer(ISS)
        .audience([AUD])
        .build()
        .unwrap();
    assert!(!rs.can_sign());
    assert!(matches!(rs.sign("u", ()), Err(JwtError::Sign(_))));
    assert_eq!(rs.verify::<()>(&t).unwrap().sub, "u");

    let jwks: Value = serde_json::from_str(&issuer.jwks_json()).unwrap();
    let k = &jwks["keys"][0];
    assert_eq!(k["kty"], "OKP");
    assert_eq!(k["crv"], "Ed25519");
    assert_eq!(k["alg"], "EdDSA");
    assert_eq!(k["use"], "sig");
    assert_eq!(k["kid"], issuer.signing_kid().unwrap());
    assert!(k.get("d").is_none(), "private part leaked: {k}");
    // The JWKS of a resource server lists the same key under the same kid (RFC 7638 thumbprint).
    assert!(
        rs.jwks()
            .keys
            .iter()
            .any(|j| j.common.key_id.as_deref() == issuer.signing_kid())
    );
}

#[test]
fn bad_keys_stop_start_up_naming_the_setting() {
    let from = |priv_key: Option<&str>, pub_keys: Option<&str>| {
        let (a, b) = (priv_key.map(str::to_owned), pub_keys.map(str::to_owned));
        JwtService::builder()
            .from_settings(move |k| match k {
                PRIVATE_KEY_SETTING => a.clone(),
                PUBLIC_KEYS_SETTING => b.clone(),
                _ => None,
            })
            .build()
    };
    let cases = [
        (Some("not a pem"), None, PRIVATE_KEY_SETTING),
        (
            Some("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
            None,
            PRIVATE_KEY_SETTING,
        ),
        (Some(ED_A_PUB), None, PRIVATE_KEY_SETTING),
        (None, Some("garbage"), PUBLIC_KEYS_SETTING),
        (None, Some(ED_A), PUBLIC_KEYS_SETTING),
        (
            None,
            Some("-----BEGIN PUBLIC KEY-----\nAAAA\n"),
            PUBLIC_KEYS_SETTING,
        ),
        (None, None, PRIVATE_KEY_SETTING),
    ];
    for (p, k, setting) in cases {
        let err = from(p, k).unwrap_err().to_string();
        assert!(err.starts_with(&format!("{setting}: ")), "{err}");
        assert!(
            !err.contains("MC4CAQAwBQYDK2VwBCIEI"),
            "key material in error: {err}"
        );
    }
    assert!(from(Some(ED_A), Some(ED_B_PUB)).unwrap().can_sign());
}

#[test]
fn issuer_and_audience_come_from_settings() {
    use portcullis::authn::jwt::{AUDIENCE_SETTING, ISSUER_SETTING};
    let jwt = JwtService::builder()
        .from_settings(|k| match k {
            PRIVATE_KEY_SETTING => Some(ED_A.to_owned()),
            ISSUER_SETTING => Some(ISS.to_owned()),
            AUDIENCE_SETTING => Some(format!("{AUD}, admin-api")),
            _ => None,
        })
        .build()
        .unwrap();
    let c = jwt.claims("u", ()).unwrap();
    assert_eq!(c.iss.as_deref(), Some(ISS));
    assert_eq!(
        c.aud,
        Some(portcullis::authn::jwt::Audience::One(AUD.into()))
    );
    // Tokens of another issuer are refused by this service.
    let other = service(ED_A);
    let mut foreign = other.claims("u", ()).unwrap();
    foreign.iss = Some("https://elsewhere.test".into());
    let t = other.sign_claims(TokenType::Access, &foreign).unwrap();
    assert_eq!(reason(&jwt, &t), FailureReason::WrongIssuer);
}

#[test]
fn key_settings_accept_escaped_newlines_and_file_paths() {
    let one = |value: String| {
        JwtService::builder()
            .from_settings(move |k| (k == PRIVATE_KEY_SETTING).then(|| value.clone()))
            .build()
    };
    // `.env` style: the PEM on one line with literal \n.
    let escaped = ED_A.trim().replace('\n', "\\n");
    assert!(!escaped.contains('\n'));
    assert!(one(escaped).unwrap().can_sign());
    // A path to a PEM file.
    let path = std::env::temp_dir().join(format!("portcullis-key-{}.pem", std::process::id()));
    std::fs::write(&path, ED_A).unwrap();
    let from_file = one(path.display().to_string()).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(from_file.signing_kid(), service(ED_A).signing_kid());
    // A path that does not exist names the setting.
    let err = one("/no/such/key.pem".into()).unwrap_err().to_string();
    assert!(err.starts_with(PRIVATE_KEY_SETTING), "{err}");
    assert!(
        err.contains("neither PEM text nor a readable PEM file"),
        "{err}"
    );
    let err = JwtService::builder()
        .from_settings(|k| (k == PUBLIC_KEYS_SETTING).then(|| "/no/such/keys.pem".to_owned()))
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.starts_with(PUBLIC_KEYS_SETTING), "{err}");
}
