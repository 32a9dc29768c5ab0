// Capabilities naming an action the entity's policy has no rule for.
use portcullis::{Action, Read, Resource, policy};

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

#[derive(Action)]
pub struct Publish;

pub struct User {
    pub tenant_id: i64,
}

#[policy(Document, subject = User)]
pub fn documents(user: &User) {
    allow!(read where tenant_id == user.tenant_id);
}

fn main() {
    let doc = Document { id: 1, tenant_id: 1, title: String::new(), archived: false, notes: None };
    let shaped = documents(&User { tenant_id: 1 }).shape_with_capabilities(doc, (Read, Publish));
    let _ = shaped;
}
