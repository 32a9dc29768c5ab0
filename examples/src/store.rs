//! Migrations, demo seed data, and the few queries no policy covers (account look-ups before
//! anyone is authenticated, registration). Each goes through the pool explicitly.

use crate::model::{POSTGRES_DDL, SQLITE_DDL, tenants, users};
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::RunQueryDsl;
use portcullis::Problem;
use portcullis::authn::password::PasswordHasher;
use portcullis::db::{Backend, DbError, Pool};

/// Runs `$body` with `$conn` bound to a connection of whichever backend `$pool` uses, taken
/// through the pool's named escape (`unscoped`): `$reason` is logged and counted.
macro_rules! with_conn {
    ($pool:expr, $reason:literal, |$conn:ident| $body:expr) => {
        match $pool.unscoped($reason).connection().await? {
            portcullis::db::RawConnection::Sqlite(mut $conn) => $body,
            portcullis::db::RawConnection::Postgres(mut $conn) => $body,
            #[allow(unreachable_patterns)]
            _ => return Err(portcullis::Problem::internal().into()),
        }
    };
}

/// Creates the application tables (idempotent) and portcullis' refresh-token tables.
pub async fn migrate(pool: &Pool) -> Result<(), DbError> {
    let ddl = match pool.backend() {
        Backend::Postgres => POSTGRES_DDL,
        _ => SQLITE_DDL,
    };
    pool.unscoped("create the example's tables at start-up")
        .batch_execute(ddl)
        .await?;
    portcullis::authn::migrate(pool).await
}

/// A demo account printed at start-up.
#[derive(Debug, Clone, Copy)]
pub struct DemoAccount {
    pub email: &'static str,
    pub tenant: &'static str,
    pub role: &'static str,
}

/// The password of every demo account (development only; printed at start-up).
pub const DEMO_PASSWORD: &str = "portcullis-demo-2024!";

pub const DEMO_ACCOUNTS: [DemoAccount; 4] = [
    DemoAccount {
        email: "alice@acme.test",
        tenant: "acme",
        role: "member",
    },
    DemoAccount {
        email: "amir@acme.test",
        tenant: "acme",
        role: "admin",
    },
    DemoAccount {
        email: "bob@globex.test",
        tenant: "globex",
        role: "member",
    },
    DemoAccount {
        email: "bea@globex.test",
        tenant: "globex",
        role: "admin",
    },
];

/// A user row as the login needs it.
#[derive(Debug, Clone, diesel::Queryable)]
pub struct Credentials {
    pub id: i64,
    pub tenant_id: i64,
    pub password_hash: String,
    pub role: String,
}

pub async fn find_by_email(pool: &Pool, email: &str) -> Result<Option<Credentials>, Problem> {
    let found = with_conn!(
        pool,
        "login: the account behind an email, before anyone is authenticated",
        |conn| users::table
            .filter(users::email.eq(email))
            .select((
                users::id,
                users::tenant_id,
                users::password_hash,
                users::role
            ))
            .first::<Credentials>(&mut conn)
            .await
            .optional()?
    );
    Ok(found)
}

pub async fn find_by_id(pool: &Pool, id: i64) -> Result<Option<Credentials>, Problem> {
    let found = with_conn!(
        pool,
        "refresh: the account behind a refresh token's user id",
        |conn| users::table
            .find(id)
            .select((
                users::id,
                users::tenant_id,
                users::password_hash,
                users::role
            ))
            .first::<Credentials>(&mut conn)
            .await
            .optional()?
    );
    Ok(found)
}

/// Finds or creates the tenant `name`; returns its id.
pub async fn tenant_id(pool: &Pool, name: &str, create: bool) -> Result<Option<i64>, Problem> {
    let find = || async {
        let id = with_conn!(pool, "registration: find a tenant by name", |conn| {
            tenants::table
                .filter(tenants::name.eq(name))
                .select(tenants::id)
                .first::<i64>(&mut conn)
                .await
                .optional()?
        });
        Ok::<_, Problem>(id)
    };
    if let Some(id) = find().await? {
        return Ok(Some(id));
    }
    if create {
        with_conn!(pool, "registration: create a tenant", |conn| {
            diesel::insert_into(tenants::table)
                .values(tenants::name.eq(name))
                .on_conflict_do_nothing()
                .execute(&mut conn)
                .await?
        });
        return find().await;
    }
    Ok(None)
}

/// Creates tenant `name`; `None` when the name is taken (never joins an existing tenant, even
/// when two sign-ups race for the name).
pub async fn create_tenant(pool: &Pool, name: &str) -> Result<Option<i64>, Problem> {
    let id = with_conn!(pool, "registration: create a tenant", |conn| {
        diesel::insert_into(tenants::table)
            .values(tenants::name.eq(name))
            .on_conflict_do_nothing()
            .returning(tenants::id)
            .get_result::<i64>(&mut conn)
            .await
            .optional()?
    });
    Ok(id)
}

/// Deletes tenant `id` (a sign-up that could not complete).
pub async fn delete_tenant(pool: &Pool, id: i64) -> Result<(), Problem> {
    with_conn!(
        pool,
        "registration: remove a tenant whose admin could not be created",
        |conn| diesel::delete(tenants::table.find(id))
            .execute(&mut conn)
            .await?
    );
    Ok(())
}

/// Inserts a user; `None` when the email is taken.
pub async fn insert_user(
    pool: &Pool,
    tenant_id: i64,
    email: &str,
    password_hash: &str,
    role: &str,
) -> Result<Option<i64>, Problem> {
    let id = with_conn!(
        pool,
        "registration: create the first user of a tenant",
        |conn| diesel::insert_into(users::table)
            .values((
                users::tenant_id.eq(tenant_id),
                users::email.eq(email),
                users::password_hash.eq(password_hash),
                users::role.eq(role),
            ))
            .on_conflict_do_nothing()
            .returning(users::id)
            .get_result::<i64>(&mut conn)
            .await
            .optional()?
    );
    Ok(id)
}

/// Seeds the two demo tenants, their users and a few documents. Idempotent: existing rows are
/// kept, and the password is hashed only when a demo user is missing.
pub async fn seed(pool: &Pool, hasher: &PasswordHasher) -> Result<(), Problem> {
    let mut hash: Option<String> = None;
    let mut ids = Vec::new();
    for account in DEMO_ACCOUNTS {
        let tenant = tenant_id(pool, account.tenant, true)
            .await?
            .ok_or_else(Problem::internal)?;
        let id = match find_by_email(pool, account.email).await? {
            Some(found) => found.id,
            None => {
                if hash.is_none() {
                    hash = Some(hasher.hash(DEMO_PASSWORD).await.map_err(|e| {
                        tracing::error!(error = %e, "hashing the demo password failed");
                        Problem::internal()
                    })?);
                }
                let phc = hash.as_deref().unwrap_or_default();
                match insert_user(pool, tenant, account.email, phc, account.role).await? {
                    Some(id) => id,
                    None => find_by_email(pool, account.email)
                        .await?
                        .map(|c| c.id)
                        .ok_or_else(Problem::internal)?,
                }
            }
        };
        ids.push((tenant, id));
    }
    use crate::model::documents;
    let existing: i64 = with_conn!(pool, "seed: count the demo documents", |conn| {
        documents::table.count().get_result(&mut conn).await?
    });
    if existing == 0 {
        let (acme, alice) = ids[0];
        let (_, amir) = ids[1];
        let (globex, bob) = ids[2];
        let rows = vec![
            (
                acme,
                alice,
                "Acme roadmap",
                "Ship the anvil v2.",
                false,
                Some("budget: confidential"),
            ),
            (
                acme,
                amir,
                "Acme onboarding",
                "Welcome to Acme.",
                false,
                None,
            ),
            (
                acme,
                alice,
                "Acme 2023 retro",
                "What went well.",
                true,
                Some("old notes"),
            ),
            (
                globex,
                bob,
                "Globex plan",
                "World domination, phase 1.",
                false,
                Some("do not share"),
            ),
        ];
        for (t, o, title, body, archived, notes) in rows {
            let row = (
                documents::tenant_id.eq(t),
                documents::owner_id.eq(o),
                documents::title.eq(title),
                documents::body.eq(body),
                documents::archived.eq(archived),
                documents::internal_notes.eq(notes),
            );
            with_conn!(pool, "seed: insert the demo documents", |conn| {
                diesel::insert_into(documents::table)
                    .values(row)
                    .execute(&mut conn)
                    .await?
            });
        }
    }
    Ok(())
}

/// Deletes the comments of document `id`.
pub async fn delete_comments_of(pool: &Pool, id: i64) -> Result<usize, Problem> {
    use crate::model::comments;
    let n = with_conn!(
        pool,
        "delete a document's comments before the document",
        |conn| diesel::delete(comments::table.filter(comments::document_id.eq(id)))
            .execute(&mut conn)
            .await?
    );
    Ok(n)
}

/// Replaces the password hash of user `id` (rehash on login).
pub async fn set_password_hash(pool: &Pool, id: i64, phc: &str) -> Result<(), Problem> {
    with_conn!(pool, "login: upgrade an outdated password hash", |conn| {
        diesel::update(users::table.find(id))
            .set(users::password_hash.eq(phc))
            .execute(&mut conn)
            .await?
    });
    Ok(())
}

/// The account linked to an OpenID Connect identity (issuer, subject).
pub async fn find_by_identity(
    pool: &Pool,
    issuer: &str,
    subject: &str,
) -> Result<Option<Credentials>, Problem> {
    use crate::model::oidc_identities as links;
    use diesel::JoinOnDsl;
    let found = with_conn!(
        pool,
        "oidc sign-in: the account linked to a verified (issuer, subject)",
        |conn| links::table
            .inner_join(users::table.on(users::id.eq(links::user_id)))
            .filter(links::issuer.eq(issuer))
            .filter(links::subject.eq(subject))
            .select((
                users::id,
                users::tenant_id,
                users::password_hash,
                users::role
            ))
            .first::<Credentials>(&mut conn)
            .await
            .optional()?
    );
    Ok(found)
}

/// Links (issuer, subject) to `user_id`; an existing link is kept (two first sign-ins racing).
pub async fn link_identity(
    pool: &Pool,
    issuer: &str,
    subject: &str,
    user_id: i64,
) -> Result<(), Problem> {
    use crate::model::oidc_identities as links;
    with_conn!(
        pool,
        "oidc sign-in: link a verified identity to the account with its verified email",
        |conn| diesel::insert_into(links::table)
            .values((
                links::issuer.eq(issuer),
                links::subject.eq(subject),
                links::user_id.eq(user_id),
            ))
            .on_conflict_do_nothing()
            .execute(&mut conn)
            .await?
    );
    Ok(())
}
