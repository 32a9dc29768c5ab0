//! A notes API: one entity, one policy, two guarded routes, on SQLite.

use axum::extract::FromRef;
use portcullis::authn::jwt::{Claims, JwtService};
use portcullis::authn::strategy::{Bearer, FailureReason};
use portcullis::db::{DbError, Pool, PoolConfig};
use portcullis::guard::{BuildError, HasPrincipal, Identity};
use portcullis::routing::get;
use portcullis::{App, Bind, Db, Problem, Read, Resource, Router, Scoped, Shaped, guarded, policy};
use std::sync::Arc;

diesel::table! {
    notes (id) {
        id -> BigInt,
        owner_id -> BigInt,
        title -> Text,
    }
}

/// A row of `notes`. Only `#[expose]` fields can reach a response.
#[derive(Resource, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = notes)]
pub struct Note {
    #[expose]
    pub id: i64,
    pub owner_id: i64,
    #[expose]
    pub title: String,
}

/// Who is calling: the `sub` of their access token.
#[derive(Clone)]
pub struct User {
    pub id: i64,
}

impl Identity for User {
    fn id(&self) -> String {
        self.id.to_string()
    }
}

// Everyone reads their own notes, nobody else's.
#[policy(Note, subject = User)]
fn notes(user: &User) {
    allow!(read where owner_id == user.id);
}

#[guarded(auth)]
async fn list(notes: Scoped<Note, Read>, db: Db) -> Result<Shaped<Vec<Note>>, Problem> {
    let rows = notes.query().order_by(|f| f.id.asc()).load(&db).await?;
    Ok(notes.shape(rows))
}

#[guarded(auth)]
async fn show(note: Bind<Note, Read>) -> Shaped<Note> {
    note.shape()
}

#[derive(Clone)]
struct AppState {
    pool: Pool,
}

impl FromRef<AppState> for Pool {
    fn from_ref(state: &AppState) -> Self {
        state.pool.clone()
    }
}

impl HasPrincipal for AppState {
    type Principal = User;
}

/// The guarded application: `GET /notes` and `GET /notes/{id}`, bearer tokens from `jwt`.
fn app(pool: Pool, jwt: Arc<JwtService>) -> Result<App, BuildError> {
    let bearer = Bearer::new(jwt, |claims: Claims<()>| {
        let id = claims.sub.parse().map_err(|_| FailureReason::Malformed)?;
        Ok(User { id })
    });
    Router::new()
        .route("/notes", get(list))
        .route("/notes/{id}", get(show))
        .authenticator(bearer)
        .with_state(AppState { pool })
        .build()
}

async fn migrate(pool: &Pool) -> Result<(), DbError> {
    pool.unscoped("create the schema at start-up")
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS notes (
                id INTEGER PRIMARY KEY, owner_id BIGINT NOT NULL, title TEXT NOT NULL);
             CREATE INDEX IF NOT EXISTS notes_owner ON notes (owner_id, id);",
        )
        .await
}

#[tokio::main]
async fn main() {
    if let Err(e) = serve().await {
        eprintln!("error: {e}"); // one line naming the setting and the cause
        std::process::exit(1);
    }
}

async fn serve() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "notes.db".to_owned());
    let pool = Pool::connect_with(PoolConfig::from_env(url)?).await?;
    migrate(&pool).await?;
    // PORTCULLIS_AUTHN__PRIVATE_KEY: a PEM private key (Ed25519, P-256 or RSA) or its path.
    let jwt = Arc::new(JwtService::from_env()?);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    axum::serve(listener, app(pool, jwt)?).await?;
    Ok(())
}

#[cfg(test)]
mod tests;
