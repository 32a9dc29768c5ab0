// `#[expose]` on the struct instead of on each field.
use portcullis::Resource;

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

#[derive(Resource, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = documents)]
#[expose]
pub struct Other {
    pub id: i64,
    pub tenant_id: i64,
    pub title: String,
    pub archived: bool,
    pub notes: Option<String>,
}

fn main() {}
