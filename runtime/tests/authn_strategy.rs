//! Strategies: bearer (RFC 6750 challenges, size limit, revocation), Basic, the chain, and the
//! conversion of rejections into problems.

use axum::response::IntoResponse;
use http::{Request, StatusCode, header};
use portcullis::Problem;
use portcullis::authn::jwt::{Claims, JwtService, TokenType};
use portcullis::authn::password::{PasswordConfig, PasswordHasher};
use portcullis::authn::revocation::{MemoryRevocationStore, RevocationStore};
use portcullis::authn::strategy::{Basic, BasicVerifier, Bearer, Challenge};
use portcullis::authn::{
    AuthRejection, Authenticator, BoxFuture, Chain, FailureReason, StoreError,
};
use std::sync::Arc;

const ED_A: &str = include_str!("fixtures/authn/ed25519_a.pem");

#[derive(Debug, PartialEq)]
struct User(String);

fn jwt() -> Arc<JwtService> {
    Arc::new(
        JwtService::builder()
            .private_key_pem(ED_A.as_bytes())
            .build()
            .unwrap(),
    )
}

fn bearer(jwt: Arc<JwtService>) -> Bearer<(), User> {
    Bearer::new(jwt, |c: Claims<()>| {
        if c.sub == "ghost" {
            Err(FailureReason::UnknownPrincipal)
        } else {
            Ok(User(c.sub))
        }
    })
}

fn parts(method: &str, headers: &[(&str, &str)]) -> http::request::Parts {
    let mut b = Request::builder().method(method).uri("/x");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(()).unwrap().into_parts().0
}

async fn run<A: Authenticator<User>>(
    a: &A,
    headers: &[(&str, &str)],
) -> Result<User, AuthRejection> {
    let mut p = parts("GET", headers);
    a.authenticate(&mut p).await
}

fn www(p: &Problem) -> String {
    p.headers()[header::WWW_AUTHENTICATE]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn bearer_accepts_a_valid_access_token() {
    let jwt = jwt();
    let t = jwt.sign("alice", ()).unwrap();
    let b = bearer(jwt);
    assert_eq!(
        run(&b, &[("authorization", &format!("Bearer {t}"))])
            .await
            .unwrap(),
        User("alice".into())
    );
    // The scheme is case-insensitive (RFC 9110 §11.1).
    assert!(
        run(&b, &[("authorization", &format!("bearer {t}"))])
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn missing_credentials_get_a_plain_bearer_challenge() {
    let b = bearer(jwt());
    let r = run(&b, &[]).await.unwrap_err();
    assert_eq!(r.reason, FailureReason::Missing);
    let p = Problem::from(r);
    assert_eq!(p.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(www(&p), "Bearer");
    // Another scheme is "missing" for the bearer strategy.
    assert!(
        run(
            &b,
            &[("authorization", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")]
        )
        .await
        .unwrap_err()
        .is_missing()
    );
}

#[tokio::test]
async fn bad_tokens_get_invalid_token_with_their_reason() {
    let jwt = jwt();
    let refresh = jwt
        .sign_claims(TokenType::Refresh, &jwt.claims("alice", ()).unwrap())
        .unwrap();
    let ghost = jwt.sign("ghost", ()).unwrap();
    let huge = format!("Bearer {}", "a".repeat(9000));
    let b = bearer(jwt);
    let cases: [(&str, FailureReason); 7] = [
        ("Bearer not.a.token", FailureReason::Malformed),
        ("Bearer", FailureReason::Malformed),
        ("Bearer a b", FailureReason::Malformed),
        (&huge, FailureReason::TooLarge),
        (&format!("Bearer {refresh}"), FailureReason::WrongTokenType),
        (&format!("Bearer {ghost}"), FailureReason::UnknownPrincipal),
        (
            "Bearer eyJhbGciOiJub25lIn0.e30.",
            FailureReason::UnsupportedAlgorithm,
        ),
    ];
    for (h, reason) in cases {
        let r = run(&b, &[("authorization", h)]).await.unwrap_err();
        assert_eq!(r.reason, reason, "{}", &h[..h.len().min(40)]);
        let p = Problem::from(r);
        assert_eq!(p.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(www(&p), r#"Bearer error="invalid_token""#);
    }
    // Two Authorization headers are ambiguous.
    let t = format!("Bearer {}", jwt_token());
    let r = run(&b, &[("authorization", &t), ("authorization", &t)])
        .await
        .unwrap_err();
    assert_eq!(r.reason, FailureReason::Malformed);
}

fn jwt_token() -> String {
    jwt().sign("alice", ()).unwrap()
}

#[tokio::test]
async fn revoked_jti_is_refused_when_revocation_is_enabled() {
    let jwt = jwt();
    let store = Arc::new(MemoryRevocationStore::new());
    let b = bearer(jwt.clone()).with_revocation(store.clone());
    let t = jwt.sign("alice", ()).unwrap();
    let h = format!("Bearer {t}");
    assert!(run(&b, &[("authorization", &h)]).await.is_ok());
    let c: Claims<()> = jwt.verify(&t).unwrap();
    store
        .revoke(c.jti.as_deref().unwrap(), c.exp)
        .await
        .unwrap();
    assert_eq!(
        run(&b, &[("authorization", &h)]).await.unwrap_err().reason,
        FailureReason::Revoked
    );
    // A token without jti cannot be checked, so it is refused.
    let mut no_jti = jwt.claims("alice", ()).unwrap();
    no_jti.jti = None;
    let t = jwt.sign_claims(TokenType::Access, &no_jti).unwrap();
    assert_eq!(
        run(&b, &[("authorization", &format!("Bearer {t}"))])
            .await
            .unwrap_err()
            .reason,
        FailureReason::MissingClaim
    );
}

/// A deny-list that cannot answer: down (`Unavailable`) or broken (`Corrupt`).
struct FailingStore(fn() -> StoreError);

impl RevocationStore for FailingStore {
    fn revoke<'a>(&'a self, _: &'a str, _: i64) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move { Err((self.0)()) })
    }
    fn is_revoked<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move { Err((self.0)()) })
    }
    fn purge_expired(&self) -> BoxFuture<'_, Result<u64, StoreError>> {
        Box::pin(async move { Err((self.0)()) })
    }
}

/// Fail closed: a token whose revocation cannot be checked is refused, with a 503 the client
/// may retry when the store is unavailable and a 500 when it is broken; the body says neither.
#[tokio::test]
async fn revocation_store_failures_refuse_the_token() {
    let jwt = jwt();
    let h = format!("Bearer {}", jwt.sign("alice", ()).unwrap());
    let down = bearer(jwt.clone()).with_revocation(Arc::new(FailingStore(|| {
        StoreError::Unavailable("redis at redis://10.0.0.9:6379/0 unavailable (timeout)".into())
    })));
    let r = run(&down, &[("authorization", &h)]).await.unwrap_err();
    assert_eq!(r.reason, FailureReason::Unavailable);
    assert_eq!(r.reason.as_str(), "store_unavailable");
    let res = r.into_response();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers()[header::RETRY_AFTER], "1");
    assert_eq!(
        res.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    let body = axum::body::to_bytes(res.into_body(), 4096).await.unwrap();
    assert_eq!(
        &body[..],
        br#"{"type":"about:blank","title":"Service Unavailable","status":503}"#
    );
    let broken = bearer(jwt.clone()).with_revocation(Arc::new(FailingStore(|| {
        StoreError::Corrupt("bad value".into())
    })));
    let r = run(&broken, &[("authorization", &h)]).await.unwrap_err();
    assert_eq!(r.reason, FailureReason::Internal);
    assert_eq!(
        r.into_response().status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    // A handler's `?` on an unavailable store is a 503 too.
    let p = Problem::from(StoreError::Unavailable("timed out".into()));
    assert_eq!(p.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(p.headers()[header::RETRY_AFTER], "1");
}

struct Accounts {
    hasher: PasswordHasher,
    phc: String,
}

impl BasicVerifier<User> for Accounts {
    fn verify<'a>(
        &'a self,
        username: &'a str,
        password: &'a str,
    ) -> BoxFuture<'a, Result<Option<User>, StoreError>> {
        Box::pin(async move {
            if username == "svc" {
                Ok(self
                    .hasher
                    .verify(password, &self.phc)
                    .await
                    .unwrap_or(false)
                    .then(|| User("svc".into())))
            } else {
                self.hasher.burn_verify(password).await;
                Ok(None)
            }
        })
    }
}

async fn basic() -> Basic<Accounts> {
    let hasher = PasswordHasher::new(PasswordConfig {
        m_cost_kib: 64,
        t_cost: 1,
        p_cost: 1,
        max_concurrent: 2,
    })
    .unwrap();
    let phc = hasher.hash("s3rvice-secret").await.unwrap();
    Basic::new(Accounts { hasher, phc })
}

fn basic_header(user: &str, pass: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    )
}

#[tokio::test]
async fn basic_authenticates_service_accounts() {
    let b = basic().await;
    assert_eq!(
        run(
            &b,
            &[("authorization", &basic_header("svc", "s3rvice-secret"))]
        )
        .await
        .unwrap(),
        User("svc".into())
    );
    for (h, reason) in [
        (
            basic_header("svc", "wrong"),
            FailureReason::InvalidCredentials,
        ),
        (
            basic_header("nobody", "s3rvice-secret"),
            FailureReason::InvalidCredentials,
        ),
        ("Basic !!!".to_owned(), FailureReason::Malformed),
        ("Basic bm9jb2xvbg==".to_owned(), FailureReason::Malformed),
    ] {
        let r = run(&b, &[("authorization", &h)]).await.unwrap_err();
        assert_eq!(r.reason, reason);
        assert_eq!(r.challenge, Challenge::Basic);
        assert_eq!(Problem::from(r).status(), StatusCode::UNAUTHORIZED);
    }
    let missing = Problem::from(run(&b, &[]).await.unwrap_err());
    assert!(www(&missing).starts_with("Basic realm="));
}

#[tokio::test]
async fn chain_tries_in_order_and_stops_at_a_bad_credential() {
    let jwt = jwt();
    let chain: Arc<dyn Authenticator<User>> =
        Arc::new(Chain::new().with(bearer(jwt.clone())).with(basic().await));
    let t = jwt.sign("alice", ()).unwrap();
    assert_eq!(
        run(&chain, &[("authorization", &format!("Bearer {t}"))])
            .await
            .unwrap(),
        User("alice".into())
    );
    assert_eq!(
        run(
            &chain,
            &[("authorization", &basic_header("svc", "s3rvice-secret"))]
        )
        .await
        .unwrap(),
        User("svc".into())
    );
    // A bad bearer token stops the chain (no fallback to a weaker strategy).
    let r = run(&chain, &[("authorization", "Bearer x.y.z")])
        .await
        .unwrap_err();
    assert_eq!(r.reason, FailureReason::Malformed);
    // Nothing sent: the first strategy's challenge.
    let r = run(&chain, &[]).await.unwrap_err();
    assert!(r.is_missing());
    assert_eq!(www(&Problem::from(r)), "Bearer");
    assert!(
        run(&Chain::<User>::new(), &[])
            .await
            .unwrap_err()
            .is_missing()
    );
}

#[tokio::test]
async fn rejections_render_as_problem_json() {
    let res = AuthRejection::new(FailureReason::Expired, Challenge::Bearer).into_response();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        res.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    let body = axum::body::to_bytes(res.into_body(), 1024).await.unwrap();
    // The reason never reaches the client.
    assert_eq!(
        &body[..],
        br#"{"type":"about:blank","title":"Unauthorized","status":401}"#
    );
    assert_eq!(
        Problem::from(AuthRejection::new(
            FailureReason::CsrfMismatch,
            Challenge::Cookie
        ))
        .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        Problem::from(AuthRejection::new(
            FailureReason::Internal,
            Challenge::Bearer
        ))
        .status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
}

/// The shape the guards issue will use: `Arc<dyn Authenticator<P>>` in router state, run from
/// a middleware, the principal handed to the handler through the extensions.
#[tokio::test]
async fn works_as_axum_middleware_from_router_state() {
    use axum::Router;
    use axum::extract::{Request as AxumRequest, State};
    use axum::middleware::{Next, from_fn_with_state};
    use axum::routing::get;
    use tower::ServiceExt;

    async fn guard(
        State(auth): State<Arc<dyn Authenticator<User>>>,
        req: AxumRequest,
        next: Next,
    ) -> Result<axum::response::Response, Problem> {
        let (mut parts, body) = req.into_parts();
        let user = auth.authenticate(&mut parts).await?;
        let mut req = AxumRequest::from_parts(parts, body);
        req.extensions_mut().insert(Arc::new(user));
        Ok(next.run(req).await)
    }

    let jwt = jwt();
    let auth: Arc<dyn Authenticator<User>> = Arc::new(Chain::new().with(bearer(jwt.clone())));
    let app = Router::new()
        .route(
            "/me",
            get(|axum::Extension(u): axum::Extension<Arc<User>>| async move { u.0.clone() }),
        )
        .layer(from_fn_with_state(auth, guard));

    let call = |h: Option<String>| {
        let app = app.clone();
        async move {
            let mut b = Request::builder().uri("/me");
            if let Some(h) = h {
                b = b.header("authorization", h);
            }
            app.oneshot(b.body(axum::body::Body::empty()).unwrap())
                .await
                .unwrap()
        }
    };
    let ok = call(Some(format!("Bearer {}", jwt.sign("alice", ()).unwrap()))).await;
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(
        &axum::body::to_bytes(ok.into_body(), 64).await.unwrap()[..],
        b"alice"
    );
    let anon = call(None).await;
    assert_eq!(anon.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(anon.headers()[header::WWW_AUTHENTICATE], "Bearer");
    let bad = call(Some("Bearer a.b.c".into())).await;
    assert_eq!(
        bad.headers()[header::WWW_AUTHENTICATE],
        r#"Bearer error="invalid_token""#
    );
}

#[tokio::test]
async fn an_async_mapper_can_refuse_disabled_accounts() {
    let jwt = jwt();
    let disabled = Arc::new(std::collections::HashSet::from(["mallory".to_owned()]));
    let b = Bearer::new_async(jwt.clone(), move |c: Claims<()>| {
        let disabled = disabled.clone();
        async move {
            tokio::task::yield_now().await; // stands in for a database lookup
            if disabled.contains(&c.sub) {
                Err(FailureReason::UnknownPrincipal)
            } else {
                Ok(User(c.sub))
            }
        }
    });
    let ok = format!("Bearer {}", jwt.sign("alice", ()).unwrap());
    assert_eq!(
        run(&b, &[("authorization", &ok)]).await.unwrap(),
        User("alice".into())
    );
    let no = format!("Bearer {}", jwt.sign("mallory", ()).unwrap());
    let r = run(&b, &[("authorization", &no)]).await.unwrap_err();
    assert_eq!(r.reason, FailureReason::UnknownPrincipal);
    assert_eq!(www(&Problem::from(r)), r#"Bearer error="invalid_token""#);
}
