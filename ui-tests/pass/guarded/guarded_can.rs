use portcullis::routing::delete;
use portcullis::{Resource, guarded, policy};

diesel::table! {
    documents (id) {
        id -> BigInt,
        tenant_id -> BigInt,
    }
}

#[derive(Resource, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = documents)]
pub struct Document {
    #[expose]
    pub id: i64,
    pub tenant_id: i64,
}

#[derive(Clone)]
pub struct User {
    pub tenant_id: i64,
    pub admin: bool,
}

impl portcullis::guard::Identity for User {
    fn id(&self) -> String {
        self.tenant_id.to_string()
    }
}

#[policy(Document, subject = User)]
pub fn documents(user: &User) {
    allow!(read where tenant_id == user.tenant_id);
    if user.admin {
        allow!(delete where tenant_id == user.tenant_id);
    }
}

// Built-in actions may be named in lower case or by type.
#[guarded(auth, can(delete, Document))]
async fn purge() -> &'static str {
    "purged"
}

#[guarded(auth, can(portcullis::Read, Document))]
async fn export() -> &'static str {
    "exported"
}

#[derive(Clone)]
struct AppState;

impl portcullis::guard::HasPrincipal for AppState {
    type Principal = User;
}

fn main() {
    let router = portcullis::Router::<AppState>::new()
        .route("/purge", delete(purge))
        .route("/export", portcullis::routing::get(export));
    let table = router.posture().to_string();
    assert!(table.contains("delete(Document)"), "{table}");
}
