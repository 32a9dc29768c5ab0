//! Sign-in with OpenID Connect through the example, end to end over real HTTP: the example
//! serves on a loopback port, a test provider (`oidc_provider`) on another, and a client that
//! follows the redirects by hand goes `GET /auth/oidc/login` → provider `/authorize` →
//! `GET /auth/oidc/callback` → a cookie session. Then the provider misbehaves, one way per
//! case: every refusal is a problem+json that names nothing of the provider, its cause is a
//! WARN with a reason code, and no session or account link is left behind.

mod oidc_provider;

use http::header;
use oidc_provider::{CLIENT_ID, CLIENT_SECRET, IssParam, Knobs, Provider, Sign};
use portcullis::authn::oidc::OidcConfig;
use portcullis::db::{Pool, RawConnection};
use portcullis_example::{Config, KeySource, OidcSource};
use serde_json::{Value, json};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering};

// ---------------------------------------------------------------------------------------------
// Log capture: one global subscriber routing WARN reasons to the test running on this thread
// (each `#[tokio::test]` runs its servers on its own current-thread runtime).

mod logs {
    use std::cell::RefCell;
    use std::sync::{Arc, Mutex, Once};
    use tracing::field::{Field, Visit};
    use tracing_subscriber::layer::{Context, SubscriberExt};

    type Sink = Arc<Mutex<Vec<String>>>;

    thread_local! {
        static CURRENT: RefCell<Option<Sink>> = const { RefCell::new(None) };
    }

    struct Reason(Option<String>);

    impl Visit for Reason {
        fn record_str(&mut self, field: &Field, value: &str) {
            if field.name() == "reason" {
                self.0 = Some(value.to_owned());
            }
        }
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            if field.name() == "reason" {
                self.0 = Some(format!("{value:?}").trim_matches('"').to_owned());
            }
        }
    }

    struct Capture;

    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Capture {
        fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
            if *event.metadata().level() != tracing::Level::WARN {
                return;
            }
            let mut r = Reason(None);
            event.record(&mut r);
            if let Some(reason) = r.0 {
                CURRENT.with(|c| {
                    if let Some(sink) = c.borrow().as_ref() {
                        sink.lock().unwrap().push(reason);
                    }
                });
            }
        }
    }

    #[derive(Clone)]
    pub struct Logs(Sink);

    impl Logs {
        pub fn start() -> Logs {
            static INIT: Once = Once::new();
            INIT.call_once(|| {
                let subscriber = tracing_subscriber::registry().with(Capture);
                tracing::subscriber::set_global_default(subscriber).expect("one subscriber");
            });
            let sink = Sink::default();
            CURRENT.with(|c| *c.borrow_mut() = Some(sink.clone()));
            Logs(sink)
        }

        /// The reasons logged since the last call.
        pub fn take(&self) -> Vec<String> {
            std::mem::take(&mut *self.0.lock().unwrap())
        }
    }
}

use logs::Logs;

// ---------------------------------------------------------------------------------------------
// The example on a loopback port.

static COUNTER: AtomicU32 = AtomicU32::new(0);

struct Site {
    base: String,
    pool: Pool,
    path: std::path::PathBuf,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Site {
    fn drop(&mut self) {
        self.task.abort();
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.path.display()));
        }
    }
}

const PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

fn services_enabled() -> bool {
    std::env::var("PORTCULLIS_TEST_SERVICES").is_ok_and(|v| v == "1")
}

/// A PostgreSQL schema of its own for one test (dropped by [`drop_schema`]).
async fn pg_schema() -> String {
    let schema = format!(
        "pc_example_oidc_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let admin = Pool::connect(PG_URL).await.unwrap_or_else(|e| {
        panic!("PORTCULLIS_TEST_SERVICES=1 but PostgreSQL at {PG_URL} is unreachable: {e}")
    });
    admin
        .unscoped("test fixture")
        .batch_execute(&format!("CREATE SCHEMA \"{schema}\""))
        .await
        .expect("create test schema");
    schema
}

async fn drop_schema(schema: &str) {
    let admin = Pool::connect(PG_URL).await.expect("PostgreSQL");
    admin
        .unscoped("test fixture")
        .batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
        .await
        .expect("drop test schema");
}

fn db_path() -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "pc_example_oidc_{}_{}.sqlite",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ))
}

fn config(path: &std::path::Path, oidc: OidcSource) -> Config {
    Config {
        database_url: path.to_str().expect("UTF-8 temp path").to_owned(),
        seed: true,
        keys: KeySource::Generate,
        schema: None,
        redis_url: None,
        redis_prefix: String::new(),
        trusted_proxies: Vec::new(),
        oidc,
    }
}

/// The example on SQLite signing in through the provider at `issuer`.
async fn site(issuer: &str) -> Site {
    site_on(issuer, None).await
}

/// [`site`] on SQLite, or on PostgreSQL in `schema`.
async fn site_on(issuer: &str, schema: Option<&str>) -> Site {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the example");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let oidc = OidcConfig::new("sso")
        .issuer(issuer)
        .client_id(CLIENT_ID)
        .client_secret(CLIENT_SECRET)
        .redirect_url(format!("{base}/auth/oidc/callback"))
        .cookie_key([9u8; 32])
        .scope("email")
        .allow_insecure_http();
    let path = db_path();
    let mut config = config(&path, OidcSource::Config(Box::new(oidc)));
    if let Some(schema) = schema {
        config.database_url = PG_URL.to_owned();
        config.schema = Some(schema.to_owned());
    }
    let example = portcullis_example::example(config)
        .await
        .expect("example starts");
    let pool = example.state.pool.clone();
    let app = example.router.build().expect("router builds");
    let task = tokio::spawn(async move {
        let service = app.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, service)
            .await
            .expect("example serves");
    });
    Site {
        base,
        pool,
        path,
        task,
    }
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

async fn count(pool: &Pool, table: &str) -> i64 {
    let conn = pool
        .unscoped("test: count rows")
        .connection()
        .await
        .expect("connection");
    let query = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"));
    match conn {
        RawConnection::Sqlite(mut c) => {
            diesel_async::RunQueryDsl::get_result::<Count>(query, &mut c)
                .await
                .expect("count")
                .n
        }
        RawConnection::Postgres(mut c) => {
            diesel_async::RunQueryDsl::get_result::<Count>(query, &mut c)
                .await
                .expect("count")
                .n
        }
        #[allow(unreachable_patterns)]
        _ => unreachable!("SQLite or PostgreSQL"),
    }
}

// ---------------------------------------------------------------------------------------------
// A browser that follows the redirects by hand, from its own loopback address (its own
// throttle bucket).

struct Res {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Res {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
    fn location(&self) -> String {
        self.headers[header::LOCATION.as_str()]
            .to_str()
            .unwrap()
            .to_owned()
    }
    fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE.as_str())
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }
}

struct Browser(reqwest::Client);

impl Browser {
    fn new(last_octet: u8) -> Browser {
        Browser(
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last_octet)))
                .build()
                .expect("client"),
        )
    }

    async fn get(&self, url: &str, cookie: Option<&str>) -> Res {
        let mut req = self.0.get(url);
        if let Some(c) = cookie {
            req = req.header(header::COOKIE.as_str(), c);
        }
        let res = req.send().await.expect("request");
        Res {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body: res.text().await.expect("body"),
        }
    }

    /// `GET /auth/oidc/login`: the provider URL and the state cookie (`name=value`).
    async fn begin(&self, site: &Site) -> (String, String) {
        let res = self
            .get(&format!("{}/auth/oidc/login", site.base), None)
            .await;
        assert_eq!(res.status, 303, "{}", res.body);
        let cookie = res.set_cookies()[0].split(';').next().unwrap().to_owned();
        (res.location(), cookie)
    }

    /// The provider's `/authorize`: the callback URL it redirects to.
    async fn authorize(&self, url: &str) -> String {
        let res = self.get(url, None).await;
        assert_eq!(res.status, 303, "{}", res.body);
        res.location()
    }

    async fn sign_in(&self, site: &Site) -> Res {
        let (url, cookie) = self.begin(site).await;
        let callback = self.authorize(&url).await;
        self.get(&callback, Some(&cookie)).await
    }
}

/// A refusal: `status`, problem+json, nothing of the provider in it, no session cookie, and no
/// session or account link in the database.
async fn assert_refused(site: &Site, provider_issuer: &str, res: &Res, status: u16) {
    assert_eq!(res.status, status, "{}", res.body);
    assert_eq!(
        res.headers[header::CONTENT_TYPE.as_str()],
        "application/problem+json",
        "{}",
        res.body
    );
    let port = provider_issuer.rsplit(':').next().unwrap();
    for leak in [
        provider_issuer,
        port,
        "nonce",
        "kid",
        "iss",
        "aud",
        "id_token",
        "alice",
    ] {
        assert!(!res.body.contains(leak), "{leak:?} leaks in {}", res.body);
    }
    assert!(
        !res.set_cookies()
            .iter()
            .any(|c| c.starts_with("__Host-id=")),
        "a refusal sets no session cookie"
    );
    assert_eq!(count(&site.pool, "portcullis_sessions").await, 0);
    assert_eq!(count(&site.pool, "oidc_identities").await, 0);
}

// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn signs_in_end_to_end_and_refuses_a_replayed_state() {
    happy_path_and_replay(None).await;
    if services_enabled() {
        let schema = pg_schema().await;
        happy_path_and_replay(Some(&schema)).await;
        drop_schema(&schema).await;
    }
}

/// The sign-in on SQLite (`schema` None) or PostgreSQL.
async fn happy_path_and_replay(schema: Option<&str>) {
    let logs = Logs::start();
    let provider = Provider::start().await;
    let site = site_on(&provider.issuer, schema).await;
    let users_before = count(&site.pool, "users").await;
    let b = Browser::new(2);

    let (url, cookie) = b.begin(&site).await;
    assert!(
        url.starts_with(&format!("{}/authorize?", provider.issuer)),
        "{url}"
    );
    for part in [
        "nonce=",
        "code_challenge_method=S256",
        "scope=openid+email",
        "state=",
    ] {
        assert!(url.contains(part), "{part} in {url}");
    }
    assert!(cookie.starts_with("__Host-oauth2-sso="), "{cookie}");
    let callback = b.authorize(&url).await;
    assert!(callback.starts_with(&format!("{}/auth/oidc/callback?", site.base)));
    assert!(callback.contains("&iss="), "RFC 9207 parameter: {callback}");

    let res = b.get(&callback, Some(&cookie)).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(
        res.json()["csrfToken"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    let cookies = res.set_cookies();
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("__Host-oauth2-sso=;") && c.contains("Max-Age=0")),
        "the state cookie is cleared: {cookies:?}"
    );
    let session = cookies
        .iter()
        .find(|c| c.starts_with("__Host-id="))
        .expect("a session cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let me = b.get(&format!("{}/me", site.base), Some(&session)).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.json()["email"], "alice@acme.test");
    assert_eq!(count(&site.pool, "oidc_identities").await, 1);
    assert_eq!(count(&site.pool, "portcullis_sessions").await, 1);
    assert_eq!(
        count(&site.pool, "users").await,
        users_before,
        "linked, not created"
    );

    // The same callback again (state and cookie replayed): refused before the token endpoint.
    let tokens = provider.token_hits();
    logs.take();
    let replay = b.get(&callback, Some(&cookie)).await;
    assert_eq!(replay.status, 400, "{}", replay.body);
    assert_eq!(
        replay.headers[header::CONTENT_TYPE.as_str()],
        "application/problem+json"
    );
    assert_eq!(provider.token_hits(), tokens);
    assert!(logs.take().contains(&"state_replayed".to_owned()));
    assert_eq!(count(&site.pool, "portcullis_sessions").await, 1);

    // A second sign-in finds the link by (issuer, subject); discovery and keys were cached.
    let again = b.sign_in(&site).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(count(&site.pool, "oidc_identities").await, 1);
    assert_eq!(provider.hits().discovery.load(Ordering::SeqCst), 1);
    assert_eq!(provider.jwks_hits(), 1);
}

#[tokio::test]
async fn every_refusal_is_a_problem_that_creates_nothing() {
    let logs = Logs::start();
    let provider = Provider::start().await;
    let site = site(&provider.issuer).await;
    type Knob = fn(&mut Knobs);
    let cases: &[(&str, Knob, u16, &str)] = &[
        (
            "wrong nonce",
            |k| k.nonce = Some("not-the-nonce".into()),
            401,
            "nonce_mismatch",
        ),
        (
            "wrong issuer",
            |k| k.token_iss = Some("https://evil.example".into()),
            401,
            "wrong_issuer",
        ),
        (
            "another audience",
            |k| k.aud = Some(json!("another-client")),
            401,
            "wrong_audience",
        ),
        (
            "several audiences, no azp",
            |k| k.aud = Some(json!([CLIENT_ID, "another-client"])),
            401,
            "azp_missing",
        ),
        (
            "azp of another client",
            |k| k.azp = Some("another-client".into()),
            401,
            "azp_mismatch",
        ),
        ("expired", |k| k.exp_in = -600, 401, "expired_token"),
        (
            "HS256 signed with the public key",
            |k| k.sign = Sign::Hs256WithPublicKey,
            401,
            "algorithm_mismatch",
        ),
        (
            "alg none",
            |k| k.sign = Sign::None,
            401,
            "unsupported_algorithm",
        ),
        (
            "at_hash of another token",
            |k| k.at_hash = Some(false),
            401,
            "at_hash_mismatch",
        ),
        (
            "iss parameter of another issuer",
            |k| k.iss_param = IssParam::Wrong,
            400,
            "iss_parameter_mismatch",
        ),
        (
            "iss parameter missing though advertised",
            |k| k.iss_param = IssParam::Absent,
            400,
            "iss_parameter_missing",
        ),
        (
            "no ID token",
            |k| k.omit_id_token = true,
            502,
            "id_token_missing",
        ),
        (
            "email not verified",
            |k| {
                k.sub = "idp-unverified".into();
                k.email_verified = json!(false)
            },
            403,
            "oidc_no_verified_email",
        ),
        (
            "email_verified as a string",
            |k| {
                k.sub = "idp-string".into();
                k.email_verified = json!("true")
            },
            403,
            "oidc_no_verified_email",
        ),
        (
            "verified email of nobody",
            |k| {
                k.sub = "idp-nobody".into();
                k.email = Some("nobody@acme.test".into())
            },
            403,
            "oidc_no_account",
        ),
    ];
    for (i, (name, knob, status, reason)) in cases.iter().enumerate() {
        provider.reset();
        provider.set(knob);
        logs.take();
        let b = Browser::new(10 + u8::try_from(i).unwrap());
        let res = b.sign_in(&site).await;
        assert_refused(&site, &provider.issuer, &res, *status).await;
        let reasons = logs.take();
        assert!(
            reasons.iter().any(|r| r == reason),
            "{name}: {reason} not in {reasons:?}"
        );
    }
    // A callback without its state cookie, and one with another flow's cookie.
    provider.reset();
    let b = Browser::new(40);
    let (url, _cookie) = b.begin(&site).await;
    let callback = b.authorize(&url).await;
    let res = b.get(&callback, None).await;
    assert_refused(&site, &provider.issuer, &res, 400).await;
    assert!(logs.take().contains(&"state_cookie_missing".to_owned()));
    let (_, other_cookie) = b.begin(&site).await;
    let res = b.get(&callback, Some(&other_cookie)).await;
    assert_refused(&site, &provider.issuer, &res, 400).await;
    assert!(logs.take().contains(&"state_mismatch".to_owned()));
}

#[tokio::test]
async fn an_unknown_kid_refetches_the_keys_once_then_refuses() {
    let logs = Logs::start();
    let provider = Provider::start().await;
    let site = site(&provider.issuer).await;
    let b = Browser::new(3);
    assert_eq!(b.sign_in(&site).await.status, 200);
    assert_eq!(provider.jwks_hits(), 1);
    // Reset what the first sign-in created: the refusals below must create nothing.
    site.pool
        .unscoped("test: start over")
        .batch_execute("DELETE FROM portcullis_sessions; DELETE FROM oidc_identities;")
        .await
        .unwrap();

    provider.set(|k| k.kid = "never-published".into());
    logs.take();
    let res = b.sign_in(&site).await;
    assert_refused(&site, &provider.issuer, &res, 401).await;
    assert_eq!(provider.jwks_hits(), 2, "one refetch for the unknown kid");
    assert!(logs.take().contains(&"unknown_kid".to_owned()));
    // Another made-up kid right away: refused without fetching again.
    provider.set(|k| k.kid = "also-never-published".into());
    let res = b.sign_in(&site).await;
    assert_refused(&site, &provider.issuer, &res, 401).await;
    assert_eq!(provider.jwks_hits(), 2, "rate-limited");
    assert!(
        logs.take()
            .contains(&"unknown_kid_refresh_rate_limited".to_owned())
    );

    // A real rotation on another instance: the new kid is fetched once and accepted.
    let other = self::site(&provider.issuer).await;
    provider.reset();
    assert_eq!(b.sign_in(&other).await.status, 200);
    let fetched = provider.jwks_hits();
    provider.set(|k| {
        k.published_kids = vec!["rotated".into(), oidc_provider::KID.into()];
        k.kid = "rotated".into();
    });
    let res = b.sign_in(&other).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(provider.jwks_hits(), fetched + 1);
}

#[tokio::test]
async fn discovery_naming_another_issuer_is_refused() {
    let logs = Logs::start();
    let provider = Provider::start().await;
    // OpenID Connect Discovery §4.3: the document must name exactly the issuer we asked.
    provider.set(|k| k.discovery_issuer = Some(format!("{}/", provider.issuer)));
    let site = site(&provider.issuer).await;
    let b = Browser::new(5);
    let res = b.get(&format!("{}/auth/oidc/login", site.base), None).await;
    assert_refused(&site, &provider.issuer, &res, 502).await;
    assert!(
        logs.take()
            .contains(&"provider_document_invalid".to_owned())
    );
    assert_eq!(provider.hits().authorize.load(Ordering::SeqCst), 0);
    assert_eq!(
        provider.jwks_hits(),
        0,
        "keys are not fetched for a mismatched issuer"
    );
}

#[tokio::test]
async fn a_provider_that_is_down_is_a_clear_problem() {
    let logs = Logs::start();
    // Down before the first sign-in: discovery cannot be fetched.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let site_a = site(&dead).await;
    let b = Browser::new(4);
    let res = b
        .get(&format!("{}/auth/oidc/login", site_a.base), None)
        .await;
    assert_refused(&site_a, &dead, &res, 503).await;
    assert!(res.headers.contains_key(header::RETRY_AFTER.as_str()));
    assert!(logs.take().contains(&"provider_unreachable".to_owned()));

    // Down between the redirect and the callback: the code cannot be exchanged.
    let provider = Provider::start().await;
    let issuer = provider.issuer.clone();
    let site_b = site(&issuer).await;
    let (url, cookie) = b.begin(&site_b).await;
    let callback = b.authorize(&url).await;
    provider.stop().await;
    logs.take();
    let res = b.get(&callback, Some(&cookie)).await;
    assert_refused(&site_b, &issuer, &res, 502).await;
    assert!(logs.take().contains(&"token_exchange_failed".to_owned()));
}

#[tokio::test]
async fn unconfigured_means_no_routes_and_bad_settings_stop_start_up() {
    let path = db_path();
    let example = portcullis_example::example(config(&path, OidcSource::Disabled))
        .await
        .expect("example starts");
    assert!(!example.router.posture().to_string().contains("/auth/oidc"));
    let pool = example.state.pool.clone();
    let app = example.router.build().expect("router builds");
    let res = tower::ServiceExt::oneshot(
        app,
        http::Request::get("/auth/oidc/login")
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 404);
    drop(pool);

    let incomplete = OidcConfig::new("sso")
        .issuer("https://id.example")
        .client_id(CLIENT_ID)
        .redirect_url("https://app.example/auth/oidc/callback");
    let err = portcullis_example::example(config(&path, OidcSource::Config(Box::new(incomplete))))
        .await
        .err()
        .expect("a start-up error");
    assert!(
        err.to_string().contains("PORTCULLIS_OIDC__SSO__COOKIE_KEY"),
        "{err}"
    );
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
