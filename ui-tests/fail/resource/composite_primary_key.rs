// A two-column `#[diesel(primary_key(..))]`: portcullis needs a single-column key.
use portcullis::Resource;

diesel::table! {
    docs (id) {
        id -> BigInt,
        title -> Text,
    }
}

#[derive(Resource, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = docs, primary_key(id, title))]
pub struct Doc {
    pub id: i64,
    pub title: String,
}

fn main() {}
