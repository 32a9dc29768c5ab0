// A `rename_all` rule serde does not know (`camelcase` for `camelCase`).
use portcullis::Resource;

#[derive(Resource)]
#[resource(rename_all = "camelcase")]
pub struct Doc {
    pub id: i64,
}

fn main() {}
