// `#[resource(default)]` on the primary key, which a create input never holds.
use portcullis::Resource;

#[derive(Resource)]
pub struct Doc {
    #[resource(default)]
    pub id: i64,
    pub title: String,
}

fn main() {}
