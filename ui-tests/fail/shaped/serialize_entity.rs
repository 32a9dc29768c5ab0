// An entity serialized with `serde_json::to_string` instead of through `Shaped`.
use portcullis::Resource;

diesel::table! {
    docs (id) {
        id -> BigInt,
        owner -> BigInt,
        title -> Text,
        note -> Nullable<Text>,
    }
}

#[derive(Resource, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = docs)]
pub struct Doc {
    #[expose]
    pub id: i64,
    pub owner: i64,
    #[expose]
    pub title: String,
    pub note: Option<String>,
}

#[derive(Clone)]
pub struct User {
    pub id: i64,
}

fn body(doc: &Doc) -> String {
    serde_json::to_string(doc).unwrap_or_default()
}

fn main() {}
