//! In-memory throttling: exact allowance at the burst and refill boundaries, exact headers,
//! the trusted-proxy table, spec parsing, key eviction and the login guard.

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::routing::get;
use governor::clock::FakeRelativeClock;
use http::{HeaderMap, HeaderValue, Request, StatusCode};
use http_body_util::BodyExt;
use portcullis::throttle::{
    ForwardedHeader, Limiter, LoginGuard, LoginPolicy, MemoryLimiter, Per, Rate, RouteThrottle,
    ThrottleLayer, ThrottleSpec, TrustedProxies, key,
};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tower::ServiceExt;

fn rate(s: &str) -> Rate {
    s.parse().unwrap()
}

#[test]
fn burst_then_refill_exactly_at_the_emission_interval() {
    let clock = FakeRelativeClock::default();
    let l = MemoryLimiter::with_clock(rate("5/min burst 3"), 1000, clock.clone());
    for remaining in [2, 1, 0] {
        let d = l.check_now("k");
        assert!(d.allowed);
        assert_eq!(d.remaining, remaining);
        assert_eq!(d.limit, 3);
    }
    let d = l.check_now("k");
    assert!(!d.allowed);
    assert_eq!(d.retry_after, Some(Duration::from_secs(12)));
    assert_eq!(d.reset, Duration::from_secs(36));
    clock.advance(Duration::from_millis(11_999));
    assert!(!l.check_now("k").allowed, "one ms before the interval");
    clock.advance(Duration::from_millis(1));
    let d = l.check_now("k");
    assert!(d.allowed, "exactly at the interval");
    assert_eq!(d.remaining, 0);
    assert!(!l.check_now("k").allowed);
    // other keys are independent
    assert!(l.check_now("other").allowed);
    // a full refill restores the whole burst
    clock.advance(Duration::from_secs(36));
    for _ in 0..3 {
        assert!(l.check_now("k").allowed);
    }
    assert!(!l.check_now("k").allowed);
}

#[test]
fn default_burst_equals_count() {
    let clock = FakeRelativeClock::default();
    let l = MemoryLimiter::with_clock(rate("100/s"), 1000, clock.clone());
    for _ in 0..100 {
        assert!(l.check_now("k").allowed);
    }
    assert!(!l.check_now("k").allowed);
    clock.advance(Duration::from_millis(10));
    assert!(l.check_now("k").allowed);
    assert!(!l.check_now("k").allowed);
}

#[test]
fn key_count_stays_bounded_and_idle_keys_go_first() {
    let clock = FakeRelativeClock::default();
    let l = MemoryLimiter::with_clock(rate("1/s"), 64, clock.clone());
    for i in 0..10_000 {
        l.check_now(&format!("k{i}"));
    }
    assert!(l.len() <= 64 + 16, "held {} keys", l.len());
    // once idle, keys are dropped on the next insert into a full shard
    clock.advance(Duration::from_secs(2));
    for i in 0..10_000 {
        l.check_now(&format!("n{i}"));
    }
    assert!(l.len() <= 64 + 16);
}

#[test]
fn parse_table() {
    let ok = [
        ("5/min", 5, 60, 5, Per::User),
        ("100/s", 100, 1, 100, Per::User),
        ("1000/h", 1000, 3600, 1000, Per::User),
        ("5/min burst 10", 5, 60, 10, Per::User),
        ("5/min per ip", 5, 60, 5, Per::Ip),
        (" 60/min  burst 2 per route ", 60, 60, 2, Per::Route),
        ("1/d per user", 1, 86400, 1, Per::User),
    ];
    for (s, n, secs, burst, per) in ok {
        let spec = ThrottleSpec::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(spec.rate.count(), n, "{s}");
        assert_eq!(spec.rate.period(), Duration::from_secs(secs), "{s}");
        assert_eq!(spec.rate.burst(), burst, "{s}");
        assert_eq!(spec.per, per, "{s}");
    }
    for bad in [
        "",
        "5",
        "0/min",
        "5/week",
        "5/min per",
        "5/min per host",
        "5/min burst",
        "5/min burst 0",
        "-1/s",
        "5/min extra",
        "5/min per ip now",
        "99999999999/s",
    ] {
        let err = ThrottleSpec::parse(bad).unwrap_err().to_string();
        assert!(err.contains("expected `N/unit"), "{bad}: {err}");
    }
    assert!(
        "5/min per ip".parse::<Rate>().is_err(),
        "a bare rate has no `per`"
    );
    assert_eq!(
        ThrottleSpec::parse("5/min burst 10 per ip")
            .unwrap()
            .to_string(),
        "5/min burst 10 per ip"
    );
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.append(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    h
}

#[test]
fn trusted_proxy_table() {
    let ip = |s: &str| s.parse::<IpAddr>().unwrap();
    let xff = TrustedProxies::new(["10.0.0.0/8", "fd00::/8"]).unwrap();
    let fwd = xff.clone().header(ForwardedHeader::Forwarded);
    let none = TrustedProxies::none();
    type Case<'a> = (
        &'a TrustedProxies,
        &'a str,
        &'a [(&'a str, &'a str)],
        &'a str,
    );
    let cases: &[Case] = &[
        // spoofed header from an untrusted peer is ignored
        (
            &xff,
            "203.0.113.9",
            &[("x-forwarded-for", "1.1.1.1")],
            "203.0.113.9",
        ),
        (
            &none,
            "10.0.0.1",
            &[("x-forwarded-for", "1.1.1.1")],
            "10.0.0.1",
        ),
        // one trusted proxy
        (
            &xff,
            "10.0.0.1",
            &[("x-forwarded-for", "198.51.100.7")],
            "198.51.100.7",
        ),
        // chain: client spoofs a leftmost entry; rightmost untrusted hop wins
        (
            &xff,
            "10.0.0.1",
            &[("x-forwarded-for", "6.6.6.6, 198.51.100.7, 10.0.0.2")],
            "198.51.100.7",
        ),
        // several header lines form one list
        (
            &xff,
            "10.0.0.1",
            &[
                ("x-forwarded-for", "6.6.6.6"),
                ("x-forwarded-for", "198.51.100.7, 10.1.1.1"),
            ],
            "198.51.100.7",
        ),
        // all hops trusted: leftmost
        (
            &xff,
            "10.0.0.1",
            &[("x-forwarded-for", "10.9.9.9, 10.0.0.2")],
            "10.9.9.9",
        ),
        // trusted peer without header: the peer
        (&xff, "10.0.0.1", &[], "10.0.0.1"),
        // garbage hop stops at the last good address
        (
            &xff,
            "10.0.0.1",
            &[("x-forwarded-for", "198.51.100.7, nonsense")],
            "10.0.0.1",
        ),
        // IPv6 peer and hops, with port and brackets
        (
            &xff,
            "fd00::1",
            &[("x-forwarded-for", "2001:db8::5, [fd00::2]:443")],
            "2001:db8::5",
        ),
        // IPv4-mapped peer counts as IPv4
        (
            &xff,
            "::ffff:10.0.0.1",
            &[("x-forwarded-for", "198.51.100.7")],
            "198.51.100.7",
        ),
        // the header not configured is ignored
        (
            &xff,
            "10.0.0.1",
            &[("forwarded", "for=198.51.100.7")],
            "10.0.0.1",
        ),
        (
            &fwd,
            "10.0.0.1",
            &[("x-forwarded-for", "198.51.100.7")],
            "10.0.0.1",
        ),
        // RFC 7239
        (
            &fwd,
            "10.0.0.1",
            &[(
                "forwarded",
                r#"for=6.6.6.6, for="[2001:db8:cafe::17]:4711";proto=https, For=10.0.0.3"#,
            )],
            "2001:db8:cafe::17",
        ),
        (
            &fwd,
            "10.0.0.1",
            &[("forwarded", "proto=https;for=198.51.100.7;by=10.0.0.1")],
            "198.51.100.7",
        ),
    ];
    for (proxies, peer, hs, want) in cases {
        assert_eq!(
            proxies.client_ip(ip(peer), &headers(hs)),
            ip(want),
            "peer {peer} headers {hs:?}"
        );
    }
    for bad in ["10.0.0.0/33", "nonsense", "::/129", ""] {
        assert!(TrustedProxies::new([bad]).is_err(), "{bad}");
    }
}

fn app(limiter: impl Limiter) -> Router {
    Router::new()
        .route("/", get(|| async { "ok" }))
        .layer(ThrottleLayer::new(
            limiter,
            key::ClientIp::new(TrustedProxies::none()),
        ))
}

fn req_from(ip: &str) -> Request<Body> {
    let mut r = Request::new(Body::empty());
    let addr: SocketAddr = format!("{ip}:5000").parse().unwrap();
    r.extensions_mut().insert(ConnectInfo(addr));
    r
}

#[tokio::test]
async fn layer_sets_headers_on_success_and_429() {
    let clock = FakeRelativeClock::default();
    let app = app(MemoryLimiter::with_clock(rate("2/min"), 100, clock.clone()));
    let res = app.clone().oneshot(req_from("192.0.2.1")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["ratelimit-limit"], "2");
    assert_eq!(res.headers()["ratelimit-remaining"], "1");
    assert_eq!(res.headers()["ratelimit-reset"], "30");
    assert!(res.headers().get("retry-after").is_none());
    let res = app.clone().oneshot(req_from("192.0.2.1")).await.unwrap();
    assert_eq!(res.headers()["ratelimit-remaining"], "0");
    assert_eq!(res.headers()["ratelimit-reset"], "60");
    let res = app.clone().oneshot(req_from("192.0.2.1")).await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "application/problem+json");
    assert_eq!(h["retry-after"], "30");
    assert_eq!(h["ratelimit-limit"], "2");
    assert_eq!(h["ratelimit-remaining"], "0");
    assert_eq!(h["ratelimit-reset"], "60");
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        std::str::from_utf8(&body).unwrap(),
        r#"{"type":"about:blank","title":"Too Many Requests","status":429,"detail":"Too many requests; retry later."}"#
    );
    // another client is not affected; a spoofed X-Forwarded-For does not change the key
    let res = app.clone().oneshot(req_from("192.0.2.2")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let mut spoofed = req_from("192.0.2.1");
    spoofed
        .headers_mut()
        .insert("x-forwarded-for", HeaderValue::from_static("198.51.100.1"));
    assert_eq!(
        app.clone().oneshot(spoofed).await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    clock.advance(Duration::from_secs(30));
    assert_eq!(
        app.oneshot(req_from("192.0.2.1")).await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn requests_without_socket_address_share_one_budget() {
    let app = app(MemoryLimiter::new(rate("1/min")));
    assert_eq!(
        app.clone()
            .oneshot(Request::new(Body::empty()))
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let res = app.oneshot(Request::new(Body::empty())).await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn route_throttle_counts_per_user_ip_or_route() {
    let backend = portcullis::throttle::MemoryBackend::default();
    let parts = |ip: &str| req_from(ip).into_parts().0;
    let per_user = RouteThrottle::new(
        "1/min".parse().unwrap(),
        "/docs",
        &backend,
        TrustedProxies::none(),
    );
    assert!(
        per_user
            .check(&parts("192.0.2.1"), Some("u1"))
            .await
            .is_ok()
    );
    assert!(
        per_user
            .check(&parts("192.0.2.9"), Some("u1"))
            .await
            .is_err(),
        "same user, other IP"
    );
    assert!(
        per_user
            .check(&parts("192.0.2.1"), Some("u2"))
            .await
            .is_ok(),
        "other user, same IP"
    );
    assert!(
        per_user.check(&parts("192.0.2.1"), None).await.is_ok(),
        "anonymous counts per IP"
    );
    assert!(per_user.check(&parts("192.0.2.1"), None).await.is_err());

    let per_ip = RouteThrottle::new(
        "1/min per ip".parse().unwrap(),
        "/login",
        &backend,
        TrustedProxies::none(),
    );
    assert!(per_ip.check(&parts("192.0.2.1"), Some("u1")).await.is_ok());
    let p = per_ip
        .check(&parts("192.0.2.1"), Some("u2"))
        .await
        .unwrap_err();
    assert_eq!(p.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(p.headers()["retry-after"], "60");

    let per_route = RouteThrottle::new(
        "1/min per route".parse().unwrap(),
        "/x",
        &backend,
        TrustedProxies::none(),
    );
    assert!(per_route.check(&parts("192.0.2.1"), None).await.is_ok());
    assert!(
        per_route
            .check(&parts("192.0.2.2"), Some("u3"))
            .await
            .is_err()
    );
    assert_eq!(per_route.spec().to_string(), "1/min per route");
}

#[tokio::test]
async fn limiter_trait_object_works() {
    let l: Box<dyn Limiter> = Box::new(MemoryLimiter::new(rate("1/h")));
    assert_eq!(l.rate().count(), 1);
    assert!(l.check("a").await.unwrap().allowed);
    assert!(!l.check("a").await.unwrap().allowed);
    // overlong keys are cut, never stored whole
    let long = "x".repeat(10_000);
    assert!(l.check(&long).await.unwrap().allowed);
}

#[tokio::test]
async fn login_guard_grows_delay_and_hides_account_existence() {
    let policy = LoginPolicy {
        free_per_account: 2,
        free_per_ip: 3,
        base_delay: Duration::from_secs(10),
        ..LoginPolicy::default()
    };
    let g = LoginGuard::new(policy);
    let ip: IpAddr = "192.0.2.1".parse().unwrap();
    let other: IpAddr = "192.0.2.2".parse().unwrap();
    // "ghost" does not exist, "alice" does: the guard sees only names, answers alike
    for (name, other) in [("alice", other), ("ghost", "192.0.2.3".parse().unwrap())] {
        assert!(g.check(name, other).is_ok());
        g.record_failure(name, other);
        assert!(g.check(name, other).is_ok());
        g.record_failure(name, other);
        let p = g.check(name, other).unwrap_err();
        assert_eq!(p.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(p.headers()["retry-after"], "10", "{name}");
        g.record_failure(name, other);
        assert_eq!(
            g.check(name, other).unwrap_err().headers()["retry-after"],
            "20",
            "{name}: doubles"
        );
    }
    // the account is delayed from any IP, case and spaces folded
    assert!(g.check(" ALICE", ip).is_err());
    // the IP that failed 3 times is delayed for every account
    assert!(g.check("bob", other).is_err());
    // success clears the account (not the IP)
    g.record_success("alice", ip);
    assert!(g.check("alice", ip).is_ok());
    assert!(g.check("alice", other).is_err(), "the IP count stays");
    // attempt() records outcomes
    let r = g
        .attempt("carol", ip, async { Err::<(), _>("bad password") })
        .await
        .unwrap();
    assert!(r.is_err());
    let r = g
        .attempt("carol", ip, async { Ok::<_, ()>(7) })
        .await
        .unwrap();
    assert_eq!(r, Ok(7));
}

#[test]
fn login_guard_memory_is_bounded() {
    let g = LoginGuard::new(LoginPolicy {
        max_keys: 100,
        ..LoginPolicy::default()
    });
    let ip: IpAddr = "192.0.2.1".parse().unwrap();
    for i in 0..5_000 {
        g.record_failure(&format!("user{i}"), ip);
    }
    assert!(g.len() <= 100, "held {}", g.len());
    // the most recent account is still counted
    g.record_failure("user4999", ip);
    g.record_failure("user4999", ip);
    g.record_failure("user4999", ip);
    g.record_failure("user4999", ip);
    assert!(g.check("user4999", "192.0.2.77".parse().unwrap()).is_err());
}

#[tokio::test]
async fn prefixes_and_combined_keys_separate_budgets() {
    let shared = std::sync::Arc::new(MemoryLimiter::new(rate("1/h")));
    let ip = || key::ClientIp::new(TrustedProxies::none());
    let a = Router::new()
        .route("/", get(|| async { "a" }))
        .layer(ThrottleLayer::new(shared.clone(), (ip(), key::Route::new("/a"))).key_prefix("a:"));
    let b = Router::new()
        .route("/", get(|| async { "b" }))
        .layer(ThrottleLayer::new(shared.clone(), (ip(), key::Route::new("/b"))).key_prefix("b:"));
    assert_eq!(
        a.clone()
            .oneshot(req_from("192.0.2.1"))
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        b.clone()
            .oneshot(req_from("192.0.2.1"))
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        a.oneshot(req_from("192.0.2.1")).await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        b.oneshot(req_from("192.0.2.1")).await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(shared.len(), 2);
}

#[tokio::test]
async fn principal_key_falls_back_to_trusted_client_ip() {
    #[derive(Clone)]
    struct User(&'static str);
    let proxies = TrustedProxies::new(["10.0.0.0/8"]).unwrap();
    let app = Router::new().route("/", get(|| async { "ok" })).layer(
        ThrottleLayer::new(
            MemoryLimiter::new(rate("1/h")),
            key::ByPrincipal::new(|p: &http::request::Parts| {
                p.extensions.get::<User>().map(|u| u.0.to_owned())
            }),
        )
        .fallback_ip(key::ClientIp::new(proxies)),
    );
    let via_proxy = |client: &'static str| {
        let mut r = req_from("10.0.0.1");
        r.headers_mut()
            .insert("x-forwarded-for", HeaderValue::from_static(client));
        r
    };
    assert_eq!(
        app.clone()
            .oneshot(via_proxy("198.51.100.1"))
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.clone()
            .oneshot(via_proxy("198.51.100.2"))
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.clone()
            .oneshot(via_proxy("198.51.100.1"))
            .await
            .unwrap()
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    let mut authed = via_proxy("198.51.100.1");
    authed.extensions_mut().insert(User("u1"));
    assert_eq!(
        app.oneshot(authed).await.unwrap().status(),
        StatusCode::OK,
        "principal has its own budget"
    );
}

/// Per-IP limits count an IPv6 client per /64 (its 2^64 addresses are one subscriber's) and an
/// IPv4-mapped address as its IPv4 address. Before, each address was a new client, so rotating
/// through a /64 reset every per-IP limit and the login guard's per-IP count.
#[tokio::test]
async fn ipv6_clients_are_counted_per_network() {
    let v6 = |ip: &str| {
        let mut r = Request::new(Body::empty());
        let addr = SocketAddr::new(ip.parse().unwrap(), 5000);
        r.extensions_mut().insert(ConnectInfo(addr));
        r
    };
    let clock = FakeRelativeClock::default();
    let limited = app(MemoryLimiter::with_clock(rate("2/min"), 100, clock));
    for ip in ["2001:db8:7:7::1", "2001:db8:7:7:ffff::2"] {
        let res = limited.clone().oneshot(v6(ip)).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{ip}");
    }
    let res = limited
        .clone()
        .oneshot(v6("2001:db8:7:7:1234:5678:9abc:def0"))
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "a third address of the same /64"
    );
    let res = limited
        .clone()
        .oneshot(v6("2001:db8:7:8::1"))
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "another /64 is another client"
    );

    // A narrower prefix when the deployment knows its clients get less than a /64.
    let proxies = TrustedProxies::none().ipv6_prefix(128);
    assert_ne!(
        proxies.client_key("2001:db8::1".parse().unwrap()),
        proxies.client_key("2001:db8::2".parse().unwrap())
    );
    assert_eq!(
        TrustedProxies::none().client_key("::ffff:192.0.2.7".parse().unwrap()),
        "192.0.2.7"
    );

    // The login guard's per-IP count too.
    let g = LoginGuard::new(LoginPolicy {
        free_per_ip: 2,
        free_per_account: 100,
        base_delay: Duration::from_secs(10),
        ..LoginPolicy::default()
    });
    for (i, ip) in ["2001:db8:9:9::1", "2001:db8:9:9::2"].iter().enumerate() {
        g.reserve(&format!("user{i}"), ip.parse().unwrap())
            .unwrap()
            .failed();
    }
    assert!(
        g.reserve("user9", "2001:db8:9:9:abcd::3".parse().unwrap())
            .is_err(),
        "a third address of the /64 shares the per-IP count"
    );
    assert!(
        g.reserve("user9", "2001:db8:9:a::3".parse().unwrap())
            .is_ok()
    );
}
