// No field named `id` and none marked `#[resource(primary_key)]`.
use portcullis::Resource;

diesel::table! {
    docs (code) {
        code -> Text,
        title -> Text,
    }
}

#[derive(Resource, diesel::Queryable, diesel::Selectable)]
pub struct Doc {
    pub code: String,
    pub title: String,
}

fn main() {}
