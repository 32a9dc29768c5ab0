// A `#[diesel(..)]` attribute that is not `key = value` items (`table_name docs`).
use portcullis::Resource;

diesel::table! {
    docs (id) {
        id -> BigInt,
        title -> Text,
    }
}

#[derive(Resource, diesel::Queryable)]
#[diesel(table_name docs)]
pub struct Doc {
    pub id: i64,
    pub title: String,
}

fn main() {}
