//! Criterion benchmark of a guarded route against the same endpoint in plain axum (issue 5):
//!
//! - `portcullis`: `#[guarded(auth)]` handler taking `Scoped<Document, Read>` and `Db`, loading
//!   the scope's rows and returning `Shaped<Vec<Document>>`, authenticated by a JWT bearer token
//!   through `portcullis::Router` with a `Bearer` authenticator;
//! - `hand_written`: the same endpoint in plain axum doing the same checks by hand: an extractor
//!   that parses `Authorization: Bearer ..`, verifies the token with the same `JwtService` and
//!   maps the claims to the user; the hand-written diesel query with the same `WHERE` (and
//!   `ORDER BY`); the same fields serialized by a `#[derive(Serialize)]` twin struct;
//! - `unguarded`: a plain axum handler doing only the query and the serialization.
//!
//! All three answer the same request (`GET /docs` with the same bearer token) through
//! `tower::ServiceExt::oneshot` on a built `axum::Router`, on one SQLite table of 50 rows in the
//! caller's tenant and 50 in another; the bodies are checked byte-identical first. A second
//! endpoint, `GET /me` (the principal's id, no database), shows the guard's own overhead.
//!
//! HS256 is the algorithm of the main runs (the same key for all variants); the EdDSA runs
//! after them show how much an asymmetric signature check dominates the per-request cost.
//!
//! Run with `cargo bench -p portcullis --bench guards`. Criterion reports each variant; the
//! ratio table printed at the end comes from a separate run per endpoint in which the three
//! variants are interleaved in batches (the order rotating every round), so machine load hits
//! all of them alike: per variant the median over rounds of the time per request, per ratio
//! the median over rounds of the paired ratio.

use axum::body::Body;
use axum::extract::{FromRequestParts, State};
use axum::response::{IntoResponse, Response};
use criterion::Criterion;
use diesel::{ExpressionMethods, QueryDsl, SelectableHelper};
use http::request::Parts;
use http::{HeaderValue, Request, StatusCode, header};
use http_body_util::BodyExt;
use portcullis::authn::jwt::JwtService;
use portcullis::authn::strategy::Bearer;
use portcullis::db::{Pool, RawConnection};
use portcullis::routing::get;
use portcullis::{Db, Principal, Problem, Read, Scoped, Shaped, guarded};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;
use tower::ServiceExt;

// ---- the tests' own schema, entity and policy, so the bench measures exactly what is tested ----

#[path = "../../tests/tests/common/mod.rs"]
mod common;
use common::app::{AppState, Extra, jwt, token, user_from_claims};
use common::{Document, SQLITE_SCHEMA, User, alice, documents};

// Order statistics and duration formatting shared with the end-to-end bench (bench/).
mod support;
use support::sqlite_fixture;

#[path = "../../bench/src/stats.rs"]
mod stats;
use stats::{human, median, quantile};

/// The hand-written twin: the same exposed fields, same JSON names, same order.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct DocumentOut {
    id: i64,
    tenant_id: i64,
    owner_id: i64,
    title: String,
    body: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    reviewer_id: Option<i64>,
}

impl From<Document> for DocumentOut {
    fn from(d: Document) -> Self {
        Self {
            id: d.id,
            tenant_id: d.tenant_id,
            owner_id: d.owner_id,
            title: d.title,
            body: d.body,
            reviewer_id: d.reviewer_id,
        }
    }
}

/// Rows per tenant: this many in the caller's tenant (10) and as many in another (20).
const ROWS_PER_TENANT: i64 = 50;

/// `ROWS_PER_TENANT` rows in tenant 10 and as many in tenant 20, none archived.
fn seed_sql() -> String {
    let q = |s: &str| format!("'{}'", s.replace('\'', "''"));
    let mut values = Vec::new();
    for tenant in [10i64, 20] {
        for i in 0..ROWS_PER_TENANT {
            let owner = 1 + i % 5;
            let title = format!("Quarterly report #{i} — draft");
            let body = format!(
                "Body of document {i}: revenue, costs and \"notes\" for the quarter; \
                 owner {owner}, tenant {tenant}. Lorem ipsum dolor sit amet."
            );
            let notes = (i % 3 == 0).then(|| format!("internal note {i}"));
            let reviewer = (i % 2 == 0).then_some(i + 7);
            values.push(format!(
                "({tenant}, {owner}, {}, {}, FALSE, {}, {})",
                q(&title),
                q(&body),
                notes.as_deref().map_or("NULL".to_owned(), q),
                reviewer.map_or("NULL".to_owned(), |r| r.to_string()),
            ));
        }
    }
    format!(
        "INSERT INTO documents (tenant_id, owner_id, title, body, archived, internal_notes, reviewer_id) VALUES\n{};",
        values.join(",\n")
    )
}

// ---- the JWT, shared by all variants ----------------------------------------------------------

fn eddsa() -> Arc<JwtService> {
    Arc::new(
        JwtService::builder()
            .private_key_pem(include_bytes!("../tests/fixtures/authn/ed25519_a.pem"))
            .build()
            .expect("EdDSA service"),
    )
}

// ---- 1. portcullis ----------------------------------------------------------------------------

#[guarded(auth)]
async fn list(docs: Scoped<Document, Read>, db: Db) -> Result<Shaped<Vec<Document>>, Problem> {
    let rows = docs.query().order_by(|f| f.id.asc()).load(&db).await?;
    Ok(docs.shape(rows))
}

#[guarded(auth)]
async fn me(Principal(user): Principal<User>) -> String {
    user.id.to_string()
}

fn guarded_app(pool: Pool, jwt: Arc<JwtService>) -> axum::Router {
    let bearer = Bearer::new(jwt, user_from_claims);
    portcullis::Router::<AppState>::new()
        .route("/docs", get(list))
        .route("/me", get(me))
        .authenticator(bearer)
        .with_state(AppState { pool })
        .build()
        .expect("guarded router")
        // The same router the App serves, as the type the hand-written apps have, so one
        // call path drives both sides of the comparison.
        .into_unguarded_router("bench: drive the guarded and hand-written apps alike")
}

// ---- 2. hand-written: the same checks in plain axum -------------------------------------------

#[derive(Clone)]
struct HandState {
    pool: Pool,
    jwt: Arc<JwtService>,
}

/// The authenticated user, extracted by hand.
struct AuthUser(User);

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer")],
    )
        .into_response()
}

impl FromRequestParts<HandState> for AuthUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &HandState) -> Result<Self, Response> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(unauthorized)?;
        let claims = state
            .jwt
            .verify::<Extra>(token)
            .map_err(|_| unauthorized())?;
        user_from_claims(claims)
            .map(AuthUser)
            .map_err(|_| unauthorized())
    }
}

/// The hand-written `WHERE`: the read scope of `documents` for the user's tenant, the SQL the
/// simplified rule set renders (checked at start-up, parentheses aside): `tenant_id = ?`.
macro_rules! hand_where {
    ($tenant:expr) => {
        documents::tenant_id.eq($tenant)
    };
}

/// The hand-written query and its serialization (shared by the hand-written and unguarded
/// handlers). Archived rows would need a narrower twin; the seed has none (checked at start-up
/// by comparing the bodies).
async fn load_and_serialize(pool: &Pool, tenant: i64) -> Response {
    use diesel_async::RunQueryDsl;
    // The baseline borrows a connection through the pool's escape hatch (a counter and a
    // disabled log line, tens of nanoseconds against a query of ~100 µs).
    let Ok(RawConnection::Sqlite(mut conn)) = pool
        .unscoped("bench: hand-written baseline")
        .connection()
        .await
    else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let rows: Vec<Document> = match documents::table
        .filter(hand_where!(tenant))
        .order(documents::id.asc())
        .select(Document::as_select())
        .load(&mut conn)
        .await
    {
        Ok(rows) => rows,
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    drop(conn);
    let out: Vec<DocumentOut> = rows.into_iter().map(DocumentOut::from).collect();
    axum::Json(out).into_response()
}

async fn list_by_hand(AuthUser(user): AuthUser, State(state): State<HandState>) -> Response {
    load_and_serialize(&state.pool, user.tenant_id).await
}

async fn me_by_hand(AuthUser(user): AuthUser) -> String {
    user.id.to_string()
}

fn hand_app(pool: Pool, jwt: Arc<JwtService>) -> axum::Router {
    axum::Router::new()
        .route("/docs", axum::routing::get(list_by_hand))
        .route("/me", axum::routing::get(me_by_hand))
        .with_state(HandState { pool, jwt })
}

// ---- 3. unguarded: only the query and the serialization ---------------------------------------

async fn list_unguarded(State(pool): State<Pool>) -> Response {
    load_and_serialize(&pool, 10).await
}

async fn me_unguarded() -> String {
    1i64.to_string()
}

fn unguarded_app(pool: Pool) -> axum::Router {
    axum::Router::new()
        .route("/docs", axum::routing::get(list_unguarded))
        .route("/me", axum::routing::get(me_unguarded))
        .with_state(pool)
}

// ---- driving the routers ----------------------------------------------------------------------

/// One request through `oneshot`, the body collected; the same request for every variant.
async fn call(app: &axum::Router, uri: &'static str, auth: &HeaderValue) -> (StatusCode, Vec<u8>) {
    let req = Request::builder()
        .uri(uri)
        .header(header::AUTHORIZATION, auth.clone())
        .body(Body::empty())
        .expect("request");
    let res = app.clone().oneshot(req).await.expect("infallible");
    let status = res.status();
    let body = res.into_body().collect().await.expect("body").to_bytes();
    (status, body.to_vec())
}

/// Times `batch` requests in one `block_on`; nanoseconds per request.
fn time_batch(
    rt: &Runtime,
    app: &axum::Router,
    uri: &'static str,
    auth: &HeaderValue,
    batch: u64,
) -> f64 {
    rt.block_on(async {
        let start = Instant::now();
        for _ in 0..batch {
            black_box(call(app, uri, auth).await);
        }
        start.elapsed().as_nanos() as f64 / batch as f64
    })
}

/// The three routers of one algorithm, and the caller's header.
struct Apps {
    alg: &'static str,
    guarded: axum::Router,
    hand: axum::Router,
    unguarded: axum::Router,
    auth: HeaderValue,
}

impl Apps {
    fn new(alg: &'static str, pool: &Pool, jwt: Arc<JwtService>) -> Self {
        let auth = HeaderValue::try_from(format!("Bearer {}", token(&jwt, &alice())))
            .expect("header value");
        Self {
            alg,
            guarded: guarded_app(pool.clone(), jwt.clone()),
            hand: hand_app(pool.clone(), jwt),
            unguarded: unguarded_app(pool.clone()),
            auth,
        }
    }

    fn variants(&self) -> [(&'static str, &axum::Router); 3] {
        [
            ("portcullis", &self.guarded),
            ("hand_written", &self.hand),
            ("unguarded", &self.unguarded),
        ]
    }

    /// Every variant answers 200 with the same body; the guarded ones refuse a forged token.
    fn check(&self, rt: &Runtime, uri: &'static str) {
        let bodies: Vec<(StatusCode, Vec<u8>)> = self
            .variants()
            .iter()
            .map(|(_, app)| rt.block_on(call(app, uri, &self.auth)))
            .collect();
        for ((name, _), (status, body)) in self.variants().iter().zip(&bodies) {
            assert_eq!(*status, StatusCode::OK, "{} {name} {uri}", self.alg);
            assert_eq!(
                body,
                &bodies[0].1,
                "{} {name} {uri}: {}",
                self.alg,
                String::from_utf8_lossy(body)
            );
        }
        if uri == "/docs" {
            let body = String::from_utf8_lossy(&bodies[0].1);
            assert!(body.starts_with(r#"[{"id":1,"tenantId":10,"#), "{body}");
            assert_eq!(
                body.matches(r#""tenantId":10"#).count() as i64,
                ROWS_PER_TENANT
            );
            assert!(!body.contains("tenantId\":20") && !body.contains("internal"));
        }
        // The first character of the signature changed (all six of its bits are significant).
        let good = self.auth.to_str().expect("ascii");
        let at = good.rfind('.').expect("a JWT") + 1;
        let swap = if &good[at..=at] == "A" { "B" } else { "A" };
        let forged = HeaderValue::try_from(format!("{}{swap}{}", &good[..at], &good[at + 1..]))
            .expect("header value");
        for app in [&self.guarded, &self.hand] {
            let (status, _) = rt.block_on(call(app, uri, &forged));
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{} {uri} forged",
                self.alg
            );
        }
    }
}

// ---- paired measurement for the ratios ---------------------------------------------------------

/// One line of the ratio table.
struct Ratio {
    label: String,
    /// Median ns per request: portcullis, hand-written, unguarded.
    ns: [f64; 3],
    /// Median of the paired ratios portcullis / hand-written and portcullis / unguarded.
    vs_hand: f64,
    vs_unguarded: f64,
    /// First and third quartiles of the paired ratios portcullis / hand-written.
    vs_hand_iqr: (f64, f64),
    target: Option<f64>,
}

/// Times the three variants interleaved: `rounds` rounds of `batch` requests per variant, the
/// order rotating every round.
fn interleaved(
    rt: &Runtime,
    apps: &Apps,
    uri: &'static str,
    target: Option<f64>,
    rounds: usize,
    batch: u64,
) -> Ratio {
    let variants = apps.variants();
    // Warm every variant up once.
    for (_, app) in variants {
        time_batch(rt, app, uri, &apps.auth, batch);
    }
    let mut per: [Vec<f64>; 3] = Default::default();
    let (mut vs_hand, mut vs_unguarded) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let mut t = [0.0; 3];
        for k in 0..3 {
            let i = (round + k) % 3;
            t[i] = time_batch(rt, variants[i].1, uri, &apps.auth, batch);
        }
        for i in 0..3 {
            per[i].push(t[i]);
        }
        vs_hand.push(t[0] / t[1]);
        vs_unguarded.push(t[0] / t[2]);
    }
    Ratio {
        label: format!("GET {uri}, {}", apps.alg),
        ns: per.map(|v| median(&v)),
        vs_hand_iqr: (quantile(&vs_hand, 0.25), quantile(&vs_hand, 0.75)),
        vs_hand: median(&vs_hand),
        vs_unguarded: median(&vs_unguarded),
        target,
    }
}

/// Rounds of the paired runs: one under `--test` (as `cargo test --benches` passes), else `n`.
fn rounds(n: usize) -> usize {
    if std::env::args().any(|a| a == "--test") {
        1
    } else {
        n
    }
}

fn criterion_group(c: &mut Criterion, rt: &Runtime, apps: &Apps, uri: &'static str) {
    let mut g = c.benchmark_group(format!("{}{uri}", apps.alg));
    for (name, app) in apps.variants() {
        g.bench_function(name, |b| b.iter(|| rt.block_on(call(app, uri, &apps.auth))));
    }
    g.finish();
}

fn print_ratios(rows: &[Ratio]) {
    eprintln!();
    eprintln!("portcullis vs plain axum, interleaved runs (medians per request)");
    eprintln!(
        "{:<17} {:>10} {:>12} {:>10} {:>8} {:>13} {:>8} {:>6} {:>9}  verdict",
        "endpoint",
        "portcullis",
        "hand-written",
        "unguarded",
        "p/hand",
        "p/hand IQR",
        "p/ungrd",
        "target",
        "p - hand"
    );
    // Under `--test` there is one round per run: the figures are a smoke check, not a verdict.
    let smoke = std::env::args().any(|a| a == "--test");
    if smoke {
        eprintln!("(--test: one round per run, no verdicts)");
    }
    for r in rows {
        let (target, verdict) = match r.target {
            Some(t) if smoke => (format!("{t:.2}x"), "-"),
            Some(t) if r.vs_hand <= t => (format!("{t:.2}x"), "ok"),
            Some(t) => (format!("{t:.2}x"), "MISSED"),
            None => ("-".to_owned(), "-"),
        };
        let iqr = format!("{:.3}-{:.3}", r.vs_hand_iqr.0, r.vs_hand_iqr.1);
        eprintln!(
            "{:<17} {:>10} {:>12} {:>10} {:>7.3}x {iqr:>13} {:>7.3}x {target:>6} {:>9}  {verdict}",
            r.label,
            human(r.ns[0]),
            human(r.ns[1]),
            human(r.ns[2]),
            r.vs_hand,
            r.vs_unguarded,
            human(r.ns[0] - r.ns[1]),
        );
    }
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let path = std::env::temp_dir().join(format!(
        "portcullis_bench_guards_{}.sqlite",
        std::process::id()
    ));
    let pool = sqlite_fixture(&rt, &path, SQLITE_SCHEMA, &seed_sql());

    // The hand-written WHERE is the scope's, to the byte.
    let scope = documents(&alice()).scope::<Read>();
    let ours = diesel::debug_query::<diesel::sqlite::Sqlite, _>(
        &documents::table
            .filter(scope.sqlite_filter())
            .select(Document::as_select()),
    )
    .to_string();
    let base = diesel::debug_query::<diesel::sqlite::Sqlite, _>(
        &documents::table
            .filter(hand_where!(alice().tenant_id))
            .select(Document::as_select()),
    )
    .to_string();
    eprintln!("query: {ours}");
    let strip = |s: &str| s.replace(['(', ')'], "");
    assert_eq!(strip(&ours), strip(&base), "same SQL");

    let hs = Apps::new("HS256", &pool, jwt());
    let ed = Apps::new("EdDSA", &pool, eddsa());
    for apps in [&hs, &ed] {
        apps.check(&rt, "/docs");
        apps.check(&rt, "/me");
    }

    criterion_group(&mut c, &rt, &hs, "/docs");
    criterion_group(&mut c, &rt, &hs, "/me");

    let ratios = vec![
        interleaved(&rt, &hs, "/docs", Some(1.05), rounds(1501), 4),
        interleaved(&rt, &hs, "/me", None, rounds(201), 500),
        interleaved(&rt, &ed, "/docs", Some(1.05), rounds(601), 4),
        interleaved(&rt, &ed, "/me", None, rounds(101), 100),
    ];
    c.final_summary();
    print_ratios(&ratios);

    drop(hs);
    drop(ed);
    drop(pool);
    drop(rt);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
