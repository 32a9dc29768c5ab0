//! The OAuth2 state-replay cache is bounded: when it is full of states that are still valid it
//! refuses new sign-ins (503) rather than forget one, and a replay is refused however full the
//! cache is. Callbacks run concurrently; no provider is needed (the token endpoint is a closed
//! port, so a callback that passes the state check ends in 502).
#![cfg(feature = "oauth2")]

use http::{HeaderMap, HeaderValue, StatusCode};
use portcullis::Problem;
use portcullis::authn::oauth2::{CallbackQuery, OAuth2Client, ProviderConfig, ProviderIdentity};
use std::sync::Arc;

fn client(capacity: usize) -> OAuth2Client {
    OAuth2Client::new(
        ProviderConfig::new("mock")
            .client_id("client-1")
            .auth_url("http://127.0.0.1:1/authorize")
            .token_url("http://127.0.0.1:1/token")
            .redirect_url("http://127.0.0.1/callback")
            .cookie_key([42u8; 32])
            .allow_insecure_http()
            .replay_cache_capacity(capacity),
    )
    .unwrap()
}

/// A started sign-in: the `Cookie` header and the callback query the provider would send.
fn begin(client: &OAuth2Client) -> (HeaderMap, CallbackQuery) {
    let auth = client.authorize().unwrap();
    let url = url::Url::parse(&auth.url).unwrap();
    let state = url
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned());
    let cookie = auth
        .set_cookie
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let mut headers = HeaderMap::new();
    headers.insert("cookie", HeaderValue::from_str(&cookie).unwrap());
    let query = CallbackQuery {
        code: Some("code-1".to_owned()),
        state,
        error: None,
    };
    (headers, query)
}

async fn map(_: ProviderIdentity) -> Result<String, Problem> {
    Ok("never reached".to_owned())
}

async fn status(
    client: &OAuth2Client,
    (headers, query): &(HeaderMap, CallbackQuery),
) -> StatusCode {
    client
        .callback(headers, query, &map)
        .await
        .unwrap_err()
        .status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_callbacks_fill_the_cache_then_new_sign_ins_are_refused() {
    const CAPACITY: usize = 64;
    const CALLBACKS: usize = 200;
    let client = Arc::new(client(CAPACITY));
    let flows: Vec<_> = (0..CALLBACKS).map(|_| begin(&client)).collect();
    let barrier = Arc::new(tokio::sync::Barrier::new(CALLBACKS));
    let mut tasks = Vec::new();
    for flow in flows.clone() {
        let (client, barrier) = (client.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            status(&client, &flow).await
        }));
    }
    let mut passed = 0;
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap() {
            StatusCode::BAD_GATEWAY => passed += 1, // state accepted, token call failed
            StatusCode::SERVICE_UNAVAILABLE => refused += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(
        passed, CAPACITY,
        "exactly the capacity of states was accepted"
    );
    assert_eq!(refused, CALLBACKS - CAPACITY);
    // Every accepted state is still refused as a replay, with the cache full.
    let mut replays = 0;
    for flow in &flows {
        match status(&client, flow).await {
            StatusCode::BAD_REQUEST => replays += 1,
            StatusCode::SERVICE_UNAVAILABLE => {}
            other => panic!("a replay got {other}"),
        }
    }
    assert_eq!(replays, CAPACITY);
}

#[tokio::test]
async fn a_replay_is_refused_after_the_cache_was_filled() {
    let client = client(8);
    let first = begin(&client);
    assert_eq!(status(&client, &first).await, StatusCode::BAD_GATEWAY);
    for _ in 0..7 {
        assert_eq!(
            status(&client, &begin(&client)).await,
            StatusCode::BAD_GATEWAY
        );
    }
    // Full of states that are still valid: a new sign-in is refused, nothing is forgotten.
    let fresh = begin(&client);
    let err = client.callback(&fresh.0, &fresh.1, &map).await.unwrap_err();
    assert_eq!(err.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(err.headers().contains_key(http::header::RETRY_AFTER));
    assert_eq!(
        status(&client, &first).await,
        StatusCode::BAD_REQUEST,
        "replay refused"
    );
}
