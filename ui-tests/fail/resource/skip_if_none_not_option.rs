// `skip_if_none` on a field that is not an `Option`.
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
    #[expose(skip_if_none)]
    pub title: String,
}

fn main() {}
