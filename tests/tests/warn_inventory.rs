//! The WARN inventory: every `warn!` site of the runtime, by file, target and reason code, is
//! listed in [`SITES`] with the test of this file that triggers it under log capture. The
//! inventory test scans `runtime/src` and fails on a site missing from the table (printing the
//! line to add) or a row whose site is gone. Each triggering test asserts the event's target
//! and reason and that no secret it used (password, token, cookie value) appears in any event
//! field; denial events also carry the route, the principal and the deciding rule.

mod common;
#[path = "../../runtime/tests/redis_server/mod.rs"]
mod redis_server;

use axum::body::Body;
use common::app::*;
use common::*;
use http::{Request, header};
use portcullis::authn::jwt::JwtService;
use portcullis::authn::strategy::Authenticator;
use portcullis::db::Pool;
use portcullis::routing::get;
use portcullis::throttle::{Limiter, MemoryBackend};
use portcullis::{Bind, Delete, Insert, Patch, Read, Router, Shaped, Update, guarded};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tower::ServiceExt;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// One line per `warn!` site of `runtime/src`: (file under `runtime/src`, target, reason,
/// test of this file that triggers it). A literal reason is written as is; a reason computed
/// at run time as `{expression}` exactly as in the source. Two sites with the same file,
/// target and reason take two lines.
#[rustfmt::skip]
const SITES: &[(&str, &str, &str, &str)] = &[
    ("authn/jwt/mod.rs", "portcullis::authn", "{reason.as_str()}", "bearer_and_jwt_rejections_warn"),
    ("authn/housekeeping.rs", "portcullis::authn", "housekeeping_purge_failed", "failing_housekeeping_purges_warn"),
    ("authn/mod.rs", "portcullis::authn", "{FailureReason::Unavailable.as_str()}", "redis_outages_warn"),
    ("authn/strategy/mod.rs", "portcullis::authn", "{FailureReason::Unavailable.as_str()}", "redis_outages_warn"),
    ("backend/redis_conn.rs", "portcullis::redis", "{reason}", "redis_outages_warn"),
    ("backend/redis_conn.rs", "portcullis::redis", "connection_discarded", "redis_outages_warn"),
    ("authn/oauth2/mod.rs", "portcullis::authn", "{reason}", "oauth2_callback_rejections_warn"),
    ("authn/oauth2/mod.rs", "portcullis::authn", "plain_http", "oauth2_callback_rejections_warn"),
    ("authn/oauth2/mod.rs", "portcullis::authn", "provider_error", "oauth2_callback_rejections_warn"),
    ("authn/oauth2/mod.rs", "portcullis::authn", "replay_cache_full", "oauth2_replay_cache_full_warns"),
    ("authn/oauth2/mod.rs", "portcullis::authn", "token_rejected", "oauth2_provider_failures_warn"),
    ("authn/oauth2/mod.rs", "portcullis::authn", "token_exchange_failed", "oauth2_provider_failures_warn"),
    ("authn/oauth2/mod.rs", "portcullis::authn", "userinfo_failed", "oauth2_provider_failures_warn"),
    ("authn/oidc/mod.rs", "portcullis::authn", "{reason}", "oidc_provider_failures_warn"),
    ("authn/password/mod.rs", "portcullis::authn", "weak_argon2_cost", "password_failures_and_weak_settings_warn"),
    ("authn/password/mod.rs", "portcullis::authn", "invalid_credentials", "password_failures_and_weak_settings_warn"),
    ("authn/password/mod.rs", "portcullis::authn", "invalid_credentials", "password_failures_and_weak_settings_warn"),
    ("authn/password/policy.rs", "portcullis::authn", "short_min_length", "password_failures_and_weak_settings_warn"),
    ("authn/password/policy.rs", "portcullis::authn", "blocklist_disabled", "password_failures_and_weak_settings_warn"),
    ("authn/refresh/mod.rs", "portcullis::authn", "{reason.as_str()}", "refresh_rejections_warn"),
    ("authn/refresh/mod.rs", "portcullis::authn", "family_revoked", "refresh_rejections_warn"),
    ("authn/session/mod.rs", "portcullis::authn", "insecure_cookie", "insecure_session_cookie_warns"),
    ("authn/strategy/mod.rs", "portcullis::authn", "{self.reason.as_str()}", "bearer_and_jwt_rejections_warn"),
    ("guard/bind.rs", "portcullis::authz", "{reason}", "bind_denials_carry_route_principal_and_rule"),
    ("guard/bind.rs", "portcullis::authz", "field_not_permitted", "bind_denials_carry_route_principal_and_rule"),
    ("guard/bind.rs", "portcullis::authz", "left_scope", "writes_on_rows_that_left_the_scope_warn"),
    ("guard/bind.rs", "portcullis::authz", "left_scope", "writes_on_rows_that_left_the_scope_warn"),
    ("backend/db/mod.rs", "portcullis::db", "sqlite_synchronous_off", "unsafe_database_settings_warn"),
    ("http/origin.rs", "portcullis::http", "cross_site", "cross_site_requests_warn"),
    ("guard/mod.rs", "portcullis::authz", "{reason}", "guard_denials_carry_route_principal_and_rule"),
    ("guard/mod.rs", "portcullis::authz", "{if rejection.reason == crate::authn::strategy::FailureReason::Missing { \"anonymous\" } else { \"unauthenticated\" }}", "guard_denials_carry_route_principal_and_rule"),
    ("guard/router.rs", "portcullis::authz", "{reason}", "unguarded_router_escape_warns"),
    ("throttle/layer.rs", "portcullis::throttle", "throttled", "throttle_rejections_warn"),
    ("throttle/login.rs", "portcullis::throttle", "login_throttled", "login_guard_warns"),
    ("throttle/login.rs", "portcullis::throttle", "login_guard_full", "login_guard_warns"),
    ("throttle/login.rs", "portcullis::throttle", "login_guard_refusing", "login_guard_warns"),
    ("throttle/memory.rs", "portcullis::throttle", "limiter_full", "throttle_rejections_warn"),
    ("throttle/redis.rs", "portcullis::throttle", "fail_open", "redis_limiter_failures_warn"),
    ("throttle/redis.rs", "portcullis::throttle", "store_unavailable", "redis_limiter_failures_warn"),
    ("throttle/redis.rs", "portcullis::throttle", "store_unavailable", "redis_limiter_failures_warn"),
    ("throttle/route.rs", "portcullis::throttle", "throttled", "throttle_rejections_warn"),
    ("backend/db/unscoped.rs", "portcullis::scope", "no_reason", "unsafe_database_settings_warn"),
    ("guard/write.rs", "portcullis::authz", "field_not_permitted", "create_denials_warn"),
    ("guard/write.rs", "portcullis::authz", "no_grant", "create_denials_warn"),
];

// ---------------------------------------------------------------------------------------------
// The scan.

/// A `warn!` site found in the source.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Site {
    file: String,
    /// The target: a string literal's content, or the value of the constant named.
    target: String,
    reason: String,
}

/// The argument text of the macro call opening at `open` (the `(`), honouring string literals.
fn call_args(src: &str, open: usize) -> Option<&str> {
    let bytes = src.as_bytes();
    let (mut depth, mut i, mut in_str) = (0usize, open, false);
    while i < bytes.len() {
        let c = bytes[i];
        if in_str {
            match c {
                b'\\' => i += 1,
                b'"' => in_str = false,
                _ => {}
            }
        } else {
            match c {
                b'"' => in_str = true,
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(&src[open + 1..i]);
                    }
                }
                _ => {}
            }
        }
        i += 1;
    }
    None
}

/// The arguments split at top-level commas.
fn split_args(args: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut depth, mut in_str, mut cur, mut escape) = (0i32, false, String::new(), false);
    for c in args.chars() {
        if in_str {
            cur.push(c);
            if escape {
                escape = false;
            } else if c == '\\' {
                escape = true;
            } else if c == '"' {
                in_str = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_str = true;
                cur.push(c);
            }
            '(' | '{' | '[' => {
                depth += 1;
                cur.push(c);
            }
            ')' | '}' | ']' => {
                depth -= 1;
                cur.push(c);
            }
            ',' if depth == 0 => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter()
        .map(|a| a.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|a| !a.is_empty())
        .collect()
}

fn unquote(s: &str) -> Option<String> {
    s.strip_prefix('"')?
        .strip_suffix('"')
        .map(|s| s.replace("\\\"", "\""))
}

/// The sites of one file (its `#[cfg(test)] mod` excluded), or what is wrong with one.
fn sites_in(file: &str, src: &str) -> Vec<Result<Site, String>> {
    let src = match src.find("#[cfg(test)]\nmod ") {
        Some(i) => &src[..i],
        None => src,
    };
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = src[from..].find("warn!(") {
        let at = from + at;
        from = at + 6;
        let before = src[..at].chars().last().unwrap_or(' ');
        if before.is_alphanumeric() || before == '_' {
            continue;
        }
        let line = src[..at].lines().count();
        let Some(args) = call_args(src, at + 5) else {
            out.push(Err(format!("{file}:{line}: unbalanced warn!(")));
            continue;
        };
        let args = split_args(args);
        let target = args
            .iter()
            .find_map(|a| a.strip_prefix("target:").map(|t| t.trim().to_owned()))
            .map(|t| unquote(&t).unwrap_or(t));
        let reason = args.iter().find_map(|a| {
            if a == "reason" {
                return Some("{reason}".to_owned());
            }
            let value = a
                .strip_prefix("reason")?
                .trim_start()
                .strip_prefix('=')?
                .trim();
            Some(unquote(value).unwrap_or_else(|| format!("{{{value}}}")))
        });
        match (target, reason) {
            (Some(target), Some(reason)) => out.push(Ok(Site {
                file: file.to_owned(),
                target,
                reason,
            })),
            (None, _) => out.push(Err(format!(
                "{file}:{line}: warn! without `target:` (every WARN names its target)"
            ))),
            (_, None) => out.push(Err(format!(
                "{file}:{line}: warn! without a `reason` field (every WARN carries a reason code)"
            ))),
        }
    }
    out
}

/// A target named by a constant (`target: TARGET`) as the constant's value: the constant is
/// looked up in the file, then in the `mod.rs` of its directory and of the directory above.
fn resolve_target(mut site: Site, path: &std::path::Path, src: &str) -> Result<Site, String> {
    if site.target.starts_with("portcullis") {
        return Ok(site);
    }
    let decl = format!("const {}: &str = \"", site.target);
    let value_in = |text: &str| {
        let start = text.find(&decl)? + decl.len();
        text[start..].split('"').next().map(str::to_owned)
    };
    let dir = path.parent().expect("a file has a directory");
    let found = value_in(src).or_else(|| {
        [dir.join("mod.rs"), dir.join("../mod.rs")]
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .find_map(|text| value_in(&text))
    });
    match found {
        Some(value) => {
            site.target = value;
            Ok(site)
        }
        None => Err(format!(
            "{}: target `{}` is neither a string nor a constant this test can find",
            site.file, site.target
        )),
    }
}

fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read runtime/src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The body of `fn name(` in this file's source, up to the next top-level item.
fn test_body<'s>(src: &'s str, name: &str) -> Option<&'s str> {
    let start = src.find(&format!("async fn {name}()"))?;
    let end = src[start..].find("\n}\n").map_or(src.len(), |e| start + e);
    Some(&src[start..end])
}

#[test]
fn every_warn_site_has_a_test_that_triggers_it() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime/src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    files.sort();
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for path in &files {
        let rel = path
            .strip_prefix(&root)
            .expect("under runtime/src")
            .to_string_lossy()
            .replace('\\', "/");
        let src = std::fs::read_to_string(path).expect("read source");
        for site in sites_in(&rel, &src) {
            match site.and_then(|s| resolve_target(s, path, &src)) {
                Ok(s) => found.push(s),
                Err(e) => problems.push(e),
            }
        }
    }
    assert!(
        found.len() >= 30,
        "the scan found only {} sites",
        found.len()
    );
    let mut listed: Vec<Site> = SITES
        .iter()
        .map(|(file, target, reason, _)| Site {
            file: (*file).to_owned(),
            target: (*target).to_owned(),
            reason: (*reason).to_owned(),
        })
        .collect();
    found.sort();
    listed.sort();
    // Multiset difference both ways.
    let mut missing = Vec::new();
    let mut rest = listed.clone();
    for s in &found {
        match rest.iter().position(|l| l == s) {
            Some(i) => {
                rest.remove(i);
            }
            None => missing.push(s.clone()),
        }
    }
    for s in &missing {
        problems.push(format!(
            "uncovered WARN site in runtime/src/{}: add to SITES in tests/tests/warn_inventory.rs\n    ({:?}, {:?}, {:?}, \"<test of that file that triggers it with log capture>\"),",
            s.file, s.file, s.target, s.reason
        ));
    }
    for s in &rest {
        problems.push(format!(
            "stale SITES row (no such warn! in runtime/src/{}): remove ({:?}, {:?}, {:?}, ..)",
            s.file, s.file, s.target, s.reason
        ));
    }
    // Every row names a test of this file that expects its event.
    let me = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/warn_inventory.rs"),
    )
    .expect("read this file");
    for (file, target, reason, test) in SITES {
        let Some(body) = test_body(&me, test) else {
            problems.push(format!(
                "SITES row ({file:?}, {target:?}, {reason:?}) names `{test}`, which is not an async test of this file"
            ));
            continue;
        };
        let literal = !reason.starts_with('{');
        if !body.contains("expect_warn(") || (literal && !body.contains(&format!("{reason:?}"))) {
            problems.push(format!(
                "`{test}` does not expect_warn(.., {reason:?}) for the site in {file}"
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Log capture.

/// One captured event: its target, level, fields (message included), and the fields of the
/// spans it happened in (route and principal of a guarded handler).
#[derive(Debug, Clone)]
struct Ev {
    level: tracing::Level,
    target: String,
    fields: BTreeMap<String, String>,
    spans: BTreeMap<String, String>,
}

impl Ev {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .get(name)
            .or_else(|| self.spans.get(name))
            .map(String::as_str)
    }
}

struct Fields(BTreeMap<String, String>);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<Ev>>>);

thread_local! {
    /// The capture of the test running on this thread (its current-thread runtime).
    static CURRENT: std::cell::RefCell<Option<Logs>> = const { std::cell::RefCell::new(None) };
}

/// The one global subscriber layer: it routes each event to the capture of the thread it
/// happens on. A global subscriber (instead of `set_default` per test) keeps tracing's
/// callsite interest cache from dropping events while tests run in parallel.
struct Capture;

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> tracing_subscriber::Layer<S> for Capture {
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: Context<'_, S>,
    ) {
        let mut f = Fields(BTreeMap::new());
        attrs.record(&mut f);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(f.0);
        }
    }

    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        let mut f = Fields(BTreeMap::new());
        event.record(&mut f);
        let mut spans = BTreeMap::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(fields) = span.extensions().get::<BTreeMap<String, String>>() {
                    spans.extend(fields.clone());
                }
            }
        }
        let ev = Ev {
            level: *event.metadata().level(),
            target: event.metadata().target().to_owned(),
            fields: f.0,
            spans,
        };
        CURRENT.with(|c| {
            if let Some(logs) = c.borrow().as_ref() {
                logs.0.lock().unwrap().push(ev);
            }
        });
    }
}

/// Ends a capture when dropped.
struct CaptureGuard;

impl Drop for CaptureGuard {
    fn drop(&mut self) {
        CURRENT.with(|c| c.borrow_mut().take());
    }
}

impl Logs {
    /// Captures the events of this thread (the test's current-thread runtime) until dropped.
    fn start() -> (Self, CaptureGuard) {
        static INSTALL: std::sync::Once = std::sync::Once::new();
        INSTALL.call_once(|| {
            tracing::subscriber::set_global_default(tracing_subscriber::registry().with(Capture))
                .expect("the only global subscriber of this test binary");
        });
        let logs = Logs::default();
        CURRENT.with(|c| *c.borrow_mut() = Some(logs.clone()));
        (logs, CaptureGuard)
    }

    fn all(&self) -> Vec<Ev> {
        self.0.lock().unwrap().clone()
    }

    /// The WARN events with this target and reason; panics, listing what was captured, when
    /// there is none.
    fn expect_warn(&self, target: &str, reason: &str) -> Vec<Ev> {
        let all = self.all();
        let hits: Vec<Ev> = all
            .iter()
            .filter(|e| {
                e.level == tracing::Level::WARN
                    && e.target == target
                    && e.fields.get("reason").map(String::as_str) == Some(reason)
            })
            .cloned()
            .collect();
        assert!(
            !hits.is_empty(),
            "no WARN on {target} with reason {reason:?}; captured:\n{all:#?}"
        );
        hits
    }

    /// No captured event (fields, message, span fields) contains any of `secrets`.
    fn assert_no_secret(&self, secrets: &[&str]) {
        for e in self.all() {
            for (k, v) in e.fields.iter().chain(&e.spans) {
                for s in secrets {
                    assert!(
                        s.len() >= 6 && !v.contains(s),
                        "secret {s:?} in field {k} of {e:#?}"
                    );
                }
            }
        }
    }
}

const THROTTLE: &str = "portcullis::throttle";
const AUTHN: &str = "portcullis::authn";
const AUTHZ: &str = "portcullis::authz";

// ---------------------------------------------------------------------------------------------
// A guarded app for the guard and bind denials.

#[guarded(auth, roles(admin))]
async fn admin_only() -> &'static str {
    "admin"
}

#[guarded(auth)]
async fn show(doc: Bind<Document, Read>) -> Shaped<Document> {
    doc.shape()
}

#[guarded(auth)]
async fn edit(
    doc: Bind<Document, Update>,
    db: portcullis::Db,
    patch: Patch<Document>,
) -> Result<String, portcullis::Problem> {
    Ok(doc.update(patch, &db).await?.get().title.clone())
}

async fn app(pool: Pool, jwt: Arc<JwtService>) -> portcullis::App {
    Router::<AppState>::new()
        .route("/admin", get(admin_only))
        .route("/docs/{id}", get(show).patch(edit))
        .authenticator(bearer(jwt))
        .throttle_backend(MemoryBackend::default())
        .with_state(AppState { pool })
        .build()
        .expect("router builds")
}

async fn send(
    app: &portcullis::App,
    method: &str,
    uri: &str,
    auth: &str,
    body: Option<&str>,
) -> u16 {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, auth);
    if body.is_some() {
        req = req.header(header::CONTENT_TYPE, "application/json");
    }
    let req = req
        .body(body.map_or(Body::empty(), |b| Body::from(b.to_owned())))
        .unwrap();
    app.clone().oneshot(req).await.unwrap().status().as_u16()
}

/// The SQLite database of [`databases`] (these tests are about logs, not backends), seeded.
async fn seeded_sqlite(tag: &str) -> TestDb {
    let mut all = databases(tag, SQLITE_SCHEMA, PG_SCHEMA).await;
    let db = all.remove(0);
    for other in all {
        other.cleanup().await;
    }
    db.pool
        .unscoped("test fixture")
        .batch_execute(SEED)
        .await
        .expect("seed");
    db
}

// ---------------------------------------------------------------------------------------------
// The triggering tests.

#[tokio::test]
async fn guard_denials_carry_route_principal_and_rule() {
    let db = seeded_sqlite("warn_guard").await;
    let jwt = jwt();
    let app = app(db.pool.clone(), jwt.clone()).await;
    let alice_token = token(&jwt, &alice());
    let (logs, _g) = Logs::start();
    assert_eq!(
        send(
            &app,
            "GET",
            "/admin",
            &format!("Bearer {alice_token}"),
            None
        )
        .await,
        403
    );
    let forged = "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0.forgedsignature";
    assert_eq!(send(&app, "GET", "/admin", forged, None).await, 401);
    assert_eq!(send(&app, "GET", "/admin", "", None).await, 401);

    let denied = &logs.expect_warn(AUTHZ, "missing_role")[0];
    assert_eq!(denied.field("route"), Some("GET /admin"));
    assert_eq!(denied.field("principal"), Some("1"));
    assert_eq!(denied.field("rule"), Some("roles(admin)"));
    let unauthenticated = &logs.expect_warn(AUTHZ, "unauthenticated")[0];
    assert_eq!(unauthenticated.field("route"), Some("GET /admin"));
    logs.expect_warn(AUTHZ, "anonymous");
    logs.assert_no_secret(&[&alice_token, "forgedsignature", "eyJzdWIiOiJtYWxsb3J5In0"]);
    db.cleanup().await;
}

#[tokio::test]
async fn bind_denials_carry_route_principal_and_rule() {
    let db = seeded_sqlite("warn_bind").await;
    let jwt = jwt();
    let app = app(db.pool.clone(), jwt.clone()).await;
    let alice_token = token(&jwt, &alice());
    let auth = format!("Bearer {alice_token}");
    let (logs, _g) = Logs::start();
    // Document 4 belongs to another tenant: out of the read scope.
    assert_eq!(send(&app, "GET", "/docs/4", &auth, None).await, 403);
    // alice may not change internal notes.
    let body = r#"{"internalNotes":"x"}"#;
    assert_eq!(send(&app, "PATCH", "/docs/1", &auth, Some(body)).await, 403);

    let out = &logs.expect_warn(AUTHZ, "out_of_scope")[0];
    assert_eq!(out.field("route"), Some("GET /docs/{id}"));
    assert_eq!(out.field("principal"), Some("1"));
    let rule = out.field("rule").unwrap_or_default();
    assert!(
        rule.contains("read denied (no_grant)")
            && rule.contains("allow!")
            && rule.contains("tenant_id"),
        "{rule}"
    );
    let refused = &logs.expect_warn(AUTHZ, "field_not_permitted")[0];
    assert_eq!(refused.field("route"), Some("PATCH /docs/{id}"));
    assert_eq!(refused.field("principal"), Some("1"));
    assert!(
        refused
            .field("rule")
            .unwrap_or_default()
            .contains("update allowed"),
        "{refused:?}"
    );

    // Outside a guarded route (no span), a denial by rule names its rule.
    let alice_rows = documents(&alice());
    let archived = Bind::<Document, Update>::load(&alice_rows, &db.pool, 3).await;
    assert!(archived.is_err());
    let denied = logs.expect_warn(AUTHZ, "out_of_scope");
    assert!(
        denied.iter().any(|e| e
            .field("rule")
            .unwrap_or_default()
            .contains("denied_by_rule")
            && e.field("rule").unwrap_or_default().contains("deny!")
            && e.field("rule").unwrap_or_default().contains("archived")),
        "{denied:#?}"
    );
    logs.assert_no_secret(&[&alice_token]);
    db.cleanup().await;
}

#[tokio::test]
async fn writes_on_rows_that_left_the_scope_warn() {
    let db = seeded_sqlite("warn_left").await;
    let (logs, _g) = Logs::start();
    let alice_rows = documents(&alice());
    let doc = Bind::<Document, Update>::load(&alice_rows, &db.pool, 1)
        .await
        .expect("alice may edit her document");
    let bob = bob_admin();
    let bob_rows = documents(&bob);
    let gone = Bind::<Document, Delete>::load(&bob_rows, &db.pool, 2)
        .await
        .expect("bob may delete his document");
    db.pool
        .unscoped("test: move the rows to another tenant")
        .batch_execute("UPDATE documents SET tenant_id = 99 WHERE id IN (1, 2)")
        .await
        .expect("move");
    let patch = Patch::<Document>::from_json(br#"{"title":"late"}"#).expect("patch");
    assert_eq!(doc.update(patch, &db.pool).await.unwrap_err().status(), 409);
    assert_eq!(gone.delete(&db.pool).await.unwrap_err().status(), 409);
    let events = logs.expect_warn(AUTHZ, "left_scope");
    let actions: Vec<_> = events.iter().filter_map(|e| e.field("action")).collect();
    assert_eq!(actions, ["update", "delete"]);
    db.cleanup().await;
}

/// Documents under a policy whose only create rule never holds for a new row (a new document
/// is not archived): creating one is `no_grant`.
#[derive(Debug, Clone, PartialEq, portcullis::Resource, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = documents)]
#[resource(rename_all = "camelCase")]
pub struct Frozen {
    #[expose]
    pub id: i64,
    pub tenant_id: i64,
    pub owner_id: i64,
    #[expose]
    pub title: String,
    pub body: String,
    #[resource(default)]
    pub archived: bool,
    pub internal_notes: Option<String>,
    pub reviewer_id: Option<i64>,
}

#[portcullis::policy(Frozen, subject = User)]
pub fn frozen(user: &User) {
    allow!(create(title, body) where tenant_id == user.tenant_id && owner_id == user.id && archived);
}

#[tokio::test]
async fn create_denials_warn() {
    let (logs, _g) = Logs::start();
    let ability = documents(&alice());
    let mass = Insert::<Document>::from_json(br#"{"title":"t","body":"b","internalNotes":"x"}"#)
        .expect("parses");
    assert_eq!(mass.check(&ability).unwrap_err().status(), 403);
    let none = Insert::<Frozen>::from_json(br#"{"title":"t","body":"b"}"#).expect("parses");
    assert_eq!(none.check(&frozen(&alice())).unwrap_err().status(), 403);
    logs.expect_warn(AUTHZ, "field_not_permitted");
    logs.expect_warn(AUTHZ, "no_grant");
}

#[tokio::test]
async fn bearer_and_jwt_rejections_warn() {
    let jwt = jwt();
    let bearer = bearer(jwt.clone());
    let good = token(&jwt, &alice());
    // Another signature character, well inside the signature: the last one carries padding
    // bits, so changing it can make the base64 non-canonical ("malformed") instead of a bad
    // signature.
    let at = good.len() - 10;
    let other = if &good[at..=at] == "A" { "B" } else { "A" };
    let tampered = format!("{}{other}{}", &good[..at], &good[at + 1..]);
    let (logs, _g) = Logs::start();
    let (mut parts, ()) = Request::builder()
        .header(header::AUTHORIZATION, format!("Bearer {tampered}"))
        .body(())
        .unwrap()
        .into_parts();
    assert!(bearer.authenticate(&mut parts).await.is_err());
    let jwt_event = &logs.expect_warn(AUTHN, "bad_signature")[0];
    assert_eq!(jwt_event.field("message"), Some("jwt rejected"));
    // Two tokens in one header: refused by the strategy before any verification.
    let (mut parts, ()) = Request::builder()
        .header(header::AUTHORIZATION, format!("Bearer {good} {good}"))
        .body(())
        .unwrap()
        .into_parts();
    assert!(bearer.authenticate(&mut parts).await.is_err());
    let strategy_event = &logs.expect_warn(AUTHN, "malformed")[0];
    assert_eq!(
        strategy_event.field("message"),
        Some("authentication failed")
    );
    logs.assert_no_secret(&[&tampered, &good, &good[good.len() - 20..]]);
}

#[tokio::test]
async fn refresh_rejections_warn() {
    use portcullis::authn::refresh::{MemoryRefreshStore, RefreshService};
    let refresh = RefreshService::new(MemoryRefreshStore::new());
    let first = refresh.issue("u1").await.expect("issue");
    let (logs, _g) = Logs::start();
    let next = refresh.rotate(&first.token).await.expect("rotate");
    assert!(refresh.rotate(&first.token).await.is_err());
    logs.expect_warn(AUTHN, "family_revoked");
    logs.expect_warn(AUTHN, "refresh_reuse");
    logs.assert_no_secret(&[&first.token, &next.token]);
}

#[tokio::test]
async fn insecure_session_cookie_warns() {
    use portcullis::authn::session::{MemorySessionStore, SessionConfig, SessionManager};
    let (logs, _g) = Logs::start();
    let sessions = SessionManager::new(
        MemorySessionStore::new(),
        SessionConfig::default().insecure_cookie(),
    );
    let s = sessions.login("u1", None).await.expect("login");
    logs.expect_warn(AUTHN, "insecure_cookie");
    let value = s
        .set_cookie
        .split(';')
        .next()
        .and_then(|c| c.split_once('='))
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default();
    logs.assert_no_secret(&[&value, &s.csrf_token]);
}

/// A purge that fails (a store down) is logged with the job's name and retried next period.
#[tokio::test]
async fn failing_housekeeping_purges_warn() {
    use portcullis::authn::StoreError;
    use portcullis::authn::housekeeping::Housekeeping;
    let (logs, _g) = Logs::start();
    let housekeeping = Housekeeping::new().job("sessions", || {
        Box::pin(async { Err(StoreError::Unavailable("redis timed out".into())) })
    });
    assert_eq!(housekeeping.run_once().await, [("sessions", None)]);
    logs.expect_warn(AUTHN, "housekeeping_purge_failed");
}

#[tokio::test]
async fn password_failures_and_weak_settings_warn() {
    use portcullis::authn::password::{PasswordConfig, PasswordHasher, PasswordPolicy};
    let (logs, _g) = Logs::start();
    let hasher = PasswordHasher::new(PasswordConfig {
        m_cost_kib: 1024,
        t_cost: 1,
        ..PasswordConfig::default()
    })
    .expect("hasher");
    logs.expect_warn(AUTHN, "weak_argon2_cost");
    let password = "correct horse battery staple";
    let phc = hasher.hash(password).await.expect("hash");
    assert!(
        !hasher
            .verify("wrong horse battery", &phc)
            .await
            .expect("verify")
    );
    assert!(!hasher.burn_verify("unknown account guess").await);
    let failures = logs.expect_warn(AUTHN, "invalid_credentials");
    assert_eq!(failures.len(), 2, "{failures:#?}");
    let _ = PasswordPolicy::default().min_len(6).without_blocklist();
    logs.expect_warn(AUTHN, "short_min_length");
    logs.expect_warn(AUTHN, "blocklist_disabled");
    logs.assert_no_secret(&[
        password,
        "wrong horse battery",
        "unknown account guess",
        &phc,
    ]);
}

#[tokio::test]
async fn throttle_rejections_warn() {
    use portcullis::throttle::{MemoryLimiter, RouteThrottle, ThrottleLayer, TrustedProxies, key};
    let (logs, _g) = Logs::start();
    // A route limit.
    let route = RouteThrottle::new(
        "1/min per user".parse().unwrap(),
        "GET /x",
        &MemoryBackend::default(),
        TrustedProxies::none(),
    );
    let (parts, ()) = Request::new(()).into_parts();
    assert!(route.check(&parts, Some("7")).await.is_ok());
    assert_eq!(
        route.check(&parts, Some("7")).await.unwrap_err().status(),
        429
    );
    let e = &logs.expect_warn(THROTTLE, "throttled")[0];
    assert_eq!(e.field("route"), Some("GET /x"));
    assert_eq!(e.field("principal"), Some("7"));
    // The tower layer.
    let svc = tower::ServiceBuilder::new()
        .layer(ThrottleLayer::new(
            MemoryLimiter::new("1/min".parse().unwrap()),
            key::ClientIp::new(TrustedProxies::none()),
        ))
        .service_fn(|_: Request<Body>| async {
            Ok::<_, std::convert::Infallible>(http::Response::new(Body::empty()))
        });
    let req = || {
        let mut r = Request::builder()
            .uri("/layer")
            .body(Body::empty())
            .unwrap();
        r.extensions_mut()
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                [192, 0, 2, 1],
                1,
            ))));
        r
    };
    assert_eq!(svc.clone().oneshot(req()).await.unwrap().status(), 200);
    assert_eq!(svc.clone().oneshot(req()).await.unwrap().status(), 429);
    let layer = logs.expect_warn(THROTTLE, "throttled");
    assert!(
        layer.iter().any(|e| e.field("route") == Some("/layer")),
        "{layer:#?}"
    );
    // A memory limiter full of active keys.
    let full = MemoryLimiter::with_max_keys("1/hour".parse().unwrap(), 16);
    for i in 0..64 {
        let _ = full.check(&format!("k{i}")).await;
    }
    logs.expect_warn(THROTTLE, "limiter_full");
}

#[tokio::test]
async fn login_guard_warns() {
    use portcullis::throttle::{LoginGuard, LoginPolicy};
    let (logs, _g) = Logs::start();
    let ip: std::net::IpAddr = "192.0.2.7".parse().unwrap();
    let guard = LoginGuard::new(LoginPolicy {
        free_per_account: 1,
        max_keys: 8,
        ..LoginPolicy::default()
    });
    guard.record_failure("alice@acme.test", ip);
    assert!(guard.check("alice@acme.test", ip).is_err());
    assert!(guard.reserve("alice@acme.test", ip).is_err());
    assert_eq!(logs.expect_warn(THROTTLE, "login_throttled").len(), 2);
    for i in 0..16u8 {
        guard.record_failure(
            &format!("user{i}@x.test"),
            std::net::IpAddr::from([198, 51, 100, i]),
        );
    }
    logs.expect_warn(THROTTLE, "login_guard_full");
    // Full of delayed counts only: a new name is refused rather than one of them forgotten.
    let locked = LoginGuard::new(LoginPolicy {
        free_per_account: 0,
        free_per_ip: 0,
        max_keys: 4,
        ..LoginPolicy::default()
    });
    for i in 0..4u8 {
        locked.record_failure(
            &format!("held{i}@x.test"),
            std::net::IpAddr::from([198, 51, 100, 100 + i]),
        );
    }
    assert!(
        locked
            .reserve("new@x.test", "203.0.113.9".parse().unwrap())
            .is_err()
    );
    logs.expect_warn(THROTTLE, "login_guard_refusing");
    logs.assert_no_secret(&["alice@acme.test"]);
}

#[tokio::test]
async fn redis_limiter_failures_warn() {
    use portcullis::throttle::{FailPolicy, RedisLimiterBuilder};
    let (logs, _g) = Logs::start();
    // Nothing listens on port 1: the store is unreachable.
    let url = "redis://127.0.0.1:1";
    let open = RedisLimiterBuilder::new(url)
        .expect("url")
        .fail_policy(FailPolicy::Open)
        .build("1/min".parse().unwrap());
    logs.expect_warn(THROTTLE, "fail_open");
    assert!(open.check("k").await.expect("admitted unmetered").allowed);
    let closed = RedisLimiterBuilder::new(url)
        .expect("url")
        .build("1/min".parse().unwrap());
    assert!(closed.check("k").await.is_err());
    let events = logs.expect_warn(THROTTLE, "store_unavailable");
    let policies: Vec<_> = events.iter().filter_map(|e| e.field("policy")).collect();
    assert_eq!(policies, ["fail_open", "fail_closed"]);
}

/// A Redis that stalls (SIGSTOP) and then is gone: the connection is discarded after a timeout,
/// reconnecting fails, and the revocation and session stores refuse (503) with a reason.
#[tokio::test]
async fn redis_outages_warn() {
    use portcullis::authn::revocation::RedisRevocationStore;
    use portcullis::authn::session::{RedisSessionStore, SessionConfig, SessionManager};
    use portcullis::redis_conn::RedisConnection;
    use std::time::Duration;
    let mut redis = redis_server::RedisServer::start();
    let conn = RedisConnection::builder(&redis.url())
        .expect("url")
        .connect_timeout(Duration::from_millis(200))
        .response_timeout(Duration::from_millis(200))
        .connect()
        .await
        .expect("throwaway redis is up");
    let jwt = jwt();
    let bearer = bearer(jwt.clone()).with_revocation(Arc::new(RedisRevocationStore::new(
        conn.clone(),
        "warn-inventory:",
    )));
    let sessions = SessionManager::new(
        RedisSessionStore::new(conn, "warn-inventory:"),
        SessionConfig::default(),
    );
    let good = token(&jwt, &alice());
    let (logs, _g) = Logs::start();
    let authenticate = || async {
        let (mut parts, ()) = Request::builder()
            .header(header::AUTHORIZATION, format!("Bearer {good}"))
            .body(())
            .unwrap()
            .into_parts();
        bearer.authenticate(&mut parts).await
    };
    redis.stall();
    let refused = authenticate()
        .await
        .expect_err("a stalled deny-list refuses");
    assert_eq!(portcullis::Problem::from(refused).status(), 503);
    logs.expect_warn("portcullis::redis", "connection_discarded");
    logs.expect_warn(AUTHN, "store_unavailable");
    redis.resume();
    redis.kill();
    let err = sessions.login("u1", None).await.expect_err("redis is gone");
    assert_eq!(portcullis::Problem::from(err).status(), 503);
    let failed = logs.expect_warn("portcullis::redis", "connection_refused");
    assert!(failed[0].field("redis").is_some(), "{failed:#?}");
    let unavailable = logs.expect_warn(AUTHN, "store_unavailable");
    // The strategy's (naming the store) and the store error's conversion into a problem.
    assert!(
        unavailable.iter().any(|e| e.field("store").is_some()),
        "{unavailable:#?}"
    );
    assert!(
        unavailable.iter().any(
            |e| e.field("message") == Some("authentication store unavailable; request refused")
        ),
        "{unavailable:#?}"
    );
    logs.assert_no_secret(&[&good]);
}

#[tokio::test]
async fn unsafe_database_settings_warn() {
    use portcullis::db::{PoolConfig, Synchronous};
    let path = std::env::temp_dir().join(format!("pc_warn_sync_{}.sqlite", std::process::id()));
    let (logs, _g) = Logs::start();
    let pool = Pool::connect_with(
        PoolConfig::new(path.to_str().unwrap()).sqlite_synchronous(Synchronous::Off),
    )
    .await
    .expect("open");
    logs.expect_warn("portcullis::db", "sqlite_synchronous_off");
    let _ = pool.unscoped("").batch_execute("SELECT 1").await;
    logs.expect_warn("portcullis::scope", "no_reason");
    drop(pool);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

#[tokio::test]
async fn unguarded_router_escape_warns() {
    let db = seeded_sqlite("warn_escape").await;
    let app = app(db.pool.clone(), jwt()).await;
    let (logs, _g) = Logs::start();
    let _router = app.into_unguarded_router("metrics endpoint mounted by the ops team");
    logs.expect_warn(AUTHZ, "metrics endpoint mounted by the ops team");
    db.cleanup().await;
}

async fn oauth2_map(
    id: portcullis::authn::oauth2::ProviderIdentity,
) -> Result<String, portcullis::Problem> {
    Ok(id.provider)
}

/// A provider on 127.0.0.1: `/token` refuses every code, `/token-ok` grants one, `/userinfo`
/// fails.
async fn oauth2_mock() -> String {
    use axum::routing::{get, post};
    let app = axum::Router::new()
        .route(
            "/token",
            post(|| async {
                (
                    http::StatusCode::BAD_REQUEST,
                    [(header::CONTENT_TYPE, "application/json")],
                    r#"{"error":"invalid_grant"}"#,
                )
            }),
        )
        .route(
            "/token-ok",
            post(|| async {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    r#"{"access_token":"provider-access-secret","token_type":"bearer"}"#,
                )
            }),
        )
        .route(
            "/userinfo",
            get(|| async { http::StatusCode::INTERNAL_SERVER_ERROR }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

fn oauth2_client(base: &str, token_path: &str) -> portcullis::authn::oauth2::OAuth2Client {
    portcullis::authn::oauth2::OAuth2Client::new(oauth2_config(base, token_path)).expect("client")
}

fn oauth2_config(base: &str, token_path: &str) -> portcullis::authn::oauth2::ProviderConfig {
    portcullis::authn::oauth2::ProviderConfig::new("mock")
        .client_id("client-1")
        .client_secret("client-secret-value")
        .auth_url(format!("{base}/authorize"))
        .token_url(format!("{base}{token_path}"))
        .redirect_url("http://127.0.0.1/callback")
        .userinfo_url(format!("{base}/userinfo"))
        .cookie_key([42u8; 32])
        .allow_insecure_http()
}

/// Starts a sign-in: (cookie header, state).
fn oauth2_begin(client: &portcullis::authn::oauth2::OAuth2Client) -> (http::HeaderMap, String) {
    let auth = client.authorize().expect("authorize");
    let cookie = auth
        .set_cookie
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let state = auth
        .url
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("state="))
        .expect("state in the URL")
        .to_owned();
    let mut headers = http::HeaderMap::new();
    headers.insert(header::COOKIE, cookie.parse().unwrap());
    (headers, state)
}

#[tokio::test]
async fn oauth2_callback_rejections_warn() {
    use portcullis::authn::oauth2::CallbackQuery;
    let base = oauth2_mock().await;
    let (logs, _g) = Logs::start();
    let client = oauth2_client(&base, "/token");
    logs.expect_warn(AUTHN, "plain_http");
    let (headers, _state) = oauth2_begin(&client);
    let wrong = CallbackQuery {
        code: Some("code-1".into()),
        state: Some("not-the-state".into()),
        error: None,
    };
    assert_eq!(
        client
            .callback(&headers, &wrong, &oauth2_map)
            .await
            .unwrap_err()
            .status(),
        400
    );
    logs.expect_warn(AUTHN, "state_mismatch");
    let denied = CallbackQuery {
        code: None,
        state: None,
        error: Some("access_denied".into()),
    };
    assert_eq!(
        client
            .callback(&headers, &denied, &oauth2_map)
            .await
            .unwrap_err()
            .status(),
        401
    );
    logs.expect_warn(AUTHN, "provider_error");
    let cookie = headers[header::COOKIE].to_str().unwrap().to_owned();
    let cookie_value = cookie.split_once('=').map(|(_, v)| v).unwrap_or_default();
    logs.assert_no_secret(&[cookie_value, "client-secret-value"]);
}

#[tokio::test]
async fn oauth2_replay_cache_full_warns() {
    use portcullis::authn::oauth2::{CallbackQuery, OAuth2Client};
    let base = oauth2_mock().await;
    let (logs, _g) = Logs::start();
    let client =
        OAuth2Client::new(oauth2_config(&base, "/token").replay_cache_capacity(1)).expect("client");
    // The first sign-in takes the only slot (its token call then fails: that is not the point);
    // the second finds the cache full of a state that is still valid.
    let mut statuses = Vec::new();
    for _ in 0..2 {
        let (headers, state) = oauth2_begin(&client);
        let q = CallbackQuery {
            code: Some("code-1".into()),
            state: Some(state),
            error: None,
        };
        statuses.push(
            client
                .callback(&headers, &q, &oauth2_map)
                .await
                .unwrap_err()
                .status(),
        );
    }
    assert_eq!(statuses[1], 503, "{statuses:?}");
    logs.expect_warn(AUTHN, "replay_cache_full");
    logs.assert_no_secret(&["client-secret-value"]);
}

#[tokio::test]
async fn cross_site_requests_warn() {
    use portcullis::http::SameOrigin;
    let (logs, _g) = Logs::start();
    let app = axum::Router::new().route(
        "/auth/session",
        axum::routing::post(|_: SameOrigin| async { "ok" }),
    );
    let req = Request::post("/auth/session")
        .header(header::HOST, "api.example")
        .header(header::ORIGIN, "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.oneshot(req).await.unwrap().status(), 403);
    let events = logs.expect_warn("portcullis::http", "cross_site");
    assert!(
        events
            .iter()
            .any(|e| e.field("path") == Some("/auth/session")),
        "{events:#?}"
    );
}

/// `authn::oidc` logs every refusal through one `warn` with a computed reason; its ID-token
/// and callback reasons are each checked by `tests/tests/example_oidc.rs`. Here: the start-up
/// warning, and a provider that is down or answers with something unusable.
#[tokio::test]
async fn oidc_provider_failures_warn() {
    use portcullis::authn::oidc::{OidcClient, OidcConfig};
    let base = oauth2_mock().await;
    let (logs, _g) = Logs::start();
    let client = |issuer: &str| {
        OidcClient::new(
            OidcConfig::new("mock")
                .issuer(issuer)
                .client_id("test")
                .client_secret("client-secret-value")
                .redirect_url("http://127.0.0.1:3000/cb")
                .cookie_key([7u8; 32])
                .allow_insecure_http(),
        )
        .expect("client")
    };
    let down = client("http://127.0.0.1:1");
    logs.expect_warn(AUTHN, "plain_http");
    assert_eq!(down.discover().await.unwrap_err().status(), 503);
    logs.expect_warn(AUTHN, "provider_unreachable");
    // The OAuth2 mock has no discovery document: a 404 is an unusable answer.
    let not_oidc = client(&base);
    assert_eq!(not_oidc.authorize().await.unwrap_err().status(), 502);
    logs.expect_warn(AUTHN, "provider_document_invalid");
    logs.assert_no_secret(&["client-secret-value"]);
}

#[tokio::test]
async fn oauth2_provider_failures_warn() {
    use portcullis::authn::oauth2::CallbackQuery;
    let base = oauth2_mock().await;
    let (logs, _g) = Logs::start();
    let mut secrets = vec![
        "client-secret-value".to_owned(),
        "provider-access-secret".to_owned(),
    ];
    for (client, reason, status) in [
        (oauth2_client(&base, "/token"), "token_rejected", 401),
        (
            oauth2_client("http://127.0.0.1:1", "/token"),
            "token_exchange_failed",
            502,
        ),
        (oauth2_client(&base, "/token-ok"), "userinfo_failed", 502),
    ] {
        let (headers, state) = oauth2_begin(&client);
        let q = CallbackQuery {
            code: Some("code-secret-1".into()),
            state: Some(state.clone()),
            error: None,
        };
        let err = client
            .callback(&headers, &q, &oauth2_map)
            .await
            .unwrap_err();
        assert_eq!(err.status(), status, "{reason}");
        logs.expect_warn(AUTHN, reason);
        let cookie = headers[header::COOKIE].to_str().unwrap().to_owned();
        secrets.push(
            cookie
                .split_once('=')
                .map(|(_, v)| v.to_owned())
                .unwrap_or_default(),
        );
    }
    secrets.push("code-secret-1".to_owned());
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    logs.assert_no_secret(&secrets);
}
