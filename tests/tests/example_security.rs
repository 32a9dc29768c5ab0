//! The security suite of the example API, over HTTP: the cross-tenant matrix (every data route
//! × every kind of caller × every kind of resource, with the expected status of each cell),
//! writes racing a change of scope (TOCTOU), the JWT attack corpus replayed against a real
//! route, and the per-account login defence. SQLite always; PostgreSQL and Redis too with
//! `PORTCULLIS_TEST_SERVICES=1`. Login timing has a test binary of its own
//! (`example_login_timing.rs`) so that no other test shares the CPU while it measures.

mod example_app;
#[path = "../../runtime/tests/jwt_corpus/mod.rs"]
mod jwt_corpus;

use diesel_async::{AsyncConnection, SimpleAsyncConnection};
use example_app::{PG_URL, Res, TestApp, backends, backends_with, request};
use portcullis_example::{DEMO_PASSWORD, KeySource, TOKEN_AUDIENCE, TOKEN_ISSUER, store};
use serde_json::{Value, json};
use std::time::Duration;

/// The seeded documents the matrix and the races use, restored before every write so that
/// each cell starts from the same rows: 1 alice's and 2 amir's (acme), 3 alice's archived
/// (acme), 4 bob's (globex).
const RESET: &str = "
DELETE FROM comments;
DELETE FROM documents WHERE id IN (1, 2, 3, 4);
INSERT INTO documents (id, tenant_id, owner_id, title, body, archived, internal_notes) VALUES
  (1, 1, 1, 'Acme roadmap', 'Ship the anvil v2.', FALSE, 'budget: confidential'),
  (2, 1, 2, 'Acme onboarding', 'Welcome to Acme.', FALSE, NULL),
  (3, 1, 1, 'Acme 2023 retro', 'What went well.', TRUE, 'old notes'),
  (4, 2, 3, 'Globex plan', 'World domination, phase 1.', FALSE, 'do not share');
";

/// Text that exists only in columns no response may carry.
const SECRETS: [&str; 8] = [
    "budget: confidential",
    "old notes",
    "do not share",
    "internalNotes",
    "internal_notes",
    "passwordHash",
    "password_hash",
    "$argon2",
];

/// The callers of the matrix. `member of A` is carl, an acme member who owns nothing; `owner
/// in A` is alice (documents 1 and 3); bob, the globex member, owns document 4.
const ACTORS: [(&str, Option<&str>, i64); 6] = [
    ("anonymous", None, 0),
    ("member of A", Some("carl@acme.test"), 1),
    ("owner in A", Some("alice@acme.test"), 1),
    ("admin of A", Some("amir@acme.test"), 1),
    ("member of B", Some("bob@globex.test"), 2),
    ("admin of B", Some("bea@globex.test"), 2),
];

/// The resources: (name, document id).
const RESOURCES: [(&str, i64); 4] = [
    ("doc of A", 1),
    ("doc of B", 4),
    ("archived doc of A", 3),
    ("missing", 999),
];

/// Routes that name a document: method, path, body, and per actor (rows, in `ACTORS` order)
/// the status for each resource (columns, in `RESOURCES` order). Another tenant's document is
/// 403 (it is outside the caller's scope; `Bind` without `conceal`), never 2xx.
type Cells = [[u16; 4]; 6];
const RESOURCE_ROUTES: [(&str, &str, Option<&str>, Cells); 6] = [
    (
        "GET",
        "/docs/{id}",
        None,
        [
            [401, 401, 401, 401],
            [200, 403, 200, 404],
            [200, 403, 200, 404],
            [200, 403, 200, 404],
            [403, 200, 403, 404],
            [403, 200, 403, 404],
        ],
    ),
    (
        // Only owners and the tenant's admins edit; nobody edits an archived document.
        "PATCH",
        "/docs/{id}",
        Some(r#"{"title":"matrix"}"#),
        [
            [401, 401, 401, 401],
            [403, 403, 403, 404],
            [200, 403, 403, 404],
            [200, 403, 403, 404],
            [403, 200, 403, 404],
            [403, 200, 403, 404],
        ],
    ),
    (
        "DELETE",
        "/docs/{id}",
        None,
        [
            [401, 401, 401, 401],
            [403, 403, 403, 404],
            [204, 403, 204, 404],
            [204, 403, 204, 404],
            [403, 204, 403, 404],
            [403, 204, 403, 404],
        ],
    ),
    (
        // The custom action: owners and admins, and never twice.
        "POST",
        "/docs/{id}/archive",
        None,
        [
            [401, 401, 401, 401],
            [403, 403, 403, 404],
            [200, 403, 403, 404],
            [200, 403, 403, 404],
            [403, 200, 403, 404],
            [403, 200, 403, 404],
        ],
    ),
    (
        "GET",
        "/docs/{id}/comments",
        None,
        [
            [401, 401, 401, 401],
            [200, 403, 200, 404],
            [200, 403, 200, 404],
            [200, 403, 200, 404],
            [403, 200, 403, 404],
            [403, 200, 403, 404],
        ],
    ),
    (
        // Anyone who can read the document may comment on it.
        "POST",
        "/docs/{id}/comments",
        Some(r#"{"body":"matrix"}"#),
        [
            [401, 401, 401, 401],
            [201, 403, 201, 404],
            [201, 403, 201, 404],
            [201, 403, 201, 404],
            [403, 201, 403, 404],
            [403, 201, 403, 404],
        ],
    ),
];

/// Routes that name no document: method, path, body, status per actor.
const COLLECTION_ROUTES: [(&str, &str, Option<&str>, [u16; 6]); 6] = [
    ("GET", "/docs", None, [401, 200, 200, 200, 200, 200]),
    (
        "POST",
        "/docs",
        Some(r#"{"title":"matrix","body":"text"}"#),
        [401, 201, 201, 201, 201, 201],
    ),
    ("GET", "/me", None, [401, 200, 200, 200, 200, 200]),
    ("GET", "/admin/users", None, [401, 403, 403, 200, 403, 200]),
    ("GET", "/health", None, [200; 6]),
    ("GET", "/.well-known/jwks.json", None, [200; 6]),
];

/// The JSON names each kind of object may carry (its `#[expose]` fields).
const DOCUMENT_KEYS: [&str; 7] = [
    "id", "tenantId", "ownerId", "title", "body", "archived", "_can",
];
/// A document's `"_can"` object: exactly these answers, each a bool.
const CAPABILITY_KEYS: [&str; 3] = ["update", "archive", "delete"];
const COMMENT_KEYS: [&str; 4] = ["id", "documentId", "authorId", "body"];
const ACCOUNT_KEYS: [&str; 4] = ["id", "tenantId", "email", "role"];

/// Every way `res` could leak, as text; empty when it does not.
fn leaks(res: &Res, tenant: i64, other_tenant_titles: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for secret in SECRETS {
        if res.body.contains(secret) {
            found.push(format!("carries {secret:?}"));
        }
    }
    for title in other_tenant_titles {
        if res.body.contains(title) {
            found.push(format!("carries another tenant's {title:?}"));
        }
    }
    if !res.status.is_success() {
        let ct = res.headers.get(http::header::CONTENT_TYPE);
        if ct.is_none_or(|v| v != "application/problem+json") {
            found.push(format!("error without problem+json: {ct:?}"));
        }
        return found;
    }
    let json = res.json();
    let mut objects = Vec::new();
    collect_objects(&json, &mut objects);
    for obj in objects {
        let (kind, allowed): (&str, &[&str]) = if obj.contains_key("email") {
            ("account", &ACCOUNT_KEYS)
        } else if obj.contains_key("documentId") {
            ("comment", &COMMENT_KEYS)
        } else if obj.contains_key("title") {
            ("document", &DOCUMENT_KEYS)
        } else {
            continue;
        };
        for key in obj.keys() {
            if !allowed.contains(&key.as_str()) {
                found.push(format!("{kind} field {key:?} is not exposed"));
            }
        }
        if let Some(can) = obj.get("_can") {
            let well_formed = can.as_object().is_some_and(|c| {
                c.len() == CAPABILITY_KEYS.len()
                    && CAPABILITY_KEYS
                        .iter()
                        .all(|k| c.get(*k).is_some_and(Value::is_boolean))
            });
            if !well_formed {
                found.push(format!("{kind} capabilities malformed: {can}"));
            }
        }
        if let Some(t) = obj.get("tenantId").and_then(Value::as_i64)
            && t != tenant
        {
            found.push(format!("{kind} of tenant {t}"));
        }
    }
    found
}

fn collect_objects<'a>(v: &'a Value, out: &mut Vec<&'a serde_json::Map<String, Value>>) {
    match v {
        Value::Object(map) => {
            out.push(map);
            map.values().for_each(|v| collect_objects(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_objects(v, out)),
        _ => {}
    }
}

/// Adds carl, a member of acme (tenant 1) who owns nothing.
async fn add_member(t: &TestApp) {
    let hash = t.state.hasher.hash(DEMO_PASSWORD).await.expect("argon2");
    store::insert_user(&t.example_pool, 1, "carl@acme.test", &hash, "member")
        .await
        .expect("insert carl")
        .expect("carl is new");
}

#[tokio::test]
async fn cross_tenant_matrix_has_no_leaks() {
    for t in backends("matrix").await {
        add_member(&t).await;
        t.example_pool
            .unscoped("test fixture")
            .batch_execute(RESET)
            .await
            .unwrap();
        let mut tokens = Vec::new();
        for (_, email, _) in ACTORS {
            tokens.push(match email {
                Some(email) => Some(t.login(email).await.0),
                None => None,
            });
        }
        let titles_of = |tenant: i64| -> Vec<&'static str> {
            match tenant {
                1 => vec!["Globex plan"],
                2 => vec!["Acme roadmap", "Acme onboarding", "Acme 2023 retro"],
                _ => vec![],
            }
        };
        let mut failures = Vec::new();
        let mut cells = 0;
        for (method, path, body, expected) in RESOURCE_ROUTES {
            for (a, (actor, _, tenant)) in ACTORS.iter().enumerate() {
                for (r, (resource, id)) in RESOURCES.iter().enumerate() {
                    if method != "GET" {
                        t.example_pool
                            .unscoped("test fixture")
                            .batch_execute(RESET)
                            .await
                            .unwrap();
                    }
                    let uri = path.replace("{id}", &id.to_string());
                    let res = t.call(method, &uri, tokens[a].as_deref(), body).await;
                    cells += 1;
                    let want = expected[a][r];
                    if res.status != want {
                        failures.push(format!(
                            "{method} {uri} as {actor} on {resource}: expected {want}, got {} {}",
                            res.status, res.body
                        ));
                    }
                    // Errors must not echo the document either.
                    let mut foreign = titles_of(*tenant);
                    if !res.status.is_success() && *id != 999 {
                        foreign.extend(["Acme roadmap", "Globex plan", "Acme 2023 retro"]);
                    }
                    for leak in leaks(&res, *tenant, &foreign) {
                        failures.push(format!("{method} {uri} as {actor}: {leak}"));
                    }
                }
            }
        }
        t.example_pool
            .unscoped("test fixture")
            .batch_execute(RESET)
            .await
            .unwrap();
        for (method, uri, body, expected) in COLLECTION_ROUTES {
            for (a, (actor, _, tenant)) in ACTORS.iter().enumerate() {
                let res = t.call(method, uri, tokens[a].as_deref(), body).await;
                cells += 1;
                if res.status != expected[a] {
                    failures.push(format!(
                        "{method} {uri} as {actor}: expected {}, got {} {}",
                        expected[a], res.status, res.body
                    ));
                }
                for leak in leaks(&res, *tenant, &titles_of(*tenant)) {
                    failures.push(format!("{method} {uri} as {actor}: {leak}"));
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{}: {} of {cells} cells wrong:\n{}",
            t.backend,
            failures.len(),
            failures.join("\n")
        );
        assert_eq!(cells, 6 * 6 * 4 + 6 * 6);
        t.finish().await;
    }
}

/// Another client of the example's database: its own connection, outside the app's pool.
enum Client {
    Sqlite(diesel_async::sync_connection_wrapper::SyncConnectionWrapper<diesel::SqliteConnection>),
    Postgres(Box<diesel_async::AsyncPgConnection>),
}

impl Client {
    async fn connect(t: &TestApp) -> Client {
        let mut client = match &t.config.schema {
            Some(_) => Client::Postgres(Box::new(
                diesel_async::AsyncPgConnection::establish(PG_URL)
                    .await
                    .expect("PostgreSQL"),
            )),
            None => Client::Sqlite(
                diesel_async::sync_connection_wrapper::SyncConnectionWrapper::establish(
                    &t.config.database_url,
                )
                .await
                .expect("SQLite"),
            ),
        };
        let setup = match &t.config.schema {
            Some(schema) => format!("SET search_path TO \"{schema}\""),
            None => "PRAGMA busy_timeout = 5000".to_owned(),
        };
        client.execute(&setup).await;
        client
    }

    async fn execute(&mut self, sql: &str) {
        match self {
            Client::Sqlite(c) => c.batch_execute(sql).await,
            Client::Postgres(c) => c.batch_execute(sql).await,
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Opens a transaction that makes `change` and holds its locks (row locks on PostgreSQL,
    /// the write lock on SQLite) until `COMMIT`.
    async fn hold(&mut self, change: &str) {
        let begin = match self {
            Client::Sqlite(_) => "BEGIN IMMEDIATE",
            Client::Postgres(_) => "BEGIN",
        };
        self.execute(&format!("{begin}; {change}")).await;
    }

    /// How many rows `select` yields.
    async fn count(&mut self, select: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let q = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM ({select}) AS q"));
        let counted: Count = match self {
            Client::Sqlite(c) => diesel_async::RunQueryDsl::get_result(q, c).await,
            Client::Postgres(c) => diesel_async::RunQueryDsl::get_result(q, &mut **c).await,
        }
        .unwrap_or_else(|e| panic!("{select}: {e}"));
        counted.n
    }
}

/// One write raced against a change of its row: who sends what, the change another client
/// holds meanwhile, and a query that finds the row as that change left it.
struct Race<'a> {
    token: &'a str,
    method: &'a str,
    uri: &'a str,
    body: Option<&'a str>,
    change: &'a str,
    unchanged: &'a str,
}

/// Sends `method uri` while another transaction holds `change` uncommitted, then commits it.
/// The request reads the row as it was (the change is not visible yet), passes its guard, and
/// its write waits for the lock; when it runs, the row has left the scope. Returns the
/// response, or `None` when the request had not reached its read before the commit (then the
/// race was not staged and the caller tries again with a longer wait).
async fn race(t: &TestApp, race: &Race<'_>, wait: Duration) -> Option<Res> {
    t.example_pool
        .unscoped("test fixture")
        .batch_execute(RESET)
        .await
        .unwrap();
    let mut held = Client::connect(t).await;
    held.hold(race.change).await;
    let (app, method, uri) = (t.app.clone(), race.method.to_owned(), race.uri.to_owned());
    let (token, body) = (race.token.to_owned(), race.body.map(str::to_owned));
    let sent = tokio::spawn(async move {
        request(
            app,
            &method,
            &uri,
            Some(&token),
            body.as_deref(),
            [203, 0, 113, 50],
            &[],
        )
        .await
    });
    tokio::time::sleep(wait).await;
    let finished_early = sent.is_finished();
    held.execute("COMMIT").await;
    let res = sent.await.unwrap();
    // Answered while the change was held: the request never waited for the row's lock.
    assert!(
        !finished_early,
        "{}: {} {} finished while the change was held: {} {}",
        t.backend, race.method, race.uri, res.status, res.body
    );
    // 403/404: the read ran after the commit and saw the moved row; not a staged race.
    (res.status == 409 || res.status.is_success()).then_some(res)
}

#[tokio::test]
async fn toctou_document_moved_out_of_scope_is_not_written() {
    for t in backends("toctou").await {
        let (alice, _) = t.login("alice@acme.test").await;
        let (amir, _) = t.login("amir@acme.test").await;
        let races = [
            Race {
                token: &alice,
                method: "PATCH",
                uri: "/docs/1",
                body: Some(r#"{"title":"late write"}"#),
                change: "UPDATE documents SET tenant_id = 2 WHERE id = 1",
                unchanged: "SELECT 1 FROM documents WHERE id = 1 AND title = 'Acme roadmap'",
            },
            Race {
                token: &amir,
                method: "POST",
                uri: "/docs/2/archive",
                body: None,
                change: "UPDATE documents SET tenant_id = 2 WHERE id = 2",
                unchanged: "SELECT 1 FROM documents WHERE id = 2 AND archived = FALSE",
            },
            Race {
                // alice may delete her own document; meanwhile it is handed to amir.
                token: &alice,
                method: "DELETE",
                uri: "/docs/1",
                body: None,
                change: "UPDATE documents SET owner_id = 2 WHERE id = 1",
                unchanged: "SELECT 1 FROM documents WHERE id = 1",
            },
        ];
        for r in &races {
            let mut staged = None;
            for wait_ms in [300, 1000, 2500] {
                staged = race(&t, r, Duration::from_millis(wait_ms)).await;
                if staged.is_some() {
                    break;
                }
            }
            let res = staged.unwrap_or_else(|| {
                panic!(
                    "{}: {} {}: the race was never staged",
                    t.backend, r.method, r.uri
                )
            });
            assert_eq!(
                res.status, 409,
                "{}: {} {} wrote a row that had left its scope: {}",
                t.backend, r.method, r.uri, res.body
            );
            assert_eq!(
                res.headers[http::header::CONTENT_TYPE],
                "application/problem+json"
            );
            // The row is as the other client left it: the late write did not land.
            let mut check = Client::connect(&t).await;
            assert_eq!(
                check.count(r.unchanged).await,
                1,
                "{}: {} {}: the row changed",
                t.backend,
                r.method,
                r.uri
            );
        }
        t.finish().await;
    }
}

#[tokio::test]
async fn jwt_attack_corpus_over_http() {
    let keys = KeySource::Pem(jwt_corpus::ED_A.to_owned());
    for t in backends_with("jwt", keys).await {
        let jwt = &t.state.jwt;
        let now = jwt_corpus::now();
        // alice's claims as the example signs them: she is user 1 of tenant 1.
        let claims = json!({
            "sub": "1", "tid": 1, "role": "member", "iat": now, "exp": now + 600,
            "iss": TOKEN_ISSUER, "aud": TOKEN_AUDIENCE, "jti": "corpus-control",
        });
        let control = jwt_corpus::sign_raw(
            &jwt_corpus::header(jwt, jsonwebtoken::Algorithm::EdDSA),
            &claims,
            &jwt_corpus::ed_key(jwt_corpus::ED_A),
        );
        let me = t.call("GET", "/me", Some(&control), None).await;
        assert_eq!(me.status, 200, "{}: control token: {}", t.backend, me.body);
        assert_eq!(me.json()["email"], "alice@acme.test");

        let corpus =
            jwt_corpus::attack_corpus(jwt, jwt_corpus::ED_A, jwt_corpus::ED_A_PUB, &claims);
        assert!(corpus.len() >= 40, "{}", corpus.len());
        let mut failures = Vec::new();
        let mut bodies = std::collections::BTreeSet::new();
        for (i, case) in corpus.iter().enumerate() {
            // A read and a write: neither may run on a refused token. Each case from another
            // client address: the route throttles count refused tokens per IP (before the
            // authenticator), and this test is about the refusal, not the throttle.
            let ip = [203, 0, 114, u8::try_from(i).expect("under 256 cases")];
            for (method, uri, body) in [
                ("GET", "/me", None),
                ("POST", "/docs", Some(r#"{"title":"forged","body":"x"}"#)),
            ] {
                let res = t.call_from(method, uri, Some(&case.token), body, ip).await;
                let challenge = res
                    .headers
                    .get(http::header::WWW_AUTHENTICATE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                let want = r#"Bearer error="invalid_token""#;
                if res.status != 401 || challenge != want {
                    failures.push(format!(
                        "{}: {method} {uri}: {} {challenge:?} {}",
                        case.name, res.status, res.body
                    ));
                }
                bodies.insert(res.body);
            }
        }
        assert!(
            failures.is_empty(),
            "{}:\n{}",
            t.backend,
            failures.join("\n")
        );
        // One body for every refusal: the reason class goes to the logs, not to the client.
        assert_eq!(bodies.len(), 1, "{}: {bodies:#?}", t.backend);
        let forged = t.call("GET", "/docs", Some(&control), None).await.json();
        assert!(
            !forged.to_string().contains("forged"),
            "{}: a refused token wrote",
            t.backend
        );

        // A token in the query string is not a credential (RFC 6750 2.3 is not supported).
        let res = t
            .call("GET", &format!("/me?access_token={control}"), None, None)
            .await;
        assert_eq!(res.status, 401);
        // The control token still works after the corpus (nothing was revoked or throttled).
        assert_eq!(t.call("GET", "/me", Some(&control), None).await.status, 200);
        t.finish().await;
    }
}

#[tokio::test]
async fn login_is_throttled_per_account() {
    for t in backends("login_account").await {
        let mut ip = 0u8;
        let mut attempt = |email: &str, password: &str| {
            ip += 1;
            let body = format!(r#"{{"email":"{email}","password":"{password}"}}"#);
            let app = t.app.clone();
            async move {
                request(
                    app,
                    "POST",
                    "/auth/login",
                    None,
                    Some(&body),
                    [198, 18, 7, ip],
                    &[],
                )
                .await
            }
        };
        // The same defence for an account that exists and one that does not: five failures,
        // each from another IP (so the per-IP route limit never applies), then 429.
        let mut refused = Vec::new();
        for email in ["alice@acme.test", "ghost@acme.test"] {
            for n in 0..5 {
                let res = attempt(email, "wrong password").await;
                assert_eq!(res.status, 401, "{}: {email} #{n}: {}", t.backend, res.body);
            }
            let res = attempt(email, "wrong password").await;
            assert_eq!(res.status, 429, "{}: {email}: {}", t.backend, res.body);
            assert!(res.headers.contains_key(http::header::RETRY_AFTER));
            refused.push(res.body);
            // While delayed, even the right password is refused (the check comes first) ...
            let res = attempt(email, DEMO_PASSWORD).await;
            assert_eq!(res.status, 429, "{}: {email}: {}", t.backend, res.body);
        }
        assert_eq!(refused[0], refused[1], "the throttle tells accounts apart");
        // ... and once the delay (1 s after the fifth failure) is over, it works and clears
        // the count: the next failure is an ordinary 401 again.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let res = attempt("alice@acme.test", DEMO_PASSWORD).await;
        assert_eq!(res.status, 200, "{}: {}", t.backend, res.body);
        let res = attempt("alice@acme.test", "wrong password").await;
        assert_eq!(res.status, 401, "{}", res.body);
        // Another account is not affected by alice's failures.
        let res = attempt("amir@acme.test", DEMO_PASSWORD).await;
        assert_eq!(res.status, 200, "{}", res.body);
        t.finish().await;
    }
}

#[tokio::test]
async fn client_ip_comes_from_trusted_proxies_only() {
    let (mut config, path) = example_app::config("proxies");
    config.trusted_proxies = vec!["10.9.0.0/16".to_owned()];
    let t = example_app::launch("sqlite", config, example_app::Cleanup::File(path)).await;
    let mut n = 0;
    let mut attempt = |peer: [u8; 4], forwarded_for: &str| {
        n += 1;
        // Another account each time, so only the per-IP limits (5/min) can answer 429.
        let body = format!(r#"{{"email":"nobody{n}@acme.test","password":"guess"}}"#);
        let (app, xff) = (t.app.clone(), forwarded_for.to_owned());
        async move {
            let extra = [("x-forwarded-for", xff.as_str())];
            request(app, "POST", "/auth/login", None, Some(&body), peer, &extra)
                .await
                .status
        }
    };
    // Behind the trusted proxy, each forwarded client has a budget of its own ...
    let proxy = [10, 9, 0, 1];
    for _ in 0..5 {
        assert_eq!(attempt(proxy, "198.51.100.20").await, 401);
    }
    assert_eq!(attempt(proxy, "198.51.100.20").await, 429);
    assert_eq!(attempt(proxy, "198.51.100.21").await, 401);
    // ... while a client that is not a proxy cannot buy fresh budgets by forging the header.
    let direct = [192, 0, 2, 9];
    for i in 0..5 {
        assert_eq!(attempt(direct, &format!("203.0.113.{i}")).await, 401);
    }
    assert_eq!(attempt(direct, "203.0.113.99").await, 429);

    // A malformed proxy list stops start-up, naming the setting.
    let (mut bad, _) = example_app::config("proxies_bad");
    bad.trusted_proxies = vec!["10.0.0.0/33".to_owned()];
    let err = portcullis_example::example(bad)
        .await
        .err()
        .expect("a bad proxy list is refused");
    assert!(
        err.to_string().contains("PORTCULLIS_TRUSTED_PROXIES"),
        "{err}"
    );
}

/// Fifty wrong-password logins for one account, sent at once from ten addresses: only the
/// account's free failures reach the password check; the rest answer 429. Before, the guard
/// only read the counts and a failure was recorded after the argon2 verify, so all fifty were
/// checked (N parallel guesses per window, bounded only by source addresses).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_guesses_for_one_account_are_bounded() {
    for t in backends("login_parallel").await {
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(50));
        let tasks: Vec<_> = (0..50u8)
            .map(|i| {
                let app = t.app.clone();
                let barrier = barrier.clone();
                tokio::spawn(async move {
                    barrier.wait().await;
                    request(
                        app,
                        "POST",
                        "/auth/login",
                        None,
                        Some(r#"{"email":"alice@acme.test","password":"parallel guess"}"#),
                        [198, 18, 9, 1 + i % 10],
                        &[],
                    )
                    .await
                    .status
                })
            })
            .collect();
        let mut statuses = Vec::new();
        for task in tasks {
            statuses.push(task.await.unwrap().as_u16());
        }
        let checked = statuses.iter().filter(|s| **s == 401).count();
        let delayed = statuses.iter().filter(|s| **s == 429).count();
        assert_eq!((checked, delayed), (5, 45), "{}: {statuses:?}", t.backend);
        t.finish().await;
    }
}
