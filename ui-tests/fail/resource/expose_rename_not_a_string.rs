// `#[expose(rename = ident)]` without quotes.
use portcullis::Resource;

diesel::table! {
    docs (id) {
        id -> BigInt,
        title -> Text,
    }
}

#[derive(Resource, diesel::Queryable, diesel::Selectable)]
pub struct Doc {
    pub id: i64,
    #[expose(rename = heading)]
    pub title: String,
}

fn main() {}
