//! The example served over real HTTP (`axum::serve` on 127.0.0.1:0, a `reqwest` client):
//! security headers on every status, `no-store` + `Vary` on authenticated responses, every
//! error as problem+json (axum's own 404/405/413 included), `Origin`/`Sec-Fetch-Site` checks on
//! cookie-authenticated unsafe requests and on the session login, and the `__Host-` session
//! cookie that refuses duplicates.

mod example_app;

use example_app::{TestApp, backends, start};
use http::{HeaderMap, StatusCode, header};
use portcullis_example::DEMO_PASSWORD;
use std::net::SocketAddr;

/// The example listening on a loopback port; the server task ends with the test's runtime.
struct Served {
    base: String,
    client: reqwest::Client,
}

async fn serve(t: &TestApp) -> Served {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = t
        .app
        .clone()
        .into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await });
    Served {
        base: format!("http://{addr}"),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    }
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Served {
    fn origin(&self) -> &str {
        &self.base
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.body(b);
        }
        let res = req.send().await.unwrap();
        Reply {
            status: res.status(),
            headers: res.headers().clone(),
            body: res.text().await.unwrap(),
        }
    }

    async fn json(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
        let mut all = vec![("content-type", "application/json")];
        all.extend_from_slice(headers);
        self.send(method, path, &all, Some(body.as_bytes().to_vec()))
            .await
    }

    /// A cookie session over HTTP: (the `name=value` pair to send back, the CSRF token, the
    /// whole `Set-Cookie`).
    async fn session(&self, email: &str) -> (String, String, String) {
        let creds = format!(r#"{{"email":"{email}","password":"{DEMO_PASSWORD}"}}"#);
        let res = self.json("POST", "/auth/session", &[], &creds).await;
        assert_eq!(res.status, 200, "{}", res.body);
        let set = res.headers[header::SET_COOKIE].to_str().unwrap().to_owned();
        let pair = set.split(';').next().unwrap().trim().to_owned();
        let csrf = serde_json::from_str::<serde_json::Value>(&res.body).unwrap()["csrfToken"]
            .as_str()
            .unwrap()
            .to_owned();
        (pair, csrf, set)
    }
}

fn assert_hardened(what: &str, r: &Reply) {
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
        ("content-security-policy", "frame-ancestors 'none'"),
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-resource-policy", "same-origin"),
    ] {
        assert_eq!(
            r.headers.get(name).and_then(|v| v.to_str().ok()),
            Some(value),
            "{what} ({}): {name}",
            r.status
        );
    }
    assert!(
        r.headers.get("strict-transport-security").is_none(),
        "{what}: HSTS is off unless configured (plain HTTP here)"
    );
}

fn assert_problem(what: &str, r: &Reply, status: u16) {
    assert_eq!(r.status, status, "{what}: {}", r.body);
    assert_eq!(
        r.headers
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap()),
        Some("application/problem+json"),
        "{what}: {}",
        r.body
    );
    let body: serde_json::Value = serde_json::from_str(&r.body)
        .unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {:?}", r.body));
    assert_eq!(body["status"], status, "{what}: {}", r.body);
    assert!(body["title"].is_string(), "{what}: {}", r.body);
}

fn vary_has(r: &Reply, token: &str) -> bool {
    r.headers
        .get_all(header::VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// Every status the example answers carries the hardening headers, and every error is a
/// problem: axum's own 404/405 (with `Allow`) and the 413 of the body limit included.
#[tokio::test]
async fn every_status_is_hardened_and_every_error_is_a_problem() {
    let t = start("hardened").await;
    let s = serve(&t).await;
    let (alice, _) = t.login("alice@acme.test").await;
    let bearer = format!("Bearer {alice}");
    let auth = [("authorization", bearer.as_str())];

    let ok = s.send("GET", "/health", &[], None).await;
    assert_eq!(ok.status, 200);
    assert_hardened("200", &ok);

    let unauthorized = s.send("GET", "/me", &[], None).await;
    assert_problem("401", &unauthorized, 401);
    assert_hardened("401", &unauthorized);

    let forbidden = s.send("GET", "/admin/users", &auth, None).await;
    assert_problem("403", &forbidden, 403);
    assert_hardened("403", &forbidden);

    let not_found = s.send("GET", "/no/such/route", &[], None).await;
    assert_problem("404", &not_found, 404);
    assert_hardened("404", &not_found);

    let wrong_method = s.send("PUT", "/health", &[], None).await;
    assert_problem("405", &wrong_method, 405);
    assert_hardened("405", &wrong_method);
    assert_eq!(wrong_method.headers[header::ALLOW], "GET,HEAD");

    // axum's default body limit is 2 MiB.
    let big = format!(r#"{{"title":"t","body":"{}"}}"#, "x".repeat(3 << 20));
    let too_large = s
        .send(
            "POST",
            "/docs",
            &[auth[0], ("content-type", "application/json")],
            Some(big.into_bytes()),
        )
        .await;
    assert_problem("413", &too_large, 413);
    assert_hardened("413", &too_large);

    let unsupported = s
        .send(
            "POST",
            "/docs",
            &[auth[0], ("content-type", "text/plain")],
            Some(b"{}".to_vec()),
        )
        .await;
    assert_problem("415", &unsupported, 415);
    assert_hardened("415", &unsupported);

    let unprocessable = s
        .json(
            "POST",
            "/docs",
            &auth,
            r#"{"title":"t","body":"b","tenantId":2}"#,
        )
        .await;
    assert!(
        unprocessable.status == 422 || unprocessable.status == 403,
        "{}",
        unprocessable.body
    );
    let unprocessable = s.json("POST", "/docs", &auth, r#"{"title":7}"#).await;
    assert_problem("422", &unprocessable, 422);
    assert_hardened("422", &unprocessable);

    let bad_json = s.json("POST", "/docs", &auth, r#"{"title":"#).await;
    assert_problem("400", &bad_json, 400);
    assert_hardened("400", &bad_json);

    let creds = r#"{"email":"nobody@acme.test","password":"guess"}"#;
    let mut last = None;
    for _ in 0..6 {
        last = Some(s.json("POST", "/auth/login", &[], creds).await);
    }
    let throttled = last.unwrap();
    assert_problem("429", &throttled, 429);
    assert_hardened("429", &throttled);
    assert!(throttled.headers.contains_key(header::RETRY_AFTER));
}

/// Responses to requests carrying credentials are not stored by shared or browser caches and
/// vary on the credentials; a handler's own `Cache-Control` and `Vary` survive.
#[tokio::test]
async fn authenticated_responses_are_no_store_and_vary_on_credentials() {
    for t in backends("no_store").await {
        let s = serve(&t).await;
        let (alice, _) = t.login("alice@acme.test").await;
        let bearer = format!("Bearer {alice}");
        for path in ["/me", "/docs", "/docs/1"] {
            let r = s
                .send("GET", path, &[("authorization", &bearer)], None)
                .await;
            assert_eq!(r.status, 200, "{path}: {}", r.body);
            assert_eq!(r.headers[header::CACHE_CONTROL], "no-store", "{path}");
            assert!(vary_has(&r, "authorization"), "{path}: {:?}", r.headers);
            assert!(vary_has(&r, "cookie"), "{path}: {:?}", r.headers);
        }
        let (cookie, _, _) = s.session("alice@acme.test").await;
        let r = s.send("GET", "/me", &[("cookie", &cookie)], None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
        assert!(vary_has(&r, "cookie"));
        t.finish().await;
    }
}

/// Login CSRF: a cross-site request to the session login or the registration is refused even
/// with a JSON content type (possible when CORS is misconfigured); a same-origin browser
/// request and a non-browser client (no `Origin`, no `Sec-Fetch-Site`) pass.
#[tokio::test]
async fn cross_site_login_and_registration_are_refused() {
    let t = start("login_csrf_http").await;
    let s = serve(&t).await;
    let creds = format!(r#"{{"email":"alice@acme.test","password":"{DEMO_PASSWORD}"}}"#);
    let signup = format!(
        r#"{{"email":"new@evil-signup.test","password":"{DEMO_PASSWORD} long enough","organization":"Evil"}}"#
    );
    for (path, body) in [("/auth/session", &creds), ("/auth/register", &signup)] {
        let form = s
            .send(
                "POST",
                path,
                &[
                    ("content-type", "text/plain"),
                    ("origin", "https://evil.example"),
                    ("sec-fetch-site", "cross-site"),
                ],
                Some(body.as_bytes().to_vec()),
            )
            .await;
        assert!(
            form.status == 403 || form.status == 415,
            "{path}: {}",
            form.body
        );
        assert_problem(path, &form, form.status.as_u16());
        assert!(form.headers.get(header::SET_COOKIE).is_none());
        for headers in [
            &[
                ("origin", "https://evil.example"),
                ("sec-fetch-site", "cross-site"),
            ][..],
            &[("origin", "https://evil.example")][..],
            &[("sec-fetch-site", "cross-site")][..],
            &[("origin", "null")][..],
        ] {
            let r = s.json("POST", path, headers, body).await;
            assert_problem(&format!("{path} {headers:?}"), &r, 403);
            assert!(r.headers.get(header::SET_COOKIE).is_none());
        }
    }
    // Same origin (a page served by this host) and non-browser clients pass. (Another app:
    // the refusals above used up this one's per-IP login limit, 5/min.)
    let t = start("login_csrf_http_ok").await;
    let s = serve(&t).await;
    let origin = s.origin().to_owned();
    let same = s
        .json(
            "POST",
            "/auth/session",
            &[("origin", &origin), ("sec-fetch-site", "same-origin")],
            &creds,
        )
        .await;
    assert_eq!(same.status, 200, "{}", same.body);
    let cli = s.json("POST", "/auth/session", &[], &creds).await;
    assert_eq!(cli.status, 200, "{}", cli.body);
}

/// CSRF on cookie sessions: with a valid cookie and CSRF token, an unsafe request from a
/// foreign origin is still refused (403); bearer-authenticated requests are not concerned.
#[tokio::test]
async fn cookie_authenticated_unsafe_requests_check_the_origin() {
    for t in backends("cookie_origin").await {
        let s = serve(&t).await;
        let (cookie, csrf, _) = s.session("alice@acme.test").await;
        let base = [("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str())];
        let doc = r#"{"title":"t","body":"b"}"#;
        for extra in [
            &[("origin", "https://evil.example")][..],
            &[("sec-fetch-site", "cross-site")][..],
            &[("sec-fetch-site", "same-site")][..],
            &[("origin", "http://127.0.0.1.evil.example")][..],
        ] {
            let mut headers = base.to_vec();
            headers.extend_from_slice(extra);
            let post = s.json("POST", "/docs", &headers, doc).await;
            assert_problem(&format!("POST {extra:?}"), &post, 403);
            let delete = s.send("DELETE", "/auth/session", &headers, None).await;
            assert_problem(&format!("DELETE {extra:?}"), &delete, 403);
        }
        // A cookie GET from another site is fine (reads are not state changes).
        let read = s
            .send(
                "GET",
                "/me",
                &[("cookie", &cookie), ("sec-fetch-site", "cross-site")],
                None,
            )
            .await;
        assert_eq!(read.status, 200, "{}", read.body);
        let origin = s.origin().to_owned();
        let mut same = base.to_vec();
        same.extend([
            ("origin", origin.as_str()),
            ("sec-fetch-site", "same-origin"),
        ]);
        let post = s.json("POST", "/docs", &same, doc).await;
        assert_eq!(post.status, 201, "{}", post.body);
        let out = s.send("DELETE", "/auth/session", &same, None).await;
        assert_eq!(out.status, 204, "{}", out.body);
        t.finish().await;
    }
}

/// The session cookie is `__Host-` prefixed (`Secure; Path=/`, no `Domain`), and a request
/// carrying the session cookie twice (a sibling subdomain or a plain-HTTP attacker planting a
/// second one) is refused instead of picking one.
#[tokio::test]
async fn the_session_cookie_is_host_prefixed_and_duplicates_are_refused() {
    for t in backends("dup_cookie").await {
        let s = serve(&t).await;
        let (pair, _, set) = s.session("alice@acme.test").await;
        let (name, value) = pair.split_once('=').unwrap();
        assert!(name.starts_with("__Host-"), "{set}");
        let attrs: Vec<String> = set
            .split(';')
            .skip(1)
            .map(|a| a.trim().to_ascii_lowercase())
            .collect();
        for a in ["secure", "path=/", "httponly", "samesite=lax"] {
            assert!(attrs.iter().any(|x| x == a), "{a} missing: {set}");
        }
        assert!(
            !attrs.iter().any(|x| x.starts_with("domain")),
            "no Domain: {set}"
        );
        let ok = s.send("GET", "/me", &[("cookie", &pair)], None).await;
        assert_eq!(ok.status, 200, "{}", ok.body);

        let (other, _, _) = s.session("bob@globex.test").await;
        let other_value = other.split_once('=').unwrap().1;
        for cookie in [
            format!("{name}={value}; {name}={other_value}"),
            format!("{name}={value}; {name}=planted-by-a-sibling-0123456789"),
            format!("{name}=planted-by-a-sibling-0123456789; {name}={value}"),
        ] {
            let r = s.send("GET", "/me", &[("cookie", &cookie)], None).await;
            assert_problem(&cookie, &r, 401);
        }
        // Two `Cookie` header fields count as well.
        let mut req = s.client.get(format!("{}/me", s.base));
        req = req
            .header("cookie", pair.as_str())
            .header("cookie", format!("{name}={other_value}"));
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 401);
        t.finish().await;
    }
}

#[derive(serde::Deserialize)]
struct Payload {
    n: i64,
}

#[portcullis::guarded(public)]
async fn echo(axum::Json(p): axum::Json<Payload>) -> String {
    p.n.to_string()
}

#[portcullis::guarded(public)]
async fn item(axum::extract::Path(id): axum::extract::Path<i64>) -> String {
    id.to_string()
}

/// A user's handlers taking axum's own extractors (`Json`, `Path`), no fallback: with the
/// hardening layer every rejection and axum's 404/405 are problems with the same status.
#[tokio::test]
async fn axum_rejections_of_user_handlers_become_problems() {
    use portcullis::routing::{get, post};
    let app = portcullis::Router::<()>::new()
        .route("/echo", post(echo))
        .route("/items/{id}", get(item))
        .layer(portcullis::http::Hardening::new())
        .build()
        .unwrap();
    assert!(
        app.posture()
            .to_string()
            .contains("layer: portcullis::http::hardening::Hardening"),
        "{}",
        app.posture()
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let s = Served {
        base,
        client: reqwest::Client::new(),
    };
    let ok = s.json("POST", "/echo", &[], r#"{"n":7}"#).await;
    assert_eq!((ok.status.as_u16(), ok.body.as_str()), (200, "7"));
    assert_hardened("200", &ok);
    let big = format!(r#"{{"n":1,"pad":"{}"}}"#, "x".repeat(3 << 20));
    for (what, r, status) in [
        (
            "bad JSON",
            s.json("POST", "/echo", &[], r#"{"n":"#).await,
            400,
        ),
        (
            "no content type",
            s.send("POST", "/echo", &[], Some(br#"{"n":7}"#.to_vec()))
                .await,
            415,
        ),
        (
            "wrong shape",
            s.json("POST", "/echo", &[], r#"{"n":"x"}"#).await,
            422,
        ),
        ("too large", s.json("POST", "/echo", &[], &big).await, 413),
        (
            "bad path",
            s.send("GET", "/items/abc", &[], None).await,
            400,
        ),
        ("unknown path", s.send("GET", "/nope", &[], None).await, 404),
        (
            "wrong method",
            s.send("DELETE", "/echo", &[], None).await,
            405,
        ),
    ] {
        assert_problem(what, &r, status);
        assert_hardened(what, &r);
        assert!(
            !r.body.contains("Failed to"),
            "{what}: axum's text leaked: {}",
            r.body
        );
    }
    let r = s.send("DELETE", "/echo", &[], None).await;
    assert_eq!(r.headers[header::ALLOW], "POST");
}
