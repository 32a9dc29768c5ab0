// A misspelled field option (`primary` for `primary_key`).
use portcullis::Resource;

#[derive(Resource)]
pub struct Doc {
    #[resource(primary)]
    pub key: i64,
}

fn main() {}
