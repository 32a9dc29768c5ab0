// A misspelled struct option (`concealed` for `conceal`).
use portcullis::Resource;

#[derive(Resource)]
#[resource(concealed)]
pub struct Doc {
    pub id: i64,
}

fn main() {}
