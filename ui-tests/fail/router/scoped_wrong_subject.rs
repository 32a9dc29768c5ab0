// `Scoped` of a policy written for another subject than the app's principal.
#![allow(unused_imports)]
use portcullis::routing::get;
use portcullis::{Read, Resource, Scoped, guarded, policy};

diesel::table! {
    documents (id) {
        id -> BigInt,
        owner_id -> BigInt,
    }
}

#[derive(Resource, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = documents)]
pub struct Document {
    #[expose]
    pub id: i64,
    pub owner_id: i64,
}

#[derive(Clone)]
pub struct User {
    pub id: i64,
}

#[derive(Clone)]
pub struct ServiceAccount {
    pub name: String,
}

impl portcullis::guard::Identity for ServiceAccount {
    fn id(&self) -> String {
        self.name.clone()
    }
}

// The policy is written for `User`...
#[policy(Document, subject = User)]
pub fn documents(user: &User) {
    allow!(read where owner_id == user.id);
}

#[guarded(auth)]
async fn list(docs: Scoped<Document, Read>) -> String {
    format!("{docs:?}")
}

// ...but this application's principal is `ServiceAccount`.
#[derive(Clone)]
struct AppState;

impl portcullis::guard::HasPrincipal for AppState {
    type Principal = ServiceAccount;
}

fn main() {
    let _ = portcullis::Router::<AppState>::new().route("/docs", get(list));
}
