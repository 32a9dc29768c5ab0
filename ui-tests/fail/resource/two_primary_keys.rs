// Two fields marked `#[resource(primary_key)]`.
use portcullis::Resource;

diesel::table! {
    docs (code) {
        code -> Text,
        slug -> Text,
    }
}

#[derive(Resource, diesel::Queryable, diesel::Selectable)]
pub struct Doc {
    #[resource(primary_key)]
    pub code: String,
    #[resource(primary_key)]
    pub slug: String,
}

fn main() {}
