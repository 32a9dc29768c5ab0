// `Shaped::fields` picking a field the entity does not have.
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
    allow!(read where tenant_id == user.tenant_id);
}

fn main() {
    let doc = Document { id: 1, tenant_id: 1, title: String::new(), archived: false, notes: None };
    let shaped = documents(&User { tenant_id: 1 }).shape(doc).fields(|f| f.id | f.titel);
    let _ = shaped;
}
