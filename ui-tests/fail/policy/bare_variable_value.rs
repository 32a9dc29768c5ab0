// A local Rust variable compared without braces (`tenant` for `{tenant}`).
use portcullis::{Resource, policy};

diesel::table! {
    documents (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        title -> Text,
        archived -> Bool,
        notes -> Nullable<Text>,
    }
}

#[derive(Resource, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = documents)]
pub struct Document {
    #[expose]
    pub id: i64,
    #[expose]
    pub tenant_id: i64,
    #[expose]
    pub title: String,
    pub archived: bool,
    pub notes: Option<String>,
}

pub struct User {
    pub tenant_id: i64,
}

#[policy(Document, subject = User)]
pub fn documents(user: &User) {
    let tenant = user.tenant_id;
    allow!(read where tenant_id == tenant);
}

fn main() {}
