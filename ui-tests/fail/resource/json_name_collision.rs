// Two fields serializing under one JSON name (a `rename` onto another field's name).
use portcullis::Resource;

diesel::table! {
    docs (id) {
        id -> BigInt,
        heading -> Text,
        title -> Text,
    }
}

#[derive(Resource, diesel::Queryable, diesel::Selectable)]
pub struct Doc {
    pub id: i64,
    #[expose(rename = "title")]
    pub heading: String,
    #[expose]
    pub title: String,
}

fn main() {}
