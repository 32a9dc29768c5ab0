//! The guarded routes over `oneshot`, on a temporary SQLite file.

use super::*;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU32, Ordering};
use tower::ServiceExt;

struct Fixture {
    app: App,
    jwt: Arc<JwtService>,
    path: std::path::PathBuf,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.path.display()));
        }
    }
}

/// Notes 1 (owner 7, "mine") and 2 (owner 8, "theirs").
async fn fixture() -> Fixture {
    static N: AtomicU32 = AtomicU32::new(0);
    let path = std::env::temp_dir().join(format!(
        "notes-test-{}-{}.db",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let pool = Pool::connect(path.to_str().unwrap()).await.unwrap();
    migrate(&pool).await.unwrap();
    pool.unscoped("test data")
        .batch_execute(
            "INSERT INTO notes (id, owner_id, title) VALUES (1, 7, 'mine'), (2, 8, 'theirs')",
        )
        .await
        .unwrap();
    let jwt = Arc::new(
        JwtService::builder()
            .hmac_secret("test", b"a test secret of at least 32 bytes")
            .build()
            .unwrap(),
    );
    Fixture {
        app: app(pool, jwt.clone()).unwrap(),
        jwt,
        path,
    }
}

async fn get(f: &Fixture, uri: &str, user: Option<i64>) -> (StatusCode, Value) {
    let mut req = Request::get(uri);
    if let Some(id) = user {
        let token = f.jwt.sign(id.to_string(), ()).unwrap();
        req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let res = f
        .app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn anonymous_requests_are_refused() {
    let f = fixture().await;
    for uri in ["/notes", "/notes/1"] {
        assert_eq!(
            get(&f, uri, None).await.0,
            StatusCode::UNAUTHORIZED,
            "{uri}"
        );
    }
}

#[tokio::test]
async fn owners_see_their_notes_and_only_the_exposed_fields() {
    let f = fixture().await;
    let (status, body) = get(&f, "/notes", Some(7)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!([{ "id": 1, "title": "mine" }]));
    let (status, body) = get(&f, "/notes/1", Some(7)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({ "id": 1, "title": "mine" }));
}

#[tokio::test]
async fn another_users_note_is_refused() {
    let f = fixture().await;
    let (status, body) = get(&f, "/notes/2", Some(7)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!body.to_string().contains("theirs"), "{body}");
}
