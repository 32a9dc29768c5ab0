//! Guarded handlers and the guarded router over HTTP (`tower::ServiceExt::oneshot`), with a
//! real JWT bearer strategy and the documents policy on SQLite.

mod common;

use axum::body::Body;
use common::app::*;
use common::*;
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use portcullis::authn::jwt::JwtService;
use portcullis::authn::strategy::Bearer;
use portcullis::db::Pool;
use portcullis::routing::{delete, get, post};
use portcullis::throttle::MemoryBackend;
use portcullis::{
    Bind, Db, Patch, Principal, Problem, Read, Router, Scoped, Shaped, Update, guarded,
};
use std::sync::Arc;
use tower::ServiceExt;

/// Anyone may call it.
#[guarded(public)]
async fn health() -> &'static str {
    "ok"
}

#[guarded(auth)]
async fn me(Principal(user): Principal<User>) -> String {
    format!("{}@{}", user.id, user.tenant_id)
}

#[guarded(auth)]
async fn list(docs: Scoped<Document, Read>, db: Db) -> Result<Shaped<Vec<Document>>, Problem> {
    let rows = docs.query().order_by(|f| f.id.asc()).load(&db).await?;
    Ok(docs.shape(rows))
}

#[guarded(auth)]
async fn show(doc: Bind<Document, Read>) -> Shaped<Document> {
    doc.shape()
}

#[guarded(auth)]
async fn update(
    doc: Bind<Document, Update>,
    db: Db,
    patch: Patch<Document>,
) -> Result<Shaped<Document>, Problem> {
    let doc = doc.update(patch, &db).await?;
    let row = doc.into_inner();
    let ability = documents(&bob_admin());
    Ok(ability.shape(row))
}

#[guarded(auth, roles(admin))]
async fn admin_only() -> &'static str {
    "admin"
}

#[guarded(auth, roles(admin), conceal)]
async fn hidden_admin() -> &'static str {
    "hidden"
}

#[guarded(auth, can(delete, Document))]
async fn purge() -> &'static str {
    "purged"
}

#[guarded(auth)]
async fn socket(ws: axum::extract::ws::WebSocketUpgrade) -> axum::response::Response {
    ws.on_upgrade(|_socket| async {})
}

/// Counts rows with `?` on a raw diesel error path.
#[guarded(auth)]
async fn raw_count(db: Db) -> Result<String, Problem> {
    use diesel_async::RunQueryDsl;
    let portcullis::db::RawConnection::Sqlite(mut conn) = db
        .unscoped("test: raw diesel error mapping")
        .connection()
        .await?
    else {
        return Ok("not sqlite".into());
    };
    let n: i64 = diesel::sql_query("SELECT no_such_column FROM documents")
        .load::<Count>(&mut conn)
        .await?
        .len() as i64;
    Ok(n.to_string())
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    #[allow(dead_code)]
    no_such_column: i64,
}

#[guarded(public, throttle = "2/min per ip")]
async fn login() -> &'static str {
    "welcome"
}

fn router(pool: Pool, jwt: Arc<JwtService>) -> Router<()> {
    Router::<AppState>::new()
        .route("/health", get(health))
        .route("/me", get(me))
        .route("/docs", get(list))
        .route("/docs/{id}", get(show).patch(update))
        .route("/admin", get(admin_only))
        .route("/hidden", get(hidden_admin))
        .route("/purge", delete(purge))
        .route("/login", post(login))
        .route("/ws", get(socket))
        .route("/raw", get(raw_count))
        .authenticator(bearer(jwt))
        .throttle_backend(MemoryBackend::default())
        .with_state(AppState { pool })
}

async fn call(
    app: &portcullis::App,
    method: &str,
    uri: &str,
    auth: Option<&str>,
    body: Option<&str>,
) -> (StatusCode, http::HeaderMap, String) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(a) = auth {
        req = req.header(header::AUTHORIZATION, format!("Bearer {a}"));
    }
    if body.is_some() {
        req = req.header(header::CONTENT_TYPE, "application/json");
    }
    let req = req
        .body(body.map_or(Body::empty(), |b| Body::from(b.to_owned())))
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
}

#[tokio::test]
async fn guards_allow_and_deny_as_declared() {
    for db in databases("guards", SQLITE_SCHEMA, PG_SCHEMA).await {
        db.pool
            .unscoped("test fixture")
            .batch_execute(SEED)
            .await
            .unwrap();
        let jwt = jwt();
        let app = router(db.pool.clone(), jwt.clone()).build().unwrap();
        let alice = token(&jwt, &alice());
        let bob = token(&jwt, &bob_admin());

        assert_eq!(call(&app, "GET", "/health", None, None).await.0, 200);

        let (status, headers, body) = call(&app, "GET", "/me", None, None).await;
        assert_eq!(
            (status, headers[header::WWW_AUTHENTICATE].to_str().unwrap()),
            (StatusCode::UNAUTHORIZED, "Bearer")
        );
        assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json");
        assert_eq!(
            body,
            r#"{"type":"about:blank","title":"Unauthorized","status":401}"#
        );
        let (status, headers, _) = call(&app, "GET", "/me", Some("garbage"), None).await;
        assert_eq!(status, 401);
        assert_eq!(
            headers[header::WWW_AUTHENTICATE],
            r#"Bearer error="invalid_token""#
        );
        assert_eq!(call(&app, "GET", "/me", Some(&alice), None).await.2, "1@10");

        let (status, _, body) = call(&app, "GET", "/docs", Some(&alice), None).await;
        assert_eq!(status, 200, "{}", db.name);
        assert!(body.starts_with(r#"[{"id":1,"tenantId":10"#), "{body}");
        assert!(
            !body.contains("secret") && !body.contains("internalNotes"),
            "{body}"
        );
        assert_eq!(
            call(&app, "GET", "/docs/4", Some(&alice), None).await.0,
            403
        );
        assert_eq!(
            call(&app, "GET", "/docs/999", Some(&alice), None).await.0,
            404
        );
        assert_eq!(
            call(&app, "GET", "/docs/abc", Some(&alice), None).await.0,
            400
        );

        let (status, _, body) = call(
            &app,
            "PATCH",
            "/docs/1",
            Some(&alice),
            Some(r#"{"tenantId":20}"#),
        )
        .await;
        assert_eq!(status, 403, "{body}");
        assert!(body.contains(r#""field":"tenantId""#), "{body}");
        let (status, _, body) = call(
            &app,
            "PATCH",
            "/docs/1",
            Some(&alice),
            Some(r#"{"title":"new"}"#),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains(r#""title":"new""#), "{body}");
        let (status, _, _) = call(&app, "PATCH", "/docs/1", Some(&alice), Some("{oops")).await;
        assert_eq!(status, 400);

        assert_eq!(call(&app, "GET", "/admin", Some(&alice), None).await.0, 403);
        assert_eq!(call(&app, "GET", "/admin", Some(&bob), None).await.0, 200);
        assert_eq!(
            call(&app, "GET", "/hidden", Some(&alice), None).await.0,
            404,
            "conceal"
        );
        assert_eq!(
            call(&app, "DELETE", "/purge", Some(&alice), None).await.0,
            403,
            "no delete grant"
        );
        assert_eq!(
            call(&app, "DELETE", "/purge", Some(&bob), None).await.0,
            200
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn throttled_routes_answer_429_with_rate_limit_headers() {
    let db = databases("guards_throttle", SQLITE_SCHEMA, PG_SCHEMA)
        .await
        .remove(0);
    let app = router(db.pool.clone(), jwt()).build().unwrap();
    for _ in 0..2 {
        let (status, headers, _) = call(&app, "POST", "/login", None, None).await;
        assert_eq!(status, 200);
        assert_eq!(headers["ratelimit-limit"], "2");
    }
    let (status, headers, body) = call(&app, "POST", "/login", None, None).await;
    assert_eq!(status, 429, "{body}");
    assert!(headers.contains_key(header::RETRY_AFTER));
    assert_eq!(headers["ratelimit-remaining"], "0");
    assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json");
    db.cleanup().await;
}

#[tokio::test]
async fn building_fails_at_start_up_without_authenticator_or_limiter() {
    let db = databases("guards_build", SQLITE_SCHEMA, PG_SCHEMA)
        .await
        .remove(0);
    let no_auth: Router<()> =
        Router::<AppState>::new()
            .route("/me", get(me))
            .with_state(AppState {
                pool: db.pool.clone(),
            });
    let err = no_auth.build().unwrap_err().to_string();
    assert!(
        err.contains("no authenticator") && err.contains("GET /me"),
        "{err}"
    );
    let no_limiter: Router<()> = Router::<AppState>::new()
        .route("/login", post(login))
        .with_state(AppState {
            pool: db.pool.clone(),
        });
    let err = no_limiter.build().unwrap_err().to_string();
    assert!(
        err.contains("no limiter") && err.contains("POST /login"),
        "{err}"
    );
    db.cleanup().await;
}

#[tokio::test]
async fn posture_lists_every_route_and_anonymous_requests_are_rejected() {
    let db = databases("guards_posture", SQLITE_SCHEMA, PG_SCHEMA)
        .await
        .remove(0);
    let router = router(db.pool.clone(), jwt());
    let posture = router.posture().to_string();
    // The escape hatches taken so far follow the routes (this test's fixture used one).
    let (table, escapes) = posture
        .split_once("unscoped database access (reason: uses so far):\n")
        .expect("the unscoped uses are listed");
    assert!(escapes.contains("  test fixture: "), "{escapes}");
    assert_eq!(
        table,
        "\
METHOD  PATH        ACCESS  ROLES  CAN               THROTTLE
GET     /health     public  -      -                 -
GET     /me         auth    -      -                 -
GET     /docs       auth    -      -                 -
GET     /docs/{id}  auth    -      -                 -
PATCH   /docs/{id}  auth    -      -                 -
GET     /admin      auth    admin  -                 -
GET     /hidden     auth    admin  -                 -
DELETE  /purge      auth    -      delete(Document)  -
POST    /login      public  -      -                 2/min per ip
GET     /ws         auth    -      -                 -
GET     /raw        auth    -      -                 -
"
    );
    portcullis::testing::assert_anonymous_rejected(&router).await;

    // An authenticator that lets anonymous requests through is caught route by route.
    let open: Router<()> = Router::<AppState>::new()
        .route("/me", get(me))
        .route("/health", get(health))
        .authenticator(AnyoneIsAlice)
        .with_state(AppState {
            pool: db.pool.clone(),
        });
    let failures = portcullis::testing::check_anonymous_rejected(&open)
        .await
        .unwrap_err();
    assert_eq!(
        failures,
        vec![
            "GET /me (no credentials): 200",
            "GET /me (garbage bearer token): 200"
        ]
    );
    db.cleanup().await;
}

/// A deliberately broken authenticator: everyone is alice.
struct AnyoneIsAlice;

impl portcullis::authn::strategy::Authenticator<User> for AnyoneIsAlice {
    fn authenticate<'a>(
        &'a self,
        _: &'a mut http::request::Parts,
    ) -> portcullis::authn::BoxFuture<'a, Result<User, portcullis::authn::strategy::AuthRejection>>
    {
        Box::pin(async { Ok(alice()) })
    }
}

#[tokio::test]
async fn guarded_handlers_stay_callable_in_unit_tests() {
    assert_eq!(health::call().await, "ok");
    assert_eq!(me::call(Principal(alice())).await, "1@10");
}

#[tokio::test]
async fn websocket_upgrades_are_refused_before_switching_protocols() {
    let db = databases("guards_ws", SQLITE_SCHEMA, PG_SCHEMA)
        .await
        .remove(0);
    let jwt = jwt();
    let app = router(db.pool.clone(), jwt.clone()).build().unwrap();
    let upgrade = |auth: Option<String>| {
        let mut req = Request::builder()
            .method("GET")
            .uri("/ws")
            .header(header::CONNECTION, "upgrade")
            .header(header::UPGRADE, "websocket")
            .header(header::SEC_WEBSOCKET_VERSION, "13")
            .header(header::SEC_WEBSOCKET_KEY, "dGhlIHNhbXBsZSBub25jZQ==");
        if let Some(t) = auth {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        req.body(Body::empty()).unwrap()
    };
    let res = app.clone().oneshot(upgrade(None)).await.unwrap();
    assert_eq!(res.status(), 401, "anonymous upgrade refused before 101");
    let res = app
        .clone()
        .oneshot(upgrade(Some("garbage".into())))
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // With a valid token the guard passes and axum's upgrade extractor runs (oneshot has no
    // real connection to upgrade, so it answers 426 rather than 101): the guard did not block.
    let res = app
        .clone()
        .oneshot(upgrade(Some(token(&jwt, &alice()))))
        .await
        .unwrap();
    assert_ne!(res.status(), 401);
    db.cleanup().await;
}

#[tokio::test]
async fn database_errors_are_generic_500_problems() {
    let db = databases("guards_500", SQLITE_SCHEMA, PG_SCHEMA)
        .await
        .remove(0);
    let jwt = jwt();
    let app = router(db.pool.clone(), jwt.clone()).build().unwrap();
    let (status, headers, body) =
        call(&app, "GET", "/raw", Some(&token(&jwt, &alice())), None).await;
    assert_eq!(status, 500);
    assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json");
    assert_eq!(
        body,
        r#"{"type":"about:blank","title":"Internal Server Error","status":500}"#
    );
    db.cleanup().await;
}

#[guarded(public)]
async fn not_found() -> Problem {
    Problem::not_found().with_detail("No such route.")
}

#[tokio::test]
async fn nest_merge_fallback_and_layer_keep_guards_and_posture() {
    let db = databases("guards_compose", SQLITE_SCHEMA, PG_SCHEMA)
        .await
        .remove(0);
    let jwt = jwt();
    let api = Router::<AppState>::new().route("/me", get(me));
    let public = Router::<AppState>::new().route("/health", get(health));
    let router: Router<()> = Router::<AppState>::new()
        .nest("/api", api)
        .merge(public)
        .fallback(not_found)
        .layer(axum::middleware::map_response(
            |mut res: axum::response::Response| async move {
                res.headers_mut()
                    .insert("x-layer", http::HeaderValue::from_static("1"));
                res
            },
        ))
        .authenticator(bearer(jwt.clone()))
        .with_state(AppState {
            pool: db.pool.clone(),
        });
    let posture = router.posture();
    let paths: Vec<String> = posture
        .routes
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(paths, vec!["GET /api/me", "GET /health", "* *"]);
    // Layers are listed too.
    assert_eq!(posture.layers.len(), 1);
    assert!(
        posture
            .to_string()
            .contains("layer: axum::middleware::map_response::MapResponseLayer"),
        "{posture}"
    );
    portcullis::testing::assert_anonymous_rejected(&router).await;
    let app = router.build().unwrap();
    let (status, headers, _) = call(&app, "GET", "/api/me", None, None).await;
    assert_eq!(
        (status.as_u16(), headers["x-layer"].to_str().unwrap()),
        (401, "1")
    );
    assert_eq!(
        call(&app, "GET", "/api/me", Some(&token(&jwt, &alice())), None)
            .await
            .2,
        "1@10"
    );
    assert_eq!(call(&app, "GET", "/health", None, None).await.0, 200);
    let (status, headers, body) = call(&app, "GET", "/nowhere", None, None).await;
    assert_eq!(status, 404);
    assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json");
    assert!(body.contains("No such route."), "{body}");
    db.cleanup().await;
}

#[tokio::test]
async fn malformed_input_is_a_4xx_never_a_panic() {
    let db = databases("guards_bad_input", SQLITE_SCHEMA, PG_SCHEMA)
        .await
        .remove(0);
    db.pool
        .unscoped("test fixture")
        .batch_execute(SEED)
        .await
        .unwrap();
    let jwt = jwt();
    let app = router(db.pool.clone(), jwt.clone()).build().unwrap();
    let alice = token(&jwt, &alice());
    for id in ["99999999999999999999999", "-", "%00", "1e3", "..."] {
        let (status, _, body) = call(&app, "GET", &format!("/docs/{id}"), Some(&alice), None).await;
        assert_eq!(status, 400, "{id}: {body}");
    }
    let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
    let (status, _, _) = call(&app, "PATCH", "/docs/1", Some(&alice), Some(&deep)).await;
    assert_eq!(status, 400);
    let (status, _, _) = call(
        &app,
        "PATCH",
        "/docs/1",
        Some(&alice),
        Some(r#"{"title":"x","title":"y"}"#),
    )
    .await;
    assert!(status.is_success() || status.is_client_error(), "{status}");
    // A body that is not JSON at all, or sent as another media type.
    let req = Request::builder()
        .method("PATCH")
        .uri("/docs/1")
        .header(header::AUTHORIZATION, format!("Bearer {alice}"))
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from("title=x"))
        .unwrap();
    assert_eq!(app.clone().oneshot(req).await.unwrap().status(), 415);
    db.cleanup().await;
}

/// The row of `/docs/{group}/items/{item}` is `item`, because the handler says so.
#[guarded(auth, bind = "item")]
async fn show_item(doc: Bind<Document, Read>) -> Shaped<Document> {
    doc.shape()
}

/// The same handler without saying which parameter: ambiguous.
#[guarded(auth)]
async fn show_ambiguous(doc: ReadDoc) -> Shaped<Document> {
    doc.shape()
}

/// An alias hides the name `Bind` from the macro; the check goes through the type.
type ReadDoc = Bind<Document, Read>;

#[guarded(auth, bind = "item")]
async fn binds_nothing(Principal(user): Principal<User>) -> String {
    user.id.to_string()
}

/// `Bind` loads the parameter `bind = ".."` names. Before, it loaded the first parameter of
/// `/docs/{group}/items/{item}` (the group) and a route with several parameters was not an
/// error; now the ambiguity and a misnamed parameter stop `build()`.
#[tokio::test]
async fn bind_loads_the_named_path_parameter_and_ambiguity_stops_build() {
    for db in databases("guards_bind", SQLITE_SCHEMA, PG_SCHEMA).await {
        db.pool
            .unscoped("test fixture")
            .batch_execute(SEED)
            .await
            .unwrap();
        let jwt = jwt();
        let named = Router::<AppState>::new()
            .route("/docs/{group}/items/{item}", get(show_item))
            .authenticator(bearer(jwt.clone()))
            .with_state::<()>(AppState {
                pool: db.pool.clone(),
            })
            .build()
            .unwrap();
        let alice = token(&jwt, &alice());
        let (status, _, body) = call(&named, "GET", "/docs/1/items/2", Some(&alice), None).await;
        assert_eq!(status, 200, "{}: {body}", db.name);
        assert!(body.starts_with(r#"{"id":2,"#), "{}: {body}", db.name);

        let ambiguous = Router::<AppState>::new()
            .route("/docs/{group}/items/{item}", get(show_ambiguous))
            .authenticator(bearer(jwt.clone()))
            .with_state::<()>(AppState {
                pool: db.pool.clone(),
            })
            .build()
            .unwrap_err()
            .to_string();
        assert!(
            ambiguous.contains("GET /docs/{group}/items/{item}")
                && ambiguous.contains("bind = ")
                && ambiguous.contains("show_ambiguous"),
            "{ambiguous}"
        );
        // Nesting adds parameters too.
        let nested = Router::<AppState>::new()
            .nest(
                "/tenants/{tenant}",
                Router::new().route("/docs/{id}", get(show_ambiguous)),
            )
            .authenticator(bearer(jwt.clone()))
            .with_state::<()>(AppState {
                pool: db.pool.clone(),
            })
            .build()
            .unwrap_err()
            .to_string();
        assert!(nested.contains("/tenants/{tenant}/docs/{id}"), "{nested}");
        for (path, handler) in [
            ("/docs/{id}", get(show_item)),
            ("/x/{item}", get(binds_nothing)),
        ] {
            let err = Router::<AppState>::new()
                .route(path, handler)
                .authenticator(bearer(jwt.clone()))
                .with_state::<()>(AppState {
                    pool: db.pool.clone(),
                })
                .build()
                .unwrap_err()
                .to_string();
            assert!(err.contains("bind = \"item\""), "{err}");
        }
        db.cleanup().await;
    }
}

/// An alias and a wrapper hide `Principal` from the macro's name check.
type Caller = Principal<User>;

#[guarded(public)]
async fn public_with_alias(Principal(user): Caller) -> String {
    user.id.to_string()
}

#[guarded(public)]
async fn public_with_result(user: Result<Principal<User>, Problem>) -> String {
    format!("{}", user.is_ok())
}

/// A `public` handler taking a principal extractor through an alias or in a `Result` compiled
/// and failed per request before; now `build()` refuses it, naming the route and the fix.
#[tokio::test]
async fn public_handlers_taking_a_principal_through_aliases_stop_build() {
    let path =
        std::env::temp_dir().join(format!("portcullis-public-{}.sqlite", std::process::id()));
    let pool = Pool::connect(path.to_str().unwrap()).await.unwrap();
    for (uri, handler) in [
        ("/alias", get(public_with_alias)),
        ("/result", get(public_with_result)),
    ] {
        let err = Router::<AppState>::new()
            .route(uri, handler)
            .with_state::<()>(AppState { pool: pool.clone() })
            .build()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!("GET {uri}")) && err.contains("#[guarded(auth)]"),
            "{err}"
        );
    }
    drop(pool);
    let _ = std::fs::remove_file(path);
}

/// The built app serves and answers tests but cannot be extended with routes (a ui case pins
/// that `.route(..)` on it does not compile); a plain axum router comes only through the named
/// escape, which is counted in the posture of every router printed afterwards.
#[tokio::test]
async fn the_built_app_is_sealed_and_the_escape_is_in_the_posture() {
    let db = databases("guards_escape", SQLITE_SCHEMA, PG_SCHEMA)
        .await
        .remove(0);
    let jwt = jwt();
    let app = router(db.pool.clone(), jwt.clone()).build().unwrap();
    assert_eq!(app.posture().routes.len(), 11);
    assert_eq!(call(&app, "GET", "/health", None, None).await.0, 200);
    // Layers still wrap a built app, and are listed.
    let app = app.layer(axum::middleware::map_response(
        |mut res: axum::response::Response| async move {
            res.headers_mut()
                .insert("x-outer", http::HeaderValue::from_static("1"));
            res
        },
    ));
    let (status, headers, _) = call(&app, "GET", "/me", None, None).await;
    assert_eq!(
        (status.as_u16(), headers["x-outer"].to_str().unwrap()),
        (401, "1")
    );
    assert_eq!(app.posture().layers.len(), 1);

    let plain: axum::Router = app.into_unguarded_router("test: mount a legacy router");
    let plain = plain.route("/legacy", axum::routing::get(|| async { "unguarded" }));
    let res =
        tower::ServiceExt::oneshot(plain, Request::get("/legacy").body(Body::empty()).unwrap())
            .await
            .unwrap();
    assert_eq!(res.status(), 200);
    let posture = router(db.pool.clone(), jwt).posture().to_string();
    assert!(
        posture.contains(
            "unguarded axum::Router (reason: uses so far):\n  test: mount a legacy router: 1"
        ),
        "{posture}"
    );
    db.cleanup().await;
}

#[guarded(auth, throttle = "3/min per ip")]
async fn limited_per_ip() -> &'static str {
    "ok"
}

#[guarded(auth, throttle = "3/min per user")]
async fn limited_per_user() -> &'static str {
    "ok"
}

/// The bearer strategy, counting how often authentication runs.
struct Counting(Bearer<Extra, User>, Arc<std::sync::atomic::AtomicUsize>);

impl portcullis::authn::strategy::Authenticator<User> for Counting {
    fn authenticate<'a>(
        &'a self,
        parts: &'a mut http::request::Parts,
    ) -> portcullis::authn::BoxFuture<'a, Result<User, portcullis::authn::strategy::AuthRejection>>
    {
        self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.0.authenticate(parts)
    }
}

/// On `auth` routes the throttle runs before authentication: bad bearer tokens spend the
/// client IP's budget and are answered 429, not 401. On a `per ip` route the authenticator is
/// not even called once the budget is spent; on a `per user` route failures are counted per
/// client IP (the forwarded one behind a trusted proxy), apart from the users' own budgets.
/// Before, the throttle ran after authentication and a flood of bad tokens was never counted.
#[tokio::test]
async fn auth_route_throttles_count_bad_credentials_before_authentication() {
    let db = databases("guards_throttle_auth", SQLITE_SCHEMA, PG_SCHEMA)
        .await
        .remove(0);
    let jwt = jwt();
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let app = Router::<AppState>::new()
        .route("/ip", get(limited_per_ip))
        .route("/user", get(limited_per_user))
        .authenticator(Counting(bearer(jwt.clone()), calls.clone()))
        .throttle_backend(MemoryBackend::default())
        .trusted_proxies(portcullis::throttle::TrustedProxies::new(["10.0.0.1"]).unwrap())
        .with_state(AppState {
            pool: db.pool.clone(),
        })
        .build()
        .unwrap();
    let send = |uri: &'static str, auth: String, peer: [u8; 4], xff: Option<&'static str>| {
        let app = app.clone();
        async move {
            let mut req = Request::builder()
                .uri(uri)
                .header(header::AUTHORIZATION, auth);
            if let Some(xff) = xff {
                req = req.header("x-forwarded-for", xff);
            }
            let mut req = req.body(Body::empty()).unwrap();
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                    peer, 40000,
                ))));
            app.oneshot(req).await.unwrap().status()
        }
    };
    let bad = || "Bearer not.a.token".to_owned();
    let good = format!("Bearer {}", token(&jwt, &alice()));
    for uri in ["/ip", "/user"] {
        let before = calls.load(std::sync::atomic::Ordering::SeqCst);
        for i in 0..3 {
            assert_eq!(
                send(uri, bad(), [192, 0, 2, 1], None).await,
                401,
                "{uri} #{i}"
            );
        }
        for i in 0..5 {
            assert_eq!(
                send(uri, bad(), [192, 0, 2, 1], None).await,
                429,
                "{uri} #{i}"
            );
        }
        let ran = calls.load(std::sync::atomic::Ordering::SeqCst) - before;
        if uri == "/ip" {
            assert_eq!(
                ran, 3,
                "{uri}: authentication ran after the budget was spent"
            );
        }
        // Another client is not affected; behind the trusted proxy, the forwarded one counts.
        assert_eq!(send(uri, bad(), [192, 0, 2, 2], None).await, 401, "{uri}");
        for _ in 0..3 {
            assert_eq!(
                send(uri, bad(), [10, 0, 0, 1], Some("198.51.100.5")).await,
                401
            );
        }
        assert_eq!(
            send(uri, bad(), [10, 0, 0, 1], Some("198.51.100.5")).await,
            429
        );
        assert_eq!(
            send(uri, bad(), [10, 0, 0, 1], Some("198.51.100.6")).await,
            401
        );
    }
    // A valid user keeps a budget of their own on the per-user route, even from the flooding
    // address, and spends it like before.
    for _ in 0..3 {
        assert_eq!(send("/user", good.clone(), [192, 0, 2, 1], None).await, 200);
    }
    assert_eq!(send("/user", good.clone(), [192, 0, 2, 1], None).await, 429);
    db.cleanup().await;
}
