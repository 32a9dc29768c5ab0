// `conceal = "yes"`: `conceal` is a flag.
use portcullis::Resource;

#[derive(Resource)]
#[resource(conceal = "yes")]
pub struct Doc {
    pub id: i64,
}

fn main() {}
