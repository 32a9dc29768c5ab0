// No field named `id` and none marked `#[resource(primary_key)]`.
use portcullis::Resource;

#[derive(Resource)]
pub struct Doc {
    pub code: String,
    pub title: String,
}

fn main() {}
