// `rename_all = camelCase` without quotes.
use portcullis::Resource;

#[derive(Resource)]
#[resource(rename_all = camelCase)]
pub struct Doc {
    pub id: i64,
}

fn main() {}
