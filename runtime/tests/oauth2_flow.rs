//! OAuth2 authorization-code + PKCE against a mock provider on 127.0.0.1 started in the test:
//! happy path, bad state, missing cookie, tampered cookie, replay, wrong verifier, a redirect
//! on the token endpoint (not followed), and configuration errors naming their key.
#![cfg(feature = "oauth2")]

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use http::{HeaderMap, HeaderValue, StatusCode};
use portcullis::Problem;
use portcullis::authn::oauth2::{CallbackQuery, OAuth2Client, ProviderConfig, ProviderIdentity};
use sha2::Digest;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Mock {
    codes: Mutex<HashMap<String, String>>, // code -> challenge
    token_calls: AtomicUsize,
    evil_calls: AtomicUsize,
}

async fn authorize(
    State(m): State<Arc<Mock>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    assert_eq!(
        q.get("code_challenge_method").map(String::as_str),
        Some("S256")
    );
    assert_eq!(q.get("response_type").map(String::as_str), Some("code"));
    let code = format!("code-{}", m.codes.lock().unwrap().len());
    m.codes
        .lock()
        .unwrap()
        .insert(code.clone(), q["code_challenge"].clone());
    Redirect::to(&format!(
        "{}?code={code}&state={}",
        q["redirect_uri"], q["state"]
    ))
    .into_response()
}

async fn token(State(m): State<Arc<Mock>>, headers: HeaderMap, body: Bytes) -> Response {
    m.token_calls.fetch_add(1, Ordering::SeqCst);
    assert!(
        headers.get("authorization").is_some(),
        "confidential client authenticates"
    );
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let challenge = m.codes.lock().unwrap().remove(&form["code"]);
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    if challenge.as_deref() != Some(computed.as_str()) {
        return (
            StatusCode::BAD_REQUEST,
            [("content-type", "application/json")],
            r#"{"error":"invalid_grant"}"#,
        )
            .into_response();
    }
    (
        [("content-type", "application/json")],
        r#"{"access_token":"at-1","token_type":"bearer","id_token":"idt-1"}"#,
    )
        .into_response()
}

async fn userinfo(headers: HeaderMap) -> Response {
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer at-1") {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    (
        [("content-type", "application/json")],
        r#"{"sub":"user-1","email":"u1@example.test"}"#,
    )
        .into_response()
}

async fn token_redirect() -> Response {
    Redirect::temporary("/evil").into_response()
}

async fn evil(State(m): State<Arc<Mock>>) -> &'static str {
    m.evil_calls.fetch_add(1, Ordering::SeqCst);
    r#"{"access_token":"stolen","token_type":"bearer"}"#
}

async fn start_mock() -> (String, Arc<Mock>) {
    let mock = Arc::new(Mock::default());
    let app = Router::new()
        .route("/authorize", get(authorize))
        .route("/token", post(token))
        .route("/token-redirect", post(token_redirect))
        .route("/evil", get(evil).post(evil))
        .route("/userinfo", get(userinfo))
        .with_state(mock.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, mock)
}

fn config(base: &str, token_path: &str) -> ProviderConfig {
    ProviderConfig::new("mock")
        .client_id("client-1")
        .client_secret("secret-1")
        .auth_url(format!("{base}/authorize"))
        .token_url(format!("{base}{token_path}"))
        .redirect_url("http://127.0.0.1/callback")
        .userinfo_url(format!("{base}/userinfo"))
        .scope("openid")
        .cookie_key([42u8; 32])
        .allow_insecure_http()
}

/// Runs `authorize()` and the provider's authorize endpoint; returns (cookie header, query).
async fn begin(client: &OAuth2Client) -> (String, CallbackQuery) {
    let auth = client.authorize().unwrap();
    let set_cookie = auth.set_cookie.to_str().unwrap().to_owned();
    for attr in [
        "HttpOnly",
        "Secure",
        "SameSite=Lax",
        "Path=/",
        "Max-Age=600",
    ] {
        assert!(set_cookie.contains(attr), "{set_cookie} lacks {attr}");
    }
    assert!(set_cookie.starts_with("__Host-oauth2-mock="));
    assert!(auth.url.contains("code_challenge_method=S256"));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = http.get(&auth.url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = url::Url::parse(res.headers()["location"].to_str().unwrap()).unwrap();
    let q: HashMap<String, String> = location.query_pairs().into_owned().collect();
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    (
        cookie,
        CallbackQuery {
            code: q.get("code").cloned(),
            state: q.get("state").cloned(),
            error: None,
        },
    )
}

fn cookie_headers(cookie: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        "cookie",
        HeaderValue::from_str(&format!("other=1; {cookie}")).unwrap(),
    );
    h
}

async fn map(id: ProviderIdentity) -> Result<String, Problem> {
    assert_eq!(id.id_token.as_deref(), Some("idt-1"));
    let sub = id
        .userinfo
        .as_ref()
        .and_then(|u| u["sub"].as_str())
        .ok_or_else(Problem::forbidden)?;
    Ok(format!("principal:{sub}"))
}

#[tokio::test]
async fn happy_path_maps_principal_and_rejects_replay() {
    let (base, mock) = start_mock().await;
    let client = OAuth2Client::new(config(&base, "/token")).unwrap();
    let (cookie, query) = begin(&client).await;
    let done = client
        .callback(&cookie_headers(&cookie), &query, &map)
        .await
        .unwrap();
    assert_eq!(done.principal, "principal:user-1");
    assert!(done.clear_cookie.to_str().unwrap().contains("Max-Age=0"));
    // the same state and cookie again: a replay
    let err = client
        .callback(&cookie_headers(&cookie), &query, &map)
        .await
        .unwrap_err();
    assert_eq!(err.status(), StatusCode::BAD_REQUEST);
    assert_eq!(mock.token_calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn bad_state_is_rejected_before_the_token_call() {
    let (base, mock) = start_mock().await;
    let client = OAuth2Client::new(config(&base, "/token")).unwrap();
    let (cookie, mut query) = begin(&client).await;
    query.state = query.state.map(|s| format!("{s}x"));
    let err = client
        .callback(&cookie_headers(&cookie), &query, &map)
        .await
        .unwrap_err();
    assert_eq!(err.status(), StatusCode::BAD_REQUEST);
    query.state = None;
    assert_eq!(
        client
            .callback(&cookie_headers(&cookie), &query, &map)
            .await
            .unwrap_err()
            .status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(mock.token_calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn missing_or_tampered_cookie_is_rejected() {
    let (base, mock) = start_mock().await;
    let client = OAuth2Client::new(config(&base, "/token")).unwrap();
    let (cookie, query) = begin(&client).await;
    let err = client
        .callback(&HeaderMap::new(), &query, &map)
        .await
        .unwrap_err();
    assert_eq!(err.status(), StatusCode::BAD_REQUEST);
    // flip the last signature character
    let mut tampered = cookie.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let err = client
        .callback(&cookie_headers(&tampered), &query, &map)
        .await
        .unwrap_err();
    assert_eq!(err.status(), StatusCode::BAD_REQUEST);
    // a cookie signed with another key
    let other = OAuth2Client::new(config(&base, "/token").cookie_key([1u8; 32])).unwrap();
    let (foreign_cookie, foreign_query) = begin(&other).await;
    let err = client
        .callback(&cookie_headers(&foreign_cookie), &foreign_query, &map)
        .await
        .unwrap_err();
    assert_eq!(err.status(), StatusCode::BAD_REQUEST);
    assert_eq!(mock.token_calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn wrong_verifier_is_refused_by_the_provider() {
    let (base, mock) = start_mock().await;
    let client = OAuth2Client::new(config(&base, "/token")).unwrap();
    let (_cookie_a, query_a) = begin(&client).await;
    let (cookie_b, query_b) = begin(&client).await;
    // state and cookie of flow B (valid), but the code of flow A: B's verifier does not match
    let query = CallbackQuery {
        code: query_a.code,
        state: query_b.state,
        error: None,
    };
    let err = client
        .callback(&cookie_headers(&cookie_b), &query, &map)
        .await
        .unwrap_err();
    assert_eq!(err.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(mock.token_calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn redirect_on_token_endpoint_is_not_followed() {
    let (base, mock) = start_mock().await;
    let client = OAuth2Client::new(config(&base, "/token-redirect")).unwrap();
    let (cookie, query) = begin(&client).await;
    let err = client
        .callback(&cookie_headers(&cookie), &query, &map)
        .await
        .unwrap_err();
    assert_eq!(err.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(
        mock.evil_calls.load(Ordering::SeqCst),
        0,
        "redirect was followed"
    );
}

#[tokio::test]
async fn provider_error_in_callback_is_unauthorized() {
    let (base, _mock) = start_mock().await;
    let client = OAuth2Client::new(config(&base, "/token")).unwrap();
    let (cookie, _) = begin(&client).await;
    let q = CallbackQuery {
        code: None,
        state: None,
        error: Some("access_denied".into()),
    };
    assert_eq!(
        client
            .callback(&cookie_headers(&cookie), &q, &map)
            .await
            .unwrap_err()
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[test]
fn config_errors_name_the_key() {
    let env = |vars: &'static [(&'static str, &'static str)]| {
        move |k: &str| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    };
    let full: &[(&str, &str)] = &[
        ("PORTCULLIS_OAUTH2__GH__CLIENT_ID", "id"),
        ("PORTCULLIS_OAUTH2__GH__CLIENT_SECRET", "s"),
        (
            "PORTCULLIS_OAUTH2__GH__AUTH_URL",
            "https://gh.example/authorize",
        ),
        (
            "PORTCULLIS_OAUTH2__GH__TOKEN_URL",
            "https://gh.example/token",
        ),
        (
            "PORTCULLIS_OAUTH2__GH__REDIRECT_URL",
            "https://app.example/cb",
        ),
        (
            "PORTCULLIS_OAUTH2__GH__COOKIE_KEY",
            "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=",
        ),
    ];
    let cfg = ProviderConfig::from_lookup("gh", env(full)).unwrap();
    assert!(OAuth2Client::new(cfg).is_ok());

    let cases: &[(&[(&str, &str)], &str)] = &[
        (&full[1..], "PORTCULLIS_OAUTH2__GH__CLIENT_ID"),
        (
            &[full[0], full[1], full[2], full[4], full[5]],
            "PORTCULLIS_OAUTH2__GH__TOKEN_URL",
        ),
        (&full[..5], "PORTCULLIS_OAUTH2__GH__COOKIE_KEY"),
    ];
    for (vars, key) in cases {
        let leaked: &'static [(&'static str, &'static str)] =
            Box::leak(vars.to_vec().into_boxed_slice());
        let err =
            OAuth2Client::new(ProviderConfig::from_lookup("gh", env(leaked)).unwrap()).unwrap_err();
        assert_eq!(err.key, *key, "{err}");
        assert!(err.to_string().contains(key));
    }
    let bad_url = ProviderConfig::new("gh")
        .client_id("x")
        .auth_url("not a url")
        .token_url("https://t")
        .redirect_url("https://r")
        .cookie_key([0u8; 32]);
    assert_eq!(
        OAuth2Client::new(bad_url).unwrap_err().key,
        "PORTCULLIS_OAUTH2__GH__AUTH_URL"
    );
    let http = ProviderConfig::new("gh")
        .client_id("x")
        .auth_url("https://a")
        .token_url("http://t")
        .redirect_url("https://r")
        .cookie_key([0u8; 32]);
    let err = OAuth2Client::new(http).unwrap_err();
    assert_eq!(err.key, "PORTCULLIS_OAUTH2__GH__TOKEN_URL");
    assert!(err.reason.contains("https"));
    let bad_b64 = ProviderConfig::from_lookup("gh", |k: &str| {
        (k == "PORTCULLIS_OAUTH2__GH__COOKIE_KEY").then(|| "%%%".to_owned())
    });
    assert_eq!(
        bad_b64.unwrap_err().key,
        "PORTCULLIS_OAUTH2__GH__COOKIE_KEY"
    );
    assert!(OAuth2Client::new(ProviderConfig::new("bad name")).is_err());
}
