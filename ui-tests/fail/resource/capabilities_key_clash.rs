// An exposed field renamed onto `_can`, the key shaped rows carry their capabilities under.
use portcullis::Resource;

diesel::table! {
    docs (id) {
        id -> BigInt,
        editable -> Bool,
    }
}

#[derive(Resource, diesel::Queryable, diesel::Selectable)]
pub struct Doc {
    pub id: i64,
    #[expose(rename = "_can")]
    pub editable: bool,
}

fn main() {}
