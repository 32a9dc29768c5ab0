// A `rename_all` rule serde does not know (`camelcase` for `camelCase`).
use portcullis::Resource;

diesel::table! {
    docs (id) {
        id -> BigInt,
    }
}

#[derive(Resource, diesel::Queryable, diesel::Selectable)]
#[resource(rename_all = "camelcase")]
pub struct Doc {
    pub id: i64,
}

fn main() {}
