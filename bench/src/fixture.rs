//! The set-up every measurement shares: the example on a database of realistic size (SQLite:
//! 10,000 documents; PostgreSQL: 100,000), its hand-written twin on the same database, a
//! caller's token, and the check that the two answer alike (status, content type, challenge and
//! body, byte for byte) for every kind of `GET /docs` and `GET /docs/{id}` request.

use crate::data::{self, Tenant};
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, Request, StatusCode, header};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portcullis::db::{Backend, Pool, PoolConfig};
use portcullis::throttle::{Limiter, LimiterFactory, MemoryLimiter, Rate};
use portcullis::unscoped::RawConnection;
use portcullis_example::{AppState, Config, DEMO_PASSWORD, KeySource, OidcSource, TokenClaims};
use std::convert::Infallible;
use std::num::NonZeroU32;
use std::sync::Arc;
use tower::{Service, ServiceExt};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What the benchmarks send requests to: the example's `portcullis::App` and the twin's
/// `axum::Router` alike.
pub trait App:
    Service<
        Request<Body>,
        Response = axum::response::Response,
        Error = Infallible,
        Future: Send + 'static,
    > + Clone
    + Send
    + Sync
    + 'static
{
}

impl<T> App for T where
    T: Service<
            Request<Body>,
            Response = axum::response::Response,
            Error = Infallible,
            Future: Send + 'static,
        > + Clone
        + Send
        + Sync
        + 'static
{
}

/// The reason the benchmarks give for raw database access (`Pool::unscoped`): filling the
/// database with generated documents, reading settings, dropping their own schema.
const UNSCOPED: &str = "portcullis-bench: generated benchmark data and database set-up";

/// The caller of every measured request: a member of tenant acme.
pub const ALICE: &str = "alice@acme.test";
/// The first page, newest first (keyset mode, no count).
pub const DOCS_URI: &str = "/docs?limit=50";
/// Rows per measured page.
pub const PAGE_ROWS: usize = 50;
/// The deep page measured: page 80 of 50, rows 3,951–4,000 of the tenant's list.
pub const DEEP_PAGE: usize = 80;
/// The deep page by offset.
pub const DEEP_OFFSET_URI: &str = "/docs?page=80&per_page=50";
/// Documents per tenant on SQLite (two tenants: 10,000 in all, the demo seed's included).
pub const SQLITE_DOCS_PER_TENANT: usize = 5_000;
/// Documents per tenant on PostgreSQL (100,000 in all).
pub const POSTGRES_DOCS_PER_TENANT: usize = 50_000;
/// The PostgreSQL server of the service-backed runs.
pub const PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
/// Schemas this crate creates start with this (and end with the creating process' id).
const PG_SCHEMA_PREFIX: &str = "portcullis_bench_";

/// Whether service-backed runs are on (`PORTCULLIS_TEST_SERVICES=1`): the PostgreSQL variant.
pub fn services() -> bool {
    std::env::var("PORTCULLIS_TEST_SERVICES").is_ok_and(|v| v == "1")
}

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

/// Where the data is: what the example and the twin are started on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbSpec {
    /// A SQLite file path or a `postgres://` URL.
    pub url: String,
    /// PostgreSQL: the schema holding the tables.
    pub schema: Option<String>,
    /// Documents per tenant.
    pub per_tenant: usize,
}

impl DbSpec {
    pub fn backend(&self) -> Backend {
        if self.url.starts_with("postgres") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    /// `SQLite, 10,000 documents`.
    pub fn label(&self) -> String {
        let n = 2 * self.per_tenant;
        let name = match self.backend() {
            Backend::Postgres => "PostgreSQL",
            _ => "SQLite",
        };
        format!("{name}, {},{:03} documents", n / 1000, n % 1000)
    }
}

/// A database the benchmarks own: a temporary SQLite file, or a PostgreSQL schema of its own;
/// removed on drop (file and WAL files, or `DROP SCHEMA .. CASCADE`).
pub struct Db {
    spec: DbSpec,
}

impl Db {
    /// A SQLite file in the temporary directory, [`SQLITE_DOCS_PER_TENANT`] documents a tenant.
    pub fn sqlite(tag: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "portcullis_bench_{tag}_{}.sqlite",
            std::process::id()
        ));
        Self {
            spec: DbSpec {
                url: path.to_string_lossy().into_owned(),
                schema: None,
                per_tenant: SQLITE_DOCS_PER_TENANT,
            },
        }
    }

    /// A schema `portcullis_bench_<tag>_<pid>` on [`PG_URL`] (created by the example),
    /// [`POSTGRES_DOCS_PER_TENANT`] documents a tenant. Schemas left by bench processes that
    /// no longer run are dropped first.
    pub async fn postgres(tag: &str) -> Result<Self, BoxError> {
        drop_stale_schemas().await?;
        let tag: String = tag
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        Ok(Self {
            spec: DbSpec {
                url: PG_URL.to_owned(),
                schema: Some(format!(
                    "{PG_SCHEMA_PREFIX}{}_{}",
                    tag.to_ascii_lowercase(),
                    std::process::id()
                )),
                per_tenant: POSTGRES_DOCS_PER_TENANT,
            },
        })
    }

    pub fn spec(&self) -> &DbSpec {
        &self.spec
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        match &self.spec.schema {
            None => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", self.spec.url));
                }
            }
            Some(schema) => {
                // On a thread of its own: drop may run inside a tokio runtime.
                let sql = format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
                let dropped = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()?;
                    rt.block_on(async {
                        let admin = Pool::connect_with(PoolConfig::new(PG_URL).max_size(1)).await?;
                        admin.unscoped(UNSCOPED).batch_execute(&sql).await?;
                        Ok::<_, BoxError>(())
                    })
                })
                .join();
                if !matches!(dropped, Ok(Ok(()))) {
                    eprintln!("portcullis-bench: could not drop PostgreSQL schema {schema}");
                }
            }
        }
    }
}

#[derive(diesel::QueryableByName)]
struct SchemaName {
    #[diesel(sql_type = diesel::sql_types::Text)]
    nspname: String,
}

/// Drops the `portcullis_bench_*_<pid>` schemas whose process is gone (an interrupted run).
async fn drop_stale_schemas() -> Result<(), BoxError> {
    let admin = Pool::connect_with(PoolConfig::new(PG_URL).max_size(1)).await?;
    let raw = admin.unscoped(UNSCOPED);
    let RawConnection::Postgres(mut pg) = raw.connection().await? else {
        return Err("PG_URL is not PostgreSQL".into());
    };
    use diesel_async::RunQueryDsl;
    let names: Vec<SchemaName> = diesel::sql_query(
        "SELECT nspname::text AS nspname FROM pg_namespace WHERE nspname LIKE 'portcullis\\_bench\\_%'",
    )
    .load(&mut *pg)
    .await?;
    drop(pg);
    for SchemaName { nspname } in names {
        let pid = nspname
            .rsplit('_')
            .next()
            .and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|p| std::path::Path::new(&format!("/proc/{p}")).exists());
        if !alive
            && nspname
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            raw.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{nspname}\" CASCADE"))
                .await?;
        }
    }
    Ok(())
}

/// The example on `db` (migrated by its own `store::migrate`, demo-seeded, [`add_documents`])
/// with [`BenchLimits`], built into the router it serves, and its state.
pub async fn example(db: &DbSpec) -> Result<(portcullis::App, AppState), BoxError> {
    let ex = portcullis_example::example(Config {
        database_url: db.url.clone(),
        seed: true,
        keys: KeySource::Generate,
        schema: db.schema.clone(),
        redis_url: None,
        redis_prefix: String::new(),
        trusted_proxies: Vec::new(),
        oidc: OidcSource::Disabled,
    })
    .await?;
    add_documents(&ex.state.pool, db.per_tenant).await?;
    let app = ex.router.throttle_backend(BenchLimits).build()?;
    Ok((app, ex.state))
}

/// The demo tenants as [`data`] needs them: acme (alice, amir) and globex (bob, bea).
async fn tenants(pool: &Pool) -> Result<[Tenant; 2], BoxError> {
    let user = async |email: &str| match portcullis_example::store::find_by_email(pool, email).await
    {
        Ok(Some(u)) => Ok(u),
        Ok(None) => Err(BoxError::from(format!("{email} is not seeded"))),
        Err(p) => Err(format!("looking up {email}: {}", p.title()).into()),
    };
    let (alice, amir) = (
        user("alice@acme.test").await?,
        user("amir@acme.test").await?,
    );
    let (bob, bea) = (
        user("bob@globex.test").await?,
        user("bea@globex.test").await?,
    );
    Ok([
        Tenant {
            id: alice.tenant_id,
            member: alice.id,
            admin: amir.id,
        },
        Tenant {
            id: bob.tenant_id,
            member: bob.id,
            admin: bea.id,
        },
    ])
}

/// Fills each demo tenant up to `per_tenant` documents ([`data`]: real-looking text, 1 in 7
/// archived, the tenants' rows interleaved) in one transaction of multi-row `INSERT`s;
/// idempotent. On PostgreSQL the table is then `VACUUM ANALYZE`d, so plans do not change when
/// autovacuum gets to it.
pub async fn add_documents(pool: &Pool, per_tenant: usize) -> Result<(), BoxError> {
    use diesel::{ExpressionMethods, QueryDsl};
    use diesel_async::RunQueryDsl;
    use portcullis_example::model::documents;
    let mut fill = Vec::new();
    for tenant in tenants(pool).await? {
        let filter = documents::table.filter(documents::tenant_id.eq(tenant.id));
        let have: i64 = match pool.unscoped(UNSCOPED).connection().await? {
            RawConnection::Sqlite(mut c) => filter.count().get_result(&mut *c).await?,
            RawConnection::Postgres(mut c) => filter.count().get_result(&mut *c).await?,
            _ => return Err("unsupported backend".into()),
        };
        fill.push((tenant, usize::try_from(have)?));
    }
    if fill.iter().all(|(_, have)| *have >= per_tenant) {
        return Ok(());
    }
    let raw = pool.unscoped(UNSCOPED);
    raw.batch_execute(&data::insert_sql(&fill, per_tenant, 500))
        .await?;
    if pool.backend() == Backend::Postgres {
        raw.batch_execute("VACUUM ANALYZE documents").await?;
    }
    Ok(())
}

/// Alice's access token from `POST /auth/login`.
pub async fn login(app: &impl App) -> Result<String, BoxError> {
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

/// A cursor made by hand: base64url of its JSON (`["id-",[123]]`), the documented form.
pub fn cursor(json: &str) -> String {
    URL_SAFE_NO_PAD.encode(json)
}

/// What the comparison looks at in a response.
#[derive(Debug, PartialEq, Eq)]
pub struct Reply {
    pub status: StatusCode,
    pub content_type: Option<HeaderValue>,
    pub challenge: Option<HeaderValue>,
    pub body: Bytes,
}

impl Reply {
    fn json(&self) -> Result<serde_json::Value, BoxError> {
        Ok(serde_json::from_slice(&self.body)?)
    }
}

/// One request through `oneshot`, the body collected.
pub async fn call(app: &impl App, req: Request<Body>) -> Result<Reply, BoxError> {
    let Ok(res) = app.clone().oneshot(req).await;
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

/// The `GET /docs` and `GET /docs/{id}` requests compared, all as alice: keyset pages in every
/// ordering (first pages, pages after hand-made cursors, the end of the list, totals), offset
/// pages (first, second, deep, past the end, by title), every malformed parameter (bad
/// values, repeated parameters, cursors that are garbage, padded, of another ordering or with
/// keys of the wrong type or number, a cursor beside `page`), percent-encoded parameters, and
/// single documents: her tenant's, her archived one (no body), another tenant's (403), a
/// missing one (404), a malformed id (400). `first_doc` is a document of hers.
pub fn compared_uris(first_doc: i64) -> Vec<String> {
    let newest_5 = cursor(r#"["id-",[5]]"#);
    let mut uris: Vec<String> = [
        DOCS_URI,
        "/docs",
        "/docs?limit=50&total=true",
        "/docs?limit=100&total=false",
        "/docs?order=-id&limit=1",
        "/docs?order=id&limit=5",
        "/docs?order=title&limit=5",
        "/docs?order=-title&limit=5&total=true",
        "/docs?limit=5&unknown=x",
        "/docs?limit=%35",
        "/docs?li%6Dit=5",
        "/docs?limit=%2B5",
        "/docs?per_page=50",
        "/docs?page=2&per_page=50",
        DEEP_OFFSET_URI,
        "/docs?page=100000&per_page=50",
        "/docs?page=3&per_page=10&order=title",
        "/docs?page=2&per_page=10&order=-title",
        "/docs?page=2&order=id",
        "/docs?page=2&per_page=5&total=true&limit=7",
        "/docs?limit=0",
        "/docs?limit=101",
        "/docs?limit=abc",
        "/docs?limit=",
        "/docs?limit=-1",
        "/docs?limit=+5",
        "/docs?order=name",
        "/docs?total=yes",
        "/docs?page=0",
        "/docs?page=x",
        "/docs?per_page=0",
        "/docs?per_page=101",
        "/docs?per_page=many",
        "/docs?limit=5&limit=6",
        "/docs?foo=1&foo=2",
        "/docs?limit=0&order=name",
        "/docs?after=",
        "/docs?after=!!!",
        "/docs/3",
        "/docs/4",
        "/docs/999999999",
        "/docs/first",
    ]
    .map(str::to_owned)
    .into();
    uris.push(format!("/docs/{first_doc}"));
    for (query, json) in [
        ("limit=3", r#"["id-",[5]]"#),
        ("order=id&limit=3", r#"["id+",[5]]"#),
        ("order=title&limit=3", r#"["title+,id+",["M",0]]"#),
        ("order=-title&limit=3", r#"["title-,id+",["M",0]]"#),
        ("order=title", r#"["id-",[5]]"#),
        ("order=id", r#"["id-",[5]]"#),
        ("", r#"["id-",[]]"#),
        ("", r#"["id-",[null]]"#),
        ("", r#"["id-",["5"]]"#),
        ("", r#"["id-",[1.5]]"#),
        ("", r#"["id-",[5,6]]"#),
        ("", r#"["id-",[9223372036854775808]]"#),
        ("", r#"["title+,id+",["M",0]]"#),
        ("", "not json"),
        ("limit=0", r#"["id-",[5]]"#),
        ("page=2", r#"["id-",[5]]"#),
    ] {
        let sep = if query.is_empty() { "" } else { "&" };
        uris.push(format!("/docs?{query}{sep}after={}", cursor(json)));
    }
    uris.push(format!("/docs?after={newest_5}%3D"));
    uris.push(format!("/docs?after=%21{newest_5}&limit=0"));
    uris
}

/// What [`compare`] established.
#[derive(Debug, Clone)]
pub struct Compared {
    /// Requests answered alike.
    pub requests: usize,
    /// `/docs?limit=50&after=<cursor>`: page 80 (rows 3,951–4,000 newest first), the same rows
    /// as [`DEEP_OFFSET_URI`]; the cursor is the `next` of page 79, reached by walking.
    pub deep_cursor_uri: String,
    /// `/docs/<id>` of alice's newest document.
    pub doc_uri: String,
}

/// Checks that the example and the twin answer alike: every [`compared_uris`] request, `GET
/// /docs` without a token and with a forged one, and every page of a walk by `next` from
/// [`DOCS_URI`] to page [`DEEP_PAGE`] and of a 3-page walk in title order; and that [`DOCS_URI`]
/// shows 50 of alice's tenant's documents, archived ones without their body, no internal notes,
/// and the deep cursor page the same rows as [`DEEP_OFFSET_URI`].
pub async fn compare(
    example: &impl App,
    twin: &impl App,
    token: &str,
) -> Result<Compared, BoxError> {
    let good = bearer(token)?;
    let bad = bearer(&forged(token))?;
    let mut mismatches = Vec::new();
    let mut requests = 0;
    let mut check = async |uri: &str, auth: Option<&HeaderValue>| -> Result<Reply, BoxError> {
        let ours = call(example, get(uri, auth)?).await?;
        let theirs = call(twin, get(uri, auth)?).await?;
        requests += 1;
        if ours != theirs {
            mismatches.push(format!(
                "GET {uri} (auth: {}):\n  example: {ours:?}\n  twin:    {theirs:?}",
                auth.is_some()
            ));
        }
        Ok(ours)
    };
    let first = check(DOCS_URI, Some(&good)).await?;
    check_page(&first)?;
    let first_doc = first.json()?["items"][0]["id"]
        .as_i64()
        .ok_or("the first page has no items")?;
    for uri in compared_uris(first_doc) {
        check(&uri, Some(&good)).await?;
    }
    check("/docs", None).await?;
    check("/docs", Some(&bad)).await?;
    // Pages 2 to 79; the `next` of page 79 starts page 80.
    let mut page = first;
    for _ in 2..DEEP_PAGE {
        let next = next_cursor(&page)?;
        page = check(
            &format!("/docs?limit={PAGE_ROWS}&after={next}"),
            Some(&good),
        )
        .await?;
    }
    let deep_cursor_uri = format!("/docs?limit={PAGE_ROWS}&after={}", next_cursor(&page)?);
    let deep = check(&deep_cursor_uri, Some(&good)).await?;
    let by_offset = check(DEEP_OFFSET_URI, Some(&good)).await?;
    let mut page = check("/docs?order=title&limit=20", Some(&good)).await?;
    for _ in 0..2 {
        let next = next_cursor(&page)?;
        page = check(
            &format!("/docs?order=title&limit=20&after={next}"),
            Some(&good),
        )
        .await?;
    }
    if !mismatches.is_empty() {
        return Err(format!(
            "the twin does not answer like the example ({} of {requests} requests differ):\n{}",
            mismatches.len(),
            mismatches.join("\n")
        )
        .into());
    }
    if deep.json()?["items"] != by_offset.json()?["items"]
        || deep.json()?["items"].as_array().map(Vec::len) != Some(PAGE_ROWS)
    {
        return Err(format!(
            "{deep_cursor_uri} and {DEEP_OFFSET_URI} should be the same {PAGE_ROWS} rows"
        )
        .into());
    }
    Ok(Compared {
        requests,
        deep_cursor_uri,
        doc_uri: format!("/docs/{first_doc}"),
    })
}

/// The `next` cursor of a keyset page.
fn next_cursor(page: &Reply) -> Result<String, BoxError> {
    match page.json()?["next"].as_str() {
        Some(next) => Ok(next.to_owned()),
        None => Err(format!("page without a next cursor: {:?}", page.status).into()),
    }
}

/// The measured page is what it should be: 50 rows, one tenant, some archived without body.
fn check_page(reply: &Reply) -> Result<(), BoxError> {
    let page = reply.json()?;
    let items = page["items"].as_array().cloned().unwrap_or_default();
    let tenant = items.first().map(|d| d["tenantId"].clone());
    let one_tenant = items
        .iter()
        .all(|d| Some(&d["tenantId"]) == tenant.as_ref());
    let archived: Vec<_> = items.iter().filter(|d| d["archived"] == true).collect();
    let ok = reply.status == StatusCode::OK
        && items.len() == PAGE_ROWS
        && one_tenant
        && !archived.is_empty()
        && archived.iter().all(|d| d.get("body").is_none())
        && items.iter().all(|d| d.get("internalNotes").is_none())
        && page["next"].is_string();
    if ok {
        Ok(())
    } else {
        Err(format!("GET {DOCS_URI} is not the page to measure: {page}").into())
    }
}

/// The example and its twin on one database, and alice's token.
pub struct Pair {
    pub example: portcullis::App,
    pub twin: axum::Router,
    /// The example's state (its pool and JWT service).
    pub state: AppState,
    pub token: String,
    /// What [`compare`] checked and found.
    pub compared: Compared,
    /// `SQLite, 10,000 documents`.
    pub label: String,
    // Last: dropped after the pools.
    db: Db,
}

impl Pair {
    /// Starts both on `db` (filling it), logs alice in, and [`compare`]s them.
    pub async fn start(db: Db) -> Result<Self, BoxError> {
        let (example, state) = self::example(db.spec()).await?;
        let jwks = state.jwt.jwks_json();
        let twin = crate::plain::twin(db.spec(), &jwks).await?;
        let token = login(&example).await?;
        let compared = compare(&example, &twin, &token).await?;
        Ok(Self {
            example,
            twin,
            state,
            token,
            compared,
            label: db.spec().label(),
            db,
        })
    }

    /// [`Pair::start`] on a new runtime with one worker, which the caller then drives the apps
    /// on (as the benchmarks measure them).
    pub fn start_blocking(
        db: impl FnOnce(&tokio::runtime::Runtime) -> Result<Db, BoxError>,
    ) -> Result<(tokio::runtime::Runtime, Self), BoxError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let db = db(&rt)?;
        let pair = rt.block_on(Self::start(db))?;
        Ok((rt, pair))
    }

    /// Where the data is.
    pub fn db(&self) -> &DbSpec {
        self.db.spec()
    }
}

/// The SQLite settings connection `conn` runs with, as `name=value` pairs: what the example's
/// and the twin's pools must agree on.
pub async fn sqlite_settings(
    conn: &mut portcullis_plain_twin::SqliteConn,
) -> Result<String, BoxError> {
    #[derive(diesel::QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Text)]
        setting: String,
    }
    use diesel_async::RunQueryDsl;
    let mut out = Vec::new();
    for name in [
        "busy_timeout",
        "journal_mode",
        "synchronous",
        "foreign_keys",
        "cache_size",
        "temp_store",
    ] {
        let row: Setting = diesel::sql_query(format!(
            "SELECT CAST((SELECT * FROM pragma_{name}) AS TEXT) AS setting"
        ))
        .get_result(conn)
        .await?;
        out.push(format!("{name}={}", row.setting));
    }
    // No table-valued function for this one.
    #[derive(diesel::QueryableByName)]
    struct Mmap {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        mmap_size: i64,
    }
    let mmap: Mmap = diesel::sql_query("PRAGMA mmap_size")
        .get_result(conn)
        .await?;
    out.push(format!("mmap_size={}", mmap.mmap_size));
    Ok(out.join(" "))
}
