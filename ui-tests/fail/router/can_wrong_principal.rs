// `can(Action, Entity)` whose policy is written for another principal type than the app's.
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
}

impl portcullis::guard::Identity for User {
    fn id(&self) -> String {
        self.tenant_id.to_string()
    }
}

/// The principal this app authenticates: not the documents policy's subject.
#[derive(Clone)]
pub struct ApiKey {
    pub tenant_id: i64,
}

impl portcullis::guard::Identity for ApiKey {
    fn id(&self) -> String {
        self.tenant_id.to_string()
    }
}

#[policy(Document, subject = User)]
pub fn documents(user: &User) {
    allow!(delete where tenant_id == user.tenant_id);
}

#[guarded(auth, can(delete, Document))]
async fn purge() -> &'static str {
    "purged"
}

#[derive(Clone)]
struct AppState;

impl portcullis::guard::HasPrincipal for AppState {
    type Principal = ApiKey;
}

fn main() {
    let _ = portcullis::Router::<AppState>::new().route("/purge", delete(purge));
}
