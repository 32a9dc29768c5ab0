// `#[derive(Serialize)]` on an entity: only `Shaped` may serialize it.
use portcullis::Resource;

diesel::table! {
    docs (id) {
        id -> BigInt,
        title -> Text,
    }
}

#[derive(Resource, serde::Serialize, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = docs)]
pub struct Doc {
    #[expose]
    pub id: i64,
    pub title: String,
}

fn main() {}
