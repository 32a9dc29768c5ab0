// The fixture the rustdoc examples of the core share: one entity, its policy, a custom action,
// a subject, and an in-memory SQLite database holding three rows. An example includes it with
// one hidden line:
//
//     # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
//
// It names everything by absolute path and imports nothing, so an example's own `use` lines
// cannot clash with it. Keep it small: every example compiles its own copy.

diesel::table! {
    documents (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        owner_id -> BigInt,
        title -> Text,
        archived -> Bool,
    }
}

/// A row of `documents`; `tenant_id` and `archived` are not exposed.
#[derive(Debug, Clone, ::portcullis::Resource, ::diesel::Queryable, ::diesel::Selectable)]
#[diesel(table_name = documents)]
pub struct Document {
    #[expose]
    pub id: i64,
    pub tenant_id: i64,
    #[expose]
    pub owner_id: i64,
    #[expose]
    pub title: String,
    #[resource(default)]
    pub archived: bool,
}

/// A custom action.
#[derive(::portcullis::Action)]
pub struct Archive;

/// The subject of the policy and the principal of the examples' routers.
#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub tenant_id: i64,
    pub admin: bool,
}

impl ::portcullis::guard::Identity for User {
    fn id(&self) -> String {
        self.id.to_string()
    }
    fn has_role(&self, role: &str) -> bool {
        role == "admin" && self.admin
    }
}

/// Everyone reads their tenant's documents, creates and edits the title of their own, archives
/// their own; admins also delete in their tenant. Archived documents cannot be edited.
#[::portcullis::policy(Document, subject = User)]
pub fn documents(user: &User) {
    allow!(read where tenant_id == user.tenant_id);
    allow!(create(title) where tenant_id == user.tenant_id && owner_id == user.id);
    allow!(update(title) where tenant_id == user.tenant_id && owner_id == user.id);
    allow!(Archive where owner_id == user.id && !archived);
    if user.admin {
        allow!(delete where tenant_id == user.tenant_id);
    }
    deny!(update where archived);
}

/// User 1 of tenant 1.
pub fn alice() -> User {
    User {
        id: 1,
        tenant_id: 1,
        admin: false,
    }
}

/// User 2 of tenant 1, an admin.
pub fn bob() -> User {
    User {
        id: 2,
        tenant_id: 1,
        admin: true,
    }
}

/// A document row.
pub fn doc(id: i64, tenant_id: i64, owner_id: i64, title: &str) -> Document {
    Document {
        id,
        tenant_id,
        owner_id,
        title: title.to_owned(),
        archived: false,
    }
}

/// An in-memory SQLite pool (one connection, so one database) holding document 1 (tenant 1,
/// Alice's), 2 (tenant 1, Bob's) and 3 (tenant 2).
pub async fn pool() -> ::portcullis::db::Pool {
    let config = ::portcullis::db::PoolConfig::new(":memory:").max_size(1);
    let pool = ::portcullis::db::Pool::connect_with(config).await.unwrap();
    pool.unscoped("doc fixture schema")
        .batch_execute(
            "CREATE TABLE documents (id INTEGER PRIMARY KEY, tenant_id BIGINT NOT NULL,
                owner_id BIGINT NOT NULL, title TEXT NOT NULL, archived BOOLEAN NOT NULL);
             INSERT INTO documents VALUES (1, 1, 1, 'Plan', 0), (2, 1, 2, 'Budget', 0),
                (3, 2, 3, 'Other tenant', 0);",
        )
        .await
        .unwrap();
    pool
}

/// Runs a future to completion on a current-thread runtime.
pub fn block_on<F: ::std::future::Future>(future: F) -> F::Output {
    ::tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}
