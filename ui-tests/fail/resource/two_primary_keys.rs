// Two fields marked `#[resource(primary_key)]`.
use portcullis::Resource;

#[derive(Resource)]
pub struct Doc {
    #[resource(primary_key)]
    pub code: String,
    #[resource(primary_key)]
    pub slug: String,
}

fn main() {}
