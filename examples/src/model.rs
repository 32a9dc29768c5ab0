//! The schema, the entities and their policies.

use portcullis::{Action, Resource, policy};

diesel::table! {
    tenants (id) {
        id -> BigInt,
        name -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        email -> Text,
        password_hash -> Text,
        role -> Text,
    }
}

diesel::table! {
    documents (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        owner_id -> BigInt,
        title -> Text,
        body -> Text,
        archived -> Bool,
        internal_notes -> Nullable<Text>,
    }
}

diesel::table! {
    comments (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        document_id -> BigInt,
        author_id -> BigInt,
        body -> Text,
    }
}

diesel::table! {
    /// Accounts linked to an OpenID Connect identity, keyed by (issuer, subject).
    oidc_identities (issuer, subject) {
        issuer -> Text,
        subject -> Text,
        user_id -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(tenants, users, documents, comments, oidc_identities);

/// The authenticated principal, built from the access token's claims.
#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub tenant_id: i64,
    pub admin: bool,
}

impl portcullis::guard::Identity for User {
    fn id(&self) -> String {
        self.id.to_string()
    }
    fn has_role(&self, role: &str) -> bool {
        role == "admin" && self.admin
    }
}

/// A document. `internal_notes` is never exposed; `archived` is shown but only the
/// `Archive` action changes it.
#[derive(Debug, Clone, Resource, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = documents)]
#[resource(rename_all = "camelCase")]
pub struct Document {
    #[expose]
    pub id: i64,
    #[expose]
    pub tenant_id: i64,
    #[expose]
    pub owner_id: i64,
    #[expose]
    pub title: String,
    #[expose]
    pub body: String,
    #[expose]
    #[resource(default)]
    pub archived: bool,
    #[resource(default)]
    pub internal_notes: Option<String>,
}

/// The custom action behind `POST /docs/{id}/archive`.
#[derive(Action)]
pub struct Archive;

#[policy(Document, subject = User)]
pub fn documents(user: &User) {
    allow!(read where tenant_id == user.tenant_id && !archived);
    allow!(read(id, tenant_id, owner_id, title, archived) where tenant_id == user.tenant_id && archived);
    allow!(create(title, body) where tenant_id == user.tenant_id && owner_id == user.id);
    allow!(update(title, body) where tenant_id == user.tenant_id && owner_id == user.id);
    allow!(Archive where tenant_id == user.tenant_id && owner_id == user.id && !archived);
    allow!(delete where tenant_id == user.tenant_id && owner_id == user.id);
    if user.admin {
        allow!(update(title, body) where tenant_id == user.tenant_id);
        allow!(Archive where tenant_id == user.tenant_id && !archived);
        allow!(delete where tenant_id == user.tenant_id);
    }
    deny!(update where archived);
}

/// A comment on a document; same tenant as the document.
#[derive(Debug, Clone, Resource, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = comments)]
#[resource(rename_all = "camelCase")]
pub struct Comment {
    #[expose]
    pub id: i64,
    pub tenant_id: i64,
    #[expose]
    pub document_id: i64,
    #[expose]
    pub author_id: i64,
    #[expose]
    pub body: String,
}

#[policy(Comment, subject = User)]
pub fn comments(user: &User) {
    allow!(read where tenant_id == user.tenant_id);
    allow!(create(document_id, body) where tenant_id == user.tenant_id && author_id == user.id);
}

/// A user account as other users see it: the password hash is never exposed.
#[derive(Debug, Clone, Resource, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = users)]
#[resource(rename_all = "camelCase")]
pub struct Account {
    #[expose]
    pub id: i64,
    #[expose]
    pub tenant_id: i64,
    #[expose]
    pub email: String,
    pub password_hash: String,
    #[expose]
    pub role: String,
}

#[policy(Account, subject = User)]
pub fn accounts(user: &User) {
    // An admin reads the tenant's accounts (their own among them); anyone else only their own.
    // Written as two exclusive rules rather than `own OR tenant` so that each subject's scope
    // is one index range (tests/tests/example_indexes.rs).
    if user.admin {
        allow!(read where tenant_id == user.tenant_id);
    } else {
        allow!(read where id == user.id);
    }
}

pub const SQLITE_DDL: &str = "
CREATE TABLE IF NOT EXISTS tenants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'admin'))
);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    owner_id BIGINT NOT NULL REFERENCES users(id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    archived BOOLEAN NOT NULL DEFAULT FALSE,
    internal_notes TEXT
);
DROP INDEX IF EXISTS documents_tenant; -- served by documents_tenant_id_id
-- GET /docs: a tenant's documents newest or oldest first, or by title (ties by id); checked by
-- tests/tests/example_indexes.rs (portcullis::testing::IndexCheck).
CREATE INDEX IF NOT EXISTS documents_tenant_id_id ON documents (tenant_id, id);
CREATE INDEX IF NOT EXISTS documents_tenant_id_title_id ON documents (tenant_id, title, id);
CREATE TABLE IF NOT EXISTS comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    document_id BIGINT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL REFERENCES users(id),
    body TEXT NOT NULL
);
DROP INDEX IF EXISTS comments_document; -- served by comments_document_id_id
-- GET /docs/{id}/comments: one document's comments in id order; a tenant's comments in id order.
CREATE INDEX IF NOT EXISTS comments_document_id_id ON comments (document_id, id);
CREATE INDEX IF NOT EXISTS comments_tenant_id_id ON comments (tenant_id, id);
-- GET /admin/users: a tenant's accounts in id order.
CREATE INDEX IF NOT EXISTS users_tenant_id_id ON users (tenant_id, id);
-- Sign-in with OpenID Connect: the account each (issuer, subject) is linked to.
CREATE TABLE IF NOT EXISTS oidc_identities (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    PRIMARY KEY (issuer, subject)
);
";

pub const POSTGRES_DDL: &str = "
CREATE TABLE IF NOT EXISTS tenants (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS users (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'admin'))
);
CREATE TABLE IF NOT EXISTS documents (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    owner_id BIGINT NOT NULL REFERENCES users(id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    archived BOOLEAN NOT NULL DEFAULT FALSE,
    internal_notes TEXT
);
DROP INDEX IF EXISTS documents_tenant; -- served by documents_tenant_id_id
-- GET /docs: a tenant's documents newest or oldest first, or by title (ties by id); checked by
-- tests/tests/example_indexes.rs (portcullis::testing::IndexCheck).
CREATE INDEX IF NOT EXISTS documents_tenant_id_id ON documents (tenant_id, id);
CREATE INDEX IF NOT EXISTS documents_tenant_id_title_id ON documents (tenant_id, title, id);
CREATE TABLE IF NOT EXISTS comments (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    document_id BIGINT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL REFERENCES users(id),
    body TEXT NOT NULL
);
DROP INDEX IF EXISTS comments_document; -- served by comments_document_id_id
-- GET /docs/{id}/comments: one document's comments in id order; a tenant's comments in id order.
CREATE INDEX IF NOT EXISTS comments_document_id_id ON comments (document_id, id);
CREATE INDEX IF NOT EXISTS comments_tenant_id_id ON comments (tenant_id, id);
-- GET /admin/users: a tenant's accounts in id order.
CREATE INDEX IF NOT EXISTS users_tenant_id_id ON users (tenant_id, id);
-- Sign-in with OpenID Connect: the account each (issuer, subject) is linked to.
CREATE TABLE IF NOT EXISTS oidc_identities (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    PRIMARY KEY (issuer, subject)
);
";
