// The rest of the fixture for the examples of `guard`: an authenticator, the state, three
// guarded handlers and a router over them. Included after `doc_fixture.rs`, in the same module:
//
//     # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs"));
//     # include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture_app.rs")); } use fx::*;

/// Authenticates `x-user: 1` as Alice and `x-user: 2` as Bob (an illustration, not a credential).
pub struct UserHeader;

impl ::portcullis::authn::Authenticator<User> for UserHeader {
    fn authenticate<'a>(
        &'a self,
        parts: &'a mut ::http::request::Parts,
    ) -> ::portcullis::authn::BoxFuture<'a, Result<User, ::portcullis::authn::AuthRejection>> {
        let user = match parts.headers.get("x-user").and_then(|v| v.to_str().ok()) {
            Some("1") => Ok(alice()),
            Some("2") => Ok(bob()),
            _ => Err(::portcullis::authn::AuthRejection::missing()),
        };
        Box::pin(async move { user })
    }
}

#[derive(Clone)]
pub struct AppState {
    pub pool: ::portcullis::db::Pool,
}

impl ::axum::extract::FromRef<AppState> for ::portcullis::db::Pool {
    fn from_ref(state: &AppState) -> Self {
        state.pool.clone()
    }
}

impl ::portcullis::guard::HasPrincipal for AppState {
    type Principal = User;
}

#[::portcullis::guarded(auth)]
pub async fn list(
    docs: ::portcullis::Scoped<Document, ::portcullis::Read>,
    db: ::portcullis::Db,
) -> Result<::portcullis::Shaped<Vec<Document>>, ::portcullis::Problem> {
    let rows = docs.query().order_by(|f| f.id.asc()).load(&db).await?;
    Ok(docs.shape(rows))
}

#[::portcullis::guarded(auth)]
pub async fn show(
    doc: ::portcullis::Bind<Document, ::portcullis::Read>,
) -> ::portcullis::Shaped<Document> {
    doc.shape()
}

#[::portcullis::guarded(public)]
pub async fn health() -> &'static str {
    "ok"
}

/// `GET /docs`, `GET /docs/{id}` (auth) and `GET /health` (public), state and authenticator set.
pub fn router(pool: ::portcullis::db::Pool) -> ::portcullis::Router {
    ::portcullis::Router::new()
        .route("/docs", ::portcullis::routing::get(list))
        .route("/docs/{id}", ::portcullis::routing::get(show))
        .route("/health", ::portcullis::routing::get(health))
        .authenticator(UserHeader)
        .with_state(AppState { pool })
}

/// Sends `GET path` as user `user` (`"1"`, `"2"`, or `None` for no one): status and body.
pub async fn call(app: &::portcullis::App, path: &str, user: Option<&str>) -> (u16, String) {
    use ::tower::ServiceExt as _;
    let mut request = ::http::Request::get(path);
    if let Some(user) = user {
        request = request.header("x-user", user);
    }
    let response = app
        .clone()
        .oneshot(request.body(::axum::body::Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body = ::http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}
