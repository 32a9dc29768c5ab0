//! The handlers. Every one is `#[guarded]`; documents, comments and accounts are reached only
//! through `Scoped`, `Bind`, `Patch` and `Insert`, so the policy in `model` decides.

use crate::model::{Account, Archive, Comment, Document, User, documents};
use crate::store;
use crate::{AppState, TokenClaims};
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use diesel::{ExpressionMethods, QueryDsl};
use portcullis::authn::jwt::JwtService;
use portcullis::authn::oauth2::Authorization;
use portcullis::authn::oidc::{OidcAccounts, OidcCallbackQuery, OidcClient, VerifiedIdentity};
use portcullis::authn::password::violations_problem;
use portcullis::guard::JsonBody;

/// The largest body the credential endpoints read (sign-up, login, refresh, logout, session).
/// Their handlers hold the body while they wait for the password-hashing bound, so a flood of
/// large bodies would hold that much memory each; 8 KiB is far above any real credential.
pub const CREDENTIALS_BODY_MAX: usize = 8 * 1024;
use portcullis::http::SameOrigin;
use portcullis::page::{Cursor, CursorPage};
use portcullis::{
    Bind, Db, Delete, FieldError, Insert, Page, Patch, Principal, Problem, Read, Scoped, Shaped,
    Update, guarded,
};
use serde::Deserialize;
use serde_json::json;
use std::net::{IpAddr, Ipv4Addr};

/// Liveness: anyone may ask.
#[guarded(public)]
pub async fn health() -> &'static str {
    "ok"
}

/// The public keys that verify access tokens.
#[guarded(public)]
pub async fn jwks(State(state): State<AppState>) -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        state.jwt.jwks_json(),
    )
        .into_response()
}

#[guarded(public)]
pub async fn not_found() -> Problem {
    Problem::not_found().with_detail("No such route.")
}

/// Whether text anywhere in `v` holds U+0000.
fn has_nul(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(items) => items.iter().any(has_nul),
        serde_json::Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

/// A JSON body into `T`; malformed JSON is 400, a wrong shape 422 (both problems), and so is
/// text holding U+0000, which PostgreSQL cannot store (422 naming the field).
fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Problem> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| Problem::bad_request().with_detail("The request body is not valid JSON."))?;
    if let serde_json::Value::Object(map) = &value
        && let Some((field, _)) = map.iter().find(|(k, v)| k.contains('\0') || has_nul(v))
    {
        return Err(Problem::unprocessable(vec![FieldError::new(
            field.clone(),
            "invalid",
            "Text may not contain the NUL character (U+0000).",
        )]));
    }
    serde_json::from_value(value).map_err(|_| {
        Problem::unprocessable(vec![FieldError::new(
            "body",
            "invalid",
            "The request body does not have the expected fields.",
        )])
    })
}

fn normalize_email(email: &str) -> Result<String, Problem> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.contains('@'));
    if valid {
        Ok(email)
    } else {
        Err(Problem::unprocessable(vec![FieldError::new(
            "email",
            "invalid",
            "This is not an email address.",
        )]))
    }
}

/// The client IP for the login defence: the socket peer (`into_make_service_with_connect_info`),
/// or what a trusted proxy forwarded (the same rule as the route limits); loopback when there is
/// no socket (in-process tests).
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ip = state
            .proxies
            .client_ip_of(parts)
            .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
        Ok(ClientIp(ip))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterBody {
    email: String,
    password: String,
    organization: String,
}

/// Sign-up: a new tenant (organization) with the caller as its admin. Cross-site browser
/// requests are refused (`SameOrigin`).
#[guarded(public, throttle = "10/min per ip")]
pub async fn register(
    State(state): State<AppState>,
    _: SameOrigin,
    JsonBody(body): JsonBody<CREDENTIALS_BODY_MAX>,
) -> Result<Response, Problem> {
    let body: RegisterBody = parse(&body)?;
    let email = normalize_email(&body.email)?;
    let organization = body.organization.trim();
    if organization.is_empty() || organization.chars().count() > 100 {
        return Err(Problem::unprocessable(vec![FieldError::new(
            "organization",
            "invalid",
            "The organization name must have 1 to 100 characters.",
        )]));
    }
    let local = email.split('@').next().unwrap_or_default();
    if let Err(violations) = state
        .password_policy
        .check_with_context(&body.password, &[local, &email, organization])
    {
        return Err(violations_problem(&violations));
    }
    let taken = || Problem::conflict().with_detail("This email address cannot be registered.");
    if store::find_by_email(&state.pool, &email).await?.is_some() {
        return Err(taken());
    }
    let hash = state.hasher.hash(&body.password).await?;
    let Some(tenant) = store::create_tenant(&state.pool, organization).await? else {
        return Err(Problem::conflict().with_detail("This organization name is taken."));
    };
    let Some(id) = store::insert_user(&state.pool, tenant, &email, &hash, "admin").await? else {
        store::delete_tenant(&state.pool, tenant).await?;
        return Err(taken());
    };
    tracing::info!(user = id, tenant, "registered");
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id, "tenantId": tenant, "role": "admin" })),
    )
        .into_response())
}

#[derive(Deserialize)]
struct LoginBody {
    email: String,
    password: String,
}

fn access_token(jwt: &JwtService, id: i64, tenant: i64, role: &str) -> Result<String, Problem> {
    jwt.sign(
        id.to_string(),
        TokenClaims {
            tid: tenant,
            role: role.to_owned(),
        },
    )
    .map_err(|e| {
        tracing::error!(error = %e, "signing an access token failed");
        Problem::internal()
    })
}

fn token_response(access: String, refresh_token: String) -> Json<serde_json::Value> {
    Json(json!({
        "accessToken": access,
        "tokenType": "Bearer",
        "expiresIn": crate::ACCESS_TOKEN_TTL.as_secs(),
        "refreshToken": refresh_token,
    }))
}

fn bad_credentials() -> Problem {
    Problem::unauthorized().with_detail("The email or password is incorrect.")
}

/// The account behind an email and password, or the generic 401. Unknown account and wrong
/// password take the same argon2 work and answer alike; failures are slowed per account and
/// per IP (`LoginGuard`), and outdated hashes are upgraded.
async fn check_credentials(
    state: &AppState,
    ip: IpAddr,
    body: &[u8],
) -> Result<store::Credentials, Problem> {
    let body: LoginBody = parse(body)?;
    let email = body.email.trim().to_lowercase();
    // Reserved before the password check, so parallel guesses count against each other.
    let attempt = state.login_guard.reserve(&email, ip)?;
    let found = store::find_by_email(&state.pool, &email).await?;
    let ok = match &found {
        Some(user) => state
            .hasher
            .verify(&body.password, &user.password_hash)
            .await
            .unwrap_or(false),
        None => state.hasher.burn_verify(&body.password).await,
    };
    let user = match (ok, found) {
        (true, Some(user)) => user,
        _ => {
            attempt.failed();
            tracing::warn!(target: "portcullis::authn", %ip, reason = "invalid_credentials", "login failed");
            return Err(bad_credentials());
        }
    };
    attempt.succeeded();
    if state.hasher.needs_rehash(&user.password_hash) {
        // The hash predates the current argon2 parameters: upgrade it while the password is
        // at hand. A failure here does not fail the login.
        match state.hasher.hash(&body.password).await {
            Ok(phc) => {
                if store::set_password_hash(&state.pool, user.id, &phc)
                    .await
                    .is_ok()
                {
                    tracing::info!(user = user.id, "password hash upgraded");
                }
            }
            Err(e) => tracing::warn!(user = user.id, error = %e, "password rehash failed"),
        }
    }
    Ok(user)
}

/// Password login: an access token and a refresh token. Unknown account and wrong password
/// answer the same 401 after the same argon2 work; failures are slowed per account and per IP.
#[guarded(public, throttle = "5/min per ip")]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<CREDENTIALS_BODY_MAX>,
) -> Result<Json<serde_json::Value>, Problem> {
    let user = check_credentials(&state, ip, &body).await?;
    let access = access_token(&state.jwt, user.id, user.tenant_id, &user.role)?;
    let issued = state.refresh.issue(&user.id.to_string()).await?;
    tracing::info!(user = user.id, "logged in");
    Ok(token_response(access, issued.token))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RefreshBody {
    refresh_token: String,
}

/// Exchanges a refresh token for a new pair; the old refresh token is spent (reusing it
/// revokes the whole family).
#[guarded(public, throttle = "30/min per ip")]
pub async fn refresh(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<CREDENTIALS_BODY_MAX>,
) -> Result<Json<serde_json::Value>, Problem> {
    let body: RefreshBody = parse(&body)?;
    let next = state.refresh.rotate(&body.refresh_token).await?;
    let id: i64 = next.user_id.parse().map_err(|_| Problem::invalid_token())?;
    let Some(user) = store::find_by_id(&state.pool, id).await? else {
        state.refresh.revoke_user(&next.user_id).await?;
        return Err(Problem::invalid_token());
    };
    let access = access_token(&state.jwt, user.id, user.tenant_id, &user.role)?;
    Ok(token_response(access, next.token))
}

/// Logout: revokes the presented access token (its `jti`, until it expires) and the refresh
/// token's family. Unknown refresh tokens are ignored (204 all the same). The access token is
/// revoked first: a malformed body still ends the token the caller authenticated with, and
/// only then is the body's problem answered.
#[guarded(auth, throttle = "30/min per user")]
pub async fn logout(
    State(state): State<AppState>,
    Principal(user): Principal<User>,
    headers: HeaderMap,
    body: Result<JsonBody<CREDENTIALS_BODY_MAX>, Problem>,
) -> Result<StatusCode, Problem> {
    // The guard already verified this token; it is read again, with the bearer strategy's own
    // parsing (any case of the scheme), only for its jti and exp.
    let claims = portcullis::authn::strategy::bearer_token(&headers)
        .and_then(|t| state.jwt.verify::<TokenClaims>(t).ok());
    if let Some(claims) = &claims
        && let Some(jti) = claims.jti.as_deref()
    {
        state.revoked.revoke(jti, claims.exp).await?;
    }
    let JsonBody(body) = body?;
    let body: RefreshBody = parse(&body)?;
    state.refresh.logout(&body.refresh_token).await?;
    tracing::info!(user = user.id, "logged out");
    Ok(StatusCode::NO_CONTENT)
}

/// Password login, cookie variant: a server-side session (`Set-Cookie`, `HttpOnly; Secure;
/// SameSite=Lax`) and the CSRF token unsafe requests must echo in `x-csrf-token`. A session
/// cookie sent along is replaced (fixation). Cross-site browser requests are refused
/// (`SameOrigin`: login CSRF).
#[guarded(public, throttle = "5/min per ip")]
pub async fn session_login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    _: SameOrigin,
    JsonBody(body): JsonBody<CREDENTIALS_BODY_MAX>,
) -> Result<Response, Problem> {
    let user = check_credentials(&state, ip, &body).await?;
    let previous = state.sessions.cookie_value(&headers);
    let subject = crate::SessionSubject::encode(user.id, user.tenant_id, &user.role);
    let session = state.sessions.login(&subject, previous).await?;
    tracing::info!(user = user.id, "session started");
    Ok((
        [(header::SET_COOKIE, session.set_cookie.clone())],
        Json(json!({ "csrfToken": session.csrf_token })),
    )
        .into_response())
}

/// Ends the cookie session (and clears the cookie).
#[guarded(auth)]
pub async fn session_logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let id = state.sessions.cookie_value(&headers).unwrap_or_default();
    let clear = state.sessions.logout(id).await?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear)]).into_response())
}

/// How a verified OpenID Connect identity becomes an example account: the account already
/// linked to (issuer, subject); otherwise the account whose email the provider verified, which
/// is then linked (the example trusts its one configured provider for the email addresses it
/// vouches for). No account is ever created here: an unknown identity is refused (403).
struct OidcLinks(portcullis::db::Pool);

impl OidcAccounts for OidcLinks {
    type Principal = store::Credentials;

    async fn link(&self, identity: &VerifiedIdentity) -> Result<store::Credentials, Problem> {
        let (issuer, subject) = identity.key();
        if let Some(user) = store::find_by_identity(&self.0, issuer, subject).await? {
            return Ok(user);
        }
        let no_account = || {
            Problem::forbidden()
                .with_detail("No account is linked to this sign-in; sign in with a password first.")
        };
        // Only an email the provider verified; an unverified one is not even visible here.
        let Some(email) = identity.email() else {
            tracing::warn!(target: "portcullis::authn", reason = "oidc_no_verified_email", "oidc sign-in refused: unknown identity without a verified email");
            return Err(no_account());
        };
        let Some(user) = store::find_by_email(&self.0, &email.trim().to_lowercase()).await? else {
            tracing::warn!(target: "portcullis::authn", reason = "oidc_no_account", "oidc sign-in refused: no account has the verified email");
            return Err(no_account());
        };
        store::link_identity(&self.0, issuer, subject, user.id).await?;
        // Whoever won a race to link this identity is the account it signs in to.
        let linked = store::find_by_identity(&self.0, issuer, subject)
            .await?
            .ok_or_else(Problem::internal)?;
        tracing::info!(user = linked.id, "oidc identity linked");
        Ok(linked)
    }
}

fn oidc_client(state: &AppState) -> Result<std::sync::Arc<OidcClient>, Problem> {
    // The routes exist only when the client does; this is a second line of defence.
    state
        .oidc
        .clone()
        .ok_or_else(|| Problem::not_found().with_detail("No route here."))
}

/// "Sign in with your identity provider": a 303 to the provider with a signed, single-use
/// state cookie (`state`, PKCE verifier, `nonce`). 503 when the provider cannot be reached.
#[guarded(public, throttle = "5/min per ip")]
pub async fn oidc_login(State(state): State<AppState>) -> Result<Authorization, Problem> {
    oidc_client(&state)?.authorize().await
}

/// Where the provider sends the browser back. The callback and its ID token are checked
/// (`portcullis::authn::oidc`), the identity is linked to an account, and a cookie session
/// starts as with `POST /auth/session`: `Set-Cookie` and the CSRF token in the body. Any
/// refusal is a problem+json and leaves no session or link behind.
#[guarded(public, throttle = "5/min per ip")]
pub async fn oidc_callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<OidcCallbackQuery>, QueryRejection>,
) -> Result<Response, Problem> {
    let oidc = oidc_client(&state)?;
    let Query(query) =
        query.map_err(|_| Problem::bad_request().with_detail("The query string is not valid."))?;
    let done = oidc
        .callback(&headers, &query, &OidcLinks(state.pool.clone()))
        .await?;
    let user = done.principal;
    let previous = state.sessions.cookie_value(&headers);
    let subject = crate::SessionSubject::encode(user.id, user.tenant_id, &user.role);
    let session = state.sessions.login(&subject, previous).await?;
    tracing::info!(
        user = user.id,
        provider = oidc.name(),
        "session started (oidc)"
    );
    let mut res = Json(json!({ "csrfToken": session.csrf_token })).into_response();
    res.headers_mut()
        .append(header::SET_COOKIE, done.clear_cookie);
    let session_cookie =
        header::HeaderValue::from_str(&session.set_cookie).map_err(|_| Problem::internal())?;
    res.headers_mut().append(header::SET_COOKIE, session_cookie);
    Ok(res)
}

/// The caller's own account (the accounts policy lets everyone read their own row).
#[guarded(auth)]
pub async fn me(
    Principal(user): Principal<User>,
    accounts: Scoped<Account, Read>,
    db: Db,
) -> Result<Shaped<Account>, Problem> {
    use crate::model::users;
    let row = accounts
        .query()
        .filter(users::id.eq(user.id))
        .first(&db)
        .await?
        .ok_or_else(|| Problem::unauthorized().with_detail("The account no longer exists."))?;
    Ok(accounts.shape(row))
}

/// The query of `GET /docs`. Cursor mode (the default and the fast path):
/// `?limit=N&after=<cursor>&order=-id|id|title|-title&total=true`. Offset mode, kept for
/// clients of the first version: `?page=N&per_page=M` (counts every time).
#[derive(Debug, Default, PartialEq)]
pub struct ListParams {
    pub limit: u32,
    pub after: Option<Cursor>,
    pub order: DocOrder,
    pub total: bool,
    pub offset_page: Option<(u32, u32)>,
}

/// The orderings `GET /docs` offers.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum DocOrder {
    /// Newest first (`-id`, the default).
    #[default]
    NewestFirst,
    /// Oldest first (`id`).
    OldestFirst,
    /// By title, then id (`title`).
    TitleAsc,
    /// By title descending, then id (`-title`).
    TitleDesc,
}

/// The largest `limit` / `per_page`.
pub const MAX_LIMIT: u32 = 100;

fn bad_param(name: &str, expected: &str) -> Problem {
    Problem::bad_request()
        .with_detail(format!("Query parameter `{name}`: expected {expected}."))
        .with_error(FieldError::new(
            name.to_owned(),
            "invalid",
            expected.to_owned(),
        ))
}

/// The query of `GET /docs`, read with axum's [`Query`] as name/value pairs (so a parameter
/// given twice is seen) and checked by [`list_params`]. Every malformed query is a 400
/// problem+json, never axum's plain-text rejection.
pub struct DocsQuery(pub ListParams);

impl<S: Send + Sync> FromRequestParts<S> for DocsQuery {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        let Query(pairs) = Query::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|_| Problem::bad_request().with_detail("The query string is not valid."))?;
        list_params(&pairs).map(DocsQuery)
    }
}

/// Checks the list query's parameters; every malformed one is a 400 naming it.
pub fn list_params(pairs: &[(String, String)]) -> Result<ListParams, Problem> {
    let mut out = ListParams {
        limit: 20,
        ..ListParams::default()
    };
    let (mut page, mut per_page) = (None, None);
    let count = |lo: u32| {
        move |v: &str| {
            v.parse::<u32>()
                .ok()
                .filter(|n| (lo..=MAX_LIMIT).contains(n))
        }
    };
    for (key, value) in pairs {
        if pairs.iter().filter(|(k, _)| k == key).count() > 1 {
            return Err(bad_param(key, "the parameter once"));
        }
        match key.as_str() {
            "limit" => {
                out.limit =
                    count(1)(value).ok_or_else(|| bad_param("limit", "an integer from 1 to 100"))?
            }
            "after" => out.after = Some(Cursor::parse("after", value)?),
            "order" => {
                out.order = match value.as_str() {
                    "-id" => DocOrder::NewestFirst,
                    "id" => DocOrder::OldestFirst,
                    "title" => DocOrder::TitleAsc,
                    "-title" => DocOrder::TitleDesc,
                    _ => return Err(bad_param("order", "one of `-id`, `id`, `title`, `-title`")),
                }
            }
            "total" => {
                out.total = match value.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(bad_param("total", "`true` or `false`")),
                }
            }
            "page" => {
                page = Some(
                    value
                        .parse::<u32>()
                        .ok()
                        .filter(|n| *n >= 1)
                        .ok_or_else(|| bad_param("page", "a positive integer"))?,
                )
            }
            "per_page" => {
                per_page = Some(
                    count(1)(value)
                        .ok_or_else(|| bad_param("per_page", "an integer from 1 to 100"))?,
                )
            }
            _ => {}
        }
    }
    if page.is_some() || per_page.is_some() {
        if out.after.is_some() {
            return Err(bad_param("after", "no `page`/`per_page` beside a cursor"));
        }
        out.offset_page = Some((page.unwrap_or(1), per_page.unwrap_or(20)));
    }
    Ok(out)
}

/// Either kind of page `GET /docs` answers with.
pub enum DocsPage {
    Cursor(Shaped<CursorPage<Document>>),
    Offset(Shaped<Page<Document>>),
}

impl IntoResponse for DocsPage {
    fn into_response(self) -> Response {
        match self {
            DocsPage::Cursor(p) => p.into_response(),
            DocsPage::Offset(p) => p.into_response(),
        }
    }
}

/// The caller's tenant's documents, newest first: a keyset page by default
/// (`{"items": [..], "next": ..}`), an offset page with `page`/`per_page`. Each row says what
/// the caller may do with it (`"_can": {"update": .., "archive": .., "delete": ..}`).
#[guarded(auth, throttle = "120/min per user")]
pub async fn list_docs(
    docs: Scoped<Document, Read>,
    db: Db,
    DocsQuery(params): DocsQuery,
) -> Result<DocsPage, Problem> {
    let mut q = docs.query();
    q = match params.order {
        DocOrder::NewestFirst => q.order_by(|f| f.id.desc()),
        DocOrder::OldestFirst => q.order_by(|f| f.id.asc()),
        DocOrder::TitleAsc => q.order_by(|f| f.title.asc()),
        DocOrder::TitleDesc => q.order_by(|f| f.title.desc()),
    };
    if let Some((page, per_page)) = params.offset_page {
        let rows = q.paginate(page, per_page, &db).await?;
        return Ok(DocsPage::Offset(
            docs.shape_with_capabilities(rows, DOC_ACTIONS),
        ));
    }
    if params.total {
        q = q.with_total();
    }
    let page = q
        .page_after(params.after.as_ref(), params.limit, &db)
        .await?;
    Ok(DocsPage::Cursor(
        docs.shape_with_capabilities(page, DOC_ACTIONS),
    ))
}

/// The actions every document response answers per row, for the UI's buttons.
pub const DOC_ACTIONS: (Update, Archive, Delete) = (Update, Archive, Delete);

/// A new document: `title` and `body` from the client; tenant and owner pinned from the caller.
#[guarded(auth, throttle = "30/min per user")]
pub async fn create_doc(
    Principal(user): Principal<User>,
    db: Db,
    create: Insert<Document>,
) -> Result<(StatusCode, Shaped<Document>), Problem> {
    let ability = documents(&user);
    let row = create.insert(&ability, &db).await?;
    Ok((
        StatusCode::CREATED,
        ability.shape_with_capabilities(row, DOC_ACTIONS),
    ))
}

#[guarded(auth)]
pub async fn show_doc(doc: Bind<Document, Read>) -> Shaped<Document> {
    doc.shape_with_capabilities(DOC_ACTIONS)
}

/// Changes `title`/`body`; anything else the client sends is refused (403 naming the field,
/// 422 for unknown fields), and the `UPDATE` re-checks the scope.
#[guarded(auth)]
pub async fn update_doc(
    Principal(user): Principal<User>,
    doc: Bind<Document, Update>,
    db: Db,
    patch: Patch<Document>,
) -> Result<Shaped<Document>, Problem> {
    let row = doc.update(patch, &db).await?.into_inner();
    Ok(documents(&user).shape_with_capabilities(row, DOC_ACTIONS))
}

#[guarded(auth)]
pub async fn delete_doc(doc: Bind<Document, Delete>, db: Db) -> Result<StatusCode, Problem> {
    let id = doc.get().id;
    doc.delete(&db).await?;
    // PostgreSQL cascades through the foreign key; SQLite connections do not enforce foreign
    // keys, so the deleted document's comments are removed here (they were reachable only
    // through it).
    store::delete_comments_of(db.pool(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The custom `Archive` action. `Bind<Document, Archive>` answers 404/403 before anything
/// runs; the `UPDATE` then carries the `Archive` scope in its `WHERE` (the same condition
/// `Bind` checked), so a row that left the scope meanwhile is not written. `archived` is not
/// patchable through `PATCH /docs/{id}`: granting `update(archived)` would let any edit
/// archive or un-archive, bypassing the `Archive` rule.
#[guarded(auth)]
pub async fn archive_doc(
    Principal(user): Principal<User>,
    doc: Bind<Document, Archive>,
    db: Db,
) -> Result<Shaped<Document>, Problem> {
    use crate::model::documents as t;
    let id = doc.get().id;
    let scope = doc.ability().scope::<Archive>();
    let conn = db
        .unscoped("archive: UPDATE .. SET archived WHERE id = ? AND (Archive scope)")
        .connection()
        .await?;
    let written: usize = match conn {
        portcullis::db::RawConnection::Sqlite(mut conn) => {
            let update =
                diesel::update(t::table.filter(t::id.eq(id)).filter(scope.sqlite_filter()))
                    .set(t::archived.eq(true));
            diesel_async::RunQueryDsl::execute(update, &mut conn).await?
        }
        portcullis::db::RawConnection::Postgres(mut conn) => {
            let update = diesel::update(
                t::table
                    .filter(t::id.eq(id))
                    .filter(scope.postgres_filter()),
            )
            .set(t::archived.eq(true));
            diesel_async::RunQueryDsl::execute(update, &mut conn).await?
        }
        #[allow(unreachable_patterns)]
        _ => return Err(Problem::internal()),
    };
    if written == 0 {
        return Err(Problem::conflict()
            .with_detail("The resource changed while the request was processed."));
    }
    let ability = documents(&user);
    let row = Bind::<Document, Read>::load(&ability, &db, id).await?;
    Ok(row.shape_with_capabilities(DOC_ACTIONS))
}

#[guarded(auth)]
pub async fn list_comments(
    doc: Bind<Document, Read>,
    comments: Scoped<Comment, Read>,
    db: Db,
) -> Result<Shaped<Vec<Comment>>, Problem> {
    use crate::model::comments as c;
    let rows = comments
        .query()
        .filter(c::document_id.eq(doc.get().id))
        .order_by(|f| f.id.asc())
        .limit(500)
        .load(&db)
        .await?;
    Ok(comments.shape(rows))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CommentBody {
    body: String,
}

/// A comment on a document the caller can read; tenant and author pinned from the caller.
#[guarded(auth, throttle = "30/min per user")]
pub async fn create_comment(
    Principal(user): Principal<User>,
    doc: Bind<Document, Read>,
    db: Db,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Shaped<Comment>), Problem> {
    let body: CommentBody = parse(&body)?;
    let input = json!({ "documentId": doc.get().id, "body": body.body });
    let create = Insert::<Comment>::from_json(input.to_string().as_bytes())?;
    let ability = crate::model::comments(&user);
    let row = create.insert(&ability, &db).await?;
    Ok((StatusCode::CREATED, ability.shape(row)))
}

/// The accounts of the caller's tenant (admins only; the policy scopes to the tenant).
#[guarded(auth, roles(admin))]
pub async fn admin_users(
    accounts: Scoped<Account, Read>,
    db: Db,
) -> Result<Shaped<Vec<Account>>, Problem> {
    let rows = accounts
        .query()
        .order_by(|f| f.id.asc())
        .limit(1000)
        .load(&db)
        .await?;
    Ok(accounts.shape(rows))
}
