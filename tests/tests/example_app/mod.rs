//! The example API (`portcullis-example`) started for a test and driven over HTTP through
//! `oneshot`: on a temporary SQLite file always, and with `PORTCULLIS_TEST_SERVICES=1` also on
//! PostgreSQL (own schema) and on SQLite with Redis (own key prefix). Seeded: tenants acme (1:
//! alice member, 2: amir admin) and globex (3: bob member, 4: bea admin); documents 1 alice's,
//! 2 amir's, 3 alice's archived (acme), 4 bob's (globex).
#![allow(dead_code)]

use axum::body::Body;
use axum::extract::ConnectInfo;
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use portcullis::Bind;
use portcullis::Read;
use portcullis_example::model::{Document, User, documents};
use portcullis_example::{Config, DEMO_PASSWORD, Example, KeySource, OidcSource};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use tower::ServiceExt;

static COUNTER: AtomicU32 = AtomicU32::new(0);
pub const PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
pub const REDIS_URL: &str = "redis://127.0.0.1:6379";

pub fn services_enabled() -> bool {
    std::env::var("PORTCULLIS_TEST_SERVICES").is_ok_and(|v| v == "1")
}

pub struct TestApp {
    pub backend: &'static str,
    pub app: portcullis::App,
    pub example_pool: portcullis::db::Pool,
    pub state: portcullis_example::AppState,
    /// What the example was started with (database URL and PostgreSQL schema).
    pub config: Config,
    pub cleanup: Cleanup,
}

pub enum Cleanup {
    File(std::path::PathBuf),
    Schema(String),
    Keep,
}

impl TestApp {
    pub async fn finish(mut self) {
        if let Cleanup::Schema(schema) = std::mem::replace(&mut self.cleanup, Cleanup::Keep) {
            let admin = portcullis::db::Pool::connect(PG_URL)
                .await
                .expect("PostgreSQL");
            admin
                .unscoped("test fixture")
                .batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                .await
                .expect("drop test schema");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Cleanup::File(path) = &self.cleanup {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
    }
}

pub fn unique(tag: &str) -> String {
    format!(
        "pc_example_{tag}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

pub fn config(tag: &str) -> (Config, std::path::PathBuf) {
    let path = std::env::temp_dir().join(format!("{}.sqlite", unique(tag)));
    let config = Config {
        database_url: path.to_str().expect("temp path is UTF-8").to_owned(),
        seed: true,
        keys: KeySource::Generate,
        schema: None,
        redis_url: None,
        redis_prefix: String::new(),
        trusted_proxies: Vec::new(),
        oidc: OidcSource::Disabled,
    };
    (config, path)
}

pub async fn launch(backend: &'static str, config: Config, cleanup: Cleanup) -> TestApp {
    let Example { router, state, .. } = portcullis_example::example(config.clone())
        .await
        .expect("example starts");
    TestApp {
        backend,
        app: router.build().expect("router builds"),
        example_pool: state.pool.clone(),
        state,
        config,
        cleanup,
    }
}

/// The example on SQLite.
pub async fn start(tag: &str) -> TestApp {
    let (config, path) = config(tag);
    launch("sqlite", config, Cleanup::File(path)).await
}

/// The example on SQLite, and on PostgreSQL (own schema) with `PORTCULLIS_TEST_SERVICES=1`.
pub async fn backends(tag: &str) -> Vec<TestApp> {
    backends_with(tag, KeySource::Generate).await
}

/// [`backends`] with the signing key from `keys`.
pub async fn backends_with(tag: &str, keys: KeySource) -> Vec<TestApp> {
    let (mut sqlite, path) = config(tag);
    sqlite.keys = keys.clone();
    let mut out = vec![launch("sqlite", sqlite, Cleanup::File(path)).await];
    if services_enabled() {
        let schema = unique(tag);
        let admin = portcullis::db::Pool::connect(PG_URL)
            .await
            .unwrap_or_else(|e| {
                panic!("PORTCULLIS_TEST_SERVICES=1 but PostgreSQL at {PG_URL} is unreachable: {e}")
            });
        admin
            .unscoped("test fixture")
            .batch_execute(&format!("CREATE SCHEMA \"{schema}\""))
            .await
            .expect("create test schema");
        let pg = Config {
            database_url: PG_URL.to_owned(),
            seed: true,
            keys: keys.clone(),
            schema: Some(schema.clone()),
            redis_url: None,
            redis_prefix: String::new(),
            trusted_proxies: Vec::new(),
            oidc: OidcSource::Disabled,
        };
        out.push(launch("postgres", pg, Cleanup::Schema(schema)).await);
        // SQLite with throttling, revocation and sessions on Redis (own key prefix).
        let (mut with_redis, path) = config(tag);
        with_redis.keys = keys;
        with_redis.redis_url = Some(REDIS_URL.to_owned());
        with_redis.redis_prefix = format!("{}:", unique(tag));
        out.push(launch("sqlite+redis", with_redis, Cleanup::File(path)).await);
    }
    out
}

pub struct Res {
    pub status: StatusCode,
    pub headers: http::HeaderMap,
    pub body: String,
}

impl Res {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// One request through `oneshot`, as if from `ip` (the socket address the server would see).
pub async fn request(
    app: portcullis::App,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<&str>,
    ip: [u8; 4],
    extra: &[(&str, &str)],
) -> Res {
    let mut req = Request::builder().method(method).uri(uri);
    for (name, value) in extra {
        req = req.header(*name, *value);
    }
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    if body.is_some() {
        req = req.header(header::CONTENT_TYPE, "application/json");
    }
    let mut req = req
        .body(body.map_or(Body::empty(), |b| Body::from(b.to_owned())))
        .unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((ip, 40000))));
    let res = app.oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    Res {
        status,
        headers,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

impl TestApp {
    pub async fn call(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> Res {
        self.call_from(method, uri, token, body, [203, 0, 113, 7])
            .await
    }

    pub async fn call_from(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: Option<&str>,
        ip: [u8; 4],
    ) -> Res {
        self.call_with(method, uri, token, body, ip, &[]).await
    }

    pub async fn call_with(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: Option<&str>,
        ip: [u8; 4],
        extra: &[(&str, &str)],
    ) -> Res {
        request(self.app.clone(), method, uri, token, body, ip, extra).await
    }

    /// Logs in with the demo password, each time from another client IP so that the per-IP
    /// login limit (5/min) never interferes with a test's set-up.
    pub async fn login(&self, email: &str) -> (String, String) {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let ip = [10, 77, (n >> 8) as u8, n as u8];
        let body = format!(r#"{{"email":"{email}","password":"{DEMO_PASSWORD}"}}"#);
        let res = self
            .call_from("POST", "/auth/login", None, Some(&body), ip)
            .await;
        assert_eq!(res.status, 200, "{}: {}", self.backend, res.body);
        let json = res.json();
        (
            json["accessToken"].as_str().unwrap().to_owned(),
            json["refreshToken"].as_str().unwrap().to_owned(),
        )
    }

    /// The row as stored, every column (read with a tenant-admin ability of its tenant).
    pub async fn stored(&self, id: i64, tenant_id: i64) -> Document {
        let admin = User {
            id: 0,
            tenant_id,
            admin: true,
        };
        Bind::<Document, Read>::load(&documents(&admin), &self.example_pool, id)
            .await
            .expect("row readable")
            .into_inner()
    }
}
