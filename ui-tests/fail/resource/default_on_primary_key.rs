// `#[resource(default)]` on the primary key, which a create input never holds.
use portcullis::Resource;

diesel::table! {
    docs (id) {
        id -> BigInt,
        title -> Text,
    }
}

#[derive(Resource, diesel::Queryable, diesel::Selectable)]
pub struct Doc {
    #[resource(default)]
    pub id: i64,
    pub title: String,
}

fn main() {}
