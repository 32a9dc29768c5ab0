//! The set-up every measurement shares: the example on a temporary SQLite file with enough
//! documents, its hand-written twin on the same file, a caller's token, and the check that the
//! two answer alike (status, content type, challenge and body, byte for byte).

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, Request, StatusCode, header};
use portcullis::throttle::{Limiter, LimiterFactory, MemoryLimiter, Rate};
use portcullis_example::{AppState, Config, DEMO_PASSWORD, KeySource, TokenClaims};
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::Arc;
use tower::ServiceExt;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The caller of every measured request: a member of tenant acme.
pub const ALICE: &str = "alice@acme.test";
/// The measured request: one page of 50 documents.
pub const DOCS_URI: &str = "/docs?per_page=50";
/// Documents added per tenant to the four of the demo seed (every tenth archived).
pub const EXTRA_DOCS_PER_TENANT: usize = 60;

/// The per-user limit of the benchmarks, a minute: high enough that no run reaches it, so the
/// limiter is still consulted on every request but never answers 429. The example's route
/// limits (e.g. `list_docs`'s 120/min per user) and the twin's get it alike.
pub const BENCH_PER_MINUTE: NonZeroU32 = NonZeroU32::new(600_000_000).unwrap();

/// In-memory route limiters (the example's default backend) at [`BENCH_PER_MINUTE`] instead
/// of each route's own rate. Only the benchmarks install it; the example's defaults are kept.
pub struct BenchLimits;

impl LimiterFactory for BenchLimits {
    fn limiter(&self, _route_rate: Rate) -> Arc<dyn Limiter> {
        Arc::new(MemoryLimiter::new(Rate::per_minute(BENCH_PER_MINUTE)))
    }
}

/// A SQLite file in the temporary directory, removed (with its WAL files) on drop.
pub struct TempDb(PathBuf);

impl TempDb {
    pub fn new(tag: &str) -> Self {
        Self(std::env::temp_dir().join(format!(
            "portcullis_bench_{tag}_{}.sqlite",
            std::process::id()
        )))
    }

    /// The path as the example's `database_url`.
    pub fn url(&self) -> String {
        self.0.to_string_lossy().into_owned()
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

/// The example on SQLite file `db` (migrated, demo-seeded, [`add_documents`]) with
/// [`BenchLimits`], built into the router it serves, and its state.
pub async fn example(db: &str) -> Result<(axum::Router, AppState), BoxError> {
    let ex = portcullis_example::example(Config {
        database_url: db.to_owned(),
        seed: true,
        keys: KeySource::Generate,
        schema: None,
        redis_url: None,
        redis_prefix: String::new(),
        trusted_proxies: Vec::new(),
    })
    .await?;
    add_documents(&ex.state.pool).await?;
    let app = ex.router.throttle_backend(BenchLimits).build()?;
    Ok((app, ex.state))
}

/// Adds [`EXTRA_DOCS_PER_TENANT`] documents to each demo tenant (idempotent): every tenth
/// archived, every fourth with internal notes, owned by the tenant's member or admin.
pub async fn add_documents(pool: &portcullis::db::Pool) -> Result<(), BoxError> {
    let mut sql = String::from("BEGIN;\n");
    for (member, admin) in [
        ("alice@acme.test", "amir@acme.test"),
        ("bob@globex.test", "bea@globex.test"),
    ] {
        for i in 0..EXTRA_DOCS_PER_TENANT {
            let owner = if i % 3 == 0 { admin } else { member };
            let archived = i % 10 == 9;
            let notes = if i % 4 == 0 {
                format!("'internal note {i}'")
            } else {
                "NULL".to_owned()
            };
            let title = format!("Quarterly report #{i}: draft");
            sql.push_str(&format!(
                "INSERT INTO documents (tenant_id, owner_id, title, body, archived, internal_notes) \
                 SELECT u.tenant_id, u.id, '{title}', \
                 'Body of document {i}: revenue, costs and notes for the quarter. Lorem ipsum dolor sit amet.', \
                 {archived}, {notes} FROM users u WHERE u.email = '{owner}' AND NOT EXISTS \
                 (SELECT 1 FROM documents d WHERE d.tenant_id = u.tenant_id AND d.title = '{title}');\n"
            ));
        }
    }
    sql.push_str("COMMIT;");
    Ok(pool.batch_execute(&sql).await?)
}

/// Alice's access token from `POST /auth/login`.
pub async fn login(app: &axum::Router) -> Result<String, BoxError> {
    let body = serde_json::json!({ "email": ALICE, "password": DEMO_PASSWORD }).to_string();
    let req = Request::post("/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))?;
    let reply = call(app, req).await?;
    if reply.status != StatusCode::OK {
        return Err(format!("login answered {}: {:?}", reply.status, reply.body).into());
    }
    let json: serde_json::Value = serde_json::from_slice(&reply.body)?;
    match json["accessToken"].as_str() {
        Some(t) => Ok(t.to_owned()),
        None => Err("login answered no accessToken".into()),
    }
}

/// Alice's access token signed as `POST /auth/login` signs it, without the password check (so
/// a served process never runs argon2 and its memory is that of serving documents).
pub async fn mint_token(state: &AppState) -> Result<String, BoxError> {
    let Some(user) = portcullis_example::store::find_by_email(&state.pool, ALICE).await? else {
        return Err(format!("{ALICE} is not in the database").into());
    };
    let claims = TokenClaims {
        tid: user.tenant_id,
        role: user.role,
    };
    Ok(state.jwt.sign(user.id.to_string(), claims)?)
}

/// `Authorization: Bearer <token>`.
pub fn bearer(token: &str) -> Result<HeaderValue, BoxError> {
    Ok(HeaderValue::try_from(format!("Bearer {token}"))?)
}

/// The token with the first character of its signature changed (all six of its bits count).
pub fn forged(token: &str) -> String {
    let at = token.rfind('.').map_or(0, |i| i + 1);
    let swap = if token[at..].starts_with('A') {
        "B"
    } else {
        "A"
    };
    format!(
        "{}{swap}{}",
        &token[..at],
        token.get(at + 1..).unwrap_or("")
    )
}

/// What the comparison looks at in a response.
#[derive(Debug, PartialEq, Eq)]
pub struct Reply {
    pub status: StatusCode,
    pub content_type: Option<HeaderValue>,
    pub challenge: Option<HeaderValue>,
    pub body: Bytes,
}

/// One request through `oneshot`, the body collected.
pub async fn call(app: &axum::Router, req: Request<Body>) -> Result<Reply, BoxError> {
    let res = app.clone().oneshot(req).await?;
    let (parts, body) = res.into_parts();
    Ok(Reply {
        status: parts.status,
        content_type: parts.headers.get(header::CONTENT_TYPE).cloned(),
        challenge: parts.headers.get(header::WWW_AUTHENTICATE).cloned(),
        body: axum::body::to_bytes(body, usize::MAX).await?,
    })
}

/// `GET uri`, with `Authorization` when given.
pub fn get(uri: &str, auth: Option<&HeaderValue>) -> Result<Request<Body>, BoxError> {
    let mut req = Request::get(uri);
    if let Some(auth) = auth {
        req = req.header(header::AUTHORIZATION, auth.clone());
    }
    Ok(req.body(Body::empty())?)
}

/// The requests compared, all as alice: pages, bad paging, her tenant's document, her archived
/// one (no body), another tenant's (403), a missing one (404), a malformed id (400).
pub const COMPARED: [&str; 10] = [
    DOCS_URI,
    "/docs",
    "/docs?page=2&per_page=50",
    "/docs?page=0",
    "/docs?per_page=many",
    "/docs/1",
    "/docs/3",
    "/docs/4",
    "/docs/999999",
    "/docs/first",
];

/// Checks that the example and the twin answer every [`COMPARED`] request, and `GET /docs`
/// without a token and with a forged one, alike; and that [`DOCS_URI`] shows 50 of alice's
/// tenant's documents, archived ones without their body, no internal notes. Returns the
/// number of requests compared.
pub async fn compare(
    example: &axum::Router,
    twin: &axum::Router,
    token: &str,
) -> Result<usize, BoxError> {
    let good = bearer(token)?;
    let bad = bearer(&forged(token))?;
    let mut cases: Vec<(&str, Option<&HeaderValue>)> =
        COMPARED.iter().map(|uri| (*uri, Some(&good))).collect();
    cases.push(("/docs", None));
    cases.push(("/docs", Some(&bad)));
    let mut mismatches = Vec::new();
    for (uri, auth) in &cases {
        let ours = call(example, get(uri, *auth)?).await?;
        let theirs = call(twin, get(uri, *auth)?).await?;
        if ours != theirs {
            mismatches.push(format!(
                "GET {uri} (auth: {}):\n  example: {ours:?}\n  twin:    {theirs:?}",
                auth.is_some()
            ));
        }
    }
    if !mismatches.is_empty() {
        return Err(format!(
            "the twin does not answer like the example:\n{}",
            mismatches.join("\n")
        )
        .into());
    }
    check_page(&call(example, get(DOCS_URI, Some(&good))?).await?)?;
    Ok(cases.len())
}

/// The measured page is what it should be: 50 rows, one tenant, some archived without body.
fn check_page(reply: &Reply) -> Result<(), BoxError> {
    let page: serde_json::Value = serde_json::from_slice(&reply.body)?;
    let items = page["items"].as_array().cloned().unwrap_or_default();
    let tenant = items.first().map(|d| d["tenantId"].clone());
    let one_tenant = items
        .iter()
        .all(|d| Some(&d["tenantId"]) == tenant.as_ref());
    let archived: Vec<_> = items.iter().filter(|d| d["archived"] == true).collect();
    let ok = reply.status == StatusCode::OK
        && items.len() == 50
        && one_tenant
        && !archived.is_empty()
        && archived.iter().all(|d| d.get("body").is_none())
        && items.iter().all(|d| d.get("internalNotes").is_none());
    if ok {
        Ok(())
    } else {
        Err(format!("GET {DOCS_URI} is not the page to measure: {page}").into())
    }
}

/// The example and its twin (twice: with the `WHERE` a person writes, and with the one the
/// example's policy compiles to) on one temporary database, and alice's token.
pub struct Pair {
    pub example: axum::Router,
    pub twin: axum::Router,
    pub twin_policy_where: axum::Router,
    /// The example's state (its pool and JWT service).
    pub state: AppState,
    pub token: String,
    /// How many requests [`compare`] found answered alike, both twins together.
    pub compared: usize,
    _db: TempDb,
}

impl Pair {
    /// Starts all three, logs alice in, and [`compare`]s each twin with the example.
    pub async fn start(tag: &str) -> Result<Self, BoxError> {
        let db = TempDb::new(tag);
        let (example, state) = self::example(&db.url()).await?;
        let jwks = state.jwt.jwks_json();
        let twin = crate::plain::twin(&db.url(), &jwks, false).await?;
        let twin_policy_where = crate::plain::twin(&db.url(), &jwks, true).await?;
        let token = login(&example).await?;
        let compared = compare(&example, &twin, &token).await?
            + compare(&example, &twin_policy_where, &token).await?;
        Ok(Self {
            example,
            twin,
            twin_policy_where,
            state,
            token,
            compared,
            _db: db,
        })
    }

    /// [`Pair::start`] on a new runtime with one worker, which the caller then drives the apps
    /// on (as the benchmarks measure them).
    pub fn start_blocking(tag: &str) -> Result<(tokio::runtime::Runtime, Self), BoxError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let pair = rt.block_on(Self::start(tag))?;
        Ok((rt, pair))
    }
}
