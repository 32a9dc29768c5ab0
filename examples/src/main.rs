//! Serves the example API: `cargo run -p portcullis-example`.
//!
//! Environment: `DATABASE_URL` (default `portcullis-example.db`; `postgres://…` for
//! PostgreSQL), `PORT` (default 3000), `PORTCULLIS_AUTHN__PRIVATE_KEY` (PEM text or path; a
//! development key is generated without it), `DATABASE_SCHEMA` (PostgreSQL schema, created
//! when missing), `PORTCULLIS_REDIS_URL` (route limits, revoked tokens and sessions on Redis,
//! shared by every instance), `PORTCULLIS_TRUSTED_PROXIES` (comma-separated CIDRs of reverse
//! proxies whose `X-Forwarded-For` names the client; none by default), `PORTCULLIS_DB__*`
//! (pool size, timeouts, SQLite cache, memory map and `synchronous`; see
//! `portcullis::db::PoolConfig`), `PORTCULLIS_OIDC__SSO__*` (sign-in with an OpenID Connect
//! provider: `ISSUER`, `CLIENT_ID`, `CLIENT_SECRET`, `REDIRECT_URL`, `COOKIE_KEY`; off when
//! none is set), `RUST_LOG` (default `info`).

use portcullis_example::{Config, DEMO_ACCOUNTS, DEMO_PASSWORD, example, redact_url};
use std::net::SocketAddr;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();

    let port = match std::env::var("PORT") {
        Ok(p) => match p.parse::<u16>() {
            Ok(p) => p,
            Err(_) => {
                eprintln!("error: PORT must be a port number (0-65535), got {p:?}");
                std::process::exit(2);
            }
        },
        Err(_) => 3000,
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let config = Config::from_env();
    let database = redact_url(&config.database_url);
    let oidc_configured =
        portcullis::authn::oidc::OidcConfig::any_set(portcullis_example::OIDC_PROVIDER, |k| {
            std::env::var(k).ok()
        });
    let shared_state = if config.redis_url.is_some() {
        "Redis (PORTCULLIS_REDIS_URL)"
    } else {
        "process memory (limits) and the database (revocations, sessions)"
    };
    let example = match example(config).await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    if example.generated_key {
        tracing::warn!(
            "!!! NO SIGNING KEY CONFIGURED: generated a throw-away Ed25519 key for this process. \
             Tokens die with the process and other instances cannot verify them. \
             DEVELOPMENT ONLY: set PORTCULLIS_AUTHN__PRIVATE_KEY (PEM text or a file path) in production. !!!"
        );
    }
    // Expired revocations, refresh tokens and sessions go every 15 minutes while serving.
    let _housekeeping = match example.housekeeping().spawn() {
        Ok(task) => task,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    println!("\nRoutes and their guards:\n{}", example.router.posture());
    let app = match example.router.build() {
        Ok(app) => app,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on {addr}: {e} (set PORT to another port)");
            std::process::exit(1);
        }
    };
    print_walkthrough(addr, &database);
    if oidc_configured {
        println!(
            "Sign in with your OpenID Connect provider: open http://{addr}/auth/oidc/login in a browser"
        );
    }
    println!("Throttling, revocation and sessions: {shared_state}");
    tracing::info!(%addr, database = %database, "portcullis example listening");
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    if let Err(e) = axum::serve(listener, service)
        .with_graceful_shutdown(shutdown())
        .await
    {
        eprintln!("error: server stopped: {e}");
        std::process::exit(1);
    }
    tracing::info!("shut down");
}

fn print_walkthrough(addr: SocketAddr, database: &str) {
    let base = format!("http://{addr}");
    println!("Database: {database}");
    println!("Demo accounts (password for all: {DEMO_PASSWORD}):");
    for a in DEMO_ACCOUNTS {
        println!("  {:<18} tenant {:<7} {}", a.email, a.tenant, a.role);
    }
    let first = DEMO_ACCOUNTS[0].email;
    println!(
        r#"
Try it:
  curl -s {base}/health
  TOKEN=$(curl -s {base}/auth/login -H 'content-type: application/json' \
    -d '{{"email":"{first}","password":"{DEMO_PASSWORD}"}}' | sed -E 's/.*"accessToken":"([^"]+)".*/\1/')
  curl -s {base}/me -H "authorization: Bearer $TOKEN"
  curl -s {base}/docs -H "authorization: Bearer $TOKEN"
  curl -s {base}/docs -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
    -d '{{"title":"Hello","body":"From curl"}}'
  curl -s -X PATCH {base}/docs/1 -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
    -d '{{"tenantId":2}}'          # 403: not a field you may change
  curl -s {base}/docs/4 -H "authorization: Bearer $TOKEN"   # another tenant's document: 403
  curl -s {base}/admin/users -H "authorization: Bearer $TOKEN"   # 403: members are not admins
  # Cookie sessions: POST /auth/session (same body as /auth/login) sets an HttpOnly cookie and
  # returns a csrfToken that POST/PATCH/DELETE requests must send as x-csrf-token.
"#
    );
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
